"""Applying a reviewed plan to a client export: change exactly the planned cells, lose nothing.

Every line that is not a planned client is written back byte for byte (title line, header,
total line included), in the export's own encoding and line endings; a planned line is
re-serialised with its officer cell (and officer-name cell, given a roster) changed.
A plan that does not fit the export is refused with the rows named.
"""

from __future__ import annotations

import codecs
import csv
import os
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from caseload.columns import NON_PERFORMING
from caseload.config import ReadOptions, Settings
from caseload.errors import InputError, PlanRefusedError, RowProblemsError
from caseload.load import EXCEL_SUFFIXES, LINE, RawTable, detect_encoding, read_table
from caseload.validate import tidy_id, tidy_ids, validate_clients
from caseload.workload import limit_expr

PLAN_COLUMNS = ("client_id", "from_officer_id", "to_officer_id")
SHOWN = 5
_DIGITS = r"^\d+$"
_ROUNDED = r"^\d(\.\d+)?[Ee]\+\d+$"  # how Excel shows and saves a number of 12+ digits


@dataclass
class Applied:
    data: bytes
    moved: int
    loads: pl.DataFrame  # officer_id, before, after (+ limit, over_after given a roster)
    notes: list[str] = field(default_factory=list)  # for stderr: what was matched or doubtful


def read_plan(path: str | os.PathLike[str]) -> pl.DataFrame:
    """A plan file (ours, or hand-edited in Excel/WPS): text cells, with its own line numbers.

    ID cells are read as the export's are (`validate.tidy_ids`: spaces, full-width digits,
    a spreadsheet's ``'`` or ``="…"`` guard), and a workbook's number cells as numbers: whole
    ones lose ``.0``, long ones Excel rounded read as it shows them and are refused later.
    """
    p = Path(path)
    if not p.exists():
        raise InputError(p, "no such file")
    if not p.is_file():  # (a pipe read once is gone; it is read twice)
        raise InputError(p, "is a pipe, a device or a folder, not a file: save the plan to a "
                            "file first")
    try:
        if p.suffix.lower() == ".xlsx":
            frame = _plan_workbook(p)
        else:
            enc = detect_encoding(p)
            text = p.read_bytes().decode(enc)
            header = text.split("\n", 1)[0]  # (Excel's "Unicode text" is UTF-16 with tabs)
            frame = pl.read_csv(text.encode(), infer_schema=False,
                                separator="\t" if header.count("\t") > header.count(",") else ",",
                                empty_string_is_null=True, row_index_name=LINE,
                                row_index_offset=2)
    except InputError:
        raise
    except Exception:
        raise InputError(p, "is not a readable plan (CSV or .xlsx)") from None
    twice = [c for c in PLAN_COLUMNS if f"{c}_duplicated_0" in frame.columns]
    if twice:
        raise InputError(p, f"plan column {twice[0]} appears twice; keep one")
    missing = [c for c in PLAN_COLUMNS if c not in frame.columns]
    if missing:
        known = _known_headers(frame.columns)
        raise InputError(p, f"plan column {', '.join(missing)} missing: the plan's first row "
                            f"must be its header, with {', '.join(PLAN_COLUMNS)}"
                            + (f"; found: {', '.join(known)}" if known else ""))
    named = "to_officer_name" in frame.columns  # (read to tell a name edited by hand)
    return frame.select(
        pl.col(LINE).cast(pl.Int64),
        *[tidy_ids(c).str.replace(r"^(\d+)\.0$", "${1}").alias(c)  # (a workbook's number)
          for c in PLAN_COLUMNS],
        (pl.col("to_officer_name").cast(pl.String).str.normalize("NFKC").str.strip_chars()
         if named else pl.lit(None, pl.String)).alias("to_officer_name"),
    ).filter(pl.any_horizontal(pl.col(c).is_not_null() for c in PLAN_COLUMNS))


def _known_headers(columns: list[str]) -> list[str]:
    """The columns of a refused plan that are known header names, to show the user.

    Others are not echoed: a plan without its header reads its first row of data as one,
    and that row may hold a client's name or ID number.
    """
    from caseload.columns import CLIENT_HEADERS, OFFICER_HEADERS, normalise_header
    from caseload.plan_file import PLAN_FILE_COLUMNS

    names = {normalise_header(n) for headers in (CLIENT_HEADERS, OFFICER_HEADERS)
             for canonical, synonyms in headers.items() for n in (canonical, *synonyms)}
    names |= {normalise_header(c) for c in PLAN_FILE_COLUMNS}
    return [c for c in columns if c != LINE and normalise_header(c) in names][:12]


def _plan_workbook(p: Path) -> pl.DataFrame:
    """The plan's sheet of a workbook (the first whose first row names the plan columns, else
    the first sheet), every cell as text, rows numbered as in the sheet (a cleared row keeps
    its number); its first row is the header. A sheet of notes put before it is passed over."""
    import fastexcel

    from caseload.xlsx_numbers import mark_rounded, rounded_cells

    reader = fastexcel.read_excel(str(p))
    name = reader.sheet_names[0]
    for candidate in reader.sheet_names:
        try:
            top = reader.load_sheet(candidate, header_row=None, n_rows=1, dtypes="string")
            first = top.to_polars().row(0) if top.height else ()
        except Exception:  # (an empty or odd sheet is no plan)
            continue
        if set(PLAN_COLUMNS) <= {" ".join(str(v).split()) for v in first if v is not None}:
            name = candidate
            break
    sheet = reader.load_sheet(name, header_row=None, skip_rows=0, dtypes="string")
    frame = sheet.to_polars()
    frame.columns = [f"c{i}" for i in range(frame.width)]
    frame = mark_rounded(frame, [c.absolute_index for c in sheet.selected_columns],
                         rounded_cells(p, name))
    header = [" ".join(str(v).split()) if v is not None else "" for v in frame.row(0)]
    seen: dict[str, int] = {}
    names = []
    for i, h in enumerate(header):  # (as polars names a CSV's repeated headers)
        names.append(f"{h}_duplicated_{seen[h] - 1}" if h in seen else h or f"column_{i + 1}")
        seen[h] = seen.get(h, 0) + 1
    body = frame.slice(1)
    body.columns = names
    return body.with_row_index(LINE, offset=2)


def _zeros_key(value: pl.Expr) -> pl.Expr:
    """A number without its leading zeros (keeping one digit): what Excel leaves of it."""
    return value.str.replace(r"^0+(\d)", "${1}")


@dataclass
class Restored:
    """One plan column after `restore_lost_zeros`."""

    plan: pl.DataFrame
    count: int  # distinct numbers put back
    lost: bool  # some number of the column had plainly lost its zeros (put back or not)
    twins: list[str]  # numbers written as known ones that could also be another, zeros put back
    several: list[str]  # numbers that could be several known ones, zeros put back


def restore_lost_zeros(plan: pl.DataFrame, column: str, known: pl.Series) -> Restored:
    """`plan[column]` with numbers Excel stripped of leading zeros (``123`` for ``00123``)
    put back, where exactly one `known` number can be meant.

    A reviewed plan saved from Excel or WPS reads its ID columns as numbers. A number that
    could be two known ones (``0123`` and ``00123``) is not guessed (`several`); nor is one
    that is itself known but has a twin with zeros (``123`` beside ``00123``: `twins`), which
    is only safe as written while the plan shows no sign of having lost zeros.
    """
    known = known.drop_nulls().unique()
    values = plan[column].drop_nulls().unique()
    digits = values.filter(values.str.contains(_DIGITS))
    numbers = (
        pl.DataFrame({"known": known}).filter(pl.col("known").str.contains(_DIGITS))
        .with_columns(_zeros_key(pl.col("known")).alias("key"))
        .with_columns(pl.len().over("key").alias("alike"))
    )
    asked = (pl.DataFrame({"value": digits})
             .with_columns(_zeros_key(pl.col("value")).alias("key"),
                           pl.col("value").is_in(known.implode()).alias("is_known"))
             .join(numbers, on="key"))
    unknown = asked.filter(~pl.col("is_known"))
    pairs = unknown.filter(pl.col("alike") == 1)
    several = unknown.filter(pl.col("alike") > 1)["value"].unique().sort().to_list()
    twins = asked.filter(pl.col("is_known") & (pl.col("alike") > 1))["value"].unique().sort()
    mapping = dict(zip(pairs["value"].to_list(), pairs["known"].to_list(), strict=True))
    if mapping:
        plan = plan.with_columns(pl.col(column).replace(mapping))
    return Restored(plan, len(mapping), bool(mapping or several), twins.to_list(), several)


def _restored(plan: pl.DataFrame, book: pl.DataFrame, roster: pl.DataFrame | None,
              plan_path: str) -> tuple[pl.DataFrame, list[str]]:
    """The plan with the numbers Excel damaged matched back (see `restore_lost_zeros`).

    A number that cannot be matched back with certainty refuses the plan, naming its lines:
    applied as written it could move another client, or name another officer.
    """
    receivers = book["officer_id"] if roster is None else roster["officer_id"]
    results = {}
    for column, known in (("client_id", book["client_id"]),
                          ("from_officer_id", book["officer_id"]),  # (compared with the export)
                          ("to_officer_id", receivers)):
        results[column] = restore_lost_zeros(plan, column, known)
        plan = results[column].plan
    lost = any(r.lost for r in results.values())
    doubtful = {c: r.several + (r.twins if lost else []) for c, r in results.items()}
    unsure = plan.filter(pl.any_horizontal(pl.col(c).is_in(v) for c, v in doubtful.items()))
    if unsure.height:
        example = next(v for c, values in doubtful.items() for v in unsure[c].to_list()
                       if v in values)
        raise PlanRefusedError(f"{plan_path}: plan refused, nothing written", [
            f"{plan_path}: number that could be more than one of the export or roster with "
            f"leading zeros put back ({example} for 0{example}, 00{example}, …; the plan was "
            f"saved from a spreadsheet) on plan line {_plan_lines(unsure)}: write it in full, or "
            "use the plan as .xlsx"])
    if lost and roster is None:  # a receiver who has no client yet cannot be matched back
        known = book["officer_id"].drop_nulls().implode()
        stranger = plan.filter(pl.col("to_officer_id").str.contains(_DIGITS)
                               & ~pl.col("to_officer_id").is_in(known))
        if stranger.height:
            raise PlanRefusedError(f"{plan_path}: plan refused, nothing written", [
                f"{plan_path}: receiver {stranger['to_officer_id'][0]} manages no client of the "
                f"export, and the plan lost its leading zeros (saved from a spreadsheet), so "
                f"its own may be lost too, on plan line {_plan_lines(stranger)}: pass the "
                "roster with --officers, or use the plan as .xlsx"])
    counts = [r.count for r in results.values()]
    restored = sum(counts)
    if not restored:
        return plan, []
    return plan, [f"{restored:,} number(s) in the plan had lost their leading zeros (the plan "
                  f"was saved from a spreadsheet) and were matched to the only number of the "
                  f"{'export' if roster is None else 'export and roster'} they can be: "
                  f"{counts[0]:,} client, {counts[1] + counts[2]:,} staff"]


def _unknown_receivers(plan: pl.DataFrame, book: pl.DataFrame) -> list[str]:
    """Without a roster nobody can say a receiver exists: name those no client of the export has."""
    receivers = plan["to_officer_id"].drop_nulls().unique().sort()
    strangers = receivers.filter(~receivers.is_in(book["officer_id"].drop_nulls().implode()))
    if strangers.is_empty():
        return []
    shown = ", ".join(strangers.head(SHOWN).to_list())
    more = f" (+{strangers.len() - SHOWN} more)" if strangers.len() > SHOWN else ""
    return [f"receiver {shown}{more} manages no client of this export: check the number(s), "
            "or pass --officers to check receivers against the roster"]


def nothing_written(exc: RowProblemsError) -> RowProblemsError:
    """Rows with problems refused, said as `apply` (which writes, and counts nothing) says it."""
    return RowProblemsError(exc.message.replace("nothing was counted", "nothing written"),
                            exc.details)


def _given_back(plan: pl.DataFrame, book: pl.DataFrame) -> tuple[pl.DataFrame, list[str]]:
    """The plan without its moves undone by hand (a client given back to the officer the export
    says has it, on the plan's one line for it: nothing to change, even where that officer has
    left), and a note saying so. A stale or doubled give-back is left to be judged as any line."""
    now = book.select("client_id", pl.col("officer_id").alias("__now"))
    home = (pl.col("to_officer_id").eq_missing(pl.col("from_officer_id"))
            & pl.col("to_officer_id").is_not_null()
            & pl.col("from_officer_id").eq_missing(pl.col("__now"))
            & (pl.len().over("client_id") == 1))
    flagged = plan.join(now, on="client_id", how="left").with_columns(home.alias("__home"))
    back = flagged.filter("__home")
    if back.is_empty():
        return plan, []
    note = (f"{back.height:,} plan line(s) give a client to the officer who has it "
            f"(plan line {_plan_lines(back)}): left as they are")
    return flagged.filter(~pl.col("__home")).drop("__now", "__home"), [note]


def _rules_bent(plan: pl.DataFrame, book: pl.DataFrame, roster: pl.DataFrame | None) -> list[str]:
    """Notes on moves the planner would not make (a hand-edited plan may make them: the branch
    head decides, and is told): a household split, a non-performing or pinned client leaving
    its active officer, a client leaving its branch."""
    moved = plan.select(LINE, "client_id", "to_officer_id").join(
        book.select("client_id", "officer_id", "group_id", "risk_class", "pinned", "branch",
                    "branch_id"), on="client_id")
    notes = []
    households = book.filter(pl.col("group_id").is_not_null()).join(
        moved.select("client_id", "to_officer_id"), on="client_id", how="left")
    split = households.group_by("officer_id", "group_id").agg(
        pl.col("to_officer_id").n_unique().alias("ways")).filter(pl.col("ways") > 1)
    if split.height:
        lines = moved.join(split, on=["officer_id", "group_id"], nulls_equal=True).sort(LINE)
        notes.append(f"plan line {_plan_lines(lines)}: {split.height:,} household(s) split "
                     "(some members move, or to different officers); the planner moves a "
                     "household whole")
    if roster is None:  # (who is active, and in which branch, the roster says)
        return notes
    names = roster.select(pl.col("officer_id").alias("to_officer_id"),
                          pl.col("name").str.normalize("NFKC").str.strip_chars().alias("named"))
    renamed = plan.join(names, on="to_officer_id", how="left").filter(
        pl.col("to_officer_name").is_not_null() & pl.col("named").is_not_null()
        & (pl.col("to_officer_name") != pl.col("named")))
    if renamed.height:
        notes.append(f"plan line {_plan_lines(renamed.sort(LINE))}: to_officer_name is not the "
                     "roster's name for to_officer_id; the staff number decides who receives")
    active = roster.filter(pl.col("status") == "active")["officer_id"].implode()
    kept = moved.filter(pl.col("officer_id").is_in(active) & (
        pl.col("pinned") | pl.col("risk_class").is_in(list(NON_PERFORMING))).fill_null(False))
    if kept.height:
        notes.append(f"plan line {_plan_lines(kept.sort(LINE))}: {kept.height:,} non-performing "
                     "or pinned client(s) leave their active officer; the planner keeps them")
    use_ids = book["branch_id"].is_not_null().any() and roster["branch_id"].is_not_null().any()
    key = "branch_id" if use_ids else "branch"
    branch_of = roster.select("officer_id", pl.col(key).alias("its_branch"))
    crossing = (
        moved.join(branch_of, on="officer_id", how="left")
        .with_columns(pl.coalesce(key, "its_branch").alias("home"))
        .drop("its_branch")
        .join(branch_of.rename({"officer_id": "to_officer_id"}), on="to_officer_id", how="left")
        .filter(pl.col("home") != pl.col("its_branch"))
    )
    if crossing.height:
        notes.append(f"plan line {_plan_lines(crossing.sort(LINE))}: {crossing.height:,} "
                     "client(s) go to an officer of another branch")
    return notes


def _plan_lines(frame: pl.DataFrame) -> str:
    lines = frame[LINE].to_list()
    more = f" (+{len(lines) - SHOWN} more)" if len(lines) > SHOWN else ""
    return ", ".join(map(str, lines[:SHOWN])) + more


def check_plan(plan: pl.DataFrame, book: pl.DataFrame, plan_path: str,
               roster: pl.DataFrame | None) -> None:
    """Refuse a plan naming unknown clients, a stale officer, a client twice, a bad receiver."""
    problems = []
    is_rounded = pl.any_horizontal(pl.col(c).str.contains(_ROUNDED).fill_null(False)
                                   for c in PLAN_COLUMNS)
    rounded = plan.filter(is_rounded)
    if rounded.height:
        problems.append(f"number in a spreadsheet's rounded form (like 1.2E+17) on plan line "
                        f"{_plan_lines(rounded)} (the plan was saved from Excel or WPS with number "
                        "columns: use the plan as .xlsx, or set the ID columns to text)")
        plan = plan.filter(~is_rounded)  # (said once: not again as unknown or stale)
    blank = plan.filter(pl.col("client_id").is_null() | pl.col("to_officer_id").is_null())
    if blank.height:
        problems.append(f"blank client_id or to_officer_id on plan line {_plan_lines(blank)}")
    twice = plan.filter(pl.col("client_id").is_not_null() & pl.col("client_id").is_duplicated())
    if twice.height:
        problems.append(f"client moved more than once on plan line {_plan_lines(twice)}")
    joined = plan.join(book.select("client_id", pl.col("officer_id").alias("now")),
                       on="client_id", how="left")
    unknown = joined.filter(pl.col("client_id").is_not_null()
                            & ~pl.col("client_id").is_in(book["client_id"].implode()))
    if unknown.height:
        problems.append(f"client not in the export on plan line {_plan_lines(unknown)}")
    stale = joined.filter(
        pl.col("client_id").is_in(book["client_id"].implode())
        & ~pl.col("from_officer_id").eq_missing(pl.col("now"))
    )
    if stale.height:
        problems.append("from_officer_id no longer matches the export (stale plan) on plan "
                        f"line {_plan_lines(stale)}")
    if roster is not None:
        active = roster.filter(pl.col("status") == "active")["officer_id"].implode()
        bad_to = plan.filter(pl.col("to_officer_id").is_not_null()
                             & ~pl.col("to_officer_id").is_in(active))
        if bad_to.height:
            problems.append("receiver is not an active officer on the roster on plan line "
                            f"{_plan_lines(bad_to)}")
    if problems:
        raise PlanRefusedError(f"{plan_path}: plan refused, nothing written",
                               [f"{plan_path}: {p}" for p in problems])


def apply_plan(
    clients_path: str | os.PathLike[str],
    plan: pl.DataFrame,
    plan_path: str,
    roster: pl.DataFrame | None = None,
    read: ReadOptions | None = None,
    settings: Settings | None = None,
) -> Applied:
    """The rewritten export, and the loads of the officers involved (with limits, given a roster)."""
    read = read or ReadOptions()
    if Path(clients_path).is_dir():  # (apply writes one file back; a folder has many)
        raise InputError(clients_path, "is a folder of parts; apply rewrites one CSV export: "
                                       "plan and apply each part on its own, or join the parts "
                                       "into one file")
    if Path(clients_path).suffix.lower() in (*EXCEL_SUFFIXES, ".parquet"):  # (before its sheets)
        raise InputError(clients_path, "apply rewrites CSV exports only; export the clients as CSV")
    raw = read_table(clients_path, "clients", read)
    try:
        validated = validate_clients(raw, skip_bad_rows=read.skip_bad_rows)
    except RowProblemsError as exc:
        raise nothing_written(exc) from None
    book = validated.frame
    plan, notes = _restored(plan, book, roster, plan_path)
    plan, given_back = _given_back(plan, book)
    notes += given_back
    check_plan(plan, book, plan_path, roster)
    if validated.skipped_rows:  # (written back as they were; a plan cannot name them)
        notes.append(f"{validated.skipped_rows:,} row(s) of the export with problems were left "
                     "as they are (--skip-bad-rows)")
    if roster is None:
        notes += _unknown_receivers(plan, book)
    notes += _rules_bent(plan, book, roster)
    encoding = raw.encoding
    original = Path(clients_path).read_bytes()
    text = original.decode(encoding)
    # Each line with its own end: CRLF and LF can mix in one export, and each stays as it was.
    pieces = text.split("\n")
    ends = ["\r\n" if p.endswith("\r") else "\n" for p in pieces[:-1]] + [""]
    lines = [p[:-1] if end == "\r\n" else p for p, end in zip(pieces, ends, strict=True)]
    if lines[-1] == "":  # (the text ends with a line end)
        lines.pop()
        ends.pop()
    expected_last = int(raw.frame[LINE].max() or raw.header_line)
    if len(lines) < expected_last:
        raise InputError(clients_path, "has line breaks inside cells; apply needs one client "
                         "per line (re-export, or open and save it as .xlsx → CSV)")
    # The plan carries its own line numbers (LINE); the export's are the ones to rewrite.
    moves = plan.drop(LINE).join(book.select("client_id", LINE), on="client_id", how="inner")
    names = None
    if roster is not None:
        names = dict(zip(roster["officer_id"], roster["name"], strict=True))
    # Every line of a planned client is rewritten: a repeated identical row, counted once,
    # would otherwise keep the old officer and leave the client under two officers.
    tidy = tidy_ids("client_id")  # (as validation read them: `="0012"`, `'0012`, `…x`)
    # (rows left out with --skip-bad-rows are written back as they were, planned or not)
    left_out = [n for group in validated.skipped for n in group.lines]
    rows = raw.frame.filter(~pl.col(LINE).is_in(left_out)) if left_out else raw.frame
    every_line = rows.select(tidy.alias("cell_client"), LINE, tidy.alias("client_id"))
    targets = moves.select("client_id", "to_officer_id")
    if "bank" in raw.frame.columns:  # a province-wide export: the plan's numbers are bank/number
        bank = pl.col("bank").str.normalize("NFKC").str.strip_chars() + "/"
        every_line = rows.select(tidy.alias("cell_client"), LINE,
                                 (bank + tidy).alias("client_id"), bank.alias("bank"))
        targets = targets.join(every_line, on="client_id").with_columns(
            pl.when(pl.col("to_officer_id").str.starts_with(pl.col("bank")))
            .then(pl.col("to_officer_id").str.strip_prefix(pl.col("bank")))
            .alias("cell_officer")
        )
        other_bank = targets.filter(pl.col("cell_officer").is_null())["client_id"]
        if other_bank.len():
            raise PlanRefusedError(f"{plan_path}: plan refused, nothing written", [
                f"{plan_path}: client {other_bank[0]} goes to an officer of another bank"
                + (f" (and {other_bank.len() - 1} more)" if other_bank.len() > 1 else "")])
    else:
        targets = targets.join(every_line, on="client_id").with_columns(
            pl.col("to_officer_id").alias("cell_officer"))
    replacements = _rewrite(raw, lines, targets, names)
    for line_no, new in replacements.items():
        lines[line_no - 1] = new
    out = "".join(line + end for line, end in zip(lines, ends, strict=True))
    bom = encoding == "utf-8-sig"
    data = out.encode("utf-8" if bom else encoding)
    if bom and not data.startswith(b"\xef\xbb\xbf"):
        data = b"\xef\xbb\xbf" + data
    if encoding == "utf-16" and original.startswith(codecs.BOM_UTF16_BE):  # (kept big-endian)
        data = codecs.BOM_UTF16_BE + out.removeprefix("\ufeff").encode("utf-16-be")
    before = book.group_by("officer_id").len("before")
    after = (
        book.join(moves.select("client_id", "to_officer_id"), on="client_id", how="left")
        .select(pl.coalesce("to_officer_id", "officer_id").alias("officer_id"))
        .group_by("officer_id").len("after")
    )
    touched = pl.concat([moves["from_officer_id"], moves["to_officer_id"]]).drop_nulls().unique()
    loads = (
        pl.DataFrame({"officer_id": touched})
        .join(before, on="officer_id", how="left").join(after, on="officer_id", how="left")
        .with_columns(pl.col("before").fill_null(0).cast(pl.Int64),
                      pl.col("after").fill_null(0).cast(pl.Int64))
        .sort("officer_id")
    )
    if roster is not None:  # a hand-edited plan may push someone over: say so
        active = pl.col("status") == "active"  # (a departed officer has no limit to keep)
        limits = roster.select("officer_id", "status", pl.when(active).then(
            limit_expr(settings or Settings())).alias("limit"))
        loads = loads.join(limits, on="officer_id", how="left").with_columns(
            (pl.col("after") > pl.col("limit")).fill_null(False).alias("over_after")
        )
    return Applied(data=data, moved=moves.height, loads=loads, notes=notes)


def _rewrite(raw: RawTable, lines: list[str], moves: pl.DataFrame,
             names: dict[str, str] | None) -> dict[int, str]:
    """New text for each planned line; a loop over the moves only, never the whole book."""
    sep = raw.separator
    id_pos = raw.positions["officer_id"]
    client_pos = raw.positions["client_id"]
    name_pos = raw.positions.get("officer_name")
    out = {}
    rows = moves.select(LINE, "cell_client", "cell_officer", "to_officer_id").rows()
    for line_no, client_id, cell_officer, to_id in rows:
        # A record with a line break in a cell spans lines, and a line is rewritten whole:
        # refuse rather than guess (strict: an open quote at the end of the line is an error).
        try:
            cells = next(csv.reader([lines[line_no - 1]], delimiter=sep, strict=True), [])
        except csv.Error:
            cells = []
        if len(cells) <= max(id_pos, client_pos) or (
            tidy_id(cells[client_pos]) != client_id
        ):
            raise InputError(raw.path, f"line {line_no} does not hold client {client_id} on "
                             "one line (line breaks inside cells?); apply needs one client "
                             "per line")
        line = lines[line_no - 1]
        spans = _spans(line, sep)
        if len(spans) != len(cells):  # pragma: no cover - both read quotes alike
            raise InputError(raw.path, f"line {line_no}: its cells could not be told apart "
                             "to change the officer in place")
        changes = {id_pos: cell_officer}
        if name_pos is not None and names is not None:  # (a nameless receiver: no name)
            changes[name_pos] = names.get(to_id) or ""
        for pos in sorted(changes, reverse=True):  # (from the right: spans stay valid)
            start, end = spans[pos]
            line = line[:start] + _written_like(changes[pos], line[start:end], sep) + line[end:]
        out[line_no] = line
    return out


def _spans(line: str, sep: str) -> list[tuple[int, int]]:
    """Where each cell of a one-line CSV record is, quotes included, to replace it in place.

    Only the officer cells of a planned line change; every other cell keeps its bytes (its
    quotes, a spreadsheet's ="…" guard), which re-writing the whole row would not.
    """
    if '"' not in line:
        spans, start = [], 0
        for cell in line.split(sep):
            spans.append((start, start + len(cell)))
            start += len(cell) + len(sep)
        return spans
    # As Python's csv (and polars) read it: a quote opens a quoted cell only as the cell's
    # first character; inside, "" is a quote; elsewhere (an inch mark: 5" pipe) it is text.
    spans, start, quoted, i = [], 0, False, 0
    while i < len(line):
        ch = line[i]
        if quoted:
            if ch == '"':
                if line.startswith('"', i + 1):
                    i += 1  # ("" inside quotes)
                else:
                    quoted = False
        elif ch == '"' and i == start:
            quoted = True
        elif line.startswith(sep, i):
            spans.append((start, i))
            start = i + len(sep)
            i = start
            continue
        i += 1
    spans.append((start, len(line)))
    return spans


def _written_like(value: str, old: str, sep: str) -> str:
    """`value` as a cell, in the style of the cell it replaces: quoted or plain, and guarded
    as it was (Excel's ``="…"``, a leading ``'`` or tab that keeps a number as text)."""
    quoted = old.startswith('"') and len(old) >= 2
    inner = old[1:-1].replace('""', '"') if quoted else old
    if inner.startswith('="'):
        text = f'="{value}"'
        if not quoted:
            return text
    else:
        text = (inner[0] if inner[:1] in ("'", "\t") else "") + value
    if quoted or any(ch in text for ch in (sep, '"', "\r", "\n")):
        return '"' + text.replace('"', '""') + '"'
    return text
