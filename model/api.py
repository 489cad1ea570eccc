"""The public run API: one replication of a scenario on an engine, with its KPIs.

``simulate`` is what ``analysis`` calls; ``run(params, seed)`` is the plain function interface for
EMA workbench, SALib and pyabc (DESIGN §7): a dict of dotted overrides in, a dict of KPIs out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from model.compiled import Compiled, compile_scenario
from model.engines import run_engine
from model.kpis import compute_kpis, deadweight_series
from model.params import LoadedScenario, Scenario, load_scenario

__all__ = ["RunOutput", "simulate", "run", "without_instruments", "DEFAULT_ENGINE_THRESHOLD"]

#: Above this many simulated workers the vector engine is the default.
DEFAULT_ENGINE_THRESHOLD = 1000


@dataclass
class RunOutput:
    """One replication: per-step KPIs, whole-run KPI values, and (optionally) the event log."""

    kpis: pd.DataFrame
    whole: dict[str, float]
    events: pd.DataFrame | None
    seconds: float
    phase_seconds: dict[str, float]


def without_instruments(cfg: Scenario) -> Scenario:
    """The counterfactual scenario for deadweight: the same world with no funding instrument."""
    return cfg.model_copy(update={"funding": cfg.funding.model_copy(update={"instruments": []})})


def simulate(
    scenario: Scenario | Compiled,
    seed: int,
    engine: str = "vector",
    *,
    steps: int | None = None,
    deadweight: bool = True,
    keep_events: bool = False,
) -> RunOutput:
    """Run one replication and compute its KPIs (and deadweight from an exact counterfactual)."""
    compiled = scenario if isinstance(scenario, Compiled) else compile_scenario(scenario)
    steps = compiled.cfg.horizon_weeks if steps is None else steps
    res = run_engine(engine, compiled, seed, steps)
    dw = None
    seconds = res.seconds
    if deadweight and compiled.instruments:
        cf = run_engine(engine, compile_scenario(without_instruments(compiled.cfg)), seed, steps)
        dw = deadweight_series(res.events, cf.events, steps)
        seconds += cf.seconds
    table, whole = compute_kpis(
        res.events, steps, res.n_workers, res.n_smes, res.worker_woman, compiled.w_scale, dw
    )
    table.insert(0, "day", np.arange(steps) * 7 + 6)
    table.insert(0, "step", np.arange(steps))
    return RunOutput(table, whole, res.events if keep_events else None, seconds, res.phase_seconds)


def run(params: dict, seed: int) -> dict[str, float]:
    """Function interface: ``params`` holds ``scenario`` (a path) and dotted overrides.

    Optional keys ``engine`` (default ``vector``) and ``deadweight`` (default True) are read too.
    Returns the whole-run KPI values.
    """
    params = dict(params)
    path = params.pop("scenario")
    engine = params.pop("engine", "vector")
    deadweight = bool(params.pop("deadweight", True))
    loaded: LoadedScenario = load_scenario(path, [f"{k}={v}" for k, v in params.items()])
    return simulate(loaded.config, seed, engine, deadweight=deadweight).whole
