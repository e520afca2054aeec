"""load_inputs: problems of both files in one run; --header-row describes the client export."""

from __future__ import annotations

import json

from caseload.cli import app
from tests.conftest import write_exports


def test_problems_of_both_files_are_reported_together(runner, tmp_path):
    o, c = write_exports(
        tmp_path,
        "officer_id,name,branch,status\n001,甲,B1,active\n002,乙,B1,retired?\n",
        "client_id,officer_id,branch\nC1,001,B1\n,001,B1\n",
    )
    result = runner.invoke(app, ["check", str(o), str(c)])
    assert result.exit_code == 2
    assert "officers.csv" in result.stderr and "clients.csv" in result.stderr
    assert "line 3" in result.stderr
    assert "Traceback" not in result.output


def test_an_unreadable_roster_is_named_first_though_read_beside_the_book(runner, tmp_path):
    """The roster is read in a thread while the book is parsed: when both files cannot be
    read, the error is still the roster's, as when it was read first."""
    o, c = write_exports(tmp_path, "", "client_id,officer_id\nC1,001\n")
    c.write_bytes(b"PK\x03\x04 not really a workbook")
    result = runner.invoke(app, ["check", str(o), str(c)])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"caseload: error: {o}: "), result.stderr
    assert str(c) not in result.stderr and "Traceback" not in result.output
    o.write_text("officer_id,name,branch\n001,甲,B1\n", encoding="utf-8")
    result = runner.invoke(app, ["check", str(o), str(c)])
    assert result.exit_code == 2 and str(c) in result.stderr  # (the book's own error then)


def test_header_row_applies_to_clients_only(runner, tmp_path):
    o, c = write_exports(
        tmp_path,
        "officer_id,name,branch\n001,甲,B1\n",
        "导出说明\n另一行说明\nclient_id,officer_id,branch\nC1,001,B1\n",
    )
    result = runner.invoke(app, ["check", str(o), str(c), "--header-row", "3",
                                 "--format", "json"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["summary"]["clients"] == 1


def test_plan_reasons_follow_the_language(runner, tmp_path):
    import polars as pl

    out = tmp_path / "moves.csv"
    runner.invoke(app, ["plan", "sample_data/officers.csv", "sample_data/clients.csv",
                        "--out", str(out), "--as-of", "2026-11-20", "--lang", "zh"])
    reasons = pl.read_csv(out, infer_schema=False)["reason"]
    assert reasons.str.contains("超上限|已调离|未分配|不在客户经理名单").all()
    assert not reasons.str.contains("over the limit").any()


def test_export_without_branch_columns_is_one_branch(runner, tmp_path):
    import json

    o, c = tmp_path / "officers.csv", tmp_path / "clients.csv"
    o.write_text("工号,姓名,岗位状态\n001,甲,在岗\n002,乙,在岗\n003,丙,调离\n", encoding="utf-8")
    rows = ["客户号,管户客户经理工号"] + [f"C{i},001" for i in range(12)] + ["D1,003", "E1,"]
    c.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["check", str(o), str(c), "--threshold", "10", "--format", "json"])
    doc = json.loads(result.stdout)
    assert doc["summary"]["moves"] == 4 and doc["summary"]["cannot_place"] == 0
    assert {t["to_officer_id"] for t in doc["transfers"]} == {"002"}


def test_unassigned_clients_of_a_one_branch_roster_are_placed_there(runner, tmp_path):
    import json

    o, c = tmp_path / "officers.csv", tmp_path / "clients.csv"
    o.write_text("工号,姓名,所属支行\n001,甲,城关支行\n002,乙,城关支行\n", encoding="utf-8")
    c.write_text("客户号,管户客户经理工号\nC1,001\nE1,\nE2,09999\n", encoding="utf-8")
    result = runner.invoke(app, ["check", str(o), str(c), "--format", "json"])
    doc = json.loads(result.stdout)
    assert doc["summary"]["orphaned"] == 2 and doc["summary"]["moves"] == 2
    assert doc["summary"]["cannot_place"] == 0


def _counted(path):
    import polars as pl

    from caseload.load import read_table
    from caseload.validate import validate_clients

    valid = validate_clients(read_table(path, "clients"), skip_bad_rows=True)
    by_group_by = (valid.frame.group_by("officer_id").agg(pl.len().cast(pl.Int64)
                                                         .alias("accounts")))
    return valid.officer_counts, by_group_by


def test_counts_taken_while_validating_match_the_book(tmp_path):
    """Counted per spelling, then tidied: '001', ' 001', '００１' and blanks add up right."""
    c = tmp_path / "clients.csv"
    c.write_text("client_id,officer_id,branch\nC1,001,B1\nC2, 001 ,B1\nC3,００１,B1\n"
                 "C4,,B1\nC5,  ,B1\nC6,002,B1\n", encoding="utf-8")
    counts, expected = _counted(c)
    assert counts is not None
    assert sorted(counts.rows(), key=str) == sorted(expected.rows(), key=str)
    assert dict(counts.rows()) == {"001": 3, None: 2, "002": 1}


def test_no_counts_taken_on_the_way_once_rows_are_left_out(tmp_path):
    c = tmp_path / "clients.csv"
    c.write_text("client_id,officer_id,branch\nC1,001,B1\nC1,001,B1\nC2,001,B1\n,001,B1\n",
                 encoding="utf-8")
    counts, expected = _counted(c)
    assert counts is None  # (a repeated row and a blank client number were left out)
    assert dict(expected.rows()) == {"001": 2}


def test_no_counts_taken_on_the_way_with_a_bank_column(tmp_path):
    """Province-wide: identities become bank/number after the counting pass, so it is skipped."""
    c = tmp_path / "clients.csv"
    c.write_text("client_id,officer_id,branch,bank\nC1,001,B1,甲行\nC2,001,B1,乙行\n",
                 encoding="utf-8")
    counts, expected = _counted(c)
    assert counts is None
    assert dict(expected.rows()) == {"甲行/001": 1, "乙行/001": 1}


def test_counts_that_do_not_add_up_to_the_book_are_recounted(tmp_path):
    import polars as pl

    from caseload.config import Settings
    from caseload.workload import count_workload

    officers = pl.DataFrame({"officer_id": ["001"], "name": ["甲"], "branch": ["B1"],
                             "branch_id": [None], "region": [None], "status": ["active"],
                             "grade": [None], "capacity": [None], "bank": [None]},
                            schema_overrides=dict.fromkeys(("branch_id", "region", "grade",
                                                            "bank"), pl.String)
                            | {"capacity": pl.Int64})
    clients = pl.DataFrame({"officer_id": ["001", "001"], "branch": ["B1", "B1"],
                            "branch_id": [None, None]}, schema_overrides={"branch_id": pl.String})
    stale = pl.DataFrame({"officer_id": ["001"], "accounts": [5]})
    work = count_workload(officers, clients, Settings(), stale)
    assert work.officers["accounts"].to_list() == [2]


def test_a_data_line_taken_as_the_header_is_not_echoed(runner, tmp_path):
    """--header-row on a client's line: the message must not repeat the client's ID or phone."""
    o, c = write_exports(
        tmp_path,
        "工号,姓名\n001,甲\n",
        "客户号,客户名称,身份证号,手机号,管户客户经理工号\n"
        "C00001,张三,320311199110130001,13800000001,001\n",
    )
    result = runner.invoke(app, ["check", str(o), str(c), "--header-row", "2",
                                 "--map", "client_id=C00001"])
    assert result.exit_code == 2
    assert "looks like data, not a header" in result.stderr
    for personal in ("张三", "320311199110130001", "13800000001"):
        assert personal not in result.stderr


def test_clients_of_a_roster_row_left_out_are_not_planned_away(runner, tmp_path):
    """--skip-bad-rows leaves out 00123's row (an unknown status): its clients stay put."""
    o, c, m = tmp_path / "officers.csv", tmp_path / "clients.csv", tmp_path / "moves.csv"
    o.write_text("工号,姓名,岗位状态\n00123,张伟,出差\n00999,赵六,在岗\n", encoding="utf-8")
    c.write_text("客户号,管户客户经理工号\nC1,00123\nC2,00123\n", encoding="utf-8")
    result = runner.invoke(app, ["plan", str(o), str(c), "--as-of", "2026-11-20",
                                 "--skip-bad-rows", "--out", str(m)])
    assert result.exit_code == 1  # (two clients whose officer is unknown here remain)
    assert "0 client moves" in result.stdout
    assert "2 client(s) of officers whose roster rows were left out" in result.stderr
    check = runner.invoke(app, ["check", str(o), str(c), "--skip-bad-rows", "--format", "json"])
    assert json.loads(check.stdout)["summary"]["unknown_officer"] == 2


def test_staff_numbers_that_lost_their_zeros_are_pointed_out(runner, tmp_path):
    o, c = write_exports(
        tmp_path,
        "工号,姓名\n00456,甲\n00789,乙\n",
        "客户号,管户客户经理工号\nC1,456\nC2,00456\nC3,12\n",
    )
    result = runner.invoke(app, ["check", str(o), str(c), "--format", "json"])
    assert json.loads(result.stdout)["summary"]["unknown_officer"] == 2  # (456 and 12)
    assert "1 client(s) name staff numbers that are on the roster only with leading zeros" \
        in result.stderr
