"""The command line on the county demo: ingest, status, export, and exit codes."""
import subprocess
import sys

import pandas as pd
import pytest

from pipelines import build
from pipelines.cli import main
from pipelines.export import RESULTS
from pipelines.home import Home
from tests.demo_world import ROOT

CONTRACT_COLUMNS = {
    "task_status": ["task_id", "period", "planned_pct", "actual_pct", "gap_pp", "status", "card"],
    "cadre_scores": ["cadre_id", "year", "performance_score", "rating_score", "bonus", "deduction", "total", "grade"],
    "unit_scores": ["unit_id", "indicator", "period", "value", "target", "completion", "rank", "score"],
    "contributions": ["cadre_id", "indicator", "effect", "effect_fe", "se", "ci_low", "ci_high", "n_obs",
                      "n_units", "component_id", "identified", "band", "flags"],
    "platform_effects": ["unit_id", "indicator", "effect", "se", "n_movers"],
    "quadrants": ["cadre_id", "period", "x", "y", "quadrant"],
    "anomalies": ["flag_id", "level", "unit_id", "cadre_id", "task_id", "indicator", "period_start", "period_end",
                  "rule", "severity", "score", "reason", "check_hint"],
}


def test_demo_batch_row_counts_match_the_generator(demo_world):
    _, home, counts = demo_world
    current = Home(home).current()
    assert current["version"] == "v000001"
    assert build.row_counts(current["path"]) == {"indicators": 0, **counts}


def test_status_reports_version_and_counts(demo_world, capsys):
    _, home, counts = demo_world
    assert main(["status", "--home", str(home)]) == 0
    out = capsys.readouterr().out
    assert "当前版本: v000001" in out and "数据截至: 2025-12" in out
    assert f"ratings(评价): {counts['ratings']}" in out


def test_identical_demo_reingest_is_a_noop(demo_world):
    batch, home, _ = demo_world
    proc = subprocess.run([sys.executable, "-m", "pipelines", "ingest", str(batch), "--home", str(home)],
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0 and "无变化" in proc.stdout
    assert Home(home).versions() == ["v000001"]


@pytest.mark.parametrize("name", sorted(CONTRACT_COLUMNS))
def test_exports_have_contract_columns(demo_world, tmp_path, name):
    _, home, _ = demo_world
    out = tmp_path / f"{name}.csv"
    assert main(["export", name, "--out", str(out), "--home", str(home)]) == 0
    frame = pd.read_csv(out)
    assert list(frame.columns[: len(CONTRACT_COLUMNS[name])]) == CONTRACT_COLUMNS[name]
    assert len(frame) > 0


def test_unknown_export_name_is_refused(demo_world, tmp_path, capsys):
    _, home, _ = demo_world
    assert main(["export", "marts.x; DROP", "--out", str(tmp_path / "x.csv"), "--home", str(home)]) == 2
    assert "未知的结果表" in capsys.readouterr().err
    assert "contributions" in RESULTS
