"""The command line as a user meets it: outputs, refusal to overwrite, clear errors, rerun."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from analysis.cli import main
from model.kpis import KPI_NAMES
from tests.conftest import FI, REPO

SMALL = [
    "--set",
    "population.workers=300",
    "--set",
    "horizon_weeks=30",
]


def test_run_writes_tables_and_manifest(tmp_path):
    out = tmp_path / "r"
    assert main(["run", str(FI), "--reps", "2", "--out", str(out), *SMALL]) == 0
    kpis = pd.read_csv(out / "kpis.csv")
    assert list(kpis.columns[:4]) == ["scenario", "rep", "step", "day"]
    assert set(KPI_NAMES) <= set(kpis.columns)
    assert len(kpis) == 2 * 30
    summary = pd.read_csv(out / "summary.csv")
    assert {"scenario", "kpi", "mean", "lo", "hi"} <= set(summary.columns)
    meta = json.loads((out / "manifest.json").read_text())
    assert meta["scenarios"][0]["hash"] and len(meta["scenarios"][0]["rep_seeds"]) == 2
    assert meta["engine"] == "auto" and meta["scenarios"][0]["engine"] == "mesa"


def test_refuses_to_overwrite_results(tmp_path, capsys):
    out = tmp_path / "r"
    out.mkdir()
    (out / "summary.csv").write_text("precious")
    code = main(["run", str(FI), "--reps", "1", "--out", str(out), *SMALL])
    assert code == 2
    assert (out / "summary.csv").read_text() == "precious"
    assert "already holds results" in capsys.readouterr().err
    assert main(["run", str(FI), "--reps", "1", "--out", str(out), "--force", *SMALL]) == 0
    assert (out / "summary.csv").read_text() != "precious"


def test_compare_common_random_numbers_and_differences(tmp_path):
    out = tmp_path / "c"
    code = main(
        [
            "compare",
            str(FI),
            str(FI),
            "--reps",
            "3",
            "--out",
            str(out),
            "--engine",
            "vector",
            *SMALL,
        ]
    )
    assert code == 0
    diff = pd.read_csv(out / "differences.csv")
    # The same scenario twice: identical runs, so every paired difference is exactly 0 (or NaN).
    d = diff["diff"].dropna()
    assert len(d) > 0 and (d == 0).all()


def test_same_seed_same_output_different_seed_differs(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    args = ["run", str(FI), "--reps", "2", "--engine", "vector", *SMALL]
    assert main([*args, "--out", str(a)]) == 0
    assert main([*args, "--out", str(b)]) == 0
    assert main([*args, "--out", str(c), "--seed", "99"]) == 0
    ka, kb, kc = (pd.read_csv(p / "kpis.csv") for p in (a, b, c))
    pd.testing.assert_frame_equal(ka, kb)
    assert not ka.equals(kc)


def test_rerun_reproduces(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    assert main(["run", str(FI), "--reps", "2", "--engine", "vector", "--out", str(a), *SMALL]) == 0
    assert main(["rerun", str(a / "manifest.json"), "--out", str(b)]) == 0
    pd.testing.assert_frame_equal(pd.read_csv(a / "kpis.csv"), pd.read_csv(b / "kpis.csv"))


def _run_as_a_user(scenario, out) -> subprocess.CompletedProcess:
    """``mcsim run`` in a fresh process, as typed: a user mistake exits 2 without a traceback."""
    proc = subprocess.run(
        [sys.executable, "-m", "analysis.cli", "run", str(scenario), "--out", str(out)],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    return proc


def test_bad_scenario_clear_error_no_traceback(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"extends: {FI}\nname: bad\nmoderation:\n  sampling_rte: 0.3\n")
    proc = _run_as_a_user(bad, tmp_path / "o")
    assert str(bad) in proc.stderr and "moderation.sampling_rte" in proc.stderr
    assert not (tmp_path / "o").exists()


def test_bad_set_value_names_key(capsys, tmp_path):
    code = main(["run", str(FI), "--out", str(tmp_path / "o"), "--set", "moderation.sampling_rate=1.5"])
    assert code == 2
    err = capsys.readouterr().err
    assert "moderation.sampling_rate" in err and "1.5" in err


def test_validate_and_explain(capsys, tmp_path):
    assert main(["validate", str(FI)]) == 0
    assert "ok" in capsys.readouterr().out
    bad = tmp_path / "cycle_a.yaml"
    other = tmp_path / "cycle_b.yaml"
    bad.write_text("extends: cycle_b.yaml\nname: a\n")
    other.write_text("extends: cycle_a.yaml\nname: b\n")
    assert main(["validate", str(FI), str(bad)]) == 1
    assert "cycle" in capsys.readouterr().err
    assert main(["explain", str(FI), "--kind", "assumption"]) == 0
    text = capsys.readouterr().out
    assert "diffusion.worker_q" in text and "assumption" in text and "range" in text
    assert "diffusion.p =" not in text  # diffusion.p is sourced, not an assumption
    # a table's one range, and what it does to each of its values
    assert "#   population.size_shares: tempering exponent" in text
    assert "table providers: factor on seats, teachers, min_cohort" in text
    assert "table providers: not a number, held" in text  # e.g. a provider's delivery mode


def test_table_assumption_without_range_clear_error_no_traceback(tmp_path):
    bad = tmp_path / "table.yaml"
    bad.write_text(
        f"extends: {FI}\nname: bad\nemployer:\n  issuer_quality:\n"
        "    value: {oem: 0.9, private: 0.4}\n    assumption: a guess\n",
        encoding="utf-8",
    )
    proc = _run_as_a_user(bad, tmp_path / "o")
    assert str(bad) in proc.stderr and "employer.issuer_quality" in proc.stderr and "range" in proc.stderr


def test_usage_errors(capsys, tmp_path):
    assert main(["run", str(FI), "--reps", "0", "--out", str(tmp_path / "x")]) == 2
    with pytest.raises(SystemExit) as exc:
        main(["run"])
    assert exc.value.code == 2


def test_bundled_names_from_any_folder(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no scenarios/ here: names come from the bundle
    assert main(["validate", "fi/workshop"]) == 0  # a workshop set lists its scenarios beside it
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 6 and all(line.startswith("ok ") for line in lines)
    assert main(["explain", "es/baseline", "--kind", "source"]) == 0
    assert str(REPO / "scenarios" / "es" / "baseline.yaml") in capsys.readouterr().out
    assert main(["validate", "fi/basline"]) == 1
    assert "did you mean fi/baseline" in capsys.readouterr().err
    assert main(["run", "fi/basline", "--out", str(tmp_path / "o")]) == 2
    assert "did you mean fi/baseline" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
