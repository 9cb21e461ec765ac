"""AppTest of the 异常预警, 考察准备 and 数据管理 pages on the county demo (through app.py)."""
import pytest
from streamlit.testing.v1 import AppTest

from tests.demo_world import ROOT


@pytest.fixture()
def app(demo_world, monkeypatch):
    monkeypatch.setenv("SHIJI_HOME", str(demo_world[1]))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.run()
    return at


def test_anomaly_desk_lists_flags(app):
    app.switch_page("pages/anomalies.py").run()
    assert not app.exception
    metrics = {m.label: m.value for m in app.metric}
    assert int(metrics["预警总数"]) > 0 and int(metrics["红色"]) >= 0
    assert app.dataframe[0].value.columns.tolist()[:3] == ["等级", "规则", "对象"]
    assert next(s for s in app.selectbox if s.label == "年份").value == "2025"  # the as-of year by default
    this_year = int(metrics["预警总数"])
    next(s for s in app.selectbox if s.label == "年份").set_value("全部年份").run()
    assert int({m.label: m.value for m in app.metric}["预警总数"]) >= this_year
    picker = {m.label: m for m in app.multiselect}
    picker["等级"].set_value(["红"]).run()
    assert set(app.dataframe[0].value["等级"]) <= {"红"}


def test_briefing_deep_link_opens_the_unit(app):
    app.query_params["unit"] = "T01"
    app.switch_page("pages/briefing.py").run()
    assert not app.exception
    assert app.subheader[0].value == "考察准备简报\\:玉城街道"  # names are Markdown-escaped (fmt.md)
    assert any(b.label == "下载 PDF" for b in app.get("download_button"))


def test_data_management_lists_versions(app):
    app.switch_page("pages/data.py").run()
    assert not app.exception
    versions = app.dataframe[0].value
    assert versions["版本"].tolist() == ["v000001"] and bool(versions["当前"].iloc[0])
    assert versions["数据"].tolist() == ["演示"]
    assert any("放弃演示数据" in c.label for c in app.checkbox)  # real data needs a fresh start
