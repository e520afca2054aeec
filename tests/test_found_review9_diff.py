"""Review 9: the commits since 8e270cd (streams and --out /dev/stdout, Parquet parts that differ
in unused columns, history's re-record of a branchless export, apply --skip-bad-rows and its
notes).

Each test is one finding; its docstring says what the user sees, why it is wrong and the
probable cause. Stream behaviour is tested in a real process (`python -m caseload.cli`); no test
writes to or renames onto anything under /dev (a link to /proc/self/fd/1 stands for
/dev/stdout, as it does on Linux).
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
from pathlib import Path

import polars as pl
from typer.testing import CliRunner

from caseload.cli import app
from tests.conftest import AS_OF, ROOT, SAMPLE
from tests.test_found_review8_cron import _cmd, _env

OFFICERS = str(SAMPLE / "officers.csv")
CLIENTS = str(SAMPLE / "clients.csv")


def _small(folder: Path) -> tuple[str, str]:
    """Two active officers, four clients: nobody over, nobody orphaned (check exits 0)."""
    officers, clients = folder / "officers.csv", folder / "clients.csv"
    officers.write_text("工号,姓名,岗位状态\n001,甲,在岗\n002,乙,在岗\n", encoding="utf-8")
    clients.write_text("客户号,管户客户经理工号\nC1,001\nC2,001\nC3,002\nC4,002\n",
                       encoding="utf-8")
    return str(officers), str(clients)


# ---------------------------------------------------------------- streams


def test_out_dev_stdout_into_a_truncating_redirect_keeps_the_plan(tmp_path: Path) -> None:
    """`caseload plan o.csv c.csv -o /dev/stdout > plan.log` (a plain `>`, the commonest
    redirection) leaves a log whose first lines are the summary table printed over the plan:
    the plan's header line (`client_id,…`) and its first rows are gone, the file is neither a
    plan nor a log. README: "`--out /dev/stdout` writes into stdout". `output.atomic_writer`
    now opens the link again (`target.open("ab")`): a new open file with its own offset, at
    the end of the file, while the process's own fd 1 (no O_APPEND under `>`) stays at offset
    0, so everything printed to stdout afterwards (render_plan's tables) is written over the
    plan. Only `>>` works. Fix: where the target is the process's own stdout, write through
    `sys.stdout.buffer` (flushed) instead of reopening the path, or seek fd 1 to the end after
    writing."""
    link = tmp_path / "stdout.csv"
    link.symlink_to("/proc/self/fd/1")
    log = tmp_path / "plan.log"
    with log.open("wb") as fh:  # `> plan.log`
        done = subprocess.run(_cmd("plan", OFFICERS, CLIENTS, "--as-of", AS_OF, "-o",
                                   str(link), "--force", "--lang", "en"),
                              stdout=fh, stderr=subprocess.PIPE, env=_env(), cwd=ROOT,
                              timeout=120)
    assert done.returncode == 1, done.stderr.decode("utf-8", "replace")
    text = log.read_text(encoding="utf-8-sig", errors="replace")
    assert "client moves written to" in text
    assert "client_id,client_name,from_officer_id" in text, text[:300]


def test_table_into_a_closed_pipe_exits_2_like_json(tmp_path: Path) -> None:
    """`caseload check o.csv c.csv | head -0` (a reader that went away) exits 1 for the table
    format, which tells cron "findings" for a branch that has none, while the same run with
    `--format json` exits 2; `apply … | head` exits 1 too, a code apply does not have. README:
    "a reader that goes away (`| head`) ends the run quietly with exit 2". Cause: rich's
    Console catches BrokenPipeError itself (`Console.on_broken_pipe`) and raises
    `SystemExit(1)`, which `cli._errors` (catching BrokenPipeError) never sees. Fix: give the
    console a file whose BrokenPipeError is not rich's to handle, or catch SystemExit(1) from
    the console and map it to EXIT_ERROR."""
    officers, clients = _small(tmp_path)
    codes = {}
    for fmt in ("json", "table"):
        read, write = os.pipe()
        os.close(read)  # the reader is gone before anything is written
        try:
            done = subprocess.run(_cmd("check", officers, clients, "--as-of", AS_OF, "-f", fmt),
                                  stdout=write, stderr=subprocess.PIPE, env=_env(),
                                  cwd=tmp_path, timeout=120)
        finally:
            os.close(write)
        codes[fmt] = done.returncode
    assert codes == {"json": 2, "table": 2}, codes


def test_out_symlink_loop_is_one_line_not_an_internal_error(tmp_path: Path) -> None:
    """`caseload plan o.csv c.csv -o moves.csv` where moves.csv is a dangling link loop (a
    link to itself, as a botched `ln -s` leaves) says `caseload: internal error
    (RuntimeError); rerun with --traceback and report it`, exit 2. Every other unwritable
    target is one line naming the file. `output.check_target` calls `Path.resolve()`, which on
    Python 3.11 raises RuntimeError("Symlink loop") rather than OSError (`is_stream` itself
    stops after 40 hops; this is the resolve beside it, older than this diff). Fix: catch
    RuntimeError/OSError from resolve in check_target and say `<target>: is a link that
    points to itself`."""
    officers, clients = _small(tmp_path)
    loop = tmp_path / "moves.csv"
    loop.symlink_to(loop.name)
    done = subprocess.run(_cmd("plan", officers, clients, "--as-of", AS_OF, "-o", str(loop)),
                          capture_output=True, env=_env(), cwd=tmp_path, timeout=120)
    err = done.stderr.decode("utf-8", "replace")
    assert done.returncode == 2
    assert "internal error" not in err, err
    assert "moves.csv" in err, err


def test_note_on_a_full_stderr_does_not_cost_the_json(tmp_path: Path) -> None:
    """`caseload check … -f json --grade-limit 见习=150 2>>/var/log/caseload.err` with /var
    full: nothing at all is written to stdout (the JSON the cron job mails) and the exit is 2,
    only because a note ("grade limit '见习': no officer on the roster has this grade")
    could not be written. With stderr closed (`2>&-`) the same run writes its JSON and exits
    1. The OSError from typer.echo(err=True) in `_echo_notes` reaches `cli._errors`, whose
    `except OSError` takes every OSError for stdout's ("stdout: could not be written"), and
    the document is never written. Fix: write notes through `_say`-like code that swallows a
    stderr failure, and keep the stdout message for stdout's own failures."""
    officers, clients = _small(tmp_path)
    done = subprocess.run(["sh", "-c", '"$@" 2>/dev/full', "sh",
                           *_cmd("check", officers, clients, "--as-of", AS_OF, "-f", "json",
                                 "--grade-limit", "见习=150")],
                          capture_output=True, env=_env(), cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.returncode
    assert json.loads(done.stdout)["summary"]["clients"] == 4


# ---------------------------------------------------------------- Parquet parts


def test_parquet_parts_with_blank_first_cell_and_an_empty_remark_column(tmp_path: Path) -> None:
    """A folder of two Parquet parts, one bank's with a 备注 (remark) column left empty (polars
    and pandas store an all-empty column as type Null) and the other's with remarks filled in,
    and a blank 序号 cell in the first part: `caseload check` refuses the folder
    ("holds Parquet parts that cannot be read as one table (do they all have the same
    columns?)", exit 2), although the commit and README say parts may differ in columns the
    run does not use, and `--low-memory` reads the same folder fine (4 clients): README
    promises the same output with and without it. Cause: a blank first cell makes
    `_read_parquet` retry with `needed=None`, and `_parquet_table` then selects every column
    of the first part, the unused 备注 included, whose types differ between the parts, so the
    scan fails. Fix: in the needed=None read, take the columns the run does not use as text
    cast per part (or leave them out: only the blank-row test needs them, as empty)."""
    (tmp_path / "officers.csv").write_text("工号,姓名,岗位状态\n001,甲,在岗\n002,乙,在岗\n",
                                           encoding="utf-8")
    parts = tmp_path / "clients"
    parts.mkdir()
    pl.DataFrame({"序号": [None, 2], "客户号": ["C1", "C2"], "管户客户经理工号": ["001", "002"],
                  "备注": [None, None]}).write_parquet(parts / "a.parquet")
    pl.DataFrame({"序号": [3, 4], "客户号": ["C3", "C4"], "管户客户经理工号": ["001", "002"],
                  "备注": ["r", "s"]}).write_parquet(parts / "b.parquet")
    assert pl.read_parquet_schema(parts / "a.parquet")["备注"] == pl.Null
    out = {}
    for extra in ([], ["--low-memory"]):
        done = subprocess.run(_cmd("check", "officers.csv", "clients", "--as-of", AS_OF,
                                   "-f", "json", *extra),
                              capture_output=True, env=_env(), cwd=tmp_path, timeout=120)
        out[bool(extra)] = (done.returncode, done.stderr.decode("utf-8", "replace"),
                            done.stdout.decode("utf-8"))
    assert out[True][0] == 0, out[True][1]  # --low-memory reads it
    assert out[False][0] == 0, out[False][1]
    assert out[False][2] == out[True][2]


# ---------------------------------------------------------------- history


def test_history_recheck_of_one_bank_keeps_the_other_banks_row(tmp_runner: CliRunner,
                                                                tmp_path: Path) -> None:
    """Head office records a province-wide export without branch columns (banks A行 and B行,
    8 clients each), then, the same day, re-checks bank A alone from its applied export
    (`bankA.csv`). The week's snapshot then says 8 clients, not 16: bank B's branch row is
    deleted although bank B's officers are still recorded for the day and nothing of bank B
    was re-run. README: "a run replaces what was recorded that day for its own branches".
    Cause: the new `DELETE FROM branch_weeks WHERE substr(branch_key, -?) = ?` in
    `history.record` removes every row ending with the old run key
    `(no branch) /…/province.csv`, i.e. `A行/(branch)(no branch) …` and
    `B行/(branch)(no branch) …` alike. Fix: delete only the keys this run's banks file under
    (`f"{bank}/{ONE_BRANCH}{key}"` for the banks of the run's officers, `ONE_BRANCH + key`
    without banks)."""
    roster = ["法人行社,工号,姓名,岗位状态"] + [f"{b},{o},{b}{o},在岗" for b in ("A行", "B行")
                                          for o in ("001", "002")]
    book = ["法人行社,客户号,管户客户经理工号"]
    for b in ("A行", "B行"):
        book += [f"{b},C{i:03d},001" for i in range(5)] + [f"{b},D{i:03d},002" for i in range(3)]
    (tmp_path / "officers.csv").write_text("\n".join(roster) + "\n", encoding="utf-8")
    (tmp_path / "province.csv").write_text("\n".join(book) + "\n", encoding="utf-8")
    (tmp_path / "officersA.csv").write_text(
        "\n".join(r for r in roster if not r.startswith("B行")) + "\n", encoding="utf-8")
    (tmp_path / "bankA.csv").write_text(
        "\n".join(r for r in book if not r.startswith("B行")) + "\n", encoding="utf-8")
    history = tmp_path / "h.sqlite"
    for officers, clients in (("officers.csv", "province.csv"), ("officersA.csv", "bankA.csv")):
        result = tmp_runner.invoke(app, ["check", officers, clients, "--as-of", AS_OF,
                                         "--history", str(history), "-f", "json"])
        assert result.exit_code == 0, result.output
    with sqlite3.connect(history) as conn:
        clients_recorded = conn.execute("SELECT clients FROM snapshots WHERE as_of = ?",
                                        (AS_OF,)).fetchone()[0]
        b_officers = conn.execute("SELECT COUNT(*) FROM officer_weeks WHERE officer_id LIKE "
                                  "'B行/%'").fetchone()[0]
    assert b_officers == 2  # bank B's officers are still that day's
    assert clients_recorded == 16


# ---------------------------------------------------------------- apply


def _skip_book(folder: Path) -> tuple[Path, Path]:
    officers, clients = folder / "o.csv", folder / "c.csv"
    officers.write_text("工号,姓名,岗位状态\n001,甲,在岗\n002,乙,在岗\n003,丙,在岗\n",
                        encoding="utf-8")
    clients.write_text("客户号,管户客户经理工号,贷款余额\nC1,001,10\nC2,001,10\nC3,001,10\n"
                       "C4,002,10\nC5,001,10\nC9,002,abc\nC5,002,abc\n", encoding="utf-8")
    return officers, clients


def test_apply_skip_bad_rows_leaves_a_left_out_row_as_it_was(tmp_runner: CliRunner,
                                                             tmp_path: Path) -> None:
    """Client C5 has a good row under 001 (line 6) and a row left out for its balance `abc`
    under 002 (line 8). The plan moves C5 from 001 to 003; `apply --skip-bad-rows` says
    "2 row(s) of the export with problems were left as they are (--skip-bad-rows)" and yet
    rewrites line 8 too (`C5,003,abc`): a row it left out, and 002's, now names 003. README:
    "the rows left out are written back as they were". Cause: `apply_plan` matches the
    planned clients against every line of `raw.frame` (`every_line`), the rows validation left
    out included. Fix: take the lines to rewrite from the validated rows only (or drop the
    skipped lines from `every_line`)."""
    officers, clients = _skip_book(tmp_path)
    plan = tmp_path / "p.csv"
    plan.write_text("client_id,from_officer_id,to_officer_id\nC5,001,003\n", encoding="utf-8")
    out = tmp_path / "a.csv"
    result = tmp_runner.invoke(app, ["apply", str(clients), str(plan), "--out", str(out),
                                     "--officers", str(officers), "--skip-bad-rows",
                                     "--lang", "en"])
    assert result.exit_code == 0, result.output
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[5] == "C5,003,10"
    assert lines[7] == "C5,002,abc", lines


def test_apply_refusing_a_bad_roster_row_does_not_say_nothing_was_counted(
        tmp_runner: CliRunner, tmp_path: Path) -> None:
    """`caseload apply c.csv p.csv --officers o.csv` with a roster row whose status is `出差`
    stops with "o.csv: 1 row(s) with problems; nothing was counted (…)". apply counts nothing:
    commit 2e28236 changed this wording to "nothing written" for the export's rows, but the
    roster's are validated in `cli.apply` (`validate_officers`), outside the rewording in
    `apply_plan`. Fix: reword the RowProblemsError where the roster is validated too."""
    officers, clients = _skip_book(tmp_path)
    officers.write_text("工号,姓名,岗位状态\n001,甲,在岗\n003,丙,在岗\n004,丁,出差\n",
                        encoding="utf-8")
    clients.write_text("客户号,管户客户经理工号\nC1,001\nC2,001\n", encoding="utf-8")
    plan = tmp_path / "p.csv"
    plan.write_text("client_id,from_officer_id,to_officer_id\nC1,001,003\n", encoding="utf-8")
    result = tmp_runner.invoke(app, ["apply", str(clients), str(plan), "--out",
                                     str(tmp_path / "a.csv"), "--officers", str(officers),
                                     "--lang", "en"])
    assert result.exit_code == 2
    assert "row(s) with problems" in result.output, result.output
    assert "nothing was counted" not in result.output, result.output


def test_apply_move_undone_to_a_departed_officer_is_left_not_refused(
        tmp_runner: CliRunner, tmp_path: Path) -> None:
    """The plan hands 009's (departed) client C3 to 001; at the meeting the branch head undoes
    that line by writing 009 back as the receiver. `apply --officers` refuses the whole plan
    ("receiver is not an active officer on the roster on plan line 3", nothing written),
    although README says "A plan line that gives a client back to the officer who has it (a
    move undone by hand) changes nothing and is not counted", and without `--officers` the
    same plan is applied with that line left as it is. Cause: `check_plan` judges receivers
    before `apply_plan` drops the lines whose receiver is the sender. Fix: drop the give-back
    lines before `check_plan`'s receiver test (keep the stale test)."""
    officers, clients = tmp_path / "o.csv", tmp_path / "c.csv"
    officers.write_text("工号,姓名,岗位状态\n001,甲,在岗\n009,玖,离职\n", encoding="utf-8")
    clients.write_text("客户号,管户客户经理工号\nC1,001\nC2,009\nC3,009\n", encoding="utf-8")
    plan = tmp_path / "p.csv"
    plan.write_text("client_id,from_officer_id,to_officer_id\nC2,009,001\nC3,009,009\n",
                    encoding="utf-8")
    result = tmp_runner.invoke(app, ["apply", str(clients), str(plan), "--out",
                                     str(tmp_path / "a.csv"), "--officers", str(officers),
                                     "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "a.csv").read_text(encoding="utf-8").splitlines()[1:] == [
        "C1,001", "C2,001", "C3,009"]


def test_plan_from_a_pipe_is_not_called_unreadable(tmp_path: Path) -> None:
    """`cat moves.csv | caseload apply clients.csv /dev/stdin -o after.csv` (or
    `<(unzip -p plans.zip moves.csv)`) says "/dev/stdin: is not a readable plan (CSV or
    .xlsx)", exit 2, for a plan that is fine. Commit ff2cb41 made an export given as a pipe be
    refused truthfully ("is a pipe or a device, not a file: … read more than once"), but the
    plan is read by `apply.read_plan`, which opens it twice (`detect_encoding`, then
    `read_bytes`) and never calls `load._check_path`: the second read finds the pipe drained.
    Fix: read the plan's bytes once and detect the encoding from them, or refuse a non-regular
    plan with the same message as an export."""
    (tmp_path / "c.csv").write_text("客户号,管户客户经理工号\nC1,001\nC2,001\n", encoding="utf-8")
    plan = b"client_id,from_officer_id,to_officer_id\nC1,001,003\n"
    done = subprocess.run(_cmd("apply", "c.csv", "/dev/stdin", "-o", "a.csv", "--lang", "en"),
                          input=plan, capture_output=True, env=_env(), cwd=tmp_path, timeout=120)
    err = done.stderr.decode("utf-8", "replace")
    assert "is not a readable plan" not in err, err
    assert done.returncode == 0 or "pipe" in err, err
