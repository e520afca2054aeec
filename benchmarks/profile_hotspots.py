#!/usr/bin/env python3
"""Profile ``caseload check`` and ``caseload plan`` with pyinstrument, to find what to optimise.

Why this exists: ``run.py`` says how far ``caseload`` is from the floor, not where the time goes.
This runs each command once under pyinstrument (a sampling profiler: it sees Python frames, so
time spent inside polars' Rust code is charged to the Python line that called it, e.g. a
``collect()``), on the same cached data as ``run.py``, and writes for each command:

* ``benchmarks/out/profile-<command>-<size>.txt``: the call tree, as a share of total time;
* ``benchmarks/out/profile-<command>-<size>-flat.txt``: functions by their own (self) time;
* ``benchmarks/out/profile-<command>-<size>.pyisession``: the raw session, for
  ``python -m pyinstrument --load FILE -r html -o FILE.html``.

It then prints the top functions by self time. Needs ``pip install pyinstrument``.

Usage::

    python benchmarks/profile_hotspots.py                     # 1M clients, check and plan
    python benchmarks/profile_hotspots.py --clients 5000000 --ref HEAD
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

# benchmarks/run.py: this script's folder is first on sys.path when it runs.
from run import AS_OF, HERE, NEUTRAL_CWD, code_under_test, dataset


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--clients", type=int, default=1_000_000, help="size (default 1000000)")
    p.add_argument("--commands", default="check,plan", help="default: %(default)s")
    p.add_argument("--data", type=Path, default=HERE / "data", help="data cache")
    p.add_argument("--out", type=Path, default=HERE / "out", help="where reports go")
    p.add_argument("--ref", help="profile this commit's caseload/ instead of the working tree")
    p.add_argument("--interval", type=float, default=0.001, help="sampling interval, seconds")
    p.add_argument("--top", type=int, default=15, help="functions to print per command")
    args = p.parse_args(argv)
    env = dict(os.environ, LANG="C.UTF-8", LC_ALL="C.UTF-8")
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="caseload-profile-") as tmp_name:
        tmp = Path(tmp_name)
        code = code_under_test(args.ref, tmp, env)
        print(f"profiling {code['describe']}", file=sys.stderr)
        folder = dataset(args.data, args.clients, "csv", "utf8", "en", env)
        o, c = str(folder / "officers.csv"), str(folder / "clients.csv")
        for command in args.commands.split(","):
            extra = (["--format", "json"] if command == "check"
                     else ["--out", str(tmp / "moves.csv"), "--force"])
            stem = args.out / f"profile-{command}-{args.clients}"
            session = stem.with_suffix(".pyisession")
            # (through `main`, not `python -m caseload.cli`: the installed command ends the
            # process at once, before pyinstrument could write its session)
            subprocess.run(
                [sys.executable, "-m", "pyinstrument", "-i", str(args.interval),
                 "-r", "pyisession", "-o", str(session), "-c",
                 "import sys; from caseload.cli import main; sys.argv[0] = 'caseload'; main()",
                 command, o, c, "--as-of", AS_OF, *extra],
                env=env, cwd=NEUTRAL_CWD, stdout=subprocess.DEVNULL, check=False,
            )
            if not session.exists():
                print(f"{command}: pyinstrument wrote no session", file=sys.stderr)
                continue
            render = [sys.executable, "-m", "pyinstrument", "--load", str(session), "-r", "text",
                      "--no-color", "--unicode", "-p", "time=percent_of_total"]
            tree = stem.with_name(stem.name + ".txt")
            flat = stem.with_name(stem.name + "-flat.txt")
            subprocess.run([*render, "-o", str(tree)], env=env, check=True)
            subprocess.run([*render, "-p", "flat=true", "-o", str(flat)], env=env, check=True)
            print(f"\n## caseload {command}, {args.clients:,} clients: top functions by self time"
                  f" ({tree.name}, {flat.name})\n")
            print(top_lines(flat.read_text(encoding="utf-8"), args.top))
    return 0


def top_lines(flat: str, n: int) -> str:
    """The first n entries of pyinstrument's flat text report, with its header lines."""
    lines = flat.splitlines()
    body = [ln for ln in lines if re.match(r"^\s*\d+(\.\d+)?%?\s", ln)]
    head = [ln for ln in lines[:8] if ln.strip() and ln not in body]
    return "\n".join(head + body[:n])


if __name__ == "__main__":
    sys.exit(main())
