"""AppTest of the Streamlit app on the county demo."""
import pytest
from streamlit.testing.v1 import AppTest

from tests.demo_world import ROOT


@pytest.fixture()
def app(demo_world, monkeypatch):
    _, home, _ = demo_world
    monkeypatch.setenv("SHIJI_HOME", str(home))
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)


def test_home_page_shows_data_status(app, demo_world):
    _, _, counts = demo_world
    app.run()
    assert not app.exception
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["当前版本"] == "v000001"
    assert metrics["数据截至"] == "2025-12"
    table = app.dataframe[0].value
    assert int(table.loc[table["数据表"].str.contains("ratings"), "行数"].iloc[0]) == counts["ratings"]
