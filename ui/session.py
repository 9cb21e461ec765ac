"""The caller's scope for this browser session, set by app.py from the server-side access file
(never from a widget or a URL parameter). A page opened before app.py ever ran (a deep link on a
freshly started server) resolves the scope the same way, and every page checks that the scope
may open it."""
from __future__ import annotations

import json
from pathlib import Path

import streamlit as st

from ui.queries import Scope

_KEY = "_shiji_scope"


def _blank() -> None:
    """The default page of the one-off navigation in ``current_scope`` (never run)."""


def set_scope(scope: Scope) -> None:
    st.session_state[_KEY] = scope


def current_scope(page: str | None = None) -> Scope:
    """The session's scope; with ``page`` (a url_path), stop unless the scope may open it."""
    from ui.auth import resolve_scope, visible_pages
    from ui.data import current_home

    scope = st.session_state.get(_KEY)
    if scope is None and not st.session_state.get("_shiji_rerouted") and page is not None:
        # A deep link (/cadre?cadre=C0001) is the first request of a fresh server: until some
        # session has called st.navigation, Streamlit treats the top-level pages/ folder (which
        # the project keeps) as a v1 pages folder and ran this page alone, without app.py. Its
        # documented rule is that "as soon as any session executes st.navigation, the app ignores
        # the pages/ directory (across all sessions)", so this page calls st.navigation itself
        # (hidden: nothing is drawn) and reruns the same URL: app.py now runs first,
        # builds the data, sets the scope and opens this page with its query parameters. Public
        # API only; client.showSidebarNavigation would merely hide the v1 menu, and st.switch_page
        # to app.py would lose the page and its parameters. This page is listed after a blank
        # default (a lone page would be the default, at "/"), so the URL's page is found and no
        # "page not found" is sent.
        st.session_state["_shiji_rerouted"] = True
        script = Path(__file__).resolve().parents[1] / "pages" / f"{page}.py"
        st.navigation([st.Page(_blank, title="实绩", url_path="start"), st.Page(script, url_path=page)],
                      position="hidden")
        st.rerun()
    if scope is None:
        scope = resolve_scope(current_home())
        set_scope(scope)
    if page is not None and not visible_pages(scope, [page]):
        st.error("您的角色无权访问此页面。")
        st.stop()
    return scope


def audit_view(scope: Scope, page: str, filters: dict, rows: int) -> None:
    """Log a view of personal data once per session and subject (reruns of the same view are
    one view), to the hash-chained audit log."""
    from pipelines import audit
    from ui.data import current_home

    key = (page, json.dumps(filters, ensure_ascii=False, sort_keys=True, default=str))  # filters may hold lists
    seen = st.session_state.setdefault("_shiji_audited", set())
    if key in seen:
        return
    audit.append(current_home(), scope.identity, scope.role, f"view_{page}", page=page, filters=filters, rows=rows)
    seen.add(key)
