"""The public file: aggregates only, for the city-brain big screen (ARCHITECTURE.md §1, §4).

``build_public(full_version, public_path)`` reads a finished full version read-only and writes a
NEW DuckDB file next to it (``vNNNNNN.public.duckdb``) holding only county-level aggregates and
unit (organisation) rankings:

=========================  ==========================================================================
``public.meta``            key/value: version, as_of, built_at, min_group, schema_version
``public.indicator_board`` the core indicators, county level: value, annual target, completion, 时序进度
``public.unit_ranking``    unit rankings (综合得分 and per indicator) with the previous rank and a band
``public.card_counts``     亮牌 counts per month and card colour
``public.flag_counts``     需核查 flags by severity / rule / level (empty until marts.anomalies exists)
``public.quadrant_counts`` cadres per 实绩象限 per quarter (counts only, never who)
``public.trends``          county series per month: 按期推进率, indicator completion, 时序进度
=========================  ==========================================================================

Figures are the assessed ones the cards and scores use: cards and 按期推进率 from
``marts.task_status``, rankings from ``marts.unit_scores``, indicator values with a 核验记录's
figure (``marts.check_figures``) over the verified value over the reported one.

Privacy rules, checked by tests/test_public.py:

* no person identifiers, names, ratings, comments or personal scores: units are organisations and
  their economic indicators are not personal data; everything about people is a count;
* every row computed from people carries ``n_people`` (the size of the group it describes); a
  group of 1..4 people is suppressed: its figures and ``n_people`` are NULL and ``suppressed`` is
  true. Zero stays zero (there is no one to protect);
* complementary suppression (pipelines/suppression.py): a hidden count must not come back by
  subtraction from a total an outsider knows or reads off another breakdown, nor from the
  按期推进率, so more cells (the next smallest) or the rate of that month are hidden with it.

The file is built as ``<public_path>.building`` and renamed only after CHECKPOINT and close, so a
crash never leaves a half public file under its final name (``Home.clean_partial`` removes the
leftover).
"""
from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import numpy as np
import pandas as pd

from pipelines import db
from pipelines.home import fsync_dir, fsync_file
from pipelines.suppression import MIN_GROUP, protect_public, suppress_small  # noqa: F401 (re-exported)

SCHEMA_VERSION = "1"
CARDS = ("绿", "黄", "橙", "红")
SEVERITIES = ("红", "橙", "黄")
DEFAULT_BANDS = [(0.25, "绿"), (0.50, "黄"), (0.75, "橙"), (1.00, "红")]
TIER_OF_BAND = {"绿": "优", "黄": "良", "橙": "中", "红": "差"}
QUADRANT_KEYS = ("high_high", "high_low", "low_high", "low_low", "unidentified")
DEFAULT_QUADRANTS = ("高贡献区", "逆势担当区", "平台红利区", "低效区", "贡献不确定", "不可判定")
# The public count's category: the quadrant, or 贡献不确定 for a cadre whose x is not determined
# although estimated (marts.quadrants keeps 不可判定 in `quadrant` for both).
QUADRANT_LABEL = "CASE WHEN x_status = 'uncertain' THEN '贡献不确定' ELSE quadrant END"
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
        ("suppressed", "BOOLEAN"),
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
    try:
        from models.config import load_reference

        bands = load_reference("weights")["indicator_scoring"]["bands"]
        return [(float(b["max_share"]), str(b["band"])) for b in bands]
    except Exception:  # the policy file is checked by its own tests; fall back to the documented default
        return DEFAULT_BANDS


def _rank_basis(indicator: str) -> str:
    """What an indicator's rank is taken on (weights.yaml): 'completion' or 'value'."""
    try:
        from models.config import load_reference

        scoring = load_reference("weights")["indicator_scoring"]
        spec = {**scoring["defaults"], **(scoring["indicators"].get(indicator) or {})}
        return str(spec.get("rank_basis", "value"))
    except Exception:  # the policy file is checked by its own tests
        return "value"


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
        elapsed = month / 12.0 if mode == "progress" else np.nan
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
    from models.scoring import period_info  # the one parser of canonical periods

    ends = {p: period_info(p) for p in scores["period"].unique()}
    scores["end_key"] = scores["period"].map(lambda p: ends[p][0] * 12 + ends[p][2] - 1)
    scores["period_kind"] = scores["period"].map(lambda p: ends[p][1])
    scores = scores.merge(units, on="unit_id")
    from models.hierarchy import LEVEL_NAMES
    bands = _bands()
    month = _end_key(as_of) if as_of else int(scores["end_key"].max())
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
                         period=f"{month // 12:04d}-{month % 12 + 1:02d}", measure="综合得分", unit="分",
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


# --- counts about people ---------------------------------------------------------------------

def card_counts(full: _Full) -> pd.DataFrame:
    columns = [c for c, _ in SCHEMAS["card_counts"]]
    if not full.has("marts.task_status"):
        return pd.DataFrame(columns=columns)
    frame = full.q("""
        WITH periods AS (SELECT DISTINCT period FROM marts.task_status WHERE card IS NOT NULL),
        cards AS (SELECT unnest($cards) AS card, generate_subscripts($cards, 1) AS card_seq),
        counts AS (
            SELECT period, card, count(*) AS n_tasks, count(DISTINCT lead_cadre_id) AS n_people
            FROM marts.task_status WHERE card IS NOT NULL GROUP BY period, card
        )
        SELECT p.period, c.card, c.card_seq, coalesce(n.n_tasks, 0) AS n_tasks,
               coalesce(n.n_people, 0) AS n_people
        FROM periods AS p CROSS JOIN cards AS c
        LEFT JOIN counts AS n ON n.period = p.period AND n.card = c.card
        ORDER BY p.period, c.card_seq
    """, {"cards": list(CARDS)})
    return frame.assign(suppressed=False)[columns]  # suppressed by protect_public


def flag_counts(full: _Full) -> pd.DataFrame:
    """Live flags by severity, rule and level. Group size = distinct cadres, tasks or units the
    flags concern (conservative: units are not people, but a unit-level cell is small too)."""
    columns = [c for c, _ in SCHEMAS["flag_counts"]]
    if not full.has("marts.anomalies"):
        return pd.DataFrame(columns=columns)
    cols = full.columns("marts.anomalies")
    need = {"severity", "rule", "level"}
    if not need <= cols:
        return pd.DataFrame(columns=columns)
    flags = full.q("SELECT * FROM marts.anomalies")
    live = pd.Series(True, index=flags.index)
    if "suppressed" in cols:
        live &= ~flags["suppressed"].fillna(False).astype(bool)
    if "status" in cols:
        live &= ~flags["status"].isin(["误报", "已说明"])
    flags = flags[live]
    subject = pd.Series([None] * len(flags), index=flags.index, dtype=object)
    for col, prefix in (("unit_id", "u:"), ("task_id", "t:"), ("cadre_id", "c:")):  # most specific wins
        if col in flags:
            has = flags[col].notna() & (flags[col].astype(str) != "")
            subject = subject.mask(has, prefix + flags[col].astype(str))
    flags = flags.assign(_subject=subject)
    level_names = {"task": "任务", "series": "指标", "cadre": "干部", "unit": "单位"}
    parts = []
    for dimension, col, order in (
        ("severity", "severity", list(SEVERITIES)),
        ("rule", "rule", sorted(flags["rule"].dropna().unique())),
        ("level", "level", sorted(flags["level"].dropna().unique())),
    ):
        g = flags.groupby(col).agg(n_flags=("_subject", "size"), n_people=("_subject", "nunique"))
        for seq, category in enumerate(order, start=1):
            n_flags = int(g.loc[category, "n_flags"]) if category in g.index else 0
            n_people = int(g.loc[category, "n_people"]) if category in g.index else 0
            label = level_names.get(category, category) if dimension == "level" else category
            parts.append({"dimension": dimension, "category": label, "seq": seq,
                          "n_flags": n_flags, "n_people": n_people})
    frame = pd.DataFrame(parts, columns=["dimension", "category", "seq", "n_flags", "n_people"])
    return frame.assign(suppressed=False)[columns]  # suppressed by protect_public


def _quadrant_names() -> list[str]:
    try:
        from models.config import load_reference

        from models.quadrant import UNCERTAIN_NAME

        names = load_reference("quadrants")["names"]
        order = [str(names[k]) for k in QUADRANT_KEYS if k in names]
        # 贡献不确定 (an estimate whose interval crosses the cut) counted apart, just before 不可判定
        return order[:4] + [UNCERTAIN_NAME] + order[4:]
    except Exception:  # the policy file is checked by its own tests
        return list(DEFAULT_QUADRANTS)


def quadrant_counts(full: _Full) -> pd.DataFrame:
    columns = [c for c, _ in SCHEMAS["quadrant_counts"]]
    if not full.has("marts.quadrants"):
        return pd.DataFrame(columns=columns)
    counts = full.q(f"""
        SELECT period, {QUADRANT_LABEL} AS quadrant, count(DISTINCT cadre_id) AS n_people
        FROM marts.quadrants WHERE quadrant IS NOT NULL GROUP BY ALL
    """)
    if counts.empty:
        return pd.DataFrame(columns=columns)
    order = _quadrant_names()
    order += sorted(set(counts["quadrant"]) - set(order))
    grid = pd.MultiIndex.from_product([sorted(counts["period"].unique()), order], names=["period", "quadrant"])
    frame = counts.set_index(["period", "quadrant"]).reindex(grid, fill_value=0).reset_index()
    frame["seq"] = frame["quadrant"].map({q: i for i, q in enumerate(order, start=1)})
    return frame.assign(suppressed=False)[columns]  # suppressed by protect_public


# --- trends ----------------------------------------------------------------------------------

def _end_key(period: str) -> int:
    """Months since year 0 of the last month a canonical period covers."""
    from models.scoring import period_info  # the one parser of canonical periods

    year, _, month = period_info(period)
    return year * 12 + month - 1


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
                                  value=100.0 * g["month_of_year"] / 12.0, n_people=pd.NA, suppressed=False))
    if not parts:
        return pd.DataFrame(columns=columns)
    out = pd.concat([p.reindex(columns=columns) for p in parts], ignore_index=True)
    out = out.drop_duplicates(["series", "period"])
    if out.empty:
        return pd.DataFrame(columns=columns)
    keys = out["period"].map(_end_key)
    last = _end_key(as_of) if as_of else int(keys.max())
    out = out[(keys > last - TREND_MONTHS) & (keys <= last)]
    return out.sort_values(["series", "period"], kind="stable")[columns]


# --- writing ---------------------------------------------------------------------------------

def unit_boundaries(full: _Full) -> pd.DataFrame:
    """The delivered unit boundaries (GeoJSON geometry text) with the units' names."""
    if not full.has("staging.unit_boundaries"):
        return pd.DataFrame(columns=[c for c, _ in SCHEMAS["unit_boundaries"]])
    return full.q("""
        SELECT b.unit_id, u.name AS unit_name, b.geometry
        FROM staging.unit_boundaries AS b JOIN staging.units AS u USING (unit_id)
        ORDER BY b.unit_id
    """)


def public_tables(full_version: Path) -> dict[str, pd.DataFrame]:
    """Every public table as a frame (computed from the full version; nothing written)."""
    full = _Full(full_version)
    info = _info(full)
    as_of = info.get("as_of", "") or ""
    board = indicator_board(full)
    tables = protect_public({
        "indicator_board": board,
        "unit_ranking": unit_ranking(full, as_of),
        "card_counts": card_counts(full),
        "flag_counts": flag_counts(full),
        "quadrant_counts": quadrant_counts(full),
        "trends": trends(full, board, as_of),
    })
    tables["unit_boundaries"] = unit_boundaries(full)
    meta = {
        "version": info.get("version", ""),
        "as_of": as_of,
        "source_built_at": info.get("built_at", ""),
        "built_at": dt.datetime.now().isoformat(timespec="seconds"),
        "min_group": str(MIN_GROUP),
        "schema_version": SCHEMA_VERSION,
        "has_flags": "true" if full.has("marts.anomalies") else "false",
        "undelivered_core": "、".join(undelivered_core(full)),
    }
    tables["meta"] = pd.DataFrame({"key": list(meta), "value": list(meta.values())})
    return tables


def build_public(full_version: Path, public_path: Path) -> None:
    """Write the aggregates-only public file of a finished full version (atomically)."""
    full_version, public_path = Path(full_version), Path(public_path)
    try:
        tables = public_tables(full_version)
    finally:
        db.close_reader(full_version)  # the build process does not keep the version open
    building = public_path.with_name(public_path.name + ".building")
    building.unlink(missing_ok=True)
    building.with_name(building.name + ".wal").unlink(missing_ok=True)
    con = db.connect_writer(building)
    try:
        con.execute("CREATE SCHEMA public")
        for name, schema in SCHEMAS.items():
            _write_table(con, name, schema, tables[name])
        con.execute("CHECKPOINT")
    finally:
        con.close()
    if building.with_name(building.name + ".wal").exists():
        raise RuntimeError("DuckDB left a WAL after CHECKPOINT; refusing to publish the public file")
    fsync_file(building)
    os.replace(building, public_path)
    fsync_dir(public_path.parent)


def _write_table(con, name: str, schema: list[tuple[str, str]], frame: pd.DataFrame) -> None:
    ddl = ", ".join(f'"{c}" {t}' for c, t in schema)
    con.execute(f"CREATE TABLE public.{name} ({ddl})")  # names and types from SCHEMAS only
    if frame is None or frame.empty:
        return
    out = frame.reindex(columns=[c for c, _ in schema]).copy()
    for col, typ in schema:  # plain object columns so pandas NA becomes SQL NULL whatever the dtype
        out[col] = out[col].astype(object).where(out[col].notna(), None)
    con.register("public_df", out)
    try:
        select = ", ".join(f'CAST("{c}" AS {t})' for c, t in schema)
        con.execute(f"INSERT INTO public.{name} SELECT {select} FROM public_df")
    finally:
        con.unregister("public_df")
    got = con.execute(f"SELECT count(*) FROM public.{name}").fetchone()[0]
    if got != len(out):
        raise RuntimeError(f"public.{name}: expected {len(out)} rows, found {got}")
