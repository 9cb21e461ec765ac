"""Read side of the PUBLIC file (aggregates only) for the big screen: every SQL it runs is here.

The big screen never opens the full warehouse: it reads ``vNNNNNN.public.duckdb`` of the
version the CURRENT pointer names. The public file holds no person-level rows, so there is no
per-unit scope to apply; the rules of ui/queries.py still hold: constant SQL, bound parameters
(``$name``), identifiers only from whitelists, caches keyed by the version file.

"Stays correct for weeks": :func:`public_file` re-reads the pointer on every call (a new
publish is a new file, hence a cache miss), and readers of superseded public files are closed
once a few newer ones have been seen, so connections do not pile up.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path

import pandas as pd
import streamlit as st

from models.labels import quadrant_group_names
from pipelines import db
from pipelines.home import Home

TABLES = ("meta", "indicator_board", "unit_ranking", "card_counts", "flag_counts", "quadrant_counts", "trends",
          "unit_boundaries")
KEEP_READERS = 3

_seen: OrderedDict[str, None] = OrderedDict()
_seen_lock = threading.Lock()


def public_file(home: Home | None = None) -> Path | None:
    """The public file of the current version, or None (nothing published / file missing)."""
    home = home or Home()
    current = home.current()
    if current is None:
        return None
    path = home.public_path(current["version"])
    if not path.exists():
        return None
    _remember(path)
    return path


def _remember(path: Path) -> None:
    """Track public files in use; close readers of all but the newest ``KEEP_READERS``."""
    key = str(path)
    stale = []
    with _seen_lock:
        if key in _seen:
            _seen.move_to_end(key)
            return
        _seen[key] = None
        while len(_seen) > KEEP_READERS:
            stale.append(_seen.popitem(last=False)[0])
    for old in stale:
        db.close_reader(Path(old))


@st.cache_data(show_spinner=False, ttl=3600, max_entries=256)
def _cached(public: str, sql: str, params: tuple) -> pd.DataFrame:
    return db.query(Path(public), sql, {k: list(v) if isinstance(v, tuple) else v for k, v in params})


def run(public: Path, sql: str, params: dict | None = None) -> pd.DataFrame:
    """Run a constant ``sql`` of this module on one public file, cached per file."""
    frozen = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in (params or {}).items()))
    return _cached(str(public), sql, frozen).copy()


# --- queries -------------------------------------------------------------------------------

def meta(public: Path) -> dict[str, str]:
    frame = run(public, "SELECT key, value FROM public.meta")
    return dict(zip(frame["key"], frame["value"]))


def indicator_board(public: Path) -> pd.DataFrame:
    return run(public, "SELECT * FROM public.indicator_board ORDER BY seq")


def ranking_boards(public: Path) -> pd.DataFrame:
    """One row per ranking board: board, board_name, board_seq, period, measure, unit, n_units."""
    return run(public, """
        SELECT board, any_value(board_name) AS board_name, board_seq, any_value(period) AS period,
               any_value(measure) AS measure, any_value(unit) AS unit, count(*) AS n_units
        FROM public.unit_ranking GROUP BY board, board_seq ORDER BY board_seq
    """)


def ranking(public: Path, board: str) -> pd.DataFrame:
    return run(public, """
        SELECT unit_name, unit_type, rank, prev_rank, rank_change, score, band, tier, n_units,
               measure, unit, period, board_name, unit_id
        FROM public.unit_ranking WHERE board = $board ORDER BY rank, unit_name
    """, {"board": board})


def unit_boundaries(public: Path) -> pd.DataFrame:
    """Delivered unit boundaries (unit_id, unit_name, geometry as GeoJSON text); places, not people."""
    return run(public, "SELECT unit_id, unit_name, geometry FROM public.unit_boundaries ORDER BY unit_id")


def card_counts(public: Path, months: int = 24) -> pd.DataFrame:
    """Card counts of the last ``months`` reported months (oldest first)."""
    return run(public, """
        WITH recent AS (SELECT DISTINCT period FROM public.card_counts ORDER BY period DESC LIMIT $months)
        SELECT c.* FROM public.card_counts AS c JOIN recent USING (period) ORDER BY period, card_seq
    """, {"months": int(months)})


FLAG_DIMENSIONS = ("severity", "rule", "level")


def flag_counts(public: Path, dimension: str = "severity") -> pd.DataFrame:
    if dimension not in FLAG_DIMENSIONS:
        raise ValueError(f"unknown flag dimension {dimension}")
    return run(public, "SELECT * FROM public.flag_counts WHERE dimension = $d ORDER BY seq", {"d": dimension})


def quadrant_counts(public: Path, quarters: int = 6) -> pd.DataFrame:
    """The last ``quarters`` quarters of cadres per 实绩象限 group, each group named from its code
    by quadrants.yaml now (a quadrant renamed after publishing reads with its new name)."""
    frame = run(public, """
        WITH recent AS (SELECT DISTINCT period FROM public.quadrant_counts ORDER BY period DESC LIMIT $n)
        SELECT q.* FROM public.quadrant_counts AS q JOIN recent USING (period) ORDER BY period, seq
    """, {"n": int(quarters)}).copy()
    if "quadrant_code" in frame:  # public files since schema 2
        names = quadrant_group_names()
        frame["quadrant"] = [names.get(c, q) for c, q in zip(frame["quadrant_code"], frame["quadrant"])]
    return frame


def trends(public: Path, prefix: str) -> pd.DataFrame:
    """Series whose code starts with ``prefix`` (e.g. 'completion:' or 'on_track_rate')."""
    return run(public, """
        SELECT * FROM public.trends WHERE starts_with(series, $prefix) ORDER BY series, period
    """, {"prefix": prefix})


def columns(public: Path) -> pd.DataFrame:
    """Every column of the public file (for the privacy scan and the status line)."""
    return run(public, """
        SELECT table_name, column_name, data_type FROM duckdb_columns()
        WHERE schema_name = 'public' ORDER BY table_name, column_index
    """)
