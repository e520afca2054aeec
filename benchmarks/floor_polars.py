"""The polars floor: the least work any tool must do to count clients per officer.

Reads only the roster's officer column and the clients' officer column (``scan_csv`` with
projection pushdown, every cell as text so leading zeros survive; ``scan_parquet`` for .parquet),
counts clients per officer with ``group_by().len()`` and joins the counts onto the roster. No
validation, no plan, no report: whatever ``caseload check`` spends above this is the price of its
features.

Prints one JSON line (officers on the roster, clients counted onto them, the largest load) so
``run.py`` can check that every floor and ``caseload`` agree.

Usage: python floor_polars.py OFFICERS.csv CLIENTS.csv [--column officer_id]
"""

from __future__ import annotations

import argparse
import json

import polars as pl


def scan(path: str) -> pl.LazyFrame:
    if path.endswith(".parquet"):
        return pl.scan_parquet(path)
    return pl.scan_csv(path, infer_schema=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("officers")
    parser.add_argument("clients")
    parser.add_argument("--column", default="officer_id", help="officer id header in both files")
    args = parser.parse_args()
    col = args.column
    roster = scan(args.officers).select(pl.col(col).cast(pl.String))
    counts = scan(args.clients).select(pl.col(col).cast(pl.String)).group_by(col).len()
    loads = (
        roster.join(counts, on=col, how="left")
        .select(pl.len().alias("officers"), pl.col("len").sum().alias("clients"),
                pl.col("len").max().alias("max"))
        .collect()
    )
    officers, clients, biggest = loads.row(0)
    print(json.dumps({"officers": officers, "clients": int(clients or 0),
                      "max": int(biggest or 0)}))


if __name__ == "__main__":
    main()
