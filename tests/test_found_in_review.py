"""Bugs found by adversarial testing of folder parts and `apply` with spreadsheet-saved plans.

Each test failed on the code of its day; its docstring says what went wrong (with the line it
was traced to then) and what happens now.
"""

from __future__ import annotations

import json
import pathlib
from pathlib import Path

from typer.testing import CliRunner

from caseload.cli import app
from tests.conftest import write_file as _write

AS_OF = "2026-11-20"




def _excel_csv(path: Path, text: str) -> Path:
    """A CSV as Excel saves it ("CSV UTF-8"): BOM and CRLF."""
    path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
    return path


def test_apply_with_officers_restores_lost_zeros_of_an_unknown_from_officer(tmp_path):
    """A plan saved from Excel, whose clients come from an officer not on the roster.

    The planner hands over the clients of staff number 0777 (in the export, not on the
    roster: "officer 0777 is not on the roster"). Saved from Excel, every ID lost its leading
    zeros. Without --officers, apply restores all of them (0777 is the only number of the
    export that 777 can be) and applies the plan. With --officers it refuses the same plan as
    stale ("from_officer_id no longer matches the export"): `_restored` (apply.py:102) takes
    the known staff numbers for from_officer_id from the roster alone, where 0777 is not, so
    777 is never matched back, although from_officer_id is compared with the export
    (apply.py:158-161). Expected: passing the roster (the safer way, as README recommends)
    accepts the plan too, the from officer matched against the export's staff numbers.
    """
    officers = _write(tmp_path / "officers.csv",
                      "工号,姓名,所属支行,岗位状态\n00101,王建国,城关支行,在岗\n"
                      "00102,李秀英,城关支行,在岗\n")
    clients = _write(tmp_path / "clients.csv",
                     "客户号,客户名称,管户客户经理工号,所属支行\n000011,张三,00101,城关支行\n"
                     "000012,李四,0777,城关支行\n000013,王五,0777,城关支行\n", "gb18030")
    plan = _excel_csv(tmp_path / "plan.csv",
                      "client_id,from_officer_id,to_officer_id\n12,777,102\n13,777,101\n")
    runner = CliRunner()
    without = runner.invoke(app, ["apply", str(clients), str(plan),
                                  "--out", str(tmp_path / "a1.csv")])
    # (102 manages no client of the export: without the roster, in a plan that lost its
    # zeros, it cannot be told from 00102; since the eighth review the plan is refused so)
    assert without.exit_code == 2 and "pass the roster with --officers" in without.stderr
    result = runner.invoke(app, ["apply", str(clients), str(plan), "--officers", str(officers),
                                 "--out", str(tmp_path / "a2.csv")])
    assert result.exit_code == 0, result.stderr
    after = (tmp_path / "a2.csv").read_bytes().decode("gb18030")
    assert "000012,李四,00102," in after and "000013,王五,00101," in after


def test_apply_does_not_silently_move_another_client_whose_number_is_the_stripped_one(tmp_path):
    """A zero-stripped client number that is also another client's number moves the wrong client.

    The export has clients 00123 and 123 (same officer). The plan moved 00123 and 000011;
    saved from Excel, they read 123 and 11. apply restores 11 -> 000011 (and says the plan
    lost its leading zeros), but takes 123 as client 123, because `restore_lost_zeros`
    (apply.py:83) leaves a number that is itself known alone: client 123 is reassigned,
    client 00123 is not, exit 0, nothing said. README: zeros are put back "where exactly one
    number of the export can be meant"; here two can (123 and 00123). Expected: in a plan
    shown to have lost its zeros, such a number is refused as ambiguous (exit 2, naming plan
    line 3), never applied to whichever client happens to match it as written.
    """
    officers = _write(tmp_path / "officers.csv",
                      "工号,姓名,所属支行,岗位状态\n00101,王建国,城关支行,在岗\n"
                      "00102,李秀英,城关支行,在岗\n00103,赵六,城关支行,离职\n")
    clients = _write(tmp_path / "clients.csv",
                     "客户号,客户名称,管户客户经理工号,所属支行\n000011,张三,00103,城关支行\n"
                     "123,李四,00103,城关支行\n00123,王五,00103,城关支行\n")
    original = clients.read_bytes()
    plan = _excel_csv(tmp_path / "plan.csv",
                      "client_id,from_officer_id,to_officer_id\n11,103,101\n123,103,102\n")
    result = CliRunner().invoke(app, ["apply", str(clients), str(plan), "--officers",
                                      str(officers), "--out", str(tmp_path / "after.csv")])
    assert clients.read_bytes() == original
    assert result.exit_code == 2, (result.stderr,
                                   (tmp_path / "after.csv").read_text("utf-8"))
    assert "line 3" in result.stderr


def test_parts_with_numbers_of_equal_value_are_read_in_a_fixed_order(tmp_path, monkeypatch):
    """The order of parts whose names differ only in leading zeros depends on the folder listing.

    `_natural` (load.py:154) keys ``p1.csv`` and ``p01.csv`` alike ((0, 1, "") then ".csv"),
    so `sorted` in `csv_parts._parts` (csv_parts.py:80) keeps the order `Path.iterdir` gave,
    which is the file system's. The same folder then gives plans whose rows, line numbers in
    JSON and (on ties) choices differ by machine. Expected: a total order (e.g. the name
    itself as the last key), so the same files give byte-identical output.
    """
    officers = _write(tmp_path / "officers.csv",
                      "工号,姓名,所属支行,岗位状态\n00101,王建国,城关支行,在岗\n"
                      "00102,李秀英,城关支行,在岗\n00103,赵六,城关支行,离职\n")
    header = "客户号,管户客户经理工号,所属支行\n"
    for name in ("p1", "p01"):
        _write(tmp_path / "c" / f"{name}.csv",
               header + f"{name}X,00103,城关支行\n{name}Y,00103,城关支行\n")
    listing = pathlib.Path.iterdir
    outputs = []
    for reverse in (False, True):
        monkeypatch.setattr(pathlib.Path, "iterdir",
                            lambda self, r=reverse: iter(sorted(listing(self),
                                                                key=lambda p: p.name,
                                                                reverse=r)))
        out = tmp_path / f"moves{int(reverse)}.csv"
        result = CliRunner().invoke(app, ["plan", str(officers), str(tmp_path / "c"),
                                          "--as-of", AS_OF, "--out", str(out)])
        assert result.exit_code == 0, result.stderr
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]


def test_a_dos_end_of_file_mark_is_not_a_bad_row(tmp_path):
    """An export ending with a DOS end-of-file mark (Ctrl-Z, 0x1A) is refused as a bad row.

    `load._looks_binary` (load.py:220) accepts 0x1A as "a DOS end-of-file mark", but the
    reader then takes the mark as a last record and stops the run: "fewer fields than the 3
    headers: line 3" (exit 2). (Outside the folder/apply targets; found on the way.)
    Expected: the mark ends the file like a blank line; the one client is counted.
    """
    officers = _write(tmp_path / "officers.csv",
                      "工号,姓名,所属支行,岗位状态\n00101,王建国,城关支行,在岗\n")
    clients = tmp_path / "clients.csv"
    clients.write_bytes("客户号,管户客户经理工号,所属支行\r\nA1,00101,城关支行\r\n\x1a"
                        .encode("gb18030"))
    result = CliRunner().invoke(app, ["check", str(officers), str(clients), "--as-of", AS_OF,
                                      "--format", "json"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["summary"]["clients"] == 1
