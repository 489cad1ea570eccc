"""Where a parameter value comes from: a report line, a public rule, a calibration, or an assumption.

Why a type of its own: DESIGN §5 asks that no assumption is ever presented as data, and that every
assumption carries a plausible range (the ensemble in issue 10 samples it). The wrapper syntax is
parsed and checked here, once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["Provenance", "ProvenanceError", "parse_wrapper"]

Kind = Literal["report", "public", "source", "lever", "calibrated", "assumption", "override", "set"]
_TAGS = ("source", "assumption", "calibrated")


class ProvenanceError(ValueError):
    """A malformed provenance wrapper."""


@dataclass(frozen=True, slots=True)
class Provenance:
    """The origin of one value; ``range`` is required for numeric assumptions."""

    kind: Kind
    text: str
    range: tuple[float, float] | None = None

    def describe(self) -> str:
        """One line for tables: kind, text and range."""
        rng = f" [range {self.range[0]:g}..{self.range[1]:g}]" if self.range else ""
        return f"{self.kind}: {self.text}{rng}"


def _kind_of_source(text: str) -> Kind:
    low = text.lower()
    if low.startswith("report") or low.startswith("l") and low[1:2].isdigit():
        return "report"
    if low.startswith("public"):
        return "public"
    if low.startswith("lever"):
        return "lever"
    return "source"


def parse_wrapper(node: Any) -> tuple[Any, Provenance] | None:
    """Return (value, provenance) if ``node`` is a ``{value: ..., source|assumption|...}`` wrapper."""
    if not isinstance(node, dict) or "value" not in node:
        return None
    tags = [t for t in _TAGS if t in node]
    if not tags:
        return None
    extra = set(node) - {"value", "range", *_TAGS}
    if extra or len(tags) != 1:
        raise ProvenanceError(
            "a provenance wrapper holds 'value' and exactly one of source/assumption/calibrated "
            f"(plus 'range' for assumptions); found keys {sorted(node)}"
        )
    tag, value, text = tags[0], node["value"], str(node[tags[0]])
    rng = node.get("range")
    if tag == "assumption":
        numeric = isinstance(value, int | float) and not isinstance(value, bool)
        if numeric and rng is None:
            raise ProvenanceError(
                "an assumption needs a plausible range: add range: [low, high] "
                "(DESIGN §5: the ensemble samples it)"
            )
        if rng is not None:
            if not (
                isinstance(rng, list)
                and len(rng) == 2
                and all(isinstance(x, int | float) for x in rng)
            ):
                raise ProvenanceError(f"range: expected [low, high] numbers, got {rng!r}")
            lo, hi = float(rng[0]), float(rng[1])
            if not lo <= hi:
                raise ProvenanceError(f"range: low {lo} is above high {hi}")
            if numeric and not lo <= float(value) <= hi:
                raise ProvenanceError(f"value {value} lies outside its range [{lo}, {hi}]")
            return value, Provenance("assumption", text, (lo, hi))
        return value, Provenance("assumption", text)
    if rng is not None:
        raise ProvenanceError("'range' belongs to assumptions only")
    kind: Kind = "calibrated" if tag == "calibrated" else _kind_of_source(text)
    return value, Provenance(kind, text)
