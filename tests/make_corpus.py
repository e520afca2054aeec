#!/usr/bin/env python3
"""(Re)generate tests/corpus: small real-looking and broken exports, each with what must happen.

    python tests/make_corpus.py          # rewrites tests/corpus/ (commit the result)

Every case is a pair (roster, client book) plus the arguments of `caseload check`, the exit code
expected, regular expressions that stderr must match, and, where the check runs, numbers the
JSON report must show. `tests/test_read_corpus.py` runs them all through the CLI. Everything is
synthetic; the personal data (names, ID numbers, phones) is made up, and the tests assert that
none of it ever reaches stdout or stderr.

The files are small and deterministic: running the script twice gives the same bytes.
"""

from __future__ import annotations

import codecs
import datetime as dt
import io
import json
import shutil
import struct
import zipfile
import zlib
from pathlib import Path

import polars as pl
import xlsxwriter

CORPUS = Path(__file__).resolve().parent / "corpus"
FIXED_TIME = dt.datetime(2026, 11, 20, 9, 0, 0)

OFFICER_HEADER = ["工号", "姓名", "所属支行", "机构号", "岗位状态", "客户经理等级", "管户上限"]
OFFICERS = [
    ["00101", "王建国", "城关支行", "3201001", "在岗", "高级", ""],
    ["00102", "李秀英", "城关支行", "3201001", "在职", "中级", ""],
    ["00103", "张伟", "城关支行", "3201001", "休假", "初级", ""],
    ["1104", "陈晓梅", "城关支行", "3201001", "在岗", "初级", ""],
]

ZH = ["客户号", "客户名称", "证件号码", "手机号", "管户客户经理工号", "管户客户经理", "所属支行",
      "机构号", "贷款余额(元)", "五级分类", "客户类型", "家庭号", "管户日期", "锁定"]
EN = ["client_id", "client_name", "id_number", "phone", "officer_id", "officer_name", "branch",
      "branch_id", "balance", "risk_class", "segment", "group_id", "assigned_since", "pinned"]
TITLE = "城关农商银行管户客户清单（导出日期：2026-11-20）"


def client(n: int, officer: str = "00101", *, name: str | None = None,
           id_number: str | None = None, phone: str | None = None, balance: str = "12,000.00",
           risk: str = "正常", since: str = "2024-03-01", pinned: str = "否",
           cid: str | None = None) -> list[str]:
    """One client row in the Chinese export's column order."""
    officer_names = {"00101": "王建国", "00102": "李秀英", "00103": "张伟", "1104": "陈晓梅"}
    return [
        cid if cid is not None else f"0012{n:06d}",
        name or f"客户{n:03d}",
        id_number or f"320311199001{n:04d}1X"[:18],
        phone or f"1380000{n:04d}",
        officer,
        officer_names.get(officer, ""),
        "城关支行", "3201001", balance, risk, "农户", "", since, pinned,
    ]


def book(n: int = 8) -> list[list[str]]:
    """A clean book: 8 clients, 3 with 00101, 2 with 00102, 2 with 00103 (leave), 1 with 1104."""
    owners = ["00101", "00101", "00101", "00102", "00102", "00103", "00103", "1104"]
    return [client(i + 1, owners[i % len(owners)]) for i in range(n)]


# Personal data that appears only in bad rows: it must never reach stdout or stderr.
SECRET_NAME, SECRET_ID, SECRET_PHONE = "钱多多", "32031119850505123X", "13912345678"
SECRETS = [SECRET_NAME, SECRET_ID, SECRET_PHONE]


def csv_text(header: list[str] | None, rows: list[list[str]], sep: str = ",", *,
             title: str | None = None, totals: list[str] = (), newline: str = "\n",
             quote_all: bool = False) -> str:
    lines = []
    if title is not None:
        lines.append(title)
    if header is not None:
        lines.append(_join(header, sep, quote_all))
    lines += [_join(r, sep, quote_all) for r in rows]
    lines += list(totals)
    return newline.join(lines) + newline


def _join(cells: list[str], sep: str, quote_all: bool) -> str:
    out = []
    for c in cells:
        if quote_all or any(ch in c for ch in (sep, '"', "\n", "\r")):
            out.append('"' + c.replace('"', '""') + '"')
        else:
            out.append(c)
    return sep.join(out)


class Corpus:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.cases: list[dict] = []

    def write(self, rel: str, data: bytes | str, encoding: str = "utf-8") -> str:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data if isinstance(data, bytes) else data.encode(encoding))
        return rel

    def case(self, name: str, clients: str | None, *, officers: str = "officers.csv",
             args: list[str] = (), exit: int = 0, stderr: list[str] = (),
             json_expect: dict | None = None, about: str = "") -> None:
        self.cases.append({
            "name": name, "about": about, "officers": officers,
            "clients": clients if clients is not None else f"{name}/clients.csv",
            "args": list(args), "exit": exit, "stderr": list(stderr),
            "json": json_expect or {},
        })


def xlsx_bytes(build) -> bytes:
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    wb.set_properties({"created": FIXED_TIME})
    build(wb)
    wb.close()
    return _normalise_zip(buf.getvalue())


def _normalise_zip(data: bytes) -> bytes:
    """Same bytes every run: fixed member times."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(2026, 11, 20, 9, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


def png_bytes() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * 4 for _ in range(4))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def build(c: Corpus) -> None:
    c.write("officers.csv", csv_text(OFFICER_HEADER, OFFICERS))
    clean = {"summary.clients": 8, "inputs.1.rows_used": 8, "inputs.1.skipped_rows": 0,
             "accounts": {"00101": 3, "00102": 2, "00103": 2, "1104": 1}}

    # ------------------------------------------------------------ encodings and layouts
    c.write("utf8_plain/clients.csv", csv_text(EN, book()))
    c.case("utf8_plain", None, json_expect=clean, about="UTF-8, English headers, LF")

    c.write("utf8_bom_crlf_title_total/clients.csv", csv_text(
        ZH, book(), title=TITLE, totals=["合计,8户,,,,,,,\"96,000.00\",,,,,"], newline="\r\n"),
        encoding="utf-8-sig")
    c.case("utf8_bom_crlf_title_total", None,
           json_expect={**clean, "inputs.1.total_lines": [11]},
           about="UTF-8 with BOM (as Excel saves), CRLF, title line, 合计 line")

    gbk = csv_text(ZH, book(), title=TITLE, newline="\r\n",
                   totals=["合计,,,,,,,,\"96,000.00\",,,,,", "总计：8户"])
    c.write("gbk_title_totals/clients.csv", gbk.encode("gbk"))
    c.case("gbk_title_totals", None, json_expect={**clean, "inputs.1.total_lines": [11, 12]},
           about="GBK bytes (a subset of GB18030), title, 合计 and 总计 lines, detected")
    c.write("gbk_title_totals/officers.csv",
            csv_text(OFFICER_HEADER, OFFICERS, newline="\r\n").encode("gbk"))
    c.case("gbk_forced", "gbk_title_totals/clients.csv", args=["--encoding", "gbk"],
           officers="gbk_title_totals/officers.csv", json_expect=clean,
           about="--encoding gbk (check.py applies it to both files)")
    c.case("gbk_forced_wrong", "gbk_title_totals/clients.csv", args=["--encoding", "utf-8"],
           exit=2, stderr=[r"gbk_title_totals/clients\.csv: line 1: bytes that are not valid "
                           r"UTF-8"],
           about="--encoding utf-8 on GBK bytes: refused, with the line")
    c.case("encoding_unknown", "gbk_title_totals/clients.csv", args=["--encoding", "latin-9"],
           exit=2, stderr=[r"--encoding: encoding must be one of .*, not 'latin-9'"])

    gb = csv_text(ZH, book()[:7] + [client(8, "1104", name="𠀀𠀁丽")]).encode("gb18030")
    c.write("gb18030_4byte/clients.csv", gb)
    c.case("gb18030_4byte", None, json_expect=clean,
           about="GB18030 with four-byte characters (outside GBK) in a name")

    c.write("utf16_tab/clients.csv",
            codecs.BOM_UTF16_LE + csv_text(ZH, book(), "\t", newline="\r\n")
            .encode("utf-16-le"))
    c.case("utf16_tab", None, json_expect=clean,
           about="Excel 'Unicode text': UTF-16 LE with BOM, tab-separated")

    c.write("tab_separated/clients.csv", csv_text(ZH, book(), "\t", title=TITLE))
    c.case("tab_separated", None, json_expect=clean,
           about="tab-separated, balances 12,000.00 unquoted (the commas are not separators)")

    c.write("semicolon/clients.csv", csv_text(EN, book(), ";"))
    c.case("semicolon", None, json_expect=clean)

    mixed = (csv_text(ZH, book()[:5], title=TITLE).encode("utf-8")
             + csv_text(None, book()[5:]).encode("gbk"))
    c.write("mixed_encodings/clients.csv", mixed)
    c.case("mixed_encodings", None, exit=2,
           stderr=[r"mixed_encodings/clients\.csv: line 8: bytes that are not valid UTF-8"],
           about="UTF-8 at the head, GBK from line 8: refused, never guessed")

    # ------------------------------------------------------------ workbooks and parquet
    def wps_book(wb) -> None:
        ws = wb.add_worksheet("Sheet1")
        text = wb.add_format({"num_format": "@"})
        date = wb.add_format({"num_format": "yyyy-mm-dd"})
        ws.merge_range(0, 0, 0, len(ZH) - 1, TITLE)
        ws.write_row(1, 0, ZH)
        for i, r in enumerate(book()):
            row = i + 2
            for j, v in enumerate(r):
                if j == 0 and i % 2:  # client numbers: some stored as numbers
                    ws.write_number(row, j, int(v))
                elif j == 4 and r[4] == "1104":  # a staff number stored as a number
                    ws.write_number(row, j, 1104)
                elif j == 8:
                    ws.write_number(row, j, float(v.replace(",", "")))
                elif j == 12 and i % 3 == 0:
                    ws.write_datetime(row, j, dt.datetime(2024, 3, 1), date)
                else:
                    ws.write_string(row, j, v, text)
        ws.write_string(10, 0, "合计")
        ws.write_formula(10, 8, "=SUM(I3:I10)", None, 96000)
    c.write("xlsx_wps/clients.xlsx", xlsx_bytes(wps_book))
    c.case("xlsx_wps", "xlsx_wps/clients.xlsx",
           json_expect={**clean, "inputs.1.total_lines": [11]},
           about="xlsx: merged title row, IDs as text and as numbers, dates, 合计 row")

    def two_sheets(wb) -> None:
        notes = wb.add_worksheet("说明")
        notes.write(0, 0, "本表由信贷系统导出")
        ws = wb.add_worksheet("客户清单")
        ws.write_row(2, 1, EN)  # the table starts at B3: rows 1-2 empty, column A empty
        for i, r in enumerate(book()):
            ws.write_row(3 + i, 1, r)
        ws.write_row(5, 1, [*book()[2][:8], "not money", *book()[2][9:]])
    c.write("xlsx_sheet/clients.xlsx", xlsx_bytes(two_sheets))
    c.case("xlsx_sheet_named", "xlsx_sheet/clients.xlsx", args=["--sheet", "客户清单"], exit=2,
           stderr=[r"balance is not a number \(column balance\): 1 row\(s\), row 6$"],
           about="--sheet picks the sheet; row numbers are Excel's even when the table "
                 "starts at B3")
    c.case("xlsx_sheet_first", "xlsx_sheet/clients.xlsx", exit=2,
           stderr=[r"xlsx_sheet/clients\.xlsx: is not a clients table"],
           about="the first sheet holds notes, not the table")
    c.case("xlsx_sheet_missing", "xlsx_sheet/clients.xlsx", args=["--sheet", "Sheet9"], exit=2,
           stderr=[r"has no sheet named 'Sheet9' \(sheets: 说明, 客户清单\)"])

    (CORPUS / "parquet").mkdir(parents=True, exist_ok=True)
    pl.DataFrame({h: [r[j] for r in book()] for j, h in enumerate(EN)}).with_columns(
        pl.col("balance").str.replace_all(",", "").cast(pl.Float64)
    ).write_parquet(CORPUS / "parquet" / "clients.parquet")
    c.case("parquet", "parquet/clients.parquet", json_expect=clean)

    c.write("csv_named_xlsx/clients.xlsx", csv_text(EN, book()))
    c.case("csv_named_xlsx", "csv_named_xlsx/clients.xlsx", exit=2,
           stderr=[r"is not a readable \.xlsx workbook \(it looks like text"])

    # ------------------------------------------------------------ header finding and mapping
    preamble = [f"说明第{i}行：本清单仅供内部使用" for i in range(1, 35)]
    c.write("header_deep/clients.csv", "\n".join(preamble) + "\n" + csv_text(ZH, book()))
    c.write("header_deep/officers.csv",
            "\n".join(preamble) + "\n" + csv_text(OFFICER_HEADER, OFFICERS))
    c.case("header_deep_not_found", None, officers="header_deep/officers.csv", exit=2,
           stderr=[r"header_deep/officers\.csv: is not an officers table: no header in the "
                   r"first 30 lines names officer_id"],
           about="a header below line 30 is not searched for")
    c.case("header_row_override", "header_deep/clients.csv", args=["--header-row", "35"],
           json_expect=clean,
           about="--header-row 35 describes the client export; the roster's header is detected")
    c.case("header_row_past_end", "utf8_plain/clients.csv", args=["--header-row", "99"], exit=2,
           stderr=[r"--header-row 99 is past the end of the file"])

    odd = ["Cust No", "Name", "RM", "Branch", "Balance"]
    c.write("map_explicit/clients.csv",
            csv_text(odd, [[r[0], r[1], r[4], r[6], r[8]] for r in book()]))
    c.case("map_needed", "map_explicit/clients.csv", exit=2,
           stderr=[r"map_explicit/clients\.csv: line 1: required column client_id, officer_id "
                   r"missing \(.*\); headers found: Cust No, Name, RM, Branch, Balance; "
                   r"map one with --map client_id=HEADER"])
    c.case("map_explicit", "map_explicit/clients.csv",
           args=["--map", "client_id=Cust No", "--map", "officer_id=RM",
                 "--map", "balance=Balance"],
           json_expect=clean, about="--map canonical=HEADER")
    c.case("map_typo", "map_explicit/clients.csv",
           args=["--map", "client_id=Cust No", "--map", "officer_id=RM",
                 "--map", "balance=Balanse"], exit=2,
           stderr=[r"--map balance=Balanse: 'Balanse' is not in the header"])

    amb = ["客户号", "客户编号", "管户客户经理工号", "贷款余额"]
    c.write("ambiguous/clients.csv",
            csv_text(amb, [[r[0], "X" + r[0], r[4], r[8]] for r in book()]))
    c.case("ambiguous_headers", "ambiguous/clients.csv", exit=2,
           stderr=[r"line 1: headers '客户号' \(column 1\), '客户编号' \(column 2\) all fit "
                   r"column 'client_id'; choose one with --map client_id=HEADER"])
    c.case("ambiguous_mapped", "ambiguous/clients.csv", args=["--map", "client_id=客户号"],
           json_expect=clean)

    spec = ["客户号", "客户经理工号", "管户客户经理工号", "客户经理", "余额", "贷款余额(元)"]
    c.write("specific_wins/clients.csv", csv_text(
        spec, [[r[0], "00102", r[4], "某某", "oops", r[8]] for r in book()]))
    c.case("specific_wins", "specific_wins/clients.csv", json_expect=clean,
           about="管户客户经理工号 beats 客户经理工号, 贷款余额(元) beats 余额")

    c.write("missing_column/clients.csv",
            csv_text(ZH[:4] + ZH[5:], [r[:4] + r[5:] for r in book()], title=TITLE))
    c.case("missing_column", "missing_column/clients.csv", exit=2,
           stderr=[r"missing_column/clients\.csv: line 2: required column officer_id missing "
                   r"\(a header such as 管户客户经理工号 / 管户经理工号 / officer_id\); headers "
                   r"found: 客户号, 客户名称, 证件号码, 手机号, 管户客户经理, "])
    c.case("swapped_files", "officers.csv", officers="utf8_plain/clients.csv", exit=2,
           stderr=[r"utf8_plain/clients\.csv: line 1: this looks like the client book \(it has "
                   r"a client number column, client_id\), not the officer roster: are the two "
                   r"files swapped\?"],
           about="the client book given as the roster")

    c.write("header_with_break/clients.csv",
            '客户号,管户客户经理工号,"贷款余额\n(元)",五级分类\n'
            + csv_text(None, [[r[0], r[4], r[8], r[9]] for r in book()[:5]])
            + "0012000006,00103,abc,正常\n"
            + csv_text(None, [[r[0], r[4], r[8], r[9]] for r in book()[6:]]))
    c.case("header_with_break", "header_with_break/clients.csv", exit=2,
           stderr=[r"balance is not a number \(column 贷款余额 \(元\)\): 1 row\(s\), line 8$"],
           about="a header cell with a line break (Excel Alt+Enter): the data still starts "
                 "at the right line")

    # ------------------------------------------------------------ values
    fw = book()
    fw[0][0] = "００１２０００００１"
    fw[1][4] = "００１０１"
    fw[2][4] = " 00101 "
    fw[3][0] = '="0012000004"'
    fw[4][0] = "'0012000005"
    c.write("fullwidth_ids/clients.csv", csv_text(ZH, fw))
    c.case("fullwidth_ids", "fullwidth_ids/clients.csv", json_expect=clean,
           about="full-width digits, spaces, Excel guards =\"…\" and '… in IDs")

    money = book()
    for r, v in zip(money, ["¥12,000.00", "￥1,234,567.89", "5000元", " 12000 ", "12,000",
                            "RMB 300", "", "0"], strict=True):
        r[8] = v
    c.write("money_formats/clients.csv", csv_text(ZH, money))
    c.case("money_formats", "money_formats/clients.csv", json_expect=clean)

    dates = book()
    for r, v in zip(dates, ["2024-03-01", "2024/3/1", "20240301", "2024年3月1日",
                            "2024.03.01", "2024-03-01 00:00:00", "２０２４-０３-０１", ""],
                    strict=True):
        r[12] = v
    c.write("date_formats/clients.csv", csv_text(ZH, dates))
    c.case("date_formats", "date_formats/clients.csv", json_expect=clean)

    words = book()
    for r, v in zip(words, ["Special Mention", " NORMAL ", "正常类", "关注", "special_mention",
                            "ＬＯＳＳ", "次 级", ""], strict=True):
        r[9] = v
    c.write("vocabulary_words/clients.csv", csv_text(ZH, words))
    roster = [r[:] for r in OFFICERS]
    roster[0][4], roster[1][4], roster[2][4] = " Active ", "ON LEAVE", "病假"
    c.write("vocabulary_words/officers.csv", csv_text(OFFICER_HEADER, roster))
    c.case("vocabulary_words", None, officers="vocabulary_words/officers.csv",
           json_expect={**clean, "summary.active_officers": 2},
           about="status and risk words: case, width, spaces and _ ignored")

    # ------------------------------------------------------------ row problems
    rows = book()
    rows[3] = [*rows[3], "extra"]
    c.write("ragged_more/clients.csv", csv_text(ZH, rows, title=TITLE))
    c.case("ragged_more", None, exit=2, stderr=[
        r"ragged_more/clients\.csv: 1 row\(s\) with problems; nothing was counted",
        r"more fields than the 14 headers: 1 row\(s\), line 6$"])

    rows = book()
    rows[2] = rows[2][:-3]
    rows[5] = rows[5][:6]
    c.write("ragged_fewer/clients.csv", csv_text(ZH, rows, title=TITLE))
    c.case("ragged_fewer", None, exit=2,
           stderr=[r"fewer fields than the 14 headers: 2 row\(s\), lines 5, 8$"])

    rows = book()
    rows[4][0] = "  "
    c.write("blank_client_id/clients.csv", csv_text(ZH, rows))
    c.case("blank_client_id", None, exit=2,
           stderr=[r"blank client number \(column 客户号\): 1 row\(s\), line 6$"])

    roster = [r[:] for r in OFFICERS]
    roster[1][4] = "出差"
    c.write("bad_status/officers.csv", csv_text(OFFICER_HEADER, roster))
    c.case("bad_status", "utf8_plain/clients.csv", officers="bad_status/officers.csv", exit=2,
           stderr=[r"bad_status/officers\.csv: status word not in the vocabulary "
                   r"\(column 岗位状态\): 1 row\(s\), line 3$"])

    rows = book()
    rows[1][9] = "很好"
    c.write("bad_risk/clients.csv", csv_text(ZH, rows))
    c.case("bad_risk", None, exit=2, stderr=[r"risk class not one of .*: 1 row\(s\), line 3$"])

    rows = book()
    rows[6][8] = "12.000,00"
    rows[7][8] = "一万"
    c.write("bad_balance/clients.csv", csv_text(ZH, rows, title=TITLE))
    c.case("bad_balance", None, exit=2,
           stderr=[r"balance is not a number \(column 贷款余额\(元\)\): 2 row\(s\), "
                   r"lines 9, 10$"])

    rows = book()
    rows[0][12] = "2024-02-30"
    rows[3][12] = "2024/13/1"
    rows[5][12] = "去年"
    c.write("bad_date/clients.csv", csv_text(ZH, rows))
    c.case("bad_date", None, exit=2,
           stderr=[r"date not understood \(column 管户日期\): 3 row\(s\), lines 2, 5, 7$"])

    rows = book()
    rows[2][0] = "1.20012E+11"
    c.write("excel_rounded_id/clients.csv", csv_text(ZH, rows))
    c.case("excel_rounded_id", None, exit=2,
           stderr=[r"client number with spaces, line breaks or in Excel's rounded 1\.2E\+11 "
                   r"form \(column 客户号\): 1 row\(s\), line 4$"])

    rows = book()
    rows[3] = client(4, "00102", name=SECRET_NAME, id_number=SECRET_ID, phone=SECRET_PHONE,
                     balance=f"{SECRET_NAME}{SECRET_PHONE}")
    rows[5] = client(6, "00103", name=SECRET_NAME, id_number=SECRET_ID, phone=SECRET_PHONE,
                     risk=SECRET_ID, since=SECRET_PHONE)
    rows[6] = [SECRET_ID, SECRET_NAME, SECRET_PHONE]  # shifted, short
    c.write("personal_data_in_bad_rows/clients.csv", csv_text(ZH, rows))
    c.case("personal_data_in_bad_rows", None, exit=2,
           stderr=[r"balance is not a number .*line 5$", r"fewer fields .*line 8$"],
           about="bad rows full of personal data: reported by line, never quoted")

    # ------------------------------------------------------------ duplicates
    rows = book()
    rows.insert(5, rows[1][:])
    rows.append(rows[0][:])
    c.write("duplicate_identical/clients.csv", csv_text(ZH, rows))
    c.case("duplicate_identical", None,
           json_expect={**clean, "inputs.1.notes.0.lines": [7, 11]},
           about="an identical row repeated counts once, and is noted")

    rows = book()
    moved = rows[1][:]
    moved[4] = "00102"
    rows.append(moved)
    c.write("duplicate_conflict/clients.csv", csv_text(ZH, rows))
    c.case("duplicate_conflict", None, exit=2,
           stderr=[r"client 0012000002 under different officers: "
                   r"2 row\(s\), lines 3, 10$"])

    rows = book()
    changed = rows[1][:]
    changed[8] = "99,000.00"
    rows.append(changed)
    c.write("duplicate_details/clients.csv", csv_text(ZH, rows))
    c.case("duplicate_details", None, exit=2,
           stderr=[r"client 0012000002 repeated with different details: 2 row\(s\), lines 3, 10$"])

    roster = [*OFFICERS, ["00102", "李秀英", "城关支行", "3201001", "在职", "中级", ""]]
    c.write("duplicate_officer/officers.csv", csv_text(OFFICER_HEADER, roster))
    c.case("duplicate_officer_identical", "utf8_plain/clients.csv",
           officers="duplicate_officer/officers.csv", json_expect=clean)
    roster = [*OFFICERS, ["00102", "李丽", "城关支行", "3201001", "在职", "中级", ""]]
    c.write("conflicting_officer/officers.csv", csv_text(OFFICER_HEADER, roster))
    c.case("duplicate_officer_conflict", "utf8_plain/clients.csv",
           officers="conflicting_officer/officers.csv", exit=2,
           stderr=[r"staff number 00102 under different names: 2 row\(s\), lines 3, 6$"])

    # ------------------------------------------------------------ line numbers
    body = csv_text(None, book()[:3], newline="\r\n")
    tricky = (codecs.BOM_UTF8.decode() + TITLE + "\r\n" + "\r\n"
              + _join(ZH, ",", False) + "\r\n"
              + body + "\r\n" + "  \r\n"
              + _join(client(4, name='王"小"二'), ",", False) + "\r\n"
              + _join(client(5, name="多行\r\n名字\r\n第三行"), ",", False) + "\r\n"
              + _join(client(6, balance="n/a"), ",", False) + "\r\n"
              + _join(client(7, "00103"), ",", False) + "\r\n"
              + _join(client(8, "1104", since="yesterday"), ",", False) + "\r\n"
              + "合计,,,,,,,,\"96,000.00\",,,,,\r\n")
    c.write("line_numbers/clients.csv", tricky)
    c.case("line_numbers", None, exit=2, stderr=[
        r"balance is not a number \(column 贷款余额\(元\)\): 1 row\(s\), line 13$",
        r"date not understood \(column 管户日期\): 1 row\(s\), line 15$"],
        about="BOM, title, blank lines, CRLF, a quoted name over three lines: line numbers "
              "are still the editor's")
    c.case("line_numbers_skip", "line_numbers/clients.csv", args=["--skip-bad-rows"],
           json_expect={"summary.clients": 6, "inputs.1.skipped_rows": 2,
                        "inputs.1.skipped.0.lines": [13], "inputs.1.skipped.1.lines": [15],
                        "inputs.1.total_lines": [16]})

    rows = [client(i + 1, balance="12000.00") for i in range(8)]
    text = csv_text(ZH, rows[:3]) + _join(client(4)[:1], ",", False) + ',"客户004,3203\n' \
        + csv_text(None, rows[4:])
    c.write("unclosed_quote/clients.csv", text)
    c.case("unclosed_quote", None, exit=2,
           stderr=[r"a quote \(\"\) that does not close, or a cell over several lines holding "
                   r"commas: these lines were read as one cell: 5 row\(s\), lines 5, 6, 7, 8, 9$"],
           about="a quote that never closes would swallow the rest of the file")

    rows = book()
    rows[2][1] = '张"三'
    rows[4][1] = 'abc"'
    c.write("stray_quote/clients.csv", csv_text(ZH, rows).replace('"张""三"', '张"三')
            .replace('"abc"""', 'abc"'))
    c.case("stray_quote", None, json_expect=clean,
           about="a quote inside an unquoted name: read as a character (polars refuses; "
                 "Python's csv reads it)")

    rows = book()
    text = csv_text(ZH, rows[:4]) + _join(ZH, ",", False) + "\n" + csv_text(None, rows[4:])
    c.write("repeated_header/clients.csv", text)
    c.case("repeated_header", None,
           json_expect={**clean, "inputs.1.notes.0.lines": [6]},
           about="two exports pasted together: the second header is left out and noted")

    # ------------------------------------------------------------ skip bad rows
    rows = book(12)
    rows[1] = [*rows[1], "x"]
    rows[3][0] = ""
    rows[5][8] = "abc"
    rows[7][12] = "2024-13-01"
    dup = rows[9][:]
    dup[4] = "00101" if dup[4] != "00101" else "00102"
    rows.append(dup)
    c.write("skip_bad_rows/clients.csv", csv_text(ZH, rows, title=TITLE))
    c.case("skip_bad_rows_refused", "skip_bad_rows/clients.csv", exit=2, stderr=[
        r"skip_bad_rows/clients\.csv: 6 row\(s\) with problems; nothing was counted",
        r"more fields than the 14 headers: 1 row\(s\), line 4$",
        r"blank client number \(column 客户号\): 1 row\(s\), line 6$",
        r"balance is not a number \(column 贷款余额\(元\)\): 1 row\(s\), line 8$",
        r"date not understood \(column 管户日期\): 1 row\(s\), line 10$",
        r"client 0012000010 under different officers: 2 row\(s\), lines 12, 15$"])
    c.case("skip_bad_rows", "skip_bad_rows/clients.csv", args=["--skip-bad-rows"],
           json_expect={"summary.clients": 7, "inputs.1.rows_used": 7,
                        "inputs.1.skipped_rows": 6,
                        "inputs.1.skipped.0.lines": [4], "inputs.1.skipped.1.lines": [6],
                        "inputs.1.skipped.4.lines": [12, 15]})

    # ------------------------------------------------------------ whole-file problems
    c.write("png_renamed/clients.csv", png_bytes())
    c.case("png_renamed", None, exit=2,
           stderr=[r"png_renamed/clients\.csv: is a PNG image, not text"])
    c.write("zip_renamed/clients.csv", (CORPUS / "xlsx_wps" / "clients.xlsx").read_bytes())
    c.case("zip_renamed", None, exit=2,
           stderr=[r"zip_renamed/clients\.csv: is a zip archive \(an \.xlsx workbook\?\)"])
    noise = bytes((i * 97 + 13) % 256 for i in range(3000))
    c.write("random_bytes/clients.csv", noise)
    c.case("random_bytes", None, exit=2,
           stderr=[r"random_bytes/clients\.csv: is not text in a supported encoding"])
    c.write("empty/clients.csv", b"")
    c.case("empty_file", "empty/clients.csv", exit=2, stderr=[r"empty/clients\.csv: is empty$"])
    c.write("blank_only/clients.csv", "\r\n   \r\n\t\r\n")
    c.case("blank_lines_only", "blank_only/clients.csv", exit=2,
           stderr=[r"blank_only/clients\.csv: is empty \(only blank lines\)$"])
    c.write("a_directory.csv/.gitkeep", "")
    c.case("directory", "a_directory.csv", exit=2,
           stderr=[r"a_directory\.csv: holds no parts: a folder is read as one table from its "
                   r"\.csv parts or its \.parquet parts"])
    c.case("no_such_file", "no_such_dir/clients.csv", exit=2,
           stderr=[r"no_such_dir/clients\.csv: no such file$"])
    c.write("prose/clients.csv", "这不是一张表。\n只是一段说明文字，没有表头。\nThe end.\n")
    c.case("not_a_table", "prose/clients.csv", exit=2,
           stderr=[r"prose/clients\.csv: is not a clients table: no header in the first 30 "
                   r"lines names client_id and officer_id"])
    c.write("header_only/officers.csv", csv_text(OFFICER_HEADER, []))
    c.case("empty_roster", "utf8_plain/clients.csv", officers="header_only/officers.csv",
           exit=2, stderr=[r"header_only/officers\.csv: has a header \(line 1\) but no "
                           r"officers$"])
    c.write("header_only/clients.csv", csv_text(ZH, [], title=TITLE))
    c.case("empty_book", "header_only/clients.csv",
           json_expect={"summary.clients": 0, "inputs.1.rows_used": 0},
           about="a book with no clients is not an error: every officer carries 0")


def main() -> None:
    if CORPUS.exists():
        shutil.rmtree(CORPUS)
    CORPUS.mkdir(parents=True)
    corpus = Corpus(CORPUS)
    build(corpus)
    names = [case["name"] for case in corpus.cases]
    assert len(names) == len(set(names)), "case names repeat"
    doc = {"as_of": "2026-11-20", "secrets": SECRETS, "cases": corpus.cases}
    (CORPUS / "expected.json").write_text(
        json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{len(corpus.cases)} cases in {CORPUS}")


if __name__ == "__main__":
    main()
