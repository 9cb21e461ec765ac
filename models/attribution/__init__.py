"""Contribution attribution (个人贡献 vs 平台效应), docs/domain.md §6; result tables in
docs/contract.md §3.

For one indicator (or task category) every record r (unit x period, or task x period) has

    y_r = psi[unit_r] + tau[period_r] + sum_c s[r, c] * theta[c] + eps_r,   eps_r ~ N(0, sigma2)

psi is the platform (unit) effect, tau the period / county cycle, theta the cadre's own
contribution and s[r, c] the responsibility share (an assignment's share x the fraction of the
period it covers). Outcomes arrive direction-adjusted (higher is better).

Input (long format)
    records: record_id, unit_id, period, y           (one row per record, record_id unique)
    shares:  record_id, cadre_id, share              (one row per record x responsible cadre)
Single-owner data (one cadre per record, share 1) may instead be passed as one frame with
unit_id, period, cadre_id, y (see :func:`single_owner_frames`).

Estimation, in order
1. Identification. The cadre-unit bipartite graph (an edge where a cadre holds a positive share
   of a unit's record) is split into connected components with
   ``scipy.sparse.csgraph.connected_components``; movers are counted per unit. theta is only
   identified up to one constant per component, so every reported effect is centred to mean
   zero over the identified cadres of its own component, and nothing is compared across
   components (see "Bands"). A stayer in a unit nobody moved through (a component with a
   single unit) cannot be separated from the platform: ``no_mobility``, identified=false.
   With shared records the data can leave more undetermined inside a connected component: a
   lead present in every record of a unit with the same share is confounded with the platform,
   two cadres who always serve together with the same shares are seen only as a blend, and
   leads and deputies who never swap roles leave the level between the two groups open. These
   are read off the null space of the design: theta_c - theta_c' is estimable iff rows c and c'
   of a null-space basis agree. The graph component is therefore split into comparison groups
   of equal rows; ``component_id`` numbers these groups (0 = the one with most identified
   cadres, usually the whole connected set). A group counts only with at least two cadres and
   at least one mover in it; other cadres are ``not_separable`` (or ``no_peers`` when they are
   the only candidate of their graph component), identified=false.
2. Fixed effects (``effect_fe``), three exact-or-iterative solvers on the sparse design:
   - dense (n_cadres <= dense_max): absorb platform and period dummies F, eigendecompose the
     cadre block S'QS (Q the residual maker of F). One decomposition gives the FE
     (pseudo-inverse), the BLUP for any shrinkage, REML, and the null space.
   - schur (single-owner data at scale): the cadre block is diagonal and is eliminated; only
     the (units + periods)^2 Schur complement is factorised (pivoted/anchored Cholesky), so
     nothing is dense in the cadre dimension.
   - iterative: ``scipy.sparse.linalg.lsmr`` on the column-scaled design.
3. Variance components: REML (dense solver: exact, one-dimensional search on the eigenvalues)
   or bias-corrected moments (other solvers), with sigma2 = RSS / (n - tr H), tr H = sum of the
   record leverages = rank, and
       sigma2_cadre = (sum effect_fe^2 - sum se_fe^2) / sum (1 - 1/n_g)
   over identified cadres; either way sigma2_cadre >= ``var_floor`` x sigma2, a floor far
   below any real spread: a cadre spread of (about) zero is a valid answer, and the effects are
   then shrunk to zero. (A floor relative to the sampling variance of effect_fe held the spread
   up where records are few and left the effects under-shrunk.)
4. Headline ``effect``: the BLUP / empirical-Bayes estimate from Henderson's mixed-model
   equations with theta ~ N(0, sigma2_cadre) random and psi, tau fixed, centred like effect_fe.
   Its ``se`` is the exact posterior (prediction-error) SD of the centred effect, and
   ci_low/ci_high the matching ``ci_level`` interval from Student's t with the residual degrees
   of freedom ``df_resid`` (n - tr H); with correct variance components its
   mean squared error is below that of predicting zero. ``se_fe`` is the exact SD of effect_fe.
   SEs are exact for the dense and Schur solvers (dense algebra only in the small dimensions);
   the iterative solver estimates them from ``n_probes`` perturbation draws b ~ N(0, H^-), a
   Hutchinson-type estimator.
5. Platform effect of unit u: psi_u + mean theta of its group's identified cadres + mean tau,
   the unit's level with an average cadre (NaN where that is not estimable). Period effects are
   tau centred to mean zero. (Should units report in disjoint sets of periods, both means are
   taken within each such "calendar", the connected components of the unit-period graph.)

Bands
    Among identified cadres: 高 if ci_low > 0, 低 if ci_high < 0, else 中. Because effects are
    centred within their own comparison group, 0 is that group's average cadre: a band says
    "above / around / below the average of the cadres this one can be compared with", so bands
    of different components are never a ranking across them. identified=false gives 不可判定
    and NaN for every number, so no figure is ever presented as if it ranked.

Flags (``;``-separated)
    not_in_main_component  comparison group other than component_id 0
    no_mobility            stayer in a unit nobody moved through (identified=false)
    not_separable          not estimable against any group of its graph component
                           (identified=false)
    no_peers               the only cadre of its graph component that could be estimated
                           (identified=false)
    few_obs                fewer than ``min_obs`` records (still estimated)
    too_few_records        the indicator has fewer records than cadres + units: nothing of it is
                           identified (identified=false for every cadre and unit)
    weakly_identified      reliability 1 - se^2 / prior variance below ``weak_reliability``
    shares_invalid         a record of this cadre had a negative share (dropped) or shares
                           summing above 1 + ``share_tol`` (rescaled to sum 1)
    high_leverage          one of its records has leverage >= ``leverage_threshold``
    partial_composite      (composite '*' rows) fewer indicators entered than the role weighs
    mixed_components       (composite '*' rows) the entering indicators put the cadre in
                           different comparison groups (component_id -1)

Modules, in the order of a fit
    schema           output columns and dtypes, flags, bands, causes; empty typed results
    data             input checks; records and shares coded as integers (_Data)
    identification   cadre-unit graph, movers, calendars, comparison groups, component table
    linalg           generalised inverses and sparse quadratic forms for the solvers
    solvers          dense, Schur and iterative solvers of the mixed-model equations
    serial           serial correlation of the record noise (serial_correction)
    estimator        ContributionAttribution: one indicator, scikit-learn style
    composite        the composite indicator '*' over indicators
    api              fit_contributions over every indicator; AttributionResult

"""
from models.attribution.api import AttributionResult, fit_contributions
from models.attribution.composite import composite_contributions
from models.attribution.data import single_owner_frames
from models.attribution.estimator import ContributionAttribution
from models.attribution.schema import (
    COMPOSITE, CONTRIBUTION_COLUMNS, FLAGS, PLATFORM_COLUMNS, RECORD_COLUMNS, SHARE_COLUMNS, empty_results,
)

__all__ = [
    "ContributionAttribution",
    "AttributionResult",
    "fit_contributions",
    "composite_contributions",
    "single_owner_frames",
    "RECORD_COLUMNS",
    "SHARE_COLUMNS",
    "CONTRIBUTION_COLUMNS",
    "PLATFORM_COLUMNS",
    "empty_results",
    "FLAGS",
    "COMPOSITE",
]
