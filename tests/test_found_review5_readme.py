"""Bugs found by the fifth review: README.md read top to bottom by a newcomer, every documented
command, option and message tried against the tool.

Each test fails on the code reviewed; its docstring quotes the README (or help) sentence, and
says what was observed against what was expected. README-only mistakes (the tool right, the
README wrong) are not here: they were reported to the reviewer's session instead.
"""

from __future__ import annotations

from caseload.cli import app
from tests.conftest import AS_OF, SAMPLE, write_exports, write_file

ZH = [str(SAMPLE / "officers.csv"), str(SAMPLE / "clients.csv")]


def test_plan_takes_quiet_as_the_common_options_say(runner, tmp_path):
    """README, Commands: "Common options: ... `-q/--quiet` (`check`: findings only, no notes or
    progress) ... `check` and `plan` take all of these".

    Observed: `caseload plan officers.csv clients.csv --out moves.csv -q` stops with exit 2,
    "No such option: -q", and writes nothing; without -q, plan always prints its notes on
    stderr (here: "caseload: note: grade limit '见习': no officer on the roster has this
    grade"), so a cron job cannot silence them. Expected: plan accepts -q/--quiet (exit 1 on
    the sample, whose plan cannot place everything), writes the plan, and leaves the notes
    out as check does.
    """
    out = tmp_path / "moves.csv"
    result = runner.invoke(app, ["plan", *ZH, "--as-of", AS_OF, "--out", str(out),
                                 "--grade-limit", "见习=100", "-q"])
    assert "No such option" not in result.output + result.stderr
    assert result.exit_code == 1, result.stderr
    assert out.exists()
    assert "caseload: note:" not in result.stderr


def test_a_client_book_with_an_unknown_client_header_is_not_called_the_roster(runner, tmp_path):
    """README: "`--map client_id=客户代码` (any header the synonyms don't know)"; errors name
    "the line or column and the problem".

    A client export whose client number column is headed 客户代号 (a header the synonyms do
    not know) but which is otherwise plainly a client book (客户名称, 证件号码, 手机号,
    客户经理工号, 贷款余额, 五级分类; the English sample's headers with client_id renamed do
    the same). Observed: "clients.csv: line 1: required column client_id missing
    (...); headers found: ...; map one with --map client_id=HEADER; it looks like the officer
    roster: are the two files swapped?" The files are not swapped. Expected: the same error
    without the "swapped" guess, which sends a branch head to the wrong fix (the guess fires
    for any client book missing its client number whose officer column is headed officer_id,
    客户经理工号 or 客户经理编号, which are also roster headers for the roster's only required
    column: load.py checks only that the other kind's required columns are present).
    """
    officers, clients = write_exports(
        tmp_path,
        "工号,姓名,所属支行,岗位状态\n001,甲,一支行,在岗\n",
        "客户代号,客户名称,证件号码,手机号,客户经理工号,客户经理,贷款余额,五级分类\n"
        "C1,张三,11010519491231002X,13800000000,001,甲,100,正常\n",
    )
    result = runner.invoke(app, ["check", str(officers), str(clients), "--as-of", AS_OF])
    assert result.exit_code == 2
    assert "--map client_id=" in result.stderr
    assert "swapped" not in result.stderr, result.stderr


def test_plan_refuses_an_out_file_that_is_neither_csv_nor_xlsx(runner, tmp_path):
    """README: "caseload plan officers.csv clients.csv --out moves.csv          # or
    moves.xlsx"; `plan --help`: "-o, --out <path>  Plan file to write (.csv or .xlsx)."

    Observed: `--out moves.xls` (what a user asking for an Excel file may well type) exits 1
    and writes a UTF-8 CSV text under the name moves.xls (Excel then warns that the format
    and extension do not match); `--out moves.json` writes CSV too. `check --report` refuses
    such names ("use a .html or .xlsx file name", exit 2). Expected: plan refuses an --out
    that is not .csv or .xlsx with exit 2 and writes nothing.
    """
    out = tmp_path / "moves.xls"
    result = runner.invoke(app, ["plan", *ZH, "--as-of", AS_OF, "--out", str(out)])
    assert result.exit_code == 2, (result.exit_code, out.read_bytes()[:40] if out.exists() else b"")
    assert not out.exists()


def test_apply_refuses_a_workbook_export_before_reading_its_sheets(runner, tmp_path):
    """README: "`apply` rewrites CSV exports only (a workbook or Parquet export is refused,
    exit 2; export the clients as CSV)".

    A workbook export whose first sheet is a cover sheet (说明) and whose second holds the
    clients. Observed: "caseload: error: clients.xlsx: is not a clients table: no header in
    the first 30 rows names client_id and officer_id (...)", which sends the user to fix the
    sheet; once the sheet is fixed, apply refuses the workbook anyway ("apply rewrites CSV
    exports only"). Expected: the workbook is refused as a workbook straight away: "apply
    rewrites CSV exports only; export the clients as CSV".
    """
    import xlsxwriter

    book = tmp_path / "clients.xlsx"
    with xlsxwriter.Workbook(str(book)) as wb:
        wb.add_worksheet("说明").write_string(0, 0, "管户客户清单，见第二页")
        sheet = wb.add_worksheet("客户")
        for r, row in enumerate([["客户号", "管户客户经理工号"], ["C1", "001"], ["C2", "001"]]):
            for c, value in enumerate(row):
                sheet.write_string(r, c, value)
    plan = write_file(tmp_path / "moves.csv",
                      "client_id,from_officer_id,to_officer_id\nC1,001,002\n")
    result = runner.invoke(app, ["apply", str(book), str(plan), "--out",
                                 str(tmp_path / "after.csv")])
    assert result.exit_code == 2
    assert "CSV exports only" in result.stderr, result.stderr


def test_lang_help_names_lc_all_which_wins_over_lang(runner, monkeypatch):
    """README: "`--lang zh|en` (default from `LC_ALL` or `LANG`: a value starting `zh` means
    Chinese)". `check --help` (and plan, apply, history): "--lang <en|zh>  Language of
    tables: zh or en (default: from LANG)."

    Observed: with LC_ALL=zh_CN.UTF-8 and LANG=en_US.UTF-8 the tables are Chinese (LC_ALL
    wins, as the README says), while the help names LANG only; with LC_ALL=en_US.UTF-8 and
    LANG=zh_CN.UTF-8 they are English, which a user reading the help would not expect.
    Expected: the help says where the default really comes from (LC_ALL, else LANG).
    """
    monkeypatch.setenv("LC_ALL", "zh_CN.UTF-8")
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    tables = runner.invoke(app, ["check", *ZH, "--as-of", AS_OF, "-q"])
    assert "无人管户客户" in tables.stdout  # (the behaviour the README describes)
    helped = runner.invoke(app, ["check", "--help"])
    assert helped.exit_code == 0
    assert "LC_ALL" in " ".join(helped.stdout.split()), helped.stdout


def test_threshold_help_gives_the_upper_bound_it_enforces(runner):
    """README, caseload.toml: "Limits are whole numbers from 1 to 1,000,000".
    `check --help`: "--threshold <int range>  Accounts an officer may carry; more is over.
    [default: 300]  [x>=1]".

    Observed: the help says any number from 1 up is allowed, but `--threshold 1000001` is
    refused ("--threshold: threshold must be from 1 to 1,000,000, not 1000001", exit 2).
    Expected: the help gives the range the tool enforces (1 to 1,000,000), as it does for
    --near ("[0.01<=x<=1.0]").
    """
    refused = runner.invoke(app, ["check", *ZH, "--as-of", AS_OF, "--threshold", "1000001"])
    assert refused.exit_code == 2  # (the limit the README documents is enforced)
    helped = runner.invoke(app, ["check", "--help"])
    text = " ".join(helped.stdout.split())
    assert "1000000" in text or "1,000,000" in text, text
