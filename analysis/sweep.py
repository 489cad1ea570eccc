"""Resumable sweeps: every design point × replication of a SPEC, on local processes or Dask.

Why this shape (DESIGN §6): a sweep of thousands of runs outgrows one machine and gets killed, so
(1) runs go through the ``concurrent.futures`` interface, which local process pools and Dask
distributed (``Client.get_executor``) both offer: no scheduler of our own; (2) a run's seed comes
from its identity (scenario hash, design point id, replication), never from submission order, so
every executor gives identical results; (3) each run writes its own Parquet file under a temporary
name and renames it into place, so a killed sweep restarted with the same command does only the
missing runs and never corrupts or drops a finished one. A failed run (a bad combination, an
exception) is recorded with its parameters and error, and the sweep goes on. When the runs are
done they are combined into one table.

Layout of ``--out DIR``: ``sweep.json`` (identity, factors, sessions), ``runs/`` (one file per
run: ``<point>-r<rep>.parquet``, or ``.failed.parquet``), ``design.csv``, ``results.parquet`` and
``results.csv`` (one row per run), ``points.csv`` (mean per design point), ``failures.csv``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import json
import logging
import multiprocessing
import os
import platform
import sys
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.outputs import versions
from analysis.sweep_spec import SpecError, SweepSpec, load_spec
from model import __version__
from model.api import simulate
from model.kpis import KPI_NAMES
from model.params import ScenarioError, load_scenario, override_text
from model.streams import derive_seed

__all__ = [
    "RunTask",
    "SequentialExecutor",
    "Sweep",
    "SweepError",
    "SessionReport",
    "SpecError",
    "evaluate",
    "execute",
    "open_executor",
    "run_seed",
    "sweep_command",
]

try:  # POSIX: one sweep at a time per folder
    import fcntl
except ImportError:  # pragma: no cover (Windows)
    fcntl = None  # type: ignore[assignment]


_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


class SweepError(RuntimeError):
    """The sweep cannot start or go on (an unreachable scheduler, a busy folder)."""


# ------------------------------------------------------------------------------ one run


def run_seed(base_seed: int, scenario_hash: str, point: str, rep: int, common: bool = False) -> int:
    """Seed of one run from its identity; with ``common`` every design point shares rep seeds."""
    return derive_seed(base_seed, scenario_hash, "common" if common else point, rep)


#: Packages whose versions sweep.json records.
_DEPS = ("numpy", "scipy", "pandas", "pyarrow", "dask", "distributed", "ema_workbench")


@dataclass(frozen=True)
class RunTask:
    """Everything a worker needs for one run (small and picklable; the scenario is read there)."""

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


def evaluate(scenario: str | Path, overrides: dict[str, Any], seed: int, deadweight: bool = True) -> dict:
    """Whole-run KPIs of one vector-engine run: ``model.api.run`` with exact value encoding.

    Raises :class:`ScenarioError` when the combination of overrides is not a valid scenario.
    """
    loaded = load_scenario(scenario, [override_text(k, v) for k, v in overrides.items()])
    return simulate(loaded.config, seed, "vector", deadweight=deadweight).whole


def execute(task: RunTask) -> dict[str, Any]:
    """Run one task in a worker; never raises for a model problem (it is recorded instead)."""
    t0 = time.perf_counter()
    status, error, whole = "ok", "", {}
    try:
        whole = evaluate(task.scenario, dict(task.overrides), task.seed, task.deadweight)
    except ScenarioError as exc:
        status, error = "failed", "invalid combination: " + str(exc).replace("<command line --set>: ", "")
    except Exception as exc:  # noqa: BLE001 (a failed run is recorded, the sweep goes on)
        tb = traceback.format_exc(limit=-3)
        status, error = "failed", f"{type(exc).__name__}: {exc}\n{tb}"
    record: dict[str, Any] = {
        "point_id": task.point_id,
        "rep": task.rep,
        "seed": task.seed,
        "status": status,
        "error": error,
        "seconds": time.perf_counter() - t0,
        "host": platform.node(),
    }
    for name in KPI_NAMES:
        record[name] = float(whole.get(name, np.nan))
    return record


# --------------------------------------------------------------------------- executors


class SequentialExecutor(Executor):
    """Runs each task when submitted, in this process (``--jobs 1`` and tests)."""

    def submit(self, fn, /, *args, **kwargs) -> Future:  # noqa: D102
        fut: Future = Future()
        try:
            fut.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 (handed to the caller through the future)
            if isinstance(exc, KeyboardInterrupt):
                raise
            fut.set_exception(exc)
        return fut


@contextlib.contextmanager
def open_executor(kind: str = "local", scheduler: str | None = None, jobs: int = 1) -> Iterator[Executor]:
    """A ``concurrent.futures`` executor: local processes, or Dask (a scheduler or a LocalCluster).

    ``scheduler`` is a Dask scheduler address (``tcp://host:8786``) or a scheduler file written by
    ``dask scheduler --scheduler-file FILE`` (the usual way inside an HPC batch job).
    """
    if kind == "local":
        if jobs == 1:
            yield SequentialExecutor()
            return
        # spawn: worker processes start clean (forking a threaded parent can deadlock); one BLAS/OpenMP
        # thread per worker, as Dask's nannies set it, so N workers do not oversubscribe N cores
        saved = {k: os.environ.get(k) for k in _THREAD_VARS}
        os.environ.update({k: "1" for k, v in saved.items() if v is None})
        pool = ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"))
        try:
            yield pool
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
        return
    if kind != "dask":
        raise SweepError(f"unknown executor {kind!r}; expected local or dask")
    try:
        from distributed import Client, LocalCluster
    except ImportError:  # pragma: no cover (a dependency)
        raise SweepError(
            "the dask executor needs dask[distributed]: pip install 'dask[distributed]'"
        ) from None
    cluster = None
    try:
        if scheduler and Path(scheduler).is_file():  # `dask scheduler --scheduler-file FILE`
            client = Client(scheduler_file=scheduler, timeout="20s")
        elif scheduler:
            client = Client(scheduler, timeout="20s")
        else:
            cluster = LocalCluster(
                n_workers=jobs,
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",
                silence_logs=logging.ERROR,
            )
            client = Client(cluster)
    except (OSError, TimeoutError) as exc:
        if cluster is not None:
            cluster.close()
        raise SweepError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
    try:
        yield client.get_executor(pure=False)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


# ------------------------------------------------------------------------------- files


def _write_atomic(path: Path, write: Callable[[Path], None]) -> None:
    """Write through a temporary name in the same folder, then rename: never a half file."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def _write_json(path: Path, data: dict) -> None:
    _write_atomic(path, lambda p: p.write_text(json.dumps(data, indent=2, default=str), encoding="utf-8"))


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
        self._values = {p.point_id: p.values for p in self.points}
        self._meta: dict[str, Any] | None = None
        self._lock = None

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
        meta_path = self.out / "sweep.json"
        if self.out.exists() and not self.out.is_dir():
            raise SweepError(f"{self.out}: exists and is not a folder")
        if self.out.exists() and any(self.out.iterdir()) and not meta_path.exists():
            raise SweepError(f"{self.out}: already holds other results (no sweep.json); choose another --out")
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        self._take_lock()
        if meta_path.exists():
            try:
                meta = json.loads(meta_path.read_text(encoding="utf-8"))
                old = meta["identity"]
            except (OSError, ValueError, KeyError, TypeError) as exc:
                raise SweepError(f"{meta_path}: unreadable ({exc}); choose another --out") from None
            new = self.spec.identity()
            diff = [k for k in new if old.get(k) != new[k]]
            if diff:
                k = diff[0]
                raise SweepError(
                    f"{self.out}: holds runs of a different sweep ({k} was {old.get(k)!r}, now {new[k]!r}); "
                    "its finished runs are kept: choose another --out"
                )
        else:
            meta = {"created": _now(), "identity": self.spec.identity(), "sessions": []}
        meta.update(self._description())
        self._meta = meta
        _write_json(meta_path, meta)
        for tmp in self.runs_dir.glob(".*.tmp"):  # left by a killed sweep: never a finished run
            tmp.unlink(missing_ok=True)

    def _take_lock(self) -> None:
        if fcntl is None:  # pragma: no cover
            return
        fh = open(self.out / ".lock", "w")  # noqa: SIM115 (held for the sweep's lifetime)
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.close()
            raise SweepError(f"{self.out}: another sweep is writing into this folder") from None
        self._lock = fh

    def release(self) -> None:
        """Release the folder lock."""
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def _description(self) -> dict[str, Any]:
        s = self.spec
        return {
            "mcsim_version": __version__,
            "spec": str(s.path),
            "scenario": str(s.scenario),
            "spec_text": s.text,
            "name": s.name,
            "constants": s.constants,
            "factors": [f.describe() for f in s.factors],
            "design": {
                "levers": vars(s.lever_sampler),
                "uncertainties": vars(s.uncertainty_sampler),
                "seed": s.design_seed,
                "points": len(self.points),
            },
            "replications": s.replications,
            "outcomes": list(s.outcomes),
            "runs_planned": len(self.tasks),
            "dependencies": versions(_DEPS),
        }

    def finished(self, retry_failed: bool = False) -> set[str]:
        """Stems of runs with a result file (failed ones too, unless ``retry_failed``)."""
        ok = {
            p.name.removesuffix(".parquet")
            for p in self.runs_dir.glob("*.parquet")
            if ".failed." not in p.name
        }
        failed = {p.name.removesuffix(".failed.parquet") for p in self.runs_dir.glob("*.failed.parquet")}
        for stem in ok & failed:  # a retried run succeeded just before a kill: the success stands
            (self.runs_dir / f"{stem}.failed.parquet").unlink(missing_ok=True)
        return ok if retry_failed else ok | failed

    def _save(self, record: dict[str, Any]) -> None:
        names = {f.key: f.name for f in self.spec.factors}
        task_values = self._values[record["point_id"]]
        row = {**record, **{names[k]: v for k, v in task_values.items()}}
        stem = f"{record['point_id']}-r{record['rep']:04d}"
        ok = record["status"] == "ok"
        path = self.runs_dir / (f"{stem}.parquet" if ok else f"{stem}.failed.parquet")
        frame = pd.DataFrame([row])
        _write_atomic(path, lambda p: frame.to_parquet(p, index=False))
        if ok:
            (self.runs_dir / f"{stem}.failed.parquet").unlink(missing_ok=True)

    # -- running ------------------------------------------------------------------------------
    def run(
        self,
        executor: Executor,
        retry_failed: bool = False,
        on_progress: Callable[[SessionReport], None] | None = None,
        max_inflight: int = 10_000,
    ) -> Sweep:
        """Submit every missing run and save each as it completes; returns self (see ``report``).

        At most ``max_inflight`` runs are submitted ahead (one for the sequential executor, whose
        ``submit`` runs the task), so every finished run is on disk before the next one starts.
        """
        done = self.finished(retry_failed)
        todo = iter([t for t in self.tasks if t.stem not in done])
        rep = self.report = SessionReport(
            planned=len(self.tasks), skipped=len(done & {t.stem for t in self.tasks})
        )
        window = 1 if isinstance(executor, SequentialExecutor) else max(1, max_inflight)
        t0 = time.perf_counter()
        if on_progress:
            on_progress(rep)
        futures: dict[Future, RunTask] = {}
        try:
            while True:
                for task in itertools.islice(todo, window - len(futures)):
                    futures[executor.submit(execute, task)] = task
                if not futures:
                    break
                finished, _ = wait(futures, return_when=FIRST_COMPLETED)
                for fut in finished:
                    self._collect(futures.pop(fut), fut, rep)
                    if on_progress:
                        on_progress(rep)
        finally:
            for fut in futures:
                fut.cancel()
            rep.seconds = time.perf_counter() - t0
            rep.complete = rep.lost == 0 and rep.remaining == 0
            self._log_session()
        return self

    def _collect(self, task: RunTask, fut: Future, rep: SessionReport) -> None:
        rep.ran += 1
        try:
            record = fut.result()
        except Exception as exc:  # noqa: BLE001 (the executor lost the run: retried next time)
            rep.lost += 1
            rep.lost_errors.append(f"{task.stem}: {type(exc).__name__}: {exc}")
            return
        self._save(record)
        rep.ok += record["status"] == "ok"
        rep.failed += record["status"] != "ok"
        rep.run_seconds.append(record["seconds"])

    def _log_session(self) -> None:
        meta = self._meta
        if meta is None:
            return
        meta["sessions"].append({"finished": _now(), **self.report.as_dict(), **self.where})
        _write_json(self.out / "sweep.json", meta)

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
        frames = []
        for t in self.tasks:
            path = self.runs_dir / f"{t.stem}.parquet"
            if not path.exists():
                path = self.runs_dir / f"{t.stem}.failed.parquet"
            if not path.exists():
                continue
            try:
                frames.append(pd.read_parquet(path, columns=None))
            except Exception as exc:  # noqa: BLE001
                raise SweepError(f"{path}: cannot be read ({exc}); move it aside and rerun") from None
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
        _write_atomic(self.out / "design.csv", lambda p: design.to_csv(p, index=False))
        _write_atomic(self.out / "results.parquet", lambda p: table.to_parquet(p, index=False))
        _write_atomic(self.out / "results.csv", lambda p: table.to_csv(p, index=False))
        _write_atomic(self.out / "points.csv", lambda p: points.to_csv(p, index=False))
        _write_atomic(self.out / "failures.csv", lambda p: failures.to_csv(p, index=False))
        return table


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


# --------------------------------------------------------------------------------- CLI


def sweep_command(
    spec_path: str | Path,
    out: Path,
    executor: str | None = None,
    scheduler: str | None = None,
    jobs: int = 1,
    retry_failed: bool = False,
) -> int:
    """``mcsim sweep``: returns 0 when every run succeeded, 1 when some failed or were lost."""
    from tqdm import tqdm

    if jobs < 1:
        raise SweepError("--jobs must be at least 1")
    if executor == "local" and scheduler:
        raise SweepError("--scheduler is an address of a Dask scheduler: use it with --executor dask")
    kind = executor or ("dask" if scheduler else "local")
    spec = load_spec(spec_path)
    sweep = Sweep(spec, out)
    sweep.prepare()
    sweep.where = {"executor": kind, "scheduler": scheduler, "jobs": jobs}
    try:
        with (
            tqdm(total=len(sweep.tasks), desc="sweep", unit="run", file=sys.stderr, disable=None) as bar,
            open_executor(kind, scheduler, jobs) as ex,
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

            sweep.run(ex, retry_failed=retry_failed, on_progress=progress)
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
