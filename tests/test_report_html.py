"""The HTML report: one self-contained, escaped, deterministic file that lays out the report."""

from __future__ import annotations

import copy
import datetime as dt
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from typing import Any

import pytest

from caseload.check import load_inputs, run
from caseload.config import Settings
from caseload.plan_file import plan_frame
from caseload.render.html import render_html
from tests.conftest import AS_OF, SAMPLE

VOID = {"meta", "br", "hr", "img", "input", "link", "wbr", "col", "area", "base", "source"}
# SVG elements written self-closing (<rect .../>): the HTML parser reports them as start+end.
SVG_EMPTY = {"rect", "line", "polyline", "circle"}


def sample_history() -> dict[str, Any]:
    """Four weeks in the shape history.trends() returns (branches with weeks, persistent...)."""
    weeks = ["2026-10-30", "2026-11-06", "2026-11-13", "2026-11-20"]
    return {
        "snapshots": [{"as_of": d, "threshold": 300, "clients": 6900 + i * 20, "officers": 40,
                       "over": 3 + (i == 3), "near": 6, "orphaned": 140 + i} for i, d in enumerate(weeks)],
        "branches": [
            {"branch_key": "3201001", "branch": "城关支行",
             "weeks": [{"as_of": d, "officers": 7, "accounts": 2080 + 15 * i, "max_load": 350 + 4 * i,
                        "over": 3, "orphaned": 120} for i, d in enumerate(weeks)]},
            {"branch_key": "3201002", "branch": "城东支行",
             "weeks": [{"as_of": d, "officers": 8, "accounts": 1000 + 12 * i, "max_load": 296 + 7 * i,
                        "over": int(i >= 1), "orphaned": 16} for i, d in enumerate(weeks)]},
        ],
        "officers": [],
        "persistent": [{"officer_id": "07296", "name": "孙宏", "branch": "城关支行", "accounts": 362,
                        "capacity": 300, "weeks_over": 4}],
        "crossing": [{"officer_id": "05742", "name": "叶强刚", "branch": "城关支行", "accounts": 291,
                      "capacity": 300, "growth_per_week": 3.8, "weeks_to_cross": 3,
                      "expected": "2026-12-11"}],
    }


@pytest.fixture(scope="module")
def outcome():
    return run(load_inputs(SAMPLE / "officers.csv", SAMPLE / "clients.csv"),
               Settings(as_of=dt.date.fromisoformat(AS_OF)))


@pytest.fixture(scope="module")
def page(outcome) -> str:
    return render_html(outcome.report, plan_frame(outcome.plan), sample_history(), "en")


def _section(page: str, ident: str) -> str:
    m = re.search(rf'<section id="{ident}">(.*?)</section>', page, re.S)
    assert m, f"no section {ident}"
    return m.group(1)


def _h2s(page: str) -> list[str]:
    return re.findall(r"<h2>(.*?)</h2>", page)


class _Balance(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        pass

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
            return
        self.stack.pop()


def test_self_contained(page: str) -> None:
    lowered = page.lower()
    for ref in ("http://", "https://", "src=", "<link", "@import", "url(", "<script", "//cdn"):
        assert ref not in lowered, ref
    assert lowered.startswith("<!doctype html>")
    assert '<meta charset="utf-8">' in page
    assert "Noto Sans CJK SC" in page and "Microsoft YaHei" in page and "PingFang SC" in page


def test_every_over_and_near_officer_is_shown(outcome, page: str) -> None:
    over_near = _section(page, "over-near")
    flagged = [o for o in outcome.report.officers if o["over"] or o["near"]]
    assert len(flagged) == outcome.report.summary["over"] + outcome.report.summary["near"]
    for o in flagged:
        assert f"<td>{o['officer_id']}</td>" in over_near
    assert over_near.count('<tr class="over">') == outcome.report.summary["over"]
    assert over_near.count('<tr class="near">') == outcome.report.summary["near"]


def test_load_charts_one_per_branch_one_row_per_officer(outcome, page: str) -> None:
    loads = _section(page, "loads")
    branches = {o["branch"] for o in outcome.report.officers}
    assert loads.count("<figure>") == len(branches) == 5
    assert loads.count("<g><title>") == len(outcome.report.officers)
    active = [o for o in outcome.report.officers if o["status"] == "active"]
    assert loads.count('class="b-over"') == sum(o["over"] for o in active) == 4
    assert loads.count('class="b-near"') == sum(o["near"] for o in active) == 6
    assert loads.count('class="lim"') == len(outcome.report.officers)  # a limit line each
    assert 'role="img"' in loads and "<desc" in loads
    # text, not colour alone: each over officer's figures and flag are written out
    assert "362 / 300" in loads and "121%" in loads and "OVER" in loads


def test_svgs_are_well_formed_xml(page: str) -> None:
    svgs = re.findall(r"<svg\b.*?</svg>", page, re.S)
    assert len(svgs) == 5 + 2 * 2  # five branch charts, two trend charts for two branches
    for svg in svgs:
        ET.fromstring(svg)


def test_html_tags_balance(page: str) -> None:
    parser = _Balance()
    parser.feed(page)
    assert parser.errors == []
    assert parser.stack == []


def test_sections_in_order(page: str) -> None:
    assert _h2s(page) == [
        "Summary", "Each officer&#x27;s load against their limit, by branch",
        "Officers over and near the limit", "Suggested transfers",
        "Branches before and after the plan", "What cannot be placed", "Rows left out or folded",
        "Trend by week", "Client moves",
    ]
    ids = re.findall(r'<section id="([a-z-]+)">', page)
    nav = re.findall(r'<a href="#([a-z-]+)">', page)
    assert ids == nav


def test_summary_figures(outcome, page: str) -> None:
    summary = _section(page, "summary")
    s = outcome.report.summary
    for key in ("clients", "over", "near", "orphaned", "moves", "cannot_place", "over_after"):
        assert f'<div class="v">{s[key]:,}</div>' in summary, key
    assert "blank 15 · not on roster 10 · departed 120" in summary


def test_transfers_branches_cannot_place_inputs(outcome, page: str) -> None:
    transfers = _section(page, "transfers")
    assert transfers.count("<tr>") == len(outcome.report.transfers) + 1
    assert "(no officer on roster)" in transfers
    branches = _section(page, "branches")
    assert "362 → 362" in branches and "303.6 → 315.4" in branches
    cannot = _section(page, "cannot-place")
    for o in outcome.report.still_over:
        assert f"<td>{o['officer_id']}</td>" in cannot
    assert '<td class="n">149</td>' in cannot
    inputs = _section(page, "inputs")
    assert "total line (not a client)" in inputs and "6983" in inputs


def test_moves_table_when_given(outcome, page: str) -> None:
    moves = _section(page, "moves")
    assert moves.count("<tr>") == outcome.plan.moves.height + 1
    assert "Show 122 client moves" in moves
    bare = render_html(outcome.report, lang="en")
    assert 'id="moves"' not in bare and 'href="#moves"' not in bare
    assert 'id="trend"' not in bare


def test_trend_from_trends_shape(page: str) -> None:
    trend = _section(page, "trend")
    assert "城关支行" in trend and "城东支行" in trend
    assert trend.count("<polyline") == 4
    assert "2,125" in trend and "362" in trend  # the latest week's totals are labelled
    assert "Over the limit several weeks running" in trend and "07296" in trend
    assert "2026-12-11" in trend  # the projected crossing
    assert 'class="limit-dash"' in trend


def test_trend_from_snapshots_with_officers(outcome) -> None:
    history = {"snapshots": [
        {"as_of": "2026-11-13", "officers": [
            {"officer_id": "1", "branch": "城关支行", "accounts": 310, "limit": 300, "status": "over"},
            {"officer_id": "2", "branch": "城关支行", "accounts": 120, "limit": 300, "status": "ok"}]},
        {"as_of": "2026-11-20", "officers": [
            {"officer_id": "1", "branch": "城关支行", "accounts": 320, "limit": 300, "status": "over"},
            {"officer_id": "2", "branch": "城关支行", "accounts": 125, "limit": 300, "status": "ok"}]},
    ], "persistent": [{"officer_id": "1", "weeks_over": 2}]}
    trend = _section(render_html(outcome.report, None, history, "en"), "trend")
    assert "430" in trend and "445" in trend  # totals per week
    assert "310" in trend and "320" in trend  # largest per week
    assert trend.count("<svg") == 2
    assert "<td>1</td>" in trend


@pytest.mark.parametrize("history", [{}, {"snapshots": []}, {"branches": [{"branch": "x", "weeks": []}]},
                                     {"persistent": [{}]},
                                     {"branches": [{"branch": "x", "weeks": [{"as_of": AS_OF, "accounts": 5,
                                                                          "max_load": 5}]}]}])
def test_trend_tolerates_thin_history(outcome, history) -> None:
    page = render_html(outcome.report, None, history, "en")
    assert page.endswith("</html>\n")
    if 'id="trend"' in page:
        trend = _section(page, "trend")
        assert ("No weekly figures by branch yet." in trend) != ("<svg" in trend)


def test_escapes_every_string(outcome) -> None:
    report = copy.deepcopy(outcome.report)
    evil = '<script>alert("x")</script>'
    report.officers[4]["name"] = evil                      # 01908, over, in a chart and tables
    report.officers[4]["branch"] = "A&B <b>"
    report.transfers[0]["from_name"] = evil
    report.still_over[0]["why"] = "<img src=x onerror=alert(1)>"
    report.branches[0]["branch"] = "<i>城关</i>"
    report.inputs[0].path = '"><script>x</script>'
    history = sample_history()
    history["branches"][0]["branch"] = "<svg onload=alert(1)>"
    history["persistent"][0]["name"] = evil
    page = render_html(report, None, history, "en")
    assert "<script" not in page.lower()
    assert "<img" not in page and "<i>" not in page and "<b>" not in page
    assert "<svg onload" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "A&amp;B &lt;b&gt;" in page
    for svg in re.findall(r"<svg\b.*?</svg>", page, re.S):
        ET.fromstring(svg)


def test_deterministic(outcome) -> None:
    a = render_html(outcome.report, plan_frame(outcome.plan), sample_history(), "zh")
    b = render_html(copy.deepcopy(outcome.report), plan_frame(outcome.plan), sample_history(), "zh")
    assert a == b
    today = dt.date.today().isoformat()
    if today != AS_OF:
        assert today not in a
    assert not re.search(r"\d{2}:\d{2}:\d{2}", a)  # no clock time anywhere


def test_chinese(outcome) -> None:
    page = render_html(outcome.report, plan_frame(outcome.plan), sample_history(), "zh")
    assert '<html lang="zh-CN">' in page
    assert "<title>管户负荷报告 · 截至 2026-11-20</title>" in page
    assert _h2s(page) == ["概况", "各支行客户经理管户数与上限", "超上限及接近上限的客户经理", "建议移交",
                          "各支行调整前后", "无法安置的客户", "未计入或合并的行", "每周趋势", "客户移交明细"]
    assert "超" in _section(page, "over-near") and "已调离" in _section(page, "loads")
    assert "（名单外/未分配）" in _section(page, "transfers")
    assert "Summary" not in page


def test_nothing_to_report(outcome) -> None:
    report = copy.deepcopy(outcome.report)
    report.summary.update(over=0, near=0, orphaned=0, unassigned=0, unknown_officer=0, departed=0,
                          moves=0, cannot_place=0, over_after=0)
    for o in report.officers:
        o.update(over=False, near=False)
    report.transfers, report.still_over = [], []
    for b in report.branches:
        b.update(cannot_place=0, orphans_unplaced=0, excess_unplaced=0, officers_needed=0)
    for n in report.inputs:
        n.total_lines = []
    page = render_html(report, lang="en")
    assert "Nobody is over the limit and no client is orphaned." in page
    assert "Nobody is over or near the limit." in page
    assert "No transfer is suggested." in page
    assert "Every client is placed" in page
    assert "No row was left out." in page
