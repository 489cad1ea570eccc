"""FUNDAE (Spain) statistics of *formación programada por las empresas*: coverage, participants.

FUNDAE publishes its yearly figures as tables in its balance and annual report (no open-data
download was found, public-facts §1 and §9), so the loader reads a table saved from them, laid out
as they are printed (docs/calibration.md):

* **coverage by firm size**: one row per size class (``De 1 a 9``, ``1 a 5``, ``6 a 9``, ``10 a
  49``, ``50 a 249``, ``250 y más``, ``Total``) with ``Empresas formadoras`` (firms that used their
  credit), ``Empresas con crédito`` (firms with a credit) and ``Cobertura (%)``; or one row per
  size and one column per year holding the coverage, the measure named in the title;
* **participants by sex** (``Hombres``, ``Mujeres``, ``Total``) and **by age band**, with
  ``Participantes`` (participations: a person in two courses counts twice), ``Personas formadas``
  (people trained) and ``%`` (the row's share of participants).

Targets: ``credit_uptake_rate`` by size (coverage ÷ 100, or trained ÷ with-credit firms), sizes
mapped to the model's bands (``De 1 a 9`` → ``size=1-5|6-9``); ``training_participants`` (people)
and ``enrolments`` (participations) by sex and the model's age bands; ``training_women_share`` from
the counts of women and men, or from the printed women's percentage.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Unpack

import pandas as pd

from analysis.calibration.indicators import format_group
from analysis.calibration.loaders.cells import UNKNOWN, Cells, Record, check_totals, select, to_targets
from analysis.calibration.loaders.counts import tolerance
from analysis.calibration.loaders.labels import LoaderError, norm, size_groups
from analysis.calibration.loaders.options import LoaderOptions, Options, choose_years
from analysis.calibration.loaders.sepe import table_records
from analysis.calibration.loaders.sheets import read_rows
from analysis.calibration.loaders.table import read_table
from analysis.calibration.targets import COLUMNS, tidy

__all__ = ["load_fundae", "CAPTIONS", "MEASURES"]

CAPTIONS = {
    "year": ("ano", "anio", "ejercicio", "year"),
    "gender": ("sexo", "genero"),
    "age": ("edad", "tramo de edad", "tramos de edad", "grupo de edad"),
    "size": ("tamano de empresa", "tamano", "tamano de la empresa", "plantilla", "tramo de plantilla"),
    "field": ("sector", "sector de actividad", "actividad"),
}
MEASURES = {
    "firms_trained": (
        "empresas formadoras",
        "empresas bonificadas",
        "empresas que han formado",
        "empresas participantes",
    ),
    "firms_with_credit": (
        "empresas con credito",
        "empresas potenciales",
        "empresas inscritas",
        "empresas que cotizan",
    ),
    "coverage": ("cobertura", "tasa de cobertura", "cobertura formativa", "cobertura de empresas"),
    "participations": ("participantes", "participaciones", "participantes formados"),
    "people": ("personas formadas", "trabajadores formados", "personas", "trabajadores participantes"),
    "percent": ("porcentaje", "distribucion", "porcentaje de participantes"),
}
_ROUNDING = {"firms_trained": "exact", "firms_with_credit": "exact", "coverage": "printed"}
_ROUNDING |= {"participations": "exact", "people": "exact", "percent": "printed"}
_ADDITIVE = ("firms_trained", "firms_with_credit", "participations", "people", "percent")


def _caption(text: str) -> str | None:
    n = norm(text)
    return next((k for k, names in CAPTIONS.items() if n in names), None)


def _measure(text: str) -> str | None:
    """The measure a column header names; a header with ``%`` is a percentage (coverage or share)."""
    n = norm(text)
    if "%" in text:
        return "coverage" if "cobertura" in n else "percent"
    return next((k for k, names in MEASURES.items() if n in names), None)


def load_fundae(
    path: str | Path,
    **options: Unpack[LoaderOptions],
) -> tuple[pd.DataFrame, list[str]]:
    """A FUNDAE statistics table (coverage by firm size, participants by sex or age) → (targets, notes)."""
    opts = Options.of("ES", options)
    opts.refuse(str(path), region_map="FUNDAE's tables are national (no regions)")
    table = read_table(
        read_rows(path, opts.sheet),
        str(path) + (f" [{opts.sheet}]" if opts.sheet else ""),
        lambda t: _caption(t) is not None,
        lambda t: _measure(t) is not None,
        "a FUNDAE statistics table",
    )
    records, names, has_year = table_records(table, _caption, _measure, MEASURES, _ROUNDING, opts.year)
    if opts.fields and not any(n.startswith("other:") and _caption(n[6:]) == "field" for n in names):
        opts.refuse(table.where, fields="the table has no sector column")
    records = check_totals([r for r in records if r.measure in _ADDITIVE], names, table.where) + [
        r for r in records if r.measure not in _ADDITIVE
    ]
    years = choose_years({r.year for r in records}, opts.year if has_year else None, table.where)
    records = select([r for r in records if r.year in years], names, opts.fields, table.where)
    src = opts.source or f"FUNDAE {Path(path).name}"
    notes: list[str] = []
    frames = [_uptake(records, names, opts.country, src, opts.rel_uncertainty, notes, table.where)]
    people = [r for r in records if r.measure in ("people", "participations") and _national_size(r, names)]
    cells = Cells.of(people, names)
    frames.append(
        to_targets(
            cells,
            {"people": "training_participants", "participations": "enrolments"},
            country=opts.country,
            source=src,
            region_map=None,
            rel_uncertainty=opts.rel_uncertainty,
            shares={"people": ("training_women_share", "people trained")},
        )
    )
    notes.extend(cells.notes)
    frames.append(_printed_share(records, names, frames[-1], opts.country, src, opts.rel_uncertainty))
    frame = (
        pd.concat([f for f in frames if len(f)], ignore_index=True)
        if any(len(f) for f in frames)
        else frames[0]
    )
    if frame.empty:
        raise LoaderError(
            f"{table.where}: no figures that make a target (coverage by size, participants by sex or age)"
        )
    return tidy(frame, table.where), notes


def _national_size(r: Record, names: tuple[str, ...]) -> bool:
    return "size" not in names or r.dims[names.index("size")] is None


def _uptake(
    records: list[Record],
    names: tuple[str, ...],
    country: str,
    src: str,
    rel: float,
    notes: list[str],
    where: str,
) -> pd.DataFrame:
    """credit_uptake_rate by year and size: printed coverage, checked against the firm counts."""
    if "size" not in names:
        return pd.DataFrame(columns=list(COLUMNS))
    pos = names.index("size")
    by: dict[tuple[int, object], dict[str, Record]] = {}
    for r in records:
        if r.measure in ("coverage", "firms_trained", "firms_with_credit"):
            by.setdefault((r.year, r.dims[pos]), {})[r.measure] = r
    bands = sorted({s for _, s in by if isinstance(s, tuple)})
    merged = size_groups(bands)
    # a share cannot be merged: a band counts only if it alone makes its model group
    groups = {b: g for b, g in merged.items() if list(merged.values()).count(g) == 1}
    rows = []
    for (year, size), got in sorted(by.items(), key=lambda kv: (kv[0][0], str(kv[0][1]))):
        if size is not None and size not in groups:
            notes.append(f"size band {size} in {year} does not align with the model's firm sizes; left out")
            continue
        value, sd = _coverage(got, where)
        if value is None:
            continue
        group = format_group({} if size is None else {"size": tuple(groups[size].split("|"))})
        sd = max(math.sqrt(sd**2 + (rel * value) ** 2), 1e-4)
        rows.append((year, group, value, sd))
    return pd.DataFrame(
        [
            {
                "indicator": "credit_uptake_rate",
                "country": country,
                "year": y,
                "group": g,
                "value": v,
                "uncertainty": u,
                "source": f"{src}; coverage: firms that used their credit ÷ firms with a credit",
            }
            for y, g, v, u in rows
        ],
        columns=list(COLUMNS),
    )


def _coverage(got: dict[str, Record], where: str) -> tuple[float | None, float]:
    """(share, sd) from the printed coverage, checked against trained ÷ with-credit firms if printed."""
    cov, trained, base = got.get("coverage"), got.get("firms_trained"), got.get("firms_with_credit")
    ratio = None
    if trained is not None and base is not None and base.count.value > 0:
        ratio = 100.0 * trained.count.value / base.count.value
    if cov is not None:
        if ratio is not None and abs(ratio - cov.count.value) > tolerance(cov.count, []):
            raise LoaderError(
                f"{where}: row {cov.line}: coverage {cov.count.value:g} % but the firms on the row give "
                f"{ratio:.2f} % ({trained.count.value:g} ÷ {base.count.value:g}); "
                "expected them to agree to the printed digit"
            )
        return cov.count.value / 100.0, math.sqrt(cov.count.var) / 100.0
    if ratio is not None:
        return ratio / 100.0, 0.0
    return None, 0.0


def _printed_share(
    records: list[Record], names: tuple[str, ...], counted: pd.DataFrame, country: str, src: str, rel: float
) -> pd.DataFrame:
    """training_women_share from the printed women's percentage, for years without counts by sex."""
    have = set(counted.loc[counted["indicator"] == "training_women_share", "year"]) if len(counted) else set()
    g = names.index("gender")
    rows = []
    for r in records:
        if r.measure != "percent" or r.dims[g] != "f" or r.year in have:
            continue
        if any(v is not None for i, v in enumerate(r.dims) if i != g and v != UNKNOWN):
            continue
        value = r.count.value / 100.0
        sd = max(math.sqrt(r.count.var / 1e4 + (rel * value) ** 2), 1e-4)
        rows.append(
            {
                "indicator": "training_women_share",
                "country": country,
                "year": r.year,
                "group": "all",
                "value": value,
                "uncertainty": sd,
                "source": f"{src}; women's percentage of participants, as printed",
            }
        )
    return pd.DataFrame(rows, columns=list(COLUMNS))
