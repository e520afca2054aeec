"""Shared fixtures: the committed sample data, a CLI runner at a fixed width without colour."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"
GOLDEN = Path(__file__).resolve().parent / "golden"
AS_OF = "2026-11-20"


def _isolated(monkeypatch: pytest.MonkeyPatch, folder: Path, columns: int) -> CliRunner:
    """A CliRunner run in `folder` at a fixed width, without colour, locale or anyone's own
    CASELOAD_ settings."""
    monkeypatch.setenv("COLUMNS", str(columns))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("LANG", raising=False)
    monkeypatch.delenv("LC_ALL", raising=False)
    for var in [v for v in os.environ if v.startswith("CASELOAD_")]:
        monkeypatch.delenv(var)
    monkeypatch.chdir(folder)
    return CliRunner()


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    return _isolated(monkeypatch, ROOT, 100)


@pytest.fixture
def tmp_runner(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    """`runner` in the test's own folder (no caseload.toml of anyone else's), 120 wide."""
    return _isolated(monkeypatch, tmp_path, 120)


def assert_golden(name: str, text: str) -> None:
    """Compare with tests/golden/NAME; UPDATE_GOLDEN=1 rewrites it (review the diff!)."""
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"missing golden file {path}; run with UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8")


def write_exports(folder: Path, roster: str, book: str) -> tuple[Path, Path]:
    """A roster and a client book written as UTF-8 CSV files in `folder`: (officers, clients)."""
    officers, clients = folder / "officers.csv", folder / "clients.csv"
    officers.write_text(roster, encoding="utf-8")
    clients.write_text(book, encoding="utf-8")
    return officers, clients


def write_file(path: Path, text: str, encoding: str = "utf-8") -> Path:
    """`text` written at `path` in `encoding`, its folder made: an export built by hand."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


# The history file of the first release: branch rows without `near` and `roster`.
FIRST_HISTORY_SCHEMA = """
    CREATE TABLE officer_weeks (as_of TEXT NOT NULL, officer_id TEXT NOT NULL, name TEXT,
        branch_key TEXT, branch TEXT, status TEXT NOT NULL, accounts INTEGER NOT NULL,
        capacity INTEGER NOT NULL, over INTEGER NOT NULL, near INTEGER NOT NULL,
        PRIMARY KEY (as_of, officer_id));
    CREATE TABLE branch_weeks (as_of TEXT NOT NULL, branch_key TEXT NOT NULL, branch TEXT,
        officers INTEGER NOT NULL, accounts INTEGER NOT NULL, max_load INTEGER NOT NULL,
        over INTEGER NOT NULL, orphaned INTEGER NOT NULL, PRIMARY KEY (as_of, branch_key));
    CREATE TABLE snapshots (as_of TEXT PRIMARY KEY, threshold INTEGER NOT NULL,
        clients INTEGER NOT NULL, officers INTEGER NOT NULL, over INTEGER NOT NULL,
        near INTEGER NOT NULL, orphaned INTEGER NOT NULL);
"""
