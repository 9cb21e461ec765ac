"""Identity, roles and scope: each role sees exactly its pages, real data needs an access file,
an inspector cannot open a cadre outside its units."""
import shutil

import bcrypt
import pytest
import yaml
from streamlit.testing.v1 import AppTest

from pipelines import db
from pipelines.home import Home
from tests.demo_world import ROOT
from ui.auth import (DEMO_SCOPE, ROLE_PAGES, AccessError, check_password, load_access, scope_for,
                     visible_pages)

ALL_PAGES = ["home", "screen", "quadrants", "cadre", "unit", "anomalies", "briefing", "data", "methods"]
USERS = {
    "ana": {"role": "analyst"},
    "insp": {"role": "inspector", "units": ["T01"]},
    "adm": {"role": "admin", "password_hash": bcrypt.hashpw(b"s3cret", bcrypt.gensalt(4)).decode()},
    "wall": {"role": "screen"},
}


def _write_access(home: Home, mode="local") -> dict:
    config = {"identity": mode, "users": USERS}
    (home.root / "access.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return load_access(home)


def test_roles_see_exactly_their_pages():
    assert visible_pages(scope_for({"users": USERS}, "wall"), ALL_PAGES) == ["screen"]
    assert visible_pages(scope_for({"users": USERS}, "adm"), ALL_PAGES) == ["home", "data", "methods"]
    assert "data" not in visible_pages(scope_for({"users": USERS}, "ana"), ALL_PAGES)
    assert visible_pages(scope_for({"users": USERS}, "insp"), ALL_PAGES) == [
        "home", "cadre", "unit", "anomalies", "briefing", "methods"]
    assert visible_pages(DEMO_SCOPE, ALL_PAGES) == ALL_PAGES
    assert set(ROLE_PAGES) == {"screen", "analyst", "inspector", "admin"}


def test_scope_comes_from_the_roles_table_only(tmp_path):
    config = _write_access(Home(tmp_path))
    assert scope_for(config, "insp").units == frozenset({"T01"})
    assert scope_for(config, "ana").units is None
    assert scope_for(config, "stranger") is None and scope_for(config, None) is None
    assert check_password(config, "adm", "s3cret") and not check_password(config, "adm", "wrong")
    assert not check_password(config, "ana", "anything")  # no hash: no local login


def test_bad_access_file_is_refused(tmp_path):
    (tmp_path / "access.yaml").write_text("identity: magic\n", encoding="utf-8")
    with pytest.raises(AccessError):
        load_access(Home(tmp_path))


@pytest.fixture()
def demo_copy(demo_world, tmp_path, monkeypatch):
    dest = tmp_path / "home"
    shutil.copytree(demo_world[1], dest)
    monkeypatch.setenv("SHIJI_HOME", str(dest))
    yield Home(dest)
    db.close_all()


def _app(identity=None):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    if identity:
        at.session_state["_local_identity"] = identity
    return at


def test_real_data_without_access_file_shows_nothing(published_home, monkeypatch):
    monkeypatch.setenv("SHIJI_HOME", str(published_home.root))
    at = _app()
    at.run()
    assert any("尚未配置身份认证" in e.value for e in at.error)
    assert not at.dataframe and not at.metric


def test_demo_says_demo_data(demo_world, monkeypatch):
    monkeypatch.setenv("SHIJI_HOME", str(demo_world[1]))
    at = _app()
    at.run()
    assert not at.exception
    assert any("演示数据" in str(h.proto) for h in at.get("html"))


def test_local_login_required_then_scoped(demo_copy):
    _write_access(demo_copy)
    at = _app()
    at.run()
    assert at.text_input and not at.metric  # the login form, no data
    at = _app("insp")
    at.run()
    assert not at.exception and at.metric  # the inspector's first page (数据概况)


def test_inspector_deep_link_to_cadre_outside_units_is_refused(demo_copy):
    _write_access(demo_copy)
    outside = db.query(demo_copy.current_path(), """
        SELECT cadre_id FROM staging.assignments WHERE in_post AND unit_id <> 'T01' LIMIT 1""")["cadre_id"][0]
    at = _app("insp")
    at.query_params["cadre"] = outside
    at.run()
    at.switch_page("pages/cadre.py").run()
    assert not at.exception
    assert any("不在您的查看范围内" in w.value for w in at.warning)
    assert not any(outside in h.value for h in at.header)


def test_page_opened_without_app_checks_the_role(demo_copy):
    """A deep link on a fresh server runs the page script alone: it resolves the scope itself."""
    _write_access(demo_copy)
    at = AppTest.from_file(str(ROOT / "pages" / "data.py"), default_timeout=60)
    at.session_state["_local_identity"] = "insp"
    at.run()
    assert any("无权访问" in e.value for e in at.error)
    assert not at.dataframe


def test_each_cadre_view_is_audited_once(demo_copy):
    from pipelines.audit import log_path, verify

    cadre = db.query(demo_copy.current_path(), "SELECT cadre_id FROM staging.assignments WHERE in_post LIMIT 1")["cadre_id"][0]
    def views() -> int:  # the copied home may hold views logged by other tests
        if not log_path(demo_copy).exists():
            return 0
        lines = log_path(demo_copy).read_text(encoding="utf-8").splitlines()
        return len([line for line in lines if '"view_cadre"' in line and cadre in line])

    before = views()
    at = _app()
    at.query_params["cadre"] = cadre
    at.run()
    at.switch_page("pages/cadre.py").run()
    at.run()  # a rerun of the same view is not a new view
    assert not at.exception
    assert views() - before == 1
    assert verify(demo_copy)[0]
