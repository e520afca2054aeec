"""From two export paths to a workload, a plan and a report: the pipeline of `check` and `plan`."""

from __future__ import annotations

import dataclasses
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from caseload.columns import normalise_word
from caseload.config import ReadOptions, Settings
from caseload.engines import for_reading, in_memory
from caseload.errors import InputError, RowProblemsError
from caseload.load import read_table
from caseload.plan import Plan, make_plan
from caseload.report import CheckReport, build_check_report, input_note
from caseload.validate import Validated, validate_clients, validate_officers
from caseload.workload import Workload, count_workload

# The columns counting and planning use. Others (personal data above all) are not kept as the
# file is read, never validated or shown.
CLIENT_COLUMNS_FOR_PLANNING = (
    "client_id", "officer_id", "branch", "branch_id", "balance", "risk_class", "group_id",
    "assigned_since", "pinned", "bank",
)


@dataclass
class Inputs:
    officers: Validated
    clients: Validated


@dataclass
class Outcome:
    inputs: Inputs
    workload: Workload
    plan: Plan
    report: CheckReport


def load_inputs(
    officers_path: str | os.PathLike[str],
    clients_path: str | os.PathLike[str],
    read: ReadOptions | None = None,
    officer_read: ReadOptions | None = None,
    client_names: bool = False,
    settings: Settings | None = None,
) -> Inputs:
    """Read and validate both exports; row problems of both files are reported together.

    `--header-row` and `--sheet` describe the client export; the roster's header and sheet
    are detected unless `officer_read` says otherwise. `client_names` keeps the client-name
    column (for a plan a branch head reviews); other personal columns are always dropped.
    With `read.low_memory`, the client book is read a part at a time and only the clients that
    may move are held (`low_memory`); the limits in `settings` say which those are. With
    `settings`, a book too big for the memory available is read so too, with a note.
    Small exports are read on the in-memory engine (see `caseload.engines`).
    """
    with for_reading(officers_path, clients_path):
        return _load_inputs(officers_path, clients_path, read, officer_read, client_names,
                            settings)


def _load_inputs(
    officers_path: str | os.PathLike[str],
    clients_path: str | os.PathLike[str],
    read: ReadOptions | None,
    officer_read: ReadOptions | None,
    client_names: bool,
    settings: Settings | None,
) -> Inputs:
    wanted = CLIENT_COLUMNS_FOR_PLANNING + (("client_name",) if client_names else ())
    read = read or ReadOptions()
    switched = None
    if not read.low_memory and settings is not None:
        from caseload.low_memory import too_big

        if (switched := too_big(clients_path)) is not None:
            read = dataclasses.replace(read, low_memory=True)
    officer_read = officer_read or dataclasses.replace(read, header_row=None, sheet=None)
    clients_raw = None
    with ThreadPoolExecutor(max_workers=1) as beside:
        # The roster is read and validated while polars parses the book (its own work is
        # mostly Python, which the parse leaves free); its errors come first, as if read first.
        roster = beside.submit(_roster, officers_path, officer_read, read.skip_bad_rows)
        if not read.low_memory:
            try:
                clients_raw = read_table(clients_path, "clients", read, wanted=wanted)
            except BaseException:
                roster.result()
                raise
        roster_headers, officers, officer_problems = roster.result()
    if clients_raw is not None:
        _same_bank_columns(roster_headers, clients_raw.headers, officers_path, clients_path)
    problems: list[RowProblemsError] = [officer_problems] if officer_problems else []
    try:
        if clients_raw is not None:
            clients = validate_clients(clients_raw, read.skip_bad_rows)
        else:
            from caseload.low_memory import read_book

            clients = read_book(  # (without a roster, only validated: problems said together)
                clients_path, read, wanted, officers.frame if officers else None,
                settings or Settings(), lambda headers: _same_bank_columns(
                    roster_headers, headers, officers_path, clients_path))
            if switched:
                clients.raw.notes.append(switched)
    except RowProblemsError as exc:
        problems.append(exc)
    del clients_raw  # (its text cells are freed once typed)
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise RowProblemsError(
            "; ".join(p.message for p in problems), [d for p in problems for d in p.details]
        )
    return Inputs(officers, clients)


def _roster(
    path: str | os.PathLike[str], read: ReadOptions, skip_bad_rows: bool
) -> tuple[dict[str, str], Validated | None, RowProblemsError | None]:
    """The roster's headers, and the roster validated or its row problems."""
    raw = read_table(path, "officers", read)
    try:
        return raw.headers, validate_officers(raw, skip_bad_rows), None
    except RowProblemsError as exc:
        return raw.headers, None, exc


def _same_bank_columns(
    roster: dict[str, str], book: dict[str, str], officers_path: object, clients_path: object,
) -> None:
    """Numbers of one bank cannot be matched to bank/numbers: both exports or neither."""
    if ("bank" in roster) != ("bank" in book):
        lacking = clients_path if "bank" in roster else officers_path
        other = "roster" if "bank" in roster else "client list"
        raise InputError(lacking, f"has no bank column (法人行社) but the {other} has one: "
                                  "a province-wide check needs the bank in both exports")


def notes_on(work: Workload, settings: Settings) -> list[str]:
    """What the tables do not show but a branch head should hear, rather than silence.

    Settings this roster gives no effect, clients held back from the plan, staff numbers that
    look damaged.
    """
    notes = []
    roster = work.officers
    if settings.scope == "region" and roster["region"].drop_nulls().is_empty():
        notes.append("--scope region: the roster has no region (片区) column, so moves stay "
                     "in their branch")
    if work.held:
        notes.append(f"{work.held:,} client(s) of officers whose roster rows were left out "
                     "(--skip-bad-rows) are counted as not on the roster but not planned")
    if work.lost_zeros:
        notes.append(f"{work.lost_zeros:,} client(s) name staff numbers that are on the roster "
                     "only with leading zeros (456 for 00456): the export may have lost them "
                     "(a number column in Excel); they count as not on the roster")
    if work.roster_lost_zeros:
        notes.append(f"{work.roster_lost_zeros:,} client(s) name staff numbers that are on the "
                     "roster only without their leading zeros (456 for 00456): the roster may "
                     "have lost them (a number column in Excel); they count as not on the roster")
    grades = {normalise_word(g) for g in roster["grade"].drop_nulls().unique().to_list()}
    for grade in settings.grade_limits:
        if normalise_word(grade) not in grades:
            notes.append(f"grade limit {grade!r}: no officer on the roster has this grade")
    return notes


@in_memory
def run(inputs: Inputs, settings: Settings) -> Outcome:
    """Count, plan and report (on the in-memory engine: see `caseload.engines`)."""
    book = inputs.clients
    work = count_workload(inputs.officers.frame, book.frame, settings, book.officer_counts,
                          inputs.officers.left_out_keys, book.book_rows, book.book_branch_ids)
    plan = make_plan(work, settings)
    report = build_check_report(
        work, plan, settings, [input_note(inputs.officers), input_note(inputs.clients)]
    )
    return Outcome(inputs, work, plan, report)
