#!/usr/bin/env python3
"""Benchmark ``caseload check`` and ``caseload plan`` against the floor, pandas and DuckDB.

Why this exists: issues 2, 3, 4 and 6 set performance targets as *ratios* ("check within 2x of
the floor at 1M clients", "GB18030 within 2x of UTF-8", "--help no slower than importing the
libraries"). Absolute seconds depend on the machine; ratios measured side by side in one run on
one machine do not, or much less. So this script runs every contender as a separate process in
the same run, on the same cached files, alternating the order across repetitions (repetition r
starts with the r-th contender) so that warm caches, CPU frequency and noisy neighbours do not
favour whoever runs first, and reports medians.

What it measures, per contender and repetition:

* wall time, from just before the process is started until ``os.wait4`` reaps it;
* peak memory, ``ru_maxrss`` of that one child as returned by ``os.wait4``.

One caveat drives the design: on Linux a child's ``ru_maxrss`` also carries the peak RSS of the
parent at the moment the child was started (the exec'd image inherits the high-water mark of the
process it replaced). This script therefore never loads data itself; it stays a small stdlib
process (its own peak is recorded in the JSON as ``harness_maxrss_mb``) and leaves every parse,
including checking that the contenders agree, to child processes.

The contenders at each size:

* ``check``   ``caseload check OFFICERS CLIENTS --format json --as-of 2026-11-20`` (to /dev/null)
* ``plan``    ``caseload plan OFFICERS CLIENTS --out TMP --force --as-of 2026-11-20``
* ``check --low-memory``, ``plan --low-memory``: the same, reading the book a slice at a time
* ``floor``   ``floor_polars.py``: the least work anyone must do (read the officer columns,
  count per officer, join onto the roster) done the fastest honest polars way
* ``pandas``  ``floor_pandas.py``: the same count with pandas
* ``duckdb``  ``floor_duckdb.py``: the same count with DuckDB

Before timing, one untimed pass runs the floors and ``check`` once (warming the page cache) and
checks that all of them count the same officers, clients and largest load.

Also measured: GB18030 with Chinese headers against UTF-8 with English headers at 1M clients
(``check`` only), and start-up on the committed sample data (``caseload check``, ``caseload
--help`` and ``python -c "import polars, typer, rich"``).

Data comes from ``scripts/generate_data.py scale`` and is cached under ``benchmarks/data/``
(git-ignored), one folder per size, format, encoding and header style.

Usage::

    python benchmarks/run.py                                  # 100k, 1M, 5M; about 10 minutes
    python benchmarks/run.py --sizes 100000,1000000 --json benchmarks/out/results.json
    python benchmarks/run.py --ref HEAD                       # benchmark a commit, not the tree

Needs the ``bench`` extra (numpy, pandas, duckdb): ``pip install -e '.[bench]'``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
GENERATOR = ROOT / "scripts" / "generate_data.py"
SAMPLE = ROOT / "sample_data"
AS_OF = "2026-11-20"
FLOOR = "floor"
LOW_CHECK, LOW_PLAN = "check --low-memory", "plan --low-memory"
ONE_M = 1_000_000
FIVE_M = 5_000_000
# "Grows ~linearly": the growth exponent of time above start-up, ln(t2/t1) / ln(n2/n1), where 1
# is linear. Up to 1.15 still counts as linear (a 5x size step costing at most 6.4x).
LINEAR_EXPONENT = 1.15

# Checks that floors and caseload agree; runs in a child so the harness never holds the data.
CHECK_SUMMARY = """
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
a = [o["accounts"] for o in d["officers"]]
print(json.dumps({"officers": len(a), "clients": sum(a), "max": max(a, default=0)}))
"""


# ---------------------------------------------------------------- measuring one process


@dataclass
class Run:
    wall_s: float
    cpu_s: float  # user + system time of the child (and its own children)
    maxrss_mb: float
    returncode: int
    load: float  # 1-minute load average when it started: other work on the machine
    stderr: str = ""


# Children run in a neutral folder: with the repository as the current directory, `python -c`
# would import caseload from the working tree whatever --ref says.
NEUTRAL_CWD = tempfile.gettempdir()


def measure(cmd: list[str], env: dict[str, str], stdout=subprocess.DEVNULL,
            timeout: float = 1800.0) -> Run:
    """Start `cmd`, reap it with os.wait4, return wall time and the child's own peak RSS."""
    load = os.getloadavg()[0]
    with tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=stdout, stderr=err, stdin=subprocess.DEVNULL,
                                env=env, cwd=NEUTRAL_CWD, start_new_session=True)
        timer = threading.Timer(timeout, _kill, (proc.pid,))
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)  # keep Popen from reaping again
        err.seek(0)
        text = err.read().decode("utf-8", "replace")
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, proc.returncode,
               load, text[-2000:])


def _kill(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


@dataclass
class Contender:
    name: str
    cmd: list[str]
    ok_codes: tuple[int, ...] = (0,)
    runs: list[Run] = field(default_factory=list)
    error: str | None = None

    def record(self, run: Run) -> None:
        if run.returncode not in self.ok_codes:
            self.error = f"exit {run.returncode}: {run.stderr.strip()[-500:]}"
        self.runs.append(run)

    def as_json(self) -> dict:
        return {
            "cmd": self.cmd,
            "error": self.error,
            "wall_s": [round(r.wall_s, 4) for r in self.runs],
            "cpu_s": [round(r.cpu_s, 4) for r in self.runs],
            "maxrss_mb": [round(r.maxrss_mb, 1) for r in self.runs],
            "load": [round(r.load, 2) for r in self.runs],
        }


def race(contenders: list[Contender], reps: int, env: dict[str, str], timeout: float,
         label: str) -> None:
    """Run every contender `reps` times, rotating who goes first, each as its own process."""
    for rep in range(reps):
        k = rep % len(contenders)
        order = contenders[k:] + contenders[:k]
        for c in order:
            if c.error:
                continue
            run = measure(c.cmd, env, timeout=timeout)
            c.record(run)
            failed = "" if c.error is None else f"  FAILED {c.error}"
            _log(f"  {label} rep {rep + 1}/{reps} {c.name:<10} {run.wall_s:8.3f} s "
                 f"{run.cpu_s:8.3f} cpu {run.maxrss_mb:8.1f} MB  load {run.load:.1f}{failed}")


# ---------------------------------------------------------------- data


def dataset(data_dir: Path, clients: int, fmt: str, encoding: str, headers: str,
            env: dict[str, str]) -> Path:
    """The folder holding officers.<fmt> and clients.<fmt>; generated once, then reused."""
    folder = data_dir / f"clients-{clients}-{fmt}-{encoding}-{headers}"
    if (folder / f"officers.{fmt}").is_file() and (folder / f"clients.{fmt}").is_file():
        return folder
    partial = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    _log(f"generating {clients:,} clients ({fmt}, {encoding}, {headers}) in {folder}")
    cmd = [sys.executable, str(GENERATOR), "scale", "--clients", str(clients), "--out",
           str(partial), "--format", fmt, "--encoding", encoding, "--headers", headers]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"data generation failed (needs numpy: pip install -e '.[bench]'):\n"
                         f"{done.stderr[-2000:]}")
    shutil.rmtree(folder, ignore_errors=True)
    partial.rename(folder)
    return folder


# ---------------------------------------------------------------- one size


def size_contenders(folder: Path, fmt: str, caseload: str, plan_out: Path) -> list[Contender]:
    o, c = str(folder / f"officers.{fmt}"), str(folder / f"clients.{fmt}")
    py = sys.executable
    return [
        Contender("check", [caseload, "check", o, c, "--format", "json", "--as-of", AS_OF],
                  (0, 1)),
        Contender("plan", [caseload, "plan", o, c, "--out", str(plan_out), "--force",
                           "--as-of", AS_OF], (0, 1)),
        Contender(LOW_CHECK, [caseload, "check", o, c, "--format", "json", "--as-of", AS_OF,
                              "--low-memory"], (0, 1)),
        Contender(LOW_PLAN, [caseload, "plan", o, c, "--out", str(plan_out), "--force",
                             "--as-of", AS_OF, "--low-memory"], (0, 1)),
        Contender(FLOOR, [py, str(HERE / "floor_polars.py"), o, c]),
        Contender("pandas", [py, str(HERE / "floor_pandas.py"), o, c]),
        Contender("duckdb", [py, str(HERE / "floor_duckdb.py"), o, c]),
    ]


def agree(contenders: list[Contender], env: dict[str, str], tmp: Path,
          timeout: float) -> dict[str, dict]:
    """The untimed first pass: every floor and `check` once; their counts must match."""
    seen: dict[str, dict] = {}
    for c in contenders:
        if c.name.startswith("plan"):
            continue
        out_path = tmp / f"agree-{c.name}.out"
        with out_path.open("wb") as out:
            run = measure(c.cmd, env, stdout=out, timeout=timeout)
        if run.returncode not in c.ok_codes:
            c.error = f"exit {run.returncode}: {run.stderr.strip()[-500:]}"
            _log(f"  {c.name} FAILED: {c.error}")
            continue
        if c.name.startswith("check"):
            done = subprocess.run([sys.executable, "-c", CHECK_SUMMARY, str(out_path)],
                                  capture_output=True, text=True, env=env, cwd=NEUTRAL_CWD)
            text = done.stdout
        else:
            text = out_path.read_text(encoding="utf-8")
        out_path.unlink()
        try:
            seen[c.name] = json.loads(text.strip().splitlines()[-1])
        except (ValueError, IndexError):
            c.error = f"unreadable output: {text[-300:]!r}"
    distinct = {json.dumps(v, sort_keys=True) for v in seen.values()}
    if len(distinct) > 1:
        _log(f"  WARNING: contenders disagree on the counts: {seen}")
    return seen


def bench_size(clients: int, args, env, caseload: str, tmp: Path) -> dict:
    folder = dataset(args.data, clients, args.format, "utf8", "en", env)
    contenders = size_contenders(folder, args.format, caseload, tmp / "moves.csv")
    _log(f"{clients:,} clients: checking that the contenders agree (untimed, warms the cache)")
    counts = agree(contenders, env, tmp, args.timeout)
    race(contenders, args.reps, env, args.timeout, f"{clients:>9,}")
    tools = {c.name: c.as_json() for c in contenders}
    files = {p.name: p.stat().st_size for p in sorted(folder.iterdir())}
    first = next(iter(counts.values()), {})
    return {"clients": clients, "officers": first.get("officers"), "counts": counts,
            "files": files, "tools": tools}


# ---------------------------------------------------------------- encodings and start-up


def bench_encoding(args, env, caseload: str) -> dict:
    utf8 = dataset(args.data, ONE_M, "csv", "utf8", "en", env)
    gb = dataset(args.data, ONE_M, "csv", "gb18030", "zh", env)

    def check(folder: Path, name: str) -> Contender:
        return Contender(name, [caseload, "check", str(folder / "officers.csv"),
                                str(folder / "clients.csv"), "--format", "json",
                                "--as-of", AS_OF], (0, 1))

    contenders = [check(utf8, "utf8-en"), check(gb, "gb18030-zh")]
    _log("1,000,000 clients: GB18030 (Chinese headers) against UTF-8 (English headers)")
    for c in contenders:  # untimed warm-up of the page cache
        measure(c.cmd, env, timeout=args.timeout)
    race(contenders, args.reps, env, args.timeout, "encoding")
    return {c.name: c.as_json() for c in contenders}


def bench_startup(args, env, caseload: str) -> dict:
    o, c = str(SAMPLE / "officers.csv"), str(SAMPLE / "clients.csv")
    contenders = [
        Contender("import", [sys.executable, "-c", "import polars, typer, rich"]),
        Contender("check", [caseload, "check", o, c, "--as-of", AS_OF], (0, 1)),
        Contender("check-json", [caseload, "check", o, c, "--format", "json", "--as-of", AS_OF],
                  (0, 1)),
        Contender("help", [caseload, "--help"]),
    ]
    _log("start-up on the committed sample data")
    for x in contenders:
        measure(x.cmd, env, timeout=args.timeout)
    race(contenders, args.startup_reps, env, args.timeout, "start-up")
    return {x.name: x.as_json() for x in contenders}


# ---------------------------------------------------------------- figures from the raw runs


def summarise(tools: dict[str, dict], baseline: str) -> None:
    """Medians, minima and ratios to `baseline`, added to each contender's raw runs."""
    for t in tools.values():
        ok = t["error"] is None and bool(t["wall_s"])
        t["median_s"] = _round(statistics.median(t["wall_s"]), 4) if ok else None
        t["min_s"] = _round(min(t["wall_s"]), 4) if ok else None
        t["median_cpu_s"] = _round(statistics.median(t["cpu_s"]), 4) if ok else None
        t["median_mb"] = _round(statistics.median(t["maxrss_mb"]), 1) if ok else None
    base = tools.get(baseline, {})
    for t in tools.values():
        t["ratio"] = _ratio(t["median_s"], base.get("median_s"))
        t["min_ratio"] = _ratio(t["min_s"], base.get("min_s"))
        t["cpu_ratio"] = _ratio(t["median_cpu_s"], base.get("median_cpu_s"))
        t["mem_ratio"] = _ratio(t["median_mb"], base.get("median_mb"))


def growth(sizes: dict[int, dict], tool: str, n1: int, n2: int,
           fixed: dict[str, float | None]) -> dict:
    """Growth exponent of time from n1 to n2 clients, raw and above the fixed start-up cost.

    `fixed` holds the start-up cost (the sample-data check): the net exponent uses median wall
    times, the best-of one the fastest runs, the CPU one median user + system time (the least
    disturbed by other work on the machine).
    """
    if n1 not in sizes or n2 not in sizes:
        return {}
    a, b = sizes[n1]["tools"][tool], sizes[n2]["tools"][tool]
    if a["median_s"] is None or b["median_s"] is None:
        return {}
    span = math.log(n2 / n1)

    def exponent(t1: float, t2: float, f: float | None) -> float | None:
        f = f or 0.0
        if t1 <= f or t2 <= f:
            return None
        return _round(math.log((t2 - f) / (t1 - f)) / span, 3)

    return {"from": n1, "to": n2, "t1_s": a["median_s"], "t2_s": b["median_s"],
            "time_ratio": _round(b["median_s"] / a["median_s"], 3),
            "exponent": exponent(a["median_s"], b["median_s"], None),
            "fixed_s": fixed.get("median_s"),
            "net_exponent": exponent(a["median_s"], b["median_s"], fixed.get("median_s")),
            "net_exponent_min": exponent(a["min_s"], b["min_s"], fixed.get("min_s")),
            "net_exponent_cpu": exponent(a["median_cpu_s"], b["median_cpu_s"],
                                         fixed.get("median_cpu_s"))}


def marginal(sizes: dict[int, dict], tool: str) -> dict:
    """What one more client costs from 1M to 5M over what it costs from 100k to 1M.

    1 is linear, above 1 grows faster. Unlike the net exponent it needs no start-up figure:
    at 100k a command is barely above its start-up, so the net exponent there turns on the
    start-up's noise (and is undefined when the two cross).
    """
    if not all(n in sizes for n in (100_000, ONE_M, FIVE_M)):
        return {}
    runs = [sizes[n]["tools"][tool] for n in (100_000, ONE_M, FIVE_M)]

    def ratio(key: str) -> float | None:
        t = [r.get(key) for r in runs]
        if None in t:
            return None
        early, late = (t[1] - t[0]) / (ONE_M - 100_000), (t[2] - t[1]) / (FIVE_M - ONE_M)
        return _round(late / early, 3) if early > 0 else None

    return {"time": ratio("median_s"), "time_min": ratio("min_s"),
            "time_cpu": ratio("median_cpu_s"), "memory": ratio("median_mb")}


def derive(result: dict) -> None:
    """Every figure computed from the raw runs: summaries, growth and the targets."""
    for s in result["sizes"]:
        summarise(s["tools"], FLOOR)
    for key in ("encoding", "startup"):
        if result.get(key):
            summarise(result[key], next(iter(result[key])))  # the first one is the baseline
    startup_check = (result.get("startup") or {}).get("check-json", {})
    by_size = {s["clients"]: s for s in result["sizes"]}
    result["growth"] = {}
    for n1, n2 in ((100_000, ONE_M), (ONE_M, FIVE_M), (100_000, FIVE_M)):
        if n1 in by_size and n2 in by_size:
            result["growth"][f"{n1}-{n2}"] = {
                name: growth(by_size, name, n1, n2, startup_check)
                for name in ("check", "plan", FLOOR)
            }
    result["marginal"] = {name: marginal(by_size, name) for name in ("check", "plan", FLOOR)}
    result["targets"] = targets(result)


def targets(result: dict) -> list[dict]:
    """The issues' targets. Verdicts use medians; best-of (minima) and CPU time are shown too,
    for judging runs on a busy machine."""
    sizes = {s["clients"]: s["tools"] for s in result["sizes"]}
    startup = result.get("startup") or {}
    enc = result.get("encoding") or {}
    growths = result.get("growth") or {}
    rows: list[dict] = []

    def add(issue: int, what: str, values: tuple, limit: float, at_most: bool = True) -> None:
        value, best, cpu = values
        passed = None if value is None else (value <= limit if at_most else value >= limit)
        rows.append({"issue": issue, "target": what, "value": _round(value, 3),
                     "best_of": _round(best, 3), "cpu": _round(cpu, 3),
                     "limit": f"{'<=' if at_most else '>='} {limit:g}", "pass": passed})

    def time(tools: dict, num: str, den: str) -> tuple:
        a, b = tools.get(num, {}), tools.get(den, {})
        return tuple(_ratio(a.get(k), b.get(k)) for k in ("median_s", "min_s", "median_cpu_s"))

    def memory(tools: dict, num: str, den: str) -> tuple:
        return _ratio(tools.get(num, {}).get("median_mb"), tools.get(den, {}).get("median_mb")), \
            None, None

    def linear(key: str, name: str) -> tuple:
        g = growths.get(key, {}).get(name, {})
        return g.get("net_exponent"), g.get("net_exponent_min"), g.get("net_exponent_cpu")

    def per_client(name: str) -> tuple:
        m = (result.get("marginal") or {}).get(name, {})
        return m.get("time"), m.get("time_min"), m.get("time_cpu")

    one, five = sizes.get(ONE_M, {}), sizes.get(FIVE_M, {})
    add(2, "1M: check / floor (time)", time(one, "check", FLOOR), 2.0)
    add(2, "1M: pandas / check (check N x faster)", time(one, "pandas", "check"), 4.0,
        at_most=False)
    add(2, "sample: check / bare import (time)", time(startup, "check", "import"), 1.6)
    add(3, "1M: plan / floor (time)", time(one, "plan", FLOOR), 3.0)
    add(3, "plan ~linear 100k->1M (net growth exponent)", linear("100000-1000000", "plan"),
        LINEAR_EXPONENT)
    add(4, "1M: GB18030 zh / UTF-8 en check (time)", time(enc, "gb18030-zh", "utf8-en"), 2.0)
    for tools, label in ((one, "1M"), (five, "5M")):
        add(6, f"{label}: check / floor (time)", time(tools, "check", FLOOR), 1.5)
        add(6, f"{label}: plan / floor (time)", time(tools, "plan", FLOOR), 2.5)
        add(6, f"{label}: check / floor (peak memory)", memory(tools, "check", FLOOR), 2.5)
        add(6, f"{label}: plan / floor (peak memory)", memory(tools, "plan", FLOOR), 2.5)
        add(6, f"{label}: check --low-memory / floor (peak memory)",
            memory(tools, LOW_CHECK, FLOOR), 2.5)
        add(6, f"{label}: plan --low-memory / floor (peak memory)",
            memory(tools, LOW_PLAN, FLOOR), 2.5)
    add(6, "--help / bare import (time)", time(startup, "help", "import"), 1.0)
    for name in ("check", "plan"):
        add(6, f"{name} ~linear 100k->5M (cost per client, 1M->5M / 100k->1M)",
            per_client(name), LINEAR_EXPONENT)
    return rows


# ---------------------------------------------------------------- reporting


def print_report(result: dict) -> None:
    m = result["machine"]
    print(f"\n# caseload benchmarks, {result['started']}")
    print(f"\n{m['nproc']} cores ({m['cpu']}), {m['ram_gb']} GB RAM, Python {m['python']}, "
          f"polars {result['versions'].get('polars')}, code {result['code']['describe']}")
    print("\nmedian s: median wall time; x floor: that over the polars floor's; spread: (max - min)"
          " / median wall time; cpu s: median user + system time; peak MB: median ru_maxrss.")
    for s in result["sizes"]:
        officers = f"{s['officers']:,}" if s.get("officers") else "?"
        print(f"\n## {s['clients']:,} clients, {officers} officers "
              f"({args_reps(s)} reps, medians)\n")
        _table(s["tools"], "x floor")
    if result.get("encoding"):
        print("\n## 1,000,000 clients: GB18030 + Chinese headers against UTF-8 + English\n")
        _table(result["encoding"], "x UTF-8")
    if result.get("startup"):
        print("\n## Start-up on the committed sample data (40 officers, 6,980 clients)\n")
        _table(result["startup"], "x import")
    if result.get("growth"):
        print("\n## Growth (exponent 1 = linear; net: time above the sample-data "
              "`check --format json`)\n")
        print("| tool | clients | time ratio | exponent | net exponent | net, best-of | net, cpu |")
        print("|---|---|---:|---:|---:|---:|---:|")
        for by_tool in result["growth"].values():
            for name, g in by_tool.items():
                if g:
                    print(f"| {name} | {g['from']:,} -> {g['to']:,} | {g['time_ratio']:.2f} | "
                          f"{_fmt(g['exponent'])} | {_fmt(g['net_exponent'])} | "
                          f"{_fmt(g['net_exponent_min'])} | {_fmt(g['net_exponent_cpu'])} |")
    if any(result.get("marginal", {}).values()):
        print("\n## Cost per extra client (1 = linear)\n")
        print("From 1M to 5M over from 100k to 1M: time (median, best-of, cpu) and peak memory.\n")
        print("| tool | time | best-of | cpu | memory |")
        print("|---|---:|---:|---:|---:|")
        for name, m in result["marginal"].items():
            if m:
                print(f"| {name} | {_fmt(m['time'])} | {_fmt(m['time_min'])} | "
                      f"{_fmt(m['time_cpu'])} | {_fmt(m['memory'])} |")
    print("\n## Targets\n")
    print("Verdicts use medians. best-of: the same figure from the fastest run of each; cpu: from"
          " user + system time (less sensitive to a busy machine; polars and DuckDB use both"
          " cores, so their CPU time exceeds their wall time).\n")
    print("| issue | target | median | best-of | cpu | limit | result |")
    print("|---:|---|---:|---:|---:|---:|---|")
    for t in result["targets"]:
        verdict = {True: "pass", False: "**FAIL**", None: "not measured"}[t["pass"]]
        print(f"| {t['issue']} | {t['target']} | {_fmt(t['value'])} | {_fmt(t['best_of'])} | "
              f"{_fmt(t['cpu'])} | {t['limit']} | {verdict} |")


def args_reps(size: dict) -> int:
    return max((len(t["wall_s"]) for t in size["tools"].values()), default=0)


def _table(tools: dict[str, dict], ratio_label: str) -> None:
    loads = [x for t in tools.values() for x in t["load"]]
    print(f"| tool | median s | {ratio_label} | spread | cpu s | peak MB | mem {ratio_label} |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, t in tools.items():
        if t["error"] or t["median_s"] is None:
            problem = " ".join(str(t["error"]).split())[-80:]
            print(f"| {name} | failed: {problem} | | | | | |")
            continue
        spread = (max(t["wall_s"]) - min(t["wall_s"])) / t["median_s"] * 100
        print(f"| {name} | {t['median_s']:.3f} | {_fmt(t['ratio'])} | {spread:.0f}% | "
              f"{t['median_cpu_s']:.2f} | {t['median_mb']:.0f} | {_fmt(t['mem_ratio'])} |")
    if loads:
        print(f"\n1-minute load average when the runs started: median "
              f"{statistics.median(loads):.1f}, max {max(loads):.1f}")


def _fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}"


def _ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or not b else round(a / b, 3)


def _round(x: float | None, digits: int) -> float | None:
    return None if x is None else round(x, digits)


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- the machine and the code


def machine() -> dict:
    cpu = "?"
    with open("/proc/cpuinfo", encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram_kb = 0
    with open("/proc/meminfo", encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("MemTotal:"):
                ram_kb = int(line.split()[1])
    return {"nproc": len(os.sched_getaffinity(0)), "cpu": cpu,
            "ram_gb": round(ram_kb / 1024 / 1024, 1), "python": platform.python_version(),
            "platform": platform.platform()}


def versions() -> dict:
    out = {}
    for dist in ("caseload", "polars", "polars-runtime-32", "typer", "rich", "pandas", "duckdb",
                 "numpy"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = None
    return out


def _git(*args: str) -> str:
    done = subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else ""


def code_under_test(ref: str | None, tmp: Path, env: dict[str, str]) -> dict:
    """Benchmark the working tree, or with --ref a pristine copy of that commit's package."""
    if ref is None:
        dirty = bool(_git("status", "--porcelain", "--", "caseload"))
        head = _git("rev-parse", "HEAD")
        return {"source": "working tree", "commit": head, "dirty": dirty,
                "describe": f"working tree at {head[:10]}" + (" + local edits" if dirty else "")}
    commit = _git("rev-parse", "--verify", f"{ref}^{{commit}}")
    if not commit:
        raise SystemExit(f"--ref {ref}: not a commit")
    src = tmp / "src"
    src.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit, "caseload"],
                             capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(src)], input=archive, check=True)
    env["PYTHONPATH"] = str(src) + os.pathsep + env.get("PYTHONPATH", "")
    probe = subprocess.run([sys.executable, "-c", "import caseload; print(caseload.__file__)"],
                           capture_output=True, text=True, env=env, cwd=NEUTRAL_CWD)
    if not probe.stdout.strip().startswith(str(src)):
        raise SystemExit(f"--ref: the copy of {commit[:10]} does not shadow the installed "
                         f"package ({probe.stdout.strip() or probe.stderr.strip()})")
    named = "" if commit.startswith(ref.lower()) else f" ({ref})"
    return {"source": f"git archive {ref}", "commit": commit, "dirty": False,
            "describe": f"commit {commit[:10]}{named}"}


def compile_package(env: dict[str, str]) -> None:
    """Byte-compile the package under test, as ``pip install`` does for an installed package.

    An editable install (or ``--ref``'s copy) is otherwise compiled from source by every run
    when PYTHONDONTWRITEBYTECODE is set, which a user's machine would not pay each time.
    """
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    where = subprocess.run(
        [sys.executable, "-c", "import caseload, os; print(os.path.dirname(caseload.__file__))"],
        capture_output=True, text=True, env=env, cwd=NEUTRAL_CWD, check=True,
    ).stdout.strip()
    subprocess.run([sys.executable, "-m", "compileall", "-q", where], env=env, check=True)


def find_caseload() -> str:
    beside = Path(sys.executable).parent / "caseload"
    found = str(beside) if beside.exists() else shutil.which("caseload")
    if not found:
        raise SystemExit("no `caseload` command: pip install -e '.[bench]' in this Python's venv")
    return found


# ---------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="100000,1000000,5000000",
                   help="client counts, comma-separated (default: %(default)s)")
    p.add_argument("--reps", type=int, default=5, help="repetitions per size (default 5)")
    p.add_argument("--startup-reps", type=int, default=10,
                   help="repetitions of the start-up comparison (default 10)")
    p.add_argument("--format", choices=("csv", "parquet"), default="csv",
                   help="file format of the generated exports (default csv)")
    p.add_argument("--data", type=Path, default=HERE / "data",
                   help="cache of generated data (default benchmarks/data)")
    p.add_argument("--json", type=Path, metavar="OUT", help="also write every figure here")
    p.add_argument("--ref", help="benchmark this commit's caseload/ instead of the working tree")
    p.add_argument("--timeout", type=float, default=1800.0,
                   help="seconds before one process is killed (default 1800)")
    p.add_argument("--no-encoding", dest="encoding", action="store_false",
                   help="skip the GB18030 against UTF-8 comparison")
    p.add_argument("--no-startup", dest="startup", action="store_false",
                   help="skip the start-up comparison")
    p.add_argument("--report", type=Path, metavar="JSON",
                   help="run nothing: print the tables again from a --json file")
    args = p.parse_args(argv)
    try:
        args.sizes = sorted({int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()})
    except ValueError:
        p.error("--sizes: expected whole numbers, e.g. 100000,1000000")
    if not args.sizes or min(args.sizes) < 1:
        p.error("--sizes: expected positive client counts")
    if args.reps < 1 or args.startup_reps < 1:
        p.error("--reps and --startup-reps must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.report:
        result = json.loads(args.report.read_text(encoding="utf-8"))
        derive(result)
        print_report(result)
        if args.json:
            _write_json(args.json, result)
        return 0
    caseload = find_caseload()
    env = dict(os.environ)
    env["LANG"] = env["LC_ALL"] = "C.UTF-8"  # same table language every run
    result: dict = {"started": dt.datetime.now().isoformat(timespec="seconds"),
                    "machine": machine(), "versions": versions(),
                    "config": {"sizes": args.sizes, "reps": args.reps,
                               "startup_reps": args.startup_reps, "format": args.format,
                               "as_of": AS_OF, "linear_exponent_limit": LINEAR_EXPONENT},
                    "sizes": []}
    with tempfile.TemporaryDirectory(prefix="caseload-bench-") as tmp_name:
        tmp = Path(tmp_name)
        result["code"] = code_under_test(args.ref, tmp, env)
        compile_package(env)
        _log(f"benchmarking {result['code']['describe']} with {caseload}")
        if args.startup:
            result["startup"] = bench_startup(args, env, caseload)
        for n in args.sizes:
            result["sizes"].append(bench_size(n, args, env, caseload, tmp))
        if args.encoding:
            result["encoding"] = bench_encoding(args, env, caseload)
    result["harness_maxrss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                                        1)
    result["finished"] = dt.datetime.now().isoformat(timespec="seconds")
    derive(result)
    print_report(result)
    if args.json:
        _write_json(args.json, result)
    return 0


def _write_json(path: Path, result: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    _log(f"wrote {path}")


if __name__ == "__main__":
    sys.exit(main())
