"""The dashboard's computation: a pinned baseline against the participant's scenario, same seeds.

Why a cache: the baseline of a preset is the same for every lever setting, and a participant often
moves a lever back; finished runs are kept (a small LRU), keyed by the scenario's content hash, so
an edited file reruns and an unchanged one does not.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analysis.dashboard.levers import Levers, apply_levers
from analysis.dashboard.presets import preset_path
from analysis.experiment import rep_seed
from analysis.summary import differences, summarise, summarise_funnel
from model.api import RunOutput, simulate
from model.params import Scenario, load_scenario
from model.params.loader import scenario_hash

__all__ = ["BASELINE", "SCENARIO", "Comparison", "compare", "baseline_cached"]

#: Labels of the two sides on the page.
BASELINE, SCENARIO = "baseline", "your scenario"


@dataclass
class Comparison:
    """Replications of the baseline and of a scenario with the same seeds, and their summaries."""

    kpis: pd.DataFrame
    summary: pd.DataFrame
    diff: pd.DataFrame
    reps: int
    funnel: pd.DataFrame  # aware → enrolled → issued → accepted, people per stage


def _runs(cfg: Scenario, seeds: list[int], tick: Callable[[], None]) -> list[RunOutput]:
    out = []
    for s in seeds:
        out.append(simulate(cfg, s, "vector", deadweight=False))
        tick()
    return out


def _tables(label: str, runs: list[RunOutput]) -> tuple[pd.DataFrame, pd.DataFrame]:
    kpis = pd.concat([r.kpis.assign(scenario=label, rep=i) for i, r in enumerate(runs)], ignore_index=True)
    whole = pd.DataFrame([{"scenario": label, "rep": i, **r.whole} for i, r in enumerate(runs)])
    return kpis, whole


class _Cache:
    """Small LRU of finished runs: the pinned baselines and recent scenarios."""

    def __init__(self, size: int = 16) -> None:
        self.size, self.items, self.lock = size, OrderedDict(), threading.Lock()

    def get(self, key):
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return self.items[key]
        return None

    def put(self, key, value) -> None:
        with self.lock:
            self.items[key] = value
            while len(self.items) > self.size:
                self.items.popitem(last=False)


_CACHE = _Cache()


def _baseline_key(preset: str, reps: int, seed: int) -> tuple:
    return ("baseline", preset, reps, seed)


def baseline_cached(preset: str, reps: int, seed: int = 1) -> bool:
    """Whether the pinned baseline of ``preset`` is already run (a new run then costs half)."""
    return _CACHE.get(_baseline_key(preset, reps, seed)) is not None


def compare(
    preset: str,
    start: str | Path,
    levers: Levers,
    reps: int = 5,
    seed: int = 1,
    tick: Callable[[], None] = lambda: None,
) -> Comparison:
    """Run (or reuse) the pinned baseline of ``preset`` and the scenario ``start`` + ``levers``.

    ``tick`` is called after every replication (progress). Both use seeds ``rep_seed(seed, r)``.
    """
    seeds = [rep_seed(seed, r) for r in range(reps)]
    base_key = _baseline_key(preset, reps, seed)
    base = _CACHE.get(base_key)
    if base is None:
        base = _tables(BASELINE, _runs(load_scenario(preset_path(preset)).config, seeds, tick))
        _CACHE.put(base_key, base)
    cfg = apply_levers(load_scenario(start).config, levers)
    key = ("scenario", preset, scenario_hash(cfg), reps, seed)  # by content: an edited file reruns
    mine = _CACHE.get(key)
    if mine is None:
        mine = _tables(SCENARIO, _runs(cfg, seeds, tick))
        _CACHE.put(key, mine)
    kpis = pd.concat([base[0], mine[0]], ignore_index=True)
    whole = pd.concat([base[1], mine[1]], ignore_index=True)
    return Comparison(kpis, summarise(whole), differences(whole, BASELINE), reps, summarise_funnel(whole))
