"""Numbers a workbook cannot hold exactly: long client numbers typed into number cells.

Why: a cell holds a number as a 64-bit float, so a 16-to-19-digit number (a client or card
number typed into a number cell) is kept only to about 15 digits. Excel shows it as
``6.22202E+18``; the workbook reader gives its float as digits (``6222021234567889920``), which
look like a client number but are not the one exported, and three clients rounded alike would
read as one. In a CSV, the same cells arrive in the ``6.22202E+18`` form and validation refuses
them as Excel-rounded; here they are given that form, so they are refused alike.

How: the sheet's XML is scanned as bytes, a megabyte at a time (the reader has no per-cell
types): a number cell is a ``<c>`` without a ``t`` attribute (or ``t="n"``); its ``<v>`` is
rounded when it is written with an exponent of 15 or more, or as more digits than a float keeps
(an integer past 2**53). Only .xlsx/.xlsm (zip) workbooks; an old .xls is read as it comes.
"""

from __future__ import annotations

import os
import re
import zipfile
import zlib
from pathlib import Path

import polars as pl

from caseload.xlsx_merges import _col_index, _sheet_part

_CHUNK = 1 << 20
_TAIL = 4096  # a cell cut by a chunk's end is looked at again with the next chunk
_PREFIX = rb"(?:[A-Za-z_][\w.\-]*:)?"
# (only values that may be too long: 16 digits or more, or an exponent of two digits)
_CELL = re.compile(rb"<" + _PREFIX + rb"c\s([^>]*?)>\s*<" + _PREFIX
                   + rb"v>\s*([+-]?(?:\d{16,}(?:\.\d*)?|\d(?:\.\d+)?[eE]\+?\d{2,}))\s*</")
_REF = re.compile(rb'\br="\$?([A-Z]{1,3})\$?([0-9]{1,7})"')
_TYPED = re.compile(rb'\bt="(?!n")')
_LONG = re.compile(rb"^\s*[+-]?(\d+)(\.\d*)?\s*$|^\s*[+-]?\d(\.\d+)?[eE]\+?(\d+)\s*$")
_EXACT = 2**53


def rounded_cells(path: str | os.PathLike[str], sheet: str) -> dict[tuple[int, int], str]:
    """(sheet row, sheet column), 0-based -> the number as Excel shows it (``6.22202E+18``),
    for each number cell too long to be held exactly. Empty for what is no .xlsx."""
    p = Path(path)
    if not zipfile.is_zipfile(p):
        return {}
    found: dict[tuple[int, int], str] = {}
    try:
        with zipfile.ZipFile(p) as z:
            part = _sheet_part(z, sheet)
            if part is None:
                return {}
            with z.open(part) as fh:
                tail = b""
                while chunk := fh.read(_CHUNK):
                    text = tail + chunk
                    for m in _CELL.finditer(text):
                        _note(m.group(1), m.group(2), found)
                    tail = text[-_TAIL:]
    except (zipfile.BadZipFile, zlib.error, EOFError):
        return {}  # (the reader itself says what is wrong with such a workbook)
    return found


def _note(attributes: bytes, value: bytes, found: dict[tuple[int, int], str]) -> None:
    if _TYPED.search(attributes) or not (ref := _REF.search(attributes)):
        return
    long = _LONG.match(value)
    if long is None:
        return
    if long.group(1) is not None:  # plain digits: past what a float holds exactly?
        if abs(int(long.group(1))) <= _EXACT:
            return
    elif int(long.group(4)) < 15:  # an exponent: 1.5E+3 is a small number
        return
    shown = f"{float(value):.5E}".replace("E+0", "E+")  # (as Excel's General format shows it)
    found[(int(ref.group(2)) - 1, _col_index(ref.group(1).decode()))] = shown


def mark_rounded(frame: pl.DataFrame, columns: list[int],
                 cells: dict[tuple[int, int], str]) -> pl.DataFrame:
    """`frame` (row i = sheet row i; column j = sheet column `columns[j]`) with each rounded
    cell in the form Excel shows it, which validation refuses as Excel-rounded."""
    if not cells:
        return frame
    position = {sheet_col: j for j, sheet_col in enumerate(columns)}
    by_column: dict[int, dict[int, str]] = {}
    for (row, sheet_col), shown in cells.items():
        if (j := position.get(sheet_col)) is not None and row < frame.height:
            by_column.setdefault(j, {})[row] = shown
    row = pl.int_range(pl.len(), dtype=pl.Int64)
    return frame.with_columns(
        pl.coalesce(row.replace_strict(rows, default=None, return_dtype=pl.String),
                    pl.col(f"c{j}")).alias(f"c{j}")
        for j, rows in by_column.items()
    )
