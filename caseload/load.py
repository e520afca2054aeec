"""Reading exports into canonical polars frames.

Banks export CSV in UTF-8 (with or without BOM), GB18030/GBK or UTF-16, or .xlsx, with Chinese
or English headers, a title line above the header and a total line below the data; head
office may have Parquet, or a folder of parts (`csv_parts`). This module finds the header,
maps it to canonical columns, and hands `validate` a frame of text cells, each row carrying the
line number an editor would show (the row number, for workbooks and Parquet). Values stay
text (a workbook's merged cells are filled, see `xlsx_merges`, and its whole numbers lose
Excel's ``.0``); rows whose shape cannot be trusted (more or fewer fields than the header, a
quote that never closes) are listed in `RawTable.row_problems` for `validate` to report.

How a CSV is read, and why line numbers stay right:
- The header is found among the first physical lines (split at ``\\n`` only, as polars and an
  editor do), each line parsed on its own, trying ``,``, tab, ``;`` and ``|``.
- polars parses the rest. Blank lines come back as empty rows, so while no cell holds a line
  break, record *i* is on line ``header + 1 + i``. A cheap count of the file's lines tells
  whether some cell does; then each record's line breaks are counted and carried forward.
- polars fills a missing trailing field with an empty string, so "fewer fields" is checked
  against the raw text, only for the rows whose last column came back empty.
- A file polars refuses (a stray quote mid-field) is read with Python's `csv` module instead:
  slower, and only ever for such files.
- GB18030/GBK (and UTF-16) files are converted to a temporary UTF-8 file in a stream, a few
  megabytes at a time, never held in memory twice (a big GB18030 file on two cores: see
  `transcode`); the temporary file is always removed.
- Never echo what polars says: its messages quote cell values (client names, ID numbers).
"""

from __future__ import annotations

import codecs
import csv
import os
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from caseload.columns import (
    CLIENT_HEADER_TIERS,
    CLIENT_REQUIRED,
    OFFICER_HEADER_TIERS,
    OFFICER_REQUIRED,
    TOTAL_LINE_ENGLISH,
    TOTAL_LINE_WORDS,
    Tiers,
    header_lookup,
    normalise_header,
    normalise_word,
)
from caseload.config import ReadOptions, encoding_name
from caseload.errors import InputError
from caseload.transcode import BadBytes, to_utf8_file

LINE = "__line"  # 1-based line (CSV) or row (xlsx, parquet) of each record in its file
SNIFF_BYTES = 1 << 20
HEADER_SEARCH_LINES = 30
SEPARATORS = (",", "\t", ";", "|")
_SEP_NAMES = {",": "commas", "\t": "tabs", ";": "semicolons", "|": "bars"}
EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")
_CHUNK = 1 << 22
_PY_BATCH = 50_000
_NL = "__nl"  # line breaks inside the record's cells

TABLES: dict[str, tuple[dict[str, Tiers], tuple[str, ...]]] = {
    "officers": (OFFICER_HEADER_TIERS, OFFICER_REQUIRED),
    "clients": (CLIENT_HEADER_TIERS, CLIENT_REQUIRED),
}
_LOOKUPS = {kind: header_lookup(tiers) for kind, (tiers, _) in TABLES.items()}
_OTHER = {"officers": "clients", "clients": "officers"}
_ARTICLE = {"officers": "an", "clients": "a"}
_WHAT = {"officers": "the officer roster", "clients": "the client book"}

SUPPORTED = "UTF-8, UTF-8 with BOM, GB18030/GBK, UTF-16 with BOM"
NOT_TEXT = f"is not text in a supported encoding ({SUPPORTED})"
_MAGIC = (
    (b"PK\x03\x04", "is a zip archive (an .xlsx workbook?), not CSV text; "
                    "a workbook needs the .xlsx suffix"),
    (b"\xd0\xcf\x11\xe0", "is an old Excel (.xls) workbook, not CSV text; "
                          "save it as .xlsx or CSV"),
    (b"PAR1", "is a Parquet file, not CSV text; it needs the .parquet suffix"),
    (b"\x89PNG", f"is a PNG image, {NOT_TEXT[3:]}"),
    (b"%PDF", f"is a PDF document, {NOT_TEXT[3:]}"),
    (b"\x1f\x8b", f"is gzip-compressed, {NOT_TEXT[3:]}"),
)
_TOTAL_RE = (
    "(?i)^\\s*(" + "|".join(re.escape(w) for w in TOTAL_LINE_WORDS) + "|("
    + "|".join(re.escape(w) for w in TOTAL_LINE_ENGLISH) + ")(\\s*$|\\s*[:：(（]|\\s+[0-9]))"
)
_BLANK_OR_TOTAL_RE = ("(?i)^[\\s\x1a]*($|" + "|".join(
    re.escape(w) for w in TOTAL_LINE_WORDS + TOTAL_LINE_ENGLISH) + ")")


@dataclass
class RowProblem:
    """Rows whose shape cannot be trusted, found while reading (before any value is typed)."""

    problem: str
    lines: list[int]  # the line each row starts on
    more_lines: dict[int, list[int]] = field(default_factory=dict)  # further lines of a row


@dataclass
class RawTable:
    """An export read as text: canonical columns plus `LINE`, and where it came from."""

    path: str
    kind: str
    frame: pl.DataFrame
    headers: dict[str, str]  # canonical -> header as written in the file
    encoding: str
    header_line: int
    total_lines: list[int] = field(default_factory=list)
    blank_lines: int = 0
    row_problems: list[RowProblem] = field(default_factory=list)
    repeated_header_lines: list[int] = field(default_factory=list)
    field_count: int = 0
    separator: str = ","
    positions: dict[str, int] = field(default_factory=dict)  # canonical -> column in file
    unit: str = "line"  # what LINE counts: "line" (CSV) or "row" (workbook, parquet)
    # a folder of parts: each part's name and the LINE of its first row (CSV: of its line 1;
    # rows or lines are numbered across the parts, see `csv_parts`), so that a row can be
    # named by its part and its row or line there
    parts: list[tuple[str, int]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # how it was read, said on stderr


def read_table(
    path: str | os.PathLike[str],
    kind: str,
    options: ReadOptions | None = None,
    wanted: Iterable[str] | None = None,
) -> RawTable:
    """Read one export; `wanted` limits the canonical columns kept (None keeps all known)."""
    if kind not in TABLES:
        raise ValueError(f"unknown table kind {kind!r}")
    options = options or ReadOptions()
    p = Path(path)
    if p.is_dir():  # a folder of CSV or Parquet parts, read as one table
        from caseload.csv_parts import read_folder  # (it reads each part with this module)

        return read_folder(p, kind, options, wanted)
    _check_path(p)
    suffix = p.suffix.lower()
    if suffix in EXCEL_SUFFIXES:
        return _read_excel(p, kind, options, wanted)
    if suffix == ".parquet":
        return _read_parquet(p, kind, options, wanted)
    return _read_csv(p, kind, options, wanted)



def _check_path(p: Path) -> None:
    try:
        info = p.stat()
    except (FileNotFoundError, NotADirectoryError):
        raise InputError(p, "no such file") from None
    except OSError as exc:
        raise InputError(p, f"cannot be read ({exc.strerror or 'permission denied'})") from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError(p, "is a directory, not a file")
    if not stat.S_ISREG(info.st_mode):  # (checked before opening: a pipe may never be written)
        raise InputError(p, "is a pipe or a device, not a file: an export is read more than "
                            "once, so save it to a file first (zcat clients.csv.gz > clients.csv)")
    try:
        with p.open("rb") as fh:
            first = fh.read(1)
    except OSError as exc:
        raise InputError(p, f"cannot be read ({exc.strerror or 'permission denied'})") from None
    if not first:
        raise InputError(p, "is empty")


# ---------------------------------------------------------------- encodings


def detect_encoding(p: Path, forced: str | None = None) -> str:
    """UTF-8 with BOM, UTF-8, GB18030 or UTF-16 (with BOM), told apart from the first megabyte."""
    p = Path(p)
    with p.open("rb") as fh:
        head = fh.read(SNIFF_BYTES)
    complete = len(head) < SNIFF_BYTES
    if forced:
        name = encoding_name(forced)
        if name is None:
            raise InputError(
                p, f"unsupported encoding {forced!r} (use utf-8, utf-8-sig, gb18030 or utf-16)"
            )
        if name == "utf-8" and head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        return name
    for magic, problem in _MAGIC:
        if head.startswith(magic):
            raise InputError(p, problem)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in head:
        raise InputError(p, NOT_TEXT)
    try:
        text = codecs.getincrementaldecoder("utf-8")().decode(head, final=complete)
    except UnicodeDecodeError as exc:
        prefix = head[: exc.start].decode("utf-8", errors="ignore")
        if sum(ch >= "\u0800" for ch in prefix) >= 4:  # Chinese in UTF-8, then something else
            raise _bad_bytes(p, "utf-8", exc.start) from None
        try:  # (the start tells text from binary; bad bytes further on are found, with
            # their line, as the file is converted)
            gb = codecs.getincrementaldecoder("gb18030")().decode(
                head[:_BINARY_SAMPLE], final=complete and len(head) <= _BINARY_SAMPLE)
        except UnicodeDecodeError:
            gb = None
        if gb is None or _looks_binary(gb):
            raise InputError(p, NOT_TEXT) from None
        return "gb18030"
    if _looks_binary(text):
        raise InputError(p, NOT_TEXT)
    return "utf-8"


_BINARY_SAMPLE = 65536
_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x19\x1b-\x1f]")


def _looks_binary(text: str) -> bool:
    """Control characters other than tab, CR, LF, FF and a DOS end-of-file mark."""
    sample = text[:_BINARY_SAMPLE]
    return len(_CONTROL.findall(sample)) > max(2, len(sample) // 200)


def _bad_bytes(p: Path, encoding: str, byte_offset: int) -> InputError:
    line = _line_at(p, byte_offset)
    name = {"gb18030": "GB18030/GBK", "utf-16": "UTF-16"}.get(encoding, "UTF-8")
    return InputError(
        p, f"line {line}: bytes that are not valid {name} (a damaged or mixed-encoding file; "
        "re-export it, or name the encoding with --encoding)"
    )


def _line_at(p: Path, byte_offset: int) -> int:
    count = 0
    with p.open("rb") as fh:
        remaining = max(byte_offset, 0)
        while remaining > 0 and (chunk := fh.read(min(_CHUNK, remaining))):
            count += chunk.count(b"\n")
            remaining -= len(chunk)
    return count + 1


def _first_bad_utf8(p: Path) -> int:
    """Byte offset of the first byte that is not UTF-8 (only called once polars has said so)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    with p.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                return offset + exc.start
            offset += len(chunk)
    return offset


_SMALL_FILE = 2 << 20  # bytes: below this, Python counts lines faster than a polars query starts


def _count_lines(source: Path) -> int:
    """Physical lines as an editor counts them (a last line without ``\\n`` counts).

    A small file is read and its line feeds counted; a big one is counted as the rows of a
    one-column CSV without quotes, which polars counts without parsing a cell (a third of the
    time of counting `scan_lines`, which builds every line). Both say the same (a property
    test holds them equal), a byte-order mark alone being no line.
    """
    if source.stat().st_size <= _SMALL_FILE:
        raw = source.read_bytes().removeprefix(codecs.BOM_UTF8)
        return raw.count(b"\n") + (1 if raw and not raw.endswith(b"\n") else 0)
    return _count_rows(source)


def _count_rows(source: Path) -> int:
    lines = pl.scan_csv(
        source, has_header=False, separator="\x1f", quote_char=None,
        schema={"line": pl.String}, truncate_ragged_lines=True, raise_if_empty=False,
    )
    return int(lines.select(pl.len()).collect().item())


# ---------------------------------------------------------------- header detection


@dataclass
class _Header:
    index: int  # 0-based line (CSV) or row (workbook) of the header
    end: int  # 0-based line of the header's last physical line (a header cell may hold a break)
    cells: list[str]
    mapping: dict[str, int]  # canonical -> position
    separator: str = ","


def _resolve_headers(
    cells: list[str], kind: str, options: ReadOptions, wanted: set[str] | None = None
) -> tuple[dict[str, int], list[str]]:
    """canonical -> position of its header, and what is ambiguous.

    An explicit ``--map`` wins; then, column by column, the most specific tier of header names
    present; two headers in that tier make the column ambiguous (it is not mapped, and the
    problem is returned for the caller to raise if this line turns out to be the header). An
    ambiguous column that is not `wanted` (say, two name columns, when names are never read)
    is simply left out.
    """
    tiers, _required = TABLES[kind]
    lookup = _LOOKUPS[kind]
    norm = [normalise_header(c) for c in cells]
    mapping: dict[str, int] = {}
    taken: set[int] = set()
    for canonical, header in options.column_map.items():
        if canonical not in tiers:
            continue
        want = normalise_header(header)
        hits = [pos for pos, n in enumerate(norm) if n == want]
        if len(hits) == 1:
            mapping[canonical] = hits[0]
            taken.add(hits[0])
    problems: list[str] = []
    by_position: dict[int, list[str]] = {}
    for canonical, pos in mapping.items():
        by_position.setdefault(pos, []).append(canonical)
    for pos, canonicals in by_position.items():
        if len(canonicals) > 1:  # (one header read as, say, client number and staff number)
            problems.append(
                f"header {cells[pos].strip()!r} (column {pos + 1}) is mapped to columns "
                f"{', '.join(map(repr, canonicals))}; map each column to a header of its own"
            )
    claims: dict[str, list[tuple[int, int]]] = {}
    for pos, n in enumerate(norm):
        if pos in taken or not n:
            continue
        for canonical, tier in lookup.get(n, []):
            if canonical in mapping:
                continue  # the user named the header for this column
            claims.setdefault(canonical, []).append((tier, pos))
    fits: dict[int, list[str]] = {}
    for canonical in tiers:
        found = sorted(claims.get(canonical, []))
        if not found:
            continue
        best = [pos for tier, pos in found if tier == found[0][0]]
        if len(best) > 1:
            if wanted is not None and canonical not in wanted:
                continue
            names = ", ".join(f"{cells[pos].strip()!r} (column {pos + 1})" for pos in best)
            problems.append(
                f"headers {names} all fit column {canonical!r}; choose one with "
                f"--map {canonical}=HEADER"
            )
            continue
        fits.setdefault(best[0], []).append(canonical)
    for pos, canonicals in fits.items():
        if len(canonicals) > 1:
            if wanted is not None and not set(canonicals) & wanted:
                continue
            problems.append(
                f"header {cells[pos].strip()!r} (column {pos + 1}) fits columns "
                f"{', '.join(map(repr, canonicals))}; choose with --map COLUMN={cells[pos].strip()}"
            )
            continue
        mapping[canonicals[0]] = pos
    return mapping, problems


def _choose_header(
    candidates: list[tuple[int, int, str, list[str]]],
    kind: str,
    options: ReadOptions,
    p: Path,
    unit: str,
    encoding: str,
    wanted: Iterable[str] | None = None,
) -> _Header:
    """The header among the first lines: the first that names every required column.

    `candidates` are (index, end, separator, cells), in file order, several separators per line.
    """
    _tiers, required = TABLES[kind]
    need = None if wanted is None else set(wanted) | set(required)
    best: tuple[int, _Header, list[str]] | None = None
    by_line: dict[int, list[tuple[_Header, list[str]]]] = {}
    for index, end, sep, cells in candidates:
        mapping, problems = _resolve_headers(cells, kind, options, need)
        by_line.setdefault(index, []).append((_Header(index, end, cells, mapping, sep), problems))
    for index in sorted(by_line):
        options_here = by_line[index]
        full = [
            (h, pr) for h, pr in options_here
            if all(r in h.mapping for r in required) or (pr and _names_required(h, pr, required))
        ]
        if full:
            header, problems = max(
                full, key=lambda hp: (len(hp[0].mapping), -SEPARATORS.index(hp[0].separator))
            )
            if problems:
                raise InputError(p, f"{unit} {index + 1}: {problems[0]}")
            _check_mapped(header, kind, options, p, unit)
            _check_not_swapped(header, kind, options, p, unit)
            return header
        for h, pr in options_here:
            score = len(h.mapping) + len(pr)
            if score and (best is None or score > best[0]):
                best = (score, h, pr)
    need = " and ".join(required)
    where = f"in {unit} {options.header_row}" if options.header_row else (
        f"in the first {HEADER_SEARCH_LINES} {unit}s")
    read_as = "" if encoding in ("xlsx", "parquet") else f"; read as {_encoding_label(encoding)}"
    if best is None:
        raise InputError(
            p, f"is not {_ARTICLE[kind]} {kind} table: no header {where} names {need} "
            f"(e.g. {_examples(kind, required)}){read_as}"
        )
    _score, header, problems = best
    if problems:
        raise InputError(p, f"{unit} {header.index + 1}: {problems[0]}")
    missing = [r for r in required if r not in header.mapping]
    found = _headers_found(header.cells)
    other, _ = _resolve_headers(header.cells, _OTHER[kind], options)
    swapped = ""  # (the other file's columns, and more of them than this file's)
    if all(r in other for r in TABLES[_OTHER[kind]][1]) and len(other) > len(header.mapping):
        swapped = f"; it looks like {_WHAT[_OTHER[kind]]}: are the two files swapped?"
    raise InputError(
        p, f"{unit} {header.index + 1}: required column {', '.join(missing)} missing "
        f"(a header such as {_examples(kind, missing)}); headers found: {found}; "
        f"map one with --map {missing[0]}=HEADER{swapped}"
    )


def _check_not_swapped(
    header: _Header, kind: str, options: ReadOptions, p: Path, unit: str
) -> None:
    """A client book has client numbers; given as the roster it would pass for one."""
    if kind != "officers":
        return
    clients, _ = _resolve_headers(header.cells, "clients", options)
    if "client_id" in clients:
        name = " ".join(header.cells[clients["client_id"]].split())
        raise InputError(
            p, f"{unit} {header.index + 1}: this looks like the client book (it has a client "
            f"number column, {name}), not the officer roster: are the two files swapped?"
        )


_LONG_NUMBER = re.compile(r"\d{6,}")


def _headers_found(cells: list[str]) -> str:
    """The cells of the line taken as the header, for a message; never a client's data.

    A line holding a long number (an ID card or phone number, an account) is data, not a
    header (`--header-row` pointing at the wrong line): its cells are not repeated.
    """
    if any(_LONG_NUMBER.search(c) for c in cells):
        return "none (this line holds long numbers: it looks like data, not a header)"
    return ", ".join(" ".join(c.split()) for c in cells if c.strip())


def _names_required(h: _Header, problems: list[str], required: tuple[str, ...]) -> bool:
    """A line whose only gap is an ambiguous required column is the header (and then an error)."""
    return all(r in h.mapping or any(f"column {r!r}" in pr for pr in problems) for r in required)


def _check_mapped(header: _Header, kind: str, options: ReadOptions, p: Path, unit: str) -> None:
    tiers, _required = TABLES[kind]
    for canonical, wanted in options.column_map.items():
        if canonical not in tiers or canonical in header.mapping and normalise_header(
            header.cells[header.mapping[canonical]]
        ) == normalise_header(wanted):
            continue
        if canonical in TABLES[_OTHER[kind]][0] and canonical in header.mapping:
            continue  # a column both exports have: the map was meant for the other file
        hits = sum(normalise_header(c) == normalise_header(wanted) for c in header.cells)
        problem = "appears more than once" if hits > 1 else "is not in the header"
        found = _headers_found(header.cells)
        said = options.map_from.get(canonical, "--map")
        raise InputError(
            p, f"{unit} {header.index + 1}: {said} {canonical}={wanted}: {wanted!r} {problem}; "
            f"headers found: {found}"
        )


def _examples(kind: str, columns: Iterable[str]) -> str:
    tiers, _ = TABLES[kind]
    out = []
    for c in columns:
        names = [n for tier in tiers[c] for n in tier]
        zh = [n for n in names if not n.isascii()][:2]
        out.append(" / ".join([*zh, names[0]]))
    return " and ".join(out)


def _encoding_label(encoding: str) -> str:
    return {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 with BOM", "gb18030": "GB18030",
            "utf-16": "UTF-16"}.get(encoding, encoding)


# ---------------------------------------------------------------- CSV


class _NotUtf8(Exception):
    pass


class _Unparsed(Exception):
    """polars could not parse the file (or its line count does not add up)."""


def _read_csv(p: Path, kind: str, options: ReadOptions, wanted: Iterable[str] | None) -> RawTable:
    encoding = detect_encoding(p, options.encoding)
    if encoding in ("utf-8", "utf-8-sig"):
        try:
            return _read_text(p, p, encoding, kind, options, wanted)
        except _NotUtf8:
            bad = _first_bad_utf8(p)
            if options.encoding or not _ascii_before(p, bad):
                raise _bad_bytes(p, encoding, bad) from None
            encoding = "gb18030"  # plain ASCII at the head, GB18030 further down
    try:
        source = to_utf8_file(p, encoding)
    except BadBytes as exc:
        raise _bad_bytes(p, encoding, exc.offset) from None
    try:
        return _read_text(p, source, encoding, kind, options, wanted)
    except _NotUtf8:  # pragma: no cover - the converted file is UTF-8
        raise InputError(p, NOT_TEXT) from None
    finally:
        source.unlink(missing_ok=True)


def _ascii_before(p: Path, offset: int) -> bool:
    with p.open("rb") as fh:
        remaining = offset
        while remaining > 0 and (chunk := fh.read(min(_CHUNK, remaining))):
            if not chunk.isascii():
                return False
            remaining -= len(chunk)
    return True


def _head_lines(source: Path, upto: int | None = None) -> list[str]:
    """The first physical lines (at most `upto`), split at ``\\n`` as polars splits them.

    Header detection needs a few dozen lines; decoding a megabyte of Chinese text for them
    cost more than the rest of reading a branch's export.
    """
    with source.open("rb") as fh:
        raw = fh.read(SNIFF_BYTES)
    end = -1
    for _ in range(upto or 0):
        end = raw.find(b"\n", end + 1)
        if end < 0:
            break
    if upto and end >= 0:  # (whole lines only: no character cut)
        raw = raw[: end + 1]
    try:
        text = codecs.getincrementaldecoder("utf-8")().decode(raw, final=len(raw) < SNIFF_BYTES)
    except UnicodeDecodeError:
        raise _NotUtf8 from None
    lines = text.split("\n")
    if len(raw) == SNIFF_BYTES and len(lines) > 1:
        lines.pop()  # cut mid-line
    if lines and lines[-1] == "":
        lines.pop()
    lines = [line[:-1] if line.endswith("\r") else line for line in lines]
    if lines:
        lines[0] = lines[0].removeprefix("\ufeff")
    return lines


def head_needed(options: ReadOptions) -> int:
    """Lines header detection looks at: the search, or the given row, and a header cell's line
    breaks (see `_header_candidates`)."""
    return max(HEADER_SEARCH_LINES, options.header_row or 0) + 6


def _header_candidates(
    lines: list[str], options: ReadOptions, p: Path
) -> list[tuple[int, int, str, list[str]]]:
    if options.header_row is not None:
        idx = options.header_row - 1
        if idx >= len(lines):
            raise InputError(p, f"--header-row {options.header_row} is past the end of the file")
        indexes = [idx]
    else:
        indexes = [i for i in range(min(len(lines), HEADER_SEARCH_LINES)) if lines[i].strip()]
    out = []
    for idx in indexes:
        text, end = lines[idx], idx
        while text.count('"') % 2 and end + 1 < len(lines) and end - idx < 5:
            end += 1  # a header cell with a line break in it
            text += "\n" + lines[end]
        for sep in SEPARATORS:
            if sep != "," and sep not in text:
                continue
            try:
                cells = next(csv.reader([text], delimiter=sep), [])
            except csv.Error:
                continue
            out.append((idx, end, sep, cells))
    return out


def _read_text(
    p: Path, source: Path, encoding: str, kind: str, options: ReadOptions,
    wanted: Iterable[str] | None,
) -> RawTable:
    head = _head_lines(source, head_needed(options))
    if not any(line.strip() for line in head):
        head = _head_lines(source)  # (blank so far: blank all through?)
    if not any(line.strip() for line in head):
        raise InputError(p, "is empty (only blank lines)")
    if len(head) == 1 and head[0].count("\r") > 1:
        raise InputError(p, "ends its lines with CR only (old Mac style); save it again with "
                            "CRLF or LF line ends")
    header = _choose_header(_header_candidates(head, options, p), kind, options, p, "line",
                            encoding, wanted)
    width = len(header.cells)
    first = header.end + 2  # line of the first record
    try:  # (counted once: both parses below compare rows with lines)
        total = _count_lines(source)
    except pl.exceptions.PolarsError:
        raise _NotUtf8 from None
    needed = _needed_positions(header, width, kind, wanted)
    if needed is not None:
        try:
            frame = _parse_polars(source, header, width, first, total, needed)
            return _finish(p, kind, frame, header, width, encoding, wanted, "line", source,
                           projected=True)
        except _Unparsed:
            pass  # something unusual: keep every cell and look closely
    try:
        frame = _parse_polars(source, header, width, first, total)
    except _Unparsed:
        frame = _parse_python(p, source, header, width, first)
    return _finish(p, kind, frame, header, width, encoding, wanted, "line", source)


def _needed_positions(
    header: _Header, width: int, kind: str, wanted: Iterable[str] | None, text: bool = True
) -> list[int] | None:
    """The cells a caller's `wanted` needs, plus those reading checks look at; None: all.

    The first cell tells blank and total lines; in a `text` file the last named cell also
    tells rows with fewer fields than the header.
    """
    if wanted is None:
        return None
    named = [i for i, c in enumerate(header.cells) if c.strip()]
    eff_width = (named[-1] + 1) if named else width
    checked = {0, eff_width - 1} if text else {0}
    needed = sorted(checked | set(_kept(header.mapping, wanted, kind).values()))
    return needed if len(needed) < width else None


def csv_options(header: _Header, width: int) -> dict:
    """How polars reads a CSV's records (cells c0..c{width-1}, all text) after its header."""
    return {
        "has_header": False, "skip_lines": header.end + 1, "separator": header.separator,
        "schema": {f"c{i}": pl.String for i in range(width)}, "infer_schema": False,
        "empty_string_is_null": False, "encoding": "utf8", "raise_if_empty": False,
        "missing_columns": "insert",
    }


def parquet_rows(path: Path) -> int:
    """Rows of a Parquet file, from its metadata."""
    return int(pl.scan_parquet(path).select(pl.len()).collect().item())


def _parse_polars(
    source: Path, header: _Header, width: int, first: int, total: int,
    needed: list[int] | None = None,
) -> pl.DataFrame:
    """Cells c0..c{width-1}, LINE, _NL; `__long` when some row had more fields than the header.

    With `needed`, only those cells are parsed and kept (at 1M clients, a sixth less memory
    and a fifth less time than every cell). A row with more fields than the header fills the
    one extra column read beside them; such rows, and records over several lines, then raise
    `_Unparsed`: read them all.
    """
    base = csv_options(header, width)
    long_rows = False
    try:
        if needed is None:
            frame = pl.read_csv(source, **base)
        else:
            # (a row with more fields than the header has a non-empty cell in `extra`, and one
            # with more still is refused by polars)
            extra = f"c{width}"
            frame = pl.scan_csv(
                source, **{**base, "schema": {**base["schema"], extra: pl.String}}
            ).select([f"c{i}" for i in needed] + [extra]).collect(engine="streaming")
            if bool(frame.lazy().select((pl.col(extra) != "").any()).collect().item()):
                raise _Unparsed
            frame = frame.drop(extra)
    except pl.exceptions.PolarsError as exc:
        text = str(exc).lower()
        if "utf-8" in text or "utf8" in text:
            raise _NotUtf8 from None
        if needed is not None or (
            "more fields" not in text and "not specified in schema" not in text
        ):
            raise _Unparsed from None
        long_rows = True
        try:
            frame = pl.read_csv(
                source, **base, extra_columns="ignore", truncate_ragged_lines=True
            )
        except pl.exceptions.PolarsError:
            raise _Unparsed from None
    body = total - header.end - 1
    if needed is not None and frame.height != body:
        raise _Unparsed  # a record over several lines: its line breaks are in other cells too
    if frame.height == body:
        frame = frame.with_row_index(LINE, offset=first).with_columns(
            pl.col(LINE).cast(pl.Int64), pl.lit(0, pl.Int64).alias(_NL)
        )
    else:
        breaks = pl.sum_horizontal(
            [pl.col(f"c{i}").str.count_matches("\n", literal=True) for i in range(width)]
        ).cast(pl.Int64)
        frame = frame.with_columns(breaks.alias(_NL))
        if frame.height + int(frame[_NL].sum()) != body:
            raise _Unparsed  # e.g. a lone CR polars and editors disagree about
        frame = frame.with_row_index(LINE).with_columns(
            (pl.col(LINE).cast(pl.Int64) + first + pl.col(_NL).cum_sum() - pl.col(_NL)).alias(LINE)
        )
    return frame.with_columns(pl.lit(long_rows).alias("__long"))


def _parse_python(p: Path, source: Path, header: _Header, width: int, first: int) -> pl.DataFrame:
    """The slow, exact reader for files polars refuses: Python's csv, line by line.

    Rows are turned into polars frames every `_PY_BATCH` rows, so that Python holds only a
    batch of strings at a time.
    """
    schema = {**{f"c{i}": pl.String for i in range(width)}, LINE: pl.Int64, _NL: pl.Int64,
              "__n_all": pl.Int64, "__n_content": pl.Int64}
    frames: list[pl.DataFrame] = []
    batch: list[list] = []
    try:
        with source.open(encoding="utf-8", newline="") as fh:
            for _ in range(header.end + 1):
                fh.readline()
            reader = csv.reader(fh, delimiter=header.separator)
            line = first
            for row in reader:
                end = reader.line_num + header.end + 1
                content = len(row)
                while content > 0 and not row[content - 1].strip():
                    content -= 1
                cells = row[:width] + [""] * (width - len(row))
                batch.append([*cells, line, end - line, len(row) or 1, content])
                line = end + 1
                if len(batch) == _PY_BATCH:
                    frames.append(pl.DataFrame(batch, schema=schema, orient="row"))
                    batch = []
    except UnicodeDecodeError:
        raise _NotUtf8 from None
    except csv.Error:
        raise InputError(p, "is not a readable table (the CSV cannot be parsed)") from None
    frames.append(pl.DataFrame(batch, schema=schema, orient="row"))
    return pl.concat(frames, rechunk=True)


def _field_counts(
    source: Path, frame: pl.DataFrame, sep: str, first_line: int, content: bool
) -> pl.DataFrame:
    """(LINE, __n_all, __n_content) for the records in `frame`, counted on the raw text.

    `__n_content` leaves out trailing empty fields; without `content` it is not needed (no row
    has more fields than the header) and is a copy of `__n_all`.
    """
    lines = pl.scan_lines(source, name="__raw", row_index_name="__phys", row_index_offset=1)
    if int(frame[_NL].max() or 0) == 0:  # one line per record: no joining
        wanted = frame[LINE].cast(pl.Int64)
        joined = (
            lines.filter(pl.col("__phys").cast(pl.Int64).is_in(wanted.implode()))
            .select(pl.col("__phys").cast(pl.Int64).alias("__start"), "__raw")
            .collect()
        )
    else:
        spans = frame.select(
            pl.col(LINE).alias("__start"),
            pl.int_ranges(pl.col(LINE), pl.col(LINE) + pl.col(_NL) + 1).alias("__phys"),
        ).explode("__phys").with_columns(pl.col("__phys").cast(pl.Int64))
        raw = (
            lines.with_columns(pl.col("__phys").cast(pl.Int64))
            .filter(pl.col("__phys") >= first_line)
            .filter(pl.col("__phys").is_in(spans["__phys"].implode()))
            .collect()
        )
        joined = (
            spans.join(raw, on="__phys", how="left")
            .sort("__phys")
            .group_by("__start", maintain_order=True)
            .agg(pl.col("__raw").fill_null("").str.join("\n"))
        )
    quoted = pl.col("__raw").str.contains('"', literal=True)
    if bool(joined.select(quoted.any()).item()):
        joined = joined.with_columns(pl.col("__raw").str.replace_all(r'"[^"]*"', "Q"))
    n_all = (pl.col("__raw").str.count_matches(sep, literal=True) + 1).cast(pl.Int64)
    if not content:
        return joined.select(pl.col("__start").alias(LINE), n_all.alias("__n_all"),
                             n_all.alias("__n_content"))
    trimmed = pl.col("__raw").str.replace(rf"[\s{re.escape(sep)}]+$", "")
    return joined.select(
        pl.col("__start").alias(LINE), n_all.alias("__n_all"),
        (trimmed.str.count_matches(sep, literal=True) + 1).cast(pl.Int64).alias("__n_content"),
    )


def _finish(
    p: Path, kind: str, frame: pl.DataFrame, header: _Header, width: int, encoding: str,
    wanted: Iterable[str] | None, unit: str, source: Path | None, projected: bool = False,
) -> RawTable:
    """Blank, total and repeated-header lines out; shape problems listed; canonical columns.

    A `projected` frame lacks some cells; where a blank first cell means every cell must be
    looked at, `_Unparsed` asks the caller to read them all.
    """
    cells = [f"c{i}" for i in range(width)]
    named = [i for i, c in enumerate(header.cells) if c.strip()]
    eff_width = (named[-1] + 1) if named else width
    keep = _kept(header.mapping, wanted, kind)
    first_id = TABLES[kind][1][0]

    # Classify rows, touching every row only through one or two columns: most are plain data,
    # and one pass over the first column says whether any row is blank or a total at all.
    id_pos = header.mapping[first_id]
    # a header pasted again, as it was (with its BOM: two exports joined end to end)
    repeat = pl.col(f"c{id_pos}").is_in([header.cells[id_pos], "\ufeff" + header.cells[id_pos]])
    odd_lead = pl.col("c0").str.contains(_BLANK_OR_TOTAL_RE).fill_null(True)
    any_odd, any_repeat = (  # (lazy: the engine splits the column between the cores)
        frame.lazy().select(odd_lead.any().alias("odd"), repeat.fill_null(False).any()
                            .alias("rep")).collect().row(0) if frame.height
        else (False, False)
    )
    blank_count, total_lines, repeated = 0, [], []
    if any_odd or any_repeat:
        lead_blank = pl.col("c0").str.contains(r"^[\s\x1a]*$")  # (0x1A: DOS end of file)
        any_lead_blank = bool(frame.select(lead_blank.any()).item())
        blank = pl.lit(False)
        lead = pl.col("c0")
        if any_lead_blank and projected:
            raise _Unparsed
        if any_lead_blank:
            stripped = [pl.col(c).str.replace_all("\x1a", "", literal=True).str.strip_chars()
                        for c in cells]
            blank = lead_blank & pl.all_horizontal([s == "" for s in stripped])
            lead = pl.coalesce([pl.when(s == "").then(None).otherwise(s) for s in stripped])
        total = lead.str.contains(_TOTAL_RE).fill_null(False) & ~blank
        flags = frame.select(
            pl.col(LINE), blank.alias("b"), total.alias("t"), (repeat & ~total).alias("h")
        )
        blank_count = int(flags["b"].sum())
        total_lines = flags.filter(pl.col("t"))[LINE].to_list()
        repeated = flags.filter(pl.col("h"))[LINE].to_list()
        if blank_count:
            frame = frame.filter(~blank)
    special = total_lines + repeated
    if special:
        frame = frame.filter(~pl.col(LINE).is_in(special))

    problems: list[RowProblem] = []
    if source is not None:
        problems = _shape_problems(frame, header, width, eff_width, source)

    frame = frame.select(
        pl.col(LINE).cast(pl.Int64),
        *[pl.col(f"c{pos}").alias(c) for c, pos in keep.items()],
    )
    if kind == "officers" and frame.is_empty() and not problems:
        raise InputError(p, f"has a header ({unit} {header.index + 1}) but no officers")
    return RawTable(
        path=str(p), kind=kind, frame=frame,
        headers={c: " ".join(header.cells[pos].split()) for c, pos in keep.items()},
        encoding=encoding, header_line=header.index + 1, total_lines=total_lines,
        blank_lines=blank_count, row_problems=problems, repeated_header_lines=repeated,
        field_count=width, separator=header.separator, positions=dict(header.mapping),
        unit=unit,
    )


def _shape_problems(
    frame: pl.DataFrame, header: _Header, width: int, eff_width: int, source: Path
) -> list[RowProblem]:
    """Rows with more or fewer fields than the header, and quotes that swallow lines."""
    sep = header.separator
    known = "__n_all" in frame.columns
    long_rows = "__long" in frame.columns and bool(frame["__long"].any())
    if known:
        counts = frame.select(LINE, "__n_all", "__n_content")
    else:
        if long_rows:
            need = frame
        else:
            last = pl.col(f"c{eff_width - 1}")
            need = frame.filter(last == "") if eff_width > 1 else frame.clear()
        counts = (
            _field_counts(source, need.select(LINE, _NL), sep, header.end + 2, long_rows)
            if need.height else pl.DataFrame(schema={LINE: pl.Int64, "__n_all": pl.Int64,
                                                     "__n_content": pl.Int64})
        )
    problems: list[RowProblem] = _swallowed(frame, width, sep)
    more = counts.filter(pl.col("__n_content") > width)[LINE].sort().to_list()
    fewer = counts.filter(
        (pl.col("__n_all") < eff_width) & (pl.col("__n_content") > 0)
    )[LINE].sort().to_list()
    if more:
        problems.append(RowProblem(f"more fields than the {width} headers", more))
    if fewer:
        problems.append(RowProblem(f"fewer fields than the {eff_width} headers", fewer))
    return problems


def _swallowed(frame: pl.DataFrame, width: int, sep: str) -> list[RowProblem]:
    """A quote that opens and never closes makes one cell of the lines after it.

    Such a cell holds a line break followed by separators. A genuine multi-line cell (an
    address, a remark) rarely does; when it does, the row is reported rather than trusted.
    """
    if not frame.height or int(frame[_NL].max() or 0) == 0:
        return []
    row_like = rf"\n[^\n]*{re.escape(sep)}"
    swallowed = frame.filter(pl.col(_NL) > 0).filter(
        pl.any_horizontal([pl.col(f"c{i}").str.contains(row_like) for i in range(width)])
    ).select(LINE, _NL)
    if not swallowed.height:
        return []
    rows = swallowed.rows()
    return [RowProblem('a quote (") that does not close, or a cell over several lines holding '
                       f'{_SEP_NAMES[sep]}: these lines were read as one cell',
                       [start for start, _ in rows],
                       {start: list(range(start + 1, start + nl + 1)) for start, nl in rows})]


def _kept(mapping: dict[str, int], wanted: Iterable[str] | None, kind: str) -> dict[str, int]:
    if wanted is None:
        return dict(mapping)
    want = set(wanted) | set(TABLES[kind][1])
    return {c: pos for c, pos in mapping.items() if c in want}


# ---------------------------------------------------------------- workbooks and parquet


def _read_excel(p: Path, kind: str, options: ReadOptions, wanted: Iterable[str] | None) -> RawTable:
    import fastexcel

    with p.open("rb") as fh:
        magic = fh.read(8)
    if not magic.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        hint = "it looks like text: a CSV needs the .csv suffix" if _is_texty(magic) else (
            "the file is damaged or not a workbook")
        raise InputError(p, f"is not a readable {p.suffix.lower()} workbook ({hint})")
    try:
        reader = fastexcel.read_excel(str(p))
        names = list(reader.sheet_names)
    except Exception:  # fastexcel's own errors; never echo cell values
        raise InputError(p, f"is not a readable {p.suffix.lower()} workbook") from None
    if not names:
        raise InputError(p, "is empty (the workbook has no sheets)")
    if options.sheet is not None and options.sheet not in names:
        raise InputError(
            p, f"has no sheet named {options.sheet!r} (sheets: {', '.join(names)})"
        )
    sheet_name = options.sheet if options.sheet is not None else names[0]
    try:
        sheet = reader.load_sheet(sheet_name, header_row=None, skip_rows=0, dtypes="string")
        frame = sheet.to_polars()
    except Exception:
        raise InputError(p, f"sheet {sheet_name!r} cannot be read") from None
    if frame.height == 0 or frame.width == 0:
        raise InputError(p, f"is empty (sheet {sheet_name!r} has no rows)")
    width = frame.width
    frame.columns = [f"c{i}" for i in range(width)]
    frame = frame.with_columns(pl.all().cast(pl.String).fill_null(""))
    head = frame.head(HEADER_SEARCH_LINES if options.header_row is None else options.header_row)
    rows = [list(r) for r in head.rows()]
    if options.header_row is not None:
        if options.header_row > frame.height:
            raise InputError(p, f"--header-row {options.header_row} is past the end of the sheet")
        candidates = [(options.header_row - 1, options.header_row - 1, ",",
                       rows[options.header_row - 1])]
    else:
        candidates = [(i, i, ",", r) for i, r in enumerate(rows) if any(c.strip() for c in r)]
    header = _choose_header(candidates, kind, options, p, "row", "xlsx", wanted)
    # Long numbers typed into number cells are not the numbers exported (see `xlsx_numbers`).
    from caseload.xlsx_numbers import mark_rounded, rounded_cells

    frame = mark_rounded(frame, [c.absolute_index for c in sheet.selected_columns],
                         rounded_cells(p, sheet_name))
    # A merged range keeps its value in its top-left cell only: give it to every cell below
    # the header that it covers (see `xlsx_merges`; frame columns start at the first used one).
    from caseload.xlsx_merges import fill_merged_cells

    frame, notes = fill_merged_cells(
        p, sheet_name, frame, [c.absolute_index for c in sheet.selected_columns], header.index,
        {pos: " ".join(header.cells[pos].split())
         for pos in _kept(header.mapping, wanted, kind).values()},
    )
    # Trailing unnamed columns: cells there are notes beside the table, not data.
    body = frame.slice(header.index + 1).with_row_index(LINE, offset=header.index + 2).with_columns(
        pl.col(LINE).cast(pl.Int64),
        *[pl.col(f"c{i}").str.replace(r"^(-?\d+)\.0$", "${1}") for i in range(width)],
        pl.lit(0, pl.Int64).alias(_NL),
    )
    table = _finish(p, kind, body, header, width, "xlsx", wanted, "row", None)
    table.notes = notes
    return table


def _is_texty(magic: bytes) -> bool:
    return all(b >= 0x20 or b in b"\t\r\n" for b in magic) or magic.startswith(codecs.BOM_UTF8)


def _read_parquet(
    p: Path, kind: str, options: ReadOptions, wanted: Iterable[str] | None,
    parts: list[Path] | None = None, rows: tuple[int, int] | None = None,
) -> RawTable:
    """A Parquet file, or a folder of Parquet parts read as one table.

    Parts come in the order `csv_parts.read_folder` gives them (by name, numbers by value).

    Only the cells needed are read, on polars' streaming engine; rows are numbered from 1
    across the parts, in that order. `rows` (start, count) reads only those rows of a file,
    numbered as in the whole file (`low_memory` reads a big file so, a slice at a time).
    """
    parts = parts or [p]
    if len(parts) > 1:
        schema, aliases = parquet_parts_schema(p, parts, kind, options, wanted)
    else:
        schema, aliases = _parquet_schema(p, parts[0]), [{}]
    header = _parquet_header(p, schema, kind, options, wanted)
    needed = _needed_positions(header, len(schema), kind, wanted, text=False)
    try:
        return _parquet_table(p, kind, parts, header, wanted, needed, rows, aliases)
    except _Unparsed:  # a blank first cell: look at every cell
        return _parquet_table(p, kind, parts, header, wanted, None, rows, aliases)


def _parquet_schema(p: Path, part: Path) -> dict[str, pl.DataType]:
    try:
        return dict(pl.read_parquet_schema(part))
    except Exception:
        raise InputError(p if p == part else part, "is not a readable Parquet file") from None


# Columns only shown (a plan's client names), never used to count or plan: a part may lack them.
SHOWN_ONLY = ("client_name",)


def _parquet_header(p: Path, schema: dict[str, pl.DataType], kind: str, options: ReadOptions,
                    wanted: Iterable[str] | None) -> _Header:
    return _choose_header([(0, 0, ",", list(schema))], kind, options, p, "row", "parquet",
                          wanted)


def parquet_parts_schema(
    folder: Path, parts: list[Path], kind: str, options: ReadOptions,
    wanted: Iterable[str] | None,
) -> tuple[dict[str, pl.DataType], list[dict[str, str]]]:
    """The columns to read the parts by (the first part's, and a client-name column where only
    later parts give one), once every part is known to give the columns the run uses; and per
    part, its own name for a client-name column spelled otherwise (客户名称 / client_name).

    Parts are read as one table, so each must hold those columns under the same names and
    types; a part that lacks one, or gives one the first part lacks, is refused naming the
    part and the column (as a folder of CSV parts is). Columns the run does not use (a 备注
    remark in some banks' parts) may differ, and so may the client names, which are only shown.
    """
    first = _parquet_schema(folder, parts[0])
    used = {c: list(first)[pos] for c, pos in
            _kept(_parquet_header(folder, first, kind, options, wanted).mapping, wanted,
                  kind).items()}
    same = "; every part of a folder needs the same columns"
    shown = {c: used[c] for c in SHOWN_ONLY if c in used}  # canonical -> the name read by
    found: list[dict[str, str]] = [{}]  # per part: canonical -> its own name
    for part in parts[1:]:
        schema = _parquet_schema(folder, part)
        if missing := [c for c, name in used.items() if name not in schema
                       and c not in SHOWN_ONLY]:
            raise InputError(part, f"has no {missing[0]} column ({used[missing[0]]} in "
                                   f"{parts[0].name}){same}")
        theirs = _kept(_parquet_header(part, schema, kind, options, wanted).mapping, wanted,
                       kind)
        if extra := [c for c in theirs if c not in used and c not in SHOWN_ONLY]:
            name = list(schema)[theirs[extra[0]]]
            raise InputError(part, f"has a {extra[0]} column ({name}) that {parts[0].name} "
                                   f"lacks{same}")
        if typed := [name for c, name in used.items() if name in schema
                     and c not in SHOWN_ONLY and schema[name] != first[name]]:
            raise InputError(part, f"holds column {typed[0]} as {schema[typed[0]]}, "
                                   f"{parts[0].name} as {first[typed[0]]}{same}")
        own = {c: list(schema)[theirs[c]] for c in SHOWN_ONLY if c in theirs}
        for c, name in own.items():
            shown.setdefault(c, name)
        found.append(own)
    columns = dict(first)
    for name in shown.values():
        columns.setdefault(name, pl.String())
    aliases = [{shown[c]: name for c, name in own.items() if name != shown[c]} for own in found]
    return columns, aliases


def _parquet_table(
    p: Path, kind: str, parts: list[Path], header: _Header, wanted: Iterable[str] | None,
    needed: list[int] | None, rows: tuple[int, int] | None = None,
    aliases: list[dict[str, str]] | None = None,
) -> RawTable:
    headers = header.cells
    positions = range(len(headers)) if needed is None else needed
    start, count = rows or (0, None)
    try:
        # Each part as text by its own types (and its own name for the client names), then
        # stacked: columns the run does not use may differ between parts (see
        # parquet_parts_schema), in type too, or be missing.
        scans = []
        for part, own in zip(parts, aliases or [{}] * len(parts), strict=True):
            scan = pl.scan_parquet(part)
            schema = scan.collect_schema()
            names = [own.get(headers[i], headers[i]) for i in positions]
            scans.append(scan.select(*[
                (_parquet_text(name, schema[name]) if name in schema
                 else pl.lit(None, pl.String)).fill_null("").alias(f"c{i}")
                for name, i in zip(names, positions, strict=True)]))
        frame = (
            (scans[0] if len(scans) == 1 else pl.concat(scans, how="vertical"))
            .slice(start, count)  # (one file: the slice is read, not the file; --low-memory)
            .with_row_index(LINE, offset=start + 1)
            .with_columns(pl.col(LINE).cast(pl.Int64), pl.lit(0, pl.Int64).alias(_NL))
            .collect(engine="streaming")
        )
    except Exception:
        problem = ("is not a readable Parquet file (its data cannot be read)" if len(parts) == 1
                   else "holds Parquet parts that cannot be read as one table (do they all "
                        "have the same columns?)")
        raise InputError(p, problem) from None
    table = _finish(p, kind, frame, header, len(headers), "parquet", wanted, "row", None,
                    projected=needed is not None)
    table.header_line = 0
    if p.is_dir():
        rows = [parquet_rows(part) for part in parts]
        firsts = [1 + sum(rows[:i]) for i in range(len(parts))]
        table.parts = [(part.name, first) for part, first in zip(parts, firsts, strict=True)]
    return table


def _parquet_text(name: str, dtype: pl.DataType) -> pl.Expr:
    """A Parquet column as text. Whole numbers stored as floats (what pandas writes for a
    number column with gaps) read as whole numbers, as from a workbook: staff number 1, not 1.0.
    """
    col = pl.col(name)
    if dtype.is_float():
        whole = col.is_finite() & (col == col.floor()) & (col.abs() < 2.0**53)
        return pl.when(whole).then(col.cast(pl.Int64, strict=False).cast(pl.String)) \
            .otherwise(col.cast(pl.String))
    return col.cast(pl.String)


def vocabulary_key(expr: pl.Expr) -> pl.Expr:
    """The expression form of `normalise_word`, for matching status and risk words."""
    return (
        expr.str.normalize("NFKC").str.to_lowercase().str.replace_all(r"[\s_\-]+", "")
    )


__all__ = [
    "LINE", "RawTable", "RowProblem", "read_table", "detect_encoding", "vocabulary_key",
    "normalise_word",
]
