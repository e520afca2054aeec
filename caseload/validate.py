"""Turning text cells into typed canonical frames, and rows that can't be trusted into problems.

A weekly cron job must neither crash nor quietly count wrong: every row is either used or
reported with its line number. Problems never quote cell values (names, ID numbers, phones
could be anywhere once columns shift); they name lines, columns and, for duplicates, IDs.

Each problem row is reported once, under its first problem, so that the counts add up to
exactly the rows left out with ``--skip-bad-rows``.

Speed: everything over clients is a polars expression. Costly steps (width folding, regular
expressions, the full date grammar) run on a column only when a cheap test over that column
says some cell needs them; vocabulary words are looked up once per distinct word.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field

import polars as pl

from caseload.columns import (
    ANY_BANK,
    FALSE_WORDS,
    NO_HOUSEHOLD,
    PERSONAL_COLUMNS,
    RISK_WORDS,
    STATUS_WORDS,
    TRUE_WORDS,
    normalise_word,
    vocabulary,
)
from caseload.config import MAX_LIMIT
from caseload.errors import RowProblemsError
from caseload.load import LINE, RawTable, vocabulary_key

FIRST_LINES_SHOWN = 5
NAMED_DUPLICATES = 5
# Dates read: 2024-03-01, 2024/3/1, 20240301, 2024年3月1日, 2024.3.1 (a time after them is
# ignored); see `_date_lenient`.
_ODD_ID = r"[\s\x00-\x1f\x7f]|^[0-9](\.[0-9]+)?[eE]\+?[0-9]+$"
_ODD_ID_RE = re.compile(_ODD_ID)
_MANY_DISTINCT = 100_000  # above this, tidying per distinct value in Python costs more
# (nearly) one value per row: tidied by expressions, not per value
_MANY_VALUES = ("client_id", "group_id")
BAD = "__bad"
_STATUS = vocabulary(STATUS_WORDS)
_RISK = vocabulary(RISK_WORDS)
_TRUE = {normalise_word(w) for w in TRUE_WORDS}
_FALSE = {normalise_word(w) for w in FALSE_WORDS}
_PIN = {**dict.fromkeys(_FALSE, "n"), **dict.fromkeys(_TRUE, "y")}


@dataclass
class ProblemGroup:
    """One kind of row problem in one file: how many rows and where."""

    path: str
    problem: str
    count: int
    lines: list[int]
    unit: str = "line"
    parts: list[tuple[str, int]] = field(default_factory=list)  # see RawTable.parts

    def describe(self) -> str:
        shown = self.lines[:FIRST_LINES_SHOWN]
        more = f" (+{len(self.lines) - len(shown)} more)" if len(self.lines) > len(shown) else ""
        return (f"{self.path}: {self.problem}: {self.count} row(s), "
                f"{where(shown, self.unit, self.parts)}{more}")


def where(lines: list[int], unit: str, parts: list[tuple[str, int]] | None = None) -> str:
    """``lines 3, 7``; in a folder of parts, each row by its part: ``b-2.parquet rows 1, 5``."""
    if not parts:
        return f"{unit}{'s' if len(lines) > 1 else ''} {', '.join(map(str, lines))}"
    firsts = [first for _, first in parts]
    by_part: dict[str, list[int]] = {}
    for n in lines:
        name, first = parts[max(bisect.bisect_right(firsts, n) - 1, 0)]
        by_part.setdefault(name, []).append(n - first + 1)
    return "; ".join(f"{name} {where(rows, unit)}" for name, rows in by_part.items())


def _group(raw: RawTable, problem: str, lines: list[int]) -> ProblemGroup:
    return ProblemGroup(raw.path, problem, len(lines), lines, raw.unit, raw.parts)


@dataclass
class Validated:
    """A typed canonical frame, with what was left out or folded and why."""

    frame: pl.DataFrame
    raw: RawTable
    skipped: list[ProblemGroup] = field(default_factory=list)
    notes: list[ProblemGroup] = field(default_factory=list)
    # clients per officer_id, when validation could count them on the way (a row whose
    # officer_id is null counts the clients without an officer); None: count the frame
    officer_counts: pl.DataFrame | None = None
    # keys (staff or client numbers) of rows left out whose key no row kept still holds
    left_out_keys: list[str] = field(default_factory=list)
    # read with --low-memory (see `low_memory`): `frame` holds only the clients that may move,
    # and these say what the whole book held: its rows, and whether any gave a branch code
    book_rows: int | None = None
    book_branch_ids: bool | None = None

    @property
    def rows(self) -> int:
        return self.frame.height if self.book_rows is None else self.book_rows

    @property
    def skipped_rows(self) -> int:
        return sum(g.count for g in self.skipped)


# ---------------------------------------------------------------- cell cleaning


def _any(frame: pl.DataFrame, tests: dict[str, pl.Expr]) -> dict[str, bool]:
    """Column-level questions ("does any cell need this?") answered in one pass."""
    if not tests or frame.is_empty():
        return dict.fromkeys(tests, False)
    # (lazy: the engine splits each column's test over the cores, not just the columns)
    row = frame.lazy().select([e.fill_null(False).any().alias(k) for k, e in tests.items()]) \
        .collect().row(0)
    return {k: bool(v) for k, v in zip(tests, row, strict=True)}


# What polars' `strip_chars()` strips (Unicode White_Space). Python's `str.strip()` also strips
# \x1c-\x1f, and a cell must read the same whichever way its column is tidied.
_SPACE = ("\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
          "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")


def _tidy(value: str, is_id: bool) -> str | None:
    """One cell, the Python way (used once per distinct value): see `_clean`."""
    t = value if value.isascii() else unicodedata.normalize("NFKC", value)
    t = t.strip(_SPACE)
    if is_id:
        if t.startswith('="') and t.endswith('"') and len(t) >= 3:
            t = t[2:-1].strip(_SPACE)
        t = t.removeprefix("'").strip(_SPACE)
        if t.endswith("x"):
            t = t[:-1] + "X"
    return t or None


def tidy_id(value: str) -> str | None:
    """An ID cell as validation reads it: for matching cells of an export to validated IDs."""
    return _tidy(value, True)


def tidy_ids(column: str) -> pl.Expr:
    """`tidy_id` as an expression over a whole column."""
    return _clean_exprs([column], (column,), {f"{k}:{column}": True for k in "wsegx"})[0]


@dataclass
class _Cleaning:
    """How to clean the text columns, decided from their distinct values and one test pass."""

    exprs: list[pl.Expr]
    values: dict[str, list[str]]  # few-valued column -> its distinct values once cleaned


def _clean(
    frame: pl.DataFrame, columns: list[str], ids: tuple[str, ...] = (),
    distinct: dict[str, pl.Series] | None = None, need: dict[str, bool] | None = None,
) -> _Cleaning:
    """Trim; fold full-width digits, letters, brackets and spaces (NFKC); blank -> null.

    ID columns also lose an Excel text guard (``="0012"``, a leading ``'``) and end in ``X``
    rather than ``x``. A column of few distinct values (officers, branches) is tidied once per
    value; a column of many (client numbers, households) by expressions, each costly step only
    where a cheap test (`_clean_tests`, answered in `need`) says some cell needs it. A clean
    column is left as it is.
    """
    distinct = distinct or {}
    need = need or {}
    exprs: list[pl.Expr] = []
    values: dict[str, list[str]] = {}
    tidied = _tidy_distinct({c: distinct[c] for c in columns
                             if c in distinct and c in frame.columns}, ids)
    for c in columns:
        if c not in frame.columns:
            continue
        if c in tidied:  # each value tidied once, by the expressions (as `_tidy` would)
            was, now = tidied[c]
            changed = was.ne_missing(now)
            if changed.any():
                exprs.append(pl.col(c).replace(was.filter(changed), now.filter(changed)))
            values[c] = now.drop_nulls().to_list()
        else:
            exprs += _clean_exprs([c], ids, need)
    return _Cleaning(exprs, values)


def _tidy_distinct(
    distinct: dict[str, pl.Series], ids: tuple[str, ...]
) -> dict[str, tuple[pl.Series, pl.Series]]:
    """Each column's distinct values (nulls dropped) and the same tidied: one pass for the ID
    columns and one for the rest, however many columns (a pass costs about the same for 40
    values as for 4,000)."""
    out: dict[str, tuple[pl.Series, pl.Series]] = {}
    for as_id in (True, False):
        cols = [c for c in distinct if (c in ids) == as_id]
        if not cols:
            continue
        steps = {f"{k}:was": True for k in ("wsegx" if as_id else "wse")}
        tidy = _clean_exprs(["was"], ("was",) if as_id else (), steps)[0]
        parts = [distinct[c].drop_nulls().cast(pl.String).rename("was") for c in cols]
        now = pl.concat(parts).to_frame().select(tidy.alias("now")).to_series()
        start = 0
        for c, part in zip(cols, parts, strict=True):
            out[c] = part, now.slice(start, part.len())
            start += part.len()
    return out


def _few_valued(frame: pl.DataFrame, columns: list[str]) -> list[str]:
    """Columns worth tidying once per distinct value (not those holding one value per row)."""
    return [c for c in columns if c in frame.columns and c not in _MANY_VALUES]


def _clean_tests(columns: list[str], ids: tuple[str, ...]) -> dict[str, pl.Expr]:
    """The column-level questions `_clean_exprs` needs answered (see `_any`)."""
    tests: dict[str, pl.Expr] = {}
    for c in columns:
        col = pl.col(c)
        tests[f"w:{c}"] = col.str.len_bytes() != col.str.len_chars()  # any non-ASCII
        # (a space at either end: what stripping shortens; a third cheaper than `^\s|\s$`)
        tests[f"s:{c}"] = col.str.strip_chars().str.len_bytes() != col.str.len_bytes()
        tests[f"e:{c}"] = col == ""
        if c in ids:  # (after a space, `s` says so, and both are looked at anyway)
            tests[f"g:{c}"] = col.str.starts_with("=") | col.str.starts_with("'")
            tests[f"x:{c}"] = col.str.ends_with("x")
    return tests


def _clean_exprs(columns: list[str], ids: tuple[str, ...], need: dict[str, bool]) -> list[pl.Expr]:
    need = dict(need)
    for c in ids:  # (a step can bare what a later one fixes: ="C8x" ends in x once unguarded)
        if need.get(f"s:{c}") or need.get(f"w:{c}"):
            need[f"g:{c}"] = need[f"x:{c}"] = True
        if need.get(f"g:{c}"):
            need[f"x:{c}"] = True
    exprs = []
    for c in columns:
        e = pl.col(c)
        if not any(need.get(f"{k}:{c}") for k in "wsegx"):
            continue
        if need.get(f"w:{c}"):
            e = e.str.normalize("NFKC")
        if need.get(f"w:{c}") or need.get(f"s:{c}"):
            e = e.str.strip_chars()
        if need.get(f"g:{c}"):
            e = e.str.replace(r'^="(.*)"$', "${1}").str.strip_chars().str.strip_prefix("'")
            e = e.str.strip_chars()
        if need.get(f"x:{c}"):
            e = e.str.replace(r"x$", "X")
        exprs.append(pl.when(e == "").then(None).otherwise(e).alias(c))
    return exprs




@dataclass
class _Vocabulary:
    """A vocabulary column read: its canonical words, and which cells are no known word."""

    value: pl.Expr  # canonical word, or null for a blank cell (and an unknown one)
    unknown: pl.Expr  # a cell that is neither blank nor a known word
    cells: pl.Expr | None = None  # the column as read, when its spellings were looked up
    spellings: dict[str, str | None] | None = None  # each spelling's word

    def means(self, word: str) -> pl.Expr:
        """The cells that mean `word`, as a flag (blank and unknown cells: false).

        Tested against the spellings of `word`, not by building every cell's word: a flag
        column of millions of rows costs a tenth.
        """
        if self.cells is None or self.spellings is None:
            return (self.value == word).fill_null(False)
        return self.cells.is_in([s for s, w in self.spellings.items() if w == word]) \
            .fill_null(False)


def _words(distinct: pl.Series, column: str, words: dict[str, str]) -> _Vocabulary:
    """Canonical words, looked up once per distinct spelling (blank cells are no problem)."""
    col = pl.col(column)
    distinct = distinct.drop_nulls()
    if distinct.len() > _MANY_DISTINCT:  # a column of noise: by expressions
        key = vocabulary_key(col)
        value = key.replace_strict(words, default=None, return_dtype=pl.String)
        return _Vocabulary(value, col.is_not_null() & (key != "") & value.is_null())
    table: dict[str, str | None] = {}
    unknown: list[str] = []
    for spelling in distinct.to_list():
        key = normalise_word(spelling)
        table[spelling] = words.get(key) if key else None
        if key and table[spelling] is None:
            unknown.append(spelling)
    same = all(k == v for k, v in table.items())  # written as the canonical words already
    value = col if same else col.replace_strict(table, default=None, return_dtype=pl.String)
    return _Vocabulary(value, col.is_in(unknown) if unknown else pl.lit(False), col, table)


_NUMBER = r"^[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$"


def _money(text: pl.Expr) -> pl.Expr:
    """Numbers as exported (``1234.5``, ``1,234.50``) as a float."""
    return text.str.replace_all(",", "", literal=True).cast(pl.Float64, strict=False)


def _money_odd(text: pl.Expr, value: pl.Expr) -> pl.Expr:
    """Cells `_money` misreads or cannot read: these need `_money_lenient`."""
    return text.is_not_null() & (
        value.is_null() | ~value.is_finite() | ~text.str.contains(_NUMBER)
    )


def _money_lenient(text: pl.Expr) -> pl.Expr:
    """Yuan as a float: ``1,234,567.89``, ``¥1,234.00``, ``1234元``; anything else -> null.

    Commas must group thousands: ``12.000,00`` is not read as twelve.
    """
    text = (text.str.normalize("NFKC").str.strip_chars()  # (trimmed first: ^ and $ then hold)
            .str.replace_all(r"\s|^(RMB|CNY)|^¥|元$", ""))
    value = _money(text)
    return pl.when(text.str.contains(_NUMBER) & value.is_finite()).then(value).otherwise(None)


_FIRST_DAY, _LAST_DAY = dt.date(1900, 1, 1), dt.date(2999, 12, 31)


def _iso_date(text: pl.Expr) -> pl.Expr:
    """2024-03-01 as a date, whatever its year (see `_date`)."""
    # (no cache: the ISO parse is quicker than looking each cell up in polars' cache)
    return text.str.strptime(pl.Date, "%Y-%m-%d", strict=False, cache=False)


def _date_odd(text: pl.Expr, value: pl.Expr) -> pl.Expr:
    """Cells `_iso_date` cannot read, or reads as a year outside 1900-2999: these need
    `_date_lenient` (a comparison of the dates: a tenth of the cost of taking their years)."""
    return text.is_not_null() & ~value.is_between(_FIRST_DAY, _LAST_DAY).fill_null(False)


def _date(text: pl.Expr) -> pl.Expr:
    """2024-03-01; a year outside 1900-2999 is no date (`%Y` would read 25-12-01 as 25 AD)."""
    date = _iso_date(text)
    return pl.when(date.is_between(_FIRST_DAY, _LAST_DAY)).then(date)


def _excel_serial(text: pl.Expr) -> pl.Expr:
    """A workbook date as Excel keeps it, days since 1899-12-30 (``45352`` is 2024-03-01).

    The workbook reader turns a date cell into a date only for the formats it knows; the
    Chinese built-in ones (2024年3月1日, Excel's formats 27-36 and 50-58) reach us as serials.
    """
    n = text.str.strip_chars().cast(pl.Float64, strict=False)
    return pl.when((n >= 1) & (n < 2_958_466)).then(
        (pl.lit(dt.date(1899, 12, 30)) + pl.duration(days=n.floor().cast(pl.Int64)))
        .cast(pl.Date)
    )


def _date_lenient(text: pl.Expr) -> pl.Expr:
    """2024-03-01, 2024/3/1, 20240301, 2024年3月1日, 2024.3.1, with or without a time."""
    return _date(
        text.str.normalize("NFKC")
        .str.strip_chars()
        .str.replace(r"[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$", "")
        .str.replace(r"^(\d{4})(\d{2})(\d{2})$", "${1}-${2}-${3}")
        .str.replace(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$", "${1}-${2}-${3}")
        .str.replace(r"^(\d{4})[/.](\d{1,2})[/.](\d{1,2})$", "${1}-${2}-${3}")
    )


def _parsed(frame: pl.DataFrame, exprs: list[pl.Expr]) -> list[pl.Series]:
    """`exprs` (the typed columns) over `frame`, a slice of it per core, to set beside it.

    The in-memory engine parses each column on one core, one after the other (balances and
    dates of 1M clients: 52 ms); slices of the frame, which copy nothing, share them out (32
    ms). The streaming engine would share them too, but copied the book's cells into its own
    batches: 7 GB more at 50M clients, and 14 s slower.
    """
    parts = max(pl.thread_pool_size(), 1)
    step = max(-(-frame.height // parts), 1)
    done = pl.collect_all([frame.slice(i * step, step).lazy().select(exprs)
                           for i in range(parts)], engine="in-memory")
    return pl.concat(done, rechunk=False).get_columns()


# ---------------------------------------------------------------- problems


class _Checks:
    """Problem masks over one frame; each row goes to its first problem only."""

    def __init__(self, raw: RawTable) -> None:
        self.raw = raw
        self.masks: list[tuple[str, pl.Expr]] = []
        for rp in raw.row_problems:
            self.masks.append((rp.problem, pl.col(LINE).is_in(rp.lines)))
        self.more_lines = {rp.problem: rp.more_lines for rp in raw.row_problems}
        self.groups: list[ProblemGroup] = []

    def add(self, problem: str, mask: pl.Expr) -> None:
        self.masks.append((problem, mask.fill_null(False)))

    def header(self, canonical: str) -> str:
        return self.raw.headers.get(canonical, canonical)

    def group(self, problem: str, lines: list[int]) -> ProblemGroup:
        """Rows starting on `lines`; a row read over several lines counts each of them."""
        more = self.more_lines.get(problem, {})
        lines = sorted(lines + [n for start in lines for n in more.get(start, [])])
        return _group(self.raw, problem, lines)

    def evaluate(self, frame: pl.DataFrame) -> pl.DataFrame:
        """`frame` with a `BAD` column (some problem); the groups found go to `self.groups`."""
        self.groups = []
        n = len(self.masks)
        if not n or frame.is_empty():
            return frame.with_columns(pl.lit(False).alias(BAD))
        names = [f"__m{i}" for i in range(n)]
        # Which problems occur at all, in one pass that materialises nothing: usually none.
        hit = _any(frame, {name: m for (_, m), name in zip(self.masks, names, strict=True)})
        hit = [hit[name] for name in names]
        if not any(hit):
            return frame.with_columns(pl.lit(False).alias(BAD))
        flagged = frame.with_columns([m.alias(name) for (_, m), name in zip(self.masks, names,
                                                                            strict=True)])
        claimed = pl.lit(False)
        exclusive = []
        for i, name in enumerate(names):
            if hit[i]:
                exclusive.append((pl.col(name) & ~claimed).alias(name))
                claimed = claimed | pl.col(name)
        flagged = flagged.with_columns(exclusive).with_columns(
            pl.any_horizontal([pl.col(name) for name in names]).alias(BAD)
        )
        for i, (problem, _) in enumerate(self.masks):
            if hit[i]:
                lines = flagged.filter(pl.col(names[i]))[LINE].to_list()
                if lines:
                    self.groups.append(self.group(problem, lines))
        return flagged.drop(names)


def _id_checks(checks: _Checks, column: str, what: str, odd_possible: bool = True) -> None:
    """Blank IDs, and IDs a spreadsheet mangled (unless a test already found none)."""
    header = checks.header(column)
    checks.add(f"blank {what} (column {header})", pl.col(column).is_null())
    if odd_possible:
        checks.add(
            f"{what} with spaces, line breaks or in Excel's rounded 1.2E+11 form "
            f"(column {header})",
            pl.col(column).str.contains(_ODD_ID),
        )


def _within_bank(checks: _Checks, cols: set[str], columns: tuple[str, ...]) -> list[pl.Expr]:
    """In a province-wide export, identities as ``bank/number`` (numbers repeat across banks).

    Branch, region and household names repeat too, so they are read within the bank as well.
    A row without its bank belongs to no bank: a problem. Its identities read `ANY_BANK/…`,
    so that a roster row left out for it (--skip-bad-rows) still says whose clients to hold.
    """
    if "bank" not in cols:
        return []
    checks.add(f"blank bank (column {checks.header('bank')})", pl.col("bank").is_null())
    return [pl.concat_str([pl.col("bank").fill_null(ANY_BANK), pl.lit("/"), pl.col(c)]).alias(c)
            for c in columns if c in cols]


def _duplicates(
    frame: pl.DataFrame, raw: RawTable, key: str, other: str, what: str, owner: str,
) -> tuple[list[ProblemGroup], list[ProblemGroup], list[int]]:
    """Rows sharing `key` among rows without other problems.

    The same `other` on identical rows: counted once (a note). Different `other`: a problem
    naming the ID and its lines. Same `other`, other details differing: a problem too.
    Returns (problems, notes, lines to drop as repeats).
    """
    kept = pl.col(key).filter(~pl.col(BAD) & pl.col(key).is_not_null())
    # As many distinct 64-bit hashes as rows proves the keys distinct (cheaper than hashing
    # the strings into a table); otherwise look properly.
    rows, hashes = frame.select(kept.len().alias("n"), kept.hash(7).n_unique().alias("h")).row(0)
    if rows == 0 or hashes == rows:
        return [], [], []
    if frame.select(kept.n_unique()).item() == rows:
        return [], [], []
    ok = frame.filter(~pl.col(BAD) & pl.col(key).is_not_null())
    dups = ok.filter(pl.col(key).is_duplicated()).sort(LINE)
    details = [c for c in dups.columns if c not in (LINE, key, BAD)]
    per_key = dups.group_by(key, maintain_order=True).agg(
        pl.col(other).n_unique().alias("owners"),
        pl.struct(details).n_unique().alias("variants"),
        pl.col(LINE).alias("lines"),
    )
    problems: list[ProblemGroup] = []

    def named(rows: pl.DataFrame, text: str, rest: str) -> None:
        listed = rows.head(NAMED_DUPLICATES).rows(named=True)
        for r in listed:  # (the lines are given once, by `ProblemGroup.describe`)
            problems.append(_group(raw, text.format(id=r[key]), r["lines"]))
        if rows.height > len(listed):
            lines = sorted(n for ls in rows.slice(len(listed))["lines"].to_list() for n in ls)
            problems.append(_group(raw, rest.format(n=rows.height - len(listed)), lines))

    named(per_key.filter(pl.col("owners") > 1),
          f"{what} {{id}} under different {owner}s",
          f"{{n}} more {what}s each under different {owner}s")
    named(per_key.filter((pl.col("owners") == 1) & (pl.col("variants") > 1)),
          f"{what} {{id}} repeated with different details",
          f"{{n}} more {what}s repeated with different details")
    repeats = per_key.filter((pl.col("owners") == 1) & (pl.col("variants") == 1))
    drop = sorted(n for ls in repeats["lines"].to_list() for n in ls[1:])
    notes = []
    if drop:
        notes.append(_group(raw, f"identical {what} row repeated, counted once", drop))
    return problems, notes, drop


def repeated_clients(
    book: pl.DataFrame, raw: RawTable
) -> tuple[list[ProblemGroup], list[ProblemGroup], list[int]]:
    """Client numbers several rows of a validated `book` hold, judged as `_duplicates` does.

    For `low_memory`, which meets the rows of a number held by two parts only once every
    part is read. Returns (problems, notes, lines to drop as repeats).
    """
    return _duplicates(book.with_columns(pl.lit(False).alias(BAD)), raw, "client_id",
                       "officer_id", "client", "officer")


def _reading_notes(raw: RawTable) -> list[ProblemGroup]:
    if not raw.repeated_header_lines:
        return []
    return [_group(raw, "the header repeated, left out", raw.repeated_header_lines)]


# ---------------------------------------------------------------- the two tables


def _prepare(
    frame: pl.DataFrame, text: list[str], ids: tuple[str, ...], vocab: list[str],
    tests: dict[str, pl.Expr], tally: str | None = None, implied: dict[str, str] | None = None,
) -> tuple[_Cleaning, dict[str, pl.Series], dict[str, bool], pl.DataFrame | None]:
    """Everything validation asks of whole columns, side by side in one parallel pass.

    The distinct values of the few-valued columns (tidied and looked up per value), and the
    answer to every column-level question: what the many-valued text columns need (see
    `_clean`) and the callers' own `tests`. A column expected to hold few values that holds
    more than `_MANY_DISTINCT` is then tidied by expressions, at the cost of one more pass.
    The few-valued column `tally` is counted rather than only listed (it costs the same), and
    its counts are returned per tidied value. A question `implied` by a wider one of `tests`
    is not asked: where the wider one says no, so would it; where yes, its step is taken.
    """
    few = _few_valued(frame, text + vocab)
    many = [c for c in text if c in frame.columns and c not in few]
    implied = implied or {}
    questions = {k: e for k, e in {**_clean_tests(many, ids), **tests}.items() if k not in implied}
    lazy = frame.lazy()
    queries = [lazy.group_by(c).agg(pl.len().alias("__n")) if c == tally
               else lazy.select(pl.col(c).unique()) for c in few]
    if questions and frame.height:
        queries.append(lazy.select([e.fill_null(False).any().alias(k)
                                    for k, e in questions.items()]))
    got = pl.collect_all(queries) if queries else []
    tallied = dict(zip(few, got, strict=False)).get(tally) if tally else None
    distinct = {c: g.to_series() for c, g in zip(few, got, strict=False)}
    need = (dict(zip(questions, got[-1].row(0), strict=True)) if questions and frame.height
            else dict.fromkeys(questions, False))
    need.update({k: need[wider] for k, wider in implied.items() if wider in need})
    crowded = [c for c in few if c in text and distinct[c].len() > _MANY_DISTINCT]
    for c in crowded:
        del distinct[c]  # as many values as rows: expressions, not per value
    if crowded:
        need.update(_any(frame, _clean_tests(crowded, ids)))
    cleaning = _clean(frame, text, ids, distinct, need)
    counts = None
    if tallied is not None and tally in distinct:  # (tidied as the column will be)
        counts = (
            tallied.with_columns([e for e in cleaning.exprs if e.meta.output_name() == tally])
            .group_by(tally).agg(pl.col("__n").sum().cast(pl.Int64).alias("accounts"))
        )
    return cleaning, distinct, need, counts


def validate_officers(raw: RawTable, skip_bad_rows: bool = False) -> Validated:
    """The roster: one row per officer; status defaults to active where no column says."""
    cols = set(raw.frame.columns)
    checks = _Checks(raw)
    cleaning, distinct, _, _ = _prepare(
        raw.frame,
        ["officer_id", "name", "branch", "branch_id", "region", "grade", "capacity", "bank"],
        ("officer_id",), ["status"], {},
    )
    frame = raw.frame.with_columns(cleaning.exprs)
    _id_checks(checks, "officer_id", "staff number")
    final = _within_bank(checks, cols, ("officer_id", "branch", "branch_id", "region"))
    if "status" in cols:
        status = _words(distinct["status"], "status", _STATUS)
        checks.add(f"status word not in the vocabulary (column {checks.header('status')})",
                   status.unknown)
        final.append(status.value.fill_null("active").alias("status"))
    else:
        final.append(pl.lit("active").alias("status"))
    if "capacity" in cols:
        number = pl.col("capacity").cast(pl.Float64, strict=False)
        checks.add(
            f"limit is not a whole number from 1 to {MAX_LIMIT:,} "
            f"(column {checks.header('capacity')})",
            pl.col("capacity").is_not_null()
            & (number.is_null() | ~number.is_finite() | (number < 1) | (number > MAX_LIMIT)
               | (number != number.floor())),
        )
        final.append(pl.when(number.is_finite() & (number <= MAX_LIMIT)).then(number)
                     .otherwise(None).cast(pl.Int64, strict=False).alias("capacity"))
    else:
        final.append(pl.lit(None, pl.Int64).alias("capacity"))
    final += [pl.lit(None, pl.String).alias(c)
              for c in ("name", "branch", "branch_id", "region", "grade", "bank") if c not in cols]
    frame = checks.evaluate(frame).with_columns(final).select(
        LINE, "officer_id", "name", "branch", "branch_id", "region", "status", "grade",
        "capacity", "bank", BAD,
    )
    return _finish(checks, frame, "officer_id", "name", "staff number", "name", skip_bad_rows)


CLIENT_COLUMNS = {
    "officer_id": pl.String, "officer_name": pl.String, "branch": pl.String,
    "branch_id": pl.String, "segment": pl.String, "group_id": pl.String,
    "balance": pl.Float64, "risk_class": pl.String, "assigned_since": pl.Date,
    "pinned": pl.Boolean, "bank": pl.String,
}


def validate_clients(
    raw: RawTable, skip_bad_rows: bool = False, judge_repeats: bool = True
) -> Validated:
    """The book: one row per client; a repeated identical row counts once and is noted.

    Without `judge_repeats`, rows repeating a client number are all kept, for a caller that
    reads a book a part at a time to judge over every part (`low_memory`).
    """
    cols = set(raw.frame.columns)
    checks = _Checks(raw)
    typed, tests = [], {}
    if "balance" in cols:
        typed.append(_money(pl.col("balance")).alias("__balance"))
        tests["money"] = _money_odd(pl.col("balance"), pl.col("__balance"))
    if "assigned_since" in cols:
        typed.append(_iso_date(pl.col("assigned_since")).alias("__since"))
        tests["date"] = _date_odd(pl.col("assigned_since"), pl.col("__since"))
    tests["odd_id"] = pl.col("client_id").str.contains(_ODD_ID)  # asked here, in parallel
    frame = raw.frame.hstack(_parsed(raw.frame, typed)) if typed else raw.frame
    cleaning, distinct, need, counts = _prepare(
        frame,
        ["client_id", "officer_id", "officer_name", "branch", "branch_id", "segment", "group_id",
         "bank"],
        ("client_id", "officer_id"), ["risk_class", "pinned"], tests,
        tally=None if "bank" in cols else "officer_id",  # (with banks, counted per bank)
        implied={"s:client_id": "odd_id"},  # (a space at either end is a space anywhere)
    )
    fixes = list(cleaning.exprs)
    if need.get("money"):  # some cell is more than a plain number: read them all leniently
        fixes.append(_money_lenient(pl.col("balance")).alias("__balance"))
    if need.get("date"):
        since = _date_lenient(pl.col("assigned_since"))
        if raw.encoding == "xlsx":  # (a date format the workbook reader does not know)
            since = pl.coalesce(since, _excel_serial(pl.col("assigned_since")))
        fixes.append(since.alias("__since"))
    frame = frame.with_columns(fixes)
    if "group_id" in cols:  # (`0`, `-`, `无`: an export's way of saying "no household")
        frame = frame.with_columns(pl.when(~pl.col("group_id").is_in(NO_HOUSEHOLD))
                                   .then(pl.col("group_id")).alias("group_id"))

    tidied = any(need.get(f"{k}:client_id") for k in "wsgx")  # tidying can make an odd ID
    _id_checks(checks, "client_id", "client number", need["odd_id"] or tidied)
    staff = cleaning.values.get("officer_id")
    odd_staff = (
        pl.col("officer_id").str.contains(_ODD_ID) if staff is None
        else pl.col("officer_id").is_in([v for v in staff if _ODD_ID_RE.search(v)])
    )  # a few thousand officers: checked once per staff number
    checks.add(f"staff number with spaces, line breaks or in Excel's rounded 1.2E+11 form "
               f"(column {checks.header('officer_id')})", odd_staff)
    final = _within_bank(checks, cols, ("client_id", "officer_id", "branch", "branch_id",
                                        "group_id"))
    for column, typed, test, problem in (
        ("balance", "__balance", "money", "balance is not a number"),
        ("assigned_since", "__since", "date", "date not understood"),
    ):
        if column not in cols:
            continue
        if need.get(test):  # (where every cell read plainly, no cell can be a problem)
            checks.add(f"{problem} (column {checks.header(column)})",
                       pl.col(column).str.strip_chars().ne("") & pl.col(typed).is_null())
        final.append(pl.col(typed).alias(column))
    if "risk_class" in cols:
        risk = _words(distinct["risk_class"], "risk_class", _RISK)
        checks.add(f"risk class not one of 正常/关注/次级/可疑/损失 "
                   f"(column {checks.header('risk_class')})", risk.unknown)
        final.append(risk.value.alias("risk_class"))
    if "pinned" in cols:
        pinned = _words(distinct["pinned"], "pinned", _PIN)
        checks.add(f"pinned is not yes/no (column {checks.header('pinned')})", pinned.unknown)
        final.append(pinned.means("y").alias("pinned"))
    final += [pl.lit(False if t == pl.Boolean else None, t).alias(c)
              for c, t in CLIENT_COLUMNS.items() if c not in cols]
    # passed through as read (trimmed where shown: see plan_file), only when a caller asked
    personal = [c for c in PERSONAL_COLUMNS if c in cols]
    frame = checks.evaluate(frame).with_columns(final).select(
        LINE, "client_id", *CLIENT_COLUMNS,
        *personal, BAD
    )
    return _finish(checks, frame, "client_id", "officer_id", "client", "officer", skip_bad_rows,
                   counts, judge_repeats)


def problems_error(path: str, groups: list[ProblemGroup]) -> RowProblemsError:
    """The refusal of a file with row problems: how many rows, then each kind and where."""
    rows = len({n for g in groups for n in g.lines})
    return RowProblemsError(
        f"{path}: {rows} row(s) with problems; nothing was counted "
        "(fix the export, or leave those rows out with --skip-bad-rows)",
        [g.describe() for g in groups],
    )


def _finish(
    checks: _Checks, frame: pl.DataFrame, key: str, owner_column: str, what: str, owner: str,
    skip_bad_rows: bool, counts: pl.DataFrame | None = None, judge_repeats: bool = True,
) -> Validated:
    """Duplicates among the rows without other problems; then stop, or leave the bad rows out."""
    raw = checks.raw
    problems, notes, drop = (_duplicates(frame, raw, key, owner_column, what, owner)
                             if judge_repeats else ([], [], []))
    # (each row has one problem at most: the kinds come in the order of their first rows)
    groups = sorted(checks.groups, key=lambda g: g.lines[0]) + problems
    if groups and not skip_bad_rows:
        raise problems_error(raw.path, groups)
    out, left_out = frame, []
    if groups or drop:
        gone = [n for g in problems for n in g.lines] + drop
        out = frame.filter(~pl.col(BAD) & ~pl.col(LINE).is_in(gone))
        counts = None  # rows left out: the counts taken on the way no longer hold
        left_out = (
            frame.filter(pl.col(BAD) | pl.col(LINE).is_in(gone)).select(key).drop_nulls()
            .unique().join(out.select(key), on=key, how="anti").sort(key)[key].to_list()
        )
    # The text cells are no longer needed once typed: keep what was read, not the cells.
    read = dataclasses.replace(raw, frame=raw.frame.clear())
    return Validated(out.drop(BAD), read, skipped=groups, notes=_reading_notes(raw) + notes,
                     officer_counts=counts, left_out_keys=left_out)
