"""Seeded benchmark for the anomaly detector (models.anomaly): data, planted truth, metrics.

Model
-----
``n_units`` units (default 80: 街道/镇/乡/平台, one peer group) report 12 indicators (13 with
``extra_yearly``) for ``n_months`` months (default 36, starting January ``start_year``). A
burn-in year before that feeds the year-on-year growth rate. For unit u, indicator k, month t
the monthly flow is

    log F[u,k,t] = log base_k + size_u + δ[u,k]
                   + b_k · (c_t + g_u·t/12 + L_u(t) + a[u,t])      county cycle, unit trend,
                   + g[u,k]·t/12                                   fast growth, unit AR(1) noise
                   + amp[u,k] · (season_k(month) + sf_k(t))
                   + σ_k · m[u,k] · ε[u,k,t]

* size_u ~ N(0, 0.6) (+0.5 for 平台), δ ~ N(0, 0.25), g_u ~ N(0, 0.04)/yr, g[u,k] ~ N(0, 0.015)/yr,
  c_t = 5.5 %/yr + a 30-month cycle of ±2 %, a AR(1) φ = 0.6 with innovations 0.02,
  amp ~ 1 + N(0, 0.1), m ~ logN(0, 0.2).
* ε is Gaussian, or Student t with 3 d.f. for the heavy-tailed investment (固定资产投资) and FDI
  series; investment also gets lumpy project arrivals: with probability 0.12 a month's flow is
  multiplied by 1 + 0.8·Pareto(1.5).
* season_k: a month-of-year profile per indicator; sf_k: the **moving Spring Festival** (actual
  dates 2015–2030) removes ``sf_loss`` of activity on the days from 5 days before to 15 days
  after it (retail instead gains 35 % in the 20 days before), split over the months it touches.
* Reporting: cumulative indicators are published year-to-date with January and February
  together as ``YYYY-02``; 新增市场主体 (counts, Poisson) monthly including ``YYYY-01``;
  亩均税收 / 亩均增加值 quarterly = 4 × quarter tax (value added) / land, land_u fixed except
  where noted; 规上工业增加值增速 is the YTD growth of true value added (pp, with a target per
  unit and year, 5.5 ± 1.5 rounded to 0.5). Values are rounded to the indicator's decimals.
* **Fast-growing units** (``n_fast``, default 4, no planted anomalies): L_u(t) is a logistic
  rise of G ~ U(0.45, 0.75) in logs, centred at report month U(8, 26), width U(2.5, 5) months:
  every indicator rises with its elasticity b_k and land grows with 0.5·L, so efficiency rises
  too. They are legitimate and should not crowd the top of the list.

Planted anomalies (the truth; every series carries at most one; each unit at most two)
--------------------------------------------------------------------------------------
``kind`` / ``subtype``, counts per seed (defaults), magnitudes in units of s_k, the indicator's
noise scale (``Spec.scale``: 固定资产投资 0.2, 总产值/增加值 0.08, 出口 0.10, 外资 0.3, 税收 0.09,
用电 0.06, 社零 0.06, 新增主体 0.15, 亩均 0.06 — logs; 增加值增速 2.5 pp):

* ``spike`` (12): one period × exp(±U(5, 9)·s_k) (the growth rate: ± U(5, 9)·s_k pp on the
  reported YTD rate); 75 % upward; onset = that period.
* ``level_shift`` (16): from onset on × exp(±U(3, 6)·s_k) (growth rate: + that many pp);
  75 % upward; onset at report months 5–30 (quarterly series: quarters 2–10).
* ``divergence`` (12): ``hard_divergence`` (7) — 规上工业总产值 / 规上工业增加值 / 货物出口额
  inflated by U(0.2, 0.4) in logs (ramp over 2 months) while tax and power, computed from the
  true economy, do not follow; ``quantity_over_quality`` (5) — 固定资产投资 up U(0.4, 0.7) and
  the unit's land up 0.6 times that over 6 months, so both 亩均 indicators fall. The two 亩均
  series of such a unit are listed as ``companion``: real consequences, neither a hit nor a
  false alarm in the metrics. Onsets at report months 8–27.
* ``fabricated`` (14): ``smooth`` (4) — from onset (report month 6–20) the noise-free model
  value is reported; ``flat_season`` (4) — the last one or two years reported as
  annual total × m/12 (time-elapsed, no seasonality); ``round`` (3) — from onset YTD values
  rounded to 100 (10 below 10 000); ``bunching`` (3) — growth rate = target + U(0, 0.4) pp from
  onset.

Tasks (``with_tasks``): ``n_tasks`` tasks of the last year, each led by a cadre in post that
year in the task's unit (a lead and a deputy post per unit from the shared rotation simulator
``datasets.rotation``, ``mover_rules``: terms U(36, 60) months, a free post stays vacant 1-2
months with probability 0.2, then goes to a mover with probability 0.7), linear plans to the
due month, with injected 进度滞后 / 突击完成 / 长期未更新 / 无佐证 / 成效不实 cases in
``task_truth``, red/yellow cards from the progress gap and a quarter-by-quarter quadrant
history (``tasks``). ``evaluate`` scores a detector's flags against the truth (``metrics``).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from datasets.anomaly_world.metrics import evaluate
from datasets.anomaly_world.tasks import TASK_ROTATION, add_tasks, task_leads

__all__ = ["Benchmark", "Spec", "BENCH_SPEC", "EXTRA_SPEC", "DEFAULT_COUNTS", "TASK_ROTATION", "indicator_dict",
           "make_benchmark", "task_leads", "evaluate"]

SPRING_FESTIVAL = {
    2015: (2, 19), 2016: (2, 8), 2017: (1, 28), 2018: (2, 16), 2019: (2, 5), 2020: (1, 25),
    2021: (2, 12), 2022: (2, 1), 2023: (1, 22), 2024: (2, 10), 2025: (1, 29), 2026: (2, 17),
    2027: (2, 6), 2028: (1, 26), 2029: (2, 13), 2030: (2, 3),
}

_PROFILES = {
    "industry": [0, 0, 0.02, 0.01, 0.02, 0.03, 0, -0.02, 0.02, 0.03, 0.05, 0.10],
    "invest": [-0.30, -0.30, -0.10, 0, 0.02, 0.10, 0, 0, 0.05, 0.05, 0.10, 0.45],
    "export": [0, 0, -0.05, 0, 0.02, 0.03, 0.05, 0.05, 0.05, 0.08, 0.10, 0.12],
    "tax": [0.15, 0.10, -0.05, 0.10, 0.05, 0, 0.08, 0, -0.05, 0.10, 0, 0],
    "power": [0, 0, 0, 0, 0.02, 0.08, 0.15, 0.15, 0.05, 0, 0, 0.03],
    "retail": [0.05, 0, -0.05, -0.05, 0, 0, -0.03, -0.03, 0, 0.05, 0.08, 0.12],
    "firms": [0, 0, 0.10, 0.05, 0, 0, 0, 0, 0, 0, 0, -0.10],
    "flat": [0] * 12,
}


@dataclass(frozen=True)
class Spec:
    name: str
    unit: str
    kind: str
    frequency: str
    cumulative: bool
    base: float = 1.0          # median unit's monthly flow
    b: float = 1.0             # elasticity to the unit's economy
    sigma: float = 0.1         # idiosyncratic log noise
    tail_df: int = 0           # 0 = Gaussian
    season: str = "flat"
    sf_loss: float = 0.5
    decimals: int = 1
    scale: float = 0.1         # noise scale s_k used to size planted anomalies


BENCH_SPEC: dict[str, Spec] = {
    "fai": Spec("固定资产投资", "万元", "volume", "month", True, 6000, 1.3, 0.30, 3, "invest", 0.5, 1, 0.2),
    "ind_output": Spec("规上工业总产值", "万元", "volume", "month", True, 40000, 1.0, 0.07, 0, "industry", 0.55, 1, 0.08),
    "ind_va": Spec("规上工业增加值", "万元", "volume", "month", True, 9000, 1.0, 0.08, 0, "industry", 0.55, 1, 0.08),
    "ind_va_growth": Spec("规上工业增加值增速", "%", "volume", "month", True, decimals=1, scale=2.5),
    "exports": Spec("货物出口额", "万元", "volume", "month", True, 15000, 1.1, 0.10, 0, "export", 0.5, 1, 0.10),
    "fdi": Spec("实际使用外资", "万美元", "volume", "month", True, 150, 1.2, 0.40, 3, "flat", 0.3, 1, 0.3),
    "tax": Spec("税收收入", "万元", "hard", "month", True, 2500, 0.9, 0.09, 0, "tax", 0.3, 1, 0.09),
    "power": Spec("工业用电量", "万千瓦时", "hard", "month", True, 3000, 0.85, 0.05, 0, "power", 0.5, 1, 0.06),
    "retail": Spec("社会消费品零售总额", "万元", "volume", "month", True, 8000, 0.5, 0.05, 0, "retail", 0.0, 1, 0.06),
    "new_firms": Spec("新增市场主体", "户", "other", "month", False, 60, 0.6, 0.05, 0, "firms", 0.6, 0, 0.15),
    "tax_per_mu": Spec("规上工业亩均税收", "万元/亩", "efficiency", "quarter", False, decimals=2, scale=0.06),
    "va_per_mu": Spec("规上工业亩均增加值", "万元/亩", "efficiency", "quarter", False, decimals=2, scale=0.06),
}
EXTRA_SPEC = {"rd_intensity": Spec("R&D经费投入强度", "%", "rate", "year", False, decimals=2, scale=0.2)}
_MONTHLY_LEVEL = ["fai", "ind_output", "ind_va", "exports", "fdi", "tax", "power", "retail", "new_firms"]
_CUM_LEVEL = ["fai", "ind_output", "ind_va", "exports", "fdi", "tax", "power", "retail"]
_SEASONAL = ["fai", "ind_output", "ind_va", "exports", "power", "tax"]
_TIME_SERIES = _MONTHLY_LEVEL + ["ind_va_growth", "tax_per_mu", "va_per_mu"]
DEFAULT_COUNTS = {
    ("spike", "spike"): 12, ("level_shift", "level_shift"): 16,
    ("divergence", "hard_divergence"): 7, ("divergence", "quantity_over_quality"): 5,
    ("fabricated", "smooth"): 4, ("fabricated", "flat_season"): 4,
    ("fabricated", "round"): 3, ("fabricated", "bunching"): 3,
}


@dataclass
class Benchmark:
    values: pd.DataFrame
    indicators: dict
    units: pd.DataFrame
    truth: pd.DataFrame
    fast_units: list[str]
    seed: int
    tasks: pd.DataFrame = field(default_factory=pd.DataFrame)
    progress: pd.DataFrame = field(default_factory=pd.DataFrame)
    task_truth: pd.DataFrame = field(default_factory=pd.DataFrame)
    cards: pd.DataFrame = field(default_factory=pd.DataFrame)
    quadrants: pd.DataFrame = field(default_factory=pd.DataFrame)
    as_of: str | None = None


def indicator_dict(specs: dict[str, Spec]) -> dict:
    """The benchmark's own indicator dictionary, in the indicators.yaml shape."""
    return {c: {"name": s.name, "unit": s.unit, "direction": 1, "frequency": s.frequency,
                "cumulative": s.cumulative, "kind": s.kind, "unit_types": ["街道", "镇", "乡", "平台"]}
            for c, s in specs.items()}


def _sf_effect(year: int, month: int, loss: float, retail: bool) -> float:
    """Log effect of the Spring Festival on a month's activity (share of days affected)."""
    if year not in SPRING_FESTIVAL:
        return 0.0
    sf = dt.date(year, *SPRING_FESTIVAL[year])
    first = dt.date(year, month, 1)
    nxt = dt.date(year + month // 12, month % 12 + 1, 1)
    days = (nxt - first).days
    if retail:
        lo, hi, eff = sf - dt.timedelta(days=20), sf - dt.timedelta(days=1), 0.35
    else:
        lo, hi, eff = sf - dt.timedelta(days=5), sf + dt.timedelta(days=15), -loss
    overlap = max(0, (min(hi, nxt - dt.timedelta(days=1)) - max(lo, first)).days + 1)
    return float(np.log1p(eff * overlap / days))


def _expit(x):
    return 1.0 / (1.0 + np.exp(-x))


def make_benchmark(seed: int = 0, n_units: int = 80, n_months: int = 36, start_year: int = 2022,
                   n_fast: int = 4, counts: dict | None = None, extra_yearly: bool = False,
                   with_tasks: bool = False, n_tasks: int = 630) -> Benchmark:
    rng = np.random.default_rng(seed)
    counts = dict(DEFAULT_COUNTS if counts is None else counts)
    specs = dict(BENCH_SPEC)
    if extra_yearly:
        specs.update(EXTRA_SPEC)
    T = n_months + 12
    tau = np.arange(T)
    cal_year = start_year - 1 + tau // 12
    cal_month = tau % 12 + 1

    # ---- units and latent economy
    types = rng.choice(["街道", "镇", "乡", "平台"], size=n_units, p=[0.2, 0.55, 0.17, 0.08])
    unit_ids = np.array([f"U{i + 1:03d}" for i in range(n_units)])
    units = pd.DataFrame({"unit_id": unit_ids, "name": [f"单位{i + 1}" for i in range(n_units)],
                          "unit_type": types})
    size = rng.normal(0, 0.6, n_units) + 0.5 * (types == "平台")
    g_u = rng.normal(0, 0.04, n_units)
    common = 0.055 * tau / 12 + 0.02 * np.sin(2 * np.pi * tau / 30)
    ar = np.zeros((n_units, T))
    for t in range(1, T):
        ar[:, t] = 0.6 * ar[:, t - 1] + rng.normal(0, 0.02, n_units)
    fast = rng.choice(n_units, size=n_fast, replace=False) if n_fast else np.array([], int)
    L = np.zeros((n_units, T))
    for u in fast:
        G, c, w = rng.uniform(0.45, 0.75), rng.uniform(8, 26), rng.uniform(2.5, 5)
        L[u] = G * _expit((tau - 12 - c) / w)
    latent_smooth = common[None, :] + g_u[:, None] * tau[None, :] / 12 + L
    latent = latent_smooth + ar

    # ---- planted anomalies: pick series first (flows are modified below)
    plan = _plan(rng, counts, n_units, set(fast.tolist()), n_months)

    # ---- monthly flows
    flows, smooth = {}, {}
    for k in _MONTHLY_LEVEL:
        s = specs[k]
        delta = rng.normal(0, 0.25, n_units)
        g_uk = rng.normal(0, 0.015, n_units)
        amp = 1 + rng.normal(0, 0.1, n_units)
        mult = np.exp(rng.normal(0, 0.2, n_units))
        season = np.array([_PROFILES[s.season][m - 1] + _sf_effect(y, m, s.sf_loss, s.season == "retail")
                           for y, m in zip(cal_year, cal_month)])
        base = (np.log(s.base) + size[:, None] + delta[:, None] + g_uk[:, None] * tau[None, :] / 12
                + amp[:, None] * season[None, :])
        eps = rng.standard_t(s.tail_df, (n_units, T)) if s.tail_df else rng.standard_normal((n_units, T))
        logf = base + s.b * latent + s.sigma * mult[:, None] * eps
        smooth[k] = base + s.b * latent_smooth
        f = np.exp(logf)
        if k == "fai":
            lump = rng.random((n_units, T)) < 0.12
            f = f * np.where(lump, 1 + 0.8 * rng.pareto(1.5, (n_units, T)), 1.0)
        flows[k] = f
    true_flows = {k: v.copy() for k, v in flows.items()}

    # ---- land and the efficiency / growth indicators (from the true economy)
    land0 = np.exp(np.log(specs["tax"].base * 12 / 30) + size + rng.normal(0, 0.2, n_units))
    land_log = 0.5 * L
    for p in plan:
        if p["subtype"] == "quantity_over_quality":
            t0 = p["t0"] + 12
            ramp = np.clip((tau - t0 + 1) / 6.0, 0, 1)
            land_log[p["u"]] += 0.6 * p["mag"] * ramp
    land = land0[:, None] * np.exp(land_log)
    q_index = (tau // 3)
    n_q = T // 3
    eff = {}
    for k, src in (("tax_per_mu", "tax"), ("va_per_mu", "ind_va")):
        qv = np.zeros((n_units, n_q))
        for q in range(n_q):
            cols = q_index == q
            qv[:, q] = 4 * true_flows[src][:, cols].sum(axis=1) / land[:, cols].mean(axis=1)
        eff[k] = qv * np.exp(rng.normal(0, 0.03, qv.shape))
    va = true_flows["ind_va"]
    ytd = np.zeros_like(va)
    for t in range(T):
        ytd[:, t] = va[:, t] if cal_month[t] == 1 else ytd[:, t - 1] + va[:, t]
    rate = np.full_like(va, np.nan)
    rate[:, 12:] = 100 * (ytd[:, 12:] / ytd[:, :-12] - 1) + rng.normal(0, 0.3, (n_units, T - 12))
    years = sorted(set(cal_year[12:]))
    target = {(u, y): round(2 * (5.5 + rng.normal(0, 1.5))) / 2 for u in range(n_units) for y in years}

    # ---- apply planted anomalies
    flat_years, round_from = {}, {}
    for p in plan:
        u, k, sub, t0, mag = p["u"], p["k"], p["subtype"], p["t0"] + 12, p["mag"]
        if sub in ("spike", "level_shift") and k in flows:
            if sub == "spike":
                flows[k][u, t0] *= np.exp(mag)
            else:
                flows[k][u, t0:] *= np.exp(mag)
        elif sub in ("spike", "level_shift") and k == "ind_va_growth":
            if sub == "spike":
                rate[u, t0] += mag
            else:
                rate[u, t0:] += mag
        elif sub in ("spike", "level_shift"):
            q0 = p["q0"] + 4
            if sub == "spike":
                eff[k][u, q0] *= np.exp(mag)
            else:
                eff[k][u, q0:] *= np.exp(mag)
        elif sub in ("hard_divergence", "quantity_over_quality"):
            ramp = np.clip((tau - t0 + 1) / (2.0 if sub == "hard_divergence" else 3.0), 0, 1)
            flows[k][u] *= np.exp(mag * ramp)
        elif sub == "smooth":
            flows[k][u, t0:] = np.exp(smooth[k][u, t0:])
        elif sub == "flat_season":
            flat_years[(u, k)] = [start_year + y for y in p["years"]]
        elif sub == "round":
            round_from[(u, k)] = t0
        elif sub == "bunching":
            for t in range(t0, T):
                rate[u, t] = target[(u, cal_year[t])] + rng.uniform(0.0, 0.4)
    counts_firms = rng.poisson(flows["new_firms"])

    # ---- reporting
    rows = []
    rep = range(12, T)
    for k in _CUM_LEVEL:
        s = specs[k]
        f = flows[k]
        for u in range(n_units):
            acc = 0.0
            for t in rep:
                y, m = int(cal_year[t]), int(cal_month[t])
                acc = f[u, t] if m == 1 else acc + f[u, t]
                if m == 1:
                    continue
                v = acc
                if y in flat_years.get((u, k), ()):
                    total = f[u, t - m + 1: t - m + 13].sum()
                    v = total * m / 12
                if (u, k) in round_from and t >= round_from[(u, k)]:
                    v = round(v, -2) if v >= 10000 else round(v, -1)
                rows.append((unit_ids[u], k, f"{y}-{m:02d}", round(float(v), s.decimals), np.nan, True))
    for u in range(n_units):
        for t in rep:
            y, m = int(cal_year[t]), int(cal_month[t])
            rows.append((unit_ids[u], "new_firms", f"{y}-{m:02d}", float(counts_firms[u, t]), np.nan, False))
            if m != 1:
                rows.append((unit_ids[u], "ind_va_growth", f"{y}-{m:02d}", round(float(rate[u, t]), 1),
                             target[(u, y)], True))
        for k in ("tax_per_mu", "va_per_mu"):
            for q in range(4, n_q):
                y = start_year - 1 + q // 4
                rows.append((unit_ids[u], k, f"{y}-Q{q % 4 + 1}", round(float(eff[k][u, q]), 2), np.nan, False))
        if extra_yearly:
            lvl = 2.5 + rng.normal(0, 0.6)
            for y in years:
                rows.append((unit_ids[u], "rd_intensity", str(y), round(lvl + rng.normal(0, 0.1), 2), np.nan, False))
    values = pd.DataFrame(rows, columns=["unit_id", "indicator", "period", "value", "target", "cumulative"])

    truth = _truth_frame(plan, unit_ids, start_year)
    bench = Benchmark(values, indicator_dict(specs), units, truth, sorted(unit_ids[fast].tolist()), seed)
    if with_tasks:
        add_tasks(bench, rng, n_tasks, start_year + n_months // 12 - 1)
    return bench


def _plan(rng, counts: dict, n_units: int, fast: set, n_months: int) -> list[dict]:
    """Which series get which planted anomaly, with onset (report month) and magnitude."""
    free = [u for u in range(n_units) if u not in fast]
    rng.shuffle(free)
    used_units: dict[int, int] = {}
    used_series: set = set()
    div_units: set = set()
    plan = []

    def pick_unit(k):
        for _ in range(1000):
            u = int(rng.choice(free))
            if u in div_units or used_units.get(u, 0) >= 2 or (u, k) in used_series:
                continue
            return u
        raise RuntimeError("not enough units for the planted anomalies")

    def month_onset(lo, hi):
        t = int(rng.integers(lo, hi + 1))
        return t + 1 if t % 12 == 0 else t   # never January: it is merged into February

    for (kind, sub), n in counts.items():
        for _ in range(n):
            if kind == "divergence":
                k = "fai" if sub == "quantity_over_quality" else str(rng.choice(["ind_output", "ind_va", "exports"]))
                u = next(x for x in free if x not in used_units and x not in div_units)
                div_units.add(u)
                used_units[u] = 2
                lo, hi = (8, 27)
                mag = rng.uniform(0.4, 0.7) if sub == "quantity_over_quality" else rng.uniform(0.2, 0.4)
                p = {"kind": kind, "subtype": sub, "u": u, "k": k, "t0": month_onset(lo, hi), "mag": mag}
            else:
                pool = {"spike": _TIME_SERIES, "level_shift": _TIME_SERIES,
                        "smooth": [x for x in _MONTHLY_LEVEL if x != "new_firms"], "flat_season": _SEASONAL,
                        "round": _CUM_LEVEL, "bunching": ["ind_va_growth"]}[sub]
                k = str(rng.choice(pool))
                u = pick_unit(k)
                spec = BENCH_SPEC[k]
                p = {"kind": kind, "subtype": sub, "u": u, "k": k}
                if sub in ("spike", "level_shift"):
                    lo, hi, sign_up = (5, 9, 0.75) if sub == "spike" else (3, 6, 0.75)
                    mag = rng.uniform(lo, hi) * spec.scale * (1 if rng.random() < sign_up else -1)
                    p["mag"] = mag
                    if spec.frequency == "quarter":
                        q = int(rng.integers(0, 12)) if sub == "spike" else int(rng.integers(2, 11))
                        p["q0"], p["t0"] = q, 3 * q
                    else:
                        p["t0"] = month_onset(1, n_months - 2) if sub == "spike" else month_onset(5, n_months - 6)
                elif sub == "flat_season":
                    n_years = int(rng.integers(1, 3))
                    last = n_months // 12
                    p["years"] = list(range(last - n_years, last))
                    p["t0"] = 12 * (last - n_years) + 1
                    p["mag"] = 0.0
                else:
                    p["t0"] = month_onset(6, min(20, n_months - 15))
                    p["mag"] = 0.0
            used_units[p["u"]] = used_units.get(p["u"], 0) + (0 if kind == "divergence" else 1)
            used_series.add((p["u"], p["k"]))
            plan.append(p)
    return plan


def _truth_frame(plan, unit_ids, start_year) -> pd.DataFrame:
    rows = []
    for p in plan:
        k = p["k"]
        if BENCH_SPEC[k].frequency == "quarter":
            q = p["q0"]
            onset = f"{start_year + q // 4}-Q{q % 4 + 1}"
        else:
            t = p["t0"]
            onset = f"{start_year + t // 12}-{t % 12 + 1:02d}"
        rows.append({"unit_id": unit_ids[p["u"]], "indicator": k, "kind": p["kind"], "subtype": p["subtype"],
                     "onset": onset, "magnitude": round(float(p["mag"]), 4)})
        if p["subtype"] == "quantity_over_quality":
            for c in ("tax_per_mu", "va_per_mu"):
                rows.append({"unit_id": unit_ids[p["u"]], "indicator": c, "kind": "companion",
                             "subtype": "efficiency_fall", "onset": onset, "magnitude": round(-0.6 * p["mag"], 4)})
    return pd.DataFrame(rows, columns=["unit_id", "indicator", "kind", "subtype", "onset", "magnitude"])
