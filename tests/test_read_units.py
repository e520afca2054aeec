"""Reading, piece by piece: encodings and streaming, header names, values, duplicates."""

from __future__ import annotations

import codecs
import tracemalloc
from pathlib import Path

import polars as pl
import pytest

from caseload import load, transcode, validate
from caseload.check import load_inputs
from caseload.columns import (
    CLIENT_HEADER_TIERS,
    OFFICER_HEADER_TIERS,
    RISK_WORDS,
    STATUS_WORDS,
    normalise_header,
    normalise_word,
)
from caseload.config import ReadOptions
from caseload.errors import InputError, RowProblemsError
from caseload.load import LINE, detect_encoding, read_table
from caseload.validate import validate_clients, validate_officers

ROSTER = "工号,姓名,所属支行,岗位状态\n00101,王建国,城关支行,在岗\n00102,李秀英,城关支行,在岗\n"


def write(tmp_path: Path, name: str, data: str | bytes, encoding: str = "utf-8") -> Path:
    p = tmp_path / name
    p.write_bytes(data if isinstance(data, bytes) else data.encode(encoding))
    return p


# ---------------------------------------------------------------- vocabularies and headers


@pytest.mark.parametrize("tiers", [OFFICER_HEADER_TIERS, CLIENT_HEADER_TIERS])
def test_a_header_name_belongs_to_one_column_of_a_table(tiers):
    seen: dict[str, str] = {}
    for canonical, levels in tiers.items():
        for names in levels:
            for name in names:
                key = normalise_header(name)
                assert seen.setdefault(key, canonical) == canonical, name


def test_every_header_of_domain_md_is_known():
    domain = (Path(__file__).resolve().parent.parent.parent / "shared" / "domain.md")
    if not domain.exists():
        pytest.skip("domain.md not beside the repository")
    text = domain.read_text(encoding="utf-8")
    for table, tiers in (("### Officers", OFFICER_HEADER_TIERS),
                         ("### Clients", CLIENT_HEADER_TIERS)):
        section = text.split(table, 1)[1].split("###", 1)[0]
        for line in section.splitlines():
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) != 3 or cells[0] not in tiers:
                continue
            names = cells[2].replace("as for officers, plus ", "").split(", ")
            known = {normalise_header(n) for level in tiers[cells[0]] for n in level}
            if cells[2].startswith("as for officers"):
                known |= {normalise_header(n) for level in OFFICER_HEADER_TIERS[cells[0]]
                          for n in level}
            for name in names:
                name = name.strip("`").split(" ")[0] if name.startswith("`") else name
                if name and not name.startswith("`"):
                    assert normalise_header(name) in known, (cells[0], name)


@pytest.mark.parametrize("word,status", [
    ("在岗", "active"), (" Active ", "active"), ("ON LEAVE", "leave"), ("on_leave", "leave"),
    ("借调", "leave"), ("退休", "departed"), ("在 岗", "active"),
])
def test_status_words(word, status):
    assert {normalise_word(k): v for k, v in STATUS_WORDS.items()}[normalise_word(word)] == status


@pytest.mark.parametrize("word,risk", [
    ("Special Mention", "special_mention"), ("special_mention", "special_mention"),
    ("ＬＯＳＳ", "loss"), ("正常类", "normal"), ("次 级", "substandard"),
])
def test_risk_words(word, risk):
    assert {normalise_word(k): v for k, v in RISK_WORDS.items()}[normalise_word(word)] == risk


# ---------------------------------------------------------------- encodings


def test_ascii_head_then_gb18030_further_down(tmp_path, monkeypatch):
    monkeypatch.setattr(load, "SNIFF_BYTES", 256)
    rows = [f"C{i:05d},00101,{i}.00" for i in range(40)] + ["C99999,00102,城关"]
    p = write(tmp_path, "c.csv", "client_id,officer_id,branch\n" + "\n".join(rows) + "\n",
              "gb18030")
    assert detect_encoding(p) == "utf-8"  # all the first 256 bytes say
    raw = read_table(p, "clients")
    assert raw.encoding == "gb18030"
    assert raw.frame["branch"][-1] == "城关" and raw.frame[LINE][-1] == 42


def test_utf8_with_a_bad_byte_far_down_names_the_line(tmp_path, monkeypatch):
    monkeypatch.setattr(load, "SNIFF_BYTES", 256)
    head = "客户号,管户客户经理工号\n" + "".join(f"C{i:05d},00101\n" for i in range(40))
    p = write(tmp_path, "c.csv", head.encode() + b"C\xff0001,00101\n")
    with pytest.raises(InputError, match=r"line 42: bytes that are not valid UTF-8"):
        read_table(p, "clients")


def test_forcing_the_wrong_encoding_says_how_it_read(tmp_path):
    p = write(tmp_path, "c.csv", "客户号,管户客户经理工号\nC1,00101\n", "utf-8")
    with pytest.raises(InputError, match=r"read as GB18030|not valid GB18030"):
        read_table(p, "clients", ReadOptions(encoding="gbk"))
    p = write(tmp_path, "d.csv", "客户号,管户客户经理工号\nC1,00101\n", "gb18030")
    with pytest.raises(InputError, match=r"line 1: bytes that are not valid UTF-8"):
        read_table(p, "clients", ReadOptions(encoding="utf8"))


def test_bom_is_not_part_of_the_first_header(tmp_path):
    p = write(tmp_path, "c.csv", "客户号,管户客户经理工号\nC1,00101\n", "utf-8-sig")
    raw = read_table(p, "clients", ReadOptions(encoding="utf-8"))
    assert raw.headers["client_id"] == "客户号" and raw.encoding == "utf-8-sig"


def test_gb18030_is_converted_in_a_stream(tmp_path, monkeypatch):
    """Peak Python memory while converting stays near a few chunks, not the file size."""
    monkeypatch.setattr(transcode, "CHUNK", 1 << 20)
    monkeypatch.setattr(transcode, "PARALLEL_BYTES", 1 << 62)  # (all of it in this process)
    line = "C0000001,城关支行管户客户清单测试数据,00101,一二三四五六七八九十\n"
    data = (line * (24_000_000 // len(line.encode("gb18030")))).encode("gb18030")
    p = write(tmp_path, "big.csv", data)
    tracemalloc.start()
    try:
        out = transcode.to_utf8_file(p, "gb18030")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    try:
        assert out.read_bytes() == data.decode("gb18030").encode("utf-8")
        assert peak < 8 * (1 << 20), peak  # the file is 24 MB
    finally:
        out.unlink()


def test_conversion_handles_characters_cut_by_a_chunk(tmp_path, monkeypatch):
    monkeypatch.setattr(transcode, "CHUNK", 7)
    text = "客户号,管户客户经理工号,所属支行\n" + "".join(
        f"C{i},0010{i % 2 + 1},𠀀城关{i}\n" for i in range(30))
    p = write(tmp_path, "c.csv", text, "gb18030")
    raw = read_table(p, "clients")
    assert raw.frame["branch"].to_list() == [f"𠀀城关{i}" for i in range(30)]


def _big_gb18030(tmp_path, rows: int = 400, bad_line: int | None = None) -> Path:
    lines = ["客户号,管户客户经理工号,所属支行\r\n"] + [
        f"C{i},0010{i % 3},𠀀城关{'丽' * (i % 5)}支行{i}\r\n" for i in range(rows)]
    data = b"".join(line.encode("gb18030") for line in lines)
    if bad_line is not None:  # a lone lead byte: not GB18030
        cut = sum(len(line.encode("gb18030")) for line in lines[:bad_line - 1])
        data = data[:cut] + b"C\x81,1,x\r\n" + data[cut:]
    return write(tmp_path, "big.csv", data)


def _converted(p: Path) -> bytes:
    """The UTF-8 copy `transcode` makes of `p` (and the copy removed)."""
    out = transcode.to_utf8_file(p, "gb18030")
    try:
        return out.read_bytes()
    finally:
        out.unlink()


def test_a_big_gb18030_file_converted_on_two_cores_is_the_same(tmp_path, monkeypatch):
    monkeypatch.setattr(transcode, "PARALLEL_BYTES", 1_000)
    p = _big_gb18030(tmp_path)
    assert _converted(p) == p.read_bytes().decode("gb18030").encode("utf-8")
    raw = read_table(p, "clients")
    assert raw.frame[LINE].to_list() == list(range(2, 402))


@pytest.mark.parametrize("bad_line", [150, 390])  # in the first half, and in the second
def test_bad_bytes_in_either_half_name_their_line(tmp_path, monkeypatch, bad_line):
    monkeypatch.setattr(transcode, "PARALLEL_BYTES", 1_000)
    monkeypatch.setattr(load, "SNIFF_BYTES", 4096)  # (the encoding is told from the head)
    p = _big_gb18030(tmp_path, bad_line=bad_line)
    with pytest.raises(InputError, match=f"line {bad_line}: bytes that are not valid GB18030"):
        read_table(p, "clients")


def test_a_bad_byte_after_a_character_cut_by_a_chunk_names_its_line(tmp_path, monkeypatch):
    """The decoder holds a character's first bytes over a chunk; offsets count them."""
    monkeypatch.setattr(transcode, "PARALLEL_BYTES", 1 << 62)
    monkeypatch.setattr(load, "SNIFF_BYTES", 40)  # (the bad byte is past the head)
    head = "客户号,管户客户经理工号\n".encode("gb18030")
    cut = b"C1," + b"x" * (32 - len(head) - 3 - 2)  # 𠀀 (4 bytes) split 2 | 2 at byte 32
    data = head + cut + "𠀀\n".encode("gb18030") + b"C2,00001\nC3,\x81\nC4,00001\n"
    monkeypatch.setattr(transcode, "CHUNK", 32)
    p = write(tmp_path, "c.csv", data)
    with pytest.raises(InputError, match="line 4: bytes that are not valid GB18030"):
        read_table(p, "clients")


def test_a_file_renamed_over_the_export_while_converting_does_not_blend_in(
        tmp_path, monkeypatch):
    monkeypatch.setattr(transcode, "PARALLEL_BYTES", 1_000)
    p = _big_gb18030(tmp_path)
    expected = p.read_bytes().decode("gb18030").encode("utf-8")
    other = write(tmp_path, "other.csv", p.read_bytes().replace(b"0010", b"0099"))
    split_point = transcode._split_point

    def renamed_meanwhile(src, size):  # (after this process opened the file, before the helper)
        other.replace(p)
        return split_point(src, size)

    monkeypatch.setattr(transcode, "_split_point", renamed_meanwhile)
    assert _converted(p) == expected


def test_without_a_second_interpreter_this_process_converts_both_halves(tmp_path, monkeypatch):
    monkeypatch.setattr(transcode, "PARALLEL_BYTES", 1_000)
    monkeypatch.setattr(transcode.sys, "executable", str(tmp_path / "no-such-python"))
    p = _big_gb18030(tmp_path)
    assert _converted(p) == p.read_bytes().decode("gb18030").encode("utf-8")


def test_cr_only_line_ends_are_named(tmp_path):
    p = write(tmp_path, "c.csv", "客户号,管户客户经理工号\rC1,00101\rC2,00102\r")
    with pytest.raises(InputError, match="CR only"):
        read_table(p, "clients")


def test_utf16_with_bom(tmp_path):
    text = "客户号\t管户客户经理工号\r\nC1\t00101\r\nC2\t00102\r\n"
    p = write(tmp_path, "c.txt", codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    raw = read_table(p, "clients")
    assert raw.frame["officer_id"].to_list() == ["00101", "00102"]
    assert raw.frame[LINE].to_list() == [2, 3]


def test_temporary_files_are_removed(tmp_path, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    p = write(tmp_path, "c.csv", "客户号,管户客户经理工号\nC1,00101\n", "gb18030")
    read_table(p, "clients")
    monkeypatch.setattr(transcode, "PARALLEL_BYTES", 1_000)  # (and the second half's file)
    monkeypatch.setattr(load, "SNIFF_BYTES", 4096)
    read_table(_big_gb18030(tmp_path), "clients")
    with pytest.raises(InputError):
        read_table(_big_gb18030(tmp_path, bad_line=390), "clients")
    bad = write(tmp_path, "d.csv", "客户号,管户客户经理工号\nC1,0\xff01\n".encode("gb18030",
                                                                           errors="ignore")
                + b"\x81\x20\n")
    with pytest.raises(InputError):
        read_table(bad, "clients")
    assert list((tmp_path / "tmp").iterdir()) == []


# ---------------------------------------------------------------- headers and mapping


def test_more_specific_header_wins(tmp_path):
    p = write(tmp_path, "c.csv", "客户号,客户经理,客户经理工号,管户客户经理工号,余额,贷款余额\n"
                                 "C1,张三,00102,00101,1,2\n")
    raw = read_table(p, "clients")
    assert raw.headers == {"client_id": "客户号", "officer_id": "管户客户经理工号",
                           "officer_name": "客户经理", "balance": "贷款余额"}


def test_map_for_a_column_of_both_files_applies_where_it_fits(tmp_path):
    o = write(tmp_path, "o.csv", "员工代码,姓名\n00101,王\n")
    c = write(tmp_path, "c.csv", "客户号,管户客户经理工号\nC1,00101\n")
    inputs = load_inputs(o, c, ReadOptions(column_map={"officer_id": "员工代码"}))
    assert inputs.officers.frame["officer_id"].to_list() == ["00101"]
    assert inputs.clients.frame["officer_id"].to_list() == ["00101"]


def test_ambiguity_in_a_column_not_read_is_no_error(tmp_path):
    o = write(tmp_path, "o.csv", ROSTER)
    c = write(tmp_path, "c.csv", "客户号,客户名称,客户姓名,管户客户经理工号\nC1,甲,乙,00101\n")
    assert load_inputs(o, c).clients.frame["client_id"].to_list() == ["C1"]
    with pytest.raises(InputError, match="all fit column 'client_name'"):
        read_table(c, "clients")  # every column wanted


def test_header_names_are_matched_across_width_and_spaces(tmp_path):
    p = write(tmp_path, "c.csv", "客户号 ,管户客户经理工号,贷款余额（元）\nC1,00101,5\n")
    raw = read_table(p, "clients")
    assert raw.headers["balance"] == "贷款余额（元）"


def test_no_header_never_echoes_cells(tmp_path):
    p = write(tmp_path, "c.csv", "C1,钱多多,32031119850505123X,13912345678,00101\n")
    with pytest.raises(InputError) as info:
        read_table(p, "clients")
    assert "钱多多" not in info.value.message and "13912345678" not in info.value.message


# ---------------------------------------------------------------- values


def book(tmp_path: Path, header: str, rows: list[str]) -> Path:
    return write(tmp_path, "c.csv", header + "\n" + "\n".join(rows) + "\n")


def test_values_are_typed(tmp_path):
    p = book(tmp_path, "客户号,管户客户经理工号,贷款余额,五级分类,管户日期,锁定", [
        " 0012 ,００１０１,\"¥1,234.50\",关注类,2024年3月1日,是",
        "'0013,00102,5000元,Special Mention,20240301,",
        "=\"0014\",00102,,,2024/3/1 08:00,否",
        "32031119850505123x,00101,0,LOSS,2024.03.01,TRUE",
    ])
    v = validate_clients(read_table(p, "clients"))
    f = v.frame
    assert f["client_id"].to_list() == ["0012", "0013", "0014", "32031119850505123X"]
    assert f["officer_id"].to_list() == ["00101", "00102", "00102", "00101"]
    assert f["balance"].to_list() == [1234.5, 5000.0, None, 0.0]
    assert f["risk_class"].to_list() == ["special_mention", "special_mention", None, "loss"]
    assert f["assigned_since"].cast(pl.String).to_list() == ["2024-03-01"] * 4
    assert f["pinned"].to_list() == [True, False, False, True]


def test_balances_grouped_by_commas_are_read_without_the_lenient_reader(tmp_path, monkeypatch):
    """Thousands commas are how Chinese exports write balances (贷款余额 "69,539.31"): the
    first, quick reading takes them. Sending such a column through `_money_lenient` (NFKC,
    regular expressions) made a 1M-client GB18030 check 2.7x the UTF-8 one, twice."""
    import caseload.validate as validate

    def lenient(_text):
        raise AssertionError("a plain comma-grouped balance went to the lenient reader")

    monkeypatch.setattr(validate, "_money_lenient", lenient)
    p = book(tmp_path, "客户号,管户客户经理工号,贷款余额", [
        'C1,00101,"1,234.50"', 'C2,00101,"12,000"', 'C3,00101,"1,234,567.89"', "C4,00101,-7.5",
    ])
    f = validate_clients(read_table(p, "clients")).frame
    assert f["balance"].to_list() == [1234.5, 12000.0, 1234567.89, -7.5]


@pytest.mark.parametrize("balance", ["12.000,00", "1,23,4", "1e5", "nan", "inf", "--5", "五千"])
def test_doubtful_money_is_a_problem(tmp_path, balance):
    p = book(tmp_path, "客户号,管户客户经理工号,贷款余额", [f'C1,00101,"{balance}"'])
    with pytest.raises(RowProblemsError) as info:
        validate_clients(read_table(p, "clients"))
    assert info.value.details[0].endswith("balance is not a number (column 贷款余额): 1 row(s), "
                                          "line 2")


@pytest.mark.parametrize("date", ["2024-02-30", "2024/13/1", "240301", "3/1/2024", "昨天",
                                  "1899-12-31", "3000-01-01", "0025-12-01", "25-12-01"])
def test_doubtful_dates_are_a_problem(tmp_path, date):
    p = book(tmp_path, "客户号,管户客户经理工号,管户日期", [f"C1,00101,{date}"])
    with pytest.raises(RowProblemsError) as info:
        validate_clients(read_table(p, "clients"))
    assert "date not understood (column 管户日期): 1 row(s), line 2" in info.value.details[0]


def test_dates_at_the_ends_of_the_years_read_are_read(tmp_path):
    p = book(tmp_path, "客户号,管户客户经理工号,管户日期",
             ["C1,00101,1900-01-01", "C2,00101,2999-12-31", "C3,00101,2024-03-01"])
    f = validate_clients(read_table(p, "clients")).frame
    assert f["assigned_since"].cast(pl.String).to_list() == ["1900-01-01", "2999-12-31",
                                                             "2024-03-01"]


def test_officer_capacity_and_status(tmp_path):
    p = write(tmp_path, "o.csv", "工号,岗位状态,管户上限\n1,在岗,300\n2,,\n3,出差,abc\n")
    with pytest.raises(RowProblemsError) as info:
        validate_officers(read_table(p, "officers"))
    details = "\n".join(info.value.details)
    assert "status word not in the vocabulary (column 岗位状态): 1 row(s), line 4" in details
    v = validate_officers(read_table(p, "officers"), skip_bad_rows=True)
    assert v.frame.select("officer_id", "status", "capacity").rows() == [
        ("1", "active", 300), ("2", "active", None)]
    assert v.skipped_rows == 1


# ---------------------------------------------------------------- duplicates and counting


def test_each_bad_row_counts_once(tmp_path):
    p = book(tmp_path, "客户号,管户客户经理工号,贷款余额,管户日期",
             ["C1,00101,abc,bad", ",00101,abc,bad", "C3,00102,1,2024-01-01"])
    v = validate_clients(read_table(p, "clients"), skip_bad_rows=True)
    assert v.skipped_rows == 2
    assert sorted(n for g in v.skipped for n in g.lines) == [2, 3]
    assert v.frame["client_id"].to_list() == ["C3"]


def test_a_swallowing_quote_counts_each_line_once(tmp_path):
    p = book(tmp_path, "客户号,管户客户经理工号,贷款余额", [
        "C1,00101,1", "C2,00101", "C3,00102,3", 'C4,"00102,4', "C5,00101,5", "C6", "C7,00101,7"])
    v = validate_clients(read_table(p, "clients"), skip_bad_rows=True)
    assert [(g.problem.split(" ")[0], g.lines) for g in v.skipped] == [  # (by first line)
        ("fewer", [3]), ("a", [5, 6, 7, 8])]
    assert v.skipped_rows == 5
    assert v.frame["client_id"].to_list() == ["C1", "C3"]


def test_many_conflicting_clients_are_named_a_few_at_a_time(tmp_path):
    rows = [f"C{i},00101" for i in range(8)] + [f"C{i},00102" for i in range(8)]
    p = book(tmp_path, "客户号,管户客户经理工号", rows)
    with pytest.raises(RowProblemsError) as info:
        validate_clients(read_table(p, "clients"))
    details = info.value.details
    assert details[0].endswith("client C0 under different officers: 2 row(s), lines 2, 10")
    assert "3 more clients each under different officers: 6 row(s)" in details[-1]


def test_untouched_by_skipping(tmp_path):
    o = write(tmp_path, "o.csv", ROSTER)
    c = book(tmp_path, "客户号,管户客户经理工号,贷款余额",
             ["C1,00101,1", "C2,00101,x", "C3,00102,3", "C3,00102,3"])
    inputs = load_inputs(o, c, ReadOptions(skip_bad_rows=True))
    assert inputs.clients.frame["client_id"].to_list() == ["C1", "C3"]
    assert [g.lines for g in inputs.clients.skipped] == [[3]]
    assert [g.lines for g in inputs.clients.notes] == [[5]]


# ---------------------------------------------------------------- workbooks and parquet


def test_xlsx_number_ids_and_blank_rows(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["客户号", "管户客户经理工号", "贷款余额"])
    ws.append([1200000005, 101, 1234.5])
    ws.append([None, None, None])
    ws.append(["C2", "00102", "1,000.00"])
    ws.append(["总计", None, 2234.5])
    p = tmp_path / "c.xlsx"
    wb.save(p)
    raw = read_table(p, "clients")
    assert raw.frame.select("client_id", "officer_id", LINE).rows() == [
        ("1200000005", "101", 2), ("C2", "00102", 4)]
    assert raw.total_lines == [5] and raw.blank_lines == 1
    v = validate_clients(raw)
    assert v.frame["balance"].to_list() == [1234.5, 1000.0]


def test_parquet_with_numbers_and_nulls(tmp_path):
    p = tmp_path / "c.parquet"
    pl.DataFrame({"client_id": ["C1", "C2", None], "officer_id": [101, None, 102],
                  "balance": [1.5, None, 3.0]}).write_parquet(p)
    raw = read_table(p, "clients")
    assert raw.unit == "row"
    with pytest.raises(RowProblemsError) as info:
        validate_clients(raw)
    assert info.value.details[0].endswith("blank client number (column client_id): 1 row(s), "
                                          "row 3")
    v = validate_clients(raw, skip_bad_rows=True)
    assert v.frame.select("client_id", "officer_id", "balance").rows() == [
        ("C1", "101", 1.5), ("C2", None, None)]


# ---------------------------------------------------------------- reading only the needed cells

BOOK = ("客户号,客户名称,证件号码,手机,管户经理工号,所属支行,贷款余额,五级分类,备注\n"
        "C1,张三,420000199001011234,13800000000,00101,城关支行,100.5,正常,x\n"
        "C2,李四,420000199001011235,13800000001,00102,城关支行,200,关注,\n")
WANTED = ("client_id", "officer_id", "branch", "balance", "risk_class")


def _spy_full_reads(monkeypatch) -> list[bool]:
    """Record, for each polars parse, whether it kept every cell."""
    calls: list[bool] = []
    parse = load._parse_polars

    def spy(*args, **kwargs):
        calls.append(len(args) < 6 and kwargs.get("needed") is None)
        return parse(*args, **kwargs)

    monkeypatch.setattr(load, "_parse_polars", spy)
    return calls


def test_a_clean_export_is_read_once_keeping_only_the_needed_cells(tmp_path, monkeypatch):
    p = write(tmp_path, "c.csv", BOOK)
    full = read_table(p, "clients").frame.select(LINE, *WANTED)
    calls = _spy_full_reads(monkeypatch)
    some = read_table(p, "clients", wanted=WANTED)
    assert calls == [False]  # one parse, of the needed cells only
    assert some.frame.select(LINE, *WANTED).equals(full)
    assert "client_name" not in some.frame.columns


@pytest.mark.parametrize("body, problem", [
    ("C3,王五,1,1,00101,城关支行,1,正常,x,extra\n", "more fields"),
    (",,,,,,,,\nC3,王五,1,1,00101,城关支行,1,正常,x\n", None),  # a blank line
    ('C3,"王\n五",1,1,00101,城关支行,1,正常,x\n', None),  # a name over two lines
])
def test_anything_unusual_is_read_again_with_every_cell(tmp_path, monkeypatch, body, problem):
    p = write(tmp_path, "c.csv", BOOK + body)
    calls = _spy_full_reads(monkeypatch)
    if problem:
        with pytest.raises(RowProblemsError) as caught:
            validate_clients(read_table(p, "clients", wanted=WANTED))
        assert any(problem in d and "line 4" in d for d in caught.value.details)
    else:
        raw = read_table(p, "clients", wanted=WANTED)
        assert raw.frame["client_id"].to_list() == ["C1", "C2", "C3"]
        assert raw.frame[LINE].to_list() == [2, 3, 4 if "王\n" in body else 5]
    assert calls == [False, True]


# ---------------------------------------------------------------- a folder of Parquet parts


def _parts(folder: Path, *frames: pl.DataFrame) -> Path:
    folder.mkdir()
    for i, frame in enumerate(frames):
        frame.write_parquet(folder / f"part-{i:03}.parquet")
    return folder


def test_a_folder_of_parquet_parts_is_one_table_numbered_across_parts(tmp_path):
    one = pl.DataFrame({"client_id": ["C1", "C2"], "officer_id": ["101", "102"],
                        "client_name": ["张三", "李四"]})
    two = pl.DataFrame({"client_id": ["C3", None], "officer_id": ["101", "103"],
                        "client_name": ["王五", "赵六"]})
    folder = _parts(tmp_path / "book", one, two)
    (folder / "README.txt").write_text("not a part")
    raw = read_table(folder, "clients", wanted=("client_id", "officer_id"))
    assert raw.frame.select(LINE, "client_id", "officer_id").rows() == [
        (1, "C1", "101"), (2, "C2", "102"), (3, "C3", "101"), (4, "", "103")]
    assert "client_name" not in raw.frame.columns
    with pytest.raises(RowProblemsError) as info:
        validate_clients(raw)
    # (named by its part and its row there: row 4 across the parts)
    assert info.value.details[0].endswith("blank client number (column client_id): 1 row(s), "
                                          "part-001.parquet row 2")


def test_rows_of_parquet_parts_are_named_by_part_in_problems(tmp_path):
    one = pl.DataFrame({"client_id": ["C1", "C2", "C3"], "officer_id": ["101", "102", "101"]})
    two = pl.DataFrame({"client_id": ["C2", None], "officer_id": ["103", "101"]})
    raw = read_table(_parts(tmp_path / "book", one, two), "clients")
    with pytest.raises(RowProblemsError) as info:
        validate_clients(raw)
    details = " | ".join(info.value.details)
    assert "client C2 under different officers: 2 row(s), part-000.parquet row 2; " \
        "part-001.parquet row 1" in details
    assert "1 row(s), part-001.parquet row 2" in details
    assert validate.where([2, 3, 4, 5], "row", [("a.parquet", 1), ("b.parquet", 4)]) == \
        "a.parquet rows 2, 3; b.parquet rows 1, 2"
    assert validate.where([7], "line") == "line 7"


def test_parquet_parts_that_do_not_match_are_refused(tmp_path):
    folder = _parts(tmp_path / "book", pl.DataFrame({"client_id": ["C1"], "officer_id": ["1"]}),
                    pl.DataFrame({"client_id": ["C2"], "manager": ["1"]}))
    with pytest.raises(InputError, match="part-001.parquet: has no officer_id column"):
        read_table(folder, "clients")


def test_a_folder_without_parts_says_what_a_folder_must_hold(tmp_path):
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "README.txt").write_text("client_id,officer_id\nC1,1\n")
    with pytest.raises(InputError, match=r"holds no parts: .*\.csv parts or its \.parquet"):
        read_table(tmp_path / "book", "clients")


def test_parquet_parts_are_read_in_name_order_with_numbers_by_value(tmp_path):
    folder = tmp_path / "book"
    folder.mkdir()
    for n in (10, 2, 1):
        pl.DataFrame({"client_id": [f"C{n}"], "officer_id": ["1"]}).write_parquet(
            folder / f"part-{n}.parquet")
    assert read_table(folder, "clients").frame["client_id"].to_list() == ["C1", "C2", "C10"]


# ---------------------------------------------------------------- per value or by expressions

MESSY = ("客户号,管户客户经理工号,所属支行,五级分类,锁定,家庭号,贷款余额\n"
         "C1,００１０１,城关支行 ,正常,是,H1,\"1,234.50\"\n"
         "C2,=\"00102\",城关支行,关注,否,,100\n"
         "C3, 00101,东街支行,次级,,H1 ,¥12\n"
         "c4x,'00103,东街支行,Loss,Y,H2,0\n")


@pytest.mark.parametrize("extra, problem", [
    ("", None),
    ("C5,00101,东街支行,未知,否,,1\n", "risk class not one of"),
    # \x1f is no space to polars' strip: the per-value path must not strip it either
    ("C5,00101\x1f,东街支行,正常,否,,1\n", "staff number with spaces"),
])
def test_tidying_by_expressions_agrees_with_tidying_per_value(tmp_path, monkeypatch, extra,
                                                              problem):
    """Columns with more distinct values than `_MANY_DISTINCT` take the expression path."""
    p = write(tmp_path, "c.csv", MESSY + extra)

    def run():
        try:
            return validate_clients(read_table(p, "clients")).frame
        except RowProblemsError as exc:
            return exc.details

    per_value = run()
    monkeypatch.setattr(validate, "_MANY_DISTINCT", 1)
    by_expressions = run()
    if problem:
        assert per_value == by_expressions and problem in per_value[0]
        return
    assert by_expressions.equals(per_value)
    assert per_value.select("client_id", "officer_id", "branch", "risk_class", "pinned",
                            "group_id", "balance").rows() == [
        ("C1", "00101", "城关支行", "normal", True, "H1", 1234.5),
        ("C2", "00102", "城关支行", "special_mention", False, None, 100.0),
        ("C3", "00101", "东街支行", "substandard", False, "H1", 12.0),
        ("c4X", "00103", "东街支行", "loss", True, "H2", 0.0),  # an ID card's x only
    ]


def test_workbook_dates_in_a_format_the_reader_does_not_know_are_read(tmp_path):
    """Chinese Excel's 2024年3月1日 (built-in format 31) reaches caseload as the serial 45352."""
    import datetime as dt
    import re
    import zipfile

    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["客户号", "管户客户经理工号", "管户日期"])
    ws.append(["C1", "001", dt.date(2024, 3, 1)])
    ws.append(["C2", "001", dt.datetime(2024, 3, 1, 10, 30)])
    plain = tmp_path / "plain.xlsx"
    wb.save(plain)
    with zipfile.ZipFile(plain) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    styles = re.sub(r"<numFmts.*?</numFmts>", "", parts["xl/styles.xml"].decode(), flags=re.S)
    parts["xl/styles.xml"] = re.sub(r'numFmtId="16\d"', 'numFmtId="31"', styles).encode()
    book = tmp_path / "zh-dates.xlsx"
    with zipfile.ZipFile(book, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    assert read_table(book, "clients").frame["assigned_since"].to_list() == ["45352",
                                                                             "45352.4375"]
    assert validate_clients(read_table(book, "clients")).frame["assigned_since"].to_list() == [
        dt.date(2024, 3, 1), dt.date(2024, 3, 1)]
    csv_book = write(tmp_path, "c.csv", "客户号,管户客户经理工号,管户日期\nC1,001,45352\n")
    with pytest.raises(RowProblemsError) as info:  # (a CSV's number is no date)
        validate_clients(read_table(csv_book, "clients"))
    assert "date not understood" in info.value.details[0]
