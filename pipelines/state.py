"""User-generated state outside the warehouse: flag marks (属实/已说明/误报).

It lives in ``<home>/state/marks.sqlite`` so it survives rebuilds and rollbacks; SQLite gives
it its own single writer (transactions) independent of the DuckDB versions.
"""
from __future__ import annotations

import datetime as dt
import sqlite3
from contextlib import closing
from pathlib import Path

import pandas as pd

from pipelines.home import Home

MARK_STATUSES = ("属实", "已说明", "误报")
MARK_COLUMNS = ["flag_id", "status", "note", "marked_by", "marked_at",
                "level", "unit_id", "indicator", "task_id", "rule"]


def _connect(home: Home) -> sqlite3.Connection:
    home.state.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(home.state / "marks.sqlite", timeout=10)
    con.execute("""CREATE TABLE IF NOT EXISTS marks (
        id INTEGER PRIMARY KEY AUTOINCREMENT, flag_id TEXT NOT NULL, status TEXT NOT NULL,
        note TEXT, marked_by TEXT, marked_at TEXT NOT NULL,
        level TEXT, unit_id TEXT, indicator TEXT, task_id TEXT, rule TEXT)""")
    return con


def add_mark(home: Home, flag: dict, status: str, marked_by: str, note: str = "",
             when: dt.datetime | None = None) -> None:
    """Append a mark (history is kept; the latest mark of a flag counts)."""
    if status not in MARK_STATUSES:
        raise ValueError(f"标记只能是 {'/'.join(MARK_STATUSES)}")
    when = when or dt.datetime.now()
    row = (flag["flag_id"], status, note, marked_by, when.isoformat(timespec="seconds"),
           flag.get("level"), flag.get("unit_id"), flag.get("indicator"), flag.get("task_id"), flag.get("rule"))
    with closing(_connect(home)) as con, con:
        con.execute("""INSERT INTO marks (flag_id, status, note, marked_by, marked_at,
                       level, unit_id, indicator, task_id, rule) VALUES (?,?,?,?,?,?,?,?,?,?)""", row)


def read_marks(home: Home) -> pd.DataFrame:
    path = Path(home.state) / "marks.sqlite"
    if not path.exists():
        return pd.DataFrame(columns=MARK_COLUMNS)
    with closing(_connect(home)) as con:
        frame = pd.read_sql_query(f"SELECT {', '.join(MARK_COLUMNS)} FROM marks ORDER BY id", con)
    frame["marked_at"] = pd.to_datetime(frame["marked_at"])
    return frame
