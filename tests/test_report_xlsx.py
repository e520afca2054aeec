"""The Excel report: sheets, frozen headers, numbers as numbers, Chinese intact, no formulas."""

from __future__ import annotations

import copy
import datetime as dt
import io

import openpyxl
import pytest

from caseload.check import load_inputs, run
from caseload.config import Settings
from caseload.plan_file import plan_frame
from caseload.render.xlsx import render_xlsx
from tests.conftest import AS_OF, SAMPLE


@pytest.fixture(scope="module")
def outcome():
    return run(load_inputs(SAMPLE / "officers.csv", SAMPLE / "clients.csv"),
               Settings(as_of=dt.date.fromisoformat(AS_OF)))


def _book(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def _rows(ws) -> list[dict]:
    values = list(ws.iter_rows(values_only=True))
    return [dict(zip(values[0], row, strict=True)) for row in values[1:]]


@pytest.fixture(scope="module")
def book_en(outcome):
    return _book(render_xlsx(outcome.report, plan_frame(outcome.plan), "en"))


@pytest.fixture(scope="module")
def book_zh(outcome):
    return _book(render_xlsx(outcome.report, plan_frame(outcome.plan), "zh"))


def test_sheets_and_frozen_headers(book_en) -> None:
    assert book_en.sheetnames == ["Summary", "Officers", "Transfers", "Branches", "Still over",
                                  "Left out", "Moves"]
    for ws in book_en:
        assert ws.freeze_panes == "A2", ws.title
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:"), ws.title
        assert all(c.font.bold for c in ws[1]), ws.title


def test_moves_sheet_only_when_given(outcome) -> None:
    book = _book(render_xlsx(outcome.report, lang="en"))
    assert "Moves" not in book.sheetnames
    assert book.sheetnames[:4] == ["Summary", "Officers", "Transfers", "Branches"]


def test_numbers_are_numbers(outcome, book_en) -> None:
    officers = _rows(book_en["Officers"])
    assert len(officers) == len(outcome.report.officers)
    by_id = {r["Staff no."]: r for r in officers}
    assert set(by_id) == {o["officer_id"] for o in outcome.report.officers}
    sun = by_id["07296"]  # staff numbers stay text, leading zeros and all
    assert sun["Accounts"] == 362 and isinstance(sun["Accounts"], int)
    assert sun["Limit"] == 300 and isinstance(sun["Limit"], int)
    assert sun["After the plan"] == 362 and sun["Flag"] == "OVER"
    assert sun["Share of limit"] == pytest.approx(362 / 300)
    assert by_id["00557"]["Staff no."] == "00557"
    for ws in book_en:
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate)
    summary = {r["Item"]: r for r in _rows(book_en["Summary"])}
    assert summary["Clients"]["Value"] == 6980
    assert summary["as of"]["Detail"] == AS_OF
    branches = _rows(book_en["Branches"])
    assert branches[0]["Average load (after)"] == pytest.approx(315.4)
    assert branches[0]["Cannot be placed"] == 149
    transfers = _rows(book_en["Transfers"])
    assert sum(t["Clients"] for t in transfers) == outcome.report.summary["moves"]
    moves = _rows(book_en["Moves"])
    assert len(moves) == outcome.plan.moves.height
    assert all(isinstance(m["Balance (yuan)"], int | float) for m in moves if m["Balance (yuan)"] is not None)
    assert any(isinstance(m["Balance (yuan)"], float) for m in moves)
    assert all(isinstance(m["To: after"], int) for m in moves)
    assert all(isinstance(m["Assigned since"], dt.datetime) for m in moves if m["Assigned since"])
    assert all(isinstance(m["Client no."], str) for m in moves)


def test_number_formats(book_en) -> None:
    ws = book_en["Officers"]
    header = [c.value for c in ws[1]]
    assert ws.cell(2, header.index("Share of limit") + 1).number_format == "0%"
    assert ws.cell(2, header.index("Accounts") + 1).number_format == "#,##0"


def test_column_widths_fit(book_en, book_zh) -> None:
    for book in (book_en, book_zh):
        ws = book["Officers"]
        for letter, dim in ws.column_dimensions.items():
            assert 6 <= dim.width <= 62, (letter, dim.width)
    # a Chinese header is wider than its character count
    assert book_zh["Branches"].column_dimensions["D"].width >= 2 * len("最大管户数（调整前）")


def test_chinese_intact(outcome, book_zh) -> None:
    officers = _rows(book_zh["Officers"])
    assert list(officers[0]) == ["工号", "姓名", "支行", "机构号", "片区", "状态", "等级", "管户数", "上限",
                                 "占上限", "标记", "调整后管户数"]
    names = {r["工号"]: r for r in officers}
    assert names["07296"]["姓名"] == "孙宏" and names["07296"]["支行"] == "城关支行"
    assert names["04975"]["状态"] == "已调离" and names["07296"]["标记"] == "超"
    transfers = _rows(book_zh["Transfers"])
    assert any(t["移出"] == "（名单外/未分配）" for t in transfers)
    summary = {r["项目"]: r for r in _rows(book_zh["Summary"])}
    assert summary["无人管户客户"]["数值"] == 145
    assert summary["无人管户客户"]["说明"] == "未分配 15 · 不在名单 10 · 已调离 120"
    moves = _rows(book_zh["Moves"])
    assert "客户号" in moves[0] and "原因" in moves[0]


def test_formula_like_text_is_neutralised(outcome) -> None:
    report = copy.deepcopy(outcome.report)
    report.officers[0]["name"] = '=HYPERLINK("http://x","y")'
    report.officers[1]["name"] = "+cmd|' /C calc'!A0"
    report.officers[2]["name"] = "@SUM(A1)"
    report.officers[3]["name"] = "-12.5"        # a plain number in text stays as it is
    report.transfers[0]["branch"] = "=1+1"
    book = _book(render_xlsx(report, lang="en"))
    names = {r["Staff no."]: r["Name"] for r in _rows(book["Officers"])}
    ids = [o["officer_id"] for o in report.officers[:4]]
    assert names[ids[0]] == "'=HYPERLINK(\"http://x\",\"y\")"
    assert names[ids[1]] == "'+cmd|' /C calc'!A0"
    assert names[ids[2]] == "'@SUM(A1)"
    assert names[ids[3]] == "-12.5"
    assert _rows(book["Transfers"])[0]["Branch"] == "'=1+1"
    for ws in book:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f"


def test_deterministic(outcome) -> None:
    a = render_xlsx(outcome.report, plan_frame(outcome.plan), "zh")
    b = render_xlsx(copy.deepcopy(outcome.report), plan_frame(outcome.plan), "zh")
    assert a == b
    book = _book(a)
    assert book.properties.created == dt.datetime(2026, 11, 20)


def test_empty_tables_keep_their_headers(outcome) -> None:
    report = copy.deepcopy(outcome.report)
    report.transfers, report.still_over = [], []
    for n in report.inputs:
        n.total_lines = []
    book = _book(render_xlsx(report, lang="en"))
    assert [c.value for c in book["Transfers"][1]][0] == "From"
    assert book["Transfers"].max_row == 1
    assert book["Still over"].max_row == 1 and book["Left out"].max_row == 1
