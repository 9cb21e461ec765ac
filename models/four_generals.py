"""四将干部 selection per certification round (docs/domain.md §5.7; result table ``four_generals``)
and the two yearly gauges: the 攻坚老将 优秀 reserve and the share of promotions from the 四将.

The rules live in data/reference/archetypes.yaml: per label (改革闯将, 发展干将, 攻坚老将, 热血小将)
a list of named conditions, all of which make a 候选, a ``quota`` of 入选 places per round, and the
``score`` weights that rank the candidates. A cadre missing at most ``near_miss_max`` conditions
is a near miss (未入围), listed apart with what is missing. A verified 负面情形 within
``negative_lookback_months`` before the round's end excludes the cadre from every label. A cadre
may be a candidate for more than one label in a round (the rules, not this code, keep them apart).

Inputs (all DataFrames; a missing optional frame reads as "no record"):

* ``cadres``: cadre_id, birth_year (may be empty), leading (bool: holds a leading post at the
  round; the caller derives it from ``assignments.post`` and the shares), and optionally ``round``
  when the post status differs per round (rows without a round apply to every round).
* ``credits``: models.landmarks.landmark_credits (cadre_id, claim_id, round, certified,
  criteria_met "C1,C3"); only certified claims count.
* ``quadrants``: cadre_id, period (YYYY-Qn), quadrant_code (high_high / high_low / low_high /
  low_low / unidentified or undetermined), and ``determined`` (bool: x's side determined; derived
  from ``x_status == "determined"`` when only that is given). Undetermined quarters never count.
* ``task_record``: cadre_id, year, tasks_led, on_time_share (0–1, empty when no task led),
  red_cards; one row per cadre × year.
* ``negative_cases``: cadre_id, date (or year: read as its 1 January), verified (optional, true
  when absent).

Age is taken in the round's year: round year − birth_year.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from models.config import is_missing, load_reference
from models.dictionary import as_bool
from models.labels import QUADRANT_CODES, quadrant_names
from models.period import Period, complete_quarters

COLUMNS = ["round", "label", "cadre_id", "rank", "score", "rule", "missing", "status", "n_met", "n_conditions"]
# Conditions a cadre cannot meet by working (age, post): failing one is not a near miss.
GATES = ("age", "leading")
_DEFAULT_LANDMARK = {"months": 12}
_DEFAULT_QUADRANT = {"codes": ["high_high", "high_low"], "quarters": 4}


@lru_cache(maxsize=256)
def _quarters(rnd: str, n: int) -> tuple[str, ...]:
    """The codes of the last ``n`` complete quarters at a round (asked once per cadre and label)."""
    return tuple(q.code for q in complete_quarters(rnd, n))


def _month_index(code: str) -> int:
    return Period.parse(code).last_month_index


class _Facts:
    """What is known of every cadre at one round, read once per round."""

    def __init__(self, rnd: str, cadres, credits, quadrants, task_record, names):
        self.round, self.period = rnd, Period.parse(rnd)
        self.names = names
        base = cadres[cadres["round"].isna()] if "round" in cadres.columns else cadres
        here = cadres[cadres["round"].astype(str) == rnd] if "round" in cadres.columns else cadres.iloc[:0]
        rows = {str(r["cadre_id"]): r for r in base.to_dict("records")}
        rows.update({str(r["cadre_id"]): r for r in here.to_dict("records")})
        self.cadres = rows
        idx = self.period.last_month_index
        self.landmarks: dict[str, list[tuple[int, set[str], Any]]] = {}  # (months before the round, criteria, claim)
        if credits is not None and len(credits):
            dated = credits["round"].map(lambda r: Period.try_parse(r) is not None)  # a claim with no round: no date
            ok = credits[credits["certified"].map(as_bool) & dated]
            for c, r, crit, claim in zip(ok["cadre_id"].astype(str), ok["round"], ok["criteria_met"], ok["claim_id"]):
                age = idx - _month_index(str(r))
                if age >= 0:
                    got = {x.strip().lower() for x in str("" if is_missing(crit) else crit).split(",") if x.strip()}
                    self.landmarks.setdefault(c, []).append((age, got, claim))
        self.quadrants: dict[tuple[str, str], tuple[str, bool]] = {}
        if quadrants is not None and len(quadrants):
            det = quadrants["determined"] if "determined" in quadrants.columns else quadrants.get(
                "x_status", pd.Series("", index=quadrants.index)).eq("determined")
            for c, p, code, d in zip(quadrants["cadre_id"].astype(str), quadrants["period"].astype(str),
                                     quadrants["quadrant_code"], det):
                self.quadrants[(c, p)] = (str(code), as_bool(d))
        self.tasks: dict[str, dict] = {}
        if task_record is not None and len(task_record):
            yr = task_record[task_record["year"].astype(int) == self.period.year]
            self.tasks = {str(r["cadre_id"]): r for r in yr.to_dict("records")}

    # -- evidence per kind: (value, evidence text) ------------------------------------------
    def landmarks_count(self, cadre: str, spec: dict) -> tuple[int, str]:  # distinct certified claims
        months, anyof = int(spec["months"]), [c.lower() for c in spec.get("criteria_any") or []]
        claims = {claim for age, crit, claim in self.landmarks.get(cadre, [])
                  if age < months and (not anyof or crit & set(anyof))}
        return len(claims), f"近{months}个月认定成果 {len(claims)} 项"

    def quadrant_count(self, cadre: str, spec: dict) -> tuple[int, str, int]:
        quarters = _quarters(self.round, int(spec["quarters"]))
        codes = set(spec["codes"])
        seen = [self.quadrants.get((cadre, q), ("", False)) for q in quarters]
        determined = [code for code, d in seen if d and code in QUADRANT_CODES]
        n = sum(code in codes for code in determined)
        where = "/".join(self.names.get(c, c) for c in spec["codes"])
        return n, f"近{len(quarters)}个季度中 {n} 个季度在{where}(可判定 {len(determined)} 个季度)", len(determined)

    def task(self, cadre: str, key: str) -> float:
        v = self.tasks.get(cadre, {}).get(key)
        if is_missing(v):
            return np.nan if key == "on_time_share" else 0.0
        return float(v)

    def age(self, cadre: str) -> float:
        by = self.cadres.get(cadre, {}).get("birth_year")
        return np.nan if is_missing(by) else float(self.period.year - int(float(by)))

    def leading(self, cadre: str) -> Any:
        v = self.cadres.get(cadre, {}).get("leading")
        return None if is_missing(v) else as_bool(v)


def _check(facts: _Facts, cadre: str, c: dict) -> tuple[bool, str, str]:
    """(met, evidence, what is missing) of one condition for one cadre at one round."""
    kind, lo, hi = c["kind"], c.get("min"), c.get("max")

    def within(v: float) -> bool:
        return not np.isnan(v) and (lo is None or v >= lo) and (hi is None or v <= hi)

    if kind == "age":
        v = facts.age(cadre)
        if np.isnan(v):
            return False, "出生年份缺失", "缺少出生年份,无法判断年龄"
        if within(v):
            return True, f"{v:.0f} 岁", ""
        return False, f"{v:.0f} 岁", f"{v:.0f} 岁,未满 {lo:g} 岁" if lo is not None and v < lo else f"{v:.0f} 岁,超过 {hi:g} 岁"
    if kind == "leading":
        v = facts.leading(cadre)
        if v is None:
            return False, "任职状态缺失", "缺少是否担任领导职务的信息"
        now = "担任领导职务" if v else "不担任领导职务"
        return v == bool(c["value"]), now, "仍担任领导职务" if v else "未担任领导职务"
    if kind == "landmarks":
        v, ev = facts.landmarks_count(cadre, c)
        need = f"(须含 {' 或 '.join(x.upper() for x in c['criteria_any'])})" if c.get("criteria_any") else ""
        return (True, ev, "") if within(v) else (False, ev, f"还差 {int(lo) - v} 项认定成果{need}")
    if kind == "quadrant":
        v, ev, det = facts.quadrant_count(cadre, c)
        if lo is not None and v < lo:
            return False, ev, f"还差 {int(lo) - v} 个季度({ev})"
        return (True, ev, "") if within(v) else (False, ev, f"{ev},超过上限 {hi:g} 个季度")
    if kind == "on_time_share":
        v = facts.task(cadre, "on_time_share")
        if np.isnan(v):
            return False, "本年度无牵头任务", "本年度无牵头任务,按期率无法计算"
        return (True, f"按期率 {v:.0%}", "") if within(v) else (False, f"按期率 {v:.0%}", f"按期率 {v:.0%},需达到 {lo:.0%}")
    key = "tasks_led" if kind == "tasks_led" else "red_cards"
    v = facts.task(cadre, key)
    if within(v):
        return True, f"牵头任务 {v:.0f} 项" if kind == "tasks_led" else f"红牌 {v:.0f} 张", ""
    if kind == "tasks_led":
        return False, f"牵头任务 {v:.0f} 项", f"还差 {lo - v:.0f} 项牵头任务"
    return False, f"红牌 {v:.0f} 张", f"本年度红牌 {v:.0f} 张,上限 {hi:g} 张"


def _score(facts: _Facts, cadre: str, spec: dict) -> float:
    conds = {c["kind"]: c for c in spec["conditions"]}
    total = 0.0
    for kind, w in spec["score"].items():
        if kind == "landmarks":
            v = facts.landmarks_count(cadre, conds.get("landmarks", _DEFAULT_LANDMARK))[0]
        elif kind == "quadrant":
            v = facts.quadrant_count(cadre, conds.get("quadrant", _DEFAULT_QUADRANT))[0]
        else:
            v = facts.task(cadre, kind)
        total += float(w) * (0.0 if np.isnan(v) else float(v))
    return round(total, 6)


def _excluded(negative_cases: pd.DataFrame | None, rnd: str, months: int) -> set[str]:
    if negative_cases is None or not len(negative_cases):
        return set()
    end = pd.Timestamp(Period.parse(rnd).end)
    if "date" in negative_cases.columns:
        dates = pd.to_datetime(negative_cases["date"], errors="coerce")
    else:  # a case known only by its year counts from the year's first day (it may precede the round)
        dates = pd.to_datetime(negative_cases["year"].astype(int).astype(str) + "-01-01")
    ok = dates.le(end) & dates.gt(end - pd.DateOffset(months=months))
    if "verified" in negative_cases.columns:
        ok &= negative_cases["verified"].map(as_bool)
    return set(negative_cases.loc[ok, "cadre_id"].astype(str))


def select(rounds: list[str], cadres: pd.DataFrame, credits: pd.DataFrame | None = None,
           quadrants: pd.DataFrame | None = None, task_record: pd.DataFrame | None = None,
           negative_cases: pd.DataFrame | None = None, config: dict | None = None,
           names: dict | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rank the candidates of every label at every round (``rounds``: YYYY-06/09/12 codes).

    Returns ``(selection, near_misses)``, both with the columns round, label, cadre_id, rank,
    score, rule (Chinese: each condition met with its evidence), missing (Chinese: what is
    missing, "" for a candidate), status, n_met, n_conditions.

    * selection: cadres meeting every condition, ranked per round × label by score (descending,
      ties by cadre_id); the top ``quota`` are 入选, the rest 候选.
    * near_misses: cadres missing 1..``near_miss_max`` conditions, none of them age or post
      (:data:`GATES`: nothing a cadre can work towards), status 未入围, ranked by conditions met
      then score.

    ``config``: archetypes.yaml (default: in use); ``names``: quadrant names (quadrants.yaml).
    """
    cfg = config or load_reference("archetypes")
    names = quadrant_names(names)
    near_max = int(cfg["near_miss_max"])
    picked, near = [], []
    for rnd in rounds:
        facts = _Facts(rnd, cadres, credits, quadrants, task_record, names)
        out = _excluded(negative_cases, rnd, int(cfg["negative_lookback_months"]))
        for label, spec in cfg["labels"].items():
            for cadre in sorted(set(cadres["cadre_id"].astype(str)) - out):
                checks = [(c["name"], *_check(facts, cadre, c), c["kind"] in GATES) for c in spec["conditions"]]
                met = [f"{n}({ev})" for n, ok, ev, _, _ in checks if ok]
                short = [f"{n}:{miss}" for n, ok, _, miss, _ in checks if not ok]
                gated = any(gate and not ok for _, ok, _, _, gate in checks)
                row = {"round": rnd, "label": label, "cadre_id": cadre, "score": _score(facts, cadre, spec),
                       "rule": ";".join(met) if met else "未满足任何条件", "missing": ";".join(short),
                       "n_met": len(met), "n_conditions": len(checks)}
                if not short:
                    picked.append(row)
                elif not gated and len(short) <= near_max:
                    near.append(row)
    selection = _ranked(picked, ["score"], cfg, "入选", "候选")
    return selection, _ranked(near, ["n_met", "score"], cfg, None, "未入围")


def _ranked(rows: list[dict], by: list[str], cfg: dict, top: str | None, rest: str) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=[c for c in COLUMNS if c not in ("rank", "status")])
    if df.empty:
        return pd.DataFrame({c: pd.Series(dtype="int64" if c in ("rank", "n_met", "n_conditions") else
                                          float if c == "score" else object) for c in COLUMNS})
    df = df.sort_values(["round", "label"] + by + ["cadre_id"], ascending=[True, True] + [False] * len(by) + [True])
    df["rank"] = df.groupby(["round", "label"]).cumcount() + 1
    quota = df["label"].map({k: int(v["quota"]) for k, v in cfg["labels"].items()})
    df["status"] = np.where((df["rank"] <= quota) & (top is not None), top or "", rest)
    return df[COLUMNS].reset_index(drop=True)


# --- yearly gauges ----------------------------------------------------------------------------

def veteran_reserve(selection: pd.DataFrame, grades: pd.DataFrame | None, config: dict | None = None) -> pd.DataFrame:
    """The 攻坚老将 优秀 reserve per year: reserved places vs those used.

    Input: ``selection`` from :func:`select`; ``grades``: cadre_id, year, grade (as in
    ``cadre_scores``). ``config``: dianjiang.yaml. Output per year with a selection: year, reserved,
    selected (distinct 攻坚老将 入选 in any round of the year), used (of those, graded 优秀 that
    year; NA without grades for the year), remaining (reserved − used), note (Chinese).
    """
    g = (config or load_reference("dianjiang"))["gauges"]
    vet = selection[(selection["label"] == g["veteran_label"]) & (selection["status"] == "入选")]
    vet_years = vet.assign(year=vet["round"].map(lambda r: Period.parse(r).year))
    years = sorted({Period.parse(r).year for r in selection["round"]}) if len(selection) else []
    graded = grades if grades is not None else pd.DataFrame(columns=["cadre_id", "year", "grade"])
    rows = []
    for yr in years:
        chosen = set(vet_years.loc[vet_years["year"] == yr, "cadre_id"].astype(str))
        gy = graded[graded["year"].astype(int) == yr]
        reserved = int(g["veteran_reserve"])
        if gy.empty:
            rows.append({"year": yr, "reserved": reserved, "selected": len(chosen), "used": pd.NA,
                         "remaining": pd.NA, "note": f"{yr}年尚无年度考核等次,已用名额不可计算"})
            continue
        best = set(gy.loc[gy["grade"] == g["excellent_grade"], "cadre_id"].astype(str))
        used = len(chosen & best)
        note = f"{g['veteran_label']}入选 {len(chosen)} 人,其中 {used} 人获评{g['excellent_grade']},"
        note += f"单列名额 {reserved} 个" + (f",超出 {used - reserved} 个" if used > reserved else f",尚余 {reserved - used} 个")
        rows.append({"year": yr, "reserved": reserved, "selected": len(chosen), "used": used,
                     "remaining": reserved - used, "note": note})
    out = pd.DataFrame(rows, columns=["year", "reserved", "selected", "used", "remaining", "note"])
    for c in ("used", "remaining"):
        out[c] = out[c].astype("Int64")
    return out


def promotion_share(selection: pd.DataFrame, promotions: pd.DataFrame | None, years: list[int] | None = None,
                    config: dict | None = None) -> pd.DataFrame:
    """Share of each year's promotions whose cadre was 入选 (any label) in a round that ended
    before the promotion date.

    Input: ``selection`` from :func:`select`; ``promotions``: contract ``promotions`` (cadre_id,
    date, kind; only dianjiang.yaml ``gauges.promotion_kinds`` count). ``years``: the years to
    report (default: every year with a round or a promotion). Output: year, promotions,
    from_generals, share (NaN when the year has no promotion: 不可计算, never 0 %), target,
    met (bool, NA when not computable), note (Chinese).
    """
    g = (config or load_reference("dianjiang"))["gauges"]
    target = float(g["promotion_target"])
    chosen = selection[selection["status"] == "入选"]
    ends: dict[str, list[pd.Timestamp]] = {}
    for c, r in zip(chosen["cadre_id"].astype(str), chosen["round"]):
        ends.setdefault(c, []).append(pd.Timestamp(Period.parse(r).end))
    given = promotions is not None and len(promotions) > 0
    promo = promotions if given else pd.DataFrame(columns=["cadre_id", "date", "kind"])
    if given and "kind" in promo.columns:
        promo = promo[promo["kind"].isin(g["promotion_kinds"]) | promo["kind"].map(is_missing)]
    dates = pd.to_datetime(promo["date"], errors="coerce")
    if years is None:
        years = sorted({Period.parse(r).year for r in selection["round"]} | set(dates.dt.year.dropna().astype(int)))
    kinds = "、".join(g["promotion_kinds"])
    rows = []
    for yr in years:
        here = promo[(dates.dt.year == yr).to_numpy()]
        n = len(here)
        hits = sum(any(e < d for e in ends.get(str(c), [])) for c, d in
                   zip(here["cadre_id"], pd.to_datetime(here["date"])))
        if n == 0:
            why = "未提供提拔晋升数据(promotions 表)" if not given else f"{yr}年无{kinds}记录"
            rows.append({"year": yr, "promotions": 0, "from_generals": 0, "share": np.nan, "target": target,
                         "met": pd.NA, "note": f"{why},四将占比不可计算"})
            continue
        share = hits / n
        rows.append({"year": yr, "promotions": n, "from_generals": hits, "share": share, "target": target,
                     "met": share >= target - 1e-9,
                     "note": f"{yr}年{kinds} {n} 人,其中此前入选四将 {hits} 人,占 {share:.0%}"
                             f"(目标不低于 {target:.0%}," + ("已达到)" if share >= target - 1e-9 else "未达到)")})
    out = pd.DataFrame(rows, columns=["year", "promotions", "from_generals", "share", "target", "met", "note"])
    out["met"] = out["met"].astype("boolean")
    return out
