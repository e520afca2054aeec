"""An Excel/WPS workbook of the report: a sheet per table, header frozen, numbers as numbers.

Sheets (names fixed, so scripts can find them): Summary, Officers, Transfers, Branches,
Still over, Left out, and Moves when the client moves are given. Headers are in the report's
language; text that a spreadsheet would run as a formula is neutralised (output.neutralise).
Lays out a CheckReport; computes nothing.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import polars as pl

from caseload.output import neutralise
from caseload.render.labels import LABELS, branch_label, label
from caseload.report import CheckReport

MAX_WIDTH = 60
MIN_WIDTH = 6

# Client-move columns -> label keys (the plan file's columns; others keep their own name).
MOVE_LABELS = {
    "client_id": "client_id", "client_name": "client_name", "from_officer_id": "from",
    "from_officer_name": "from_name",
    "to_officer_id": "to", "to_officer_name": "to_name", "branch": "branch",
    "to_branch": "to_branch", "group_id": "group_id", "risk_class": "risk_class",
    "balance": "balance", "assigned_since": "assigned_since", "from_before": "from_before",
    "from_after": "from_after", "to_before": "to_before", "to_after": "to_after",
    "crosses_branch": "crosses_col", "reason": "why", "source_file": "source_file",
    "source_line": "source_line",
}


def _paren(text: str, note: str, lang: str) -> str:
    return f"{text}（{note}）" if lang == "zh" else f"{text} ({note})"


def _status(status: str | None, lang: str) -> str | None:
    if status in ("active", "leave", "departed"):
        return label(f"status_{status}", lang)
    return status


def _who(officer_id: str | None, lang: str) -> str:
    return label("no_officer", lang) if officer_id is None else officer_id


def _frame(columns: list[tuple[str, pl.DataType]], rows: list[list[Any]]) -> pl.DataFrame:
    """A frame with these (header, dtype) columns; headers stay unique and in order."""
    schema = dict(columns)
    if len(schema) != len(columns):
        raise ValueError("duplicate column header")
    return pl.DataFrame(rows, schema=schema, orient="row")


# --------------------------------------------------------------------------- sheets


def _summary(report: CheckReport, lang: str) -> pl.DataFrame:
    s = report.summary
    scope_key = f"report_scope_{report.scope}"
    scope = label(scope_key, lang) if scope_key in LABELS else report.scope
    rows: list[list[Any]] = [
        [label("as_of", lang), None, report.as_of.isoformat()],
        [label("limit_col", lang), report.threshold, None],
        [label("report_near_from", lang), None, f"{round(report.near_fraction * 100)}%"],
        [label("report_scope", lang), None, scope],
        [label("clients", lang), s["clients"], None],
        [label("roster_officers", lang), s["officers"], None],  # (numbers, not "40 (38)")
        [label("active_officers", lang), s["active_officers"], None],
        [label("over", lang), s["over"], None],
        [label("near", lang), s["near"], None],
        [label("orphaned", lang), s["orphaned"],
         label("orphan_detail", lang).format(u=s["unassigned"], k=s["unknown_officer"],
                                             d=s["departed"])],
        [label("moves", lang), s["moves"], None],
        [label("cannot_place", lang), s["cannot_place"], None],
        [label("over_after", lang), s["over_after"], None],
    ]
    return _frame([(label("item", lang), pl.String), (label("value", lang), pl.Int64),
                   (label("detail", lang), pl.String)], rows)


def _officers(report: CheckReport, lang: str) -> pl.DataFrame:
    rows = []
    for o in report.officers:
        flag = label("flag_over", lang) if o["over"] else label("flag_near", lang) if o["near"] else None
        share = o["accounts"] / o["capacity"] if o["capacity"] else None
        rows.append([o["officer_id"], o["name"], o["branch"], o["branch_id"], o["region"],
                     _status(o["status"], lang), o["grade"], o["accounts"], o["capacity"], share,
                     flag, o["accounts_after"]])
    return _frame([(label("staff", lang), pl.String), (label("name", lang), pl.String),
                   (label("branch", lang), pl.String), (label("branch_id", lang), pl.String),
                   (label("region", lang), pl.String), (label("status", lang), pl.String),
                   (label("grade", lang), pl.String), (label("accounts", lang), pl.Int64),
                   (label("limit_col", lang), pl.Int64), (label("share", lang), pl.Float64),
                   (label("report_flag", lang), pl.String),
                   (label("accounts_after", lang), pl.Int64)], rows)


def _transfers(report: CheckReport, lang: str) -> pl.DataFrame:
    rows = [[_who(t["from_officer_id"], lang), t["from_name"], t["to_officer_id"], t["to_name"],
             t["branch"], t["to_branch"], label("yes", lang) if t["crosses_branch"] else None,
             t["clients"]] for t in report.transfers]
    return _frame([(label("from", lang), pl.String), (label("from_name", lang), pl.String),
                   (label("to", lang), pl.String), (label("to_name", lang), pl.String),
                   (label("branch", lang), pl.String), (label("to_branch", lang), pl.String),
                   (label("crosses_col", lang), pl.String), (label("clients", lang), pl.Int64)], rows)


def _branches(report: CheckReport, lang: str) -> pl.DataFrame:
    before, after = label("before", lang), label("after", lang)
    cols: list[tuple[str, pl.DataType]] = [
        (label("branch", lang), pl.String), (label("branch_id", lang), pl.String),
        (label("active_officers", lang), pl.Int64)]
    for key, dtype in (("largest", pl.Int64), ("average", pl.Float64), ("spread", pl.Int64),
                       ("over_count", pl.Int64)):
        cols += [(_paren(label(key, lang), before, lang), dtype),
                 (_paren(label(key, lang), after, lang), dtype)]
    cols += [(label(k, lang), pl.Int64) for k in ("orphans_unplaced", "excess_unplaced",
                                                  "cannot_place", "officers_needed")]
    rows = [[branch_label(b, lang),
             b["branch_key"] if b["branch"] and b["branch_key"] != b["branch"] else None,
             b["active_officers"], b["max_before"], b["max_after"],
             b["mean_before"], b["mean_after"], b["spread_before"], b["spread_after"],
             b["over_before"], b["over_after"], b["orphans_unplaced"], b["excess_unplaced"],
             b["cannot_place"], b["officers_needed"]] for b in report.branches]
    return _frame(cols, rows)


def _still_over(report: CheckReport, lang: str) -> pl.DataFrame:
    officers = {o["officer_id"]: o for o in report.officers}
    rows = [[o["officer_id"], officers.get(o["officer_id"], {}).get("name"),
             officers.get(o["officer_id"], {}).get("branch"), o["excess_left"], o["why"]]
            for o in report.still_over]
    return _frame([(label("staff", lang), pl.String), (label("name", lang), pl.String),
                   (label("branch", lang), pl.String), (label("excess_left", lang), pl.Int64),
                   (label("why", lang), pl.String)], rows)


def _left_out(report: CheckReport, lang: str) -> pl.DataFrame:
    """One row per problem, its lines listed; a list too long for one cell (32,767 characters)
    goes on over further rows, so every line left out can be found."""
    rows: list[list[Any]] = []
    for note in report.inputs:
        groups = [(g.problem, g.count, g.lines) for g in [*note.skipped, *note.notes]]
        if note.total_lines:
            groups.append((label("total_lines", lang), len(note.total_lines), note.total_lines))
        for problem, count, lines in groups:
            for i, chunk in enumerate(_line_chunks(lines)):
                rows.append([note.path, problem, count if i == 0 else None, chunk])
    return _frame([(label("file", lang), pl.String), (label("problem", lang), pl.String),
                   (label("rows", lang), pl.Int64), (label("lines", lang), pl.String)], rows)


def _line_chunks(lines: list[int], width: int = 30_000) -> list[str]:
    """Line numbers as text, in pieces that each fit a cell."""
    chunks, current = [], ""
    for n in map(str, lines):
        if current and len(current) + len(n) + 2 > width:
            chunks.append(current)
            current = ""
        current = f"{current}, {n}" if current else n
    return [*chunks, current] if current or not chunks else chunks


def _moves(moves: pl.DataFrame, lang: str) -> pl.DataFrame:
    keep = [c for c in moves.columns if not c.startswith("__")
            and not (c == "client_name" and moves[c].null_count() == moves.height)]  # (check
    renamed: dict[str, str] = {}  # reads no names: an empty column would only puzzle)
    for c in keep:
        header = label(MOVE_LABELS[c], lang) if c in MOVE_LABELS else c
        renamed[c] = header if header not in renamed.values() else c
    frame = moves.select(keep)
    bools = [c for c, t in frame.schema.items() if t == pl.Boolean]
    if bools:
        frame = frame.with_columns(
            pl.when(pl.col(c)).then(pl.lit(label("yes", lang))).otherwise(None).alias(c)
            for c in bools)
    return frame.rename(renamed)


# --------------------------------------------------------------------------- writing


def _display_width(text: str) -> int:
    """Columns a string takes in a spreadsheet: CJK and full-width characters count twice."""
    return sum(2 if ord(ch) >= 0x1100 and not 0x2000 <= ord(ch) <= 0x206F else 1 for ch in text)


def _write_sheet(wb: Any, name: str, frame: pl.DataFrame, fmt: dict[str, Any]) -> None:
    ws = wb.add_worksheet(name)
    frame = neutralise(frame)
    widths = []
    for j, (col, dtype) in enumerate(frame.schema.items()):
        ws.write_string(0, j, col, fmt["header"])
        width = _display_width(col)
        values = frame[col].to_list()
        if dtype == pl.String:
            for i, v in enumerate(values, start=1):
                if v is not None:
                    ws.write_string(i, j, v, fmt["text"])
                    width = max(width, _display_width(v))
        elif dtype.is_integer():
            for i, v in enumerate(values, start=1):
                if v is not None:
                    ws.write_number(i, j, v, fmt["int"])
            width = max(width, len(f"{max((abs(v) for v in values if v is not None), default=0):,}") + 1)
        elif dtype.is_float():
            cell = fmt["percent"] if col in fmt["percent_columns"] else fmt["float"]
            for i, v in enumerate(values, start=1):
                if v is not None:
                    ws.write_number(i, j, v, cell)
            width = max(width, 10)
        elif dtype in (pl.Date, pl.Datetime):
            for i, v in enumerate(values, start=1):
                if v is not None:
                    ws.write_datetime(i, j, v, fmt["date"])
            width = max(width, 11)
        else:
            for i, v in enumerate(values, start=1):
                if v is not None:
                    ws.write_string(i, j, str(v), fmt["text"])
                    width = max(width, _display_width(str(v)))
        widths.append(min(MAX_WIDTH, max(MIN_WIDTH, width + 2)))
    for j, w in enumerate(widths):
        ws.set_column(j, j, w)
    ws.freeze_panes(1, 0)
    if frame.width:
        ws.autofilter(0, 0, max(frame.height, 1), frame.width - 1)


def render_xlsx(report: CheckReport, moves: pl.DataFrame | None = None, lang: str = "en") -> bytes:
    """The report as an .xlsx workbook (bytes), deterministic for the same report."""
    import xlsxwriter

    sheets = {
        "Summary": _summary(report, lang),
        "Officers": _officers(report, lang),
        "Transfers": _transfers(report, lang),
        "Branches": _branches(report, lang),
        "Still over": _still_over(report, lang),
        "Left out": _left_out(report, lang),
    }
    if moves is not None:
        sheets["Moves"] = _moves(moves, lang)
    buf = io.BytesIO()
    with xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False,
                                   "strings_to_urls": False, "strings_to_numbers": False}) as wb:
        created = dt.datetime.combine(report.as_of, dt.time())
        wb.set_properties({"title": f"{label('report_title', lang)} {report.as_of.isoformat()}",
                           "created": created, "author": "caseload"})
        font = "Microsoft YaHei" if lang == "zh" else "Calibri"
        base = {"font_name": font, "font_size": 11}
        fmt = {
            "header": wb.add_format({**base, "bold": True, "bg_color": "#E8EDF2", "bottom": 1,
                                     "text_wrap": False}),
            "text": wb.add_format(base),
            "int": wb.add_format({**base, "num_format": "#,##0"}),
            "float": wb.add_format({**base, "num_format": "#,##0.0#"}),
            "percent": wb.add_format({**base, "num_format": "0%"}),
            "date": wb.add_format({**base, "num_format": "yyyy-mm-dd"}),
            "percent_columns": {label("share", lang)},
        }
        for name, frame in sheets.items():
            _write_sheet(wb, name, frame, fmt)
    return buf.getvalue()
