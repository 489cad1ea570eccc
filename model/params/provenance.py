"""Where a parameter value comes from: a report line, a public rule, a calibration, or an assumption.

Why a type of its own: DESIGN §5 asks that no assumption is ever presented as data, and that every
assumption carries a plausible range (the ensemble in issue 10 samples it). The wrapper syntax is
parsed and checked here, once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "Provenance",
    "ProvenanceError",
    "parse_wrapper",
    "default_provenance",
    "DEFAULT_SOURCES",
]

Kind = Literal[
    "report",
    "public",
    "source",
    "lever",
    "calibrated",
    "assumption",
    "override",
    "set",
    "default",
]
_TAGS = ("source", "assumption", "calibrated")


class ProvenanceError(ValueError):
    """A malformed provenance wrapper."""


@dataclass(frozen=True, slots=True)
class Provenance:
    """The origin of one value; ``range`` is required for numeric assumptions.

    A value inside a table assumption (a wrapper around a mapping or list holding numbers) has no
    ``range`` of its own: ``table`` is the dotted key of the table and ``table_range`` the range of
    the one factor or tempering exponent that stands for the whole table (``model.params.tables``).
    """

    kind: Kind
    text: str
    range: tuple[float, float] | None = None
    table: str | None = None
    table_range: tuple[float, float] | None = None
    choices: tuple[Any, ...] | None = None  # a structural assumption: the rules the ensemble may pick

    def describe(self) -> str:
        """One line for tables: kind, text and range."""
        rng = f" [range {self.range[0]:g}..{self.range[1]:g}]" if self.range else ""
        if self.choices:
            rng = f" [choices {', '.join(map(str, self.choices))}]"
        if self.table_range:
            from model.params.tables import rule_for

            lo, hi = self.table_range
            rule = rule_for(self.table or "")
            rng = f" [table {self.table}: {rule.mode} {lo:g}..{hi:g}]"
        return f"{self.kind}: {self.text}{rng}"


def _kind_of_source(text: str) -> Kind:
    low = text.lower()
    if low.startswith("report") or low.startswith("l") and low[1:2].isdigit():
        return "report"
    if low.startswith("public-facts") or low.startswith("public rule"):
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
    extra = set(node) - {"value", "range", "choices", *_TAGS}
    if extra or len(tags) != 1:
        raise ProvenanceError(
            "a provenance wrapper holds 'value' and exactly one of source/assumption/calibrated "
            f"(plus 'range' or 'choices' for assumptions); found keys {sorted(node)}"
        )
    tag, value, text = tags[0], node["value"], str(node[tags[0]])
    rng = node.get("range")
    if "choices" in node:
        return value, _choice(tag, value, text, node["choices"], rng)
    if tag == "assumption" and isinstance(value, dict | list) and value:
        return value, Provenance("assumption", text, table_range=_table_range(rng))
    if tag == "assumption":
        numeric = isinstance(value, int | float) and not isinstance(value, bool)
        if rng is not None and not numeric:
            kind = type(value).__name__
            raise ProvenanceError(f"range: a {kind} value has nothing to sample; drop the range")
        if numeric and rng is None:
            raise ProvenanceError(
                "an assumption needs a plausible range: add range: [low, high] "
                "(DESIGN §5: the ensemble samples it)"
            )
        if rng is not None:
            if not (isinstance(rng, list) and len(rng) == 2 and all(isinstance(x, int | float) for x in rng)):
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


def _choice(tag: str, value: Any, text: str, choices: Any, rng: Any) -> Provenance:
    """A structural assumption: one of a few rules, each defensible; the ensemble samples the choice."""
    if tag != "assumption":
        raise ProvenanceError("'choices' belong to assumptions only")
    if rng is not None:
        raise ProvenanceError("an assumption has either a range or choices, not both")
    names = isinstance(choices, list) and all(isinstance(x, str | bool) for x in choices)
    if not (names and len(choices) >= 2):
        raise ProvenanceError(f"choices: expected a list of two or more names, got {choices!r}")
    if value not in choices:
        raise ProvenanceError(f"value {value!r} is not one of its choices {choices}")
    return Provenance("assumption", text, choices=tuple(choices))


def _table_range(rng: Any) -> tuple[float, float] | None:
    """The range of a table assumption: a factor or exponent around the table as written (1)."""
    if rng is None:
        return None  # the loader decides whether the table needs one (model.params.tables)
    if not (isinstance(rng, list) and len(rng) == 2 and all(_is_number(x) for x in rng)):
        raise ProvenanceError(f"range: expected [low, high] numbers, got {rng!r}")
    lo, hi = float(rng[0]), float(rng[1])
    if not 0 < lo <= 1 <= hi:
        raise ProvenanceError(
            f"range [{lo:g}, {hi:g}] of a table is a factor (or a tempering exponent for shares) around "
            "the table as written, which is 1: expected 0 < low <= 1 <= high"
        )
    return lo, hi


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


#: Sources of schema defaults that are public rules; a key's list indices are written ``[]``.
_CREDIT = "funding.instruments[].credit."
DEFAULT_SOURCES: dict[str, str] = {
    _CREDIT + "contribution_rate": "public-facts §1: training contribution 0.7% of the contribution base",
    _CREDIT + "bonus_rates.6-9": "public-facts §1: bonus 100% for 6-9 workers",
    _CREDIT + "bonus_rates.10-49": "public-facts §1: bonus 75% for 10-49 workers",
    _CREDIT + "bonus_rates.50-249": "public-facts §1: bonus 60% for 50-249 workers",
    _CREDIT + "bonus_rates.250+": "public-facts §1: bonus 50% for 250+ workers",
    _CREDIT + "floor_eur": "public-facts §1: flat EUR 420 credit for 1-5 workers",
    _CREDIT + "cofinancing.1-5": "public-facts §1: no co-financing below 6 workers",
    _CREDIT + "cofinancing.6-9": "public-facts §1: co-financing 5% for 6-9 workers",
    _CREDIT + "cofinancing.10-49": "public-facts §1: co-financing 10% for 10-49 workers",
    _CREDIT + "cofinancing.50-249": "public-facts §1: co-financing 20% for 50-249 workers",
    _CREDIT + "cofinancing.250+": "public-facts §1: co-financing 40% for 250+ workers",
    _CREDIT + "hourly_cap_classroom_eur": "public-facts §1: classroom cap EUR 9 (basic) / 13 (higher level)",
    _CREDIT + "hourly_cap_online_eur": "public-facts §1: online cap EUR 7.5 per participant-hour",
    _CREDIT + "carry_years_under_50": "public-facts §1: firms under 50 may accumulate credit over 3 years",
    "funding.instruments[].voucher_eur_per_period": "public-facts §4: Cheque-Formacao up to EUR 175",
    "funding.instruments[].voucher_period_years": "public-facts §4: Cheque-Formacao, 50 h per 2 years",
}


def default_provenance(dotted: str) -> Provenance:
    """Provenance of a value left at its schema default."""
    import re

    key = re.sub(r"\[\d+\]", "[]", dotted)
    if key in DEFAULT_SOURCES:
        return Provenance("public", f"schema default: {DEFAULT_SOURCES[key]}")
    return Provenance("default", "schema default, no source given (counts as an assumption)")
