"""A self-contained HTML report: one file, inline CSS and SVG, nothing fetched from anywhere.

Bank intranets are offline, so the page uses no external script, font or image; it reads in
any browser and prints. It lays out a CheckReport (and, if given, the client moves and the
weekly trend); it computes nothing beyond positions on a chart. Every string is escaped.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence
from typing import Any

import polars as pl

from caseload.render import CONTROL_CHARACTERS
from caseload.render.labels import LABELS, branch_label, label, number
from caseload.report import CheckReport

FONT_STACK = ('-apple-system, "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", '
              '"Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", '
              '"Segoe UI", Roboto, Helvetica, Arial, sans-serif')

# Load chart geometry (SVG user units; the SVG scales to the page width).
CHART_W = 900
LABEL_X = 0
NAME_X = 54
BAR_X = 200
BAR_W = 470
VALUE_X = BAR_X + BAR_W + 12
AXIS_H = 22
ROW_H = 28
BAR_H = 14

# Trend chart geometry.
TREND_W = 400
TREND_H = 150
TREND_PAD_L = 48
TREND_PAD_R = 16
TREND_PAD_T = 22
TREND_PAD_B = 30

MOVE_COLUMNS = (
    "client_id", "from_officer_id", "from_officer_name", "to_officer_id", "to_officer_name",
    "branch", "to_branch", "group_id", "risk_class", "crosses_branch", "reason",
)

CSS = """
:root { --over: #c62828; --near: #e69500; --ok: #4a78b0; --inactive: #a7adb3; --after: #263238;
        --ink: #1f2328; --muted: #5c6670; --rule: #d8dee4; --zebra: #f6f8fa; }
* { box-sizing: border-box; }
html { font-family: FONTS; color: var(--ink); background: #fff; }
body { margin: 0 auto; padding: 24px 32px 48px; max-width: 1120px; line-height: 1.5; font-size: 15px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 36px 0 10px; padding-bottom: 4px; border-bottom: 2px solid var(--rule); }
h3 { font-size: 16px; margin: 22px 0 6px; }
p.meta { color: var(--muted); margin: 0 0 16px; }
nav { font-size: 14px; margin: 8px 0 0; display: flex; flex-wrap: wrap; gap: 2px 16px; }
nav a { color: #0b5cad; text-decoration: none; white-space: nowrap; }
.cards { display: grid; grid-template-columns: repeat(4, minmax(0, 1fr)); gap: 12px; margin: 12px 0 0; }
.card { border: 1px solid var(--rule); border-radius: 8px; padding: 10px 14px; background: #fff; }
.card .k { color: var(--muted); font-size: 13px; }
.card .v { font-size: 26px; font-weight: 650; font-variant-numeric: tabular-nums; }
.card .d { color: var(--muted); font-size: 12px; }
.card.bad { border-color: var(--over); border-left-width: 6px; }
.card.bad .v { color: var(--over); }
.card.warn { border-color: var(--near); border-left-width: 6px; }
.tw { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 0; font-size: 14px; }
td.nw { white-space: nowrap; }
th, td { text-align: left; padding: 5px 10px; border-bottom: 1px solid var(--rule); vertical-align: top; }
th { background: #eef1f4; font-weight: 600; white-space: nowrap; }
tbody tr:nth-child(even) td { background: var(--zebra); }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.flag-over { color: var(--over); font-weight: 700; }
td.flag-near { color: #9a6200; font-weight: 600; }
tr.over td:first-child { box-shadow: inset 4px 0 0 var(--over); }
tr.near td:first-child { box-shadow: inset 4px 0 0 var(--near); }
.empty { color: var(--muted); font-style: italic; }
.legend { display: flex; flex-wrap: wrap; gap: 6px 18px; font-size: 13px; color: var(--muted); margin: 4px 0 8px; }
.legend span { display: inline-flex; align-items: center; gap: 6px; }
.sw { display: inline-block; width: 14px; height: 10px; border-radius: 2px; }
.sw.line { width: 3px; height: 14px; background: var(--ink); border-radius: 0; }
.sw.after { height: 4px; background: var(--after); }
figure { margin: 8px 0 18px; }
figcaption { font-weight: 600; font-size: 16px; margin: 0 0 2px; }
figcaption .meta { font-weight: 400; font-size: 13px; color: var(--muted); }
svg { display: block; width: 100%; height: auto; font-family: FONTS; }
svg text { fill: var(--ink); font-size: 13px; }
svg .tick { fill: var(--muted); font-size: 11px; }
svg .grid { stroke: #e3e7eb; stroke-width: 1; }
svg .id { fill: var(--muted); font-variant-numeric: tabular-nums; }
svg .st { fill: var(--muted); font-size: 11px; }
svg .val { font-variant-numeric: tabular-nums; }
svg .pt { font-size: 11px; font-variant-numeric: tabular-nums; }
svg .b-over { fill: var(--over); }
svg .b-near { fill: var(--near); }
svg .b-ok { fill: var(--ok); }
svg .b-inactive { fill: var(--inactive); }
svg .b-after { fill: var(--after); }
svg .lim { stroke: var(--ink); stroke-width: 2; }
svg .t-over { fill: var(--over); font-weight: 700; }
svg .t-near { fill: #9a6200; font-weight: 600; }
svg .trend { fill: none; stroke: var(--ok); stroke-width: 2.5; }
svg .dot { fill: var(--ok); }
svg .dot-over { fill: var(--over); }
svg .limit-dash { stroke: var(--over); stroke-width: 1.5; stroke-dasharray: 5 4; }
svg .axis { stroke: #9aa4ad; stroke-width: 1; }
.trends { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 4px 24px; }
details summary { cursor: pointer; color: #0b5cad; margin: 6px 0; }
footer { margin-top: 40px; color: var(--muted); font-size: 12px; border-top: 1px solid var(--rule); padding-top: 8px; }
@media (max-width: 760px) { .cards { grid-template-columns: repeat(2, minmax(0, 1fr)); }
  .trends { grid-template-columns: 1fr; } body { padding: 12px; } }
@media print { body { max-width: none; padding: 0; } nav, details summary { display: none; }
  details > *:not(summary) { display: block; } figure, tr { break-inside: avoid; }
  html { -webkit-print-color-adjust: exact; print-color-adjust: exact; } }
""".replace("FONTS", FONT_STACK)


def _e(value: Any) -> str:
    """Escape anything for HTML text or a quoted attribute; None is empty."""
    return "" if value is None else html.escape(str(value).translate(CONTROL_CHARACTERS),
                                                quote=True)


def _num(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "✓" if value else ""
    if isinstance(value, int | float):
        return number(value)
    return _e(value)


def _percent(accounts: int, capacity: int | None) -> str:
    """Share of the limit: rounded up past the limit, down below it (301/300 shows 101%)."""
    if not capacity:
        return "–"
    share = accounts / capacity
    return f"{math.ceil(share * 100) if share > 1 else math.floor(share * 100)}%"


def _status(status: str | None, lang: str) -> str:
    if status in ("active", "leave", "departed"):
        return label(f"status_{status}", lang)
    return status or ""


def _who(officer_id: str | None, name: str | None, lang: str) -> str:
    if officer_id is None:
        return label("no_officer", lang)
    return f"{officer_id} {name}" if name else officer_id


def _table(headers: Sequence[tuple[str, bool]], rows: Iterable[tuple[str, Sequence[str]]]) -> str:
    """headers: (escaped text, numeric?); rows: (tr class, already-escaped cells)."""
    head = "".join(f'<th class="n">{h}</th>' if n else f"<th>{h}</th>" for h, n in headers)
    body = []
    for cls, cells in rows:
        tds = []
        for (_, numeric), cell in zip(headers, cells, strict=True):
            if isinstance(cell, tuple):  # (extra class, text)
                tds.append(f'<td class="{cell[0]}">{cell[1]}</td>')
            else:
                tds.append(f'<td class="n">{cell}</td>' if numeric else f"<td>{cell}</td>")
        attr = f' class="{cls}"' if cls else ""
        body.append(f"<tr{attr}>{''.join(tds)}</tr>")
    return f"<div class=\"tw\"><table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"


def _empty(key: str, lang: str) -> str:
    return f'<p class="empty">{_e(label(key, lang))}</p>'


# --------------------------------------------------------------------------- sections


def _summary(report: CheckReport, lang: str) -> str:
    s = report.summary
    detail = label("orphan_detail", lang).format(u=s["unassigned"], k=s["unknown_officer"],
                                                 d=s["departed"])
    cards = [
        ("clients", f"{s['clients']:,}", "", ""),
        ("officers", f"{s['officers']:,}", f"({s['active_officers']:,})", ""),
        ("over", f"{s['over']:,}", "", "bad" if s["over"] else ""),
        ("near", f"{s['near']:,}", "", "warn" if s["near"] else ""),
        ("orphaned", f"{s['orphaned']:,}", detail, "bad" if s["orphaned"] else ""),
        ("moves", f"{s['moves']:,}", "", ""),
        ("cannot_place", f"{s['cannot_place']:,}", "", "bad" if s["cannot_place"] else ""),
        ("over_after", f"{s['over_after']:,}", "", "bad" if s["over_after"] else ""),
    ]
    out = ['<section id="summary">', f"<h2>{_e(label('summary', lang))}</h2>", '<div class="cards">']
    for key, value, extra, cls in cards:
        attr = f"card {cls}".strip()
        out.append(f'<div class="{attr}"><div class="k">{_e(label(key, lang))}</div>'
                   f'<div class="v">{_e(value)}</div>'
                   + (f'<div class="d">{_e(extra)}</div>' if extra else "") + "</div>")
    out.append("</div>")
    if not report.has_findings:
        out.append(f"<p>{_e(label('nothing', lang))}</p>")
    out.append("</section>")
    return "\n".join(out)


def _scale_max(report: CheckReport) -> int:
    """One scale for every branch chart, so bars compare across branches: a round number."""
    top = max([report.threshold] + [max(o["accounts"] or 0, o["capacity"] or 0,
                                        o["accounts_after"] or 0) for o in report.officers])
    step = 50 if top <= 500 else 100 if top <= 1000 else 500
    return max(step, math.ceil(top * 1.02 / step) * step)


def _branch_groups(report: CheckReport) -> list[tuple[str, list[dict[str, Any]]]]:
    """Officers grouped by branch, in the report's branch order, heaviest load first."""
    groups: dict[str, list[dict[str, Any]]] = {}
    names: dict[str, str] = {}
    for o in report.officers:
        key = o["branch_id"] or o["branch"] or ""
        groups.setdefault(key, []).append(o)
        if o["branch"]:
            names.setdefault(key, o["branch"])
    order = [b["branch_key"] for b in report.branches if b["branch_key"] in groups]
    order += [k for k in groups if k not in order]
    for b in report.branches:
        if b["branch"]:
            names.setdefault(b["branch_key"], b["branch"])
    out = []
    for key in order:
        rows = sorted(groups[key], key=lambda o: (-(o["accounts"] or 0), o["officer_id"]))
        out.append((names.get(key, key) or "", rows))
    return out


def _band(o: dict[str, Any]) -> str:
    if o["status"] != "active":
        return "inactive"
    return "over" if o["over"] else "near" if o["near"] else "ok"


def _load_chart(title: str, officers: list[dict[str, Any]], top: int, lang: str, idx: int) -> str:
    def x(v: int) -> float:
        return round(BAR_X + BAR_W * min(v, top) / top, 1)

    height = AXIS_H + ROW_H * len(officers) + 6
    # (about ten ticks at most, whatever the limit: an own 管户上限 may be 99999)
    step = 50 if top <= 400 else 100 if top <= 1000 else max(500, _nice_ceiling(top / 10))
    tid, did = f"load-{idx}-t", f"load-{idx}-d"
    desc = label("report_chart_desc", lang).format(n=len(officers))
    out = [f'<svg viewBox="0 0 {CHART_W} {height}" width="{CHART_W}" height="{height}" role="img" '
           f'aria-labelledby="{tid} {did}" preserveAspectRatio="xMinYMin meet">',
           f'<title id="{tid}">{_e(title)}</title><desc id="{did}">{_e(desc)}</desc>']
    for v in range(0, top + 1, step):
        out.append(f'<line class="grid" x1="{x(v)}" y1="{AXIS_H - 4}" x2="{x(v)}" y2="{height - 4}"/>'
                   f'<text class="tick" x="{x(v)}" y="{AXIS_H - 8}" text-anchor="middle">{v}</text>')
    for i, o in enumerate(officers):
        y = AXIS_H + i * ROW_H
        band = _band(o)
        acc, cap, after = o["accounts"] or 0, o["capacity"], o["accounts_after"]
        flag = ""
        if o["over"]:
            flag = label("flag_over", lang)
        elif o["near"]:
            flag = label("flag_near", lang)
        of = label("report_of", lang).format(a=acc, c=cap if cap is not None else "–")
        tip = f"{o['officer_id']} {o['name'] or ''}: {of} ({_percent(acc, cap)})"
        if o["status"] != "active":
            tip += f", {_status(o['status'], lang)}"
        if flag:
            tip += f", {flag}"
        if after is not None and after != acc:
            tip += f"; {label('report_legend_after', lang)} {after}"
        out.append(f"<g><title>{_e(tip)}</title>")
        ty = y + BAR_H + 1
        out.append(f'<text class="id" x="{LABEL_X}" y="{ty}">{_e(o["officer_id"])}</text>'
                   f'<text x="{NAME_X}" y="{ty}">{_e(o["name"] or "")}')
        if o["status"] != "active":
            out.append(f'<tspan class="st" dx="6">{_e(_status(o["status"], lang))}</tspan>')
        out.append("</text>")
        out.append(f'<rect class="b-{band}" x="{BAR_X}" y="{y + 4}" width="{round(x(acc) - BAR_X, 1)}" '
                   f'height="{BAR_H}" rx="2"/>')
        if after is not None and after != acc:
            out.append(f'<rect class="b-after" x="{BAR_X}" y="{y + 4 + BAR_H + 2}" '
                       f'width="{round(x(after) - BAR_X, 1)}" height="4"/>')
        if cap:
            out.append(f'<line class="lim" x1="{x(cap)}" y1="{y + 1}" x2="{x(cap)}" y2="{y + ROW_H - 3}"/>')
        value = f"{acc:,} / {cap:,}" if cap is not None else f"{acc:,}"
        out.append(f'<text class="val" x="{VALUE_X}" y="{ty}">{_e(value)}'
                   f'<tspan class="tick" dx="6">{_e(_percent(acc, cap))}</tspan>')
        if flag:
            out.append(f'<tspan class="t-{band}" dx="6">{_e(flag)}</tspan>')
        if after is not None and after != acc:
            out.append(f'<tspan class="tick" dx="6">→ {after:,}</tspan>')
        out.append("</text></g>")
    out.append("</svg>")
    return "".join(out)


def _loads(report: CheckReport, lang: str) -> str:
    top = _scale_max(report)
    legend = "".join(
        f'<span><i class="sw {cls}"{style}></i>{_e(label(key, lang))}</span>'
        for cls, style, key in (
            ("", ' style="background:var(--over)"', "report_legend_over"),
            ("", ' style="background:var(--near)"', "report_legend_near"),
            ("", ' style="background:var(--ok)"', "report_legend_ok"),
            ("", ' style="background:var(--inactive)"', "report_legend_inactive"),
            ("line", "", "report_legend_limit"),
            ("after", "", "report_legend_after"),
        ))
    out = ['<section id="loads">', f"<h2>{_e(label('report_loads_title', lang))}</h2>",
           f'<div class="legend">{legend}</div>']
    for i, (branch, officers) in enumerate(_branch_groups(report)):
        title = branch or label("report_no_branch", lang)
        out.append(f"<figure><figcaption>{_e(title)}</figcaption>"
                   f"{_load_chart(title, officers, top, lang, i)}</figure>")
    out.append("</section>")
    return "\n".join(out)


def _over_near(report: CheckReport, lang: str) -> str:
    out = ['<section id="over-near">', f"<h2>{_e(label('over_near_title', lang))}</h2>"]
    rows = report.over_and_near()
    if not rows:
        out.append(_empty("nobody_over_near", lang))
    else:
        headers = [(_e(label(k, lang)), n) for k, n in (
            ("staff", False), ("name", False), ("branch", False), ("accounts", True),
            ("limit_col", True), ("share", True), ("accounts_after", True))] + [("", False)]
        body = []
        for o in rows:
            band = "over" if o["over"] else "near"
            flag = label("flag_over" if o["over"] else "flag_near", lang)
            body.append((band, [_e(o["officer_id"]), _e(o["name"]), _e(o["branch"]),
                                _num(o["accounts"]), _num(o["capacity"]),
                                _e(_percent(o["accounts"], o["capacity"])),
                                _num(o["accounts_after"]), (f"flag-{band}", _e(flag))]))
        out.append(_table(headers, body))
    out.append("</section>")
    return "\n".join(out)


def _transfers(report: CheckReport, lang: str) -> str:
    out = ['<section id="transfers">', f"<h2>{_e(label('transfers_title', lang))}</h2>"]
    if not report.transfers:
        out.append(_empty("no_transfers", lang))
    else:
        headers = [(_e(label("from", lang)), False), (_e(label("to", lang)), False),
                   (_e(label("branch", lang)), False), (_e(label("clients", lang)), True)]
        body = []
        for t in report.transfers:
            branch = _e(t["branch"])
            if t["crosses_branch"]:
                none = label("report_no_branch", lang)
                branch = (f"{_e(t['branch'] or none)} → {_e(t['to_branch'] or none)} "
                          f"<strong>({_e(label('crosses', lang))})</strong>")
            body.append(("", [_e(_who(t["from_officer_id"], t["from_name"], lang)),
                              _e(_who(t["to_officer_id"], t["to_name"], lang)), branch,
                              _num(t["clients"])]))
        out.append(_table(headers, body))
    out.append("</section>")
    return "\n".join(out)


def _arrow(before: Any, after: Any) -> str:
    return f"{_num(before)} → {_num(after)}"


def _branches(report: CheckReport, lang: str) -> str:
    out = ['<section id="branches">', f"<h2>{_e(label('branches_title', lang))}</h2>",
           f'<p class="meta">{_e(label("report_before_after", lang))}</p>']
    headers = [(_e(label(k, lang)), n) for k, n in (
        ("branch", False), ("active_officers", True), ("largest", True), ("average", True),
        ("spread", True), ("over_count", True), ("cannot_place", True), ("officers_needed", True))]
    body = []
    for b in report.branches:
        cls = "over" if b["cannot_place"] or b["over_after"] else ""
        name = branch_label(b, lang)
        body.append((cls, [("nw", _e(name)), _num(b["active_officers"]),
                           _arrow(b["max_before"], b["max_after"]),
                           _arrow(b["mean_before"], b["mean_after"]),
                           _arrow(b["spread_before"], b["spread_after"]),
                           _arrow(b["over_before"], b["over_after"]),
                           _num(b["cannot_place"]), _num(b["officers_needed"])]))
    out.append(_table(headers, body))
    out.append("</section>")
    return "\n".join(out)


def _cannot_place(report: CheckReport, lang: str) -> str:
    out = ['<section id="cannot-place">', f"<h2>{_e(label('cannot_place_title', lang))}</h2>"]
    short = [b for b in report.branches if b["cannot_place"]]
    if not short and not report.still_over:
        out.append(_empty("nothing_unplaced", lang))
    if short:
        out.append(f"<h3>{_e(label('shortfall_title', lang))}</h3>")
        headers = [(_e(label(k, lang)), n) for k, n in (
            ("branch", False), ("orphans_unplaced", True), ("excess_unplaced", True),
            ("cannot_place", True), ("officers_needed", True))]
        out.append(_table(headers, [("", [_e(branch_label(b, lang)),
                                          _num(b["orphans_unplaced"]), _num(b["excess_unplaced"]),
                                          _num(b["cannot_place"]), _num(b["officers_needed"])])
                                    for b in short]))
    if report.still_over:
        names = {o["officer_id"]: o for o in report.officers}
        out.append(f"<h3>{_e(label('still_over_title', lang))}</h3>")
        headers = [(_e(label(k, lang)), n) for k, n in (
            ("staff", False), ("name", False), ("branch", False), ("excess_left", True),
            ("why", False))]
        out.append(_table(headers, [
            ("over", [_e(o["officer_id"]), _e(names.get(o["officer_id"], {}).get("name")),
                      _e(names.get(o["officer_id"], {}).get("branch")), _num(o["excess_left"]),
                      _e(o["why"])])
            for o in report.still_over]))
    out.append("</section>")
    return "\n".join(out)


def _inputs(report: CheckReport, lang: str) -> str:
    out = ['<section id="inputs">', f"<h2>{_e(label('inputs_title', lang))}</h2>"]
    rows = report.left_out(label("total_lines", lang))
    if not rows:
        out.append(_empty("nothing_left_out", lang))
    else:
        headers = [(_e(label(k, lang)), n) for k, n in (
            ("file", False), ("problem", False), ("rows", True), ("lines", False))]
        body = []
        for path, problem, count, lines in rows:
            shown = ", ".join(map(str, lines[:20])) + (" …" if len(lines) > 20 else "")
            body.append(("", [_e(path), _e(problem), _num(count), _e(shown)]))
        out.append(_table(headers, body))
    out.append("<p class=\"meta\">" + " · ".join(
        f"{_e(n.path)}: {_e(label('rows', lang))} {n.rows:,}" for n in report.inputs) + "</p>")
    out.append("</section>")
    return "\n".join(out)


MAX_MOVES_SHOWN = 2000


def _moves(moves: pl.DataFrame, lang: str) -> str:
    cols = [c for c in MOVE_COLUMNS if c in moves.columns]
    heads = {"from_officer_id": "from", "to_officer_id": "to", "from_officer_name": "from_name",
             "to_officer_name": "to_name", "crosses_branch": "crosses_col", "reason": "why"}
    headers = [(_e(label(heads.get(c, c), lang)), False) for c in cols]
    body = []
    shown = moves.head(MAX_MOVES_SHOWN)  # a page, not a database: the plan file has them all
    for row in shown.select(cols).rows():
        cells = []
        for c, v in zip(cols, row, strict=True):
            if c == "crosses_branch":
                cells.append(_e(label("yes", lang)) if v else "")
            else:
                cells.append(_e(v))
        body.append(("", cells))
    summary = label("moves_show", lang).format(n=f"{moves.height:,}")
    if moves.height > MAX_MOVES_SHOWN:
        summary += " · " + label("more_rows", lang).format(n=f"{moves.height - MAX_MOVES_SHOWN:,}")
    return "\n".join(['<section id="moves">', f"<h2>{_e(label('moves_title', lang))}</h2>",
                      f"<details><summary>{_e(summary)}</summary>", _table(headers, body),
                      "</details></section>"])


# --------------------------------------------------------------------------- trend


def _trend_series(history: dict[str, Any]) -> list[tuple[str, list[tuple[str, int, int]]]]:
    """Per branch: [(as_of, accounts, largest load)], from either history shape."""
    if history.get("branches"):
        out = []
        for b in history["branches"]:
            weeks = [(str(w.get("as_of")), int(w.get("accounts") or 0), int(w.get("max_load") or 0))
                     for w in b.get("weeks", [])]
            if weeks:
                out.append((str(b.get("branch") or b.get("branch_key") or ""), weeks))
        return out
    # Snapshots that carry their officers: lay out each branch's total and largest per week.
    series: dict[str, list[tuple[str, int, int]]] = {}
    for snap in history.get("snapshots", []):
        totals: dict[str, list[int]] = {}
        officers = snap.get("officers")
        for o in officers if isinstance(officers, list) else []:  # (trends(): a count)
            totals.setdefault(str(o.get("branch") or ""), []).append(int(o.get("accounts") or 0))
        for branch, loads in totals.items():
            series.setdefault(branch, []).append((str(snap.get("as_of")), sum(loads), max(loads)))
    return list(series.items())


def _nice_ceiling(value: float) -> int:
    """The smallest of 1, 2, 3, 4, 5, 6, 8 x 10^k at or above value (its half is round too)."""
    mag = 10 ** max(0, math.floor(math.log10(max(value, 1))))
    for m in (1, 2, 3, 4, 5, 6, 8, 10):
        if m * mag >= value:
            return int(m * mag)
    return int(10 * mag)


def _trend_chart(title: str, points: list[tuple[str, int]], limit: int | None, lang: str,
                 ident: str) -> str:
    values = [v for _, v in points]
    top = _nice_ceiling(max(values + ([limit] if limit else []) + [1]) / 0.8)
    inner_w = TREND_W - TREND_PAD_L - TREND_PAD_R
    inner_h = TREND_H - TREND_PAD_T - TREND_PAD_B

    def px(i: int) -> float:
        return round(TREND_PAD_L + (inner_w * i / (len(points) - 1) if len(points) > 1 else inner_w / 2), 1)

    def py(v: int) -> float:
        return round(TREND_PAD_T + inner_h * (1 - v / top), 1)

    desc = label("trend_desc", lang).format(
        what=title, n=len(points), first=points[0][0], last=points[-1][0],
        values=", ".join(f"{d} {v:,}" for d, v in points))
    out = [f'<svg viewBox="0 0 {TREND_W} {TREND_H}" width="{TREND_W}" height="{TREND_H}" role="img" '
           f'aria-labelledby="{ident}-t {ident}-d">',
           f'<title id="{ident}-t">{_e(title)}</title><desc id="{ident}-d">{_e(desc)}</desc>']
    for v in (0, top // 2, top):
        out.append(f'<line class="grid" x1="{TREND_PAD_L}" y1="{py(v)}" x2="{TREND_W - TREND_PAD_R}" '
                   f'y2="{py(v)}"/><text class="tick" x="{TREND_PAD_L - 6}" y="{py(v) + 4}" '
                   f'text-anchor="end">{v:,}</text>')
    if limit:
        out.append(f'<line class="limit-dash" x1="{TREND_PAD_L}" y1="{py(limit)}" '
                   f'x2="{TREND_W - TREND_PAD_R}" y2="{py(limit)}"/>')
    every = max(1, math.ceil(len(points) / 6))
    coords = " ".join(f"{px(i)},{py(v)}" for i, (_, v) in enumerate(points))
    if len(points) > 1:
        out.append(f'<polyline class="trend" points="{coords}"/>')
    for i, (day, v) in enumerate(points):
        dot = "dot-over" if limit and v > limit else "dot"
        out.append(f'<circle class="{dot}" cx="{px(i)}" cy="{py(v)}" r="3.5"><title>{_e(day)}: {v:,}</title>'
                   "</circle>")
        if i % every == 0 or i == len(points) - 1:
            out.append(f'<text class="tick" x="{px(i)}" y="{TREND_H - 10}" text-anchor="middle">'
                       f"{_e(day[5:] if len(day) == 10 else day)}</text>"
                       f'<text class="pt" x="{px(i)}" y="{py(v) - 8}" text-anchor="middle">{v:,}</text>')
    out.append("</svg>")
    return "".join(out)


def _trend(history: dict[str, Any], report: CheckReport, lang: str) -> str:
    out = ['<section id="trend">', f"<h2>{_e(label('trend_title', lang))}</h2>"]
    series = _trend_series(history)
    if not series:
        out.append(_empty("trend_none", lang))
    for i, (branch, weeks) in enumerate(series):
        name = branch or label("report_no_branch", lang)
        total = [(d, a) for d, a, _ in weeks]
        largest = [(d, m) for d, _, m in weeks]
        total_title, max_title = label("trend_total", lang), label("trend_max", lang)
        dashed = label("trend_limit_dashed", lang).format(n=report.threshold)
        total_chart = _trend_chart(f"{name}: {total_title}", total, None, lang, f"tr-{i}-a")
        max_chart = _trend_chart(f"{name}: {max_title}", largest, report.threshold, lang, f"tr-{i}-m")
        out.append(f'<h3>{_e(name)}</h3><div class="trends">'
                   f"<figure><figcaption>{_e(total_title)}</figcaption>{total_chart}</figure>"
                   f'<figure><figcaption>{_e(max_title)} <span class="meta">({_e(dashed)})</span>'
                   f"</figcaption>{max_chart}</figure></div>")
    persistent = history.get("persistent") or []
    if persistent:
        out.append(f"<h3>{_e(label('persistent_title', lang))}</h3>")
        headers = [(_e(label(k, lang)), n) for k, n in (
            ("staff", False), ("name", False), ("branch", False), ("accounts", True),
            ("limit_col", True), ("weeks_over", True))]
        out.append(_table(headers, [("over", [_e(p.get("officer_id")), _e(p.get("name")),
                                              _e(p.get("branch")), _num(p.get("accounts")),
                                              _num(p.get("capacity")), _num(p.get("weeks_over"))])
                                    for p in persistent]))
    crossing = history.get("crossing") or []
    if crossing:
        out.append(f"<h3>{_e(label('crossing_title', lang))}</h3>")
        headers = [(_e(label(k, lang)), n) for k, n in (
            ("staff", False), ("name", False), ("branch", False), ("accounts", True),
            ("limit_col", True), ("growth_per_week", True), ("expected", False))]
        out.append(_table(headers, [("near", [_e(c.get("officer_id")), _e(c.get("name")),
                                              _e(c.get("branch")), _num(c.get("accounts")),
                                              _num(c.get("capacity")), _num(c.get("growth_per_week")),
                                              _e(c.get("expected") or "–")])
                                    for c in crossing]))
    out.append("</section>")
    return "\n".join(out)


# --------------------------------------------------------------------------- page


def render_html(report: CheckReport, moves: pl.DataFrame | None = None,
                history: dict[str, Any] | None = None, lang: str = "en") -> str:
    """The whole report as one self-contained HTML document (UTF-8 text)."""
    title = f"{label('report_title', lang)} · {label('as_of', lang)} {report.as_of.isoformat()}"
    scope_key = f"report_scope_{report.scope}"
    scope = label(scope_key, lang) if scope_key in LABELS else report.scope
    meta = (f"{label('limit_col', lang)} {report.threshold} · "
            f"{label('report_near_from', lang)} {round(report.near_fraction * 100)}% · "
            f"{label('report_scope', lang)}{'：' if lang == 'zh' else ': '}{scope}")
    sections = [("summary", "summary"), ("loads", "report_loads_title"),
                ("over-near", "over_near_title"), ("transfers", "transfers_title"),
                ("branches", "branches_title"), ("cannot-place", "cannot_place_title"),
                ("inputs", "inputs_title")]
    trend = history is not None and (history.get("branches") or history.get("snapshots")
                                     or history.get("persistent"))
    if trend:
        sections.append(("trend", "trend_title"))
    if moves is not None:
        sections.append(("moves", "moves_title"))
    nav = "".join(f'<a href="#{anchor}">{_e(label(key, lang))}</a>' for anchor, key in sections)
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{"zh-CN" if lang == "zh" else "en"}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title>",
        f"<style>{CSS}</style>",
        "</head>",
        "<body>",
        "<header>",
        f"<h1>{_e(title)}</h1>",
        f'<p class="meta">{_e(meta)}</p>',
        f'<nav aria-label="{_e(label("report_contents", lang))}">{nav}</nav>',
        "</header>",
        "<main>",
        _summary(report, lang),
        _loads(report, lang),
        _over_near(report, lang),
        _transfers(report, lang),
        _branches(report, lang),
        _cannot_place(report, lang),
        _inputs(report, lang),
    ]
    if trend:
        parts.append(_trend(history, report, lang))
    if moves is not None:
        parts.append(_moves(moves, lang))
    parts += ["</main>", f"<footer>{_e(label('footer', lang))}</footer>", "</body>", "</html>", ""]
    return "\n".join(parts)
