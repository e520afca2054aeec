"""Boundaries that a mutation run of the suite found unguarded: each test here fails on a
one-character change to the rule it names (a `<` for a `<=`, an order of arguments), which
the rest of the suite let through or caught only by a golden file or a slow property test.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from caseload.cli import app
from caseload.load import detect_encoding
from tests.conftest import AS_OF as CLI_AS_OF
from tests.test_cli_check import write_pair
from tests.test_plan_cases import AS_OF, book, client, moved, officer, plan_for

# ---------------------------------------------------------------- the planner


def test_own_branch_room_exactly_the_excess_crosses_no_branch():
    # A over by 2; exactly two singles fit B and C in A's branch; a household of 2
    # (preferred: shorter relationship) fits only D in another branch of the region
    officers = [officer("A", capacity=5, region="东"), officer("B", capacity=5, region="东"),
                officer("C", capacity=5, region="东"),
                officer("D", "河口支行", capacity=5, region="东")]
    clients = (book("A", 2, prefix="H", group_id="G1", assigned_since=AS_OF - dt.timedelta(days=200))
               + book("A", 2, prefix="S", assigned_since=AS_OF - dt.timedelta(days=3000))
               + book("A", 3, prefix="P", pinned=True)
               + book("B", 4) + book("C", 4))
    _, plan = plan_for(officers, clients, scope="region")
    assert set(moved(plan)) == {"S0000", "S0001"}
    assert not plan.moves["crosses_branch"].any()


def test_when_recent_must_move_settled_ones_go_first_among_equal_totals():
    recent_new = AS_OF - dt.timedelta(days=10)
    recent_old = AS_OF - dt.timedelta(days=60)
    clients = ([client("s1", "A")]
               + book("A", 2, prefix="F", group_id="G1", assigned_since=recent_new)
               + [client("f1", "A", assigned_since=recent_old), client("p1", "A", pinned=True)])
    # excess 2: {F0000, F0001} or {s1, f1}: the one with a settled client moves fewer recent
    _, plan = plan_for([officer("A", capacity=3), officer("B", capacity=10)], clients)
    assert set(moved(plan)) == {"s1", "f1"}


def test_leaving_households_are_placed_largest_first_so_all_fit():
    # A is 3 over; a household of 2 and a single must go. B has room 2 (8/10), C room 1
    # (9/10): the household first to B, the single to C; single-first would fill B's room
    officers = [officer("A", capacity=1), officer("B", capacity=10), officer("C", capacity=10)]
    clients = (book("A", 2, prefix="G", group_id="G1") + [client("s1", "A")]
               + [client("p1", "A", pinned=True)] + book("B", 8) + book("C", 9))
    _, plan = plan_for(officers, clients)
    assert moved(plan) == {"G0000": "B", "G0001": "B", "s1": "C"}
    assert plan.still_over.is_empty()


def test_orphans_are_placed_largest_household_first_so_all_fit():
    officers = [officer("B", capacity=10), officer("C", capacity=10),
                officer("X", status="departed")]
    clients = (book("X", 2, prefix="G", group_id="G1") + [client("o1", "X")]
               + book("B", 8) + book("C", 9))
    _, plan = plan_for(officers, clients)
    assert moved(plan) == {"G0000": "B", "G0001": "B", "o1": "C"}
    assert plan.unplaced.is_empty()


# ---------------------------------------------------------------- counting


@pytest.mark.parametrize(("n", "near"), [(269, False), (270, True), (300, True), (301, False)])
def test_near_starts_at_exactly_90_percent(n, near):
    work, _ = plan_for([officer("A"), officer("B")], book("A", n))
    row = work.officers.filter(pl.col("officer_id") == "A").row(0, named=True)
    assert row["near"] is near
    assert work.summary["near"] == int(near)


def test_an_officer_on_leave_over_the_limit_is_not_over_and_not_relieved():
    work, plan = plan_for([officer("A", status="leave"), officer("B")], book("A", 305))
    a = work.officers.filter(pl.col("officer_id") == "A").row(0, named=True)
    assert a["over"] is False and a["near"] is False
    assert work.summary["over"] == 0 and work.summary["excess"] == 0
    assert plan.moves.is_empty()


# ---------------------------------------------------------------- reading


def test_a_utf8_bom_is_detected_as_utf8_sig(tmp_path):
    p = tmp_path / "c.csv"
    p.write_bytes("\ufeff客户号,客户经理工号\nC1,001\n".encode("utf-8"))
    assert detect_encoding(p) == "utf-8-sig"


# ---------------------------------------------------------------- exit codes and apply


def test_plan_exits_1_when_an_officer_stays_over_for_pinned_clients(runner, tmp_path):
    roster = ["officer_id,name,branch,status", "001,甲,B1,active", "002,乙,B1,active"]
    clients = (["client_id,officer_id,branch,pinned"]
               + [f"C{i:06d},001,B1,是" for i in range(12)])
    files = write_pair(tmp_path, roster, clients)
    out = tmp_path / "plan.csv"
    result = runner.invoke(app, ["plan", *files, "-o", str(out), "--as-of", CLI_AS_OF,
                                 "--threshold", "10"])
    assert result.exit_code == 1, result.output  # 001 still 2 over: pinned clients stay


def test_apply_does_not_flag_a_receiver_filled_exactly_to_its_limit(runner, tmp_path):
    roster = ["officer_id,name,branch,status,capacity", "001,甲,B1,active,10",
              "002,乙,B1,active,10"]
    clients = (["client_id,officer_id,branch"] + [f"C{i:06d},001,B1" for i in range(11)]
               + [f"D{i:06d},002,B1" for i in range(9)])
    officers, book = write_pair(tmp_path, roster, clients)
    plan = tmp_path / "moves.csv"
    plan.write_text("client_id,from_officer_id,to_officer_id\nC000000,001,002\n", encoding="utf-8")
    out = tmp_path / "after.csv"
    result = runner.invoke(app, ["apply", book, str(plan), "--out", str(out),
                                 "--officers", officers])
    assert result.exit_code == 0, result.output
    row = next(ln for ln in result.stdout.splitlines() if ln.strip().startswith("002"))
    assert "10" in row and "OVER" not in row
    row = next(ln for ln in result.stdout.splitlines() if ln.strip().startswith("001"))
    assert "OVER" not in row
