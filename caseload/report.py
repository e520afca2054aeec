"""The report model: plain data assembled from a workload and a plan, for every renderer.

Renderers only lay this out; they never compute. Keys and values here are the JSON contract.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import polars as pl

from caseload.config import Settings
from caseload.plan import Plan
from caseload.validate import ProblemGroup, Validated
from caseload.workload import Workload, branch_names, branch_shown

SCHEMA_VERSION = 1


@dataclass
class InputNote:
    """What reading left out or folded, per file, so nothing is lost silently."""

    path: str
    rows: int
    skipped: list[ProblemGroup] = field(default_factory=list)
    notes: list[ProblemGroup] = field(default_factory=list)
    total_lines: list[int] = field(default_factory=list)


@dataclass
class CheckReport:
    """The officers and transfers are kept as frames (`officer_rows`, `transfer_rows`): a
    province has tens of thousands, and JSON writes them straight from the frames. `officers`
    and `transfers` give them as dicts, for renderers that lay out rows one by one."""

    threshold: int
    near_fraction: float
    as_of: dt.date
    scope: str
    summary: dict[str, int]
    officer_rows: pl.DataFrame
    transfer_rows: pl.DataFrame
    branches: list[dict[str, Any]]
    still_over: list[dict[str, Any]]
    inputs: list[InputNote]

    @cached_property
    def officers(self) -> list[dict[str, Any]]:
        return self.officer_rows.to_dicts()

    @cached_property
    def transfers(self) -> list[dict[str, Any]]:
        return self.transfer_rows.to_dicts()

    @property
    def has_findings(self) -> bool:
        return self.summary["over"] > 0 or self.summary["orphaned"] > 0

    def over_and_near(self) -> list[dict[str, Any]]:
        """Officers over, then near, the heaviest (by share of limit) first."""
        rows = [o for o in self.officers if o["over"] or o["near"]]
        return sorted(rows, key=lambda o: (-o["accounts"] / o["capacity"], -o["accounts"],
                                           o["officer_id"]))

    def left_out(self, total_line_label: str) -> list[tuple[str, str, int, list[int]]]:
        """(file, problem, rows, lines) for every row left out or folded, total lines included."""
        rows = []
        for note in self.inputs:
            for g in [*note.skipped, *note.notes]:
                rows.append((note.path, g.problem, g.count, g.lines))
            if note.total_lines:
                rows.append((note.path, total_line_label, len(note.total_lines),
                             note.total_lines))
        return rows

    def to_json(self, frames: bool = False) -> dict[str, Any]:
        """The JSON document as plain data; with `frames`, officers and transfers stay frames
        (for `render.json_out`, which writes them faster than it could their dicts)."""
        return {
            "schema_version": SCHEMA_VERSION,
            "as_of": self.as_of.isoformat(),
            "threshold": self.threshold,
            "near_fraction": self.near_fraction,
            "scope": self.scope,
            "summary": self.summary,
            "officers": self.officer_rows if frames else self.officers,
            "transfers": self.transfer_rows if frames else self.transfers,
            "branches": self.branches,
            "still_over": [{"officer_id": o["officer_id"], "excess_left": o["excess_left"],
                            "why": o["why_en"]} for o in self.still_over],
            "inputs": [
                {
                    "path": n.path,
                    "rows_used": n.rows,
                    "skipped_rows": sum(g.count for g in n.skipped),
                    "skipped": [_group_json(g) for g in n.skipped],
                    "notes": [_group_json(g) for g in n.notes],
                    "total_lines": n.total_lines,
                }
                for n in self.inputs
            ],
        }


def _group_json(g: ProblemGroup) -> dict[str, Any]:
    return {"problem": g.problem, "count": g.count, "lines": g.lines}


def input_note(v: Validated) -> InputNote:
    return InputNote(path=v.raw.path, rows=v.rows, skipped=v.skipped, notes=v.notes,
                     total_lines=v.raw.total_lines)


def _branch_counts(work: Workload) -> pl.DataFrame:
    """Per branch: its clients, orphaned, officers near their limit, officers on the roster.

    A branch's clients are its officers' (a departed officer's too, orphaned), and the clients
    with no officer on the roster recorded in it. Summed over the branches (no branch
    included) they are the summary's figures: the weekly history adds up branches recorded by
    separate runs (one cron job per branch), each run owning its officers' branches.
    """
    departed = pl.col("status") == "departed"
    roster = work.officers.group_by("branch_key").agg(
        pl.col("accounts").sum().alias("managed"),
        pl.col("accounts").filter(departed).sum().alias("departed"),
        pl.col("near").sum().cast(pl.Int64).alias("near"),
        pl.len().cast(pl.Int64).alias("roster_officers"),
    )
    # (held clients, whose roster rows were left out, are not in `movable`: then the book)
    book = work.clients if work.held else work.movable
    no_officer = book.filter(pl.col("orphan").is_in(["unassigned", "unknown_officer"])) \
        .group_by("branch_key").agg(pl.len().cast(pl.Int64).alias("no_officer"))
    return (
        roster.join(no_officer, on="branch_key", how="full", coalesce=True, nulls_equal=True)
        .with_columns(pl.col("managed", "departed", "near", "roster_officers", "no_officer")
                      .fill_null(0))
        .select("branch_key", (pl.col("managed") + pl.col("no_officer")).alias("clients"),
                (pl.col("departed") + pl.col("no_officer")).alias("orphaned"), "near",
                "roster_officers")
    )


def build_check_report(
    work: Workload, plan: Plan, settings: Settings, inputs: list[InputNote]
) -> CheckReport:
    roster = plan.officers.sort("officer_id")
    officers = roster.select(
        "officer_id", "name", "branch", pl.col("branch_id"), "region", "status", "grade",
        "accounts", pl.col("limit").alias("capacity"), "over", "near", "accounts_after",
    )
    branch_of = dict(branch_names(roster).rows())
    transfers = _named_transfers(plan.transfers, roster)
    counts = {r["branch_key"]: r for r in _branch_counts(work).to_dicts()}
    none = {"clients": 0, "orphaned": 0, "near": 0, "roster_officers": 0}
    branches = [
        {**b, "branch": b["branch"] or branch_of.get(b["branch_key"], b["branch_key"]),
         **{k: counts.get(b["branch_key"], none)[k] for k in none}}
        for b in plan.branches.to_dicts()
    ]
    listed = {b["branch_key"] for b in branches}
    zeros = dict.fromkeys(plan.branches.columns, 0)
    branches += [  # (a branch with clients but no active officer, all placed elsewhere)
        {**zeros, "branch_key": key, "branch": branch_of.get(key, key), "mean_before": 0.0,
         "mean_after": 0.0, **{k: c[k] for k in none}}
        for key, c in sorted(counts.items(), key=lambda kv: (kv[0] is None, kv[0] or ""))
        if key not in listed and (c["clients"] or c["roster_officers"])
    ]
    summary = dict(work.summary)
    summary["moves"] = plan.moved.height
    summary["cannot_place"] = int(plan.branches["cannot_place"].sum())
    summary["over_after"] = int(plan.officers["over_after"].sum())
    return CheckReport(
        threshold=settings.threshold, near_fraction=settings.near_fraction, as_of=settings.as_of,
        scope=settings.scope, summary=summary, officer_rows=officers, transfer_rows=transfers,
        branches=branches, still_over=plan.still_over.to_dicts(), inputs=inputs,
    )


def _named_transfers(transfers: pl.DataFrame, roster: pl.DataFrame) -> pl.DataFrame:
    """The plan's transfers with both officers' names and both branches as the plan file
    names them (`workload.branch_shown`)."""
    names = roster.select("officer_id", "name")
    branches = branch_names(roster)
    for key in ("branch_key", "to_branch_key"):
        transfers = transfers.join(
            branches.rename({"branch_key": key, "branch_name": f"name_{key}"}),
            on=key, how="left", maintain_order="left",
        )
    return (
        transfers
        .join(names.rename({"officer_id": "from_officer_id", "name": "from_name"}),
              on="from_officer_id", how="left", maintain_order="left")
        .join(names.rename({"officer_id": "to_officer_id", "name": "to_name"}),
              on="to_officer_id", how="left", maintain_order="left")
        .select("from_officer_id", "from_name", "to_officer_id", "to_name",
                branch_shown("name_branch_key", "branch_key").alias("branch"),
                branch_shown("name_to_branch_key", "to_branch_key").alias("to_branch"),
                "crosses_branch", "clients")
    )
