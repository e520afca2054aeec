"""The weekly snapshot store (SQLite) and the trends read from it.

A persistent overload (over the limit several weeks running) matters more than one bad week,
so each check can record its week; re-running a week replaces it. SQLite in WAL mode with a
busy timeout lets two cron jobs write at once without corrupting the file.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from caseload.columns import ONE_BRANCH
from caseload.errors import CaseloadError

SCHEMA = """
CREATE TABLE IF NOT EXISTS officer_weeks (
    as_of TEXT NOT NULL, officer_id TEXT NOT NULL, name TEXT, branch_key TEXT, branch TEXT,
    status TEXT NOT NULL, accounts INTEGER NOT NULL, capacity INTEGER NOT NULL,
    over INTEGER NOT NULL, near INTEGER NOT NULL,
    PRIMARY KEY (as_of, officer_id)
);
CREATE TABLE IF NOT EXISTS branch_weeks (
    as_of TEXT NOT NULL, branch_key TEXT NOT NULL, branch TEXT, officers INTEGER NOT NULL,
    accounts INTEGER NOT NULL, max_load INTEGER NOT NULL, over INTEGER NOT NULL,
    orphaned INTEGER NOT NULL, near INTEGER NOT NULL DEFAULT 0,
    roster INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (as_of, branch_key)
);
CREATE TABLE IF NOT EXISTS snapshots (
    as_of TEXT PRIMARY KEY, threshold INTEGER NOT NULL, clients INTEGER NOT NULL,
    officers INTEGER NOT NULL, over INTEGER NOT NULL, near INTEGER NOT NULL,
    orphaned INTEGER NOT NULL
);
"""
# Columns added since the first release, for history files made before them.
_ADDED = {"branch_weeks": ("near INTEGER NOT NULL DEFAULT 0",
                           "roster INTEGER NOT NULL DEFAULT 0")}
PERSISTENT_WEEKS = 2
TREND_WEEKS = 4


def default_path(environ: dict[str, str] | None = None) -> Path:
    """$XDG_DATA_HOME/caseload/history.sqlite (~/.local/share by default)."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "caseload" / "history.sqlite"


@contextmanager
def connect(path: str | os.PathLike[str], create: bool = True) -> Iterator[sqlite3.Connection]:
    p = Path(path)
    if not create and not p.exists():
        raise CaseloadError(f"{p}: no history yet (record weeks with `caseload check --history {p}`)")
    try:
        if create:
            p.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(p, timeout=30, isolation_level=None)
        else:
            conn = _read_only(p)
    except (OSError, sqlite3.Error) as exc:
        raise CaseloadError(f"{p}: cannot open the history database ({exc})") from None
    try:
        conn.execute("PRAGMA busy_timeout=30000")
        if create:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(SCHEMA)
            _upgrade(conn)
        yield conn
    except sqlite3.DatabaseError as exc:
        if "readonly" in str(exc).replace("-", "").replace(" ", ""):
            raise CaseloadError(f"{p}: the history database cannot be written (it is "
                                "read-only)") from None
        if "locked" in str(exc) or "busy" in str(exc):
            raise CaseloadError(f"{p}: the history database is in use by another run (it "
                                "stayed locked for 30 s); try again when that run ends") from None
        raise CaseloadError(f"{p}: not a caseload history database ({exc})") from None
    finally:
        conn.close()


def _upgrade(conn: sqlite3.Connection) -> None:
    """Add the columns a history file made by an earlier version lacks, filled for its old
    weeks from the officers it recorded under each branch."""
    added = []
    for table, columns in _ADDED.items():
        have = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
        for column in columns:
            if column.split()[0] not in have:
                conn.execute(f"ALTER TABLE {table} ADD COLUMN {column}")
                added.append(column.split()[0])
    if "roster" in added:
        conn.execute(
            "UPDATE branch_weeks SET roster = (SELECT COUNT(*) FROM officer_weeks o WHERE "
            "o.as_of = branch_weeks.as_of AND o.branch_key = branch_weeks.branch_key), "
            "near = (SELECT COALESCE(SUM(o.near), 0) FROM officer_weeks o WHERE "
            "o.as_of = branch_weeks.as_of AND o.branch_key = branch_weeks.branch_key)")


def _read_only(p: Path) -> sqlite3.Connection:
    """Reading needs no write access: a history on a read-only share or mount can be read.

    SQLite may still want to create the WAL index beside the file; where it cannot, the file
    is read as immutable (nobody writes to a read-only copy meanwhile).
    """
    uri = p.resolve().as_uri()
    conn = sqlite3.connect(f"{uri}?mode=ro", uri=True, timeout=30, isolation_level=None)
    try:
        conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        return conn
    except sqlite3.OperationalError:
        conn.close()
        return sqlite3.connect(f"{uri}?immutable=1", uri=True, isolation_level=None)


def record(path: str | os.PathLike[str], report: Any) -> int:
    """Store this week's per-officer and per-branch figures, and the week's totals.

    One history can gather many runs of a week (head office's cron job per branch): a run
    replaces what was recorded that day for its own branches and officers, and the week's
    totals are the sums over every branch recorded for it. Officers and clients of no branch
    belong to the run's client export (its path), so that exports without branch columns,
    one per branch, keep apart; re-recording the same export replaces them.
    """
    as_of = report.as_of.isoformat()
    run_key, run_name = _run_key(report)
    filed = _filing(report, run_key)  # (officers and branches by one rule)
    officers = [
        (as_of, o["officer_id"], o["name"], filed(o["branch_id"] or o["branch"]),
         o["branch"], o["status"], o["accounts"], o["capacity"], int(o["over"]), int(o["near"]))
        for o in report.officers
    ]
    placeholders = sorted({b["branch_key"] or "" for b in report.branches
                           if not _named(b["branch_key"])})
    # (a run files only the branches it has officers or clients in, not one where it only plans)
    branches = [(as_of, filed(b["branch_key"]),
                 b["branch"] if _named(b["branch_key"]) else _bank_of(b["branch_key"]) + run_name,
                 b["active_officers"], b["clients"], b["max_before"], b["over_before"],
                 b["orphaned"], b["near"], b["roster_officers"])
                for b in report.branches if b["clients"] or b["roster_officers"]]
    with connect(path) as conn:
        conn.execute("BEGIN IMMEDIATE")
        try:
            # This report's officers, and everyone recorded that day under its branches (an
            # officer since taken off a re-recorded roster); other branches' runs are kept.
            # The branches its officers were filed under that day go too: re-recorded after
            # a rename (a branch known by name), the old name's row would count twice.
            before = _filed_before(conn, as_of, [o[1] for o in officers])
            conn.executemany(
                "DELETE FROM branch_weeks WHERE as_of = ? AND branch_key = ?",
                [(as_of, key) for key in before],
            )
            # Officers of no branch are filed under the run's export, its one branch (per
            # bank) under that key with the branch's placeholder before it: re-recorded from
            # another export (the applied one), the old export's row of each of this run's
            # branches goes too (not another bank's, recorded from the same old export).
            conn.executemany(
                "DELETE FROM branch_weeks WHERE as_of = ? AND branch_key = ?",
                [(as_of, f"{placeholder or ''}{key}") for key in before
                 if key.startswith(_NO_BRANCH) for placeholder in placeholders],
            )
            conn.executemany(
                "DELETE FROM officer_weeks WHERE as_of = ? AND officer_id = ?",
                [(as_of, o[1]) for o in officers],
            )
            conn.executemany(
                "DELETE FROM officer_weeks WHERE as_of = ? AND branch_key = ?",
                [(as_of, key) for key in sorted({o[3] for o in officers})],
            )
            conn.executemany(
                "DELETE FROM branch_weeks WHERE as_of = ? AND branch_key = ?",
                [(as_of, b[1]) for b in branches],
            )
            conn.executemany("INSERT INTO officer_weeks VALUES (?,?,?,?,?,?,?,?,?,?)", officers)
            conn.executemany(
                "INSERT INTO branch_weeks (as_of, branch_key, branch, officers, accounts, "
                "max_load, over, orphaned, near, roster) VALUES (?,?,?,?,?,?,?,?,?,?)",
                branches)
            conn.execute(  # the week: every branch recorded for it, by this run or another
                "INSERT OR REPLACE INTO snapshots SELECT ?, ?, COALESCE(SUM(accounts), 0), "
                "COALESCE(SUM(roster), 0), COALESCE(SUM(over), 0), COALESCE(SUM(near), 0), "
                "COALESCE(SUM(orphaned), 0) FROM branch_weeks WHERE as_of = ?",
                (as_of, report.threshold, as_of),
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return len(officers)


def _filed_before(conn: sqlite3.Connection, as_of: str, officer_ids: list[str]) -> list[str]:
    """The branches these officers were recorded under on `as_of` (by an earlier run)."""
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS run_officers (officer_id TEXT PRIMARY KEY)")
    conn.execute("DELETE FROM run_officers")
    conn.executemany("INSERT OR IGNORE INTO run_officers VALUES (?)", [(o,) for o in officer_ids])
    rows = conn.execute(
        "SELECT DISTINCT branch_key FROM officer_weeks JOIN run_officers USING (officer_id) "
        "WHERE as_of = ? ORDER BY branch_key", (as_of,))
    return [r[0] for r in rows]


def _filing(report: Any, run_key: str) -> Callable[[str | None], str]:
    """The key a report's branch is filed under: its code where the roster has one, whatever
    the client export carried (a run with codes and one without are the same branch)."""
    code = {k: o["branch_id"] for o in report.officers if o["branch_id"]
            for k in (o["branch"], o["branch_id"]) if k}
    return lambda key: _filed_under(code.get(key, key) if key is not None else None, run_key)


def _named(branch_key: str | None) -> bool:
    """A branch of the export's own, not the one an export without branch columns stands for."""
    return branch_key is not None and branch_key.rsplit("/", 1)[-1] != ONE_BRANCH


def _filed_under(branch_key: str | None, run_key: str) -> str:
    return branch_key if _named(branch_key) else f"{branch_key or ''}{run_key}"


_NO_BRANCH = "(no branch)"


def _run_key(report: Any) -> tuple[str, str]:
    """Where officers and clients of no branch are kept: the run's client export."""
    path = report.inputs[-1].path if report.inputs else ""
    return f"{_NO_BRANCH} {os.path.abspath(path) if path else ''}".rstrip(), \
        f"(no branch: {path})" if path else "(no branch)"


@dataclass(frozen=True)
class Scope:
    """The branches and officers of one report: its history, not the whole file's."""

    branch_keys: frozenset[str]
    officer_ids: frozenset[str]


def scope_of(report: Any) -> Scope:
    """What `record` files this report's branches and officers under."""
    filed = _filing(report, _run_key(report)[0])
    return Scope(
        frozenset(filed(b["branch_key"]) for b in report.branches),
        frozenset(o["officer_id"] for o in report.officers),
    )


def trends(path: str | os.PathLike[str], weeks: int = 12,
           persistent_weeks: int = PERSISTENT_WEEKS, within: Scope | None = None,
           until: dt.date | None = None) -> dict[str, Any]:
    """Snapshots, per-branch trend, persistent overloads and projected crossings.

    `within` narrows them to one report's branches and officers (a branch's report from a
    history that head office fills with every branch): the weeks' totals are then those
    branches' sums. `until` leaves out weeks after a date (a report of a past week re-run).
    """
    empty = {"snapshots": [], "branches": [], "officers": [], "persistent": [], "crossing": []}
    with connect(path, create=False) as conn:
        conn.row_factory = sqlite3.Row
        last = until.isoformat() if until is not None else "9999-12-31"
        if within is None:
            dates = [r[0] for r in conn.execute(
                "SELECT as_of FROM snapshots WHERE as_of <= ? ORDER BY as_of DESC LIMIT ?",
                (last, weeks))][::-1]
        else:
            dates = sorted({r[0] for r in conn.execute(
                "SELECT as_of, branch_key FROM branch_weeks WHERE as_of <= ?", (last,))
                if r[1] in within.branch_keys})[-weeks:]
        if not dates:
            return empty
        marks = ",".join("?" * len(dates))
        snapshots = [dict(r) for r in conn.execute(
            f"SELECT * FROM snapshots WHERE as_of IN ({marks}) ORDER BY as_of", dates)]
        branch_rows = [dict(r) for r in conn.execute(
            f"SELECT * FROM branch_weeks WHERE as_of IN ({marks}) ORDER BY branch_key, as_of",
            dates)]
        # Officers over or near in the latest calendar week, on whichever of its days their
        # bank or branch was recorded (head office may record banks on different weekdays).
        latest = [d for d in dates if _week(d) == _week(dates[-1])]
        this_week = ",".join("?" * len(latest))
        watched = [dict(r) for r in conn.execute(
            f"""SELECT w.* FROM officer_weeks w
                WHERE w.as_of IN ({marks}) AND w.officer_id IN (
                    SELECT officer_id FROM officer_weeks
                    WHERE as_of IN ({this_week}) AND (over = 1 OR near = 1))
                ORDER BY w.officer_id, w.as_of""", [*dates, *latest])]
    if within is not None:
        branch_rows = [r for r in branch_rows if r["branch_key"] in within.branch_keys]
        watched = [r for r in watched if r["officer_id"] in within.officer_ids]
        snapshots = _summed(snapshots, branch_rows)
    branches: dict[str, dict[str, Any]] = {}
    for r in branch_rows:
        b = branches.setdefault(r["branch_key"], {"branch_key": r["branch_key"],
                                                  "branch": r["branch"], "weeks": []})
        b["branch"] = r["branch"]  # (weeks in date order: the latest name, after a rename)
        b["weeks"].append({k: r[k] for k in ("as_of", "officers", "accounts", "max_load",
                                              "over", "orphaned")})
    by_officer: dict[str, list[dict[str, Any]]] = {}
    for r in watched:
        by_officer.setdefault(r["officer_id"], []).append(r)
    officers, persistent, crossing = [], [], []
    for oid, rows in by_officer.items():
        last = rows[-1]
        if not (last["over"] or last["near"]):
            continue  # (over earlier in the week, but the week's last record of him is not)
        officers.append({"officer_id": oid, "name": last["name"], "branch": last["branch"],
                         "capacity": last["capacity"],
                         "weeks": [{"as_of": r["as_of"], "accounts": r["accounts"]} for r in rows]})
        run = _over_run(rows, dates)
        if last["over"] and run >= persistent_weeks:
            persistent.append({"officer_id": oid, "name": last["name"], "branch": last["branch"],
                               "accounts": last["accounts"], "capacity": last["capacity"],
                               "weeks_over": run})
        if last["near"] and not last["over"]:
            crossing.append(_projection(oid, last, rows))
    persistent.sort(key=lambda p: (-p["weeks_over"], -p["accounts"], p["officer_id"]))
    crossing.sort(key=lambda c: (c["weeks_to_cross"] is None, c["weeks_to_cross"] or 0,
                                 c["officer_id"]))
    return {"snapshots": snapshots, "branches": list(branches.values()), "officers": officers,
            "persistent": persistent, "crossing": crossing}


def _summed(snapshots: list[dict[str, Any]], rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each week's totals over the given branch rows (the threshold as recorded that week)."""
    out = []
    for snap in snapshots:
        week = [r for r in rows if r["as_of"] == snap["as_of"]]
        out.append({**snap, "clients": sum(r["accounts"] for r in week),
                    "officers": sum(r["roster"] for r in week),
                    "over": sum(r["over"] for r in week), "near": sum(r["near"] for r in week),
                    "orphaned": sum(r["orphaned"] for r in week)})
    return out


def _bank_of(branch_key: str | None) -> str:
    """``城关农商行 `` for a key of a province's bank (``城关农商行/(branch)``), else nothing."""
    bank, _, rest = (branch_key or "").rpartition("/")
    return f"{bank} " if bank and rest == ONE_BRANCH else ""


def _week(day: str) -> tuple[int, int]:
    """The calendar week (ISO year and week) of a recorded day."""
    return dt.date.fromisoformat(day).isocalendar()[:2]


def _over_run(rows: list[dict[str, Any]], dates: list[str]) -> int:
    """Consecutive calendar weeks, ending at the latest, in which the officer was over.

    A week recorded on several days (Monday's cron job and Tuesday's re-run, or banks recorded
    on different weekdays) is one week, judged by the officer's own last record in it.
    """
    over: dict[tuple[int, int], int] = {}
    for r in rows:  # (in date order: his last record of each week wins)
        over[_week(r["as_of"])] = r["over"]
    run = 0
    for week in reversed(list(dict.fromkeys(_week(d) for d in dates))):
        if not over.get(week):
            break
        run += 1
    return run


def _projection(oid: str, last: dict[str, Any], rows: list[dict[str, Any]]) -> dict[str, Any]:
    """When a near officer crosses the limit at the growth of the recent weeks (least squares)."""
    recent = rows[-TREND_WEEKS:]
    days = [(dt.date.fromisoformat(r["as_of"]) - dt.date.fromisoformat(recent[0]["as_of"])).days
            for r in recent]
    loads = [r["accounts"] for r in recent]
    slope = 0.0
    if len(recent) >= 2 and len(set(days)) > 1:
        mx, my = sum(days) / len(days), sum(loads) / len(loads)
        slope = sum((x - mx) * (y - my) for x, y in zip(days, loads, strict=True)) / sum(
            (x - mx) ** 2 for x in days)
    per_week = round(slope * 7, 2)
    gap = last["capacity"] + 1 - last["accounts"]
    weeks_to_cross = math.ceil(gap / (slope * 7)) if slope > 0 else None
    when = None
    if weeks_to_cross is not None:
        when = (dt.date.fromisoformat(last["as_of"]) + dt.timedelta(weeks=weeks_to_cross)).isoformat()
    return {"officer_id": oid, "name": last["name"], "branch": last["branch"],
            "accounts": last["accounts"], "capacity": last["capacity"],
            "growth_per_week": per_week, "weeks_to_cross": weeks_to_cross, "expected": when}
