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
    # version and as-of in the caption under the title; row counts (tables in Chinese) in the expander
    assert any("当前版本 v000001" in c.value and "数据截至 2025年12月" in c.value for c in app.caption)
    table = next(t.value for t in app.dataframe if "说明" in getattr(t.value, "columns", []))
    assert table.set_index("数据表").loc["评价", "行数"] == f"{counts['ratings']:,}"


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
