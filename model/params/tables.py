"""Ranges on whole tables: what one number does to a table of assumptions.

Why: many assumptions are tables, not single numbers (firm size shares, issuer quality by provider
type, downtime by firm size, provider seats, change events per module). A range per cell would add
dozens of ensemble dimensions nobody can reason about; no range at all would hold them fixed and
hide what we do not know. So a ``range: [lo, hi]`` written on a table is ONE uncertainty dimension,
and the schema field decides what that number means:

* **shares that must add up to one** (``population.size_shares``, ``population.age_shares``, the
  ``share`` of ``population.regions``, an inflow's ``age_shares``): a *tempering exponent* t.
  Shares become s_i^t / sum_j s_j^t: t = 1 is the table as written, t < 1 flatter (towards equal
  shares), t > 1 more concentrated on the largest share. Order is kept and the sum stays one.
* **every other table of magnitudes** (rates, probabilities, seats, costs, quality scores): a
  *factor* f multiplying each number the table holds, clipped to the field's bounds in the schema
  (a probability never above 1, a hazard never above 100) and rounded where the field is an
  integer. f = 1 is the table as written.
* **records** scale only their magnitude: providers their class size (``seats``, ``teachers``,
  ``min_cohort``), inflows their ``per_year``, grant calls their ``budget_eur``.

Numbers that place things in the calendar or count structure are never scaled: weeks of the year,
a call's opening week and deadline, project length, intake intervals, the number of identical
providers (``count``), and the simulated and real population sizes. A range written on a table
must contain 1 (the preset), and a table that holds numbers a range would act on must carry one.
"""

from __future__ import annotations

import math
import re
import types
import typing
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from model.params.keys import split_key

__all__ = [
    "NOT_SCALED",
    "TableRule",
    "rule_for",
    "acts_on",
    "acted_values",
    "needs_range",
    "transform",
    "field_bounds",
    "explain_leaf",
]

#: Field names whose numbers a table's factor never scales: calendar positions and durations, and
#: structure (how many identical providers; simulated and real population sizes).
NOT_SCALED = frozenset(
    {
        "weeks",
        "window_weeks",
        "open_week",
        "deadline_weeks",
        "project_weeks",
        "intake_interval_weeks",
        "count",
        "workers",
        "smes",
        "real_workers",
        "real_smes",
        "horizon_weeks",
    }
)

#: Share tables that must add up to one (key with list indices as ``[]``) -> the share field of a
#: record list, or None when the table is a mapping of shares.
TEMPERED: dict[str, str | None] = {
    "population.size_shares": None,
    "population.age_shares": None,
    "population.regions": "share",
    "flows.inflows[].age_shares": None,
}

#: Record lists whose factor scales only their magnitude fields.
RECORDS: dict[str, tuple[str, ...]] = {
    "providers": ("seats", "teachers", "min_cohort"),
    "flows.inflows": ("per_year",),
    "funding.instruments[].calls": ("budget_eur",),
}


def _norm(key: str) -> str:
    return re.sub(r"\[\d+\]", "[]", key)


@dataclass(frozen=True)
class TableRule:
    """What a table's range means: a ``factor`` or a tempering ``exponent``, on which fields."""

    mode: Literal["factor", "exponent"]
    fields: tuple[str, ...] | None = None  # record fields acted on; None: every number of the table

    def meaning(self) -> str:
        """One line for ``mcsim explain`` and the docs."""
        if self.mode == "exponent":
            return "tempering exponent t: shares s^t renormalised to sum 1 (1 = as written, <1 flatter)"
        if self.fields:
            return f"factor on {', '.join(self.fields)} of every record (1 = as written)"
        return "factor on every number in the table, clipped to its bounds (1 = as written)"


def rule_for(table_key: str) -> TableRule:
    """The rule of the table written at ``table_key`` (decided by what the schema field is)."""
    key = _norm(table_key)
    if key in TEMPERED:
        share = TEMPERED[key]
        return TableRule("exponent", (share,) if share else None)
    base = key[:-2] if key.endswith("[]") else key
    if base in RECORDS:
        return TableRule("factor", RECORDS[base])
    return TableRule("factor", None)


def _in_tempered(leaf_key: str) -> bool:
    key = _norm(leaf_key)
    return any(key.startswith(t + ".") or key.startswith(t + "[") for t in TEMPERED)


def _numeric(value: Any) -> bool:
    if isinstance(value, list):
        return bool(value) and all(_numeric(v) for v in value)
    return isinstance(value, int | float) and not isinstance(value, bool)


def acts_on(table_key: str, leaf_key: str, value: Any) -> bool:
    """Whether the range of the table at ``table_key`` changes the leaf ``leaf_key`` = ``value``."""
    inside = leaf_key == table_key or (leaf_key.startswith(table_key) and leaf_key[len(table_key)] in ".[")
    if not _numeric(value) or not inside:
        return False
    rule = rule_for(table_key)
    rel = split_key(leaf_key[len(table_key) :])
    if rule.mode == "exponent":
        if isinstance(value, list):
            return False
        if rule.fields is None:
            return len(rel) == 1 and isinstance(rel[0], str)
        return len(rel) == 2 and isinstance(rel[0], int) and rel[1] in rule.fields
    names = [p for p in split_key(leaf_key) if isinstance(p, str)]
    if any(n in NOT_SCALED for n in names) or _in_tempered(leaf_key):
        return False
    if rule.fields is not None:
        single = len(rel) == 1
        in_list = len(rel) == 2 and isinstance(rel[0], int)
        return (single or in_list) and rel[-1] in rule.fields
    return True


def _raw_leaves(node: Any, path: str):
    """Leaves of a raw YAML table as the loader sees them; nested provenance wrappers are skipped."""
    from model.params.provenance import ProvenanceError, parse_wrapper

    try:
        if parse_wrapper(node) is not None:
            return  # a value with its own provenance is not part of the table
    except ProvenanceError:
        return  # the loader reports it when it reaches it
    if isinstance(node, dict) and node:
        for k, v in node.items():
            yield from _raw_leaves(v, f"{path}.{k}")
    elif isinstance(node, list) and node and all(isinstance(x, dict) for x in node):
        for i, v in enumerate(node):
            yield from _raw_leaves(v, f"{path}[{i}]")
    else:
        yield path, node


def acted_values(table_key: str, raw: Any) -> list[tuple[str, Any]]:
    """The leaves of a raw table that its range would change: (dotted key, value)."""
    return [(k, v) for k, v in _raw_leaves(raw, table_key) if acts_on(table_key, k, v)]


def needs_range(table_key: str, raw: Any) -> bool:
    """Whether a table assumption holds numbers a range would act on (then it must carry one).

    A share table needs at least two positive shares: tempering cannot change a single one.
    """
    acted = acted_values(table_key, raw)
    if rule_for(table_key).mode == "exponent":
        return sum(1 for _, v in acted if v > 0) >= 2
    return bool(acted)


# -- bounds from the schema -------------------------------------------------------------------------
def _strip(t: Any, part: str | int | None = None) -> tuple[Any, list[Any]]:
    """The type under Annotated and Optional; of a union of models, the one that has the field ``part``."""
    meta: list[Any] = []
    while True:
        origin = typing.get_origin(t)
        if origin is Annotated:
            base, *extra = typing.get_args(t)
            for e in extra:
                meta.extend(e.metadata if isinstance(e, FieldInfo) else [e])
            t = base
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(t) if a is not type(None)]
            holders = [
                a for a in args if isinstance(a, type) and issubclass(a, BaseModel) and part in a.model_fields
            ]
            t = holders[0] if holders else args[0]
        else:
            return t, meta


def field_bounds(leaf_key: str) -> tuple[bool, float, float]:
    """(is integer, lowest, highest) a leaf may hold, read from the scenario schema."""
    from model.params.schema import Scenario

    t: Any = Scenario
    meta: list[Any] = []
    for part in split_key(leaf_key):
        t, more = _strip(t, part)
        meta = more
        if isinstance(t, type) and issubclass(t, BaseModel) and isinstance(part, str):
            f = t.model_fields[part]
            t, meta = f.annotation, list(f.metadata)
        elif typing.get_origin(t) is list:
            t, meta = typing.get_args(t)[0], []
        elif typing.get_origin(t) is dict:
            t, meta = typing.get_args(t)[1], []
        else:
            raise KeyError(leaf_key)
    t, more = _strip(t)
    meta += more
    if typing.get_origin(t) is list:  # a list of numbers: the bounds of its items
        t, meta = _strip(typing.get_args(t)[0])
    is_int = t is int
    lo, hi = -math.inf, math.inf
    for m in meta:
        if getattr(m, "ge", None) is not None:
            lo = max(lo, float(m.ge))
        if getattr(m, "gt", None) is not None:
            lo = max(lo, float(m.gt) + 1 if is_int else math.nextafter(float(m.gt), math.inf))
        if getattr(m, "le", None) is not None:
            hi = min(hi, float(m.le))
        if getattr(m, "lt", None) is not None:
            hi = min(hi, float(m.lt) - 1 if is_int else math.nextafter(float(m.lt), -math.inf))
    return is_int, lo, hi


def _scale(leaf_key: str, value: Any, factor: float) -> Any:
    if isinstance(value, list):
        return [_scale(leaf_key, v, factor) for v in value]
    is_int, lo, hi = field_bounds(leaf_key)
    x = min(max(float(value) * factor, lo), hi)
    if is_int:
        return int(min(max(math.floor(x + 0.5), lo), hi))
    return x


def transform(table_key: str, leaves: dict[str, Any], x: float) -> dict[str, Any]:
    """New values for ``leaves`` (dotted key -> value, the ones the range acts on) at ``x``.

    A factor multiplies each value (clipped to the schema's bounds, integers rounded); an exponent
    tempers the shares and renormalises them, so they still add up to one in the same order. At
    ``x == 1`` the values are returned exactly as written.
    """
    if x <= 0:
        raise ValueError(f"{table_key}: a factor or exponent must be positive, got {x}")
    if x == 1:
        return dict(leaves)
    if rule_for(table_key).mode == "factor":
        return {k: _scale(k, v, x) for k, v in leaves.items()}
    powered = {k: float(v) ** x if v > 0 else 0.0 for k, v in leaves.items()}
    total = math.fsum(powered.values())
    if total <= 0:
        return dict(leaves)
    return {k: v / total for k, v in powered.items()}


def explain_leaf(leaf_key: str, value: Any, table_key: str) -> str:
    """How a table's range acts on one of its leaves, for ``mcsim explain``."""
    rule = rule_for(table_key)
    if acts_on(table_key, leaf_key, value):
        return f"table {table_key}: {rule.meaning()}"
    if _numeric(value):
        return f"table {table_key}: held (calendar, structure or not this table's magnitude)"
    return f"table {table_key}: not a number, held"
