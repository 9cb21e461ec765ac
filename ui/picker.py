"""A selectbox whose choice lives in the URL (``?cadre=…``, ``?unit=…``), so views deep-link."""
from __future__ import annotations

import streamlit as st

from ui import format as fmt


def url_choice(param: str, labels: dict, not_found: str) -> str | None:
    """The id in ``?<param>=`` if it is one of ``labels`` (else a warning and None); it also seeds
    the picker's state under the key ``<param>_pick``. ``not_found`` has one ``{}`` for the id."""
    value = st.query_params.get(param)
    if value not in labels:
        if value:
            st.warning(not_found.format(fmt.md(value)))
        value = None
    st.session_state[f"{param}_pick"] = value
    return value


def sync_to_url(param: str):
    """An on_change callback that mirrors the picker ``<param>_pick`` into the URL."""
    def _sync():
        value = st.session_state[f"{param}_pick"]
        if value is None:
            st.query_params.pop(param, None)
        else:
            st.query_params[param] = value
    return _sync
