"""Merged cells in .xlsx exports: a merged range counts in every row it covers, as Excel shows it.

Each workbook is written twice with openpyxl, once plain and once with merges (openpyxl, like
Excel, keeps a merged range's value in its top-left cell only), and `check` must say the same
about both.
"""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import fastexcel
import openpyxl
import polars as pl
import pytest

from caseload import xlsx_merges
from caseload.cli import app
from caseload.config import ReadOptions
from caseload.load import LINE, read_table
from caseload.xlsx_merges import Merge, fill_merged, merged_ranges
from tests.conftest import AS_OF

ROSTER = [
    ["工号", "姓名", "所属支行", "岗位状态"],
    ["00101", "王一", "城关支行", "在岗"],
    ["00102", "王二", "城关支行", "在岗"],
    ["00103", "王三", "城关支行", "调离"],
    ["00201", "李一", "石桥支行", "在岗"],
    ["00202", "李二", "石桥支行", "在岗"],
]
BRANCH_MERGES = ["C2:C4", "C5:C6"]  # 所属支行 over each branch's officers
LOADS = {"00101": 5, "00102": 1, "00103": 3, "00201": 4, "00202": 0}
CLIENTS_HEADER = ["客户号", "管户客户经理工号", "客户经理", "贷款余额"]
NAMES = {"00101": "王一", "00102": "王二", "00103": "王三", "00201": "李一", "00202": "李二"}


def clients_rows() -> list[list]:
    rows, n = [CLIENTS_HEADER], 0
    for officer, count in LOADS.items():
        for _ in range(count):
            n += 1
            rows.append([f"C{n:04d}", officer, NAMES[officer], 1000 * n])
    return rows


def officer_merges(top: int = 2, left: str = "B") -> list[str]:
    """客户经理工号 and 客户经理 merged over each officer's clients (officers with 2+ clients)."""
    out, row = [], top
    name_col = chr(ord(left) + 1)
    for count in LOADS.values():
        if count > 1:
            out += [f"{left}{row}:{left}{row + count - 1}", f"{name_col}{row}:{name_col}{row + count - 1}"]
        row += count
    return out


def fill_sheet(ws, rows: list[list], merges=(), top: int = 1, left: int = 1) -> None:
    for i, row in enumerate(rows):
        for j, value in enumerate(row):
            if value is not None:
                ws.cell(row=top + i, column=left + j, value=value)
    for ref in merges:
        ws.merge_cells(ref)


def write_book(path: Path, rows: list[list], merges=(), top: int = 1, left: int = 1,
               title: str | None = None, title_merge: str | None = None) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    if title is not None:
        ws.cell(row=1, column=left, value=title)
        if title_merge:
            ws.merge_cells(title_merge)
    fill_sheet(ws, rows, merges, top, left)
    wb.save(path)
    return path


def write_csv(path: Path, rows: list[list]) -> Path:
    path.write_text("\n".join(",".join(str(c) for c in r) for r in rows) + "\n", encoding="utf-8")
    return path


def check_json(runner, officers: Path, clients: Path, *extra: str):
    result = runner.invoke(app, ["check", str(officers), str(clients), "--format", "json",
                                 "--as-of", AS_OF, "--threshold", "3", *extra])
    assert result.exit_code in (0, 1), result.output
    doc = json.loads(result.stdout)
    for entry in doc["inputs"]:
        entry.pop("path")
    return doc, result.stderr


# ---------------------------------------------------------------- through the CLI


def test_roster_with_branch_merged_over_officers_checks_as_the_plain_roster(runner, tmp_path):
    clients = write_csv(tmp_path / "clients.csv", clients_rows())
    plain = write_book(tmp_path / "plain.xlsx", ROSTER)
    merged = write_book(tmp_path / "merged.xlsx", ROSTER, BRANCH_MERGES)
    assert openpyxl.load_workbook(merged).active["C3"].value is None  # (as Excel keeps it)
    want, plain_err = check_json(runner, plain, clients)
    got, err = check_json(runner, merged, clients)
    assert got == want
    assert {o["branch"] for o in got["officers"]} == {"城关支行", "石桥支行"}
    assert "merged" not in plain_err
    assert (f"caseload: note: {merged}: 2 merged cell ranges in column C (所属支行) were read "
            "as filling every row they span") in err.splitlines()


def test_client_list_with_officer_merged_over_clients_checks_as_the_plain_list(runner, tmp_path):
    roster = write_csv(tmp_path / "officers.csv", ROSTER)
    plain = write_book(tmp_path / "plain.xlsx", clients_rows())
    merged = write_book(tmp_path / "merged.xlsx", clients_rows(), officer_merges())
    want, _ = check_json(runner, roster, plain)
    got, err = check_json(runner, roster, merged)
    assert got == want
    assert got["summary"]["unassigned"] == 0
    # three officers with more than one client: six ranges, in two columns; `check` does not
    # read the officer's name, so only the staff number's column is mentioned
    assert (f"caseload: note: {merged}: 3 merged cell ranges in column B (管户客户经理工号) were "
            "read as filling every row they span") in err.splitlines()
    assert "column C" not in err
    # no client data in the notes, only counts, columns and headers
    assert not re.search(r"C\d{4}|王|李", err.replace(str(merged), ""))


def test_quiet_leaves_the_note_out(runner, tmp_path):
    clients = write_csv(tmp_path / "clients.csv", clients_rows())
    merged = write_book(tmp_path / "merged.xlsx", ROSTER, BRANCH_MERGES)
    _, err = check_json(runner, merged, clients, "--quiet")
    assert err == ""


def test_plan_says_the_note_too(runner, tmp_path):
    clients = write_csv(tmp_path / "clients.csv", clients_rows())
    merged = write_book(tmp_path / "merged.xlsx", ROSTER, BRANCH_MERGES)
    result = runner.invoke(app, ["plan", str(merged), str(clients), "--as-of", AS_OF,
                                 "--threshold", "3", "--out", str(tmp_path / "moves.csv")])
    assert result.exit_code in (0, 1), result.output
    assert "2 merged cell ranges in column C (所属支行)" in result.stderr


def test_sheet_starting_at_b3_under_a_merged_title(runner, tmp_path):
    clients = write_csv(tmp_path / "clients.csv", clients_rows())
    reference = write_book(tmp_path / "a1.xlsx", ROSTER)
    shifted = [re.sub(r"C(\d+)", lambda m: f"D{int(m[1]) + 2}", r) for r in BRANCH_MERGES]
    assert shifted == ["D4:D6", "D7:D8"]
    merged = write_book(tmp_path / "b3.xlsx", ROSTER, shifted, top=3, left=2,
                        title="XX农商行客户经理名册（导出日期：2026-11-20）", title_merge="B1:H1")
    raw = read_table(merged, "officers")
    assert raw.header_line == 3
    assert raw.frame.select(LINE, "officer_id", "branch").rows() == [
        (4, "00101", "城关支行"), (5, "00102", "城关支行"), (6, "00103", "城关支行"),
        (7, "00201", "石桥支行"), (8, "00202", "石桥支行")]
    assert raw.notes == [f"{merged}: 2 merged cell ranges in column D (所属支行) were read as "
                         "filling every row they span"]  # (the title's merge is not data)
    want, _ = check_json(runner, reference, clients)
    got, _ = check_json(runner, merged, clients)
    assert got == want


def test_a_second_sheet_chosen_with_sheet_has_its_own_merges(runner, tmp_path):
    roster = write_csv(tmp_path / "officers.csv", ROSTER)
    plain = write_csv(tmp_path / "clients.csv", clients_rows())
    wb = openpyxl.Workbook()
    cover = wb.active
    cover.title = "说明"
    # merges on the first sheet where the clients sheet has officer numbers: applied to the
    # wrong sheet they would hand clients to other officers
    fill_sheet(cover, [["说明"], ["本表由系统导出"], [None, "备注"]], ["B3:B12", "A4:A9"])
    book = wb.create_sheet("客户")
    fill_sheet(book, clients_rows(), officer_merges())
    path = tmp_path / "clients.xlsx"
    wb.save(path)
    assert {m.ref for m in merged_ranges(path, "说明")} == {"B3:B12", "A4:A9"}
    assert len(merged_ranges(path, "客户")) == 6
    want, _ = check_json(runner, roster, plain)
    got, err = check_json(runner, roster, path, "--sheet", "客户")
    assert got == want
    assert "3 merged cell ranges in column B (管户客户经理工号)" in err


def test_no_merges_no_change_and_no_note(runner, tmp_path):
    clients = write_csv(tmp_path / "clients.csv", clients_rows())
    plain = write_book(tmp_path / "plain.xlsx", ROSTER)
    with zipfile.ZipFile(plain) as z:
        assert b"mergeCells" not in z.read("xl/worksheets/sheet1.xml")
    assert merged_ranges(plain, "Sheet") == []
    raw = read_table(plain, "officers")
    assert raw.notes == []
    assert raw.frame["branch"].to_list() == [r[2] for r in ROSTER[1:]]
    _, err = check_json(runner, plain, clients)
    assert "merged" not in err


# ---------------------------------------------------------------- the reader, piece by piece


def test_fastexcel_frames_start_at_row_1_and_the_first_used_column(tmp_path):
    """The assumption the mapping rests on: rows from row 1 (with skip_rows=0), columns from
    the first column holding a value, each with its `absolute_index`."""
    path = write_book(tmp_path / "b3.xlsx", ROSTER, top=3, left=3)
    sheet = fastexcel.read_excel(str(path)).load_sheet(0, header_row=None, skip_rows=0,
                                                       dtypes="string")
    frame = sheet.to_polars()
    assert [c.absolute_index for c in sheet.selected_columns] == [2, 3, 4, 5]
    assert frame.height == 3 + len(ROSTER) - 1
    assert frame.row(2) == tuple(ROSTER[0])
    assert frame.row(0) == (None,) * 4


def test_horizontal_and_block_merges_in_the_data_area(tmp_path):
    rows = [["工号", "姓名", "所属支行", "片区"],
            ["00101", "王一", "城关", None],  # C2:D2: branch and region read 城关
            ["00102", "王二", "石桥支行", "西片"],
            ["00103", "王三", None, None]]  # C3:D4 block: 石桥支行 over four cells
    path = write_book(tmp_path / "r.xlsx", rows, ["C2:D2", "C3:D4"])
    raw = read_table(path, "officers")
    assert raw.frame.select("officer_id", "branch", "region").rows() == [
        ("00101", "城关", "城关"), ("00102", "石桥支行", "石桥支行"),
        ("00103", "石桥支行", "石桥支行")]
    assert raw.notes == [f"{path}: 2 merged cell ranges in columns C:D (所属支行, 片区) were "
                         "read as filling every cell they span"]


def test_rows_blank_but_for_a_merge_stay_blank_and_nothing_is_read_past_the_sheet(tmp_path):
    rows = [*ROSTER[:3], [None] * 4, *ROSTER[3:]]
    path = write_book(tmp_path / "r.xlsx", rows, ["C2:C5", "C6:C40"])
    raw = read_table(path, "officers")
    assert raw.blank_lines == 1
    assert raw.frame.select(LINE, "branch").rows() == [
        (2, "城关支行"), (3, "城关支行"), (5, "城关支行"), (6, "石桥支行"), (7, "石桥支行")]


def test_merges_at_or_above_the_header_are_not_data(tmp_path):
    """A title merged across the top, and a merge from the header down into the data: neither
    is filled (its value is the title or the header, not a cell of the rows below)."""
    rows = [["工号", "姓名", "所属支行", "岗位状态"], ["00101", "王一", None, "在岗"],
            ["00102", "王二", "城关支行", "在岗"]]
    path = write_book(tmp_path / "r.xlsx", rows, ["C3:C4"], top=3, title="员工名册",
                      title_merge="A1:N1")
    raw = read_table(path, "officers")
    assert raw.header_line == 3
    assert raw.frame.select("officer_id", "branch").rows() == [("00101", ""), ("00102", "城关支行")]
    assert raw.notes == []


def test_header_row_option_with_merges(tmp_path):
    rows = [["x"], ["工号", "姓名", "所属支行"], ["00101", "王一", "城关支行"], ["00102", "王二", None]]
    path = write_book(tmp_path / "c.xlsx", rows, ["C3:C4"])
    raw = read_table(path, "officers", ReadOptions(header_row=2))
    assert raw.frame["branch"].to_list() == ["城关支行", "城关支行"]


def _rezip(src: Path, dst: Path, edit) -> Path:
    with zipfile.ZipFile(src) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    parts = edit(parts)
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return dst


def test_a_workbook_without_a_mergecells_element(tmp_path):
    merged = write_book(tmp_path / "merged.xlsx", ROSTER, BRANCH_MERGES)

    def strip(parts):
        xml = parts["xl/worksheets/sheet1.xml"].decode()
        parts["xl/worksheets/sheet1.xml"] = re.sub(r"<mergeCells.*?</mergeCells>", "", xml).encode()
        return parts

    def empty(parts):
        xml = parts["xl/worksheets/sheet1.xml"].decode()
        parts["xl/worksheets/sheet1.xml"] = re.sub(r"<mergeCells.*?</mergeCells>",
                                                   '<mergeCells count="0"/>', xml).encode()
        return parts

    for edit in (strip, empty):
        path = _rezip(merged, tmp_path / f"{edit.__name__}.xlsx", edit)
        assert merged_ranges(path, "Sheet") == []
        raw = read_table(path, "officers")
        assert raw.notes == []
        assert raw.frame["branch"].to_list() == ["城关支行", "", "", "石桥支行", ""]


def test_sheet_parts_found_through_the_relationships(tmp_path):
    """Sheets whose parts are not in tab order, one target absolute, a prefixed namespace."""
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    ws_type = f"{rel}/worksheet"
    workbook = (f'<?xml version="1.0" encoding="UTF-8"?><x:workbook xmlns:x="{main}" '
                f'xmlns:r="{rel}"><x:sheets><x:sheet name="名册" sheetId="1" r:id="rId7"/>'
                f'<x:sheet name="客户" sheetId="2" r:id="rId3"/></x:sheets></x:workbook>')
    rels = ('<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId3" Type="{ws_type}" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId7" Type="{ws_type}" Target="/xl/worksheets/sheet2.xml"/>'
            '</Relationships>')

    def sheet(merges: list[str]) -> str:
        cells = "".join(f'<x:mergeCell ref="{m}"/>' for m in merges)
        return (f'<?xml version="1.0"?><x:worksheet xmlns:x="{main}" xmlns:r="{rel}">'
                '<x:sheetData><x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>mergeCells'
                '</x:t></x:is></x:c></x:row></x:sheetData>'
                f'<x:mergeCells count="{len(merges)}">{cells}</x:mergeCells>'
                '<x:pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" '
                'footer="0.3"/></x:worksheet>')

    path = tmp_path / "odd.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("xl/workbook.xml", workbook)
        z.writestr("xl/_rels/workbook.xml.rels", rels)
        z.writestr("xl/worksheets/sheet1.xml", sheet(["B2:B9"]))
        z.writestr("xl/worksheets/sheet2.xml", sheet(["$c$3:$d$4", "AA10:AB10", "E5"]))
    assert merged_ranges(path, "客户") == [Merge(1, 1, 8, 1)]
    assert merged_ranges(path, "名册") == [Merge(2, 2, 3, 3), Merge(9, 26, 9, 27),
                                           Merge(4, 4, 4, 4)]  # (one cell: filled nowhere)
    assert merged_ranges(path, "nope") == []


def test_old_xls_and_other_workbooks_are_not_parsed(tmp_path):
    xls = tmp_path / "old.xls"
    xls.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    assert merged_ranges(xls, "Sheet1") == []
    ods = tmp_path / "book.zip"
    with zipfile.ZipFile(ods, "w") as z:
        z.writestr("content.xml", "<office:document-content/>")
    assert merged_ranges(ods, "Sheet1") == []


def test_merge_refs():
    assert Merge.from_ref("B3:B10") == Merge(2, 1, 9, 1)
    assert Merge.from_ref("$AA$1:$AB$2") == Merge(0, 26, 1, 27)
    assert Merge.from_ref("B10:B3") == Merge(2, 1, 9, 1)  # (corners either way round)
    assert Merge.from_ref("XFD1048576:XFD1048576") == Merge(1048575, 16383, 1048575, 16383)
    assert Merge.from_ref("C5").ref == "C5:C5"
    for bad in ("", "B", "3:4", "B0:B3", "B3:"):
        assert Merge.from_ref(bad) is None


def test_many_merges_are_all_read_and_filled(tmp_path):
    """Tens of thousands of merges (an officer over each pair of clients), filled by one join
    (no loop per cell; its speed is for benchmarks, not asserted here); and every range of a
    workbook's XML is read (2,000: openpyxl takes quadratic time to make more)."""
    n = 40_000
    frame = pl.DataFrame({
        "c0": [f"C{i}" for i in range(2 * n + 1)],
        "c1": ["officer"] + [f"O{i // 2}" if i % 2 == 0 else "" for i in range(2 * n)],
    })
    merges = [Merge(1 + 2 * k, 1, 2 + 2 * k, 1) for k in range(n)]
    filled, counts = fill_merged(frame, [0, 1], merges, header_index=0)
    assert filled["c1"].to_list()[1:] == [f"O{i // 2}" for i in range(2 * n)]
    assert counts == {(1,): n}

    wb = openpyxl.Workbook()
    ws = wb.active
    pairs = 2_000
    for i in range(2 * pairs):
        ws.cell(row=i + 2, column=1, value=f"C{i}")
    for k in range(pairs):
        ws.merge_cells(start_row=2 + 2 * k, start_column=2, end_row=3 + 2 * k, end_column=2)
    path = tmp_path / "many.xlsx"
    wb.save(path)
    assert len(merged_ranges(path, "Sheet")) == pairs


def test_module_says_why_in_its_docstrings():
    assert "fastexcel" in (xlsx_merges.__doc__ or "")
    assert merged_ranges.__doc__ and fill_merged.__doc__


@pytest.mark.parametrize("suffix", [".xlsx", ".xlsm"])
def test_the_hook_runs_for_xlsx_and_xlsm(tmp_path, suffix):
    path = write_book(tmp_path / f"r{suffix}", ROSTER, BRANCH_MERGES)
    try:
        raw = read_table(path, "officers")
    except Exception:  # (a reader may refuse an .xlsm without macros' content type)
        pytest.skip("this reader does not open an .xlsm written by openpyxl")
    assert raw.frame["branch"].to_list() == [r[2] for r in ROSTER[1:]]


def test_merges_found_across_any_chunk_boundary(tmp_path, monkeypatch):
    path = write_book(tmp_path / "r.xlsx", clients_rows(), officer_merges())
    want = sorted(merged_ranges(path, "Sheet"))
    assert len(want) == 6
    for size in (1, 7, 64, 255):
        monkeypatch.setattr(xlsx_merges, "_CHUNK", size)
        assert sorted(merged_ranges(path, "Sheet")) == want, size


def test_damaged_merge_xml_stops_the_run_without_a_traceback(runner, tmp_path):
    merged = write_book(tmp_path / "merged.xlsx", ROSTER, BRANCH_MERGES)

    def damage(parts):
        xml = parts["xl/worksheets/sheet1.xml"].decode()
        parts["xl/worksheets/sheet1.xml"] = xml.replace('<mergeCell ref="C2:C4"',
                                                        '<mergeCell ref="C2:C4><').encode()
        return parts

    path = _rezip(merged, tmp_path / "damaged.xlsx", damage)
    clients = write_csv(tmp_path / "clients.csv", clients_rows())
    result = runner.invoke(app, ["check", str(path), str(clients), "--as-of", AS_OF])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"caseload: error: {path}: sheet 'Sheet': its merged cells cannot be read (the "
        "workbook's XML is damaged; open and save it again)"]
