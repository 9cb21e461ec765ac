"""Seeded demo world: a synthetic 玉环-like county (or a ten-county "province" for benchmarks).

``build(seed=7, scale="county")`` returns one table per input table of the contract
(``indicators`` is not produced: the YAML dictionary is built in) and the ground truth;
``pipelines.demo.generate(out_dir, seed, scale)`` writes them as UTF-8 CSV files, the truth into
``out_dir/_truth/`` (never ingested). Same seed and scale → byte-identical files. All
randomness comes from ``numpy.random.default_rng(seed)`` (spawned into one independent stream
per part of the world, so changing one part leaves the others alone).

Modules: ``params`` (every number below), ``world`` (units, posts, rotation, people),
``series`` (indicator model and publication), ``anomalies`` (injected into series), ``firms``
(enterprises, 亩均), ``tasks``, ``ratings``, ``projects``, ``truth`` (the truth files).

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
* Rotation (the shared simulator ``datasets.rotation`` with the county's rules): terms of 24–60
  months (cut at 60 years of age); at a term's end the holder retires or leaves the county
  (P_LEAVE 0.22; from 57 years P_LEAVE_OLD 0.85), is re-appointed to the same post
  (P_REAPPOINT 0.08; in closed units 0.45), or joins a pool of movers filled into vacancies
  across units (交流轮岗: town↔town, town↔department, department↔department; promotions 副→正;
  a mover from another town weighs TOWN_TO_TOWN 6 ×, from another county 0.03 ×; movers wait
  at most 3 months). A vacant post is filled with probability 0.8 a month (always after 4), from
  the pool with probability 0.85, else by a new entrant (probability 0.5 a month). In
  RESHUFFLE_MONTHS (2019-03, 2021-09, 2023-03, 2024-08, 2025-02; 集中交流轮岗) holders of the same
  kind of post in two towns of a county who served ≥ 24 months swap towns (4 pairs a county).
  Units in ISOLATED_UNITS (海山乡 and 档案馆) are closed: nobody moves in or out, so their cadres
  ("stayers") cannot be separated from the platform; the truth says who they are. The rates
  (``params.ROTATION``; a test checks this table against the code):

      p_leave 0.22  p_leave_old 0.85  old_age 57  retire_age 60  p_reappoint 0.08
      p_reappoint_closed 0.45  p_fill_month 0.8  max_vacant_months 4  p_from_pool 0.85
      p_new_entrant 0.5  max_pool_wait 3  reshuffle_pairs 4  reshuffle_min_served 24

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

from dataclasses import dataclass

from datasets.county.anomalies import inject_series_anomalies
from datasets.county.firms import enterprise_tables
from datasets.county.params import (
    ISOLATED_UNITS, MODEL, OUTPUT_TABLES, RATER_COUNTS, RHO, SCALES, WORD_GROUPS, SeriesSpec,
)
from datasets.county.projects import project_rows
from datasets.county.ratings import rating_rows
from datasets.county.series import build_series, indicator_value_rows, set_targets
from datasets.county.tasks import build_tasks, task_progress_rows, tasks_rows
from datasets.county.truth import TRUTH_README, components, model_params, truth_files
from datasets.county.world import assignments_rows, boundaries_geojson, build_world, cadres_rows, units_rows

__all__ = ["build", "Batch", "COLUMNS", "OUTPUT_TABLES", "SCALES", "MODEL", "SeriesSpec", "RHO", "ISOLATED_UNITS",
           "WORD_GROUPS", "RATER_COUNTS"]

# The columns of each table in the order its rows are built (pipelines.demo writes them in the
# contract's order).
COLUMNS: dict[str, tuple[str, ...]] = {
    "units": ("unit_id", "name", "unit_type", "parent_id"),
    "cadres": ("cadre_id", "name", "birth_year", "rank", "role_type"),
    "assignments": ("cadre_id", "unit_id", "post", "start", "end", "share", "indicators"),
    "indicator_values": ("unit_id", "indicator", "period", "value", "target", "verified_value"),
    "tasks": ("task_id", "year", "title", "category", "unit_id", "lead_cadre_id", "co_cadre_ids", "due",
              "difficulty"),
    "task_progress": ("task_id", "period", "planned_pct", "actual_pct", "verified_pct", "evidence_count",
                      "reported_at"),
    "ratings": ("period", "cadre_id", "rater_group", "rater_id", "score", "comment"),
    "projects": ("project_id", "unit_id", "cadre_id", "name", "agreed_investment", "signed", "landed", "started",
                 "producing", "at_capacity"),
    "enterprises": ("enterprise_id", "unit_id", "land_mu", "above_scale", "cadre_id"),
    "enterprise_years": ("enterprise_id", "year", "tax", "value_added", "energy_tce", "emission_t", "employees",
                         "rd_expense", "revenue"),
}


@dataclass
class Batch:
    """One generated demo batch, in memory: ``tables`` name → rows (cells as published, in
    :data:`COLUMNS` order), the town ``boundaries`` (GeoJSON), ``truth`` file name → (header,
    rows), ``params`` (params.json) and the truth ``readme``."""
    tables: dict[str, list[list]]
    boundaries: dict
    truth: dict[str, tuple[list[str], list[list]]]
    params: dict
    readme: str

    def counts(self) -> dict[str, int]:
        """Rows per table, and the boundaries as ``unit_boundaries``."""
        return {**{name: len(self.tables[name]) for name in OUTPUT_TABLES},
                "unit_boundaries": len(self.boundaries["features"])}


def build(seed: int = 7, scale: str = "county") -> Batch:
    """The demo batch of ``seed`` at ``scale`` ("county" or "province")."""
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
    boundaries = boundaries_geojson(world, seed)
    truth = truth_files(world, outcomes, components(world))
    return Batch(tables, boundaries, truth, model_params(world, seed, scale),
                 TRUTH_README.format(seed=seed, scale=scale))
