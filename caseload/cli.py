"""The typer app: parse options, call the core, pick a renderer, choose the exit code. Nothing else."""

from __future__ import annotations

import datetime as dt
import os
import sys
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from caseload import __version__
from caseload.errors import EXIT_ERROR, EXIT_FINDINGS, EXIT_OK, CaseloadError

if TYPE_CHECKING:
    from rich.console import Console

    from caseload.config import ReadOptions, Settings

app = typer.Typer(
    name="caseload",
    help="Check client-officer workload (管户) and plan how to rebalance it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
)

_state = {"traceback": False}


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"


class Scope(StrEnum):
    branch = "branch"
    region = "region"
    all = "all"


class Lang(StrEnum):
    en = "en"
    zh = "zh"


def _version(value: bool) -> None:
    if value:
        typer.echo(f"caseload {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Show the version and exit.")] = False,
    traceback: Annotated[bool, typer.Option("--traceback",
                                            help="Show a full traceback on errors.")] = False,
) -> None:
    """Check client-officer workload (管户) and plan how to rebalance it.

    Exit codes: 0 no findings, 1 findings (someone over the limit, orphaned clients),
    2 could not run (bad usage or input).
    """
    _state["traceback"] = traceback or bool(os.environ.get("CASELOAD_TRACEBACK"))


@contextmanager
def _errors():
    """The one error boundary: expected failures become one line on stderr and exit 2."""
    try:
        yield
    except CaseloadError as exc:
        if _state["traceback"]:
            raise
        typer.echo(f"caseload: error: {exc.message}", err=True)
        for line in exc.details:
            typer.echo(f"  {line}", err=True)
        raise typer.Exit(exc.exit_code) from None
    except (typer.Exit, typer.Abort, KeyboardInterrupt):
        raise
    except Exception as exc:  # a bug: never a traceback (it could carry client data) unless asked
        if _state["traceback"]:
            raise
        typer.echo(f"caseload: internal error ({type(exc).__name__}); rerun with --traceback "
                   "and report it", err=True)
        raise typer.Exit(EXIT_ERROR) from None


# ---------------------------------------------------------------- shared options

OfficersArg = Annotated[Path, typer.Argument(help="Officer roster export (CSV, .xlsx, .parquet).",
                                             show_default=False)]
ClientsArg = Annotated[Path, typer.Argument(help="Client list export (CSV, .xlsx, .parquet).",
                                            show_default=False)]
ThresholdOpt = Annotated[int, typer.Option("--threshold", min=1,
                                           help="Accounts an officer may carry; more is over.")]
NearOpt = Annotated[float, typer.Option("--near", min=0.01, max=1.0,
                                        help="Share of the limit that counts as near it.")]
GradeOpt = Annotated[list[str] | None, typer.Option(
    "--grade-limit", metavar="GRADE=N", help="Limit for a grade, e.g. 初级=150 (repeatable).")]
ScopeOpt = Annotated[Scope, typer.Option(
    "--scope", help="Where clients may move: branch, region (same 片区) or all.")]
AsOfOpt = Annotated[str | None, typer.Option(
    "--as-of", metavar="YYYY-MM-DD", help="The date of the check (default: today).")]
EncodingOpt = Annotated[str | None, typer.Option(
    "--encoding", help="Force the CSV encoding: utf-8, utf-8-sig or gb18030 (default: detect).")]
HeaderRowOpt = Annotated[int | None, typer.Option(
    "--header-row", min=1, help="Line of the header in the clients file (default: detect).")]
SheetOpt = Annotated[str | None, typer.Option("--sheet", help="xlsx sheet (default: first).")]
MapOpt = Annotated[list[str] | None, typer.Option(
    "--map", metavar="COLUMN=HEADER",
    help="Map a header to a canonical column, e.g. client_id=客户代码 (repeatable).")]
SkipOpt = Annotated[bool, typer.Option(
    "--skip-bad-rows", help="Leave out rows that cannot be used, and report them.")]
FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="Output format on stdout.")]
LangOpt = Annotated[Lang | None, typer.Option(
    "--lang", help="Language of tables: zh or en (default: from LANG).")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print only the findings.")]
ForceOpt = Annotated[bool, typer.Option("--force", help="Replace an existing output file.")]


def _pairs(values: list[str] | None, what: str) -> dict[str, str]:
    out = {}
    for v in values or []:
        key, sep, val = v.partition("=")
        if not sep or not key.strip() or not val.strip():
            raise CaseloadError(f"{what} {v!r}: expected KEY=VALUE")
        out[key.strip()] = val.strip()
    return out


def _settings(threshold: int, near: float, grade: list[str] | None, scope: Scope,
              as_of: str | None) -> Settings:
    from caseload.config import Settings

    limits = {}
    for g, v in _pairs(grade, "--grade-limit").items():
        if not v.isdigit() or int(v) < 1:
            raise CaseloadError(f"--grade-limit {g}={v}: the limit must be a whole number >= 1")
        limits[g] = int(v)
    day = dt.date.today()
    if as_of:
        try:
            day = dt.date.fromisoformat(as_of)
        except ValueError:
            raise CaseloadError(f"--as-of {as_of!r}: expected a date like 2026-11-20") from None
    return Settings(threshold=threshold, near_fraction=near, grade_limits=limits,
                    scope=scope.value, as_of=day)


def _read_options(encoding: str | None, header_row: int | None, sheet: str | None,
                  mapping: list[str] | None, skip: bool) -> ReadOptions:
    from caseload.columns import CLIENT_HEADERS, OFFICER_HEADERS
    from caseload.config import ReadOptions

    column_map = _pairs(mapping, "--map")
    for c in column_map:
        if c not in CLIENT_HEADERS and c not in OFFICER_HEADERS:
            raise CaseloadError(f"--map {c}=…: unknown column {c!r}")
    return ReadOptions(encoding=encoding, header_row=header_row, sheet=sheet,
                       column_map=column_map, skip_bad_rows=skip)


def _lang(lang: Lang | None) -> str:
    if lang is not None:
        return lang.value
    env = os.environ.get("LC_ALL") or os.environ.get("LANG") or ""
    return "zh" if env.lower().startswith("zh") else "en"


def _console(stderr: bool = False) -> Console:
    """Plain text when not a terminal (cron mail): no colour codes, width from COLUMNS or 100."""
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    terminal = stream.isatty()
    width = None if terminal else int(os.environ.get("COLUMNS", "0") or 0) or 100
    return Console(file=stream, width=width, no_color=not terminal or "NO_COLOR" in os.environ,
                   highlight=False, emoji=False, soft_wrap=False,
                   color_system="auto" if terminal else None)


# ---------------------------------------------------------------- commands


@app.command()
def check(
    officers: OfficersArg,
    clients: ClientsArg,
    threshold: ThresholdOpt = 300,
    near: NearOpt = 0.9,
    grade_limit: GradeOpt = None,
    scope: ScopeOpt = Scope.branch,
    as_of: AsOfOpt = None,
    output_format: FormatOpt = Format.table,
    exit_zero: Annotated[bool, typer.Option(
        "--exit-zero", help="Exit 0 even when there are findings.")] = False,
    quiet: QuietOpt = False,
    lang: LangOpt = None,
    encoding: EncodingOpt = None,
    header_row: HeaderRowOpt = None,
    sheet: SheetOpt = None,
    column_map: MapOpt = None,
    skip_bad_rows: SkipOpt = False,
) -> None:
    """Who is over or near the limit, whose clients are orphaned, and what to move where.

    Exit 0 when nobody is over the limit and no client is orphaned, 1 when there are
    findings, 2 when the check could not run.
    """
    with _errors():
        from caseload.check import load_inputs, run

        settings = _settings(threshold, near, grade_limit, scope, as_of)
        read = _read_options(encoding, header_row, sheet, column_map, skip_bad_rows)
        outcome = run(load_inputs(officers, clients, read), settings)
        _emit_check(outcome.report, output_format, _lang(lang), quiet)
        findings = outcome.report.has_findings
    raise typer.Exit(EXIT_FINDINGS if findings and not exit_zero else EXIT_OK)


def _emit_check(report, output_format: Format, lang: str, quiet: bool) -> None:
    """The one place an output format is chosen."""
    if output_format is Format.json:
        from caseload.render.json_out import dumps

        sys.stdout.write(dumps(report.to_json()))
    elif output_format is Format.csv:
        from caseload.render.flat import officers_csv

        sys.stdout.write(officers_csv(report))
    elif output_format is Format.markdown:
        from caseload.render.flat import check_markdown

        sys.stdout.write(check_markdown(report, lang))
    else:
        from caseload.render.table import render_check

        render_check(report, _console(), lang, quiet)


@app.command()
def plan(
    officers: OfficersArg,
    clients: ClientsArg,
    out: Annotated[Path, typer.Option("--out", "-o", help="Plan file to write (.csv or .xlsx).")],
    threshold: ThresholdOpt = 300,
    near: NearOpt = 0.9,
    grade_limit: GradeOpt = None,
    scope: ScopeOpt = Scope.branch,
    as_of: AsOfOpt = None,
    force: ForceOpt = False,
    lang: LangOpt = None,
    encoding: EncodingOpt = None,
    header_row: HeaderRowOpt = None,
    sheet: SheetOpt = None,
    column_map: MapOpt = None,
    skip_bad_rows: SkipOpt = False,
) -> None:
    """Write a client-level plan (one row per moved client, with its reason) for review.

    Exit 0 when the plan places every orphan and brings everyone within the limit, 1 when
    something cannot be placed (the tables say what and why), 2 when it could not run.
    """
    with _errors():
        from caseload.check import load_inputs, run
        from caseload.output import check_target, write_frame
        from caseload.plan_file import plan_frame
        from caseload.render.table import render_plan

        settings = _settings(threshold, near, grade_limit, scope, as_of)
        read = _read_options(encoding, header_row, sheet, column_map, skip_bad_rows)
        target = check_target(out, [officers, clients], force)
        outcome = run(load_inputs(officers, clients, read), settings)
        write_frame(plan_frame(outcome.plan), target)
        render_plan(outcome.report, outcome.plan, str(target), _console(), _lang(lang))
        incomplete = outcome.report.summary["cannot_place"] > 0 or bool(
            outcome.report.still_over)
    raise typer.Exit(EXIT_FINDINGS if incomplete else EXIT_OK)


@app.command()
def apply(
    clients: ClientsArg,
    plan_file: Annotated[Path, typer.Argument(help="The reviewed plan (.csv or .xlsx).",
                                              show_default=False)],
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the updated export.")],
    officers: Annotated[Path | None, typer.Option(
        "--officers", help="Roster: also update the officer-name column and check receivers.")]
    = None,
    force: ForceOpt = False,
    lang: LangOpt = None,
    encoding: EncodingOpt = None,
    header_row: HeaderRowOpt = None,
    column_map: MapOpt = None,
) -> None:
    """Write the client export with the managing officer changed for exactly the planned clients."""
    with _errors():
        from caseload.apply import apply_plan, read_plan
        from caseload.load import read_table
        from caseload.output import atomic_write, check_target
        from caseload.render.table import render_applied
        from caseload.validate import validate_officers

        read = _read_options(encoding, header_row, None, column_map, False)
        inputs = [clients, plan_file] + ([officers] if officers else [])
        target = check_target(out, inputs, force)
        roster = None
        if officers is not None:
            roster = validate_officers(read_table(officers, "officers")).frame
        plan_rows = read_plan(plan_file)
        applied = apply_plan(clients, plan_rows, str(plan_file), roster, read)
        atomic_write(target, applied.data)
        render_applied(applied, roster, str(target), _console(), _lang(lang))


def main() -> None:
    """Entry point of the installed `caseload` command."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
