"""Anomaly flags (需核查, never a verdict): entry points.

docs/domain.md §6, docs/contract.md §3 ``anomalies``. Pure analytics on data
frames; the warehouse, the feedback store and the UI call these functions.

* ``detect_series_anomalies`` — indicator rules per unit × indicator against peers
  (the package models/rules/ has the method, one module per rule).
* ``detect_task_anomalies`` — exact task rules (models/anomaly_tasks.py).
* ``detect_rating_anomalies`` — 360° rating collusion (评价雷同) and rating rings (互评抬分) as
  cadre flags (models/rating_rules.py).
* ``apply_feedback`` — 属实 / 已说明 / 误报 marks; 已说明 suppresses repeats; then the monthly
  alert budget (``apply_alert_budget``) on what is left.
* ``rule_precision`` — confirmed precision per rule from the marks.
* ``inspection_targets`` — ranked units and cadres for field visits (定向考察触发).
* ``run_anomalies`` — all of the above in the order the integrator needs.

Every returned flag table has the CONTRACT columns in order, then ``rules`` (all fired rules,
';'-joined), ``actual`` / ``expected`` / ``peer_median`` (in the unit named by ``measure``),
``measure``, ``onset``, ``iforest_score`` (IsolationForest second opinion, series only; higher =
more unusual) and ``indicator_name``.

Peer groups: towns (街道/镇/乡) and 平台 are pooled, 部门 form their own group (``peer_groups``
in anomaly.yaml); a group too small to calibrate against is merged with all units reporting the
indicator.
"""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from models.anomaly_tasks import detect_tasks
from models.config import load_reference
from models.flag_status import live_flags
from models.period import Period, period_frame
from models.rating_rules import detect_rating_anomalies
from models.rules.detector import detect_series
from models.rules.flags import ALL_COLUMNS, FLAG_COLUMNS, empty_flags, fmt_num, load_config, resolve_config
from models.rules.panel import normalize_indicators

__all__ = [
    "FLAG_COLUMNS", "ALL_COLUMNS", "load_config", "detect_series_anomalies", "detect_task_anomalies",
    "detect_rating_anomalies", "apply_alert_budget", "apply_feedback", "rule_precision", "inspection_targets", "run_anomalies",
    "load_indicators",
]


def _cfg(config: Mapping | None) -> dict:
    return resolve_config(config)


def load_indicators(path=None) -> dict:
    """The indicator dictionary (data/reference/indicators.yaml, or the file at ``path``) as
    code -> attributes, read through the one reference loader."""
    if path is None:
        return normalize_indicators(load_reference("indicators"))
    return normalize_indicators(load_reference(Path(path).name, Path(path).parent))


def detect_series_anomalies(values: pd.DataFrame, indicators: Mapping, units: pd.DataFrame,
                            config: Mapping | None = None) -> pd.DataFrame:
    """Indicator anomalies, one flag per unit × indicator series (all fired rules in ``rules``).

    ``values``: unit_id, indicator, period, value, target, cumulative (optional:
    verified_value). Which series are volume, efficiency or hard evidence comes from each
    indicator's ``kind``, so client-defined indicators are handled the same way."""
    return detect_series(values, indicators, units, _cfg(config))


def detect_task_anomalies(tasks: pd.DataFrame, progress: pd.DataFrame, config: Mapping | None = None,
                          as_of: str | None = None) -> pd.DataFrame:
    """Task anomalies, one flag per task carrying every task rule that fired."""
    return detect_tasks(tasks, progress, _cfg(config), as_of)


def _last_month(value) -> int:
    """Month index of the last month of a period code, or of a date (an as-of may be either)."""
    try:
        return Period.parse(value).last_month_index
    except ValueError:
        day = pd.Timestamp(str(value))
        return day.year * 12 + day.month - 1


def _flag_month(period_end) -> str:
    if period_end is None or (isinstance(period_end, float) and np.isnan(period_end)):
        return "—"
    return Period.from_month_index(_last_month(period_end)).code


def apply_alert_budget(flags: pd.DataFrame, config: Mapping | None = None) -> pd.DataFrame:
    """At most ``budget.red_per_month`` 红 per month (month of period_end), by score; the rest
    become 橙 with ``budget_demoted`` = True and a note in the reason. Suppressed flags neither
    count nor change."""
    cfg = _cfg(config)
    out = flags.copy()
    out["budget_demoted"] = False
    if out.empty:
        return out
    cap = int(cfg["budget"]["red_per_month"])
    note = cfg["budget"]["note"].format(cap=cap)
    live = ~out["suppressed"].fillna(False).astype(bool) if "suppressed" in out else pd.Series(True, index=out.index)
    red = out[live & (out["severity"] == "红")]
    month = red["period_end"].map(_flag_month)
    order = red.assign(_m=month).sort_values(["_m", "score", "flag_id"], ascending=[True, False, True])
    rank = order.groupby("_m").cumcount()
    demote = rank[rank >= cap].index
    out.loc[demote, "severity"] = "橙"
    out.loc[demote, "budget_demoted"] = True
    out.loc[demote, "reason"] = out.loc[demote, "reason"].astype(str) + note
    return out


def _key(df: pd.DataFrame) -> pd.Series:
    cols = ["level", "unit_id", "indicator", "task_id", "rule"]
    parts = [df[c].astype(object).where(df[c].notna(), "").astype(str) if c in df else pd.Series("", index=df.index)
             for c in cols]
    key = parts[0].str.cat(parts[1:], sep="|")
    if "cadre_id" in df and "level" in df:
        # Cadre flags (360° ratings) have no indicator or task: the cadre tells them apart. Stored
        # marks carry no cadre_id, so such a mark then matches its own flag only, never a colleague's.
        cadre = df["level"].astype(str).eq("cadre")
        who = df["cadre_id"].astype(object).where(df["cadre_id"].notna(), "").astype(str)
        key = key.where(~cadre, key + "|" + who)
    return key


def _latest_marks(feedback: pd.DataFrame | None, cfg: Mapping) -> pd.DataFrame:
    if feedback is None or len(feedback) == 0:
        return pd.DataFrame(columns=["flag_id", "status", "marked_at"])
    fb = feedback.copy()
    allowed = set(cfg["feedback"]["statuses"])
    bad = set(fb["status"].dropna().astype(str)) - allowed
    if bad:
        raise ValueError(f"未知的反馈状态: {sorted(bad)}（应为 {'/'.join(cfg['feedback']['statuses'])}）")
    fb["flag_id"] = fb["flag_id"].astype(str)
    fb["marked_at"] = pd.to_datetime(fb["marked_at"], errors="coerce")
    fb = fb.sort_values(["flag_id", "marked_at"], kind="mergesort")
    return fb.drop_duplicates("flag_id", keep="last")


def apply_feedback(flags: pd.DataFrame, feedback: pd.DataFrame | None, config: Mapping | None = None) -> pd.DataFrame:
    """Join the latest mark per flag (``status``: 属实/已说明/误报, empty = unmarked).

    An 已说明 mark suppresses that flag and later flags with the same level + unit + indicator +
    task + rule whose period_end is at most ``feedback.explained_valid_months`` months after the
    mark (``suppressed`` = True, ``suppressed_by`` = the marked flag_id); they stay in the table
    for the record but are left out of the alert budget and of the inspection ranking. The key
    of a marked flag comes from the feedback row when it carries level/unit_id/indicator/task_id/
    rule columns (store them: ids change when an onset moves), else from ``flags``. Then the
    monthly alert budget is applied."""
    cfg = _cfg(config)
    out = flags.copy()
    out["status"] = pd.Series([None] * len(out), index=out.index, dtype=object)
    out["suppressed"] = False
    out["suppressed_by"] = pd.Series([None] * len(out), index=out.index, dtype=object)
    marks = _latest_marks(feedback, cfg)
    if len(out) and len(marks):
        status = dict(zip(marks["flag_id"], marks["status"]))
        out["status"] = out["flag_id"].astype(str).map(status).astype(object)
        key_cols = ["level", "unit_id", "indicator", "task_id", "rule"]
        if all(c in marks for c in key_cols):
            mk = marks.assign(_k=_key(marks))
        else:
            mk = marks.merge(flags[["flag_id"] + key_cols].assign(flag_id=flags["flag_id"].astype(str)),
                             on="flag_id", how="left")
            mk["_k"] = _key(mk)
        explained = mk[mk["status"] == "已说明"]
        if len(explained):
            valid = int(cfg["feedback"]["explained_valid_months"])
            fkey = _key(out)
            fmonth = out["period_end"].map(lambda p: _last_month(p) if isinstance(p, str) else np.nan)
            for _, m in explained.iterrows():
                mm = m["marked_at"]
                mark_month = mm.year * 12 + mm.month - 1 if pd.notna(mm) else None
                same = fkey == m["_k"]
                if mark_month is not None:
                    same &= fmonth.isna() | (fmonth <= mark_month + valid)
                same |= out["flag_id"].astype(str) == m["flag_id"]
                hit = same & ~out["suppressed"]
                out.loc[hit, "suppressed"] = True
                out.loc[hit, "suppressed_by"] = m["flag_id"]
                out.loc[hit & out["status"].isna(), "status"] = "已说明"
    out = apply_alert_budget(out, cfg)
    return out.sort_values(["suppressed", "score", "flag_id"], ascending=[True, False, True],
                           kind="mergesort").reset_index(drop=True)


def rule_precision(flags: pd.DataFrame, feedback: pd.DataFrame | None, config: Mapping | None = None) -> pd.DataFrame:
    """Confirmed precision per rule from the marks (latest mark per flag).

    A flag counts for every rule in its ``rules``. precision = 属实 / marked;
    precision_excl_explained = 属实 / (属实 + 误报) (an 已说明 flag had a legitimate reason);
    precision_smoothed = (属实 + 1) / (marked + 2), for rules with few marks."""
    cfg = _cfg(config)
    cols = ["rule", "n_flags", "n_marked", "n_confirmed", "n_explained", "n_false", "precision",
            "precision_excl_explained", "precision_smoothed"]
    if flags is None or flags.empty:
        return pd.DataFrame(columns=cols)
    f = flags[["flag_id", "rules"]].copy()
    f["flag_id"] = f["flag_id"].astype(str)
    f["rule"] = f["rules"].fillna("").astype(str).str.split(";")
    f = f.explode("rule")
    f = f[f["rule"] != ""]
    marks = _latest_marks(feedback, cfg)[["flag_id", "status"]]
    f = f.merge(marks, on="flag_id", how="left")
    g = f.groupby("rule")
    res = pd.DataFrame({
        "n_flags": g.size(),
        "n_marked": g["status"].count(),
        "n_confirmed": g["status"].apply(lambda s: int((s == "属实").sum())),
        "n_explained": g["status"].apply(lambda s: int((s == "已说明").sum())),
        "n_false": g["status"].apply(lambda s: int((s == "误报").sum())),
    }).reset_index()
    with np.errstate(invalid="ignore", divide="ignore"):
        res["precision"] = np.where(res["n_marked"] > 0, res["n_confirmed"] / res["n_marked"], np.nan)
        both = res["n_confirmed"] + res["n_false"]
        res["precision_excl_explained"] = np.where(both > 0, res["n_confirmed"] / both, np.nan)
    res["precision_smoothed"] = (res["n_confirmed"] + 1) / (res["n_marked"] + 2)
    return res[cols].sort_values("rule").reset_index(drop=True)


def _low_zone_streak(history: pd.DataFrame, zone: str) -> pd.DataFrame:
    """Per cadre: consecutive latest quarters in ``zone`` and the total number in it."""
    rows = []
    for cid, g in history.sort_values("period").groupby("cadre_id"):
        q = g["quadrant"].astype(str).tolist()
        streak = 0
        for x in reversed(q):
            if x != zone:
                break
            streak += 1
        rows.append({"cadre_id": cid, "streak": streak, "total": sum(x == zone for x in q),
                     "last": g["period"].iloc[-1]})
    return pd.DataFrame(rows, columns=["cadre_id", "streak", "total", "last"])


def inspection_targets(flags: pd.DataFrame, cards: pd.DataFrame | None, quadrant_history: pd.DataFrame | None,
                       config: Mapping | None = None) -> pd.DataFrame:
    """Units and cadres ranked for a field visit (定向考察触发), each with its reasons.

    Score = Σ severity weight of the live flags (not suppressed, not marked 误报/已说明)
    + Σ card weight of the red/orange/yellow cards in the last ``card_window_months`` months
    + ``low_zone_weight`` per consecutive latest quarter in 低效区 (from ``low_zone_min_quarters``).
    Series flags count for their unit; task flags for the unit and the lead cadre."""
    cfg = _cfg(config)
    icfg = cfg["inspection"]
    cols = ["level", "unit_id", "cadre_id", "score", "reasons", "rank", "n_flags", "n_red_flags",
            "n_red_cards", "low_zone_quarters"]
    sw, cw = icfg["severity_weight"], icfg["card_weight"]
    acc: dict[tuple[str, str], dict] = {}

    def slot(level, key, unit=None):
        s = acc.setdefault((level, key), {"level": level, "unit_id": unit if level == "cadre" else key,
                                          "cadre_id": key if level == "cadre" else None, "score": 0.0,
                                          "reasons": [], "n_flags": 0, "n_red_flags": 0, "n_red_cards": 0,
                                          "low_zone_quarters": 0})
        if level == "cadre" and s["unit_id"] is None and unit is not None:
            s["unit_id"] = unit
        return s

    f = flags.copy() if flags is not None else empty_flags()
    if len(f):
        f = f[live_flags(f)]
    for level, col in (("unit", "unit_id"), ("cadre", "cadre_id")):
        sub = f[f[col].notna()] if len(f) else f
        if not len(sub):
            continue
        aged = age_factor(sub["age_months"].fillna(0), cfg) if "age_months" in sub else 1.0
        sub = sub.assign(_k=sub[col].astype(str), _w=sub["severity"].map(sw).fillna(0.0) * aged)
        counts = pd.crosstab(sub["_k"], sub["severity"])
        weight = sub.groupby("_k")["_w"].sum()
        by = "rank_score" if "rank_score" in sub else "score"
        top = sub.sort_values([by, "flag_id"], ascending=[False, True]).drop_duplicates("_k").set_index("_k")
        home = sub.groupby("_k")["unit_id"].agg(lambda u: u.mode().iat[0] if u.notna().any() else None)
        for key in counts.index:
            s = slot(level, key, home[key])
            n = int(counts.loc[key].sum())
            s["score"] += float(weight[key])
            s["n_flags"] += n
            s["n_red_flags"] += int(counts.loc[key].get("红", 0))
            t = top.loc[key]
            what = t["indicator_name"] if isinstance(t.get("indicator_name"), str) else (t.get("task_id") or "")
            if not what and isinstance(t.get("period_start"), str):  # a cadre (360° rating) flag: its year
                what = f"{t['period_start']}年" if t["period_start"].isdigit() else t["period_start"]
            desc = "、".join(f"{c}色{int(counts.loc[key, c])}条" for c in ("红", "橙", "黄")
                            if c in counts.columns and counts.loc[key, c] > 0)
            s["reasons"].append(f"预警{n}条（{desc}），最高为{t['rule']}·{what}（得分{fmt_num(t['score'])}）")
    if cards is not None and len(cards):
        c = cards.copy()
        ends = period_frame(c["period"])  # task periods may be months or quarters
        month = ends["year"] * 12 + ends["end_month"] - 1
        c = c[(month > month.max() - int(icfg["card_window_months"])) & c["card"].isin(list(cw))]
        for level, col in (("unit", "unit_id"), ("cadre", "cadre_id")):
            sub = c[c[col].notna()] if col in c else c.iloc[:0]
            if not len(sub):
                continue
            sub = sub.assign(_k=sub[col].astype(str))
            counts = pd.crosstab(sub["_k"], sub["card"])
            home = (sub.groupby("_k")["unit_id"].agg(lambda u: u.mode().iat[0] if u.notna().any() else None)
                    if "unit_id" in sub else pd.Series(None, index=counts.index))
            for key in counts.index:
                s = slot(level, key, home[key])
                row = counts.loc[key]
                s["score"] += float(sum(cw[k] * int(n) for k, n in row.items()))
                s["n_red_cards"] += int(row.get("红", 0))
                desc = "、".join(f"{k}牌{int(row[k])}张" for k in ("红", "橙", "黄") if k in row.index and row[k] > 0)
                s["reasons"].append(f"近{icfg['card_window_months']}个月亮牌：{desc}")
    if quadrant_history is not None and len(quadrant_history):
        zone, need = icfg["low_zone"], int(icfg["low_zone_min_quarters"])
        for _, r in _low_zone_streak(quadrant_history, zone).iterrows():
            if r["streak"] < need:
                continue
            s = slot("cadre", str(r["cadre_id"]))
            s["score"] += float(icfg["low_zone_weight"]) * r["streak"]
            s["low_zone_quarters"] = int(r["streak"])
            s["reasons"].append(f"截至{r['last']}已连续{int(r['streak'])}个季度处于{zone}（累计{int(r['total'])}个季度）")
    if not acc:
        return pd.DataFrame(columns=cols)
    out = pd.DataFrame(list(acc.values()))
    out["reasons"] = out["reasons"].map("；".join)
    out["score"] = out["score"].round(3)
    out = out[out["score"] > 0].sort_values(["score", "level", "unit_id", "cadre_id"],
                                            ascending=[False, True, True, True], kind="mergesort")
    out = out.head(int(icfg["top_n"])).reset_index(drop=True)
    out["rank"] = np.arange(1, len(out) + 1)
    return out[cols]


def age_factor(age_months, config: Mapping | None = None):
    """Weight of evidence that is ``age_months`` old (1 for this month, ½ after a half-life)."""
    half = float(_cfg(config)["ageing"]["half_life_months"])
    return 0.5 ** (np.clip(np.asarray(age_months, dtype=float), 0, None) / half)


def apply_ageing(flags: pd.DataFrame, as_of: str | None, config: Mapping | None = None) -> pd.DataFrame:
    """``age_months`` (from the flag's last period to ``as_of``) and ``rank_score`` = score ×
    age factor, by which flags are ranked; without ``as_of`` the latest flag month is used."""
    out = flags.copy()
    if out.empty:
        return out.assign(age_months=pd.Series(dtype="float64"), rank_score=pd.Series(dtype="float64"))
    month = out["period_end"].map(lambda p: _last_month(p) if isinstance(p, str) and p else np.nan)
    now = _last_month(as_of) if as_of else month.max()
    out["age_months"] = (now - month).clip(lower=0)
    out["rank_score"] = out["score"].astype(float) * age_factor(out["age_months"].fillna(0), config)
    return out.sort_values(["suppressed", "rank_score", "flag_id"], ascending=[True, False, True],
                           kind="mergesort").reset_index(drop=True)


def run_anomalies(values: pd.DataFrame | None, indicators: Mapping | None, units: pd.DataFrame | None,
                  tasks: pd.DataFrame | None = None, progress: pd.DataFrame | None = None,
                  feedback: pd.DataFrame | None = None, config: Mapping | None = None,
                  as_of: str | None = None, ratings: pd.DataFrame | None = None,
                  assignments: pd.DataFrame | None = None) -> pd.DataFrame:
    """Series, task and 360° rating flags together, feedback applied, alert budget applied,
    ranked. ``assignments`` only places a rating flag in the unit where the cadre served."""
    flags = detect_anomalies(values, indicators, units, tasks, progress, config, as_of, ratings, assignments)
    return finish_flags(flags, feedback, config, as_of)


def detect_anomalies(values: pd.DataFrame | None, indicators: Mapping | None, units: pd.DataFrame | None,
                     tasks: pd.DataFrame | None = None, progress: pd.DataFrame | None = None,
                     config: Mapping | None = None, as_of: str | None = None,
                     ratings: pd.DataFrame | None = None, assignments: pd.DataFrame | None = None) -> pd.DataFrame:
    """The flags the rules find, before any mark: marks never change what is detected, so a
    caller applying two sets of marks (the build: users' marks, then checks) detects once."""
    cfg = _cfg(config)
    parts = []
    if values is not None and len(values) and indicators is not None and units is not None:
        parts.append(detect_series_anomalies(values, indicators, units, cfg))
    if tasks is not None and progress is not None:
        parts.append(detect_task_anomalies(tasks, progress, cfg, as_of))
    if ratings is not None and len(ratings):
        parts.append(detect_rating_anomalies(ratings, cfg, assignments))
    parts = [p for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else empty_flags()


def finish_flags(flags: pd.DataFrame, feedback: pd.DataFrame | None = None, config: Mapping | None = None,
                 as_of: str | None = None) -> pd.DataFrame:
    """Detected ``flags`` with the marks and the alert budget applied, ranked (inputs not changed)."""
    cfg = _cfg(config)
    return apply_ageing(apply_feedback(flags, feedback, cfg), as_of, cfg)
