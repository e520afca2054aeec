"""A folder of export parts read as one table: head office's one export per bank or branch.

A folder holds CSV parts (``*.csv``) or Parquet parts (``*.parquet``), never both, read in
natural name order (``part-2`` before ``part-10``). Parquet parts go to `load._read_parquet`
(one streaming scan over them all). Each CSV part is read as a file of its own (`load._read_csv`): its own encoding,
title line, header line, header names and order, total lines; the parts must end with the same
canonical columns, and are then stacked into one frame, so validation (duplicates above all)
sees the whole book.

Line numbers: a part's `LINE` values are offset by the physical lines of the parts before it,
so they count lines as if the parts were joined end to end, and never collide;
`RawTable.parts` holds each part's name and the `LINE` of its line 1, so that
`validate.where` names a row by its part and its own line (``b-2.csv line 7``).

Other files (a ``README.txt``, hidden or lock files, subfolders) are not parts and are left
alone; a workbook is refused rather than left out, since leaving out a bank's export silently
would undercount its clients.
"""

from __future__ import annotations

import codecs
import dataclasses
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

import polars as pl

from caseload.config import ReadOptions
from caseload.errors import InputError
from caseload.load import (
    _CHUNK,
    EXCEL_SUFFIXES,
    LINE,
    SHOWN_ONLY,
    RawTable,
    RowProblem,
    _check_path,
    _count_lines,
    _read_csv,
    _read_parquet,
)

CSV_SUFFIX = ".csv"
PARQUET_SUFFIX = ".parquet"
NO_PARTS = ("holds no parts: a folder is read as one table from its .csv parts or its "
            ".parquet parts (one export per bank or branch)")


def read_folder(
    folder: Path, kind: str, options: ReadOptions, wanted: Iterable[str] | None
) -> RawTable:
    """The parts of `folder` as one table; which reader depends on what the folder holds."""
    suffix, parts = folder_parts(folder)
    if suffix == PARQUET_SUFFIX:
        return _read_parquet(folder, kind, options, wanted, parts)
    return read_csv_parts(folder, kind, options, wanted, parts)


def folder_parts(folder: Path) -> tuple[str, list[Path]]:
    """The suffix of the folder's parts (.csv or .parquet) and the parts, in natural order."""
    files = _files(folder)
    csv_parts = _parts(files, (CSV_SUFFIX,))
    parquet_parts = _parts(files, (PARQUET_SUFFIX,))
    workbooks = _parts(files, EXCEL_SUFFIXES)
    if csv_parts and parquet_parts:
        raise InputError(folder, f"holds both CSV and Parquet parts ({csv_parts[0].name}, "
                                 f"{parquet_parts[0].name}): a folder holds parts of one format")
    if workbooks:
        raise InputError(folder, f"holds a workbook ({workbooks[0].name}): a folder is read "
                                 "from .csv or .parquet parts only; save it as CSV")
    if parquet_parts:
        return PARQUET_SUFFIX, parquet_parts
    if not csv_parts:
        raise InputError(folder, NO_PARTS)
    return CSV_SUFFIX, csv_parts


def _files(folder: Path) -> list[Path]:
    """The folder's visible files (lock files such as ``.~lock.x.csv#`` or ``~$x.xlsx`` are not)."""
    try:
        entries = list(folder.iterdir())
    except OSError as exc:
        raise InputError(folder, f"cannot be read ({exc.strerror or 'permission denied'})") \
            from None
    return [e for e in entries if not e.name.startswith((".", "~$")) and e.is_file()]


def _natural(part: Path) -> list:
    """Sort key putting part-2 before part-10 (and p1 before p01: one order on every disk)."""
    return [(0, int(t), "") if t.isdigit() else (1, 0, t)
            for t in re.split(r"(\d+)", part.name)] + [(2, 0, part.name)]


def _parts(files: list[Path], suffixes: tuple[str, ...]) -> list[Path]:
    return sorted((f for f in files if f.suffix.lower() in suffixes), key=_natural)


def read_csv_parts(
    folder: Path, kind: str, options: ReadOptions, wanted: Iterable[str] | None,
    parts: list[Path],
) -> RawTable:
    """Each part read as a CSV of its own, then stacked with lines counted across the parts."""
    tables = list(csv_part_tables(kind, options, wanted, parts))
    return _stacked(folder, kind, [t for t, _ in tables], tables[-1][1])


def csv_part_tables(
    kind: str, options: ReadOptions, wanted: Iterable[str] | None, parts: list[Path],
) -> Iterator[tuple[RawTable, list[tuple[str, int]]]]:
    """Each part's table, its lines moved on past the parts before it, one part at a time.

    With each table come the names and first lines of the parts read so far (its own last),
    so that the caller can name a row by its part as soon as that part is read.
    """
    first_table: RawTable | None = None
    firsts: list[tuple[str, int]] = []
    offset = 0
    for part in parts:  # (a loop over parts; rows are only ever touched by polars)
        _check_path(part)
        table = _read_csv(part, kind, options, wanted)
        if first_table is None:  # (its headers, not its rows: one part is held at a time)
            first_table = dataclasses.replace(table, frame=table.frame.clear())
        else:
            _same_columns(first_table, parts[0], table, part)
        lines = max(_physical_lines(part, table.encoding), _last_line(table))
        firsts.append((part.name, offset + 1))
        yield _shifted(table, offset), list(firsts)
        offset += lines


def _same_columns(first: RawTable, first_part: Path, table: RawTable, part: Path) -> None:
    """Parts must give the same canonical columns, whatever their headers are called.

    A column only some parts have would be blank for the others' clients (a household split
    off, a balance missing): refused, naming the part and the column.
    """
    missing = [c for c in first.headers if c not in table.headers and c not in SHOWN_ONLY]
    if missing:
        c = missing[0]
        raise InputError(part, f"has no {c} column ({first.headers[c]} in {first_part.name}); "
                               "every part of a folder needs the same columns")
    extra = [c for c in table.headers if c not in first.headers and c not in SHOWN_ONLY]
    if extra:
        c = extra[0]
        raise InputError(part, f"has a {c} column ({table.headers[c]}) that {first_part.name} "
                               "lacks; every part of a folder needs the same columns")


def _physical_lines(part: Path, encoding: str) -> int:
    """Lines as an editor counts them (a last line without a line end counts).

    ``\\n`` is one byte that no other character uses in UTF-8 and GB18030, so its bytes are
    counted (in UTF-8 by polars, as `load` counts them: a fifth of the time); UTF-16 is decoded
    (a stream, a few megabytes at a time).
    """
    if encoding in ("utf-8", "utf-8-sig"):
        return _count_lines(part)
    count, ends_open = 0, False
    decoder = codecs.getincrementaldecoder("utf-16")() if encoding == "utf-16" else None
    with part.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            if decoder:
                text = decoder.decode(chunk)
                count += text.count("\n")
                ends_open = text[-1:] not in ("\n", "") or (ends_open and not text)
            else:
                count += chunk.count(b"\n")
                ends_open = not chunk.endswith(b"\n")
    return count + ends_open


def _last_line(table: RawTable) -> int:
    """The last line the part's table names (never beyond its physical lines; a safeguard)."""
    problem_lines = [n for rp in table.row_problems for n in rp.lines
                     + [m for more in rp.more_lines.values() for m in more]]
    return max([int(table.frame[LINE].max() or 0), table.header_line, *table.total_lines,
                *table.repeated_header_lines, *problem_lines])


def _shifted(table: RawTable, offset: int) -> RawTable:
    """`table` with every line number moved `offset` lines on."""
    if not offset:
        return table
    table.frame = table.frame.with_columns(pl.col(LINE) + offset)
    table.total_lines = [n + offset for n in table.total_lines]
    table.repeated_header_lines = [n + offset for n in table.repeated_header_lines]
    table.row_problems = [
        RowProblem(rp.problem, [n + offset for n in rp.lines],
                   {start + offset: [n + offset for n in more]
                    for start, more in rp.more_lines.items()})
        for rp in table.row_problems
    ]
    return table


def _stacked(folder: Path, kind: str, tables: list[RawTable],
             parts: list[tuple[str, int]]) -> RawTable:
    """One table of the parts' tables (already shifted), in part order.

    Headers as written may differ per part: a message then says them all (``客户号 /
    client_id``). Encoding, separator and positions describe one file; they are kept only
    where every part agrees (`apply`, their one user, refuses a folder anyway).
    """
    first = tables[0]
    columns = list(dict.fromkeys(c for t in tables for c in t.frame.columns))
    frame = pl.concat([t.frame.select(pl.col(c) if c in t.frame.columns  # (a part without
                                      else pl.lit(None, pl.String).alias(c)  # client names)
                                      for c in columns) for t in tables],
                      how="vertical", rechunk=True)
    named = dict.fromkeys(c for t in tables for c in t.headers)
    headers = {c: " / ".join(dict.fromkeys(t.headers[c] for t in tables if c in t.headers))
               for c in named}
    problems: dict[str, RowProblem] = {}
    for rp in (rp for t in tables for rp in t.row_problems):
        merged = problems.setdefault(rp.problem, RowProblem(rp.problem, []))
        merged.lines.extend(rp.lines)
        merged.more_lines.update(rp.more_lines)
    return RawTable(
        path=str(folder), kind=kind, frame=frame, headers=headers,
        encoding=_common([t.encoding for t in tables], "mixed"),
        header_line=first.header_line,
        total_lines=[n for t in tables for n in t.total_lines],
        blank_lines=sum(t.blank_lines for t in tables),
        row_problems=list(problems.values()),
        repeated_header_lines=[n for t in tables for n in t.repeated_header_lines],
        field_count=max(t.field_count for t in tables),
        separator=_common([t.separator for t in tables], ""),
        positions=first.positions if all(t.positions == first.positions for t in tables) else {},
        unit=first.unit, parts=parts,
    )


def _common(values: list[str], otherwise: str) -> str:
    return values[0] if len(set(values)) == 1 else otherwise
