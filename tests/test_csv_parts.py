"""A folder of CSV parts (one export per bank or branch) read as one client list or roster.

Each part is read as a CSV on its own (encoding, title line, header names and order, total
line); the parts are then one table whose problems name the part and its own line.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from caseload.cli import app
from caseload.errors import InputError
from caseload.load import LINE, read_table
from tests.conftest import AS_OF, SAMPLE

ROSTER = (
    "工号,姓名,所属支行,岗位状态\n"
    "00101,王建国,城关支行,在岗\n"
    "00102,李秀英,城关支行,在岗\n"
)
PERSONAL = ("张三", "李四", "王五", "赵六", "钱七", "孙八")


def _json(runner: CliRunner, officers: Path, clients: Path, *extra: str) -> tuple[int, dict]:
    result = runner.invoke(app, ["check", str(officers), str(clients), "--format", "json",
                                 "--as-of", AS_OF, *extra])
    assert result.exit_code in (0, 1), result.stderr
    return result.exit_code, json.loads(result.stdout)


def _fails(runner: CliRunner, *args: str) -> str:
    """stderr of a run that must stop with exit 2 and one line naming the problem."""
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) >= 1 and lines[0].startswith("caseload: error: ")
    assert "Traceback" not in result.stderr
    for secret in PERSONAL:
        assert secret not in result.stderr
    return result.stderr


def _sample_lines() -> tuple[str, str, list[str], str]:
    """sample_data/clients.csv as (title, header, client lines, total line)."""
    text = (SAMPLE / "clients.csv").read_bytes().decode("gb18030")
    lines = text.split("\r\n")
    assert lines[-1] == ""
    return lines[0], lines[1], lines[2:-2], lines[-2]


def _write(path: Path, lines: list[str], encoding: str, newline: str = "\r\n") -> None:
    data = (newline.join(lines) + newline).encode("utf-8" if encoding == "utf-8-sig"
                                                  else encoding)
    path.write_bytes((b"\xef\xbb\xbf" if encoding == "utf-8-sig" else b"") + data)


def _without_inputs(doc: dict) -> dict:
    return {k: v for k, v in doc.items() if k != "inputs"}


# ---------------------------------------------------------------- the same book, in parts


def test_three_parts_give_the_same_check_as_one_file(runner, tmp_path):
    title, header, rows, total = _sample_lines()
    folder = tmp_path / "clients"
    folder.mkdir()
    _write(folder / "b-1.csv", [title, header, *rows[:2000]], "gb18030")  # 2002 lines
    _write(folder / "b-2.csv", [header, *rows[2000:4500]], "gb18030")  # 2501 lines
    _write(folder / "b-3.csv", [header, *rows[4500:], total], "gb18030")  # 2482 lines
    one_code, one = _json(runner, SAMPLE / "officers.csv", SAMPLE / "clients.csv")
    parts_code, parts = _json(runner, SAMPLE / "officers.csv", folder)
    assert parts_code == one_code == 1
    assert _without_inputs(parts) == _without_inputs(one)
    assert parts["inputs"][0] == one["inputs"][0]
    book = parts["inputs"][1]
    assert book["path"] == str(folder)
    assert book["rows_used"] == one["inputs"][1]["rows_used"] == 6980
    assert book["skipped"] == book["notes"] == []
    # lines count across the parts as if they were joined end to end: 合计 is b-3.csv line 2482
    assert book["total_lines"] == [2002 + 2501 + 2482]


def test_parts_in_gb18030_utf8_bom_and_english_headers_in_another_order(runner, tmp_path):
    title, header, rows, _total = _sample_lines()
    folder = tmp_path / "clients"
    folder.mkdir()
    _write(folder / "b-1.csv", [title, header, *rows[:2000]], "gb18030")
    _write(folder / "b-2.csv", [header, *rows[2000:4500]], "utf-8-sig", "\n")
    english = pl.read_csv(SAMPLE / "en" / "clients.csv", infer_schema=False)
    assert english.height == len(rows)
    reordered = english.slice(4500).select(list(reversed(english.columns)))
    reordered.write_csv(folder / "b-3.csv")  # UTF-8, no BOM, LF, English words
    _one_code, one = _json(runner, SAMPLE / "officers.csv", SAMPLE / "clients.csv")
    _code, parts = _json(runner, SAMPLE / "officers.csv", folder)
    assert _without_inputs(parts) == _without_inputs(one)
    assert parts["inputs"][1]["rows_used"] == 6980
    assert parts["inputs"][1]["total_lines"] == []


def test_the_roster_may_be_a_folder_of_parts_too(runner, tmp_path):
    text = (SAMPLE / "officers.csv").read_bytes().decode("gb18030").split("\r\n")[:-1]
    title, header, rows = text[0], text[1], text[2:]
    folder = tmp_path / "officers"
    folder.mkdir()
    _write(folder / "branch-1.csv", [title, header, *rows[:15]], "gb18030")
    _write(folder / "branch-2.csv", [header, *rows[15:]], "utf-8-sig")
    _one_code, one = _json(runner, SAMPLE / "officers.csv", SAMPLE / "clients.csv")
    _code, parts = _json(runner, folder, SAMPLE / "clients.csv")
    assert _without_inputs(parts) == _without_inputs(one)
    assert parts["inputs"][0]["rows_used"] == 40


# ---------------------------------------------------------------- problems by part and line


def _small_book(tmp_path: Path) -> tuple[Path, Path]:
    officers = tmp_path / "officers.csv"
    officers.write_text(ROSTER, encoding="utf-8")
    folder = tmp_path / "clients"
    folder.mkdir()
    (folder / "b-1.csv").write_text(
        "客户号,客户名称,管户客户经理工号,贷款余额\n"
        "C1,张三,00101,100\n"
        "C2,李四,00101,200\n", encoding="utf-8")  # 3 lines
    (folder / "b-2.csv").write_text(
        "XX农商行管户客户清单（导出日期：2026-11-20）\n"
        "client_name,balance,officer_id,client_id\n"
        "王五,300,00102,C3\n"
        "赵六,abc,00102,C4\n"
        "合计,,,\n", encoding="gb18030")  # 5 lines
    return officers, folder


def test_a_bad_row_in_part_2_is_named_by_the_part_and_its_own_line(runner, tmp_path):
    officers, folder = _small_book(tmp_path)
    err = _fails(runner, "check", officers, folder, "--as-of", AS_OF)
    assert "balance is not a number" in err
    assert "b-2.csv line 4" in err
    _code, doc = _json(runner, officers, folder, "--skip-bad-rows")
    book = doc["inputs"][1]
    assert book["rows_used"] == 3
    assert book["skipped"][0]["lines"] == [3 + 4]  # LINE across the parts
    assert book["total_lines"] == [3 + 5]


def _mend_balance(folder: Path) -> None:
    """b-2.csv of `_small_book` with its bad balance mended (for tests of other problems)."""
    part = folder / "b-2.csv"
    part.write_text(part.read_text(encoding="gb18030").replace("abc", "400"), encoding="gb18030")


def test_rows_of_the_wrong_shape_in_a_later_part_are_named_by_its_part(runner, tmp_path):
    officers, folder = _small_book(tmp_path)
    _mend_balance(folder)
    (folder / "b-3.csv").write_text(
        "客户号,管户客户经理工号,客户名称,贷款余额\n"
        "C5,00101,钱七,1\n"
        "C6,00101\n"
        'C7,00101,"孙八,2\n'
        "C8,00101,赵六,3\n"
        "C9,00101,钱七,3\n", encoding="utf-8")
    err = _fails(runner, "check", officers, folder, "--as-of", AS_OF)
    assert "fewer fields than the 4 headers: 1 row(s), b-3.csv line 3" in err
    assert "read as one cell: 3 row(s), b-3.csv lines 4, 5, 6" in err


def test_a_client_in_two_parts_is_named_by_both_parts(runner, tmp_path):
    officers, folder = _small_book(tmp_path)
    _mend_balance(folder)
    (folder / "b-3.csv").write_text(
        "客户号,管户客户经理工号,贷款余额\n"
        "C7,00101,1\n"
        "C2,00102,2\n", encoding="utf-8")
    err = _fails(runner, "check", officers, folder, "--as-of", AS_OF)
    assert "C2 under different officers: 2 row(s), b-1.csv line 3; b-3.csv line 3" in err


def test_a_repeated_header_and_blank_lines_in_a_part_keep_lines_right(tmp_path):
    folder = tmp_path / "clients"
    folder.mkdir()
    (folder / "a.csv").write_text("client_id,officer_id\nC1,1\n\nC2,1\n", encoding="utf-8")
    (folder / "b.csv").write_text("client_id,officer_id\nC3,1\nclient_id,officer_id\nC4,2\n",
                                  encoding="utf-8")
    raw = read_table(folder, "clients")
    assert raw.parts == [("a.csv", 1), ("b.csv", 5)]
    assert raw.frame[LINE].to_list() == [2, 4, 6, 8]
    assert raw.frame["client_id"].to_list() == ["C1", "C2", "C3", "C4"]
    assert raw.repeated_header_lines == [7]
    assert raw.blank_lines == 1
    assert raw.unit == "line"


# ---------------------------------------------------------------- what a folder may hold


def test_parts_are_read_in_natural_name_order(tmp_path):
    folder = tmp_path / "clients"
    folder.mkdir()
    for n in (10, 2, 1):
        (folder / f"part-{n}.csv").write_text(f"client_id,officer_id\nC{n},1\n", encoding="utf-8")
    (folder / "notes.txt").write_text("not a part")
    (folder / ".~lock.part-1.csv#").write_text("a lock file")
    raw = read_table(folder, "clients")
    assert [name for name, _ in raw.parts] == ["part-1.csv", "part-2.csv", "part-10.csv"]
    assert raw.frame["client_id"].to_list() == ["C1", "C2", "C10"]
    assert raw.frame[LINE].to_list() == [2, 4, 6]


def test_parts_without_the_same_columns_are_refused(runner, tmp_path):
    officers, folder = _small_book(tmp_path)
    (folder / "b-3.csv").write_text("客户号,管户客户经理工号,贷款余额,家庭号\nC9,00101,5,H1\n",
                                    encoding="utf-8")
    err = _fails(runner, "check", officers, folder, "--as-of", AS_OF)
    assert len(err.strip().splitlines()) == 1
    assert "b-3.csv" in err and "group_id" in err and "家庭号" in err


def test_a_part_lacking_a_column_the_first_has_is_refused(tmp_path):
    folder = tmp_path / "clients"
    folder.mkdir()
    (folder / "b-1.csv").write_text("客户号,管户客户经理工号,家庭号\nC1,1,H1\n", encoding="utf-8")
    (folder / "b-2.csv").write_text("客户号,管户客户经理工号\nC2,1\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"b-2\.csv: has no group_id column \(家庭号 in b-1\.csv\)"):
        read_table(folder, "clients")


def test_a_folder_of_csv_and_parquet_parts_is_refused(runner, tmp_path):
    officers, folder = _small_book(tmp_path)
    pl.DataFrame({"client_id": ["C8"], "officer_id": ["00101"]}).write_parquet(
        folder / "b-3.parquet")
    err = _fails(runner, "check", officers, folder, "--as-of", AS_OF)
    assert "both CSV and Parquet parts" in err


def test_a_workbook_among_csv_parts_is_refused_not_left_out(runner, tmp_path):
    officers, folder = _small_book(tmp_path)
    (folder / "b-3.xlsx").write_bytes(b"PK\x03\x04")
    err = _fails(runner, "check", officers, folder, "--as-of", AS_OF)
    assert "b-3.xlsx" in err


@pytest.mark.parametrize("content", [[], ["notes.txt"]])
def test_a_folder_without_parts_says_what_it_must_hold(runner, tmp_path, content):
    officers, _ = _small_book(tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    for name in content:
        (empty / name).write_text("hello")
    err = _fails(runner, "check", officers, empty, "--as-of", AS_OF)
    assert "holds no parts" in err and ".csv" in err and ".parquet" in err


def test_an_empty_part_is_named(runner, tmp_path):
    officers, folder = _small_book(tmp_path)
    (folder / "b-3.csv").write_bytes(b"")
    err = _fails(runner, "check", officers, folder, "--as-of", AS_OF)
    assert "b-3.csv: is empty" in err


def test_apply_refuses_a_folder(runner, tmp_path):
    officers, folder = _small_book(tmp_path)
    _mend_balance(folder)
    moves = tmp_path / "moves.csv"
    planned = runner.invoke(app, ["plan", str(officers), str(folder), "--out", str(moves),
                                  "--as-of", AS_OF, "--threshold", "2"])
    assert planned.exit_code in (0, 1), planned.stderr
    err = _fails(runner, "apply", folder, moves, "--out", tmp_path / "after.csv")
    assert "is a folder" in err
    assert not (tmp_path / "after.csv").exists()


def test_lines_are_counted_in_the_part_s_own_encoding(tmp_path):
    folder = tmp_path / "clients"
    folder.mkdir()
    (folder / "a.csv").write_bytes("客户号,管户客户经理工号\r\nC1,1\r\nC2,1".encode("utf-16"))
    (folder / "b.csv").write_bytes("客户号,管户客户经理工号\nC3,1\n".encode("gb18030"))
    raw = read_table(folder, "clients")
    assert raw.parts == [("a.csv", 1), ("b.csv", 4)]  # a.csv: 3 lines, the last without an end
    assert raw.frame[LINE].to_list() == [2, 3, 5]
    assert raw.encoding == "mixed"
    assert raw.headers["client_id"] == "客户号"


def test_a_column_named_differently_by_the_parts_is_named_both_ways(runner, tmp_path):
    officers, folder = _small_book(tmp_path)
    (folder / "b-2.csv").write_text((folder / "b-2.csv").read_text(encoding="gb18030")
                                    .replace("abc,00102,C4", "400,00102,"), encoding="gb18030")
    err = _fails(runner, "check", officers, folder, "--as-of", AS_OF)
    assert "blank client number (column 客户号 / client_id): 1 row(s), b-2.csv line 4" in err
