"""Shared fixtures: small variants of the Finnish baseline written as real scenario files."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from model.params import load_scenario

REPO = Path(__file__).resolve().parent.parent
FI = REPO / "scenarios" / "fi" / "baseline.yaml"

SMALL = ["population.workers=400", "horizon_weeks=104"]

INSTRUMENTS = {
    "ca_fund": {
        "id": "ca_fund",
        "kind": "collective_fund",
        "levy_rate_of_payroll": 0.002,
        "eligibility": "firm.size <= 249",
        "fee_coverage": 0.7,
        "trigger": "credential",
        "payee": "provider",
    },
    "grant": {
        "id": "grant",
        "kind": "competitive_grant",
        "eligibility": "not worker.jobseeker",
        "calls": [{"open_week": 2, "budget_eur": 400000, "project_weeks": 80}],
        "provider_types": ["public_vet"],
        "application_rate": 0.8,
        "trigger": "enrolment",
    },
    "credit": {
        "id": "credit",
        "kind": "training_credit",
        "eligibility": "worker.employed",
        "fee_coverage": 1.0,
        "trigger": "completion",
        "payee": "firm",
    },
    "voucher": {
        "id": "voucher",
        "kind": "voucher",
        "eligibility": "True",
        "fee_coverage": 0.9,
        "voucher_eur_per_period": 175,
        "trigger": "completion",
        "payee": "learner",
    },
    "budget": {
        "id": "esf",
        "kind": "budget",
        "budget_eur_per_year": 300000,
        "eligibility": "worker.woman or worker.jobseeker",
        "fee_coverage": 1.0,
        "trigger": "enrolment",
    },
}


def write_variant(tmp_path: Path, name: str, body: dict) -> Path:
    """A scenario file that extends the Finnish baseline with ``body``."""
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump({"extends": str(FI), "name": name, **body}), encoding="utf-8")
    return path


@pytest.fixture
def funded(tmp_path: Path):
    """Load a small FI variant with the named instruments (and extra overrides)."""

    def make(*names: str, overrides: list[str] | None = None, body: dict | None = None):
        content = {"funding": {"instruments": [INSTRUMENTS[n] for n in names]}, **(body or {})}
        path = write_variant(tmp_path, "_".join(names) or "none", content)
        return load_scenario(path, SMALL + (overrides or []))

    return make


@pytest.fixture(scope="module")
def dask_cluster():
    """A Dask LocalCluster of two single-threaded worker processes (executor tests)."""
    distributed = pytest.importorskip("distributed")
    import logging

    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=logging.ERROR
    )
    yield cluster
    cluster.close()


def kill_mcsim_when(
    args: list[str], runs: Path, files: int, timeout: float = 120.0
) -> dict[str, tuple[int, bytes]]:
    """Run ``mcsim ARGS`` in a subprocess and SIGKILL it once ``runs`` holds ``files`` result files.

    Returns every finished file as the kill left it (name -> (modification time, bytes)), for a
    resumable command's test that a rerun neither redoes nor rewrites them.
    """
    cmd = [sys.executable, "-m", "analysis.cli", *args]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if runs.is_dir() and len(list(runs.glob("*.parquet"))) >= files:
            break
        time.sleep(0.02)
    ended = proc.poll() is not None
    assert not ended, f"mcsim {args[0]} ended before it could be killed: {proc.stderr.read().decode()}"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc.stderr.close()
    return {f.name: (f.stat().st_mtime_ns, f.read_bytes()) for f in runs.glob("*.parquet")}
