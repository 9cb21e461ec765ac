"""Cached read access for pages. Every cache key includes the version file (and, once roles
exist, the caller's scope) so a new publish or another user's scope never serves stale rows."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from pipelines.home import Home, default_home


def current_home() -> Home:
    return Home(default_home())


@st.cache_resource(show_spinner=False)
def _bootstrap(root: str) -> str | None:
    from pipelines.bootstrap import ensure_data

    return ensure_data(Home(root))


def ensure_published(home: Home) -> str | None:
    """The current version; the demo is built first only into a home that never received a batch."""
    if home.current() is not None:
        return home.current()["version"]
    return _bootstrap(str(home.root))


@st.cache_data(show_spinner=False, ttl=3600)
def data_status(root: str, version: str) -> dict | None:
    """Status of one version; ``version`` is in the key so a new publish is a cache miss."""
    from pipelines.status import data_status as compute

    return compute(Home(root))


def holds_demo(home: Home) -> bool:
    """Is the current version the demo's (real data must then start over, not merge)?"""
    from pipelines.build import is_demo

    return home.current_path() is not None and is_demo(home.current_path())


def table_names() -> dict[str, str]:
    """Each input table's Chinese name, by its contract name."""
    from pipelines.contract import TABLES

    return {name: TABLES[name].zh for name in TABLES}


def versions(home: Home) -> pd.DataFrame:
    """The published versions, newest first, with the current one marked."""
    from pipelines.status import versions_table

    return pd.DataFrame(versions_table(home))


def roll_back(home: Home, version: str) -> str:
    """Point the current data at ``version`` (no version is deleted) and drop cached reads."""
    from pipelines.ingest import rollback

    done = rollback(home, version)
    st.cache_data.clear()
    return done
