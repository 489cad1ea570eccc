"""Summaries over replications: means with 95 % intervals, and paired differences against a baseline.

Why t-intervals of the mean plus the 2.5–97.5 % spread: the interval says how well the replications
pin down the expected value; the spread says how much one run varies. Both come from chance alone
(fixed parameters), which the report says in words.

Why one test of a "detectable difference": a workshop scenario that cannot be told from its
baseline must be flagged before the room sees it, and the bundled workshop sets are tested for it;
both use :func:`detectable`, so the report and the test cannot disagree.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from model.kpis import FUNNEL, KPIS

__all__ = [
    "HEADLINE",
    "PILOT_KPIS",
    "FUNDER_KPIS",
    "summarise",
    "differences",
    "detectable",
    "interval",
    "summarise_funnel",
    "summarise_indicators",
    "ranking",
    "ranking_by_choice",
    "CHOICE_RANKING_COLUMNS",
]

#: The KPIs on slides and dashboard cards, in this order, and whose ranking of scenarios is checked
#: under each structural choice.
HEADLINE = (
    "women_share",
    "employer_acceptance_rate",
    "credentials_issued",
    "enrolment_to_credential_days",
    "moderation_cycle_days",
    "spend_per_credential_eur",
)

#: The pilot's KPIs (report L692–700): what a workshop scenario is judged on.
PILOT_KPIS = (
    "women_share",
    "employer_acceptance_rate",
    "verification_success_rate",
    "moderation_cycle_days",
    "enrolment_to_credential_days",
    "enrolments_cum",
    "stakeholders_involved",
)

#: The funders' whole-run figures (all instruments together).
FUNDER_KPIS = (
    "public_spend_eur",
    "other_training_spend_eur",
    "spend_per_credential_eur",
    "budget_utilisation",
    "deadweight_share",
)

#: Content renewal (agility): what a workshop on keeping modules current is judged on.
CONTENT_KPIS = ("current_content_share", "content_age_days", "renewal_lag_days")

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


def detectable(
    diff: pd.DataFrame, kpis: tuple[str, ...] = PILOT_KPIS + FUNDER_KPIS + CONTENT_KPIS
) -> pd.Series:
    """Per scenario of a ``differences`` table: does it differ from the baseline beyond chance?

    True when the paired 95 % interval of at least one of ``kpis`` (default: the pilot KPIs, the
    funders' figures and, where content renewal runs, its KPIs) excludes 0. An interval that cannot
    be computed (one replication, a KPI undefined in a run) shows nothing.
    """
    d = diff[diff["kpi"].isin(kpis)]
    excludes = (d["lo"] > 0) | (d["hi"] < 0)
    scenarios = list(dict.fromkeys(diff["scenario"]))
    return excludes.groupby(d["scenario"], sort=False).any().reindex(scenarios, fill_value=False)


def summarise_indicators(table: pd.DataFrame) -> pd.DataFrame:
    """Per scenario, indicator, year and group of ``indicators.csv``: mean and 95 % interval over reps.

    ``numerator`` and ``denominator`` are their means over the replications (real-scale counts).
    """
    keys = ["scenario", "indicator", "country", "year", "group"]
    rows = []
    for key, grp in table.groupby(keys, sort=False, dropna=False):
        mean, lo, hi, n = interval(grp["value"].to_numpy(float))
        num, den = (grp[c].to_numpy(float) for c in ("numerator", "denominator"))
        rows.append(
            dict(zip(keys, key, strict=True))
            | {
                "n": n,
                "mean": mean,
                "lo": lo,
                "hi": hi,
                "numerator": float(np.nanmean(num)) if np.isfinite(num).any() else np.nan,
                "denominator": float(np.nanmean(den)) if np.isfinite(den).any() else np.nan,
            }
        )
    out = pd.DataFrame(rows, columns=[*keys, "n", "mean", "lo", "hi", "numerator", "denominator"])
    out["year"] = out["year"].astype("Int64")
    return out


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


def ranking(means: pd.Series, kpi: str) -> str:
    """Scenarios from best to worst on a KPI by its direction, e.g. ``b > a = c (n/a: d)``.

    Equal means are ties, written ``=`` in the order given; scenarios where the KPI is undefined
    (no moderation, so no cycle time) are listed apart.
    """
    defined = means.dropna().sort_values(ascending=_KIND[kpi].direction == "min", kind="stable")
    text, previous = "", None
    for label, value in defined.items():
        text += (" = " if value == previous else " > " if text else "") + str(label)
        previous = value
    undefined = ", ".join(str(label) for label in means.index if label not in defined.index)
    if not undefined:
        return text
    return f"{text} (n/a: {undefined})" if text else f"n/a: {undefined}"


#: The columns of ``ranking_by_choice``.
CHOICE_RANKING_COLUMNS = ["key", "kpi", "choice", "rows", "ranking", "holds"]


def ranking_by_choice(
    table: pd.DataFrame, key: str, kpis: tuple[str, ...] = HEADLINE, labels: list[str] | None = None
) -> pd.DataFrame:
    """Does the ranking of scenarios on each KPI hold under every choice of a structural assumption?

    Args:
        table: One row per run or ensemble member: ``scenario``, the choice column ``key`` and the
            whole-run KPIs.
        key: The dotted key of the choice, e.g. ``employer.trust_rule``.
        kpis: The KPIs ranked (those kept for information are skipped).
        labels: Scenario order for ties; default their order in ``table``.

    Returns:
        One row per KPI and choice: ``key``, ``kpi``, ``choice``, ``rows`` (runs or members under
        it), ``ranking`` (scenarios best first by their mean, ``ranking``), and ``holds``: the same
        order under every choice of the KPI.
    """
    labels = labels or list(dict.fromkeys(table["scenario"]))
    choices = list(dict.fromkeys(table[key]))
    rows = []
    for kpi in kpis:
        if _KIND[kpi].direction == "info" or kpi not in table.columns:
            continue
        orders = {}
        for choice in choices:
            mine = table[table[key] == choice]
            means = mine.groupby("scenario", sort=False)[kpi].mean().reindex(labels)
            orders[choice] = (ranking(means, kpi), int(mine["scenario"].value_counts().min()))
        holds = len({order for order, _ in orders.values()}) == 1
        for choice, (order, n) in orders.items():
            rows.append(
                {"key": key, "kpi": kpi, "choice": choice, "rows": n, "ranking": order, "holds": holds}
            )
    return pd.DataFrame(rows, columns=CHOICE_RANKING_COLUMNS)
