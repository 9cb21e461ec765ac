"""Identity → role → scope, from a server-side access file; never from a widget or the URL.

The access file is ``<data home>/access.yaml`` (outside the repository; the operator writes it)::

    identity: header            # header | oidc | local
    header: X-Forwarded-User    # header mode: set by the reverse proxy (see README, nginx example)
    users:                      # the roles table, keyed by identity
      zhang@example.gov.cn: {role: analyst}
      kaocha1: {role: inspector, units: [T01, T02]}
      admin: {role: admin, password_hash: "$2b$12$..."}   # local mode: bcrypt hash
      wall: {role: screen}

Without an access file the app runs only on demo data (as an analyst, marked 演示数据); with
real data and no access file it shows no data and explains how to configure one.
"""
from __future__ import annotations

from pathlib import Path

import bcrypt
import streamlit as st
import yaml

from pipelines.home import Home
from ui.queries import ROLES, Scope

IDENTITY_MODES = ("header", "oidc", "local")
# Which pages (url_path) each role may open.
ROLE_PAGES = {
    "screen": {"screen"},
    "analyst": {"home", "screen", "quadrants", "cadre", "unit", "anomalies", "briefing", "methods"},
    "inspector": {"home", "cadre", "unit", "anomalies", "briefing", "methods"},
    "admin": {"home", "data", "methods"},
}
DEMO_SCOPE = Scope(role="analyst", units=None, identity="演示用户")


def visible_pages(scope: Scope, page_paths: list[str]) -> list[str]:
    """The url_paths of ``page_paths`` this scope may open, in order. The demo sees them all."""
    if scope is DEMO_SCOPE:
        return list(page_paths)
    return [p for p in page_paths if p in ROLE_PAGES[scope.role]]


class AccessError(RuntimeError):
    """The access configuration is missing or wrong; the message says how to fix it."""


def access_path(home: Home) -> Path:
    return home.root / "access.yaml"


def load_access(home: Home) -> dict | None:
    path = access_path(home)
    if not path.exists():
        return None
    config = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    mode = config.get("identity")
    if mode not in IDENTITY_MODES:
        raise AccessError(f"{path}: identity 必须是 {'/'.join(IDENTITY_MODES)} 之一")
    for who, user in (config.get("users") or {}).items():
        if (user or {}).get("role") not in ROLES:
            raise AccessError(f"{path}: 用户 {who} 的 role 必须是 {'/'.join(ROLES)} 之一")
    return config


def scope_for(config: dict, identity: str | None) -> Scope | None:
    """The scope of a known identity, or None (unknown identities see nothing)."""
    if not identity:
        return None
    user = (config.get("users") or {}).get(identity)
    if not user:
        return None
    units = user.get("units")
    if user["role"] == "inspector":
        units = units or []  # an inspector without assigned units sees no unit
    return Scope(role=user["role"], units=None if units is None else frozenset(map(str, units)), identity=identity)


def check_password(config: dict, identity: str, password: str) -> bool:
    user = (config.get("users") or {}).get(identity) or {}
    hashed = user.get("password_hash")
    if not hashed or not password:
        return False
    return bcrypt.checkpw(password.encode("utf-8"), hashed.encode("utf-8"))


def current_identity(config: dict) -> str | None:
    """Who is asking, by the configured mode. May render a login form (local / oidc)."""
    mode = config["identity"]
    if mode == "header":
        return st.context.headers.get(config.get("header", "X-Forwarded-User"))
    if mode == "oidc":
        if not st.user.is_logged_in:
            st.button("使用统一身份认证登录", on_click=st.login)
            st.stop()
        return st.user.get("email") or st.user.get("sub")
    if st.session_state.get("_local_identity"):
        return st.session_state["_local_identity"]
    with st.form("login"):
        st.subheader("登录")
        who = st.text_input("账号")
        password = st.text_input("密码", type="password")
        if st.form_submit_button("登录"):
            if check_password(config, who, password):
                st.session_state["_local_identity"] = who
                st.rerun()
            st.error("账号或密码不正确")
    st.stop()


def resolve_scope(home: Home) -> Scope:
    """The scope of this session from the access file (or the demo scope); stops the script
    with a Chinese explanation when no data may be shown."""
    from pipelines.build import is_demo

    try:
        access = load_access(home)
    except AccessError as e:
        st.error(f"访问控制配置有误:{e}")
        st.stop()
    if access is None:
        if home.current_path() is not None and not is_demo(home.current_path()):
            st.error("当前数据包含真实干部数据,但尚未配置身份认证,不显示任何数据。")
            st.markdown(f"请在数据目录中创建 `{access_path(home)}`(身份方式与角色表),格式见 README 的“访问控制”一节。")
            st.stop()
        return DEMO_SCOPE
    scope = scope_for(access, current_identity(access))
    if scope is None:
        st.error("您的账号没有访问权限,请联系管理员在角色表中登记。")
        st.stop()
    return scope
