"""Masking client personal data (names, ID numbers, phones) for plans and reports.

Personal financial information is shown masked unless the user asks otherwise
(`--show-personal-data`): 张三 -> 张*, 421022199001011234 -> 421022********1234,
13812345678 -> 138****5678. Polars expressions, so a plan of any size is masked in one pass.
"""

from __future__ import annotations

import polars as pl

from caseload.columns import PERSONAL_COLUMNS


def mask_name(col: pl.Expr) -> pl.Expr:
    """Keep the first character (the surname), star the rest; a one-character name: ``*``."""
    n = col.str.len_chars()
    return pl.when(n > 1).then(
        col.str.slice(0, 1) + pl.lit("*").repeat_by(n - 1).list.join("")
    ).otherwise(pl.when(n == 1).then(pl.lit("*")).otherwise(col))


def _keep_ends(col: pl.Expr, head: int, tail: int) -> pl.Expr:
    n = col.str.len_chars()
    masked = (
        col.str.slice(0, head)
        + pl.lit("*").repeat_by((n - head - tail).clip(lower_bound=0)).list.join("")
        + col.str.slice(-tail, tail)
    )
    return pl.when(n > head + tail).then(masked).otherwise(
        pl.lit("*").repeat_by(n).list.join("")
    )


def mask_id_number(col: pl.Expr) -> pl.Expr:
    """Region code and last four: 421022********1234."""
    return _keep_ends(col, 6, 4)


def mask_phone(col: pl.Expr) -> pl.Expr:
    """Prefix and last four: 138****5678."""
    return _keep_ends(col, 3, 4)


MASKS = {"client_name": mask_name, "id_number": mask_id_number, "phone": mask_phone}


def masked(frame: pl.DataFrame, show: bool = False) -> pl.DataFrame:
    """The frame with every personal column present masked (unless `show`)."""
    if show:
        return frame
    present = [c for c in PERSONAL_COLUMNS if c in frame.columns]
    return frame.with_columns(MASKS[c](pl.col(c)).alias(c) for c in present)
