"""KPI cards: a scenario's value of one KPI, its interval, its change and its colour, for every screen.

Why one module: the report's scorecard and the dashboard show the same thing (a mean over the
replications, its 95 % interval, coloured by a target or by the paired difference against the
baseline); with one rule and one colour table, a KPI is never green in one and grey in the other.
``kpi_card`` computes a card from the result tables; ``card_cell`` draws it as the report's table
cell; the dashboard draws the same ``Card`` with Dash components.

Colours: a KPI with a target is coloured against it (``meets`` when the whole interval meets it,
``misses`` when none of it does, ``uncertain`` otherwise); any other KPI by its declared direction
(``KPI.direction``) relative to the baseline: ``better`` or ``worse`` when the 95 % interval of the
paired difference excludes zero, ``unclear`` when it includes zero, no colour for KPIs kept for
information.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from analysis.numbers import format_estimate, format_interval, format_kpi, is_share
from analysis.targets import TARGETS, Target
from model.kpis import KPIS

__all__ = [
    "STATUS_COLOUR",
    "STATUS_LEGEND",
    "Card",
    "status",
    "possible",
    "kpi_card",
    "difference_card",
    "card_cell",
]

_DIRECTION = {k.name: k.direction for k in KPIS}

#: Background of a card or cell by status: the one colour table of the report and the dashboard.
STATUS_COLOUR = {
    "better": "#cdebd3",
    "meets": "#cdebd3",
    "worse": "#f6d0d3",
    "misses": "#f6d0d3",
    "uncertain": "#fbeebc",
    "unclear": "#eeeeee",
    "": "#ffffff",
}

#: The legend under a scorecard: status and what its colour says.
STATUS_LEGEND = (
    ("meets", "meets the target / better than baseline"),
    ("uncertain", "interval straddles the target"),
    ("misses", "misses the target / worse than baseline"),
    ("unclear", "no clear difference from baseline"),
)


def _finite(x: float) -> bool:
    return x is not None and math.isfinite(x)


def status(
    kpi: str, mean: float, lo: float, hi: float, *, diff: bool, targets: Mapping[str, Target] = TARGETS
) -> str:
    """Colour class of a value (``diff=False``, against a target) or of a paired difference.

    For a KPI with a target: ``meets``, ``misses`` or ``uncertain`` as the module says; ``""``
    without a target. For a difference against the baseline: ``better``/``worse`` by the KPI's
    direction when the interval excludes zero, ``unclear`` when it includes zero, ``""`` for
    information KPIs.
    """
    if not diff:
        t = targets.get(kpi)
        if t is None or not _finite(mean):
            return ""
        lo_, hi_ = (lo, hi) if _finite(lo) and _finite(hi) else (mean, mean)
        if t.met(lo_) and t.met(hi_):
            return "meets"
        if not t.met(lo_) and not t.met(hi_):
            return "misses"
        return "uncertain"
    direction = _DIRECTION.get(kpi)
    if direction is None or direction == "info" or not _finite(mean):
        return ""
    if not (_finite(lo) and _finite(hi)) or (lo <= 0 <= hi):
        return "unclear"
    up = lo > 0
    return "better" if up == (direction == "max") else "worse"


def possible(kpi: str, lo: float, hi: float) -> tuple[float, float]:
    """An interval of a KPI's mean cut to what the KPI can be (never below 0; shares at most 100 %).

    With few replications a t-interval can reach past those limits, which reads as nonsense.
    """
    top = 1.0 if is_share(kpi) else math.inf

    def cut(x: float) -> float:
        return float(min(max(x, 0.0), top)) if _finite(x) else x

    return cut(lo), cut(hi)


@dataclass(frozen=True)
class Card:
    """One KPI of one scenario, formatted for people, with its status colour."""

    value: str
    interval: str
    status: str = ""
    kpi: str = ""  # on a scorecard card: its KPI and scenario, which the report marks its cell with
    scenario: str = ""
    change: str = ""  # the paired difference against the baseline with its interval, if any
    baseline: str = ""  # the baseline's value, if asked for

    @property
    def colour(self) -> str:
        """Background colour of the card (``STATUS_COLOUR``)."""
        return STATUS_COLOUR[self.status]


def _row(table: pd.DataFrame | None, label: str, kpi: str) -> pd.Series | None:
    if table is None:
        return None
    r = table[(table["scenario"] == label) & (table["kpi"] == kpi)]
    return r.iloc[0] if len(r) else None


def kpi_card(
    summary: pd.DataFrame,
    diff: pd.DataFrame | None,
    kpi: str,
    label: str,
    targets: Mapping[str, Target] = TARGETS,
    baseline: str | None = None,
) -> Card | None:
    """The card of ``kpi`` for scenario ``label``, or None when the summary has no such row.

    Args:
        summary: Per scenario and KPI: ``mean``, ``lo``, ``hi`` (``analysis.summary.summarise``).
        diff: Paired differences against the baseline (``diff``, ``lo``, ``hi``), or None.
        kpi: The KPI.
        label: The scenario.
        targets: Targets to colour against (a KPI without one is coloured by its difference).
        baseline: The baseline's label, to show its value on the card too.
    """
    r = _row(summary, label, kpi)
    if r is None:
        return None
    lo, hi = possible(kpi, r["lo"], r["hi"])
    st = status(kpi, r["mean"], lo, hi, diff=False, targets=targets)
    d = _row(diff, label, kpi)
    if d is not None:
        st = st or status(kpi, d["diff"], d["lo"], d["hi"], diff=True)
    b = _row(summary, baseline, kpi) if baseline is not None else None
    return Card(
        value=format_kpi(r["mean"], kpi),
        interval=format_interval(lo, hi, kpi),
        status=st,
        kpi=kpi,
        scenario=label,
        change=format_estimate(d["diff"], d["lo"], d["hi"], kpi, diff=True) if d is not None else "",
        baseline=format_kpi(b["mean"], kpi) if b is not None else "",
    )


def difference_card(diff: pd.DataFrame | None, kpi: str, label: str) -> Card | None:
    """The paired difference of ``kpi`` for scenario ``label`` against the baseline, as a card."""
    d = _row(diff, label, kpi)
    if d is None:
        return None
    return Card(
        value=format_kpi(d["diff"], kpi, diff=True),
        interval=format_interval(d["lo"], d["hi"], kpi, diff=True),
        status=status(kpi, d["diff"], d["lo"], d["hi"], diff=True),
    )


def card_cell(card: Card, note: str = "") -> str:
    """The card as the report's scorecard cell: value, interval, an optional note; change on hover."""
    esc = html.escape
    attrs = f' title="change against baseline: {esc(card.change)}"' if card.change else ""
    if card.kpi:
        attrs += f' data-kpi="{esc(card.kpi)}" data-scenario="{esc(card.scenario)}"'
    more = f'<br><small class="worlds">{esc(note)}</small>' if note else ""
    return (
        f'<td class="num {card.status}" style="background:{card.colour}"{attrs}>'
        f"<b>{esc(card.value)}</b><br><small>{esc(card.interval)}</small>{more}</td>"
    )
