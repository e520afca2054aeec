"""Bugs found by the seventh review: the outputs of one run disagreeing with each other or with
the README (plan file CSV/xlsx, `check --format json`, `--report x.html/x.xlsx`, the tables).

Each test fails on the code reviewed; its docstring says which promise is broken, what was
observed against what was expected, and the probable cause.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from pathlib import Path

from caseload.cli import app
from tests.conftest import AS_OF, write_exports


def _check_json(runner, officers: Path, clients: Path, *extra: str) -> dict:
    result = runner.invoke(app, ["check", str(officers), str(clients), "--as-of", AS_OF,
                                 "-f", "json", *extra])
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


def _plan_rows(runner, officers: Path, clients: Path, out: Path, *extra: str) -> list[dict]:
    result = runner.invoke(app, ["plan", str(officers), str(clients), "--as-of", AS_OF,
                                 "--out", str(out), "-q", *extra])
    assert result.exit_code in (0, 1), result.output
    return list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))


# Branches exported by their code alone (机构号, no 所属支行 column): A1 of branch 100 is over its
# limit of 2 with 4 clients; branch 100 has no room, so with --scope all two of them cross to
# A3 of branch 101; C5 (no officer, recorded in 101) goes to A3 too.
CODE_ROSTER = """工号,姓名,机构号,岗位状态,管户上限
A1,甲一,100,在岗,2
A3,甲三,101,在岗,5
"""
CODE_BOOK = """客户号,客户名称,管户客户经理工号,机构号
C1,张三,A1,100
C2,李四,A1,100
C3,王五,A1,100
C4,赵六,A1,101
C5,钱七,,101
"""


def test_json_transfers_name_the_branches_the_plan_file_names_when_known_by_code(
        runner, tmp_path):
    """Promise (README, JSON contract): `transfers` are the plan's moves "grouped by (from, to)
    and by the clients' branch and the receiver's (orphans of two branches going to one
    receiver are two entries)"; the plan file has `branch` and `to_branch` per client. The
    plan file, grouped by (from, to, branch, to_branch), must give the JSON transfers.

    Observed: with branches exported by code alone (a roster with 机构号 and no branch name),
    the plan file says branch 100 -> to_branch 101 (and 101 -> 101 for the orphan), and the
    JSON branches list names them "100" and "101" by their `branch_key`, but every JSON
    transfer has `"branch": null, "to_branch": null`: a script cannot tell which branch a
    transfer comes from or goes to, nor match it to the plan or to `branches[]`.
    Expected: the transfer's `branch`/`to_branch` are "100"/"101", as in the plan file.

    Probable cause: report._named_transfers maps a branch key the roster knows to
    `branch_names(...)`'s name, which is null for a branch exported without a name (its
    docstring says "shows as null"); plan_file.plan_frame coalesces the name with the key
    instead.
    """
    officers, clients = write_exports(tmp_path, CODE_ROSTER, CODE_BOOK)
    doc = _check_json(runner, officers, clients, "--scope", "all")
    rows = _plan_rows(runner, officers, clients, tmp_path / "plan.csv", "--scope", "all")
    on_roster = {o["officer_id"] for o in doc["officers"]}
    from_plan = Counter(
        (r["from_officer_id"] if r["from_officer_id"] in on_roster else None,
         r["to_officer_id"], r["branch"], r["to_branch"]) for r in rows)
    # (C4, recorded in branch 101 where A3 has room, moves inside its branch; one of the
    # others must cross from 100, which has no receiver: rule 1 and 7's tie-break)
    assert from_plan == Counter({("A1", "A3", "100", "101"): 1, ("A1", "A3", "101", "101"): 1,
                                 (None, "A3", "101", "101"): 1})
    from_json = Counter({(t["from_officer_id"], t["to_officer_id"], t["branch"],
                          t["to_branch"]): t["clients"] for t in doc["transfers"]})
    assert from_json == from_plan


def test_transfer_tables_do_not_print_none_for_a_branch_known_by_code(runner, tmp_path):
    """Promise (README): the tables, the Markdown mail and the reports say which transfers
    cross a branch ("each such move says so"), naming the branches as the plan does.

    Observed: with branches exported by code alone, `check` (table and Markdown) prints the
    crossing transfer's branch as ` → None (crosses branch)`: the Python `None` of a missing
    name, with the source branch blank; the HTML report shows ` →  (crosses branch)` and the
    xlsx report's Transfers sheet leaves Branch and To branch empty, while the plan file and
    the Branches table/sheet name the branches 100 and 101.
    Expected: `100 → 101 (crosses branch)`, as the branch codes the other outputs show.

    Probable cause: the transfers' `branch`/`to_branch` are null for a branch without a name
    (report._named_transfers), and render/table.py and render/flat.py format
    `tr['to_branch']` into an f-string without a fallback (branch_label is not used there).
    """
    officers, clients = write_exports(tmp_path, CODE_ROSTER, CODE_BOOK)
    for fmt in ("table", "markdown"):
        result = runner.invoke(app, ["check", str(officers), str(clients), "--as-of", AS_OF,
                                     "--scope", "all", "--lang", "en", "-f", fmt])
        assert result.exit_code == 1, result.output
        assert "None" not in result.stdout, (fmt, result.stdout)
        assert "100 → 101 (crosses branch)" in result.stdout, (fmt, result.stdout)


def test_a_roster_without_branches_puts_no_internal_branch_key_in_the_plan(runner, tmp_path):
    """Promise (README): "exports without any branch column are one branch"; the plan file has
    `branch` and `to_branch`, and every output names a branch as people read it ("(no
    branch)" where it has none).

    Observed: a branch head's own roster with no branch column (one branch): the plan file
    (and the xlsx/HTML report's Moves table) gives `branch` and `to_branch` as `(branch)`, an
    internal placeholder key, while the JSON transfers give null and the tables, the xlsx
    Branches sheet and the HTML branches table say "(no branch)". (In a province-wide export
    it reads `甲农商行/(branch)`.)
    Expected: no placeholder in the plan: `branch`/`to_branch` empty (as the JSON transfers),
    or the "(no branch)" the reports use.

    Probable cause: workload._one_branch keys such a roster's branch as ONE_BRANCH
    ("(branch)"); plan_file.plan_frame coalesces the (null) branch name with that key, where
    render.labels.branch_label knows to hide it.
    """
    roster = """工号,姓名,岗位状态,管户上限
A1,甲一,在岗,2
A2,甲二,在岗,9
"""
    book = """客户号,客户名称,管户客户经理工号
C1,张三,A1
C2,李四,A1
C3,王五,A1
C4,赵六,
"""
    officers, clients = write_exports(tmp_path, roster, book)
    doc = _check_json(runner, officers, clients)
    rows = _plan_rows(runner, officers, clients, tmp_path / "plan.csv")
    assert len(rows) == doc["summary"]["moves"] == 2
    assert {t["branch"] for t in doc["transfers"]} == {None}
    for r in rows:
        assert r["branch"] in ("", "(no branch)"), r
        assert r["to_branch"] in ("", "(no branch)"), r


def test_plan_writes_the_plan_check_reports_for_a_folder_whose_parts_differ_in_names(
        runner, tmp_path):
    """Promise (README): `check`'s transfers "come from the same planner" as `plan`, and a
    plan carries the client's name masked "so a branch head can recognise the client".

    Observed: a folder of two CSV parts, one with a 客户名称 column and one without. `check`
    reads it (exit 1, 2 suggested moves); `plan` on the same folder stops with exit 2
    (`b-2.csv: has no client_name column (客户名称 in b-1.csv); every part of a folder needs
    the same columns`), so the moves `check` reports can never be written as a plan.
    Expected: `plan` writes the two moves (with the names it has, blank for the other part),
    or `check` refuses the folder too.

    Probable cause: check.load_inputs asks for `client_name` only for `plan`
    (client_names=True), and csv_parts requires every wanted column in every part, although
    the name is only shown, never used to plan.
    """
    officers, _ = write_exports(tmp_path, """工号,姓名,所属支行,岗位状态,管户上限
A1,甲一,城关支行,在岗,2
A2,甲二,城关支行,在岗,9
A3,甲三,城关支行,离职,
""", "")
    folder = tmp_path / "clients"
    folder.mkdir()
    (folder / "b-1.csv").write_text("客户号,客户名称,管户客户经理工号,所属支行\n"
                                    "C1,张三,A1,城关支行\nC2,李四,A1,城关支行\n", encoding="utf-8")
    (folder / "b-2.csv").write_text("客户号,管户客户经理工号,所属支行\n"
                                    "C3,A3,城关支行\nC4,A1,城关支行\n", encoding="utf-8")
    doc = _check_json(runner, officers, folder)
    assert doc["summary"]["moves"] == 2
    rows = _plan_rows(runner, officers, folder, tmp_path / "plan.csv")
    assert len(rows) == doc["summary"]["moves"]
