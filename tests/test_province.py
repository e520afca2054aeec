"""A province-wide export: a bank column (法人行社), with staff and client numbers repeating across
banks. Identities are read as ``bank/number``; moves never leave the bank; apply writes the
bank's own numbers back."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from caseload.cli import app
from tests.conftest import AS_OF, write_exports

BANKS = ("城关农商行", "东湖农商行")
ROSTER = ["法人行社,工号,姓名,所属支行,岗位状态"] + [
    f"{bank},{oid},经理{oid},城关支行,在岗" for bank in BANKS for oid in ("001", "002")
]


def clients(over: int = 5) -> list[str]:
    """The same staff and client numbers in both banks; 001 of the first bank is over by `over`."""
    rows = ["法人行社,客户号,管户客户经理工号,所属支行"]
    for bank, first in zip(BANKS, (10 + over, 10), strict=True):
        rows += [f"{bank},C{i:04d},001,城关支行" for i in range(first)]
        rows += [f"{bank},C{i:04d},002,城关支行" for i in range(first, first + 3)]
    return rows


def write(folder: Path, roster: list[str], book: list[str]) -> list[str]:
    o, c = folder / "officers.csv", folder / "clients.csv"
    o.write_text("\n".join(roster) + "\n", encoding="utf-8")
    c.write_text("\n".join(book) + "\n", encoding="utf-8")
    return [str(o), str(c)]


def check(runner, files: list[str], *extra: str) -> tuple[int, dict | str]:
    result = runner.invoke(app, ["check", *files, "--as-of", AS_OF, "--threshold", "10",
                                 "--format", "json", *extra])
    if result.exit_code == 2:
        return 2, result.stderr
    return result.exit_code, json.loads(result.stdout)


def test_numbers_repeating_across_banks_are_different_people(runner, tmp_path):
    code, doc = check(runner, write(tmp_path, ROSTER, clients()))
    assert code == 1
    loads = {o["officer_id"]: o["accounts"] for o in doc["officers"]}
    assert loads == {"城关农商行/001": 15, "城关农商行/002": 3,
                     "东湖农商行/001": 10, "东湖农商行/002": 3}
    assert doc["summary"]["clients"] == 31 and doc["summary"]["orphaned"] == 0
    assert doc["transfers"] == [{"from_officer_id": "城关农商行/001",
                                 "to_officer_id": "城关农商行/002", "clients": 5}
                                | {k: v for k, v in doc["transfers"][0].items()
                                   if k not in ("from_officer_id", "to_officer_id", "clients")}]


def test_scope_all_never_crosses_a_bank(runner, tmp_path):
    # the first bank's other officer in the branch is full: with --scope all the excess goes to
    # another branch of that bank (4 clients), never to the second bank's 002, less loaded (3)
    roster = ROSTER + ["城关农商行,003,经理003,北街支行,在岗"]
    book = clients() + [f"城关农商行,D{i:04d},003,北街支行" for i in range(4)]
    book += [f"城关农商行,E{i:04d},002,城关支行" for i in range(7)]
    code, doc = check(runner, write(tmp_path, roster, book), "--scope", "all")
    assert code == 1 and doc["summary"]["cannot_place"] == 0
    assert {t["to_officer_id"] for t in doc["transfers"]} == {"城关农商行/003"}


@pytest.mark.parametrize("which", ["roster", "clients"])
def test_a_bank_column_in_one_export_only_is_refused(runner, tmp_path, which):
    roster = [",".join(r.split(",")[1:]) for r in ROSTER] if which == "roster" else ROSTER
    book = clients() if which == "roster" else [",".join(r.split(",")[1:]) for r in clients()]
    code, err = check(runner, write(tmp_path, roster, book))
    assert code == 2
    lacking = "officers.csv" if which == "roster" else "clients.csv"
    assert f"{lacking}: has no bank column (法人行社)" in err and "\n" not in err.strip()


def test_a_client_without_its_bank_is_a_problem(runner, tmp_path):
    book = clients() + [",C9999,001,城关支行"]
    code, err = check(runner, write(tmp_path, ROSTER, book))
    assert code == 2 and "blank bank (column 法人行社)" in err


def test_apply_writes_each_bank_its_own_numbers(runner, tmp_path):
    files = write(tmp_path, ROSTER, clients())
    plan = tmp_path / "moves.csv"
    result = runner.invoke(app, ["plan", *files, "--as-of", AS_OF, "--threshold", "10",
                                 "-o", str(plan)])
    assert result.exit_code == 0, result.output
    out = tmp_path / "after.csv"
    result = runner.invoke(app, ["apply", files[1], str(plan), "-o", str(out),
                                 "--officers", files[0]])
    assert result.exit_code == 0, result.output
    before = Path(files[1]).read_text(encoding="utf-8").splitlines()
    after = out.read_text(encoding="utf-8").splitlines()
    changed = [(b, a) for b, a in zip(before, after, strict=True) if b != a]
    assert len(changed) == 5
    assert all(b.startswith("城关农商行,") and b.replace(",001,", ",002,") == a
               for b, a in changed)
    code, doc = check(runner, [files[0], str(out)])
    assert code == 0 and doc["summary"]["over"] == 0


def test_a_province_of_two_sample_banks_plans_each_bank_as_on_its_own(runner, tmp_path):
    """The sample bank twice, as banks A and B: each bank's transfers are the sample's own."""
    frames = {}
    for name in ("officers", "clients"):
        one = pl.read_csv(f"sample_data/en/{name}.csv", infer_schema=False)
        frames[name] = tmp_path / f"{name}.csv"
        pl.concat([one.with_columns(pl.lit(bank).alias("bank")) for bank in ("A", "B")]) \
            .write_csv(frames[name])
    province = runner.invoke(app, ["check", str(frames["officers"]), str(frames["clients"]),
                                   "--as-of", AS_OF, "--format", "json"])
    alone = json.loads(runner.invoke(app, ["check", "sample_data/en/officers.csv",
                                           "sample_data/en/clients.csv", "--as-of", AS_OF,
                                           "--format", "json"]).stdout)
    both = json.loads(province.stdout)
    assert province.exit_code == 1
    assert both["summary"]["clients"] == 2 * alone["summary"]["clients"]
    assert both["summary"]["moves"] == 2 * alone["summary"]["moves"]

    def pairs(transfers, bank=None):
        """(from, to, clients) of one bank's transfers, the bank prefix taken off."""
        out = []
        for t in transfers:
            to, came = t["to_officer_id"], t["from_officer_id"]
            if bank is not None:
                if not to.startswith(f"{bank}/"):
                    continue
                to, came = to[len(bank) + 1:], came and came[len(bank) + 1:]
            out.append((came or "", to, t["clients"]))
        return sorted(out)

    for bank in ("A", "B"):
        assert pairs(both["transfers"], bank) == pairs(alone["transfers"])


def test_apply_refuses_a_move_to_another_banks_officer(runner, tmp_path):
    files = write(tmp_path, ROSTER, clients())
    plan = tmp_path / "moves.csv"
    assert runner.invoke(app, ["plan", *files, "--as-of", AS_OF, "--threshold", "10",
                               "-o", str(plan)]).exit_code == 0
    text = plan.read_text(encoding="utf-8-sig")
    assert text.count("城关农商行/002") >= 5
    plan.write_text(text.replace("城关农商行/002", "东湖农商行/002", 1), encoding="utf-8-sig")
    out = tmp_path / "after.csv"
    result = runner.invoke(app, ["apply", files[1], str(plan), "-o", str(out)])
    assert result.exit_code == 2
    assert "goes to an officer of another bank" in result.stderr and not out.exists()


def test_without_branch_columns_each_bank_is_one_branch(runner, tmp_path):
    """Orphans of one bank go to that bank's officers, never to another bank's."""
    officers, book, moves = tmp_path / "o.csv", tmp_path / "c.csv", tmp_path / "m.csv"
    officers.write_text("法人行社,工号,姓名,岗位状态\n甲农商行,001,甲一,在岗\n"
                        "乙农商行,001,乙一,在岗\n乙农商行,002,乙二,在岗\n", encoding="utf-8")
    book.write_text("法人行社,客户号,管户客户经理工号\n"
                    + "".join(f"甲农商行,C{i},001\n" for i in range(8))
                    + "甲农商行,X0,999\n甲农商行,X1,999\n乙农商行,C0,001\n", encoding="utf-8")
    result = runner.invoke(app, ["plan", str(officers), str(book), "--as-of", AS_OF,
                                 "--threshold", "10", "--out", str(moves)])
    assert result.exit_code == 0, result.output
    plan = pl.read_csv(moves, infer_schema=False)
    assert plan["to_officer_id"].to_list() == ["甲农商行/001", "甲农商行/001"]
    applied = runner.invoke(app, ["apply", str(book), str(moves), "--out",
                                  str(tmp_path / "a.csv")])
    assert applied.exit_code == 0, applied.output


def test_a_roster_without_branches_is_one_branch_whatever_the_clients_say(runner, tmp_path):
    officers, book = write_exports(
        tmp_path,
        "工号,姓名,岗位状态\n00123,张伟,在岗\n00456,李娜,在岗\n",
        "客户号,管户客户经理工号,所属支行\nC1,00123,城关支行\nC3,,\n",
    )
    result = runner.invoke(app, ["check", str(officers), str(book), "--as-of", AS_OF,
                                 "--format", "json"])
    doc = json.loads(result.stdout)
    assert doc["summary"]["cannot_place"] == 0 and doc["summary"]["moves"] == 1
    assert len(doc["branches"]) == 1
