"""`caseload plan` then `caseload apply` through the CLI, on a small export pair written here.

The promise of `apply`: exactly the planned clients' officer cells change; every other line is
written back byte for byte, in the export's own encoding and line endings; a plan that does not
fit the export is refused with its lines named and nothing written; inputs are never touched.
"""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from caseload.cli import app
from caseload.plan_file import PLAN_FILE_COLUMNS
from caseload.validate import tidy_id

AS_OF = "2026-11-20"

OFFICER_HEADER = ["工号", "姓名", "所属支行", "机构号", "片区", "岗位状态", "客户经理等级", "管户上限"]
CLIENT_HEADER = ["客户号", "客户名称", "证件号码", "手机号", "管户客户经理工号", "管户客户经理",
                 "所属支行", "机构号", "贷款余额(元)", "五级分类", "客户类型", "家庭号", "管户日期",
                 "锁定"]
NAMES = {"001": "张三", "002": "李四", "003": "王五", "004": "赵六", "005": "钱七"}
OFFICERS = [
    ["001", "张三", "城关支行", "3201001", "城区片", "在岗", "中级", ""],
    ["002", "李四", "城关支行", "3201001", "城区片", "在职", "中级", ""],
    ["003", "王五", "城关支行", "3201001", "城区片", "调离", "高级", ""],
    ["004", "赵六", "城关支行", "3201001", "城区片", "休假", "初级", ""],
    ["005", "钱七", "城关支行", "3201001", "城区片", "在岗", "初级", "20"],
]
ID_COL, NAME_COL = 4, 5  # positions of 管户客户经理工号 and 管户客户经理


def _client(n: int, officer: str, **kw) -> list[str]:
    row = {
        "id": f"00120000{n:04d}", "name": "刘䶮" if n == 7 else f"客户{n}",
        "idno": f"32031119{n:010d}", "phone": f"138{n:08d}", "officer": officer,
        "officer_name": NAMES.get(officer, "") if officer else "", "branch": "城关支行",
        "branch_id": "3201001", "balance": f"{n * 1000 + 0.5:,.2f}", "risk": "正常",
        "segment": "农户", "group": "", "since": "2022-03-01", "pinned": "否", **kw,
    }
    return list(row.values())


def client_rows() -> list[list[str]]:
    """001 carries 12 (over a limit of 10); 003 departed with 3; one blank, one unknown."""
    rows = [_client(n, "001") for n in range(1, 13)]
    rows[0][11] = rows[1][11] = "H01"  # a household of two
    rows[2][9] = "次级"  # non-performing: stays
    rows[3][13] = "是"  # pinned: stays
    rows += [_client(n, "003") for n in range(13, 16)]
    rows += [_client(16, "002"), _client(17, "002"), _client(18, "004")]
    rows += [_client(19, ""), _client(20, "999")]
    return rows


def to_csv(title: str, header: list[str], rows: list[list[str]], total: bool) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([title])
    writer.writerow(header)
    writer.writerows(rows)
    if total:
        writer.writerow(["合计", str(len(rows))] + [""] * (len(header) - 2))
    return buf.getvalue()


@dataclass
class Export:
    officers: Path
    clients: Path
    encoding: str
    newline: str

    def read_lines(self, path: Path) -> list[bytes]:
        data = path.read_bytes()
        if self.encoding == "utf-8-sig":
            assert data.startswith(b"\xef\xbb\xbf")
        return data.split(self.newline.encode())


def write_export(folder: Path, encoding: str = "gb18030", newline: str = "\r\n",
                 rows: list[list[str]] | None = None) -> Export:
    officers = to_csv("城关农商银行客户经理名单（导出日期：2026-11-20）", OFFICER_HEADER, OFFICERS,
                      total=False)
    clients = to_csv("城关农商银行管户客户清单（导出日期：2026-11-20）", CLIENT_HEADER,
                     rows or client_rows(), total=True)
    o, c = folder / "officers.csv", folder / "clients.csv"
    for path, text in ((o, officers), (c, clients)):
        path.write_bytes(text.replace("\n", newline).encode(encoding))
    return Export(o, c, encoding, newline)


def digest(*paths: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


@pytest.fixture
def runner(tmp_runner: CliRunner) -> CliRunner:
    return tmp_runner


@pytest.fixture(params=[("gb18030", "\r\n"), ("utf-8-sig", "\n")], ids=["gb18030-crlf", "bom-lf"])
def export(request, tmp_path: Path) -> Export:
    encoding, newline = request.param
    return write_export(tmp_path, encoding, newline)


def make_plan(runner: CliRunner, export: Export, out: Path) -> pl.DataFrame:
    result = runner.invoke(app, ["plan", str(export.officers), str(export.clients), "-o", str(out),
                                 "--threshold", "10", "--as-of", AS_OF])
    assert result.exit_code == 0, result.output
    assert out.exists()
    if out.suffix == ".xlsx":
        return pl.read_excel(out, infer_schema_length=0)
    return pl.read_csv(out, infer_schema=False)


def apply(runner: CliRunner, export: Export, plan: Path, out: Path, *extra: str):
    return runner.invoke(app, ["apply", str(export.clients), str(plan), "-o", str(out), *extra])


def cells(line: bytes, encoding: str) -> list[str]:
    text = line.decode("utf-8" if encoding == "utf-8-sig" else encoding).lstrip("\ufeff")
    return next(csv.reader([text]))


def changed_lines(export: Export, out: Path) -> dict[int, tuple[list[str], list[str]]]:
    """1-based line -> (cells before, cells after) for each line that is not byte-identical."""
    before, after = export.read_lines(export.clients), export.read_lines(out)
    assert len(before) == len(after)
    return {
        i + 1: (cells(b, export.encoding), cells(a, export.encoding))
        for i, (b, a) in enumerate(zip(before, after, strict=True)) if b != a
    }


# ---------------------------------------------------------------- plan writes a reviewable file


def test_plan_writes_csv_and_xlsx_with_every_move_and_reason(runner, export, tmp_path):
    hashes = digest(export.officers, export.clients)
    plan = make_plan(runner, export, tmp_path / "plan.csv")
    assert tuple(plan.columns) == PLAN_FILE_COLUMNS
    moved = dict(zip(plan["client_id"], plan["to_officer_id"], strict=True))
    # 001's excess of 2, the departed officer's 3, the blank and the unknown officer's client
    assert len(moved) == 7
    orphans = {"001200000013", "001200000014", "001200000015", "001200000019", "001200000020"}
    assert orphans <= set(moved)
    assert set(moved.values()) <= {"002", "005"}, "never to 004 on leave or back to 001"
    assert not {"001200000003", "001200000004"} & set(moved), "non-performing and pinned stay"
    assert plan["reason"].str.len_chars().min() > 10
    # leading zeros survive as text
    assert plan["client_id"].str.starts_with("00").all()
    xlsx = make_plan(runner, export, tmp_path / "plan.xlsx")
    assert dict(zip(xlsx["client_id"], xlsx["to_officer_id"], strict=True)) == moved
    assert digest(export.officers, export.clients) == hashes
    # the same files give the same workbook, byte for byte (its date is the plan's, not now's)
    make_plan(runner, export, tmp_path / "again.xlsx")
    assert (tmp_path / "again.xlsx").read_bytes() == (tmp_path / "plan.xlsx").read_bytes()
    with zipfile.ZipFile(tmp_path / "plan.xlsx") as book:  # (not the clock: runs a day apart)
        assert f"<dcterms:created xsi:type=\"dcterms:W3CDTF\">{AS_OF}T00:00:00Z" in \
            book.read("docProps/core.xml").decode()


# ---------------------------------------------------------------- apply changes exactly the plan


def test_apply_changes_exactly_the_planned_officer_cells(runner, export, tmp_path):
    plan_path = tmp_path / "plan.csv"
    plan = make_plan(runner, export, plan_path)
    hashes = digest(export.officers, export.clients, plan_path)
    out = tmp_path / "updated.csv"
    result = apply(runner, export, plan_path, out)
    assert result.exit_code == 0, result.output
    assert "7 clients reassigned" in result.stdout
    planned = dict(zip(plan["client_id"], plan["to_officer_id"], strict=True))
    changed = changed_lines(export, out)
    assert {after[0] for _, after in changed.values()} == set(planned)
    for before, after in changed.values():
        assert after[ID_COL] == planned[after[0]]
        # only the officer cell differs; without a roster the name column is left alone
        assert [c for i, c in enumerate(before) if i != ID_COL] == \
            [c for i, c in enumerate(after) if i != ID_COL]
    # title, header and total line are untouched (they are among the byte-identical lines)
    assert min(changed) > 2
    lines = export.read_lines(out)
    assert cells(lines[-2], export.encoding)[0] == "合计"
    # same encoding and line endings: GB18030 stays GB18030 (䶮 is not in GBK, not UTF-8 bytes)
    data = out.read_bytes()
    if export.encoding == "gb18030":
        assert "刘䶮".encode("gb18030") in data
        with pytest.raises(UnicodeDecodeError):
            data.decode("utf-8")
        assert data.count(b"\n") == data.count(b"\r\n")
    else:
        assert data.startswith(b"\xef\xbb\xbf") and b"\r" not in data
    assert digest(export.officers, export.clients, plan_path) == hashes


def test_apply_with_the_roster_also_changes_the_officer_name(runner, export, tmp_path):
    plan_path = tmp_path / "plan.csv"
    plan = make_plan(runner, export, plan_path)
    out = tmp_path / "updated.csv"
    result = apply(runner, export, plan_path, out, "--officers", str(export.officers))
    assert result.exit_code == 0, result.output
    planned = dict(zip(plan["client_id"], plan["to_officer_id"], strict=True))
    changed = changed_lines(export, out)
    assert len(changed) == len(planned)
    for before, after in changed.values():
        to = planned[after[0]]
        assert (after[ID_COL], after[NAME_COL]) == (to, NAMES[to])
        assert [c for i, c in enumerate(before) if i not in (ID_COL, NAME_COL)] == \
            [c for i, c in enumerate(after) if i not in (ID_COL, NAME_COL)]


def test_applied_export_reads_back_with_the_planned_loads(runner, export, tmp_path):
    plan_path = tmp_path / "plan.csv"
    make_plan(runner, export, plan_path)
    out = tmp_path / "updated.csv"
    assert apply(runner, export, plan_path, out).exit_code == 0
    # the updated export needs no further moves: nobody over, no orphan left
    again = runner.invoke(app, ["check", str(export.officers), str(out), "--threshold", "10",
                                "--as-of", AS_OF, "--format", "json"])
    assert again.exit_code == 0, again.output


# ---------------------------------------------------------------- refusals


def write_plan(path: Path, rows: list[tuple[str, str, str]], encoding: str = "utf-8-sig") -> Path:
    lines = ["client_id,from_officer_id,to_officer_id"] + [",".join(r) for r in rows]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([("001200000005", "001", "002"), ("009999999999", "001", "002")],
         "client not in the export on plan line 3"),
        ([("001200000005", "002", "005")],
         "from_officer_id no longer matches the export (stale plan) on plan line 2"),
        ([("001200000005", "001", "002"), ("001200000006", "001", "002"),
          ("001200000005", "001", "005")],
         "client moved more than once on plan line 2, 4"),
        ([("001200000005", "001", "002"), ("001200000006", "001", "004")],
         "receiver is not an active officer on the roster on plan line 3"),
        ([("001200000005", "001", "002"), ("001200000006", "001", "777")],
         "receiver is not an active officer on the roster on plan line 3"),
        ([("001200000005", "001", "002"), ("001200000006", "001", "003")],
         "receiver is not an active officer on the roster on plan line 3"),
        ([("001200000005", "001", "")], "blank client_id or to_officer_id on plan line 2"),
    ],
    ids=["unknown-client", "stale-from", "moved-twice", "receiver-on-leave",
         "receiver-not-on-roster", "receiver-departed", "blank-receiver"],
)
def test_apply_refuses_a_plan_that_does_not_fit(runner, tmp_path, rows, message):
    export = write_export(tmp_path)
    plan_path = write_plan(tmp_path / "plan.csv", rows)
    hashes = digest(export.officers, export.clients, plan_path)
    out = tmp_path / "updated.csv"
    result = apply(runner, export, plan_path, out, "--officers", str(export.officers))
    assert result.exit_code == 2
    assert "plan refused, nothing written" in result.stderr
    assert f"{plan_path}: {message}" in result.stderr
    assert not out.exists()
    assert list(tmp_path.glob(".updated.csv.*")) == [], "no temporary file left behind"
    assert digest(export.officers, export.clients, plan_path) == hashes


def test_receivers_are_only_checked_against_a_roster_when_given(runner, tmp_path):
    export = write_export(tmp_path)
    plan_path = write_plan(tmp_path / "plan.csv", [("001200000005", "001", "004")])
    result = apply(runner, export, plan_path, tmp_path / "updated.csv")
    assert result.exit_code == 0, result.output


def test_plan_for_an_unassigned_client_fits_a_blank_officer(runner, tmp_path):
    export = write_export(tmp_path)
    plan_path = write_plan(tmp_path / "plan.csv", [("001200000019", "", "002")])
    out = tmp_path / "updated.csv"
    assert apply(runner, export, plan_path, out).exit_code == 0
    (before, after), = changed_lines(export, out).values()
    assert (before[ID_COL], after[ID_COL]) == ("", "002")


# ---------------------------------------------------------------- hand-edited plans


def test_hand_edited_plan_is_accepted(runner, export, tmp_path):
    plan_path = tmp_path / "plan.csv"
    plan = make_plan(runner, export, plan_path)
    # the branch head drops two rows and sends one client to 005 instead
    edited = plan.slice(0, plan.height - 2)
    first = edited["client_id"][0]
    edited = edited.with_columns(
        pl.when(pl.col("client_id") == first).then(pl.lit("005"))
        .otherwise(pl.col("to_officer_id")).alias("to_officer_id")
    )
    # saved by WPS as GB18030 without a BOM, CRLF line ends
    edited_path = tmp_path / "plan_edited.csv"
    edited_path.write_bytes(edited.write_csv(line_terminator="\r\n").encode("gb18030"))
    out = tmp_path / "updated.csv"
    result = apply(runner, export, edited_path, out, "--officers", str(export.officers))
    assert result.exit_code == 0, result.output
    expected = dict(zip(edited["client_id"], edited["to_officer_id"], strict=True))
    changed = changed_lines(export, out)
    assert {after[0]: after[ID_COL] for _, after in changed.values()} == expected
    assert expected[first] == "005"


def test_plan_as_xlsx_applies_like_csv(runner, export, tmp_path):
    make_plan(runner, export, tmp_path / "plan.csv")
    make_plan(runner, export, tmp_path / "plan.xlsx")
    a, b = tmp_path / "from_csv.csv", tmp_path / "from_xlsx.csv"
    assert apply(runner, export, tmp_path / "plan.csv", a).exit_code == 0
    assert apply(runner, export, tmp_path / "plan.xlsx", b).exit_code == 0
    assert a.read_bytes() == b.read_bytes()


def test_empty_plan_rewrites_nothing(runner, export, tmp_path):
    plan_path = write_plan(tmp_path / "plan.csv", [])
    out = tmp_path / "updated.csv"
    result = apply(runner, export, plan_path, out)
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == export.clients.read_bytes()


# ---------------------------------------------------------------- outputs and inputs


def test_output_that_is_an_input_is_refused(runner, export, tmp_path):
    plan_path = tmp_path / "plan.csv"
    make_plan(runner, export, plan_path)
    hashes = digest(export.officers, export.clients, plan_path)
    for target in (export.clients, plan_path, export.officers):
        result = apply(runner, export, plan_path, target, "--officers", str(export.officers),
                       "--force")
        assert result.exit_code == 2
        assert "is one of the inputs" in result.stderr
    # the plan command will not write over its inputs either
    result = runner.invoke(app, ["plan", str(export.officers), str(export.clients), "-o",
                                 str(export.clients), "--force", "--threshold", "10"])
    assert result.exit_code == 2 and "is one of the inputs" in result.stderr
    assert digest(export.officers, export.clients, plan_path) == hashes


def test_existing_output_needs_force(runner, export, tmp_path):
    plan_path = tmp_path / "plan.csv"
    make_plan(runner, export, plan_path)
    out = tmp_path / "updated.csv"
    out.write_bytes(b"keep me")
    result = apply(runner, export, plan_path, out)
    assert result.exit_code == 2
    assert "already exists (use --force to replace it)" in result.stderr
    assert out.read_bytes() == b"keep me"
    result = apply(runner, export, plan_path, out, "--force")
    assert result.exit_code == 0, result.output
    assert len(changed_lines(export, out)) == 7
    # plan refuses an existing plan file the same way
    result = runner.invoke(app, ["plan", str(export.officers), str(export.clients), "-o",
                                 str(plan_path), "--threshold", "10", "--as-of", AS_OF])
    assert result.exit_code == 2 and "already exists" in result.stderr


def test_line_breaks_inside_other_cells_do_not_shift_the_rewrite(runner, tmp_path):
    rows = client_rows()
    rows[4][1] = "客户\n五"  # a quoted cell with a line break above the planned client
    export = write_export(tmp_path, rows=rows)
    plan_path = write_plan(tmp_path / "plan.csv", [("001200000012", "001", "002")])
    out = tmp_path / "updated.csv"
    result = apply(runner, export, plan_path, out)
    assert result.exit_code == 0, result.output
    before = export.read_lines(export.clients)
    after = export.read_lines(out)
    diff = [i for i, (b, a) in enumerate(zip(before, after, strict=True)) if b != a]
    assert len(diff) == 1
    row = cells(after[diff[0]], export.encoding)
    assert (row[0], row[ID_COL]) == ("001200000012", "002")


def test_planned_client_on_several_lines_is_refused(runner, tmp_path):
    rows = client_rows()
    rows[11][1] = "客户\n十二"  # the planned client's own record spans two lines
    export = write_export(tmp_path, rows=rows)
    plan_path = write_plan(tmp_path / "plan.csv", [("001200000012", "001", "002")])
    hashes = digest(export.clients, plan_path)
    out = tmp_path / "updated.csv"
    result = apply(runner, export, plan_path, out)
    assert result.exit_code == 2
    assert "does not hold client 001200000012 on one line" in result.stderr
    assert not out.exists()
    assert digest(export.clients, plan_path) == hashes


def test_a_repeated_client_row_changes_on_every_line(runner, tmp_path):
    rows = client_rows()
    rows.append(list(rows[4]))  # client 5 exported twice, identically: counted once
    export = write_export(tmp_path, rows=rows)
    plan_path = write_plan(tmp_path / "plan.csv", [("001200000005", "001", "002")])
    out = tmp_path / "updated.csv"
    result = apply(runner, export, plan_path, out)
    assert result.exit_code == 0, result.output
    assert "1 client reassigned" in result.stdout
    changed = changed_lines(export, out)
    assert len(changed) == 2
    assert {(after[0], after[ID_COL]) for _, after in changed.values()} == \
        {("001200000005", "002")}
    # the result reads back: the client is not under two officers
    again = runner.invoke(app, ["check", str(export.officers), str(out), "--threshold", "10",
                                "--as-of", AS_OF, "--format", "json"])
    assert again.exit_code in (0, 1), again.output


def test_client_numbers_a_spreadsheet_guarded_are_rewritten_too(runner, tmp_path):
    """Validation reads `'A2`, `A3x` and `="A4"` as A2, A3X and A4; apply finds them the same way."""
    officers, clients = tmp_path / "o.csv", tmp_path / "c.csv"
    officers.write_text("工号,姓名,岗位状态\n00001,甲,在岗\n00002,乙,调离\n", encoding="utf-8")
    clients.write_text("客户号,管户客户经理工号\nA1,00002\n'A2,00002\nA3x,00002\n"
                       '"=""A4""",00002\n', encoding="utf-8")
    moves, out = tmp_path / "moves.csv", tmp_path / "after.csv"
    planned = runner.invoke(app, ["plan", str(officers), str(clients), "--out", str(moves),
                                  "--as-of", AS_OF])
    assert planned.exit_code == 0, planned.output
    result = runner.invoke(app, ["apply", str(clients), str(moves), "--officers", str(officers),
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "4 clients reassigned" in result.stdout
    assert out.read_text(encoding="utf-8").splitlines() == [
        "客户号,管户客户经理工号", "A1,00001", "'A2,00001", "A3x,00001", '"=""A4""",00001']


def test_apply_refuses_an_xlsx_export(runner, tmp_path):
    export = write_export(tmp_path)
    frame = pl.read_csv(export.clients, skip_rows=1, infer_schema=False, encoding="gb18030")
    xlsx = tmp_path / "clients.xlsx"
    frame.write_excel(xlsx)
    plan_path = write_plan(tmp_path / "plan.csv", [("001200000005", "001", "002")])
    result = runner.invoke(app, ["apply", str(xlsx), str(plan_path), "-o",
                                 str(tmp_path / "out.csv")])
    assert result.exit_code == 2
    assert "apply rewrites CSV exports only" in result.stderr


def test_a_plan_without_its_columns_names_what_it_has(runner, tmp_path):
    export = write_export(tmp_path)
    plan_path = tmp_path / "plan.csv"
    plan_path.write_text("客户号,新客户经理\n001200000005,002\n", encoding="utf-8")
    result = apply(runner, export, plan_path, tmp_path / "updated.csv")
    assert result.exit_code == 2
    # (known header names only: a plan without its header would show a client's cells)
    assert "; found: 客户号" in result.stderr and "新客户经理" not in result.stderr
    assert "__line" not in result.stderr


@pytest.mark.parametrize("row, after", [
    ('"=""00120000""","=""00123""","城关,东街"', '"=""00120000""","=""00456""","城关,东街"'),
    ('="00120001",="00123",城关支行', '="00120001",="00456",城关支行'),
    ('"00120002","00123","城关支行"', '"00120002","00456","城关支行"'),
])
def test_apply_changes_the_officer_cell_only_in_the_style_it_was_written(
        runner, tmp_path, row, after):
    """Quotes and a spreadsheet's ="…" guard stay on every cell; the new number keeps them."""
    officers, book = tmp_path / "o.csv", tmp_path / "c.csv"
    officers.write_text("工号,姓名,岗位状态\n00123,甲,在岗\n00456,乙,在岗\n", encoding="utf-8")
    head = "客户号,管户客户经理工号,所属支行\n"
    book.write_text(head + row + "\n", encoding="utf-8")
    client = tidy_id(next(csv.reader([row]))[0])
    plan_path = write_plan(tmp_path / "plan.csv", [(client, "00123", "00456")])
    out = tmp_path / "after.csv"
    result = runner.invoke(app, ["apply", str(book), str(plan_path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8") == head + after + "\n"


def test_a_big_endian_utf16_export_stays_big_endian(runner, tmp_path):
    import codecs

    book, plan_path = tmp_path / "c.csv", tmp_path / "plan.csv"
    text = "客户号\t管户客户经理工号\r\nC1\t00123\r\nC2\t00123\r\n"
    book.write_bytes(codecs.BOM_UTF16_BE + text.encode("utf-16-be"))
    write_plan(plan_path, [("C1", "00123", "00456")])
    out = tmp_path / "after.csv"
    assert runner.invoke(app, ["apply", str(book), str(plan_path), "--out", str(out)]).exit_code == 0
    assert out.read_bytes() == codecs.BOM_UTF16_BE + text.replace(
        "C1\t00123", "C1\t00456").encode("utf-16-be")


def test_mixed_line_ends_are_each_kept(runner, tmp_path):
    """A CRLF export with one LF line (an edit in another tool): applied, every end as it was."""
    book, plan_path, out = tmp_path / "c.csv", tmp_path / "plan.csv", tmp_path / "after.csv"
    book.write_bytes("客户号,管户客户经理工号\r\nC1,00123\nC2,00123\r\nC3,00123".encode())
    write_plan(plan_path, [("C2", "00123", "00456"), ("C3", "00123", "00456")])
    assert runner.invoke(app, ["apply", str(book), str(plan_path), "--out", str(out)]).exit_code == 0
    assert out.read_bytes() == "客户号,管户客户经理工号\r\nC1,00123\nC2,00456\r\nC3,00456".encode()


# ---------------------------------------------------------------- a plan re-saved by Excel


def _resaved_by_excel(plan_path: Path, out: Path) -> Path:
    """The plan as Excel writes it back after a review: ID columns read as numbers.

    Leading zeros go (``001`` -> ``1``); more than 15 digits would come back rounded.
    """
    plan = pl.read_csv(plan_path, infer_schema=False)
    numeric = r"^\d+$"
    plan = plan.with_columns(
        pl.when(pl.col(c).str.contains(numeric))
        .then(pl.col(c).str.strip_chars_start("0"))
        .otherwise(pl.col(c)).alias(c)
        for c in ("client_id", "from_officer_id", "to_officer_id")
    )
    plan.write_csv(out)
    return out


def test_a_plan_re_saved_by_excel_applies_as_the_original(runner, export, tmp_path):
    """Staff and client numbers that lost their leading zeros in Excel are matched back to the
    only number of the export and roster they can be; the export is written as from the
    original plan, with the original numbers, and a note says how many were matched."""
    plan_path = tmp_path / "plan.csv"
    make_plan(runner, export, plan_path)
    resaved = _resaved_by_excel(plan_path, tmp_path / "plan-excel.csv")
    assert "001200000013" not in resaved.read_text(encoding="utf-8")
    roster = ["--officers", str(export.officers)]
    original = apply(runner, export, plan_path, tmp_path / "a.csv", *roster)
    assert original.exit_code == 0, original.output
    result = apply(runner, export, resaved, tmp_path / "b.csv", *roster)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "b.csv").read_bytes() == (tmp_path / "a.csv").read_bytes()
    assert "lost their leading zeros" in result.stderr
    assert "lost their leading zeros" not in original.stderr


def test_without_the_roster_a_receiver_no_client_names_cannot_be_matched(runner, export,
                                                                          tmp_path):
    """Clients and the staff numbers of the export can be matched back; a receiver who manages
    no client yet (005) cannot without the roster, and in a plan that lost its zeros `5` is
    surely not his number as written: the plan is refused, pointing to --officers (it was
    written as `5`, orphaning his new clients at the next check)."""
    plan_path = tmp_path / "plan.csv"
    make_plan(runner, export, plan_path)
    resaved = _resaved_by_excel(plan_path, tmp_path / "plan-excel.csv")
    result = apply(runner, export, resaved, tmp_path / "b.csv")
    assert result.exit_code == 2
    assert "receiver 5 manages no client of the export, and the plan lost its leading zeros" \
        in result.stderr and "--officers" in result.stderr
    assert not (tmp_path / "b.csv").exists()


def test_excel_rounded_numbers_in_a_plan_are_named_not_guessed(runner, tmp_path):
    book, plan_path = tmp_path / "c.csv", tmp_path / "plan.csv"
    book.write_text("客户号,管户客户经理工号\n6222021234567890123,00123\n", encoding="utf-8")
    write_plan(plan_path, [("6.22202E+18", "123", "00456")])
    result = runner.invoke(app, ["apply", str(book), str(plan_path), "--out",
                                 str(tmp_path / "after.csv")])
    assert result.exit_code == 2
    assert "rounded" in result.stderr and "plan line 2" in result.stderr
    assert "not in the export" not in result.stderr  # (said once, as rounded)
    assert not (tmp_path / "after.csv").exists()


def test_a_receiver_unknown_to_the_export_is_pointed_out_without_a_roster(runner, tmp_path):
    """Without --officers nobody can say a receiver exists: a number no client names is noted."""
    book, plan_path, out = tmp_path / "c.csv", tmp_path / "plan.csv", tmp_path / "after.csv"
    book.write_text("客户号,管户客户经理工号\nC1,00123\nC2,00456\n", encoding="utf-8")
    write_plan(plan_path, [("C1", "00123", "00789")])
    result = runner.invoke(app, ["apply", str(book), str(plan_path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "00789" in result.stderr and "--officers" in result.stderr


def test_only_a_number_that_can_mean_one_known_number_is_matched():
    from caseload.apply import restore_lost_zeros

    plan = pl.DataFrame({"to_officer_id": ["123", "456", "7", "89", None, "A01", "0"]})
    known = pl.Series(["0123", "00123", "456", "0089", "00456", "000", "A001"])
    restored = restore_lost_zeros(plan, "to_officer_id", known)
    # 123 could be two numbers; 456 is a number itself; 7 none; A01 is no number
    assert restored.plan["to_officer_id"].to_list() == ["123", "456", "7", "0089", None, "A01",
                                                         "000"]
    assert restored.count == 2 and restored.lost
    assert restored.several == ["123"]  # (refused by `apply`: see test_found_new)
    assert restored.twins == ["456"]  # (456 beside 00456: refused once zeros were lost)


def test_a_plan_from_a_folder_of_parts_names_each_clients_part_and_its_row(runner, tmp_path):
    """Rows are numbered across parts for reading; a branch head looks them up in a part."""
    folder = tmp_path / "book"
    folder.mkdir()
    roster = tmp_path / "o.csv"
    roster.write_text("工号,姓名,岗位状态,管户上限\n001,甲,在岗,3\n002,乙,在岗,10\n", encoding="utf-8")
    for i, ids in enumerate([["C1", "C2", "C3"], ["C4", "C5"]]):
        pl.DataFrame({"客户号": ids, "管户客户经理工号": ["001"] * len(ids)}).write_parquet(
            folder / f"part-{i}.parquet")
    plan_path = tmp_path / "plan.csv"
    result = runner.invoke(app, ["plan", str(roster), str(folder), "-o", str(plan_path),
                                 "--as-of", AS_OF])
    assert result.exit_code == 0, result.output
    plan = pl.read_csv(plan_path, infer_schema=False)
    assert plan.columns == [*PLAN_FILE_COLUMNS[:-1], "source_file", "source_line"]
    where = {c: (f, int(n)) for c, f, n in plan.select("client_id", "source_file",
                                                         "source_line").rows()}
    # 001 carries five, two over: the two chosen are named by part and row there
    assert len(where) == 2
    parts = {"C1": ("part-0.parquet", 1), "C2": ("part-0.parquet", 2),
             "C3": ("part-0.parquet", 3), "C4": ("part-1.parquet", 1),
             "C5": ("part-1.parquet", 2)}
    assert all(where[c] == parts[c] for c in where)


# ---------------------------------------------------------------- found in the eighth review


def test_an_export_with_a_bad_row_applies_with_skip_bad_rows_as_it_was_planned(runner,
                                                                                tmp_path):
    """A plan made with --skip-bad-rows (one row with an unreadable balance) can be applied:
    without the flag apply says so (nothing written, and points at the flag it has); with it,
    the planned cells change and the bad row is written back as it was."""
    rows = client_rows()
    rows[6][8] = "一万"  # a balance that is no number
    export = write_export(tmp_path, rows=rows)
    plan_path = write_plan(tmp_path / "plan.csv", [("001200000005", "001", "002")])
    out = tmp_path / "updated.csv"
    refused = apply(runner, export, plan_path, out)
    assert refused.exit_code == 2
    assert "nothing written" in refused.stderr and "--skip-bad-rows" in refused.stderr
    assert "nothing was counted" not in refused.stderr
    assert not out.exists()
    done = apply(runner, export, plan_path, out, "--skip-bad-rows")
    assert done.exit_code == 0, done.output
    assert "1 row(s) of the export with problems were left as they are" in done.stderr
    changed = changed_lines(export, out)
    assert [after[ID_COL] for _, after in changed.values()] == ["002"]


def test_a_move_undone_by_hand_is_not_counted_as_a_reassignment(runner, tmp_path):
    """A branch head cancels a move by giving the client back to its own officer: the file is
    the same, and apply says nothing moved rather than '1 client reassigned'."""
    export = write_export(tmp_path)
    plan_path = write_plan(tmp_path / "plan.csv", [("001200000005", "001", "001"),
                                                   ("001200000006", "001", "002")])
    out = tmp_path / "updated.csv"
    done = apply(runner, export, plan_path, out, "--officers", str(export.officers))
    assert done.exit_code == 0, done.output
    assert "1 client reassigned" in done.stdout
    assert "1 plan line(s) give a client to the officer who has it (plan line 2)" in done.stderr
    assert len(changed_lines(export, out)) == 1
