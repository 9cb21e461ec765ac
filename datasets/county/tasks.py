"""The demo county's tasks (~210 a year) and their monthly progress, with the injected task
anomalies (lagging, over_reported). The lead is a cadre in post in the task's unit that year;
progress follows a planned S-curve shifted by the lead's and the unit's task effects."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from datasets.county.params import DATA_YEARS, END_MI, MONTH_NOISE_SD, TASK_NOISE_SD, fmt, overlap_days
from datasets.county.world import World, cadre_id
from datasets.rotation import month_end, month_index, month_start

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
                    days = overlap_days(s, e, y0, d1)
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
        return month_end(month_index(year, int(rng.choice([3, 6, 9]))))
    return month_end(month_index(year, int(rng.integers(4, 12))))


def tasks_rows(world: World, tasks: list[Task]) -> list[list]:
    return [[t.task_id, t.year, t.title, t.category, world.units[t.unit].unit_id, cadre_id(t.lead),
             ";".join(cadre_id(c) for c in t.co), t.due.isoformat(), fmt(t.difficulty, 2)] for t in tasks]


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
    mi = month_index(t.year, 1)
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
        verified = "" if unverified and kind is None else fmt(true[j], 1)
        rows.append([t.task_id, f"{m // 12}-{m % 12 + 1:02d}", fmt(plan_list[j], 1), fmt(reported[j], 1),
                     verified, int(evidence[j]), _reported_at(rng, m).isoformat()])
    if kind == "lagging":
        world.add_anomaly("lagging", "task", t.unit, cadre_id(t.lead), t.task_id, "", rows[0][1], rows[-1][1],
                 float(true[n - 1] - 100.0), f"进度滞后: 到期时实际 {true[n - 1]:.1f}% (lagging far behind plan)")
    elif kind == "over_reported_gap":
        gap = float(np.max(reported - true))
        world.add_anomaly("over_reported", "task", t.unit, cadre_id(t.lead), t.task_id, "",
                 rows[gap_rows[0]][1] if gap_rows else rows[0][1], rows[-1][1], gap,
                 f"成效不实: 填报进度高于核实进度最多 {gap:.1f} pp (actual_pct − verified_pct ≥ 15)")
    elif kind == "over_reported_evidence":
        world.add_anomaly("over_reported", "task", t.unit, cadre_id(t.lead), t.task_id, "", rows[-1][1], rows[-1][1],
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
        return month_start(m + 1) + timedelta(days=int(rng.integers(0, 7)))
    return month_start(m) + timedelta(days=int(rng.integers(19, 28)))
