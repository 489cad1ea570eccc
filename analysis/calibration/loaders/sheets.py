"""Rows of a downloaded file: CSV (delimiter and encoding detected), XLSX or XLSB sheets.

Why one reader: the publishers serve the same tables as CSV, XLSX and (Vipunen) XLSB, and a loader
should not care which. Cells come back as text, or as ``int``/``float`` where the workbook stores a
number (so a decimal point is never mistaken for a thousands separator).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from analysis.calibration.loaders.labels import LoaderError

__all__ = ["Cell", "Rows", "read_rows", "sheet_names", "is_workbook", "blank"]

Cell = str | int | float
Rows = list[list[Cell]]
_XLSX = (".xlsx", ".xlsm")
_XLSB = (".xlsb",)


def is_workbook(path: str | Path) -> bool:
    """True for an Excel workbook (several sheets); False for a CSV-like text file."""
    return Path(path).suffix.lower() in _XLSX + _XLSB


def blank(cell: Cell) -> bool:
    """True for an empty cell."""
    return isinstance(cell, str) and not cell.strip()


def _number(v: float | int) -> int | float:
    return int(v) if float(v).is_integer() else float(v)


def _cell(v: object) -> Cell:
    if v is None:
        return ""
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, int | float):
        return _number(v)
    return str(v)


def sheet_names(path: str | Path) -> list[str]:
    """The sheet names of a workbook, in order; ``[]`` for a CSV file."""
    path = _existing(path)
    suffix = path.suffix.lower()
    try:
        if suffix in _XLSX:
            from openpyxl import load_workbook

            wb = load_workbook(path, read_only=True)
            names = list(wb.sheetnames)
            wb.close()
            return names
        if suffix in _XLSB:
            from pyxlsb import open_workbook

            with open_workbook(str(path)) as wb:
                return list(wb.sheets)
    except (OSError, KeyError, ValueError) as exc:
        raise LoaderError(f"{path}: not a readable workbook ({exc})") from None
    return []


def read_rows(path: str | Path, sheet: str | None = None) -> Rows:
    """Rows of a CSV file or of one workbook sheet (the first unless ``sheet`` names one)."""
    path = _existing(path)
    suffix = path.suffix.lower()
    if suffix not in _XLSX + _XLSB:
        if sheet is not None:
            raise LoaderError(f"{path}: --sheet {sheet!r} given, but a CSV file has no sheets")
        return _csv_rows(path)
    names = sheet_names(path)
    if sheet is not None and sheet not in names:
        raise LoaderError(f"{path}: no sheet {sheet!r} (sheets: {', '.join(names)})")
    name = sheet if sheet is not None else names[0]
    try:
        if suffix in _XLSX:
            from openpyxl import load_workbook

            wb = load_workbook(path, read_only=True, data_only=True)
            rows = [[_cell(v) for v in row] for row in wb[name].iter_rows(values_only=True)]
            wb.close()
        else:
            from pyxlsb import open_workbook

            with open_workbook(str(path)) as wb, wb.get_sheet(name) as ws:
                rows = [[_cell(c.v) for c in row] for row in ws.rows()]
    except (OSError, KeyError, ValueError, IndexError) as exc:
        raise LoaderError(f"{path}: sheet {name!r} is not readable ({exc})") from None
    width = max((len(r) for r in rows), default=0)
    return [r + [""] * (width - len(r)) for r in rows]


def _existing(path: str | Path) -> Path:
    path = Path(path)
    if not path.is_file():
        raise LoaderError(f"{path}: no such file")
    return path


def _csv_rows(path: Path) -> Rows:
    raw = path.read_bytes()
    text = ""
    for enc in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            text = raw.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    sample = "\n".join(text.splitlines()[:20])
    counts = {d: sample.count(d) for d in (";", ",", "\t")}
    delim = max(counts, key=lambda d: counts[d])
    rows: Rows = [list(r) for r in csv.reader(io.StringIO(text), delimiter=delim)]
    width = max((len(r) for r in rows), default=0)
    return [r + [""] * (width - len(r)) for r in rows]
