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


def test_a_deep_link_as_the_first_request_of_a_fresh_server_opens_its_page_in_scope(demo_world, browser):
    """Before any session has run app.py, Streamlit treats the top-level pages/ folder as a v1
    pages folder and runs /cadre's script alone; the page hands over to app.py (public
    st.navigation, ui.session) and the same URL opens with app.py's data, scope and menu."""
    from pipelines import db
    from pipelines.home import Home
    from tests.browser import screenshot_path, serve, wait_for_app

    _, home, _ = demo_world
    row = db.query(Home(home).current_path(), "SELECT cadre_id, name FROM staging.cadres ORDER BY cadre_id LIMIT 1").iloc[0]
    with serve(home) as url:  # a server of its own: no session has run app.py yet
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        page.goto(f"{url}/cadre?cadre={row['cadre_id']}", wait_until="domcontentloaded")
        page.wait_for_selector("text=任职经历", timeout=90_000)  # the cadre's tabs: the scope admitted the page
        wait_for_app(page)
        assert page.url == f"{url}/cadre?cadre={row['cadre_id']}"
        assert page.locator("[data-testid='stException']").count() == 0
        assert page.locator("[role='dialog']").count() == 0 and page.get_by_text("not found").count() == 0
        assert page.get_by_role("heading", name="干部画像").is_visible()
        assert page.get_by_text(f"{row['name']}({row['cadre_id']})").first.is_visible()
        # app.py ran: its menu (not pages/' file names) and its demo badge are on the page
        nav = page.locator("[data-testid='stSidebarNav']")
        assert nav.get_by_text("实绩象限").count() == 1 and nav.get_by_text("quadrants").count() == 0
        assert page.get_by_text("演示数据", exact=True).is_visible()
        page.screenshot(path=str(screenshot_path("deep_link_fresh_server.png")))
        page.close()
