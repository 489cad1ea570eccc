"""MEFP (Spain) FP statistics: the JAXI/educabase exports ``csv_c`` (comma), ``csv_sc`` (semicolon), XLSX.

Layout (docs/calibration.md): a title line naming the table type (*alumnado de nuevo ingreso*,
*matriculado*, *que terminó*) and the school year (``Curso 2023-2024``); header rows of age bands,
under a row of sexes (``AMBOS SEXOS``, ``Hombres``, ``Mujeres``) when sex is in the columns; rows
``00 TOTAL``, ``01 ANDALUCÍA`` (communities, upper case) and their provinces (``04 Almería``). When
sex is in the rows, each sex is a section: a row ``AMBOS SEXOS`` / ``Hombres`` / ``Mujeres`` (alone
or with figures) followed by that sex's ``00 TOTAL`` and community rows, or a first column of sexes
beside the region column. Numbers use ``.`` for thousands; empty cells are blank or ``..``.
The school year ``2023-24`` is read as calendar year 2023, when new entrants start.
"""

from __future__ import annotations

import re
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
from analysis.calibration.loaders.labels import LoaderError, gender, is_total, norm
from analysis.calibration.loaders.options import LoaderOptions, Options
from analysis.calibration.loaders.sheets import Rows, blank, read_rows

__all__ = ["load_mefp", "CCAA"]

#: Autonomous communities as the MEFP and SEPE tables name them (normalised).
CCAA = (
    "andalucia",
    "aragon",
    "asturias principado de",
    "asturias",
    "balears illes",
    "illes balears",
    "baleares",
    "canarias",
    "cantabria",
    "castilla y leon",
    "castilla la mancha",
    "cataluna",
    "catalunya",
    "comunitat valenciana",
    "comunidad valenciana",
    "extremadura",
    "galicia",
    "madrid comunidad de",
    "comunidad de madrid",
    "madrid",
    "murcia region de",
    "region de murcia",
    "murcia",
    "navarra comunidad foral de",
    "comunidad foral de navarra",
    "navarra",
    "pais vasco",
    "rioja la",
    "la rioja",
    "ceuta",
    "melilla",
)
_SECTIONS = {"ambos sexos", "total sexos", "ambos sexos total"}
_NAMES = ("gender", "age", "region", "other:province")
_CODE = re.compile(r"^\s*\d\d\s+")


def _measure(title: str) -> str | None:
    n = norm(title)
    if "nuevo ingreso" in n:
        return "new_learners"
    if "termin" in n or "titulad" in n or "graduad" in n:
        return "credentials_issued"
    if "matriculad" in n or "alumnado" in n:
        return "learners"
    return None


def _is_section(label: str) -> bool:
    return norm(label) in _SECTIONS or gender(label) in ("f", "m")


def _is_data_start(row: list[Any]) -> bool:
    first = "" if blank(row[0]) else str(row[0])
    return bool(_CODE.match(first)) or is_total(first) or (bool(first.strip()) and _is_section(first))


def _column_keys(header: Rows, width: int, labels: int) -> dict[int, tuple[Any, Any]]:
    """(sex, age) of each number column from the header rows (outer rows filled to the right)."""
    keys: dict[int, tuple[Any, Any]] = {}
    carry = [""] * len(header)
    for j in range(labels, width):
        sex: Any = None
        age: Any = "?"
        for r, row in enumerate(header):
            text = "" if blank(row[j]) else str(row[j]).strip()
            if r < len(header) - 1:
                carry[r] = text or carry[r]
                text = carry[r]
            if not text:
                continue
            if _is_section(text) or "sexo" in norm(text):
                sex = gender(text) if gender(text) in ("f", "m") else None
            else:
                age = age_label(text)
        if age != "?":
            keys[j] = (sex, age)
    return keys


def load_mefp(
    path: str | Path,
    *,
    measure: str | None = None,
    **options: Unpack[LoaderOptions],
) -> tuple[pd.DataFrame, list[str]]:
    """An MEFP JAXI export (sex in the columns or in row sections) → (targets, notes)."""
    opts = Options.of("ES", options)
    rows = read_rows(path, opts.sheet)
    where = str(path)
    filled = [i for i, r in enumerate(rows) if any(not blank(c) for c in r)]
    if len(filled) < 3:
        raise LoaderError(f"{where}: too short for an MEFP table (title, header rows, data rows)")
    title = ",".join(str(c) for c in rows[filled[0]] if not blank(c))  # an unquoted title splits at commas
    measure = measure or _measure(title + " " + Path(path).name)
    if measure is None:
        raise LoaderError(
            f"{where}: row {filled[0] + 1}: cannot tell the table type from the title {title!r}; expected "
            "'nuevo ingreso', 'matriculado' or 'terminó' (or pass measure=)"
        )
    if opts.fields and not any(norm(f) in norm(title) for f in opts.fields):
        opts.refuse(
            where, fields=f"the table has no professional-family breakdown and its title {title!r} names none"
        )
    m = re.search(r"((?:19|20)\d\d)\s*[-/]\s*(?:(?:19|20)?\d\d)", title + " " + Path(path).name)
    if m and opts.year is not None and int(m.group(1)) != opts.year:
        raise LoaderError(
            f"{where}: --year {opts.year}: the title says school year {m.group(0)} (read as {m.group(1)})"
        )
    if not m and opts.year is None:
        raise LoaderError(
            f"{where}: no school year (e.g. 2023-24) in the title or the file name; pass --year"
        )
    y = int(m.group(1)) if m else int(opts.year)  # type: ignore[arg-type]
    start = next((i for i in filled[1:] if _is_data_start(rows[i])), None)
    if start is None:
        raise LoaderError(
            f"{where}: no data rows; expected rows such as '00 TOTAL', '01 ANDALUCÍA' or 'AMBOS SEXOS'"
        )
    header = [rows[i] for i in filled[1:] if i < start]
    if not header:
        raise LoaderError(f"{where}: row {start + 1}: no header rows of sexes or age bands above the data")
    data = [i for i in filled if i >= start]
    width = max(len(r) for r in rows)
    labels = 2 if all(not blank(rows[i][1]) and not _number_like(rows[i][1]) for i in data[:3]) else 1
    keys = _column_keys(header, width, labels)
    if not keys:
        raise LoaderError(
            f"{where}: no column of figures under the header rows (expected 'Total' or age bands)"
        )
    records, provinces = _records(rows, data, keys, labels, measure, y, where)
    if not records:
        raise LoaderError(f"{where}: no figures in the data rows")
    records = check_totals(records, _NAMES, where)
    if opts.region_map and all(r.dims[2] is None for r in records):
        opts.refuse(where, region_map="the table has no community rows")
    records = select(records, _NAMES, None, where)
    cells = Cells.of(records, _NAMES)
    if provinces:
        cells.notes.append(
            f"{provinces} province rows checked against their communities; regions are read by community"
        )
    src = (
        opts.source or f"MEFP {Path(path).name}: {title.strip()} (school year {y}-{(y + 1) % 100:02d} as {y})"
    )
    frame = to_targets(
        cells,
        {measure: measure},
        country=opts.country,
        source=src,
        region_map=opts.region_map,
        rel_uncertainty=opts.rel_uncertainty,
        shares={"new_learners": ("women_share", "new students"), "learners": ("women_share", "students")},
    )
    return frame, cells.notes


def _number_like(cell: Any) -> bool:
    from analysis.calibration.loaders.counts import is_number

    return is_number(cell) or str(cell).strip() in ("..", ".")


def _records(
    rows: Rows,
    data: list[int],
    keys: dict[int, tuple[Any, Any]],
    labels: int,
    measure: str,
    year: int,
    where: str,
) -> tuple[list[Record], int]:
    """Records of the data rows: sex from the column or the row section, community, province."""
    texts = [re.sub(_CODE, "", str(rows[i][labels - 1])).strip() for i in data]
    upper = {t for t in texts if t and t == t.upper() and not is_total(t) and not _is_section(t)}
    section: Any = None
    ccaa: str | None = None
    provinces = 0
    out: list[Record] = []
    for i, text in zip(data, texts, strict=True):
        row = rows[i]
        if labels == 2 and not blank(row[0]):
            section = _section_sex(str(row[0]), where, i)
        first = str(row[labels - 1]).strip()
        if labels == 1 and _is_section(first) and not _CODE.match(first):
            section, region, province = _section_sex(first, where, i), None, None
        elif is_total(first):
            region, province = None, None
        elif (text in upper) if upper else (norm(text) in CCAA):
            ccaa, region, province = text, text, None
        elif ccaa is not None:
            region, province = ccaa, text
            provinces += 1
        else:
            raise LoaderError(
                f"{where}: row {i + 1}: {first!r} comes before any community; "
                "expected '00 TOTAL' or a community"
            )
        for j, (sex, age) in keys.items():
            if j >= len(row):
                continue
            if sex is not None and section is not None and sex != section:
                raise LoaderError(
                    f"{where}: row {i + 1}: sex in both the section ({section}) and the column ({sex})"
                )
            try:
                count = read_count(row[j], ".", "exact")
            except LoaderError as exc:
                raise LoaderError(f"{where}: row {i + 1}, column {j + 1}: {exc}; expected a count") from None
            if count is not None:
                g = sex if sex is not None else section
                out.append(Record(measure, year, (g, age, region, province), count, i + 1))
    return out, provinces


def _section_sex(label: str, where: str, i: int) -> Any:
    g = gender(label)
    if g in ("f", "m"):
        return g
    if norm(label) in _SECTIONS or g is None:
        return None
    return UNKNOWN
