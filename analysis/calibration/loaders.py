"""Loaders: Vipunen (Finland), SEPE and MEFP (Spain) exports to the tidy targets table.

Why they read the publishers' own layouts: researchers download these files and should not have
to retype them. What each loader expects (public-facts §9 describes the layouts):

* **Vipunen web reports** (``load_vipunen_report``): a report exported to CSV or XLSX as a flat
  table, one row per combination of the row dimensions (``Tilastovuosi``, ``Sukupuoli``,
  ``Ikäryhmä``/``Ikä``, ``Maakunta``, ``Koulutusala``/``Tutkinto`` ...; Finnish, Swedish or English
  headers) and one column per measure (``Uudet opiskelijat``, ``Opiskelijat``, ``Tutkinnon
  suorittaneet``). Privacy protection: counts of 1–4 appear as ``1-4`` (read as 2.5, sd 1.12) and
  larger counts are rounded to a multiple of 3 (rounding sd 0.82); shares are recomputed from the
  rounded counts, as Vipunen does, and the rounding travels into ``uncertainty``.
* **Vipunen API** (``load_vipunen_api``): the JSON array of ``GET
  https://api.vipunen.fi/api/resources/{resource}/data`` for
  ``amm_opiskelijat_ja_tutkinnot_kuukausi_maakunta`` (month × region × sex × age, no
  qualification: all VET) or ``amm_opiskelijat_ja_tutkinnot_vuosi_tutkinto`` (year × qualification,
  no sex or age). Months are summed to calendar years; ``Tieto puuttuu`` (missing) is left out.
* **MEFP FP statistics** (``load_mefp``): the JAXI ``csv_c`` (comma) or ``csv_sc`` (semicolon) file:
  a title line, header rows of sex (AMBOS SEXOS / Hombres / Mujeres) × age band, rows ``00 TOTAL``
  and ``01 ANDALUCÍA`` ... with provinces; ``.`` as thousands separator. The table type (nuevo
  ingreso / matriculado) comes from the title; the school year ``2023-24`` counts as 2023.
* **SEPE training for employment** (``load_sepe``): a long table (CSV with ``;`` or XLSX) with a
  year, sex, age band, autonomous community and speciality/family column and the SISPE measures
  of report L1383: participants, finished, dropouts (for hiring / other reasons), placement and
  Social Security affiliation at 6 and 12 months. SEPE publishes no documented export layout
  (public-facts §9: UNCONFIRMED); the column names are matched by the aliases below, so a table
  saved from SEPE's statistics or an evaluation report loads once its headers say what they are.

Every loader returns tidy targets (``targets.COLUMNS``) with counts by year for the whole
population, by gender, by the model's age bands (data bands are merged until they tile the model's;
a band straddling two model bands becomes a union such as ``age=30-49|50+``) and, given a region
map (data label → scenario region), by region; plus the women's share and, for SEPE, the completion
rate. A ``rel_uncertainty`` adds how loosely the statistic stands for the modelled quantity (a VET
qualification is not a micro-credential): it is the researcher's judgement, so it defaults to 0.

Run ``python -m analysis.calibration.loaders KIND FILE --country FI --out targets.csv`` to convert a
file from the command line.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import re
import sys
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from analysis.calibration.errors import StudyError
from analysis.calibration.indicators import format_group
from analysis.calibration.targets import COLUMNS, TargetsError, tidy
from model.compiled import AGE_BANDS

__all__ = [
    "LoaderError",
    "load_vipunen_report",
    "load_vipunen_api",
    "load_mefp",
    "load_sepe",
    "read_region_map",
    "parse_count",
    "parse_age",
    "main",
]

_ROUND_SD = math.sqrt(2.0 / 3.0)  # rounding to the nearest multiple of 3: error in {-1, 0, 1}
_SMALL_VALUE, _SMALL_SD = 2.5, math.sqrt(1.25)  # "1-4": uniform on {1, 2, 3, 4}
_OPEN = 200  # upper bound of an open age band ("50+")


class LoaderError(StudyError):
    """An export file the loader cannot read; the message says what it expected."""


# ---------------------------------------------------------------------------- text helpers


def _norm(text: Any) -> str:
    """Lower case, accents removed, punctuation to single spaces."""
    s = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9+<>]+", " ", s.lower()).strip()


def read_rows(path: str | Path, sheet: str | None = None) -> list[list[str]]:
    """Rows of a CSV (delimiter and encoding detected) or XLSX sheet, as strings."""
    path = Path(path)
    if not path.is_file():
        raise LoaderError(f"{path}: no such file")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True, data_only=True)
        try:
            ws = wb[sheet] if sheet else wb.worksheets[0]
        except KeyError:
            raise LoaderError(f"{path}: no sheet {sheet!r} (sheets: {', '.join(wb.sheetnames)})") from None
        rows = [["" if v is None else str(v) for v in row] for row in ws.iter_rows(values_only=True)]
        wb.close()
        return rows
    raw = path.read_bytes()
    for enc in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            text = raw.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    sample = "\n".join(text.splitlines()[:20])
    counts = {d: sample.count(d) for d in (";", ",", "\t")}
    delim = max(counts, key=lambda d: counts[d])
    return [row for row in csv.reader(io.StringIO(text), delimiter=delim)]


def parse_count(text: Any, thousands: str = " ") -> tuple[float, float] | None:
    """A published count: (value, standard deviation from the publisher's rounding), or None if missing.

    ``1-4`` is Vipunen's privacy band; other counts are returned with sd 0 (the caller adds the
    rounding of its source). ``thousands`` is the grouping character (" " in Finnish, "." in
    Spanish files); the decimal mark is the other of "," and ".".
    """
    if text is None:
        return None
    s = str(text).strip().replace("\u00a0", " ").replace("\u202f", " ")
    if re.fullmatch(r"1\s*[-–]\s*4", s):
        return _SMALL_VALUE, _SMALL_SD
    if s in ("", "-", "–", "—", "..", "...", ":", "x", "*") or _norm(s) in ("tieto puuttuu", "n d", "nd"):
        return None
    s = s.replace(" ", "")
    if thousands == ".":
        s = s.replace(".", "").replace(",", ".")
    elif thousands == ",":
        s = s.replace(",", "")
    else:
        s = s.replace(",", ".")
    s = s.rstrip("%")
    try:
        return float(s), 0.0
    except ValueError:
        raise LoaderError(f"not a number: {text!r}") from None


_TOTAL_WORDS = (
    "yhteensa",
    "totalt",
    "total",
    "kaikki",
    "ambos sexos",
    "todas las edades",
    "total nacional",
    "koko maa",
    "hela landet",
    "whole country",
    "all",
    "todos",
)


def _is_total(label: str) -> bool:
    n = _norm(label)
    n = re.sub(r"^\d+\s+", "", n)  # "00 TOTAL"
    return n in _TOTAL_WORDS or n.startswith("total ")


def parse_age(label: str) -> tuple[int, int] | None:
    """An age band from a label (``15 vuotta``, ``alle 15-vuotiaat``, ``De 25 a 29 años``, ``40 y más``).

    Returns (low, high) in years, ``(n, 200)`` for open bands; None for a total or unknown label.
    """
    raw = str(label).strip()
    n = _norm(label)
    if not n or _is_total(label) or "puuttuu" in n or "desconocid" in n:
        return None
    nums = [int(x) for x in re.findall(r"\d+", n)]
    if not nums:
        return None
    x = nums[0]
    for sym, band in (("≤", (0, x)), ("<=", (0, x)), ("≥", (x, _OPEN)), (">=", (x, _OPEN))):
        if raw.startswith(sym):
            return band
    if raw.startswith("<"):
        return 0, x - 1
    if raw.startswith(">"):
        return x + 1, _OPEN
    if len(nums) >= 2:
        return nums[0], nums[1]
    if "y menos" in n or "tai nuoremmat" in n or "hasta" in n:
        return 0, x
    if any(w in n.split() for w in ("alle", "under", "menos", "menores", "menor")):
        return 0, x - 1
    if "y mas" in n or "o mas" in n or "tai vanhemmat" in n or "och aldre" in n or raw.endswith("+"):
        return x, _OPEN
    if any(w in n.split() for w in ("yli", "over", "mayores")) or "mas de" in n:
        return x + 1, _OPEN
    return x, x


def _model_bands() -> list[tuple[str, int, int]]:
    out = []
    for i, b in enumerate(AGE_BANDS):
        lo, _, hi = b.partition("-")
        low = 0 if i == 0 else int(lo.rstrip("+"))
        high = _OPEN if b.endswith("+") else int(hi)
        out.append((b, low, high))
    return out


def age_groups(bands: list[tuple[int, int]]) -> dict[tuple[int, int], str]:
    """Map each data age band to a group value of the model's bands.

    Bands are merged in age order until the merged span ends where a model band ends; the merged
    span becomes that band, or a union (``30-49|50+``) when it straddles bands. A span must also
    start where a model band starts (the youngest at 16 or below): ``yli 20-vuotiaat`` (21+) cannot
    be expressed in the model's bands and is left out.
    """
    model = _model_bands()
    ends = {hi for _, _, hi in model}
    out: dict[tuple[int, int], str] = {}
    pending: list[tuple[int, int]] = []
    for band in sorted(set(bands)):
        pending.append(band)
        if band[1] in ends or band[1] >= _OPEN:
            lo = min(b[0] for b in pending)
            hi = max(b[1] for b in pending)
            hit = [(name, a) for name, a, b in model if a <= hi and b >= lo]
            first = model.index(next(m for m in model if m[0] == hit[0][0]))
            if (first == 0 and lo <= 16) or lo == hit[0][1]:
                for b in pending:
                    out[b] = "|".join(name for name, _ in hit)
            pending = []
    oldest = model[-1][1]
    if pending and max(b[1] for b in pending) >= oldest:
        # the data reach into the oldest band but show nobody older (zero counts are often omitted)
        lo = min(b[0] for b in pending)
        hit = [(name, a) for name, a, b in model if b >= lo]
        if lo == hit[0][1] or (len(hit) == len(model) and lo <= 16):
            for b in pending:
                out[b] = "|".join(name for name, _ in hit)
    return out  # bands not aligned with the model's bands are left out


def read_region_map(path: str | Path | None) -> dict[str, str] | None:
    """A YAML mapping {data region label: scenario region name}; labels are matched loosely."""
    if path is None:
        return None
    p = Path(path)
    if not p.is_file():
        raise LoaderError(f"{p}: no such region map")
    data = yaml.safe_load(p.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise LoaderError(f"{p}: expected a mapping of data region label: scenario region")
    return {_norm(k): str(v) for k, v in data.items()}


# ---------------------------------------------------------------------------- cells → targets


@dataclass
class _Cells:
    """Published cells: dims (year, gender, age, region, other) → (value, variance), per measure."""

    data: dict[str, dict[tuple, list[float]]] = field(default_factory=lambda: defaultdict(dict))
    notes: list[str] = field(default_factory=list)

    def add(self, measure: str, year: int, gender, age, region, value: float, var: float, other=()) -> None:
        key = (year, gender, age, region, tuple(other))
        cell = self.data[measure].setdefault(key, [0.0, 0.0])
        cell[0] += value
        cell[1] += var


_WOMEN = {
    "nainen",
    "naiset",
    "naisia",
    "kvinna",
    "kvinnor",
    "female",
    "females",
    "woman",
    "women",
    "mujer",
    "mujeres",
    "f",
}
_MEN = {
    "mies",
    "miehet",
    "miehia",
    "man",
    "men",
    "male",
    "males",
    "hombre",
    "hombres",
    "varon",
    "varones",
    "m",
}


def _gender(label: str) -> str | None | bool:
    """'f', 'm', None for a total, False for an unknown label."""
    n = _norm(label)
    if not n or _is_total(label):
        return None
    if n in _WOMEN:
        return "f"
    if n in _MEN:
        return "m"
    return False


def _targets_from_cells(
    cells: _Cells,
    measures: dict[str, str],
    *,
    country: str,
    source: str,
    region_map: dict[str, str] | None,
    rel_uncertainty: float,
    rounding_sd: float,
) -> pd.DataFrame:
    """Sum cells into yearly targets: total, by gender, by age band, by region; women's share."""
    rows: list[dict[str, Any]] = []
    ages = sorted({k[2] for m in cells.data.values() for k in m if k[2] is not None})
    agemap = age_groups(ages)
    dropped = [a for a in ages if a not in agemap]
    if dropped:
        cells.notes.append(
            f"age bands {dropped} are not aligned with the model's bands {AGE_BANDS}; left out"
        )
    unmapped: set[str] = set()

    def region_of(label):
        if label is None:
            return None
        if region_map is None:
            return False
        got = region_map.get(_norm(label))
        if got is None:
            unmapped.add(label)
            return False
        return got

    def add_row(indicator, year, group, value, var):
        sd = math.sqrt(var + (rel_uncertainty * value) ** 2)
        rows.append(
            {
                "indicator": indicator,
                "country": country,
                "year": year,
                "group": format_group(group),
                "value": value,
                "uncertainty": max(sd, 0.5 if indicator not in _SHARES else 1e-4),
                "source": source,
            }
        )

    totals: dict[tuple, tuple[float, float]] = {}
    for measure, indicator in measures.items():
        table = cells.data.get(measure, {})
        if not table:
            continue
        years = sorted({k[0] for k in table})
        for year in years:
            for dim in ("all", "gender", "age", "region"):
                sums: dict[str, list[float]] = {}
                for (y, g, a, r, _other), (v, var) in table.items():
                    if y != year:
                        continue
                    parts = {"gender": g, "age": a, "region": r}
                    want = {} if dim == "all" else {dim: parts[dim]}
                    if dim != "all" and parts[dim] is None:
                        continue
                    if any(val is not None for d, val in parts.items() if d not in want):
                        continue
                    if dim == "age":
                        label = agemap.get(a)
                        if label is None:
                            continue
                    elif dim == "region":
                        label = region_of(r)
                        if label is False:
                            continue
                    elif dim == "gender":
                        label = g
                    else:
                        label = "all"
                    acc = sums.setdefault(label, [0.0, 0.0])
                    acc[0] += v
                    acc[1] += var + (rounding_sd**2 if v > 0 and var == 0 else 0.0)
                if not sums:
                    sums = _sum_finest(table, year, dim, agemap, region_of, rounding_sd)
                for label, (v, var) in sums.items():
                    group = {} if dim == "all" else {dim: tuple(label.split("|"))}
                    add_row(indicator, year, group, v, var)
                    if dim == "gender":
                        totals[(indicator, year, label)] = (v, var)
    for (indicator, year, g), (w, wv) in list(totals.items()):
        if g != "f" or indicator not in ("new_learners", "enrolments", "learners"):
            continue
        m, mv = totals.get((indicator, year, "m"), (None, None))
        if m is None or w + m <= 0:
            continue
        share = w / (w + m)
        var = (m**2 * wv + w**2 * mv) / (w + m) ** 4
        label = {"new_learners": "new students", "enrolments": "participants", "learners": "students"}[
            indicator
        ]
        rows.append(
            {
                "indicator": "women_share",
                "country": country,
                "year": year,
                "group": "all",
                "value": share,
                "uncertainty": max(math.sqrt(var + (rel_uncertainty * share) ** 2), 1e-4),
                "source": f"{source}; women ÷ (women + men) among {label}, from the published counts",
            }
        )
    if unmapped:
        cells.notes.append(f"regions not in the region map, left out: {', '.join(sorted(unmapped))}")
    elif region_map is None and any(k[3] is not None for m in cells.data.values() for k in m):
        cells.notes.append("regional rows were summed into national figures (no region map given)")
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    frame = frame.drop_duplicates(["indicator", "country", "year", "group"], keep="first")
    return tidy(frame, "loaded targets") if len(frame) else frame


_SHARES = ("women_share", "completion_rate", "placement_6m_rate", "placement_12m_rate")


def _sum_finest(table, year, dim, agemap, region_of, rounding_sd) -> dict[str, list[float]]:
    """Sum the finest cells (no totals on any dimension) when no pre-totalled cell exists.

    Summing over a dimension is only right if its values tile the population: both sexes, or age
    bands covering every model band. Otherwise nothing is returned for this breakdown.
    """
    rows = [(k, v) for k, v in table.items() if k[0] == year]
    present = {
        d: any(k[i] is not None for k, _ in rows) for d, i in (("gender", 1), ("age", 2), ("region", 3))
    }
    finest = [
        (k, v)
        for k, v in rows
        if all(k[i] is not None for d, i in (("gender", 1), ("age", 2), ("region", 3)) if present[d])
    ]
    genders = {k[1] for k, _ in finest}
    ages = {k[2] for k, _ in finest}
    labels = {part for a in ages if a in agemap for part in agemap[a].split("|")}
    tiles = {
        "gender": {"f", "m"} <= genders,
        "age": all(a in agemap for a in ages) and labels == set(AGE_BANDS),
        "region": True,
    }
    if any(present[d] and not tiles[d] for d in tiles if d != dim):
        return {}
    sums: dict[str, list[float]] = {}
    for (_y, g, a, _r, _other), (v, var) in finest:
        r = _r
        if dim == "all":
            label = "all"
        elif dim == "gender":
            label = g
        elif dim == "age":
            label = agemap.get(a)
        else:
            label = region_of(r)
        if label is None or label is False:
            continue
        acc = sums.setdefault(label, [0.0, 0.0])
        acc[0] += v
        acc[1] += var + (rounding_sd**2 if v > 0 and var == 0 else 0.0)
    return sums


def _find_header(
    rows: list[list[str]], aliases: dict[str, tuple[str, ...]], need: int = 2
) -> tuple[int, dict[str, int]]:
    """The first row naming at least ``need`` known columns, and where each known column is."""
    for i, row in enumerate(rows[:40]):
        found: dict[str, int] = {}
        for j, cell in enumerate(row):
            n = _norm(cell)
            for name, names in aliases.items():
                if name not in found and n in names:
                    found[name] = j
        if len(found) >= need:
            return i, found
    wanted = "; ".join(f"{k}: {' / '.join(v[:3])}" for k, v in aliases.items())
    raise LoaderError(f"no header row with the expected columns ({wanted})")


def _read_table(
    path: str | Path, sheet: str | None, aliases: dict[str, tuple[str, ...]], what: str
) -> tuple[list[list[str]], int, dict[str, int]]:
    """An export's rows, its header row and where each known column is; says so if it is not ``what``."""
    rows = read_rows(path, sheet)
    try:
        h, cols = _find_header(rows, aliases)
    except LoaderError as exc:
        raise LoaderError(f"{path}: not {what}: {exc}") from None
    return rows, h, cols


def _field_filter(rows: list[list[str]], cols: list[int], wanted: list[str] | None):
    """Which data rows to keep: those matching the field filter; without one, the field totals.

    Without a filter, a table that has rows totalled over fields (``Yhteensä``) is read from
    those rows only, so fields are not counted twice; otherwise all fields are summed.
    """
    if wanted:
        keys = [_norm(w) for w in wanted]

        def keep(row: list[str]) -> bool:
            text = " ".join(_norm(row[c]) for c in cols if c < len(row))
            return any(k in text for k in keys)

        return keep
    has_total = cols and any(all(_is_total(r[c]) for c in cols if c < len(r)) for r in rows)
    if not has_total:
        return lambda row: True
    return lambda row: all(_is_total(row[c]) for c in cols if c < len(row))


# ---------------------------------------------------------------------------- Vipunen

_VIPUNEN_DIMS = {
    "year": ("tilastovuosi", "vuosi", "statistikar", "ar", "statistical year", "year"),
    "month": ("kuukausi", "manad", "month"),
    "gender": ("sukupuoli", "kon", "gender", "sex"),
    "age": ("ika", "ikaryhma", "ikaryhma 5v", "aldersgrupp", "alder", "age group", "age"),
    "region": (
        "maakunta",
        "oppilaitoksen maakunta",
        "koulutuksen jarjestajan maakunta",
        "koulutuksen maakunta",
        "landskap",
        "region",
    ),
    "field": (
        "koulutusala",
        "koulutusala taso 1",
        "koulutusala taso 2",
        "koulutusala taso 3",
        "tutkinto",
        "tutkintotyyppi",
        "osaamisala",
        "utbildningsomrade",
        "examen",
        "field of education",
        "qualification",
    ),
    "new_learners": ("uudet opiskelijat", "uudetopiskelijatlkm", "nya studerande", "new students"),
    "learners": ("opiskelijat", "opiskelijatlkm", "studerande", "students"),
    "credentials_issued": (
        "tutkinnon suorittaneet",
        "tutkinnonsuorittaneetlkm",
        "tutkinnot",
        "avlagda examina",
        "examina",
        "completed qualifications",
    ),
}
_VIPUNEN_MEASURES = ("new_learners", "learners", "credentials_issued")


def load_vipunen_report(
    path: str | Path,
    *,
    country: str = "FI",
    field_contains: list[str] | None = None,
    region_map: dict[str, str] | None = None,
    rel_uncertainty: float = 0.0,
    sheet: str | None = None,
    source: str | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """A Vipunen web report exported as a flat CSV/XLSX table; returns (targets, notes)."""
    rows, h, cols = _read_table(path, sheet, _VIPUNEN_DIMS, "a Vipunen report table")
    if "year" not in cols:
        raise LoaderError(f"{path}: no year column (Tilastovuosi)")
    measures = [m for m in _VIPUNEN_MEASURES if m in cols]
    if not measures:
        raise LoaderError(
            f"{path}: no measure column (Uudet opiskelijat, Opiskelijat or Tutkinnon suorittaneet)"
        )
    field_cols = [j for j, c in enumerate(rows[h]) if _norm(c) in _VIPUNEN_DIMS["field"]]
    if field_contains and not field_cols:
        raise LoaderError(f"{path}: a field filter was given but the table has no field/qualification column")
    cells = _Cells()
    used = 0
    keep = _field_filter(rows[h + 1 :], field_cols, field_contains)
    for line, row in enumerate(rows[h + 1 :], start=h + 2):
        if not any(c.strip() for c in row) or not keep(row):
            continue
        try:
            year = int(float(row[cols["year"]]))
        except (ValueError, IndexError):
            continue  # a total or footnote row
        g = _gender(row[cols["gender"]]) if "gender" in cols else None
        a = parse_age(row[cols["age"]]) if "age" in cols else None
        if "age" in cols and a is None and not _is_total(row[cols["age"]]):
            continue  # unknown age ("Tieto puuttuu")
        r = row[cols["region"]].strip() if "region" in cols else None
        if r is not None and (_is_total(r) or not r):
            r = None
        if r is not None and "puuttuu" in _norm(r):
            continue
        if g is False:
            continue
        other = tuple(row[c] for c in field_cols)
        for m in measures:
            try:
                got = parse_count(row[cols[m]] if cols[m] < len(row) else "", thousands=" ")
            except LoaderError as exc:
                raise LoaderError(f"{path}: line {line}: {exc}") from None
            if got is None:
                continue
            v, sd = got
            cells.add(m, year, g, a, r, v, sd**2 if sd else (_ROUND_SD**2 if v > 4 else 0.0), other)
        used += 1
    if not used:
        raise LoaderError(f"{path}: no data rows" + (f" matching {field_contains}" if field_contains else ""))
    src = source or f"Vipunen report {Path(path).name}" + (
        f" ({', '.join(field_contains)})" if field_contains else ""
    )
    frame = _targets_from_cells(
        cells,
        {m: m for m in measures},
        country=country,
        source=src,
        region_map=region_map,
        rel_uncertainty=rel_uncertainty,
        rounding_sd=0.0,
    )
    return frame, cells.notes


_API_FIELDS = {
    "uudetOpiskelijatLkm": "new_learners",
    "opiskelijatLkm": "learners",
    "tutkinnonSuorittaneetLkm": "credentials_issued",
}


def load_vipunen_api(
    path: str | Path,
    *,
    country: str = "FI",
    field_contains: list[str] | None = None,
    region_map: dict[str, str] | None = None,
    rel_uncertainty: float = 0.0,
    source: str | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """The JSON array of a Vipunen API resource (``.../resources/{resource}/data``)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise LoaderError(f"{path}: not a readable JSON file ({exc})") from None
    if not isinstance(data, list) or not all(isinstance(x, dict) for x in data):
        raise LoaderError(f"{path}: expected a JSON array of records, as the Vipunen API returns")
    if not data:
        raise LoaderError(f"{path}: the JSON array is empty")
    keys = set().union(*(d.keys() for d in data))
    if "tilastovuosi" not in keys:
        raise LoaderError(f"{path}: records have no 'tilastovuosi' field; is this a Vipunen resource?")
    monthly = "kuukausi" in keys
    measures = [k for k in _API_FIELDS if k in keys]
    if monthly and "opiskelijatLkm" in measures:
        measures.remove("opiskelijatLkm")  # a monthly stock cannot be summed to a year
    if not measures:
        raise LoaderError(f"{path}: no measure field ({', '.join(_API_FIELDS)})")
    field_keys = [k for k in ("tutkinto", "tutkintotyyppi", "koulutusala") if k in keys]
    if field_contains and not field_keys:
        raise LoaderError(
            f"{path}: a field filter was given but this resource has no qualification field "
            "(the monthly-by-region resource covers all VET)"
        )
    cells = _Cells()
    if monthly and "opiskelijatLkm" in keys:
        cells.notes.append("opiskelijatLkm (students in the month) is a stock and was not summed over months")
    for rec in data:
        text = " ".join(_norm(rec.get(k, "")) for k in field_keys)
        if field_contains and not any(_norm(w) in text for w in field_contains):
            continue
        year = int(rec["tilastovuosi"])
        g = _gender(rec.get("sukupuoli", "")) if "sukupuoli" in rec else None
        if g is False:
            continue
        a = parse_age(rec["ika"]) if "ika" in rec else None
        if "ika" in rec and a is None:
            continue
        r = rec.get("oppilaitoksenMaakunta")
        if r is not None and "puuttuu" in _norm(r):
            continue
        for k in measures:
            got = parse_count(rec.get(k), thousands=" ")
            if got is None:
                continue
            v, sd = got
            cells.add(_API_FIELDS[k], year, g, a, r, v, sd**2, (str(rec.get("kuukausi", "")),))
    if not cells.data:
        raise LoaderError(f"{path}: no records" + (f" matching {field_contains}" if field_contains else ""))
    frame = _targets_from_cells(
        cells,
        {m: m for m in {_API_FIELDS[k] for k in measures}},
        country=country,
        source=source or f"Vipunen API {Path(path).name}",
        region_map=region_map,
        rel_uncertainty=rel_uncertainty,
        rounding_sd=0.0,
    )
    return frame, cells.notes


# ---------------------------------------------------------------------------- MEFP (Spain)

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


def _mefp_measure(title: str) -> str | None:
    n = _norm(title)
    if "nuevo ingreso" in n:
        return "new_learners"
    if "matriculad" in n or "alumnado" in n and "termin" not in n and "titul" not in n:
        return "learners"
    if "termin" in n or "titulad" in n or "graduad" in n:
        return "credentials_issued"
    return None


def load_mefp(
    path: str | Path,
    *,
    country: str = "ES",
    region_map: dict[str, str] | None = None,
    year: int | None = None,
    measure: str | None = None,
    rel_uncertainty: float = 0.0,
    source: str | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """An MEFP JAXI export (csv_c / csv_sc): title, sex × age header rows, CCAA/province rows."""
    rows = [r for r in read_rows(path) if any(c.strip() for c in r)]
    if len(rows) < 3:
        raise LoaderError(f"{path}: too short for an MEFP table (title, header rows, data rows)")
    title = ",".join(c for c in rows[0] if c.strip())  # an unquoted title is split at its commas
    measure = measure or _mefp_measure(title + " " + Path(path).name)
    if measure is None:
        raise LoaderError(
            f"{path}: cannot tell the table type from its title {title!r}; pass measure= "
            "(new_learners for nuevo ingreso, learners for matriculado)"
        )
    if year is None:
        m = re.search(r"(20\d\d)\s*[-/]\s*(20)?\d\d", title + " " + str(path))
        if not m:
            raise LoaderError(f"{path}: no school year (e.g. 2023-24) in the title or name; pass year=")
        year = int(m.group(1))
    first = next(
        (i for i, r in enumerate(rows[1:], 1) if r and (re.match(r"^\s*\d\d\s", r[0]) or _is_total(r[0]))),
        None,
    )
    if first is None:
        raise LoaderError(f"{path}: no data rows ('00 TOTAL', '01 ANDALUCÍA', ...)")
    header = rows[1:first]
    ncol = max(len(r) for r in rows)
    sex: list[str | None | bool] = [None] * ncol
    age: list[tuple[int, int] | None | str] = ["?"] * ncol
    for hr in header:
        last = ""
        for j in range(1, ncol):
            cell = hr[j].strip() if j < len(hr) else ""
            cell = cell or last  # merged header cells come as blanks after the first
            last = cell
            if not cell:
                continue
            g = _gender(cell)
            if g is not False and (g is not None or "sexo" in _norm(cell)):
                sex[j] = g
            elif _is_total(cell) and "sexo" not in _norm(cell):
                age[j] = None
            else:
                band = parse_age(cell)
                if band is not None:
                    age[j] = band
    cells = _Cells()
    skipped = []
    labels = [re.sub(r"^\s*\d\d\s+", "", r[0]).strip() for r in rows[first:]]
    upper = [lb for lb in labels if lb and lb == lb.upper() and not _is_total(lb)]
    previous = None
    for row, label in zip(rows[first:], labels, strict=True):
        if _is_total(row[0]):
            region = None
        elif (label in upper) if upper else (_norm(label) in CCAA and _norm(label) != previous):
            region = label
            previous = _norm(label)
        else:
            skipped.append(label)
            continue
        for j in range(1, min(len(row), ncol)):
            if age[j] == "?":
                continue
            got = parse_count(row[j], thousands=".")
            if got is None:
                continue
            cells.add(measure, year, sex[j], age[j], region, got[0], 0.0)
    if skipped:
        cells.notes.append(f"{len(skipped)} province rows left out (regions are read at CCAA level)")
    src = (
        source
        or f"MEFP {Path(path).name}: {title.strip()} (school year {year}-{(year + 1) % 100:02d} as {year})"
    )
    frame = _targets_from_cells(
        cells,
        {measure: measure},
        country=country,
        source=src,
        region_map=region_map,
        rel_uncertainty=rel_uncertainty,
        rounding_sd=0.0,
    )
    return frame, cells.notes


# ---------------------------------------------------------------------------- SEPE (Spain)

_SEPE_COLS = {
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
    ),
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
    "placement_6m_rate": (
        "insercion 6 meses",
        "insercion a 6 meses",
        "tasa de insercion 6 meses",
        "insercion laboral 6 meses",
    ),
    "placement_12m_rate": (
        "insercion 12 meses",
        "insercion a 12 meses",
        "tasa de insercion 12 meses",
        "insercion laboral 12 meses",
    ),
    "affiliation_6m_rate": ("afiliacion 6 meses", "afiliacion a 6 meses", "tasa de afiliacion 6 meses"),
    "affiliation_12m_rate": ("afiliacion 12 meses", "afiliacion a 12 meses", "tasa de afiliacion 12 meses"),
}
_SEPE_COUNTS = ("enrolments", "completions", "dropouts", "dropouts_hired", "dropouts_other")
_SEPE_RATES = ("placement_6m_rate", "placement_12m_rate", "affiliation_6m_rate", "affiliation_12m_rate")


def load_sepe(
    path: str | Path,
    *,
    country: str = "ES",
    field_contains: list[str] | None = None,
    region_map: dict[str, str] | None = None,
    year: int | None = None,
    rel_uncertainty: float = 0.0,
    sheet: str | None = None,
    source: str | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """A SEPE / SISPE training-for-employment table (long layout, CSV or XLSX)."""
    rows, h, cols = _read_table(path, sheet, _SEPE_COLS, "a SEPE training table")
    counts = [m for m in _SEPE_COUNTS if m in cols]
    rates = [m for m in _SEPE_RATES if m in cols]
    if not counts and not rates:
        raise LoaderError(f"{path}: no measure column (Participantes, Finalizados, Abandonos, Inserción ...)")
    if "year" not in cols and year is None:
        raise LoaderError(f"{path}: no year column (Año / Ejercicio); pass year=")
    field_cols = [j for j, c in enumerate(rows[h]) if _norm(c) in _SEPE_COLS["field"]]
    if field_contains and not field_cols:
        raise LoaderError(
            f"{path}: a field filter was given but the table has no Especialidad/Familia column"
        )
    cells = _Cells()
    rate_rows: dict[tuple, list[float]] = {}
    keep = _field_filter(rows[h + 1 :], field_cols, field_contains)
    for line, row in enumerate(rows[h + 1 :], start=h + 2):
        if not any(c.strip() for c in row) or not keep(row):
            continue
        try:
            y = int(float(row[cols["year"]])) if "year" in cols else int(year)
        except (ValueError, IndexError):
            continue
        g = _gender(row[cols["gender"]]) if "gender" in cols else None
        if g is False:
            continue
        a = parse_age(row[cols["age"]]) if "age" in cols else None
        if "age" in cols and a is None and not _is_total(row[cols["age"]]):
            continue
        r = row[cols["region"]].strip() if "region" in cols else None
        if r is not None and (not r or _is_total(r)):
            r = None
        other = tuple(row[c] for c in field_cols)
        for m in counts:
            try:
                got = parse_count(row[cols[m]] if cols[m] < len(row) else "", thousands=".")
            except LoaderError as exc:
                raise LoaderError(f"{path}: line {line}: {exc}") from None
            if got is not None:
                cells.add(m, y, g, a, r, got[0], 0.0, other)
        if g is None and a is None and r is None:
            for m in rates:
                got = parse_count(row[cols[m]] if cols[m] < len(row) else "", thousands=".")
                if got is not None:
                    rate_rows.setdefault((m, y), []).append(got[0])
    if "dropouts" not in counts and {"dropouts_hired", "dropouts_other"} <= set(counts):
        for key, (v, var) in list(cells.data["dropouts_hired"].items()):
            o = cells.data["dropouts_other"].get(key)
            if o is not None:
                cells.data["dropouts"][key] = [v + o[0], var + o[1]]
    src = source or f"SEPE {Path(path).name}" + (f" ({', '.join(field_contains)})" if field_contains else "")
    measures = {
        m: m for m in ("enrolments", "completions", "dropouts", "dropouts_hired") if cells.data.get(m)
    }
    frame = _targets_from_cells(
        cells,
        measures,
        country=country,
        source=src,
        region_map=region_map,
        rel_uncertainty=rel_uncertainty,
        rounding_sd=0.0,
    )
    extra = []
    done = cells.data.get("completions", {})
    drop = cells.data.get("dropouts", {})
    for key, (c, cv) in done.items():
        y, g, a, r, other = key
        if g is not None or a is not None or r is not None or key not in drop:
            continue
        d, dv = drop[key]
        if c + d <= 0:
            continue
        rate = c / (c + d)
        var = (d**2 * cv + c**2 * dv) / (c + d) ** 4 + (rel_uncertainty * rate) ** 2
        extra.append(
            (
                "completion_rate",
                y,
                rate,
                max(math.sqrt(var), 1e-3),
                f"{src}; finalizados ÷ (finalizados + abandonos)",
            )
        )
    for (m, y), values in rate_rows.items():
        if len(values) != 1:  # one national figure per year; several rows are other breakdowns
            cells.notes.append(f"{m} {y}: {len(values)} rows without a single national figure; left out")
            continue
        v = values[0] / 100.0 if values[0] > 1 else values[0]
        extra.append((m, y, v, max(rel_uncertainty * v, 1e-3), f"{src}; {m.replace('_', ' ')}"))
    if extra:
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
        frame = tidy(pd.concat([frame, more], ignore_index=True), str(path))
    if frame.empty:
        raise LoaderError(f"{path}: no data rows" + (f" matching {field_contains}" if field_contains else ""))
    return frame, cells.notes


# ---------------------------------------------------------------------------- command line


def main(argv: list[str] | None = None) -> int:
    """``python -m analysis.calibration.loaders KIND FILE --country C --out targets.csv``."""
    p = argparse.ArgumentParser(
        prog="python -m analysis.calibration.loaders", description=__doc__.splitlines()[0]
    )
    p.add_argument("kind", choices=["vipunen", "vipunen-api", "mefp", "sepe"])
    p.add_argument("file")
    p.add_argument("--country", default=None, help="FI for Vipunen, ES for SEPE/MEFP (default)")
    p.add_argument(
        "--field", action="append", default=None, help="keep rows whose field/qualification contains this"
    )
    p.add_argument("--region-map", default=None, help="YAML: data region label -> scenario region")
    p.add_argument("--year", type=int, default=None, help="calendar year when the file does not say")
    p.add_argument(
        "--rel-uncertainty", type=float, default=0.0, help="relative mapping uncertainty added to every value"
    )
    p.add_argument("--sheet", default=None, help="XLSX sheet name (default: the first)")
    p.add_argument("--source", default=None, help="source text for every row (default: the file name)")
    p.add_argument("--out", required=True, help="tidy targets CSV to write")
    args = p.parse_args(argv)
    try:
        rmap = read_region_map(args.region_map)
        common = {"region_map": rmap, "rel_uncertainty": args.rel_uncertainty, "source": args.source}
        if args.kind == "vipunen":
            frame, notes = load_vipunen_report(
                args.file, country=args.country or "FI", field_contains=args.field, sheet=args.sheet, **common
            )
        elif args.kind == "vipunen-api":
            frame, notes = load_vipunen_api(
                args.file, country=args.country or "FI", field_contains=args.field, **common
            )
        elif args.kind == "mefp":
            frame, notes = load_mefp(args.file, country=args.country or "ES", year=args.year, **common)
        else:
            frame, notes = load_sepe(
                args.file,
                country=args.country or "ES",
                field_contains=args.field,
                year=args.year,
                sheet=args.sheet,
                **common,
            )
    except (LoaderError, TargetsError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(out, index=False)
    for n in notes:
        print(f"note: {n}", file=sys.stderr)
    print(f"{len(frame)} targets written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
