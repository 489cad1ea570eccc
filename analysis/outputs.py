"""Writing results: tidy tables, summaries, the manifest, and the guard against overwriting.

Why a staging folder: results are written to ``DIR.partial`` and renamed to ``DIR`` only when
complete, so an interrupted run never leaves a half-written folder that looks finished, and a
finished folder is never overwritten unless the user says ``--force``.
"""

from __future__ import annotations

import datetime as dt
import json
import platform
import shutil
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.experiment import Experiment
from analysis.summary import differences, summarise
from model import __version__

__all__ = ["OutputError", "prepare_out", "finish_out", "write_results", "manifest"]

_DEPS = ("mesa", "numpy", "scipy", "pandas", "pyarrow", "pydantic", "pyyaml", "plotly", "networkx")


class OutputError(RuntimeError):
    """The output folder cannot be used (it holds results and --force was not given)."""


def prepare_out(out: Path, force: bool) -> Path:
    """Check ``out`` may be written; return the staging folder to write into."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())) and not force:
        raise OutputError(
            f"{out}: already holds results; choose another --out or pass --force to replace them"
        )
    staging = out.with_name(out.name + ".partial")
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    return staging


def finish_out(staging: Path, out: Path) -> None:
    """Move the finished staging folder into place."""
    if out.exists():
        shutil.rmtree(out)
    staging.rename(out)


def _versions() -> dict[str, str]:
    found = {}
    for dep in _DEPS:
        try:
            found[dep] = version(dep)
        except PackageNotFoundError:
            found[dep] = "not installed"
    return found


def manifest(exp: Experiment, argv: list[str], seconds: float, overrides: list[str]) -> dict[str, Any]:
    """Everything needed to reproduce the run with ``mcsim rerun``."""
    return {
        "mcsim_version": __version__,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": argv,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "dependencies": _versions(),
        "seed": exp.seed,
        "reps": exp.reps,
        "engine": exp.engine,
        "deadweight": exp.deadweight,
        "overrides": overrides,
        "scenarios": [
            {
                "label": r.label,
                "name": r.loaded.config.name,
                "path": str(r.loaded.path),
                "extends_chain": list(r.loaded.chain),
                "hash": r.loaded.hash,
                "engine": r.engine,
                "assumptions": r.loaded.assumption_count(),
                "parameters": len(r.loaded.parameters()),
                "rep_seeds": r.seeds,
                "seconds": round(r.seconds, 3),
                "phase_seconds": {
                    k: round(sum(run.phase_seconds.get(k, 0.0) for run in r.runs), 4)
                    for k in (r.runs[0].phase_seconds if r.runs else {})
                },
            }
            for r in exp.results
        ],
        "seconds": round(seconds, 3),
    }


def write_results(exp: Experiment, staging: Path, meta: dict[str, Any]) -> dict[str, pd.DataFrame]:
    """Write kpis.csv/.parquet, summary.csv, differences.csv (2+ scenarios), manifest.json, events."""
    kpis = pd.concat([r.kpis() for r in exp.results], ignore_index=True)
    whole = pd.concat([r.whole() for r in exp.results], ignore_index=True)
    summary = summarise(whole)
    kpis.to_csv(staging / "kpis.csv", index=False)
    kpis.to_parquet(staging / "kpis.parquet", index=False)
    whole.to_csv(staging / "runs.csv", index=False)
    summary.to_csv(staging / "summary.csv", index=False)
    tables = {"kpis": kpis, "runs": whole, "summary": summary}
    if len(exp.results) > 1:
        diff = differences(whole, exp.results[0].label)
        diff.to_csv(staging / "differences.csv", index=False)
        tables["differences"] = diff
    if exp.keep_events:
        frames = []
        for r in exp.results:
            for rep, run in enumerate(r.runs):
                if run.events is not None:
                    ev = run.events.copy()
                    ev.insert(0, "rep", rep)
                    ev.insert(0, "scenario", r.label)
                    frames.append(ev)
        if frames:
            pd.concat(frames, ignore_index=True).to_parquet(staging / "events.parquet", index=False)
    (staging / "manifest.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
    return tables
