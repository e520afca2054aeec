"""Tests written from a hand mutation-testing pass over the code changed today
(`git diff 8e270cd..HEAD -- caseload/`): each test kills one mutant that the rest of the suite
let survive. Its docstring names the mutation (file, code, change) it guards against.
"""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from caseload.cli import app
from tests.test_found_review8_week import _apply, _line_of, _said, _write_gb18030
from tests.test_found_review9_planner import client, officer, plan_of


def _apply_with_roster(tmp_runner: CliRunner, tmp_path: Path, officers: Path, clients: Path,
                       plan: Path):
    """`apply` of `plan` to the export, with the roster and a limit of 5, into after.csv."""
    return _apply(tmp_runner, clients, plan, tmp_path / "after.csv", "--officers", str(officers),
                  "--threshold", "5")

# ---------------------------------------------------------------- plan.py


def test_single_clients_go_to_the_least_loaded_against_limit_after_a_placement():
    """Mutant: plan.py `_place_level`, the inline household-of-one path, re-queues the receiver
    as `(current, current, oid, cap)` instead of `(current / cap, ...)` (absolute load, not load
    against limit, once a receiver has taken one).

    A (limit 10) and B (limit 2) are empty; four orphans of their branch. Least loaded against
    limit: A, B, A (1/10 < 1/2), A (2/10 < 1/2): A 3, B 1. The mutant fills B to its limit."""
    officers = [officer("A", 0, 10), officer("B", 0, 2)]
    clients = [client(f"x{i}", None, 0) for i in range(4)]
    _, plan = plan_of(officers, clients)
    after = dict(plan.officers.select("officer_id", "accounts_after").rows())
    assert after == {"A": 3, "B": 1}


# ---------------------------------------------------------------- apply.py


def test_apply_reads_the_first_plan_sheet_of_a_workbook(tmp_runner: CliRunner,
                                                        tmp_path: Path) -> None:
    """Mutant: apply.py `_plan_workbook` loses the `break` after `name = candidate` (the last
    sheet holding the plan columns is read, not the first as the docstring says).

    A workbook with a notes sheet, the reviewed plan (client 9 to 00002) and after it a copy of
    the original plan (client 9 to 00001): the reviewed one, the first plan sheet, is applied."""
    import openpyxl

    officers, clients = _write_gb18030(tmp_path)
    wb = openpyxl.Workbook()
    wb.active.title = "说明"
    wb.active["A1"] = "第47周，已审核"
    for title, receiver in (("审核后", "00002"), ("原始", "00001")):
        ws = wb.create_sheet(title)
        ws.append(["client_id", "from_officer_id", "to_officer_id"])
        ws.append(["000000000009", "00005", receiver])
    plan = tmp_path / "moves.xlsx"
    wb.save(plan)
    out = tmp_path / "after.csv"
    result = _apply(tmp_runner, clients, plan, out, "--officers", str(officers),
                    "--threshold", "5")
    assert result.exit_code == 0, result.output
    assert ",00002,李二," in _line_of(out, 9)


def test_apply_finds_the_plan_sheet_whose_header_cells_carry_stray_spaces(
        tmp_runner: CliRunner, tmp_path: Path) -> None:
    """Mutant: apply.py `_plan_workbook` compares the sheets' first rows as `str(v)` instead
    of `" ".join(str(v).split())` (a header cell typed with a stray space, or wrapped onto two
    lines in Excel, no longer marks the plan's sheet, so the notes sheet before it is read and
    the plan is refused)."""
    import openpyxl

    officers, clients = _write_gb18030(tmp_path)
    wb = openpyxl.Workbook()
    wb.active.title = "说明"
    wb.active["A1"] = "第47周，已审核"
    ws = wb.create_sheet("审核后")
    ws.append([" client_id", "from_officer_id ", "to_officer_id"])
    ws.append(["000000000009", "00005", "00002"])
    plan = tmp_path / "moves.xlsx"
    wb.save(plan)
    out = tmp_path / "after.csv"
    result = _apply(tmp_runner, clients, plan, out, "--officers", str(officers),
                    "--threshold", "5")
    assert result.exit_code == 0, result.output
    assert ",00002,李二," in _line_of(out, 9)


def test_apply_reads_a_receivers_name_as_the_roster_does(tmp_runner: CliRunner,
                                                         tmp_path: Path) -> None:
    """Mutant: apply.py `read_plan` keeps `to_officer_name` as typed, without
    `.str.normalize("NFKC").str.strip_chars()` (a name with a trailing space, or typed in
    full-width letters, is then said not to be the roster's name although it is)."""
    officers, clients = _write_gb18030(tmp_path)
    plan = tmp_path / "moves.csv"
    text = ("client_id,from_officer_id,to_officer_id,to_officer_name\r\n"
            "000000000009,00005,00002,李二 \r\n"
            "000000000010,00005,00002,\u3000李二\r\n")
    plan.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    result = _apply_with_roster(tmp_runner, tmp_path, officers, clients, plan)
    assert result.exit_code == 0, result.output
    assert "to_officer_name" not in _said(result, tmp_path), result.output


def test_apply_says_nothing_of_a_departed_officers_non_performing_client_leaving(
        tmp_runner: CliRunner, tmp_path: Path) -> None:
    """Mutant: apply.py `_rules_bent` drops `pl.col("officer_id").is_in(active)` from `kept`
    (a non-performing or pinned client leaving a departed officer, which the planner itself
    does, would be said to break the rule that keeps them with their *active* officer)."""
    from tests.test_found_review8_week import _book, _client

    book = [*_book()[:8], _client(9, "00005", "钱五", risk="次级"),
            _client(10, "00005", "钱五", pinned="是"), _book()[10]]
    officers, clients = _write_gb18030(tmp_path, book)
    plan = tmp_path / "moves.csv"
    plan.write_bytes(b"\xef\xbb\xbfclient_id,from_officer_id,to_officer_id\r\n"
                     b"000000000009,00005,00002\r\n000000000010,00005,00002\r\n")
    result = _apply_with_roster(tmp_runner, tmp_path, officers, clients, plan)
    assert result.exit_code == 0, result.output
    said = _said(result, tmp_path)
    assert "non-performing" not in said and "pinned" not in said, result.output


def test_apply_says_a_pinned_client_leaves_its_active_officer(tmp_runner: CliRunner,
                                                              tmp_path: Path) -> None:
    """Mutant: apply.py `_rules_bent` drops `pl.col("pinned") |` from `kept` (a pinned 锁定
    client moved by hand from its active officer is no longer said; only non-performing ones
    are)."""
    from tests.test_found_review8_week import _plain_plan

    officers, clients = _write_gb18030(tmp_path)
    plan = _plain_plan(tmp_path / "moves.csv", [("000000000008", "00001", "00002")])
    result = _apply_with_roster(tmp_runner, tmp_path, officers, clients, plan)
    assert result.exit_code == 0, result.output
    assert "plan line 2: 1 non-performing or pinned client(s) leave their active officer" in \
        _said(result, tmp_path), result.output


def test_apply_judges_a_clients_branch_by_its_own_row_first(tmp_runner: CliRunner,
                                                            tmp_path: Path) -> None:
    """Mutant: apply.py `_rules_bent` takes `pl.coalesce("its_branch", key)` (the officer's
    branch first) for the client's home branch instead of `pl.coalesce(key, "its_branch")`.

    Client 5 of 00001 (城关) is recorded in 城东支行; moved to 00004 of 城东 it stays in its own
    branch: nothing is said of another branch."""
    from tests.test_found_review8_week import _book, _client, _plain_plan

    book = _book()
    book[4] = _client(5, "00001", "张一", branch="城东支行", code="3201002")
    officers, clients = _write_gb18030(tmp_path, book)
    plan = _plain_plan(tmp_path / "moves.csv", [("000000000005", "00001", "00004")])
    result = _apply_with_roster(tmp_runner, tmp_path, officers, clients, plan)
    assert result.exit_code == 0, result.output
    assert "another branch" not in _said(result, tmp_path), result.output


def test_apply_compares_branches_by_code_where_both_files_have_codes(
        tmp_runner: CliRunner, tmp_path: Path) -> None:
    """Mutant: apply.py `_rules_bent` always compares branch names (`key = "branch"`), not
    the branch codes (机构号) both files give.

    The client export writes the branch as 城关 where the roster says 城关支行, under the same
    code 3201001: a move from 00001 to 00002 stays inside the branch and is not said to cross."""
    from tests.test_found_review8_week import _book, _client, _plain_plan

    book = [_client(n, "00001", "张一", branch="城关") for n in range(1, 9)] + _book()[8:]
    officers, clients = _write_gb18030(tmp_path, book)
    plan = _plain_plan(tmp_path / "moves.csv", [("000000000003", "00001", "00002")])
    result = _apply_with_roster(tmp_runner, tmp_path, officers, clients, plan)
    assert result.exit_code == 0, result.output
    assert "another branch" not in _said(result, tmp_path), result.output


def test_apply_without_roster_matches_back_a_receiver_who_has_clients(
        tmp_runner: CliRunner, tmp_path: Path) -> None:
    """Mutant: apply.py `_restored` drops `~pl.col("to_officer_id").is_in(known)` from the
    lost-zeros refusal (every receiver of a plan saved from a spreadsheet is refused without the
    roster, even one who manages clients of the export and so is matched back)."""
    from tests.test_found_review8_week import _excel_plan

    _, clients = _write_gb18030(tmp_path)
    plan = _excel_plan(tmp_path / "moves.csv", [("000000000003", "00001", "00004")])
    out = tmp_path / "after.csv"
    result = _apply(tmp_runner, clients, plan, out)
    assert result.exit_code == 0, result.output
    assert ",13800000003,00004," in _line_of(out, 3)


def test_apply_refuses_a_blank_receiver_for_a_client_with_no_officer(
        tmp_runner: CliRunner, tmp_path: Path) -> None:
    """Mutant: apply.py `apply_plan` drops `pl.col("to_officer_id").is_not_null()` from the
    give-back test (a line with blank from and to for an unassigned client would count as a
    move given back, 'left as they are', instead of being refused for its blank receiver)."""
    from tests.test_found_review8_week import _book, _client, _plain_plan

    officers, clients = _write_gb18030(tmp_path, [*_book(), _client(12, "", "")])
    plan = _plain_plan(tmp_path / "moves.csv", [("000000000012", "", "")])
    out = tmp_path / "after.csv"
    result = _apply(tmp_runner, clients, plan, out, "--officers", str(officers))
    assert result.exit_code == 2, result.output
    assert "blank client_id or to_officer_id on plan line 2" in result.output
    assert not out.exists()


def test_apply_gives_a_departed_officer_no_limit_and_no_over_flag(tmp_runner: CliRunner,
                                                                  tmp_path: Path) -> None:
    """Mutant: apply.py `apply_plan` gives every roster officer his limit
    (`limit_expr(...)` instead of `pl.when(active).then(limit_expr(...))`), so a departed
    officer still holding more clients than the limit is flagged OVER and shown a limit."""
    from tests.test_found_review8_week import _book, _client, _plain_plan

    book = _book() + [_client(n, "00005", "钱五") for n in range(12, 17)]  # 00005: 7 clients
    officers, clients = _write_gb18030(tmp_path, book)
    plan = _plain_plan(tmp_path / "moves.csv", [("000000000009", "00005", "00002")])
    result = _apply_with_roster(tmp_runner, tmp_path, officers, clients, plan)
    assert result.exit_code == 0, result.output
    row = next(line for line in result.output.splitlines() if line.strip().startswith("00005"))
    assert row.split()[:4] == ["00005", "7", "6", "departed"], row
    assert "OVER" not in row, row


def test_apply_skip_bad_rows_leaves_out_a_bad_roster_row_too(tmp_runner: CliRunner,
                                                             tmp_path: Path) -> None:
    """Mutant: cli.py `apply` validates the roster with `validate_officers(roster_raw, False)`
    instead of passing `skip_bad_rows` (with --skip-bad-rows, a roster row with an unknown
    status still refuses the whole apply)."""
    officers, clients = tmp_path / "o.csv", tmp_path / "c.csv"
    officers.write_text("工号,姓名,岗位状态\n001,甲,在岗\n003,丙,在岗\n004,丁,出差\n",
                        encoding="utf-8")
    clients.write_text("客户号,管户客户经理工号\nC1,001\nC2,001\n", encoding="utf-8")
    plan = tmp_path / "p.csv"
    plan.write_text("client_id,from_officer_id,to_officer_id\nC1,001,003\n", encoding="utf-8")
    out = tmp_path / "a.csv"
    result = tmp_runner.invoke(app, ["apply", str(clients), str(plan), "--out", str(out),
                                     "--officers", str(officers), "--lang", "en",
                                     "--skip-bad-rows"])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8").splitlines()[1:] == ["C1,003", "C2,001"]


# ---------------------------------------------------------------- output.py


def _run_plan_out(tmp_path: Path, target: str, *extra: str):
    """`caseload plan` of a small pair with `-o target`, stdout and stderr to files."""
    import subprocess

    from tests.test_found_review8_cron import _cmd, _env
    from tests.test_found_review9_diff import _small

    officers, clients = _small(tmp_path)
    stdout, stderr = tmp_path / "stdout.log", tmp_path / "stderr.log"
    with stdout.open("wb") as out, stderr.open("wb") as err:  # `> stdout.log 2> stderr.log`
        done = subprocess.run(_cmd("plan", officers, clients, "--as-of", "2026-11-20", "-o",
                                   target, "--lang", "en", *extra),
                              stdout=out, stderr=err, env=_env(), cwd=tmp_path, timeout=120)
    return done, stdout.read_text("utf-8-sig", "replace"), stderr.read_text("utf-8", "replace")


def test_plan_out_dev_stderr_goes_to_stderr_not_stdout(tmp_path: Path) -> None:
    """Mutant: output.py `stream_fd` returns 1 for /dev/stderr too (`return 1` instead of
    `1 if found["std"] == "out" else 2`): the plan asked for on stderr lands in stdout."""
    done, out, err = _run_plan_out(tmp_path, "/dev/stderr")
    assert done.returncode == 0, err
    assert "client_id," in err, err
    assert "client_id," not in out, out


def test_plan_out_dev_stdout_redirected_to_a_file_needs_no_force(tmp_path: Path) -> None:
    """Mutant: output.py `check_target` drops `and not is_stream(target)` (under `> log`,
    /dev/stdout leads to an existing regular file, so `-o /dev/stdout` without --force is
    refused as 'already exists' although it is written into, never replaced)."""
    done, out, err = _run_plan_out(tmp_path, "/dev/stdout")
    assert done.returncode == 0, err
    assert "already exists" not in err, err
    assert "client_id," in out, out


def test_neutralise_guards_cells_starting_with_a_tab_or_carriage_return():
    """Mutant: output.py `neutralise` tests `^[=+\\-@]` instead of `^[=+\\-@\\t\\r]` (a cell
    starting with a tab or a carriage return, which a spreadsheet may read as a formula once
    trimmed, is written as it is); a plain number stays a number either way."""
    import polars as pl

    from caseload.output import neutralise

    frame = pl.DataFrame({"reason": ["\t=1+2", "\r=HYPERLINK(1)", "plain", "-12.5"]})
    assert neutralise(frame)["reason"].to_list() == ["'\t=1+2", "'\r=HYPERLINK(1)", "plain",
                                                     "-12.5"]


# ---------------------------------------------------------------- history.py


def test_a_week_is_judged_by_the_officers_last_record_in_it(tmp_runner: CliRunner,
                                                            tmp_path: Path) -> None:
    """Mutant: history.py `_over_run` keeps each week's *first* record of the officer
    (`over.setdefault(week, ...)`) instead of his last (`over[week] = ...`).

    001 is over on Monday 2 November; on Tuesday, after the plan was applied, he is re-checked
    at 9 of 10 (not over); on Monday 9 November he is over again. The first week is judged by
    its Tuesday: he has been over one week running, not two (no persistent overload)."""
    from tests.test_found_review9_province import BANKS, history_json, province, record

    db = tmp_path / "h.sqlite"
    over = province(tmp_path / "over", banks=(BANKS[0],))
    applied = province(tmp_path / "applied", banks=(BANKS[0],),
                       loads={BANKS[0]: {"001": 9, "002": 9}})
    record(tmp_runner, over, "2026-11-02", db)
    record(tmp_runner, applied, "2026-11-03", db)
    record(tmp_runner, over, "2026-11-09", db)
    doc = history_json(tmp_runner, db, "--persistent", "2")
    assert doc["persistent"] == [], doc["persistent"]
    assert "城关农商行/001" in {o["officer_id"] for o in doc["officers"]}, doc["officers"]


# ---------------------------------------------------------------- cli.py


def test_a_reader_gone_away_is_a_quiet_exit_not_a_write_failure(tmp_path: Path) -> None:
    """Mutant: cli.py `_Stdout.write` loses `except BrokenPipeError: raise` (a reader that went
    away, `| head`, is then said as 'stdout: could not be written (Broken pipe)' on stderr,
    where README promises it ends the run quietly with exit 2)."""
    import subprocess

    from tests.conftest import AS_OF, ROOT, SAMPLE
    from tests.test_found_review8_cron import _cmd, _env

    proc = subprocess.Popen(_cmd("check", str(SAMPLE / "officers.csv"),
                                 str(SAMPLE / "clients.csv"), "--as-of", AS_OF, "--format",
                                 "json"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env(),
                            cwd=ROOT)
    proc.stdout.close()  # the reader is gone before anything is written
    with proc.stderr:
        err = proc.stderr.read()
    assert proc.wait(timeout=120) == 2
    assert b"could not be written" not in err, err


# ---------------------------------------------------------------- validate.py


def _check_json(runner: CliRunner, folder: Path, book: str):
    import json

    officers, clients = folder / "officers.csv", folder / "clients.csv"
    officers.write_text("工号,姓名,岗位状态\n001,甲,在岗\n002,乙,在岗\n", encoding="utf-8")
    clients.write_text(book, encoding="utf-8")
    result = runner.invoke(app, ["check", str(officers), str(clients), "--as-of", "2026-11-20",
                                 "--format", "json", "--lang", "en"])
    return result, (json.loads(result.stdout) if result.exit_code in (0, 1) else None)


def test_a_staff_number_rounded_by_excel_inside_a_text_guard_is_a_problem(
        tmp_runner: CliRunner, tmp_path: Path) -> None:
    """Mutant: validate.py `_clean` records the few-valued column's distinct values as read
    (`tidied["was"]`) instead of as tidied (`tidied["now"]`), so the odd-staff-number check,
    which looks values up in that list, misses `'1.2E+11` (odd only once its guard is gone)."""
    book = "客户号,管户客户经理工号\nC1,001\nC2,'1.2E+11\nC3,002\n"
    result, _ = _check_json(tmp_runner, tmp_path, book)
    assert result.exit_code == 2, result.output
    assert "rounded 1.2E+11 form" in result.output, result.output


# ---------------------------------------------------------------- load.py


def test_parquet_part_with_a_used_column_the_first_part_lacks_is_refused(
        tmp_runner: CliRunner, tmp_path: Path) -> None:
    """Mutant: load.py `parquet_parts_schema` never refuses a part for an extra column
    (`if extra := []`): a later part giving a column the run uses (a 五级分类 risk class)
    that the first part lacks would be read without it, instead of refused naming the part
    and the column."""
    import polars as pl

    officers = tmp_path / "officers.csv"
    officers.write_text("officer_id,name,status\n001,Wang,active\n002,Li,active\n",
                        encoding="utf-8")
    folder = tmp_path / "clients"
    folder.mkdir()
    pl.DataFrame({"client_id": ["C1", "C2"], "officer_id": ["001", "002"]}).write_parquet(
        folder / "b-1.parquet")
    pl.DataFrame({"client_id": ["C3", "C4"], "officer_id": ["001", "002"],
                  "risk_class": ["次级", "正常"]}).write_parquet(folder / "b-2.parquet")
    result = tmp_runner.invoke(app, ["check", str(officers), str(folder), "--as-of",
                                     "2026-11-20", "--lang", "en"])
    assert result.exit_code == 2, result.output
    assert "b-2.parquet" in result.output and "has a risk_class column" in result.output, \
        result.output


# ---------------------------------------------------------------- workload.py


def _branch_names(runner: CliRunner, folder: Path, names: list[str]) -> set[str]:
    """The names one JSON document gives branch code 3201, whose officers' rows say `names`."""
    import json

    from tests.conftest import write_exports

    roster = "officer_id,name,branch,branch_id,status\n" + "".join(
        f"00{i},O{i},{name},3201,active\n" for i, name in enumerate(names, start=1))
    book = "client_id,officer_id,branch_id\n" + "".join(
        f"C{i},00{i},3201\n" for i in range(1, len(names) + 1))
    officers, clients = write_exports(folder, roster, book)
    result = runner.invoke(app, ["check", str(officers), str(clients), "--as-of", "2026-11-20",
                                 "-f", "json"])
    doc = json.loads(result.stdout)
    return {b["branch"] for b in doc["branches"]}


def test_a_branch_is_named_by_most_of_its_officers_rows(tmp_runner: CliRunner,
                                                        tmp_path: Path) -> None:
    """Mutant: workload.py `branch_name` returns `names.min()` (the first name in sorting
    order) instead of the most given name, ties broken by sorting order."""
    assert _branch_names(tmp_runner, tmp_path, ["城关支行", "城关分理处", "城关支行"]) == {"城关支行"}


def test_a_tie_of_branch_names_goes_to_the_first_in_sorting_order(tmp_runner: CliRunner,
                                                                  tmp_path: Path) -> None:
    """Mutant: workload.py `branch_name` breaks a tie of equally common names with `.max()`
    instead of `.min()` (README and docstring: the first in sorting order)."""
    assert _branch_names(tmp_runner, tmp_path, ["城关支行", "城关分理处"]) == {"城关分理处"}
