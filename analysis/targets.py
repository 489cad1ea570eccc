"""Targets from the evidence, and how long each scenario takes to reach them (DESIGN §3).

Why "reached and held": ratios such as ``women_share`` swing wildly in the first weeks, when a
handful of learners decides them; a target counts as reached in the first week from which it is met
at every later week of the run. Runs that never hold it count as not reached, and the summary says
in how many runs that happened rather than hiding them in a mean.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from model.kpis import KPI_NAMES, KPIS

__all__ = [
    "Target",
    "TARGETS",
    "parse_target",
    "resolve_targets",
    "targets_to_meta",
    "targets_from_meta",
    "weeks_to_target",
    "time_to_target",
    "summarise_time_to_target",
]


@dataclass(frozen=True)
class Target:
    """A numeric KPI target from the evidence: ``value`` with ``op`` (``>=`` or ``<=``)."""

    op: str
    value: float
    text: str

    def met(self, x: float | np.ndarray) -> bool | np.ndarray:
        """Whether ``x`` meets the target (NaN never does)."""
        x = np.asarray(x, dtype=float)
        out = x >= self.value if self.op == ">=" else x <= self.value
        return bool(out) if out.ndim == 0 else out


#: Targets drawn on the charts and used for colouring (only those the evidence states).
TARGETS: dict[str, Target] = {
    "women_share": Target(">=", 0.10, "at least 10 % women among learners (pilot KPI, report L698)"),
}


_FLOWS = {k.name: k.kind == "flow" for k in KPIS}


def parse_target(text: str, names: Collection[str] = KPI_NAMES) -> tuple[str, Target]:
    """Read ``KPI>=VALUE`` or ``KPI<=VALUE`` (``--target``); a ValueError says what was expected.

    Why: the evidence states one numeric target; a workshop or funder sets its own (spend per
    credential at most 1,500; acceptance at least 0.3) and wants the same colours, shares of worlds
    and time to target for it. ``names`` are the outcomes a target may name (``mcsim search`` adds
    a few whole-run figures to the KPIs).
    """
    match = re.fullmatch(r"\s*([a-z0-9_]+)\s*(>=|<=)\s*([-+0-9.eE]+)\s*", text)
    if match is None:
        raise ValueError(
            f"--target {text!r}: expected KPI>=VALUE or KPI<=VALUE, e.g. employer_acceptance_rate>=0.3"
        )
    kpi, op, raw = match.groups()
    if kpi not in names:
        raise ValueError(f"--target {text!r}: unknown KPI {kpi!r}; KPIs are: {', '.join(names)}")
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"--target {text!r}: {raw!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"--target {text!r}: the value must be a finite number")
    return kpi, Target(op, value, f"{kpi} {op} {value:g} (set with --target)")


def resolve_targets(texts: list[str] | None) -> dict[str, Target]:
    """The evidence's targets with ``--target`` ones added; a KPI given again replaces its target."""
    return TARGETS | dict(parse_target(t) for t in texts or [])


def targets_to_meta(targets: dict[str, Target]) -> dict[str, dict[str, object]]:
    """Targets as JSON for ``manifest.json``, so a report rebuilt from the folder uses the same ones."""
    return {kpi: {"op": t.op, "value": t.value, "text": t.text} for kpi, t in targets.items()}


def targets_from_meta(meta: Mapping[str, Any]) -> dict[str, Target]:
    """The targets a run was made with (older manifests: the evidence's)."""
    stored = meta.get("targets")
    if not stored:
        return dict(TARGETS)
    return {kpi: Target(t["op"], float(t["value"]), t["text"]) for kpi, t in stored.items()}


def weeks_to_target(series: np.ndarray, target: Target) -> float:
    """The week from which the target is met to the end of the run (NaN if it never is).

    Weeks are numbered as on the charts' axis, "week since the start": 0 is the first week.
    """
    ok = np.asarray(target.met(np.asarray(series, dtype=float)), dtype=bool)
    if len(ok) == 0 or not ok[-1]:
        return float("nan")
    failing = np.flatnonzero(~ok)
    return float(failing[-1] + 1 if len(failing) else 0)


def time_to_target(kpis: pd.DataFrame, targets: Mapping[str, Target] = TARGETS) -> pd.DataFrame:
    """Per scenario, replication and target: weeks to reach and hold it (NaN: not within the run).

    Stocks and ratios are compared week by week; flows by their total since the start.
    """
    rows = []
    for (scenario, rep), grp in kpis.groupby(["scenario", "rep"], sort=False):
        grp = grp.sort_values("step")
        for kpi, target in targets.items():
            if kpi in grp:
                series = grp[kpi].to_numpy(float)
                if _FLOWS.get(kpi):  # a flow's target is on its total since the start, as the report draws it
                    series = np.nancumsum(series)
                weeks = weeks_to_target(series, target)
                rows.append({"scenario": scenario, "rep": rep, "kpi": kpi, "weeks": weeks})
    return pd.DataFrame(rows, columns=["scenario", "rep", "kpi", "weeks"])


def summarise_time_to_target(per_run: pd.DataFrame, horizon_weeks: dict[str, int]) -> pd.DataFrame:
    """Per scenario and target: share of runs that reach it, and the median and 90 % range of weeks.

    The quantiles are over runs that reach the target; ``reached_share`` says how many those are.
    """
    rows = []
    for (scenario, kpi), grp in per_run.groupby(["scenario", "kpi"], sort=False):
        weeks = grp["weeks"].to_numpy(float)
        hit = weeks[np.isfinite(weeks)]
        q = np.quantile(hit, [0.05, 0.5, 0.95]) if len(hit) else [np.nan] * 3
        rows.append(
            {
                "scenario": scenario,
                "kpi": kpi,
                "runs": len(weeks),
                "reached_share": len(hit) / len(weeks) if len(weeks) else float("nan"),
                "weeks_median": float(q[1]),
                "weeks_q05": float(q[0]),
                "weeks_q95": float(q[2]),
                "horizon_weeks": horizon_weeks[scenario],
            }
        )
    return pd.DataFrame(rows)
