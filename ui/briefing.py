"""考察准备 helpers: the briefing through the caller's scope, cached per version and scope."""
from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

import streamlit as st

from pipelines import audit
from pipelines.briefing import Briefing, build_briefing, write_briefing
from ui.data import current_home
from ui.queries import Scope, current_version_path


def _args(scope: Scope, units: list[str], cadres: list[str]) -> tuple:
    allowed = None if scope.units is None else tuple(sorted(scope.units))
    return str(current_version_path()), scope.key, tuple(sorted(units)), tuple(sorted(cadres)), allowed


@st.cache_data(show_spinner=False, ttl=3600, max_entries=64)
def _briefing(version_file: str, scope_key: tuple, units: tuple, cadres: tuple, allowed: tuple | None) -> Briefing:
    return build_briefing(Path(version_file), list(units), list(cadres),
                          allowed_units=None if allowed is None else list(allowed))


@st.cache_data(show_spinner="正在生成文件……", ttl=3600, max_entries=64)
def _file(version_file: str, scope_key: tuple, units: tuple, cadres: tuple, allowed: tuple | None,
          suffix: str) -> bytes:
    b = _briefing(version_file, scope_key, units, cadres, allowed)
    with tempfile.TemporaryDirectory() as tmp:
        return write_briefing(b, Path(tmp) / f"briefing{suffix}").read_bytes()


def briefing(scope: Scope, units: list[str], cadres: list[str]) -> Briefing:
    return _briefing(*_args(scope, units, cadres))


def briefing_file(scope: Scope, units: list[str], cadres: list[str], suffix: str) -> bytes:
    """The briefing as .xlsx or .pdf bytes, built when the download is clicked; every export is
    written to the audit log with the file's hash."""
    data = _file(*_args(scope, units, cadres), suffix)
    b = briefing(scope, units, cadres)
    audit.append(current_home(), scope.identity, scope.role, "download_briefing", page="briefing",
                 filters={"unit": units, "cadre": cadres, "format": suffix.lstrip(".")},
                 rows=sum(len(f) for f in b.sections.values()),
                 file_hash=hashlib.sha256(data).hexdigest())
    return data
