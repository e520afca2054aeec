"""Review of 844ea09..HEAD (os._exit at the end of main, polars engine contexts, the head read
for header detection, Python line counts, one-pass tidying, typed caseload.toml numbers,
English still_over[].why, two numeric rows in the workbook's Summary).

Most of the changes behaved exactly as the old code on every input tried (corpus, forced
encodings, --low-memory with small slices, Parquet parts, 100k/1M books, edge files: BOM only,
CR only, blank heads, header cells with line breaks, --header-row past 36, bad bytes after
64 KB, /dev/full, closed pipes). What is left are two points about process-wide state, both
only visible to a program that runs caseload in its own process (both fixed: a fresh
polars config per call; `os._exit` only in the console script's `entry`).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

from tests.conftest import AS_OF, ROOT, SAMPLE


def _python(code: str, tmp_path) -> subprocess.CompletedProcess:
    """`code` run by a fresh interpreter (fresh imports: module-level state starts clean)."""
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "NO_COLOR": "1",
           "COLUMNS": "100", "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "xdg")}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=tmp_path,
                          capture_output=True, text=True, env=env, timeout=120)


def test_a_check_run_in_process_keeps_the_callers_polars_settings(tmp_path):
    """What the user sees: a script (or a test) that imports caseload, sets its own polars
    options (`pl.Config.set_tbl_rows(33)`, `set_engine_affinity("streaming")`) and then runs a
    check finds both options gone afterwards: POLARS_FMT_MAX_ROWS and POLARS_ENGINE_AFFINITY
    are unset, as they were when `caseload.check` was imported.

    Why it is wrong: `caseload.engines.in_memory()` promises queries *inside* run on the
    in-memory engine; a context manager or decorator should leave the settings as it found
    them on entry, not as they were at import time.

    Probable cause: `@in_memory()` on `check.run` (and `plan_file.plan_frame`) builds one
    `pl.Config(..., apply_on_context_enter=True)` at import; polars' `Config.__init__` saves
    the state then, and the first `__enter__` keeps that saved state (`self._original_state
    or self.save()`), so the first `__exit__` does `restore_defaults().load(<import-time
    state>)`, wiping whatever the caller set in between. (A fresh Config per call, as
    `for_reading` makes, does not have this problem.)
    """
    done = _python(f"""
        import os
        import polars as pl
        from typer.testing import CliRunner
        import caseload.check  # noqa: F401  (imported first, as a script would)
        from caseload.cli import app

        pl.Config.set_tbl_rows(33)
        pl.Config.set_engine_affinity("streaming")
        result = CliRunner().invoke(app, ["check", {str(SAMPLE / "officers.csv")!r},
                                          {str(SAMPLE / "clients.csv")!r},
                                          "--as-of", {AS_OF!r}, "-q"])
        print(result.exit_code, os.environ.get("POLARS_FMT_MAX_ROWS"),
              os.environ.get("POLARS_ENGINE_AFFINITY"))
    """, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1", "33", "streaming"], done.stdout


def test_main_called_from_python_raises_systemexit_instead_of_ending_the_caller(tmp_path):
    """What the user sees: a head-office wrapper that runs the check for each branch by
    calling `caseload.cli.main()` (catching `SystemExit` to collect the exit codes, as is
    usual for a console entry point) stops dead after the first branch: nothing after
    `main()` runs, no `except SystemExit`, no `finally`, no atexit handler of the caller
    (coverage data, log handlers).

    Why it is wrong: a function that ends with `sys.exit` semantics (raising SystemExit) lets
    its caller decide; `os._exit` ends the whole process, the caller's included, without its
    cleanup.

    Probable cause: `cli.main()` now catches SystemExit and calls `_exit_now` ->
    `os._exit(code)` whenever the code is an int and the streams flush; the speed-up (skipping
    polars' teardown) belongs in the console script's own process only, e.g. behind
    `if __name__ == "__main__"` or a separate entry function for the installed command.
    """
    done = _python("""
        import sys
        from caseload import cli

        sys.argv = ["caseload", "--version"]
        try:
            cli.main()
        except SystemExit as exc:
            print("caller continues, exit code", exc.code)
        finally:
            print("caller's finally ran")
    """, tmp_path)
    assert "caller continues, exit code 0" in done.stdout, (done.stdout, done.stderr)
    assert "caller's finally ran" in done.stdout, (done.stdout, done.stderr)


def test_version_and_help_to_a_reader_gone_away_exit_2_as_the_commands_do(tmp_path):
    """What the user sees: `caseload --version | true` (the reader gone before anything is
    written) exited 1, which for caseload means "findings", while every command exits 2 and
    README says a reader that goes away ends the run quietly with exit 2.

    Cause: click ends --help and --version itself on a broken pipe, with exit 1; `main`
    now turns that into 2."""
    import os

    for args in (["--version"], ["--help"], ["check", "--help"]):
        read_end, write_end = os.pipe()
        os.close(read_end)  # (gone before the command starts: no race)
        try:
            done = subprocess.run([sys.executable, "-m", "caseload.cli", *args], cwd=tmp_path,
                                  stdout=write_end, stderr=subprocess.PIPE, text=True,
                                  env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60)
        finally:
            os.close(write_end)
        assert done.returncode == 2, (args, done.returncode, done.stderr)
        assert done.stderr == "", (args, done.stderr)
