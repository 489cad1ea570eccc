"""The statistics-shaped table of one run: indicators by calendar year and group (``indicators.csv``).

Why: public statistics (CVTS, FUNDAE, Portugal's Relatório Único, Vipunen) count training by firm
size, gender and age per calendar year. Writing the model's runs in the same shape lets a
researcher set them side by side with a target file, sum size bands (numerators and denominators
are real-scale counts), and calibrate against them with the same indicator definitions
(``analysis.calibration.indicators``).
"""

from __future__ import annotations

import math

import pandas as pd

from analysis.calibration.indicators import (
    INDICATORS,
    RunView,
    format_group,
    measure_part,
    simulated_years,
)
from model.api import RunOutput, simulate
from model.compiled import Compiled, compile_scenario
from model.engines import run_engine
from model.params import Scenario
from model.types import AGE_BANDS, BANDS

__all__ = [
    "TABLE_INDICATORS",
    "COLUMNS",
    "indicator_rows",
    "funder_rows",
    "indicator_table",
    "simulate_indicated",
]

COLUMNS = ("indicator", "country", "year", "group", "value", "numerator", "denominator")

#: The indicators ``--indicators`` writes, each with the breakdowns statistics publish.
TABLE_INDICATORS: tuple[str, ...] = (
    "firm_training_rate",
    "firm_mc_training_rate",
    "credit_uptake_rate",
    "employee_training_rate",
    "training_participants",
    "training_women_share",
    "training_hours_per_employee",
    "training_hours_per_participant",
    "mc_share_of_training_hours",
    "women_share",
    "women_enrolment_share",
    "enrolments",
    "credentials_issued",
)


def _groups(name: str, view: RunView) -> list[dict[str, tuple[str, ...]]]:
    ind = INDICATORS[name]
    groups: list[dict[str, tuple[str, ...]]] = [{}]
    sizes = view.compiled.cfg.population.size_shares
    if "size" in ind.dims:
        groups += [{"size": (b,)} for b in BANDS if sizes.get(b, 0.0) > 0]
    if "gender" in ind.dims:
        groups += [{"gender": ("f",)}, {"gender": ("m",)}]
    if "age" in ind.dims:
        groups += [{"age": (a,)} for a in AGE_BANDS]
    return groups


def indicator_rows(view: RunView) -> list[dict[str, object]]:
    """Every table indicator for every whole simulated calendar year and its standard breakdowns."""
    country = view.compiled.cfg.country
    has_credit = any(i.kind == "training_credit" for i in view.compiled.instruments)
    rows = []
    for year in simulated_years(view.compiled, view.steps):
        for name in TABLE_INDICATORS:
            if name == "credit_uptake_rate" and not has_credit:
                continue
            for group in _groups(name, view):
                part = measure_part(view, name, year, group)
                rows.append(
                    {
                        "indicator": name,
                        "country": country,
                        "year": year,
                        "group": format_group(group),
                        "value": part.value,
                        "numerator": part.numerator,
                        "denominator": part.denominator,
                    }
                )
    return rows


def funder_rows(funders: list[dict], country: str) -> list[dict[str, object]]:
    """Per instrument, the whole run's deadweight and substitution shares (from the exact counterfactual)."""
    rows = []
    for f in funders:
        for name in ("deadweight_share", "substitution_share"):
            value = float(f.get(name, math.nan))
            rows.append(
                {
                    "indicator": name,
                    "country": country,
                    "year": pd.NA,
                    "group": f"instrument={f['instrument']}",
                    "value": value,
                    "numerator": math.nan,
                    "denominator": math.nan,
                }
            )
    return rows


def indicator_table(view: RunView, funders: list[dict] | None = None) -> pd.DataFrame:
    """One run's ``indicators.csv`` rows: every table indicator, then (given) the funders' shares.

    ``year`` is a nullable integer: the funders' shares cover the whole run and have none.
    """
    rows = indicator_rows(view)
    if funders is not None:
        rows += funder_rows(funders, view.compiled.cfg.country)
    table = pd.DataFrame(rows, columns=list(COLUMNS))
    table["year"] = table["year"].astype("Int64")
    return table


def simulate_indicated(
    scenario: Scenario | Compiled,
    seed: int,
    engine: str = "vector",
    *,
    deadweight: bool = True,
    keep_events: bool = False,
) -> tuple[RunOutput, pd.DataFrame]:
    """Job task (``--indicators``): one replication as ``simulate`` gives it, and its indicator table.

    Why in the worker: the indicators read the whole event log and the run's population (entrants of
    labour-market flows included), which ``simulate`` does not return; computing them where the run
    happens means neither travels back. The engine is run once more for its population (keyed
    randomness makes it the same run); the counterfactual runs are ``simulate``'s own. The funders'
    shares (deadweight, substitution) need those counterfactuals and are left out without them.
    """
    compiled = scenario if isinstance(scenario, Compiled) else compile_scenario(scenario)
    steps = compiled.cfg.horizon_weeks
    engine_run = run_engine(engine, compiled, seed, steps)
    out = simulate(compiled, seed, engine, deadweight=deadweight, keep_events=keep_events)
    view = RunView.build(
        engine_run.events,
        compiled,
        seed,
        steps,
        population=engine_run.population,
        initial=engine_run.initial,
        kpis=out.kpis,
        whole=out.whole,
    )
    return out, indicator_table(view, out.funders if deadweight else None)
