"""Review 4 (scale and multi-file paths): folders of parts, Parquet, province-wide exports,
--low-memory and workbooks. Each test is a bug found in review; see its docstring."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from tests.conftest import AS_OF, write_file
from tests.test_low_memory import _run
from tests.test_low_memory import both as _both

ROSTER = "officer_id,name,branch,status\n001,Wang,North,active\n002,Li,North,active\n"


# ---------------------------------------------------------------- --low-memory, CSV parts


@pytest.mark.parametrize("skip", [False, True], ids=["refused", "skip-bad-rows"])
def test_low_memory_names_a_column_the_parts_spell_differently_as_a_whole_read(
        runner, tmp_path, skip):
    """Promise (README, Scale): with --low-memory "the output (JSON, tables, plan file, exit
    code, messages) is the same as without the flag, byte for byte"; a folder's CSV parts may
    each have "header names and order (one Chinese, one English)".

    Two CSV parts, one headed 客户号, the other client_id, each with a blank client number.
    Observed: a whole read says one problem, `blank client number (column 客户号 / client_id):
    2 row(s), b-1.csv line 3; b-2.csv line 3`; --low-memory says two, `(column 客户号): 1
    row(s), b-1.csv line 3` and `(column client_id): 1 row(s), b-2.csv line 3` (on stderr, and
    as two `inputs[].skipped` entries in JSON with --skip-bad-rows). Every problem naming a
    column does this (blank client number, date not understood, balance not a number, ...).
    Expected: the same message and JSON as the whole read.

    Probable cause: `low_memory._first_reading` validates each part with its own `RawTable`,
    whose `headers` are that part's headers only, so `validate._Checks.header` words the
    problem with the part's spelling; `_merged` then groups by problem text. A whole read
    validates the `csv_parts._stacked` table, whose headers join every part's spelling.
    """
    roster = write_file(tmp_path / "officers.csv", ROSTER)
    folder = tmp_path / "clients"
    write_file(folder / "b-1.csv", "客户号,管户客户经理工号,贷款余额\nC1,001,10\n,002,5\n")
    write_file(folder / "b-2.csv", "client_id,officer_id,balance\nC3,002,5\n,001,4\n")
    extra = ["--skip-bad-rows"] if skip else []
    whole, low = _both(runner, "check", roster, folder, "-f", "json", *extra)
    if skip:
        assert whole[0] in (0, 1)
        assert "column 客户号 / client_id" in whole[1]
    else:
        assert whole[0] == 2
        assert "column 客户号 / client_id" in whole[2]
    assert low == whole


# ---------------------------------------------------------------- Parquet parts


def _parquet_parts(tmp_path: Path, *frames: pl.DataFrame) -> Path:
    folder = tmp_path / "clients"
    folder.mkdir()
    for i, frame in enumerate(frames):
        frame.write_parquet(folder / f"p-{i + 1}.parquet")
    return folder


def test_parquet_parts_whose_columns_differ_are_refused_naming_the_part_and_column(
        runner, tmp_path):
    """Promise (README, A folder of parts): "Every part must give the same columns (those the
    run uses): a part with a 家庭号 column beside one without is refused, naming the part and
    the column"; bad input is one line naming the file (the part).

    Two Parquet parts, the second with a 家庭号 (group_id) column the first lacks.
    Observed: exit 2, `clients: holds Parquet parts that cannot be read as one table (do they
    all have the same columns?)`: neither the part (p-2.parquet) nor the column is named, so
    head office has to open every part of a province's folder to find the odd one.
    Expected (as for CSV parts): `clients/p-2.parquet: has a group_id column (家庭号) that
    p-1.parquet lacks; every part of a folder needs the same columns`.

    Probable cause: `load._read_parquet` takes the header from `parts[0]` only and lets
    `pl.scan_parquet(parts)` fail on the others; the polars error is replaced by one generic
    message for the folder (and `low_memory._part_tables` compares schemas, raising the same
    generic message); nothing like `csv_parts._same_columns` runs for Parquet parts.
    """
    roster = write_file(tmp_path / "officers.csv", ROSTER)
    folder = _parquet_parts(
        tmp_path,
        pl.DataFrame({"client_id": ["C1", "C2"], "officer_id": ["001", "002"]}),
        pl.DataFrame({"client_id": ["C3", "C4"], "officer_id": ["002", "001"],
                      "家庭号": ["H1", "H2"]}),
    )
    for code, _out, err in _both(runner, "check", roster, folder):
        assert code == 2
        assert len(err.strip().splitlines()) == 1
        assert "p-2.parquet" in err
        assert "家庭号" in err or "group_id" in err


def test_a_parquet_part_with_an_extra_column_the_run_does_not_use_is_read(runner, tmp_path):
    """Promise (README, A folder of parts): "Every part must give the same columns (those the
    run uses)". CSV parts with an extra, unused column (a 备注 remark) are read.

    Two Parquet parts, the second with a 备注 column nobody reads.
    Observed: exit 2, "holds Parquet parts that cannot be read as one table (do they all have
    the same columns?)", with and without --low-memory. The same book as CSV parts is read
    (exit 0, 4 clients).
    Expected: read as the CSV parts are: exit 0, 4 clients.

    Probable cause: `load._parquet_table` scans all parts as one table with
    `pl.scan_parquet(parts)`, which requires identical schemas, although only the needed
    columns are selected; `low_memory._part_tables` compares whole schemas to match.
    """
    roster = write_file(tmp_path / "officers.csv", ROSTER)
    folder = _parquet_parts(
        tmp_path,
        pl.DataFrame({"client_id": ["C1", "C2"], "officer_id": ["001", "002"]}),
        pl.DataFrame({"client_id": ["C3", "C4"], "officer_id": ["002", "001"],
                      "备注": ["x", "y"]}),
    )
    csv_folder = tmp_path / "csv"
    write_file(csv_folder / "b-1.csv", "client_id,officer_id\nC1,001\nC2,002\n")
    write_file(csv_folder / "b-2.csv", "client_id,officer_id,备注\nC3,002,x\nC4,001,y\n")
    code, out, _ = _run(runner, "check", roster, csv_folder, "--as-of", AS_OF, "-f", "json")
    assert code == 0 and json.loads(out)["summary"]["clients"] == 4
    code, out, err = _run(runner, "check", roster, folder, "--as-of", AS_OF, "-f", "json")
    assert code == 0, err
    assert json.loads(out)["summary"]["clients"] == 4


# ---------------------------------------------------------------- province-wide exports


def test_clients_of_a_roster_row_left_out_for_its_blank_bank_are_not_planned(runner, tmp_path):
    """Promise (README, JSON contract): "With --skip-bad-rows, the clients of an officer whose
    roster row was left out count in unknown_officer but are never planned (they are in no
    transfer, and plan exits 1)".

    A province roster whose row for staff 003 has a blank bank (法人行社), the bank's clients
    naming 003. With --skip-bad-rows the row is left out ("blank bank").
    Observed: the three clients of 003 are planned away (transfers to A/001 and A/002,
    `moves` 3) with no note; the same roster with 003's row left out for another reason (an
    unknown status word) keeps them: no transfer, and the note "3 client(s) of officers whose
    roster rows were left out (--skip-bad-rows) are counted as not on the roster but not
    planned".
    Expected: as for any roster row left out: 003's clients held, not planned, the note said.

    Probable cause: `validate._within_bank` turns the key into `bank/number`, which is null
    when the bank is blank, so `validate._finish` drops it from `left_out_keys`
    (`.drop_nulls()`): the row's staff number is never matched against the clients' `A/003`
    in `workload.count_workload` (`held`).
    """
    roster = write_file(tmp_path / "officers.csv",
                        "法人行社,工号,姓名,所属支行,岗位状态\nA,001,W,城关,在岗\nA,002,L,城关,在岗\n"
                        ",003,Z,城关,在岗\nB,001,Q,城关,在岗\n")
    book = write_file(tmp_path / "clients.csv",
                      "法人行社,客户号,管户客户经理工号,所属支行\n"
                      + "".join(f"A,C{i},003,城关\n" for i in range(3))
                      + "A,C9,001,城关\nB,C1,001,城关\n")
    code, out, err = _run(runner, "check", roster, book, "--as-of", AS_OF, "-f", "json",
                          "--skip-bad-rows")
    doc = json.loads(out)
    assert doc["inputs"][0]["skipped_rows"] == 1  # (the blank bank row is left out)
    assert doc["summary"]["unknown_officer"] == 3
    assert doc["transfers"] == []
    assert doc["summary"]["moves"] == 0
    assert "not planned" in err


def test_a_province_places_each_banks_branchless_orphans_as_each_bank_on_its_own(
        runner, tmp_path):
    """Promises: README (The plan's rules, 1) "a client with neither [branch nor known
    officer] belongs to the roster's branch when the roster has only one"; (Scale) a province
    reads every identity within its bank, and split by bank the runs give the same plan;
    numbers and names of one bank are kept apart from another's.

    Bank A's roster has one branch (城关支行), bank B's one (东湖支行); each bank's client list
    has a client with no branch and no officer (C2), and A one with no branch and an unknown
    officer (C3). Checked bank by bank, every orphan is placed in its bank's only branch
    (A: moves 2, B: moves 1, cannot_place 0).
    Observed in the province-wide check of the same rows: moves 0, cannot_place 3, and a
    branch row with branch_key null holding 3 clients of both banks together.
    Expected: the per-bank result: moves 3, cannot_place 0, no branch row mixing the banks.

    Probable cause: `workload.count_workload` sets `only_branch` only when the whole roster
    has one branch key (`keys.len() == 1`), not per bank, so `_annotated` leaves such
    clients with a null `branch_key` in a province of several banks.
    """
    roster = write_file(tmp_path / "officers.csv",
                        "法人行社,工号,姓名,所属支行,岗位状态\nA,001,W,城关支行,在岗\n"
                        "A,002,L,城关支行,在岗\nB,001,Q,东湖支行,在岗\n")
    book = write_file(tmp_path / "clients.csv",
                      "法人行社,客户号,管户客户经理工号,所属支行\nA,C1,001,城关支行\nA,C2,,\n"
                      "A,C3,009,\nA,C4,002,城关支行\nB,C1,001,东湖支行\nB,C2,,\n")
    code, out, _ = _run(runner, "check", roster, book, "--as-of", AS_OF, "-f", "json")
    doc = json.loads(out)
    assert doc["summary"]["orphaned"] == 3
    assert doc["summary"]["cannot_place"] == 0
    assert doc["summary"]["moves"] == 3
    assert [b["branch_key"] for b in doc["branches"]] == ["A/城关支行", "B/东湖支行"]
    assert code == 1


def test_a_province_says_when_staff_numbers_lost_their_leading_zeros(runner, tmp_path):
    """Promise (README, caseload.toml / notes): a setting or data issue the tables do not
    show is "said in a note on stderr, not silently ignored"; `check` says how many clients
    name staff numbers on the roster only with leading zeros (456 for 00456).

    The same two exports, once with a bank column (法人行社) and once without.
    Observed: without the bank column, stderr says "caseload: note: 1 client(s) name staff
    numbers that are on the roster only with leading zeros (456 for 00456) ..."; with the bank
    column (a province-wide export, where Excel-mangled exports are most likely) nothing is
    said.
    Expected: the same note in both.

    Probable cause: `workload._lost_zeros` tests `officer_id` against `^\\d+$`, but in a
    province every staff number reads `bank/number` (`A/456`), so no number ever matches.
    """
    roster = write_file(tmp_path / "officers.csv",
                        "法人行社,工号,姓名,所属支行,岗位状态\nA,00456,W,城关支行,在岗\n"
                        "A,00457,L,城关支行,在岗\n")
    book = write_file(tmp_path / "clients.csv",
                      "法人行社,客户号,管户客户经理工号,所属支行\nA,C1,456,城关支行\n"
                      "A,C2,00457,城关支行\n")
    code, _out, err = _run(runner, "check", roster, book, "--as-of", AS_OF, "-f", "json")
    assert code == 1
    assert "leading zeros" in err


# ---------------------------------------------------------------- workbooks


def test_client_numbers_excel_rounded_in_a_workbook_are_not_merged_into_one_client(
        runner, tmp_path):
    """Promises: nothing is lost (every client counted or reported as a problem); README:
    client numbers in Excel's rounded form (`1.2E+11`) are rows that cannot be trusted, and "A
    number Excel rounded (6.22202E+18) cannot be recovered".

    An .xlsx client list whose 19-digit client numbers were typed into number cells: Excel
    (and openpyxl, as here) keeps 15 significant digits, `<v>6.22202123456789e+18</v>`, so
    three different clients are stored as the same number.
    Observed: exit 0, `summary.clients` 1: the three rows read as `6222021234567890…` (digits
    made up past the 15th) and are "identical client row repeated, counted once"; two clients
    vanish with a note. The same cells in a CSV (`6.22202E+18`) are refused as Excel-rounded.
    Expected: the rows reported as client numbers Excel rounded (exit 2 naming the workbook
    and its rows), never counted as one client.

    Probable cause: `load._read_excel` reads number cells as text (fastexcel `dtypes="string"`)
    and only strips `.0`; a number cell of 16+ digits is not recognised as rounded, and
    `validate._ODD_ID` only catches the `E+` spelling.
    """
    roster = write_file(tmp_path / "officers.csv", "officer_id,name,branch,status\n"
                                                   "001,Wang,North,active\n")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["客户号", "管户客户经理工号"])
    for n in (6222021234567890123, 6222021234567890124, 6222021234567890125):
        ws.append([n, "001"])
    book = tmp_path / "clients.xlsx"
    wb.save(book)
    code, out, err = _run(runner, "check", roster, book, "--as-of", AS_OF, "-f", "json")
    assert code == 2, out[-600:]
    assert "clients.xlsx" in err and "rounded" in err
