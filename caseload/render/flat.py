"""Flat text formats for spreadsheets and wikis: CSV (one row per officer) and Markdown."""

from __future__ import annotations

from caseload.output import neutralise
from caseload.render import CONTROL_CHARACTERS
from caseload.render.labels import branch_label, branches_crossed, label, number
from caseload.report import CheckReport

OFFICER_CSV_COLUMNS = (
    "officer_id", "name", "branch", "branch_id", "region", "status", "grade", "accounts",
    "capacity", "over", "near", "accounts_after",
)


def officers_csv(report: CheckReport) -> str:
    """The officers table, one row per officer on the roster, for Excel or a cron pipe.

    Written by polars, as the plan file is: a cell holding a line break of any kind (a lone
    CR too, which Python's csv module leaves bare) is quoted, so each officer stays one row.
    """
    return neutralise(report.officer_rows.select(OFFICER_CSV_COLUMNS)).write_csv()


def _md_row(cells) -> str:
    """A table row; a line break in a cell (Alt+Enter in Excel) would end the row early."""
    return "| " + " | ".join(" ".join(str(c).splitlines()).replace("|", "\\|")
                             .translate(CONTROL_CHARACTERS) for c in cells) + " |"


def check_markdown(report: CheckReport, lang: str = "en", quiet: bool = False) -> str:
    """The check for a cron mail; `quiet` leaves out the transfers, as the table does."""
    s = report.summary
    out = [f"# {label('title', lang)} · {label('as_of', lang)} {report.as_of.isoformat()}"
           f" · {label('limit', lang)} {number(report.threshold)}",  # (as the table's title)
           "", _md_row([label("summary", lang), ""]), "|---|---:|"]
    for key in ("clients", "officers", "over", "near", "orphaned", "moves", "cannot_place",
                "over_after"):
        value = number(s[key]) + (f" ({number(s['active_officers'])})" if key == "officers"
                                  else "")
        out.append(_md_row([label(key, lang), value]))  # (1,200: as the table)
    rows = report.over_and_near()
    if rows:
        out += ["", f"## {label('over_near_title', lang)}", "",
                _md_row([label(k, lang) for k in ("staff", "name", "branch", "accounts", "limit_col")]),
                "|---|---|---|---:|---:|"]
        out += [_md_row([o["officer_id"], o["name"] or "", o["branch"] or "", number(o["accounts"]),
                         number(o["capacity"])]) for o in rows]
    if report.transfers and not quiet:
        out += ["", f"## {label('transfers_title', lang)}", "",
                _md_row([label(k, lang) for k in ("from", "to", "branch", "clients")]),
                "|---|---|---|---:|"]
        for t in report.transfers:
            src = t["from_officer_id"] or label("no_officer", lang)
            branch = t["branch"] or ""
            if t["crosses_branch"]:
                branch = branches_crossed(t, lang)
            out.append(_md_row([src, t["to_officer_id"], branch, t["clients"]]))
    short = [b for b in report.branches if b["cannot_place"]]
    if short:  # (what the plan cannot do belongs in the mail as much as what it does)
        out += ["", f"## {label('shortfall_title', lang)}", "",
                _md_row([label(k, lang) for k in ("branch", "cannot_place", "officers_needed")]),
                "|---|---:|---:|"]
        out += [_md_row([branch_label(b, lang), b["cannot_place"],
                         b["officers_needed"]]) for b in short]
    if report.still_over:
        out += ["", f"## {label('still_over_title', lang)}", "",
                _md_row([label(k, lang) for k in ("staff", "excess_left", "why")]),
                "|---|---:|---|"]
        out += [_md_row([o["officer_id"], o["excess_left"], o["why"]])
                for o in report.still_over]
    left_out = report.left_out(label("total_lines", lang))
    if left_out and not quiet:  # (as the table: rows --skip-bad-rows left out, totals, repeats)
        out += ["", f"## {label('inputs_title', lang)}", "",
                _md_row([label(k, lang) for k in ("file", "problem", "rows", "lines")]),
                "|---|---|---:|---|"]
        out += [_md_row([path, problem, count,
                         ", ".join(map(str, lines[:5])) + (" …" if len(lines) > 5 else "")])
                for path, problem, count, lines in left_out]
    return "\n".join(out) + "\n"
