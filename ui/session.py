"""The caller's scope for this browser session.

Until identity and roles are configured (issue 7) the app runs on demo data as an analyst
with access to every unit; pages always go through :func:`current_scope`, never a widget or a
URL parameter, so the rule stays in one place.
"""
from __future__ import annotations

from ui.queries import Scope


def current_scope() -> Scope:
    return Scope(role="analyst", units=None, identity="demo")
