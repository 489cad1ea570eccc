"""SEPE (Spain) training for employment: SISPE tables (report L1383 measures), CSV or workbook.

Layout (docs/calibration.md): a table whose header row names its columns, anywhere in the first
rows: label columns ``Año``/``Ejercicio``, ``Sexo``, ``Edad``/``Tramo de edad``, ``Comunidad
autónoma``, ``Especialidad``/``Familia profesional``, and measure columns ``Participantes``,
``Finalizados``, ``Abandonos`` (or ``Abandonos por colocación`` and ``por otras causas``),
``Inserción 6/12 meses``, ``Afiliación 6/12 meses`` (percentages). Sex may also be across the
columns (``Hombres | Mujeres | Total`` under a measure). Labels left blank repeat the row above;
``Total`` rows are totals and are checked against their parts. SEPE's own export layout could not
be confirmed (public-facts §9), so headers are matched by the aliases below.
"""

from __future__ import annotations

from collections.abc import Callable
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
from analysis.calibration.loaders.counts import Rounding, read_count
from analysis.calibration.loaders.labels import LoaderError, gender, is_total, norm, parse_size, parse_year
from analysis.calibration.loaders.options import LoaderOptions, Options, choose_years
from analysis.calibration.loaders.sheets import read_rows
from analysis.calibration.loaders.table import Table, measures_named, read_table
from analysis.calibration.targets import COLUMNS, tidy

__all__ = ["load_sepe", "CAPTIONS", "MEASURES", "table_records"]


def _caption(text: str) -> str | None:
    return _kind(text, CAPTIONS)


def _measure(text: str) -> str | None:
    return _kind(text, MEASURES)


CAPTIONS = {
    "year": ("ano", "anio", "ejercicio", "year", "periodo"),
    "gender": ("sexo", "genero"),
    "age": ("edad", "tramo de edad", "grupo de edad", "tramos de edad"),
    "region": ("comunidad autonoma", "ccaa", "comunidad", "c autonoma", "comunidad autonoma de imparticion"),
    "field": (
        "especialidad",
        "especialidad formativa",
        "familia profesional",
        "familia",
        "codigo especialidad",
        "area profesional",
        "iniciativa",
        "tipo de formacion",
    ),
}
MEASURES = {
    "enrolments": (
        "participantes",
        "alumnos formados",
        "alumnos",
        "personas participantes",
        "participantes formados",
    ),
    "completions": ("finalizados", "participantes finalizados", "alumnos finalizados", "finalizan"),
    "dropouts": ("abandonos", "abandonos total", "bajas", "abandonos totales"),
    "dropouts_hired": ("abandonos por colocacion", "bajas por colocacion", "abandono por colocacion"),
    "dropouts_other": ("abandonos por otras causas", "bajas por otras causas", "abandono por otras causas"),
    "placement_6m_rate": ("insercion 6 meses", "insercion a 6 meses", "tasa de insercion 6 meses"),
    "placement_12m_rate": ("insercion 12 meses", "insercion a 12 meses", "tasa de insercion 12 meses"),
    "affiliation_6m_rate": ("afiliacion 6 meses", "afiliacion a 6 meses", "tasa de afiliacion 6 meses"),
    "affiliation_12m_rate": ("afiliacion 12 meses", "afiliacion a 12 meses", "tasa de afiliacion 12 meses"),
}
_RATES = ("placement_6m_rate", "placement_12m_rate", "affiliation_6m_rate", "affiliation_12m_rate")
_COUNTS = ("enrolments", "completions", "dropouts", "dropouts_hired")


def _kind(text: str, names: dict[str, tuple[str, ...]]) -> str | None:
    n = norm(text)
    return next((k for k, aliases in names.items() if n in aliases), None)


def table_records(
    table: Table,
    caption_kind: Callable[[str], str | None],
    measure_kind: Callable[[str], str | None],
    measures: dict[str, tuple[str, ...]],
    rounding: dict[str, Rounding],
    year: int | None,
) -> tuple[list[Record], tuple[str, ...], bool]:
    """Records of a Spanish statistics table (SEPE, FUNDAE): (records, dimension names, has years).

    Label columns are classified by ``caption_kind`` (year, gender, age, region, size; anything
    else is summed over); number columns by their header items: a measure (``measure_kind``, or
    one of ``measures`` named in the title), a sex, a year, ``Total``. ``rounding`` gives each
    measure's rounding.
    """
    kinds = []
    for c in table.captions:
        kind = caption_kind(c)
        kinds.append(f"other:{c}" if kind in (None, "field") or kind in kinds else kind)
    cols: list[tuple[int, str, dict[str, Any]]] = []
    fallback = measures_named([str(c) for row in table.above for c in row], measures)
    for j, items in table.items.items():
        measure, dims = None, {}
        for item in items:
            m = measure_kind(item)
            if m:
                measure = m
            elif parse_year(item):
                dims["year"] = parse_year(item)
            elif gender(item) in ("f", "m"):
                dims["gender"] = gender(item)
            elif not is_total(item):
                dims[f"other:{item}"] = item
        if measure is None and len(fallback) == 1:
            measure = next(iter(fallback))
        if measure is not None:
            cols.append((j, measure, dims))
    if not cols:
        names = "; ".join(" / ".join(v[:2]) for v in measures.values())
        raise LoaderError(
            f"{table.where}: row {table.header_row + 1}: no measure column; expected one of {names}"
        )
    col_kinds = {k for _, _, d in cols for k in d}
    has_year = "year" in kinds or "year" in col_kinds
    if not has_year and year is None:
        raise LoaderError(
            f"{table.where}: no year column (Año / Ejercicio) and no year in the header; pass --year"
        )
    core = ["gender", "age", "region"] + (["size"] if "size" in kinds else [])
    names = (*core, *sorted({k for k in kinds if k.startswith("other:")} | (col_kinds - {"year", "gender"})))
    out = []
    for line in table.lines:
        if not line.has_values:
            continue
        raw = dict(zip(kinds, line.labels, strict=True))
        for j, measure, cdims in cols:
            dims = {**raw, **{k: cdims.get(k) for k in col_kinds}}
            y = dims.pop("year") if "year" in dims else year
            if y is None:
                continue
            if not isinstance(y, int) and parse_year(y) is None:
                raise LoaderError(f"{table.at(line)}: year {y!r} is not a calendar year")
            try:
                count = read_count(line.values[j], ".", rounding[measure])  # type: ignore[arg-type]
            except LoaderError as exc:
                raise LoaderError(f"{table.at(line)}, column {j + 1}: {exc}; expected a number") from None
            if count is None:
                continue
            g = dims.get("gender")
            g = g if g in (None, "f", "m") else gender(g)
            parsed = {
                "gender": UNKNOWN if g is False else g,
                "age": age_label(dims.get("age")),
                "size": _size(dims.get("size")),
            }
            key = tuple(parsed[n] if n in parsed else dims.get(n) for n in names)
            out.append(Record(measure, y if isinstance(y, int) else parse_year(y), key, count, line.number))
    return out, names, has_year


def _size(label: Any) -> Any:
    if label is None or is_total(label):
        return None
    band = parse_size(label)
    return UNKNOWN if band is None else band


def load_sepe(
    path: str | Path,
    **options: Unpack[LoaderOptions],
) -> tuple[pd.DataFrame, list[str]]:
    """A SEPE / SISPE training-for-employment table → (targets, notes)."""
    opts = Options.of("ES", options)
    rows = read_rows(path, opts.sheet)
    where = str(path) + (f" [{opts.sheet}]" if opts.sheet else "")
    table = read_table(
        rows,
        where,
        lambda t: _caption(t) is not None,
        lambda t: _measure(t) is not None,
        "a SEPE training table",
    )
    rounding: dict[str, Rounding] = {m: ("printed" if m in _RATES else "exact") for m in MEASURES}
    records, names, has_year = table_records(table, _caption, _measure, MEASURES, rounding, opts.year)
    if opts.fields and not any(_caption(c) == "field" for c in table.captions):
        opts.refuse(table.where, fields="the table has no Especialidad/Familia column")
    if opts.region_map and "region" not in [_caption(c) for c in table.captions]:
        opts.refuse(table.where, region_map="the table has no Comunidad autónoma column")
    records = check_totals([r for r in records if r.measure not in _RATES], names, table.where) + [
        r for r in records if r.measure in _RATES
    ]
    years = choose_years({r.year for r in records}, opts.year if has_year else None, table.where)
    records = select([r for r in records if r.year in years], names, opts.fields, table.where)
    _derive_dropouts(records)
    cells = Cells.of([r for r in records if r.measure in _COUNTS + ("dropouts",)], names)
    src = opts.source or f"SEPE {Path(path).name}" + (f" ({', '.join(opts.fields)})" if opts.fields else "")
    frame = to_targets(
        cells,
        {m: m for m in _COUNTS if cells.data.get(m)},
        country=opts.country,
        source=src,
        region_map=opts.region_map,
        rel_uncertainty=opts.rel_uncertainty,
        shares={"enrolments": ("women_enrolment_share", "participants")},
    )
    frame = _with_rates(frame, cells, records, opts.country, src, opts.rel_uncertainty)
    if frame.empty:
        raise LoaderError(
            f"{table.where}: no figures in the data rows"
            + (f" matching {opts.fields}" if opts.fields else "")
        )
    return frame, cells.notes


def _derive_dropouts(records: list[Record]) -> None:
    """Dropouts = dropouts for hiring + for other reasons, where only the two are published."""
    if any(r.measure == "dropouts" for r in records):
        return
    other = {(r.year, r.dims): r for r in records if r.measure == "dropouts_other"}
    for r in [r for r in records if r.measure == "dropouts_hired"]:
        o = other.get((r.year, r.dims))
        if o is not None:
            total = type(r.count)(
                r.count.value + o.count.value, r.count.var + o.count.var, r.count.err + o.count.err
            )
            records.append(Record("dropouts", r.year, r.dims, total, r.line))


def _with_rates(
    frame: pd.DataFrame, cells: Cells, records: list[Record], country: str, src: str, rel: float
) -> pd.DataFrame:
    """Add the completion rate (from counts) and the published national rates (percent → share)."""
    extra = []
    done, drop = cells.data.get("completions", {}), cells.data.get("dropouts", {})
    for key, (c, cv) in done.items():
        y, g, a, r = key
        if g is not None or a is not None or r is not None or key not in drop or c + drop[key][0] <= 0:
            continue
        d, dv = drop[key]
        rate = c / (c + d)
        var = (d**2 * cv + c**2 * dv) / (c + d) ** 4 + (rel * rate) ** 2
        extra.append(
            (
                "completion_rate",
                y,
                rate,
                max(var**0.5, 1e-3),
                f"{src}; finalizados ÷ (finalizados + abandonos)",
            )
        )
    national: dict[tuple[str, int], list[Record]] = {}
    for rec in records:
        if rec.measure in _RATES and all(v is None for v in rec.dims[:3]):
            national.setdefault((rec.measure, rec.year), []).append(rec)
    for (m, y), recs in sorted(national.items()):
        if len(recs) != 1:
            cells.notes.append(f"{m} {y}: {len(recs)} rows without a single national figure; left out")
            continue
        v = recs[0].count.value
        v = v / 100.0 if v > 1 else v  # printed as a percentage, or already as a share
        sd = ((recs[0].count.var / 1e4) + (rel * v) ** 2) ** 0.5
        extra.append((m, y, v, max(sd, 1e-3), f"{src}; {m.replace('_', ' ')} (percent of participants)"))
    if not extra:
        return frame
    more = pd.DataFrame(
        [
            {
                "indicator": i,
                "country": country,
                "year": y,
                "group": "all",
                "value": v,
                "uncertainty": u,
                "source": s,
            }
            for i, y, v, u, s in extra
        ],
        columns=list(COLUMNS),
    )
    return tidy(pd.concat([frame, more], ignore_index=True), src)
