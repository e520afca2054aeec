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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("officers")
    parser.add_argument("clients")
    parser.add_argument("--column", default="officer_id", help="officer id header in both files")
    args = parser.parse_args()
    col = args.column
    roster = pd.read_csv(args.officers, usecols=[col], dtype=str)
    clients = pd.read_csv(args.clients, usecols=[col], dtype=str)
    counts = clients[col].value_counts().rename("len").reset_index()
    loads = roster.merge(counts, on=col, how="left")
    print(json.dumps({"officers": len(loads), "clients": int(loads["len"].sum()),
                      "max": int(loads["len"].max())}))


if __name__ == "__main__":
    main()
