"""The pandas baseline: the same per-officer count as ``floor_polars.py``, done with pandas.

``read_csv(usecols=[officer column], dtype=str)`` on both files (the C parser, pandas' default),
``value_counts`` on the clients' officer column, and a left merge onto the roster. This is the
"what a bank analyst would write in a notebook" baseline that issue 2 compares ``caseload``
against.

Prints the same JSON line as ``floor_polars.py``.

Usage: python floor_pandas.py OFFICERS.csv CLIENTS.csv [--column officer_id]
"""

from __future__ import annotations

import argparse
import json

import pandas as pd


def read(path: str, col: str) -> pd.DataFrame:
    if path.endswith(".parquet"):  # needs pyarrow, which the bench extra does not install
        return pd.read_parquet(path, columns=[col]).astype({col: str})
    return pd.read_csv(path, usecols=[col], dtype=str)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("officers")
    parser.add_argument("clients")
    parser.add_argument("--column", default="officer_id", help="officer id header in both files")
    args = parser.parse_args()
    col = args.column
    roster, clients = read(args.officers, col), read(args.clients, col)
    counts = clients[col].value_counts().rename("len").reset_index()
    loads = roster.merge(counts, on=col, how="left")
    print(json.dumps({"officers": len(loads), "clients": int(loads["len"].sum()),
                      "max": int(loads["len"].max())}))


if __name__ == "__main__":
    main()
