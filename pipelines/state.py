"""User-generated state outside the warehouse: flag marks (属实/已说明/误报) and 核验记录
written on the desk or the briefing page.

It lives in ``<home>/state/marks.sqlite`` so it survives rebuilds and rollbacks; SQLite gives
it its own single writer (transactions) independent of the DuckDB versions. Every build applies
the whole store and records how far it read (:func:`stamp`), so a page can tell whether the
current version already contains the latest entries.
"""
from __future__ import annotations

import datetime as dt
import math
import sqlite3
from contextlib import closing
from pathlib import Path

import pandas as pd

from pipelines.contract import CHECK_RESULTS, TABLES
from pipelines.home import Home

MARK_STATUSES = ("属实", "已说明", "误报")
MARK_COLUMNS = ["flag_id", "status", "note", "marked_by", "marked_at",
                "level", "unit_id", "indicator", "task_id", "rule"]


def _store(home: Home) -> Path:
    return Path(home.state) / "marks.sqlite"


def _connect(home: Home) -> sqlite3.Connection:
    home.state.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(_store(home), timeout=10)
    con.execute("""CREATE TABLE IF NOT EXISTS marks (
        id INTEGER PRIMARY KEY AUTOINCREMENT, flag_id TEXT NOT NULL, status TEXT NOT NULL,
        note TEXT, marked_by TEXT, marked_at TEXT NOT NULL,
        level TEXT, unit_id TEXT, indicator TEXT, task_id TEXT, rule TEXT)""")
    con.execute("""CREATE TABLE IF NOT EXISTS checks (
        id INTEGER PRIMARY KEY AUTOINCREMENT, check_id TEXT UNIQUE, flag_id TEXT, task_id TEXT,
        unit_id TEXT, indicator TEXT, period TEXT, result TEXT NOT NULL, verified_value REAL,
        verified_pct REAL, note TEXT, checked_at TEXT, checked_by TEXT, entered_at TEXT NOT NULL)""")
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
    if not _store(home).exists():
        return pd.DataFrame(columns=MARK_COLUMNS)
    with closing(_connect(home)) as con:
        frame = pd.read_sql_query(f"SELECT {', '.join(MARK_COLUMNS)} FROM marks ORDER BY id", con)
    frame["marked_at"] = pd.to_datetime(frame["marked_at"])
    return frame


CHECK_COLUMNS = TABLES["checks"].column_names
# What a web-entered check may carry besides its result: the target fields it names.
TARGET_FIELDS = ("flag_id", "task_id", "unit_id", "indicator", "period")


def _text(v) -> str | None:
    return None if v is None or (isinstance(v, float) and math.isnan(v)) or str(v).strip() == "" else str(v)


def add_check(home: Home, target: dict, result: str, checked_by: str, note: str = "",
              verified_value: float | None = None, verified_pct: float | None = None,
              checked_at: dt.date | None = None, when: dt.datetime | None = None) -> str:
    """Record a 核验记录 entered in the app and return its check_id (``WEB-<date>-<n>``).

    Held to the same rules as the contract table: a result from the list, a target (a flag, a
    task, or a unit's indicator in a period), a progress between 0 and 100, a finite figure.
    Raises ``ValueError`` with a Chinese message and stores nothing otherwise."""
    if result not in CHECK_RESULTS:
        raise ValueError(f"核验结论只能是 {'/'.join(CHECK_RESULTS)}")
    fields = {k: _text(target.get(k)) for k in TARGET_FIELDS}
    series = all(fields[k] for k in ("unit_id", "indicator", "period"))
    if not (fields["flag_id"] or fields["task_id"] or series):
        raise ValueError("核验记录须指明核验对象:线索编号,或任务编码,或单位编码+指标+期间")
    if verified_pct is not None and not (math.isfinite(verified_pct) and 0 <= verified_pct <= 100):
        raise ValueError("核实进度须在 0 到 100 之间")
    if verified_value is not None and not math.isfinite(verified_value):
        raise ValueError("核实值须为数字")
    when = when or dt.datetime.now()
    checked_at = checked_at or when.date()
    with closing(_connect(home)) as con, con:
        cur = con.execute(
            """INSERT INTO checks (flag_id, task_id, unit_id, indicator, period, result, verified_value,
               verified_pct, note, checked_at, checked_by, entered_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)""",
            (*fields.values(), result, verified_value, verified_pct, note or None, checked_at.isoformat(),
             checked_by, when.isoformat(timespec="seconds")))
        check_id = f"WEB-{when:%Y%m%d}-{cur.lastrowid:04d}"
        con.execute("UPDATE checks SET check_id = ? WHERE id = ?", (check_id, cur.lastrowid))
    return check_id


def read_checks(home: Home) -> pd.DataFrame:
    """The app-entered checks, in the contract table's columns (entry order; ``entered_at`` kept)."""
    if not _store(home).exists():
        return pd.DataFrame(columns=[*CHECK_COLUMNS, "entered_at"])
    with closing(_connect(home)) as con:
        frame = pd.read_sql_query(f"SELECT {', '.join(CHECK_COLUMNS)}, entered_at FROM checks ORDER BY id", con)
    frame["checked_at"] = pd.to_datetime(frame["checked_at"])
    frame["entered_at"] = pd.to_datetime(frame["entered_at"])
    return frame


def stamp(home: Home) -> dict[str, int]:
    """How many marks and checks the store holds (both only grow): a build records the stamp it
    applied, and a page compares it with the store's to say whether a rebuild is pending."""
    if not _store(home).exists():
        return {"marks": 0, "checks": 0}
    with closing(_connect(home)) as con:
        return {t: con.execute(f"SELECT coalesce(max(id), 0) FROM {t}").fetchone()[0] for t in ("marks", "checks")}
