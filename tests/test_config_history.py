"""caseload.toml precedence, `config` commands, and the weekly history store."""

from __future__ import annotations

import json
import multiprocessing
import sqlite3

import pytest

from caseload.cli import app
from caseload.config import ConfigError, read_config_file, resolve
from caseload.history import record, trends
from tests.conftest import FIRST_HISTORY_SCHEMA, SAMPLE, write_exports

ZH = [str(SAMPLE / "officers.csv"), str(SAMPLE / "clients.csv")]


def test_precedence_flag_env_file_default(tmp_path):
    cfg = tmp_path / "caseload.toml"
    cfg.write_text('threshold = 250\nnear_fraction = 0.8\nscope = "region"\n'
                   '[grade_limits]\n"初级" = 150\n"资深" = 350\n', encoding="utf-8")
    r = resolve({"threshold": 200, "grade_limits": {"资深": 400}},
                {"CASELOAD_THRESHOLD": "220", "CASELOAD_NEAR_FRACTION": "0.85"}, None,
                cwd=str(tmp_path))
    assert r.values["threshold"] == 200 and r.sources["threshold"] == "flag"
    assert r.values["near_fraction"] == 0.85 and r.sources["near_fraction"] == "env"
    assert r.values["scope"] == "region" and r.sources["scope"].startswith("file")
    assert r.values["recent_days"] == 90 and r.sources["recent_days"] == "default"
    assert r.values["grade_limits"] == {"初级": 150, "资深": 400}


@pytest.mark.parametrize("text, needle", [
    ("thresold = 300\n", "unknown key 'thresold'"),
    ('threshold = "x"\n', "threshold must be a whole number"),
    ("threshold = 0\n", "threshold must be from 1 to 1,000,000"),
    ('scope = "county"\n', "scope must be one of"),
    ("near_fraction = 1.5\n", "near_fraction must be above 0"),
    ("[grade_limits]\n\"初级\" = -1\n", "grade_limits.初级 must be from 1 to 1,000,000"),
    ("threshold = \n", "not valid TOML"),
])
def test_wrong_key_or_value_names_key_and_file(tmp_path, runner, text, needle):
    cfg = tmp_path / "bad.toml"
    cfg.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=needle):
        resolve({}, {}, str(cfg))
    result = runner.invoke(app, ["check", *ZH, "--config", str(cfg)])
    assert result.exit_code == 2
    assert str(cfg) in result.stderr and "Traceback" not in result.output


def test_bad_environment_value(runner):
    result = runner.invoke(app, ["check", *ZH], env={"CASELOAD_THRESHOLD": "many"})
    assert result.exit_code == 2
    assert "CASELOAD_THRESHOLD" in result.stderr


def test_config_file_changes_the_check(runner, tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text("threshold = 350\n", encoding="utf-8")
    result = runner.invoke(app, ["check", *ZH, "--config", str(cfg), "--format", "json",
                                 "--as-of", "2026-11-20"])
    doc = json.loads(result.stdout)
    assert doc["threshold"] == 350 and doc["summary"]["over"] == 1  # only 07296 (362)
    flag = runner.invoke(app, ["check", *ZH, "--config", str(cfg), "--format", "json",
                               "--threshold", "300", "--as-of", "2026-11-20"])
    assert json.loads(flag.stdout)["summary"]["over"] == 4


def test_config_init_and_show(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert runner.invoke(app, ["config", "init"]).exit_code == 0
    assert (tmp_path / "caseload.toml").exists()
    assert runner.invoke(app, ["config", "init"]).exit_code == 2  # exists, no --force
    shown = runner.invoke(app, ["config", "show", "--format", "json"],
                          env={"CASELOAD_SCOPE": "all"})
    doc = json.loads(shown.stdout)
    assert doc["values"]["scope"] == "all" and doc["sources"]["scope"] == "env"
    assert doc["sources"]["threshold"].startswith("file")
    shown = runner.invoke(app, ["config", "show", "--format", "json"],
                          env={"XDG_DATA_HOME": str(tmp_path / "data")})
    assert json.loads(shown.stdout)["values"]["history"] == str(
        tmp_path / "data" / "caseload" / "history.sqlite")  # (the path --record would use)


def _week(runner, db, day):
    return runner.invoke(app, ["check", *ZH, "--as-of", day, "--history", str(db), "-q"])


def test_rerunning_a_week_replaces_it(runner, tmp_path):
    db = tmp_path / "h.sqlite"
    for day in ("2026-11-06", "2026-11-13", "2026-11-13", "2026-11-20"):
        assert _week(runner, db, day).exit_code == 1
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM snapshots").fetchone()[0] == 3
        assert conn.execute("SELECT COUNT(*) FROM officer_weeks").fetchone()[0] == 3 * 40
    found = trends(db)
    assert [s["as_of"] for s in found["snapshots"]] == ["2026-11-06", "2026-11-13", "2026-11-20"]
    weeks = {p["officer_id"]: p["weeks_over"] for p in found["persistent"]}
    assert weeks == {"07296": 3, "08125": 3, "01908": 3, "08014": 3}
    result = runner.invoke(app, ["history", "--history", str(db), "--format", "json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["snapshots"][0]["as_of"] == "2026-11-06"
    table = runner.invoke(app, ["history", "--history", str(db)])
    assert table.exit_code == 0 and "Over the limit several weeks running" in table.stdout
    assert "by week" in table.stdout
    row = next(ln for ln in table.stdout.splitlines() if ln.strip().startswith("07296"))
    assert row.split()[-3:] == ["362", "362", "362"]  # the officer's load in each week


class _Report:
    """The few fields `record` reads, to build weeks by hand."""

    def __init__(self, day, loads, threshold=300):
        import datetime as dt

        self.as_of = dt.date.fromisoformat(day)
        self.threshold = threshold
        self.officers = [
            {"officer_id": oid, "name": None, "branch": "B", "branch_id": None,
             "status": "active", "accounts": n, "capacity": threshold,
             "over": n > threshold, "near": threshold * 0.9 <= n <= threshold}
            for oid, n in loads.items()]
        self.summary = {"clients": sum(loads.values()), "officers": len(loads),
                        "over": sum(o["over"] for o in self.officers),
                        "near": sum(o["near"] for o in self.officers), "orphaned": 0}
        self.branches = [{"branch_key": "B", "branch": "B", "active_officers": len(loads),
                          "clients": self.summary["clients"], "max_before": max(loads.values()),
                          "over_before": self.summary["over"], "orphaned": 0,
                          "near": self.summary["near"], "roster_officers": len(loads)}]
        self.inputs = []


def test_run_of_over_weeks_resets_and_crossing_is_projected(tmp_path):
    db = tmp_path / "h.sqlite"
    weeks = [("2026-10-30", 305, 270), ("2026-11-06", 290, 276), ("2026-11-13", 310, 282),
             ("2026-11-20", 320, 288)]
    for day, a, b in weeks:
        record(db, _Report(day, {"A": a, "B": b}))
    found = trends(db)
    assert [(p["officer_id"], p["weeks_over"]) for p in found["persistent"]] == [("A", 2)]
    crossing = {c["officer_id"]: c for c in found["crossing"]}
    assert crossing["B"]["growth_per_week"] == pytest.approx(6.0)
    assert crossing["B"]["weeks_to_cross"] == 3  # 288 + 3*6 = 306 > 300; 2 weeks gives 300
    assert crossing["B"]["expected"] == "2026-12-11"


def _writer(args):
    db, start = args
    for i in range(5):
        record(db, _Report(f"2026-0{start}-1{i}", {f"O{start}{j}": 100 + j for j in range(50)}))
    return True


def test_two_processes_writing_at_once(tmp_path):
    db = str(tmp_path / "h.sqlite")
    record(db, _Report("2026-01-01", {"X": 1}))  # create the schema first
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        assert all(pool.map(_writer, [(db, 1), (db, 2)]))
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT COUNT(*) FROM officer_weeks").fetchone()[0] == 1 + 2 * 5 * 50


def test_history_without_database_is_a_clear_error(runner, tmp_path):
    result = runner.invoke(app, ["history", "--history", str(tmp_path / "none.sqlite")])
    assert result.exit_code == 2 and "no history yet" in result.stderr


def test_a_week_re_recorded_from_a_corrected_roster_forgets_who_left_it(tmp_path):
    db = tmp_path / "h.sqlite"
    record(db, _Report("2026-11-06", {"001": 7, "002": 1}, threshold=5))
    record(db, _Report("2026-11-13", {"001": 7, "002": 1}, threshold=5))
    record(db, _Report("2026-11-13", {"002": 8}, threshold=5))  # 001 was never there
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT officer_id FROM officer_weeks WHERE as_of = '2026-11-13'"
                            ).fetchall() == [("002",)]
    assert {p["officer_id"] for p in trends(db)["persistent"]} == set()


@pytest.mark.parametrize("args, env, needle", [
    (["--as-of", "0001-01-01"], {}, "--as-of '0001-01-01': expected a date between 1900 and 2999"),
    (["--threshold", "99999999999999999999"], {}, "not in the range 1<=x<=1000000"),
    (["--grade-limit", "初级=²"], {}, "the limit must be a whole number from 1 to 1,000,000"),
    ([], {"CASELOAD_RECENT_DAYS": "1000000000"}, "recent_days must be from 0 to 36,500"),
])
def test_values_out_of_range_are_named_not_internal_errors(runner, monkeypatch, args, env,
                                                           needle):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    result = runner.invoke(app, ["check", str(SAMPLE / "officers.csv"),
                                 str(SAMPLE / "clients.csv"), *args])
    assert result.exit_code == 2
    assert needle in result.stderr and "internal error" not in result.stderr


def test_a_limit_column_beyond_any_book_is_a_row_problem(runner, tmp_path):
    officers, clients = write_exports(
        tmp_path,
        "工号,姓名,管户上限\n001,甲,99999999999999999999\n002,乙,300\n",
        "客户号,管户客户经理工号\nC1,001\n",
    )
    result = runner.invoke(app, ["check", str(officers), str(clients)])
    assert result.exit_code == 2
    assert "limit is not a whole number from 1 to 1,000,000" in result.stderr
    assert "line 2" in result.stderr


def test_the_history_is_read_without_write_access(tmp_path):
    """`caseload history` on a read-only share: reading opens the file read-only."""
    from caseload.history import connect

    db = tmp_path / "h.sqlite"
    record(db, _Report("2026-11-06", {"001": 7}, threshold=5))
    with connect(db, create=False) as conn:
        assert conn.execute("SELECT COUNT(*) FROM officer_weeks").fetchone()[0] == 1
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            conn.execute("DELETE FROM officer_weeks")
    assert trends(db)["snapshots"][0]["as_of"] == "2026-11-06"


def test_a_column_map_from_the_config_file_is_named_by_the_file(runner, tmp_path, monkeypatch):
    (tmp_path / "caseload.toml").write_text('[columns]\nclient_id = "5"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["check", str(SAMPLE / "officers.csv"),
                                 str(SAMPLE / "clients.csv")])
    assert result.exit_code == 2
    assert "caseload.toml [columns] client_id=5: '5' is not in the header" in result.stderr
    flag = runner.invoke(app, ["check", str(SAMPLE / "officers.csv"),
                               str(SAMPLE / "clients.csv"), "--map", "client_id=6"])
    assert "--map client_id=6: '6' is not in the header" in flag.stderr


def test_a_history_file_of_an_earlier_version_is_upgraded_in_place(tmp_path):
    """Files made before branch rows carried `near` and `roster` get the columns (0 in their
    old weeks) and go on recording; their old weeks' totals are kept as recorded."""
    import sqlite3

    db = tmp_path / "old.sqlite"
    old = sqlite3.connect(db)
    old.executescript(FIRST_HISTORY_SCHEMA + """
        INSERT INTO branch_weeks VALUES ('2026-11-13', 'B', 'B', 2, 600, 310, 1, 0);
        INSERT INTO snapshots VALUES ('2026-11-13', 300, 600, 2, 1, 1, 0);
    """)
    old.commit()
    old.close()
    record(db, _Report("2026-11-20", {"A": 320, "B": 288}))
    found = trends(db)
    assert [(s["as_of"], s["clients"], s["officers"], s["near"]) for s in found["snapshots"]] \
        == [("2026-11-13", 600, 2, 1), ("2026-11-20", 608, 2, 1)]


@pytest.mark.parametrize("text", ['history = 12\n', '[columns]\nofficer_id = {a = 1}\n',
                                  'lang = ["zh"]\n'])
def test_a_setting_that_must_be_text_refuses_anything_else(tmp_path, text):
    path = tmp_path / "caseload.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"caseload\.toml: .* must be text"):
        read_config_file(str(path))
