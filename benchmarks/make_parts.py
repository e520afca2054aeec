#!/usr/bin/env python3
"""Build a province-sized folder of Parquet parts from one generated bank, for the 50M test.

Why: the data generator holds a whole bank in memory, so 50M clients cannot be generated in
one go on a 24 GB machine. A province is many banks anyway: this writes COPIES banks, each a
copy of the generated one with its staff numbers, client numbers, branch codes and household
ids suffixed by the bank's number (``-3``), one Parquet part per bank, streamed from disk so
that building it needs little memory. The roster of every bank goes into one officers file.

Usage (5M clients per bank, 10 banks = 50M clients, 312,500 officers)::

    python scripts/generate_data.py scale --clients 5000000 --format parquet --out /tmp/p5m
    python benchmarks/make_parts.py --bank /tmp/p5m --copies 10 --out /tmp/p50m
    /usr/bin/time -v caseload check /tmp/p50m/officers.parquet /tmp/p50m/clients \\
        --as-of 2026-11-20 --format json > /dev/null
"""

from __future__ import annotations

import argparse
from pathlib import Path

import polars as pl

SUFFIXED = {
    "clients": ("client_id", "officer_id", "branch_id", "group_id"),
    "officers": ("officer_id", "branch_id"),
}


def suffixed(frame: pl.LazyFrame, kind: str, bank: int) -> pl.LazyFrame:
    """One bank's copy: every identifier made unique to it (nulls stay null)."""
    present = set(frame.collect_schema())
    return frame.with_columns(
        (pl.col(c).cast(pl.String) + f"-{bank}").alias(c) for c in SUFFIXED[kind] if c in present
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bank", type=Path, required=True,
                        help="folder with officers.parquet and clients.parquet")
    parser.add_argument("--copies", type=int, default=10)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    parts = args.out / "clients"
    parts.mkdir(parents=True, exist_ok=True)
    for bank in range(args.copies):
        suffixed(pl.scan_parquet(args.bank / "clients.parquet"), "clients", bank).sink_parquet(
            parts / f"bank-{bank:03}.parquet"
        )
        print(f"wrote bank {bank + 1} of {args.copies}", flush=True)
    pl.concat(
        suffixed(pl.scan_parquet(args.bank / "officers.parquet"), "officers", bank)
        for bank in range(args.copies)
    ).sink_parquet(args.out / "officers.parquet")
    print(f"wrote {args.out}/officers.parquet and {args.copies} parts in {parts}")


if __name__ == "__main__":
    main()
