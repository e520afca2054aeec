"""Ninth review: the reassignment planner against its rules (README "The plan's rules") and its
own explanations, on small hand-built and generated instances checked by brute force.

Each test is a case where the plan breaks a promised rule or says something about itself that
is not true. Points where the README can be read either way are marked xfail ("arguable").
Frames are built as `validate` hands them over (tests.plan_frames / test_plan_properties).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caseload.columns import NON_PERFORMING
from caseload.config import Settings
from tests.test_plan_properties import AS_OF, clients_frame, officers_frame, run

NO_ROOM = "no receiver with room within the allowed scope"


def officer(oid: str, branch: int, capacity: int, region: str | None = "R1", **extra) -> dict:
    return {"officer_id": oid, "name": f"o{oid}", "branch": f"支行{branch}",
            "branch_id": f"32{branch:02d}", "region": region, "capacity": capacity, **extra}


def client(cid: str, oid: str | None, branch: int | None, age: int = 1000, **extra) -> dict:
    """A client handed to its officer `age` days before AS_OF."""
    return {"client_id": cid, "officer_id": oid,
            "branch": None if branch is None else f"支行{branch}",
            "branch_id": None if branch is None else f"32{branch:02d}",
            "assigned_since": AS_OF - dt.timedelta(days=age), "balance": 100.0, **extra}


def plan_of(officers: list[dict], clients: list[dict], scope: str = "branch"):
    conf = Settings(threshold=5, as_of=AS_OF, scope=scope, recent_days=90, lang="en")
    return run(officers_frame(officers), clients_frame(clients), conf)


def room_after(plan) -> dict[str, int]:
    """Active receivers (not over before the plan) -> free places after the plan."""
    return {r["officer_id"]: r["limit"] - r["accounts_after"]
            for r in plan.officers.iter_rows(named=True)
            if r["status"] == "active" and not r["over"]}


def left_behind(work, plan, oid: str) -> list[list[str]]:
    """The officer's movable households (not pinned, performing) that the plan did not move."""
    moved = set(plan.moves["client_id"])
    households: dict[str, list[dict]] = defaultdict(list)
    for r in work.clients.filter(pl.col("officer_id") == oid).iter_rows(named=True):
        households[r["group_id"] or "\x00" + r["client_id"]].append(r)
    return [[m["client_id"] for m in members] for members in households.values()
            if not any(m["pinned"] or m["risk_class"] in NON_PERFORMING for m in members)
            and not any(m["client_id"] in moved for m in members)]


# ---------------------------------------------------------------- explanations that are not true


def test_no_receiver_with_room_is_said_while_the_branch_has_room_for_the_rest():
    """What a branch head sees: officer O (limit 2) has 6 clients, two households of two
    (handed over 100 days ago) and two single clients (3000 days). A (limit 2), B and C
    (limit 1 each) have no clients: four free places for an excess of four. The plan moves one
    household to A and stops: O stays 2 over "no receiver with room within the allowed scope",
    the branch table says 2 cannot be placed and 1 more officer is needed; yet B and C are
    still empty after the plan and O's two single clients could go to them.

    Why wrong: rule 8 (what cannot be done is reported, and why): there is room; the
    explanation and `officers_needed` are false, and rule 7 (from each over-limit officer
    exactly its excess) is not met although it can be. Room is not short, so this is not the
    "Known limits" case (which covers placing fewer than a joint optimum *when room is short*).

    Probable cause: `_choose_sheds` checks each household against the largest single room
    before any move (`_with_fits`), so it picks both households (they are the most preferred
    and sum exactly to the excess) although only A can take either; `_place` then fails the
    second and nothing revisits the officer's other clients. A second round of choosing (from
    the households left, against the room left) after `_place`, or choosing with the rooms
    consumed, would fix it.
    """
    officers = [officer("O", 0, 2), officer("A", 0, 2), officer("B", 0, 1),
                officer("C", 0, 1)]
    clients = [client("h1a", "O", 0, 100, group_id="H1"), client("h1b", "O", 0, 100, group_id="H1"),
               client("h2a", "O", 0, 100, group_id="H2"), client("h2b", "O", 0, 100, group_id="H2"),
               client("s1", "O", 0, 3000), client("s2", "O", 0, 3000)]
    work, plan = plan_of(officers, clients)
    room = room_after(plan)  # (before the fix: B and C still empty after the plan)
    why = dict(plan.still_over.select("officer_id", "why").rows())
    assert "O" not in why, (
        f"O still over: {why.get('O')!r}, with room left {room} and "
        f"{left_behind(work, plan, 'O')} not moved")
    assert plan.branches["officers_needed"].sum() == 0


def test_no_receiver_with_room_is_said_while_the_region_has_room_for_another_client():
    """What a branch head sees (scope region, branches 0, 1, 2 in one region): officer O in
    branch 0 (limit 3) is one over with a household of two (branch 0), a single client s
    recorded in branch 1 and a pinned one. Branch 0's receiver A has two free places, branch 1
    none, branch 2's W one. An unassigned client of branch 0 is placed with A first (orphans
    come first: fine), then the household finds no room anywhere, and O stays over "no receiver
    with room within the allowed scope" while W still has a free place in O's region and s (whose
    own branch 1 has no room, so crossing is allowed) could have gone there.

    Why wrong: rule 8: the explanation is false (a receiver in scope has room for a movable
    client of O after the plan), and branch 0 is said to need another officer.

    Probable cause: `_choose_sheds` keeps to households that fit a receiver of their branch
    whenever these cover the excess (`in_branch < need`), judged on the room before orphans
    are placed; s is never a candidate, and no second round looks again once the household
    fails in `_place`.
    """
    officers = [officer("O", 0, 3), officer("A", 0, 2), officer("Y", 1, 1),
                officer("W", 2, 1)]
    clients = [client("h1", "O", 0, 100, group_id="H"), client("h2", "O", 0, 100, group_id="H"),
               client("s", "O", 1, 3000), client("p", "O", 0, pinned=True),
               client("y", "Y", 1), client("u", None, 0)]
    work, plan = plan_of(officers, clients, scope="region")  # (before the fix: W kept a place)
    why = dict(plan.still_over.select("officer_id", "why").rows())
    assert "O" not in why, (
        f"O still over: {why.get('O')!r}, W has a free place, {left_behind(work, plan, 'O')}"
        " not moved")


@st.composite
def one_branch(draw):
    """One branch: officer O (limit 2) with 2-5 households of 1-3, and 1-3 small receivers."""
    officers = [officer("O", 0, 2)]
    for i in range(draw(st.integers(1, 3))):
        officers.append(officer(f"R{i}", 0, draw(st.integers(1, 3))))
    clients, n = [], 0
    for h in range(draw(st.integers(2, 5))):
        size, age = draw(st.integers(1, 3)), draw(st.sampled_from([100, 1000, 3000]))
        for _ in range(size):
            clients.append(client(f"C{n:02d}", "O", 0, age,
                                  group_id=f"H{h}" if size > 1 else None))
            n += 1
    return officers, clients


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(one_branch())
def test_an_officer_said_to_lack_room_has_no_movable_household_that_fits(case):
    """The property behind the first test, by brute force over generated branches: when the
    plan says an officer stays over for want of "a receiver with room", no household of his
    that may move (and was not moved) fits any receiver's room left after the plan."""
    officers, clients = case
    work, plan = plan_of(officers, clients)
    why = dict(plan.still_over.select("officer_id", "why").rows())
    if NO_ROOM not in why.get("O", ""):
        return
    room = room_after(plan)
    for household in left_behind(work, plan, "O"):
        fits = {oid: left for oid, left in room.items() if left >= len(household)}
        assert not fits, (household, fits, why["O"])


# ---------------------------------------------------------------- arguable: the objective


def test_two_clients_move_where_one_single_client_would_do():
    """What a branch head sees (scope region): officer O in branch 0 (limit 3) is one over.
    His clients: a household of two in branch 0 and a single client s recorded in branch 1
    (branch 1's only receiver is full; branch 2 of the same region has room). The plan moves
    the whole household (two clients) where moving s alone (one client, crossing from its own
    branch, which has no room, as rule 1 allows and says) would clear the excess.

    Why wrong: rule 7: "the fewest clients move: ... exactly its excess, rounded up only as far
    as whole households force"; nothing forces two here.

    Probable cause: `_choose_sheds` restricts an officer to households that fit a receiver of
    their own branch whenever their sizes add up to the excess (`in_branch >= need`), before
    the minimum is taken; fewest clients should come first, crossing only as a tie-break.

    Settled (was arguable): the fewest clients come first (rule 7); staying in the branch is
    preferred among equal choices only.
    """
    officers = [officer("O", 0, 3), officer("A", 0, 2), officer("Y", 1, 1),
                officer("W", 2, 5)]
    clients = [client("h1", "O", 0, 100, group_id="H"), client("h2", "O", 0, 100, group_id="H"),
               client("s", "O", 1, 3000), client("p", "O", 0, pinned=True), client("y", "Y", 1)]
    _, plan = plan_of(officers, clients, scope="region")
    assert plan.moves.height == 1


def test_of_choices_moving_as_many_the_one_staying_in_its_branch_moves():
    """Officer O (branch 0, limit 2) is one over. A single client c in branch 0 (room there)
    and a single client s recorded in branch 1 (its only receiver full; branch 2 of the
    region has room) could each clear it; s has the shorter relationship, which would make it
    the first choice, but it would have to cross: c moves, inside its branch."""
    officers = [officer("O", 0, 2), officer("A", 0, 5), officer("Y", 1, 1),
                officer("W", 2, 5)]
    clients = [client("c", "O", 0, 3000), client("s", "O", 1, 200), client("k", "O", 0, 3000),
               client("y", "Y", 1)]
    _, plan = plan_of(officers, clients, scope="region")
    assert plan.moves.select("client_id", "to_officer_id", "crosses_branch").rows() == [
        ("c", "A", False)]


def test_recent_handovers_move_while_a_settled_household_could_cross():
    """What a branch head sees (scope region): officer O (limit 2) has 4 clients, a household
    of two with him for 3000 days and two clients handed to him 10 days ago. Branch 0's
    receivers A and B have one free place each (no room for the household), branch 1 of the
    same region has room. The plan moves the two clients handed over 10 days ago, each with
    the reason "handed over within 90 days, moved because nothing else could", although the
    settled household could move (crossing, which --scope region allows because its branch has
    no room for it).

    Why wrong: rule 4 and the reason sentence: something else could move.

    Probable cause: `_choose_sheds`: `in_branch` counts recent households too, so the
    households that fit the branch cover the excess and the settled household that needs to
    cross is never a candidate; settled households should be tried (across the scope) before
    recent ones.

    Settled (was arguable): rule 4 before rule 1's preference: a settled household crossing
    where the scope allows comes before clients handed over within 90 days.
    """
    officers = [officer("O", 0, 2), officer("A", 0, 1), officer("B", 0, 1),
                officer("W", 1, 5)]
    clients = [client("h1", "O", 0, 3000, group_id="H"), client("h2", "O", 0, 3000, group_id="H"),
               client("r1", "O", 0, 10), client("r2", "O", 0, 10)]
    _, plan = plan_of(officers, clients, scope="region")
    moved = set(plan.moves["client_id"])
    assert not moved & {"r1", "r2"}, plan.moves.select("client_id", "reason").rows()


@pytest.mark.xfail(reason="arguable: 'smallest balances move' among equal choices may be read "
                          "household by household (the planner) or over the clients moved",
                   strict=True)
def test_of_equal_choices_the_smaller_balances_move():
    """What a branch head sees: officer O (limit 2) has 4 clients handed over on the same day:
    a household of two with 10 yuan each and two single clients with 15 yuan each. Two must
    go. Both choices move two clients with the same relationship length; the plan moves the
    two singles (30 yuan in all, 15 each) rather than the household (20 yuan, 10 each).

    Why wrong: rule 7: "Of equal choices, the shortest relationships ... and smallest balances
    move": every measure of the household's balances is smaller.

    Probable cause: `_units` sorts a household by the *sum* of its balances (20 > 15) and
    `pick_min_sum` takes households lexicographically in that order; compare equal-size
    choices by the balances of the clients they move (or per member) instead.
    """
    officers = [officer("O", 0, 2), officer("A", 0, 10)]
    clients = [client("h1", "O", 0, 1000, group_id="H", balance=10.0),
               client("h2", "O", 0, 1000, group_id="H", balance=10.0),
               client("a", "O", 0, 1000, balance=15.0), client("b", "O", 0, 1000, balance=15.0)]
    _, plan = plan_of(officers, clients)
    assert set(plan.moves["client_id"]) == {"h1", "h2"}


# ---------------------------------------------------------------- arguable: determinism


def test_the_plan_does_not_depend_on_the_roster_row_order():
    """What a branch head sees: the roster gives branch code 3200 as 支行0 on one officer's
    row and 城关 on another's (an export with a renamed branch). Planning the same files with
    the roster's rows in another order names the branch differently in the reason of the move
    that crosses ("no room in branch 支行0" / "no room in branch 城关") and in the branches table.

    Through the CLI (`check --format json`, no note about the two names) one document even
    names the branch both ways: the transfer's `branch` is 城关 (the roster sorted by staff
    number) while its `branches[]` row says 支行0 (file order).

    Why wrong: rule 7: "The same files give the same plan"; a roster sorted differently
    (by name instead of staff number) is the same roster, and nothing flags the two names.

    Probable cause: `workload.branch_names` and `plan._branch_table` take
    `pl.col("branch").drop_nulls().first()` per branch code, i.e. the first row in file
    order; take `min()` (or the most frequent name) or report the conflict.
    """
    officers = [officer("O", 0, 2), officer("A", 1, 5), {**officer("B", 0, 2), "branch": "城关"}]
    clients = [client(f"c{i}", "O", 0) for i in range(3)] + [client("b1", "B", 0),
                                                              client("b2", "B", 0)]
    conf = Settings(threshold=5, as_of=AS_OF, scope="region", lang="en")
    _, first = run(officers_frame(officers), clients_frame(clients), conf)
    _, reordered = run(officers_frame(officers[::-1]), clients_frame(clients), conf)
    assert first.moves["reason"].to_list() == reordered.moves["reason"].to_list()
    assert first.branches["branch"].to_list() == reordered.branches["branch"].to_list()
