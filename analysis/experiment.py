"""Replications and comparisons with common random numbers, on any executor of the execution layer.

Why seeds from the replication number: replication r of every scenario in a comparison uses the
same seed, so differences between scenarios are policy, not noise, and intervals on differences are
paired. Every scenario x replication is one job of ``analysis.execution``; this process, local
processes and Dask give the same tables. With ``indicators`` each job also computes its run's
statistics-shaped table (``analysis.indicator_table``) where it runs, from its own event log.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis.execution import Job, Outcome, Runner
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


@dataclass
class ScenarioResult:
    """All replications of one scenario."""

    label: str
    loaded: LoadedScenario
    engine: str
    runs: list[RunOutput] = field(default_factory=list)
    seeds: list[int] = field(default_factory=list)
    #: seconds its runs took in the workers, summed
    seconds: float = 0.0
    #: per replication, its indicator table (``Experiment(indicators=True)``)
    indicators: list[pd.DataFrame] = field(default_factory=list)

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

    def indicator_table(self) -> pd.DataFrame:
        """Every replication's indicator table, with scenario and rep columns first (empty without)."""
        frames = [t.assign(scenario=self.label, rep=rep) for rep, t in enumerate(self.indicators)]
        if not frames:
            return pd.DataFrame()
        table = pd.concat(frames, ignore_index=True)
        return table[["scenario", "rep", *[c for c in table.columns if c not in ("scenario", "rep")]]]


@dataclass
class Experiment:
    """Scenarios × replications, run with common random numbers."""

    scenarios: list[LoadedScenario]
    reps: int = 10
    seed: int = 1
    engine: str = "auto"
    deadweight: bool = True
    keep_events: bool = False
    #: also compute each run's indicator table in its worker (``--indicators``)
    indicators: bool = False
    results: list[ScenarioResult] = field(default_factory=list)

    def run(
        self, runner: Runner | None = None, on_done: Callable[[Outcome], object] | None = None
    ) -> Experiment:
        """Run every scenario x replication (default: in this process); returns self (see ``results``)."""
        taken: set[str] = set()
        self.results = [
            ScenarioResult(scenario_label(s.path, taken), s, choose_engine(self.engine, s.config))
            for s in self.scenarios
        ]
        seeds = [rep_seed(self.seed, r) for r in range(self.reps)]
        options = {"deadweight": self.deadweight, "keep_events": self.keep_events}
        task = simulate
        if self.indicators:
            from analysis.indicator_table import simulate_indicated

            task = simulate_indicated
        jobs = [
            Job(task, res.loaded.config, seed, res.engine, options=options, key=f"{res.label}-r{r}")
            for res in self.results
            for r, seed in enumerate(seeds)
        ]
        outcomes = list((runner or Runner()).run(jobs, on_done=on_done))
        for i, res in enumerate(self.results):
            mine = outcomes[i * self.reps : (i + 1) * self.reps]
            values = [o.value for o in mine]
            if self.indicators:
                values, res.indicators = [v[0] for v in values], [v[1] for v in values]
            res.runs, res.seeds = values, seeds
            res.seconds = sum(o.seconds for o in mine)
        return self
