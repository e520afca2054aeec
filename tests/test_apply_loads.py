"""`apply` shows the new loads against the limits, so a hand-edited plan that overloads shows."""

from __future__ import annotations

import polars as pl

from caseload.cli import app

ZH = ["sample_data/officers.csv", "sample_data/clients.csv"]


def test_hand_edited_plan_overloading_a_receiver_is_shown(runner, tmp_path):
    plan = tmp_path / "moves.csv"
    assert runner.invoke(app, ["plan", *ZH, "--out", str(plan), "--as-of", "2026-11-20"]
                         ).exit_code == 1
    edited = pl.read_csv(plan, infer_schema=False).with_columns(
        pl.lit("03109").alias("to_officer_id"))  # everything to one officer near the limit
    edited.write_csv(tmp_path / "edited.csv")
    out = tmp_path / "after.csv"
    result = runner.invoke(app, ["apply", ZH[1], str(tmp_path / "edited.csv"), "--out", str(out),
                                 "--officers", ZH[0]])
    assert result.exit_code == 0, result.stderr
    line = next(ln for ln in result.stdout.splitlines() if ln.strip().startswith("03109"))
    assert "285" in line and str(285 + edited.height) in line and "OVER" in line
    assert "300" in line


def test_loads_without_roster_have_no_limits(runner, tmp_path):
    plan = tmp_path / "moves.csv"
    runner.invoke(app, ["plan", *ZH, "--out", str(plan), "--as-of", "2026-11-20"])
    out = tmp_path / "after.csv"
    result = runner.invoke(app, ["apply", ZH[1], str(plan), "--out", str(out)])
    assert result.exit_code == 0, result.stderr
    assert "OVER" not in result.stdout and "Limit" not in result.stdout
