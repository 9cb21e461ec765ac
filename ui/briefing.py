"""考察准备 helpers: the briefing through the caller's scope, cached per version and scope."""
from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

import streamlit as st

from pipelines import audit
from pipelines.briefing import Briefing, build_briefing, readable_reasons, write_briefing
from ui.data import current_home
from ui.queries import Scope, current_version_path, run

# The basket lives in the URL of the briefing page (?units=T01,D03&cadres=C0001,C0002, names
# other pages link to) and, while the session lasts, here: 加入考察简报 on another page adds to it.
BASKET_KEY = "brief_basket"


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


def url_list(params, name: str, legacy: str) -> list[str]:
    """Ids from a comma-separated URL parameter (``units=T01,D03``), plus the older repeated
    one-id form (``unit=T01&unit=D03``), in order, without repeats."""
    ids = [p.strip() for v in params.get_all(name) for p in str(v).split(",")]
    ids += [str(v).strip() for v in params.get_all(legacy)]
    return list(dict.fromkeys(i for i in ids if i))


def basket_params(units: list[str], cadres: list[str]) -> dict[str, str]:
    params = {}
    if units:
        params["units"] = ",".join(units)
    if cadres:
        params["cadres"] = ",".join(cadres)
    return params


def basket() -> tuple[list[str], list[str]]:
    b = st.session_state.get(BASKET_KEY) or {}
    return list(b.get("units", [])), list(b.get("cadres", []))


def remember_basket(units: list[str], cadres: list[str]) -> None:
    st.session_state[BASKET_KEY] = {"units": list(units), "cadres": list(cadres)}


def add_to_briefing_link(container=None, units: tuple[str, ...] = (), cadres: tuple[str, ...] = ()) -> None:
    """加入考察简报: a link to the briefing page with the session's basket plus these units or
    cadres, kept in the URL so the link can be shared."""
    have_units, have_cadres = basket()
    params = basket_params(list(dict.fromkeys(have_units + list(units))),
                           list(dict.fromkeys(have_cadres + list(cadres))))
    n = len(params.get("units", "").split(",") if params.get("units") else []) + \
        len(params.get("cadres", "").split(",") if params.get("cadres") else [])
    from streamlit.errors import StreamlitAPIException

    try:  # a role without the briefing page gets no link to it
        (container or st).page_link("pages/briefing.py", label="加入考察简报", icon=":material/playlist_add:",
                                    query_params=params, help=f"打开考察准备,简报将包括已选的 {n} 个单位或干部")
    except StreamlitAPIException:
        pass


def target_reasons(scope: Scope, reasons):
    """定向考察 reasons with task titles instead of task ids."""
    titles = run(scope, "SELECT task_id, title, unit_id FROM staging.tasks")
    names = dict(zip(titles["task_id"], titles["title"])) if len(titles) else {}
    return reasons.map(lambda r: readable_reasons(r, names))
