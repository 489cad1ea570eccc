"""Numbers for people: one set of rules for the terminal, the report, the dashboard and the studies.

Why one module: the same KPI must read the same wherever it is shown (a share as ``12.3 %``, a
difference of shares in percentage points, no value as ``n/a``), so a workshop can compare the
terminal, the report and the dashboard without translating. Plain numbers (fitted parameters,
losses, p-values, sensitivity indices) follow the same rules, without a unit.

Rules, by size of the shown value: a million and more ``1.23 M``; 100 and more whole numbers with
thousands separators ``12,345``; below 100 three significant digits (``12.3``, ``1.20``,
``0.0500``); zero ``0``. Differences carry a sign. Missing, infinite or NaN: ``n/a``.
"""

from __future__ import annotations

import math

from model.kpis import KPIS

__all__ = ["NA", "format_number", "format_kpi", "format_interval", "format_estimate", "is_share"]

#: How a missing or undefined number reads everywhere.
NA = "n/a"

_UNIT = {k.name: k.unit for k in KPIS}


def is_share(kpi: str) -> bool:
    """Whether a KPI is a share (0 to 1), shown in % (and its differences in percentage points)."""
    return _UNIT.get(kpi) == "share"


def _finite(x: object) -> float | None:
    try:
        v = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def _magnitude(v: float) -> str:
    if v == 0:
        return "0"
    shown = float(f"{v:.3g}")  # three significant digits decide the form: 99.96 shows as 100
    a = abs(shown)
    if a >= 1e6:
        return f"{v / 1e6:,.2f} M"
    if a >= 100:
        return f"{v:,.0f}"
    return f"{shown:#.3g}"  # trailing zeros kept: 12.3, 1.20, 0.0500


def format_number(x: object, *, share: bool = False, diff: bool = False) -> str:
    """A number for people.

    Args:
        x: The value; None, NaN, infinities and non-numbers read ``n/a``.
        share: A share (0 to 1): shown in % (``12.3 %``), or in percentage points with ``diff``.
        diff: A difference: a positive value carries ``+``.
    """
    v = _finite(x)
    if v is None:
        return NA
    if share:
        v *= 100.0
    text = _magnitude(v)
    if diff and v > 0 and text != "0":
        text = "+" + text
    if share:
        text += " pp" if diff else " %"
    return text


def format_kpi(x: object, kpi: str, *, diff: bool = False) -> str:
    """A KPI value (or a paired difference of one) in the KPI's own unit."""
    return format_number(x, share=is_share(kpi), diff=diff)


def format_interval(lo: object, hi: object, kpi: str = "", *, diff: bool = False) -> str:
    """A 95 % interval as ``[lo, hi]`` in the KPI's unit (plain numbers when ``kpi`` is empty)."""
    return f"[{format_kpi(lo, kpi, diff=diff)}, {format_kpi(hi, kpi, diff=diff)}]"


def format_estimate(x: object, lo: object, hi: object, kpi: str = "", *, diff: bool = False) -> str:
    """An estimate with its 95 % interval: ``12.3 % [10.1 %, 14.5 %]``."""
    return f"{format_kpi(x, kpi, diff=diff)} {format_interval(lo, hi, kpi, diff=diff)}"
