"""Client personal data: masked in plans by default, never in check output, reports or errors."""

from __future__ import annotations

import polars as pl
import pytest

from caseload.cli import app
from caseload.privacy import masked

ZH = ["sample_data/officers.csv", "sample_data/clients.csv"]
EN_CLIENTS = "sample_data/en/clients.csv"


@pytest.fixture(scope="module")
def people() -> pl.DataFrame:
    return pl.read_csv(EN_CLIENTS, infer_schema=False).select("client_id", "client_name",
                                                               "id_number", "phone")


def test_masks():
    frame = pl.DataFrame({"client_name": ["张三", "欧阳修文", "王"],
                          "id_number": ["42102219900101123X", "123", None],
                          "phone": ["13812345678", "110", None]})
    assert masked(frame).rows() == [("张*", "421022********123X", "138****5678"),
                                    ("欧***", "***", "***"),
                                    ("*", None, None)]  # (王* would be the whole name)
    assert masked(frame, show=True).equals(frame)


def test_plan_masks_names_and_leaves_out_ids_and_phones(runner, tmp_path, people):
    out = tmp_path / "moves.csv"
    result = runner.invoke(app, ["plan", *ZH, "--out", str(out), "--as-of", "2026-11-20"])
    assert result.exit_code == 1  # 城关支行 cannot place everything
    plan = pl.read_csv(out, infer_schema=False)
    assert "id_number" not in plan.columns and "phone" not in plan.columns
    assert plan.height > 0
    masked_names = plan["client_name"].to_list()
    full = dict(zip(people["client_id"], people["client_name"], strict=True))
    for cid, shown in zip(plan["client_id"], masked_names, strict=True):
        assert shown[0] == full[cid][0] and set(shown[1:]) == {"*"}
    text = out.read_text(encoding="utf-8-sig")
    for value in people.filter(pl.col("client_id").is_in(plan["client_id"].implode())).select(
            "id_number", "phone").to_series().to_list():
        assert value not in text


def test_show_personal_data_unmasks_names(runner, tmp_path, people):
    out = tmp_path / "moves.csv"
    runner.invoke(app, ["plan", *ZH, "--out", str(out), "--as-of", "2026-11-20",
                        "--show-personal-data"])
    plan = pl.read_csv(out, infer_schema=False).join(people, on="client_id", suffix="_export")
    assert (plan["client_name"] == plan["client_name_export"]).all()


@pytest.mark.parametrize("fmt", ["table", "json", "csv", "markdown"])
def test_check_output_holds_no_personal_data(runner, people, fmt):
    result = runner.invoke(app, ["check", *ZH, "--as-of", "2026-11-20", "--format", fmt])
    sample = people.head(300)
    for column in ("client_name", "id_number", "phone"):
        for value in sample[column].to_list():
            if len(value) >= 3:  # two-character names can collide with officer names
                assert value not in result.stdout


def test_written_files_follow_the_umask(runner, tmp_path):
    import os

    out = tmp_path / "moves.csv"
    old = os.umask(0o022)
    try:
        runner.invoke(app, ["plan", *ZH, "--out", str(out), "--as-of", "2026-11-20"])
    finally:
        os.umask(old)
    assert out.stat().st_mode & 0o777 == 0o644
