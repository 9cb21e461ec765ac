"""The public file's tables, computed from a finished full version (read-only): the indicator
board, the unit rankings, the county trends and the unit boundaries; the counts about people
are in :mod:`pipelines.public_counts`. :mod:`pipelines.public` suppresses small groups and
writes the file. Policy (rank bands, rank basis, quadrant names) is read through
``models.config.load_reference``: a broken policy file fails the build with its ConfigError.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from models.config import load_reference
from models.period import Period, period_frame
from pipelines import db

CARDS = ("绿", "黄", "橙", "红")
SEVERITIES = ("红", "橙", "黄")
TIER_OF_BAND = {"绿": "优", "黄": "良", "橙": "中", "红": "差"}
TREND_MONTHS = 24
# Column types of every public table: empty tables keep their shape, and nothing else gets in.
SCHEMAS: dict[str, list[tuple[str, str]]] = {
    "meta": [("key", "VARCHAR"), ("value", "VARCHAR")],
    "indicator_board": [
        ("seq", "INTEGER"), ("indicator", "VARCHAR"), ("indicator_name", "VARCHAR"), ("unit", "VARCHAR"),
        ("direction", "INTEGER"), ("period", "VARCHAR"), ("year", "INTEGER"), ("month_of_year", "INTEGER"),
        ("mode", "VARCHAR"), ("aggregation", "VARCHAR"), ("n_units", "INTEGER"),
        ("value", "DOUBLE"), ("target", "DOUBLE"), ("completion", "DOUBLE"), ("elapsed", "DOUBLE"),
        ("gap", "DOUBLE"), ("on_track", "BOOLEAN"), ("status", "VARCHAR"),
    ],
    "unit_ranking": [
        ("board", "VARCHAR"), ("board_name", "VARCHAR"), ("board_seq", "INTEGER"), ("period", "VARCHAR"),
        ("measure", "VARCHAR"), ("unit", "VARCHAR"), ("unit_name", "VARCHAR"), ("unit_type", "VARCHAR"),
        ("rank", "INTEGER"), ("prev_rank", "INTEGER"), ("rank_change", "INTEGER"), ("score", "DOUBLE"),
        ("band", "VARCHAR"), ("tier", "VARCHAR"), ("n_units", "INTEGER"), ("unit_id", "VARCHAR"),
    ],
    "card_counts": [
        ("period", "VARCHAR"), ("card", "VARCHAR"), ("card_seq", "INTEGER"), ("n_tasks", "INTEGER"),
        ("n_people", "INTEGER"), ("suppressed", "BOOLEAN"),
    ],
    "flag_counts": [
        ("dimension", "VARCHAR"), ("category", "VARCHAR"), ("seq", "INTEGER"), ("n_flags", "INTEGER"),
        ("n_people", "INTEGER"), ("suppressed", "BOOLEAN"),
    ],
    "quadrant_counts": [
        ("period", "VARCHAR"), ("quadrant", "VARCHAR"), ("seq", "INTEGER"), ("n_people", "INTEGER"),
        ("suppressed", "BOOLEAN"), ("quadrant_code", "VARCHAR"),
    ],
    "trends": [
        ("series", "VARCHAR"), ("series_name", "VARCHAR"), ("period", "VARCHAR"), ("value", "DOUBLE"),
        ("unit", "VARCHAR"), ("n_people", "INTEGER"), ("suppressed", "BOOLEAN"),
    ],
    # places, not people: the wall's map draws the ranking on them
    "unit_boundaries": [("unit_id", "VARCHAR"), ("unit_name", "VARCHAR"), ("geometry", "VARCHAR")],
}
# Tables whose rows describe groups of people: each row carries n_people and may be suppressed.
PERSON_TABLES = ("card_counts", "flag_counts", "quadrant_counts")


# --- reading the full version ----------------------------------------------------------------

class _Full:
    """Read-only access to the finished full version (through pipelines.db, bound parameters)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        rel = db.query(self.path, """
            SELECT schema_name || '.' || table_name AS rel FROM duckdb_tables()
            UNION ALL
            SELECT schema_name || '.' || view_name FROM duckdb_views() WHERE NOT internal
        """)
        self.relations = set(rel["rel"])

    def has(self, relation: str) -> bool:
        return relation in self.relations

    def columns(self, relation: str) -> set[str]:
        schema, name = relation.split(".")
        frame = db.query(self.path, "SELECT column_name FROM duckdb_columns() WHERE schema_name = $s AND table_name = $t",
                         {"s": schema, "t": name})
        return set(frame["column_name"])

    def q(self, sql: str, params: dict | None = None) -> pd.DataFrame:
        return db.query(self.path, sql, params)


def _info(full: _Full) -> dict:
    if not full.has("meta.info"):
        return {}
    frame = full.q("SELECT key, value FROM meta.info")
    return dict(zip(frame["key"], frame["value"]))


def _bands() -> list[tuple[float, str]]:
    """weights.yaml's rank bands: a broken policy file fails the build (ConfigError), never a
    wall that silently disagrees with the other pages."""
    bands = load_reference("weights")["indicator_scoring"]["bands"]
    return [(float(b["max_share"]), str(b["band"])) for b in bands]


def _rank_basis(indicator: str) -> str:
    """What an indicator's rank is taken on (weights.yaml): 'completion' or 'value'."""
    scoring = load_reference("weights")["indicator_scoring"]
    spec = {**scoring["defaults"], **(scoring["indicators"].get(indicator) or {})}
    return str(spec.get("rank_basis", "value"))


def _band(rank: float, n: float, bands) -> str | None:
    if pd.isna(rank) or pd.isna(n) or n < 2:
        return None
    share = rank / n
    for max_share, band in bands:
        if share <= max_share + 1e-12:
            return band
    return bands[-1][1]


# --- indicator board -------------------------------------------------------------------------

def _additive(unit: str | None, kind: str | None, name: str | None, cumulative: bool) -> bool:
    """Can unit values be summed into a county value? (amounts yes; rates, per-mu, per-capita no)"""
    unit = unit or ""
    return bool(cumulative) and unit != "%" and "/" not in unit and kind not in ("rate", "efficiency") \
        and "人均" not in (name or "") and "率" not in unit


# The figure the unit scores use: a 核验记录's figure (marts.check_figures), else the verified
# value, else the reported one. A version built before checks existed has no check figures.
_CHECK_JOIN = """
    LEFT JOIN marts.check_figures AS c
      ON c.kind = 'series' AND c.unit_id = v.unit_id AND c.indicator = v.indicator AND c.period = v.period
"""


def _figure(full: _Full) -> tuple[str, str]:
    """(join, expression) of the assessed figure of ``staging.indicator_values AS v``."""
    if full.has("marts.check_figures"):
        return _CHECK_JOIN, "coalesce(c.figure, v.verified_value, v.value)"
    return "", "coalesce(v.verified_value, v.value)"


def _delivered_values(full: _Full) -> pd.DataFrame:
    """Every indicator value with a figure (the assessed one), its period decoded and its unit's name."""
    join, figure = _figure(full)
    return full.q(f"""
        SELECT v.unit_id, v.indicator, v.period, v.year, v.month_of_year, v.period_type,
               {figure} AS value, v.target, u.name AS unit_name
        FROM staging.indicator_values AS v {join}
        LEFT JOIN staging.units AS u ON u.unit_id = v.unit_id
        WHERE {figure} IS NOT NULL
    """)


def _parents(full: _Full) -> dict[str, str]:
    from models.hierarchy import parent_map

    return parent_map(full.q("SELECT unit_id, parent_id FROM staging.units")) if full.has("staging.units") else {}


def _native(v: pd.DataFrame) -> pd.DataFrame:
    """The rows of an indicator at its finest delivered period type (a monthly row beats a
    quarterly one)."""
    kind_order = {"month": 0, "quarter": 1, "year": 2}
    best = min(v["period_type"], key=lambda t: kind_order.get(t, 9))
    return v[v["period_type"] == best]


def indicator_board(full: _Full) -> pd.DataFrame:
    """The indicators the county delivers (built-in and its own), in the dictionary's order, each
    at its latest period of its native frequency; a tree counts each place once."""
    if not (full.has("staging.indicator_values") and full.has("staging.indicators")):
        return pd.DataFrame(columns=[c for c, _ in SCHEMAS["indicator_board"]])
    from models.hierarchy import count_once

    dictionary = full.q("""
        SELECT row_number() OVER () AS seq, indicator, name, unit, direction, cumulative, kind, core
        FROM staging.indicators
    """)
    values = _delivered_values(full)
    parents = _parents(full)
    rows = []
    delivered = dictionary[dictionary["indicator"].isin(set(values["indicator"]))]
    for seq, d in enumerate(delivered.itertuples(index=False), start=1):
        v = _native(values[values["indicator"] == d.indicator])
        row = {"seq": seq, "indicator": d.indicator, "indicator_name": d.name, "unit": d.unit,
               "direction": int(d.direction) if pd.notna(d.direction) else 1}
        key = v["year"] * 100 + v["month_of_year"]
        period = sorted(v.loc[key == key.max(), "period"])[0]
        latest = count_once(v[v["period"] == period], parents, ["period"])
        additive = _additive(d.unit, d.kind, d.name, bool(d.cumulative))
        n_units = int(latest["unit_id"].nunique())
        with_target = latest[latest["target"].notna()]
        if additive:
            value = float(latest["value"].sum())
            target = float(with_target["target"].sum()) if len(with_target) else np.nan
            achieved = float(with_target["value"].sum()) if len(with_target) else np.nan
        else:
            value = float(latest["value"].mean())
            target = float(with_target["target"].mean()) if len(with_target) else np.nan
            achieved = float(with_target["value"].mean()) if len(with_target) else np.nan
        month = int(latest["month_of_year"].iloc[0])
        year = int(latest["year"].iloc[0])
        direction = row["direction"]
        mode = "progress" if additive else "level"
        elapsed = Period.parse(period).expected_share if mode == "progress" else np.nan
        completion = achieved / target if (pd.notna(target) and target not in (0, 0.0)) else np.nan
        if mode == "progress":
            gap = (completion - elapsed) * 100.0 if pd.notna(completion) else np.nan  # pp vs 时序进度
            on_track = bool(direction * gap >= 0) if pd.notna(gap) else None
            status = "暂无目标" if on_track is None else ("快于时序" if on_track else "慢于时序")
        else:
            gap = achieved - target if pd.notna(target) else np.nan  # in the indicator's own unit
            on_track = bool(direction * gap >= -1e-9) if pd.notna(gap) else None
            status = "暂无目标" if on_track is None else ("达到目标" if on_track else "低于目标")
        single = latest["unit_name"].iloc[0] if n_units == 1 else None
        rows.append({
            **row, "period": period, "year": year, "month_of_year": month, "mode": mode,
            "aggregation": ("合计" if additive else "平均") if n_units > 1 else (single or "单一单位"),
            "n_units": n_units, "value": value, "target": target, "completion": completion,
            "elapsed": elapsed, "gap": gap, "on_track": on_track, "status": status,
        })
    return pd.DataFrame(rows, columns=[c for c, _ in SCHEMAS["indicator_board"]])


def undelivered_core(full: _Full) -> list[str]:
    """Names of the built-in core indicators with no value in the data (said on the screen)."""
    if not (full.has("staging.indicator_values") and full.has("staging.indicators")):
        return []
    join, figure = _figure(full)
    frame = full.q(f"""
        SELECT name FROM staging.indicators AS i
        WHERE core AND NOT EXISTS (SELECT 1 FROM staging.indicator_values AS v {join}
                                   WHERE v.indicator = i.indicator AND {figure} IS NOT NULL)
    """)
    return [str(n) for n in frame["name"]]


# --- unit ranking ----------------------------------------------------------------------------

def _snapshot_totals(scores: pd.DataFrame, month: int) -> pd.DataFrame:
    """Unit 综合得分 as of a month: each indicator's latest comparable score in the 12 months up to
    it, weighted by the indicator weights."""
    s = scores[(scores["end_key"] <= month) & (scores["end_key"] > month - 12)]
    if s.empty:
        return pd.DataFrame(columns=["unit_id", "total", "n_indicators"])
    s = s.sort_values("end_key").groupby(["unit_id", "indicator"], as_index=False).tail(1)
    s = s.assign(ws=s["weight"] * s["score"])
    g = s.groupby("unit_id", as_index=False).agg(ws=("ws", "sum"), w=("weight", "sum"), n_indicators=("indicator", "count"))
    g["total"] = g["ws"] / g["w"].where(g["w"] > 0)
    return g[["unit_id", "total", "n_indicators"]]


def _rank_desc(values: pd.Series) -> pd.Series:
    return values.rank(ascending=False, method="min")


def unit_ranking(full: _Full, as_of: str) -> pd.DataFrame:
    columns = [c for c, _ in SCHEMAS["unit_ranking"]]
    if not (full.has("marts.unit_scores") and full.has("staging.units")):
        return pd.DataFrame(columns=columns)
    units = full.q("SELECT unit_id, name AS unit_name, unit_type, level FROM staging.units")
    names = full.q("SELECT indicator, name, unit FROM staging.indicators")
    ind_name = dict(zip(names["indicator"], names["name"]))
    ind_unit = dict(zip(names["indicator"], names["unit"]))
    scores = full.q("""
        SELECT unit_id, indicator, period, year, value, completion, rank, score, weight, n_comparable
        FROM marts.unit_scores
        WHERE score IS NOT NULL AND n_comparable >= 2
    """)
    if scores.empty:
        return pd.DataFrame(columns=columns)
    ends = {p: Period.parse(p) for p in scores["period"].unique()}
    scores["end_key"] = scores["period"].map(lambda p: ends[p].last_month_index)
    scores["period_kind"] = scores["period"].map(lambda p: ends[p].kind)
    scores = scores.merge(units, on="unit_id")
    from models.hierarchy import LEVEL_NAMES
    bands = _bands()
    month = Period.parse(as_of).last_month_index if as_of else int(scores["end_key"].max())
    boards = []
    seq = 0
    for peer in ("town", "county", "dept", "city"):  # units are ranked only against their own level
        part = scores[scores["level"] == peer]
        if part["unit_id"].nunique() < 3:
            continue
        # 综合得分 board
        now = _snapshot_totals(part, month)
        prev = _snapshot_totals(part, month - 1)
        if len(now) >= 3:
            seq += 1
            now["rank"] = _rank_desc(now["total"])
            prev["prev_rank"] = _rank_desc(prev["total"])
            b = now.merge(prev[["unit_id", "prev_rank"]], on="unit_id", how="left").merge(units, on="unit_id")
            b = b.assign(board=f"total:{peer}", board_name=f"{LEVEL_NAMES[peer]} 综合得分", board_seq=seq,
                         period=Period.from_month_index(month).code, measure="综合得分", unit="分",
                         score=b["total"])
            boards.append(b)
        # one board per indicator, at its latest period
        for indicator in sorted(part["indicator"].unique(), key=lambda i: list(names["indicator"]).index(i)
                                if i in set(names["indicator"]) else 999):
            rows = part[part["indicator"] == indicator]
            latest_key = rows["end_key"].max()
            cur = rows[rows["end_key"] == latest_key]
            kind = cur["period_kind"].iloc[0]
            cur = cur[cur["period_kind"] == kind]
            if cur["unit_id"].nunique() < 3:
                continue
            earlier = rows[(rows["period_kind"] == kind) & (rows["end_key"] < latest_key)]
            prev = earlier[earlier["end_key"] == earlier["end_key"].max()] if len(earlier) else earlier
            seq += 1
            by_completion = _rank_basis(indicator) == "completion"
            cur = cur.assign(value=cur["completion"] * 100.0 if by_completion else cur["value"])
            b = cur[["unit_id", "period", "value", "rank"]].merge(
                prev[["unit_id", "rank"]].rename(columns={"rank": "prev_rank"}), on="unit_id", how="left")
            b = b.merge(units, on="unit_id")
            b = b.assign(board=f"{indicator}:{peer}", board_name=f"{LEVEL_NAMES[peer]} {ind_name.get(indicator, indicator)}",
                         board_seq=seq, measure="完成率" if by_completion else ind_name.get(indicator, indicator),
                         unit="%" if by_completion else ind_unit.get(indicator),
                         score=b["value"])
            boards.append(b)
    if not boards:
        return pd.DataFrame(columns=columns)
    out = pd.concat(boards, ignore_index=True)
    out["n_units"] = out.groupby("board")["unit_id"].transform("count")
    out["rank_change"] = out["prev_rank"] - out["rank"]  # positive = moved up
    out["band"] = [_band(r, n, bands) for r, n in zip(out["rank"], out["n_units"])]
    out["tier"] = out["band"].map(TIER_OF_BAND)
    out = out.sort_values(["board_seq", "rank", "unit_name"], kind="stable")
    return out[columns]


# --- trends ----------------------------------------------------------------------------------

def trends(full: _Full, board: pd.DataFrame, as_of: str) -> pd.DataFrame:
    """County series per period (months, quarters or years, as delivered): 按期推进率 of tasks,
    completion of the annual target for additive indicators, and 时序进度."""
    columns = [c for c, _ in SCHEMAS["trends"]]
    parts = []
    if full.has("marts.task_status"):
        rate = full.q("""
            SELECT period, 100.0 * avg(CASE WHEN card = '绿' THEN 1 ELSE 0 END) AS value,
                   count(DISTINCT lead_cadre_id) AS n_people
            FROM marts.task_status WHERE card IS NOT NULL GROUP BY period ORDER BY period
        """)
        parts.append(rate.assign(series="on_track_rate", series_name="任务按期推进率", unit="%",
                                 suppressed=False))  # suppressed by protect_public
    progress = board[board["mode"] == "progress"] if len(board) else board
    if len(progress):
        from models.hierarchy import count_once

        values = _delivered_values(full)
        values = values[values["indicator"].isin(set(progress["indicator"])) & values["target"].notna()]
        parents = _parents(full)
        names = dict(zip(progress["indicator"], progress["indicator_name"]))
        for indicator, v in values.groupby("indicator"):
            v = count_once(_native(v), parents, ["period"])
            g = v.groupby(["period", "month_of_year"], as_index=False).agg(value=("value", "sum"),
                                                                          target=("target", "sum"))
            g["value"] = 100.0 * g["value"] / g["target"].where(g["target"] != 0)
            parts.append(g.assign(series=f"completion:{indicator}", series_name=names[indicator], unit="%",
                                  n_people=pd.NA, suppressed=False))
            parts.append(g.assign(series="elapsed", series_name="时序进度", unit="%",
                                  value=100.0 * period_frame(g["period"])["expected_share"], n_people=pd.NA,
                                  suppressed=False))
    if not parts:
        return pd.DataFrame(columns=columns)
    out = pd.concat([p.reindex(columns=columns) for p in parts], ignore_index=True)
    out = out.drop_duplicates(["series", "period"])
    if out.empty:
        return pd.DataFrame(columns=columns)
    keys = out["period"].map(lambda p: Period.parse(p).last_month_index)
    last = Period.parse(as_of).last_month_index if as_of else int(keys.max())
    out = out[(keys > last - TREND_MONTHS) & (keys <= last)]
    return out.sort_values(["series", "period"], kind="stable")[columns]


# --- places ----------------------------------------------------------------------------------

def unit_boundaries(full: _Full) -> pd.DataFrame:
    """The delivered unit boundaries (GeoJSON geometry text) with the units' names."""
    if not full.has("staging.unit_boundaries"):
        return pd.DataFrame(columns=[c for c, _ in SCHEMAS["unit_boundaries"]])
    return full.q("""
        SELECT b.unit_id, u.name AS unit_name, b.geometry
        FROM staging.unit_boundaries AS b JOIN staging.units AS u USING (unit_id)
        ORDER BY b.unit_id
    """)
