"""The execution layer: job order kept, failures recorded or raised, bad choices refused, executors agree."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pandas as pd
import pytest

from analysis.cli import main
from analysis.execution import ExecutionError, Job, ResultStore, Runner
from tests.conftest import FI

SMALL = ["--set", "population.workers=300", "--set", "horizon_weeks=30"]


def _sleep_then_seed(delay: float, seed: int, engine: str, fail: bool = False) -> int:
    """A job task: waits ``delay`` seconds (the job's "scenario") and returns its seed."""
    time.sleep(delay)
    if fail:
        raise ValueError(f"job {seed} failed")
    return seed


def _jobs(delays: list[float], fail: int | None = None) -> list[Job]:
    return [
        Job(_sleep_then_seed, d, seed, options={"fail": seed == fail}, key=f"j{seed}")
        for seed, d in enumerate(delays)
    ]


def test_outcomes_come_in_job_order_while_progress_follows_completion():
    finished = []
    with ThreadPoolExecutor(max_workers=4) as pool:
        runner = Runner(pool=pool)
        outcomes = list(runner.run(_jobs([0.3, 0.2, 0.1, 0.0]), on_done=lambda o: finished.append(o.value)))
    assert [o.value for o in outcomes] == [0, 1, 2, 3]
    assert finished == [3, 2, 1, 0]  # the last job finished first
    assert runner.runs == 4 and all(o.seconds >= 0 and o.host for o in outcomes)
    assert runner.describe()["executor"] == "ThreadPoolExecutor"


def test_a_failing_job_raises_or_is_recorded():
    with pytest.raises(ValueError, match="job 1 failed"):
        Runner().map(_jobs([0, 0, 0], fail=1))
    outcomes = list(Runner().run(_jobs([0, 0, 0], fail=1), record_failures=True))
    assert [o.ok for o in outcomes] == [True, False, True]
    assert outcomes[1].error.kind == "ValueError" and "job 1 failed" in outcomes[1].error.message
    assert not outcomes[1].lost and outcomes[1].value is None


def test_a_store_saves_each_job_and_a_rerun_does_only_the_missing_ones(tmp_path):
    store = ResultStore(tmp_path / "runs", lambda o: {"key": o.key, "value": o.value}).open()
    first = list(Runner().run(_jobs([0, 0, 0], fail=2), store=store, record_failures=True))
    assert len(first) == 3
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == [
        "j0.parquet",
        "j1.parquet",
        "j2.failed.parquet",
    ]
    (tmp_path / "runs" / "j1.parquet").unlink()
    again = list(Runner().run(_jobs([0, 0, 0], fail=2), store=store, record_failures=True))
    assert [o.key for o in again] == ["j1"]  # the finished and the failed one are not run again
    retried = list(Runner().run(_jobs([0, 0, 0]), store=store, retry_failed=True, record_failures=True))
    assert [o.key for o in retried] == ["j2"] and retried[0].ok
    assert not (tmp_path / "runs" / "j2.failed.parquet").exists()
    rows = pd.concat(store.read(["j0", "j1", "j2"]), ignore_index=True)
    assert rows["value"].tolist() == [0, 1, 2]
    with pytest.raises(ExecutionError, match="another process"):
        ResultStore(tmp_path / "runs", dict).open()  # the first store still holds the folder
    store.close()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"jobs": 0}, "--jobs must be at least 1"),
        ({"executor": "local", "scheduler": "tcp://x:1"}, "--scheduler"),
        ({"executor": "slurm"}, "unknown executor 'slurm'"),
    ],
)
def test_bad_executor_choices_are_refused(kwargs, message):
    with pytest.raises(ExecutionError, match=message):
        Runner(**kwargs)


def test_a_parallel_runner_must_be_opened_first():
    with pytest.raises(ExecutionError, match="open the Runner"):
        Runner(jobs=2).map(_jobs([0]))


def test_cli_refuses_a_bad_executor_choice_before_writing(tmp_path, capsys):
    out = tmp_path / "o"
    assert main(["run", str(FI), "--out", str(out), "--executor", "local", "--scheduler", "x:1"]) == 2
    assert "--scheduler" in capsys.readouterr().err and not out.exists()
    assert main(["run", str(FI), "--out", str(out), "--jobs", "0"]) == 2
    assert "--jobs must be at least 1" in capsys.readouterr().err and not out.exists()


def test_compare_gives_identical_tables_in_this_process_local_processes_and_dask(tmp_path):
    pytest.importorskip("distributed")
    base = ["compare", str(FI), str(FI.parent / "ca_fund.yaml"), "--reps", "3", "--engine", "vector"]
    base += [*SMALL, "--ensemble", "2", "--ensemble-reps", "1"]
    where = {
        "sequential": [],
        "processes": ["--jobs", "2"],
        "dask": ["--executor", "dask", "--jobs", "2"],
    }
    for label, extra in where.items():
        assert main([*base, *extra, "--out", str(tmp_path / label)]) == 0
    tables = ["kpis", "runs", "summary", "differences", "funders_runs", "ensemble_runs"]
    for name in (f"{t}.csv" for t in tables):
        ref = pd.read_csv(tmp_path / "sequential" / name)
        assert len(ref) > 0, name
        for label in ("processes", "dask"):
            pd.testing.assert_frame_equal(pd.read_csv(tmp_path / label / name), ref, check_exact=True)
    for label, kind in (("sequential", "local"), ("processes", "local"), ("dask", "dask")):
        meta = pd.read_json(tmp_path / label / "manifest.json", typ="series")
        assert meta["executor"]["executor"] == kind
