"""The installed command's own process: `caseload.__main__` (and `python -m caseload`)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _python(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "NO_COLOR": "1", "COLUMNS": "100",
           "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "xdg")}
    return subprocess.run([sys.executable, *args], cwd=tmp_path, capture_output=True,
                          text=True, env=env, timeout=120)


def test_the_installed_command_is_the_entry_module():
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "scripts"]
    assert scripts == {"caseload": "caseload.__main__:entry"}


def test_python_m_caseload_runs_the_command(tmp_path):
    done = _python(["-m", "caseload", "check", str(ROOT / "sample_data/officers.csv"),
                    str(ROOT / "sample_data/clients.csv"), "--as-of", "2026-11-20",
                    "--format", "json"], tmp_path)
    assert done.returncode == 1, done.stderr  # (the sample's findings)
    assert json.loads(done.stdout)["summary"]["clients"] == 6980 and done.stderr == ""


def test_the_command_runs_without_the_cycle_collector_and_a_caller_keeps_it(tmp_path):
    """The collector is off in the command's process (its passes cost time, see the module),
    from before the imports; importing `caseload.cli` into a program leaves the program's on."""
    code = textwrap.dedent("""
        import gc, runpy, sys
        import caseload.cli
        print("library:", gc.isenabled())
        sys.argv = ["caseload", "--version"]
        try:
            runpy.run_module("caseload", run_name="__main__")
        finally:
            print("unreachable: the command ends its process")
    """)
    done = _python(["-c", code], tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["library: True", "caseload 0.1.0"]
    probe = _python(["-c", "import gc, caseload.__main__; print(gc.isenabled())"], tmp_path)
    assert probe.stdout.strip() == "True", probe.stderr  # (imported, not run)
    probe = _python(["-c", textwrap.dedent("""
        import gc, sys
        import caseload.cli
        caseload.cli.main = lambda: print(gc.isenabled(), "typer" in sys.modules)
        from caseload.__main__ import entry
        entry()
    """)], tmp_path)
    assert probe.stdout.strip() == "False True", probe.stderr
