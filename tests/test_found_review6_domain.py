"""Sixth review, of how caseload reads the domain (../shared/domain.md): problems found.

Each test builds small hand-made exports, runs `caseload check` or `caseload plan` through the
CLI, and fails where a word, flag, balance, date, grade or household of the domain is misread
or refused against what domain.md and the README say. Arguable behaviour is marked xfail and
says why.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import polars as pl
import pytest

from caseload.cli import app
from tests.conftest import AS_OF, write_exports

ROSTER_AB = "工号,姓名,所属支行,岗位状态\nA,甲,X,在岗\nB,乙,X,在岗\n"
ROSTER_ABD = ROSTER_AB + "D,丁,X,离职\n"


def _check(runner, officers: Path, clients: Path, *extra: object):
    return runner.invoke(app, ["check", str(officers), str(clients), "--as-of", AS_OF,
                               "--format", "json", *map(str, extra)])


def _plan(runner, tmp_path: Path, officers: Path, clients: Path, *extra: object,
          out: str = "moves.csv"):
    target = tmp_path / out
    result = runner.invoke(app, ["plan", str(officers), str(clients), "--as-of", AS_OF,
                                 "--out", str(target), "--force", *map(str, extra)])
    rows = None
    if result.exit_code in (0, 1) and target.suffix == ".csv":
        rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
    return result, rows


# ---------------------------------------------------------------- dates


def test_a_two_digit_year_is_not_read_as_the_first_century(runner, tmp_path):
    """domain.md: "Dates appear as 2024-03-01, 2024/3/1, 20240301, 2024年3月1日."; README rule
    7: "Of equal choices, the shortest relationships (most recent 管户日期) ... move".
    Two-digit years are not in the grammar: `240301` and `26/10/01` are refused as "date not
    understood" (tests/test_read_units.py::test_doubtful_dates_are_a_problem).

    Officer A (limit 2, as of 2026-11-20) holds C1 handed over on `25-12-01` (YY-MM-DD, i.e.
    2025-12-01: the shortest relationship), C2 (2020-01-01) and C3 (2019-06-01).
    Observed: `25-12-01` is read as the year 25 AD (0025-12-01), C1 becomes the *longest*
    relationship, and the plan moves C2 instead; exit 0, nothing said. The same misreading
    also hides a recent handover from the 90-day rule (`26-10-01` becomes 0026-10-01).
    Expected: the cell is refused as "date not understood" (as `26/10/01` is), or read as
    2025-12-01 so that C1 is the one to move.

    Cause: `validate._date` parses with `str.strptime(pl.Date, "%Y-%m-%d", strict=False)`,
    whose `%Y` takes a year of any number of digits; neither the fast path nor
    `_date_lenient` (which ends in `_date`) asks for four.
    """
    book = ("客户号,管户客户经理工号,管户日期\n"
            "C1,A,25-12-01\nC2,A,2020-01-01\nC3,A,2019-06-01\n")
    officers, clients = write_exports(tmp_path, ROSTER_AB, book)
    result, rows = _plan(runner, tmp_path, officers, clients, "--threshold", 2)
    if result.exit_code == 2:
        assert "date not understood" in result.stderr
    else:
        assert [r["assigned_since"] for r in rows if r["client_id"] == "C1"] in (
            [], ["2025-12-01"])
        assert [r["client_id"] for r in rows] == ["C1"], (
            "25-12-01 read as year 25: C1 taken for the longest relationship")


def test_a_date_in_the_year_zero_is_a_row_problem_not_an_internal_error(runner, tmp_path):
    """README: "Errors are one line on stderr naming the file, the line or column and the
    problem ..., never a traceback"; a date the grammar does not know is "date not
    understood".

    A departed officer's client has 管户日期 `0-03-01` (a cell typed short). Observed: it is
    read as the date 0000-03-01; `plan --out moves.csv` writes it as such, and
    `plan --out moves.xlsx` (and `check --report r.xlsx`) stop with `caseload: internal
    error (ValueError)`, because Python's dates start at year 1. Expected: the row is refused
    as "date not understood (column 管户日期)", as other malformed dates are.

    Cause: as for the two-digit year: `%Y` in `validate._date` accepts any number of digits,
    year 0 included.
    """
    book = "客户号,管户客户经理工号,管户日期\nC1,D,0-03-01\n"
    officers, clients = write_exports(tmp_path, ROSTER_ABD, book)
    result, _ = _plan(runner, tmp_path, officers, clients, out="moves.xlsx")
    assert "internal error" not in result.stderr
    assert result.exit_code == 2 and "date not understood" in result.stderr


def test_a_parquet_timestamp_with_a_time_zone_is_a_date(runner, tmp_path):
    """domain.md: dates 2024-03-01 ... (README: "with or without a time"); Parquet is a
    supported export and its 管户日期 is then a typed timestamp, not text.

    A Parquet book whose 管户日期 is a timestamp in Asia/Shanghai (what pandas writes for a
    tz-aware column). Observed: every row is refused, "date not understood (column 管户日期)":
    the column is cast to text as `2024-03-01 10:00:00.000000+08:00` and the time pattern of
    `_date_lenient` does not allow the offset. Expected: read as the local date 2024-03-01.

    Arguable: the exporter could write naive timestamps or dates (which are read); but the
    value is typed and unambiguous, and refusing the whole book costs the weekly run.
    """
    officers = tmp_path / "officers.csv"
    officers.write_text(ROSTER_AB, encoding="utf-8")
    clients = tmp_path / "clients.parquet"
    pl.DataFrame({
        "客户号": ["C1", "C2"], "管户客户经理工号": ["A", "A"],
        "管户日期": [dt.datetime(2024, 3, 1, 10), dt.datetime(2024, 3, 2, 23, 30)],
    }).with_columns(pl.col("管户日期").dt.replace_time_zone("Asia/Shanghai")).write_parquet(clients)
    result = _check(runner, officers, clients)
    assert result.exit_code in (0, 1), result.stderr


# ---------------------------------------------------------------- balances


@pytest.mark.parametrize("cell", [" ¥1,234.00", "1234元 ", " 1,234.00元 "])
def test_a_balance_with_spaces_around_its_currency_sign_is_read(runner, tmp_path, cell):
    """domain.md: balance "may be `1,234,567.89`, `¥1,234.00`"; README: cells are trimmed
    (validate: "Trim; fold full-width ...; blank -> null"); `_money_lenient` promises
    "``1,234,567.89``, ``¥1,234.00``, ``1234元``".

    Observed: `¥1,234.00`, ` 1234`, `¥ 1,234` and `1234 元` are read, but a space *before*
    the `¥` or *after* the `元` (padded cells, common in fixed-width-style exports) makes the
    row "balance is not a number (column 贷款余额)" and the whole run stops (exit 2).
    Expected: read as 1234.0, as the same cell without its padding is.

    Cause: `_money_lenient` strips in one `replace_all(r"\\s|^(RMB|CNY)|^¥|元$", "")`: the
    anchors are tested against the untrimmed cell, so `^¥` fails after a leading space and
    `元$` before a trailing one (the cell is never trimmed first).
    """
    book = f'客户号,管户客户经理工号,贷款余额\nC1,A,"{cell}"\nC2,A,5\n'
    officers, clients = write_exports(tmp_path, ROSTER_AB, book)
    result = _check(runner, officers, clients)
    assert result.exit_code in (0, 1), result.stderr


@pytest.mark.xfail(reason="domain.md lists 贷款余额(元) but not a balance in 万元; the column "
                   "is ignored rather than misread", strict=False)
def test_a_balance_in_wan_yuan_is_read_as_the_balance(runner, tmp_path):
    """domain.md: balance is the loan balance in yuan (headers 贷款余额, 余额, 贷款余额(元));
    README rule 7: "Of equal choices, the shortest relationships ... and smallest balances
    move". Bank reports very often give balances in 万元 (`贷款余额（万元）`).

    Officer A (limit 1) holds C1 (50 万元) and C2 (0.5 万元). Observed: the column
    `贷款余额（万元）` matches no synonym and is dropped without a note, so the plan moves C1
    (first client number) and shows no balance. Expected: the column read as the balance
    (in yuan, ×10,000), so the smaller balance C2 moves; or at least a note that a balance
    column was not understood.
    """
    book = "客户号,管户客户经理工号,贷款余额（万元）\nC1,A,50\nC2,A,0.5\n"
    officers, clients = write_exports(tmp_path, ROSTER_AB, book)
    result, rows = _plan(runner, tmp_path, officers, clients, "--threshold", 1)
    assert result.exit_code == 0, result.stderr
    assert [r["client_id"] for r in rows] == ["C2"]


# ---------------------------------------------------------------- grades


@pytest.mark.parametrize("grade", ["客户经理（初级）", "Ⅱ级", "１级"])
def test_a_grade_limit_written_as_the_export_writes_the_grade_applies(runner, tmp_path, grade):
    """README rule 2: "An officer's limit is their own `管户上限` column, else `--grade-limit`,
    else `--threshold`"; domain.md: "the bank sets a limit per grade (管户对等)".

    The roster's 客户经理等级 is `客户经理（初级）` (full-width brackets, as WPS/Excel exports
    write them), `Ⅱ级` or `１级`; the branch head copies the grade into
    `--grade-limit 客户经理（初级）=2`. Observed: the officer with 3 clients gets `capacity`
    300 (the threshold), `over` false, exit 0, and a note claims "no officer on the roster
    has this grade" although one has it, character for character, in the export.
    Expected: capacity 2, over true.

    Cause: validation folds the roster's grade cells with NFKC (`（）`→`()`, `Ⅱ`→`II`,
    `１`→`1`) while `workload.limit_expr` only strips and lower-cases the configured grade
    names, so the two sides are compared in different forms.
    """
    roster = f"工号,姓名,所属支行,岗位状态,客户经理等级\n001,甲,X,在岗,{grade}\n002,乙,X,在岗,高级\n"
    book = "客户号,管户客户经理工号\nC1,001\nC2,001\nC3,001\n"
    officers, clients = write_exports(tmp_path, roster, book)
    result = _check(runner, officers, clients, "--grade-limit", f"{grade}=2")
    assert result.exit_code in (0, 1), result.stderr
    doc = json.loads(result.stdout)
    first = next(o for o in doc["officers"] if o["officer_id"] == "001")
    assert (first["capacity"], first["over"]) == (2, True)


# ---------------------------------------------------------------- pinned


def test_the_word_buketiaozheng_in_the_pinned_column_means_pinned(runner, tmp_path):
    """domain.md: pinned "must not be moved", headers pinned, locked, 锁定, 不可调整.
    caseload takes the header word `锁定` as a "yes" cell (columns.TRUE_WORDS) but not the
    other Chinese header word `不可调整`, which exports write the same way (the cell repeats
    the column's meaning, blank otherwise).

    Officer A (limit 1) holds C1 marked `不可调整` and C2. Observed: the run stops, "pinned is
    not yes/no (column 不可调整)", exit 2. Expected: C1 pinned, C2 moves, exit 0.
    """
    book = "客户号,管户客户经理工号,不可调整\nC1,A,不可调整\nC2,A,\n"
    officers, clients = write_exports(tmp_path, ROSTER_AB, book)
    result, rows = _plan(runner, tmp_path, officers, clients, "--threshold", 1)
    assert result.exit_code == 0, result.stderr
    assert [r["client_id"] for r in rows] == ["C2"]


# ---------------------------------------------------------------- households


@pytest.mark.parametrize("none", ["0", "-", "无"])
def test_a_placeholder_household_number_is_no_household(runner, tmp_path, none):
    """domain.md: "never split a household or related group"; README rule 5 and 7: "The
    fewest clients move ... rounded up only as far as whole households force".

    A departed officer's 4 clients all carry 家庭号 `0` (or `-`, `无`): the export's way of
    saying "no household". Two active officers with room 3 each (threshold 3). Observed:
    the four unrelated clients are read as one household of 4 that no receiver can take:
    nothing is placed, "cannot be placed 4, officers needed 2", exit 1. (An over-limit
    officer's clients marked `0` likewise become one household that must leave whole.)
    Expected: four single clients, all placed (2 + 2), exit 0.

    Cause: `validate._clean` turns only blank cells into null; `plan._units` groups every
    non-null group_id, placeholders included (orphans of every departed officer of the bank
    share owner null, so they all fall into the same "household").
    """
    book = "客户号,管户客户经理工号,家庭号\n" + "".join(f"C{i},D,{none}\n" for i in range(4))
    officers, clients = write_exports(tmp_path, ROSTER_ABD, book)
    result, rows = _plan(runner, tmp_path, officers, clients, "--threshold", 3)
    assert result.exit_code == 0, result.stderr
    assert len(rows) == 4


@pytest.mark.xfail(reason="README rule 5 speaks of households 'of one officer'; reuniting an "
                   "orphaned part with the household's active officer is not promised",
                   strict=False)
def test_orphaned_members_of_a_household_join_its_active_officer(runner, tmp_path):
    """domain.md: "never split a household or related group"; "Clients of a departed officer
    are all handed over, preferably together per household."

    Household H1: C1 with active officer A, C2 and C3 with departed officer D. A has room.
    Observed: C2 and C3 go to B (the least loaded), so H1 ends up split between A and B
    for good, though A, who already serves the household, could take them.
    Expected: C2 and C3 handed to A.

    Cause: `plan._units` groups orphans by (owner null, group_id) from the movable clients
    only; A's members are not movable, and the receiver is always the least loaded
    (`_take`), never the officer who holds the rest of the household.
    """
    book = "客户号,管户客户经理工号,家庭号\nC1,A,H1\nC2,D,H1\nC3,D,H1\nC4,A,\n"
    officers, clients = write_exports(tmp_path, ROSTER_ABD, book)
    result, rows = _plan(runner, tmp_path, officers, clients, "--threshold", 10)
    assert result.exit_code == 0, result.stderr
    assert {(r["client_id"], r["to_officer_id"]) for r in rows} == {("C2", "A"), ("C3", "A")}
