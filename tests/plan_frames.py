"""Canonical frame schemas, as validate.py hands them to the planner, for hand-built tests."""

from __future__ import annotations

import polars as pl

OFFICER_SCHEMA = {
    "__line": pl.Int64, "officer_id": pl.String, "name": pl.String, "branch": pl.String,
    "branch_id": pl.String, "region": pl.String, "status": pl.String, "grade": pl.String,
    "capacity": pl.Int64, "bank": pl.String,
}
CLIENT_SCHEMA = {
    "__line": pl.Int64, "client_id": pl.String, "officer_id": pl.String,
    "officer_name": pl.String, "branch": pl.String, "branch_id": pl.String,
    "segment": pl.String, "group_id": pl.String, "balance": pl.Float64,
    "risk_class": pl.String, "assigned_since": pl.Date, "pinned": pl.Boolean,
    "bank": pl.String,
}
