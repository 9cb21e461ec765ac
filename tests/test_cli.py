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


def _sheet_values(path):
    import openpyxl

    book = openpyxl.load_workbook(path)
    # the generation time is the only thing two runs of the same briefing may differ in
    return {ws.title: [[v for v in row if not (isinstance(v, str) and "生成于" in v)]
                       for row in ws.iter_rows(values_only=True)] for ws in book.worksheets}


def test_brief_takes_units_and_cadres_together_like_the_web_basket(demo_world, tmp_path, capsys):
    import shutil

    from pipelines import db
    from pipelines.briefing import build_briefing, write_briefing

    _, home, _ = demo_world
    version = Home(home).current_path()
    unit = db.query(version, "SELECT unit_id FROM marts.anomalies GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1")["unit_id"][0]
    cadre = db.query(version, """
        SELECT a.cadre_id, c.name FROM staging.assignments AS a JOIN staging.cadres AS c USING (cadre_id)
        WHERE a.in_post AND a.unit_id <> $u AND a.cadre_id IN (SELECT cadre_id FROM staging.ratings)
        ORDER BY 1 LIMIT 1
    """, {"u": unit}).iloc[0]
    unit_name = db.query(version, "SELECT name FROM staging.units WHERE unit_id = $u", {"u": unit})["name"][0]
    args = ["brief", "--unit", unit, "--cadre", cadre["cadre_id"], "--home", str(home), "--out"]
    assert main(args + [str(tmp_path / "cli.xlsx")]) == 0
    web = write_briefing(build_briefing(version, [unit], [cadre["cadre_id"]]), tmp_path / "web.xlsx")
    assert _sheet_values(tmp_path / "cli.xlsx") == _sheet_values(web)

    if shutil.which("pdftotext"):
        assert main(args + [str(tmp_path / "cli.pdf")]) == 0
        text = subprocess.run(["pdftotext", str(tmp_path / "cli.pdf"), "-"], capture_output=True, text=True,
                              check=True).stdout
        assert unit_name in text and cadre["name"] in text
        assert "滞后任务" in text and "评价摘要" in text  # a unit's section and a cadre's

    capsys.readouterr()
    assert main(["brief", "--home", str(home), "--out", str(tmp_path / "none.pdf")]) == 2
    assert "请至少指定一个单位(--unit)或干部(--cadre)" in capsys.readouterr().err
