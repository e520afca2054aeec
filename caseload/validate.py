"""Turning text cells into typed canonical frames, and rows that can't be trusted into problems.

A weekly cron job must neither crash nor quietly count wrong: every row is either used or
reported with its line number. Problems never quote personal data (names, ID numbers,
phones); they name lines, columns and IDs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from caseload.columns import FALSE_WORDS, RISK_WORDS, STATUS_WORDS, TRUE_WORDS
from caseload.errors import RowProblemsError
from caseload.load import LINE, RawTable, vocabulary_key

FIRST_LINES_SHOWN = 5
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y年%m月%d日", "%Y.%m.%d")


@dataclass
class ProblemGroup:
    """One kind of row problem in one file: how many rows and where."""

    path: str
    problem: str
    count: int
    lines: list[int]

    def describe(self) -> str:
        where = ", ".join(str(n) for n in self.lines[:FIRST_LINES_SHOWN])
        more = f" (+{self.count - FIRST_LINES_SHOWN} more)" if self.count > FIRST_LINES_SHOWN else ""
        return f"{self.path}: {self.problem}: {self.count} row(s), line {where}{more}"


@dataclass
class Validated:
    """A typed canonical frame, with what was left out or folded and why."""

    frame: pl.DataFrame
    raw: RawTable
    skipped: list[ProblemGroup] = field(default_factory=list)
    notes: list[ProblemGroup] = field(default_factory=list)

    @property
    def skipped_rows(self) -> int:
        return sum(g.count for g in self.skipped)


def _text(name: str) -> pl.Expr:
    """Trimmed text, full-width digits and letters folded; blank becomes null."""
    e = pl.col(name).str.normalize("NFKC").str.strip_chars()
    return pl.when(e == "").then(None).otherwise(e).alias(name)


def _vocabulary(name: str, words: dict[str, str]) -> pl.Expr:
    return vocabulary_key(pl.col(name)).replace_strict(words, default=None, return_dtype=pl.String)


def _date(name: str) -> pl.Expr:
    raw = pl.col(name)
    return pl.coalesce([raw.str.strptime(pl.Date, f, strict=False) for f in DATE_FORMATS])


def _money(name: str) -> pl.Expr:
    cleaned = pl.col(name).str.replace_all(r"[,\s¥￥元]", "")
    return cleaned.cast(pl.Float64, strict=False)


class _Checks:
    """Collects problem masks over one frame, then splits good rows from bad."""

    def __init__(self, raw: RawTable) -> None:
        self.raw = raw
        self.masks: list[tuple[str, pl.Expr]] = []

    def add(self, problem: str, mask: pl.Expr) -> None:
        self.masks.append((problem, mask.fill_null(False)))

    def header(self, canonical: str) -> str:
        return self.raw.headers.get(canonical, canonical)

    def run(self, frame: pl.DataFrame, skip_bad_rows: bool, extra: list[ProblemGroup]) -> Validated:
        groups = list(extra)
        bad_any = pl.lit(False)
        if self.masks:
            flags = frame.select(
                pl.col(LINE), *[m.alias(f"p{i}") for i, (_, m) in enumerate(self.masks)]
            )
            for i, (problem, _) in enumerate(self.masks):
                lines = flags.filter(pl.col(f"p{i}"))[LINE]
                if len(lines):
                    groups.append(ProblemGroup(self.raw.path, problem, len(lines), lines.to_list()))
            bad_any = pl.any_horizontal([m for _, m in self.masks])
        groups.extend(_ragged_groups(self.raw))
        if groups and not skip_bad_rows:
            total = sum(g.count for g in groups)
            raise RowProblemsError(
                f"{self.raw.path}: {total} row problem(s); nothing was counted "
                "(fix the export, or leave those rows out with --skip-bad-rows)",
                [g.describe() for g in groups],
            )
        bad_lines = {n for g in groups for n in g.lines}
        keep = ~bad_any
        if bad_lines:
            keep = keep & ~pl.col(LINE).is_in(sorted(bad_lines))
        return Validated(frame.filter(keep), self.raw, skipped=groups)


def _ragged_groups(raw: RawTable) -> list[ProblemGroup]:
    longer = [line for line, n in raw.ragged_lines if n > 0]
    shorter = [line for line, n in raw.ragged_lines if n < 0]
    out = []
    if longer:
        out.append(ProblemGroup(raw.path, f"more fields than the {raw.field_count} headers",
                                len(longer), longer))
    if shorter:
        out.append(ProblemGroup(raw.path, f"fewer fields than the {raw.field_count} headers",
                                len(shorter), shorter))
    return out


def _duplicate_ids(frame: pl.DataFrame, id_col: str, raw: RawTable, what: str) -> list[ProblemGroup]:
    dup = frame.filter(pl.col(id_col).is_not_null() & pl.col(id_col).is_duplicated())
    if dup.is_empty():
        return []
    dup = dup.sort(LINE)
    lines = dup[LINE].to_list()
    first = dup.filter(pl.col(id_col) == dup[id_col][0])[LINE].to_list()
    return [ProblemGroup(raw.path, f"{what} appears more than once (e.g. {dup[id_col][0]} "
                         f"on lines {', '.join(map(str, first[:3]))})", len(lines), lines)]


def validate_officers(raw: RawTable, skip_bad_rows: bool = False) -> Validated:
    """The roster: one row per officer; status defaults to active where no column says."""
    cols = set(raw.frame.columns)
    checks = _Checks(raw)
    text_cols = [c for c in ("officer_id", "name", "branch", "branch_id", "region", "grade")
                 if c in cols]
    frame = raw.frame.with_columns(*[_text(c) for c in text_cols])
    if "status" in cols:
        frame = frame.with_columns(_text("status").alias("status_raw"))
        frame = frame.with_columns(_vocabulary("status_raw", STATUS_WORDS).alias("status"))
        checks.add(f"status word not in the vocabulary (column {checks.header('status')})",
                   pl.col("status_raw").is_not_null() & pl.col("status").is_null())
        frame = frame.with_columns(pl.col("status").fill_null("active"))
    else:
        frame = frame.with_columns(pl.lit("active").alias("status"))
    if "capacity" in cols:
        frame = frame.with_columns(_text("capacity").alias("capacity_raw"))
        frame = frame.with_columns(
            pl.col("capacity_raw").cast(pl.Float64, strict=False).alias("capacity_f")
        )
        checks.add(
            f"limit is not a whole number above 0 (column {checks.header('capacity')})",
            pl.col("capacity_raw").is_not_null()
            & (pl.col("capacity_f").is_null() | (pl.col("capacity_f") < 1)
               | (pl.col("capacity_f") != pl.col("capacity_f").floor())),
        )
        frame = frame.with_columns(pl.col("capacity_f").cast(pl.Int64, strict=False).alias("capacity"))
    else:
        frame = frame.with_columns(pl.lit(None, pl.Int64).alias("capacity"))
    checks.add(f"blank staff number (column {checks.header('officer_id')})",
               pl.col("officer_id").is_null())
    for c in ("name", "branch", "branch_id", "region", "grade"):
        if c not in frame.columns:
            frame = frame.with_columns(pl.lit(None, pl.String).alias(c))
    dups = _duplicate_ids(frame, "officer_id", raw, "staff number")
    validated = checks.run(frame, skip_bad_rows, dups)
    validated.frame = validated.frame.select(
        LINE, "officer_id", "name", "branch", "branch_id", "region", "status", "grade", "capacity"
    )
    return validated


def validate_clients(raw: RawTable, skip_bad_rows: bool = False) -> Validated:
    """The book: one row per client; a repeated identical row counts once and is noted."""
    cols = set(raw.frame.columns)
    checks = _Checks(raw)
    text_cols = [c for c in ("client_id", "officer_id", "officer_name", "branch", "branch_id",
                             "segment", "group_id") if c in cols]
    frame = raw.frame.with_columns(*[_text(c) for c in text_cols])
    checks.add(f"blank client number (column {checks.header('client_id')})",
               pl.col("client_id").is_null())
    if "balance" in cols:
        frame = frame.with_columns(_text("balance").alias("balance_raw"))
        frame = frame.with_columns(_money("balance_raw").alias("balance"))
        checks.add(f"balance is not a number (column {checks.header('balance')})",
                   pl.col("balance_raw").is_not_null() & pl.col("balance").is_null())
    if "risk_class" in cols:
        frame = frame.with_columns(_text("risk_class").alias("risk_raw"))
        frame = frame.with_columns(_vocabulary("risk_raw", RISK_WORDS).alias("risk_class"))
        checks.add(f"risk class not one of 正常/关注/次级/可疑/损失 "
                   f"(column {checks.header('risk_class')})",
                   pl.col("risk_raw").is_not_null() & pl.col("risk_class").is_null())
    if "assigned_since" in cols:
        frame = frame.with_columns(_text("assigned_since").alias("since_raw"))
        frame = frame.with_columns(_date("since_raw").alias("assigned_since"))
        checks.add(f"date not understood (column {checks.header('assigned_since')})",
                   pl.col("since_raw").is_not_null() & pl.col("assigned_since").is_null())
    if "pinned" in cols:
        frame = frame.with_columns(vocabulary_key(pl.col("pinned")).fill_null("").alias("pin_raw"))
        checks.add(f"pinned is not yes/no (column {checks.header('pinned')})",
                   ~pl.col("pin_raw").is_in([*TRUE_WORDS, *FALSE_WORDS]))
        frame = frame.with_columns(pl.col("pin_raw").is_in(list(TRUE_WORDS)).alias("pinned"))
    defaults = {
        "officer_id": pl.String, "officer_name": pl.String, "branch": pl.String,
        "branch_id": pl.String, "segment": pl.String, "group_id": pl.String,
        "balance": pl.Float64, "risk_class": pl.String, "assigned_since": pl.Date,
        "pinned": pl.Boolean,
    }
    frame = frame.with_columns(
        *[pl.lit(False if t == pl.Boolean else None, t).alias(c)
          for c, t in defaults.items() if c not in frame.columns]
    )
    extra, frame = _client_duplicates(frame, raw)
    validated = checks.run(frame, skip_bad_rows, extra[0])
    validated.notes = extra[1]
    validated.frame = validated.frame.select(LINE, "client_id", *defaults)
    return validated


def _client_duplicates(
    frame: pl.DataFrame, raw: RawTable
) -> tuple[tuple[list[ProblemGroup], list[ProblemGroup]], pl.DataFrame]:
    """Same client under two officers is a problem; the same client repeated counts once."""
    dup_mask = pl.col("client_id").is_not_null() & pl.col("client_id").is_duplicated()
    dups = frame.filter(dup_mask)
    if dups.is_empty():
        return ([], []), frame
    dups = dups.sort(LINE)
    officers = dups.group_by("client_id").agg(
        pl.col("officer_id").n_unique().alias("n"), pl.col(LINE).alias("lines")
    )
    conflicts = officers.filter(pl.col("n") > 1).sort("client_id")
    problems, notes = [], []
    drop_lines: list[int] = []
    if not conflicts.is_empty():
        lines = sorted(n for ls in conflicts["lines"].to_list() for n in ls)
        cid, first = conflicts["client_id"][0], sorted(conflicts["lines"][0])
        problems.append(ProblemGroup(
            raw.path, f"same client under different officers (e.g. client {cid} on lines "
            f"{', '.join(map(str, first[:3]))})", len(lines), lines))
    repeats = officers.filter(pl.col("n") == 1)
    if not repeats.is_empty():
        drop_lines = sorted(n for ls in repeats["lines"].to_list() for n in sorted(ls)[1:])
        notes.append(ProblemGroup(raw.path, "repeated client row counted once",
                                  len(drop_lines), drop_lines))
        frame = frame.filter(~pl.col(LINE).is_in(drop_lines))
    return (problems, notes), frame
