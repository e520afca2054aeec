"""Differences between `--low-memory` and a whole read, found in review.

`--low-memory` promises the same output as a whole read, byte for byte: JSON, tables, plan
file, exit code and messages. Each test here runs one command with and without the flag and
fails where the two differ; its docstring says what differs, where it comes from, and why it
matters.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from caseload import low_memory
from tests.conftest import write_file
from tests.test_low_memory import both as _both

ROSTER = ("officer_id,name,branch,status\n"
          "001,Wang,North,active\n002,Li,North,active\n")


# ---------------------------------------------------------------- which error is said


def test_row_problems_of_both_files_are_reported_together(runner, tmp_path):
    """Roster and book both have a bad row: a whole read reports both, --low-memory only one.

    `load_inputs` documents that "row problems of both files are reported together", and the
    whole read does (one message naming both files, with both files' details). With
    --low-memory, `load_inputs` raises the roster's problems alone before the book is read
    (check.py: `if problems: raise problems[0]`), so the book's bad rows go unreported: the
    user fixes the roster, reruns the (twice-as-slow) check, and only then learns of the
    book's problems. Exit code is 2 both ways; the message differs.
    """
    roster = write_file(tmp_path / "officers.csv", ROSTER.replace("002,Li,North,active",
                                                                   "002,Li,North,holiday"))
    book = write_file(tmp_path / "clients.csv",
                      "client_id,officer_id,balance\nC1,001,10\nC2,001,x\nC3,002,5\n")
    whole, low = _both(runner, "check", roster, book)
    assert whole[0] == 2
    assert "balance is not a number" in whole[2]
    assert low == whole


def test_a_missing_bank_column_is_said_before_the_book_rows_problems(runner, tmp_path):
    """Roster has a bank column (法人行社), the book has none and also has a bad row.

    A whole read refuses at once with "has no bank column (法人行社) but the roster has
    one" (checked right after reading, before validation). With --low-memory the bank columns
    are compared only after `read_book` has read and validated the whole book twice, so the
    book's row problems are raised first: the user is told to fix a balance cell when the real
    problem is that the exports do not match (a province roster with one bank's book). The
    message differs (exit 2 both ways), and on a big book the refusal comes only after two
    full readings.
    """
    roster = write_file(tmp_path / "officers.csv",
                        "法人行社,officer_id,name,branch,status\nB1,001,Wang,North,active\n")
    book = write_file(tmp_path / "clients.csv", "client_id,officer_id,balance\nC1,001,10\n"
                                                "C2,001,x\n")
    whole, low = _both(runner, "check", roster, book)
    assert whole[0] == 2
    assert "has no bank column" in whole[2]
    assert low == whole


# ---------------------------------------------------------------- figures


def test_branch_codes_only_on_rows_left_out_as_conflicting_repeats(runner, tmp_path):
    """--skip-bad-rows; the only rows giving a branch code (机构号) are a client number held
    under two officers, so both are left out.

    A whole read decides whether branches are keyed by code after the repeats are left out:
    no kept row gives a code, so branches are keyed by name ("North"). `read_book` sets
    `book_branch_ids` in pass 1 (low_memory.py: `codes = codes or ...`), before repeats are
    judged, so --low-memory keys them by code ("N1"): every branch_key in the JSON differs,
    and so would the branch keys recorded in the weekly history (a branch recorded under two
    keys in two weeks).
    """
    roster = write_file(tmp_path / "officers.csv",
                        "officer_id,name,branch,branch_id,status\n001,Wang,North,N1,active\n"
                        "002,Li,North,N1,active\n003,Zhao,South,S1,departed\n")
    book = write_file(tmp_path / "clients.csv",
                      "client_id,officer_id,branch_id,balance\nC1,001,N1,10\nC2,003,,20\n"
                      "C3,002,,5\nC1,002,N1,10\n")
    whole, low = _both(runner, "check", roster, book, "-f", "json", "--skip-bad-rows")
    assert whole[0] == 1
    assert {b["branch_key"] for b in json.loads(whole[1])["branches"]} == {"North", "South"}
    assert low == whole


# ---------------------------------------------------------------- Parquet parts


def _parquet_folder(tmp_path: Path, second: pl.DataFrame) -> Path:
    folder = tmp_path / "clients"
    folder.mkdir()
    pl.DataFrame({"client_id": ["C1", "C2"], "officer_id": ["001", "002"]}).write_parquet(
        folder / "a-1.parquet")
    second.write_parquet(folder / "a-2.parquet")
    return folder


@pytest.mark.parametrize("second", [
    pl.DataFrame({"客户号": ["C3"], "客户经理工号": ["001"]}),  # other header names
    pl.DataFrame({"client_id": [3], "officer_id": ["001"]}),  # numbers as integers
], ids=["header-names", "integer-column"])
def test_parquet_parts_a_whole_read_refuses_are_counted_with_low_memory(runner, tmp_path,
                                                                        second):
    """A folder of Parquet parts whose second part's columns differ (other header names, a
    column more, client numbers stored as integers).

    A whole read refuses the folder, exit 2, naming the part and the column (since the fourth
    review; before, "holds Parquet parts that cannot be read as one table"). With
    --low-memory each part is read on its own (`_part_tables` -> `_slices` ->
    `_read_parquet(part)`), so the same folder is counted, exit 0, with a full report. The
    same exports pass or fail depending on a memory flag: a cron job switched to
    --low-memory starts accepting exports the weekly check used to refuse (and vice versa
    when switched back).
    """
    roster = write_file(tmp_path / "officers.csv", ROSTER)
    folder = _parquet_folder(tmp_path, second)
    whole, low = _both(runner, "check", roster, folder, "-f", "json")
    assert whole[0] == 2
    assert "a-2.parquet" in whole[2] and "needs the same columns" in whole[2]  # (review 4)
    assert low == whole


def test_a_parquet_part_with_a_column_the_run_does_not_use_is_read_alike(runner, tmp_path):
    """A column more in one part (a remark nobody reads): both reads count the folder, as a
    folder of CSV parts is counted (only the columns the run uses must match)."""
    roster = write_file(tmp_path / "officers.csv", ROSTER)
    folder = _parquet_folder(tmp_path, pl.DataFrame(
        {"client_id": ["C3"], "officer_id": ["001"], "note": ["x"]}))
    whole, low = _both(runner, "check", roster, folder, "-f", "json")
    assert whole[0] == 0, whole[2]
    assert json.loads(whole[1])["summary"]["clients"] == 3
    assert low == whole


def test_a_parquet_folder_without_a_required_column_is_named_as_the_folder(runner, tmp_path):
    """A folder of Parquet parts without a client-number column.

    A whole read names the folder ("clients: row 1: required column client_id missing ...").
    With --low-memory the header is chosen per part (`_read_parquet(part, ...)`), so the
    message names the first part file instead ("clients/a-1.parquet: row 1: ..."): stderr
    differs from a whole read for the same input.
    """
    roster = write_file(tmp_path / "officers.csv", ROSTER)
    folder = tmp_path / "clients"
    folder.mkdir()
    for i in (1, 2):
        pl.DataFrame({"cid": [f"C{i}"], "officer_id": ["001"]}).write_parquet(
            folder / f"a-{i}.parquet")
    whole, low = _both(runner, "check", roster, folder)
    assert whole[0] == 2
    assert f"error: {folder}: row 1: required column client_id missing" in whole[2]
    assert low == whole


# ---------------------------------------------------------------- one CSV file in slices


def test_a_gb18030_book_with_an_ascii_first_megabyte_is_read(runner, tmp_path):
    """A GB18030 export whose first megabyte is plain ASCII (numbers and codes), with Chinese
    only further down (here a branch name in the last row).

    A whole read finds the file is not UTF-8 past its ASCII head and reads it as GB18030
    (`load._read_csv`), exit 0. `csv_slices` cannot go back and refuses, exit 2 ("bytes that
    are not UTF-8 past an ASCII head ... or check it without --low-memory"). This happens
    even when the file is a single slice (the default SLICE_BYTES of 64 MB, here 1.1 MB), so
    a file small enough to need no slicing at all is refused only because of the flag.
    """
    roster = write_file(tmp_path / "officers.csv", ROSTER)
    rows = "".join(f"C{i:07d},001,North\n" for i in range(60_000))
    book = tmp_path / "clients.csv"
    book.write_bytes(("client_id,officer_id,branch\n" + rows).encode("ascii")
                     + "C9999999,002,城关支行\n".encode("gb18030"))
    assert book.stat().st_size > (1 << 20)
    whole, low = _both(runner, "check", roster, book, "-f", "json", "--threshold", "100000")
    assert whole[0] == 0
    assert json.loads(whole[1])["summary"]["clients"] == 60_001
    assert low == whole


def test_a_gb18030_file_read_as_utf8_is_named_as_a_whole_read_names_it(runner, tmp_path):
    """`--encoding utf-8` given for a GB18030 export (Chinese in its very first line).

    A whole read says "line 1: bytes that are not valid UTF-8 (a damaged or mixed-encoding
    file; re-export it, or name the encoding with --encoding)". With --low-memory the
    `_NotUtf8` handler of `csv_slices` says, whatever the cause, "bytes that are not UTF-8
    past an ASCII head; name its encoding with --encoding, or check it without
    --low-memory": wrong here (there is no ASCII head, and the user did name an encoding,
    the wrong one), and not the whole read's message.
    """
    roster = write_file(tmp_path / "officers.csv", ROSTER)
    book = write_file(tmp_path / "clients.csv",
                      "客户号,管户客户经理工号,所属支行\nC1,001,城关支行\n", "gb18030")
    whole, low = _both(runner, "check", roster, book, "--encoding", "utf-8")
    assert whole[0] == 2
    assert "not valid UTF-8" in whole[2]
    assert low == whole


def test_a_stray_quote_before_a_cell_with_a_line_break_is_read_as_a_whole_read_reads_it(
        runner, tmp_path, monkeypatch):
    """A remark with a stray inch mark (`5" pipe`, an unquoted cell), then a quoted remark
    over two lines.

    A whole read reads the file cleanly: 3 clients, exit 0. `csv_slices._cuts` counts quote
    marks to stay outside quoted cells; the stray one makes the count even inside the quoted
    remark, so the file is cut between its two lines, and the second half (`line two"`) is
    read as a row of its own: "fewer fields than the 3 headers", exit 2, nothing counted
    (with --skip-bad-rows: a row skipped that a whole read keeps). The module docstring
    accepts this ("the file can be checked without --low-memory"), but the README promises
    the same exit code and output, and stray quotes are common in free-text remark columns.
    """
    monkeypatch.setattr(low_memory, "SLICE_BYTES", 20)
    roster = write_file(tmp_path / "officers.csv", ROSTER)
    book = write_file(tmp_path / "clients.csv",
                      'client_id,officer_id,note\nC1,001,5" pipe\n'
                      'C2,002,"line one\nline two"\nC3,001,ok\n')
    whole, low = _both(runner, "check", roster, book, "-f", "json")
    assert whole[0] == 0
    assert json.loads(whole[1])["summary"]["clients"] == 3
    assert low == whole
