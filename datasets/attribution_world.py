"""Seeded synthetic data with known truth for the contribution-attribution model.

Every generator returns a :class:`SynthData` whose ``records`` and ``shares`` frames have the
exact input layout of :class:`models.attribution.ContributionAttribution`:

- ``records``: record_id, unit_id, period, y   (plus ``indicator`` for multi-indicator data)
- ``shares``:  record_id, cadre_id, share

and whose ``cadre_truth`` / ``unit_truth`` / ``period_truth`` hold the true parameters. The true
model is always

    y_r = psi[unit_r] + tau[period_r] + sum_c s[r, c] * theta[c] + eps_r,   eps_r ~ N(0, sd_noise^2)

with theta ~ N(0, sd_cadre^2), psi ~ N(0, sd_unit^2), tau ~ N(0, sd_period^2), all independent,
except that :func:`make_shared` can draw a stated share of clearly strong and weak cadres at
+-3-4 sd_cadre (``strong_share``). :func:`make_realistic` is the world tests and ``bench/`` use
for placement: 3-5-year tenures, lead and deputies sharing each record, the demo's noise ratio
(record noise 2 x the cadre spread) and 8 % of the cadres at +-3-4 sd.

True parameters (defaults; every generator also returns them in ``params``):

- :func:`make_panel`: 600 cadres, 120 units, 8 yearly periods, sd_cadre 0.5, sd_unit 1.0,
  sd_period 0.3, sd_noise 1.0; each cadre moves with probability 0.15 a period to another unit
  of its block (a mobility panel of always-present cadres, not of posts and terms).
- :func:`make_shared`: 60 units x 40 quarters, lead share 0.6, tenures 18-42 (lead) and 12-36
  (deputies) months, p_rotate 0.7, p_vacancy 0.2, pool_months 6, sd_cadre 0.5, sd_unit 1.0,
  sd_period 0.3, sd_noise 0.3.
- :func:`make_realistic`: :data:`REALISTIC` (tenures 36-60 months, sd_noise 1.0 = 2 x sd_cadre,
  8 % of the cadres at +-3-4 sd_cadre).
- :func:`make_county`: 82 units x 36 months x 12 indicators, tenures 6-26 / 4-12 months,
  p_rotate 0.55, p_vacancy 0.1, sd_noise 0.5, theta's general-ability share rho_general 0.5.

Posts and terms (all but :func:`make_panel`) come from the shared rotation simulator
(:mod:`datasets.rotation`, :func:`~datasets.rotation.mover_rules`): each holder whose term ends
joins a pool of movers; a free post stays vacant 1-2 months with probability p_vacancy, then
goes to a mover who left within pool_months with probability p_rotate, else to a newcomer; the
first holders have U(1, hi) months left.
Nothing here is ever ingested: it exists for tests and the benchmark.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from datasets.rotation import Post, mover_rules, simulate

__all__ = [
    "SynthData", "make_panel", "make_shared", "make_realistic", "make_county", "ROLE_TYPES",
    "REALISTIC", "DEMO_NOISE_RATIO", "composite_truth",
]

ROLE_TYPES = ("招商", "工业", "综合")


@dataclass
class SynthData:
    records: pd.DataFrame
    shares: pd.DataFrame
    cadre_truth: pd.Series  # theta by cadre_id (by (indicator, cadre_id) for multi-indicator data)
    unit_truth: pd.Series
    period_truth: pd.Series
    params: dict = field(default_factory=dict)
    roles: pd.Series | None = None  # role_type by cadre_id
    weights: dict | None = None  # role_type -> {indicator: weight}


def _ids(prefix: str, n: int) -> np.ndarray:
    width = max(4, len(str(n)))
    return np.array([f"{prefix}{i:0{width}d}" for i in range(n)], dtype=object)


def make_panel(
    n_cadres: int = 600,
    n_units: int = 120,
    n_periods: int = 8,
    move_rate: float = 0.15,
    sd_cadre: float = 0.5,
    sd_unit: float = 1.0,
    sd_period: float = 0.3,
    sd_noise: float = 1.0,
    n_blocks: int = 1,
    n_frozen_units: int = 0,
    first_period: int = 2016,
    seed: int = 0,
) -> SynthData:
    """Single-owner cadre x period panel (the AKM worker-firm layout).

    Every cadre has one record per period (yearly labels ``first_period``, ``first_period+1``, ...)
    in the unit it serves that period, with share 1:

        y[c, t] = psi[unit(c, t)] + tau[t] + theta[c] + eps,
        theta ~ N(0, sd_cadre^2), psi ~ N(0, sd_unit^2), tau ~ N(0, sd_period^2),
        eps ~ N(0, sd_noise^2), all independent (no sorting of good cadres into good units).

    Cadres start in a uniformly drawn unit; each period after the first, each cadre moves with
    probability ``move_rate`` to a uniformly drawn *other* unit of its block.

    - ``n_blocks`` > 1 splits the mobile units into blocks nobody moves between, so the cadre-unit
      graph has (at least) that many connected components.
    - ``n_frozen_units`` units (the last ones) hold stayers only: their cadres never move and
      nobody moves in, so those cadres cannot be separated from their unit.
    """
    rng = np.random.default_rng(seed)
    n_mobile = n_units - n_frozen_units
    if n_mobile < 2 * n_blocks:
        raise ValueError("each block needs at least two mobile units")
    block_of_unit = np.minimum(np.arange(n_mobile) * n_blocks // n_mobile, n_blocks - 1)
    block_start = np.searchsorted(block_of_unit, np.arange(n_blocks))
    block_size = np.bincount(block_of_unit, minlength=n_blocks)

    unit = np.empty((n_periods, n_cadres), dtype=np.int64)
    unit[0] = rng.integers(0, n_units, n_cadres)
    frozen = unit[0] >= n_mobile
    for t in range(1, n_periods):
        cur = unit[t - 1]
        move = (rng.random(n_cadres) < move_rate) & ~frozen
        b = block_of_unit[np.where(frozen, 0, cur)]
        # a uniform draw among the block's other units: skip over the current one
        offset = rng.integers(0, block_size[b] - 1)
        dest = block_start[b] + offset
        dest = np.where(dest >= cur, dest + 1, dest)
        unit[t] = np.where(move, dest, cur)

    theta = rng.normal(0.0, sd_cadre, n_cadres)
    psi = rng.normal(0.0, sd_unit, n_units)
    tau = rng.normal(0.0, sd_period, n_periods)
    cadre = np.tile(np.arange(n_cadres), n_periods)
    period = np.repeat(np.arange(n_periods), n_cadres)
    u = unit.ravel()
    y = psi[u] + tau[period] + theta[cadre] + rng.normal(0.0, sd_noise, cadre.size)

    cadre_ids, unit_ids = _ids("c", n_cadres), _ids("u", n_units)
    period_labels = np.array([str(first_period + t) for t in range(n_periods)], dtype=object)
    record_id = np.arange(cadre.size)
    records = pd.DataFrame(
        {"record_id": record_id, "unit_id": unit_ids[u], "period": period_labels[period], "y": y}
    )
    shares = pd.DataFrame({"record_id": record_id, "cadre_id": cadre_ids[cadre], "share": 1.0})
    return SynthData(
        records=records,
        shares=shares,
        cadre_truth=pd.Series(theta, index=pd.Index(cadre_ids, name="cadre_id"), name="theta"),
        unit_truth=pd.Series(psi, index=pd.Index(unit_ids, name="unit_id"), name="psi"),
        period_truth=pd.Series(tau, index=pd.Index(period_labels, name="period"), name="tau"),
        params=dict(
            kind="panel", n_cadres=n_cadres, n_units=n_units, n_periods=n_periods,
            move_rate=move_rate, sd_cadre=sd_cadre, sd_unit=sd_unit, sd_period=sd_period,
            sd_noise=sd_noise, n_blocks=n_blocks, n_frozen_units=n_frozen_units, seed=seed,
        ),
    )


def _simulate_posts(
    n_units: int,
    n_months: int,
    lead_share: float,
    lead_tenure: tuple[int, int],
    deputy_tenure: tuple[int, int],
    p_rotate: float,
    p_vacancy: float,
    pool_months: int,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Month-level post history from the shared rotation simulator (datasets.rotation with
    ``mover_rules``): one lead and one or two deputies per unit.

    A post that falls free stays vacant for 1-2 months with probability ``p_vacancy``; the next
    holder is, with probability ``p_rotate``, a cadre who left another post within the last
    ``pool_months`` months (交流轮岗), otherwise a newcomer; the first holders have U(1, hi)
    months left. Returns one row per tenure: cadre, unit, share, start, end (months, end
    exclusive), the first holders by post, then each successor in the order it was chosen.
    """
    n_deputies = rng.integers(1, 3, n_units)
    posts = [Post(u, slot="lead", share=lead_share, tenure=lead_tenure) for u in range(n_units)]
    for u in range(n_units):
        posts += [Post(u, slot="deputy", share=(1.0 - lead_share) / n_deputies[u], tenure=deputy_tenure)] * int(
            n_deputies[u])
    terms = simulate(rng, posts, mover_rules(p_rotate, p_vacancy, pool_months), 0, n_months - 1, burn_in=0)
    # a successor is chosen when its predecessor's term ends: order by that month, then post
    chosen, last_end = [], {}
    for t in sorted(terms, key=lambda t: (t.post, t.start_mi)):
        chosen.append(((-1, t.post) if t.post not in last_end else (last_end[t.post], t.post), t))
        last_end[t.post] = t.end_mi
    rows = [(t.cadre, posts[t.post].unit, posts[t.post].share, t.start_mi, min(t.end_mi + 1, n_months))
            for _, t in sorted(chosen, key=lambda x: x[0])]
    return pd.DataFrame(rows, columns=["cadre", "unit", "share", "start", "end"])


def _posts_to_shares(posts: pd.DataFrame, n_units: int, n_months: int, months_per_period: int):
    """Record (unit x period) responsibility shares: post share x fraction of the period covered."""
    n_periods = n_months // months_per_period
    month = np.arange(n_months)
    covered = (month[None, :] >= posts["start"].to_numpy()[:, None]) & (
        month[None, :] < posts["end"].to_numpy()[:, None]
    )
    tenure_idx, m = np.nonzero(covered)
    frame = pd.DataFrame(
        {
            "record": posts["unit"].to_numpy()[tenure_idx] * n_periods + m // months_per_period,
            "cadre": posts["cadre"].to_numpy()[tenure_idx],
            "share": posts["share"].to_numpy()[tenure_idx] / months_per_period,
        }
    )
    return frame.groupby(["record", "cadre"], as_index=False)["share"].sum(), n_periods


def _period_labels(n_periods: int, months_per_period: int, first_year: int) -> np.ndarray:
    if months_per_period == 3:
        return np.array(
            [f"{first_year + t // 4}-Q{t % 4 + 1}" for t in range(n_periods)], dtype=object
        )
    if months_per_period == 1:
        return np.array(
            [f"{first_year + t // 12}-{t % 12 + 1:02d}" for t in range(n_periods)], dtype=object
        )
    return np.array([str(first_year + t) for t in range(n_periods)], dtype=object)


def make_shared(
    n_units: int = 60,
    n_periods: int = 40,
    months_per_period: int = 3,
    lead_share: float = 0.6,
    lead_tenure: tuple[int, int] = (18, 42),
    deputy_tenure: tuple[int, int] = (12, 36),
    p_rotate: float = 0.7,
    p_vacancy: float = 0.2,
    pool_months: int = 6,
    sd_cadre: float = 0.5,
    sd_unit: float = 1.0,
    sd_period: float = 0.3,
    sd_noise: float = 0.3,
    first_year: int = 2015,
    seed: int = 0,
    strong_share: float = 0.0,
    strong_sd: tuple[float, float] = (3.0, 4.0),
) -> SynthData:
    """Shared responsibility: unit x period records, a lead and one or two deputies per unit.

    Posts are simulated month by month (see ``_simulate_posts``): the lead holds ``lead_share``
    (default 0.6), the deputies split the rest equally; tenures are uniform in ``lead_tenure`` /
    ``deputy_tenure`` months; a free post is filled by rotation with probability ``p_rotate``
    and stays vacant 1-2 months with probability ``p_vacancy``. Records are unit x period
    (quarterly by default), with

        s[r, c] = post share x (months of the period covered by the tenure) / months_per_period,

    so rows sum to 1 except around vacancies (then < 1), and

        y[u, t] = psi[u] + tau[t] + sum_c s[(u, t), c] * theta[c] + eps,
        theta ~ N(0, sd_cadre^2), psi ~ N(0, sd_unit^2), tau ~ N(0, sd_period^2),
        eps ~ N(0, sd_noise^2).

    Clearly strong and weak cadres: with ``strong_share`` > 0, round(strong_share x n_cadres)
    cadres drawn without replacement get instead

        theta[c] = sign_c * m_c * sd_cadre,   sign_c = +-1 with probability 1/2,
        m_c ~ U(strong_sd[0], strong_sd[1])   (default 3-4 sd of the bulk's spread),

    so a test can measure how many cadres with |theta| >= 3 sd_cadre are placed; their ids are
    ``params["strong"]``. These draws come after every other draw, so ``strong_share=0`` (the
    default) gives exactly the world it always gave.
    """
    rng = np.random.default_rng(seed)
    n_months = n_periods * months_per_period
    posts = _simulate_posts(
        n_units, n_months, lead_share, lead_tenure, deputy_tenure, p_rotate, p_vacancy,
        pool_months, rng,
    )
    sh, n_periods = _posts_to_shares(posts, n_units, n_months, months_per_period)
    n_cadres = int(posts["cadre"].max()) + 1
    theta = rng.normal(0.0, sd_cadre, n_cadres)
    psi = rng.normal(0.0, sd_unit, n_units)
    tau = rng.normal(0.0, sd_period, n_periods)

    record = np.arange(n_units * n_periods)
    unit, period = record // n_periods, record % n_periods
    eps = rng.normal(0.0, sd_noise, record.size)
    strong = np.zeros(0, dtype=np.int64)
    if strong_share > 0:
        strong = np.sort(rng.choice(n_cadres, int(round(strong_share * n_cadres)), replace=False))
        magnitude = rng.uniform(strong_sd[0], strong_sd[1], strong.size)
        theta[strong] = np.where(rng.random(strong.size) < 0.5, -1.0, 1.0) * magnitude * sd_cadre
    cadre_part = np.bincount(
        sh["record"], weights=sh["share"] * theta[sh["cadre"]], minlength=record.size
    )
    y = psi[unit] + tau[period] + cadre_part + eps

    cadre_ids, unit_ids = _ids("c", n_cadres), _ids("u", n_units)
    labels = _period_labels(n_periods, months_per_period, first_year)
    records = pd.DataFrame(
        {"record_id": record, "unit_id": unit_ids[unit], "period": labels[period], "y": y}
    )
    shares = pd.DataFrame(
        {"record_id": sh["record"].to_numpy(), "cadre_id": cadre_ids[sh["cadre"]],
         "share": sh["share"].to_numpy()}
    )
    return SynthData(
        records=records,
        shares=shares,
        cadre_truth=pd.Series(theta, index=pd.Index(cadre_ids, name="cadre_id"), name="theta"),
        unit_truth=pd.Series(psi, index=pd.Index(unit_ids, name="unit_id"), name="psi"),
        period_truth=pd.Series(tau, index=pd.Index(labels, name="period"), name="tau"),
        params=dict(
            kind="shared", n_units=n_units, n_periods=n_periods,
            months_per_period=months_per_period, lead_share=lead_share,
            lead_tenure=lead_tenure, deputy_tenure=deputy_tenure, p_rotate=p_rotate,
            p_vacancy=p_vacancy, sd_cadre=sd_cadre, sd_unit=sd_unit, sd_period=sd_period,
            sd_noise=sd_noise, seed=seed, strong_share=strong_share, strong_sd=strong_sd,
            strong=list(cadre_ids[strong]),
        ),
    )


# The demo county's per-record noise is twice the cadre spread: datasets/county (MODEL) states
# sd_eps = 2 x sd_theta for every indicator (e.g. gdp_growth 0.8 vs 0.4, tax_per_mu 2.5 vs 1.25,
# the level series 0.03 vs 0.015 x m; rd_intensity 0.15 vs 0.08).
DEMO_NOISE_RATIO = 2.0

# The rotation world tests and bench/ use (see make_realistic).
REALISTIC = dict(
    n_units=60, n_periods=32, months_per_period=3, lead_share=0.6,
    lead_tenure=(36, 60), deputy_tenure=(36, 60), p_rotate=0.7, p_vacancy=0.2, pool_months=6,
    sd_cadre=0.5, sd_unit=1.0, sd_period=0.3, sd_noise=DEMO_NOISE_RATIO * 0.5,
    strong_share=0.08, strong_sd=(3.0, 4.0),
)


def make_realistic(seed: int = 0, **overrides) -> SynthData:
    """The realistic rotation world: :func:`make_shared` with the :data:`REALISTIC` preset.

    60 units, 8 years of quarterly unit records; each unit has a lead (share 0.6) and one or two
    deputies sharing the rest of the same record (分管 shares of one outcome); every tenure
    lasts 3-5 years (36-60 months, the first holders' left-censored), free posts are filled by
    rotation with probability 0.7. True effects: theta ~ N(0, 0.5^2) for 92 % of the cadres and
    theta = +-U(3, 4) x 0.5 for 8 % (the clearly strong and weak, ids in ``params["strong"]``);
    record noise sd 1.0, i.e. :data:`DEMO_NOISE_RATIO` x the bulk's spread, as in the demo
    county; psi ~ N(0, 1), tau ~ N(0, 0.3^2). ``overrides`` change any make_shared argument
    (e.g. ``sd_noise=0.5`` for noise equal to the spread).
    """
    return make_shared(**{**REALISTIC, "seed": seed, **overrides})


def make_county(
    n_units: int = 82,
    n_periods: int = 36,
    n_indicators: int = 12,
    lead_share: float = 0.6,
    lead_tenure: tuple[int, int] = (6, 26),
    deputy_tenure: tuple[int, int] = (4, 12),
    p_rotate: float = 0.55,
    p_vacancy: float = 0.1,
    pool_months: int = 6,
    sd_cadre: float = 0.5,
    sd_unit: float = 1.0,
    sd_period: float = 0.3,
    sd_noise: float = 0.5,
    rho_general: float = 0.5,
    first_year: int = 2022,
    seed: int = 0,
) -> SynthData:
    """County scale: 82 units x 36 months x 12 indicators, shared responsibility, ~500 cadres.

    Posts as in :func:`make_shared` at monthly resolution (so s[r, c] is the post share, or 0
    around vacancies). For each indicator k (codes ``ind01`` ...):

        y[u, t, k] = psi[u, k] + tau[t, k] + sum_c s[(u, t), c] * theta[c, k] + eps,
        theta[c, k] = sd_cadre * (sqrt(rho_general) * g[c] + sqrt(1 - rho_general) * e[c, k]),
        g, e ~ N(0, 1); psi ~ N(0, sd_unit^2); tau ~ N(0, sd_period^2); eps ~ N(0, sd_noise^2).

    ``records`` carries an ``indicator`` column and shares one ``record_id`` per unit-month
    across indicators (the shares frame has no indicator column). ``roles`` assigns each cadre a
    role type from :data:`ROLE_TYPES` and ``weights`` gives example role weights.
    ``cadre_truth`` is indexed by (indicator, cadre_id).
    """
    rng = np.random.default_rng(seed)
    n_months = n_periods
    posts = _simulate_posts(
        n_units, n_months, lead_share, lead_tenure, deputy_tenure, p_rotate, p_vacancy,
        pool_months, rng,
    )
    sh, _ = _posts_to_shares(posts, n_units, n_months, 1)
    n_cadres = int(posts["cadre"].max()) + 1
    indicators = [f"ind{k + 1:02d}" for k in range(n_indicators)]
    general = rng.normal(size=n_cadres)
    specific = rng.normal(size=(n_indicators, n_cadres))
    theta = sd_cadre * (np.sqrt(rho_general) * general + np.sqrt(1 - rho_general) * specific)
    psi = rng.normal(0.0, sd_unit, (n_indicators, n_units))
    tau = rng.normal(0.0, sd_period, (n_indicators, n_periods))

    record = np.arange(n_units * n_periods)
    unit, period = record // n_periods, record % n_periods
    cadre_ids, unit_ids = _ids("c", n_cadres), _ids("u", n_units)
    labels = _period_labels(n_periods, 1, first_year)
    frames = []
    for k, ind in enumerate(indicators):
        cadre_part = np.bincount(
            sh["record"], weights=sh["share"] * theta[k, sh["cadre"]], minlength=record.size
        )
        y = psi[k, unit] + tau[k, period] + cadre_part + rng.normal(0.0, sd_noise, record.size)
        frames.append(pd.DataFrame({
            "indicator": ind, "record_id": record, "unit_id": unit_ids[unit],
            "period": labels[period], "y": y,
        }))
    records = pd.concat(frames, ignore_index=True)
    shares = pd.DataFrame(
        {"record_id": sh["record"].to_numpy(), "cadre_id": cadre_ids[sh["cadre"]],
         "share": sh["share"].to_numpy()}
    )
    roles = pd.Series(
        np.asarray(ROLE_TYPES, dtype=object)[rng.integers(0, len(ROLE_TYPES), n_cadres)],
        index=pd.Index(cadre_ids, name="cadre_id"), name="role_type",
    )
    weights = {
        "招商": {ind: (3.0 if k < 3 else 1.0) for k, ind in enumerate(indicators)},
        "工业": {ind: (3.0 if 3 <= k < 6 else 1.0) for k, ind in enumerate(indicators)},
        "综合": {ind: 1.0 for ind in indicators},
    }
    def by_indicator(values, ids, name):
        index = pd.MultiIndex.from_product([indicators, ids], names=["indicator", name])
        return pd.Series(values.ravel(), index=index)

    return SynthData(
        records=records,
        shares=shares,
        cadre_truth=by_indicator(theta, cadre_ids, "cadre_id").rename("theta"),
        unit_truth=by_indicator(psi, unit_ids, "unit_id").rename("psi"),
        period_truth=by_indicator(tau, labels, "period").rename("tau"),
        params=dict(
            kind="county", n_units=n_units, n_periods=n_periods, n_indicators=n_indicators,
            lead_share=lead_share, sd_cadre=sd_cadre, sd_unit=sd_unit, sd_period=sd_period,
            sd_noise=sd_noise, rho_general=rho_general, seed=seed,
        ),
        roles=roles,
        weights=weights,
    )


def composite_truth(contributions: pd.DataFrame, truth: pd.DataFrame, roles: pd.DataFrame,
                    weights: dict | None) -> pd.Series:
    """The composite '*' that a fit targets, built from known per-indicator truths.

    ``contributions``: the fitted per-indicator rows (cadre_id, indicator, identified,
    component_id; the '*' rows are ignored). ``truth``: cadre_id, indicator, theta, exposure
    (e.g. the demo's ``_truth/cadre_effects.csv`` plus its task effects as indicator "task").
    ``roles``: cadre_id, role_type. ``weights``: role_type -> {indicator: weight} as in
    ``composite_weights`` (``'*'`` for other roles; None: equal weights).

    Mirrors :func:`models.attribution.composite_contributions` on the truth: per indicator the
    cadre was identified in and weighs > 0, theta centred within the indicator's comparison
    group (component_id) and divided by the SD of the true effects over the cadres exposed to
    that indicator, then the weighted mean. Indexed by cadre_id; cadres with no such indicator
    are absent.
    """
    true = truth[["cadre_id", "indicator", "theta", "exposure"]]
    sd = true[true["exposure"] > 0].groupby("indicator")["theta"].std()
    rows = contributions[(contributions["indicator"] != "*") & contributions["identified"].astype(bool)]
    rows = rows.merge(true[["cadre_id", "indicator", "theta"]], on=["cadre_id", "indicator"], how="left")
    rows = rows[rows["theta"].notna()].copy()
    rows["theta"] -= rows.groupby(["indicator", "component_id"])["theta"].transform("mean")
    role = rows["cadre_id"].map(roles.set_index("cadre_id")["role_type"])

    def weight(r, indicator) -> float:
        if weights is None:
            return 1.0
        table = weights.get(r) if isinstance(r, str) else None
        table = table if table is not None else weights.get("*")
        return 1.0 if table is None else float(table.get(indicator, 0.0))

    rows["w"] = [weight(r, ind) for r, ind in zip(role, rows["indicator"])]
    rows = rows[rows["w"] > 0]
    rows["part"] = rows["w"] * rows["theta"] / rows["indicator"].map(sd)
    agg = rows.groupby("cadre_id")[["part", "w"]].sum()
    return (agg["part"] / agg["w"]).rename("truth")
