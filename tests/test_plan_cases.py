"""Hand-made edge cases of the planner (issue 3): each one a rule a branch head relies on."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from hypothesis import given
from hypothesis import settings as examples
from hypothesis import strategies as st

from caseload.config import Settings
from caseload.plan import Plan, make_plan, pick_fewest
from caseload.workload import Workload, count_workload
from tests.plan_frames import CLIENT_SCHEMA, OFFICER_SCHEMA

AS_OF = dt.date(2026, 11, 20)
LONG_AGO = dt.date(2020, 1, 1)



def officer(oid: str, branch: str = "城关支行", **kw) -> dict:
    return {"officer_id": oid, "name": f"经理{oid}", "branch": branch, "region": "城区片",
            "status": "active", **kw}


def client(cid: str, oid: str | None, branch: str | None = "城关支行", **kw) -> dict:
    return {"client_id": cid, "officer_id": oid, "branch": branch, "balance": 10000.0,
            "risk_class": "normal", "assigned_since": LONG_AGO, **kw}


def book(oid: str, n: int, prefix: str | None = None, **kw) -> list[dict]:
    prefix = prefix or f"{oid}-"
    return [client(f"{prefix}{i:04d}", oid, **kw) for i in range(n)]


def plan_for(officers: list[dict], clients: list[dict], **settings) -> tuple[Workload, Plan]:
    base_o, base_c = dict.fromkeys(OFFICER_SCHEMA), dict.fromkeys(CLIENT_SCHEMA)
    o = pl.DataFrame([{**base_o, "__line": i + 3, **r} for i, r in enumerate(officers)],
                     schema=OFFICER_SCHEMA)
    c = pl.DataFrame([{**base_c, "__line": i + 3, "pinned": False, **r}
                      for i, r in enumerate(clients)], schema=CLIENT_SCHEMA)
    conf = Settings(as_of=AS_OF, **{"threshold": 300, **settings})
    work = count_workload(o, c, conf)
    return work, make_plan(work, conf)


def moved(plan: Plan) -> dict[str, str]:
    return dict(plan.moves.select("client_id", "to_officer_id").rows())


# ---------------------------------------------------------------- the limit


def test_exactly_at_the_limit_is_not_over():
    work, plan = plan_for([officer("A"), officer("B")], book("A", 300))
    assert not work.officers.filter(pl.col("officer_id") == "A")["over"].item()
    assert plan.moves.is_empty()
    assert plan.still_over.is_empty() and plan.unplaced.is_empty()
    assert plan.branches["cannot_place"].sum() == 0


def test_one_over_the_limit_moves_one_client_the_most_movable():
    clients = book("A", 299) + [
        client("A-new", "A", assigned_since=AS_OF - dt.timedelta(days=91), balance=50.0),
        client("A-recent", "A", assigned_since=AS_OF - dt.timedelta(days=10), balance=1.0),
    ]
    work, plan = plan_for([officer("A"), officer("B", capacity=5)], clients)
    assert work.summary["excess"] == 1
    # the shortest relationship beyond the 90 days goes, not the recent handover
    assert moved(plan) == {"A-new": "B"}
    row = plan.moves.row(0, named=True)
    assert (row["from_before"], row["from_after"], row["to_before"], row["to_after"]) == \
        (301, 300, 0, 1)
    assert not row["crosses_branch"]
    assert "A is over the limit (301/300)" in row["reason"]
    assert "B was the least loaded in the branch for its limit" in row["reason"]
    assert plan.still_over.is_empty()


def test_among_settled_clients_shortest_relationship_then_smallest_balance():
    day = AS_OF - dt.timedelta(days=200)
    clients = [
        client("old-small", "A", assigned_since=LONG_AGO, balance=1.0),
        client("mid-big", "A", assigned_since=day, balance=9000.0),
        client("mid-small", "A", assigned_since=day, balance=100.0),
        client("newest", "A", assigned_since=day + dt.timedelta(days=5), balance=99999.0),
    ]
    _, plan = plan_for([officer("A", capacity=2), officer("B", capacity=9)], clients)
    assert set(moved(plan)) == {"newest", "mid-small"}


def test_no_clients_at_all():
    work, plan = plan_for([officer("A"), officer("B", status="leave")], [])
    assert work.summary["clients"] == 0
    assert plan.moves.is_empty() and plan.transfers.is_empty()
    assert plan.still_over.is_empty() and plan.unplaced.is_empty()
    assert plan.officers["accounts_after"].to_list() == [0, 0]


def test_empty_roster_leaves_every_client_unplaced():
    work, plan = plan_for([], [client("c1", None), client("c2", "X")])
    assert plan.moves.is_empty()
    assert set(plan.unplaced["client_id"]) == {"c1", "c2"}


# ---------------------------------------------------------------- what cannot be done


def test_branch_without_room_names_the_shortfall_and_officers_needed():
    # threshold 3: A is full, D departed leaving 7 clients, nobody else in the branch
    officers = [officer("A"), officer("D", status="departed"), officer("E", branch="东街支行")]
    clients = book("A", 3) + book("D", 7)
    _, plan = plan_for(officers, clients, threshold=3)
    assert plan.moves.is_empty(), "scope=branch: 东街支行 has room but is another branch"
    assert plan.unplaced.height == 7
    assert set(plan.unplaced["orphan"]) == {"departed"}
    row = plan.branches.filter(pl.col("branch_key") == "城关支行").row(0, named=True)
    assert row["orphans_unplaced"] == 7
    assert row["cannot_place"] == 7
    assert row["officers_needed"] == 3  # ceil(7 / 3)
    other = plan.branches.filter(pl.col("branch_key") == "东街支行").row(0, named=True)
    assert other["cannot_place"] == 0 and other["officers_needed"] == 0


def test_over_officer_without_receivers_stays_over_for_lack_of_room():
    officers = [officer("A"), officer("B", status="leave")]
    _, plan = plan_for(officers, book("A", 305) + book("B", 10))
    assert plan.moves.is_empty()
    row = plan.still_over.row(0, named=True)
    assert row == {"officer_id": "A", "excess_left": 5,
                   "why": "no receiver with room within the allowed scope",
                   "why_en": "no receiver with room within the allowed scope"}
    branch = plan.branches.row(0, named=True)
    assert branch["cannot_place"] == 5 and branch["officers_needed"] == 1


def test_everything_pinned_or_non_performing_stays_and_says_why():
    clients = (book("A", 2, pinned=True) + book("A", 1, prefix="npl-", risk_class="substandard")
               + book("A", 1, prefix="dbt-", risk_class="doubtful")
               + book("A", 1, prefix="los-", risk_class="loss"))
    _, plan = plan_for([officer("A", capacity=3), officer("B")], clients)
    assert plan.moves.is_empty()
    row = plan.still_over.row(0, named=True)
    assert row["officer_id"] == "A" and row["excess_left"] == 2
    assert row["why"] == "pinned or non-performing clients stay"
    # not a shortage of room: no officers needed
    assert plan.branches["cannot_place"].sum() == 0


def test_short_of_both_movable_clients_and_room_says_both():
    # A: 6 clients, limit 2, 3 pinned (can shed at most 3 of its 4 excess); B has room for 1
    clients = book("A", 3, pinned=True) + book("A", 3, prefix="free-")
    _, plan = plan_for([officer("A", capacity=2), officer("B", capacity=1)], clients)
    assert len(moved(plan)) == 1
    row = plan.still_over.row(0, named=True)
    assert row["excess_left"] == 3
    assert "pinned or non-performing clients stay (1)" in row["why"]
    assert "no receiver with room within the allowed scope (2)" in row["why"]
    assert plan.branches.row(0, named=True)["cannot_place"] == 2


# ---------------------------------------------------------------- households


def test_household_of_three_forces_three_moves_for_an_excess_of_two():
    clients = book("A", 3, group_id="H1") + book("A", 2, prefix="P", pinned=True)
    _, plan = plan_for([officer("A", capacity=3), officer("B", capacity=10)], clients)
    assert plan.moves.height == 3
    assert set(plan.moves["to_officer_id"]) == {"B"}
    assert set(plan.moves["group_id"]) == {"H1"}
    assert all("household of 3 moves together" in r for r in plan.moves["reason"])
    assert plan.officers.filter(pl.col("officer_id") == "A")["accounts_after"].item() == 2
    assert plan.still_over.is_empty()


def test_singles_preferred_to_a_household_that_overshoots():
    clients = book("A", 3, group_id="H1") + book("A", 2, prefix="S")
    _, plan = plan_for([officer("A", capacity=3), officer("B", capacity=10)], clients)
    assert set(moved(plan)) == {"S0000", "S0001"}


def test_household_with_one_non_performing_member_stays_whole():
    clients = (book("A", 2, group_id="H1") + [client("H1-npl", "A", group_id="H1",
                                                      risk_class="loss")]
               + book("A", 2, prefix="S"))
    _, plan = plan_for([officer("A", capacity=3), officer("B", capacity=10)], clients)
    assert set(moved(plan)) == {"S0000", "S0001"}


def test_a_household_no_receiver_can_take_is_not_chosen_to_leave():
    # excess 2: the household of 2 is preferred (shortest relationship) but B and C have room
    # for one client each; the two singles go instead
    day = AS_OF - dt.timedelta(days=200)
    clients = [client("s1", "A"), client("s2", "A"), client("P", "A", pinned=True),
               client("h1", "A", group_id="H", assigned_since=day),
               client("h2", "A", group_id="H", assigned_since=day)]
    officers = [officer("A", capacity=3), officer("B", capacity=1), officer("C", capacity=1)]
    _, plan = plan_for(officers, clients)
    assert moved(plan) == {"s1": "B", "s2": "C"}
    assert plan.still_over.is_empty()
    # with room for the household, it is the one that leaves
    officers[1]["capacity"] = 2
    _, plan = plan_for(officers, clients)
    assert moved(plan) == {"h1": "B", "h2": "B"}


def test_only_households_too_big_to_place_left_says_no_room():
    clients = book("A", 2, group_id="H") + [client("P", "A", pinned=True)]
    _, plan = plan_for([officer("A", capacity=1), officer("B", capacity=1)], clients)
    assert plan.moves.is_empty()
    row = plan.still_over.row(0, named=True)
    assert row == {"officer_id": "A", "excess_left": 2,
                   "why": "no receiver with room within the allowed scope",
                   "why_en": "no receiver with room within the allowed scope"}
    assert plan.branches.row(0, named=True)["cannot_place"] == 2


def test_household_too_big_for_any_receiver_is_not_split():
    clients = book("D", 3, group_id="H1")
    officers = [officer("D", status="departed"), officer("B", capacity=2),
                officer("C", capacity=2)]
    _, plan = plan_for(officers, clients)
    assert plan.moves.is_empty()
    assert plan.unplaced.height == 3


def test_household_across_branches_moves_whole_and_says_so():
    clients = [client("h1", "A", group_id="H1", branch="城关支行"),
               client("h2", "A", group_id="H1", branch="东街支行")] + book("A", 1, prefix="P",
                                                                             pinned=True)
    officers = [officer("A", capacity=1), officer("B", capacity=5),
                officer("E", branch="东街支行", capacity=5)]
    _, plan = plan_for(officers, clients)
    # placed from the first of its branches by code order: 东街支行 (东 U+4E1C < 城 U+57CE)
    assert moved(plan) == {"h1": "E", "h2": "E"}
    rows = {r["client_id"]: r for r in plan.moves.iter_rows(named=True)}
    assert rows["h1"]["crosses_branch"]
    assert not rows["h2"]["crosses_branch"]
    assert "household kept together in branch 东街支行: E was the least loaded there for its limit" in \
        rows["h1"]["reason"]


# ---------------------------------------------------------------- recent handovers


def test_recent_handover_moves_only_when_nothing_else_can():
    recent = AS_OF - dt.timedelta(days=30)
    clients = [client("recent", "A", assigned_since=recent, balance=1.0),
               client("settled", "A", balance=1e9)]
    _, plan = plan_for([officer("A", capacity=1), officer("B", capacity=5)], clients)
    assert set(moved(plan)) == {"settled"}
    # now everything is recent: the recent one goes, and the reason says so
    clients = [client("r1", "A", assigned_since=recent),
               client("r2", "A", assigned_since=recent + dt.timedelta(days=1))]
    _, plan = plan_for([officer("A", capacity=1), officer("B", capacity=5)], clients)
    assert plan.moves.height == 1
    assert "handed over within 90 days, moved because nothing else could" in \
        plan.moves["reason"].item()


def test_settled_clients_first_then_fewest_recent():
    recent = AS_OF - dt.timedelta(days=30)
    clients = ([client("s1", "A")] + book("A", 2, prefix="R2-", group_id="G2",
                                          assigned_since=recent)
               + [client("r1", "A", assigned_since=recent)]
               + book("A", 2, prefix="P", pinned=True))
    # excess 2: the settled single, then one recent single (not the recent pair)
    _, plan = plan_for([officer("A", capacity=4), officer("B", capacity=9)], clients)
    assert set(moved(plan)) == {"s1", "r1"}


@pytest.mark.parametrize("scope", ["region", "all"])
def test_a_wider_scope_crosses_no_branch_while_the_own_branch_has_room(scope):
    recent = AS_OF - dt.timedelta(days=300)
    officers = [officer("A", capacity=5, region="东"), officer("B", capacity=5, region="东"),
                officer("C", capacity=5, region="东"),
                officer("D", "河口支行", capacity=5, region="东")]
    clients = (book("A", 2, prefix="H", group_id="G1", assigned_since=AS_OF - dt.timedelta(
        days=200)) + book("A", 5, prefix="S", assigned_since=recent - dt.timedelta(days=3000))
               + book("B", 4) + book("C", 4))
    # A is 2 over; the household (the shortest relationship) fits only D, in another branch,
    # but two singles fit B and C in A's own branch: they go, and nothing crosses
    _, plan = plan_for(officers, clients, scope=scope)
    assert plan.moves.height == 2
    assert not plan.moves["crosses_branch"].any()
    assert set(moved(plan).values()) == {"B", "C"}


def test_when_recent_ones_must_move_no_settled_one_moves_beside_them_needlessly():
    recent = AS_OF - dt.timedelta(days=50)
    clients = ([client("s1", "A", balance=1.0), client("s2", "A", balance=2.0)]
               + book("A", 2, prefix="R", group_id="G1", assigned_since=recent)
               + [client("p1", "A", pinned=True)])
    # excess 3, settled ones only 2: the recent pair must go, and one settled with it is 3
    _, plan = plan_for([officer("A", capacity=2), officer("B", capacity=10)], clients)
    assert set(moved(plan)) == {"s1", "R0000", "R0001"}


@pytest.mark.parametrize(("days", "recent"), [(89, True), (90, False)])
def test_the_ninety_day_boundary(days, recent):
    clients = [client("x", "A", assigned_since=AS_OF - dt.timedelta(days=days)),
               client("y", "A", group_id="G", balance=1.0),
               client("z", "A", group_id="G", balance=1.0)]
    # excess 1: a settled single beats a household of 2; a recent single does not
    _, plan = plan_for([officer("A", capacity=2), officer("B", capacity=9)], clients)
    assert set(moved(plan)) == ({"y", "z"} if recent else {"x"})


# ---------------------------------------------------------------- orphans


def test_a_household_over_two_branches_can_go_to_either_members_branch():
    """Orphans of 009 in 乙 and 甲 (one household): 乙 has no room, 甲's 001 has."""
    officers = [officer("001", "甲支行", capacity=5), officer("002", "乙支行", capacity=3),
                officer("009", "乙支行", status="departed")]
    clients = (book("002", 3)
               + [client("H1", "009", "甲支行", group_id="G1"),
                  client("H2", "009", "乙支行", group_id="G1")])
    _, plan = plan_for(officers, clients)
    assert moved(plan) == {"H1": "001", "H2": "001"}
    assert plan.branches["cannot_place"].sum() == 0


def test_orphans_of_each_kind_are_all_placed_whatever_their_risk():
    officers = [officer("A"), officer("B"), officer("D", status="departed"),
                officer("L", status="leave")]
    clients = [
        client("blank", None),
        client("unknown", "Z9"),
        client("departed-npl", "D", risk_class="loss"),
        client("departed-pinned", "D", pinned=True),
        client("dep-h1", "D", group_id="H"), client("dep-h2", "D", group_id="H"),
        client("leave-kept", "L"),
    ]
    work, plan = plan_for(officers, clients)
    kinds = dict(work.clients.select("client_id", "orphan").rows())
    assert kinds["blank"] == "unassigned" and kinds["unknown"] == "unknown_officer"
    assert kinds["departed-npl"] == "departed" and kinds["leave-kept"] is None
    to = moved(plan)
    assert set(to) == {"blank", "unknown", "departed-npl", "departed-pinned", "dep-h1", "dep-h2"}
    assert set(to.values()) <= {"A", "B"}, "officers on leave keep their clients, receive none"
    assert to["dep-h1"] == to["dep-h2"]
    reasons = dict(plan.moves.select("client_id", "reason").rows())
    assert reasons["blank"].startswith("client has no managing officer")
    assert reasons["unknown"].startswith("officer Z9 is not on the roster")
    assert reasons["departed-npl"].startswith("officer D has departed")
    assert "household of 2 moves together" in reasons["dep-h1"]
    assert plan.unplaced.is_empty()
    after = dict(plan.officers.select("officer_id", "accounts_after").rows())
    assert after["D"] == 0 and after["L"] == 1 and after["A"] + after["B"] == 6
    # the unknown officer's client has no roster row; transfers show it without a sender
    assert plan.transfers.filter(pl.col("from_officer_id").is_null())["clients"].sum() == 2


def test_arrivals_spread_to_the_least_loaded():
    officers = [officer("A"), officer("B"), officer("D", status="departed")]
    clients = book("A", 4) + book("D", 6)
    _, plan = plan_for(officers, clients, threshold=10)
    after = dict(plan.officers.select("officer_id", "accounts_after").rows())
    assert (after["A"], after["B"]) == (5, 5)


def test_orphans_without_a_branch_are_placed_only_with_scope_all():
    clients = [client("nb", "Z9", branch=None)]
    roster = [officer("A"), officer("B", branch="城东支行")]  # (one branch would claim it)
    _, plan = plan_for(roster, clients)
    assert plan.moves.is_empty() and plan.unplaced.height == 1
    _, plan = plan_for(roster, clients, scope="region")
    assert plan.moves.is_empty() and plan.unplaced.height == 1
    _, plan = plan_for(roster, clients, scope="all")
    row = plan.moves.row(0, named=True)
    assert row["to_officer_id"] == "A" and row["crosses_branch"]
    assert row["reason"] == ("officer Z9 is not on the roster; no branch recorded for the "
                             "client: A was the least loaded for its limit")


# ---------------------------------------------------------------- scope


def _crowded_branch() -> tuple[list[dict], list[dict]]:
    officers = [
        officer("A", branch="城关支行", region="城区片"),
        officer("N", branch="东街支行", region="城区片", capacity=5),
        officer("F", branch="河口支行", region="山区片", capacity=50),
    ]
    return officers, book("A", 302)


def test_scope_branch_does_not_cross():
    officers, clients = _crowded_branch()
    _, plan = plan_for(officers, clients)
    assert plan.moves.is_empty()
    assert plan.still_over["why"].to_list() == ["no receiver with room within the allowed scope"]


def test_scope_region_crosses_to_the_same_region_and_says_so():
    officers, clients = _crowded_branch()
    _, plan = plan_for(officers, clients, scope="region")
    assert set(moved(plan).values()) == {"N"}
    row = plan.moves.row(0, named=True)
    assert row["crosses_branch"]
    assert "no room in branch 城关支行: N was the least loaded in the same region for its limit" in row["reason"]
    # 山区片 is another region: only scope=all reaches it
    officers[1]["capacity"] = 0 + 1  # N can take one only
    _, plan = plan_for(officers, clients, scope="region")
    assert plan.moves.height == 1 and plan.still_over["excess_left"].to_list() == [1]
    _, plan = plan_for(officers, clients, scope="all")
    assert set(moved(plan).values()) == {"N", "F"}
    far = plan.moves.filter(pl.col("to_officer_id") == "F").row(0, named=True)
    assert "no room in branch 城关支行 or its region: F was the least loaded for its limit" in far["reason"]


def test_own_branch_room_is_used_before_crossing():
    officers, clients = _crowded_branch()
    officers.append(officer("B", branch="城关支行", capacity=1))
    _, plan = plan_for(officers, clients, scope="all")
    to = plan.moves.select("to_officer_id", "crosses_branch").rows()
    assert sorted(to) == [("B", False), ("N", True)]


def test_branches_without_a_region_share_no_region():
    officers = [officer("A", region=None), officer("X", branch="西街支行", region=None)]
    _, plan = plan_for(officers, book("A", 301), scope="region")
    assert plan.moves.is_empty()
    _, plan = plan_for(officers, book("A", 301), scope="all")
    assert moved(plan) == {"A-0000": "X"}


def test_branch_codes_identify_branches_when_exported():
    # two branches named 城关支行 in different banks: the code tells them apart
    officers = [officer("A", branch_id="001"), officer("B", branch_id="002")]
    clients = book("A", 301, branch_id="001")
    _, plan = plan_for(officers, clients)
    assert plan.moves.is_empty()


# ---------------------------------------------------------------- limits


def test_capacity_over_grade_over_threshold():
    officers = [
        officer("CAP", grade="初级", capacity=5),
        officer("GRD", grade=" 初级 "),
        officer("THR", grade="不认识"),
        officer("NONE"),
    ]
    clients = book("CAP", 5) + book("GRD", 4) + book("THR", 4) + book("NONE", 3)
    work, plan = plan_for(officers, clients, threshold=4, grade_limits={"初级": 3})
    limits = dict(work.officers.select("officer_id", "limit").rows())
    assert limits == {"CAP": 5, "GRD": 3, "THR": 4, "NONE": 4}
    assert set(work.officers.filter("over")["officer_id"]) == {"GRD"}
    # GRD's one excess goes to the only officer with room: NONE (3/4), never CAP (5/5)
    assert set(moved(plan).values()) == {"NONE"}
    after = dict(plan.officers.select("officer_id", "accounts_after").rows())
    assert after == {"CAP": 5, "GRD": 3, "THR": 4, "NONE": 4}


def test_receivers_never_pass_their_own_capacity():
    officers = [officer("A"), officer("B", capacity=2), officer("C", grade="见习")]
    clients = book("A", 310)
    _, plan = plan_for(officers, clients, grade_limits={"见习": 3})
    after = dict(plan.officers.select("officer_id", "accounts_after").rows())
    assert after == {"A": 305, "B": 2, "C": 3}
    assert plan.still_over.row(0, named=True)["excess_left"] == 5


# ---------------------------------------------------------------- determinism


def test_equal_balances_choose_the_same_household_whatever_the_row_order():
    # 183.59 + 278.59 + 807.23 sums differently in different orders as floats; the planner
    # must not let that decide which household leaves
    values = [183.59, 278.59, 807.23]
    clients = (
        [client(f"h1-{i}", "A", group_id="H1", balance=v) for i, v in enumerate(values)]
        + [client(f"h2-{i}", "A", group_id="H2", balance=v) for i, v in enumerate(values[::-1])]
    )
    officers = [officer("A", capacity=3), officer("B", capacity=10)]
    _, forward = plan_for(officers, clients)
    _, backward = plan_for(officers, clients[::-1])
    assert set(forward.moves["group_id"]) == set(backward.moves["group_id"]) == {"H1"}


def settled_staying(units: list[tuple[int, int]]) -> list[tuple[int, int, bool, bool]]:
    return [(uid, size, False, False) for uid, size in units]


def test_pick_fewest_prefers_earlier_units_among_the_smallest_totals():
    units = settled_staying([(1, 3), (2, 2), (3, 2), (4, 1)])
    assert pick_fewest(units, 4) == [1, 4]  # 3+1 = 4 exactly, the first unit kept in
    assert pick_fewest(units, 0) == []
    assert pick_fewest(units, 99) == [1, 2, 3, 4]
    assert pick_fewest(settled_staying([(1, 3), (2, 3)]), 1) == [1]


def test_pick_fewest_of_the_smallest_totals_moves_the_fewest_crossing_then_recent_clients():
    # (uid, size, recent, crosses): 3 to go; 1 alone is preferred, but 1 + 3 would cross two
    crossing = [(1, 1, False, False), (2, 3, False, False), (3, 2, False, True)]
    assert pick_fewest(crossing, 3) == [2]
    assert pick_fewest(crossing, 2) == [3]  # only the crossing pair makes exactly two
    assert pick_fewest(crossing + [(4, 1, False, False)], 2) == [1, 4]  # none need cross
    # settled 1 + 3 make 4 of the 5: recent ones must go, as few as can make the total
    recent = [(1, 1, False, False), (2, 3, False, False), (3, 2, True, False),
              (4, 2, True, False)]
    assert pick_fewest(recent, 5) == [2, 3]  # 3 settled + 2 recent, not 1 + 2 + 2
    # the fewest clients first: a crossing single rather than a staying pair
    assert pick_fewest([(1, 2, False, False), (2, 1, False, True)], 1) == [2]
    # settled ones that can make it up go, even where a recent one would move fewer
    assert pick_fewest([(1, 2, False, False), (2, 1, True, False)], 1) == [1]


@examples(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 4), st.booleans(), st.booleans()), max_size=9),
       st.integers(0, 14))
def test_pick_fewest_matches_a_brute_force_over_every_choice(kinds, need):
    """Against every subset: settled households only where they make up `need`; then the least
    total at or above it (everything allowed, if none does); then the fewest recent clients;
    then the fewest crossing a branch."""
    from itertools import combinations

    units = [(uid, size, recent, crosses) for uid, (size, recent, crosses) in enumerate(kinds)]
    settled = [u for u in units if not u[2]]
    allowed = settled if sum(u[1] for u in settled) >= need else units

    def cost(chosen):
        total = sum(u[1] for u in chosen)
        return (total < need, total, sum(u[1] for u in chosen if u[2]),
                sum(u[1] for u in chosen if u[3]))

    best = min(cost(c) for n in range(len(allowed) + 1) for c in combinations(allowed, n)) \
        if need > 0 else (False, 0, 0, 0)
    if best[0]:  # (nothing makes up need: everything allowed leaves)
        best = cost(allowed)
    picked = pick_fewest(units, need)
    assert len(set(picked)) == len(picked) and set(picked) <= {u[0] for u in allowed}
    assert cost([units[uid] for uid in picked]) == best
