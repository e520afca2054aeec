"""Counts, limits, bands and orphans: who carries how many clients, and whose clients have nobody.

Every client row ends up either in exactly one officer's count or among the orphans, so the
figures add up to the number of client rows; that invariant is what makes the check trustworthy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import polars as pl

from caseload.columns import ANY_BANK, ONE_BRANCH, normalise_word
from caseload.config import Settings
from caseload.load import LINE, vocabulary_key

ORPHAN_KINDS = ("unassigned", "unknown_officer", "departed")
# What the planner reads of a client that may move (the rest of the book stays where it is).
MOVABLE_COLUMNS = (
    LINE, "client_id", "officer_id", "branch", "branch_id", "bank", "group_id", "balance",
    "risk_class", "assigned_since", "pinned",
)


@dataclass
class Workload:
    """Per-officer loads and per-client ownership, ready for a report or the planner."""

    officers: pl.DataFrame  # roster + branch_key, limit, accounts, over, near
    movable: pl.DataFrame  # orphans and over-limit officers' clients (MOVABLE_COLUMNS), annotated
    summary: dict[str, int]
    book: pl.DataFrame = field(repr=False)  # every client, as validated
    branch_column: str = "branch"
    only_branch: dict[str | None, str] | None = None  # bank -> its one branch, where it has one
    one_branch: bool = False  # a roster without branches: each bank is one branch
    held: int = 0  # clients of officers whose roster rows were left out: counted, not planned
    lost_zeros: int = 0  # clients of unknown staff numbers that are roster numbers but for 0s
    roster_lost_zeros: int = 0  # ... that are roster numbers with 0s before them (00456: 456)

    @cached_property
    def clients(self) -> pl.DataFrame:
        """The whole book + branch_key, orphan (null or one of ORPHAN_KINDS).

        Built on demand: the planner needs only `movable`, a fraction of the book.
        """
        return _annotated(self.book, self.officers, self.branch_column, self.only_branch,
                          self.one_branch)


def branch_keys_use_ids(officers: pl.DataFrame, clients_have_codes: bool) -> bool:
    """A branch code identifies a branch when both exports carry it; names repeat across banks.

    (`clients_have_codes`: some client row gives one, or there are no client rows.)
    """
    return bool(officers["branch_id"].is_not_null().any()) and clients_have_codes


def near_floor(limit: pl.Expr, fraction: float) -> pl.Expr:
    """Smallest account count that is 'near' a limit (90% of 300 is 270), free of float noise."""
    return (limit.cast(pl.Float64) * fraction - 1e-9).ceil().cast(pl.Int64)


def limit_expr(settings: Settings) -> pl.Expr:
    """An officer's own capacity, else the limit of their grade, else the threshold."""
    # (grades compare as vocabulary words do: 客户经理（初级） as exported is 客户经理(初级))
    by_grade = {normalise_word(g): v for g, v in settings.grade_limits.items()}
    grade_limit = (
        vocabulary_key(pl.col("grade"))
        .replace_strict(by_grade, default=None, return_dtype=pl.Int64)
        if by_grade else pl.lit(None, pl.Int64)
    )
    return pl.coalesce(pl.col("capacity"), grade_limit, pl.lit(settings.threshold, pl.Int64))


def count_workload(
    officers: pl.DataFrame, clients: pl.DataFrame, settings: Settings,
    counts: pl.DataFrame | None = None, left_out: list[str] | None = None,
    book_rows: int | None = None, book_branch_ids: bool | None = None,
) -> Workload:
    """`counts` (officer_id, accounts), when validation already counted the book.

    Counts that do not add up to the book (a frame filtered since) are not trusted. Clients of
    the `left_out` staff numbers (roster rows left out with --skip-bad-rows) are counted as not
    on the roster but never planned away: their officer may well be there.

    With `book_rows` (--low-memory), `clients` holds only the clients that may move, and
    `counts` and `book_branch_ids` say what the whole book of `book_rows` rows held.
    """
    rows = clients.height if book_rows is None else book_rows
    if book_rows is not None and counts is None:
        raise ValueError("a partial book needs the whole book's counts")
    codes = (rows == 0 or (bool(clients["branch_id"].is_not_null().any())
                           if book_branch_ids is None else book_branch_ids))
    use_ids = branch_keys_use_ids(officers, codes)
    key = "branch_id" if use_ids else "branch"
    # A roster with no branch at all (one branch's own export) is one branch, of each bank in
    # a province-wide export; its clients are in it, whatever branch their own rows name.
    single = officers[key].null_count() == officers.height
    branch_key = _one_branch() if single else pl.col(key)
    roster = officers.with_columns(
        branch_key.alias("branch_key"), limit_expr(settings).alias("limit")
    )
    if counts is not None and counts["accounts"].sum() != rows:
        if book_rows is not None:
            raise ValueError("the counts of a partial book do not add up to its rows")
        counts = None
    if counts is None:
        counts = (  # (on the streaming engine: less held at once on a province-wide book)
            clients.lazy().group_by("officer_id").agg(pl.len().cast(pl.Int64).alias("accounts"))
            .collect(engine="streaming")
        )
    roster = roster.join(counts, on="officer_id", how="left", nulls_equal=False).with_columns(
        pl.col("accounts").fill_null(0)
    )
    active = pl.col("status") == "active"
    over = active & (pl.col("accounts") > pl.col("limit"))
    near = active & ~over & (pl.col("accounts") >= near_floor(pl.col("limit"), settings.near_fraction))
    roster = roster.with_columns(over.alias("over"), near.alias("near"))

    # Orphans, and who may lose clients, from the per-officer counts (thousands of rows, not
    # the book): officers unknown to the roster, departed or over the limit, and nobody.
    listed = counts.join(roster.select("officer_id", "status", "over"), on="officer_id",
                         how="left", nulls_equal=False)
    nobody = pl.col("officer_id").is_null()
    unknown = ~nobody & pl.col("status").is_null()
    departed = pl.col("status") == "departed"
    by_kind = {
        kind: int(listed.filter(test)["accounts"].sum())
        for kind, test in zip(ORPHAN_KINDS, (nobody, unknown, departed), strict=True)
    }
    held = _held(left_out or [])
    losing = listed.filter((unknown & ~held) | departed | pl.col("over").fill_null(False))[
        "officer_id"]
    only_branch = dict(  # (per bank: in a province-wide export, each bank is its own)
        roster.filter(pl.col("branch_key").is_not_null()).group_by("bank")
        .agg(pl.col("branch_key").unique()).filter(pl.col("branch_key").list.len() == 1)
        .select("bank", pl.col("branch_key").list.first()).rows()
    )
    movable = _annotated(
        clients.lazy().select(c for c in MOVABLE_COLUMNS if c in clients.columns)
        .filter(nobody | pl.col("officer_id").is_in(losing.implode())).collect(),
        roster, key, only_branch, single,
    )
    summary = {
        "clients": rows,
        "officers": roster.height,
        "active_officers": int((roster["status"] == "active").sum()),
        "over": int(roster["over"].sum()),
        "near": int(roster["near"].sum()),
        "orphaned": sum(by_kind.values()),
        **by_kind,
        "excess": int(roster.filter("over").select(pl.col("accounts") - pl.col("limit")).sum()
                      .item() or 0),
    }
    return Workload(officers=roster, movable=movable, summary=summary, book=clients,
                    branch_column=key, only_branch=only_branch, one_branch=single,
                    held=int(listed.filter(unknown & held)["accounts"].sum()),
                    **_lost_zeros(listed.filter(unknown), roster))


def _lost_zeros(unknown: pl.DataFrame, roster: pl.DataFrame) -> dict[str, int]:
    """Clients whose unknown staff number is a roster number without its leading zeros
    (`lost_zeros`), or with zeros the roster's number lost (`roster_lost_zeros`).

    A staff-number column formatted as a number in Excel turns 00456 into 456; such clients
    count as not on the roster, which is right for the file but worth saying. In a
    province-wide export the numbers are compared within each bank (`bank/00456`).
    """
    if unknown.is_empty():
        return {"lost_zeros": 0, "roster_lost_zeros": 0}
    banks = roster["bank"].is_not_null().any()
    bank = pl.col("officer_id").str.extract(r"^([^/]*/)", 1).fill_null("") if banks else pl.lit("")
    number = pl.col("officer_id").str.replace(r"^[^/]*/", "") if banks else pl.col("officer_id")
    digits = number.str.contains(r"^\d+$")
    bare = pl.concat_str([bank, number.str.strip_chars_start("0")]).alias("bare")
    length = number.str.len_bytes()
    on_roster = roster.lazy().filter(digits).select(bare, length.alias("roster_length"))
    per_officer = (  # (one query: each unknown number counted once, whatever it matched)
        unknown.lazy().filter(digits).select("officer_id", "accounts", bare, length.alias("length"))
        .join(on_roster, on="bare", how="inner")
        .group_by("officer_id").agg(
            pl.col("accounts").first(),
            (pl.col("length") < pl.col("roster_length")).any().alias("lost"),
            (pl.col("length") > pl.col("roster_length")).any().alias("roster_lost"),
        )
    )
    lost, roster_lost = per_officer.select(
        pl.col("accounts").filter("lost").sum().alias("lost"),
        pl.col("accounts").filter("roster_lost").sum().alias("roster_lost"),
    ).collect().row(0)
    return {"lost_zeros": int(lost or 0), "roster_lost_zeros": int(roster_lost or 0)}


def _held(left_out: list[str]) -> pl.Expr:
    """Staff numbers of roster rows left out (--skip-bad-rows): their clients are held, not
    planned. A row left out for its blank bank holds that number in every bank."""
    anywhere = [k.removeprefix(ANY_BANK + "/") for k in left_out if k.startswith(ANY_BANK + "/")]
    held = pl.col("officer_id").is_in(left_out)
    if anywhere:
        held = held | pl.col("officer_id").str.replace(r"^[^/]*/", "").is_in(anywhere)
    return held


def _one_branch() -> pl.Expr:
    """The key of the one branch a roster without branches describes (per bank, if any)."""
    return (pl.when(pl.col("bank").is_not_null())
            .then(pl.col("bank") + pl.lit("/" + ONE_BRANCH)).otherwise(pl.lit(ONE_BRANCH)))


def _annotated(
    clients: pl.DataFrame, roster: pl.DataFrame, key: str,
    only_branch: dict[str | None, str] | None,
    one_branch: bool = False,
) -> pl.DataFrame:
    """Clients + the branch each belongs to and, for orphans, why nobody manages them."""
    owner = roster.select(
        "officer_id", pl.col("status").alias("officer_status"),
        pl.col("branch_key").alias("officer_branch"),
    )
    # A client's branch: its own (by code, or by a name the roster gives one code), else its
    # officer's; with neither and no known officer, the roster's only branch (its bank's, in a
    # province-wide export).
    own = [pl.col(key)]
    if key == "branch_id" and (by_name := _code_of_name(roster)) is not None:
        own.append(by_name)
    return clients.join(owner, on="officer_id", how="left", nulls_equal=False).with_columns(
        (_one_branch() if one_branch else pl.coalesce(
            *own, pl.col("officer_branch"), _only_branch(only_branch or {}),
        )).alias("branch_key"),
        pl.when(pl.col("officer_id").is_null()).then(pl.lit("unassigned"))
        .when(pl.col("officer_status").is_null()).then(pl.lit("unknown_officer"))
        .when(pl.col("officer_status") == "departed").then(pl.lit("departed"))
        .otherwise(None).alias("orphan"),
    )


def _code_of_name(roster: pl.DataFrame) -> pl.Expr | None:
    """Where branches are known by code, a client row giving only its branch's name: the code
    the roster gives that name, where it gives exactly one."""
    codes = (roster.filter(pl.col("branch").is_not_null() & pl.col("branch_id").is_not_null())
             .group_by("branch").agg(pl.col("branch_id").unique())
             .filter(pl.col("branch_id").list.len() == 1)
             .select("branch", pl.col("branch_id").list.first()))
    if codes.is_empty():
        return None
    return pl.col("branch").replace_strict(dict(codes.rows()), default=None,
                                           return_dtype=pl.String)


def _only_branch(only: dict[str | None, str]) -> pl.Expr:
    """The one branch of a client's bank, where its bank has only one (bank None: no banks)."""
    expr = pl.lit(only.get(None), pl.String)
    banks = {bank: branch for bank, branch in only.items() if bank is not None}
    if banks:
        expr = pl.when(pl.col("bank").is_null()).then(expr).otherwise(
            pl.col("bank").replace_strict(banks, default=None, return_dtype=pl.String))
    return expr


def branch_shown(name: str, key: str) -> pl.Expr:
    """A branch as outputs name it: its name, else its key (a code exported without a name);
    none for the placeholder key of a roster without branches."""
    placeholder = (pl.col(key) == ONE_BRANCH) | pl.col(key).str.ends_with("/" + ONE_BRANCH)
    return pl.coalesce(pl.col(name), pl.when(~placeholder).then(pl.col(key)))


def branch_name() -> pl.Expr:
    """A branch's name where the roster gives its code more than one (a rename half-done):
    the one most of its officers' rows give, else the first in sorting order; never the row
    order of the file."""
    names = pl.col("branch").drop_nulls()
    return names.filter(names.is_in(names.mode().implode())).min()


def branch_names(officers: pl.DataFrame) -> pl.DataFrame:
    """branch_key -> the branch name people read (null where only a code is exported)."""
    return (
        officers.filter(pl.col("branch_key").is_not_null())
        .group_by("branch_key")
        .agg(branch_name().alias("branch_name"))
    )
