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
from pipelines import logins
from ui import auth
from ui.auth import (DEMO_SCOPE, ROLE_PAGES, AccessError, check_password, exposure_warning, load_access,
                     peer_trusted, scope_for, visible_pages)

ALL_PAGES = ["home", "screen", "quadrants", "cadre", "unit", "anomalies", "briefing", "data", "methods"]
USERS = {
    "ana": {"role": "analyst"},
    "insp": {"role": "inspector", "units": ["T01"]},
    "adm": {"role": "admin", "password_hash": bcrypt.hashpw(b"s3cret", bcrypt.gensalt(4)).decode()},
    "wall": {"role": "screen"},
}


def _write_access(home: Home, mode="local", **options) -> dict:
    config = {"identity": mode, "users": USERS, **options}
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


# --- header mode: only a trusted reverse proxy may say who the user is (issue 11, item 6) -------

def test_trusted_proxy_decision():
    defaults = {"identity": "header", "users": USERS}
    assert peer_trusted(defaults, "127.0.0.1") and peer_trusted(defaults, "::1")
    assert peer_trusted(defaults, "::ffff:127.0.0.1")  # IPv4 loopback seen on a dual-stack socket
    assert not peer_trusted(defaults, "192.168.1.20")
    assert not peer_trusted(defaults, None) and not peer_trusted(defaults, "") and not peer_trusted(defaults, "junk")
    lan = {**defaults, "trusted_proxies": ["10.0.0.2", "10.1.0.0/24"]}
    assert peer_trusted(lan, "10.0.0.2") and peer_trusted(lan, "10.1.0.77")
    assert not peer_trusted(lan, "127.0.0.1") and not peer_trusted(lan, "10.0.0.3")
    assert not peer_trusted({**defaults, "trusted_proxies": []}, "127.0.0.1")


def test_bad_trusted_proxies_are_refused(tmp_path):
    for proxies in (["nginx.local"], "127.0.0.1"):
        with pytest.raises(AccessError, match="trusted_proxies"):
            _write_access(Home(tmp_path), "header", trusted_proxies=proxies)  # loads it back
    (tmp_path / "access.yaml").write_text("identity: header\ntrusted_proxies: [127.0.0.1, ::1]\n")
    with pytest.raises(AccessError, match="引号"):  # unquoted IPv6 is not valid YAML in a list
        load_access(Home(tmp_path))


def _connect(monkeypatch, peer, user="adm"):
    """The connection Streamlit saw: AppTest cannot set headers or the peer address itself."""
    monkeypatch.setattr(auth, "client_connection", lambda: ({"X-Forwarded-User": user}, peer))


def test_header_from_an_untrusted_address_is_refused(demo_copy, monkeypatch):
    _write_access(demo_copy, "header")
    _connect(monkeypatch, "192.168.1.20")  # a LAN client talking to --server.address 0.0.0.0
    at = _app()
    at.run()
    assert not at.exception
    assert any("受信任" in e.value and "192.168.1.20" in e.value for e in at.error)
    assert not at.metric and not at.dataframe
    assert "_shiji_scope" not in at.session_state


def test_header_without_a_known_peer_is_refused(demo_copy):
    """AppTest has no real connection: the peer address is unknown, so header mode fails closed."""
    _write_access(demo_copy, "header")
    at = _app()
    at.run()
    assert any("受信任" in e.value for e in at.error)
    assert not at.metric and not at.dataframe


def test_header_from_a_trusted_proxy_is_accepted(demo_copy, monkeypatch):
    _write_access(demo_copy, "header")
    _connect(monkeypatch, "127.0.0.1")
    at = _app()
    at.run()
    assert not at.exception and not at.error and at.metric
    assert at.session_state["_shiji_scope"].role == "admin"
    _write_access(demo_copy, "header", trusted_proxies=["10.0.0.2"])
    _connect(monkeypatch, "10.0.0.2", user="ana")
    at = _app()
    at.run()
    assert not at.error and at.session_state["_shiji_scope"].role == "analyst"


def test_exposure_warning_for_the_admin():
    header = {"identity": "header", "users": USERS}
    assert exposure_warning(header, "127.0.0.1", tls=False) is None
    assert exposure_warning(header, "localhost", tls=False) is None
    for address in ("0.0.0.0", "", None, "192.168.1.5", "::"):
        assert "trusted_proxies" in exposure_warning(header, address, tls=False)
    assert exposure_warning({**header, "trusted_proxies": ["127.0.0.1", "::1"]}, "0.0.0.0", tls=False) is None
    assert "10.0.0.0/8" in exposure_warning({**header, "trusted_proxies": ["10.0.0.0/8"]}, "0.0.0.0", tls=False)
    local = {"identity": "local", "users": USERS}
    assert "HTTPS" in exposure_warning(local, "0.0.0.0", tls=False)
    assert exposure_warning(local, "0.0.0.0", tls=True) is None
    assert exposure_warning(local, "127.0.0.1", tls=False) is None
    assert exposure_warning(None, "0.0.0.0", tls=False) is None  # demo only: nothing personal to expose


def test_admin_page_warns_when_reachable_from_the_network(demo_copy, monkeypatch):
    import streamlit as st

    _write_access(demo_copy)
    get_option = st.get_option
    for address, warned in (("0.0.0.0", True), ("127.0.0.1", False)):
        options = {"server.address": address, "server.sslCertFile": None}  # as `--server.address`
        monkeypatch.setattr(st, "get_option", lambda name: options[name] if name in options else get_option(name))
        at = _app("adm")
        at.run()
        at.switch_page("pages/data.py").run()
        assert not at.exception
        assert any("HTTPS" in w.value for w in at.warning) is warned, address


# --- local mode: lockout and logout (issue 11, item 11) ------------------------------------------

class Clock:
    def __init__(self):
        self.now = 2_000_000.0

    def __call__(self) -> float:
        return self.now


def _login(who: str, password: str) -> AppTest:
    """A new AppTest is a new browser session: nothing carries over but the server's state."""
    at = _app()
    at.run()
    at.text_input[0].input(who)
    at.text_input[1].input(password)
    at.button[0].click().run()
    return at


def test_local_login_locks_after_repeated_failures_across_sessions(demo_copy, monkeypatch):
    _write_access(demo_copy)
    clock = Clock()
    monkeypatch.setattr(logins, "_clock", clock)
    at = _login("adm", "wrong")
    assert any("账号或密码不正确" in e.value for e in at.error)
    at = _login("adm", "wrong")  # at once, from another session: must wait, and is not counted
    assert any("秒后再试" in e.value for e in at.error)
    for _ in range(logins.MAX_FAILURES - 1):
        clock.now += 60
        at = _login("adm", "wrong")
    assert not at.exception
    lock = f"{logins.LOCK_SECONDS // 60} 分钟"
    assert any("已锁定" in e.value and lock in e.value for e in at.error)
    clock.now += 60
    at = _login("adm", "s3cret")  # the right password does not open a locked account
    assert any("已锁定" in e.value for e in at.error)
    assert not at.metric and "_local_identity" not in at.session_state
    clock.now += logins.LOCK_SECONDS
    at = _login("adm", "s3cret")
    assert not at.error and at.metric


def test_logout_clears_identity_and_scope(demo_copy):
    _write_access(demo_copy)
    at = _login("adm", "s3cret")
    assert at.metric and at.session_state["_local_identity"] == "adm"
    logout = [b for b in at.sidebar.button if b.label == "退出登录"]
    assert logout
    logout[0].click().run()
    assert not at.exception
    assert "_local_identity" not in at.session_state and "_shiji_scope" not in at.session_state
    assert at.text_input and not at.metric  # back to the login form
    at.run()
    assert at.text_input and not at.metric


# --- the screen role's deep link (issue 11, item 11) ----------------------------------------------

@pytest.mark.parametrize("warm", [True, False], ids=["warm-server", "fresh-server"])
def test_screen_role_deep_link_with_rotate_opens_the_big_screen(demo_copy, monkeypatch, warm):
    import functools

    from streamlit.commands import navigation
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.runtime.scriptrunner import RerunData
    from streamlit.testing.v1 import app_test, local_script_runner

    _write_access(demo_copy)
    not_found = []
    monkeypatch.setattr(navigation, "send_page_not_found", lambda ctx: not_found.append(ctx))
    # A browser opening /screen?rotate=20s asks for the page by its URL name.
    monkeypatch.setattr(local_script_runner, "RerunData", functools.partial(RerunData, page_name="screen"))
    if warm:
        # Once any session has run app.py, Streamlit stops treating pages/ as a v1 pages folder
        # and resolves every URL against st.navigation alone; AppTest would reset that per run.
        class WarmPagesManager(PagesManager):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                PagesManager.uses_pages_directory = False

        monkeypatch.setattr(PagesManager, "uses_pages_directory", None)
        monkeypatch.setattr(app_test, "PagesManager", WarmPagesManager)
    at = _app("wall")
    at.query_params["rotate"] = "20s"
    at.run()
    assert not at.exception
    assert not not_found, "Page not found"
    assert "scr_carousel" in at.session_state  # the screen ran in carousel mode
