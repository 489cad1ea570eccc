"""Resumable sweeps: every design point × replication of a SPEC, on local processes or Dask.

Why this shape (DESIGN §6): a sweep of thousands of runs outgrows one machine and gets killed, so
(1) runs are jobs of the execution layer (``analysis.execution``: local processes or Dask, through
``concurrent.futures``; no scheduler of our own); (2) a run's seed comes from its identity (scenario
hash, design point id, replication), never from submission order, so every executor gives
identical results; (3) the layer's result store writes each run to its own Parquet file under a
temporary name and renames it into place, so a killed sweep restarted with the same command does
only the missing runs and never corrupts or drops a finished one. A failed run (a bad combination,
an exception) is recorded with its parameters and error, and the sweep goes on. When the runs are
done they are combined into one table.

Layout of ``--out DIR``: ``sweep.json`` (the common manifest; identity, factors and sessions under
``sweep``), ``runs/`` (one file per
run: ``<point>-r<rep>.parquet``, or ``.failed.parquet``), ``design.csv``, ``results.parquet`` and
``results.csv`` (one row per run), ``points.csv`` (mean per design point), ``failures.csv``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.execution import Job, Outcome, ResultStore, Runner, perform, whole_kpis, write_atomic
from analysis.execution.runner import MAX_IN_FLIGHT
from analysis.manifest import manifest, now, resume, scenario_entry, write_manifest
from analysis.sweep_spec import SpecError, SweepSpec, load_spec
from model.kpis import KPI_NAMES
from model.params import load_scenario, override_text
from model.streams import derive_seed

__all__ = [
    "RunTask",
    "Sweep",
    "SweepError",
    "SessionReport",
    "SpecError",
    "error_text",
    "evaluate",
    "execute",
    "record",
    "run_seed",
    "sweep_command",
]


class SweepError(RuntimeError):
    """The sweep cannot start or go on (a folder holding other results, an unreadable sweep.json)."""


# ------------------------------------------------------------------------------ one run


def run_seed(base_seed: int, scenario_hash: str, point: str, rep: int, common: bool = False) -> int:
    """Seed of one run from its identity; with ``common`` every design point shares rep seeds."""
    return derive_seed(base_seed, scenario_hash, "common" if common else point, rep)


@dataclass(frozen=True)
class RunTask:
    """One planned run: design point, replication and the seed that follows from them."""

    point_id: str
    rep: int
    seed: int
    scenario: str
    overrides: tuple[tuple[str, Any], ...]
    deadweight: bool = True

    @property
    def stem(self) -> str:
        """File name stem of the run: ``<point id>-r<rep>``."""
        return f"{self.point_id}-r{self.rep:04d}"

    def job(self) -> Job:
        """The run as a job of the execution layer (the scenario is read in the worker)."""
        texts = tuple(override_text(k, v) for k, v in self.overrides)
        return Job(
            whole_kpis, self.scenario, self.seed, "vector", texts, {"deadweight": self.deadweight}, self.stem
        )


def evaluate(scenario: str | Path, overrides: dict[str, Any], seed: int, deadweight: bool = True) -> dict:
    """Whole-run KPIs of one vector-engine run of a scenario file with exactly encoded overrides.

    Raises :class:`ScenarioError` when the combination of overrides is not a valid scenario.
    """
    texts = tuple(override_text(k, v) for k, v in overrides.items())
    return Job(whole_kpis, str(scenario), seed, "vector", texts, {"deadweight": deadweight}).run()


def error_text(outcome: Outcome) -> str:
    """Why a run failed, as a results table writes it ('' when it did not)."""
    e = outcome.error
    if e is None:
        return ""
    if e.invalid_scenario:
        return "invalid combination: " + e.message.replace("<command line --set>: ", "")
    return f"{e.kind}: {e.message}\n{e.trace}"


def record(task: RunTask, outcome: Outcome) -> dict[str, Any]:
    """The sweep's row for one run: identity, status, error, timing and every KPI (NaN if failed)."""
    whole = outcome.value or {}
    row: dict[str, Any] = {
        "point_id": task.point_id,
        "rep": task.rep,
        "seed": task.seed,
        "status": "ok" if outcome.ok else "failed",
        "error": error_text(outcome),
        "seconds": outcome.seconds,
        "host": outcome.host,
    }
    for name in KPI_NAMES:
        row[name] = float(whole.get(name, np.nan))
    return row


def execute(task: RunTask) -> dict[str, Any]:
    """Run one task here; never raises for a model problem (it is recorded instead)."""
    return record(task, perform(task.job(), record_failures=True))


# ------------------------------------------------------------------------------- files


@dataclass
class SessionReport:
    """What one invocation did: counts, timing and where the results are."""

    planned: int = 0
    skipped: int = 0
    ran: int = 0
    ok: int = 0
    failed: int = 0
    lost: int = 0
    seconds: float = 0.0
    run_seconds: list[float] = field(default_factory=list)
    lost_errors: list[str] = field(default_factory=list)
    complete: bool = False

    @property
    def remaining(self) -> int:
        """Runs neither finished nor failed."""
        return self.planned - self.skipped - self.ran

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary for ``sweep.json``."""
        secs = np.array(self.run_seconds) if self.run_seconds else np.array([np.nan])
        return {
            "planned": self.planned,
            "skipped": self.skipped,
            "ran": self.ran,
            "ok": self.ok,
            "failed": self.failed,
            "lost": self.lost,
            "wall_seconds": round(self.seconds, 3),
            "run_seconds_mean": None if not self.run_seconds else round(float(secs.mean()), 4),
            "run_seconds_median": None if not self.run_seconds else round(float(np.median(secs)), 4),
            "complete": self.complete,
        }


class Sweep:
    """A SPEC bound to an output folder; ``run`` does the missing runs, ``combine`` the tables."""

    def __init__(self, spec: SweepSpec, out: Path) -> None:
        self.spec = spec
        self.out = Path(out)
        self.runs_dir = self.out / "runs"
        self.points = spec.points()
        self.tasks = self._plan()
        self.report = SessionReport(planned=len(self.tasks))
        #: how this session runs (executor, scheduler, jobs), logged in ``sweep.json``
        self.where: dict[str, Any] = {}
        #: the command line of this session (default ``sys.argv``), logged in ``sweep.json``
        self.argv: list[str] | None = None
        self.store = ResultStore(self.runs_dir, self._row)
        self._values = {p.point_id: p.values for p in self.points}
        self._by_stem = {t.stem: t for t in self.tasks}
        self._section: dict[str, Any] | None = None
        self._created: str | None = None
        self._scenario: dict[str, Any] = {}

    def _plan(self) -> list[RunTask]:
        s = self.spec
        tasks = []
        for p in self.points:
            overrides = (*s.constants.items(), *p.values.items())
            for rep in range(s.replications):
                seed = run_seed(s.seed, s.scenario_hash, p.point_id, rep, s.common_random_numbers)
                tasks.append(RunTask(p.point_id, rep, seed, str(s.scenario), tuple(overrides), s.deadweight))
        return tasks

    # -- the output folder ------------------------------------------------------------------
    def prepare(self) -> None:
        """Check the folder holds nothing or this same sweep; lock it; drop stale temp files."""
        sessions, self._created = resume(self.out, "sweep.json", "sweep", self.spec.identity(), SweepError)
        self.store.open()
        section: dict[str, Any] = {"identity": self.spec.identity(), "sessions": sessions}
        s = self.spec
        section |= {
            "spec": str(s.path),
            "spec_text": s.text,
            "name": s.name,
            "factors": [f.describe() for f in s.factors],
            "design": {
                "levers": vars(s.lever_sampler),
                "uncertainties": vars(s.uncertainty_sampler),
                "seed": s.design_seed,
                "points": len(self.points),
            },
            "common_random_numbers": s.common_random_numbers,
            "outcomes": list(s.outcomes),
            "runs_planned": len(self.tasks),
        }
        self._section = section
        self._scenario = scenario_entry(load_scenario(s.scenario, s.constant_overrides()))
        self._write_manifest()

    def _write_manifest(self) -> None:
        """``sweep.json``: the common manifest, with the sweep's identity and sessions under ``sweep``."""
        s, section = self.spec, self._section
        if section is None:
            return
        meta = manifest(
            "sweep",
            scenarios=[self._scenario],
            seed=s.seed,
            reps=s.replications,
            seeds=None,
            engine="vector",
            deadweight=s.deadweight,
            executor=self.where or None,
            overrides=s.constant_overrides(),
            seconds=sum(x.get("wall_seconds") or 0.0 for x in section["sessions"]),
            created=self._created,
            argv=self.argv,
            sections={"sweep": section},
        )
        self._created = meta["created"]
        write_manifest(self.out / "sweep.json", meta)

    def release(self) -> None:
        """Release the folder lock."""
        self.store.close()

    def _row(self, outcome: Outcome) -> dict[str, Any]:
        """A run's file: its record and the values of the factors by name."""
        task = self._by_stem[outcome.key]
        names = {f.key: f.name for f in self.spec.factors}
        return {**record(task, outcome), **{names[k]: v for k, v in self._values[task.point_id].items()}}

    # -- running ------------------------------------------------------------------------------
    def run(
        self,
        runner: Runner,
        retry_failed: bool = False,
        on_progress: Callable[[SessionReport], None] | None = None,
        max_inflight: int = MAX_IN_FLIGHT,
    ) -> Sweep:
        """Run every missing run and save each as it completes; returns self (see ``report``).

        At most ``max_inflight`` runs are submitted ahead (one when the runner runs them here), so
        every finished run is on disk before the next one starts.
        """
        self.where = runner.describe()
        jobs = [t.job() for t in self.tasks]
        rep = self.report = SessionReport(
            planned=len(jobs), skipped=len(jobs) - len(self.store.pending(jobs, retry_failed))
        )
        t0 = time.perf_counter()
        if on_progress:
            on_progress(rep)

        def collect(outcome: Outcome) -> None:
            rep.ran += 1
            if outcome.lost:  # the executor lost the run: retried next time
                rep.lost += 1
                rep.lost_errors.append(f"{outcome.key}: {outcome.error.kind}: {outcome.error.message}")
            else:
                rep.ok += outcome.ok
                rep.failed += not outcome.ok
                rep.run_seconds.append(outcome.seconds)
            if on_progress:
                on_progress(rep)

        try:
            batch = runner.run(
                jobs,
                on_done=collect,
                store=self.store,
                retry_failed=retry_failed,
                record_failures=True,
                window=max_inflight,
            )
            for _ in batch:
                pass
        finally:
            rep.seconds = time.perf_counter() - t0
            rep.complete = rep.lost == 0 and rep.remaining == 0
            self._log_session()
        return self

    def _log_session(self) -> None:
        if self._section is None:
            return
        self._section["sessions"].append({"finished": now(), **self.report.as_dict(), **self.where})
        self._write_manifest()

    # -- combining ----------------------------------------------------------------------------
    def design_table(self) -> pd.DataFrame:
        """One row per design point: ids and factor values by name."""
        rows = []
        for p in self.points:
            rows.append(
                {
                    "point_id": p.point_id,
                    "policy_id": p.policy_id,
                    **{f.name: p.values[f.key] for f in self.spec.factors},
                }
            )
        return pd.DataFrame(rows, columns=["point_id", "policy_id", *[f.name for f in self.spec.factors]])

    def combine(self) -> pd.DataFrame:
        """Read every run file of the design into one table and write the result files."""
        design = self.design_table()
        frames = self.store.read(t.stem for t in self.tasks)
        cols = ["point_id", "rep", "seed", "status", "error", "seconds", "host"]
        if frames:
            runs = pd.concat(frames, ignore_index=True)
            runs = runs.reindex(columns=[*cols, *KPI_NAMES])
        else:
            runs = pd.DataFrame(columns=[*cols, *KPI_NAMES])
        table = design.merge(runs, on="point_id", how="inner")
        order = {pid: i for i, pid in enumerate(design["point_id"])}
        table = table.sort_values(
            ["point_id", "rep"], key=lambda c: c.map(order) if c.name == "point_id" else c
        )
        factor_cols = [f.name for f in self.spec.factors]
        table = table[
            [
                "point_id",
                "policy_id",
                "rep",
                "seed",
                "status",
                *factor_cols,
                *self.spec.outcomes,
                "seconds",
                "host",
                "error",
            ]
        ].reset_index(drop=True)
        ok = table[table["status"] == "ok"]
        points = ok.groupby("point_id", sort=False)[list(self.spec.outcomes)].mean()
        points.insert(0, "reps_ok", ok.groupby("point_id", sort=False).size())
        points = design.merge(points.reset_index(), on="point_id", how="left")
        points["reps_ok"] = points["reps_ok"].fillna(0).astype(int)
        failures = table[table["status"] != "ok"]
        write_atomic(self.out / "design.csv", lambda p: design.to_csv(p, index=False))
        write_atomic(self.out / "results.parquet", lambda p: table.to_parquet(p, index=False))
        write_atomic(self.out / "results.csv", lambda p: table.to_csv(p, index=False))
        write_atomic(self.out / "points.csv", lambda p: points.to_csv(p, index=False))
        write_atomic(self.out / "failures.csv", lambda p: failures.to_csv(p, index=False))
        return table


# --------------------------------------------------------------------------------- CLI


def sweep_command(
    spec_path: str | Path,
    out: Path,
    executor: str | None = None,
    scheduler: str | None = None,
    jobs: int = 1,
    retry_failed: bool = False,
    argv: list[str] | None = None,
) -> int:
    """``mcsim sweep``: returns 0 when every run succeeded, 1 when some failed or were lost."""
    from tqdm import tqdm

    runner = Runner(jobs, executor, scheduler)
    spec = load_spec(spec_path)
    sweep = Sweep(spec, out)
    sweep.argv = argv
    sweep.prepare()
    try:
        with (
            tqdm(total=len(sweep.tasks), desc="sweep", unit="run", file=sys.stderr, disable=None) as bar,
            runner,
        ):
            last = [-1e9]

            def progress(r: SessionReport) -> None:
                done, failed = r.skipped + r.ok, r.failed + r.lost
                bar.n = r.skipped + r.ran
                bar.set_postfix(done=done, failed=failed, remaining=r.remaining)
                if bar.disable and (time.monotonic() - last[0] >= 60 or r.remaining == 0):
                    # no terminal (a batch job's log): one line a minute instead of a bar
                    last[0] = time.monotonic()
                    print(
                        f"sweep: {done} done, {failed} failed, {r.remaining} remaining",
                        file=sys.stderr,
                        flush=True,
                    )

            sweep.run(runner, retry_failed=retry_failed, on_progress=progress)
        table = sweep.combine()
    finally:
        sweep.release()
    r = sweep.report
    n_ok = int((table["status"] == "ok").sum())
    n_failed = int((table["status"] != "ok").sum())
    per_run = f"; {np.mean(r.run_seconds):.2f} s per run in the workers" if r.run_seconds else ""
    print(
        f"{spec.name}: {len(sweep.points)} design points x {spec.replications} replications = "
        f"{len(sweep.tasks)} runs. This session ran {r.ran} ({r.skipped} already done) in "
        f"{r.seconds:.1f} s{per_run}."
    )
    print(f"Results: {n_ok} ok, {n_failed} failed -> {(Path(out) / 'results.parquet').resolve()}")
    if n_failed:
        print(f"Failed runs with their parameters and errors: {(Path(out) / 'failures.csv').resolve()}")
    if r.lost:
        print(
            f"mcsim: {r.lost} runs were lost by the executor (first: {r.lost_errors[0]}); "
            "run the same command again to do them",
            file=sys.stderr,
        )
    return 0 if n_failed == 0 and r.lost == 0 and len(table) == len(sweep.tasks) else 1
