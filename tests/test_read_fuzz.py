"""Broken input never crashes, and never quietly changes what it did not touch.

- Random bytes, under any file name, end in a result or a `CaseloadError`; through the CLI in
  exit 0, 1 or 2 with no traceback.
- A valid export mutated (rows cut, separators and quotes inserted, bytes cut, lines re-encoded)
  either stops with a `CaseloadError`, or every row the mutation did not touch is still counted,
  once, with its officer. With ``--skip-bad-rows`` an untouched row may be left out only when the
  report lists its line.
- Whatever happens, no name, ID number or phone number of the export is in any message.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from caseload.check import load_inputs
from caseload.cli import app
from caseload.config import ReadOptions
from caseload.errors import CaseloadError

FUZZ = settings(max_examples=70, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

ROSTER = "工号,姓名,所属支行,岗位状态\n00101,王建国,城关支行,在岗\n00102,李秀英,城关支行,在岗\n" \
         "00103,张伟,城关支行,休假\n"
HEADER = "客户号,客户名称,证件号码,手机号,管户客户经理工号,所属支行,贷款余额(元),五级分类,管户日期"
N = 12


def row(i: int) -> list[str]:
    return [f"C{i:05d}", f"赵{'甲乙丙丁戊己庚辛壬癸子丑'[i]}华", f"32031119900101{i:03d}X",
            f"139{i:08d}", f"0010{1 + i % 3}", "城关支行",
            f'"{(i + 1) * 1000:,}.00"' if i % 2 else f"{(i + 1) * 1000}.50", "正常", "2024-03-01"]


SECRETS = [c for i in range(N) for c in row(i)[1:4]]


def export(title: bool = True) -> tuple[bytes, list[tuple[int, int]]]:
    """The clean book, and each row's byte span (start, end including the newline)."""
    text = ("城关农商银行管户客户清单（导出日期：2026-11-20）\r\n" if title else "") + HEADER + "\r\n"
    spans = []
    for i in range(N):
        start = len(text.encode())
        text += ",".join(row(i)) + "\r\n"
        spans.append((start, len(text.encode())))
    text += '合计,,,,,,"78,000.00",,\r\n'
    return text.encode(), spans


def officer_of(i: int) -> str:
    return f"0010{1 + i % 3}"


def run(tmp_path: Path, data: bytes, name: str = "clients.csv", skip: bool = False):
    (tmp_path / "officers.csv").write_text(ROSTER, encoding="utf-8")
    path = tmp_path / name
    path.write_bytes(data)
    return load_inputs(tmp_path / "officers.csv", path, ReadOptions(skip_bad_rows=skip))


def assert_no_secrets(exc: CaseloadError) -> None:
    text = "\n".join([exc.message, *exc.details])
    for secret in SECRETS:
        assert secret not in text, (secret, text)


@FUZZ
@given(data=st.binary(max_size=600),
       name=st.sampled_from(["c.csv", "c.txt", "c.xlsx", "c.parquet", "c"]))
def test_random_bytes_never_crash(tmp_path, data, name):
    try:
        run(tmp_path, data, name)
    except CaseloadError:
        pass


@FUZZ
@given(data=st.binary(min_size=1, max_size=400))
def test_random_bytes_after_a_header_never_crash(tmp_path, data):
    try:
        run(tmp_path, (HEADER + "\n").encode() + data)
    except CaseloadError as exc:
        assert_no_secrets(exc)


MUTATION = st.one_of(
    st.tuples(st.just("cut_row"), st.integers(0, N - 1)),
    st.tuples(st.just("insert"), st.integers(0, 10_000), st.sampled_from(
        [",", '"', '""', "\n", "\r\n", ",,", '","', "\t", " ", "合计", "\x00"])),
    st.tuples(st.just("delete"), st.integers(0, 10_000), st.integers(1, 12)),
    st.tuples(st.just("truncate"), st.integers(0, 10_000)),
    st.tuples(st.just("regbk"), st.integers(0, N - 1)),
    st.tuples(st.just("duplicate"), st.integers(0, N - 1)),
)


def mutate(data: bytes, spans: list[tuple[int, int]], mutations) -> tuple[bytes, set[int]]:
    """Apply mutations (from the end of the file backwards, so spans stay valid)."""
    touched: set[int] = set()
    edits = []  # (start, end, replacement, rows touched)
    for m in mutations:
        kind = m[0]
        if kind == "cut_row":
            s, e = spans[m[1]]
            edits.append((s, e, b"", {m[1]}))
        elif kind == "insert":
            at = m[1] % (len(data) + 1)
            edits.append((at, at, m[2].encode(), _rows_at(spans, at, at)))
        elif kind == "delete":
            at = m[1] % len(data)
            end = min(len(data), at + m[2])
            edits.append((at, end, b"", _rows_at(spans, at, end)))
        elif kind == "truncate":
            at = m[1] % (len(data) + 1)
            edits.append((at, len(data), b"", _rows_at(spans, at, len(data))))
        elif kind == "regbk":
            s, e = spans[m[1]]
            edits.append((s, e, data[s:e].decode().encode("gbk"), {m[1]}))
        elif kind == "duplicate":
            s, e = spans[m[1]]
            edits.append((e, e, data[s:e], {m[1]}))
    # overlapping edits touch the union of their rows; apply from the back
    edits.sort(key=lambda x: (x[0], x[1]), reverse=True)
    out = data
    last_start = len(data) + 1
    for s, e, rep, rows in edits:
        if e > last_start:  # overlaps a later edit: keep it simple, skip
            continue
        out = out[:s] + rep + out[e:]
        touched |= rows
        last_start = s
    return out, touched


def _rows_at(spans: list[tuple[int, int]], start: int, end: int) -> set[int]:
    """Rows whose bytes (or the line break before them) overlap [start, end]."""
    return {i for i, (s, e) in enumerate(spans) if s - 1 <= end and start <= e}


def assert_untouched_rows_kept(inputs, touched: set[int], skip: bool) -> None:
    clients = inputs.clients.frame
    skipped_lines = {n for g in inputs.clients.skipped for n in g.lines}
    by_id = dict(
        clients.group_by("client_id").agg(pl.col("officer_id").first(), pl.len().alias("n"))
        .select("client_id", pl.struct("officer_id", "n")).rows()
    )
    for i in range(N):
        if i in touched:
            continue
        cid = f"C{i:05d}"
        if cid in by_id:
            assert by_id[cid] == {"officer_id": officer_of(i), "n": 1}, cid
        else:
            assert skip, f"{cid} lost without a word"
            assert skipped_lines, f"{cid} lost, and no line reported"


@FUZZ
@given(mutations=st.lists(MUTATION, min_size=1, max_size=3), skip=st.booleans(),
       title=st.booleans())
def test_mutations_touch_only_what_they_touch(tmp_path, mutations, skip, title):
    data, spans = export(title)
    mutated, touched = mutate(data, spans, mutations)
    assume(mutated != data)
    try:
        inputs = run(tmp_path, mutated, skip=skip)
    except CaseloadError as exc:
        assert_no_secrets(exc)
        return
    assert_untouched_rows_kept(inputs, touched, skip)
    for group in [*inputs.clients.skipped, *inputs.clients.notes]:
        for secret in SECRETS:
            assert secret not in group.problem


@FUZZ
@given(encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "gbk", "utf-16"]),
       title=st.booleans(), lf=st.booleans())
def test_the_same_export_in_any_encoding_reads_the_same(tmp_path, encoding, title, lf):
    data, _ = export(title)
    text = data.decode()
    if lf:
        text = text.replace("\r\n", "\n")
    inputs = run(tmp_path, text.encode(encoding))
    clients = inputs.clients.frame.sort("client_id")
    assert clients["client_id"].to_list() == [f"C{i:05d}" for i in range(N)]
    assert clients["officer_id"].to_list() == [officer_of(i) for i in range(N)]
    assert clients["balance"].to_list() == [(i + 1) * 1000 + (0 if i % 2 else 0.5)
                                            for i in range(N)]


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(mutations=st.lists(MUTATION, min_size=1, max_size=3), skip=st.booleans(),
       junk=st.binary(max_size=40))
def test_cli_exit_codes_never_a_traceback(tmp_path, mutations, skip, junk):
    data, spans = export()
    mutated, _ = mutate(data, spans, mutations)
    (tmp_path / "officers.csv").write_text(ROSTER, encoding="utf-8")
    (tmp_path / "clients.csv").write_bytes(mutated + junk)
    args = ["check", str(tmp_path / "officers.csv"), str(tmp_path / "clients.csv"),
            "--as-of", "2026-11-20", "--format", "json"]
    result = CliRunner().invoke(app, args + (["--skip-bad-rows"] if skip else []))
    assert result.exit_code in (0, 1, 2)
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.stdout + result.stderr
    assert "internal error" not in result.stderr
    for secret in SECRETS:
        assert secret not in result.stdout and secret not in result.stderr


_CELL_CHARS = st.sampled_from(list("aAx0123 \t\n\r'=\"\u3000\uff10\uff41\u00a0\u2003客户（）()"
                                   "\x1c\x1f\x85"))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(_CELL_CHARS, max_size=8), min_size=1, max_size=20), st.booleans())
def test_a_cell_tidies_alike_by_value_and_by_expression(values, is_id):
    """Validation tidies a column by polars expressions (`_clean_exprs`: per distinct value
    for few-valued columns, per cell for the others); `apply` matches plan cells with `tidy_id`
    in Python. Both must read every cell the same: spaces, full-width forms, Excel's guards."""
    from caseload.validate import _clean_exprs, _tidy

    steps = {f"{k}:c": True for k in ("wsegx" if is_id else "wse")}
    by_expression = pl.DataFrame({"c": values}).select(
        _clean_exprs(["c"], ("c",) if is_id else (), steps))["c"].to_list()
    assert by_expression == [_tidy(v, is_id) for v in values]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=0x7f), max_size=400))
def test_binary_is_told_by_counting_control_characters_as_before(text):
    """`_looks_binary` counts with one regular expression; it answers as the count per
    character did (control characters but tab, LF, FF, CR and 0x1A)."""
    from caseload.load import _looks_binary

    sample = text[:65536]
    controls = sum(1 for ch in sample if ch < " " and ch not in "\t\r\n\f\x1a")
    assert _looks_binary(text) == (controls > max(2, len(sample) // 200))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.one_of(st.none(), st.text(_CELL_CHARS, max_size=6)), max_size=6),
                min_size=1, max_size=5),
       st.lists(st.booleans(), min_size=5, max_size=5))
def test_few_valued_columns_tidied_together_read_as_each_alone(columns, as_id):
    """`_tidy_distinct` tidies the distinct values of all few-valued columns in one pass per
    kind (IDs, the rest) and cuts the result back per column: each column's values must come
    back in their order, nulls dropped, each tidied as `_tidy` tidies it alone."""
    from caseload.validate import _tidy, _tidy_distinct

    distinct = {f"c{i}": pl.Series(values, dtype=pl.String) for i, values in enumerate(columns)}
    ids = tuple(c for i, c in enumerate(distinct) if as_id[i])
    tidied = _tidy_distinct(distinct, ids)
    for c, values in distinct.items():
        was, now = tidied[c]
        kept = [v for v in values.to_list() if v is not None]
        assert was.to_list() == kept
        assert now.to_list() == [_tidy(v, c in ids) for v in kept]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["a", ",", "\r", "\n", "\r\n", '"', " ", "\ufeff", "中", "\x00"]),
                max_size=40))
def test_small_files_count_lines_as_polars_counts_them(tmp_path_factory, pieces):
    """A small file's lines are counted by Python, a big one's by polars (`_count_rows`);
    reading compares the count with the rows parsed, so both must agree on every file."""
    from caseload.load import _count_lines, _count_rows

    path = tmp_path_factory.mktemp("lines") / "f.csv"
    path.write_bytes("".join(pieces).encode("utf-8"))
    assert _count_lines(path) == _count_rows(path)


def test_a_space_at_either_end_is_told_as_the_pattern_told_it():
    """Validation asks whether a cell has a space at either end by stripping it (cheaper
    than the pattern `^\\s|\\s$` it replaced); both must agree on every kind of space."""
    from caseload.validate import _clean_tests

    chars = [chr(i) for i in range(0x3100)] + ["\u205f", "\ufeff", "\u200b", "\u180e"]
    frame = pl.DataFrame({"c": [f"{c}a" for c in chars] + [f"a{c}" for c in chars] + chars})
    told = frame.select(_clean_tests(["c"], ())["s:c"]).to_series()
    assert told.to_list() == frame.select(pl.col("c").str.contains(r"^\s|\s$")).to_series().to_list()
