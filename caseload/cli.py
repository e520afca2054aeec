"""The typer app: parse options, call the core, pick a renderer, choose the exit code. Nothing else."""

# (No `from __future__ import annotations` here: typer would evaluate every command's string
# annotations on every run, 4 ms of a branch-sized check.)
import dataclasses
import datetime as dt
import os
import sys
import traceback as traceback_module
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from caseload import __version__
from caseload.errors import (
    EXIT_ERROR,
    EXIT_FINDINGS,
    EXIT_OK,
    CaseloadError,
    RowProblemsError,
    StdoutError,
)

if TYPE_CHECKING:
    from rich.console import Console

    from caseload.config import ReadOptions, Resolved

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


class TableOrJson(StrEnum):
    """The formats of `history` and `config show` (no CSV or Markdown there)."""

    table = "table"
    json = "json"


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
    _state["traceback"] = traceback or os.environ.get("CASELOAD_TRACEBACK", "").strip().lower() \
        not in ("", "0", "false", "no", "off")


@contextmanager
def _errors():
    """The one error boundary: expected failures become one line on stderr and exit 2."""
    try:
        try:
            yield
        finally:  # (what is buffered for stdout is written here, where a failure is caught)
            _flush(sys.stdout)
    except CaseloadError as exc:
        if _state["traceback"]:
            raise
        _report(exc)
        raise typer.Exit(exc.exit_code) from None
    except (typer.Exit, typer.Abort, KeyboardInterrupt):
        raise
    except BrokenPipeError:  # the reader of stdout went away (`| head`): stop quietly
        _quiet_stdout()
        raise typer.Exit(EXIT_ERROR) from None
    except Exception as exc:  # a bug: never a traceback (it could carry client data) unless asked
        if _state["traceback"]:
            raise
        _say(f"caseload: internal error ({type(exc).__name__}); rerun with --traceback and "
             "report it")
        raise typer.Exit(EXIT_ERROR) from None


def _report(exc: CaseloadError) -> None:
    """An expected failure as one line on stderr (details indented below it)."""
    if isinstance(exc, StdoutError):
        _quiet_stdout()
    _say(f"caseload: error: {exc.message}", *[f"  {line}" for line in exc.details])


def _flush(stream) -> None:
    if stream is not None:
        stream.flush()


class _Stdout:
    """Stdout, whose write failures (but a reader gone away) name stdout, as a file's would."""

    def __init__(self, stream) -> None:
        self._stream = stream

    def _guarded(self, call, *args):
        try:
            return call(*args)
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise StdoutError(f"stdout: could not be written "
                              f"({exc.strerror or type(exc).__name__})") from None

    def write(self, text):
        return self._guarded(self._stream.write, text)

    def flush(self) -> None:
        self._guarded(self._stream.flush)

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


def _say(*lines: str) -> None:
    """Lines on stderr, if stderr can take them (closed, or on a full disk, it cannot: the
    exit code still says what happened)."""
    try:
        for line in lines:
            typer.echo(line, err=True)
    except (OSError, ValueError, AttributeError):
        pass


def _quiet_stdout() -> None:
    """Whatever stdout still buffers goes nowhere: at exit it could only fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # (no descriptor: a test's captured stream)
        pass


# ---------------------------------------------------------------- shared options

OfficersArg = Annotated[Path, typer.Argument(
    help="Officer roster export (CSV, .xlsx, .parquet, or a folder of parts).",
    metavar="OFFICERS", show_default=False)]
ClientsArg = Annotated[Path, typer.Argument(
    help="Client list export (CSV, .xlsx, .parquet, or a folder of parts).",
    metavar="CLIENTS", show_default=False)]
ThresholdOpt = Annotated[int | None, typer.Option(
    "--threshold", min=1, max=1_000_000,
    help="Accounts an officer may carry; more is over.  [default: 300]")]
NearOpt = Annotated[float | None, typer.Option(
    "--near", min=0.01, max=1.0, help="Share of the limit that counts as near it.  [default: 0.9]")]
GradeOpt = Annotated[list[str] | None, typer.Option(
    "--grade-limit", metavar="GRADE=N", help="Limit for a grade, e.g. 初级=150 (repeatable).")]
ScopeOpt = Annotated[Scope | None, typer.Option(
    "--scope", help="Where clients may move: branch, region (same 片区) or all.  [default: branch]")]
ConfigOpt = Annotated[Path | None, typer.Option(
    "--config", help="Settings file (default: ./caseload.toml if present).")]
HistoryOpt = Annotated[Path | None, typer.Option(
    "--history", help="Weekly history database (SQLite); with check, records this week.")]
AsOfOpt = Annotated[str | None, typer.Option(
    "--as-of", metavar="YYYY-MM-DD", help="The date of the check (default: today).")]
EncodingOpt = Annotated[str | None, typer.Option(
    "--encoding", metavar="ENCODING", help="Force the CSV encoding: utf-8, utf-8-sig, gb18030 "
    "(gbk) or utf-16 (default: detect).")]
HeaderRowOpt = Annotated[int | None, typer.Option(
    "--header-row", min=1, help="Line of the header in the clients file (default: detect).")]
SheetOpt = Annotated[str | None, typer.Option("--sheet", help="xlsx sheet (default: first).")]
MapOpt = Annotated[list[str] | None, typer.Option(
    "--map", metavar="COLUMN=HEADER",
    help="Map a header to a canonical column, e.g. client_id=客户代码 (repeatable).")]
SkipOpt = Annotated[bool, typer.Option(
    "--skip-bad-rows", help="Leave out rows that cannot be used, and report them.")]
LowMemoryOpt = Annotated[bool, typer.Option(
    "--low-memory", help="For books bigger than memory: read the clients a part at a time "
    "(slices of a CSV or Parquet file, or a folder's parts), twice: the same results, in two to "
    "three times the time.")]
FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="Output format on stdout.")]
LangOpt = Annotated[Lang | None, typer.Option(
    "--lang", help="Language of tables: zh or en (default: from LC_ALL, else LANG).")]
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


def _resolve(config: Path | None, **flags: object) -> "Resolved":
    from caseload.config import ConfigError, resolve

    try:
        return resolve(flags, dict(os.environ), str(config) if config else None)
    except ConfigError as exc:
        raise CaseloadError(str(exc)) from None


def _grade_flags(grade: list[str] | None) -> dict[str, int] | None:
    from caseload.config import MAX_LIMIT

    limits = {}
    for g, v in _pairs(grade, "--grade-limit").items():
        if not (v.isascii() and v.isdigit()) or not 1 <= int(v) <= MAX_LIMIT:
            raise CaseloadError(f"--grade-limit {g}={v}: the limit must be a whole number from "
                                f"1 to {MAX_LIMIT:,}")
        limits[g] = int(v)
    return limits or None


def _as_of(as_of: str | None) -> dt.date:
    if not as_of:
        return dt.date.today()
    try:
        day = dt.date.fromisoformat(as_of)
    except ValueError:
        raise CaseloadError(f"--as-of {as_of!r}: expected a date like 2026-11-20") from None
    if not 1900 <= day.year <= 2999:
        raise CaseloadError(f"--as-of {as_of!r}: expected a date between 1900 and 2999")
    return day


def _configure(config: Path | None, threshold: int | None, near: float | None,
               grade: list[str] | None, scope: Scope | None, lang: Lang | None,
               encoding: str | None, mapping: list[str] | None,
               history: Path | None = None) -> "Resolved":
    return _resolve(
        config, threshold=threshold, near_fraction=near, grade_limits=_grade_flags(grade),
        scope=scope.value if scope else None, lang=lang.value if lang else None,
        encoding=encoding, columns=_pairs(mapping, "--map") or None,
        history=str(history) if history else None,
    )


def _lean_allocator(low_memory: bool) -> None:
    """With --low-memory, polars' allocator (jemalloc) hands freed memory back at once.

    It keeps freed pages for reuse otherwise, which at 5M clients is a third of the peak. The
    setting is read when polars is first imported, which a command does only after its options
    are read; one the user set wins. (It costs time: about a quarter more.)
    """
    if low_memory:
        os.environ.setdefault("_RJEM_MALLOC_CONF", "dirty_decay_ms:0,muzzy_decay_ms:0")


def _read_options(resolved: "Resolved", header_row: int | None, sheet: str | None,
                  skip: bool, low_memory: bool = False) -> "ReadOptions":
    from caseload.columns import CLIENT_HEADERS, OFFICER_HEADERS
    from caseload.config import ReadOptions

    column_map = dict(resolved.values["columns"])
    for c in column_map:
        if c not in CLIENT_HEADERS and c not in OFFICER_HEADERS:
            raise CaseloadError(f"column map: unknown column {c!r} ({resolved.sources['columns']})")
    said = {c: "--map" if resolved.sources.get(f"columns.{c}") == "flag"
            else f"{resolved.file} [columns]" if resolved.file else "--map" for c in column_map}
    return ReadOptions(encoding=resolved.values["encoding"], header_row=header_row, sheet=sheet,
                       column_map=column_map, map_from=said, skip_bad_rows=skip,
                       low_memory=low_memory)


def _lang(resolved: "Resolved") -> str:
    return str(resolved.values["lang"]) if resolved.values["lang"] else _locale_lang()[0]


def _locale_lang() -> tuple[str, str]:
    """The language of the locale (LC_ALL, else LANG: zh… is Chinese), and where it came from."""
    env = os.environ.get("LC_ALL") or os.environ.get("LANG") or ""
    return ("zh" if env.lower().startswith("zh") else "en"), ("LC_ALL/LANG" if env else "default")


def _safe_stream(stream):
    """A GBK console or LANG=C under cron: characters the encoding lacks become '?', no crash."""
    if hasattr(stream, "reconfigure"):
        try:
            stream.reconfigure(errors="replace")
        except (ValueError, OSError):
            pass
    return stream


def _utf8(stream) -> bool:
    return (getattr(stream, "encoding", None) or "utf-8").lower().replace("-", "").startswith("utf")


def _write_json(document: dict) -> None:
    """JSON is escaped to ASCII where stdout is not UTF-8, so it stays lossless."""
    from caseload.render.json_out import dumps

    out = _safe_stream(sys.stdout)
    out.write(dumps(document, ascii_only=not _utf8(out)))


def _console(stderr: bool = False) -> "Console":
    """Plain text when not a terminal (cron mail): no colour codes, width from COLUMNS or 100."""
    from rich.console import Console

    stream = _safe_stream(sys.stderr if stderr else sys.stdout)
    terminal = stream.isatty()
    columns = os.environ.get("COLUMNS", "")
    width = None if terminal else (int(columns) if columns.isdigit() and int(columns) > 0 else 100)
    console = Console(file=stream, width=width, no_color=not terminal or "NO_COLOR" in os.environ,
                      highlight=False, emoji=False, markup=False, soft_wrap=False,  # (names as
                      # exported: `Li [red]Lei` is a name, not a style)
                      color_system="auto" if terminal else None)
    console.on_broken_pipe = _reader_gone  # (rich would exit 1, "findings", on its own)
    return console


def _reader_gone() -> None:
    raise BrokenPipeError


@contextmanager
def _status(message: str, quiet: bool = False):
    """A spinner on stderr while reading and planning, on a terminal only: nothing in cron mail."""
    if quiet or not sys.stderr.isatty():
        yield
        return
    with _console(stderr=True).status(message):
        yield


# ---------------------------------------------------------------- commands


@app.command()
def check(
    officers: OfficersArg,
    clients: ClientsArg,
    threshold: ThresholdOpt = None,
    near: NearOpt = None,
    grade_limit: GradeOpt = None,
    scope: ScopeOpt = None,
    as_of: AsOfOpt = None,
    output_format: FormatOpt = Format.table,
    report_file: Annotated[Path | None, typer.Option(
        "--report", help="Also write a report: .html (self-contained) or .xlsx.")] = None,
    history: HistoryOpt = None,
    record: Annotated[bool, typer.Option(
        "--record", help="Record this week in the history database in force.")] = False,
    exit_zero: Annotated[bool, typer.Option(
        "--exit-zero", help="Exit 0 even when there are findings.")] = False,
    quiet: QuietOpt = False,
    lang: LangOpt = None,
    config: ConfigOpt = None,
    encoding: EncodingOpt = None,
    header_row: HeaderRowOpt = None,
    sheet: SheetOpt = None,
    column_map: MapOpt = None,
    skip_bad_rows: SkipOpt = False,
    low_memory: LowMemoryOpt = False,
    force: ForceOpt = False,
) -> None:
    """Who is over or near the limit, whose clients are orphaned, and what to move where.

    Exit 0 when nobody is over the limit and no client is orphaned, 1 when there are
    findings, 2 when the check could not run.
    """
    _lean_allocator(low_memory)
    with _errors():
        from caseload.check import load_inputs, run

        resolved = _configure(config, threshold, near, grade_limit, scope, lang, encoding,
                              column_map, history)
        settings = resolved.settings(_as_of(as_of), _lang(resolved))
        read = _read_options(resolved, header_row, sheet, skip_bad_rows, low_memory)
        target = None
        if report_file is not None:
            target = _report_target(report_file, [officers, clients, *_settings_file(resolved)],
                                    force)
        with _status("Reading the exports…", quiet):
            inputs = load_inputs(officers, clients, read, settings=settings)
        with _status("Counting and planning…", quiet):
            outcome = run(inputs, settings)
        _say_notes(outcome, settings, quiet)
        history_path = _history_path(resolved) if (record or history) else None
        if history_path is not None:
            from caseload.history import record as record_week

            record_week(history_path, outcome.report)
        if target is not None:  # (before stdout: the report must not depend on its reader)
            _write_report(target, outcome, _lang(resolved), history_path)
        _emit_check(outcome.report, output_format, _lang(resolved), quiet)
        findings = outcome.report.has_findings
    raise typer.Exit(EXIT_FINDINGS if findings and not exit_zero else EXIT_OK)


def _say_notes(outcome, settings, quiet: bool = False) -> None:
    """Notes on stderr (the cron mail sees them): how the exports were read (`RawTable.notes`,
    e.g. merged cells), then `caseload.check.notes_on`."""
    from caseload.check import notes_on

    if not quiet:
        _echo_notes([*outcome.inputs.officers.raw.notes, *outcome.inputs.clients.raw.notes,
                     *notes_on(outcome.workload, settings)])


def _echo_notes(notes: list[str]) -> None:
    """Notes on stderr; a stderr that cannot take them (a full disk) does not fail the run."""
    _say(*[f"caseload: note: {note}" for note in notes])


def _history_path(resolved: "Resolved") -> Path:
    from caseload.history import default_path

    return Path(str(resolved.values["history"])) if resolved.values["history"] else default_path()


def _file(path: Path | None) -> list[Path]:
    """An optional input file as a list (outputs are checked against every input)."""
    return [path] if path is not None else []


def _settings_file(resolved: "Resolved") -> list[Path]:
    """The caseload.toml in force, found or given: an output may not replace it either."""
    return _file(Path(resolved.file) if resolved.file else None)


def _report_target(report_file: Path, inputs: list[Path], force: bool) -> Path:
    from caseload.output import check_target

    if report_file.suffix.lower() not in (".html", ".htm", ".xlsx"):
        raise CaseloadError(f"--report {report_file}: use a .html or .xlsx file name")
    return check_target(report_file, inputs, force)


def _write_report(target: Path, outcome, lang: str, history_path: Path | None) -> None:
    from caseload.output import atomic_write
    from caseload.plan_file import plan_frame

    moves = plan_frame(outcome.plan, parts=outcome.inputs.clients.raw.parts, lang=lang)
    if target.suffix.lower() == ".xlsx":
        from caseload.render.xlsx import render_xlsx

        atomic_write(target, render_xlsx(outcome.report, moves, lang))
        return
    from caseload.render.html import render_html

    trend = None
    if history_path is not None and history_path.exists():
        from caseload.history import scope_of, trends

        trend = trends(history_path, within=scope_of(outcome.report),
                       until=outcome.report.as_of)
    atomic_write(target, render_html(outcome.report, moves, trend, lang).encode("utf-8"))


def _emit_check(report, output_format: Format, lang: str, quiet: bool) -> None:
    """The one place an output format is chosen."""
    if output_format is Format.json:
        _write_json(report.to_json(frames=True))
    elif output_format is Format.csv:
        from caseload.render.flat import officers_csv

        _safe_stream(sys.stdout).write(officers_csv(report))
    elif output_format is Format.markdown:
        from caseload.render.flat import check_markdown

        _safe_stream(sys.stdout).write(check_markdown(report, lang, quiet))
    else:
        from caseload.render.table import render_check

        render_check(report, _console(), lang, quiet)


@app.command()
def plan(
    officers: OfficersArg,
    clients: ClientsArg,
    out: Annotated[Path, typer.Option("--out", "-o", help="Plan file to write (.csv or .xlsx).")],
    threshold: ThresholdOpt = None,
    near: NearOpt = None,
    grade_limit: GradeOpt = None,
    scope: ScopeOpt = None,
    as_of: AsOfOpt = None,
    force: ForceOpt = False,
    lang: LangOpt = None,
    config: ConfigOpt = None,
    encoding: EncodingOpt = None,
    header_row: HeaderRowOpt = None,
    sheet: SheetOpt = None,
    column_map: MapOpt = None,
    skip_bad_rows: SkipOpt = False,
    low_memory: LowMemoryOpt = False,
    show_personal_data: Annotated[bool, typer.Option(
        "--show-personal-data", help="Client names in the plan unmasked (default: 张*).")] = False,
    quiet: QuietOpt = False,
) -> None:
    """Write a client-level plan (one row per moved client, with its reason) for review.

    Exit 0 when the plan places every orphan and brings everyone within the limit, 1 when
    something cannot be placed (the tables say what and why), 2 when it could not run.
    """
    _lean_allocator(low_memory)
    with _errors():
        from caseload.check import load_inputs, run
        from caseload.output import check_target, write_frame
        from caseload.plan_file import plan_frame
        from caseload.render.table import render_plan

        resolved = _configure(config, threshold, near, grade_limit, scope, lang, encoding,
                              column_map)
        settings = resolved.settings(_as_of(as_of), _lang(resolved))
        read = _read_options(resolved, header_row, sheet, skip_bad_rows, low_memory)
        target = check_target(out, [officers, clients, *_settings_file(resolved)], force)
        if target.suffix.lower() not in (".csv", ".xlsx") and not target.is_symlink() and not (
                target.exists() and not target.is_file()):  # (/dev/stdout, a pipe: CSV)
            raise CaseloadError(f"--out {out}: use a .csv or .xlsx file name")
        with _status("Reading the exports…", quiet):
            inputs = load_inputs(officers, clients, read, client_names=True, settings=settings)
        with _status("Planning…", quiet):
            outcome = run(inputs, settings)
        _say_notes(outcome, settings, quiet)
        write_frame(plan_frame(outcome.plan, inputs.clients.frame, show_personal_data,
                               inputs.clients.raw.parts, _lang(resolved)), target, settings.as_of)
        render_plan(outcome.report, str(target), _console(), _lang(resolved), quiet)
        incomplete = outcome.report.summary["cannot_place"] > 0 or bool(
            outcome.report.still_over) or outcome.workload.held > 0
    raise typer.Exit(EXIT_FINDINGS if incomplete else EXIT_OK)


@app.command()
def apply(
    clients: Annotated[Path, typer.Argument(help="The client export to rewrite (CSV only).",
                                            metavar="CLIENTS", show_default=False)],
    plan_file: Annotated[Path, typer.Argument(help="The reviewed plan (.csv or .xlsx).", metavar="PLAN",
                                              show_default=False)],
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the updated export.")],
    officers: Annotated[Path | None, typer.Option(
        "--officers", help="Roster: also update the officer-name column and check receivers.")]
    = None,
    threshold: ThresholdOpt = None,
    grade_limit: GradeOpt = None,
    force: ForceOpt = False,
    lang: LangOpt = None,
    config: ConfigOpt = None,
    encoding: EncodingOpt = None,
    header_row: HeaderRowOpt = None,
    column_map: MapOpt = None,
    skip_bad_rows: Annotated[bool, typer.Option(
        "--skip-bad-rows", help="Leave rows of the export that cannot be used as they are "
        "(as the plan made with --skip-bad-rows left them out).")] = False,
) -> None:
    """Write the client export with the managing officer changed for exactly the planned clients.

    With --officers, the officer-name column follows, receivers must be active officers, and
    the new loads are shown against each officer's limit (a hand-edited plan may exceed it).
    """
    with _errors():
        from caseload.apply import apply_plan, nothing_written, read_plan
        from caseload.engines import for_reading
        from caseload.load import read_table
        from caseload.output import atomic_write, check_target
        from caseload.render.table import render_applied
        from caseload.validate import validate_officers

        resolved = _configure(config, threshold, None, grade_limit, None, lang, encoding,
                              column_map)
        read = _read_options(resolved, header_row, None, skip_bad_rows)
        inputs = [clients, plan_file, *_file(officers), *_settings_file(resolved)]
        target = check_target(out, inputs, force)
        roster = None
        with for_reading(clients, plan_file, officers):
            if officers is not None:
                roster_read = dataclasses.replace(read, header_row=None)  # (as check reads it)
                roster_raw = read_table(officers, "officers", roster_read)
                _echo_notes(roster_raw.notes)  # (e.g. merged cells of a workbook roster)
                try:
                    roster = validate_officers(roster_raw, skip_bad_rows).frame
                except RowProblemsError as exc:
                    raise nothing_written(exc) from None
            plan_rows = read_plan(plan_file)
            applied = apply_plan(clients, plan_rows, str(plan_file), roster, read,
                                 resolved.settings(dt.date.today()))
        atomic_write(target, applied.data)
        _echo_notes(applied.notes)
        render_applied(applied, roster, str(target), _console(), _lang(resolved))


@app.command("history")
def history_command(
    history: HistoryOpt = None,
    weeks: Annotated[int, typer.Option("--weeks", min=1, help="How many recent weeks.")] = 12,
    persistent: Annotated[int, typer.Option(
        "--persistent", min=1, help="Weeks over the limit running that count as persistent.")] = 2,
    output_format: Annotated[TableOrJson, typer.Option(
        "--format", "-f", help="table or json.")] = TableOrJson.table,
    lang: LangOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Trends over the recorded weeks: per branch, persistent overloads, coming crossings.

    Record weeks with `caseload check ... --history PATH --as-of DATE` (or --record).
    """
    with _errors():
        from caseload.history import trends

        resolved = _configure(config, None, None, None, None, lang, None, None, history)
        found = trends(_history_path(resolved), weeks, persistent)
        if output_format is TableOrJson.json:
            _write_json(found)
        else:
            from caseload.render.table import render_history

            render_history(found, _console(), _lang(resolved))


config_app = typer.Typer(help="Write or show the settings (caseload.toml).", no_args_is_help=True)
app.add_typer(config_app, name="config")


@config_app.command("init")
def config_init(
    path: Annotated[Path, typer.Argument(help="Where to write it.")] = Path("caseload.toml"),
    force: ForceOpt = False,
) -> None:
    """Write a commented caseload.toml with the defaults."""
    with _errors():
        from caseload.config import DEFAULT_CONFIG_TEXT
        from caseload.output import atomic_write, check_target

        atomic_write(check_target(path, [], force), DEFAULT_CONFIG_TEXT.encode("utf-8"))
        typer.echo(f"wrote {path}")


@config_app.command("show")
def config_show(
    config: ConfigOpt = None,
    output_format: Annotated[TableOrJson, typer.Option(
        "--format", "-f", help="table or json.")] = TableOrJson.table,
) -> None:
    """Print the settings in force and where each came from (flag, env, file, default)."""
    with _errors():
        resolved = _resolve(config)
        if resolved.values.get("history") is None:  # (the path `--record` would use)
            resolved.values["history"] = str(_history_path(resolved))
        if not resolved.values.get("lang"):  # (the language the tables would use)
            resolved.values["lang"], resolved.sources["lang"] = _locale_lang()
        if output_format is TableOrJson.json:
            _write_json({"file": resolved.file, "values": resolved.values,
                         "sources": resolved.sources})
            return
        typer.echo(f"config file: {resolved.file or '(none)'}")
        for key, value in resolved.values.items():
            typer.echo(f"{key} = {value!r}  ({resolved.sources[key]})")


def main() -> None:
    """The command line with its stream handling (the installed command runs it through
    `caseload.__main__`).

    Streams a cron job or a script may hand over closed (`2>&-`) go nowhere, and every
    stream replaces characters its encoding lacks (a Latin-1 console): never a crash. An
    error that leaves the command (with --traceback) still exits with its own code, 2.
    """
    for name in ("stdin", "stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is None:
            setattr(sys, name, open(os.devnull, "r" if name == "stdin" else "w"))  # noqa: SIM115
        elif name != "stdin":
            _safe_stream(stream)
    sys.stdout = _Stdout(sys.stdout)
    try:
        app()
    except SystemExit as exc:
        # click ends `--help` or `--version` to a reader gone away (`| head`) with exit 1, our
        # "findings", and marks stdout so; it is exit 2 here, as for the commands
        if exc.code == 1 and type(sys.stdout).__name__ == "PacifyFlushWrapper":
            _quiet_stdout()
            raise SystemExit(EXIT_ERROR) from None
        raise
    except Exception as exc:  # (with --traceback; outside a command, as --version to a full
        # disk; or where stderr itself failed)
        if isinstance(exc, CaseloadError) and not _state["traceback"]:
            _report(exc)
        else:
            try:
                traceback_module.print_exception(exc)
            except Exception:
                pass
        raise SystemExit(getattr(exc, "exit_code", EXIT_ERROR)) from None


if __name__ == "__main__":  # pragma: no cover
    main()
