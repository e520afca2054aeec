"""Line numbers are the file's own, as an editor shows them, whatever the layout.

Each file is built from parts; every record's client number is ``L<line>``, the line the record
starts on, counted while the file is written. Reading must give each record that line.
"""

from __future__ import annotations

import codecs
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caseload import load
from caseload.config import ReadOptions
from caseload.load import LINE, read_table
from caseload.validate import validate_clients

HEADER = ["客户号", "客户名称", "管户客户经理工号", "贷款余额(元)", "管户日期"]


class Builder:
    """Writes a CSV part by part, numbering records by the line they start on."""

    def __init__(self, sep: str = ",", newline: str = "\n") -> None:
        self.sep, self.newline = sep, newline
        self.text = ""
        self.expected: list[int] = []

    @property
    def line(self) -> int:
        return self.text.count("\n") + 1

    def raw(self, text: str) -> Builder:
        self.text += text + self.newline
        return self

    def record(self, name: str = "客户", officer: str = "00101", balance: str = "12,000.00",
               quote_all: bool = False) -> Builder:
        cells = [f"L{self.line}", name, officer, balance, "2024-03-01"]
        self.expected.append(self.line)
        return self.raw(self.sep.join(_quote(c, self.sep, quote_all) for c in cells))

    def header(self) -> Builder:
        return self.raw(self.sep.join(HEADER))


def _quote(cell: str, sep: str, always: bool) -> str:
    if always or any(ch in cell for ch in (sep, '"', "\n", "\r")):
        return '"' + cell.replace('"', '""') + '"'
    return cell


def check_lines(path: Path, expected: list[int], options: ReadOptions | None = None) -> None:
    raw = read_table(path, "clients", options)
    got = raw.frame.select(pl.col("client_id"), pl.col(LINE)).rows()
    assert [f"L{n}" for _, n in got] == [cid.strip() for cid, _ in got]
    assert [n for _, n in got] == expected
    validate_clients(raw)  # and nothing is wrong with any of them


def write(tmp_path: Path, b: Builder, encoding: str = "utf-8", name: str = "c.csv") -> Path:
    p = tmp_path / name
    data = b.text.encode(encoding)
    if encoding == "utf-16-le":
        data = codecs.BOM_UTF16_LE + data
    p.write_bytes(data)
    return p


def test_plain(tmp_path):
    b = Builder().header()
    for _ in range(5):
        b.record()
    check_lines(write(tmp_path, b), b.expected)


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "utf-16-le"])
def test_title_blank_lines_and_totals(tmp_path, newline, encoding):
    b = Builder(newline=newline).raw("XX农商行管户客户清单（导出日期：2026-11-20）").raw("").header()
    b.record().raw("").raw("   ").record().record().raw("\t").record()
    b.raw("合计,,,\"36,000.00\",")
    path = write(tmp_path, b, encoding)
    check_lines(path, b.expected)
    assert read_table(path, "clients").total_lines == [b.line - 1]


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_quoted_line_breaks(tmp_path, newline):
    b = Builder(newline=newline).header().record()
    b.record(name=f"多行{newline}名字").record()
    b.record(name=f"三{newline}行{newline}名字", quote_all=True).record().record(name='王"小"二')
    check_lines(write(tmp_path, b), b.expected)


def test_header_cell_with_a_line_break(tmp_path):
    b = Builder().raw("标题").raw('客户号,客户名称,管户客户经理工号,"贷款余额\n(元)",管户日期')
    b.record().record()
    check_lines(write(tmp_path, b), b.expected)


@pytest.mark.parametrize("batch", [2, 50_000])
def test_stray_quote_falls_back_to_python_csv_with_the_same_lines(tmp_path, monkeypatch, batch):
    monkeypatch.setattr(load, "_PY_BATCH", batch)
    b = Builder().raw("标题").header().record().raw("").record(name=f"多行{chr(10)}名字")
    b.raw(f'L{b.line},张"三,00101,100,2024-03-01')
    b.expected.append(b.line - 1)
    b.record()
    check_lines(write(tmp_path, b), b.expected)


def test_tab_separated_with_unquoted_commas(tmp_path):
    b = Builder(sep="\t").raw("标题").header().record(balance="1,234,567.00").record()
    check_lines(write(tmp_path, b), b.expected)


def test_no_newline_at_the_end(tmp_path):
    b = Builder().header().record().record()
    b.text = b.text.rstrip("\n")
    check_lines(write(tmp_path, b), b.expected)


def test_header_row_option_counts_lines_like_an_editor(tmp_path):
    b = Builder().raw("客户号,管户客户经理工号").raw("").header().record().record()
    check_lines(write(tmp_path, b), b.expected, ReadOptions(header_row=3))


def test_beyond_the_sniffed_megabyte(tmp_path, monkeypatch):
    monkeypatch.setattr(load, "SNIFF_BYTES", 512)
    monkeypatch.setattr(load, "_CHUNK", 700)
    b = Builder().raw("标题").header()
    for i in range(120):
        if i % 17 == 5:
            b.raw("")
        b.record(name="长名字" * 3 + ("\n换行" if i % 31 == 7 else ""))
    for encoding in ("utf-8", "gb18030"):
        check_lines(write(tmp_path, b, encoding, f"{encoding}.csv"), b.expected)


def test_rows_with_problems_keep_their_lines(tmp_path):
    b = Builder(newline="\r\n").raw("标题").header().record().record(name="多\r\n行")
    bad = b.line
    b.raw(f"L{bad},x,00101,abc,2024-03-01").record()
    path = write(tmp_path, b)
    v = validate_clients(read_table(path, "clients"), skip_bad_rows=True)
    assert [g.lines for g in v.skipped] == [[bad]]
    assert v.frame[LINE].to_list() == b.expected


def test_xlsx_rows_are_excel_rows(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws["C2"] = "导出日期：2026-11-20"
    ws.append([])
    for col, h in enumerate(HEADER, start=2):
        ws.cell(row=4, column=col, value=h)
    rows = {5: "00101", 6: "00102", 8: "00101", 9: 101}
    for r, officer in rows.items():
        for col, v in enumerate([f"L{r}", "名", officer, 1000, "2024-03-01"], start=2):
            ws.cell(row=r, column=col, value=v)
    ws.cell(row=11, column=2, value="合计")
    path = tmp_path / "c.xlsx"
    wb.save(path)
    raw = read_table(path, "clients")
    assert raw.frame[LINE].to_list() == [5, 6, 8, 9]
    assert raw.frame["client_id"].to_list() == ["L5", "L6", "L8", "L9"]
    assert raw.frame["officer_id"].to_list() == ["00101", "00102", "00101", "101"]
    assert raw.total_lines == [11] and raw.header_line == 4 and raw.unit == "row"


# ------------------------------------------------------------------ random layouts

PART = st.sampled_from(["record", "blank", "spaces", "multiline", "quoted", "stray_quote"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    parts=st.lists(PART, min_size=1, max_size=25),
    title_lines=st.integers(0, 3),
    newline=st.sampled_from(["\n", "\r\n"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]),
    sep=st.sampled_from([",", "\t", ";"]),
    end_newline=st.booleans(),
)
def test_random_layouts_keep_line_numbers(tmp_path, parts, title_lines, newline, encoding, sep,
                                          end_newline):
    b = Builder(sep=sep, newline=newline)
    for i in range(title_lines):
        b.raw(f"导出说明 {i}")
    b.header()
    for part in parts:
        if part == "record":
            b.record()
        elif part == "blank":
            b.raw("")
        elif part == "spaces":
            b.raw("  \t ")
        elif part == "multiline":
            b.record(name=f"第一行{newline}第二行")
        elif part == "quoted":
            b.record(quote_all=True)
        else:
            line = b.line
            b.raw(sep.join([f"L{line}", '李"四', "00101", "5", "2024-03-01"]))
            b.expected.append(line)
    if not b.expected:
        b.record()
    if not end_newline:
        b.text = b.text[: -len(newline)]
    check_lines(write(tmp_path, b, encoding, "r.csv"), b.expected)


@pytest.mark.parametrize(("tail", "message"), [
    ("", "is empty (only blank lines)"),
    ("client_id,officer_id\r\nC1,01\r\n", "no header in the first 30 lines"),
])
def test_blank_lines_past_the_header_search_are_still_looked_at(tmp_path, tail, message):
    """Header detection decodes only the lines it searches; a file blank that far is read
    further before it is called empty (a header on line 41 is not found, as before)."""
    path = tmp_path / "c.csv"
    path.write_bytes(("\r\n" * 40 + tail).encode("utf-8"))
    with pytest.raises(Exception, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_table(path, "clients")
