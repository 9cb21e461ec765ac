"""The caller's scope for this browser session, set once per run by app.py from the
server-side access file (never from a widget or a URL parameter)."""
from __future__ import annotations

import streamlit as st

from ui.queries import Scope

_KEY = "_shiji_scope"


def set_scope(scope: Scope) -> None:
    st.session_state[_KEY] = scope


def current_scope() -> Scope:
    scope = st.session_state.get(_KEY)
    if scope is None:
        # A page run without app.py (never in production): the most restricted scope.
        return Scope(role="inspector", units=frozenset(), identity="anonymous")
    return scope
