"""The demo county's ground truth: the rows of ``_truth/*.csv`` (effects, profiles, outcomes,
injected anomalies), ``params.json`` and the README that explains them. Never ingested."""
from __future__ import annotations

from dataclasses import asdict

import numpy as np

from datasets.county.params import (
    ABOVE_SCALE_SHARE, AS_OF, CLIP, COUNTS, DATA_YEARS, FIRM_YEARS, GRADE_CUTS, HISTORY_START_MI, LEAD_DEPARTMENT,
    MAX_POOL_WAIT, MAX_VACANT_MONTHS, MONTH_NOISE_SD, OLD_AGE, P_FILL_MONTH, P_FROM_POOL, P_LEAVE, P_LEAVE_OLD,
    P_NEW_ENTRANT, P_REAPPOINT, P_REAPPOINT_ISOLATED, RATER_BIAS, RATER_COUNTS, RESHUFFLE_MONTHS, RESHUFFLE_PAIRS,
    RETIRE_AGE, RHO, SIZE_JITTER, SIZE_WEIGHTS, STAGE_PROBS, TASK_EFFECT_SD, TASK_NOISE_SD, TERM_MONTHS,
    TOWN_DEPUTIES, TOWN_TO_TOWN, UNIT_TASK_EFFECT_SD, WINDOW_START, WORD_GROUPS, fmt, full,
)
from datasets.county.world import World
from datasets.rotation import components as rotation_components, month_start


def components(world: World) -> np.ndarray:
    """Connected components of the cadre–unit graph over assignments overlapping 2023–2025:
    the component label per cadre (−1 = not in post in the window; 0 = largest)."""
    return rotation_components(world.terms, world.n_cadres, lambda p: world.posts[p].unit, len(world.units),
                               (WINDOW_START.toordinal(), AS_OF.toordinal()))


def truth_files(world: World, outcomes: list[list], comp: np.ndarray) -> dict[str, tuple[list[str], list[list]]]:
    cadre_ids = world.cadre_ids()
    files: dict[str, tuple[list[str], list[list]]] = {}
    files["cadre_effects.csv"] = (
        ["cadre_id", "indicator", "theta", "exposure"],
        [[cadre_ids[c], code, full(world.theta[code][c]), full(world.exposure[code][c])]
         for c in range(world.n_cadres) for code in world.series])
    files["platform_effects.csv"] = (
        ["unit_id", "indicator", "psi"],
        [[world.units[ui].unit_id, code, full(s.psi[pos])] for code, s in world.series.items()
         for pos, ui in enumerate(s.units)])
    files["period_effects.csv"] = (
        ["indicator", "period", "tau"],
        [[code, p.label, full(s.tau[t])] for code, s in world.series.items() for t, p in enumerate(s.periods)])
    files["task_effects.csv"] = (
        ["cadre_id", "effect"], [[cadre_ids[c], full(world.task_effect[c])] for c in range(world.n_cadres)])
    files["unit_task_effects.csv"] = (
        ["unit_id", "effect"], [[u.unit_id, full(world.unit_task_effect[i])] for i, u in enumerate(world.units)])
    isolated = {i for i, u in enumerate(world.units) if u.isolated}
    units_of: dict[int, set[int]] = {}
    for t in world.terms:
        units_of.setdefault(t.cadre, set()).add(world.posts[t.post].unit)
    files["cadre_profiles.csv"] = (
        ["cadre_id", "ability", "component", "in_main_component", "stayer"],
        [[cadre_ids[c], full(world.ability[c]), "" if comp[c] < 0 else int(comp[c]),
          "true" if comp[c] == 0 else "false", "true" if units_of[c] <= isolated else "false"]
         for c in range(world.n_cadres)])
    files["outcomes.csv"] = (
        ["unit_id", "indicator", "period", "weight", "psi", "tau", "cadre_part", "eps", "anomaly", "rounding", "o"],
        outcomes)
    cols = ["anomaly_id", "kind", "level", "unit_id", "cadre_id", "task_id", "indicator", "onset", "end",
            "magnitude", "note"]
    files["anomalies.csv"] = (cols, [[a[k] if k != "magnitude" else fmt(a[k], 3) for k in cols]
                                     for a in world.anomalies])
    return files


def model_params(world: World, seed: int, scale: str) -> dict:
    return {
        "seed": seed, "scale": scale, "as_of": AS_OF.isoformat(), "data_years": list(DATA_YEARS),
        "firm_years": list(FIRM_YEARS), "history_start": month_start(HISTORY_START_MI).isoformat(),
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
`datasets/county/__init__.py` 的模块说明,全部参数见 `params.json`。

This folder is written by `python -m pipelines demo` and is **never ingested**. It holds the true
parameters behind the synthetic batch, so the attribution and anomaly models can be checked
against them. Seed {seed}, scale {scale}. The model is stated in the docstring of
`datasets/county/__init__.py`; every number is in `params.json`.

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
