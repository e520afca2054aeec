"""Output where stdout is not UTF-8 (a GBK console, LANG=C under cron): replaced, never a crash."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import AS_OF, SAMPLE

ZH = [str(SAMPLE / "officers.csv"), str(SAMPLE / "clients.csv")]


def run_cli(*args: str, **env: str) -> subprocess.CompletedProcess[bytes]:
    environ = {k: v for k, v in os.environ.items() if k not in ("LANG", "LC_ALL", "COLUMNS")}
    environ.update(env)
    return subprocess.run([sys.executable, "-m", "caseload.cli", *args], capture_output=True,
                          env=environ, check=False)


@pytest.mark.parametrize("encoding", ["gbk", "ascii", "latin-1"])
@pytest.mark.parametrize("fmt", ["table", "json", "csv", "markdown"])
def test_non_utf8_stdout_never_crashes(encoding, fmt):
    done = run_cli("check", *ZH, "--as-of", AS_OF, "--format", fmt, "--lang", "zh",
                   PYTHONIOENCODING=encoding)
    assert done.returncode == 1, done.stderr.decode("utf-8", "replace")
    assert b"Traceback" not in done.stderr
    text = done.stdout.decode(encoding)
    assert "07296" in text
    if fmt == "json":  # escaped to ASCII where needed: still lossless
        doc = json.loads(text)
        assert any(o["name"] == "孙宏" for o in doc["officers"])


def test_gbk_console_keeps_chinese():
    done = run_cli("check", *ZH, "--as-of", AS_OF, PYTHONIOENCODING="gbk")
    assert "城关支行" in done.stdout.decode("gbk")


def test_cron_environment_is_plain_text():
    done = run_cli("check", *ZH, "--as-of", AS_OF, LANG="C")
    assert b"\x1b[" not in done.stdout
    assert max(len(line) for line in done.stdout.decode().splitlines()) <= 100


def test_an_80_column_terminal_shows_branches_and_counts_whole(tmp_path, monkeypatch):
    """The load bar shrinks on a narrow terminal, so names, branches and counts are not cut."""
    from typer.testing import CliRunner

    from caseload.cli import app

    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("NO_COLOR", "1")
    result = CliRunner().invoke(app, ["check", *ZH, "--as-of", AS_OF])
    assert result.exit_code == 1
    table = result.stdout[result.stdout.index("Officers over"):result.stdout.index("Suggested transfers")]
    assert "城关支行" in table and "Accounts" in table and "…" not in table


def test_quiet_markdown_leaves_out_the_transfers_as_the_table_does(runner):
    from caseload.cli import app

    full = runner.invoke(app, ["check", *ZH, "--as-of", AS_OF, "--format", "markdown"])
    quiet = runner.invoke(app, ["check", *ZH, "--as-of", AS_OF, "--format",
                                            "markdown", "-q"])
    assert full.exit_code == quiet.exit_code == 1
    assert "## Suggested transfers" in full.stdout
    assert "## Suggested transfers" not in quiet.stdout
    assert "## Officers over and near the limit" in quiet.stdout


@pytest.mark.skipif(not os.path.exists("/dev/null"), reason="needs /dev/null")
def test_a_plan_written_to_dev_null_leaves_the_device_in_place(runner):
    import stat

    from caseload.cli import app

    for extra in ([], ["--force"]):
        result = runner.invoke(app, ["plan", str(SAMPLE / "officers.csv"),
                                     str(SAMPLE / "clients.csv"), "--as-of", AS_OF,
                                     "--out", "/dev/null", *extra])
        assert result.exit_code in (0, 1), result.stderr
        assert stat.S_ISCHR(os.stat("/dev/null").st_mode)  # (not replaced by a plan file)


@pytest.mark.parametrize("ascii_only", [False, True])
def test_json_from_frames_is_one_row_per_line_and_reads_back_exactly(ascii_only):
    """Officers and transfers are written by polars' JSON writer: any cell must survive."""
    import polars as pl

    from caseload.render.json_out import dumps

    cells = ['甲"乙', "a\\b", "two\nlines", "tab\there", "\u2028", "😀", None, "=1+1"]
    frame = pl.DataFrame({"name": cells, "n": list(range(len(cells))),
                          "over": [True, False] * (len(cells) // 2)})
    text = dumps({"officers": frame, "empty": frame.clear(), "listed": [{"a": 1}]}, ascii_only)
    assert json.loads(text) == {"officers": frame.to_dicts(), "empty": [], "listed": [{"a": 1}]}
    if ascii_only:
        assert text.isascii()
    rows = [line for line in text.split("\n") if line.startswith("    {")]
    assert len(rows) == len(cells) + 1  # one line per row, and the plain list's item


def test_a_chinese_plan_names_risk_classes_in_chinese_and_apply_still_reads_it(runner, tmp_path):
    """Under --lang zh the reasons are Chinese; the risk classes beside them read 正常…损失,
    not the canonical English words, and apply is indifferent to them."""
    import csv as csv_module

    from caseload.cli import app

    plans = {}
    for lang in ("en", "zh"):
        out = tmp_path / f"moves-{lang}.csv"
        done = runner.invoke(app, ["plan", *ZH, "--as-of", AS_OF, "--lang", lang,
                                   "--out", str(out)])
        assert done.exit_code in (0, 1), done.output
        with out.open(encoding="utf-8-sig", newline="") as fh:
            plans[lang] = list(csv_module.DictReader(fh))
    assert {r["risk_class"] for r in plans["en"]} <= {
        "normal", "special_mention", "substandard", "doubtful", "loss"}
    zh = {r["risk_class"] for r in plans["zh"]}
    assert zh and zh <= {"正常", "关注", "次级", "可疑", "损失"}
    assert [r["client_id"] for r in plans["zh"]] == [r["client_id"] for r in plans["en"]]
    done = runner.invoke(app, ["apply", ZH[1], str(tmp_path / "moves-zh.csv"),
                               "--out", str(tmp_path / "after.csv")])
    assert done.exit_code == 0, done.output


def test_the_engine_polars_runs_on_changes_no_output(runner, tmp_path, monkeypatch):
    """Small exports are read on polars' in-memory engine, big ones on polars' own choice
    (`caseload.engines`); the same files must give the same JSON and plan either way."""
    from caseload import engines
    from caseload.cli import app

    def outputs(name: str) -> tuple[str, bytes]:
        plan = tmp_path / f"{name}.csv"
        check = runner.invoke(app, ["check", *ZH, "--as-of", AS_OF, "-f", "json"])
        made = runner.invoke(app, ["plan", *ZH, "--as-of", AS_OF, "--out", str(plan)])
        assert check.exit_code == made.exit_code == 1, check.stderr + made.stderr
        return check.stdout, plan.read_bytes()

    small = outputs("small")
    monkeypatch.setattr(engines, "SMALL_INPUTS", 0)  # as if big: polars chooses
    assert outputs("big") == small
