"""The reassignment planner: which clients move to whom, and why. Pure: frames in, frames out.

Rules (see README): moves stay in the branch unless the scope allows more and the branch has
no room; only active officers receive, never beyond their limit; non-performing and pinned
clients of active officers stay; recent handovers move only if nothing else can; households
move whole; every orphan is placed. Per over-limit officer it sheds the fewest clients (a
subset-sum over household sizes), preferring the shortest relationships and smallest
balances; placing is greedy (least-loaded receiver first), so where room is short it can place
fewer than a joint optimum would (README, "Known limits").

Polars does the per-client work; Python loops run over the households of over-limit officers
whose shed the expressions do not settle, the households that move, and receivers; never over
the whole book.
"""

from __future__ import annotations

import datetime as dt
import heapq
from dataclasses import dataclass
from functools import cached_property
from itertools import groupby

import polars as pl

from caseload.columns import NON_PERFORMING
from caseload.config import Settings
from caseload.load import LINE
from caseload.plan_words import words
from caseload.workload import Workload, branch_names

_NO_BRANCH = "\x00none"


@dataclass
class Plan:
    """The moves and everything a branch head needs to judge them.

    `moved` holds the moved clients as the planner placed them; `moves`, their rows with the
    loads before and after and a reason each, is built when first asked for (`check` only
    counts them).
    """

    moved: pl.DataFrame  # one row per moved client: where from, where to, at which level
    transfers: pl.DataFrame  # from/to officer (from null off the roster), clients, branches
    officers: pl.DataFrame  # roster with accounts, accounts_after
    branches: pl.DataFrame  # before/after per branch, unplaced, officers needed
    still_over: pl.DataFrame  # officer_id, excess_left, why (in the run's language), why_en
    unplaced: pl.DataFrame  # clients that must move but found no receiver: client_id, line, why
    settings: Settings

    @cached_property
    def moves(self) -> pl.DataFrame:
        """One row per moved client, in the order of the export, with its loads and reason."""
        return _moves(self.moved, self.officers, self.settings)


ROUNDS = 8  # choosing again after placing: each round places more, or the plan is done
_RECEIVES = (pl.col("status") == "active") & ~pl.col("over")  # who may take clients


def make_plan(work: Workload, settings: Settings) -> Plan:
    units, members = _units(work, settings)
    units = _with_fits(work, settings, units)
    over = work.officers.filter("over").select("officer_id", "accounts", "limit")
    shed, still_over = _choose_sheds(units, over)
    orphans = units.filter(pl.col("owner").is_null())
    placement, unplaced_units, load = _place(work, settings, orphans, units, shed)
    if not set(shed).isdisjoint(unplaced_units):
        placement = _choose_again(work, settings, units, over, shed, placement, load)
    return _assemble(work, settings, members, units, placement, unplaced_units, still_over)


def _choose_again(
    work: Workload, settings: Settings, units: pl.DataFrame, over: pl.DataFrame,
    tried: list[int], placement: pl.DataFrame, load: dict[str, int],
) -> pl.DataFrame:
    """Officers still over because a household chosen for them found no receiver (each fitted
    some room before any move, not all of them once others took it): choose again from their
    households not yet tried, against the room left, and place those; until nothing more moves.

    Rare on real books (a few officers), so it loops over rounds, each with the expressions of
    the first. Only a round whose households were not all placed can leave something to do:
    an officer still over after all his chosen households left had them chosen from every one
    that fitted a receiver before any move (`_choose_sheds` takes them all when they fall
    short), and room only shrinks as receivers take clients.
    """
    tried = list(tried)
    for _ in range(ROUNDS):
        out = units.join(placement.select("uid"), on="uid").group_by("owner").agg(
            pl.col("size").sum().alias("out"))
        still = over.join(out, left_on="officer_id", right_on="owner", how="left").with_columns(
            (pl.col("accounts") - pl.col("out").fill_null(0)).alias("accounts")
        ).filter(pl.col("accounts") > pl.col("limit")).select("officer_id", "accounts", "limit")
        rest = units.filter(pl.col("owner").is_in(still["officer_id"].implode())
                            & ~pl.col("uid").is_in(tried))
        if rest.is_empty() or not _room_for(rest, work, settings, load):
            break
        rest = _with_fits(work, settings, rest.drop("fits", "fits_branch"), load)
        again, _ = _choose_sheds(rest, still)
        if not again:
            break
        more, left, load = _place(work, settings, rest.clear(), rest, again, load)
        tried += again
        if more.is_empty():
            break
        placement = pl.concat([placement, more])
        if not left:
            break
    return placement


def _room_for(rest: pl.DataFrame, work: Workload, settings: Settings,
              load: dict[str, int]) -> bool:
    """Whether some receiver within reach has room for the smallest of `rest`'s households.

    Within a branch only (the default scope), a household reaches the receivers of its own
    branches, so a full branch ends the rounds here without a `_with_fits` pass. Wider scopes
    are left to `_with_fits`. (Loops over the branch's officers and the households of officers
    still over: a few dozen.)
    """
    if settings.scope != "branch":
        return True
    reach = {b for b in rest["unit_branch"].to_list() if b != _NO_BRANCH}
    for members in rest["branches"].drop_nulls().to_list():
        reach.update(members)
    receivers = work.officers.filter(
        _RECEIVES & pl.col("branch_key").is_in(list(reach))
    ).select("officer_id", "limit", "accounts")
    room = max((cap - load.get(oid, held) for oid, cap, held in receivers.rows()), default=0)
    return room >= int(rest["size"].min())


# ---------------------------------------------------------------- units (households)


def _units(work: Workload, settings: Settings) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Clients that may move, folded into households: orphans and books of over-limit officers.

    Most clients have no group id and are a household of their own: their units are the rows
    themselves, so only the members of real households are grouped (a fifth of the movable
    rows in the generated data).
    """
    cutoff = settings.as_of - dt.timedelta(days=settings.recent_days)
    members = work.movable.select(  # (what planning and the plan's rows use, nothing more)
        LINE, "client_id", "officer_id", "orphan", "branch_key", "bank", "group_id", "balance",
        "risk_class", "assigned_since", "pinned",
    ).with_columns(
        pl.when(pl.col("orphan").is_null()).then(pl.col("officer_id")).alias("owner"),
        (pl.col("orphan").is_null()
         & (pl.col("pinned") | pl.col("risk_class").is_in(list(NON_PERFORMING))).fill_null(False)
         ).alias("blocked"),
        (pl.col("orphan").is_null() & (pl.col("assigned_since") > cutoff)).fill_null(False)
        .alias("recent"),
    )
    alone = pl.col("group_id").is_null()
    lone = members.lazy().filter(alone).select(
        "owner", pl.col("branch_key").fill_null(_NO_BRANCH).alias("unit_branch"), "bank",
        pl.lit(1, pl.Int64).alias("size"), "blocked", "recent",
        pl.col("assigned_since").alias("since"),
        pl.col("balance").fill_null(0.0).round(2),  # (a blank balance sorts as 0, as in a sum)
        pl.col("client_id").alias("first_client"), pl.concat_list(LINE).alias("lines"),
        pl.lit(None, pl.List(pl.String)).alias("branches"),
    )
    grouped = members.lazy().filter(~alone).group_by("owner", "group_id").agg(
        # A household moves whole even where its members' branches differ: it goes into the
        # first of their branches with room (members of the others cross, and say so).
        pl.col("branch_key").min().fill_null(_NO_BRANCH).alias("unit_branch"),
        pl.col("bank").min(),  # one bank per officer, and per household of orphans
        pl.len().cast(pl.Int64).alias("size"),
        pl.col("blocked").any(),
        pl.col("recent").any(),
        pl.col("assigned_since").min().alias("since"),
        pl.col("balance").sum().round(2).alias("balance"),  # same sum in any row order
        pl.col("client_id").min().alias("first_client"),
        pl.col(LINE).alias("lines"),
        # members in several branches: each of them can receive the household (see `_place`)
        pl.col("branch_key").drop_nulls().unique().sort().alias("branches"),
    ).with_columns(pl.when(pl.col("branches").list.len() > 1).then("branches").alias("branches"))
    units = (  # (lazy: the engine's group-by and sort are the faster ones on big books)
        pl.concat([lone, grouped.select(lone.collect_schema().names())])
        .sort(
            ["owner", "recent", "since", "balance", "first_client"],
            descending=[False, False, True, False, False],
            nulls_last=True,
        )
        .with_row_index("uid")
        .with_columns(pl.col("uid").cast(pl.Int64))
        .collect()
    )
    # Each member finds its household by its own line (one integer join, no copies of halves).
    of_line = units.select("uid", "unit_branch", pl.col("lines").alias(LINE)).explode(LINE)
    return units.drop("lines"), members.join(of_line, on=LINE, how="left")


def _with_fits(work: Workload, settings: Settings, units: pl.DataFrame,
               load: dict[str, int] | None = None) -> pl.DataFrame:
    """Mark households that some receiver within the scope has room for, before any move
    (or, given the receivers' `load`, once some moves are made).

    A household no single receiver could take can never be placed; choosing it to leave would
    only keep its officer over where smaller households would have fitted. The levels mirror
    `_place`: the branch (not for clients without one), then the region, then the bank.
    """
    roster = work.officers
    if load is not None:
        roster = roster.with_columns(pl.col("officer_id").replace_strict(
            load, default=pl.col("accounts"), return_dtype=pl.Int64).alias("accounts"))
    room = roster.filter(_RECEIVES).select(
        pl.col("branch_key").fill_null(_NO_BRANCH), (pl.col("limit") - pl.col("accounts"))
        .alias("room"), "bank",
    )
    regions = (
        roster.filter(pl.col("branch_key").is_not_null() & pl.col("region").is_not_null())
        .group_by("branch_key").agg(pl.col("region").min())
    )
    in_branch = (  # the most room in any of the household's branches (none without one)
        units.select("uid", pl.coalesce("branches", pl.concat_list("unit_branch"))
                     .alias("branch_key")).explode("branch_key")
        .filter(pl.col("branch_key") != _NO_BRANCH)
        .join(room.group_by("branch_key").agg(pl.col("room").max()), on="branch_key")
        .group_by("uid").agg(pl.col("room").max().alias("in_branch"))
    )
    best = units.select("uid", "size", "unit_branch", "bank").join(in_branch, on="uid",
                                                                     how="left")
    reach = [pl.col("in_branch")]
    if settings.scope in ("region", "all"):
        in_region = room.join(regions, on="branch_key").group_by("region").agg(
            pl.col("room").max().alias("in_region")
        )
        best = best.join(regions, left_on="unit_branch", right_on="branch_key", how="left") \
            .join(in_region, on="region", how="left")
        reach.append(pl.col("in_region"))
    if settings.scope == "all":  # any branch of the bank (of the export, without banks)
        in_bank = room.group_by("bank").agg(pl.col("room").max().alias("in_bank"))
        best = best.join(in_bank, on="bank", how="left", nulls_equal=True)
        reach.append(pl.col("in_bank"))
    fits = best.select(
        "uid", (pl.col("size") <= pl.max_horizontal(reach).fill_null(0)).alias("fits"),
        (pl.col("size") <= reach[0]).fill_null(False).alias("fits_branch"),
    )
    return units.join(fits, on="uid", how="left").sort("uid")


# ---------------------------------------------------------------- choosing what leaves


def _choose_sheds(
    units: pl.DataFrame, over: pl.DataFrame
) -> tuple[list[int], pl.DataFrame]:
    """Per over-limit officer, the households that leave: fewest clients, then preference.

    Only households that fit some receiver are chosen; what cannot leave for lack of room is
    reported as such by `_assemble`, what cannot leave because it must stay is said here.

    Households are in preference order (settled before recent, staying in their branch before
    crossing, then by `uid`: shortest relationship, smallest balance). The fewest clients come
    first: a household that must cross leaves where it alone makes the excess and one that
    stays would move more. Where the preferred ones add up to exactly the excess,
    they are the answer (`pick_fewest` would choose the same); that is nearly every officer
    and is settled by expressions. The rest go through `pick_fewest`.
    """
    need = over.select("officer_id", (pl.col("accounts") - pl.col("limit")).alias("need"))
    own = units.filter(pl.col("owner").is_not_null() & ~pl.col("blocked")).join(
        need, left_on="owner", right_on="officer_id"
    )
    # what may leave at all (fitting a receiver or not): below the excess, the rest must stay
    may_leave = own.group_by("owner").agg(pl.col("size").sum().alias("may_leave"))
    still_over = (
        need.join(may_leave, left_on="officer_id", right_on="owner", how="left")
        .with_columns((pl.col("need") - pl.col("may_leave").fill_null(0)).alias("excess_left"))
        .filter(pl.col("excess_left") > 0)
        .select("officer_id", "excess_left")
        .sort("officer_id")
    )
    # Of choices moving as many clients, households with room in their own branch go before
    # those that must cross to find it (rule 1: crossing only where the own branch has no
    # room), after settled before recent (rule 4); then the households' own order (`uid`).
    candidates = own.filter("fits").sort(
        ["owner", "recent", "fits_branch", "uid"], descending=[False, False, True, False]
    ).with_columns(
        (pl.col("size").cum_sum().over("owner") - pl.col("size")).alias("before"),
        pl.col("size").sum().over("owner").alias("total"),
    )
    preferred = candidates.filter(pl.col("before") < pl.col("need"))
    exact = preferred.group_by("owner").agg(
        ((pl.col("size").sum() == pl.col("need").first())
         | (pl.col("total").first() <= pl.col("need").first())).alias("exact")
    ).filter("exact")["owner"]
    chosen = preferred.filter(pl.col("owner").is_in(exact.implode()))["uid"].to_list()
    rest = candidates.filter(~pl.col("owner").is_in(exact.implode())).select(
        "owner", "uid", "size", "recent", ~pl.col("fits_branch"), "need"
    )
    for _, rows in groupby(rest.rows(), key=lambda r: r[0]):
        rows = list(rows)
        chosen += pick_fewest([(uid, size, recent, crosses)
                               for _, uid, size, recent, crosses, _ in rows], rows[0][5])
    return chosen, still_over.with_columns(pl.col("excess_left").cast(pl.Int64))


def pick_fewest(units: list[tuple[int, int, bool, bool]], need: int) -> list[int]:
    """The households (uid, size, recent, crosses), in preference order, that leave an officer
    `need` clients over: rules 4, 7 and 1 in that order.

    Settled households only, where they can make up `need` (a recent handover moves only if
    nothing else can); of those allowed, the least total of clients at or above `need`; of the
    choices moving that many, the fewest recent clients, then the fewest that cross a branch;
    then, within each kind (settled or recent, staying or crossing), the most preferred.
    Everything allowed leaves if it cannot make up `need`. Subset sums over household sizes,
    with Python ints as bitsets: the kinds' sums are found apart and added, so the counts per
    kind are settled before any household is picked.
    """
    if need <= 0 or not units:
        return []
    settled = [u for u in units if not u[2]]
    allowed = settled if sum(u[1] for u in settled) >= need else units
    if sum(u[1] for u in allowed) <= need:
        return [u[0] for u in allowed]
    cap = need + max(u[1] for u in allowed)
    # settled and staying, settled and crossing, recent and staying, recent and crossing
    kinds: tuple[list[tuple[int, int]], ...] = ([], [], [], [])
    for uid, size, recent, crosses in allowed:
        kinds[2 * recent + crosses].append((uid, size))
    if sum(1 for kind in kinds if kind) == 1:  # (one kind: nothing to share out)
        return _pick_least(next(kind for kind in kinds if kind), need)
    sums = [_sums(kind, cap) for kind in kinds]
    settled_or_recent = (_plus(sums[0], sums[1], cap), _plus(sums[2], sums[3], cap))
    reach = _plus(*settled_or_recent, cap) >> need
    target = need + (reach & -reach).bit_length() - 1  # the least total at or above need
    recent_clients = _least_split(settled_or_recent[1], settled_or_recent[0], target)
    settled_clients = target - recent_clients
    crossing = (_least_split(sums[1], sums[0], settled_clients),
                _least_split(sums[3], sums[2], recent_clients))
    parts = (settled_clients - crossing[0], crossing[0],
             recent_clients - crossing[1], crossing[1])
    picked = {uid for kind, part in zip(kinds, parts, strict=True)
              for uid in _pick_least(kind, part)}  # (each part is made up exactly)
    return [u[0] for u in units if u[0] in picked]


def _sums(units: list[tuple[int, int]], cap: int) -> int:
    """The totals some of `units` make up (bit t set: t clients), up to `cap`."""
    mask, reach = (1 << (cap + 1)) - 1, 1
    for _, size in units:
        reach = (reach | (reach << size)) & mask
    return reach


def _plus(a: int, b: int, cap: int) -> int:
    """The totals of one from `a` and one from `b` (two sets of totals as bitsets)."""
    if a.bit_count() > b.bit_count():
        a, b = b, a  # (a shift per total of the smaller set; one kind is often empty: {0})
    mask, out = (1 << (cap + 1)) - 1, 0
    while a:
        low = a & -a
        out |= b << (low.bit_length() - 1)
        a ^= low
    return out & mask


def _least_split(first: int, second: int, total: int) -> int:
    """The least t in `first` with `total - t` in `second` (both sets of totals)."""
    for t in range(total + 1):
        if (first >> t) & 1 and (second >> (total - t)) & 1:
            return t
    # (callers ask only for totals the two sets make up: reaching here is a bug)
    raise ValueError(f"{total} is not made up of the two sets")


def _pick_least(units: list[tuple[int, int]], need: int) -> list[int]:
    """Units (in preference order) that make up the least total at or above `need` (all of
    them if they cannot), the most preferred: a forward walk takes each unit whenever the
    ones after it can make up the rest."""
    if need <= 0 or not units:
        return []
    if sum(size for _, size in units) <= need:
        return [uid for uid, _ in units]
    if all(size == 1 for _, size in units):
        return [uid for uid, _ in units[:need]]
    mask = (1 << (need + max(size for _, size in units) + 1)) - 1
    suffix = [0] * (len(units) + 1)
    suffix[-1] = 1
    for i in range(len(units) - 1, -1, -1):
        reach = suffix[i + 1]
        suffix[i] = (reach | (reach << units[i][1])) & mask
    reach = suffix[0] >> need
    picked, rest = [], need + (reach & -reach).bit_length() - 1
    for i, (uid, size) in enumerate(units):
        if rest == 0:
            break
        if size <= rest and (suffix[i + 1] >> (rest - size)) & 1:
            picked.append(uid)
            rest -= size
    return picked


# ---------------------------------------------------------------- placing


def _place(
    work: Workload,
    settings: Settings,
    orphans: pl.DataFrame,
    units: pl.DataFrame,
    shed: list[int],
    load_before: dict[str, int] | None = None,
) -> tuple[pl.DataFrame, list[int], dict[str, int]]:
    """Give each leaving household to the least-loaded receiver with room, widening by scope.

    Per pool of receivers (a branch, then a region, then the bank: in a province-wide export,
    the household's own bank) a heap ordered by load against limit; orphans first, then the
    households that leave, each branch's largest first. Receivers start at `load_before`
    (another round's) where given; their loads after are returned.
    """
    roster = work.officers
    receivers = roster.filter(_RECEIVES).select(
        "officer_id", "accounts", "limit", pl.col("branch_key").fill_null(_NO_BRANCH), "bank",
    ).sort("officer_id")
    ids = receivers["officer_id"].to_list()
    load = dict(zip(ids, receivers["accounts"].to_list(), strict=True))
    if load_before is not None:
        load.update(load_before)
    limit = dict(zip(ids, receivers["limit"].to_list(), strict=True))
    branch_of = dict(zip(ids, receivers["branch_key"].to_list(), strict=True))
    bank_of = dict(zip(ids, receivers["bank"].to_list(), strict=True))
    region_of_branch = dict(
        roster.filter(pl.col("branch_key").is_not_null() & pl.col("region").is_not_null())
        .group_by("branch_key").agg(pl.col("region").min())
        .rows()
    )
    shed_units = units.filter(pl.col("uid").is_in(shed)).sort(
        ["unit_branch", "size", "owner", "uid"], descending=[False, True, False, False]
    )
    orphan_units = orphans.sort(
        ["unit_branch", "size", "first_client"], descending=[False, True, False]
    )
    columns = ("uid", "size", "unit_branch", "bank", "branches")
    levels = ["branch"] + {"branch": [], "region": ["region"], "all": ["region", "all"]}[
        settings.scope
    ]
    placed: tuple[list[int], list[str], list[str]] = ([], [], [])
    left: list[int] = []
    # Orphans through every level the scope allows before any excess: a client with no
    # officer comes before one whose officer is only over the limit.
    for units_in_turn in (orphan_units, shed_units):
        queue = units_in_turn.select(columns).rows()
        for level in levels:
            queue = _place_level(queue, level, load, limit, branch_of, bank_of,
                                 region_of_branch, placed)
        left += [u[0] for u in queue]
    placement = pl.DataFrame(
        {"uid": placed[0], "to_officer_id": placed[1], "level": placed[2]},
        schema={"uid": pl.Int64, "to_officer_id": pl.String, "level": pl.String},
    )
    return placement, left, load


def _place_level(
    queue: list[tuple], level: str, load: dict[str, int], limit: dict[str, int],
    branch_of: dict[str, str], bank_of: dict[str, str | None],
    region_of_branch: dict[str, str], placed: tuple[list[int], list[str], list[str]],
) -> list[tuple]:
    """Place what it can of `queue` at one level (branch, region or bank); return the rest."""
    # the pool each receiver belongs to at this level (None: none), and the pools a
    # household may take its receiver from, in order (at the branch level each of its
    # members' branches, the first one first)
    if level == "all":
        pool_of_officer = {oid: bank_of[oid] or "*" for oid in load}
        pools_of_unit = [(bank or "*",) for _, _, _, bank, _ in queue]
    elif level == "branch":
        pool_of_officer = {oid: branch_of[oid] if branch_of[oid] != _NO_BRANCH else None
                           for oid in load}
        pools_of_unit = [
            (first,) if not members else
            ((first,) if first != _NO_BRANCH else ()) + tuple(b for b in members if b != first)
            for _, _, first, _, members in queue
        ]
    else:
        pool_of_officer = {oid: region_of_branch.get(branch_of[oid]) for oid in load}
        pools_of_unit = [(region_of_branch.get(b),) for _, _, b, _, _ in queue]
    pools: dict[str, list[tuple[float, int, str, int]]] = {}
    for oid, current in load.items():
        key, cap = pool_of_officer[oid], limit[oid]
        if current < cap and key is not None:  # no region: no region's pool
            pools.setdefault(key, []).append((current / cap, current, oid, cap))
    for heap in pools.values():
        heapq.heapify(heap)
    waiting = []
    uids, receivers, levels = placed
    placed_before = len(uids)
    replace, pop, get = heapq.heapreplace, heapq.heappop, pools.get
    for unit, keys in zip(queue, pools_of_unit, strict=True):
        oid = None
        size = unit[1]
        for key in keys:
            heap = get(key)  # (a branch-less household's `_NO_BRANCH` has no pool)
            if not heap:
                continue
            if size == 1:  # nearly every household: the least loaded has room (inline,
                _, current, oid, cap = heap[0]  # not a call of `_take` per client)
                current += 1
                if current < cap:
                    replace(heap, (current / cap, current, oid, cap))
                else:
                    pop(heap)
                load[oid] = current
                break
            if (oid := _take(heap, size, load)) is not None:
                break
        if oid is None:
            waiting.append(unit)
        else:
            uids.append(unit[0])
            receivers.append(oid)
    levels += [level] * (len(uids) - placed_before)
    return waiting


def _take(heap: list[tuple[float, int, str, int]], size: int, load: dict) -> str | None:
    """The least-loaded receiver with room for `size` (above 1) takes it; the heap stays ordered.

    Entries are (load / limit, load, officer, limit); every officer in a heap has room.
    """
    skipped, chosen = [], None
    while heap:
        entry = heapq.heappop(heap)
        _, current, oid, cap = entry
        if cap - current >= size:
            chosen = oid
            current += size
            load[oid] = current
            if current < cap:
                heapq.heappush(heap, (current / cap, current, oid, cap))
            break
        skipped.append(entry)
    for entry in skipped:
        heapq.heappush(heap, entry)
    return chosen


# ---------------------------------------------------------------- the plan as frames


def _assemble(
    work: Workload,
    settings: Settings,
    members: pl.DataFrame,
    units: pl.DataFrame,
    placement: pl.DataFrame,
    unplaced_uids: list[int],
    still_over: pl.DataFrame,
) -> Plan:
    roster = work.officers
    moved = members.join(placement, on="uid", how="inner").join(
        units.select("uid", "size"), on="uid"
    )
    outgoing = moved.group_by("officer_id").agg(pl.len().cast(pl.Int64).alias("out"))
    incoming = moved.group_by("to_officer_id").agg(pl.len().cast(pl.Int64).alias("in"))
    officers = (
        roster.join(outgoing, on="officer_id", how="left")
        .join(incoming, left_on="officer_id", right_on="to_officer_id", how="left")
        .with_columns(
            (pl.col("accounts") - pl.col("out").fill_null(0) + pl.col("in").fill_null(0))
            .alias("accounts_after")
        )
        .drop("out", "in")
    )
    after_over = (pl.col("status") == "active") & (pl.col("accounts_after") > pl.col("limit"))
    officers = officers.with_columns(after_over.alias("over_after"))

    # Who stays over and why: pinned/non-performing (from the chooser) or no room.
    residual = officers.filter("over_after").select(
        "officer_id", (pl.col("accounts_after") - pl.col("limit")).alias("excess_left")
    )
    still_over = (
        residual.join(
            still_over.select("officer_id", pl.col("excess_left").alias("blocked")),
            on="officer_id", how="left",
        )
        .with_columns(
            (pl.col("excess_left") - pl.col("blocked").fill_null(0)).alias("no_room")
        )
        .with_columns(  # (JSON is read by scripts: its sentence is English in any language)
            _why_still_over(words(settings.lang)).alias("why"),
            _why_still_over(words("en")).alias("why_en"),
        )
        .sort("officer_id")
    )

    to_branch = roster.select(pl.col("officer_id").alias("to_officer_id"),
                              pl.col("branch_key").alias("to_branch_key"))
    moved = moved.join(to_branch, on="to_officer_id", how="left").with_columns(
        # a client with no branch of its own belongs where its household is placed: into
        # one of its members' branches, or else from the first of them
        (pl.col("to_branch_key") != pl.coalesce(
            "branch_key",
            pl.when(pl.col("level") == "branch").then("to_branch_key").otherwise("unit_branch"),
        )).fill_null(True).alias("crosses_branch"),
    )
    transfers = (
        moved.select(
            pl.when(pl.col("officer_id").is_in(roster["officer_id"].implode()))
            .then(pl.col("officer_id")).alias("from_officer_id"),
            "to_officer_id", "branch_key", "to_branch_key", "crosses_branch",
        )
        # (by branch too: orphans of several branches, or a household spread over branches,
        # can go to one receiver, and each group must say where its clients come from)
        .group_by("from_officer_id", "to_officer_id", "branch_key", "to_branch_key",
                  "crosses_branch")
        .agg(pl.len().cast(pl.Int64).alias("clients"))
        .sort(["from_officer_id", "to_officer_id", "branch_key", "to_branch_key",
               "crosses_branch"], nulls_last=True)
        .select("from_officer_id", "to_officer_id", "clients", "branch_key", "to_branch_key",
                "crosses_branch")
    )
    unplaced = (
        members.filter(pl.col("uid").is_in(unplaced_uids) & pl.col("owner").is_null())
        .select("client_id", LINE, "officer_id", "branch_key", "orphan")
        .sort(LINE)
    )
    branches = _branch_table(officers, unplaced, still_over, settings)
    still_over = still_over.select("officer_id", "excess_left", "why", "why_en")
    return Plan(moved=moved, transfers=transfers, officers=officers, branches=branches,
                still_over=still_over, unplaced=unplaced, settings=settings)


def _why_still_over(w: dict[str, str]) -> pl.Expr:
    """Why an officer stays over: clients that must stay (`blocked`), no room, or both."""
    return (
        pl.when(pl.col("blocked").is_null()).then(pl.lit(w["no_room"]))
        .when(pl.col("no_room") > 0)
        .then(pl.format(w["both"], pl.lit(w["stays"]), pl.col("blocked"),
                        pl.lit(w["no_room"]), pl.col("no_room")))
        .otherwise(pl.lit(w["stays"]))
    )


def _moves(moved: pl.DataFrame, officers: pl.DataFrame, settings: Settings) -> pl.DataFrame:
    """The plan's rows: each moved client with both officers' loads and a reason."""
    loads = officers.select("officer_id", "accounts", "accounts_after", "limit")
    to_info = loads.select(
        pl.col("officer_id").alias("to_officer_id"),
        pl.col("accounts").alias("to_before"), pl.col("accounts_after").alias("to_after"),
    )
    from_info = loads.select(
        "officer_id", pl.col("accounts").alias("from_before"),
        pl.col("accounts_after").alias("from_after"), pl.col("limit").alias("from_limit"),
    )
    named = branch_names(officers)  # (a reason names branches as people read them)
    kept = "left"  # (sorted once, while narrow; each join keeps that order)
    return (
        moved.select(
            "client_id", LINE, "officer_id", "to_officer_id", "branch_key", "to_branch_key",
            "group_id", "orphan", "balance", "risk_class", "assigned_since", "crosses_branch",
            "size", "recent", "level", "unit_branch",
        ).sort(LINE)
        .join(from_info, on="officer_id", how="left", maintain_order=kept)
        .join(to_info, on="to_officer_id", how="left", maintain_order=kept)
        .join(named.rename({"branch_key": "unit_branch", "branch_name": "home_name"}),
              on="unit_branch", how="left", maintain_order=kept)
        .join(named.rename({"branch_key": "to_branch_key", "branch_name": "to_name"}),
              on="to_branch_key", how="left", maintain_order=kept)
        .with_columns(_reason(settings).alias("reason"))
        .select(
            "client_id", LINE, pl.col("officer_id").alias("from_officer_id"), "to_officer_id",
            "branch_key", "to_branch_key", "group_id", "orphan", "from_before", "from_after",
            "to_before", "to_after", "balance", "risk_class", "assigned_since",
            "crosses_branch", "reason",
        )
    )


def _reason(settings: Settings) -> pl.Expr:
    """A sentence per move: which rule chose this client, and this receiver."""
    w = words(settings.lang)
    household = pl.when(pl.col("size") > 1).then(
        pl.format(w["household"], pl.col("size"))
    ).otherwise(pl.lit(""))
    why_client = (
        pl.when(pl.col("orphan") == "departed")
        .then(pl.format(w["departed"], pl.col("officer_id")))
        .when(pl.col("orphan") == "unknown_officer")
        .then(pl.format(w["unknown"], pl.col("officer_id")))
        .when(pl.col("orphan") == "unassigned")
        .then(pl.lit(w["unassigned"]))
        .when(pl.col("recent"))
        .then(pl.format(
            w["recent"], pl.col("officer_id"), pl.col("from_before"), pl.col("from_limit"),
            pl.lit(settings.recent_days)))
        .otherwise(pl.format(
            w["shed"], pl.col("officer_id"), pl.col("from_before"),
            pl.col("from_limit")))
    )
    home = pl.when(pl.col("unit_branch") != _NO_BRANCH).then(
        pl.coalesce("home_name", "unit_branch"))  # (the branch's name; its code without one)
    there = pl.coalesce("to_name", "to_branch_key")
    why_receiver = (
        pl.when((pl.col("level") == "branch") & (pl.col("branch_key") != pl.col("to_branch_key")))
        .then(pl.format(w["kept_together"], there, pl.col("to_officer_id")))
        .when(pl.col("level") == "branch")
        .then(pl.format(w["in_branch"], pl.col("to_officer_id")))
        .when(home.is_null())
        .then(pl.format(w["no_branch"], pl.col("to_officer_id")))
        .when(pl.col("level") == "region")
        .then(pl.format(w["in_region"], home, pl.col("to_officer_id")))
        .otherwise(pl.format(w["anywhere"], home, pl.col("to_officer_id")))
    )
    return pl.concat_str([why_client, household, pl.lit(w["then"]), why_receiver])


def _branch_table(
    officers: pl.DataFrame, unplaced: pl.DataFrame, still_over: pl.DataFrame, settings: Settings
) -> pl.DataFrame:
    """Per branch: largest load, average, spread and number over, before and after."""
    active = officers.filter(pl.col("status") == "active")
    stats = active.group_by("branch_key").agg(
        pl.len().alias("active_officers"),
        pl.col("accounts").max().alias("max_before"),
        pl.col("accounts").mean().round(1).alias("mean_before"),
        (pl.col("accounts").max() - pl.col("accounts").min()).alias("spread_before"),
        pl.col("over").sum().cast(pl.Int64).alias("over_before"),
        pl.col("accounts_after").max().alias("max_after"),
        pl.col("accounts_after").mean().round(1).alias("mean_after"),
        (pl.col("accounts_after").max() - pl.col("accounts_after").min()).alias("spread_after"),
        pl.col("over_after").sum().cast(pl.Int64).alias("over_after"),
    ).join(  # (named from every officer's row, as reasons and transfers name it)
        branch_names(officers).rename({"branch_name": "branch"}), on="branch_key", how="left"
    ).select("branch_key", "branch", pl.exclude("branch_key", "branch"))
    orphans_left = unplaced.group_by("branch_key").agg(
        pl.len().cast(pl.Int64).alias("orphans_unplaced")
    )
    excess_left = (
        still_over.filter(pl.col("no_room") > 0)
        .join(officers.select("officer_id", "branch_key"), on="officer_id")
        .group_by("branch_key").agg(pl.col("no_room").sum().alias("excess_unplaced"))
    )
    table = (
        # (clients and officers without a branch are one row: null keys join each other)
        stats.join(orphans_left, on="branch_key", how="full", coalesce=True, nulls_equal=True)
        .join(excess_left, on="branch_key", how="full", coalesce=True, nulls_equal=True)
        .with_columns(  # (a branch with no active officer left: no loads, none over)
            pl.col("orphans_unplaced", "excess_unplaced", "active_officers", "max_before",
                   "spread_before", "over_before", "max_after", "spread_after", "over_after")
            .fill_null(0),
            pl.col("mean_before", "mean_after").fill_null(0.0),
        )
        .with_columns(
            (pl.col("orphans_unplaced") + pl.col("excess_unplaced")).alias("cannot_place")
        )
        .with_columns(
            ((pl.col("cannot_place") + settings.threshold - 1) // settings.threshold)
            .alias("officers_needed")
        )
        .sort("branch_key", nulls_last=True)
    )
    return table
