"""Vipunen (Finland) report downloads: CSV, XLSX and XLSB, flat tables and pivot tables.

What a Vipunen report looks like (docs/calibration.md describes each layout):

* a **report sheet** with a pivot table: titles and report filters (``Tilastovuosi | 2023``) above,
  then the pivot; row dimensions on the left, in **tabular** form (one column per dimension,
  repeated labels left blank, subtotal rows ``Uusimaa Yhteensä``, grand total ``Kokonaissumma``) or
  **compact** form (one ``Rivitunnisteet`` column holding every level); column dimensions
  (``Sukupuoli``, ``Tilastovuosi``) and measures across the top;
* a **description sheet** (``Raporttiselite``) that states the report's filters, the year among
  them when the year is not a row or column of the pivot;
* privacy protection: counts of 1-4 appear as ``1-4``, larger counts are rounded to a multiple of 3,
  and empty cells are ``−`` (U+2212) or blank.

A report saved as a flat table (one column per dimension, every label repeated) is the same
layout with nothing left blank.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Unpack

import pandas as pd

from analysis.calibration.loaders.cells import (
    UNKNOWN,
    Cells,
    Record,
    age_label,
    check_totals,
    select,
    to_targets,
)
from analysis.calibration.loaders.counts import read_count
from analysis.calibration.loaders.labels import LoaderError, gender, is_total, norm, parse_age, parse_year
from analysis.calibration.loaders.options import LoaderOptions, Options, choose_years
from analysis.calibration.loaders.sheets import is_workbook, read_rows, sheet_names
from analysis.calibration.loaders.table import ROW_LABELS, Table, filter_value, measures_named, read_table

__all__ = ["load_vipunen_report", "MEASURES", "REGIONS", "region_caption", "measure_of", "SHARES"]

#: Vipunen's measures (Finnish, Swedish, English captions and API names) → indicator.
MEASURES = {
    "new_learners": ("uudet opiskelijat", "uudetopiskelijatlkm", "nya studerande", "new students"),
    "learners": ("opiskelijat", "opiskelijatlkm", "studerande", "students"),
    "credentials_issued": (
        "tutkinnon suorittaneet",
        "tutkinnonsuorittaneetlkm",
        "tutkinnot",
        "avlagda examina",
        "examina",
        "completed qualifications",
        "qualifications completed",
    ),
}
#: Women's share computed from which measure's counts, and whom it counts.
SHARES = {
    "new_learners": ("women_share", "new students"),
    "learners": ("women_share", "students"),
}

#: The regions (maakunnat) in Finnish, with the Swedish and English names Vipunen's reports use in
#: those languages; a region map written with the Finnish names also matches the others.
REGIONS = {
    "Uusimaa": ("Nyland", "Uusimaa"),
    "Varsinais-Suomi": ("Egentliga Finland", "Southwest Finland"),
    "Satakunta": ("Satakunta", "Satakunta"),
    "Kanta-Häme": ("Egentliga Tavastland", "Kanta-Häme"),
    "Pirkanmaa": ("Birkaland", "Pirkanmaa"),
    "Päijät-Häme": ("Päijänne-Tavastland", "Päijät-Häme"),
    "Kymenlaakso": ("Kymmenedalen", "Kymenlaakso"),
    "Etelä-Karjala": ("Södra Karelen", "South Karelia"),
    "Etelä-Savo": ("Södra Savolax", "South Savo"),
    "Pohjois-Savo": ("Norra Savolax", "North Savo"),
    "Pohjois-Karjala": ("Norra Karelen", "North Karelia"),
    "Keski-Suomi": ("Mellersta Finland", "Central Finland"),
    "Etelä-Pohjanmaa": ("Södra Österbotten", "South Ostrobothnia"),
    "Pohjanmaa": ("Österbotten", "Ostrobothnia"),
    "Keski-Pohjanmaa": ("Mellersta Österbotten", "Central Ostrobothnia"),
    "Pohjois-Pohjanmaa": ("Norra Österbotten", "North Ostrobothnia"),
    "Kainuu": ("Kajanaland", "Kainuu"),
    "Lappi": ("Lappland", "Lapland"),
    "Ahvenanmaa": ("Åland", "Åland"),
}
REGION_ALIASES = {norm(other): norm(fi) for fi, names in REGIONS.items() for other in names}
_REGION_NAMES = set(REGION_ALIASES) | {norm(fi) for fi in REGIONS}

_YEAR = {"tilastovuosi", "vuosi", "statistikar", "ar", "statistical year", "year", "kalenterivuosi"}
_MONTH = {"kuukausi", "tilastokuukausi", "manad", "statistikmanad", "month", "statistical month"}
_GENDER = {"sukupuoli", "kon", "gender", "sex"}
_FIELD_START = ("koulutusala", "tutkinto", "osaamisala", "utbildningsomrade", "examen", "field of education")
_FIELD_START += ("qualification", "koulutus", "utbildning", "education")
_SEVERAL = {"useita", "kohteita", "multiple", "items", "flera", "kaikki", "all", "alla"}
_DESCRIPTION = {"raporttiselite", "rapportbeskrivning", "report description", "selite", "description"}


def region_caption(text: str) -> bool:
    """True for a caption naming a region (maakunta) dimension, as Vipunen writes them.

    Finnish captions end in *maakunta* (``Maakunta``, ``Oppilaitoksen maakunta``, ``Koulutuksen
    järjestäjän maakunta``, ``Kunnan maakunta``, ``Toimipisteen maakunta``, ``Kotimaakunta``,
    ``Asuinmaakunta``); Swedish ones in *landskap* (``Läroanstaltens landskap``, ``Hemlandskap``);
    English ones are ``Region``, ``Region of ...`` or ``... region``. Major regions and
    sub-regions (suuralue, seutukunta) are not regions of the model.
    """
    n = norm(text)
    words = n.split()
    if not words or words[0] in ("koodit", "jarj", "jarjestys"):
        return False
    if re.search(r"maakunta\b", n) or re.search(r"landskap\b", n):
        return True
    return n == "region" or n.startswith("region of ") or n.endswith(" region") or n.startswith("region ")


def _caption_kind(text: str) -> str | None:
    n = norm(text)
    if n in _YEAR:
        return "year"
    if n in _MONTH:
        return "month"
    if n in _GENDER:
        return "gender"
    if n.startswith(("ika", "alder", "age")) and not n.startswith("ikaantyneet"):
        return "age"
    if region_caption(text):
        return "region"
    if n.startswith(_FIELD_START):
        return "field"
    return None


def measure_of(text: Any) -> str | None:
    """The measure a caption names (``Uudet opiskelijat``, ``Uudet opiskelijat lkm``), else None."""
    n = norm(text)
    best = None
    for measure, names in MEASURES.items():
        for alias in names:
            if (n == alias or n.startswith(alias + " ")) and (best is None or len(alias) > len(best[1])):
                best = (measure, alias)
    return best[0] if best else None


def _is_item(text: str) -> bool:
    return bool(
        measure_of(text)
        or parse_year(text)
        or gender(text) in ("f", "m")
        or is_total(text)
        or parse_age(text) is not None
    )


def _is_caption(text: str) -> bool:
    return _caption_kind(text) is not None


@dataclass
class _Column:
    """A number column: its measure and its labels of the column dimensions."""

    index: int
    measure: str | None
    dims: dict[str, Any]


def _label_kinds(table: Table) -> tuple[list[str], list[str]]:
    """The dimension of each row-label column (``other:<caption>`` for those summed over), and notes."""
    kinds: list[str] = []
    notes = []
    for caption in table.captions:
        kind = "compact" if norm(caption) in ROW_LABELS else _caption_kind(caption)
        if kind in (None, "field") or kind in kinds:
            if kind == "region":
                notes.append(
                    f"a second region column ({caption}) is summed over; regions are read from the first"
                )
            kind = f"other:{caption or 'unnamed'}"
        kinds.append(kind)
    return kinds, notes


def _column_dims(table: Table) -> list[_Column]:
    """Classify the items over each number column (measure, sex, year, age band, other).

    A column whose header names no measure takes the one named in the title or the data caption
    above the row labels; if that is not exactly one, the column is refused.
    """
    found = []
    for j, items in table.items.items():
        measure, dims = None, {}
        for item in items:
            if measure_of(item):
                measure = measure_of(item)
            elif parse_year(item):
                dims["year"] = parse_year(item)
            elif gender(item) in ("f", "m"):
                dims["gender"] = gender(item)
            elif is_total(item):
                continue
            elif parse_age(item) is not None:
                dims["age"] = parse_age(item)
            else:
                dims["other:column"] = item
        found.append(_Column(j, measure, dims))
    kinds = {k for c in found for k in c.dims}
    fallback = measures_named([str(c) for row in table.above for c in row] + table.captions, MEASURES)
    for c in found:
        for k in kinds:
            c.dims.setdefault(k, None)  # a total column (Yhteensä, Kokonaissumma) of that dimension
        if c.measure is None and len(fallback) != 1:
            raise LoaderError(
                f"{table.where}: column {c.index + 1}: cannot tell its measure (Uudet opiskelijat, "
                "Opiskelijat or Tutkinnon suorittaneet) from its header, the title or the filters"
            )
        c.measure = c.measure or next(iter(fallback))
    return found


def _filters(path: Path, table: Table) -> dict[str, tuple[str, str]]:
    """Report filters naming a year, sex, age group or region: kind → (value shown, where).

    Read above the pivot on its sheet, then on the description sheet (``Raporttiselite``).
    """
    places: list[tuple[list[list[Any]], str]] = [(table.above[: table.block_top], table.where)]
    if is_workbook(path):
        for name in sheet_names(path):
            if norm(name) in _DESCRIPTION:
                places.append((read_rows(path, name), f"{path} [{name}]"))
    found: dict[str, tuple[str, str]] = {}
    for kind in ("year", "gender", "age", "region"):
        for rows, where in places:
            got = filter_value(rows, lambda key, kind=kind: _caption_kind(key) == kind)
            if got is not None:
                found[kind] = (got[0], f"{where}: row {got[1]}")
                break
    return found


def _filter_year(found: dict[str, tuple[str, str]]) -> tuple[int | None, str]:
    """The one year a report is filtered to; several years cannot date the figures."""
    if "year" not in found:
        return None, ""
    text, where = found["year"]
    years = sorted({int(y) for y in re.findall(r"\b(?:19|20)\d\d\b", text)})
    if len(years) != 1 or set(norm(text).split()) & _SEVERAL:
        raise LoaderError(
            f"{where}: the report is filtered to {text!r}; expected one statistical year "
            "(figures summed over several years cannot be dated): filter the report to one year"
        )
    return years[0], where


def _filter_dims(found: dict[str, tuple[str, str]]) -> dict[str, Any]:
    """Sex, age group or region a report is filtered to: every figure belongs to that group."""
    dims = {}
    for kind in ("gender", "age", "region"):
        if kind not in found:
            continue
        text, where = found[kind]
        if is_total(text) or set(norm(text).split()) & {"kaikki", "all", "alla"}:
            continue
        if set(norm(text).split()) & _SEVERAL or "," in text:
            raise LoaderError(
                f"{where}: the report is filtered to {text!r}; expected one {kind} or all "
                "(a sum over some of them is no group of the model)"
            )
        dims[kind] = text
    return dims


def _report_table(path: Path, sheet: str | None) -> Table:
    names = sheet_names(path) if is_workbook(path) else []
    if sheet is not None or not names:
        where = f"{path}" + (f" [{sheet}]" if sheet else "")
        return read_table(read_rows(path, sheet), where, _is_caption, _is_item, "a Vipunen report table")
    candidates = [n for n in names if norm(n) not in _DESCRIPTION]
    failures = []
    for name in candidates:
        try:
            return read_table(
                read_rows(path, name), f"{path} [{name}]", _is_caption, _is_item, "a Vipunen report"
            )
        except LoaderError as exc:
            failures.append(str(exc))
    raise LoaderError(failures[0] if len(failures) == 1 else f"{path}: no sheet holds a Vipunen report table")


def _compact_kind(label: str) -> str:
    """What a label in a compact pivot's single row-label column is, read from the label itself."""
    if parse_year(label):
        return "year"
    if gender(label) in ("f", "m"):
        return "gender"
    n = norm(label)
    if n in _REGION_NAMES:
        return "region"
    if parse_age(label) is not None and re.search(
        r"vuotia|vuotta|\bar\b|aged|years|\d\s*[-–]\s*\d", n + label
    ):
        return "age"
    return "other:compact"


def _line_labels(table: Table, kinds: list[str]) -> list[dict[str, Any]]:
    """Each line's labels by dimension, with a compact column's levels unfolded (None = total)."""
    compact = [k for k, kind in enumerate(kinds) if kind == "compact"]
    out = []
    order: list[str] = []
    context: dict[str, Any] = {}
    for line in table.lines:
        dims: dict[str, Any] = {}
        for k, kind in enumerate(kinds):
            if kind != "compact":
                dims[kind] = line.labels[k]
        for k in compact:
            label = line.labels[k]
            if label is None:  # the grand total
                context = {}
            else:
                level = _compact_kind(label)
                if level not in order:
                    order.append(level)
                depth = order.index(level)
                context = {lv: v for lv, v in context.items() if order.index(lv) < depth}
                context[level] = label
            for level in order:
                dims[level] = context.get(level)
        out.append(dims)
    return out


def _cell_dims(dims: dict[str, Any], where: str) -> dict[str, Any]:
    """Parse a line's labels: years, sexes and age bands to keys; other labels kept as text."""
    out = {}
    for kind, label in dims.items():
        if label is None:
            out[kind] = None
        elif kind == "year":
            year = parse_year(label)
            if year is None:
                raise LoaderError(f"{where}: year {label!r} is not a calendar year")
            out[kind] = year
        elif kind == "gender":
            g = gender(label)
            out[kind] = g if g else UNKNOWN
        elif kind == "age":
            out[kind] = age_label(label)
        elif kind == "region" and "puuttuu" in norm(label):
            out[kind] = UNKNOWN
        else:
            out[kind] = label
    return out


def load_vipunen_report(
    path: str | Path,
    **options: Unpack[LoaderOptions],
) -> tuple[pd.DataFrame, list[str]]:
    """A Vipunen report download (CSV, XLSX, XLSB; flat, tabular or compact pivot) → (targets, notes)."""
    opts = Options.of("FI", options)
    path = Path(path)
    table = _report_table(path, opts.sheet)
    kinds, notes = _label_kinds(table)
    fieldish = [c for c in table.captions if _caption_kind(c) == "field" or norm(c) in ROW_LABELS]
    if opts.fields and not fieldish:
        raise LoaderError(
            f"{table.where}: a field filter was given but the table has no field/qualification column"
        )
    columns = _column_dims(table)
    labels = _line_labels(table, kinds)
    found = _filters(path, table)
    filter_year, filter_where = _filter_year(found)
    fixed = {
        k: v for k, v in _filter_dims(found).items() if k not in kinds and all(k not in d for d in labels)
    }
    labels = [{**fixed, **d} for d in labels]
    has_year = "year" in kinds or any("year" in c.dims for c in columns) or any("year" in d for d in labels)
    if not has_year and filter_year is None and opts.year is None:
        raise LoaderError(
            f"{table.where}: no year: no Tilastovuosi column, no year filter above the pivot or on a "
            "Raporttiselite sheet; pass --year"
        )
    if filter_year is not None and opts.year is not None and filter_year != opts.year:
        raise LoaderError(
            f"{filter_where}: the report is filtered to {filter_year}, but --year {opts.year} was given"
        )
    records = _records(table, labels, columns, filter_year or opts.year)
    extra = {k for d in labels for k in d} | {k for c in columns for k in c.dims}
    names = ("gender", "age", "region", *sorted(extra - {"gender", "age", "region", "year"}))
    recs = [Record(m, y, tuple(d.get(n) for n in names), cnt, ln) for m, y, d, cnt, ln in records]
    if not recs:
        raise LoaderError(f"{table.where}: no data rows below the header (row {table.header_row + 1})")
    if "month" in names and any(r.measure == "learners" for r in recs):
        raise LoaderError(
            f"{table.where}: students (Opiskelijat) are a stock and cannot be summed over months"
        )
    recs = check_totals(recs, names, table.where)
    years = choose_years({r.year for r in recs}, opts.year if has_year else None, table.where)
    recs = [r for r in recs if r.year in years]
    if opts.region_map and "region" not in kinds and not any("region" in d for d in labels):
        opts.refuse(table.where, region_map="the table has no region column")
    recs = select(recs, names, opts.fields, table.where)
    cells = Cells.of(recs, names)
    cells.notes.extend(notes)
    if opts.region_map is None and any(r.dims[2] is not None for r in recs):
        cells.notes.append("regional rows were not broken down (no region map given); national figures only")
    src = opts.source or f"Vipunen report {path.name}" + (
        f" ({', '.join(opts.fields)})" if opts.fields else ""
    )
    if filter_year is not None:
        src += f"; year {filter_year} from the report filter"
    measures = [m for m in MEASURES if any(r.measure == m for r in recs)]  # new students' share first
    frame = to_targets(
        cells,
        {m: m for m in measures},
        country=opts.country,
        source=src,
        region_map=opts.region_map,
        rel_uncertainty=opts.rel_uncertainty,
        region_aliases=REGION_ALIASES,
        shares=SHARES,
    )
    return frame, cells.notes


def _records(
    table: Table, labels: list[dict[str, Any]], columns: list, year: int | None
) -> list[tuple[str, int, dict[str, Any], Any, int]]:
    """(measure, year, dims, count, row) for every filled number cell of every line."""
    out = []
    for line, raw in zip(table.lines, labels, strict=True):
        if not line.has_values:
            continue
        where = table.at(line)
        dims = _cell_dims(raw, where)
        for col in columns:
            cell_dims = {**dims, **col.dims}
            y = cell_dims.pop("year") if "year" in cell_dims else year
            if y is None:
                continue  # a total over years: not a yearly figure
            try:
                count = read_count(line.values[col.index], " ", "vipunen")
            except LoaderError as exc:
                raise LoaderError(
                    f"{where}, column {col.index + 1}: {exc}; expected a count, 1-4 or −"
                ) from None
            if count is not None:
                out.append((col.measure, int(y), cell_dims, count, line.number))
    return out
