"""Identity → role → scope, from a server-side access file; never from a widget or the URL.

The access file is ``<data home>/access.yaml`` (outside the repository; the operator writes it)::

    identity: header            # header | oidc | local
    header: X-Forwarded-User    # header mode: set by the reverse proxy (see README, nginx example)
    trusted_proxies: ["127.0.0.1", "::1"]   # header mode: the proxies' addresses (this default
                                            # when absent); other peers are refused
    users:                      # the roles table, keyed by identity
      zhang@example.gov.cn: {role: analyst}
      kaocha1: {role: inspector, units: [T01, T02]}
      admin: {role: admin, password_hash: "$2b$12$..."}   # local mode: bcrypt hash
      wall: {role: screen}

Without an access file the app runs only on demo data (as an analyst, marked 演示数据); with
real data and no access file it shows no data and explains how to configure one. Local mode
counts failed logins on the server (``pipelines/logins.py``) and offers 退出登录.
"""
from __future__ import annotations

import ipaddress
import math
from collections.abc import Mapping
from pathlib import Path

import bcrypt
import streamlit as st

from models.config import ConfigError, read_yaml
from pipelines import audit, logins
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
# Header mode believes the identity header only from these TCP peers unless access.yaml lists
# its own: the shipped config binds to loopback with nginx on the same machine.
DEFAULT_TRUSTED_PROXIES = ("127.0.0.1", "::1")


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
    try:
        config = read_yaml(path) or {}
    except ConfigError as e:
        raise AccessError(f"{path}: {e.problems[0].rule};IPv6 地址等含冒号的值请加引号") from e
    if not isinstance(config, dict):
        raise AccessError(f"{path}: 内容应是 identity、users 等键值")
    mode = config.get("identity")
    if mode not in IDENTITY_MODES:
        raise AccessError(f"{path}: identity 必须是 {'/'.join(IDENTITY_MODES)} 之一")
    for who, user in (config.get("users") or {}).items():
        if (user or {}).get("role") not in ROLES:
            raise AccessError(f"{path}: 用户 {who} 的 role 必须是 {'/'.join(ROLES)} 之一")
    proxies = config.get("trusted_proxies")
    if proxies is not None and not isinstance(proxies, list):
        raise AccessError(f'{path}: trusted_proxies 必须是地址列表,例如 ["127.0.0.1", "::1"]')
    for entry in proxies or []:
        try:
            ipaddress.ip_network(str(entry), strict=False)
        except ValueError:
            raise AccessError(f"{path}: trusted_proxies 中的 {entry} 不是 IP 地址或网段(例如 10.0.0.2 或 10.0.0.0/24)") from None
    return config


def trusted_proxies(config: dict) -> list[str]:
    proxies = config.get("trusted_proxies")
    return [str(p) for p in (DEFAULT_TRUSTED_PROXIES if proxies is None else proxies)]


def peer_trusted(config: dict, peer: str | None) -> bool:
    """Is the TCP peer one of the configured reverse proxies? An unknown peer is not."""
    if not isinstance(peer, str) or not peer:
        return False
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return False
    address = getattr(address, "ipv4_mapped", None) or address  # dual-stack sockets report ::ffff:a.b.c.d
    return any(address in ipaddress.ip_network(p, strict=False) for p in trusted_proxies(config))


def client_connection() -> tuple[Mapping[str, str], str | None]:
    """This session's request headers and its TCP peer address (None when it cannot be known).

    ``st.context.ip_address`` reports loopback as None, which would make the local proxy and an
    unknown peer look alike, so the peer is read from the session's client. It is the address
    uvicorn reports: uvicorn substitutes X-Forwarded-For only on connections from its
    FORWARDED_ALLOW_IPS (loopback by default), hence the README's nginx example clears that header.
    """
    peer = None
    try:
        from streamlit.runtime import get_instance
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        ctx = get_script_run_ctx()
        client = get_instance().get_client(ctx.session_id) if ctx else None
        remote = getattr(getattr(client, "client_context", None), "remote_ip", None)
        peer = remote if isinstance(remote, str) else None
    except (ImportError, AttributeError, RuntimeError):
        peer = None  # an internal API that moved in a Streamlit upgrade: unknown, hence refused
    return st.context.headers, peer


def _loopback_bind(address: str | None) -> bool:
    if not address:
        return False  # Streamlit then listens on every interface
    if address.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False  # a host name: assume other machines can reach it


_OPTION = object()


def exposure_warning(config: dict | None, address=_OPTION, tls=_OPTION) -> str | None:
    """For the admin page: a Chinese warning when other machines can reach this port and the
    access mode does not make that safe; None otherwise. ``address`` and ``tls`` default to the
    running server's options."""
    if address is _OPTION:
        address = st.get_option("server.address")
    if tls is _OPTION:
        tls = bool(st.get_option("server.sslCertFile"))
    if config is None or _loopback_bind(address):
        return None
    where = f"地址 {address} " if address else "本机所有网络地址"
    if config["identity"] == "header":
        if config.get("trusted_proxies") is None:
            return (f"服务监听在{where}上,其他计算机可以直接访问本端口,而 access.yaml 未配置 trusted_proxies:"
                    "现按默认只接受本机反向代理(127.0.0.1、::1)转发的请求,直接访问的用户会被拒绝。"
                    "若反向代理在另一台计算机上,请把它的地址写入 trusted_proxies;否则请把 server.address 改回 127.0.0.1。")
        outside = [p for p in trusted_proxies(config) if not ipaddress.ip_network(p, strict=False).is_loopback]
        if outside:
            return (f"服务监听在{where}上,且 trusted_proxies 包含非本机地址 {'、'.join(outside)}:"
                    "这些地址上的任何程序都能用身份头冒充任意用户。请确认这些地址上只运行反向代理,"
                    "并用防火墙只允许它们访问本端口。")
        return None
    if config["identity"] == "local" and not tls:
        return (f"服务监听在{where}上,但未启用 HTTPS:账号和密码以明文在网络中传输。"
                "请在前面加 HTTPS 反向代理并把 server.address 改回 127.0.0.1,"
                "或在 .streamlit/config.toml 中配置 server.sslCertFile。")
    return None


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


def current_identity(config: dict, home: Home) -> str | None:
    """Who is asking, by the configured mode. May render a login form (local / oidc)."""
    mode = config["identity"]
    if mode == "header":
        headers, peer = client_connection()
        if not peer_trusted(config, peer):
            st.error(f"本服务只接受经单位反向代理转发的访问。当前连接来自 {peer or '未知地址'},"
                     "不在受信任代理(access.yaml 的 trusted_proxies)之列,不显示任何数据。"
                     "请使用单位提供的访问地址;管理员请核对反向代理的地址与 trusted_proxies。")
            st.stop()
        return headers.get(config.get("header", "X-Forwarded-User"))
    if mode == "oidc":
        if not st.user.is_logged_in:
            st.button("使用统一身份认证登录", on_click=st.login)
            st.stop()
        return st.user.get("email") or st.user.get("sub")
    if st.session_state.get("_local_identity"):
        st.sidebar.button("退出登录", key="_shiji_logout", icon=":material/logout:", on_click=_logout, args=(home,))
        return st.session_state["_local_identity"]
    _login_form(config, home)
    st.stop()


def _logout(home: Home) -> None:
    """Forget everything this browser session holds: identity, scope, filters, audited views."""
    who = st.session_state.get("_local_identity")
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    if who:
        audit.append(home, who, "", "logout", page="login")


def _login_form(config: dict, home: Home) -> None:
    with st.form("login"):
        st.subheader("登录")
        who = st.text_input("账号", max_chars=64).strip()
        password = st.text_input("密码", type="password")
        submitted = st.form_submit_button("登录")
    if not submitted:
        return
    if not who or not password:
        st.error("请输入账号和密码。")
        return
    gate = logins.gate(home, who)
    if not gate.locked_seconds and not gate.wait_seconds:
        if check_password(config, who, password):
            logins.record_success(home, who)
            st.session_state["_local_identity"] = who
            audit.append(home, who, config["users"][who]["role"], "login", page="login")
            st.rerun()
        gate = logins.record_failure(home, who)
        if not gate.locked_seconds:
            st.error(f"账号或密码不正确。连续失败 {logins.MAX_FAILURES} 次,账号将被锁定 "
                     f"{logins.LOCK_SECONDS // 60} 分钟。")
            return
        audit.append(home, who, "", "login_locked", page="login")
    if gate.locked_seconds:
        st.error(f"账号 {who} 因连续 {logins.MAX_FAILURES} 次登录失败已锁定,"
                 f"请 {math.ceil(gate.locked_seconds / 60)} 分钟后再试;如需提前解锁,请联系管理员。")
    else:
        st.error(f"登录尝试过于频繁,请 {gate.wait_seconds} 秒后再试。")


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
            if any(is_demo(home.version_path(v)) for v in home.versions() if home.version_path(v).exists()):
                st.markdown("如果这批数据是误导入的(例如修改过的演示文件),可在服务器上运行 "
                            "`python -m pipelines rollback` 回到之前的演示数据版本;已导入的版本仍保留。")
            st.stop()
        return DEMO_SCOPE
    scope = scope_for(access, current_identity(access, home))
    if scope is None:
        st.error("您的账号没有访问权限,请联系管理员在角色表中登记。")
        st.stop()
    return scope
