"""Bugs found by adversarial testing of the shared weekly history (history.py `record`,
`scope_of`, `trends`); each failed on the code of its day."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from caseload.cli import app

AS_OF = "2026-11-20"
runner = CliRunner()


def _write(path: Path, text: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_report_of_a_branch_with_a_branch_code_shows_its_history(tmp_path):
    """The roster has a branch code (branch_id/机构号), the client export only the branch name.
    `record` files the branch under its code ("01", history.py `code` map), but `scope_of`
    (history.py:205) files it under the report's branch_key (the name "城关支行") without that
    map, so `trends(within=...)` finds no week of the branch and the HTML report made with
    `--history` has no history section at all. It should show the branch's recorded weeks.
    """
    officers = _write(tmp_path / "o.csv", "officer_id,name,branch,branch_id,status\n"
                      "1,A1,城关支行,01,active\n2,A2,城关支行,01,active\n")
    clients = _write(tmp_path / "c.csv", "client_id,officer_id,branch\n"
                     "x1,1,城关支行\nx2,1,城关支行\nx3,2,城关支行\n")
    history, report = str(tmp_path / "h.sqlite"), tmp_path / "a.html"
    for day in ("2026-11-13", AS_OF):
        args = ["check", officers, clients, "--as-of", day, "--history", history, "-q"]
        if day == AS_OF:
            args += ["--report", str(report)]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
    assert 'id="trend"' in report.read_text(encoding="utf-8")
