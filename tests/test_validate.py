"""Bad input is refused whole, with the right rule/row/column, and nothing committed changes.

Every case of ``tests.bad_inputs.CASES`` is ingested through the real CLI entry point on top of
a home that already holds the valid batch; the pointer, the current version's bytes and the
warehouse/archive listings must be identical afterwards.
"""
from __future__ import annotations

import csv
import os
import subprocess
import sys

import pytest

from pipelines import cli
from pipelines.report import REPORT_HEADER
from tests.bad_inputs import CASES, MULTI_ERROR, Case
from tests.conftest import REPO, snapshot


def read_report(home) -> list[dict]:
    reports = sorted(home.reports.glob("rejected-*.csv"), key=lambda p: p.stat().st_mtime)
    assert reports, "a rejected batch must leave a report CSV"
    with open(reports[-1], encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert tuple(rows[0]) == REPORT_HEADER
    return [dict(zip(("source", "row", "column", "rule", "value", "message"), r)) for r in rows[1:]]


def matches(issue: dict, case: Case) -> bool:
    return (issue["rule"] == case.rule
            and (case.row is None or issue["row"] == str(case.row))
            and (case.column is None or issue["column"] == case.column))


def test_corpus_is_big_enough():
    assert len(CASES) >= 40
    assert len({c.rule for c in CASES}) >= 25


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_batch_is_rejected_and_nothing_changes(case: Case, published_home, tmp_path, capsys):
    folder = tmp_path / "batch"
    folder.mkdir()
    target = case.write(folder)
    before = snapshot(published_home)
    assert before["version"] == "v000001"

    rc = cli.main(["ingest", str(target), "--home", str(published_home.root)])
    out = capsys.readouterr()

    assert rc == 2, f"exit {rc}\nstdout:\n{out.out}\nstderr:\n{out.err}"
    assert snapshot(published_home) == before
    assert "数据校验未通过" in out.err and "当前版本保持不变" in out.err
    assert f"规则:{case.rule}" in out.err, out.err
    issues = read_report(published_home)
    assert any(matches(i, case) for i in issues), (
        f"expected rule={case.rule} row={case.row} column={case.column}; got:\n"
        + "\n".join(f"{i['source']} {i['row']} {i['column']} {i['rule']} {i['value']}" for i in issues))
    for i in issues:  # every issue names where it is
        assert i["source"] and i["rule"] and i["message"]


def test_every_error_is_reported_not_only_the_first(published_home, tmp_path, capsys):
    write, rules, n = MULTI_ERROR
    folder = tmp_path / "batch"
    folder.mkdir()
    before = snapshot(published_home)
    assert cli.main(["ingest", str(write(folder)), "--home", str(published_home.root)]) == 2
    err = capsys.readouterr().err
    issues = read_report(published_home)
    assert len(issues) == n, issues
    assert {i["source"] for i in issues} == {"units.csv", "cadres.csv", "enterprises.csv"}
    for rule in rules:
        assert f"规则:{rule}" in err
    assert f"共 {n} 个问题" in err
    assert snapshot(published_home) == before


def test_rejected_first_batch_publishes_nothing(home, tmp_path, capsys):
    folder = tmp_path / "batch"
    folder.mkdir()
    CASES_BY_ID["unknown_unit"].write(folder)
    assert cli.main(["ingest", str(folder), "--home", str(home.root)]) == 2
    assert home.current() is None
    assert home.versions() == []
    assert not any(home.archive.rglob("*.*"))


CASES_BY_ID = {c.id: c for c in CASES}
SUBPROCESS_CASES = ["gb18030_bad_value_row_number", "zip_bomb_claimed_size", "shares_over_one_for_unit_month",
                    "xlsm_in_folder"]


@pytest.mark.parametrize("case_id", SUBPROCESS_CASES)
def test_real_process_exits_2_with_chinese_report(case_id, published_home, tmp_path):
    case = CASES_BY_ID[case_id]
    folder = tmp_path / "batch"
    folder.mkdir()
    target = case.write(folder)
    before = snapshot(published_home)
    env = {k: v for k, v in os.environ.items() if k != "SHIJI_HOME"}
    proc = subprocess.run([sys.executable, "-m", "pipelines", "ingest", str(target), "--home", str(published_home.root)],
                          cwd=REPO, env=env, capture_output=True, text=True, encoding="utf-8", timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert "数据校验未通过" in proc.stderr
    assert f"规则:{case.rule}" in proc.stderr
    if case.row is not None:
        assert f"第{case.row}行" in proc.stderr
    assert "校验报告:" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert snapshot(published_home) == before


def test_an_open_post_written_9999_12_31_stops_at_the_data_horizon():
    """HR systems write an open post as 9999-12-31; expanding it month by month to the year 9999
    ran out of memory. A span never grows past ``until``."""
    import pandas as pd

    from pipelines.validate import share_months

    posts = pd.DataFrame({"cadre_id": ["C1", "C2"], "unit_id": ["U1", "U1"],
                          "start": pd.to_datetime(["2020-01-01", "2024-07-01"]),
                          "end": pd.to_datetime(["9999-12-31", None]), "share": [0.5, 0.5], "indicators": ["", ""]})
    months = share_months(posts, until=pd.Timestamp("2025-12-31"))
    assert months.groupby("cadre_id").size().to_dict() == {"C1": 72, "C2": 18}


def test_the_rejection_report_is_formula_escaped(published_home, tmp_path):
    """A rejected value like =HYPERLINK(...) must not run when the report CSV is opened."""
    from tests.bad_inputs import edited

    hostile = '=HYPERLINK("http://evil.example","点我")'
    folder = edited("units", 0, "unit_type", hostile, tmp_path / "batch")
    assert cli.main(["ingest", str(folder), "--home", str(published_home.root)]) == 2
    issue = next(i for i in read_report(published_home) if i["rule"] == "枚举值")
    assert issue["value"] == "'" + hostile


# --- 核验记录 (checks) ----------------------------------------------------------------------

CHECK_HEADER = ["核验编码", "线索编号", "任务编码", "单位编码", "指标", "期间", "核验结论", "核实进度", "核实数",
                "说明", "核验日期", "核验人"]


def test_a_valid_checks_table_is_ingested_under_its_chinese_name(published_home, tmp_path):
    from pipelines import db
    from tests.conftest import write_csv

    folder = tmp_path / "batch"
    folder.mkdir()
    write_csv(folder / "核验记录.csv", CHECK_HEADER, [
        ["K1", "", "T01", "", "", "2024-06", "进度不实", "30", "", "现场只完成三成", "2024-07-10", "考察组"],
        ["K2", "F-XYZ", "", "", "", "", "误报", "", "", "", "2024-07-11", ""],
        ["K3", "", "", "U01", "exports", "2023-02", "成效不实", "", "1,234.5", "", "", ""],
    ])
    assert cli.main(["ingest", str(folder), "--home", str(published_home.root)]) == 0
    got = db.query(published_home.current_path(), "SELECT * FROM raw.checks ORDER BY check_id")
    assert got["check_id"].tolist() == ["K1", "K2", "K3"]
    assert got["result"].tolist() == ["进度不实", "误报", "成效不实"]
    assert got.loc[0, "verified_pct"] == 30 and got.loc[2, "verified_value"] == 1234.5


@pytest.mark.parametrize("row, rule, column", [
    (["K1", "", "", "U01", "", "2024-06", "属实", "", "", "", "", ""], "缺少核验对象", "flag_id"),
    (["K1", "F1", "", "", "", "", "核实", "", "", "", "", ""], "枚举值", "result"),
    (["K1", "", "T99", "", "", "", "属实", "", "", "", "", ""], "未知任务", "task_id"),
    (["K1", "", "", "U01", "不存在的指标", "2024-06", "属实", "", "", "", "", ""], "未知指标", "indicator"),
    (["K1", "", "T01", "", "", "", "进度不实", "130", "", "", "", ""], "超出范围", "verified_pct"),
    (["K1", "", "T01", "", "", "", "属实", "", "", "", "2999-01-01", ""], "未来日期", "checked_at"),
])
def test_a_bad_check_row_is_refused_naming_file_row_and_column(row, rule, column, published_home, tmp_path, capsys):
    from tests.conftest import write_csv

    folder = tmp_path / "batch"
    folder.mkdir()
    write_csv(folder / "checks.csv", CHECK_HEADER, [row])
    before = snapshot(published_home)
    assert cli.main(["ingest", str(folder), "--home", str(published_home.root)]) == 2
    assert f"规则:{rule}" in capsys.readouterr().err
    issues = read_report(published_home)
    assert any(i["rule"] == rule and i["column"] == column and i["row"] == "2" and i["source"] == "checks.csv"
               for i in issues), issues
    assert snapshot(published_home) == before


def test_unknown_reference_names_the_table_in_chinese():
    """A dangling code is reported against the referenced table's Chinese name and column, never
    as "units.unit_id"."""
    import pandas as pd

    from pipelines.contract import TABLES
    from pipelines.validate import _references

    state = {name: pd.DataFrame() for name in TABLES}
    state["units"] = pd.DataFrame({"unit_id": ["U1"], "_new": [True], "_source": ["units.csv"], "_row": [2]})
    state["assignments"] = pd.DataFrame({"cadre_id": ["C1"], "unit_id": ["X99"], "_new": [True],
                                         "_source": ["assignments.csv"], "_row": [2]})
    state["cadres"] = pd.DataFrame({"cadre_id": ["C1"], "_new": [True], "_source": ["cadres.csv"], "_row": [2]})
    messages = [i.message for i in _references(state) if i.value == "X99"]
    assert messages and all("单位表" in m and "单位编码" in m and "「X99」" in m for m in messages), messages
    assert not any("units." in m or "unit_id" in m for m in messages), messages
