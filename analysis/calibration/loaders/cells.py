"""Published cells: checked against the file's own totals, selected, and summed into tidy targets.

Why checks before sums: a loader that misreads a layout (regional rows taken for national ones, sex
sections summed) still produces plausible numbers. Every file that prints a total next to its parts
is checked: the parts must add up to the total within what rounding allows (``counts.tolerance``),
or the loader stops and names the rows. Only then are rows selected (a field filter, or the rows
totalled over dimensions the targets do not break down by) and summed into targets by year, sex,
the model's age bands and, given a region map, region.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

import pandas as pd

from analysis.calibration.indicators import format_group
from analysis.calibration.loaders.counts import Count, tolerance
from analysis.calibration.loaders.labels import OPEN, LoaderError, age_groups, norm, parse_age
from analysis.calibration.targets import COLUMNS, tidy
from model.compiled import AGE_BANDS

__all__ = ["Record", "Cells", "UNKNOWN", "check_totals", "select", "to_targets", "age_label", "RegionMap"]

#: A label the loader read but cannot place (``Tieto puuttuu``, an unknown sex): kept for sums and
#: checks, left out of the groups.
UNKNOWN = "?"
RegionMap = dict[str, str]
_MAX_LINES = 6


@dataclass(frozen=True)
class Record:
    """One published number: measure, year, its labels per dimension (None = total), row number."""

    measure: str
    year: int
    dims: tuple[Any, ...]
    count: Count
    line: int


def _text(v: Any) -> str:
    if v is None:
        return "total"
    if isinstance(v, tuple):
        return f"{v[0]}+" if v[1] >= OPEN else f"{v[0]}-{v[1]}"
    return str(v)


def _describe(names: tuple[str, ...], dims: tuple[Any, ...]) -> str:
    shown = [f"{n.removeprefix('other:')}={_text(v)}" for n, v in zip(names, dims, strict=True)]
    return ", ".join(shown) if shown else "total"


def _incomplete(name: str, labels: list[Any]) -> bool:
    """True when the parts shown evidently leave some of the whole out (then only excess is an error).

    One sex without the other, or age or firm-size bands with a gap or not reaching the open end.
    """
    if name == "gender":
        return not {"f", "m"} <= set(labels) and UNKNOWN not in labels
    if name in ("age", "size"):
        bands = sorted(b for b in labels if isinstance(b, tuple))
        if UNKNOWN in labels or not bands:
            return False
        reach = bands[0][0] - 1
        if bands[0][0] > (16 if name == "age" else 1):
            return True
        for lo, hi in bands:
            if lo > reach + 1:
                return True
            reach = max(reach, hi)
        return reach < OPEN
    return False


def check_totals(records: list[Record], names: tuple[str, ...], where: str) -> list[Record]:
    """Check every printed total against its printed parts; LoaderError naming the rows if they differ.

    Returns the records with repeats of the same cell dropped (a sex section's own row and its
    ``00 TOTAL`` row, say), after checking that the repeats agree.

    A total over dimension d is a record with None at d; its parts are the records equal to it
    elsewhere and filled at d. They must add up within ``counts.tolerance``; where the parts
    evidently do not cover the whole (one sex, age bands with a gap), only an excess is an error.
    """
    seen: dict[tuple, Record] = {}
    parts: dict[tuple, list[Record]] = defaultdict(list)
    for r in records:
        key = (r.measure, r.year, r.dims)
        other = seen.get(key)
        if other is not None:
            if abs(other.count.value - r.count.value) > tolerance(other.count, [r.count]):
                raise LoaderError(
                    f"{where}: rows {other.line} and {r.line} give {r.measure} {r.year} "
                    f"({_describe(names, r.dims)}) as {other.count.value:g} and {r.count.value:g}"
                )
            continue
        seen[key] = r
        for d, v in enumerate(r.dims):
            if v is not None:
                parts[(r.measure, r.year, d, r.dims[:d] + (None,) + r.dims[d + 1 :])].append(r)
    for (measure, year, dims), total in seen.items():
        for d, v in enumerate(dims):
            group = parts.get((measure, year, d, dims)) if v is None else None
            if not group:
                continue
            s = sum(p.count.value for p in group)
            tol = tolerance(total.count, [p.count for p in group])
            diff = s - total.count.value
            if diff > tol or (-diff > tol and not _incomplete(names[d], [p.dims[d] for p in group])):
                lines = sorted(p.line for p in group)
                shown = ", ".join(map(str, lines[:_MAX_LINES])) + (" ..." if len(lines) > _MAX_LINES else "")
                raise LoaderError(
                    f"{where}: row {total.line} gives {measure} {year} ({_describe(names, dims)}) as "
                    f"{total.count.value:g}, but rows {shown} (by {names[d]}) add up to {s:g}; "
                    f"expected a difference within ±{tol:g} (the publisher's rounding)"
                )
    return list(seen.values())


def select(
    records: list[Record], names: tuple[str, ...], fields: list[str] | None, where: str
) -> list[Record]:
    """Keep, per measure, year, sex, age and region, the coarsest rows over the other dimensions.

    Dimensions named ``other:...`` (qualification, provider, anything the targets do not break down
    by) are summed over; where the file prints a total or subtotal over them, that is used instead
    of its parts, so nothing is counted twice. With ``fields``, only rows whose ``other:`` labels
    contain one of the texts are kept (then the coarsest of those).
    """
    core = [i for i, n in enumerate(names) if not n.startswith("other:")]
    rest = [i for i, n in enumerate(names) if n.startswith("other:")]
    if fields:
        wanted = [norm(w) for w in fields]
        records = [
            r for r in records if any(w in " ".join(norm(r.dims[i] or "") for i in rest) for w in wanted)
        ]
        if not records:
            raise LoaderError(f"{where}: no rows whose field or qualification contains {' or '.join(fields)}")
    groups: dict[tuple, list[Record]] = defaultdict(list)
    for r in records:
        groups[(r.measure, r.year, tuple(r.dims[i] for i in core))].append(r)
    kept = []
    for group in groups.values():
        tails = {tuple(r.dims[i] for i in rest) for r in group}
        for r in group:
            mine = tuple(r.dims[i] for i in rest)
            if not any(coarser in tails for coarser in _coarser(mine)):
                kept.append(r)
    return kept


def _coarser(labels: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    """Every label tuple that totals ``labels`` over one or more of its filled positions."""
    filled = [i for i, v in enumerate(labels) if v is not None]
    out = []
    for n in range(1, len(filled) + 1):
        for drop in combinations(filled, n):
            out.append(tuple(None if i in drop else v for i, v in enumerate(labels)))
    return out


@dataclass
class Cells:
    """Selected cells summed by (year, gender, age band, region) per measure, with notes for the user."""

    data: dict[str, dict[tuple, list[float]]] = field(default_factory=lambda: defaultdict(dict))
    notes: list[str] = field(default_factory=list)

    def add(self, measure: str, year: int, gender: Any, age: Any, region: Any, count: Count) -> None:
        """Add a count to its cell (rows that differ only in summed-over dimensions add up)."""
        cell = self.data[measure].setdefault((year, gender, age, region), [0.0, 0.0])
        cell[0] += count.value
        cell[1] += count.var

    @classmethod
    def of(cls, records: list[Record], names: tuple[str, ...]) -> Cells:
        """Cells from selected records (dimensions gender, age, region; the rest summed over)."""
        pos = {n: names.index(n) if n in names else None for n in ("gender", "age", "region")}
        cells = cls()
        for r in records:
            g, a, reg = (None if pos[n] is None else r.dims[pos[n]] for n in ("gender", "age", "region"))
            cells.add(r.measure, r.year, g, a, reg, r.count)
        return cells


def _region_lookup(region_map: RegionMap | None, aliases: dict[str, str]):
    unmapped: set[str] = set()

    def region_of(label: Any) -> str | None | bool:
        if label is None:
            return None
        if region_map is None or label == UNKNOWN:
            return False
        n = norm(label)
        got = region_map.get(n) or region_map.get(aliases.get(n, ""))
        if got is None:
            unmapped.add(str(label))
            return False
        return got

    return region_of, unmapped


def _sd(var: float, value: float, rel: float, floor: float) -> float:
    return max(math.sqrt(var + (rel * value) ** 2), floor)


def to_targets(
    cells: Cells,
    indicators: dict[str, str],
    *,
    country: str,
    source: str,
    region_map: RegionMap | None,
    rel_uncertainty: float,
    region_aliases: dict[str, str] | None = None,
    shares: dict[str, tuple[str, str]] | None = None,
) -> pd.DataFrame:
    """Yearly targets per measure: total, by gender, by the model's age bands, by mapped region.

    A breakdown comes from the cells totalled over the other dimensions where the file prints
    them; otherwise from the finest cells, when the other dimensions' values cover everyone (both
    sexes; age bands reaching every model band). Counts get an uncertainty of at least 0.5.
    ``shares`` maps a measure to (share indicator, whom it counts): women ÷ (women + men), with
    the delta-method uncertainty of the published counts.
    """
    rows: list[dict[str, Any]] = []
    ages = sorted({k[2] for m in cells.data.values() for k in m if isinstance(k[2], tuple)})
    agemap = age_groups(ages)
    dropped = [a for a in ages if a not in agemap]
    if dropped:
        shown = ", ".join(f"{lo}-{'' if hi >= OPEN else hi}" for lo, hi in dropped)
        cells.notes.append(f"age bands {shown} do not align with the model's bands {AGE_BANDS}; left out")
    region_of, unmapped = _region_lookup(region_map, region_aliases or {})

    def label_of(dim: str, key: tuple) -> Any:
        _, g, a, r = key
        if dim == "all":
            return "all"
        if dim == "gender":
            return g if g in ("f", "m") else False
        if dim == "age":
            return agemap.get(a, False) if a is not None else None
        return region_of(r)

    shared: set[tuple[str, int]] = set()  # (share indicator, year) already written
    for measure, indicator in indicators.items():
        table = cells.data.get(measure, {})
        for year in sorted({k[0] for k in table}):
            mine = {k: v for k, v in table.items() if k[0] == year}
            for dim in ("all", "gender", "age", "region"):
                sums = _sums(mine, dim, label_of)
                for label, (v, var) in sums.items():
                    group = {} if dim == "all" else {dim: tuple(str(label).split("|"))}
                    rows.append(
                        _row(indicator, country, year, group, v, _sd(var, v, rel_uncertainty, 0.5), source)
                    )
                name, whom = (shares or {}).get(measure, ("", ""))
                if dim == "gender" and name and (name, year) not in shared and {"f", "m"} <= set(sums):
                    shared.add((name, year))
                    rows.append(
                        _share(name, country, year, sums["f"], sums["m"], rel_uncertainty, source, whom)
                    )
    if unmapped:
        cells.notes.append(f"regions not in the region map, left out: {', '.join(sorted(unmapped))}")
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    return tidy(frame, "loaded targets") if len(frame) else frame


_DIM_POS = {"gender": 1, "age": 2, "region": 3}


def _sums(mine: dict[tuple, list[float]], dim: str, label_of) -> dict[Any, list[float]]:
    """Sum cells into the breakdown ``dim``, summing over as few other dimensions as possible.

    First the cells the file totals over every other dimension; else the cells totalled over all
    but one other dimension, summed over that one (if its values cover everyone); and so on. So a
    printed row total is used rather than the sum of its rounded parts.
    """
    others = [d for d, i in _DIM_POS.items() if d != dim and any(k[i] is not None for k in mine)]
    for size in range(len(others) + 1):
        for summed in combinations(others, size):
            pick = [
                (k, v)
                for k, v in mine.items()
                if all((k[i] is not None) == (d in summed) for d, i in _DIM_POS.items() if d != dim)
                and (dim == "all" or k[_DIM_POS[dim]] is not None)
            ]
            if not pick or not _covers(pick, summed, label_of):
                continue
            sums: dict[Any, list[float]] = {}
            for k, (v, var) in pick:
                label = label_of(dim, k)
                if label is None or label is False:
                    continue
                acc = sums.setdefault(label, [0.0, 0.0])
                acc[0] += v
                acc[1] += var
            if sums:
                return sums
    return {}


def _covers(pick: list, summed: tuple[str, ...], label_of) -> bool:
    """True if summing the cells over the dimensions ``summed`` counts everyone.

    Sexes and age bands must not evidently leave anyone out (``_incomplete``); age bands that
    reach into every model band also count (sources omit empty cells, so the oldest ages may be
    missing).
    """
    for d in summed:
        labels = [k[_DIM_POS[d]] for k, _ in pick]
        if not _incomplete(d, labels):
            continue
        groups = {label_of("age", k) for k, _ in pick if k[2] != UNKNOWN} if d == "age" else {False}
        named = {p for g in groups if isinstance(g, str) for p in g.split("|")}
        if named != set(AGE_BANDS) or False in groups:
            return False
    return True


def _row(indicator: str, country: str, year: int, group: dict, value: float, sd: float, source: str) -> dict:
    return {
        "indicator": indicator,
        "country": country,
        "year": year,
        "group": format_group(group),
        "value": value,
        "uncertainty": sd,
        "source": source,
    }


def _share(name, country, year, women, men, rel, source, whom) -> dict:
    (w, wv), (m, mv) = women, men
    value = w / (w + m) if w + m > 0 else 0.0
    var = (m**2 * wv + w**2 * mv) / (w + m) ** 4 if w + m > 0 else 0.0
    text = f"{source}; women ÷ (women + men) among {whom}, from the published counts"
    return _row(name, country, year, {}, value, _sd(var, value, rel, 1e-4), text)


def age_label(label: Any) -> tuple[int, int] | str | None:
    """An age label as a cell key: a band, None for a total, UNKNOWN for a missing age."""
    from analysis.calibration.loaders.labels import is_total

    if label is None or is_total(label):
        return None
    band = parse_age(label)
    return UNKNOWN if band is None else band
