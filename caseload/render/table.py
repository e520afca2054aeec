"""Rich tables for a terminal or a plain-text cron mail. Lays out a CheckReport; computes nothing."""

from __future__ import annotations

import math

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from caseload.render import CONTROL_CHARACTERS
from caseload.render.labels import branch_label, branches_crossed, label, number
from caseload.report import CheckReport

BAR_WIDTH = 20
MAX_ROWS = 60  # a terminal table past this is unreadable; json/csv/--report carry everything


class _Table(Table):
    """A rich table whose text cells cannot carry terminal control codes from an export: an
    escape sequence in a name would colour, or worse, the reader's terminal and a cron mail."""

    def add_row(self, *renderables, **kwargs) -> None:
        super().add_row(*[r.translate(CONTROL_CHARACTERS) if isinstance(r, str) else r
                          for r in renderables], **kwargs)


def _unicode_ok(console: Console) -> bool:
    return console.encoding.lower().replace("-", "").startswith("utf")


def bar_width(console: Console) -> int:
    """The bar's length: narrower on a narrow terminal, so names and branches keep their room."""
    return BAR_WIDTH if console.width >= 100 else 10 if console.width >= 72 else 5


def load_bar(accounts: int, limit: int, unicode: bool, width: int = BAR_WIDTH) -> Text:
    """A bar of the load against the limit, full at the limit, with the share in per cent."""
    share = accounts / limit if limit else 0.0
    # (full only at the limit or over it: 95% of 300 on a 10-cell bar is 9 cells, not 10)
    filled = width if share >= 1 else min(width - 1, round(share * width))
    full, empty = ("█", "░") if unicode else ("#", ".")
    style = "red" if share > 1 else "yellow" if share >= 0.9 else "green"
    bar = Text(full * filled, style=style)
    bar.append(empty * (width - filled), style="dim")
    percent = math.ceil(share * 100) if share > 1 else math.floor(share * 100)
    bar.append(f" {percent:3d}%")
    return bar


def render_check(report: CheckReport, console: Console, lang: str = "en",
                 quiet: bool = False) -> None:
    s = report.summary
    unicode = _unicode_ok(console)
    if not quiet:
        title = (f"{label('title', lang)} · {label('as_of', lang)} {report.as_of.isoformat()}"
                 f" · {label('limit', lang)} {number(report.threshold)}")
        summary = _Table(title=title, box=box.SIMPLE_HEAD, show_header=False, title_justify="left")
        summary.add_column(style="bold")
        summary.add_column(justify="right")
        summary.add_column()
        summary.add_row(label("clients", lang), f"{s['clients']:,}", "")
        summary.add_row(label("officers", lang), f"{s['officers']:,} ({s['active_officers']:,})",
                        "")
        summary.add_row(label("over", lang), str(s["over"]), "")
        summary.add_row(label("near", lang), str(s["near"]), "")
        summary.add_row(label("orphaned", lang), f"{s['orphaned']:,}", label(
            "orphan_detail", lang).format(u=s["unassigned"], k=s["unknown_officer"],
                                          d=s["departed"]))
        summary.add_row(label("moves", lang), f"{s['moves']:,}", "")
        summary.add_row(label("cannot_place", lang), f"{s['cannot_place']:,}", "")
        summary.add_row(label("over_after", lang), str(s["over_after"]), "")
        console.print(summary)
    if not report.has_findings and not quiet:
        console.print(label("nothing", lang))
    if quiet and s["orphaned"]:  # (a finding the tables below may not show)
        console.print(f"{label('orphaned', lang)}: {s['orphaned']:,} " + label(
            "orphan_detail", lang).format(u=s["unassigned"], k=s["unknown_officer"],
                                          d=s["departed"]))
    _over_near(report, console, lang, unicode)
    if not quiet:
        _transfers(report, console, lang)
    _shortfalls(report, console, lang)
    if not quiet:
        _inputs(report, console, lang)


def _over_near(report: CheckReport, console: Console, lang: str, unicode: bool) -> None:
    rows = report.over_and_near()
    if not rows:
        return
    t = _titled("over_near_title", lang)
    t.add_column(label("staff", lang), overflow="fold")  # (an identity is never cut short)
    t.add_column(label("name", lang), overflow="fold")
    t.add_column(label("branch", lang), overflow="fold")
    t.add_column(label("accounts", lang), justify="right", no_wrap=True)
    t.add_column(label("limit_col", lang), justify="right", no_wrap=True)
    t.add_column(label("load", lang), no_wrap=True)
    t.add_column(label("flag", lang))
    width = bar_width(console)
    for o in rows[:MAX_ROWS]:
        flag = Text(label("flag_over", lang), style="bold red") if o["over"] else Text(
            label("flag_near", lang), style="yellow")
        t.add_row(o["officer_id"], o["name"] or "", o["branch"] or "", number(o["accounts"]),
                  number(o["capacity"]), load_bar(o["accounts"], o["capacity"], unicode, width),
                  flag)
    console.print(t)
    _more(console, len(rows), lang)


def _titled(title: str, lang: str) -> Table:
    """A table in the house style: its title above, left, and a rule under the header."""
    return _Table(title=label(title, lang), box=box.SIMPLE_HEAD, title_justify="left")


def _more(console: Console, total: int, lang: str, where: str = "more_rows") -> None:
    if total > MAX_ROWS:
        console.print(label(where, lang).format(n=total - MAX_ROWS))


def _who(officer_id: str | None, name: str | None, lang: str) -> str:
    if officer_id is None:
        return label("no_officer", lang)
    return f"{officer_id} {name}" if name else officer_id


def _transfers(report: CheckReport, console: Console, lang: str, where: str = "more_rows") -> None:
    if not report.transfers:
        return
    t = _titled("transfers_title", lang)  # (who gives to whom is wrapped, never cut short)
    t.add_column(label("from", lang), overflow="fold")
    t.add_column(label("to", lang), overflow="fold")
    t.add_column(label("branch", lang), overflow="fold")
    t.add_column(label("clients", lang), justify="right", no_wrap=True)
    for tr in report.transfers[:MAX_ROWS]:
        branch = tr["branch"] or ""
        if tr["crosses_branch"]:
            branch = branches_crossed(tr, lang)
        t.add_row(_who(tr["from_officer_id"], tr["from_name"], lang),
                  _who(tr["to_officer_id"], tr["to_name"], lang), branch, number(tr["clients"]))
    console.print(t)
    _more(console, len(report.transfers), lang, where)


def _shortfalls(report: CheckReport, console: Console, lang: str) -> None:
    short = [b for b in report.branches if b["cannot_place"]]
    if short:
        t = _titled("shortfall_title", lang)
        t.add_column(label("branch", lang), overflow="fold")
        t.add_column(label("cannot_place", lang), justify="right")
        t.add_column(label("officers_needed", lang), justify="right")
        for b in short[:MAX_ROWS]:
            t.add_row(branch_label(b, lang), number(b["cannot_place"]),
                      number(b["officers_needed"]))
        console.print(t)
        _more(console, len(short), lang)
    if report.still_over:
        t = _titled("still_over_title", lang)
        t.add_column(label("staff", lang), overflow="fold")
        t.add_column(label("excess_left", lang), justify="right")
        t.add_column(label("why", lang))
        for o in report.still_over[:MAX_ROWS]:
            t.add_row(o["officer_id"], number(o["excess_left"]), o["why"])
        console.print(t)
        _more(console, len(report.still_over), lang)


def _inputs(report: CheckReport, console: Console, lang: str) -> None:
    rows = report.left_out(label("total_lines", lang))
    if not rows:
        return
    t = _titled("inputs_title", lang)
    t.add_column(label("file", lang), overflow="fold")  # (a path is wrapped, never cut short)
    t.add_column(label("problem", lang), overflow="fold")
    t.add_column(label("rows", lang), justify="right")
    t.add_column(label("lines", lang))
    for path, problem, count, lines in rows:
        shown = ", ".join(map(str, lines[:5])) + (" …" if len(lines) > 5 else "")
        t.add_row(path, problem, str(count), shown)
    console.print(t)


def render_plan(report: CheckReport, target: str, console: Console, lang: str = "en",
                quiet: bool = False) -> None:
    """After `plan`: where the file went, transfers, and each branch before and after;
    `quiet`, only where the file went and what the plan cannot do."""
    s = report.summary
    key = "moves_written_one" if s["moves"] == 1 else "moves_written"
    console.print(label(key, lang).format(n=f"{s['moves']:,}", target=target))
    if quiet:
        _shortfalls(report, console, lang)
        return
    _transfers(report, console, lang, "more_rows_plan")
    t = _titled("branches_title", lang)
    for key, justify in (("branch", "left"), ("largest", "right"), ("average", "right"),
                         ("spread", "right"), ("over_col", "right")):
        t.add_column(label(key, lang), justify=justify)
    shown = [b for b in report.branches if b["active_officers"]]  # (loads of someone)
    for b in shown[:MAX_ROWS]:
        t.add_row(branch_label(b, lang), *[f"{number(b[f'{k}_before'])} → {number(b[f'{k}_after'])}"
                                           for k in ("max", "mean", "spread", "over")])
    console.print(t)
    _more(console, len(shown), lang, "more_rows_plan")
    _shortfalls(report, console, lang)


def render_applied(applied, roster, target: str, console: Console, lang: str = "en") -> None:
    """After `apply`: how many clients changed hands and the new loads of those involved."""
    key = "applied_one" if applied.moved == 1 else "applied"
    console.print(label(key, lang).format(n=f"{applied.moved:,}", target=target))
    with_limits = "limit" in applied.loads.columns
    t = _titled("loads_title", lang)
    t.add_column(label("staff", lang))
    t.add_column(label("before", lang), justify="right")
    t.add_column(label("after", lang), justify="right")
    if with_limits:
        t.add_column(label("limit_col", lang), justify="right")
        t.add_column(label("flag", lang))
    for row in applied.loads.to_dicts():  # the officers touched by the plan: a few
        cells = [row["officer_id"], str(row["before"]), str(row["after"])]
        if with_limits:
            flag: Text | str = ""
            if row["over_after"]:
                flag = Text(label("flag_over", lang), style="bold red")
            elif row["status"] in ("leave", "departed"):  # (his clients left: orphaned)
                flag = label(f"status_{row['status']}", lang)
                if row["status"] == "departed" and row["after"]:
                    flag += f" · {label('orphaned_col', lang)} {row['after']}"
            elif row["status"] is None:
                flag = label("not_on_roster", lang)
            cells += ["" if row["limit"] is None else str(row["limit"]), flag]
        t.add_row(*cells)
    console.print(t)


def render_history(found: dict, console: Console, lang: str = "en") -> None:
    """Weeks recorded, per-branch trend, persistent overloads and projected crossings."""
    if not found["snapshots"]:
        console.print(label("no_weeks", lang))
        return
    dates = [s["as_of"] for s in found["snapshots"]]
    t = _titled("weeks_title", lang)
    for key in ("week", "clients", "over_col", "near_col", "orphaned_col"):
        t.add_column(label(key, lang), justify="left" if key == "week" else "right")
    for s in found["snapshots"]:
        t.add_row(s["as_of"], f"{s['clients']:,}", str(s["over"]), str(s["near"]),
                  f"{s['orphaned']:,}")
    console.print(t)
    b = _titled("branch_weeks_title", lang)
    b.add_column(label("branch", lang))
    for d in dates[-6:]:
        b.add_column(d[5:], justify="right")
    for branch in found["branches"]:
        by_week = {w["as_of"]: w for w in branch["weeks"]}
        b.add_row(branch["branch"] or branch["branch_key"],
                  *[number(by_week[d]["max_load"]) if d in by_week else "-" for d in dates[-6:]])
    console.print(b)
    if found["officers"]:
        o = _titled("officer_weeks_title", lang)
        o.add_column(label("staff", lang))
        o.add_column(label("name", lang))
        o.add_column(label("limit_col", lang), justify="right")
        for d in dates[-6:]:
            o.add_column(d[5:], justify="right")
        for officer in found["officers"][:MAX_ROWS]:
            by_week = {w["as_of"]: w["accounts"] for w in officer["weeks"]}
            o.add_row(officer["officer_id"], officer["name"] or "", number(officer["capacity"]),
                      *[number(by_week[d]) if d in by_week else "-" for d in dates[-6:]])
        console.print(o)
        _more(console, len(found["officers"]), lang)
    if found["persistent"]:
        p = _titled("persistent_title", lang)
        for key in ("staff", "name", "branch", "accounts", "limit_col", "weeks_over"):
            p.add_column(label(key, lang), justify="right" if key in (
                "accounts", "limit_col", "weeks_over") else "left")
        for o in found["persistent"]:
            p.add_row(o["officer_id"], o["name"] or "", o["branch"] or "", number(o["accounts"]),
                      number(o["capacity"]), number(o["weeks_over"]))
        console.print(p)
    if found["crossing"]:
        c = _titled("crossing_title", lang)
        for key in ("staff", "name", "accounts", "limit_col", "growth_per_week", "expected"):
            c.add_column(label(key, lang), justify="right" if key in (
                "accounts", "limit_col", "growth_per_week") else "left")
        for o in found["crossing"]:
            c.add_row(o["officer_id"], o["name"] or "", number(o["accounts"]),
                      number(o["capacity"]),
                      f"{o['growth_per_week']:+.1f}", o["expected"] or label("not_growing", lang))
        console.print(c)
