"""Queries of the landing page (数据概况): what needs the signed-in person's attention.

Every statement goes through :func:`ui.queries.run` with the caller's scope (rows outside the
scope never leave DuckDB; results are cached per version file, scope, statement and
parameters). A person is named only when the scope sees that person in full. Nothing here
writes; the previous version is read the same way, through its own version file.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from pipelines import build
from pipelines.home import Home
from ui.profile_queries import table_exists
from ui.queries import Scope, current_version_path, run, seen_in_full

CARD_ORDER = {"绿": 0, "黄": 1, "橙": 2, "红": 3}
OPEN_STATUSES = ("未标记", "属实")  # a flag still needing a check, or confirmed and not yet dealt with


def _columns(scope: Scope, schema: str, name: str, version_file: Path | None = None) -> set[str]:
    frame = run(scope, """
        SELECT column_name FROM information_schema.columns WHERE table_schema = $s AND table_name = $t
    """, {"s": schema, "t": name}, unit_column=None, version_file=version_file)
    return set(frame["column_name"]) if len(frame) else set()


# --- headline indicators ---------------------------------------------------------------------

class _ScopedFull:
    """The read interface :func:`pipelines.public.indicator_board` needs, answered through the
    scope: the board of an inspector is the board of their units, with the wall's own rules
    (latest period at each indicator's native frequency, each place counted once)."""

    def __init__(self, scope: Scope):
        self.scope = scope

    def has(self, relation: str) -> bool:
        schema, name = relation.split(".")
        return table_exists(self.scope, schema, name)

    def q(self, sql: str, params: dict | None = None) -> pd.DataFrame:
        # the board reads the dictionary (no unit data), the values and the unit tree (by unit_id)
        return run(self.scope, sql, params, unit_column="unit_id" if "unit_id" in sql else None)


def headline(scope: Scope) -> pd.DataFrame:
    """The core indicators that have a target, at their latest period: value, target, 完成率,
    时序进度 (for amounts summed over the year) and the gap, as on the big screen."""
    version_file = current_version_path()
    if version_file is None:
        return pd.DataFrame()
    return _headline(str(version_file), scope.key, scope).copy()


@st.cache_data(show_spinner=False, ttl=3600, max_entries=256)
def _headline(version_file: str, scope_key: tuple, _scope: Scope) -> pd.DataFrame:
    """Cached per version file and scope (``_scope`` itself is not hashed: its key is)."""
    from pipelines.public import indicator_board

    scope = _scope

    board = indicator_board(_ScopedFull(scope))
    if board.empty or not table_exists(scope, "staging", "indicators"):
        return board.iloc[0:0]
    core = run(scope, "SELECT indicator FROM staging.indicators WHERE core", unit_column=None)
    return board[board["indicator"].isin(set(core["indicator"])) & board["target"].notna()].reset_index(drop=True)


# --- cards and flags -------------------------------------------------------------------------

_LATEST_CARDS = f"""
    SELECT s.task_id, s.title, s.period, s.period_end, s.card, s.unit_id, u.name AS unit_name,
           CASE WHEN {seen_in_full('s.lead_cadre_id')} THEN s.lead_cadre_id END AS cadre_id,
           CASE WHEN {seen_in_full('s.lead_cadre_id')} THEN c.name END AS cadre_name
    FROM marts.task_status AS s
    LEFT JOIN staging.units AS u USING (unit_id)
    LEFT JOIN staging.cadres AS c ON c.cadre_id = s.lead_cadre_id
    WHERE s.card IS NOT NULL
      AND s.period_end = (SELECT max(period_end) FROM marts.task_status WHERE card IS NOT NULL)
    ORDER BY s.unit_id, s.task_id
"""


def latest_cards(scope: Scope) -> pd.DataFrame:
    """Every task's card in the latest period with cards (this month, or this quarter)."""
    if not table_exists(scope, "marts", "task_status"):
        return pd.DataFrame()
    return run(scope, _LATEST_CARDS)


def open_flags(scope: Scope, home: Home) -> pd.DataFrame:
    """Flags not suppressed whose status (the desk's latest mark, else the version's) is 未标记
    or 属实: the same status the 异常预警 page shows."""
    from pipelines.state import read_marks
    from ui.desk_queries import flags as all_flags

    if not table_exists(scope, "marts", "anomalies"):
        return pd.DataFrame()
    flags = all_flags(scope)
    if flags.empty:
        return flags
    marks = read_marks(home)
    latest = dict(zip(marks["flag_id"], marks["status"]))
    built = flags["status"] if "status" in flags else pd.Series([None] * len(flags), index=flags.index)
    flags["status"] = [latest.get(f) or (b if isinstance(b, str) and b else "未标记")
                       for f, b in zip(flags["flag_id"], built)]
    live = ~flags["suppressed"].fillna(False).astype(bool) if "suppressed" in flags else True
    return flags[live & flags["status"].isin(OPEN_STATUSES)].reset_index(drop=True)


# --- quadrants -------------------------------------------------------------------------------

def quadrant_latest(scope: Scope) -> pd.DataFrame:
    """Cadres of the latest quarter with their quadrant and evidence status (determined,
    uncertain, unidentified); empty when the version placed nobody."""
    if not table_exists(scope, "marts", "quadrants"):
        return pd.DataFrame()
    status = "x_status" if "x_status" in _columns(scope, "marts", "quadrants") else \
        "CASE WHEN identified THEN 'determined' ELSE 'unidentified' END"
    frame = run(scope, f"""
        SELECT cadre_id, period, quadrant_code, {status} AS x_status FROM marts.quadrants
        WHERE period = (SELECT max(period) FROM marts.quadrants)
    """, unit_column=None, person_column="cadre_id")
    from models.labels import quadrant_label  # the marts store codes; names are quadrants.yaml's now

    return frame.assign(quadrant=quadrant_label(frame["quadrant_code"]))


# --- since the previous version --------------------------------------------------------------

def previous_version(home: Home) -> str | None:
    """The newest kept version older than the current one (after a rollback: the one before it)."""
    current = (home.current() or {}).get("version")
    older = [v for v in home.versions() if current and v < current]
    return older[-1] if older else None


_TASK_LAST_CARD = """
    SELECT s.task_id, s.unit_id, u.name AS unit_name, s.title, s.card, s.period
    FROM marts.task_status AS s LEFT JOIN staging.units AS u USING (unit_id)
    WHERE s.card IS NOT NULL
    QUALIFY row_number() OVER (PARTITION BY s.task_id ORDER BY s.period_end DESC) = 1
"""


def _version_rows(scope: Scope, path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(flags, each task's latest card) of one version file, in the scope."""
    flags = pd.DataFrame(columns=["flag_id", "unit_id", "severity"])
    cards = pd.DataFrame(columns=["task_id", "unit_id", "unit_name", "title", "card", "period"])
    if {"flag_id", "unit_id", "severity"} <= _columns(scope, "marts", "anomalies", path):
        flags = run(scope, "SELECT flag_id, unit_id, severity FROM marts.anomalies", version_file=path)
    if {"period_end", "unit_id", "title", "card"} <= _columns(scope, "marts", "task_status", path):
        cards = run(scope, _TASK_LAST_CARD, version_file=path)
    return flags, cards


def changes(scope: Scope, home: Home) -> dict | None:
    """What changed since the previous version: rows per table, new flags, cards that changed
    colour (each task's latest card). None when there is no previous version; ``error`` set when
    the previous version cannot be read (built by older code, or removed meanwhile)."""
    prev = previous_version(home)
    if prev is None:
        return None
    return _changes(str(home.current_path()), str(home.version_path(prev)), scope.key, scope)


@st.cache_data(show_spinner=False, ttl=3600, max_entries=128)
def _changes(now_file: str, prev_file: str, scope_key: tuple, _scope: Scope) -> dict:
    scope, now_path, prev_path = _scope, Path(now_file), Path(prev_file)
    out = {"version": prev_path.name[:7], "as_of": "", "error": None}
    try:
        out["as_of"] = build.read_info(prev_path).get("as_of", "")
        now_rows, prev_rows = build.row_counts(now_path), build.row_counts(prev_path)
        now_flags, now_cards = _version_rows(scope, now_path)
        old_flags, old_cards = _version_rows(scope, prev_path)
    except Exception as e:  # an unreadable old file must not take the landing page down
        return {**out, "error": type(e).__name__}
    out["rows"] = pd.DataFrame([{"table": t, "now": n, "before": prev_rows.get(t, 0), "delta": n - prev_rows.get(t, 0)}
                                for t, n in now_rows.items()])
    out["new_flags"] = now_flags[~now_flags["flag_id"].isin(set(old_flags["flag_id"]))].reset_index(drop=True)
    both = now_cards.merge(old_cards[["task_id", "card", "period"]], on="task_id", suffixes=("", "_before"))
    both = both[both["card"] != both["card_before"]].copy()
    both["worse"] = both["card"].map(CARD_ORDER) > both["card_before"].map(CARD_ORDER)
    out["cards"] = both.reset_index(drop=True)
    return out
