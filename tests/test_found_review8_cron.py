"""Review 8: caseload run from cron and shell scripts, on servers that are not a terminal.

Every test runs the real command in a subprocess (`python -m caseload.cli`), because what is
under test is the process's environment: its streams (closed, a full disk, a pipe whose reader
went away), its locale encoding, its exit code. Output to a full disk is only ever a shell
redirection (`>/dev/full`); no test writes to or renames onto anything under /dev.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import AS_OF, ROOT, SAMPLE

OFFICERS = str(SAMPLE / "officers.csv")
CLIENTS = str(SAMPLE / "clients.csv")


def _env(**extra: str) -> dict[str, str]:
    """A cron-like environment: no locale, no colour, nobody's CASELOAD_ settings."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("CASELOAD_") and k not in ("LANG", "LC_ALL", "COLUMNS",
                                                          "PYTHONIOENCODING")}
    env["NO_COLOR"] = "1"
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


def _cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "caseload.cli", *args]


def _run(*args: str, cwd: Path | None = None, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(_cmd(*args), capture_output=True, env=_env(**env),
                          cwd=cwd or ROOT, timeout=120)


def _sh(script: str, *args: str, cwd: Path | None = None, **env: str) -> subprocess.CompletedProcess:
    """`script` run by sh with "$@" = the caseload command and `args` (for redirections such as
    `2>&-` or `>/dev/full`, done by the shell)."""
    return subprocess.run(["sh", "-c", script, "sh", *_cmd(*args)], capture_output=True,
                          env=_env(**env), cwd=cwd or ROOT, timeout=120)


# ---------------------------------------------------------------- streams


def test_check_json_with_stderr_closed_still_writes_the_document(tmp_path: Path) -> None:
    """`caseload check o.csv c.csv --format json 2>&-` (a script that closes stderr, or a daemon
    started without one) prints nothing on stdout and exits 2, "could not run", although the
    check ran fine. The spinner guard `_status` calls `sys.stderr.isatty()` and sys.stderr is
    None when fd 2 is closed (AttributeError, then the error boundary cannot even say so).
    Nothing needs stderr here: the sample has no notes. Expected: the JSON document, exit 1.
    """
    out = tmp_path / "check.json"
    done = _sh(f'"$@" 2>&- >"{out}"', "check", OFFICERS, CLIENTS, "--as-of", AS_OF,
               "--format", "json")
    assert done.returncode == 1, done.returncode
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["summary"]["clients"] == 6980


def test_check_table_with_stderr_closed_still_prints(tmp_path: Path) -> None:
    """The same with the default table (`caseload check … 2>&- | mail`): the mail is empty and
    the exit code says the check could not run (2); the table should be there, exit 1."""
    out = tmp_path / "check.txt"
    done = _sh(f'"$@" 2>&- >"{out}"', "check", OFFICERS, CLIENTS, "--as-of", AS_OF)
    assert done.returncode == 1, done.returncode
    assert "Over the limit" in out.read_text(encoding="utf-8")


def test_error_with_stderr_on_a_full_disk_exits_2_not_1() -> None:
    """A missing client export with stderr going to a log on a full disk
    (`caseload check o.csv missing.csv 2>>/var/log/caseload.log`, disk full) exits 1, the code
    README reserves for "findings: someone over the limit", not 2 "could not run". Writing the
    error line fails inside `cli._errors`'s `except CaseloadError` branch; the OSError escapes
    the boundary and Python's own last-resort handler exits 1. A script that mails findings on
    1 then reports a branch with problems that were never checked."""
    done = _sh('"$@" 2>/dev/full', "check", OFFICERS, "no-such-clients.csv", "--as-of", AS_OF)
    assert done.returncode == 2, done.returncode


def test_stdout_on_a_full_disk_says_so_not_internal_error() -> None:
    """`caseload check … --format json > /srv/out/check.json` on a full disk: stderr says
    `caseload: internal error (OSError); rerun with --traceback and report it`. That is not a
    bug of caseload but a full disk; README promises errors are one line naming the file and the
    problem. Expected (exit 2 either way): a line naming stdout and "No space left on device",
    not a request to report a bug."""
    done = _sh('"$@" >/dev/full', "check", OFFICERS, CLIENTS, "--as-of", AS_OF,
               "--format", "json")
    err = done.stderr.decode("utf-8", "replace")
    assert done.returncode == 2, done.returncode
    assert "internal error" not in err, err
    assert "No space left on device" in err, err


def test_json_into_a_closed_pipe_is_not_an_internal_error() -> None:
    """`caseload check … --format json | some-script` where the script exits early (it found
    what it wanted, or crashed): caseload says `internal error (BrokenPipeError); rerun with
    --traceback and report it` and exits 2. A closed pipe is not a caseload bug; tools in a
    pipeline conventionally stop quietly (or say `stdout: broken pipe`). The table format in the
    same situation exits 1 without a word, so the formats also disagree."""
    proc = subprocess.Popen(_cmd("check", OFFICERS, CLIENTS, "--as-of", AS_OF, "--format", "json"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env(), cwd=ROOT)
    proc.stdout.close()  # the reader is gone before anything is written
    err = proc.stderr.read().decode("utf-8", "replace")
    proc.stderr.close()
    proc.wait(timeout=120)
    assert "internal error" not in err, err
    assert proc.returncode == 2


# ---------------------------------------------------------------- --traceback / CASELOAD_TRACEBACK


def test_traceback_env_keeps_exit_code_2_for_a_missing_file() -> None:
    """With `CASELOAD_TRACEBACK=1` in the cron environment (README suggests it when reporting a
    bug), a missing export exits 1 ("findings") instead of 2: `_errors` re-raises the
    CaseloadError and the interpreter's uncaught-exception exit status is 1. The traceback is
    welcome; the exit code must still be 2, or the script mails a "findings" week that was
    never checked."""
    done = _run("check", OFFICERS, "no-such-clients.csv", "--as-of", AS_OF,
                CASELOAD_TRACEBACK="1")
    assert b"no such file" in done.stderr
    assert done.returncode == 2, done.returncode


def test_traceback_flag_with_exit_zero_still_exits_2_on_error() -> None:
    """`caseload --traceback check … --exit-zero` with a missing export exits 1, although
    `--exit-zero` is meant to leave only 0 (ran) and 2 (could not run). Same cause as above
    (`cli._errors` re-raises; `main()` lets the interpreter pick exit status 1)."""
    done = _run("--traceback", "check", OFFICERS, "no-such-clients.csv", "--as-of", AS_OF,
                "--exit-zero")
    assert done.returncode == 2, done.returncode


def test_caseload_traceback_zero_means_off() -> None:
    """`CASELOAD_TRACEBACK=0` (a deployment that writes the switch off explicitly) turns
    tracebacks ON: `_main` uses `bool(os.environ.get(...))`, and "0" is a non-empty string.
    Tracebacks are what README keeps out of cron mail (they may carry client data), so a value
    meant as off should not enable them."""
    done = _run("check", OFFICERS, "no-such-clients.csv", "--as-of", AS_OF,
                CASELOAD_TRACEBACK="0")
    assert b"Traceback" not in done.stderr, done.stderr.decode("utf-8", "replace")[-400:]


# ---------------------------------------------------------------- encodings


def test_help_on_a_latin1_stdout_does_not_crash() -> None:
    """`caseload --help` where stdout is not UTF-8 and lacks Chinese (a Latin-1 / cp1252
    console or an old server's `LANG=de_DE.ISO-8859-1`, here PYTHONIOENCODING=latin-1) dies
    with a Python traceback (UnicodeEncodeError on "管户") and exit 1. README: where stdout is
    not UTF-8, characters the encoding lacks are replaced, never a crash. The help is printed by
    click before any caseload code runs, so `main()` has to make the streams forgiving
    (`reconfigure(errors="replace")`) before calling the app."""
    done = _run("--help", PYTHONIOENCODING="latin-1")
    assert b"Traceback" not in done.stderr, done.stderr.decode("utf-8", "replace")[-300:]
    assert done.returncode == 0, done.returncode


def test_check_help_on_a_latin1_stdout_does_not_crash() -> None:
    """`caseload check --help` likewise: traceback, exit 1 (the option help has 初级=150)."""
    done = _run("check", "--help", PYTHONIOENCODING="latin-1")
    assert b"Traceback" not in done.stderr, done.stderr.decode("utf-8", "replace")[-300:]
    assert done.returncode == 0, done.returncode


def test_config_show_on_a_latin1_stdout_does_not_crash(tmp_path: Path) -> None:
    """`caseload config show` with a caseload.toml holding a Chinese grade name, on a stdout
    that is not UTF-8 (Latin-1): prints the first line, then `caseload: internal error
    (UnicodeEncodeError)` and exit 2. `config_show` writes with `typer.echo` on the raw stdout,
    not through `_safe_stream` like the tables. (`check` in the same place works: its tables
    replace what the encoding lacks.)"""
    (tmp_path / "caseload.toml").write_text('threshold = 280\n[grade_limits]\n"初级" = 150\n',
                                            encoding="utf-8")
    done = _run("config", "show", cwd=tmp_path, PYTHONIOENCODING="latin-1")
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")
    assert b"threshold = 280" in done.stdout


# ---------------------------------------------------------------- inputs and outputs


def test_clients_from_a_pipe_are_not_called_empty() -> None:
    """`zcat clients.csv.gz | caseload check officers.csv /dev/stdin` (or
    `caseload check officers.csv <(zcat clients.csv.gz)`) says
    `caseload: error: /dev/stdin: is empty` and exits 2. The stream held 6,983 lines: the
    loader opens the path more than once (`load._check_path` reads a byte, then the reader
    opens it again), and a pipe read once is gone. Either read it (the same check as from the
    file, exit 1) or refuse it truthfully ("is a pipe, not a file"); "is empty" sends the
    operator looking for an export that was in fact fine. (Only /dev/stdin is read here.)"""
    data = (SAMPLE / "clients.csv").read_bytes()
    done = subprocess.run(_cmd("check", OFFICERS, "/dev/stdin", "--as-of", AS_OF, "-q"),
                          input=data, capture_output=True, env=_env(), cwd=ROOT, timeout=120)
    err = done.stderr.decode("utf-8", "replace")
    assert "is empty" not in err, err
    assert done.returncode == 2 and "/dev/stdin: is a pipe or a device, not a file" in err, err


def test_plan_to_stdout_link_does_not_replace_the_log_it_is_appended_to(tmp_path: Path) -> None:
    """`caseload plan o.csv c.csv -o /dev/stdout --force >> /var/log/caseload.log` replaces the
    whole log with the plan: the earlier lines are gone, and the plan's summary tables, printed
    to stdout afterwards, go to the unlinked old file and are lost too. `output.atomic_writer`
    resolves the link (/dev/stdout -> /proc/self/fd/1 -> the log) and renames a temporary file
    over the regular file it finds there. Writing through a link into a process's own fd should
    write into the stream, as it already does for a pipe.

    (The test uses its own link to /proc/self/fd/1, exactly what /dev/stdout is, so that nothing
    under /dev is written.)"""
    link = tmp_path / "stdout.csv"
    link.symlink_to("/proc/self/fd/1")
    log = tmp_path / "caseload.log"
    log.write_text("earlier run: ok\n", encoding="utf-8")
    with log.open("ab") as fh:
        done = subprocess.run(_cmd("plan", OFFICERS, CLIENTS, "--as-of", AS_OF, "-o", str(link),
                                   "--force"),
                              stdout=fh, stderr=subprocess.PIPE, env=_env(), cwd=ROOT,
                              timeout=120)
    assert done.returncode == 1, done.stderr.decode("utf-8", "replace")
    text = log.read_text(encoding="utf-8-sig", errors="replace")
    assert text.startswith("earlier run: ok\n"), text[:200]
    assert "client moves written to" in text


def test_file_name_in_left_out_table_not_cut_at_80_columns(tmp_path: Path) -> None:
    """With `COLUMNS=80` (set by many login shells and often copied into cron environments) the
    "Rows left out or folded" table of a cron mail shows
    `/work/main/sample_data/clients.c…`: the file that has the skipped line is cut off. README's
    cron example uses absolute paths; at the default 100 columns a path only a little longer
    (/data/exports/城关支行/2026-11-20/clients.csv) is cut the same way. A path should wrap or go
    on a line of its own, not be elided."""
    done = _run("check", OFFICERS, CLIENTS, "--as-of", AS_OF, COLUMNS="80")
    text = done.stdout.decode("utf-8")
    assert done.returncode == 1
    assert "…" not in text, [line for line in text.splitlines() if "…" in line]


def test_report_is_written_even_when_the_mail_pipe_is_gone(tmp_path: Path) -> None:
    """README's cron line: `caseload check … --format markdown --report /srv/reports/x.html
    --exit-zero 2>&1 | mail …`. When the mail command is missing from cron's short PATH (or
    exits early), caseload dies on the broken pipe *before* writing the HTML report:
    `check` emits stdout first (`_emit_check`) and writes `--report` after, so the meeting's
    report is missing although the week was read, planned and even recorded in the history.
    A file the user asked for should not depend on whether someone read stdout."""
    report = tmp_path / "caseload.html"
    proc = subprocess.Popen(_cmd("check", OFFICERS, CLIENTS, "--as-of", AS_OF, "--format",
                                 "markdown", "--report", str(report), "--exit-zero"),
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=_env(),
                            cwd=ROOT)
    proc.stdout.close()  # the mail command is gone before anything is written
    proc.wait(timeout=120)
    assert report.exists()
