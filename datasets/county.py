"""Seeded demo world: a synthetic 玉环-like county (or a ten-county "province" for benchmarks).

``generate(out_dir, seed=7, scale="county")`` writes one UTF-8 CSV per input table of the
contract (``pipelines/contract.py``; ``indicators`` is not written, the YAML dictionary is
built in) and the ground truth into ``out_dir/_truth/`` (never ingested). Same seed and scale →
byte-identical files. All randomness comes from ``numpy.random.default_rng(seed)`` (spawned into
one independent stream per part of the world, so changing one part leaves the others alone).

The world
=========
* Time: data 2023-01 … 2025-12 (as-of 2025-12-31); appointments are simulated from 2018-01
  (the first holders' terms may have started earlier).
* Units: the 11 乡镇街道 with their real names (T01…T11), 玉环经济开发区 (P01) and 70 部门
  (D01…D70). ``province`` = ten such counties (ids T001…, P001…, D001…, names prefixed).
* Posts: town-like units have 党委书记 (share 0.3, all indicators), 镇长/乡长/主任 (0.3, all),
  分管工业 (0.4: ind_va_growth; tax_per_mu; va_per_mu; industrial_power), 分管招商
  (0.4: fai_growth; exports; fdi_actual), 分管财政 (0.4: gpb_revenue) and 1–2 other 副职 (share 0);
  departments a 局长/主任 (0.6, all) and 2–3 副职, the first with share 0.4 (for the department's
  county indicator if it reports one, else all), the others 0. So shares per unit × month ×
  indicator add up to exactly 1 when every post is filled and stay below 1 during vacancies.
  Every change of holder happens at a month boundary (terms end on a month's last day, start
  on a month's first day), so month-granular share checks hold too.
* Rotation: terms of 24–60 months (cut at 60 years of age); at a term's end the holder retires
  or leaves the county (probability P_LEAVE, ≥ 57 years: P_LEAVE_OLD), is re-appointed to the
  same post (P_REAPPOINT), or joins a pool of movers filled into vacancies across units
  (交流轮岗: town↔town, town↔department, department↔department; promotions 副→正). Vacancies not
  filled from the pool get a new entrant. In RESHUFFLE_MONTHS (集中交流轮岗) holders of the same
  kind of post in two towns of a county who served ≥ 24 months swap towns (RESHUFFLE_PAIRS pairs).
  Units in ISOLATED_UNITS (海山乡 and 档案馆) are closed: nobody moves in or out, so their cadres
  ("stayers") cannot be separated from the platform; the truth says who they are.

The stated model (indicator series)
===================================
Per indicator k the per-period (not cumulative) outcome of unit u in native period t is

    o[u,t,k] = psi[u,k] + tau[t,k] + Σ_c s[c,u,t,k]·theta[c,k] + eps[u,t,k]  (+ anomaly[u,t,k])

* Native periods: monthly indicators have 11 periods a year: 'YYYY-02' is the January+February
  period (weight w = 2 months), then 'YYYY-03' … 'YYYY-12' (w = 1); quarterly 'YYYY-Qn' (w = 1);
  yearly 'YYYY' (w = 1). There is no 'YYYY-01' row.
* s[c,u,t,k] = Σ over the assignments a of cadre c in unit u of share(a) × days of t covered by
  a / days of t, and 0 when the assignment's 分管指标 list is not empty and does not contain k.
* theta[c,k] = sd_theta_k·(RHO·a_c + sqrt(1 − RHO²)·e_ck) with a general ability a_c and
  e_ck ~ N(0,1) clipped at ±3 (RHO = 0.5), in the outcome units of k per unit share.
* eps[u,t,k] = sd_eps_k·z (z ~ N(0,1) clipped at ±3, all draws independent).
* tau[t,k] = trend_k·(year − 2023) + jf_k·[t is Jan+Feb] + sd_tau_year_k·z_year + sd_tau_k·z_t.
* psi[u,k]: additive indicators ('%' rates, 万元/亩): psi = mu_k + sd_psi_k·z_u;
  level indicators (万元, 万美元, 万千瓦时, 元): psi = m_k·n_k·w_uk, the unit's share of the
  county flow, where m_k = total_k / (n_k·(P + jf_k)) is the mean flow per unit and
  period (n_k reporting units per county, P periods a year), w_uk the unit's size weight
  (SIZE_WEIGHTS × lognormal jitter sd SIZE_JITTER, normalised within the county). For level
  indicators every sd, trend and jf below is a multiple of m_k (written "× m"), and psi is the
  unit scale rather than a draw (the reference ratios sd_theta ≈ 0.5·sd_eps and sd_psi ≈ sd_eps
  hold for the additive indicators). All sds are small enough (clipping at ±3) that every flow
  stays positive.
* anomaly[u,t,k]: the injected anomalies (0 elsewhere), see below.

Reported values (indicator_values.value), rounded to ``dec`` decimals:
* cumulative level series: YTD_t = Σ_{j ≤ t in year} o_j (the Jan+Feb flow is one period);
* cumulative rate series ('%'): YTD_t = Σ_{j≤t} w_j·o_j / W_t with W_t = Σ_{j≤t} w_j;
  hence o_t = (W_t·YTD_t − W_{t−1}·YTD_{t−1}) / w_t exactly;
* non-cumulative (rd_intensity): value = o;
* tax_per_mu / va_per_mu (yearly, 2022–2025 in the model, 2023–2025 reported): the model gives
  the unit level L = o; firm taxes (value added) are tax_i = L·Σland·land_i·r_i / Σ(land·r)
  over the unit's above-scale firms present that year, so the reported Σ tax / Σ land_mu equals o
  (up to the published decimals).
Truth ``outcomes.csv`` stores o recovered from the written values (exact de-cumulation), and
``rounding`` = o − (psi + tau + cadre_part + eps + anomaly), the effect of the published decimals.

Parameters (MODEL; a test checks this table against the code):

    code               form     mu_or_total  sd_psi  sd_tau_year  sd_tau  sd_theta  sd_eps  trend   jf   dec
    gdp_growth         additive        5.0     0.8        0.8      0.5      0.4     0.8    0.0    0.0   1
    ind_va_growth      additive        6.5     3.0        1.5      1.5      1.5     3.0    0.0    0.0   1
    fai_growth         additive        8.0     5.0        3.0      2.5      2.5     5.0    0.0    0.0   1
    rd_intensity       additive        2.8     0.15       0.0      0.08     0.08    0.15   0.1    0.0   2
    tax_per_mu         additive       26.0     2.5        0.0      1.0      1.25    2.5    0.8    0.0   2
    va_per_mu          additive      138.0    10.0        0.0      4.0      5.0    10.0    3.0    0.0   2
    gpb_revenue        level        557000     -          0.01     0.015    0.015   0.03   0.05   0.7   1
    exports            level       3600000     -          0.01     0.015    0.015   0.03   0.04   0.7   1
    fdi_actual         level          8000     -          0.01     0.015    0.015   0.03   0.08   0.7   1
    industrial_power   level        400000     -          0.01     0.015    0.015   0.03   0.04   0.7   1
    retail_sales       level       2400000     -          0.01     0.015    0.015   0.03   0.05   0.7   1
    digital_core_va    level        400000     -          0.01     0.015    0.015   0.03   0.10   0.0   1
    income_per_capita  level         73000     -          0.01     0.015    0.015   0.03   0.055  0.0   0

Level totals are the county's annual flow in 2023 (万元; fdi 万美元; power 万千瓦时; income 元 per
capita). County-level indicators are reported by their lead department only (LEAD_DEPARTMENT).
Targets (repeated on every row of the year): additive indicators the planner's expectation
psi + trend (+ jf) averaged over the year plus U(0.2, 0.7)·sd_eps; level indicators the expected
annual flow × (1 + U(1 %, 4 %)) rounded to three significant digits; 亩均 the previous year's
published value × 1.05.

Other tables
============
* Tasks (~210 a year): lead cadre in post in that unit that year; planned S-curve to 100 % at the
  due month; actual = planned + d + N(0, 2.5²) made monotone and capped at 0–100, with
  d = task_effect[lead] + unit_task_effect[unit] + N(0, 4²) − 12·(difficulty − 1);
  task_effect = 6·(RHO·a_c + sqrt(1 − RHO²)·e_c), unit effect sd 3. Unfinished tasks get up to
  three more months of +5…15 pp.
* Ratings: score latent = 82 + 5·a_c + group bias + N(0, 2²) per cadre-year + N(0, 6²) per rater;
  上级/同级/下级 numeric 0–100, 群众/服务对象 grade words (好 ≥ 88, 较好 ≥ 78, 一般 ≥ 65, else 差).
* Projects: 招商 deputy in post at 签约; each next stage reached with probability
  logistic(logit(p0) + b·a_c) (STAGE_PROBS), after a delay; no date after 2025-12-31.
* Enterprises: firm productivity r (lognormal, persistent); above-scale firms carry the unit
  亩均 levels of the model; below-scale firms are drawn independently.

Anomalies (truth ``anomalies.csv``): series level_shift, spike, fabricated, divergence
(fai_growth up while 亩均 falls), hard_divergence (ind_va_growth up while industrial_power does
not follow); tasks lagging and over_reported; cadre rating_collusion. Injected data stay valid
input (no negative flows, cumulative levels never decrease, percentages within 0–100).
"""
from __future__ import annotations

import csv
import json
import math
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import yaml

from pipelines.contract import TABLES

INDICATORS_YAML = Path(__file__).resolve().parents[1] / "data" / "reference" / "indicators.yaml"

DATA_YEARS = (2023, 2024, 2025)
FIRM_YEARS = (2022, 2023, 2024, 2025)
PROJECT_YEARS = (2021, 2022, 2023, 2024, 2025)
AS_OF = date(2025, 12, 31)
WINDOW_START = date(2023, 1, 1)
RHO = 0.5
CLIP = 3.0
SIZE_JITTER = 0.15

OUTPUT_TABLES = ("units", "cadres", "assignments", "indicator_values", "tasks", "task_progress",
                 "ratings", "projects", "enterprises", "enterprise_years")
SCALES = {"county": 1, "province": 10}


def _mi(year: int, month: int) -> int:
    """Month index: months since year 0, so that consecutive months differ by one."""
    return year * 12 + month - 1


def _month_start(mi: int) -> date:
    return date(mi // 12, mi % 12 + 1, 1)


def _month_end(mi: int) -> date:
    return _month_start(mi + 1) - timedelta(days=1)


HISTORY_START_MI = _mi(2018, 1)
END_MI = _mi(2025, 12)

# --- parameters ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SeriesSpec:
    form: str          # additive: psi = mu + sd_psi·z; level: psi = unit share of the county flow
    mu: float          # additive: mean outcome; level: county annual total in the first data year
    sd_psi: float
    sd_tau_year: float
    sd_tau: float
    sd_theta: float
    sd_eps: float
    trend: float       # per year; level: × m
    jf: float          # extra outcome in the Jan+Feb period; level: × m
    dec: int           # published decimals


MODEL: dict[str, SeriesSpec] = {
    "gdp_growth": SeriesSpec("additive", 5.0, 0.8, 0.8, 0.5, 0.4, 0.8, 0.0, 0.0, 1),
    "ind_va_growth": SeriesSpec("additive", 6.5, 3.0, 1.5, 1.5, 1.5, 3.0, 0.0, 0.0, 1),
    "fai_growth": SeriesSpec("additive", 8.0, 5.0, 3.0, 2.5, 2.5, 5.0, 0.0, 0.0, 1),
    "rd_intensity": SeriesSpec("additive", 2.8, 0.15, 0.0, 0.08, 0.08, 0.15, 0.1, 0.0, 2),
    "tax_per_mu": SeriesSpec("additive", 26.0, 2.5, 0.0, 1.0, 1.25, 2.5, 0.8, 0.0, 2),
    "va_per_mu": SeriesSpec("additive", 138.0, 10.0, 0.0, 4.0, 5.0, 10.0, 3.0, 0.0, 2),
    "gpb_revenue": SeriesSpec("level", 557000, 0.0, 0.01, 0.015, 0.015, 0.03, 0.05, 0.7, 1),
    "exports": SeriesSpec("level", 3600000, 0.0, 0.01, 0.015, 0.015, 0.03, 0.04, 0.7, 1),
    "fdi_actual": SeriesSpec("level", 8000, 0.0, 0.01, 0.015, 0.015, 0.03, 0.08, 0.7, 1),
    "industrial_power": SeriesSpec("level", 400000, 0.0, 0.01, 0.015, 0.015, 0.03, 0.04, 0.7, 1),
    "retail_sales": SeriesSpec("level", 2400000, 0.0, 0.01, 0.015, 0.015, 0.03, 0.05, 0.7, 1),
    "digital_core_va": SeriesSpec("level", 400000, 0.0, 0.01, 0.015, 0.015, 0.03, 0.10, 0.0, 1),
    "income_per_capita": SeriesSpec("level", 73000, 0.0, 0.01, 0.015, 0.015, 0.03, 0.055, 0.0, 0),
}
PER_MU = ("tax_per_mu", "va_per_mu")  # computed from the enterprise tables

# (local id, name, unit_type, size weight): 玉环's 11 乡镇街道 and its development zone [V] S3, S4
TOWNS = (
    ("T01", "玉城街道", "街道", 0.16), ("T02", "坎门街道", "街道", 0.09),
    ("T03", "大麦屿街道", "街道", 0.10), ("T04", "清港镇", "镇", 0.08),
    ("T05", "楚门镇", "镇", 0.12), ("T06", "干江镇", "镇", 0.06),
    ("T07", "沙门镇", "镇", 0.07), ("T08", "芦浦镇", "镇", 0.06),
    ("T09", "龙溪镇", "镇", 0.08), ("T10", "鸡山乡", "乡", 0.03),
    ("T11", "海山乡", "乡", 0.03), ("P01", "玉环经济开发区", "平台", 0.12),
)
SIZE_WEIGHTS = {name: w for _, name, _, w in TOWNS}

# 70 county departments with the 条线 (role_type) of their posts
DEPARTMENTS = (
    ("发改局", "综合"), ("经信局", "工业"), ("商务局", "招商"), ("科技局", "工业"), ("财政局", "财政"),
    ("统计局", "综合"), ("农业农村局", "农业"), ("住建局", "综合"), ("自然资源和规划局", "综合"),
    ("招商服务中心", "招商"), ("教育局", "社会事业"), ("公安局", "综合"), ("民政局", "社会事业"),
    ("司法局", "综合"), ("人力社保局", "社会事业"), ("生态环境分局", "综合"), ("交通运输局", "综合"),
    ("水利局", "农业"), ("文化和广电旅游体育局", "社会事业"), ("卫生健康局", "社会事业"),
    ("退役军人事务局", "社会事业"), ("应急管理局", "综合"), ("审计局", "财政"), ("市场监管局", "综合"),
    ("医疗保障局", "社会事业"), ("综合行政执法局", "综合"), ("大数据发展中心", "综合"), ("信访局", "综合"),
    ("机关事务服务中心", "综合"), ("港航口岸和渔业局", "农业"), ("税务局", "财政"), ("国资办", "财政"),
    ("金融服务中心", "财政"), ("行政服务中心", "综合"), ("供销联社", "农业"), ("市委办公室", "综合"),
    ("市政府办公室", "综合"), ("纪委监委", "综合"), ("组织部", "综合"), ("宣传部", "综合"),
    ("统战部", "综合"), ("政法委", "综合"), ("编委办", "综合"), ("人大办", "综合"), ("政协办", "综合"),
    ("总工会", "社会事业"), ("团市委", "社会事业"), ("妇联", "社会事业"), ("科协", "工业"),
    ("工商联", "招商"), ("残联", "社会事业"), ("红十字会", "社会事业"), ("档案馆", "综合"),
    ("党校", "综合"), ("融媒体中心", "综合"), ("住房公积金管理中心", "财政"), ("气象局", "综合"),
    ("城投集团", "综合"), ("交投集团", "综合"), ("国投集团", "财政"), ("海洋经济发展局", "招商"),
    ("小微园服务中心", "工业"), ("人才服务中心", "综合"), ("公共资源交易中心", "财政"),
    ("电子商务服务中心", "招商"), ("知识产权保护中心", "工业"), ("旅游发展中心", "社会事业"),
    ("社会治理中心", "综合"), ("农业技术推广中心", "农业"), ("疾病预防控制中心", "社会事业"),
)
LEAD_DEPARTMENT = {
    "gdp_growth": "发改局", "digital_core_va": "经信局", "rd_intensity": "科技局",
    "retail_sales": "商务局", "income_per_capita": "统计局",
}
# Closed units: nobody moves in or out, so their cadres are not separable from the platform.
ISOLATED_UNITS = ("海山乡", "档案馆")
PROVINCE_COUNTIES = ("玉环", "温岭", "临海", "黄岩", "椒江", "路桥", "天台", "仙居", "三门", "乐清")

TOWN_DEPUTIES = {  # slot: (topic, role_type, share, indicators)
    "dep_ind": ("工业", "工业", 0.4, ("ind_va_growth", "tax_per_mu", "va_per_mu", "industrial_power")),
    "dep_inv": ("招商", "招商", 0.4, ("fai_growth", "exports", "fdi_actual")),
    "dep_fin": ("财政", "财政", 0.4, ("gpb_revenue",)),
}
TOWN_OTHER_DEPUTIES = (("农业", "农业"), ("社会事业", "社会事业"))
TOWN_TITLES = {  # unit_type: (secretary, chief, deputy)
    "街道": ("党工委书记", "办事处主任", "副主任"),
    "镇": ("党委书记", "镇长", "副镇长"),
    "乡": ("党委书记", "乡长", "副乡长"),
    "平台": ("党工委书记", "管委会主任", "副主任"),
}

# Rotation
TERM_MONTHS = (24, 60)
P_LEAVE, P_LEAVE_OLD, OLD_AGE, RETIRE_AGE = 0.22, 0.85, 57, 60
P_REAPPOINT, P_REAPPOINT_ISOLATED = 0.08, 0.45
RESHUFFLE_MONTHS = (_mi(2019, 3), _mi(2021, 9), _mi(2023, 3), _mi(2024, 8), _mi(2025, 2))
RESHUFFLE_PAIRS = 4  # per county and reshuffle: distinct post kinds, one pair of towns each
TOWN_TO_TOWN = 6.0  # town-like vacancies prefer movers from other towns (identifies town indicators)
P_FILL_MONTH, P_FROM_POOL, P_NEW_ENTRANT, MAX_VACANT_MONTHS, MAX_POOL_WAIT = 0.8, 0.85, 0.5, 4, 3

# Tasks, ratings, projects, firms
TASK_EFFECT_SD, UNIT_TASK_EFFECT_SD, TASK_NOISE_SD, MONTH_NOISE_SD = 6.0, 3.0, 4.0, 2.5
RATER_COUNTS = {"上级": (3, 5), "同级": (6, 10), "下级": (5, 10), "群众": (8, 15), "服务对象": (5, 10)}
RATER_BIAS = {"上级": 0.0, "同级": 3.0, "下级": 2.0, "群众": -2.0, "服务对象": -1.0}
WORD_GROUPS = ("群众", "服务对象")
GRADE_CUTS = ((88.0, "好"), (78.0, "较好"), (65.0, "一般"))
STAGE_PROBS = {  # stage: (base probability, ability slope on the logit, delay days min, max)
    "landed": (0.72, 0.6, 30, 240), "started": (0.80, 0.4, 30, 300),
    "producing": (0.75, 0.4, 180, 720), "at_capacity": (0.65, 0.3, 180, 720),
}
COUNTS = {"projects": 300, "firms": 1200}
ABOVE_SCALE_SHARE = 0.45


# --- small helpers ---------------------------------------------------------------------------

def _z(rng: np.random.Generator, size=None) -> np.ndarray:
    return np.clip(rng.standard_normal(size), -CLIP, CLIP)


def _fmt(x: float, dec: int) -> str:
    s = f"{x:.{dec}f}"
    return "0" + s[2:] if s.startswith("-0") and float(s) == 0 else s


def _r(x) -> str:
    """Full-precision float for truth files (shortest repr that round-trips)."""
    return repr(float(x))


def _overlap_days(s1: int, e1: int, s2: int, e2: int) -> int:
    return max(0, min(e1, e2) - max(s1, s2) + 1)


def _write_csv(path: Path, header: list[str], rows: list[list]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def _load_dictionary() -> dict:
    with open(INDICATORS_YAML, encoding="utf-8") as fh:
        return yaml.safe_load(fh)["indicators"]


# --- units and posts -------------------------------------------------------------------------

@dataclass
class Unit:
    unit_id: str
    name: str
    unit_type: str
    county: int
    size: float            # town-like: size weight within the county; departments: 0
    role: str              # departments: role_type of their posts
    isolated: bool
    lead_indicators: tuple[str, ...] = ()

    @property
    def town_like(self) -> bool:
        return self.unit_type != "部门"


@dataclass
class Post:
    unit: int
    title: str
    slot: str
    role: str
    senior: bool           # 正科级 head post
    share: float
    indicators: tuple[str, ...]


def build_units(n_counties: int, indicator_codes: set[str]) -> list[Unit]:
    width = 2 if n_counties == 1 else 3
    units: list[Unit] = []
    for c in range(n_counties):
        prefix = "" if n_counties == 1 else f"{PROVINCE_COUNTIES[c]}·"
        for j, (local, name, utype, w) in enumerate(TOWNS):
            n = c * 11 + j + 1 if local[0] == "T" else c + 1
            uid = f"{local[0]}{n:0{width}d}"
            units.append(Unit(uid, prefix + name, utype, c, w, "综合", name in ISOLATED_UNITS))
        for j, (name, role) in enumerate(DEPARTMENTS):
            lead = tuple(k for k, d in LEAD_DEPARTMENT.items() if d == name and k in indicator_codes)
            units.append(Unit(f"D{c * len(DEPARTMENTS) + j + 1:0{width}d}", prefix + name, "部门", c, 0.0,
                              role, name in ISOLATED_UNITS, lead))
    return units


def _dept_titles(name: str) -> tuple[str, str]:
    if name.endswith("局"):
        return "局长", "副局长"
    if name.endswith("部"):
        return "常务副部长", "副部长"
    if name.endswith("集团"):
        return "董事长", "副总经理"
    if name.endswith(("会", "联", "团市委")):
        return "主席", "副主席"
    if name.endswith("纪委监委"):
        return "副书记", "委员"
    return "主任", "副主任"


def build_posts(rng: np.random.Generator, units: list[Unit], indicator_codes: set[str]) -> list[Post]:
    posts: list[Post] = []
    for ui, u in enumerate(units):
        if u.town_like:
            sec, chief, dep = TOWN_TITLES[u.unit_type]
            posts.append(Post(ui, sec, "secretary", "综合", True, 0.3, ()))
            posts.append(Post(ui, chief, "chief", "综合", True, 0.3, ()))
            for slot, (topic, role, share, inds) in TOWN_DEPUTIES.items():
                inds = tuple(k for k in inds if k in indicator_codes)
                posts.append(Post(ui, f"{dep}(分管{topic})", slot, role, False, share, inds))
            n_other = int(rng.integers(1, 3))
            for topic, role in TOWN_OTHER_DEPUTIES[:n_other]:
                posts.append(Post(ui, f"{dep}(分管{topic})", "dep_other", role, False, 0.0, ()))
        else:
            head, dep = _dept_titles(u.name.split("·")[-1])
            posts.append(Post(ui, head, "dept_head", u.role, True, 0.6, ()))
            posts.append(Post(ui, dep, "dept_dep1", u.role, False, 0.4, u.lead_indicators))
            for _ in range(int(rng.integers(1, 3))):
                posts.append(Post(ui, dep, "dept_dep", u.role, False, 0.0, ()))
    return posts


# --- rotation --------------------------------------------------------------------------------

@dataclass
class Term:
    cadre: int
    post: int
    start_mi: int
    end_mi: int            # > END_MI: still in post

    @property
    def start(self) -> date:
        return _month_start(self.start_mi)

    @property
    def end(self) -> date | None:
        return None if self.end_mi > END_MI else _month_end(self.end_mi)

    def span(self) -> tuple[int, int]:
        """Covered days as ordinals (ongoing terms run to the as-of date)."""
        end = self.end or AS_OF
        return self.start.toordinal(), end.toordinal()


class Rotation:
    """Month-by-month appointment simulation: terms end, holders leave, are re-appointed or
    join a mover pool; vacancies are filled from the pool (交流轮岗) or by new entrants."""

    def __init__(self, rng: np.random.Generator, units: list[Unit], posts: list[Post]):
        self.rng, self.units, self.posts = rng, units, posts
        self.births: list[int] = []
        self.terms: list[Term] = []
        n = len(posts)
        self.holder = np.full(n, -1)
        self.term_start = np.zeros(n, dtype=int)
        self.term_end = np.zeros(n, dtype=int)
        self.vacant_from = np.zeros(n, dtype=int)
        self.pool: list[list[int]] = []   # [cadre, last post, months waited]

    def new_cadre(self, senior: bool, initial: bool) -> int:
        if senior:
            lo, hi = (1965, 1981) if initial else (1968, 1985)
        else:
            lo, hi = (1968, 1993) if initial else (1984, 1996)
        self.births.append(int(self.rng.integers(lo, hi)))
        return len(self.births) - 1

    def appoint(self, cadre: int, post: int, start_mi: int, elapsed: int = 0) -> None:
        term = int(self.rng.integers(TERM_MONTHS[0], TERM_MONTHS[1] + 1))
        start = start_mi - min(elapsed, term - 1)
        retire_mi = _mi(self.births[cadre] + RETIRE_AGE, 12)
        self.holder[post] = cadre
        self.term_start[post] = start
        self.term_end[post] = max(start_mi, min(start + term - 1, retire_mi))

    def run(self) -> tuple[list[Term], list[int]]:
        for p, post in enumerate(self.posts):
            c = self.new_cadre(post.senior, initial=True)
            self.appoint(c, p, HISTORY_START_MI, elapsed=int(self.rng.integers(0, TERM_MONTHS[1])))
        for mi in range(HISTORY_START_MI, END_MI + 1):
            self._end_terms(mi)
            if mi == END_MI:
                break
            if mi in RESHUFFLE_MONTHS:
                self._reshuffle(mi)
            self._fill_vacancies(mi + 1)
            self._age_pool()
        for p in np.nonzero(self.holder >= 0)[0]:
            self.terms.append(Term(int(self.holder[p]), int(p), int(self.term_start[p]), int(self.term_end[p])))
        self.terms.sort(key=lambda t: (t.cadre, t.start_mi))
        return self.terms, self.births

    def _end_terms(self, mi: int) -> None:
        for p in np.nonzero((self.holder >= 0) & (self.term_end == mi))[0]:
            p = int(p)
            c = int(self.holder[p])
            self.terms.append(Term(c, p, int(self.term_start[p]), mi))
            self.holder[p] = -1
            self.vacant_from[p] = mi + 1
            age = mi // 12 - self.births[c]
            isolated = self.units[self.posts[p].unit].isolated
            u = self.rng.random()
            p_reappoint = P_REAPPOINT_ISOLATED if isolated else P_REAPPOINT
            if age >= RETIRE_AGE or (age >= OLD_AGE and u < P_LEAVE_OLD) or u < P_LEAVE:
                continue
            if mi == END_MI:  # what happens after the as-of date is not in the data
                continue
            if u < P_LEAVE + p_reappoint and age < RETIRE_AGE - 2:
                self.appoint(c, p, mi + 1)
                continue
            self.pool.append([c, p, 0])

    def _reshuffle(self, mi: int) -> None:
        """集中交流轮岗: swap the holders of same-kind posts between two towns of one county."""
        by_key: dict[tuple[int, str], list[int]] = {}
        for p in np.nonzero(self.holder >= 0)[0]:
            post, unit = self.posts[p], self.units[self.posts[p].unit]
            served = mi - self.term_start[p] + 1
            if unit.town_like and not unit.isolated and served >= TERM_MONTHS[0] and self.term_end[p] > mi:
                by_key.setdefault((unit.county, post.slot), []).append(int(p))
        for county in sorted({k[0] for k in by_key}):
            keys = [k for k in sorted(by_key) if k[0] == county and len(by_key[k]) >= 2]
            for k in self.rng.permutation(len(keys))[:RESHUFFLE_PAIRS]:
                p, q = (int(x) for x in self.rng.choice(by_key[keys[int(k)]], 2, replace=False))
                cp, cq = int(self.holder[p]), int(self.holder[q])
                self.terms.append(Term(cp, p, int(self.term_start[p]), mi))
                self.terms.append(Term(cq, q, int(self.term_start[q]), mi))
                self.appoint(cp, q, mi + 1)
                self.appoint(cq, p, mi + 1)

    def _weights(self, p: int, start_mi: int) -> np.ndarray:
        post, unit = self.posts[p], self.units[self.posts[p].unit]
        w = np.zeros(len(self.pool))
        for i, (c, last, _) in enumerate(self.pool):
            lp = self.posts[last]
            lu = self.units[lp.unit]
            if (unit.isolated or lu.isolated) and lp.unit != post.unit:
                continue
            if lp.senior and not post.senior:
                continue
            age = start_mi // 12 - self.births[c]
            if age >= RETIRE_AGE - 1:
                continue
            if post.senior and not lp.senior:
                if age > 50:
                    continue
                x = 0.7
            else:
                x = 1.0
            if not post.senior:
                x *= 4.0 if lp.role == post.role else 0.5
            x *= 0.4 if lp.unit == post.unit else 1.0
            x *= TOWN_TO_TOWN if (unit.town_like and lu.town_like) else 1.0
            x *= 1.0 if unit.county == lu.county else 0.03
            w[i] = x
        return w

    def _fill_vacancies(self, start_mi: int) -> None:
        vacant = np.nonzero(self.holder < 0)[0]
        for p in self.rng.permutation(vacant):
            p = int(p)
            overdue = start_mi - self.vacant_from[p] >= MAX_VACANT_MONTHS
            if not overdue and self.rng.random() > P_FILL_MONTH:
                continue
            w = self._weights(p, start_mi) if self.pool else np.zeros(0)
            if w.sum() > 0 and self.rng.random() < P_FROM_POOL:
                i = int(self.rng.choice(len(w), p=w / w.sum()))
                c = self.pool.pop(i)[0]
                self.appoint(c, p, start_mi)
            elif overdue or self.rng.random() < P_NEW_ENTRANT:
                self.appoint(self.new_cadre(self.posts[p].senior, initial=False), p, start_mi)

    def _age_pool(self) -> None:
        # Movers nobody took within a few months leave the county (调出).
        for entry in self.pool:
            entry[2] += 1
        self.pool = [e for e in self.pool if e[2] <= MAX_POOL_WAIT]


# --- names -----------------------------------------------------------------------------------

SURNAMES = ("陈林王张李黄吴徐周郑叶朱杨潘应金蒋阮戴颜项许何胡赵沈洪董谢郭梁方罗蔡江管毛章卢柯"
            "夏任施孙钱葛程鲍邵陶包屠")
GIVEN = ("建国明华伟军平志海强文杰斌亮晓丽红芳静燕慧敏婷霞勇涛超波峰磊辉鹏飞俊宇浩凯琳洁颖佳雯"
         "嘉晨婧昊宁远航昕怡春秋冬雪云松柏兴旺国庆立新永利安康德润泽鑫蕾瑶琪哲睿")


def cadre_names(rng: np.random.Generator, n: int) -> list[str]:
    """Pseudonyms: a surname plus one or two random given-name characters (no real persons)."""
    s_weights = np.linspace(3.0, 0.5, len(SURNAMES))
    s_weights /= s_weights.sum()
    names, seen = [], set()
    for _ in range(n):
        for attempt in range(50):
            s = SURNAMES[int(rng.choice(len(SURNAMES), p=s_weights))]
            k = 1 if rng.random() < 0.3 else 2
            name = s + "".join(GIVEN[int(i)] for i in rng.integers(0, len(GIVEN), k))
            if name not in seen or attempt == 49:
                break
        seen.add(name)
        names.append(name)
    return names


# --- periods and coverage --------------------------------------------------------------------

@dataclass(frozen=True)
class Period:
    label: str
    year: int
    start: int             # ordinal
    end: int               # ordinal, inclusive
    weight: int            # months (monthly series) or 1
    jf: bool = False

    @property
    def days(self) -> int:
        return self.end - self.start + 1


def native_periods(frequency: str, years: tuple[int, ...]) -> list[Period]:
    out = []
    for y in years:
        if frequency == "month":
            out.append(Period(f"{y}-02", y, date(y, 1, 1).toordinal(), _month_end(_mi(y, 2)).toordinal(), 2, True))
            out += [Period(f"{y}-{m:02d}", y, date(y, m, 1).toordinal(), _month_end(_mi(y, m)).toordinal(), 1)
                    for m in range(3, 13)]
        elif frequency == "quarter":
            out += [Period(f"{y}-Q{q}", y, date(y, 3 * q - 2, 1).toordinal(),
                           _month_end(_mi(y, 3 * q)).toordinal(), 1) for q in range(1, 5)]
        else:
            out.append(Period(str(y), y, date(y, 1, 1).toordinal(), date(y, 12, 31).toordinal(), 1))
    return out


def coverage(terms: list[Term], periods: list[Period]) -> np.ndarray:
    """Share of each period's days covered by each term: (n_terms, n_periods)."""
    spans = np.array([t.span() for t in terms], dtype=np.int64).reshape(-1, 2)
    ps = np.array([p.start for p in periods])
    pe = np.array([p.end for p in periods])
    days = np.minimum(spans[:, 1:2], pe[None, :]) - np.maximum(spans[:, 0:1], ps[None, :]) + 1
    return np.clip(days, 0, None) / (pe - ps + 1)[None, :]


# --- the world -------------------------------------------------------------------------------

@dataclass
class Series:
    code: str
    spec: SeriesSpec
    unit_of_measure: str
    cumulative: bool
    units: list[int]
    periods: list[Period]
    m: float                                  # level: mean flow per unit and period; additive: 1
    psi: np.ndarray
    tau: np.ndarray
    cadre: np.ndarray                          # (units, periods) Σ s·theta
    eps: np.ndarray
    anomaly: np.ndarray
    targets: dict[tuple[int, int], float] = field(default_factory=dict)   # (unit pos, year) -> target
    verified: dict[tuple[int, int], float] = field(default_factory=dict)  # (unit pos, period pos) -> value

    @property
    def is_rate(self) -> bool:
        return self.unit_of_measure == "%"

    def model(self) -> np.ndarray:
        return self.psi[:, None] + self.tau[None, :] + self.cadre + self.eps

    def year_slices(self) -> dict[int, slice]:
        out: dict[int, slice] = {}
        for i, p in enumerate(self.periods):
            s = out.get(p.year)
            out[p.year] = slice(i if s is None else s.start, i + 1)
        return out


@dataclass
class World:
    dictionary: dict
    units: list[Unit]
    posts: list[Post]
    terms: list[Term]
    births: list[int]
    names: list[str]
    ability: np.ndarray
    theta: dict[str, np.ndarray] = field(default_factory=dict)
    exposure: dict[str, np.ndarray] = field(default_factory=dict)
    series: dict[str, Series] = field(default_factory=dict)
    anomalies: list[dict] = field(default_factory=list)
    task_effect: np.ndarray | None = None
    unit_task_effect: np.ndarray | None = None

    @property
    def n_cadres(self) -> int:
        return len(self.births)

    @property
    def n_counties(self) -> int:
        return len({u.county for u in self.units})

    def terms_of_unit(self) -> dict[int, list[int]]:
        out: dict[int, list[int]] = {}
        for i, t in enumerate(self.terms):
            out.setdefault(self.posts[t.post].unit, []).append(i)
        return out

    def holder_at(self, unit: int, slots: tuple[str, ...], day: date, by_unit: dict[int, list[int]]) -> int | None:
        d = day.toordinal()
        for i in by_unit.get(unit, []):
            t = self.terms[i]
            s, e = t.span()
            if self.posts[t.post].slot in slots and s <= d <= e:
                return t.cadre
        return None

    def cadre_ids(self) -> list[str]:
        return [_cadre_id(i) for i in range(self.n_cadres)]


def _cadre_id(i: int) -> str:
    return f"C{i + 1:04d}"


# --- indicator series ------------------------------------------------------------------------

def _series_units(world: World, code: str, spec_yaml: dict) -> list[int]:
    types = set(spec_yaml.get("unit_types") or [])
    if types == {"部门"}:
        return [i for i, u in enumerate(world.units) if code in u.lead_indicators]
    return [i for i, u in enumerate(world.units) if u.unit_type in types]


def _tau_det(spec: SeriesSpec, periods: list[Period], m: float) -> np.ndarray:
    """The deterministic part of tau: trend and the Jan+Feb bump."""
    return np.array([m * (spec.trend * (p.year - DATA_YEARS[0]) + spec.jf * p.jf) for p in periods])


def _tau(rng, spec: SeriesSpec, periods: list[Period], m: float) -> np.ndarray:
    years = sorted({p.year for p in periods})
    z_year = dict(zip(years, _z(rng, len(years))))
    random = np.array([spec.sd_tau_year * z_year[p.year] for p in periods]) + spec.sd_tau * _z(rng, len(periods))
    return _tau_det(spec, periods, m) + m * random


def _psi(rng, world: World, spec: SeriesSpec, units: list[int], periods_per_year: int) -> tuple[np.ndarray, float]:
    if spec.form == "additive":
        return spec.mu + spec.sd_psi * _z(rng, len(units)), 1.0
    by_county: dict[int, list[int]] = {}
    for pos, ui in enumerate(units):
        by_county.setdefault(world.units[ui].county, []).append(pos)
    n_per_county = len(units) // max(1, len(by_county))
    m = spec.mu / (n_per_county * (periods_per_year + spec.jf))
    psi = np.zeros(len(units))
    jitter = np.exp(SIZE_JITTER * _z(rng, len(units)))
    for positions in by_county.values():
        w = np.array([world.units[units[p]].size or 1.0 for p in positions]) * jitter[positions]
        psi[positions] = m * len(positions) * w / w.sum()
    return psi, m


def _cadre_part(world: World, code: str, units: list[int], periods: list[Period],
                by_unit: dict[int, list[int]]) -> np.ndarray:
    """Σ_c s·theta per (unit, period); adds each cadre's Σ_t s to ``world.exposure[code]``."""
    part = np.zeros((len(units), len(periods)))
    theta = world.theta[code]
    for pos, ui in enumerate(units):
        terms = [world.terms[i] for i in by_unit.get(ui, [])
                 if _responsible_for(world.posts[world.terms[i].post], code)]
        if not terms:
            continue
        s = coverage(terms, periods) * np.array([world.posts[t.post].share for t in terms])[:, None]
        part[pos] = (s * theta[[t.cadre for t in terms]][:, None]).sum(axis=0)
        np.add.at(world.exposure[code], [t.cadre for t in terms], s.sum(axis=1))
    return part


def _responsible_for(post: Post, code: str) -> bool:
    return post.share > 0 and (not post.indicators or code in post.indicators)


def build_series(rng: np.random.Generator, world: World) -> None:
    by_unit = world.terms_of_unit()
    for code, spec in MODEL.items():
        y = world.dictionary.get(code)
        if y is None:
            continue
        years = FIRM_YEARS if code in PER_MU else DATA_YEARS
        periods = native_periods(y["frequency"], years)
        units = _series_units(world, code, y)
        per_year = len(native_periods(y["frequency"], (2023,)))
        psi, m = _psi(rng, world, spec, units, per_year)
        tau = _tau(rng, spec, periods, m)
        if spec.form == "level":  # sd_theta is stated × m; theta is stored in outcome units
            world.theta[code] = world.theta[code] * m
        world.exposure[code] = np.zeros(world.n_cadres)
        cadre = _cadre_part(world, code, units, periods, by_unit)
        eps = m * spec.sd_eps * _z(rng, (len(units), len(periods)))
        s = Series(code, spec, str(y.get("unit", "")), bool(y.get("cumulative")), units, periods, m,
                   psi, tau, cadre, eps, np.zeros((len(units), len(periods))))
        if spec.form == "level" and (s.model() <= 0).any():
            raise RuntimeError(f"{code}: non-positive flow; the sds are too large for the smallest unit")
        world.series[code] = s


def _expected(s: Series) -> np.ndarray:
    """What a planner expects per (unit, period): platform plus the deterministic cycle."""
    return s.psi[:, None] + _tau_det(s.spec, s.periods, s.m)[None, :]


def _round_step(x: float) -> float:
    """A 'round number' step for amounts of this size (three significant digits)."""
    return 10.0 ** max(0, int(math.log10(max(x, 1.0))) - 2)


def set_targets(rng: np.random.Generator, world: World) -> None:
    for code, s in world.series.items():
        if code in PER_MU:
            continue  # from the previous year's firm data, see enterprise_tables
        exp = _expected(s)
        for year, sl in s.year_slices().items():
            for pos in range(len(s.units)):
                if s.spec.form == "additive":
                    t = exp[pos, sl].mean() + rng.uniform(0.2, 0.7) * s.spec.sd_eps
                    s.targets[(pos, year)] = round(t, s.spec.dec)
                else:
                    total = exp[pos, sl].sum() * (1 + rng.uniform(0.01, 0.04))
                    step = _round_step(total)
                    s.targets[(pos, year)] = round(total / step) * step


# --- reporting: cumulate, round, de-cumulate -------------------------------------------------

def cumulate(s: Series, o: np.ndarray) -> np.ndarray:
    if not s.cumulative:
        return o.copy()
    out = np.empty_like(o)
    w = np.array([p.weight for p in s.periods], dtype=float)
    for sl in s.year_slices().values():
        if s.is_rate:
            out[:, sl] = np.cumsum(o[:, sl] * w[sl], axis=1) / np.cumsum(w[sl])
        else:
            out[:, sl] = np.cumsum(o[:, sl], axis=1)
    return out


def decumulate(s: Series, ytd: np.ndarray) -> np.ndarray:
    """Inverse of ``cumulate``: o_t = (W_t·YTD_t − W_{t−1}·YTD_{t−1}) / w_t (levels: W ≡ 1, w ≡ 1)."""
    if not s.cumulative:
        return ytd.copy()
    out = np.empty_like(ytd)
    w = np.array([p.weight for p in s.periods], dtype=float)
    for sl in s.year_slices().values():
        block = ytd[:, sl]
        if s.is_rate:
            big_w = np.cumsum(w[sl])
            weighted = block * big_w
            prev = np.concatenate([np.zeros((block.shape[0], 1)), weighted[:, :-1]], axis=1)
            out[:, sl] = (weighted - prev) / w[sl]
        else:
            prev = np.concatenate([np.zeros((block.shape[0], 1)), block[:, :-1]], axis=1)
            out[:, sl] = block - prev
    return out


def published(s: Series) -> tuple[list[list[str]], np.ndarray]:
    return as_written(cumulate(s, s.model() + s.anomaly), s.spec.dec)


def as_written(values: np.ndarray, dec: int) -> tuple[list[list[str]], np.ndarray]:
    """Formatted values (as written) and the same values parsed back as floats, so the truth is
    computed from exactly what a reader of the CSV sees."""
    text = [[_fmt(v, dec) for v in row] for row in values]
    return text, np.array([[float(v) for v in row] for row in text]).reshape(values.shape)


# --- anomalies in series ---------------------------------------------------------------------

def _responsible(world: World, unit: int, code: str, day: date, by_unit) -> str:
    slots = tuple(slot for slot, (_, _, _, inds) in TOWN_DEPUTIES.items() if code in inds) or ("chief",)
    c = world.holder_at(unit, slots, day, by_unit)
    return "" if c is None else _cadre_id(c)


def _anomaly(world: World, kind: str, level: str, unit: int | None, cadre: str, task: str,
             indicator: str, onset: str, end: str, magnitude: float, note: str) -> None:
    world.anomalies.append({
        "anomaly_id": f"A{len(world.anomalies) + 1:04d}", "kind": kind, "level": level,
        "unit_id": "" if unit is None else world.units[unit].unit_id, "cadre_id": cadre, "task_id": task,
        "indicator": indicator, "onset": onset, "end": end, "magnitude": magnitude, "note": note,
    })


def inject_series_anomalies(rng: np.random.Generator, world: World) -> dict:
    """Level shifts, spikes, fabricated series, divergences. Returns per-mu level multipliers
    {(code, unit index, year): factor} applied before the firm data are drawn."""
    by_unit = world.terms_of_unit()
    per_mu_factor: dict[tuple[str, int, int], float] = {}
    plan = (["level_shift"] * 3 + ["spike"] * 3 + ["fabricated"] * 3 + ["divergence"] * 2
            + ["hard_divergence"]) * world.n_counties
    town_units = [i for i, u in enumerate(world.units) if u.town_like]
    order = list(rng.permutation(town_units))
    monthly = {c for c, s in world.series.items() if s.cumulative and s.periods[0].weight == 2}
    for k, kind in enumerate(plan):
        unit = int(order[k % len(order)])
        year = int(rng.choice([2024, 2025]))
        if kind == "level_shift":
            code = str(rng.choice(sorted(monthly & {"gpb_revenue", "exports", "industrial_power", "ind_va_growth"})))
            _level_shift(rng, world, code, unit, year, by_unit)
        elif kind == "spike":
            code = str(rng.choice(sorted(monthly & {"gpb_revenue", "exports", "fdi_actual", "fai_growth"})))
            _spike(rng, world, code, unit, year, by_unit)
        elif kind == "fabricated":
            code = str(rng.choice(sorted(monthly & {"gpb_revenue", "exports", "fai_growth", "ind_va_growth"})))
            _fabricate(rng, world, code, unit, year, by_unit)
        elif kind == "divergence":
            _divergence(rng, world, unit, year, by_unit, per_mu_factor)
        else:
            _hard_divergence(rng, world, unit, year, by_unit)
    return per_mu_factor


def _pos(s: Series, unit: int) -> int:
    return s.units.index(unit)


def _level_shift(rng, world, code, unit, year, by_unit) -> None:
    s = world.series[code]
    pos = _pos(s, unit)
    cands = [i for i, p in enumerate(s.periods) if p.year == year and not p.jf and p.label[-2:] <= "10"]
    t0 = int(rng.choice(cands))
    if s.is_rate:
        mag = float(rng.choice([-1, 1]) * rng.uniform(5.0, 8.0))
    else:  # upward only, so flows stay positive
        mag = float(s.psi[pos] * rng.uniform(0.25, 0.4))
    s.anomaly[pos, t0:] += mag
    p0 = s.periods[t0]
    _anomaly(world, "level_shift", "series", unit, _responsible(world, unit, code, date.fromordinal(p0.start), by_unit),
             "", code, p0.label, s.periods[-1].label, mag,
             f"断点: 自 {p0.label} 起每期 {mag:+.1f} {s.unit_of_measure}(level shift from onset to end of data)")


def _spike(rng, world, code, unit, year, by_unit) -> None:
    s = world.series[code]
    pos = _pos(s, unit)
    cands = [i for i, p in enumerate(s.periods) if p.year == year and not p.jf]
    t0 = int(rng.choice(cands))
    mag = float(rng.uniform(12.0, 18.0)) if s.is_rate else float(s.psi[pos] * rng.uniform(1.2, 2.0))
    s.anomaly[pos, t0] += mag
    p0 = s.periods[t0]
    _anomaly(world, "spike", "series", unit, _responsible(world, unit, code, date.fromordinal(p0.start), by_unit),
             "", code, p0.label, p0.label, mag, f"突变: {p0.label} 单期 +{mag:.1f} {s.unit_of_measure}(one-period spike)")


def _fabricate(rng, world, code, unit, year, by_unit) -> None:
    """Replace one unit-year by a too-smooth series ending just above target (round numbers)."""
    s = world.series[code]
    pos = _pos(s, unit)
    sl = s.year_slices()[year]
    target = s.targets[(pos, year)]
    months = np.cumsum([p.weight for p in s.periods[sl]])
    if s.is_rate:
        fake = np.round(target + 0.1 * rng.integers(0, 3, len(months)), 1)
    else:
        step = _round_step(target)
        fake = np.round(target * months / 12 * (1 + 0.002 * _z(rng, len(months))) / step) * step
        fake[-1] = math.ceil(target * 1.004 / step) * step
        fake = np.maximum.accumulate(fake)
    model_ytd = cumulate(s, s.model() + s.anomaly)[pos, sl]
    row = np.zeros((1, len(s.periods)))
    row[0, sl] = fake
    fake_o = decumulate(s, row)[0, sl]
    s.anomaly[pos, sl] = fake_o - s.model()[pos, sl]
    last = sl.stop - 1
    s.verified[(pos, last)] = round(float(model_ytd[-1]), s.spec.dec)
    _anomaly(world, "fabricated", "series", unit, _responsible(world, unit, code, date(year, 6, 30), by_unit),
             "", code, s.periods[sl.start].label, s.periods[last].label, float(fake[-1] - model_ytd[-1]),
             f"数字可疑: {year} 年序列被替换为贴近目标 {target:g} 的平滑整数序列; 核实值为真实数 "
             f"(too smooth, near target; magnitude = reported − true year-end value)")


def _divergence(rng, world, unit, year, by_unit, per_mu_factor) -> None:
    s = world.series.get("fai_growth")
    mag = float(rng.uniform(12.0, 18.0))
    drop = float(rng.uniform(0.12, 0.2))
    if s is not None:
        pos = _pos(s, unit)
        s.anomaly[pos, s.year_slices()[year]] += mag
    for code in PER_MU:
        if code in world.series:
            per_mu_factor[(code, unit, year)] = 1 - drop
    _anomaly(world, "divergence", "series", unit, _responsible(world, unit, "fai_growth", date(year, 6, 30), by_unit),
             "", "fai_growth;tax_per_mu;va_per_mu", f"{year}-02", f"{year}-12", mag,
             f"重数量轻质量: {year} 年固投增速每期 +{mag:.1f} pp, 同年亩均税收/亩均增加值下降 {drop:.0%}"
             f"(volume up, efficiency down)")


def _hard_divergence(rng, world, unit, year, by_unit) -> None:
    s = world.series.get("ind_va_growth")
    if s is None:
        return
    mag = float(rng.uniform(7.0, 10.0))
    pos = _pos(s, unit)
    s.anomaly[pos, s.year_slices()[year]] += mag
    _anomaly(world, "hard_divergence", "series", unit,
             _responsible(world, unit, "ind_va_growth", date(year, 6, 30), by_unit), "",
             "ind_va_growth;industrial_power", f"{year}-02", f"{year}-12", mag,
             f"硬指标背离: {year} 年规上工业增加值增速每期 +{mag:.1f} pp, 工业用电量与税收未同步"
             f"(output up, electricity/tax flat)")


# --- tables: units, cadres, assignments ------------------------------------------------------

def units_rows(world: World) -> list[list]:
    return [[u.unit_id, u.name, u.unit_type, ""] for u in world.units]


# Where the demo county lies (玉环 is near 121.23°E, 28.13°N) and how large a town's cell is.
MAP_ORIGIN = (121.05, 28.02)
MAP_CELL_DEG = 0.06


def boundaries_geojson(world: World, seed: int) -> dict:
    """Plausible, made-up boundaries for the town-like units (乡镇街道 and the 平台): each county a
    grid of cells whose shared interior corners are jittered, so neighbours fit without gaps;
    counties sit side by side. Drawn from their own generator: the rest of the world is unchanged."""
    rng = np.random.default_rng([seed, 4242])
    features = []
    for county in sorted({u.county for u in world.units}):
        towns = [u for u in world.units if u.county == county and u.unit_type != "部门"]
        if not towns:
            continue
        cols = int(np.ceil(np.sqrt(len(towns))))
        rows = int(np.ceil(len(towns) / cols))
        x0 = MAP_ORIGIN[0] + county * (cols + 1) * MAP_CELL_DEG
        corners = np.zeros((rows + 1, cols + 1, 2))
        for r in range(rows + 1):
            for c in range(cols + 1):
                inner = 0 < r < rows and 0 < c < cols  # the outline moves less: it stays a whole county
                jitter = rng.uniform(-0.3, 0.3, 2) * MAP_CELL_DEG * (1.0 if inner else 0.5)
                corners[r, c] = (x0 + c * MAP_CELL_DEG + jitter[0], MAP_ORIGIN[1] + r * MAP_CELL_DEG + jitter[1])
        for k, unit in enumerate(towns):
            r, c = divmod(k, cols)
            ring = [corners[r, c], corners[r, c + 1], corners[r + 1, c + 1], corners[r + 1, c], corners[r, c]]
            features.append({"type": "Feature", "properties": {"unit_id": unit.unit_id, "name": unit.name},
                             "geometry": {"type": "Polygon",
                                          "coordinates": [[[round(float(x), 5), round(float(y), 5)] for x, y in ring]]}})
    return {"type": "FeatureCollection", "features": features}


def cadres_rows(world: World) -> list[list]:
    last: dict[int, Term] = {}
    for t in world.terms:
        if t.cadre not in last or t.start_mi > last[t.cadre].start_mi:
            last[t.cadre] = t
    rows = []
    for c in range(world.n_cadres):
        post = world.posts[last[c].post]
        rows.append([_cadre_id(c), world.names[c], world.births[c], "正科级" if post.senior else "副科级", post.role])
    return rows


def assignments_rows(world: World) -> list[list]:
    rows = []
    for t in world.terms:
        post = world.posts[t.post]
        rows.append([_cadre_id(t.cadre), world.units[post.unit].unit_id, post.title, t.start.isoformat(),
                     "" if t.end is None else t.end.isoformat(), _fmt(post.share, 1), ";".join(post.indicators)])
    return rows


# --- indicator values ------------------------------------------------------------------------

def indicator_value_rows(rng: np.random.Generator, world: World, per_mu_values: dict) -> tuple[list[list], list[list]]:
    """indicator_values rows and the truth outcomes rows."""
    rows, truth = [], []
    for code, s in world.series.items():
        if code in PER_MU:
            text, values = per_mu_values[code]
        else:
            text, values = published(s)
        o = decumulate(s, values)
        rounding = o - (s.model() + s.anomaly)
        verify = rng.random(values.shape) < 0.03
        for pos, ui in enumerate(s.units):
            uid = world.units[ui].unit_id
            for t, p in enumerate(s.periods):
                if p.year not in DATA_YEARS:
                    continue
                if (pos, t) in s.verified:
                    ver = _fmt(s.verified[(pos, t)], s.spec.dec)
                elif verify[pos, t]:
                    factor = 1.0 if rng.random() < 0.7 else 1 - rng.uniform(0.02, 0.08)
                    ver = _fmt(values[pos, t] * factor, s.spec.dec)
                else:
                    ver = ""
                target = s.targets.get((pos, p.year))
                rows.append([uid, code, p.label, text[pos][t], "" if target is None else _fmt(target, s.spec.dec), ver])
                truth.append([uid, code, p.label, p.weight, _r(s.psi[pos]), _r(s.tau[t]), _r(s.cadre[pos, t]),
                              _r(s.eps[pos, t]), _r(s.anomaly[pos, t]), _r(rounding[pos, t]), _r(o[pos, t])])
    return rows, truth


# --- enterprises -----------------------------------------------------------------------------

@dataclass
class Firms:
    unit: np.ndarray       # unit index
    land: np.ndarray       # 亩
    above: np.ndarray      # 规上
    cadre: list[str]       # 挂联干部 ('' = none)
    present: np.ndarray    # (firms, FIRM_YEARS): has a row that year
    tax: np.ndarray        # (firms, FIRM_YEARS) 万元
    va: np.ndarray


def enterprise_tables(rng: np.random.Generator, world: World, per_mu_factor: dict):
    """Firms and firm-years; the above-scale firms of each unit carry the model's 亩均 levels.
    Returns (enterprise rows, enterprise_year rows, {code: (text, values)} of the unit 亩均 series)."""
    _apply_per_mu_factors(world, per_mu_factor)
    firms = _draw_firms(rng, world)
    _firm_money(rng, world, firms)
    ent_rows, year_rows = [], []
    noise = rng.standard_normal((len(firms.land), len(FIRM_YEARS), 5))
    no_emission = rng.random(len(firms.land)) < 0.1
    for i in range(len(firms.land)):
        eid = f"E{i + 1:05d}"
        above = bool(firms.above[i])
        ent_rows.append([eid, world.units[firms.unit[i]].unit_id, _fmt(firms.land[i], 1),
                         "true" if above else "false", firms.cadre[i]])
        for j, y in enumerate(FIRM_YEARS):
            if firms.present[i, j]:
                year_rows.append([eid, y, _fmt(firms.tax[i, j], 2), _fmt(firms.va[i, j], 2)]
                                 + _firm_inputs(firms.va[i, j], above, noise[i, j], no_emission[i]))
    return ent_rows, year_rows, _per_mu_values(world, firms)


def _apply_per_mu_factors(world: World, per_mu_factor: dict) -> None:
    for (code, unit, year), factor in per_mu_factor.items():
        s = world.series[code]
        pos, t = _pos(s, unit), [p.year for p in s.periods].index(year)
        s.anomaly[pos, t] = (factor - 1.0) * s.model()[pos, t]


def _draw_firms(rng, world: World) -> Firms:
    by_unit = world.terms_of_unit()
    town_units = [i for i, u in enumerate(world.units) if u.town_like]
    weights = np.array([world.units[i].size for i in town_units])
    counts = rng.multinomial(COUNTS["firms"] * world.n_counties, weights / weights.sum())
    unit, land, above, cadre, first, last = [], [], [], [], [], []
    for ui, n in zip(town_units, counts):
        a = rng.random(n) < (ABOVE_SCALE_SHARE + (0.15 if world.units[ui].unit_type == "平台" else 0))
        f = np.where(rng.random(n) < 0.05, rng.choice([2023, 2024, 2025], n), 2022)
        l_ = np.maximum(f, np.where(rng.random(n) < 0.04, rng.choice([2023, 2024], n), 2025))
        a[:3], f[:3], l_[:3] = True, 2022, 2025  # every unit keeps a few 规上 firms in every year
        mu = np.where(a, np.exp(np.log(38) + 0.8 * _z(rng, n)), np.exp(np.log(12) + 0.6 * _z(rng, n)))
        linked = world.holder_at(ui, ("dep_ind",), date(2025, 6, 30), by_unit)
        link = rng.random(n) < np.where(a, 0.9, 0.5)
        unit += [ui] * n
        land.append(np.round(np.clip(mu, 5, 300), 1))
        above.append(a)
        first.append(f)
        last.append(l_)
        cadre += [_cadre_id(linked) if linked is not None and k else "" for k in link]
    first_y, last_y = np.concatenate(first), np.concatenate(last)
    years = np.array(FIRM_YEARS)
    present = (first_y[:, None] <= years[None, :]) & (years[None, :] <= last_y[:, None])
    shape = present.shape
    return Firms(np.array(unit), np.concatenate(land), np.concatenate(above), cadre, present,
                 np.zeros(shape), np.zeros(shape))


def _firm_money(rng, world: World, firms: Firms) -> None:
    """Tax and value added. 规上: the unit level L (model + anomaly) spread over the unit's firms
    by land × persistent productivity r, so Σ tax / Σ land = L exactly; 规下: independent draws."""
    n, n_years = firms.present.shape
    mu_tax = 0.45 * _z(rng, n)
    mu_va = 0.6 * mu_tax + 0.3 * _z(rng, n)
    xi = np.zeros((n, n_years))
    for j in range(n_years):
        xi[:, j] = (0.6 * xi[:, j - 1] if j else 0) + 0.15 * _z(rng, n)
    r = {"tax_per_mu": np.exp(mu_tax[:, None] + xi),
         "va_per_mu": np.exp(mu_va[:, None] + 0.8 * xi + 0.05 * _z(rng, (n, n_years)))}
    growth = 1.03 ** (np.array(FIRM_YEARS) - FIRM_YEARS[0])
    firms.tax[:] = (firms.land[:, None] * np.exp(np.log(6.0) + 0.6 * _z(rng, n))[:, None]
                    * np.exp(0.1 * _z(rng, (n, n_years))) * growth)
    firms.va[:] = (firms.land[:, None] * np.exp(np.log(40.0) + 0.5 * _z(rng, n))[:, None]
                   * np.exp(0.08 * _z(rng, (n, n_years))) * growth)
    for code, arr in (("tax_per_mu", firms.tax), ("va_per_mu", firms.va)):
        s = world.series.get(code)
        if s is None:
            continue
        level = s.model() + s.anomaly
        for j, y in enumerate(FIRM_YEARS):
            t = [p.year for p in s.periods].index(y)
            for pos, ui in enumerate(s.units):
                sel = (firms.unit == ui) & firms.above & firms.present[:, j]
                weight = firms.land[sel] * r[code][sel, j]
                arr[sel, j] = level[pos, t] * firms.land[sel].sum() * weight / weight.sum()
    firms.tax[:] = np.round(firms.tax, 2)
    firms.va[:] = np.round(firms.va, 2)


def _per_mu_values(world: World, firms: Firms) -> dict:
    """Unit 亩均 series as published (Σ / Σ land over 规上 firms), and next year's targets."""
    out = {}
    for code, arr in (("tax_per_mu", firms.tax), ("va_per_mu", firms.va)):
        s = world.series.get(code)
        if s is None:
            continue
        values = np.zeros((len(s.units), len(s.periods)))
        for pos, ui in enumerate(s.units):
            for t, p in enumerate(s.periods):
                j = FIRM_YEARS.index(p.year)
                sel = (firms.unit == ui) & firms.above & firms.present[:, j]
                values[pos, t] = arr[sel, j].sum() / firms.land[sel].sum()
        text, parsed = as_written(values, s.spec.dec)
        for pos in range(len(s.units)):
            for t, p in enumerate(s.periods[1:], start=1):
                s.targets[(pos, p.year)] = round(parsed[pos, t - 1] * 1.05, 1)
        out[code] = (text, parsed)
    return out


def _firm_inputs(va: float, above: bool, z: np.ndarray, no_emission: bool) -> list:
    """energy_tce, emission_t, employees, rd_expense, revenue around the 黄岩 2022 benchmarks
    (2.694 万元/tce, 4,929.81 万元/t, 18.14 万元/人, R&D 3.02 % of revenue); 规上 ≥ 2,000 万元 revenue."""
    revenue = va / 0.25 * math.exp(0.2 * z[0])
    if above:
        revenue = max(revenue, 2000 * (1.05 + 0.3 * abs(z[1])))
    else:
        revenue = min(revenue, 1990 * (0.5 + 0.5 / (1 + abs(z[1]))))
    rd = revenue * (0.03 if above else 0.008) * math.exp(0.5 * z[2])
    return [_fmt(va / (2.7 * math.exp(0.35 * z[3])), 1),
            "" if no_emission else _fmt(va / (4930 * math.exp(0.6 * z[4])), 3),
            max(1, int(round(va / (18.0 * math.exp(0.3 * z[1]))))), _fmt(rd, 2), _fmt(revenue, 2)]


# --- tasks -----------------------------------------------------------------------------------

TASK_CATEGORIES = ("指标争先", "项目攻坚", "改革突破", "民生实事")
CATEGORY_PROBS = {True: (0.35, 0.30, 0.15, 0.20), False: (0.20, 0.20, 0.35, 0.25)}
CATEGORY_SLOTS = {
    "指标争先": ("dep_ind", "dep_fin", "dep_inv", "chief", "dept_dep1"),
    "项目攻坚": ("dep_inv", "dep_ind", "dept_dep1"),
    "改革突破": ("secretary", "chief", "dept_head"),
    "民生实事": ("dep_other", "chief", "dept_dep"),
}
PRODUCTS = ("汽车零部件", "水暖阀门", "眼镜配件", "智能家具", "新能源汽车电机", "智能卫浴", "精密铸件",
            "液压元件", "船舶配件", "工业机器人")
PLACES = ("漩门湾", "大麦屿港区", "沙门滨港工业城", "龙溪工业区", "楚门小微园", "玉环湖", "坎门渔港",
          "芦浦工业园", "清港工业区", "干江滨海园区")
TASK_TEMPLATES = {
    "指标争先": ("规上工业增加值增速力争全市前三", "一般公共预算收入完成{n}亿元", "固定资产投资增速达到{p}%",
                 "货物出口额同比增长{p}%", "实际使用外资突破{k}万美元", "新增规上工业企业{n}家",
                 "规上工业亩均税收提升{p}%", "数字经济核心产业增加值增长{p}%"),
    "项目攻坚": ("{product}项目开工建设", "{product}项目竣工投产", "低效工业用地再开发{k}亩",
                 "完成{n}个亿元以上项目签约", "{place}标准厂房建设", "{place}基础设施配套工程"),
    "改革突破": ("深化“亩均论英雄”改革", "“最多跑一次”改革向基层延伸", "数字化改革应用场景上线",
                 "企业投资项目审批提速", "工业用地“标准地”出让改革", "村级集体经济增收改革",
                 "“大综合一体化”行政执法改革"),
    "民生实事": ("老旧小区改造{n}个", "农村公路提升改造{k}公里", "新增公办幼儿园学位{k}个",
                 "居家养老服务中心建设{n}家", "农村饮用水达标提标", "{place}海塘安澜工程",
                 "城乡公交一体化提升"),
}


def _title(rng, category: str) -> str:
    tpl = TASK_TEMPLATES[category][int(rng.integers(0, len(TASK_TEMPLATES[category])))]
    return tpl.format(n=int(rng.integers(2, 9)), p=int(rng.integers(5, 16)), k=int(rng.integers(2, 30)) * 50,
                      product=PRODUCTS[int(rng.integers(0, len(PRODUCTS)))],
                      place=PLACES[int(rng.integers(0, len(PLACES)))])


@dataclass
class Task:
    task_id: str
    year: int
    title: str
    category: str
    unit: int
    lead: int
    co: list[int]
    due: date
    difficulty: float


def build_tasks(rng: np.random.Generator, world: World) -> list[Task]:
    by_unit = world.terms_of_unit()
    tasks = []
    for year in DATA_YEARS:
        y0 = date(year, 1, 1).toordinal()
        for ui, u in enumerate(world.units):
            n = int(rng.integers(7, 13)) if u.town_like else int(rng.choice(4, p=(0.15, 0.45, 0.28, 0.12)))
            seq = 0
            for _ in range(n):
                category = TASK_CATEGORIES[int(rng.choice(4, p=CATEGORY_PROBS[u.town_like]))]
                due = _due(rng, year)
                d1 = due.toordinal()
                cands, weights = [], []
                for i in by_unit.get(ui, []):
                    t = world.terms[i]
                    s, e = t.span()
                    days = _overlap_days(s, e, y0, d1)
                    if days <= 0 or t.cadre in cands:
                        continue
                    cands.append(t.cadre)
                    weights.append(days * (3.0 if world.posts[t.post].slot in CATEGORY_SLOTS[category] else 1.0))
                if not cands:
                    continue
                w = np.array(weights) / sum(weights)
                lead = cands[int(rng.choice(len(cands), p=w))]
                others = [c for c in cands if c != lead]
                k = min(len(others), int(rng.integers(0, 3)))
                co = [others[int(i)] for i in rng.choice(len(others), k, replace=False)] if k else []
                seq += 1
                tasks.append(Task(f"{year}-{u.unit_id}-{seq:03d}", year, _title(rng, category), category, ui,
                                  lead, sorted(co), due, round(float(rng.uniform(0.8, 1.2)), 2)))
    return tasks


def _due(rng, year: int) -> date:
    u = rng.random()
    if u < 0.5:
        return date(year, 12, 31)
    if u < 0.85:
        return _month_end(_mi(year, int(rng.choice([3, 6, 9]))))
    return _month_end(_mi(year, int(rng.integers(4, 12))))


def tasks_rows(world: World, tasks: list[Task]) -> list[list]:
    return [[t.task_id, t.year, t.title, t.category, world.units[t.unit].unit_id, _cadre_id(t.lead),
             ";".join(_cadre_id(c) for c in t.co), t.due.isoformat(), _fmt(t.difficulty, 2)] for t in tasks]


def _planned(n: int) -> np.ndarray:
    """S-curve from month 1 to 100 % at month n."""
    x = np.arange(0, n + 1) / n
    f = 1 / (1 + np.exp(-6 * (x - 0.5)))
    return np.round(100 * (f[1:] - f[0]) / (f[-1] - f[0]), 1)


def task_progress_rows(rng: np.random.Generator, world: World, tasks: list[Task]) -> list[list]:
    """Monthly progress; also injects the task anomalies (lagging, over_reported)."""
    n_lag, n_over = 10 * world.n_counties, 12 * world.n_counties
    eligible = [i for i, t in enumerate(tasks) if t.due.month >= 5]
    chosen = [int(i) for i in rng.choice(eligible, n_lag + n_over, replace=False)]
    kinds = {i: "lagging" for i in chosen[:n_lag]}
    kinds.update({i: ("over_reported_gap" if j % 2 == 0 else "over_reported_evidence")
                  for j, i in enumerate(chosen[n_lag:])})
    rows = []
    for i, t in enumerate(tasks):
        rows += _one_task(rng, world, t, kinds.get(i))
    return rows


def _one_task(rng, world: World, t: Task, kind: str | None) -> list[list]:
    n = t.due.month
    planned = _planned(n)
    d = (world.task_effect[t.lead] + world.unit_task_effect[t.unit] + TASK_NOISE_SD * rng.standard_normal()
         - 12 * (t.difficulty - 1))
    if kind == "lagging":
        d = -rng.uniform(25, 40)
    elif kind is not None:
        d = -rng.uniform(15, 25)
    raw = planned + d + MONTH_NOISE_SD * rng.standard_normal(n)
    if kind == "lagging":  # stalls for the last third
        raw[2 * n // 3:] = raw[2 * n // 3 - 1]
    actual = np.clip(np.maximum.accumulate(raw), 0, 100)
    plan_list, act_list = list(planned), list(actual)
    mi = _mi(t.year, 1)
    last_mi = mi + n - 1
    while act_list[-1] < 100 and len(act_list) < n + 3 and last_mi < END_MI:
        step = rng.uniform(0, 5) if kind == "lagging" else rng.uniform(5, 15)
        act_list.append(min(100.0, act_list[-1] + step))
        plan_list.append(100.0)
        last_mi += 1
    true = np.round(np.array(act_list), 1)
    reported = true.copy()
    evidence = np.array([_evidence(rng, true, j) for j in range(len(true))])
    gap_rows: list[int] = []
    if kind == "over_reported_gap":
        m0 = max(1, n // 2)
        reported[m0:] = np.minimum(100.0, true[m0:] + np.round(rng.uniform(15, 30), 1))
        reported = np.maximum.accumulate(reported)
        gap_rows = [j for j in range(len(true)) if reported[j] - true[j] >= 15]
    elif kind == "over_reported_evidence":
        reported[n - 1:] = 100.0
        evidence[n - 1:] = 0
        true, reported = true[:n], reported[:n]
        plan_list = plan_list[:n]
        evidence = evidence[:n]
    rows = []
    for j in range(len(reported)):
        m = mi + j
        # Recent months are often not verified yet; anomalous tasks keep their verified values.
        unverified = (m >= END_MI - 1 and rng.random() < 0.5) or rng.random() < 0.04
        verified = "" if unverified and kind is None else _fmt(true[j], 1)
        rows.append([t.task_id, f"{m // 12}-{m % 12 + 1:02d}", _fmt(plan_list[j], 1), _fmt(reported[j], 1),
                     verified, int(evidence[j]), _reported_at(rng, m).isoformat()])
    if kind == "lagging":
        _anomaly(world, "lagging", "task", t.unit, _cadre_id(t.lead), t.task_id, "", rows[0][1], rows[-1][1],
                 float(true[n - 1] - 100.0), f"进度滞后: 到期时实际 {true[n - 1]:.1f}% (lagging far behind plan)")
    elif kind == "over_reported_gap":
        gap = float(np.max(reported - true))
        _anomaly(world, "over_reported", "task", t.unit, _cadre_id(t.lead), t.task_id, "",
                 rows[gap_rows[0]][1] if gap_rows else rows[0][1], rows[-1][1], gap,
                 f"成效不实: 填报进度高于核实进度最多 {gap:.1f} pp (actual_pct − verified_pct ≥ 15)")
    elif kind == "over_reported_evidence":
        _anomaly(world, "over_reported", "task", t.unit, _cadre_id(t.lead), t.task_id, "", rows[-1][1], rows[-1][1],
                 float(100.0 - true[-1]), f"无佐证: 到期填报 100% 但佐证数为 0, 核实进度 {true[-1]:.1f}% "
                                          f"(reported 100 with evidence_count 0)")
    return rows


def _evidence(rng, actual: np.ndarray, j: int) -> int:
    if actual[j] <= 0:
        return 0
    if actual[j] < 100 and rng.random() < 0.03:
        return 0
    return 1 + int(rng.poisson(1.0 + (1.0 if j == 0 or actual[j] > actual[j - 1] else 0.0)))


def _reported_at(rng, m: int) -> date:
    if rng.random() < 0.3 and m < END_MI:
        return _month_start(m + 1) + timedelta(days=int(rng.integers(0, 7)))
    return _month_start(m) + timedelta(days=int(rng.integers(19, 28)))


# --- ratings ---------------------------------------------------------------------------------

COMMENTS = {
    "high": ("工作作风扎实，推进有力", "服务企业主动靠前", "敢于担当，攻坚克难", "群众口碑好", "思路清晰，执行力强"),
    "mid": ("工作较为踏实", "能完成分管工作", "统筹协调能力还需加强", "工作有思路"),
    "low": ("创新意识有待加强", "工作推进偏慢", "服务意识需进一步提升", "深入基层不够"),
}


def _rater_ids(rng, n: int) -> list[str]:
    draws = rng.integers(16 ** 9, 16 ** 10, size=2 * n + 16)
    seen, out = set(), []
    for d in draws:
        h = f"R{int(d):010x}"
        if h not in seen:
            seen.add(h)
            out.append(h)
        if len(out) == n:
            break
    return out


def rating_rows(rng: np.random.Generator, world: World) -> list[list]:
    counties = sorted({u.county for u in world.units})
    n_units = len(world.units)
    pool_sizes = {"上级": 30, "同级": 200, "下级": 30, "群众": 60, "服务对象": 40}
    ids = _rater_ids(rng, len(counties) * (pool_sizes["上级"] + pool_sizes["同级"])
                     + n_units * (pool_sizes["下级"] + pool_sizes["群众"] + pool_sizes["服务对象"]))
    pools: dict[tuple[str, int], list[str]] = {}
    k = 0
    for g in ("上级", "同级"):
        for c in counties:
            pools[(g, c)] = ids[k:k + pool_sizes[g]]
            k += pool_sizes[g]
    for g in ("下级", "群众", "服务对象"):
        for ui in range(n_units):
            pools[(g, ui)] = ids[k:k + pool_sizes[g]]
            k += pool_sizes[g]

    rated = _rated_cadre_years(world)
    collusion = _collusion_cases(rng, world, rated)
    rows = []
    for (y, c), ui in rated.items():
        base = 82 + 5 * world.ability[c] + 2 * rng.standard_normal()
        for g, (lo, hi) in RATER_COUNTS.items():
            n = int(rng.integers(lo, hi + 1))
            if g == "下级" and rng.random() < 0.08:
                n = int(rng.integers(2, 5))
            key = (g, world.units[ui].county) if g in ("上级", "同级") else (g, ui)
            raters = rng.choice(pools[key], size=n, replace=False)
            latent = base + RATER_BIAS[g] + 6 * rng.standard_normal(n)
            if (y, c) in collusion and g == "同级":
                latent = rng.uniform(95, 100, n)
            elif (y, c) in collusion and g == "服务对象":
                latent = rng.uniform(55, 72, n)
            latent = np.clip(latent, 0, 100)
            scores = [_grade(x) for x in latent] if g in WORD_GROUPS else [str(int(x)) for x in np.rint(latent)]
            rows += [[str(y), _cadre_id(c), g, str(r), sc, cm]
                     for r, sc, cm in zip(raters, scores, _comments(rng, latent))]
    return rows


def _rated_cadre_years(world: World) -> dict[tuple[int, int], int]:
    """(year, cadre) → the unit where the cadre spent most days that year; only cadres in post
    for at least 90 days of the year are rated."""
    days: dict[tuple[int, int], dict[int, int]] = {}
    for t in world.terms:
        s, e = t.span()
        for y in DATA_YEARS:
            d = _overlap_days(s, e, date(y, 1, 1).toordinal(), date(y, 12, 31).toordinal())
            if d:
                per = days.setdefault((y, t.cadre), {})
                per[world.posts[t.post].unit] = per.get(world.posts[t.post].unit, 0) + d
    return {k: max(sorted(per), key=lambda u: per[u]) for k, per in sorted(days.items()) if sum(per.values()) >= 90}


def _collusion_cases(rng, world: World, rated: dict[tuple[int, int], int]) -> set[tuple[int, int]]:
    eligible = list(rated)
    n = 2 * world.n_counties
    picked = {eligible[int(i)] for i in rng.choice(len(eligible), n, replace=False)}
    for y, c in sorted(picked):
        _anomaly(world, "rating_collusion", "cadre", rated[(y, c)], _cadre_id(c), "", "", str(y), str(y), 0.0,
                 "360 异常: 同级互评全部 ≥ 95 而服务对象多为 一般/差 (peers ≫ service recipients)")
    return picked


def _grade(x: float) -> str:
    for cut, word in GRADE_CUTS:
        if x >= cut:
            return word
    return "差"


def _comments(rng, scores: np.ndarray) -> list[str]:
    """Short comments matching the score; 40 % left empty."""
    empty = rng.random(len(scores)) < 0.4
    pick = rng.integers(0, 1000, len(scores))
    out = []
    for x, e, i in zip(scores, empty, pick):
        pool = COMMENTS["high" if x >= 85 else "mid" if x >= 72 else "low"]
        out.append("" if e else pool[int(i) % len(pool)])
    return out


# --- projects --------------------------------------------------------------------------------

PROJECT_TEMPLATES = ("年产{n}万套{product}生产线项目", "{product}智能制造基地项目", "{product}技改扩产项目",
                     "{place}{product}产业园项目", "{product}数字化工厂项目")


def project_rows(rng: np.random.Generator, world: World) -> list[list]:
    by_unit = world.terms_of_unit()
    town_units = [i for i, u in enumerate(world.units) if u.town_like]
    w = np.array([world.units[i].size for i in town_units])
    first, last = date(PROJECT_YEARS[0], 1, 1).toordinal(), AS_OF.toordinal()
    signings = []
    for _ in range(COUNTS["projects"] * world.n_counties):
        ui = town_units[int(rng.choice(len(town_units), p=w / w.sum()))]
        for _attempt in range(30):  # a signing needs a 招商 deputy in post (vacancies happen)
            signed = date.fromordinal(int(rng.integers(first, last + 1)))
            cadre = world.holder_at(ui, ("dep_inv",), signed, by_unit)
            if cadre is not None:
                signings.append((signed, ui, cadre))
                break
    rows, seq = [], defaultdict(int)
    for signed, ui, cadre in sorted(signings):
        seq[signed.year] += 1
        tpl = PROJECT_TEMPLATES[int(rng.integers(0, len(PROJECT_TEMPLATES)))]
        name = tpl.format(n=int(rng.integers(5, 200)), product=PRODUCTS[int(rng.integers(0, len(PRODUCTS)))],
                          place=PLACES[int(rng.integers(0, len(PLACES)))])
        invest = float(np.clip(np.exp(np.log(15000) + 1.2 * rng.standard_normal()), 2000, 500000))
        stages = _project_stages(rng, signed, world.ability[cadre])
        rows.append([f"XM{signed.year}{seq[signed.year]:04d}", world.units[ui].unit_id, _cadre_id(cadre), name,
                     _fmt(round(invest / 100) * 100, 0)] + ["" if d is None else d.isoformat() for d in stages])
    return rows


def _project_stages(rng, signed: date, ability: float) -> list[date | None]:
    """签约 → 落地 → 开工 → 投产 → 达产: each next stage with a probability rising with the signing
    cadre's ability, after a delay; stages after the as-of date are not reached yet."""
    dates: list[date | None] = [signed]
    for p0, slope, lo, hi in STAGE_PROBS.values():
        prev = dates[-1]
        if prev is None or rng.random() >= 1 / (1 + math.exp(-(math.log(p0 / (1 - p0)) + slope * ability))):
            dates.append(None)
            continue
        nxt = prev + timedelta(days=int(rng.integers(lo, hi + 1)))
        dates.append(nxt if nxt <= AS_OF else None)
    return dates


# --- truth -----------------------------------------------------------------------------------

def components(world: World) -> np.ndarray:
    """Connected components of the cadre–unit graph over assignments overlapping 2023–2025:
    the component label per cadre (−1 = not in post in the window; 0 = largest)."""
    parent = list(range(world.n_cadres + len(world.units)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    w0, w1 = WINDOW_START.toordinal(), AS_OF.toordinal()
    active: set[int] = set()
    for t in world.terms:
        s, e = t.span()
        if _overlap_days(s, e, w0, w1) > 0:
            active.add(t.cadre)
            a, b = find(t.cadre), find(world.n_cadres + world.posts[t.post].unit)
            if a != b:
                parent[a] = b
    roots: dict[int, int] = {}
    for c in sorted(active):
        r = find(c)
        roots[r] = roots.get(r, 0) + 1
    ranked = sorted(roots, key=lambda r: (-roots[r], r))
    label = {r: i for i, r in enumerate(ranked)}
    comp = np.full(world.n_cadres, -1)
    for c in active:
        comp[c] = label[find(c)]
    return comp


def truth_files(world: World, outcomes: list[list], comp: np.ndarray) -> dict[str, tuple[list[str], list[list]]]:
    cadre_ids = world.cadre_ids()
    files: dict[str, tuple[list[str], list[list]]] = {}
    files["cadre_effects.csv"] = (
        ["cadre_id", "indicator", "theta", "exposure"],
        [[cadre_ids[c], code, _r(world.theta[code][c]), _r(world.exposure[code][c])]
         for c in range(world.n_cadres) for code in world.series])
    files["platform_effects.csv"] = (
        ["unit_id", "indicator", "psi"],
        [[world.units[ui].unit_id, code, _r(s.psi[pos])] for code, s in world.series.items()
         for pos, ui in enumerate(s.units)])
    files["period_effects.csv"] = (
        ["indicator", "period", "tau"],
        [[code, p.label, _r(s.tau[t])] for code, s in world.series.items() for t, p in enumerate(s.periods)])
    files["task_effects.csv"] = (
        ["cadre_id", "effect"], [[cadre_ids[c], _r(world.task_effect[c])] for c in range(world.n_cadres)])
    files["unit_task_effects.csv"] = (
        ["unit_id", "effect"], [[u.unit_id, _r(world.unit_task_effect[i])] for i, u in enumerate(world.units)])
    isolated = {i for i, u in enumerate(world.units) if u.isolated}
    units_of: dict[int, set[int]] = {}
    for t in world.terms:
        units_of.setdefault(t.cadre, set()).add(world.posts[t.post].unit)
    files["cadre_profiles.csv"] = (
        ["cadre_id", "ability", "component", "in_main_component", "stayer"],
        [[cadre_ids[c], _r(world.ability[c]), "" if comp[c] < 0 else int(comp[c]),
          "true" if comp[c] == 0 else "false", "true" if units_of[c] <= isolated else "false"]
         for c in range(world.n_cadres)])
    files["outcomes.csv"] = (
        ["unit_id", "indicator", "period", "weight", "psi", "tau", "cadre_part", "eps", "anomaly", "rounding", "o"],
        outcomes)
    cols = ["anomaly_id", "kind", "level", "unit_id", "cadre_id", "task_id", "indicator", "onset", "end",
            "magnitude", "note"]
    files["anomalies.csv"] = (cols, [[a[k] if k != "magnitude" else _fmt(a[k], 3) for k in cols]
                                     for a in world.anomalies])
    return files


def model_params(world: World, seed: int, scale: str) -> dict:
    return {
        "seed": seed, "scale": scale, "as_of": AS_OF.isoformat(), "data_years": list(DATA_YEARS),
        "firm_years": list(FIRM_YEARS), "history_start": _month_start(HISTORY_START_MI).isoformat(),
        "rho": RHO, "clip_sd": CLIP, "size_jitter": SIZE_JITTER,
        "series": {code: {**asdict(s.spec), "m": s.m, "unit": s.unit_of_measure, "cumulative": s.cumulative,
                          "frequency": world.dictionary[code]["frequency"],
                          "reporting_units": [world.units[u].unit_id for u in s.units]}
                   for code, s in world.series.items()},
        "size_weights": SIZE_WEIGHTS, "lead_department": LEAD_DEPARTMENT,
        "isolated_units": [u.unit_id for u in world.units if u.isolated],
        "posts": {"town": {"secretary": 0.3, "chief": 0.3,
                           **{slot: {"share": v[2], "indicators": list(v[3])} for slot, v in TOWN_DEPUTIES.items()},
                           "dep_other": 0.0},
                  "department": {"head": 0.6, "first_deputy": 0.4, "other_deputies": 0.0}},
        "rotation": {"term_months": list(TERM_MONTHS), "p_leave": P_LEAVE, "p_leave_old": P_LEAVE_OLD,
                     "old_age": OLD_AGE, "retire_age": RETIRE_AGE, "p_reappoint": P_REAPPOINT,
                     "p_reappoint_isolated": P_REAPPOINT_ISOLATED, "p_fill_month": P_FILL_MONTH,
                     "p_from_pool": P_FROM_POOL, "p_new_entrant": P_NEW_ENTRANT,
                     "max_vacant_months": MAX_VACANT_MONTHS, "max_pool_wait": MAX_POOL_WAIT,
                     "town_to_town_weight": TOWN_TO_TOWN, "reshuffle_pairs": RESHUFFLE_PAIRS,
                     "reshuffle_months": [f"{m // 12}-{m % 12 + 1:02d}" for m in RESHUFFLE_MONTHS]},
        "tasks": {"task_effect_sd": TASK_EFFECT_SD, "unit_task_effect_sd": UNIT_TASK_EFFECT_SD,
                  "task_noise_sd": TASK_NOISE_SD, "month_noise_sd": MONTH_NOISE_SD, "difficulty_slope": -12.0,
                  "s_curve_steepness": 6.0},
        "ratings": {"counts": {g: list(v) for g, v in RATER_COUNTS.items()}, "bias": RATER_BIAS,
                    "base": 82.0, "ability_slope": 5.0, "cadre_year_sd": 2.0, "rater_sd": 6.0,
                    "grade_cuts": {w: c for c, w in GRADE_CUTS}, "word_groups": list(WORD_GROUPS)},
        "projects": {"count": COUNTS["projects"], "stages": {k: list(v) for k, v in STAGE_PROBS.items()},
                     "investment_lognormal": {"median": 15000, "sigma": 1.2, "min": 2000, "max": 500000}},
        "enterprises": {"count": COUNTS["firms"], "above_scale_share": ABOVE_SCALE_SHARE},
    }


TRUTH_README = """# 演示数据真值 / Demo ground truth

本目录由 `python -m pipelines demo` 生成,**不会被导入**。它记录合成数据背后的真实参数,用于检验贡献
分解(个人贡献 vs 平台效应)、异常识别等模型能否把它们找回来。随机种子 {seed},规模 {scale}。完整模型见
`datasets/county.py` 的模块说明,全部参数见 `params.json`。

This folder is written by `python -m pipelines demo` and is **never ingested**. It holds the true
parameters behind the synthetic batch, so the attribution and anomaly models can be checked
against them. Seed {seed}, scale {scale}. The model is stated in the docstring of
`datasets/county.py`; every number is in `params.json`.

## 模型 / Model

每个指标 k、单位 u、原生期间 t 的当期(非累计)值 / per-period (not year-to-date) outcome:

    o[u,t,k] = psi[u,k] + tau[t,k] + Σ_c s[c,u,t,k]·theta[c,k] + eps[u,t,k] (+ anomaly[u,t,k])

- s = 任职责任份额 × 该期间被任职覆盖的天数比例;任职的分管指标不含 k 时为 0。
  s = assignment share × fraction of the period's days covered; 0 when the post's 分管指标 list
  is not empty and does not contain k.
- 月度指标每年 11 期,`YYYY-02` 为 1–2 月合并(权重 2 个月)。Monthly series have 11 periods a year;
  `YYYY-02` is January+February (weight 2 months).
- 累计总量指标 = 当年累计 Σ o;累计增速指标(%)= 按月加权的累计平均,故
  o_t = (W_t·YTD_t − W_{{t−1}}·YTD_{{t−1}}) / w_t。Cumulative level series report the year-to-date
  sum of o; cumulative rate series the month-weighted year-to-date mean, hence the formula.
- 亩均税收 / 亩均增加值 = 单位规上企业 Σ 税收(增加值)/ Σ 用地面积,企业数据按此精确生成。
  tax_per_mu, va_per_mu = Σ tax (value added) / Σ land_mu over the unit's above-scale firms;
  the firm data are drawn so that this ratio equals o (model years 2022–2025, reported 2023–2025).
- theta[c,k] = sd_theta_k·(0.5·a_c + √0.75·e_ck):能力 a_c 高的干部在各指标、任务和 360 评价中都较好。
  A cadre with high ability a_c is good on every indicator, on tasks and in the 360 ratings.

## 文件 / Files

| file | columns | 含义 / meaning, units |
|---|---|---|
| `cadre_effects.csv` | cadre_id, indicator, theta, exposure | 干部效应,指标自身单位/单位份额 (pp of growth, 万元 per period …); exposure = Σ_t s over the model periods (0 = never responsible for that indicator: theta unidentifiable) |
| `platform_effects.csv` | unit_id, indicator, psi | 平台效应 psi,每期指标单位 (level series: the unit's mean flow per period) |
| `period_effects.csv` | indicator, period, tau | 期间效应 tau = 趋势 + 1–2月合并增量 + 随机项 (trend + Jan+Feb bump + random), outcome units |
| `outcomes.csv` | unit_id, indicator, period, weight, psi, tau, cadre_part, eps, anomaly, rounding, o | 每期当期值 o,由 indicator_values 精确反累计得到 (exactly de-cumulated); o = psi + tau + cadre_part + eps + anomaly + rounding; weight = 月数 months (1–2月 2) or 1; cadre_part = Σ_c s·theta; rounding = 公布小数位的影响 (effect of the published decimals) |
| `task_effects.csv` | cadre_id, effect | 干部任务效应:牵头任务实际进度的加减百分点 (pp added to actual progress of the tasks the cadre leads) |
| `unit_task_effects.csv` | unit_id, effect | 单位任务效应 unit effect on task progress, pp |
| `cadre_profiles.csv` | cadre_id, ability, component, in_main_component, stayer | 能力 ability a_c ~ N(0,1); component = 2023–2025 任职的干部–单位连通分量 (0 = largest, empty = not in post then); stayer = 只在无人流动的封闭单位任职,不可分离 (served only in closed units nobody moved through) |
| `anomalies.csv` | anomaly_id, kind, level, unit_id, cadre_id, task_id, indicator, onset, end, magnitude, note | 注入的异常 injected anomalies, see below; onset/end are periods; magnitude: level_shift/spike 每期变化 per-period change in outcome units; fabricated 填报 − 真实年末值 reported − true year-end value; divergence/hard_divergence 每期增加的 pp; lagging 到期差距 gap at due (pp, negative); over_reported 最大 填报 − 核实 largest reported − verified (pp); note 中英文说明 |
| `params.json` | — | 全部参数、种子、规模、封闭单位、岗位份额 every model parameter, seed, scale, closed units, post shares |

## 注入的异常 / Injected anomalies

| kind | level | 含义 / meaning |
|---|---|---|
| level_shift | series | 断点:自 onset 起每期当期值平移 / per-period outcome shifted from onset to the end of data |
| spike | series | 突变:单期 / one period |
| fabricated | series | 数字可疑:某单位一年的序列被替换为贴近目标的平滑整数序列,该年最后一行的 verified_value 为真实值 / a unit-year replaced by a smooth round-number series ending just above target; the last row's verified_value holds the true value |
| divergence | series | 重数量轻质量:固投增速全年抬高,同年亩均税收/亩均增加值下降 12–20 % / fai_growth up all year while tax_per_mu and va_per_mu fall |
| hard_divergence | series | 硬指标背离:规上工业增加值增速全年抬高,工业用电量和税收不变 / ind_va_growth up while industrial_power and gpb_revenue do not move |
| lagging | task | 进度滞后:远落后于计划并停滞 / far behind plan and stalling |
| over_reported | task | 成效不实 / 无佐证:填报进度比核实进度高 ≥ 15 pp,或到期填报 100 % 而佐证数为 0 / actual_pct ≥ verified_pct + 15, or 100 % with evidence_count 0 at the due month |
| rating_collusion | cadre | 360 异常:同级互评全部 ≥ 95 而服务对象多为 一般/差 / peers ≥ 95 while service recipients rate 一般/差 |
"""


# --- entry point -----------------------------------------------------------------------------

def build_world(seed: int, scale: str) -> tuple[World, list[np.random.Generator]]:
    """Units, posts, the rotation history and the cadre effects; the streams for the rest."""
    if scale not in SCALES:
        raise ValueError(f"scale 只能是 {'/'.join(SCALES)}")
    n_counties = SCALES[scale]
    streams = np.random.default_rng(seed).spawn(12)
    dictionary = _load_dictionary()
    codes = set(dictionary)
    units = build_units(n_counties, codes)
    posts = build_posts(streams[0], units, codes)
    terms, births = Rotation(streams[1], units, posts).run()
    names = cadre_names(streams[2], len(births))
    rng = streams[3]
    ability = _z(rng, len(births))
    world = World(dictionary, units, posts, terms, births, names, ability)
    for code, spec in MODEL.items():  # level series: × m_k in build_series
        world.theta[code] = spec.sd_theta * (RHO * ability + math.sqrt(1 - RHO ** 2) * _z(rng, len(births)))
    world.task_effect = TASK_EFFECT_SD * (RHO * ability + math.sqrt(1 - RHO ** 2) * _z(rng, len(births)))
    world.unit_task_effect = UNIT_TASK_EFFECT_SD * _z(rng, len(units))
    return world, streams


def generate(out_dir: Path, seed: int = 7, scale: str = "county") -> dict[str, int]:
    """Write the demo batch (one CSV per input table) into ``out_dir`` and the ground truth into
    ``out_dir/_truth``. Returns the row count per written table."""
    out_dir = Path(out_dir)
    world, streams = build_world(seed, scale)
    build_series(streams[4], world)
    set_targets(streams[5], world)
    per_mu_factor = inject_series_anomalies(streams[6], world)
    ent_rows, year_rows, per_mu_values = enterprise_tables(streams[7], world, per_mu_factor)
    value_rows, outcomes = indicator_value_rows(streams[8], world, per_mu_values)
    tasks = build_tasks(streams[9], world)
    tables = {
        "units": units_rows(world),
        "cadres": cadres_rows(world),
        "assignments": assignments_rows(world),
        "indicator_values": value_rows,
        "tasks": tasks_rows(world, tasks),
        "task_progress": task_progress_rows(streams[9], world, tasks),
        "ratings": rating_rows(streams[10], world),
        "projects": project_rows(streams[11], world),
        "enterprises": ent_rows,
        "enterprise_years": year_rows,
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in OUTPUT_TABLES:
        _write_csv(out_dir / f"{name}.csv", TABLES[name].column_names, tables[name])
    boundaries = boundaries_geojson(world, seed)
    (out_dir / "units.geojson").write_text(json.dumps(boundaries, ensure_ascii=False), encoding="utf-8")
    comp = components(world)
    truth_dir = out_dir / "_truth"
    truth_dir.mkdir(exist_ok=True)
    for fname, (header, rows) in truth_files(world, outcomes, comp).items():
        _write_csv(truth_dir / fname, header, rows)
    (truth_dir / "params.json").write_text(
        json.dumps(model_params(world, seed, scale), ensure_ascii=False, indent=2, sort_keys=True) + "\n",
        encoding="utf-8")
    (truth_dir / "README.md").write_text(TRUTH_README.format(seed=seed, scale=scale), encoding="utf-8")
    return {**{name: len(tables[name]) for name in OUTPUT_TABLES}, "unit_boundaries": len(boundaries["features"])}



def write_demo(out_dir: Path, home, seed: int = 7, scale: str = "county") -> dict[str, int]:
    """Generate the demo batch and record its files as demo in ``home`` (the provenance that
    makes ``ingest`` mark it 演示; copying ``_truth/`` next to real files does not)."""
    counts = generate(out_dir, seed=seed, scale=scale)
    home.register_demo(Path(out_dir))
    return counts
