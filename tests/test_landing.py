"""AppTest of the landing page (数据概况) on the hand-built home (tests/landing_world.py), opened
through app.py by each role: what it shows, the links it offers, what it says when parts of
the data are missing, and never nan/None."""
from __future__ import annotations

import re
from urllib.parse import parse_qs

import pytest

from models.config import load_reference
from pipelines import db
from tests.landing_world import landing_home
from tests.worlds import run_page

LITERAL_MISSING = re.compile(r"(?<![A-Za-z_])(nan|None|NaN|NaT|<NA>)(?![A-Za-z_])")


def shown(at) -> str:
    parts = [e.value for kind in ("title", "subheader", "markdown", "caption", "info", "warning", "error")
             for e in getattr(at, kind)]
    parts += [f"{m.label} {m.value}" for m in at.metric] + [p.proto.label for p in at.get("page_link")]
    parts += [e.label for e in at.expander]
    for frame in at.dataframe:
        value = getattr(frame.value, "data", frame.value)
        parts += [str(v) for v in value.astype(object).to_numpy().ravel()]
    return "\n".join(str(p) for p in parts)


def table_of(at, i: int):
    value = at.dataframe[i].value
    return getattr(value, "data", value)


def links(at) -> list[tuple[str, str, dict]]:
    return [(p.proto.page, p.proto.label, parse_qs(p.proto.query_string)) for p in at.get("page_link")]


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    home = landing_home(tmp_path_factory.mktemp("landing"))
    yield home
    db.close_all()


def open_home(home, monkeypatch, who: str):
    monkeypatch.setenv("SHIJI_HOME", str(home.root))
    at = run_page(who, "home")
    assert not at.exception, [e.stack_trace for e in at.exception]
    text = shown(at)
    assert not LITERAL_MISSING.search(text), LITERAL_MISSING.search(text)
    assert " pp" not in text and "(indicators)" not in text
    return at, text


def test_analyst_sees_what_needs_attention_with_links(home, monkeypatch):
    at, text = open_home(home, monkeypatch, "ana")
    metrics = {m.label: m.value for m in at.metric}
    # version 2: K2 and K4 红 in 2025-07; open flags of 2025: F1, F4 and the new F6
    assert metrics["2025年7月 红牌"] == "2 项" and metrics["2025年 待核查预警"] == "3 条"
    assert metrics["2025年二季度 已判定"] == "2 / 4 人" and metrics["贡献不确定"] == "1 人"
    assert metrics["不可判定"] == "1 人"
    names = load_reference("quadrants")["names"]  # the labels in use (shipped: 高贡献区 …)
    counts = {"high_high": 1, "high_low": 0, "low_high": 0, "low_low": 1}
    assert "已判定:" + "、".join(f"{names[k]} {n} 人" for k, n in counts.items()) in text
    assert "红色 3 条、橙色 0 条、黄色 0 条;其中截至月(2025年7月)新出现 1 条。" in text
    assert "新增预警 **1** 条;2 项任务的最新亮牌变了颜色:1 项变差,1 项好转。" in text
    table = {row["指标"]: row for row in table_of(at, 0).to_dict("records")}
    assert table["一般公共预算收入"]["实际"] == "2.15 亿元" and table["一般公共预算收入"]["差距"] == "+5.0 个百分点"
    found = links(at)
    pages = [p for p, _, _ in found]
    assert pages[:4] == ["screen", "quadrants", "anomalies", "briefing"] and "data" not in pages
    assert ("anomalies", "查看红色预警", {"year": ["2025"], "severity": ["红"], "status": ["未标记", "属实"]}) in found
    assert ("cadre", "王芳:2 项", {"cadre": ["C02"]}) in found
    assert ("unit", "东湖镇:1 项", {"unit": ["T02"]}) in found
    assert ("quadrants", "打开实绩象限", {"period": ["2025-Q2"]}) in found
    rows = table_of(at, 1)  # the row-count change: task_progress 3 → 5
    assert rows.to_dict("records") == [{"数据表": "任务进度", "上一版本": "3", "当前版本": "5", "变化": "+2"}]
    assert table_of(at, 2)[["任务", "当前版本"]].to_dict("records") == [{"任务": "老旧小区", "当前版本": "橙(2025年7月)"}]


def test_inspector_sees_only_their_units(home, monkeypatch):
    at, text = open_home(home, monkeypatch, "insp")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["2025年7月 红牌"] == "1 项" and metrics["2025年 待核查预警"] == "1 条"
    assert metrics["2025年二季度 已判定"] == "1 / 1 人"
    assert "查看范围:本人负责的 1 个单位" in text
    assert {p for p, _, _ in links(at)} <= {"anomalies", "briefing", "unit", "cadre"}
    # K4 in T01 is led by 王芳, who sits in T02: the card counts, the person is not named
    assert "王芳" not in text and "东湖镇" not in text
    board = table_of(at, 0)
    assert set(board["口径"]) == {"城关镇"}


def test_admin_sees_counts_and_the_data_page_but_no_names(home, monkeypatch):
    at, text = open_home(home, monkeypatch, "adm")
    assert [p for p, _, _ in links(at)] == ["data"]
    assert not {"王芳", "张伟", "刘洋"} & set(re.findall(r"\w+", text))


def test_missing_parts_are_said_plainly(tmp_path, monkeypatch):
    bare = landing_home(tmp_path / "bare", second=False, parts=set())
    at, text = open_home(bare, monkeypatch, "ana")
    infos = " ".join(i.value for i in at.info)
    for phrase in ("没有任务亮牌", "当前版本没有预警结果", "没有可对照目标的核心指标", "没有实绩象限结果",
                   "第一个版本,没有可比较的上一版本"):
        assert phrase in infos, phrase
    counts = table_of(at, 0).set_index("数据表")
    assert counts.loc["指标数据", "行数"] == "未提供" and "核心指标完成情况" in counts.loc["指标数据", "说明"]
    assert counts.loc["单位", "行数"] == "3"
    db.close_all()
