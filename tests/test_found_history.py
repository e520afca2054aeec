"""Bugs found by adversarial testing of per-branch counts (report.py `_branch_counts`) and the
shared weekly history (history.py `record`/`trends`); each failed on the code of its day."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from typer.testing import CliRunner

from caseload.cli import app
from tests.conftest import FIRST_HISTORY_SCHEMA, write_file


def _write(path: Path, text: str) -> str:
    return str(write_file(path, text))


AS_OF = "2026-11-20"
runner = CliRunner()




def _check(officers: str, clients: str, *extra: str) -> dict:
    result = runner.invoke(app, ["check", officers, clients, "--as-of", AS_OF, "-f", "json",
                                 *extra])
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


def _sums(doc: dict) -> tuple[dict, dict]:
    s = doc["summary"]
    got = {k: sum(b[k] for b in doc["branches"])
           for k in ("clients", "orphaned", "near", "roster_officers")}
    want = {"clients": s["clients"], "orphaned": s["orphaned"], "near": s["near"],
            "roster_officers": s["officers"]}
    return got, want


def _snapshots(history: str) -> list[dict]:
    result = runner.invoke(app, ["history", "--history", history, "-f", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["snapshots"]


def test_branches_without_clients_or_active_officers_lose_their_roster_officers(tmp_path):
    """A branch whose only officer departed (or is on leave) and has no clients is left out of
    `branches` (report.py:155 keeps an extra branch only `if ... c["clients"]`), so
    `roster_officers` summed over the branches is 1 while `summary.officers` is 3, and the
    history's week `officers` (sum of `roster`) undercounts too. README: they add up.
    """
    officers = _write(tmp_path / "o.csv", "officer_id,name,branch,status\n"
                      "1,A1,A,active\n2,B1,B,调离\n3,C1,C,休假\n")
    clients = _write(tmp_path / "c.csv", "client_id,officer_id,branch\nx1,1,A\nx2,1,A\n")
    got, want = _sums(_check(officers, clients))
    assert got == want


def test_clients_of_a_skipped_roster_row_are_in_no_branch(tmp_path):
    """With --skip-bad-rows, clients of an officer whose roster row was left out count in
    `summary.unknown_officer`/`orphaned`/`clients` but in no branch: `_branch_counts` takes
    orphans from `work.movable` (report.py:113), which leaves these `held` clients out
    (workload.py `losing` excludes `held`). Branches sum to 2 clients / 0 orphaned against a
    summary of 6 / 4; they should add up (the held clients in their branch's orphans).
    """
    officers = _write(tmp_path / "o.csv", "officer_id,name,branch,status\n"
                      "1,A1,A,active\n2,A2,A,bogus\n3,B1,B,active\n")
    clients = _write(tmp_path / "c.csv", "client_id,officer_id,branch\n"
                     + "".join(f"x{i},2,A\n" for i in range(4)) + "y1,1,A\ny2,3,B\n")
    got, want = _sums(_check(officers, clients, "--skip-bad-rows"))
    assert got == want


def test_a_branch_run_does_not_wipe_another_branchs_week(tmp_path):
    """Head office records the whole bank (A: 1 client; B: 3 clients + 1 orphan, officer B1),
    then branch A's cron job records A's export the same day. A's book holds a departed A
    officer's client whose own branch is B, so A's report has a B row (1 orphan) and `record`
    deletes and replaces B's whole-bank row with it (history.py DELETE FROM branch_weeks per
    b["branch_key"]): the week shows 2 clients and 2 officers instead of 5 and 3, and B1 and
    his 3 clients vanish from the week. A run should not replace a branch it has no officers
    of (or should add to it), and the week's totals should stay 5 clients, 3 officers.
    """
    history = str(tmp_path / "h.sqlite")
    _check(_write(tmp_path / "all_o.csv", "officer_id,name,branch,status\n"
                  "1,A1,A,active\n2,A2,A,调离\n3,B1,B,active\n"),
           _write(tmp_path / "all_c.csv", "client_id,officer_id,branch\n"
                  "x1,1,A\nx2,2,B\ny1,3,B\ny2,3,B\ny3,3,B\n"), "--history", history)
    _check(_write(tmp_path / "a" / "o.csv", "officer_id,name,branch,status\n"
                  "1,A1,A,active\n2,A2,A,调离\n"),
           _write(tmp_path / "a" / "c.csv", "client_id,officer_id,branch\nx1,1,A\nx2,2,B\n"),
           "--history", history)
    [week] = _snapshots(history)
    assert (week["clients"], week["officers"]) == (5, 3)


def test_the_same_branch_is_not_counted_twice_under_its_code_and_its_name(tmp_path):
    """The same roster (with 机构号) and book recorded twice the same day, once with a client
    export carrying the branch code and once with one that does not: branch keys switch from
    the code to the name (workload.py `branch_keys_use_ids` looks at the client export), so
    `record` files the branch as '3201' and as '城关' and the week counts it twice (4 clients,
    2 officers for a branch of 1 officer and 2 clients). Re-running the same branch should
    replace its week (README: a run replaces what was recorded that day for its branches).
    """
    history = str(tmp_path / "h.sqlite")
    officers = _write(tmp_path / "o.csv", "officer_id,name,branch,branch_id,status\n"
                      "1,A1,城关,3201,active\n")
    _check(officers, _write(tmp_path / "c1.csv", "client_id,officer_id,branch,branch_id\n"
                            "x1,1,城关,3201\nx2,1,城关,3201\n"), "--history", history)
    _check(officers, _write(tmp_path / "c2.csv", "client_id,officer_id,branch\n"
                            "x1,1,城关\nx2,1,城关\n"), "--history", history)
    [week] = _snapshots(history)
    assert (week["clients"], week["officers"]) == (2, 1)


def test_an_upgraded_history_keeps_the_officers_of_its_old_branch_rows(tmp_path):
    """An earlier-version history holds branch B for the week (2 officers, one near; both in
    officer_weeks). Another branch's run records the same day: `_upgrade` added `roster` and
    `near` as 0 (history.py _ADDED) without filling them from officer_weeks, and the week's
    totals are re-summed from branch rows, so the week shows 1 officer and 0 near instead of
    3 and 1. The upgrade should fill old rows' roster/near from officer_weeks.
    """
    history = tmp_path / "old.sqlite"
    old = sqlite3.connect(history)
    old.executescript(FIRST_HISTORY_SCHEMA + """
        INSERT INTO officer_weeks VALUES ('2026-11-20','B1','b1','B','B','active',310,300,1,0);
        INSERT INTO officer_weeks VALUES ('2026-11-20','B2','b2','B','B','active',290,300,0,1);
        INSERT INTO branch_weeks VALUES ('2026-11-20', 'B', 'B', 2, 600, 310, 1, 0);
        INSERT INTO snapshots VALUES ('2026-11-20', 300, 600, 2, 1, 1, 0);
    """)
    old.commit()
    old.close()
    _check(_write(tmp_path / "o.csv", "officer_id,name,branch,status\nA1,a1,A,active\n"),
           _write(tmp_path / "c.csv", "client_id,officer_id,branch\nx1,A1,A\n"),
           "--history", str(history))
    [week] = _snapshots(str(history))
    assert (week["clients"], week["officers"], week["near"]) == (601, 3, 1)


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
