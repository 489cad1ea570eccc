"""Evaluating candidate policies: each in the same plausible worlds with the same seeds.

Why the same worlds and seeds for every candidate (common random numbers): the optimiser compares
candidates by their expected cost and their share of worlds meeting the targets; if each drew its
own worlds and seeds, a candidate could win by luck. The worlds are those ``--ensemble`` samples
(``analysis.ensemble``: a Latin hypercube over the scenario's assumption ranges, levers and
constants excluded), with the ensemble's seeds, so ``mcsim compare`` of a chosen policy with
``--ensemble N --seed S`` runs it in exactly these worlds.

Each run is a job of the execution layer whose key names the candidate (a hash of its lever
values), the world and the replication; the result store keeps each finished run in its own file,
so a candidate proposed again, or a search resumed after a kill, runs nothing twice.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from analysis.ensemble import Ensemble
from analysis.execution import Job, Outcome, ResultStore, Runner
from analysis.search_outcomes import search_run
from analysis.search_spec import SearchSpec, SpecError
from analysis.sweep import error_text
from analysis.sweep_spec import point_id
from model.params import ScenarioError, load_scenario, override_text

__all__ = ["Evaluator", "LostRuns", "Worlds", "candidate_id", "plain", "wilson_interval"]

#: z of the 95 % interval on a share of worlds.
_Z95 = 1.959963984540054


class LostRuns(RuntimeError):
    """The executor lost runs (a worker died); the finished ones are saved, a rerun does the rest."""


def plain(value: Any) -> Any:
    """NumPy scalars (the optimiser's values) as Python values, so candidate ids are stable."""
    return value.item() if isinstance(value, np.generic) else value


def candidate_id(values: dict[str, Any]) -> str:
    """A candidate's identity: the hash of its lever values by dotted key (as sweeps name points)."""
    return point_id({k: plain(v) for k, v in values.items()})


def wilson_interval(k: int, n: int) -> tuple[float, float]:
    """95 % Wilson interval of a share ``k / n``: how sure a share of ``n`` sampled worlds is."""
    if n == 0:
        return math.nan, math.nan
    p = k / n
    denom = 1 + _Z95**2 / n
    centre = (p + _Z95**2 / (2 * n)) / denom
    half = _Z95 * math.sqrt(p * (1 - p) / n + _Z95**2 / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class Worlds:
    """The plausible worlds of a search: each world's overrides and its replications' seeds.

    Attributes:
        overrides: Per world, the ``--set`` texts that put the scenario in it.
        seeds: Per world, the seed of each replication (the same for every candidate).
        design: The sampled assumption values, one row per world.
        fixed: Assumptions held at their value (nothing to sample).
    """

    overrides: tuple[tuple[str, ...], ...]
    seeds: tuple[tuple[int, ...], ...]
    design: pd.DataFrame
    fixed: tuple[str, ...]

    @classmethod
    def sample(cls, spec: SearchSpec) -> Worlds:
        """Sample the worlds as ``--ensemble`` does, with the levers and constants left out.

        The levers are set (to their first value) before sampling, so that an assumption a lever
        moves is not sampled, and a table with a lever inside it is treated as the ensemble treats
        a table with a value a policy scenario sets.
        """
        levers = [override_text(f.key, f.candidates()[0]) for f in spec.levers]
        constants = spec.constant_overrides()
        try:
            loaded = load_scenario(spec.scenario, [*constants, *levers])
        except ScenarioError as exc:
            raise SpecError(
                f"{spec.path}: levers: their first values together are refused by the scenario "
                f"(put first a value that goes with the others): {exc}"
            ) from None
        ens = Ensemble(
            [loaded],
            ["search"],
            members=spec.worlds,
            reps=spec.replications,
            seed=spec.seed,
            overrides=[*constants, *levers],
        ).sample()
        worlds = [ens.member_overrides(m) for m in range(spec.worlds)]
        for m, world in enumerate(worlds):  # a world no policy can run in is the scenario's mistake
            try:
                load_scenario(spec.scenario, [*constants, *world, *levers])
            except ScenarioError as exc:
                detail = str(exc).replace("<command line --set>: ", "")
                raise SpecError(
                    f"{spec.path}: robustness.worlds: plausible world {m} sampled from the scenario's "
                    f"assumption ranges is refused by the scenario itself ({detail}); a range allows a value "
                    "the scenario does not: fix the range, or hold the value under 'set:'"
                ) from None
        return cls(
            tuple(tuple(world) for world in worlds),
            tuple(tuple(ens.member_seed(m, r) for r in range(spec.replications)) for m in range(spec.worlds)),
            ens.design.rename_axis("world").reset_index(),
            tuple(ens.fixed),
        )

    @property
    def digest(self) -> str:
        """A hash of every world's overrides: part of the identity of the runs stored."""
        blob = json.dumps([list(o) for o in self.overrides]).encode()
        return hashlib.sha256(blob).hexdigest()[:16]


@dataclass(frozen=True)
class _Run:
    candidate: str
    world: int
    rep: int
    seed: int

    @property
    def key(self) -> str:
        return f"{self.candidate}-w{self.world:04d}-r{self.rep:03d}"


class Evaluator:
    """Runs candidates in the worlds (only runs not yet stored) and sums up each candidate.

    Args:
        spec: The search SPEC.
        worlds: Its plausible worlds.
        store: Where each finished run is kept (opened by the caller).
    """

    def __init__(self, spec: SearchSpec, worlds: Worlds, store: ResultStore) -> None:
        self.spec = spec
        self.worlds = worlds
        self.store = store
        self._runs: dict[str, _Run] = {}
        self._rows: dict[str, pd.DataFrame] = {}
        #: runs this session ran (not read from the store)
        self.ran = 0
        #: runs this session found already stored
        self.reused = 0
        #: seconds each run took where it ran (this session)
        self.run_seconds: list[float] = []

    def row(self, outcome: Outcome) -> dict[str, Any]:
        """A run's file: its identity, status, error, timing and every whole-run value."""
        run = self._runs[outcome.key]
        values = outcome.value or {}
        return {
            "candidate_id": run.candidate,
            "world": run.world,
            "rep": run.rep,
            "seed": run.seed,
            "status": "ok" if outcome.ok else "failed",
            "error": error_text(outcome),
            "seconds": outcome.seconds,
            "host": outcome.host,
            **values,
        }

    def _plan(self, cid: str) -> list[_Run]:
        return [
            _Run(cid, m, r, seed) for m, seeds in enumerate(self.worlds.seeds) for r, seed in enumerate(seeds)
        ]

    def _job(self, run: _Run, values: dict[str, Any]) -> Job:
        spec = self.spec
        levers = [override_text(k, plain(v)) for k, v in values.items()]
        overrides = (*spec.constant_overrides(), *self.worlds.overrides[run.world], *levers)
        options = {"deadweight": spec.deadweight}
        return Job(search_run, str(spec.scenario), run.seed, "vector", overrides, options, run.key)

    def runs_of(self, candidates: Iterable[dict[str, Any]], runner: Runner) -> dict[str, pd.DataFrame]:
        """Every run of these candidates, from the store or run now; the candidates' run tables by id.

        Raises:
            LostRuns: The executor lost some runs (the others are saved).
        """
        todo: dict[str, dict[str, Any]] = {}
        for values in candidates:
            cid = candidate_id(values)
            if cid not in self._rows:
                todo.setdefault(cid, values)
        jobs = []
        for cid, values in todo.items():
            for run in self._plan(cid):
                self._runs[run.key] = run
                jobs.append(self._job(run, values))
        pending = {j.key for j in self.store.pending(jobs)}
        self.reused += len(jobs) - len(pending)
        lost: list[str] = []

        def done(outcome: Outcome) -> None:
            if outcome.lost:
                lost.append(f"{outcome.key}: {outcome.error.kind}: {outcome.error.message}")
            else:
                self.ran += 1
                self.run_seconds.append(outcome.seconds)

        for _ in runner.run(jobs, on_done=done, store=self.store, record_failures=True):
            pass
        if lost:
            raise LostRuns(f"{len(lost)} runs were lost by the executor (first: {lost[0]})")
        for cid in todo:
            frames = self.store.read(run.key for run in self._plan(cid))
            self._rows[cid] = pd.concat(frames, ignore_index=True)
        return self._rows

    def runs_table(self, ids: Iterable[str]) -> pd.DataFrame:
        """Every run of these (evaluated) candidates, in order."""
        frames = [self._rows[c] for c in ids if c in self._rows]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def evaluate(
        self, candidates: list[dict[str, Any]], runner: Runner, generation: int = 0
    ) -> list[dict[str, Any]]:
        """One summary row per candidate (see :func:`summarise`), in the order given."""
        tables = self.runs_of(candidates, runner)
        return [
            {"generation": generation, **summarise(self.spec, values, tables[candidate_id(values)])}
            for values in candidates
        ]


def _meets(target: Callable[[np.ndarray], np.ndarray], x: np.ndarray) -> np.ndarray:
    return np.asarray(target(x), dtype=bool) & np.isfinite(x)


def summarise(spec: SearchSpec, values: dict[str, Any], runs: pd.DataFrame) -> dict[str, Any]:
    """A candidate's row: levers, status, expected cost, shares of worlds meeting targets, outcomes.

    Outcomes are averaged over the replications of each world (ignoring undefined ratios), then
    summed up over worlds: mean and 5-95 % of worlds. A world meets a target when its mean does
    (an undefined ratio never does). A candidate with any failed run is ``failed`` (the
    optimiser treats it as infeasible). The deadweight objective counts a world where nobody was
    funded (deadweight undefined) as none.
    """
    levers = {f.name: plain(values[f.key]) for f in spec.levers}
    horizon = spec.horizon(values)
    policy_costs = {c.name: c.for_policy(values, horizon) for c in spec.stated_costs}
    row: dict[str, Any] = {"candidate_id": candidate_id(values), **levers}
    failed = runs[runs["status"] != "ok"]
    row |= {
        "status": "ok" if failed.empty else "failed",
        "error": "" if failed.empty else str(failed["error"].iloc[0]),
        "runs": len(runs),
        "runs_ok": int((runs["status"] == "ok").sum()),
    }
    if not failed.empty:
        return row | {"expected_cost_eur": math.nan, "share_worlds_meeting_all": math.nan}
    runs = runs.copy()
    run_cost = runs[list(spec.run_costs)].sum(axis=1) if spec.run_costs else pd.Series(0.0, index=runs.index)
    runs["cost_run_eur"] = run_cost
    outcome_costs = [c for c in spec.stated_costs if c.basis == "outcome"]
    for c in outcome_costs:
        runs[f"cost_{c.name}_eur"] = runs[c.outcome].astype(float) * c.eur
    names = sorted({*spec.targets, *spec.outcomes, "deadweight_share"} & set(runs.columns))
    cost_cols = ["cost_run_eur", *(f"cost_{c.name}_eur" for c in outcome_costs)]
    worlds = runs.groupby("world", sort=True)[[*names, *cost_cols]].mean()
    world_cost = worlds[cost_cols].sum(axis=1) + sum(policy_costs.values())
    row["expected_cost_eur"] = float(world_cost.mean())
    row["expected_cost_eur_q05"], row["expected_cost_eur_q95"] = (
        float(q) for q in world_cost.quantile([0.05, 0.95])
    )
    row["cost_run_eur"] = float(worlds["cost_run_eur"].mean())
    for c in spec.stated_costs:
        col = f"cost_{c.name}_eur"
        row[col] = float(worlds[col].mean()) if c.basis == "outcome" else policy_costs[c.name]
    met_all = np.ones(len(worlds), dtype=bool)
    for kpi, target in spec.targets.items():
        met = _meets(target.met, worlds[kpi].to_numpy(float))
        row[f"share_worlds_meeting_{kpi}"] = float(met.mean())
        met_all &= met
    row["share_worlds_meeting_all"] = float(met_all.mean())
    row["share_worlds_meeting_all_lo"], row["share_worlds_meeting_all_hi"] = wilson_interval(
        int(met_all.sum()), len(met_all)
    )
    if "deadweight_share" in worlds:
        dw = worlds["deadweight_share"].to_numpy(float)
        row["mean_deadweight_share"] = float(np.nanmean(dw)) if np.isfinite(dw).any() else math.nan
    for name in spec.outcomes:
        x = worlds[name].to_numpy(float)
        x = x[np.isfinite(x)]
        q05, q95 = np.quantile(x, [0.05, 0.95]) if len(x) else (math.nan, math.nan)
        row |= {
            f"{name}_mean": float(x.mean()) if len(x) else math.nan,
            f"{name}_q05": q05,
            f"{name}_q95": q95,
        }
    return row
