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
from model.types import AGE_BANDS, BANDS

__all__ = ["TABLE_INDICATORS", "COLUMNS", "indicator_rows", "funder_rows"]

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
