"""The layout of a plan file: the columns a branch head reviews and `apply` reads back."""

from __future__ import annotations

import polars as pl

from caseload.columns import RISK_NAMES_ZH
from caseload.engines import in_memory
from caseload.load import LINE
from caseload.plan import Plan
from caseload.privacy import masked
from caseload.workload import branch_names, branch_shown

PLAN_FILE_COLUMNS = (
    "client_id", "client_name", "from_officer_id", "from_officer_name", "to_officer_id", "to_officer_name",
    "branch", "to_branch", "group_id", "risk_class", "balance", "assigned_since",
    "from_before", "from_after", "to_before", "to_after", "crosses_branch", "reason",
    "source_line",
)


@in_memory
def plan_frame(plan: Plan, book: pl.DataFrame | None = None, show_personal: bool = False,
               parts: list[tuple[str, int]] | None = None, lang: str = "en") -> pl.DataFrame:
    """The moves as a branch head reviews them; with the book, client names (masked by default).

    ID numbers and phones are never put in a plan: a name is enough to recognise a client.
    Read from a folder of `parts` (see `RawTable.parts`), each client's line is given in its
    own part, with the part's name in `source_file` before it. In `lang` zh the risk classes
    read 正常…损失, as the reasons beside them are Chinese (`apply` reads neither).
    """
    names = plan.officers.select("officer_id", "name")
    branches = branch_names(plan.officers)
    moves = plan.moves
    if lang == "zh":
        moves = moves.with_columns(pl.col("risk_class").replace(RISK_NAMES_ZH))
    if book is not None and "client_name" in book.columns:
        # trim and mask after the join: the moved clients, not the whole book
        name = pl.col("client_name").str.strip_chars()
        moves = masked(
            moves.join(book.select(LINE, "client_name"), on=LINE, how="left",
                       maintain_order="left")
            .with_columns(pl.when(name != "").then(name).alias("client_name")),
            show=show_personal,
        )
    else:
        moves = moves.with_columns(pl.lit(None, pl.String).alias("client_name"))
    columns = list(PLAN_FILE_COLUMNS)
    source = [pl.col(LINE).alias("source_line")]
    if parts:
        part = pl.sum_horizontal(pl.lit(0), *[pl.col(LINE) >= first for _, first in parts[1:]])
        source = [
            part.replace_strict(dict(enumerate(n for n, _ in parts)), return_dtype=pl.String)
            .alias("source_file"),
            (pl.col(LINE) + 1 - part.replace_strict(dict(enumerate(f for _, f in parts)),
                                                    return_dtype=pl.Int64)).alias("source_line"),
        ]
        columns.insert(columns.index("source_line"), "source_file")
    kept = "left"  # (the moves' order, the export's: each join keeps it)
    return (
        moves
        .join(names.rename({"officer_id": "from_officer_id", "name": "from_officer_name"}),
              on="from_officer_id", how="left", maintain_order=kept)
        .join(names.rename({"officer_id": "to_officer_id", "name": "to_officer_name"}),
              on="to_officer_id", how="left", maintain_order=kept)
        .join(branches, on="branch_key", how="left", maintain_order=kept)
        .join(branches.rename({"branch_key": "to_branch_key", "branch_name": "to_branch"}),
              on="to_branch_key", how="left", maintain_order=kept)
        .with_columns(
            branch_shown("branch_name", "branch_key").alias("branch"),
            branch_shown("to_branch", "to_branch_key").alias("to_branch"),
            *source,
        )
        .select(columns)
    )
