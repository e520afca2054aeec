"""One big CSV export read a slice at a time, for ``--low-memory``.

Why: a head office often gets the province's book as one CSV file, and splitting it by hand
loses the header of every piece but the first. Here the file is cut at line ends about every
`size` bytes, each slice after the first is given the header's lines, read as a CSV of its own
(`load._read_text`: the same reader, the same checks), and its lines are moved on to where
they are in the file, so that a problem is named by its line in the file.

A cut must never fall inside a record, and every slice must be read by the parser a whole read
would use. Polars first parses every cell of the file, keeping none: only where it reads the
whole file and counts as many records as lines (no cell holds a line break) is every line end
a place to cut. Otherwise (a whole read would then use Python's csv module, or join lines), and
whenever the file is not plain UTF-8 to polars, it is read whole, exactly as without
``--low-memory``.
A GB18030 or UTF-16 file is converted to UTF-8 first (as a whole read does), then cut.
"""

from __future__ import annotations

import codecs
import dataclasses
import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import polars as pl

from caseload.config import ReadOptions
from caseload.csv_parts import _shifted
from caseload.errors import InputError
from caseload.load import (
    _CHUNK,
    SNIFF_BYTES,
    RawTable,
    _choose_header,
    _count_lines,
    _head_lines,
    _header_candidates,
    _NotUtf8,
    _read_csv,
    _read_text,
    csv_options,
    detect_encoding,
    head_needed,
)
from caseload.transcode import BadBytes, to_utf8_file


def csv_slices(
    p: Path, kind: str, options: ReadOptions, wanted: Iterable[str] | None, size: int,
    known: dict | None = None,
) -> Iterator[RawTable]:
    """The file's tables, slice by slice, with the lines they have in the file.

    `known` keeps where to cut between two readings of the file (it takes a parse to find).
    """
    if p.stat().st_size <= size:
        yield _read_csv(p, kind, options, wanted)
        return
    encoding = detect_encoding(p, options.encoding)
    source = p
    if encoding not in ("utf-8", "utf-8-sig"):
        try:
            source = to_utf8_file(p, encoding)
        except BadBytes:
            source = None  # (a whole read says where)
    try:
        known = {} if known is None else known
        if "cut" not in known:
            known["cut"] = None if source is None else _where_to_cut(
                p, source, encoding, kind, options, wanted, size)
        cut = known["cut"]
        if cut is None:
            yield _read_csv(p, kind, options, wanted)
            return
        header, cuts = cut
        ends = [offset for offset, _ in cuts] + [source.stat().st_size]
        with _slice_file(source, 0, ends[0]) as first:
            yield _read_text(p, first, encoding, kind, options, wanted)
        following = dataclasses.replace(options, header_row=1)  # (each slice begins with it)
        for (offset, lines_before), end in zip(cuts, ends[1:], strict=True):
            with _slice_file(source, offset, end, header) as piece:
                table = _read_text(p, piece, encoding, kind, following, wanted)
            yield _shifted(table, lines_before - header.count(b"\n"))
    finally:
        if source is not None and source != p:
            source.unlink(missing_ok=True)


def _where_to_cut(
    p: Path, source: Path, encoding: str, kind: str, options: ReadOptions,
    wanted: Iterable[str] | None, size: int,
) -> tuple[bytes, list[tuple[int, int]]] | None:
    """The header's bytes and the cuts (offset, lines before it); None: read the file whole."""
    try:
        top = _head_lines(source, head_needed(options))
        header = _choose_header(_header_candidates(top, options, p), kind, options, p, "line",
                                encoding, wanted)
        options = csv_options(header, len(header.cells))
        # (every cell parsed, none kept: what polars refuses in a whole read, Python's csv
        # module reads, and then it must read every slice too)
        records = pl.scan_csv(source, **options).select(
            pl.len(), *[pl.col(c).str.len_bytes().max() for c in options["schema"]]
        ).collect(engine="streaming").item(0, 0)
        lines = _count_lines(source)
    except (InputError, _NotUtf8, pl.exceptions.PolarsError):
        return None  # (a whole read says what is wrong, in its own order)
    if records != lines - header.end - 1:  # a cell with a line break, or lines polars joins
        return None
    with source.open("rb") as fh:
        head = fh.read(SNIFF_BYTES)
    line_ends: list[int] = []
    while len(line_ends) <= header.end:
        at = head.find(b"\n", line_ends[-1] + 1 if line_ends else 0)
        if at < 0:
            return None
        line_ends.append(at)
    begins = line_ends[header.index - 1] + 1 if header.index else 0
    header_bytes = head[begins:line_ends[-1] + 1].removeprefix(codecs.BOM_UTF8)
    cuts = _cuts(source, max(size, line_ends[-1] + 1), size)
    return (header_bytes, cuts) if cuts else None


def _cuts(source: Path, first: int, size: int) -> list[tuple[int, int]]:
    """Where slices after the first begin (byte offset) and the lines before each: at the
    first line end at or after byte `first`, then one every `size` bytes or so."""
    cuts: list[tuple[int, int]] = []
    offset = lines = 0
    target = first
    total = source.stat().st_size
    with source.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            target = max(target, offset)
            while target < offset + len(chunk):
                at = chunk.find(b"\n", target - offset)
                if at < 0:
                    break
                cut = offset + at + 1
                if cut < total:
                    cuts.append((cut, lines + chunk.count(b"\n", 0, at + 1)))
                target = cut + size
            lines += chunk.count(b"\n")
            offset += len(chunk)
    return cuts


@contextmanager
def _slice_file(source: Path, start: int, end: int, prefix: bytes = b"") -> Iterator[Path]:
    """Bytes [start, end) of `source`, after `prefix`, in a temporary file removed on exit."""
    fd, name = tempfile.mkstemp(prefix="caseload-slice-", suffix=".csv")
    path = Path(name)
    try:
        with os.fdopen(fd, "wb") as dst, source.open("rb") as src:
            dst.write(prefix)
            src.seek(start)
            count = end - start
            while count > 0 and (chunk := src.read(min(_CHUNK, count))):
                dst.write(chunk)
                count -= len(chunk)
        yield path
    finally:
        path.unlink(missing_ok=True)
