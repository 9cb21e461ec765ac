"""A hand-built data home for the landing page tests: three units, four cadres, two months of
values, four tasks, five flags, two quarters of quadrants; a second version one month later.

Written straight into version files (no ingest, no models), so every number the landing page
shows can be checked by hand from the rows below, and building it takes well under a second.

Hand-checked truth (version 1, as of 2025-06):
- 一般公共预算收入 2025-06: 7,500 + 9,000 + 5,000 = 21,500 万元 (2.15 亿元); the units with a
  target: 16,500 of 30,000 = 55.0 % against 时序进度 6/12 = 50 % → +5.0 个百分点, 快于时序.
  T01 alone: 7,500 / 16,000 = 46.9 % → -3.1 个百分点, 慢于时序.
- 规上工业增加值增速 2025-06: mean (5.0, 8.0) = 6.5 % against 6.0 % → +0.5 个百分点, 达到目标.
- cards 2025-06: K1, K2, K4 红, K3 绿; T01 sees K1 and K4, K4's leader C02 sits in T02.
- open flags: F1 (红, 2025-06), F4 (红, 属实, 2025-03), F5 (黄, 2024-11); F2 误报 and F3
  suppressed are closed.
- quadrants 2025-Q2: C01 高贡献区, C02 低效区 (determined), C03 uncertain, C04 unidentified;
  T01 sees only C01 (C04 moved from T01 to T02).
Version 2 (as of 2025-07): new flag F6 (T03); K1 红 → 绿 (better), K3 绿 → 橙 (worse); two more
task_progress rows.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml

from pipelines import build, db
from pipelines.home import Home

UNITS = pd.DataFrame({"unit_id": ["T01", "T02", "T03"], "name": ["城关镇", "东湖镇", "西山乡"],
                      "unit_type": ["镇", "镇", "乡"], "parent_id": [None, None, None],
                      "is_town_level": [True] * 3, "level": ["town"] * 3})
CADRES = pd.DataFrame({"cadre_id": ["C01", "C02", "C03", "C04"], "name": ["张伟", "王芳", "李强", "刘洋"],
                       "birth_year": [1975, 1980, 1978, 1985], "rank": ["正科"] * 4, "role_type": ["综合"] * 4})
ASSIGNMENTS = pd.DataFrame({
    "cadre_id": ["C01", "C02", "C03", "C04", "C04"], "unit_id": ["T01", "T02", "T03", "T01", "T02"],
    "post": ["书记"] * 5, "start": pd.to_datetime(["2020-01-01"] * 4 + ["2024-01-01"]),
    "end": pd.to_datetime([None, None, None, "2023-12-31", None]), "in_post": [True, True, True, False, True],
    "share": [1.0, 1.0, 1.0, 1.0, 0.5]})
INDICATORS = pd.DataFrame({
    "indicator": ["gpb_revenue", "ind_va_growth", "exports", "c_visits"],
    "name": ["一般公共预算收入", "规上工业增加值增速", "货物出口额", "走访企业数"],
    "unit": ["万元", "%", "万元", "家"], "direction": [1] * 4, "frequency": ["month"] * 4,
    "cumulative": [True] * 4, "kind": ["hard", "volume", "volume", "volume"], "unit_types": [""] * 4,
    "core": [True, True, True, False]})
VALUES = [  # unit, indicator, period, value, target
    ("T01", "gpb_revenue", "2025-05", 6000.0, 16000.0), ("T01", "gpb_revenue", "2025-06", 7500.0, 16000.0),
    ("T02", "gpb_revenue", "2025-06", 9000.0, 14000.0), ("T03", "gpb_revenue", "2025-06", 5000.0, None),
    ("T01", "ind_va_growth", "2025-06", 5.0, 6.0), ("T02", "ind_va_growth", "2025-06", 8.0, 6.0),
    ("T01", "exports", "2025-06", 300.0, None),  # a core indicator without a target: not a headline
    ("T01", "c_visits", "2025-06", 12.0, 10.0),  # not core: not a headline
]
TASKS = [("K1", "T01", "C01", "园区道路"), ("K2", "T02", "C02", "污水管网"), ("K3", "T02", "C04", "老旧小区"),
         ("K4", "T01", "C02", "招商大厅")]
CARDS_V1 = {"2025-05": {"K1": "黄", "K2": "绿", "K3": "红"}, "2025-06": {"K1": "红", "K2": "红", "K3": "绿", "K4": "红"}}
CARDS_V2 = {**CARDS_V1, "2025-07": {"K1": "绿", "K2": "红", "K3": "橙", "K4": "红"}}
FLAGS_V1 = [  # flag_id, level, unit, severity, period_end, status, suppressed
    ("F1", "series", "T01", "红", "2025-06", None, False), ("F2", "task", "T02", "橙", "2025-06", "误报", False),
    ("F3", "series", "T02", "黄", "2025-04", None, True), ("F4", "task", "T02", "红", "2025-03", "属实", False),
    ("F5", "series", "T03", "黄", "2024-11", None, False),
]
FLAGS_V2 = FLAGS_V1 + [("F6", "series", "T03", "红", "2025-07", None, False)]
QUADRANTS = [  # cadre, period, quadrant_code, x_status
    ("C01", "2025-Q1", "low_low", "determined"), ("C02", "2025-Q1", "low_low", "determined"),
    ("C01", "2025-Q2", "high_high", "determined"), ("C02", "2025-Q2", "low_low", "determined"),
    ("C03", "2025-Q2", "unidentified", "uncertain"), ("C04", "2025-Q2", "unidentified", "unidentified"),
]


def _month_end(period: str) -> pd.Timestamp:
    return pd.Period(period, "M").end_time.normalize()


def _frames(as_of: str, cards: dict, flags: list, progress_rows: int, parts: set) -> dict[str, pd.DataFrame]:
    out = {"meta.info": pd.DataFrame({"key": ["version", "as_of", "schema_version", "built_at"],
                                      "value": ["", as_of, str(build.SCHEMA_VERSION), "2026-01-01T00:00:00"]}),
           "meta.batches": pd.DataFrame({"batch_seq": [1], "accepted_at": ["2026-01-01T00:00:00"], "source": ["手工"],
                                         "files": ["{}"], "kind": ["folder"], "demo": [False], "replace_tables": [""]}),
           "staging.units": UNITS, "staging.cadres": CADRES, "staging.assignments": ASSIGNMENTS,
           "raw.units": UNITS[["unit_id", "name"]], "raw.cadres": CADRES[["cadre_id", "name"]],
           "raw.assignments": ASSIGNMENTS[["cadre_id", "unit_id"]]}
    if "values" in parts:
        v = pd.DataFrame(VALUES, columns=["unit_id", "indicator", "period", "value", "target"])
        v["year"] = v["period"].str[:4].astype(int)
        v["month_of_year"] = v["period"].str[5:].astype(int)
        v["period_type"] = "month"
        v["verified_value"] = float("nan")
        out.update({"staging.indicators": INDICATORS, "staging.indicator_values": v,
                    "raw.indicator_values": v[["unit_id", "indicator", "period"]]})
    if "tasks" in parts:
        tasks = pd.DataFrame(TASKS, columns=["task_id", "unit_id", "lead_cadre_id", "title"])
        status = pd.DataFrame([(t, p, c) for p, by in cards.items() for t, c in by.items()],
                              columns=["task_id", "period", "card"]).merge(tasks, on="task_id")
        status["period_end"] = [_month_end(p) for p in status["period"]]
        out.update({"staging.tasks": tasks, "marts.task_status": status, "raw.tasks": tasks[["task_id"]],
                    "raw.task_progress": pd.DataFrame({"task_id": ["K1"] * progress_rows})})
        f = pd.DataFrame(flags, columns=["flag_id", "level", "unit_id", "severity", "period_end", "status",
                                         "suppressed"])
        for col in ("cadre_id", "task_id", "indicator", "indicator_name", "rule", "rules", "reason", "check_hint",
                    "measure", "onset", "check_id", "check_result"):
            f[col] = None
        for col in ("score", "rank_score", "age_months", "actual", "expected", "peer_median", "iforest_score"):
            f[col] = 1.0
        f["period_start"], f["rule"], f["budget_demoted"] = f["period_end"], "突变", False
        out["marts.anomalies"] = f
    if "quadrants" in parts:
        q = pd.DataFrame(QUADRANTS, columns=["cadre_id", "period", "quadrant_code", "x_status"])
        q["identified"] = q["x_status"] != "unidentified"
        q["x"], q["y"] = 0.0, 0.5
        out["marts.quadrants"] = q
    return out


def write_version(home: Home, version: str, frames: dict[str, pd.DataFrame]) -> Path:
    home.ensure()
    path = home.version_path(version)
    frames["meta.info"].loc[frames["meta.info"]["key"] == "version", "value"] = version
    con = db.connect_writer(path)
    try:
        for schema in ("meta", "raw", "staging", "marts"):
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        for name, frame in frames.items():
            con.register("frame", frame)
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM frame")
            con.unregister("frame")
    finally:
        con.close()
    home.publish(version)
    return path


ALL = {"values", "tasks", "quadrants"}


def landing_home(root: Path, second: bool = True, parts: set = ALL) -> Home:
    """The hand-built home: version 1, and with ``second`` version 2 published on top."""
    home = Home(root)
    write_version(home, "v000001", _frames("2025-06", CARDS_V1, FLAGS_V1, 3, parts))
    if second:
        write_version(home, "v000002", _frames("2025-07", CARDS_V2, FLAGS_V2, 5, parts))
    users = {"ana": {"role": "analyst"}, "insp": {"role": "inspector", "units": ["T01"]},
             "adm": {"role": "admin"}, "wall": {"role": "screen"}}
    (home.root / "access.yaml").write_text(yaml.safe_dump({"identity": "local", "users": users}), encoding="utf-8")
    return home
