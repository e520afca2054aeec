#!/usr/bin/env python3
"""Wall time of each stage of ``caseload plan`` in one fresh process, without a profiler.

Why this exists: pyinstrument (``profile_hotspots.py``) says which Python line is hot but adds
its own overhead and charges polars' Rust time to whichever line called it. This runs the
stages the ``plan`` command runs, in order, in a new interpreter (so imports, the first
allocations and polars' thread start-up are paid where the command pays them) and prints how
long each took. ``check`` is the same up to "report", then prints JSON instead.

Usage::

    python benchmarks/stages.py benchmarks/data/clients-1000000-csv-utf8-en
    python benchmarks/stages.py DIR --runs 5       # the fastest of 5 fresh processes per stage
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

CHILD = r"""
import io, json, sys, time, datetime as dt
start = time.perf_counter()
marks = []
def mark(name):
    marks.append((name, time.perf_counter()))
import polars, typer
mark("import polars, typer")
from caseload.check import CLIENT_COLUMNS_FOR_PLANNING
from caseload.config import ReadOptions, Settings
from caseload.load import read_table
from caseload.plan import make_plan
from caseload.plan_file import plan_frame
from caseload.output import write_frame
from caseload.report import build_check_report
from caseload.validate import validate_clients, validate_officers
from caseload.workload import count_workload
mark("import caseload")
folder, out = sys.argv[1], sys.argv[2]
ext = "parquet" if folder.endswith("parquet-utf8-en") else "csv"
officers = validate_officers(read_table(f"{folder}/officers.{ext}", "officers"))
mark("read + validate officers")
raw = read_table(f"{folder}/clients.{ext}", "clients", ReadOptions(),
                 wanted=CLIENT_COLUMNS_FOR_PLANNING + ("client_name",))
mark("read clients")
clients = validate_clients(raw)
del raw
mark("validate clients")
settings = Settings(as_of=dt.date(2026, 11, 20))
work = count_workload(officers.frame, clients.frame, settings, clients.officer_counts)
mark("count")
plan = make_plan(work, settings)
mark("plan")
report = build_check_report(work, plan, settings, [])
mark("report")
from pathlib import Path
write_frame(plan_frame(plan, clients.frame), Path(out), settings.as_of)
mark("plan file")
from rich.console import Console
from caseload.render.table import render_plan
render_plan(report, out, Console(file=io.StringIO(), width=100), "en")
mark("import rich + tables")
previous, stages = start, {}
for name, t in marks:
    stages[name] = t - previous
    previous = t
stages["total"] = previous - start
print(json.dumps(stages))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", help="a generated data folder (officers.csv, clients.csv)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", default="/tmp/caseload-stages-moves.csv")
    args = parser.parse_args()
    best: dict[str, float] = {}
    for _ in range(args.runs):
        done = subprocess.run([sys.executable, "-c", CHILD, args.folder, args.out],
                              capture_output=True, text=True, check=True)
        for name, seconds in json.loads(done.stdout).items():
            best[name] = min(seconds, best.get(name, seconds))
    print(f"| stage (fastest of {args.runs} fresh processes) | s |\n|---|---:|")
    for name, seconds in best.items():
        print(f"| {name} | {seconds:.3f} |")


if __name__ == "__main__":
    main()
