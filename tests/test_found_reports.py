"""Bugs found by adversarial testing of check's outputs, reports, history and settings.

Each test failed on the code of its day; its docstring says what went wrong (with the line it
was traced to then) and what happens now.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from caseload.cli import app
from tests.conftest import write_file as _write

AS_OF = "2026-11-20"




def _branch_export(folder: Path, branch: str, code: str, loads: list[int],
                   extra_clients: str = "") -> tuple[Path, Path]:
    """A one-branch roster and book: officer i of the branch manages loads[i] clients."""
    roster = ["officer_id,name,branch,branch_id,status"]
    book = ["client_id,officer_id,branch,branch_id"]
    n = 0
    for i, load in enumerate(loads):
        roster.append(f"{code}{i},N{code}{i},{branch},{code},active")
        for _ in range(load):
            book.append(f"{code}C{n},{code}{i},{branch},{code}")
            n += 1
    officers = _write(folder / f"{code}_officers.csv", "\n".join(roster) + "\n")
    clients = _write(folder / f"{code}_clients.csv", "\n".join(book) + "\n" + extra_clients)
    return officers, clients


def test_table_shows_names_with_square_brackets_as_written_and_does_not_crash(tmp_path, runner):
    """Officer and branch names go to rich as console markup (render/table.py:84, 118, 132).

    `Branch [b]east` prints as `Branch east` and `Li [red]Lei` as `Li Lei` (the bracketed
    text is taken as a style and dropped), and a name containing `[/]` makes the whole check
    die with `internal error (MarkupError)`, exit 2, although JSON, CSV and the reports show
    the same roster fine. Cells should be plain text (`Text(...)` or `rich.markup.escape`):
    the table should show every name exactly as exported and exit 1 (findings).
    """
    officers = _write(tmp_path / "o.csv", "officer_id,name,branch,status\n"
                      "001,Wang [/],Branch [b]east,active\n"
                      "002,Li [red]Lei,Branch [b]east,active\n")
    clients = _write(tmp_path / "c.csv", "client_id,officer_id\n"
                     + "".join(f"C{i},001\n" for i in range(5)))
    result = runner.invoke(app, ["check", str(officers), str(clients), "--as-of", AS_OF,
                                 "--threshold", "3"])
    assert result.exit_code == 1, result.output
    assert "Branch [b]east" in result.stdout
    assert "Wang [/]" in result.stdout


def test_a_caseload_toml_saved_in_gbk_is_a_one_line_error(tmp_path, runner, monkeypatch):
    """A caseload.toml saved by Notepad on a Chinese Windows (GBK/ANSI) is not UTF-8.

    `read_config_file` (config.py:127-131) catches `OSError` and `TOMLDecodeError`, but tomllib
    raises `UnicodeDecodeError` for bytes that are not UTF-8, so every command (here
    `config show`) stops with `caseload: internal error (UnicodeDecodeError)`. It should be a
    one-line exit-2 error naming caseload.toml and saying it is not UTF-8.
    """
    _write(tmp_path / "caseload.toml", '[grade_limits]\n"初级" = 150\n', encoding="gb18030")
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["config", "show"])
    assert result.exit_code == 2
    assert "internal error" not in result.stderr
    assert "caseload.toml" in result.stderr


def test_an_unknown_encoding_in_caseload_toml_is_blamed_on_the_file_not_the_export(
        tmp_path, runner, monkeypatch):
    """`encoding = "latin-1"` in caseload.toml is accepted by `config show` (exit 0) and then
    `check` says `o.csv: unsupported encoding 'latin-1'`, blaming the export, which is not
    where the mistake is (the same with CASELOAD_ENCODING).

    The `encoding` setting is not checked where it is read (config.py PLAIN/CHOICES have no
    choices for it), unlike scope and lang. A wrong value should be an exit-2 error naming
    caseload.toml and the key, as for every other setting.
    """
    officers = _write(tmp_path / "o.csv", "officer_id,name,status\n001,王伟,active\n")
    clients = _write(tmp_path / "c.csv", "client_id,officer_id\nC1,001\n")
    _write(tmp_path / "caseload.toml", 'encoding = "latin-1"\n')
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["check", str(officers), str(clients), "--as-of", AS_OF])
    assert result.exit_code == 2
    assert "caseload.toml" in result.stderr and "encoding" in result.stderr
    shown = runner.invoke(app, ["config", "show"])
    assert shown.exit_code == 2


def test_two_branches_recorded_for_one_week_keep_both_in_the_weekly_totals(tmp_path, runner):
    """Head office runs the check from cron for every branch into one history database.

    Branch A (15 clients, one officer over) and branch B (18 clients, one over) are recorded
    for the same week. The per-branch and per-officer rows of both are kept, but the week's
    snapshot row (`INSERT OR REPLACE INTO snapshots`, history.py:128, keyed by as_of alone)
    is replaced by the last branch run: `caseload history` says the week had 18 clients and 1
    officer over, while it had 33 and 2. The week's totals should cover every branch recorded
    for it (the same as the branches' rows add up to).
    """
    a = _branch_export(tmp_path, "城关支行", "A", [12, 3])
    b = _branch_export(tmp_path, "石桥支行", "B", [5, 11, 2])
    db = tmp_path / "history.sqlite"
    for officers, clients in (a, b):
        r = runner.invoke(app, ["check", str(officers), str(clients), "--threshold", "10",
                                "--history", str(db), "--as-of", AS_OF, "-f", "json"])
        assert r.exit_code == 1, r.output
    result = runner.invoke(app, ["history", "--history", str(db), "--format", "json"])
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    week = found["snapshots"][-1]
    assert sum(w["accounts"] for b in found["branches"] for w in b["weeks"]) == 33
    assert week["clients"] == 33
    assert week["over"] == 2


def test_history_branch_week_counts_every_client_of_the_branch(tmp_path, runner):
    """A branch's recorded week leaves out its clients with a blank or unknown officer.

    Branch A has 15 clients of its officers, one client with no officer and one whose officer
    is not on the roster (both orphaned, both in branch A: `check` says orphaned 2 and places
    them in 城关支行). The history's branch row says accounts 15, orphaned 0, because
    `_branch_figures` (history.py:139-145) adds up the roster's officers only, so orphans
    without an officer on the roster never reach a branch. The branch's week should count
    its 17 clients and its 2 orphans, as the week's snapshot does.
    """
    officers, clients = _branch_export(tmp_path, "城关支行", "A", [12, 3],
                                       extra_clients="AC100,,城关支行,A\nAC101,ZZZ,城关支行,A\n")
    db = tmp_path / "history.sqlite"
    r = runner.invoke(app, ["check", str(officers), str(clients), "--threshold", "10",
                            "--history", str(db), "--as-of", AS_OF, "-f", "json"])
    assert json.loads(r.stdout)["summary"]["orphaned"] == 2
    found = json.loads(runner.invoke(app, ["history", "--history", str(db), "-f", "json"]).stdout)
    (branch,) = found["branches"]
    week = branch["weeks"][-1]
    assert week["orphaned"] == found["snapshots"][-1]["orphaned"] == 2
    assert week["accounts"] == 17


def test_html_report_with_history_of_an_export_without_branch_columns(tmp_path, runner):
    """A branch head's own export often has no branch column (one branch).

    Recorded weekly with --history and written as an HTML report, the check prints its
    output, records the week, and then dies with `internal error (TypeError)`, exit 2, and
    no report: the history has no branch rows (`_branch_figures` skips officers without a
    branch key), so `_trend_series` (render/html.py:479) falls back to reading
    `snapshot["officers"]` as a list of officers, but in `trends()` it is the officer count
    (an int). The report should be written (exit 1 for the findings), with the trend.
    """
    officers = _write(tmp_path / "o.csv", "officer_id,name,status\nA0,王伟,active\nA1,李娜,active\n")
    clients = _write(tmp_path / "c.csv", "client_id,officer_id\n"
                     + "".join(f"C{i},A0\n" for i in range(12)) + "C20,A1\n")
    db = tmp_path / "history.sqlite"
    for day in ("2026-11-06", "2026-11-13"):
        r = runner.invoke(app, ["check", str(officers), str(clients), "--threshold", "10",
                                "--history", str(db), "--as-of", day, "-q"])
        assert r.exit_code == 1, r.output
    report = tmp_path / "report.html"
    result = runner.invoke(app, ["check", str(officers), str(clients), "--threshold", "10",
                                 "--history", str(db), "--as-of", AS_OF, "-q",
                                 "--report", str(report)])
    assert "internal error" not in result.stderr
    assert result.exit_code == 1
    assert report.exists()


def test_html_load_chart_ticks_stay_readable_for_a_large_limit(tmp_path, runner):
    """Limits may be anything up to 1,000,000 (an own 管户上限 of 99999 is how some banks
    write "no limit"). The load chart's axis ticks are every 500 accounts whatever the scale
    (`step = ... else 500`, render/html.py:247), so a limit of 1,000,000 draws 2,041 grid
    lines and overlapping tick labels in each branch's 470-unit-wide chart (a 270 KB page
    for 15 clients). The axis should have a readable number of ticks (say at most 25).
    """
    officers, clients = _branch_export(tmp_path, "城关支行", "A", [12, 3])
    report = tmp_path / "report.html"
    result = runner.invoke(app, ["check", str(officers), str(clients), "--as-of", AS_OF,
                                 "--threshold", "1000000", "-q", "--report", str(report)])
    assert result.exit_code == 0, result.output
    page = report.read_text(encoding="utf-8")
    chart = page[page.index('<section id="loads">'):page.index('<section id="over-near">')]
    assert chart.count("<svg") == 1
    assert len(re.findall(r'<text class="tick"[^>]*text-anchor="middle">', chart)) <= 25


def test_xlsx_left_out_sheet_lists_every_line_left_out(tmp_path, runner):
    """With --skip-bad-rows the workbook's "Left out" sheet joins the lines of each problem
    into one cell (render/xlsx.py:145). A cell holds at most 32,767 characters, so with
    6,000 rows left out xlsxwriter cuts the list silently: the cell ends in "10949, " and
    lines 10951-12001 are missing, while the row count says 6,000. Every line left out
    should be findable in the workbook (spread over rows or cells), or the cut said.
    """
    officers = _write(tmp_path / "o.csv", "officer_id,name,status\n001,王伟,active\n")
    rows = "".join(f"C{i},001,{'bogus' if i % 2 else 'normal'}\n" for i in range(12000))
    clients = _write(tmp_path / "c.csv", "client_id,officer_id,risk_class\n" + rows)
    report = tmp_path / "report.xlsx"
    result = runner.invoke(app, ["check", str(officers), str(clients), "--as-of", AS_OF,
                                 "--skip-bad-rows", "--threshold", "100000", "-q",
                                 "--report", str(report)])
    assert result.exit_code == 0, result.output
    import openpyxl

    sheet = openpyxl.load_workbook(report)["Left out"]
    text = " ".join(str(c) for row in sheet.iter_rows(min_row=2, values_only=True)
                    for c in row if c is not None)
    lines = {int(n) for n in re.findall(r"\d+", text)}
    assert 12001 in lines  # (the last row left out: C11999 on line 12001)


def test_cron_over_exports_without_branch_columns_keeps_every_branchs_officers(tmp_path, runner):
    """Head office records every branch's own export (no branch column: one branch each)
    into one history, two weeks running. Branch A's officer A0 is over both weeks.

    Recording branch B deletes branch A's officer rows of that week: `record`
    (history.py:119) deletes `WHERE as_of = ? AND branch_key IS NULL` because B's officers
    have no branch key, and A's have none either. `caseload history` then has no trace of
    A0, so the persistent overload (the signal that matters most) is never reported. Only
    the officers of the run itself (and of its own branch) should be replaced.
    """
    a_officers = _write(tmp_path / "a" / "o.csv", "officer_id,name,status\nA0,王伟,active\n"
                        "A1,李娜,active\n")
    a_clients = _write(tmp_path / "a" / "c.csv", "client_id,officer_id\n"
                       + "".join(f"AC{i},A0\n" for i in range(12)) + "AC99,A1\n")
    b_officers = _write(tmp_path / "b" / "o.csv", "officer_id,name,status\nB0,赵六,active\n")
    b_clients = _write(tmp_path / "b" / "c.csv", "client_id,officer_id\nBC1,B0\nBC2,B0\n")
    db = tmp_path / "history.sqlite"
    for day in ("2026-11-13", AS_OF):
        for officers, clients in ((a_officers, a_clients), (b_officers, b_clients)):
            r = runner.invoke(app, ["check", str(officers), str(clients), "--threshold", "10",
                                    "--history", str(db), "--as-of", day, "-q", "--exit-zero"])
            assert r.exit_code == 0, r.output
    found = json.loads(runner.invoke(app, ["history", "--history", str(db), "-f", "json"]).stdout)
    assert [p["officer_id"] for p in found["persistent"]] == ["A0"]
    # each export is a branch of its own in the history, and the week adds both up
    assert [s["clients"] for s in found["snapshots"]] == [15, 15]
    assert len(found["branches"]) == 2


def test_xlsx_moves_sheet_has_no_untranslated_empty_client_name_column(tmp_path, runner):
    """`check --report x.xlsx --lang zh`: the Moves sheet has a column headed `client_name`
    (English in a Chinese workbook: MOVE_LABELS in render/xlsx.py has no entry for it) that
    is empty in every row, because check drops client names as the file is read and
    `plan_frame` (plan_file.py:40) adds the column as nulls. Every other header is
    translated; an always-empty column should be left out (or headed and filled as in a plan).
    """
    officers, clients = _branch_export(tmp_path, "城关支行", "A", [12, 3])
    report = tmp_path / "report.xlsx"
    result = runner.invoke(app, ["check", str(officers), str(clients), "--as-of", AS_OF,
                                 "--threshold", "10", "--lang", "zh", "-q",
                                 "--report", str(report)])
    assert result.exit_code == 1, result.output
    import openpyxl

    sheet = openpyxl.load_workbook(report)["Moves"]
    headers = [c.value for c in sheet[1]]
    assert sheet.max_row > 1
    assert "client_name" not in headers


def test_a_branchs_html_report_shows_its_own_history_not_every_branchs(tmp_path, runner):
    """Head office records every branch into one history; branch A's report (with the same
    history) showed B's officers among the persistent overloads and the whole week's totals.
    It now shows A's branches, officers and totals only (`history.scope_of`)."""
    a = _branch_export(tmp_path, "城关支行", "A", [12, 3])
    b = _branch_export(tmp_path, "石桥支行", "B", [5, 11, 2])
    db = tmp_path / "history.sqlite"
    for day in ("2026-11-13", AS_OF):
        for officers, clients in (a, b):
            r = runner.invoke(app, ["check", str(officers), str(clients), "--threshold", "10",
                                    "--history", str(db), "--as-of", day, "-q"])
            assert r.exit_code == 1, r.output
    report = tmp_path / "a.html"
    result = runner.invoke(app, ["check", str(a[0]), str(a[1]), "--threshold", "10",
                                 "--history", str(db), "--as-of", AS_OF, "-q",
                                 "--report", str(report)])
    assert result.exit_code == 1, result.output
    page = report.read_text(encoding="utf-8")
    assert "NA0" in page and "NB1" not in page and "石桥支行" not in page
    whole = json.loads(runner.invoke(app, ["history", "--history", str(db), "-f", "json"]).stdout)
    assert whole["snapshots"][-1]["clients"] == 33  # (the history command: every branch)
    assert {p["officer_id"] for p in whole["persistent"]} == {"A0", "B1"}


def test_xlsx_branches_sheet_names_the_no_branch_row(tmp_path, runner):
    """An export without branch columns: the Branches sheet's one row was blank in its
    branch and code cells; it says "(no branch)" as the other outputs do, with no code."""
    officers = _write(tmp_path / "o.csv", "officer_id,name,status\nA0,王伟,active\n")
    clients = _write(tmp_path / "c.csv", "client_id,officer_id\nC1,A0\n")
    report = tmp_path / "r.xlsx"
    result = runner.invoke(app, ["check", str(officers), str(clients), "--as-of", AS_OF, "-q",
                                 "--report", str(report)])
    assert result.exit_code == 0, result.output
    import openpyxl

    sheet = openpyxl.load_workbook(report)["Branches"]
    assert [sheet.cell(2, 1).value, sheet.cell(2, 2).value] == ["(no branch)", None]
