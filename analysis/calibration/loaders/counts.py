"""Published numbers: parsing them, and what each publisher's rounding does to them.

Why the rounding travels with every number: Vipunen protects privacy by showing counts of 1-4 as
``1-4`` and rounding larger counts to the nearest multiple of 3; shares in FUNDAE's tables are
printed to one decimal. A target's uncertainty starts from that rounding, and a check that parts
add up to a published total must allow for it, and for no more.

**Tolerance of a sum check, stated once.** Each parsed number carries ``err``, the largest error its
rounding can hide: 1 for a Vipunen count rounded to a multiple of 3 (the true count is within ±1),
1.5 for the band ``1-4`` (read as 2.5), half a unit of the last printed digit for a printed share,
0 for a count published exactly. Parts that should add up to a total may then differ from it by
at most the total's ``err`` plus the sum of the parts' ``err`` (the errors can all point the same
way); any larger difference is a layout the loader misread or a file that contradicts itself.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Literal

from analysis.calibration.loaders.labels import LoaderError, norm

__all__ = ["Count", "Rounding", "EMPTY", "parse_count", "read_count", "is_number", "tolerance"]

#: How a publisher rounds the numbers it prints: ``exact`` (MEFP, SEPE, FUNDAE counts),
#: ``vipunen`` (privacy protection), ``printed`` (a share printed to its last digit).
Rounding = Literal["exact", "vipunen", "printed"]

_ROUND_VAR = 2.0 / 3.0  # rounding to the nearest multiple of 3: error uniform on {-1, 0, 1}
_ROUND_ERR = 1.0
_BAND_VALUE, _BAND_VAR, _BAND_ERR = 2.5, 1.25, 1.5  # "1-4": uniform on {1, 2, 3, 4}

#: Texts that mean "no figure" (a true zero or a suppressed cell): Vipunen's minus sign (U+2212),
#: other dashes, JAXI's dots, and the missing-value words.
EMPTY = {"", "-", "–", "—", "−", "‒", "..", "...", ".", ":", "x", "*", "n.d.", "nd"}
_EMPTY_WORDS = {"tieto puuttuu", "n d", "nd", "no disponible", "sin datos"}


@dataclass(frozen=True)
class Count:
    """A published number: value, variance of its rounding, and the largest error the rounding hides."""

    value: float
    var: float = 0.0
    err: float = 0.0


def is_number(cell: Any) -> bool:
    """True for a cell holding a number or a privacy band (a data cell, not a label)."""
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        return True
    s = str(cell).strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    return bool(re.fullmatch(r"1[-–−]4|[-+]?\d[\d.,]*%?", s))


def parse_count(text: Any, thousands: str = " ") -> tuple[float, float] | None:
    """A published count: (value, sd of the privacy band), or None if the cell is empty.

    ``1-4`` is Vipunen's privacy band (2.5, sd 1.12); other counts are returned with sd 0 (the
    caller adds the rounding of its source). ``thousands`` is the grouping character (" " in
    Finnish, "." in Spanish files); the decimal mark is the other of "," and ".".
    """
    got = read_count(text, thousands, "exact")
    if got is None:
        return None
    return got.value, math.sqrt(got.var)


def read_count(text: Any, thousands: str, rounding: Rounding) -> Count | None:
    """Parse a cell and attach its rounding (see the module docstring); None for an empty cell."""
    if text is None:
        return None
    if isinstance(text, int | float) and not isinstance(text, bool):
        value, decimals = float(text), _decimals(repr(float(text)).rstrip("0").rstrip("."), ".")
    else:
        s = str(text).strip().replace("\u00a0", " ").replace("\u202f", " ")
        if re.fullmatch(r"1\s*[-–−]\s*4", s):
            return Count(_BAND_VALUE, _BAND_VAR, _BAND_ERR)
        if s in EMPTY or norm(s) in _EMPTY_WORDS:
            return None
        s = s.replace(" ", "").rstrip("%").replace("−", "-")
        if thousands == ".":
            s = s.replace(".", "").replace(",", ".")
        elif thousands == ",":
            s = s.replace(",", "")
        else:
            s = s.replace(",", ".")
        try:
            value = float(s)
        except ValueError:
            raise LoaderError(f"not a number: {text!r}") from None
        decimals = _decimals(s, ".")
    if rounding == "vipunen":
        if value == 0:
            return Count(0.0)
        return Count(value, _ROUND_VAR, _ROUND_ERR)
    if rounding == "printed":
        unit = 10.0**-decimals
        return Count(value, unit**2 / 12.0, unit / 2.0)
    return Count(value)


def _decimals(s: str, mark: str) -> int:
    _, _, frac = s.partition(mark)
    return len(frac)


def tolerance(total: Count, parts: list[Count]) -> float:
    """The largest difference rounding allows between a total and the sum of its parts."""
    scale = abs(total.value) + sum(abs(p.value) for p in parts)
    return total.err + sum(p.err for p in parts) + 1e-9 * scale
