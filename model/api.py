"""The public run API: one replication of a scenario on an engine, with its KPIs.

``simulate`` is what ``analysis`` calls; ``run(params, seed)`` is the plain function interface for
EMA workbench, SALib and pyabc (DESIGN §7): a dict of dotted overrides in, a dict of KPIs out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from model.compiled import Compiled, compile_scenario
from model.engines import run_engine
from model.funders import breakdown, instrument_figures, ledger, overheads
from model.kpis import compute_kpis, deadweight_series
from model.params import LoadedScenario, Scenario, load_scenario, override_text
from model.provider_figures import provider_years

__all__ = ["RunOutput", "simulate", "run", "without_instruments", "DEFAULT_ENGINE_THRESHOLD"]

#: Above this many simulated workers the vector engine is the default.
DEFAULT_ENGINE_THRESHOLD = 500


@dataclass
class RunOutput:
    """One replication: KPIs per step and whole-run, funders' figures, ledger, event log."""

    kpis: pd.DataFrame
    whole: dict[str, float]
    events: pd.DataFrame | None
    seconds: float
    phase_seconds: dict[str, float]
    funders: list[dict] = field(default_factory=list)
    breakdown: pd.DataFrame | None = None
    ledger: pd.DataFrame | None = None
    providers: pd.DataFrame | None = None  # per provider and year (model.provider_figures)


def without_instruments(cfg: Scenario, drop: str | None = None) -> Scenario:
    """The counterfactual scenario: the same world without one instrument (or without all)."""
    kept = [i for i in cfg.funding.instruments if drop is not None and i.id != drop]
    return cfg.model_copy(update={"funding": cfg.funding.model_copy(update={"instruments": kept})})


def simulate(
    scenario: Scenario | Compiled,
    seed: int,
    engine: str = "vector",
    *,
    steps: int | None = None,
    deadweight: bool = True,
    keep_events: bool = False,
) -> RunOutput:
    """Run one replication and compute its KPIs and funders' figures.

    With ``deadweight`` the same seed is also run without all instruments (for the
    ``deadweight_share`` KPI) and without each instrument in turn (for the funders' figures):
    keyed randomness makes these counterfactuals exact.
    """
    compiled = scenario if isinstance(scenario, Compiled) else compile_scenario(scenario)
    cfg = compiled.cfg
    steps = cfg.horizon_weeks if steps is None else steps
    res = run_engine(engine, compiled, seed, steps)
    seconds = res.seconds
    dw = None
    per_instrument: dict[str, pd.DataFrame] = {}
    if deadweight and compiled.instruments:
        none = run_engine(engine, compile_scenario(without_instruments(cfg)), seed, steps)
        seconds += none.seconds
        dw = deadweight_series(res.events, none.events, steps)
        for inst in compiled.instruments:
            if len(compiled.instruments) == 1:
                per_instrument[inst.id] = none.events
                continue
            cf = run_engine(engine, compile_scenario(without_instruments(cfg, inst.id)), seed, steps)
            seconds += cf.seconds
            per_instrument[inst.id] = cf.events
    table, whole = compute_kpis(
        res.events,
        steps,
        res.initial["workers"],
        res.initial["smes"],
        res.worker_woman,
        compiled.w_scale,
        dw,
        employed=res.initial["employed"],
        employed_women=res.initial["employed_women"],
        bundle_masks=compiled.bundle_masks,
    )
    table.insert(0, "day", np.arange(steps) * 7 + 6)
    table.insert(0, "step", np.arange(steps))
    rows = []
    for inst in compiled.instruments:
        figures = instrument_figures(res.events, compiled, inst.index, per_instrument.get(inst.id))
        rows.append({"instrument": inst.id, "kind": inst.kind, **figures})
    return RunOutput(
        kpis=table,
        whole=whole | overheads(res.events, compiled),
        events=res.events if keep_events else None,
        seconds=seconds,
        phase_seconds=res.phase_seconds,
        funders=rows,
        breakdown=breakdown(res.events, compiled, res.population),
        ledger=ledger(res.events, compiled),
        providers=provider_years(res.events, compiled),
    )


def run(params: dict, seed: int) -> dict[str, float]:
    """Function interface: ``params`` holds ``scenario`` and dotted overrides.

    ``scenario`` is a scenario file or a bundled scenario's name, such as ``fi/baseline``.

    Optional keys ``engine`` (default ``vector``) and ``deadweight`` (default True) are read too.
    Returns the whole-run KPI values.
    """
    params = dict(params)
    path = params.pop("scenario")
    engine = params.pop("engine", "vector")
    deadweight = bool(params.pop("deadweight", True))
    loaded: LoadedScenario = load_scenario(path, [override_text(k, v) for k, v in params.items()])
    return simulate(loaded.config, seed, engine, deadweight=deadweight).whole
