"""Bugs found by the fourth review of what users see and what caseload writes: check's
formats (table, markdown, csv, json), the HTML report, and the weekly history.

Each test fails on the code reviewed; its docstring says which promise is broken, what was
observed against what was expected, and the probable cause.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

from caseload.cli import app
from tests.conftest import AS_OF, write_exports
from tests.conftest import write_file as _write


def _recorded_weeks(runner, tmp_path, clients, *weeks) -> dict:
    """`caseload history` as JSON after checking `clients` with each (roster, date) recorded."""
    history = tmp_path / "h.sqlite"
    for roster, day in weeks:
        result = runner.invoke(app, ["check", str(roster), str(clients), "--as-of", day,
                                     "--history", str(history), "-q"])
        assert result.exit_code == 0, result.output
    return _history_json(runner, history)


def _history_json(runner, history: Path) -> dict:
    result = runner.invoke(app, ["history", "--history", str(history), "-f", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _book(rows: list[tuple[str, str]], header: str = "client_id,officer_id") -> str:
    return header + "\n" + "".join(f"{a},{b}\n" for a, b in rows)


# --------------------------------------------------------------------------- weekly history


def test_a_day_re_recorded_after_a_branch_rename_is_not_counted_twice(tmp_path, runner):
    """Promise: the history never double-counts a week recorded twice, and copes with
    branches renamed; "re-running a date ... replaces that week"; one row a week per officer.

    A branch without a code (城关支行, 2 officers, 5 clients) is recorded for 2026-11-20; the
    export is then corrected (the branch is renamed 城关分理处, same officers, same clients)
    and the same date is recorded again. Observed: the week reads clients 10, officers 4 and
    `branches` lists both 城关支行 and 城关分理处 with 5 clients each. Expected: 5 clients and
    2 officers (each officer has one row that day, and the clients are the same).

    Cause: history.py `record` deletes `officer_weeks` by officer id (so the officers move
    to the new name) but deletes `branch_weeks` only for the branch keys of this run; the
    old key's branch row, whose officers have all been re-recorded elsewhere that day, stays
    and is summed into the week's snapshot.
    """
    first = tmp_path / "first"
    second = tmp_path / "second"
    first.mkdir()
    second.mkdir()
    o1, c1 = write_exports(first, "officer_id,name,branch,status\n"
                           "1,A1,城关支行,active\n2,A2,城关支行,active\n",
                           _book([(f"x{i}", "1") for i in range(5)]))
    o2, c2 = write_exports(second, "officer_id,name,branch,status\n"
                           "1,A1,城关分理处,active\n2,A2,城关分理处,active\n",
                           _book([(f"x{i}", "1") for i in range(5)]))
    history = tmp_path / "h.sqlite"
    for o, c in ((o1, c1), (o2, c2)):
        result = runner.invoke(app, ["check", str(o), str(c), "--as-of", AS_OF,
                                     "--history", str(history), "-q"])
        assert result.exit_code == 0, result.output
    found = _history_json(runner, history)
    week = found["snapshots"][-1]
    assert (week["clients"], week["officers"]) == (5, 2), found


def test_a_renamed_branch_is_shown_under_its_current_name(tmp_path, runner):
    """Promise: the history copes with branches renamed (the trend is kept under the branch
    code), and `caseload history` / the HTML trend show each branch.

    Branch 3201 is 城关支行 on 2026-11-13 and 城关分理处 (same code) on 2026-11-20. Observed:
    `caseload history` (table and JSON) and the HTML report's trend name it 城关支行, the
    name it had in its oldest week shown, while its officers are listed under 城关分理处.
    Expected: the branch's name of the latest week, 城关分理处.

    Cause: history.py `trends` builds each branch with
    `branches.setdefault(key, {... "branch": r["branch"] ...})` over rows ordered by
    `branch_key, as_of`, so the first (oldest) week's name wins; officers use `rows[-1]`.
    """
    old = _write(tmp_path / "o1.csv", "officer_id,name,branch,branch_id,status\n"
                 "1,A1,城关支行,3201,active\n2,A2,城关支行,3201,active\n")
    new = _write(tmp_path / "o2.csv", "officer_id,name,branch,branch_id,status\n"
                 "1,A1,城关分理处,3201,active\n2,A2,城关分理处,3201,active\n")
    clients = _write(tmp_path / "c.csv", _book([(f"x{i}", "1") for i in range(5)]))
    found = _recorded_weeks(runner, tmp_path, clients, (old, "2026-11-13"), (new, "2026-11-20"))
    assert [b["branch"] for b in found["branches"]] == ["城关分理处"], found["branches"]


def test_a_report_of_a_past_week_shows_no_later_weeks(tmp_path, runner):
    """Promise: `--report x.html` with a history shows the trend of the report's own branches;
    re-running a date replaces that week (so re-running last week is a normal operation), and
    the same inputs give the same output.

    Weeks 11-06, 11-13 and 11-20 are recorded; then 11-13 is re-run (exports corrected) with
    `--report`. Observed: the page, titled "as of 2026-11-13", plots the trend to 2026-11-20
    (a week after the report's date: "3 weeks from 2026-11-06 to 2026-11-20", 330 accounts),
    and its "this week" lists would be 11-20's. Expected: the trend ends at the report's
    date, 2026-11-13.

    Cause: cli.py `_write_report` calls history.py `trends(..., within=scope_of(report))`,
    which takes the latest recorded dates of the scope, never bounded by `report.as_of`.
    """
    officers = _write(tmp_path / "o.csv", "officer_id,name,branch,status\n"
                      "01,A,X,active\n02,B,X,active\n")
    history = tmp_path / "h.sqlite"
    books = []
    for k, (day, load) in enumerate((("2026-11-06", 290), ("2026-11-13", 295),
                                     ("2026-11-20", 320))):
        book = _write(tmp_path / f"c{k}.csv", _book(
            [(f"a{i}", "01") for i in range(load)] + [(f"b{i}", "02") for i in range(10)]))
        books.append(book)
        result = runner.invoke(app, ["check", str(officers), str(book), "--as-of", day,
                                     "--history", str(history), "-q", "--exit-zero"])
        assert result.exit_code == 0, result.output
    report = tmp_path / "r.html"
    result = runner.invoke(app, ["check", str(officers), str(books[1]), "--as-of", "2026-11-13",
                                 "--history", str(history), "-q", "--report", str(report)])
    assert result.exit_code == 0, result.output
    page = report.read_text(encoding="utf-8")
    trend = page[page.index('<section id="trend">'):]
    trend = trend[:trend.index("</section>")]
    assert "2026-11-20" not in trend and "11-20" not in trend


def test_two_runs_in_one_calendar_week_are_not_two_weeks_over(tmp_path, runner):
    """Promise: the history never double-counts a week recorded twice; `caseload history`
    shows "who has been over the limit several weeks running" (`--persistent 2`).

    An officer over the limit in one week is recorded on Monday 2026-11-16 (the cron job) and
    again on Tuesday 2026-11-17 (a re-run after the export was fixed, `--record` defaulting
    `--as-of` to today). Observed: `persistent` lists him with `weeks_over: 2` after a single
    week over, and `snapshots` holds two entries for that week. Expected: one week, not
    persistent (or `weeks_over` 1).

    Cause: history.py keys every table by the `as_of` date and `_over_run` counts recorded
    dates, not weeks; a second run in the same week does not replace the first.
    """
    officers = _write(tmp_path / "o.csv", "officer_id,name,branch,status\n01,A,X,active\n")
    clients = _write(tmp_path / "c.csv", _book([(f"a{i}", "01") for i in range(310)]))
    history = tmp_path / "h.sqlite"
    for day in ("2026-11-16", "2026-11-17"):
        result = runner.invoke(app, ["check", str(officers), str(clients), "--as-of", day,
                                     "--history", str(history), "-q", "--exit-zero"])
        assert result.exit_code == 0, result.output
    found = _history_json(runner, history)
    assert found["persistent"] == [], found["persistent"]


# --------------------------------------------------------------------------- check's formats


def test_quiet_table_still_says_there_are_orphaned_clients(tmp_path, runner):
    """Promise: `-q/--quiet` (`check`): findings only; findings are "someone over the limit or
    orphaned clients" (exit 1).

    A departed officer's 2 clients and 1 unassigned client are orphaned (all of them can be
    placed); nobody is over or near. Observed: `check -q` prints nothing at all on stdout and
    exits 1, so a cron mail of the quiet table is empty although the check found 3 orphaned
    clients. (`-q -f markdown` does show them.) Expected: the orphaned clients (the finding
    behind exit 1) are printed.

    Cause: render/table.py `render_check` prints the summary (the only place orphans appear)
    only when not quiet; the transfers (which would show the orphans' moves) are dropped by
    quiet too, and no other section names the orphans.
    """
    officers, clients = write_exports(
        tmp_path, "officer_id,name,branch,status\n01,A1,城关,active\n02,B2,城关,active\n"
        "03,C3,城关,调离\n", "client_id,officer_id\nc1,03\nc2,03\nc3,\nc4,01\n")
    result = runner.invoke(app, ["check", str(officers), str(clients), "--as-of", AS_OF, "-q"])
    assert result.exit_code == 1, result.output
    assert "orphan" in result.stdout.lower(), repr(result.stdout)


def test_markdown_reports_the_rows_skip_bad_rows_left_out(tmp_path, runner):
    """Promise: "Rows that cannot be trusted stop the run ... unless --skip-bad-rows leaves
    them out and reports them"; nothing is lost silently. The README's cron line mails the
    Markdown (stdout and stderr).

    A book of 4 clients, one with an unreadable risk class, checked with `--skip-bad-rows
    -f markdown`. Observed: the Markdown says "Clients | 3" and nothing else: no row left
    out, no line number, and stderr is empty, so the mail silently drops a client. The table
    (its "Rows left out or folded" section), JSON (`inputs[].skipped`), HTML and xlsx all
    report it. Expected: the Markdown names the row left out (its problem and line).

    Cause: render/flat.py `check_markdown` has no section for `report.left_out(...)` (the
    table's `_inputs`).
    """
    officers, clients = write_exports(
        tmp_path, "officer_id,name,branch,status\n01,A1,城关,active\n",
        "client_id,officer_id,risk_class\nc1,01,正常\nc2,01,weird\nc3,01,正常\nc4,01,正常\n")
    result = runner.invoke(app, ["check", str(officers), str(clients), "--as-of", AS_OF,
                                 "--skip-bad-rows", "-f", "markdown"])
    assert result.exit_code == 0, result.output
    assert "| 3 |" in result.stdout  # (the client count: one row left out)
    assert "risk class" in result.stdout or "risk class" in result.stderr, result.output


def test_csv_format_keeps_a_cell_with_a_carriage_return_in_its_row(tmp_path, runner):
    """Promise: `check --format csv` gives one row per officer, for Excel or a cron pipe;
    nothing is lost.

    An officer's name holds a bare carriage return (王\\r五, as some systems export a line
    break). Observed: the cell is written unquoted (`02,王\\r五,城关,...`), so Python's csv
    module (and Excel, which ends a record at a bare CR) reads the officer as two broken rows
    (`['02', '王']`, `['五', '城关', ...]`). Expected: the cell quoted, one row per officer.
    (The plan CSV, written by polars, quotes it.)

    Cause: render/flat.py `officers_csv` uses `csv.writer(buf, lineterminator="\\n")`, and
    Python's QUOTE_MINIMAL quotes only the delimiter, the quote char and the characters of
    `lineterminator`: a lone "\\r" is left bare.
    """
    officers, clients = write_exports(
        tmp_path, 'officer_id,name,branch,status\n01,A,城关,active\n02,"王\r五",城关,active\n',
        "client_id,officer_id\nc1,01\nc2,02\n")
    result = runner.invoke(app, ["check", str(officers), str(clients), "--as-of", AS_OF,
                                 "-f", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout, newline="")))
    assert len(rows) == 3, rows
    assert rows[2][:3] == ["02", "王\r五", "城关"], rows


def test_table_in_a_pipe_carries_no_escape_codes_from_the_exports(tmp_path, runner):
    """Promise: "Under cron, output is plain text (no colour codes ...)"; tables show names
    as exported, never as styles (cli.py `_console(markup=False)`).

    An officer's name in the roster holds an ANSI escape (`x\\x1b[31mred`: a colour code
    pasted into the HR system). Observed: the table on a non-terminal stdout carries the raw
    `\\x1b[31m`, so the cron mail (and any terminal showing it) turns red from that point, or
    worse (escape sequences can rewrite a terminal). Expected: no ESC byte in plain-text
    output; control characters shown escaped or dropped.

    Cause: render/table.py passes names to rich as plain strings; rich strips some control
    codes (bell, backspace, CR) but not ESC, and nothing in caseload removes them.
    """
    officers, clients = write_exports(
        tmp_path, "officer_id,name,branch,status\n01,x\x1b[31mred,城关,active\n",
        _book([(f"c{i}", "01") for i in range(300)]))
    result = runner.invoke(app, ["check", str(officers), str(clients), "--as-of", AS_OF])
    assert result.exit_code == 0, result.output
    assert "01" in result.stdout
    assert "\x1b" not in result.stdout, repr(result.stdout[:400])


def test_json_is_the_same_whatever_the_language(tmp_path, runner):
    """Promise: "The JSON contract ... Keys are English whatever `--lang` says; cron scripts
    may rely on the fields"; the same input files give byte-identical output.

    Observed: `still_over[].why` is "no receiver with room within the allowed scope" with
    `--lang en` and "可调整范围内没有空余的接收人" with `--lang zh` (and, with no `--lang`, it
    follows LANG, which cron does not set but a login shell does), so a script matching the
    contract's example breaks with the locale. Expected: the JSON document identical for en
    and zh (English values, as `status` is).

    Cause: cli.py passes `_lang(resolved)` into `Settings.lang`, and the planner writes
    `still_over.why` in that language; report.py puts it into the JSON as is.
    """
    officers, clients = write_exports(
        tmp_path, "officer_id,name,branch,status\n01,A,城关,active\n",
        _book([(f"c{i}", "01") for i in range(5)]))
    docs = []
    for lang in ("en", "zh"):
        result = runner.invoke(app, ["check", str(officers), str(clients), "--as-of", AS_OF,
                                     "--threshold", "3", "-f", "json", "--lang", lang])
        assert result.exit_code == 1, result.output
        docs.append(result.stdout)
    assert json.loads(docs[0])["still_over"], docs[0]
    assert docs[0] == docs[1]


# --------------------------------------------------------------------------- HTML report


def test_html_cannot_place_table_names_the_no_branch_row(tmp_path, runner):
    """Promise: the HTML report shows "accounts a branch cannot place"; clients with neither
    a branch nor a known officer are a branch of their own "(shown as "(no branch)")".

    A roster of two branches and one unassigned client without a branch: it cannot be placed
    (its own branch has no officer). Observed: the report's "What cannot be placed" table
    gives that row an empty Branch cell (`<td></td>`), while the branches table above names
    it "（无支行）"; for an export without any branch column the same table shows the internal
    key "(branch)". Expected: the row named as everywhere else ("（无支行）" / "(no branch)").

    Cause: render/html.py `_cannot_place` writes `b["branch"] or b["branch_key"]` instead of
    `branch_label(b, lang)` (which `_branches`, the xlsx and the tables use).
    """
    officers, clients = write_exports(
        tmp_path, "officer_id,name,branch,status\n01,A,东,active\n02,B,西,active\n",
        "client_id,officer_id,branch\nc1,,\nc2,01,东\n")
    report = tmp_path / "r.html"
    result = runner.invoke(app, ["check", str(officers), str(clients), "--as-of", AS_OF,
                                 "--lang", "zh", "-q", "--report", str(report)])
    assert result.exit_code == 1, result.output
    page = report.read_text(encoding="utf-8")
    section = page[page.index('<section id="cannot-place">'):]
    section = section[:section.index("</section>")]
    first_cells = re.findall(r"<tbody><tr[^>]*><td[^>]*>([^<]*)</td>", section)
    assert first_cells == ["（无支行）"], section


@pytest.mark.xfail(reason="arguable: a week recorded before the export carried branch codes "
                   "cannot be proved to be the same branch, but the name is the same",
                   strict=False)
def test_a_branch_whose_export_gains_a_code_keeps_one_trend(tmp_path, runner):
    """Promise: the history copes with branches renamed; `caseload history` shows each
    branch's largest load per week.

    The roster of 2026-11-13 names the branch 城关支行 only; from 2026-11-20 the export also
    carries its code 3201 (same name, same officer). Observed: `caseload history` lists two
    branches both called 城关支行, one with 11-13 only and one with 11-20 only (`-` in the
    other week), and a report of the branch shows a one-week trend. Expected: one branch
    with both weeks.

    Cause: history.py `_filing` maps a name to its code only within one run's roster, so the
    older weeks stay filed under the name and `trends` groups by the filed key.
    """
    old = _write(tmp_path / "o1.csv", "officer_id,name,branch,status\n1,A1,城关支行,active\n")
    new = _write(tmp_path / "o2.csv", "officer_id,name,branch,branch_id,status\n"
                 "1,A1,城关支行,3201,active\n")
    clients = _write(tmp_path / "c.csv", _book([(f"x{i}", "1") for i in range(5)]))
    found = _recorded_weeks(runner, tmp_path, clients, (old, "2026-11-13"), (new, "2026-11-20"))
    assert len(found["branches"]) == 1, found["branches"]


# --------------------------------------------------------------------------- settings


def test_config_show_gives_the_language_in_force(tmp_path, runner, monkeypatch):
    """Promise: "`caseload config show` prints each setting in force and where it came from";
    `--lang` defaults from LC_ALL or LANG.

    With LANG=zh_CN.UTF-8 and no caseload.toml, `check` prints Chinese tables, but
    `config show` says `lang = None  (default)`. Expected: `lang = 'zh'` with LANG named as
    its source (as `history` is shown as the default path `--record` would use).

    Cause: cli.py `config_show` fills in only the history path; the language is chosen later
    by `_lang(resolved)` from the environment.
    """
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    result = runner.invoke(app, ["config", "show", "-f", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["values"]["lang"] == "zh", result.stdout
