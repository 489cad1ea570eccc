"""Summaries over replications: means with 95 % intervals, and paired differences against a baseline.

Why t-intervals of the mean plus the 2.5–97.5 % spread: the interval says how well the replications
pin down the expected value; the spread says how much one run varies. Both come from chance alone
(fixed parameters), which the report says in words.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from model.kpis import FUNNEL, KPIS

__all__ = ["summarise", "differences", "interval", "summarise_funnel"]

_KIND = {k.name: k for k in KPIS}


def interval(values: np.ndarray) -> tuple[float, float, float, int]:
    """Mean and 95 % t-interval of the finite values, and their number."""
    v = values[np.isfinite(values)]
    n = len(v)
    if n == 0:
        return float("nan"), float("nan"), float("nan"), 0
    mean = float(v.mean())
    if n == 1:
        return mean, float("nan"), float("nan"), 1
    half = float(stats.t.ppf(0.975, n - 1) * v.std(ddof=1) / np.sqrt(n))
    return mean, mean - half, mean + half, n


def summarise(whole: pd.DataFrame) -> pd.DataFrame:
    """Per scenario and KPI: mean, 95 % interval of the mean, and 2.5/97.5 % quantiles over reps."""
    rows = []
    for scenario, grp in whole.groupby("scenario", sort=False):
        for k in KPIS:
            vals = grp[k.name].to_numpy(float)
            mean, lo, hi, n = interval(vals)
            finite = vals[np.isfinite(vals)]
            q = np.quantile(finite, [0.025, 0.975]) if len(finite) else [np.nan, np.nan]
            rows.append(
                {
                    "scenario": scenario,
                    "kpi": k.name,
                    "kind": k.kind,
                    "unit": k.unit,
                    "n": n,
                    "mean": mean,
                    "lo": lo,
                    "hi": hi,
                    "q025": float(q[0]),
                    "q975": float(q[1]),
                }
            )
    return pd.DataFrame(rows)


def differences(whole: pd.DataFrame, baseline: str) -> pd.DataFrame:
    """Paired differences (scenario − baseline) per KPI over replications with common random numbers."""
    base = whole[whole["scenario"] == baseline].set_index("rep")
    rows = []
    for scenario, grp in whole.groupby("scenario", sort=False):
        if scenario == baseline:
            continue
        g = grp.set_index("rep")
        for k in KPIS:
            diff = (g[k.name] - base[k.name]).to_numpy(float)
            mean, lo, hi, n = interval(diff)
            rows.append(
                {
                    "scenario": scenario,
                    "baseline": baseline,
                    "kpi": k.name,
                    "unit": k.unit,
                    "n": n,
                    "diff": mean,
                    "lo": lo,
                    "hi": hi,
                }
            )
    return pd.DataFrame(rows)


def summarise_funnel(whole: pd.DataFrame) -> pd.DataFrame:
    """Per scenario and funnel stage: people reaching it (mean, 95 % interval) and conversion.

    ``share_of_previous`` is the mean share of the previous stage's people who reach this one.
    """
    rows = []
    for scenario, grp in whole.groupby("scenario", sort=False):
        previous = None
        for stage in FUNNEL:
            people = grp[f"funnel_{stage}"].to_numpy(float)
            mean, lo, hi, n = interval(people)
            share = float("nan")
            if previous is not None:
                ratio = np.divide(people, previous, out=np.full(len(people), np.nan), where=previous > 0)
                share = interval(ratio)[0]
            row = {"scenario": scenario, "stage": stage, "n": n, "mean": mean, "lo": lo, "hi": hi}
            rows.append(row | {"share_of_previous": share})
            previous = people
    return pd.DataFrame(rows)
