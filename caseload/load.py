"""Reading exports into canonical polars frames.

Banks export CSV in UTF-8 (with or without BOM) or GB18030, or .xlsx, with Chinese or English
headers, a title line above the header and a total line below the data. This module finds the
header, maps it to canonical columns, and hands `validate` a frame of text cells, each row
carrying the line number an editor would show. Nothing here interprets values.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from caseload.columns import (
    CLIENT_HEADERS,
    CLIENT_REQUIRED,
    OFFICER_HEADERS,
    OFFICER_REQUIRED,
    TOTAL_LINE_WORDS,
    build_lookup,
    normalise_header,
    normalise_word,
)
from caseload.config import ReadOptions
from caseload.errors import InputError

LINE = "__line"  # 1-based line (CSV) or row (xlsx) of each record in its file
SNIFF_BYTES = 1 << 20
HEADER_SEARCH_LINES = 30
_CHUNK = 1 << 22

TABLES = {
    "officers": (OFFICER_HEADERS, OFFICER_REQUIRED),
    "clients": (CLIENT_HEADERS, CLIENT_REQUIRED),
}
_ENCODING_NAMES = {
    "utf8": "utf-8", "utf-8": "utf-8", "utf-8-sig": "utf-8-sig", "utf8-sig": "utf-8-sig",
    "gb18030": "gb18030", "gbk": "gb18030", "gb2312": "gb18030", "cp936": "gb18030",
}


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
    ragged_lines: list[tuple[int, int]] = field(default_factory=list)  # (line, fields found)
    field_count: int = 0
    separator: str = ","
    positions: dict[str, int] = field(default_factory=dict)  # canonical -> column in file


def read_table(
    path: str | os.PathLike[str],
    kind: str,
    options: ReadOptions | None = None,
    wanted: Iterable[str] | None = None,
) -> RawTable:
    """Read one export; `wanted` limits the canonical columns kept (None keeps all known)."""
    options = options or ReadOptions()
    p = Path(path)
    _check_path(p)
    suffix = p.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(p, kind, options, wanted)
    if suffix == ".parquet":
        return _read_parquet(p, kind, options, wanted)
    return _read_csv(p, kind, options, wanted)


def _check_path(p: Path) -> None:
    if not p.exists():
        raise InputError(p, "no such file")
    if p.is_dir():
        raise InputError(p, "is a directory, not a file")
    try:
        size = p.stat().st_size
        with p.open("rb"):
            pass
    except OSError as exc:
        raise InputError(p, f"cannot be read ({exc.strerror or 'permission denied'})") from None
    if size == 0:
        raise InputError(p, "is empty")


# ---------------------------------------------------------------- encodings


def detect_encoding(p: Path, forced: str | None = None) -> str:
    """UTF-8 with BOM, UTF-8 or GB18030, told apart from the first megabyte."""
    if forced:
        name = _ENCODING_NAMES.get(forced.lower().replace("_", "-"))
        if name is None:
            raise InputError(p, f"unsupported encoding {forced!r} (use utf-8, utf-8-sig or gb18030)")
        return name
    with p.open("rb") as fh:
        head = fh.read(SNIFF_BYTES)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if b"\x00" in head:
        raise InputError(p, "is not text in a supported encoding (UTF-8, UTF-8 with BOM, GB18030)")
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=len(head) < SNIFF_BYTES)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        codecs.getincrementaldecoder("gb18030")().decode(head, final=len(head) < SNIFF_BYTES)
        return "gb18030"
    except UnicodeDecodeError:
        raise InputError(
            p, "is not text in a supported encoding (UTF-8, UTF-8 with BOM, GB18030)"
        ) from None


def _to_utf8_file(p: Path, encoding: str) -> Path:
    """Convert a GB18030 file to a temporary UTF-8 file in a stream (never held twice)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    fd, tmp = tempfile.mkstemp(prefix="caseload-", suffix=".csv")
    try:
        with p.open("rb") as src, os.fdopen(fd, "wb") as dst:
            offset = 0
            while chunk := src.read(_CHUNK):
                try:
                    dst.write(decoder.decode(chunk).encode("utf-8"))
                except UnicodeDecodeError as exc:
                    line = _line_at(p, offset + exc.start)
                    raise InputError(
                        p, f"line {line}: bytes that are not valid {encoding.upper()}"
                    ) from None
                offset += len(chunk)
            dst.write(decoder.decode(b"", final=True).encode("utf-8"))
    except BaseException:
        os.unlink(tmp)
        raise
    return Path(tmp)


def _line_at(p: Path, byte_offset: int) -> int:
    with p.open("rb") as fh:
        return fh.read(byte_offset).count(b"\n") + 1


# ---------------------------------------------------------------- header detection


def _resolve_headers(
    headers: list[str], kind: str, options: ReadOptions, where: str
) -> dict[str, int]:
    """canonical -> position of its header; the more specific header name wins a tie."""
    table, _required = TABLES[kind]
    lookup = build_lookup(table)
    explicit = {normalise_header(h): c for c, h in options.column_map.items() if c in table}
    claims: dict[str, list[tuple[int, int, str]]] = {}
    for pos, header in enumerate(headers):
        norm = normalise_header(header)
        if norm in explicit:
            claims.setdefault(explicit[norm], []).append((-1, pos, header))
            continue
        for canonical, rank in lookup.get(norm, []):
            if canonical in options.column_map:
                continue  # the user named another header for this column
            claims.setdefault(canonical, []).append((rank, pos, header))
    resolved: dict[str, int] = {}
    taken: set[int] = set()
    for canonical in table:
        found = sorted(c for c in claims.get(canonical, []) if c[1] not in taken)
        if not found:
            continue
        if len(found) > 1 and found[0][0] == found[1][0]:
            names = ", ".join(repr(h) for _, _, h in found)
            raise InputError(
                where,
                f"headers {names} all fit column {canonical!r}; "
                f"choose one with --map {canonical}=HEADER",
            )
        resolved[canonical] = found[0][1]
        taken.add(found[0][1])
    for canonical, header in options.column_map.items():
        if canonical in table and canonical not in resolved:
            raise InputError(where, f"mapped header {header!r} for {canonical!r} is not in the file")
    return resolved


def _find_header(
    rows: list[list[str]], kind: str, options: ReadOptions, where: str
) -> tuple[int, dict[str, int]]:
    """Index of the header among the first rows: the first that names a required column."""
    _table, required = TABLES[kind]
    if options.header_row is not None:
        idx = options.header_row - 1
        if idx >= len(rows):
            raise InputError(where, f"--header-row {options.header_row} is past the end of the file")
        return idx, _resolve_headers(rows[idx], kind, options, where)
    best: tuple[int, dict[str, int]] | None = None
    for idx, row in enumerate(rows[:HEADER_SEARCH_LINES]):
        if not any(cell.strip() for cell in row):
            continue
        mapping = _resolve_headers(row, kind, options, where)
        if all(r in mapping for r in required):
            return idx, mapping
        if mapping and (best is None or len(mapping) > len(best[1])):
            best = (idx, mapping)
    if best is None:
        found = next((r for r in rows if any(c.strip() for c in r)), [])
        raise InputError(
            where,
            f"no {kind} header found (need {', '.join(required)}); first row has: "
            + ", ".join(repr(c) for c in found[:12]),
        )
    missing = [r for r in required if r not in best[1]]
    found_headers = ", ".join(repr(c) for c in rows[best[0]] if c.strip())
    raise InputError(
        where,
        f"line {best[0] + 1}: required column {', '.join(missing)} missing; "
        f"headers found: {found_headers}",
    )


def _sniff_separator(lines: list[str]) -> str:
    sample = "\n".join(lines)
    counts = {sep: sample.count(sep) for sep in (",", "\t", ";", "|")}
    return max(counts, key=lambda s: (counts[s], s == ","))


def _mark_totals_and_blanks(frame: pl.DataFrame, id_column: str) -> tuple[pl.DataFrame, list[int], int]:
    """Drop total lines (合计/总计) and blank lines; return their line numbers / count."""
    cells = [c for c in frame.columns if c != LINE]
    first = pl.col(id_column).str.strip_chars().str.to_lowercase()
    total = pl.any_horizontal(
        [first.str.starts_with(w) for w in TOTAL_LINE_WORDS]
        + [pl.col(c).str.strip_chars().is_in(list(TOTAL_LINE_WORDS)) for c in cells[:1]]
    ).fill_null(False)
    blank = pl.all_horizontal(
        [pl.col(c).is_null() | (pl.col(c).str.strip_chars() == "") for c in cells]
    )
    flagged = frame.select(total.alias("t"), blank.alias("b"), pl.col(LINE))
    totals = flagged.filter(pl.col("t") & ~pl.col("b"))[LINE].to_list()
    blanks = int(flagged["b"].sum())
    if totals or blanks:
        frame = frame.filter(~(total | blank))
    return frame, totals, blanks


# ---------------------------------------------------------------- CSV


def _read_csv(p: Path, kind: str, options: ReadOptions, wanted: Iterable[str] | None) -> RawTable:
    encoding = detect_encoding(p, options.encoding)
    try:
        return _read_in(p, encoding, kind, options, wanted)
    except _NotUtf8:
        if options.encoding:
            raise InputError(p, f"bytes that are not valid {encoding.upper()}") from None
        return _read_in(p, "gb18030", kind, options, wanted)  # UTF-8 at the head only


def _read_in(
    p: Path, encoding: str, kind: str, options: ReadOptions, wanted: Iterable[str] | None
) -> RawTable:
    if encoding != "gb18030":
        return _read_utf8_csv(p, p, encoding, kind, options, wanted)
    source = _to_utf8_file(p, encoding)
    try:
        return _read_utf8_csv(p, source, encoding, kind, options, wanted)
    finally:
        source.unlink(missing_ok=True)


class _NotUtf8(Exception):
    pass


def _head_lines(source: Path, n: int) -> list[str]:
    with source.open("rb") as fh:
        raw = fh.read(SNIFF_BYTES)
    text = raw.decode("utf-8-sig", errors="replace")
    return text.splitlines()[:n]


def _read_utf8_csv(
    p: Path, source: Path, encoding: str, kind: str, options: ReadOptions,
    wanted: Iterable[str] | None,
) -> RawTable:
    head = _head_lines(source, HEADER_SEARCH_LINES + 1)
    if not any(line.strip() for line in head):
        raise InputError(p, "has no data (only blank lines)")
    sep = _sniff_separator(head[: HEADER_SEARCH_LINES])
    rows = list(csv.reader(io.StringIO("\n".join(head)), delimiter=sep))
    header_idx, mapping = _find_header(rows, kind, options, str(p))
    header_cells = rows[header_idx]
    keep = _kept(mapping, wanted, kind)
    names = [f"c{i}" for i in range(len(header_cells))]
    try:
        frame = pl.read_csv(
            source,
            has_header=False,
            skip_rows=header_idx + 1,
            separator=sep,
            new_columns=names,
            infer_schema=False,
            empty_string_is_null=False,
            encoding="utf8",
            row_index_name=LINE,
            row_index_offset=header_idx + 2,
            truncate_ragged_lines=False,
            raise_if_empty=False,
        )
        ragged: list[tuple[int, int]] = []
    except pl.exceptions.ComputeError as exc:
        text = str(exc)
        if "utf-8" in text or "utf8" in text:
            raise _NotUtf8 from None
        if "more fields" not in text:
            raise InputError(p, "is not a readable table (CSV parse failed)") from None
        frame, ragged = _read_ragged(source, header_idx, sep, len(header_cells), names)
    except pl.exceptions.PolarsError:
        raise InputError(p, "is not a readable table (CSV parse failed)") from None
    if frame.width - 1 > len(header_cells):
        frame = frame.select([LINE, *names])
    if frame.height == 0:  # a header and no data: raise_if_empty=False gives no columns
        frame = pl.DataFrame(schema={LINE: pl.Int64, **dict.fromkeys(names, pl.String)})
    short = _short_lines(frame, names)
    ragged.extend((line, -1) for line in short)
    frame = frame.select(
        pl.col(LINE).cast(pl.Int64),
        *[pl.col(f"c{pos}").alias(c) for c, pos in keep.items()],
    )
    frame, totals, blanks = _mark_totals_and_blanks(frame, TABLES[kind][1][0])
    return RawTable(
        path=str(p), kind=kind, frame=frame,
        headers={c: header_cells[pos] for c, pos in keep.items()},
        encoding=encoding, header_line=header_idx + 1, total_lines=totals,
        blank_lines=blanks, ragged_lines=sorted(ragged), field_count=len(header_cells),
        separator=sep, positions=dict(mapping),
    )


def _short_lines(frame: pl.DataFrame, names: list[str]) -> list[int]:
    """Rows with fewer fields than the header: the last field is missing (not just empty)."""
    if len(names) < 2:
        return []
    last, rest = pl.col(names[-1]), [pl.col(n) for n in names[:-1]]
    mask = last.is_null() & pl.any_horizontal([c.is_not_null() & (c != "") for c in rest])
    return frame.filter(mask)[LINE].to_list()


def _read_ragged(
    source: Path, header_idx: int, sep: str, width: int, names: list[str]
) -> tuple[pl.DataFrame, list[tuple[int, int]]]:
    """Second, slower pass only when some row has too many fields: find which lines."""
    frame = pl.read_csv(
        source, has_header=False, skip_rows=header_idx + 1, separator=sep,
        new_columns=names, infer_schema=False, empty_string_is_null=False,
        encoding="utf8", row_index_name=LINE, row_index_offset=header_idx + 2,
        truncate_ragged_lines=True, raise_if_empty=False,
    )
    lines = pl.read_csv(
        source, has_header=False, skip_rows=header_idx + 1, separator="\x1f",
        quote_char=None, new_columns=["raw"], infer_schema=False,
        empty_string_is_null=False, encoding="utf8", raise_if_empty=False,
    )
    fields = (
        lines.select(
            pl.col("raw").str.replace_all(r'"[^"]*"', "").str.count_matches(sep, literal=True) + 1
        )
        .to_series()
    )
    too_many = fields > width
    if len(lines) != len(frame):  # quoted line breaks: line numbers can't be matched up
        return frame, [(-1, int(fields.max() or 0))]
    bad = frame.select(LINE).with_columns(fields.alias("n")).filter(too_many)
    return frame, list(zip(bad[LINE].to_list(), bad["n"].to_list(), strict=True))


def _kept(mapping: dict[str, int], wanted: Iterable[str] | None, kind: str) -> dict[str, int]:
    if wanted is None:
        return dict(mapping)
    want = set(wanted) | set(TABLES[kind][1])
    return {c: pos for c, pos in mapping.items() if c in want}


# ---------------------------------------------------------------- xlsx and parquet


def _read_xlsx(p: Path, kind: str, options: ReadOptions, wanted: Iterable[str] | None) -> RawTable:
    try:
        sheet = pl.read_excel(
            p, sheet_name=options.sheet, sheet_id=None if options.sheet else 1,
            has_header=False, infer_schema_length=0, drop_empty_rows=False,
            drop_empty_cols=False, raise_if_empty=False,
        )
    except Exception as exc:  # fastexcel raises its own types; never echo cell values
        problem = "is not a readable .xlsx workbook"
        if options.sheet and "sheet" in str(exc).lower():
            problem = f"has no sheet named {options.sheet!r}"
        raise InputError(p, problem) from None
    if sheet.height == 0:
        raise InputError(p, "is empty (the sheet has no rows)")
    sheet = sheet.select(pl.all().cast(pl.String))
    names = [f"c{i}" for i in range(sheet.width)]
    sheet.columns = names
    head = sheet.head(HEADER_SEARCH_LINES).rows()
    rows = [["" if v is None else str(v) for v in r] for r in head]
    header_idx, mapping = _find_header(rows, kind, options, str(p))
    keep = _kept(mapping, wanted, kind)
    frame = sheet.slice(header_idx + 1).with_row_index(LINE, offset=header_idx + 2).select(
        pl.col(LINE).cast(pl.Int64),
        *[pl.col(f"c{pos}").str.replace(r"^(-?\d+)\.0$", "${1}").alias(c) for c, pos in keep.items()],
    )
    frame, totals, blanks = _mark_totals_and_blanks(frame, TABLES[kind][1][0])
    return RawTable(
        path=str(p), kind=kind, frame=frame,
        headers={c: rows[header_idx][pos] for c, pos in keep.items()},
        encoding="xlsx", header_line=header_idx + 1, total_lines=totals, blank_lines=blanks,
        field_count=len(rows[header_idx]),
    )


def _read_parquet(
    p: Path, kind: str, options: ReadOptions, wanted: Iterable[str] | None
) -> RawTable:
    try:
        schema = pl.read_parquet_schema(p)
    except Exception:
        raise InputError(p, "is not a readable Parquet file") from None
    headers = list(schema)
    _idx, mapping = _find_header([headers], kind, options, str(p))
    keep = _kept(mapping, wanted, kind)
    frame = (
        pl.scan_parquet(p)
        .select(*[pl.col(headers[pos]).cast(pl.String).alias(c) for c, pos in keep.items()])
        .with_row_index(LINE, offset=2)
        .with_columns(pl.col(LINE).cast(pl.Int64))
        .collect()
    )
    return RawTable(
        path=str(p), kind=kind, frame=frame, headers={c: headers[pos] for c, pos in keep.items()},
        encoding="parquet", header_line=1, field_count=len(headers),
    )


def vocabulary_key(expr: pl.Expr) -> pl.Expr:
    """The expression form of `normalise_word`, for matching status and risk words."""
    return expr.str.normalize("NFKC").str.strip_chars().str.to_lowercase().str.replace_all(
        r"\s+", " "
    )


__all__ = ["LINE", "RawTable", "read_table", "detect_encoding", "vocabulary_key", "normalise_word"]
