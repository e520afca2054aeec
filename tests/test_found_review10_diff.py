"""Tenth review: findings in the changes since ff2cb41 (stdout wrapping, --out streams, the
planner's second choosing, branch names, Parquet parts, history weeks, apply's give-backs)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import polars as pl

from caseload.cli import app
from tests.conftest import AS_OF, ROOT, SAMPLE, write_exports


def _run(args: list[str], tmp_path: Path, stdout) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASELOAD_")}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run([sys.executable, "-m", "caseload.cli", *args], cwd=tmp_path, env=env,
                          stdout=stdout, stderr=subprocess.PIPE, text=True, timeout=120)


# ---------------------------------------------------------------- stdout


def test_version_into_a_full_disk_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    """`caseload --version > /dev/full` (likewise `--help`, `check --help`) prints a Python
    traceback ending in `StdoutError: stdout: could not be written (No space left on device)`.
    The README promises errors are one line, never a traceback. Cause: `_Stdout` now raises
    StdoutError from any write, but the eager `--version` callback and click's help run
    outside `_errors()`, so it reaches `main()`, which prints the traceback."""
    with open("/dev/full", "w") as full:
        done = _run(["--version"], tmp_path, full)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "caseload: error: stdout: could not be written (No space left on device)" in done.stderr


def test_plan_out_dev_stdout_reader_gone_ends_quietly(tmp_path: Path) -> None:
    """`caseload plan … --out /dev/stdout | true` says `caseload: error: /dev/stdout: could not
    be written (OSError)`. The README: a reader that goes away ends the run quietly with exit
    2 (as `check | head` does). Cause: `atomic_writer` writes the stream through its own
    descriptor and turns the EPIPE (an OSError from polars' write_csv) into a file error,
    never seen as BrokenPipeError by `_errors()`."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before anything is written
    try:
        done = _run(["plan", str(SAMPLE / "officers.csv"), str(SAMPLE / "clients.csv"),
                     "--as-of", AS_OF, "--out", "/dev/stdout"], tmp_path, write_end)
    finally:
        os.close(write_end)
    assert done.returncode == 2
    assert "error" not in done.stderr, done.stderr


def test_plan_out_dev_stdout_on_a_full_disk_says_why(tmp_path: Path) -> None:
    """`caseload plan … --out /dev/stdout > /dev/full` says `/dev/stdout: could not be written
    (OSError)`: no reason. The README's promise for stdout is
    `stdout: could not be written (No space left on device)`. Cause: polars' write_csv raises a
    bare OSError (no errno/strerror) and `_not_written` falls back to the type name."""
    with open("/dev/full", "w") as full:
        done = _run(["plan", str(SAMPLE / "officers.csv"), str(SAMPLE / "clients.csv"),
                     "--as-of", AS_OF, "--out", "/dev/stdout"], tmp_path, full)
    assert done.returncode == 2
    assert "No space left on device" in done.stderr, done.stderr


# ---------------------------------------------------------------- branch names


def test_branch_named_alike_in_branches_and_transfers(tmp_runner, tmp_path: Path) -> None:
    """A branch code whose active officer's row says `Chengguan` and two departed officers'
    rows say `Old Name`: JSON `branches[].branch` is `Chengguan` while every transfer's
    `branch` is `Old Name`: one document names the branch both ways, which ee2f19a says it
    fixed. Cause: `_branch_table` applies `branch_name()` to active officers only, while
    `branch_names()` (transfers, reasons, plan file) takes every roster row."""
    officers, clients = write_exports(
        tmp_path,
        "officer_id,name,branch,branch_id,status\n001,Wang,Chengguan,3201,active\n"
        "002,Li,Old Name,3201,departed\n003,Zhao,Old Name,3201,departed\n",
        "client_id,officer_id,branch_id\nC1,002,3201\nC2,003,3201\nC3,001,3201\n")
    result = tmp_runner.invoke(app, ["check", str(officers), str(clients), "--as-of", AS_OF,
                                     "-f", "json"])
    doc = json.loads(result.stdout)
    names = {b["branch"] for b in doc["branches"]} | {t["branch"] for t in doc["transfers"]}
    assert len(names) == 1, names


# ---------------------------------------------------------------- Parquet parts


def test_parquet_first_part_without_names_keeps_other_parts_names(tmp_runner,
                                                                   tmp_path: Path) -> None:
    """A Parquet folder whose first part has no client_name column: `plan
    --show-personal-data` writes every client's name blank, also those of parts that have
    names, while `--low-memory` (and the same folder as CSV parts) shows them. The README:
    names blank only for the part without, and --low-memory output byte for byte the same.
    Cause: `_parquet_table` reads every part by the first part's headers (`used`), so a
    SHOWN_ONLY column a later part adds is never read; CSV parts' `_stacked` unions them."""
    folder = tmp_path / "clients"
    folder.mkdir()
    pl.DataFrame({"officer_id": ["001", "002"], "name": ["Wang", "Li"], "branch": ["B", "B"],
                  "status": ["active", "active"], "capacity": ["2", "10"]}).write_parquet(
        tmp_path / "officers.parquet")
    pl.DataFrame({"client_id": ["C1", "C2"], "officer_id": ["002", "002"]}).write_parquet(
        folder / "part-1.parquet")
    pl.DataFrame({"client_id": ["C3", "C4", "C5"], "client_name": ["Zhang San", "Li Si", "Wu"],
                  "officer_id": ["001", "001", "001"]}).write_parquet(folder / "part-2.parquet")
    plans = []
    for extra in ([], ["--low-memory"]):
        out = tmp_path / f"plan{len(plans)}.csv"
        tmp_runner.invoke(app, ["plan", str(tmp_path / "officers.parquet"), str(folder),
                                "--as-of", AS_OF, "--out", str(out), "--show-personal-data",
                                "-q", *extra])
        plans.append(out.read_text(encoding="utf-8-sig"))
    assert "Zhang San" in plans[0]
    assert plans[0] == plans[1]


# ---------------------------------------------------------------- history


def test_history_rerun_within_the_week_drops_an_officer_no_longer_over(tmp_runner,
                                                                       tmp_path: Path) -> None:
    """Monday's run records officer 001 over (11 of 10); Tuesday's re-run of the same week,
    after rebalancing, records him at 2 of 10. `history --format json` still lists him in
    `officers` ("Officers over or near the limit this week"); before f1d9a0e he was not.
    Cause: `trends` watches anyone over or near on ANY day of the latest week, and the guard
    meant to drop him (`_week(last) != _week(dates[-1])`) can never be true: his last row is
    always in that week. It should look at his last record's over/near."""
    roster = "officer_id,name,branch,status,capacity\n001,Wang,B,active,10\n002,Li,B,active,10\n"
    monday = "client_id,officer_id\n" + "".join(f"C{i},001\n" for i in range(1, 12))
    tuesday = "client_id,officer_id\nC1,001\nC2,001\nC3,002\nC4,002\n"
    history = tmp_path / "h.sqlite"
    for day, book in (("2026-11-16", monday), ("2026-11-17", tuesday)):
        officers, clients = write_exports(tmp_path, roster, book)
        tmp_runner.invoke(app, ["check", str(officers), str(clients), "--as-of", day,
                                "--history", str(history), "-f", "json"])
    result = tmp_runner.invoke(app, ["history", "--history", str(history), "-f", "json"])
    found = json.loads(result.stdout)
    assert [o["officer_id"] for o in found["officers"]] == []


# ---------------------------------------------------------------- apply


APPLY_BOOK = "client_id,officer_id\nC1,002\nC2,001\n"


def test_apply_stale_give_back_line_is_refused(tmp_runner, tmp_path: Path) -> None:
    """A plan line `C1,001,001` where the export now has C1 under 002, and `C9,001,001` for a
    client not in the export: apply exits 0, writes the file and says '2 plan line(s) give a
    client to the officer who has it' (001 has neither). Before 9618ddc it refused both as a
    stale plan and an unknown client, as the README promises. Cause: give-back lines
    (to == from) are dropped before `check_plan`, without checking them against the export."""
    _, clients = write_exports(tmp_path, "officer_id\n001\n", APPLY_BOOK)
    plan = tmp_path / "plan.csv"
    plan.write_text("client_id,from_officer_id,to_officer_id\nC1,001,001\nC9,001,001\n",
                    encoding="utf-8")
    result = tmp_runner.invoke(app, ["apply", str(clients), str(plan), "--out",
                                     str(tmp_path / "out.csv")])
    assert result.exit_code == 2
    assert not (tmp_path / "out.csv").exists()


def test_apply_move_and_give_back_of_one_client_is_refused(tmp_runner, tmp_path: Path) -> None:
    """Two plan lines for C2: `C2,001,002` and `C2,001,001` (a row copied and undone by hand,
    the other copy left). apply moves C2 to 002 and notes the give-back as 'left as they are',
    contradicting itself; before it refused 'client moved more than once on plan line 2, 3'.
    Cause: give-back lines are filtered out before `check_plan`'s duplicate check."""
    _, clients = write_exports(tmp_path, "officer_id\n001\n", APPLY_BOOK)
    plan = tmp_path / "plan.csv"
    plan.write_text("client_id,from_officer_id,to_officer_id\nC2,001,002\nC2,001,001\n",
                    encoding="utf-8")
    result = tmp_runner.invoke(app, ["apply", str(clients), str(plan), "--out",
                                     str(tmp_path / "out.csv")])
    assert result.exit_code == 2
