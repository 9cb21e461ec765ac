"""The app's start check of the policy files: every problem shown in Chinese, then the app stops.

Streamlit redacts an uncaught exception's message (``showErrorDetails`` is off), so a broken
reference file must be reported here rather than raised to the page.
"""
from __future__ import annotations

import streamlit as st

from models.config import ConfigError, validate_all


def require_valid_policy() -> None:
    """Check every reference YAML (models.config.validate_all); on any problem show them all,
    one a line with file, key path and rule, and stop before a page reads one."""
    try:
        validate_all()
    except ConfigError as exc:
        head = str(exc).splitlines()[0]
        lines = "\n".join(f"{i}. {p}" for i, p in enumerate(exc.problems, 1))
        st.error(f"{head}\n\n{lines}\n\n修改后刷新本页即可。", icon=":material/error:")
        st.stop()
