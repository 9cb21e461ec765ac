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


def test_a_received_home_without_a_version_says_so_and_builds_no_demo(tmp_path, monkeypatch):
    from pipelines.home import Home

    home = Home(tmp_path / "home")
    home.mark_received()  # a real batch arrived, was rejected or crashed: nothing is published
    monkeypatch.setenv("SHIJI_HOME", str(home.root))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception
    assert any("还没有可用的版本" in e.value for e in at.error)
    assert home.current() is None and not (home.root / "demo").exists()


def test_a_version_built_by_older_code_asks_for_a_rebuild(published_home, monkeypatch):
    from pipelines import db

    path = published_home.current_path()
    db.close_all()
    con = db.connect_writer(path)
    con.execute("UPDATE meta.info SET value = '2' WHERE key = 'schema_version'")
    con.close()
    monkeypatch.setenv("SHIJI_HOME", str(published_home.root))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception and any("pipelines rebuild" in e.value for e in at.error)
