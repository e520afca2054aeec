"""The DuckDB baseline: the same per-officer count as ``floor_polars.py``, in one SQL query.

``read_csv(..., all_varchar = true)`` on both files (so leading zeros survive and no type
sniffing runs over the data), ``GROUP BY`` the clients' officer column, ``LEFT JOIN`` onto the
roster. DuckDB uses every core by default, as polars does.

Prints the same JSON line as ``floor_polars.py``.

Usage: python floor_duckdb.py OFFICERS.csv CLIENTS.csv [--column officer_id]
"""

from __future__ import annotations

import argparse
import json

import duckdb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("officers")
    parser.add_argument("clients")
    parser.add_argument("--column", default="officer_id", help="officer id header in both files")
    args = parser.parse_args()
    col = '"' + args.column.replace('"', '""') + '"'
    parquet = args.clients.endswith(".parquet")
    reader = "read_parquet({})" if parquet else "read_csv({}, header = true, all_varchar = true)"
    query = f"""
        WITH counts AS (
            SELECT CAST({col} AS VARCHAR) AS officer, count(*) AS n
            FROM {reader.format("$clients")}
            GROUP BY 1
        )
        SELECT count(*), sum(counts.n), max(counts.n)
        FROM {reader.format("$officers")} AS roster
        LEFT JOIN counts ON CAST(roster.{col} AS VARCHAR) = counts.officer
    """
    con = duckdb.connect()
    officers, clients, biggest = con.execute(
        query, {"officers": args.officers, "clients": args.clients}
    ).fetchone()
    print(json.dumps({"officers": officers, "clients": int(clients or 0),
                      "max": int(biggest or 0)}))


if __name__ == "__main__":
    main()
