"""What each lever of a package adds: a one-at-a-time decomposition of the package's gain.

Why one-at-a-time with an interaction term, not Shapley values: a workshop set runs the baseline,
the package and each lever alone; exact Shapley values need every combination of levers (16 runs
of the set for four levers) and would spread the levers' joint effect over them by a rule the room
cannot see. Here each lever's gain is what it adds alone to the baseline (paired replications,
common random numbers), and what the package adds beyond the sum of the levers alone is shown as
its own part, ``together``: positive when levers reinforce each other, negative when they overlap.
The parts add up to the package's gain exactly, replication by replication.

Gains are read at whole years from the start (week 52 y), for the KPIs women's share of learners
(``women_share``, since the start) and of the workforce (``women_workforce_share``, at that week).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from analysis.summary import interval

__all__ = [
    "DECOMPOSED_KPIS",
    "YEARS",
    "TOGETHER",
    "PACKAGE",
    "values_at_years",
    "decompose",
    "decomposition_table",
]

#: The KPIs decomposed: women's share of learners and of the workforce (issue 17).
DECOMPOSED_KPIS = ("women_share", "women_workforce_share")
#: Whole years from the start at which gains are read.
YEARS = (1, 3, 5)
#: The part names beside the levers: the levers' joint effect, and the package's whole gain.
TOGETHER, PACKAGE = "together", "package"

_WEEKS_PER_YEAR = 52


def values_at_years(
    kpis: pd.DataFrame, names: Sequence[str] = DECOMPOSED_KPIS, years: Sequence[int] = YEARS
) -> pd.DataFrame:
    """Each run's KPI values at the end of week ``52 y``: columns scenario, rep, kpi, year, value.

    A year beyond a scenario's horizon is left out.
    """
    frames = []
    for y in years:
        at = kpis[kpis["step"] == _WEEKS_PER_YEAR * y - 1]
        for name in names:
            if name in at.columns:
                part = at[["scenario", "rep"]].assign(kpi=name, year=y, value=at[name].to_numpy(float))
                frames.append(part)
    if not frames:
        return pd.DataFrame(columns=["scenario", "rep", "kpi", "year", "value"])
    return pd.concat(frames, ignore_index=True)


def decompose(values: pd.DataFrame, baseline: str, package: str, variants: Sequence[str]) -> pd.DataFrame:
    """Each lever's gain over the baseline, the levers' joint effect, and the package's gain.

    Args:
        values: Columns scenario, rep, kpi, year, value (``values_at_years``).
        baseline: The scenario every gain is measured from.
        package: The scenario with every lever.
        variants: The single-lever scenarios, one per lever.

    Returns:
        Per kpi, year and part (each variant, ``together``, ``package``): the mean gain over paired
        replications with its 95 % interval (``gain``, ``lo``, ``hi``, ``n``), and ``share``, the
        part's mean gain ÷ the package's mean gain: NaN unless the package's interval excludes 0
        (a share of a gain that chance could have made is no share). A replication enters only
        where every scenario's value is defined.
    """
    wide = values.set_index(["kpi", "year", "rep", "scenario"])["value"].unstack("scenario")
    needed = [baseline, package, *variants]
    missing = [s for s in needed if s not in wide.columns]
    if missing:
        raise ValueError(f"decomposition: no values for scenario(s) {', '.join(missing)}")
    rows = []
    for (kpi, year), grp in wide.groupby(level=["kpi", "year"], sort=False):
        g = grp[needed].dropna(how="any")
        base = g[baseline].to_numpy(float)
        gains = {v: g[v].to_numpy(float) - base for v in variants}
        whole = g[package].to_numpy(float) - base
        gains[TOGETHER] = whole - np.sum([gains[v] for v in variants], axis=0)
        gains[PACKAGE] = whole
        total, low, high, _ = interval(whole)
        real = low > 0 or high < 0  # False with NaN bounds
        for part, gain in gains.items():
            mean, lo, hi, n = interval(gain)
            share = mean / total if real else np.nan
            rows.append(
                {"kpi": kpi, "year": int(year), "part": part, "n": n, "gain": mean, "lo": lo, "hi": hi}
                | {"share": share}
            )
    return pd.DataFrame(rows, columns=["kpi", "year", "part", "n", "gain", "lo", "hi", "share"])


def decomposition_table(kpis: pd.DataFrame, spec: dict) -> pd.DataFrame:
    """The decomposition of a comparison's per-week KPIs, as the manifest's ``decomposition`` names it.

    ``spec`` holds the labels of the ``baseline``, the ``package`` and its ``variants``.
    """
    values = values_at_years(kpis)
    return decompose(values, spec["baseline"], spec["package"], spec["variants"])
