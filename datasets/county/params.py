"""The demo county's true parameters (stated in the package docstring, checked by tests) and the
number formats its parts share."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from datasets.rotation import Rules, month_index

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

HISTORY_START_MI = month_index(2018, 1)
END_MI = month_index(2025, 12)

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
RESHUFFLE_MONTHS = tuple(month_index(y, m) for y, m in ((2019, 3), (2021, 9), (2023, 3), (2024, 8), (2025, 2)))
RESHUFFLE_PAIRS = 4  # per county and reshuffle: distinct post kinds, one pair of towns each
TOWN_TO_TOWN = 6.0  # town-like vacancies prefer movers from other towns (identifies town indicators)
P_FILL_MONTH, P_FROM_POOL, P_NEW_ENTRANT, MAX_VACANT_MONTHS, MAX_POOL_WAIT = 0.8, 0.85, 0.5, 4, 3
BIRTH_YEARS = {  # (senior post, first holder): birth years drawn, upper bound excluded
    (True, True): (1965, 1981), (True, False): (1968, 1985),
    (False, True): (1968, 1993), (False, False): (1984, 1996),
}
ROTATION = Rules(
    p_leave=P_LEAVE, p_reappoint=P_REAPPOINT, p_reappoint_closed=P_REAPPOINT_ISOLATED,
    p_fill_month=P_FILL_MONTH, max_vacant_months=MAX_VACANT_MONTHS, p_from_pool=P_FROM_POOL,
    p_new_entrant=P_NEW_ENTRANT, max_pool_wait=MAX_POOL_WAIT, birth_years=BIRTH_YEARS,
    p_leave_old=P_LEAVE_OLD, old_age=OLD_AGE, retire_age=RETIRE_AGE, reshuffle_months=RESHUFFLE_MONTHS,
    reshuffle_pairs=RESHUFFLE_PAIRS, reshuffle_min_served=TERM_MONTHS[0],
)

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

def std_normal(rng: np.random.Generator, size=None) -> np.ndarray:
    return np.clip(rng.standard_normal(size), -CLIP, CLIP)


def fmt(x: float, dec: int) -> str:
    s = f"{x:.{dec}f}"
    return "0" + s[2:] if s.startswith("-0") and float(s) == 0 else s


def full(x) -> str:
    """Full-precision float for truth files (shortest repr that round-trips)."""
    return repr(float(x))


def overlap_days(s1: int, e1: int, s2: int, e2: int) -> int:
    return max(0, min(e1, e2) - max(s1, s2) + 1)

