"""Test fixtures: workbooks in the layouts publishers serve, written by the project (XLSX and XLSB).

An XLSB file is a zip of BIFF12 binary records (MS-XLSB): a workbook part naming the sheets, one
part per worksheet (dimension, rows of cells) and a shared-string table. This writer emits the
minimal records a reader needs: numbers as ``BrtCellReal``, text as ``BrtCellIsst`` (an index into
the shared strings), blanks left out.
"""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

Sheet = list[list[object]]

# BIFF12 record ids, written as their (1-2 byte) encoded form, little endian
_BEGIN_BOOK, _END_BOOK = 0x0183, 0x0184
_BEGIN_SHEETS, _END_SHEETS, _SHEET = 0x018F, 0x0190, 0x019C
_BEGIN_SST, _END_SST, _SST_ITEM = 0x019F, 0x01A0, 0x0013
_BEGIN_WS, _END_WS, _DIMENSION = 0x0181, 0x0182, 0x0194
_BEGIN_DATA, _END_DATA, _ROW = 0x0191, 0x0192, 0x0000
_CELL_REAL, _CELL_ISST = 0x0005, 0x0007


def _record(rec_id: int, payload: bytes = b"") -> bytes:
    head = bytes([rec_id & 0xFF]) if rec_id < 0x80 else struct.pack("<H", rec_id)
    size, length = len(payload), bytearray()
    while True:
        byte = size & 0x7F
        size >>= 7
        length.append(byte | (0x80 if size else 0))
        if not size:
            break
    return head + bytes(length) + payload


def _wide(text: str) -> bytes:
    data = text.encode("utf-16-le")
    return struct.pack("<I", len(data) // 2) + data


def _worksheet(rows: Sheet, strings: dict[str, int]) -> bytes:
    width = max((len(r) for r in rows), default=1)
    out = [
        _record(_BEGIN_WS),
        _record(_DIMENSION, struct.pack("<IIII", 0, max(len(rows) - 1, 0), 0, width - 1)),
    ]
    out.append(_record(_BEGIN_DATA))
    for r, row in enumerate(rows):
        out.append(_record(_ROW, struct.pack("<IIH", r, 0, 300) + b"\x00\x00\x00" + struct.pack("<I", 0)))
        for c, value in enumerate(row):
            if value is None or value == "":
                continue
            if isinstance(value, int | float) and not isinstance(value, bool):
                out.append(_record(_CELL_REAL, struct.pack("<IId", c, 0, float(value))))
            else:
                index = strings.setdefault(str(value), len(strings))
                out.append(_record(_CELL_ISST, struct.pack("<III", c, 0, index)))
    out += [_record(_END_DATA), _record(_END_WS)]
    return b"".join(out)


def write_xlsb(path: Path, sheets: dict[str, Sheet]) -> Path:
    """Write an XLSB workbook with the given sheets (name → rows of numbers and strings)."""
    strings: dict[str, int] = {}
    parts = {
        f"xl/worksheets/sheet{i}.bin": _worksheet(rows, strings) for i, rows in enumerate(sheets.values(), 1)
    }
    book = [_record(_BEGIN_BOOK), _record(_BEGIN_SHEETS)]
    rels = []
    for i, name in enumerate(sheets, 1):
        book.append(_record(_SHEET, struct.pack("<II", 0, i) + _wide(f"rId{i}") + _wide(name)))
        rels.append(
            f'<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            f'relationships/worksheet" Target="worksheets/sheet{i}.bin"/>'
        )
    book += [_record(_END_SHEETS), _record(_END_BOOK)]
    sst = [_record(_BEGIN_SST, struct.pack("<II", len(strings), len(strings)))]
    sst += [_record(_SST_ITEM, b"\x00" + _wide(s)) for s in strings]  # strings keep insertion order
    sst.append(_record(_END_SST))
    ns = "http://schemas.openxmlformats.org/package/2006/relationships"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", _content_types(len(sheets)))
        z.writestr("xl/workbook.bin", b"".join(book))
        z.writestr(
            "xl/_rels/workbook.bin.rels",
            f'<?xml version="1.0"?><Relationships xmlns="{ns}">{"".join(rels)}</Relationships>',
        )
        z.writestr("xl/sharedStrings.bin", b"".join(sst))
        for name, data in parts.items():
            z.writestr(name, data)
    return path


def _content_types(n: int) -> str:
    ct = "application/vnd.ms-excel"
    sheets = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.bin" ContentType="{ct}.worksheet"/>'
        for i in range(1, n + 1)
    )
    return (
        '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        f'<Default Extension="bin" ContentType="{ct}.sheet.binary.macroEnabled.main"/>{sheets}</Types>'
    )


def write_xlsx(path: Path, sheets: dict[str, Sheet]) -> Path:
    """Write an XLSX workbook with the given sheets (name → rows), blanks as empty cells."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append([None if v == "" else v for v in row])
    wb.save(path)
    return path


def write_csv(path: Path, rows: Sheet, sep: str = ";") -> Path:
    """Write rows as a delimited text file (UTF-8), blanks as empty fields."""
    path.write_text(
        "\n".join(sep.join("" if v is None else str(v) for v in row) for row in rows), encoding="utf-8"
    )
    return path
