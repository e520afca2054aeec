"""`caseload check` through the CLI: exit codes, every format, golden output, the JSON contract."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from caseload import __version__
from caseload.cli import app
from tests.conftest import AS_OF, assert_golden, write_exports

# Relative to the repository root (the runner fixture's working folder), so that golden
# output naming the files is the same in any clone.
ZH = ["sample_data/officers.csv", "sample_data/clients.csv"]
EN = ["sample_data/en/officers.csv", "sample_data/en/clients.csv"]


def write_pair(tmp: Path, officers: list[str], clients: list[str]) -> list[str]:
    o, c = tmp / "officers.csv", tmp / "clients.csv"
    o.write_text("\n".join(officers) + "\n", encoding="utf-8")
    c.write_text("\n".join(clients) + "\n", encoding="utf-8")
    return [str(o), str(c)]


def book(officer: str, n: int, start: int = 0, branch: str = "B1") -> list[str]:
    return [f"C{start + i:06d},{officer},{branch}" for i in range(n)]


ROSTER = ["officer_id,name,branch,status", "001,甲,B1,active", "002,乙,B1,active",
          "003,丙,B1,departed", "004,丁,B1,leave"]


def check_json(runner, files: list[str], *extra: str) -> tuple[int, dict]:
    result = runner.invoke(app, ["check", *files, "--as-of", AS_OF, "--format", "json", *extra])
    return result.exit_code, json.loads(result.stdout)


def test_sample_table_golden(runner):
    result = runner.invoke(app, ["check", *ZH, "--as-of", AS_OF])
    assert result.exit_code == 1
    assert_golden("check_sample_table.txt", result.stdout)


def test_sample_table_golden_chinese(runner):
    result = runner.invoke(app, ["check", *ZH, "--as-of", AS_OF, "--lang", "zh"])
    assert result.exit_code == 1
    assert_golden("check_sample_table_zh.txt", result.stdout)


def test_sample_json_golden(runner):
    result = runner.invoke(app, ["check", *ZH, "--as-of", AS_OF, "--format", "json"])
    assert result.exit_code == 1
    assert_golden("check_sample.json", result.stdout)


def test_sample_markdown_and_csv_golden(runner):
    md = runner.invoke(app, ["check", *ZH, "--as-of", AS_OF, "--format", "markdown"])
    assert md.exit_code == 1
    assert_golden("check_sample.md", md.stdout)
    csv_out = runner.invoke(app, ["check", *ZH, "--as-of", AS_OF, "--format", "csv"])
    assert csv_out.exit_code == 1
    assert_golden("check_sample_officers.csv", csv_out.stdout)
    assert len(csv_out.stdout.splitlines()) == 1 + 40  # header + every officer on the roster


def test_english_and_chinese_exports_agree(runner):
    _, zh = check_json(runner, ZH)
    _, en = check_json(runner, EN)
    assert zh["summary"] == en["summary"]
    assert zh["officers"] == en["officers"]
    assert zh["transfers"] == en["transfers"]


def test_a_folder_of_parquet_parts_gives_the_same_check(runner, tmp_path):
    book = pl.read_csv(EN[1], infer_schema=False)
    folder = tmp_path / "clients"
    folder.mkdir()
    for i, part in enumerate(book.iter_slices(2500)):
        part.write_parquet(folder / f"part-{i}.parquet")
    assert len(list(folder.iterdir())) == 3
    code_csv, from_csv = check_json(runner, EN)
    code_parts, from_parts = check_json(runner, [EN[0], str(folder)])
    assert code_parts == code_csv
    for key in ("summary", "officers", "transfers"):
        assert from_parts[key] == from_csv[key]


def test_json_contract(runner):
    code, doc = check_json(runner, ZH)
    assert code == 1
    assert doc["threshold"] == 300
    assert {"clients", "officers", "over", "near", "orphaned"} <= doc["summary"].keys()
    for o in doc["officers"]:
        assert {"officer_id", "name", "branch", "status", "accounts", "capacity", "over"} <= o.keys()
        assert isinstance(o["over"], bool)
        assert o["status"] in ("active", "leave", "departed")
    for t in doc["transfers"]:
        assert {"from_officer_id", "to_officer_id", "clients"} <= t.keys()
        assert t["clients"] > 0
    assert any(t["from_officer_id"] is None for t in doc["transfers"])


def test_nothing_lost(runner):
    _, doc = check_json(runner, ZH)
    s = doc["summary"]
    counted = sum(o["accounts"] for o in doc["officers"])
    assert counted + s["unassigned"] + s["unknown_officer"] == s["clients"] == 6980
    departed = sum(o["accounts"] for o in doc["officers"] if o["status"] == "departed")
    assert s["orphaned"] == s["unassigned"] + s["unknown_officer"] + departed


def test_ids_keep_leading_zeros(runner):
    _, doc = check_json(runner, ZH)
    assert all(len(o["officer_id"]) == 5 for o in doc["officers"])
    assert "00557" in {o["officer_id"] for o in doc["officers"]}


def test_exactly_at_limit_is_not_over_and_one_more_is(runner, tmp_path):
    files = write_pair(tmp_path, ROSTER, ["client_id,officer_id,branch"]
                       + book("001", 300) + book("002", 301, start=1000))
    code, doc = check_json(runner, files)
    by_id = {o["officer_id"]: o for o in doc["officers"]}
    assert by_id["001"]["over"] is False and by_id["001"]["near"] is True
    assert by_id["002"]["over"] is True
    assert code == 1
    assert doc["summary"]["cannot_place"] == 1  # nobody in B1 has room for the 301st
    assert doc["branches"][0]["officers_needed"] == 1


def test_clean_branch_exits_zero(runner, tmp_path):
    files = write_pair(tmp_path, ROSTER[:3], ["client_id,officer_id,branch"] + book("001", 10))
    code, doc = check_json(runner, files)
    assert code == 0
    assert doc["summary"]["over"] == 0 and doc["summary"]["orphaned"] == 0
    assert doc["transfers"] == []
    result = runner.invoke(app, ["check", *files, "--as-of", AS_OF])
    assert result.exit_code == 0
    assert "Nobody is over the limit" in result.stdout


def test_roster_without_clients(runner, tmp_path):
    files = write_pair(tmp_path, ROSTER, ["client_id,officer_id,branch"])
    code, doc = check_json(runner, files)
    assert code == 0
    assert [o["accounts"] for o in doc["officers"]] == [0, 0, 0, 0]


def test_orphans_of_each_kind_are_placed_with_active_officers(runner, tmp_path):
    clients = (["client_id,officer_id,branch"] + book("003", 3) + book("", 2, start=10)
               + book("999", 4, start=20) + book("004", 5, start=30))
    code, doc = check_json(runner, write_pair(tmp_path, ROSTER, clients))
    s = doc["summary"]
    assert (s["departed"], s["unassigned"], s["unknown_officer"], s["orphaned"]) == (3, 2, 4, 9)
    assert code == 1
    receivers = {t["to_officer_id"] for t in doc["transfers"]}
    assert receivers <= {"001", "002"}  # never the officer on leave or the departed one
    moved = [(t["from_officer_id"], t["clients"]) for t in doc["transfers"]]
    assert sum(n for _, n in moved) == 9
    assert {f for f, _ in moved} == {"003", None}  # null for clients with no officer on roster
    leave = next(o for o in doc["officers"] if o["officer_id"] == "004")
    assert leave["accounts"] == 5 and leave["accounts_after"] == 5  # keeps clients


def test_threshold_option(runner, tmp_path):
    files = write_pair(tmp_path, ROSTER[:3], ["client_id,officer_id,branch"] + book("001", 12))
    code, doc = check_json(runner, files, "--threshold", "10")
    assert code == 1 and doc["threshold"] == 10
    assert doc["transfers"] == [{"from_officer_id": "001", "from_name": "甲",
                                 "to_officer_id": "002", "to_name": "乙", "branch": "B1",
                                 "to_branch": "B1", "crosses_branch": False, "clients": 2}]
    code, _ = check_json(runner, files, "--threshold", "10", "--exit-zero")
    assert code == 0


def test_missing_file_exits_two_with_one_line(runner, tmp_path):
    result = runner.invoke(app, ["check", str(tmp_path / "nope.csv"), ZH[1]])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [f"caseload: error: {tmp_path / 'nope.csv'}: no such file"]
    assert "Traceback" not in result.output


def test_bad_usage_exits_two(runner):
    assert runner.invoke(app, ["check", *ZH, "--threshold", "0"]).exit_code == 2
    assert runner.invoke(app, ["check", *ZH, "--format", "yaml"]).exit_code == 2
    assert runner.invoke(app, ["check", *ZH, "--as-of", "yesterday"]).exit_code == 2
    assert runner.invoke(app, ["check", ZH[0]]).exit_code == 2


def test_version_and_help(runner):
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.stdout.strip() == f"caseload {__version__}"
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("check", "plan", "apply"):
        assert command in result.stdout


@pytest.mark.parametrize("command", ["check", "plan", "apply"])
def test_every_command_is_documented(runner, command):
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert len(result.stdout) > 200


def test_quiet_prints_only_findings(runner):
    result = runner.invoke(app, ["check", *ZH, "--as-of", AS_OF, "-q"])
    assert result.exit_code == 1
    assert "Summary" not in result.stdout and "Clients" not in result.stdout
    assert "07296" in result.stdout


def test_plain_text_when_not_a_terminal(runner):
    result = runner.invoke(app, ["check", *ZH, "--as-of", AS_OF])
    assert "\x1b[" not in result.stdout


def test_same_files_same_output(runner):
    first = runner.invoke(app, ["check", *ZH, "--as-of", AS_OF, "--format", "json"]).stdout
    second = runner.invoke(app, ["check", *ZH, "--as-of", AS_OF, "--format", "json"]).stdout
    assert first == second


def test_installed_entry_point_starts():
    exe = shutil.which("caseload", path=str(Path(sys.executable).parent))
    assert exe, "the caseload console script is not installed next to this Python"
    done = subprocess.run([exe, "--version"], capture_output=True, text=True, check=False)
    assert done.returncode == 0 and done.stdout.startswith("caseload ")


def test_csv_and_markdown_outputs_are_safe_to_open_and_to_mail(runner, tmp_path):
    """A cell a spreadsheet would run as a formula is quoted; a line break cannot end a row."""
    officers, clients = write_exports(
        tmp_path,
        "工号,姓名,所属支行,职级\n001,=1+2,@分行,-级\n002,\"乙\n二\",@分行,\n",
        "客户号,管户客户经理工号,所属支行\n"
        + "".join(f"C{i},00{1 + i % 2},@分行\n" for i in range(8)),
    )
    args = ["check", str(officers), str(clients), "--threshold", "3", "--as-of", AS_OF]
    out = runner.invoke(app, [*args, "--format", "csv"])
    assert out.exit_code == 1, out.output
    rows = list(csv.reader(io.StringIO(out.stdout)))
    assert rows[1][:3] == ["001", "'=1+2", "'@分行"] and rows[1][6] == "'-级"
    md = runner.invoke(app, [*args, "--format", "markdown"]).stdout
    assert "| 002 | 乙 二 | @分行 |" in md


def test_branches_without_active_officers_or_without_a_name_keep_the_contracts_types(
        runner, tmp_path):
    officers, clients = write_exports(
        tmp_path,
        "工号,姓名,所属支行,岗位状态\n001,甲,城关支行,离职\n003,丙,河口支行,在岗\n",
        "客户号,管户客户经理工号,所属支行\nC1,001,城关支行\nC2,,\nC3,003,河口支行\n",
    )
    args = ["check", str(officers), str(clients), "--as-of", AS_OF]
    doc = json.loads(runner.invoke(app, [*args, "--format", "json"]).stdout)
    by_key = {b["branch_key"]: b for b in doc["branches"]}
    assert set(by_key) == {"城关支行", "河口支行", None}
    for b in doc["branches"]:  # (no nulls where the contract has numbers)
        assert all(isinstance(b[k], int) for k in ("active_officers", "max_before",
                                                   "over_after", "cannot_place"))
        assert isinstance(b["mean_before"], float)
    assert by_key["城关支行"]["active_officers"] == 0 and by_key["城关支行"]["cannot_place"] == 1
    assert by_key[None]["cannot_place"] == 1
    assert "(no branch)" in runner.invoke(app, args).stdout


def test_transfers_from_two_branches_to_one_receiver_are_two_entries(runner, tmp_path):
    officers, clients = write_exports(
        tmp_path,
        "工号,姓名,所属支行,岗位状态,片区\n001,甲,城关支行,在岗,东\n"
        "002,乙,河口支行,在岗,东\n",
        "客户号,管户客户经理工号,所属支行\n"
        + "".join(f"C{i},001,城关支行\n" for i in range(1, 8))
        + "C8,,城关支行\nC9,,河口支行\n",
    )
    out = runner.invoke(app, ["check", str(officers), str(clients), "--threshold", "5",
                              "--scope", "region", "--as-of", AS_OF, "--format", "json"])
    orphans = [(t["branch"], t["to_branch"], t["crosses_branch"], t["clients"])
               for t in json.loads(out.stdout)["transfers"] if t["from_officer_id"] is None]
    assert orphans == [("城关支行", "河口支行", True, 1), ("河口支行", "河口支行", False, 1)]


def test_settings_that_change_nothing_are_said_on_stderr(runner, tmp_path):
    officers, clients = write_exports(
        tmp_path,
        "工号,姓名,所属支行\n001,甲,城关支行\n",
        "客户号,管户客户经理工号\nC1,001\n",
    )
    args = ["check", str(officers), str(clients), "--as-of", AS_OF, "--format", "json"]
    result = runner.invoke(app, [*args, "--scope", "region", "--grade-limit", "总监=5"])
    assert result.exit_code == 0
    assert "--scope region: the roster has no region" in result.stderr
    assert "grade limit '总监': no officer on the roster has this grade" in result.stderr
    json.loads(result.stdout)  # (stdout stays the document alone)
    quiet = runner.invoke(app, [*args, "--scope", "region", "--quiet"])
    assert quiet.stderr == ""
