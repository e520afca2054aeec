"""Review 11: `--low-memory` against the whole read, on hand-made folders of parts.

Each test shows an input where the two readings disagree, or where both are wrong.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from tests.conftest import AS_OF, write_file
from tests.test_low_memory import _run

ROSTER = ("officer_id,name,branch,status,capacity\n"
          "001,Wang,North,active,1\n002,Li,North,active,5\n003,Zhao,North,departed,\n")


def _parquet_folder(tmp_path: Path, parts: list[pl.DataFrame]) -> tuple[Path, Path]:
    roster = write_file(tmp_path / "officers.csv", ROSTER)
    folder = tmp_path / "clients"
    folder.mkdir()
    for i, part in enumerate(parts):
        part.write_parquet(folder / f"b-{i + 1}.parquet")
    return roster, folder


def _plans(runner, tmp_path: Path, roster: Path, folder: Path, *extra: object):
    """The plan file written without and with --low-memory: ((code, bytes), (code, bytes))."""
    out = []
    for name, flags in (("whole.csv", []), ("low.csv", ["--low-memory"])):
        code, _, _ = _run(runner, "plan", roster, folder, "--as-of", AS_OF,
                          "--out", tmp_path / name, *extra, *flags)
        out.append((code, (tmp_path / name).read_text(encoding="utf-8-sig")))
    return out


def test_parquet_part_names_under_another_header_differ_with_low_memory(runner, tmp_path):
    """`plan --show-personal-data` on a folder of Parquet parts, the first naming its clients
    in `client_name`, the second in `客户名称` (a synonym both readings accept): the whole
    read writes C3's name blank, `--low-memory` writes `Zhang`. The plan file differs byte for
    byte, against README's promise.

    Probable cause: the whole read (`load._read_parquet` with every part) picks the header
    once, from the first part's schema (`parquet_parts_schema`), and reads each part by those
    column names, so a part spelling the name column otherwise gets nulls; `--low-memory`
    (`low_memory._slices`) reads each part with `_read_parquet(..., [part])`, choosing the
    header from that part's own schema, so the synonym is found. One of the two must give way
    (most likely: the whole read should map each part's own header, as CSV parts do).
    """
    roster, folder = _parquet_folder(tmp_path, [
        pl.DataFrame({"client_id": ["C1", "C2"], "officer_id": ["001", "001"],
                      "client_name": ["Li", "Wu"]}),
        pl.DataFrame({"client_id": ["C3"], "officer_id": ["003"], "客户名称": ["Zhang"]}),
    ])
    (wc, whole), (lc, low) = _plans(runner, tmp_path, roster, folder, "--show-personal-data")
    assert wc == lc == 0
    assert low == whole


def test_parquet_names_of_a_third_part_kept_by_low_memory_only(runner, tmp_path):
    """The first Parquet part has no client names, the second names them `客户名称`, the
    third `client_name`: the whole read writes C4 (third part) with a blank name, while
    `--low-memory` writes `Ma`. README: "names of later parts kept when the first part lacks
    them" - the whole read keeps only the first spelling met.

    Probable cause: `load.parquet_parts_schema` adds to the schema only the first later
    part's name column (`... and not shown`), so the whole read looks for `客户名称` in every
    part and fills the third part's names with null; `--low-memory` reads each part with its
    own header (`low_memory._slices`). Whole read should take each part's own name column.
    """
    roster, folder = _parquet_folder(tmp_path, [
        pl.DataFrame({"client_id": ["C1", "C2"], "officer_id": ["001", "001"]}),
        pl.DataFrame({"client_id": ["C3"], "officer_id": ["003"], "客户名称": ["Zhang"]}),
        pl.DataFrame({"client_id": ["C4"], "officer_id": ["003"], "client_name": ["Ma"]}),
    ])
    (wc, whole), (lc, low) = _plans(runner, tmp_path, roster, folder, "--show-personal-data")
    assert wc == lc == 0
    assert low == whole
    assert "C4,Ma," in whole


@pytest.mark.parametrize("low", [[], ["--low-memory"]])
def test_a_parquet_part_with_no_names_typed_null_is_refused(runner, tmp_path, low):
    """`plan --show-personal-data` on Parquet parts where one part's `client_name` is all
    null (polars/pandas write it as the Null type): exit 2, "holds column client_name as
    Null, b-1.parquet as String; every part of a folder needs the same columns". Without
    `--show-personal-data` the same folder plans fine, and a part lacking the column
    altogether is accepted (names blank): a name column is only shown (SHOWN_ONLY), so its
    type should not refuse the run either (at least a Null column should read as blanks).

    Probable cause: `load.parquet_parts_schema` checks the types of every used column,
    `client_name` included once asked for; SHOWN_ONLY columns could be exempt (they are read
    as text part by part anyway, `_parquet_table`).
    """
    roster, folder = _parquet_folder(tmp_path, [
        pl.DataFrame({"client_id": ["C1", "C2"], "officer_id": ["001", "001"],
                      "client_name": ["Li", "Wu"]}),
        pl.DataFrame({"client_id": ["C3"], "officer_id": ["003"],
                      "client_name": pl.Series([None], dtype=pl.Null)}),
    ])
    code, _, err = _run(runner, "plan", roster, folder, "--as-of", AS_OF, "--out",
                        tmp_path / "moves.csv", "--show-personal-data", *low)
    assert code == 0, err
