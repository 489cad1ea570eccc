"""Replications and comparisons with common random numbers, optionally in parallel processes.

Why seeds from the replication number: replication r of every scenario in a comparison uses the
same seed, so differences between scenarios are policy, not noise, and intervals on differences are
paired. Runs go through ``concurrent.futures``; the executor is passed in or made here.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from model.api import DEFAULT_ENGINE_THRESHOLD, RunOutput, simulate
from model.params import LoadedScenario
from model.params.schema import Scenario
from model.streams import derive_seed

__all__ = ["ScenarioResult", "Experiment", "rep_seed", "choose_engine", "scenario_label"]


def rep_seed(base_seed: int, rep: int) -> int:
    """Seed of replication ``rep``: shared by every scenario of a comparison."""
    return derive_seed(base_seed, "replication", rep)


def choose_engine(engine: str, cfg: Scenario) -> str:
    """Resolve ``auto``: the Mesa engine for small populations, the vector engine above the threshold."""
    if engine != "auto":
        return engine
    return "mesa" if cfg.population.workers <= DEFAULT_ENGINE_THRESHOLD else "vector"


def scenario_label(path: Path, taken: set[str]) -> str:
    """Short, unique label such as ``fi/ca_fund`` for output tables."""
    label = f"{path.parent.name}/{path.stem}" if path.parent.name else path.stem
    base, i = label, 2
    while label in taken:
        label, i = f"{base}#{i}", i + 1
    taken.add(label)
    return label


def _one(cfg: Scenario, seed: int, engine: str, deadweight: bool, events: bool) -> RunOutput:
    return simulate(cfg, seed, engine, deadweight=deadweight, keep_events=events)


@dataclass
class ScenarioResult:
    """All replications of one scenario."""

    label: str
    loaded: LoadedScenario
    engine: str
    runs: list[RunOutput] = field(default_factory=list)
    seeds: list[int] = field(default_factory=list)
    seconds: float = 0.0

    def kpis(self) -> pd.DataFrame:
        """Per-step KPIs of every replication, with scenario and rep columns first."""
        frames = []
        for rep, run in enumerate(self.runs):
            df = run.kpis.copy()
            df.insert(0, "rep", rep)
            df.insert(0, "scenario", self.label)
            frames.append(df)
        return pd.concat(frames, ignore_index=True)

    def whole(self) -> pd.DataFrame:
        """Whole-run KPI values, one row per replication."""
        rows = [{"scenario": self.label, "rep": r, **run.whole} for r, run in enumerate(self.runs)]
        return pd.DataFrame(rows)


@dataclass
class Experiment:
    """Scenarios × replications, run with common random numbers."""

    scenarios: list[LoadedScenario]
    reps: int = 10
    seed: int = 1
    engine: str = "auto"
    deadweight: bool = True
    keep_events: bool = False
    results: list[ScenarioResult] = field(default_factory=list)

    def run(
        self,
        executor: Executor | None = None,
        jobs: int = 1,
        on_done: Callable[[], None] | None = None,
    ) -> Experiment:
        """Run every scenario × replication; returns self (results in ``results``)."""
        taken: set[str] = set()
        self.results = [
            ScenarioResult(scenario_label(s.path, taken), s, choose_engine(self.engine, s.config))
            for s in self.scenarios
        ]
        seeds = [rep_seed(self.seed, r) for r in range(self.reps)]
        own = executor is None and jobs > 1
        # spawn: worker processes start clean (forking a threaded parent can deadlock)
        ctx = multiprocessing.get_context("spawn")
        pool = ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) if own else executor
        try:
            for res in self.results:
                t0 = time.perf_counter()
                args = [(res.loaded.config, s, res.engine, self.deadweight, self.keep_events) for s in seeds]
                if pool is None:
                    outputs = []
                    for a in args:
                        outputs.append(_one(*a))
                        if on_done:
                            on_done()
                else:
                    futures = [pool.submit(_one, *a) for a in args]
                    outputs = []
                    for f in futures:
                        outputs.append(f.result())
                        if on_done:
                            on_done()
                res.runs, res.seeds = outputs, seeds
                res.seconds = time.perf_counter() - t0
        finally:
            if own and pool is not None:
                pool.shutdown()
        return self
