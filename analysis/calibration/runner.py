"""Running many (parameter vector, seed) pairs on the vector engine, in parallel processes.

Why here and not in the engines: calibration and sensitivity only need the public run API
(``model.api.simulate``) and a map over independent jobs. Jobs go through ``concurrent.futures``
(spawned processes, as ``analysis.experiment`` does); with ``jobs=1`` and no executor they run in
this process, which is what tests use. Results come back in submission order, so a job's result
never depends on which process ran it or when.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from typing import Any

import numpy as np

from analysis.calibration.indicators import INDICATORS, RunView, measure
from model.api import simulate
from model.compiled import compile_scenario
from model.engines import run_engine
from model.params import Scenario

__all__ = ["Runner", "indicator_job", "kpi_job"]


def indicator_job(
    cfg: Scenario, seed: int, engine: str, keys: Sequence[tuple], deadweight: bool
) -> np.ndarray:
    """One run; the simulated value of each target key.

    Indicators of people and firms read the engine's event log and population (``run_engine``,
    entrants of labour-market flows included); whole-run KPIs come from ``simulate``. A target
    set that needs both runs the seed twice (keyed randomness makes the two runs identical).
    """
    compiled = compile_scenario(cfg)
    steps = compiled.cfg.horizon_weeks
    subjects = {INDICATORS[k[0]].subject for k in keys}
    need_kpis = deadweight or "kpi" in subjects
    events = population = initial = kpis = whole = None
    if subjects - {"kpi"}:
        res = run_engine(engine, compiled, seed, steps)
        events, population, initial = res.events, res.population, res.initial
    if need_kpis:
        out = simulate(compiled, seed, engine, deadweight=deadweight, keep_events=events is None)
        kpis, whole = out.kpis, out.whole
        events = out.events if events is None else events
    view = RunView.build(
        events, compiled, seed, steps, population=population, initial=initial, kpis=kpis, whole=whole
    )
    return measure(view, list(keys))


def kpi_job(cfg: Scenario, seed: int, engine: str, kpis: Sequence[str], deadweight: bool) -> np.ndarray:
    """One run; the whole-run value of each KPI."""
    out = simulate(cfg, seed, engine, deadweight=deadweight)
    return np.array([out.whole.get(k, np.nan) for k in kpis], dtype=float)


def _call(fn: Callable, args: tuple) -> Any:
    return fn(*args)


class Runner:
    """Maps a job function over argument tuples, sequentially or in a process pool.

    Use as a context manager when it owns its pool (``jobs > 1`` and no executor passed in).
    """

    def __init__(self, jobs: int = 1, executor: Executor | None = None) -> None:
        self.jobs = max(1, int(jobs))
        self._own = executor is None and self.jobs > 1
        self._pool = executor
        self.runs = 0

    def __enter__(self) -> Runner:
        if self._own and self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.jobs, mp_context=multiprocessing.get_context("spawn")
            )
        return self

    def __exit__(self, *exc: object) -> None:
        if self._own and self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    def map(self, fn: Callable, arglist: list[tuple], on_done: Callable[[], None] | None = None) -> list:
        """Results of ``fn(*args)`` for every tuple, in order."""
        self.runs += len(arglist)
        if self._pool is None:
            out = []
            for args in arglist:
                out.append(fn(*args))
                if on_done:
                    on_done()
            return out
        futures = [self._pool.submit(_call, fn, args) for args in arglist]
        out = []
        for f in futures:
            out.append(f.result())
            if on_done:
                on_done()
        return out
