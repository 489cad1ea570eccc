"""One reader for publishers' tables: a header found anywhere, flat tables and pivot tables.

Why one reader: a Vipunen report, a SEPE table and a FUNDAE table are all a block of row labels on
the left and numbers on the right, under one or more header rows; what differs is the words. The
reader finds the header row (the row whose first cell names a row dimension, with numbers in the
row below), stacks the header rows above each number column (a pivot's column fields, filled to
the right over merged cells), and reads every row below with

* **blank repeated labels filled down** (a pivot in tabular form prints an item once per group),
* **subtotal rows** (``Uusimaa Yhteensä``, ``Total Uusimaa``) read as the item with every deeper
  dimension totalled, and the grand total (``Kokonaissumma``, ``Yhteensä``) as all totals.

Rows above the header block (titles, a pivot's report filters) are kept for the loaders to read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from analysis.calibration.loaders.counts import EMPTY, is_number
from analysis.calibration.loaders.labels import LoaderError, is_total, norm, subtotal_of
from analysis.calibration.loaders.sheets import Cell, Rows, blank

__all__ = ["Table", "Line", "read_table", "ROW_LABELS", "COLUMN_LABELS", "filter_value", "measures_named"]

#: Captions Excel puts on a compact pivot's row-label column, in Finnish, Swedish, English, Spanish.
ROW_LABELS = {"rivitunnisteet", "radetiketter", "row labels", "etiquetas de fila"}
#: Captions over a pivot's column items (not items themselves).
COLUMN_LABELS = {"sarakeotsikot", "kolumnetiketter", "column labels", "etiquetas de columna", "arvot"}
COLUMN_LABELS |= {"values", "varden", "valores"}
_LOOKAHEAD = 80  # header rows searched: Vipunen puts titles, filters and notes above the pivot


@dataclass
class Line:
    """A data row: its row number in the sheet, its labels (None = total) and its number cells."""

    number: int
    labels: list[str | None]
    values: dict[int, Cell]

    @property
    def has_values(self) -> bool:
        """True if any number cell is filled (an empty marker such as '−' counts as filled)."""
        return any(not blank(v) for v in self.values.values())


@dataclass
class Table:
    """A table read from a sheet: where it is, its label columns, its number columns and its rows."""

    where: str
    above: Rows  # every row above the header row: titles, report filters, column-field captions
    header_row: int
    captions: list[str]
    items: dict[int, tuple[str, ...]]
    block_top: int = 0  # first row of the header block; rows above it are titles and report filters
    lines: list[Line] = field(default_factory=list)

    def at(self, line: Line) -> str:
        """``file: row N`` for messages."""
        return f"{self.where}: row {line.number}"


def read_table(
    rows: Rows, where: str, is_caption: Callable[[str], bool], is_item: Callable[[str], bool], what: str
) -> Table:
    """Find the header and read the table below it; LoaderError naming ``what`` if there is none.

    ``is_caption`` recognises row-dimension captions (``Tilastovuosi``, ``Sexo``); ``is_item``
    recognises what a number column's header may say (a measure, a sex, a year, a total).
    """
    for i, row in enumerate(rows[:_LOOKAHEAD]):
        first = next((j for j, c in enumerate(row) if not blank(c)), None)
        if first is None or not (is_caption(str(row[first])) or norm(row[first]) in ROW_LABELS):
            continue
        start = _first_value_column(rows, i, first, is_caption, is_item)
        if start is None:
            continue
        return _build(rows, where, i, first, start, is_caption)
    raise LoaderError(f"{where}: not {what}: no header row naming its columns in the first {_LOOKAHEAD} rows")


def _next_filled(rows: Rows, i: int) -> list[Cell] | None:
    return rows[i + 1] if i + 1 < len(rows) and any(not blank(c) for c in rows[i + 1]) else None


def _first_value_column(
    rows: Rows, i: int, first: int, is_caption: Callable[[str], bool], is_item: Callable[[str], bool]
) -> int | None:
    """The first number column of a header candidate at row ``i``, or None if it is not a header."""
    below = _next_filled(rows, i)
    if below is None:
        return None
    top = _block_top(rows, i)
    row = rows[i]
    for j in range(first + 1, len(row)):
        text = str(row[j]).strip()
        if text and is_caption(text):
            continue
        above = [str(rows[r][j]) for r in range(top, i) if not blank(rows[r][j])]
        if (text and is_item(text)) or any(is_item(a) for a in above) or is_number(below[j]):
            figures = [c for c in below[j:] if is_number(c) or (not blank(c) and str(c).strip() in EMPTY)]
            return j if figures else None  # a report filter (Tilastovuosi | 2023) has none below
    return None


def _block_top(rows: Rows, h: int) -> int:
    """The first row of the header block ending at ``h`` (a blank row separates it from filters)."""
    top = h
    while top > 0 and any(not blank(c) for c in rows[top - 1]):
        top -= 1
    return top


def _build(
    rows: Rows, where: str, h: int, first: int, start: int, is_caption: Callable[[str], bool]
) -> Table:
    top = _block_top(rows, h)
    width = len(rows[h])
    items: dict[int, list[str]] = {j: [] for j in range(start, width)}
    for r in range(top, h + 1):
        carry = ""
        for j in range(start, width):
            text = "" if blank(rows[r][j]) else str(rows[r][j]).strip()
            if r < h:
                carry = text or carry  # an outer column item spans the columns to its right
                text = carry
            if text and norm(text) not in COLUMN_LABELS and not is_caption(text):
                items[j].append(text)
    captions = ["" if blank(c) else str(c).strip() for c in rows[h][first:start]]
    table = Table(where, rows[:h], h, captions, {j: tuple(v) for j, v in items.items()}, top)
    prev: list[str | None] = [None] * len(captions)
    for r in range(h + 1, len(rows)):
        row = rows[r]
        if all(blank(c) for c in row):
            continue
        cells = ["" if blank(c) else str(c).strip() for c in row[first:start]]
        values = {j: row[j] for j in range(start, width)}
        filled = [k for k, c in enumerate(cells) if c]
        if not filled:
            if any(not blank(v) for v in values.values()):
                raise LoaderError(
                    f"{where}: row {r + 1}: numbers without a label; expected row labels on the left"
                )
            continue
        last = filled[-1]
        labels: list[str | None] = []
        for k, text in enumerate(cells):
            if not text:
                labels.append(prev[k] if k < last else None)  # fill down; blank after the last: a subtotal
            elif is_total(text):
                labels.append(None)
            else:
                labels.append(subtotal_of(text) or text)
        table.lines.append(Line(r + 1, labels, values))
        prev = labels
    return table


def filter_value(rows: Rows, is_key: Callable[[str], bool]) -> tuple[str, int] | None:
    """A report filter's value: ``Tilastovuosi | 2023`` or ``Tilastovuosi: 2023`` in some row.

    Returns (value text, row number) for the first row whose first filled cell is a key
    recognised by ``is_key``; None if there is none.
    """
    for r, row in enumerate(rows):
        cells = [str(c).strip() for c in row if not blank(c)]
        if not cells:
            continue
        key, sep, rest = cells[0].partition(":")
        if not sep:
            key, sep, rest = cells[0].partition("=")
        if is_key(key.strip()):
            value = rest.strip() or (cells[1] if len(cells) > 1 else "")
            if value:
                return value, r + 1
    return None


def measures_named(texts: list[str], measures: dict[str, tuple[str, ...]]) -> set[str]:
    """Measures named anywhere in free text (a title, a data caption); the longest names win.

    ``Uudet opiskelijat maakunnittain`` names ``uudet opiskelijat``, not also ``opiskelijat``.
    """
    found: set[str] = set()
    for text in texts:
        n = f" {norm(text)} "
        hits = [(m, a) for m, names in measures.items() for a in names if a and f" {a} " in n]
        found |= {m for m, a in hits if not any(a != b and a in b for _, b in hits)}
    return found
