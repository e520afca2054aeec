"""A client book read one part at a time, for books bigger than memory (``--low-memory``).

Why: `check` and `plan` otherwise hold every client's cells while they validate them (about
0.22 GB per million clients), which caps one machine at some 90M clients. Here the book is
read twice, a part at a time, and what is held is the largest part, 12 bytes per client and the
clients that may move:

1. each part is read and validated as usual, then kept only as its counts per officer and a
   64-bit hash of each client number (with its problems and notes);
2. with the whole book's counts, each part is read and validated again and only the clients
   that may move are kept: those whose officer is not an active officer of the roster within
   the limit (so also those without one), and those whose client number another part also
   holds (by hash).

Client numbers held by several parts are then judged as a whole read judges them
(`validate.repeated_clients`): an identical row counts once, other repeats are problems. The
figures, tables and plan are those of reading the book whole, for about twice the time.

A part is a CSV part of a folder, `SLICE_BYTES` of a CSV file (`csv_slices`), or `SLICE_ROWS`
rows of a Parquet file or part. A workbook is one part, read whole (a note says so).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from caseload.config import ReadOptions, Settings
from caseload.csv_parts import (
    CSV_SUFFIX,
    _shifted,
    _stacked,
    csv_part_tables,
    folder_parts,
)
from caseload.csv_slices import csv_slices
from caseload.errors import InputError
from caseload.load import (
    EXCEL_SUFFIXES,
    LINE,
    RawTable,
    _check_path,
    _read_parquet,
    parquet_parts_schema,
    parquet_rows,
    read_table,
)
from caseload.validate import (
    ProblemGroup,
    Validated,
    problems_error,
    repeated_clients,
    validate_clients,
)
from caseload.workload import limit_expr

SLICE_ROWS = 1_000_000  # rows of a Parquet file read at a time (about 0.25 GB of cells)
SLICE_BYTES = 64 << 20  # bytes of a CSV file read at a time (some 500,000 clients)
_SEED = 7
_KIND = "clients"
# What a whole read holds at its peak per client (measured: 0.22-0.30 GB per million), and the
# share of the memory available that it may take before the book is read a part at a time.
BYTES_PER_CLIENT = 320
_SHARE = 0.8


def too_big(path: str | os.PathLike[str]) -> str | None:
    """Why a whole read of this book would not fit in the memory available; None if it would.

    A cron job killed for want of memory says nothing at all, so `check` and `plan` read such a
    book a part at a time instead (the output is the same). Clients are estimated from the
    file: Parquet says its rows, a CSV its size over its first lines' length.
    """
    available = available_bytes()
    clients = _clients_in(Path(path))
    if available is None or clients is None:
        return None
    need = clients * BYTES_PER_CLIENT
    if need <= _SHARE * available:
        return None
    return (f"about {clients:,} clients would need some {need / 2**30:.1f} GB, and "
            f"{available / 2**30:.1f} GB is available: read a part at a time (--low-memory)")


def available_bytes() -> int | None:
    """MemAvailable of Linux (free memory plus what the page cache would give back)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _clients_in(path: Path) -> int | None:
    """About how many clients the book holds (None: a workbook, or not known)."""
    try:
        if path.is_dir():
            suffix, parts = folder_parts(path)
        elif path.is_file():  # (a pipe is not opened here: the read refuses it)
            suffix, parts = path.suffix.lower(), [path]
        else:
            return None
        if suffix == ".parquet":
            return sum(parquet_rows(part) for part in parts)
        if suffix in EXCEL_SUFFIXES:
            return None
        with parts[0].open("rb") as fh:
            head = fh.read(1 << 20)
        line = len(head) / max(head.count(b"\n"), 1)
        return int(sum(part.stat().st_size for part in parts) / line)
    except Exception:  # (a file that cannot be read is reported by the read itself)
        return None


def read_book(
    path: str | os.PathLike[str], options: ReadOptions, wanted: Iterable[str],
    roster: pl.DataFrame | None, settings: Settings,
    headers_seen: Callable[[dict[str, str]], None] | None = None,
) -> Validated:
    """The validated book as `check` and `plan` need it, holding only the clients that may move.

    `roster` is the validated roster and `settings` give the limits: together they say whose
    clients stay where they are, which need not be held. Without a roster (it had problems)
    the book is only validated, so that its problems are reported with the roster's.
    `headers_seen` is shown the first part's headers before any row is looked at.
    """
    path, wanted, known = Path(path), tuple(wanted), {}
    first = _first_reading(path, options, wanted, known, headers_seen)
    may_move, staying = pl.lit(False), None
    if roster is not None:
        settled = (  # active officers within their limit: their clients stay, whatever happens
            roster.with_columns(limit_expr(settings).alias("limit"))
            .join(first.per_officer, on="officer_id", how="left")
            .filter((pl.col("status") == "active")
                    & (pl.col("accounts").fill_null(0) <= pl.col("limit")))["officer_id"]
            .implode()
        )
        may_move = ~pl.col("officer_id").is_in(settled).fill_null(False)
        if first.repeated.list.len().item() == 0:  # (else every row is looked at again)
            staying = first.names.filter(pl.col("officer_id").is_in(settled))[_EXPORTED]
    held_twice = pl.col("client_id").hash(_SEED).is_in(first.repeated)  # (or a namesake)
    book = _second_reading(path, options, wanted, known, first.heights, staying,
                           may_move | held_twice)
    return _judged(book, first, options, may_move, held_twice)


@dataclass
class _FirstReading:
    """What the first reading keeps of the book: a few bytes a client, and its parts' news."""

    book: RawTable  # what the parts say of the book (no rows)
    groups: list[ProblemGroup]  # row problems
    notes: list[ProblemGroup]
    per_officer: pl.DataFrame  # officer_id, accounts
    names: pl.DataFrame  # each staff number as exported (_EXPORTED) and as validated
    repeated: pl.Series  # (imploded) hashes of client numbers held by two rows or more
    heights: list[int]  # rows of each part as read
    rows: int  # clients, as validated
    with_codes: int  # of which giving a branch code


def _first_reading(
    path: Path, options: ReadOptions, wanted: tuple[str, ...], known: dict,
    headers_seen: Callable[[dict[str, str]], None] | None,
) -> _FirstReading:
    metas, groups, notes, counts, hashes, heights, names = [], [], [], [], [], [], []
    rows = with_codes = 0
    for raw in _part_tables(path, options, wanted, known):
        if not metas and headers_seen is not None:
            headers_seen(raw.headers)
        metas.append(dataclasses.replace(raw, frame=raw.frame.clear()))
        heights.append(raw.frame.height)
        exported = raw.frame.select(LINE, _as_exported(raw.frame))
        # (problems are refused later, for the whole book; repeats are judged over all parts)
        part = validate_clients(raw, skip_bad_rows=True, judge_repeats=False)
        del raw
        groups.append((part.raw.headers, part.skipped))
        notes += part.notes
        frame = part.frame
        names.append(exported.join(frame.select(LINE, "officer_id"), on=LINE)  # (as validated)
                     .drop(LINE).unique())
        del exported
        rows += frame.height
        with_codes += frame.height - frame["branch_id"].null_count()
        counts.append(part.officer_counts if part.officer_counts is not None else
                      frame.group_by("officer_id").agg(pl.len().cast(pl.Int64).alias("accounts")))
        hashes.append(frame.select(pl.col("client_id").hash(_SEED).alias("h")))
        del part, frame
    everywhere = pl.concat(hashes)
    del hashes
    book = _book_table(path, metas)
    return _FirstReading(
        book=book,
        groups=[g for headers, said in groups for g in _as_book_says(said, headers, book)],
        notes=notes,
        per_officer=pl.concat(counts).group_by("officer_id").agg(pl.col("accounts").sum()),
        names=pl.concat(names).unique(),
        repeated=everywhere.filter(pl.col("h").is_duplicated())["h"].unique().implode(),
        heights=heights, rows=rows, with_codes=with_codes,
    )


def _second_reading(
    path: Path, options: ReadOptions, wanted: tuple[str, ...], known: dict,
    heights: list[int], staying: pl.Series | None, kept: pl.Expr,
) -> pl.DataFrame:
    """The `kept` rows of the book, validated again; rows of the `staying` staff numbers (as
    exported) are not looked at."""
    frames = []
    for height, raw in zip(heights, _part_tables(path, options, wanted, known), strict=True):
        if raw.frame.height != height:
            raise InputError(path, "changed while it was read (--low-memory reads it twice); "
                                   "run the check again")
        if staying is not None:
            raw.frame = raw.frame.filter(~_as_exported(raw.frame).is_in(staying.implode()))
        frames.append(validate_clients(raw, skip_bad_rows=True, judge_repeats=False).frame
                      .filter(kept))
        del raw
    return pl.concat(frames, how="diagonal")  # (a part may lack client names: see SHOWN_ONLY)


def _judged(
    book: pl.DataFrame, first: _FirstReading, options: ReadOptions, may_move: pl.Expr,
    held_twice: pl.Expr,
) -> Validated:
    """Client numbers held twice judged over the whole book; then refuse, or leave rows out."""
    raw_meta, per_officer, rows, with_codes = (first.book, first.per_officer, first.rows,
                                               first.with_codes)
    problems, repeats, drop = repeated_clients(book.filter(held_twice), raw_meta)
    groups = _merged(first.groups, raw_meta) + problems  # (as a whole read orders them)
    if groups and not options.skip_bad_rows:
        raise problems_error(raw_meta.path, groups)
    gone = pl.col(LINE).is_in([n for g in problems for n in g.lines] + drop)
    if problems or drop:
        removed = book.filter(gone).group_by("officer_id").agg(pl.len().alias("gone"))
        per_officer = (
            per_officer.join(removed, on="officer_id", how="left", nulls_equal=True)
            .select("officer_id", pl.col("accounts") - pl.col("gone").fill_null(0))
            .filter(pl.col("accounts") > 0)
        )
        rows -= int(removed["gone"].sum())
        with_codes -= book.filter(gone & pl.col("branch_id").is_not_null()).height
    return Validated(
        book.filter(may_move & ~gone), raw_meta, skipped=groups,
        notes=_merged(first.notes, raw_meta) + repeats, officer_counts=per_officer,
        book_rows=rows, book_branch_ids=with_codes > 0,
    )


_EXPORTED = "__exported_officer"


def _as_exported(frame: pl.DataFrame) -> pl.Expr:
    """A row's officer as the export wrote it (with its bank, in a province-wide export)."""
    if "bank" in frame.columns:
        return pl.concat_str(["bank", "officer_id"], separator="\x1f").alias(_EXPORTED)
    return pl.col("officer_id").alias(_EXPORTED)


def _part_tables(path: Path, options: ReadOptions, wanted: tuple[str, ...],
                 known: dict) -> Iterator[RawTable]:
    """The book's parts in order, each named as the book and its lines numbered across them.

    `known` carries what the first reading found out about cutting a CSV file to the second.
    """
    if path.is_dir():
        suffix, parts = folder_parts(path)
        if suffix == CSV_SUFFIX:
            for table, firsts in csv_part_tables(_KIND, options, wanted, parts):
                yield dataclasses.replace(table, path=str(path), parts=firsts)
            return
        offset, firsts = 0, []
        for part in parts:
            _check_path(part)
        parquet_parts_schema(path, parts, _KIND, options, wanted)  # (as a whole read refuses)
        for part in parts:
            firsts.append((part.name, offset + 1))
            for table in _slices(part, options, wanted, name=path):
                yield dataclasses.replace(_shifted(table, offset), path=str(path),
                                          parts=list(firsts))
            offset += parquet_rows(part)
    elif path.suffix.lower() == ".parquet":
        _check_path(path)
        yield from _slices(path, options, wanted)
    elif path.suffix.lower() in EXCEL_SUFFIXES:
        table = read_table(path, _KIND, options, wanted)
        table.notes.append(f"--low-memory: {path.name} is read whole (a workbook is not cut; "
                           "save it as CSV or Parquet)")
        yield table
    else:
        _check_path(path)
        yield from csv_slices(path, _KIND, options, wanted, SLICE_BYTES, known)


def _slices(path: Path, options: ReadOptions, wanted: tuple[str, ...],
            name: Path | None = None) -> Iterator[RawTable]:
    """A Parquet file `SLICE_ROWS` rows at a time (at least once: an empty file has a header).

    A problem of a folder's part is said of the folder (`name`), as a whole read says it.
    """
    name = name or path
    yield _read_parquet(name, _KIND, options, wanted, [path], rows=(0, SLICE_ROWS))
    for start in range(SLICE_ROWS, parquet_rows(path), SLICE_ROWS):
        yield _read_parquet(name, _KIND, options, wanted, [path], rows=(start, SLICE_ROWS))


def _as_book_says(groups: list[ProblemGroup], headers: dict[str, str],
                  book: RawTable) -> list[ProblemGroup]:
    """A part's problems naming a column by its header in that part, renamed as a whole read
    names it: by the headers of every part (``column 客户号 / client_id``)."""
    renames = {f"(column {h})": f"(column {book.headers[c]})" for c, h in headers.items()
               if book.headers.get(c, h) != h}
    if not renames:
        return groups
    out = []
    for g in groups:
        problem = g.problem
        for said, as_book in renames.items():
            problem = problem.replace(said, as_book)
        out.append(dataclasses.replace(g, problem=problem))
    return out


def _book_table(path: Path, metas: list[RawTable]) -> RawTable:
    """What the parts' tables say about the book as a whole (their rows are not kept)."""
    if len(metas) == 1:
        return metas[0]
    book = _stacked(path, _KIND, metas, metas[-1].parts)
    book.notes = list(dict.fromkeys(n for m in metas for n in m.notes))
    return book


def _merged(groups: list[ProblemGroup], book: RawTable) -> list[ProblemGroup]:
    """One group per problem over the whole book, in the order of their first rows (as a
    whole read reports them)."""
    lines: dict[str, list[int]] = {}
    for g in groups:
        lines.setdefault(g.problem, []).extend(g.lines)
    merged = [ProblemGroup(book.path, problem, len(at), sorted(at), book.unit, book.parts)
              for problem, at in lines.items()]
    return sorted(merged, key=lambda g: g.lines[0])
