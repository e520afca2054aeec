"""One big CSV export read a slice at a time, for ``--low-memory``.

Why: a head office often gets the province's book as one CSV file, and splitting it by hand
loses the header of every piece but the first. Here the file is cut at line ends about every
`size` bytes, each slice after the first is given the header's lines, read as a CSV of its own
(`load._read_text`: the same reader, the same checks), and its lines are moved on to where
they are in the file, so a problem is named by its line in the file.

A cut is made only where the quote marks before it are even in number, so never inside a
quoted cell (a cell may hold a line break). A stray quote in an unquoted cell (``5"``) upsets
that count; a cut in a cell then shows as a row problem, never as a silent change, and the
file can be checked without ``--low-memory``. A GB18030 or UTF-16 file is converted to UTF-8
first (as a whole read does), then cut.
"""

from __future__ import annotations

import codecs
import dataclasses
import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from caseload.config import ReadOptions
from caseload.csv_parts import _shifted
from caseload.errors import InputError
from caseload.load import (
    _CHUNK,
    SNIFF_BYTES,
    RawTable,
    _bad_bytes,
    _choose_header,
    _first_bad_utf8,
    _head_lines,
    _header_candidates,
    _line_at,
    _NotUtf8,
    _read_text,
    detect_encoding,
)
from caseload.transcode import BadBytes, to_utf8_file


def csv_slices(
    p: Path, kind: str, options: ReadOptions, wanted: Iterable[str] | None, size: int,
) -> Iterator[RawTable]:
    """The file's tables, slice by slice, with the lines they have in the file."""
    encoding = detect_encoding(p, options.encoding)
    source = p
    if encoding not in ("utf-8", "utf-8-sig"):
        try:
            source = to_utf8_file(p, encoding)
        except BadBytes as exc:
            raise _bad_bytes(p, encoding, exc.offset) from None
    try:
        yield from _sliced(p, source, encoding, kind, options, wanted, size)
    except _NotUtf8:
        # (a whole read would try GB18030 past an ASCII head; a sliced one cannot go back)
        line = _line_at(source, _first_bad_utf8(source))
        raise InputError(p, f"line {line}: bytes that are not UTF-8 past an ASCII head; name "
                            "its encoding with --encoding, or check it without --low-memory"
                         ) from None
    finally:
        if source != p:
            source.unlink(missing_ok=True)


def _sliced(
    p: Path, source: Path, encoding: str, kind: str, options: ReadOptions,
    wanted: Iterable[str] | None, size: int,
) -> Iterator[RawTable]:
    try:  # (where the header ends: the first cut comes after it)
        header = _choose_header(_header_candidates(_head_lines(source), options, p), kind,
                                options, p, "line", encoding, wanted)
    except InputError:
        header = None  # a whole read says what is wrong, in its own order
    with source.open("rb") as fh:
        head = fh.read(SNIFF_BYTES)
    line_ends: list[int] = []
    while header is not None and len(line_ends) <= header.end:
        at = head.find(b"\n", line_ends[-1] + 1 if line_ends else 0)
        if at < 0:
            break
        line_ends.append(at)
    cuts = _cuts(source, max(size, line_ends[-1] + 1), size) \
        if header is not None and len(line_ends) == header.end + 1 else []
    if not cuts:  # (one slice: the file itself)
        yield _read_text(p, source, encoding, kind, options, wanted)
        return
    begins = line_ends[header.index - 1] + 1 if header.index else 0
    header_bytes = head[begins:line_ends[-1] + 1].removeprefix(codecs.BOM_UTF8)
    ends = [offset for offset, _ in cuts] + [source.stat().st_size]
    with _slice_file(source, 0, ends[0]) as first:
        yield _read_text(p, first, encoding, kind, options, wanted)
    following = dataclasses.replace(options, header_row=1)  # (each slice begins with it)
    for (offset, lines_before), end in zip(cuts, ends[1:], strict=True):
        with _slice_file(source, offset, end, header_bytes) as piece:
            table = _read_text(p, piece, encoding, kind, following, wanted)
        yield _shifted(table, lines_before - header_bytes.count(b"\n"))


def _cuts(source: Path, first: int, size: int) -> list[tuple[int, int]]:
    """Where slices after the first begin (byte offset) and the lines before each.

    The first cut is at the first line end at or after byte `first` with an even number of
    quote marks before it, then one every `size` bytes or so; none at the very end.
    """
    cuts: list[tuple[int, int]] = []
    offset = lines = quotes = 0
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
                if (quotes + chunk.count(b'"', 0, at)) % 2 == 0 and cut < total:
                    cuts.append((cut, lines + chunk.count(b"\n", 0, at + 1)))
                    target = cut + size
                else:
                    target = cut
            quotes += chunk.count(b'"')
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
