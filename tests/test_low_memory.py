"""`--low-memory`: the client book read a part at a time, twice, holding only what may move.

The promise is that nothing changes but memory and time: every test here runs the same
command with and without the flag and compares what a user gets (JSON, exit code, stderr,
plan file), byte for byte.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caseload import low_memory
from caseload.check import load_inputs, run
from caseload.cli import app
from caseload.config import ReadOptions, Settings
from caseload.errors import RowProblemsError
from tests.conftest import AS_OF, SAMPLE, write_file

OFFICERS = SAMPLE / "en" / "officers.csv"


def _run(runner, *args: object) -> tuple[int, str, str]:
    result = runner.invoke(app, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def both(runner, command: str, officers: Path, clients: Path, *extra: object):
    """The same command without and with --low-memory: ((code, out, err), (code, out, err))."""
    args = [command, officers, clients, "--as-of", AS_OF, *extra]
    return _run(runner, *args), _run(runner, *args, "--low-memory")


def _sample_parts(tmp_path: Path, suffix: str, size: int = 1000) -> Path:
    """The English sample book as a folder of parts of `size` rows."""
    book = pl.read_csv(SAMPLE / "en" / "clients.csv", infer_schema=False)
    folder = tmp_path / f"clients-{suffix}"
    folder.mkdir()
    for i, start in enumerate(range(0, book.height, size)):
        part = book.slice(start, size)
        target = folder / f"part-{i}.{suffix}"
        part.write_csv(target) if suffix == "csv" else part.write_parquet(target)
    return folder


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_a_folder_of_parts_gives_the_same_check(runner, tmp_path, suffix, monkeypatch):
    monkeypatch.setattr(low_memory, "SLICE_ROWS", 333)  # (Parquet parts are read in slices too)
    folder = _sample_parts(tmp_path, suffix)
    whole, low = both(runner, "check", OFFICERS, folder, "--format", "json")
    assert whole[0] == low[0] == 1
    assert low[1] == whole[1]
    doc = json.loads(low[1])
    assert doc["summary"]["clients"] == doc["inputs"][1]["rows_used"] == 6980
    assert doc["transfers"]  # (a check with something to move: the held part matters)


def test_a_parquet_file_read_in_slices_gives_the_same_check_and_plan(runner, tmp_path,
                                                                      monkeypatch):
    monkeypatch.setattr(low_memory, "SLICE_ROWS", 999)  # (7 slices, the last one short)
    book = tmp_path / "clients.parquet"
    pl.read_csv(SAMPLE / "en" / "clients.csv", infer_schema=False).write_parquet(book)
    whole, low = both(runner, "check", OFFICERS, book, "--format", "json")
    assert (whole[0], whole[1]) == (low[0], low[1])
    codes = [_run(runner, "plan", OFFICERS, book, "--as-of", AS_OF, "--out", tmp_path / name,
                  *flags)[0] for name, flags in (("whole.csv", []), ("low.csv", ["--low-memory"]))]
    assert codes[0] == codes[1]
    whole_moves = (tmp_path / "whole.csv").read_bytes()
    assert (tmp_path / "low.csv").read_bytes() == whole_moves
    assert whole_moves.count(b"\n") > 100


def test_the_plan_file_and_tables_are_the_same_from_csv_parts(runner, tmp_path):
    folder = _sample_parts(tmp_path, "csv", 700)
    for flags in ([], ["--low-memory"]):
        code, out, _ = _run(runner, "plan", OFFICERS, folder, "--as-of", AS_OF, "--out",
                            tmp_path / f"moves{len(flags)}.xlsx", *flags)
        assert code in (0, 1)
        if not flags:
            tables = out
    assert out.replace("moves1.xlsx", "moves0.xlsx") == tables
    assert (tmp_path / "moves0.xlsx").read_bytes() == (tmp_path / "moves1.xlsx").read_bytes()


@pytest.mark.parametrize("book", [SAMPLE / "en" / "clients.csv", SAMPLE / "clients.csv"])
@pytest.mark.parametrize("size", [2000, 65536, 1 << 30])
def test_one_csv_file_read_in_slices_gives_the_same_check(runner, monkeypatch, book, size):
    # (the Chinese sample: GB18030, a title line, CRLF, a 合计 line at the end)
    monkeypatch.setattr(low_memory, "SLICE_BYTES", size)
    officers = OFFICERS if book.parent.name == "en" else SAMPLE / "officers.csv"
    whole, low = both(runner, "check", officers, book, "-f", "json")
    assert low == whole
    assert json.loads(low[1])["summary"]["clients"] == 6980


# ---------------------------------------------------------------- problems, as a whole read


def _book(tmp_path: Path, parts: list[str]) -> tuple[Path, Path]:
    roster = write_file(tmp_path / "officers.csv",
                        "officer_id,name,branch,status\n"
                        "001,Wang,North,active\n002,Li,North,active\n003,Zhao,North,departed\n")
    folder = tmp_path / "clients"
    for i, rows in enumerate(parts):
        write_file(folder / f"b-{i + 1}.csv", "client_id,officer_id,balance\n" + rows)
    return roster, folder


def test_an_identical_row_in_two_parts_counts_once(runner, tmp_path):
    roster, folder = _book(tmp_path, ["C1,001,10\nC2,003,20\n", "C3,002,5\nC2,003,20\n"])
    whole, low = both(runner, "check", roster, folder, "-f", "json", "--threshold", "1")
    assert low == whole
    doc = json.loads(low[1])
    assert doc["summary"]["clients"] == 3
    assert doc["inputs"][1]["notes"][0]["problem"] == "identical client row repeated, counted once"


def test_a_client_under_two_officers_in_two_parts_is_refused_alike(runner, tmp_path):
    roster, folder = _book(tmp_path, ["C1,001,10\nC2,001,20\n", "C3,002,5\nC2,002,20\n"])
    whole, low = both(runner, "check", roster, folder)
    assert whole[0] == low[0] == 2
    assert low[2] == whole[2]
    assert "C2 under different officers: 2 row(s), b-1.csv line 3; b-2.csv line 3" in low[2]
    whole, low = both(runner, "check", roster, folder, "-f", "json", "--skip-bad-rows")
    assert low == whole
    assert json.loads(low[1])["summary"]["clients"] == 2


def test_a_bad_row_in_a_later_part_is_refused_alike(runner, tmp_path):
    roster, folder = _book(tmp_path, ["C1,001,10\n", "C2,001,x\nC3,,5\n", "C4,002,1\n"])
    whole, low = both(runner, "check", roster, folder)
    assert whole[0] == low[0] == 2
    assert low[2] == whole[2]
    assert "b-2.csv line 2" in low[2]
    whole, low = both(runner, "check", roster, folder, "-f", "json", "--skip-bad-rows")
    assert low == whole


def test_a_part_that_changes_between_the_two_readings_is_refused(tmp_path, monkeypatch):
    roster, folder = _book(tmp_path, ["C1,001,10\n", "C2,003,20\n"])
    read = low_memory._part_tables
    calls = []

    def changing(path, options, wanted, known):
        calls.append(path)
        if len(calls) == 2:  # the second reading: a row more in a part
            write_file(folder / "b-2.csv", "client_id,officer_id,balance\nC2,003,20\nC5,1,1\n")
        return read(path, options, wanted, known)

    monkeypatch.setattr(low_memory, "_part_tables", changing)
    with pytest.raises(Exception, match="changed while it was read"):
        load_inputs(roster, folder, ReadOptions(low_memory=True), settings=Settings())


# ---------------------------------------------------------------- any book, any parts

ROSTER = ("officer_id,name,branch,status,capacity\n"
          "1,A,N,active,3\n2,B,N,active,4\n3,C,S,active,2\n4,D,S,departed,\n5,E,N,leave,\n")


@st.composite
def books(draw):
    """A small book in parts: repeats, blank numbers, bad balances, unknown and departed
    officers, staff numbers as spreadsheets mangle them (" 2", full-width "３"), households."""
    n = draw(st.integers(0, 24))
    ids = draw(st.lists(st.sampled_from([f"C{i}" for i in range(18)] + [""]), min_size=n,
                        max_size=n))
    rows = []
    for cid in ids:
        officer = draw(st.sampled_from(["1", "2", "3", "4", "5", "9", "", " 2", "３"]))
        group = draw(st.sampled_from(["", "", "H1", "H2"]))
        balance = draw(st.sampled_from(['1', '2', '1', 'x']))
        note = draw(st.sampled_from(["", "a", '"b,\nc"', '"d\n""e"""']))  # (breaks in quotes)
        rows.append(f"{cid},{officer},{group},{balance},{note}")
    cuts = sorted(draw(st.lists(st.integers(0, n), max_size=3)))
    bounds = [0, *cuts, n]
    return [rows[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]


def _outcome(roster: Path, folder: Path, read: ReadOptions) -> dict | str:
    try:
        inputs = load_inputs(roster, folder, read, settings=SETTINGS)
    except RowProblemsError as exc:
        return exc.message + "\n" + "\n".join(exc.details)
    report = run(inputs, SETTINGS).report.to_json()
    return report


SETTINGS = Settings(as_of=dt.date(2026, 11, 20), threshold=3)


@settings(max_examples=int(os.environ.get("PLAN_EXAMPLES", "60")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=books(), skip=st.booleans(), size=st.integers(1, 120))
def test_any_book_in_any_parts_gives_what_a_whole_read_gives(tmp_path_factory, parts, skip,
                                                             size):
    folder = tmp_path_factory.mktemp("book")
    roster = write_file(folder / "officers.csv", ROSTER)
    header = "client_id,officer_id,group_id,balance,note\n"
    for i, rows in enumerate(parts):
        write_file(folder / "clients" / f"p{i}.csv", header + "".join(r + "\n" for r in rows))
    one = write_file(folder / "one.csv", header + "".join(r + "\n" for p in parts for r in p))
    whole = ReadOptions(skip_bad_rows=skip)
    low = ReadOptions(skip_bad_rows=skip, low_memory=True)
    assert _outcome(roster, folder / "clients", low) == _outcome(roster, folder / "clients", whole)
    kept, low_memory.SLICE_BYTES = low_memory.SLICE_BYTES, size  # (one file, in slices)
    try:
        assert _outcome(roster, one, low) == _outcome(roster, one, whole)
    finally:
        low_memory.SLICE_BYTES = kept


def test_slices_of_a_file_with_a_title_line_keep_the_header_row_given(runner, monkeypatch):
    monkeypatch.setattr(low_memory, "SLICE_BYTES", 5000)
    whole, low = both(runner, "check", SAMPLE / "officers.csv", SAMPLE / "clients.csv",
                       "-f", "json", "--header-row", "2")
    assert low == whole
    assert json.loads(low[1])["inputs"][1]["total_lines"] == [6983]


def test_low_memory_asks_the_allocator_to_hand_memory_back_unless_told_otherwise(
        runner, monkeypatch, tmp_path):
    monkeypatch.delenv("_RJEM_MALLOC_CONF", raising=False)
    code, _, _ = _run(runner, "check", OFFICERS, SAMPLE / "en" / "clients.csv", "--low-memory",
                      "--as-of", AS_OF, "-f", "json")
    assert code == 1
    assert os.environ["_RJEM_MALLOC_CONF"] == "dirty_decay_ms:0,muzzy_decay_ms:0"
    monkeypatch.setenv("_RJEM_MALLOC_CONF", "narenas:2")
    _run(runner, "plan", OFFICERS, SAMPLE / "en" / "clients.csv", "--low-memory", "--as-of",
         AS_OF, "--out", tmp_path / "moves.csv")
    assert os.environ["_RJEM_MALLOC_CONF"] == "narenas:2"


# ---------------------------------------------------------------- too big to read whole


def test_a_book_too_big_for_the_memory_available_is_read_a_part_at_a_time(runner,
                                                                          monkeypatch):
    book = SAMPLE / "en" / "clients.csv"
    whole = _run(runner, "check", OFFICERS, book, "--as-of", AS_OF, "-f", "json")
    read = []
    real = low_memory.read_book
    monkeypatch.setattr(low_memory, "read_book", lambda *a, **k: read.append(1) or real(*a, **k))
    assert not read and "--low-memory" not in whole[2]
    monkeypatch.setattr(low_memory, "available_bytes", lambda: 2 << 20)  # 2 MB free
    code, out, err = _run(runner, "check", OFFICERS, book, "--as-of", AS_OF, "-f", "json")
    assert (code, out) == whole[:2]
    assert read == [1]
    assert "clients would need some 0.0 GB, and 0.0 GB is available: read a part at a time " \
           "(--low-memory)" in err


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_the_clients_of_a_book_are_estimated_from_its_files(tmp_path, suffix, monkeypatch):
    folder = _sample_parts(tmp_path, suffix)
    monkeypatch.setattr(low_memory, "available_bytes", lambda: 10 << 30)
    assert low_memory.too_big(folder) is None
    monkeypatch.setattr(low_memory, "available_bytes", lambda: 1 << 20)
    estimate = low_memory._clients_in(folder)
    assert 6980 * 0.8 < estimate < 6980 * 1.25  # (a CSV: from its first lines' length)
    assert low_memory.too_big(folder).startswith(f"about {estimate:,} clients")
    monkeypatch.setattr(low_memory, "available_bytes", lambda: None)  # (not Linux)
    assert low_memory.too_big(folder) is None
    assert low_memory._clients_in(tmp_path / "missing.csv") is None


def test_a_province_of_two_banks_in_slices_gives_the_same_check_and_plan(runner, tmp_path,
                                                                         monkeypatch):
    """Staff numbers repeat across banks: what stays is told by bank and number together."""
    monkeypatch.setattr(low_memory, "SLICE_BYTES", 50_000)
    files = {}
    for name in ("officers", "clients"):
        one = pl.read_csv(SAMPLE / "en" / f"{name}.csv", infer_schema=False)
        files[name] = tmp_path / f"{name}.csv"
        pl.concat([one.with_columns(pl.lit(bank).alias("bank")) for bank in ("A", "B")]) \
            .write_csv(files[name])
    whole, low = both(runner, "check", files["officers"], files["clients"], "-f", "json")
    assert low == whole and whole[0] == 1
    assert json.loads(low[1])["summary"]["clients"] == 2 * 6980
    for flags in ([], ["--low-memory"]):
        _run(runner, "plan", files["officers"], files["clients"], "--as-of", AS_OF, "--out",
             tmp_path / f"moves{len(flags)}.csv", *flags)
    assert (tmp_path / "moves0.csv").read_bytes() == (tmp_path / "moves1.csv").read_bytes()


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_parts_with_and_without_client_names_plan_alike_with_low_memory(runner, tmp_path,
                                                                         suffix):
    """Client names are only shown in a plan: a folder whose parts differ in having them is
    planned (blank names for the part without), the same with and without --low-memory."""
    roster = write_file(tmp_path / "officers.csv",
                        "officer_id,name,branch,status\n"
                        "001,Wang,North,active\n002,Li,North,active\n003,Zhao,North,departed\n")
    folder = tmp_path / "clients"
    folder.mkdir()
    first = pl.DataFrame({"client_id": ["C1", "C2"], "client_name": ["Ann", "Bo"],
                          "officer_id": ["003", "001"]})
    second = pl.DataFrame({"client_id": ["C3", "C4"], "officer_id": ["003", "002"]})
    for i, part in enumerate((first, second), start=1):
        if suffix == "csv":
            part.write_csv(folder / f"b-{i}.csv")
        else:
            part.write_parquet(folder / f"b-{i}.parquet")
    plans = []
    for extra in ((), ("--low-memory",)):
        out = tmp_path / f"plan{len(plans)}.csv"
        code, _, err = _run(runner, "plan", roster, folder, "--as-of", AS_OF, "--out", out,
                            "--show-personal-data", *extra)
        assert code == 0, err
        plans.append(out.read_bytes())
    assert plans[0] == plans[1]
    rows = pl.read_csv(plans[0], infer_schema=False)
    assert dict(zip(rows["client_id"], rows["client_name"], strict=True)) == {"C1": "Ann",
                                                                              "C3": None}
