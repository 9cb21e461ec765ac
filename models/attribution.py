"""Contribution attribution (个人贡献 vs 平台效应), ARCHITECTURE.md §3, CONTRACT.md §3.

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
"""
from __future__ import annotations

import hashlib
import warnings
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Mapping

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.linalg import eigh, lapack
from scipy.optimize import minimize_scalar
from scipy.sparse.csgraph import connected_components
from scipy.sparse.linalg import lsmr
from scipy.stats import t as student
from threadpoolctl import threadpool_limits

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

RECORD_COLUMNS = ("record_id", "unit_id", "period", "y")
SHARE_COLUMNS = ("record_id", "cadre_id", "share")
CONTRIBUTION_COLUMNS = (
    "cadre_id", "indicator", "effect", "effect_fe", "se", "ci_low", "ci_high", "n_obs",
    "n_units", "component_id", "identified", "band", "flags",
)
CONTRIBUTION_EXTRA = ("se_fe", "reliability", "df_resid", "weight_identified", "cause", "cause_indicator")
# Why a cadre has no estimate, most basic first: the first of these flags a row carries. An
# unidentified cadre with fewer than min_obs records of its own is told that first: its few
# records cannot show a move even where the unit saw some (a stayer with many records is told
# nobody moved).
CAUSES = ("too_few_records", "few_obs", "no_mobility", "not_separable", "no_peers")
# The composite's cause when none of the cadre's weighted indicators has a record of the cadre.
NO_RECORDS = "no_records"
INDICATOR_SUMMARY_COLUMNS = ("indicator", "n_records", "n_needed", "n_cadres", "n_units", "n_identified",
                             "sd_cadre", "df_resid", "serial_rho", "noise_inflation")
PLATFORM_COLUMNS = ("unit_id", "indicator", "effect", "se", "n_movers")
PLATFORM_EXTRA = ("component_id", "identified")
_COLUMN_DTYPES = {
    "effect": "float64", "effect_fe": "float64", "se": "float64", "ci_low": "float64", "ci_high": "float64",
    "se_fe": "float64", "reliability": "float64", "df_resid": "float64", "weight_identified": "float64", "n_obs": "int64", "n_units": "int64", "n_movers": "int64",
    "component_id": "int64", "identified": "bool", "n_records": "int64", "n_needed": "int64", "n_cadres": "int64",
    "n_identified": "int64", "sd_cadre": "float64", "serial_rho": "float64", "noise_inflation": "float64",
}
FLAGS = (
    "not_in_main_component", "no_mobility", "not_separable", "no_peers", "few_obs",
    "too_few_records", "weakly_identified", "shares_invalid", "high_leverage",
)
BAND_HIGH, BAND_MID, BAND_LOW, BAND_NONE = "高", "中", "低", "不可判定"
COMPOSITE = "*"
SOLVERS = ("auto", "dense", "schur", "iterative")


def empty_results() -> dict[str, pd.DataFrame]:
    """Typed, empty result tables for data that supports no model (every column the pages read)."""
    def frame(columns):
        return pd.DataFrame({c: pd.Series(dtype=_COLUMN_DTYPES.get(c, "string")) for c in columns})

    return {"contributions": frame(CONTRIBUTION_COLUMNS + CONTRIBUTION_EXTRA),
            "platform_effects": frame(PLATFORM_COLUMNS + PLATFORM_EXTRA),
            "period_effects": frame(("period", "indicator", "effect")),
            "attribution_indicators": frame(INDICATOR_SUMMARY_COLUMNS)}


# --------------------------------------------------------------------------- input


def single_owner_frames(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split single-owner data into (records, shares).

    ``frame`` has unit_id, period, cadre_id, y and optionally record_id (default: row number)
    and share (default 1); a row with an empty cadre_id is a record nobody was responsible for.
    """
    missing = {"unit_id", "period", "cadre_id", "y"} - set(frame.columns)
    if missing:
        raise ValueError(f"single-owner frame lacks columns {sorted(missing)}")
    frame = frame.reset_index(drop=True)
    record_id = frame["record_id"] if "record_id" in frame else pd.Series(np.arange(len(frame)))
    records = pd.DataFrame({
        "record_id": record_id.to_numpy(), "unit_id": frame["unit_id"].to_numpy(),
        "period": frame["period"].to_numpy(), "y": frame["y"].to_numpy(),
    })
    owned = frame["cadre_id"].notna().to_numpy()
    share = frame["share"].to_numpy(float) if "share" in frame else np.ones(len(frame))
    shares = pd.DataFrame({
        "record_id": record_id.to_numpy()[owned], "cadre_id": frame["cadre_id"].to_numpy()[owned],
        "share": share[owned],
    })
    return records, shares


def _require(frame: pd.DataFrame, columns: tuple[str, ...], name: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} lacks columns {missing}")


@dataclass
class _Data:
    """Records and shares as integer codes; parameters are ordered [theta, psi, tau]."""

    y: np.ndarray
    unit: np.ndarray
    period: np.ndarray
    S: sparse.csr_matrix  # records x active cadres, cleaned shares
    cadre_ids: pd.Index  # active cadres (some positive share)
    unit_ids: pd.Index
    periods: pd.Index
    invalid: np.ndarray  # shares_invalid, per active cadre
    idle: pd.DataFrame  # cadres with share rows but no positive share: cadre_id, invalid

    @property
    def n(self) -> int:
        return self.y.size

    @property
    def C(self) -> int:
        return self.S.shape[1]

    @property
    def J(self) -> int:
        return len(self.unit_ids)

    @property
    def P(self) -> int:
        return len(self.periods)

    @property
    def single_owner(self) -> bool:
        return self.S.nnz == 0 or int(np.diff(self.S.indptr).max()) <= 1

    def design(self) -> sparse.csr_matrix:
        rows = np.arange(self.n)
        ones = np.ones(self.n)
        U = sparse.csr_matrix((ones, (rows, self.unit)), shape=(self.n, self.J))
        T = sparse.csr_matrix((ones, (rows, self.period)), shape=(self.n, self.P))
        return sparse.hstack([self.S, U, T], format="csr")

    def fitted(self, b: np.ndarray) -> np.ndarray:
        C, J = self.C, self.J
        return self.S @ b[:C] + b[C:C + J][self.unit] + b[C + J:][self.period]


def _prepare(records: pd.DataFrame, shares: pd.DataFrame, share_tol: float) -> _Data:
    _require(records, RECORD_COLUMNS, "records")
    _require(shares, SHARE_COLUMNS, "shares")
    y = pd.to_numeric(records["y"], errors="coerce").to_numpy(float)
    keep = np.isfinite(y)
    if not keep.all():
        warnings.warn(f"{int((~keep).sum())} records without a finite y were dropped", stacklevel=3)
    rec = records.loc[keep, ["record_id", "unit_id", "period"]]
    y = y[keep]
    if rec["record_id"].duplicated().any():
        raise ValueError("record_id must be unique within one indicator")
    if len(rec) == 0:
        raise ValueError("no records with a finite y")
    unit, unit_ids = pd.factorize(rec["unit_id"], sort=True)
    period, periods = pd.factorize(rec["period"], sort=True)

    # shares of records not present (e.g. another indicator's) are simply not used here
    row = pd.Index(rec["record_id"]).get_indexer(shares["record_id"])
    sh = shares.loc[row >= 0]
    row = row[row >= 0]
    cadre, cadre_ids = pd.factorize(sh["cadre_id"], sort=True)
    s = pd.to_numeric(sh["share"], errors="coerce").to_numpy(float)
    bad = ~(s >= 0)  # negative or missing
    S = sparse.csr_matrix(
        (np.where(bad, 0.0, s), (row, cadre)), shape=(len(rec), len(cadre_ids))
    )  # duplicates (record, cadre) are summed: two spells in one period
    total = np.asarray(S.sum(axis=1)).ravel()
    over = total > 1.0 + share_tol
    invalid = np.zeros(len(cadre_ids), bool)
    invalid[cadre[bad]] = True
    invalid[cadre[over[row]]] = True
    if over.any():
        S = sparse.diags(np.where(over, 1.0 / np.where(over, total, 1.0), 1.0)) @ S
    S = sparse.csr_matrix(S)
    S.eliminate_zeros()
    active = np.asarray((S != 0).sum(axis=0)).ravel() > 0
    if not active.any():
        raise ValueError("no cadre holds a positive share in these records")
    idle = pd.DataFrame({"cadre_id": cadre_ids[~active], "invalid": invalid[~active]})
    S = sparse.csr_matrix(S[:, np.flatnonzero(active)])
    S.sort_indices()
    return _Data(
        y=y, unit=unit.astype(np.int64), period=period.astype(np.int64), S=S,
        cadre_ids=cadre_ids[active], unit_ids=unit_ids, periods=periods,
        invalid=invalid[active], idle=idle,
    )


# --------------------------------------------------------------------------- graph


@dataclass
class _Graph:
    comp_cadre: np.ndarray  # connected component of the cadre-unit graph, per active cadre
    comp_unit: np.ndarray
    n_obs: np.ndarray  # records with a positive share, per cadre
    n_units: np.ndarray  # distinct units, per cadre
    n_movers_unit: np.ndarray  # distinct movers who served in the unit
    no_mobility: np.ndarray  # stayer in a unit nobody moved through
    tau_mean: np.ndarray  # rows: mean-tau coefficients on [psi, tau], one per calendar
    unit_calendar: np.ndarray  # calendar (unit-period component) of each unit
    period_calendar: np.ndarray


def _calendars(d: _Data) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Connected components of the unit-period graph ("calendars"). Units reporting in
    disjoint sets of periods leave the level between their period effects open, so the mean
    period effect is taken per calendar (a single one in any ordinary data set)."""
    adj = sparse.coo_matrix((np.ones(d.n), (d.unit, d.J + d.period)),
                            shape=(d.J + d.P, d.J + d.P))
    _, lab = connected_components(adj, directed=False)
    lab = pd.factorize(lab)[0]
    unit_cal, period_cal = lab[:d.J], lab[d.J:]
    tau_mean = np.zeros((lab.max() + 1, d.J + d.P))
    tau_mean[period_cal, d.J + np.arange(d.P)] = 1.0 / np.bincount(period_cal)[period_cal]
    return tau_mean, unit_cal, period_cal


def _graph(d: _Data) -> _Graph:
    coo = d.S.tocoo()
    c, u = coo.col.astype(np.int64), d.unit[coo.row]
    pair = np.unique(c * d.J + u)
    pc, pu = pair // d.J, pair % d.J
    n_units = np.bincount(pc, minlength=d.C)
    mover = n_units >= 2
    n_movers_unit = np.bincount(pu, weights=mover[pc], minlength=d.J).astype(np.int64)
    stay_unit = np.full(d.C, -1)
    stay_unit[pc[~mover[pc]]] = pu[~mover[pc]]
    no_mobility = (~mover) & (n_movers_unit[np.maximum(stay_unit, 0)] == 0)
    adj = sparse.coo_matrix(
        (np.ones(pair.size), (pc, d.C + pu)), shape=(d.C + d.J, d.C + d.J)
    )
    _, comp = connected_components(adj, directed=False)
    tau_mean, unit_cal, period_cal = _calendars(d)
    return _Graph(
        comp_cadre=comp[:d.C], comp_unit=comp[d.C:], n_obs=np.bincount(coo.col, minlength=d.C),
        n_units=n_units, n_movers_unit=n_movers_unit, no_mobility=no_mobility,
        tau_mean=tau_mean, unit_calendar=unit_cal, period_calendar=period_cal,
    )


def _row_classes(rows: np.ndarray, tol: float) -> np.ndarray:
    """Label rows so that rows within tol (max-norm) of each other share a label."""
    n = rows.shape[0]
    if rows.shape[1] == 0 or n == 0:
        return np.zeros(n, np.int64)
    # rows within tol project within tol * sqrt(width) of each other: split the sorted
    # projection only at wider gaps, then separate any block that still mixes rows
    direction = np.random.default_rng(0).standard_normal(rows.shape[1])
    proj = rows @ (direction / np.linalg.norm(direction))
    order = np.argsort(proj, kind="stable")
    gap = np.diff(proj[order]) > tol * np.sqrt(rows.shape[1])
    block = np.concatenate([[0], np.cumsum(gap)])
    labels = np.full(n, -1, np.int64)
    nxt = 0
    for members in np.split(order, np.flatnonzero(np.diff(block)) + 1):
        while members.size:
            close = np.abs(rows[members] - rows[members[0]]).max(axis=1) <= tol
            labels[members[close]] = nxt
            nxt += 1
            members = members[~close]
    return labels


@dataclass
class _Identification:
    """Comparison groups and identification per cadre; the reported component_id.

    A comparison group is a connected component of the cadre-unit graph, split further where
    the data leave the level between subsets of its cadres undetermined (with shared records,
    e.g. leads and deputies who never swap roles). theta_c - theta_c' is estimable iff rows c
    and c' of a null-space basis of the design agree, so the groups are the classes of equal
    rows. Groups are numbered by identified cadres, 0 = main.
    """

    cadre: np.ndarray  # component_id per active cadre
    unit: np.ndarray  # component_id whose cadre mean normalises the unit's platform effect
    identified: np.ndarray
    not_separable: np.ndarray
    no_peers: np.ndarray
    table: pd.DataFrame


def _identify(d: _Data, graph: _Graph, null_theta: np.ndarray | None, tol: float
              ) -> _Identification:
    candidate = ~graph.no_mobility
    key = _class_keys(graph, candidate, null_theta, tol)
    per_class = pd.DataFrame({"n": candidate, "movers": candidate & (graph.n_units >= 2)})
    per_class = per_class.astype(int).groupby(key).transform("sum")
    # a group is a comparison only if mobility links it: two stayer leads who succeeded each
    # other in one unit share a class (their difference is estimable) yet say nothing beyond
    # "the second did better than the first", so they stay undetermined
    identified = candidate & (per_class["n"].to_numpy() >= 2) & (
        per_class["movers"].to_numpy() >= 1)
    comp = graph.comp_cadre
    comp_candidates = np.bincount(comp[candidate], minlength=_n_components(graph))
    lonely = comp_candidates[comp] < 2
    labels, table = _component_table(d, graph, key, _platform_keys(graph, key, identified),
                                     identified)
    return _Identification(
        cadre=labels[:d.C], unit=labels[d.C:], identified=identified,
        not_separable=candidate & ~identified & ~lonely,
        no_peers=candidate & ~identified & lonely, table=table,
    )


def _n_components(graph: _Graph) -> int:
    return int(max(graph.comp_cadre.max(initial=-1), graph.comp_unit.max(initial=-1))) + 1


def _class_keys(graph: _Graph, candidate: np.ndarray, null_theta: np.ndarray | None,
                tol: float) -> np.ndarray:
    """One integer per cadre for (graph component, class of equal null-space rows); cadres
    that are no candidates get class -1, which shares its key with their component's units."""
    C = candidate.size
    cls = np.where(candidate, 0, -1)
    if null_theta is not None and null_theta.shape[1]:
        for g in np.unique(graph.comp_cadre[candidate]):
            members = np.flatnonzero(candidate & (graph.comp_cadre == g))
            cls[members] = _row_classes(null_theta[members], tol)
    return graph.comp_cadre * (C + 1) + cls + 1


def _platform_keys(graph: _Graph, key: np.ndarray, identified: np.ndarray) -> np.ndarray:
    """Per unit, the key of the group whose mean normalises its platform effect: the group of
    its graph component with most identified cadres (else the bare component)."""
    width = key.size + 1
    main = graph.comp_unit * width
    if identified.any():
        counts = pd.Series(identified.astype(int)).groupby(key).sum()
        counts = counts[counts > 0].sort_values(ascending=False, kind="stable")
        best = counts.groupby(counts.index // width).head(1)
        lookup = pd.Series(best.index, index=best.index // width)
        found = lookup.reindex(graph.comp_unit).to_numpy()
        main = np.where(np.isnan(found), main, np.nan_to_num(found)).astype(np.int64)
    return main


def _component_table(d: _Data, graph: _Graph, key: np.ndarray, unit_key: np.ndarray,
                     identified: np.ndarray) -> tuple[np.ndarray, pd.DataFrame]:
    """Number the groups (0 = most identified cadres) and describe them."""
    C = key.size
    codes, uniques = pd.factorize(np.concatenate([key, unit_key]))
    m = uniques.size
    cc = codes[:C]
    n_id = np.bincount(cc, weights=identified, minlength=m).astype(np.int64)
    n_cad = np.bincount(cc, minlength=m)
    movers = np.bincount(cc, weights=graph.n_units >= 2, minlength=m).astype(np.int64)
    comp_of = np.asarray(uniques) // (C + 1)
    n_comp = _n_components(graph)
    units = np.bincount(graph.comp_unit, minlength=n_comp)[comp_of]
    records = np.bincount(graph.comp_unit[d.unit], minlength=n_comp)[comp_of]
    order = np.lexsort((-records, -units, -n_cad, -n_id))
    relabel = np.empty(m, np.int64)
    relabel[order] = np.arange(m)
    graph_rank = pd.Series(np.arange(m)).groupby(comp_of[order]).transform("min")
    graph_rank = pd.factorize(graph_rank, sort=True)[0]
    table = pd.DataFrame({
        "component_id": np.arange(m),
        "graph_component": graph_rank,
        "n_cadres": n_cad[order],
        "n_identified": n_id[order],
        "n_movers": movers[order],
        "n_units": units[order],
        "n_records": records[order],
    })
    table["is_main"] = table["component_id"] == 0
    return relabel[codes], table


@dataclass
class _Groups:
    """Centring groups: the identified cadres of each comparison group (component_id)."""

    grp: np.ndarray  # group per cadre, -1 if not identified
    size: np.ndarray  # identified cadres per group
    unit_grp: np.ndarray  # group of the unit's component, -1 if it has none
    E: sparse.csr_matrix  # cadres x groups, E[c, g] = 1 / size[g] for members

    @classmethod
    def build(cls, identified: np.ndarray, cadre_label: np.ndarray, unit_label: np.ndarray):
        comps, grp_of = np.unique(cadre_label[identified], return_inverse=True)
        grp = np.full(identified.size, -1)
        grp[identified] = grp_of
        size = np.bincount(grp_of, minlength=comps.size)
        lookup = np.full(max(cadre_label.max(initial=-1), unit_label.max(initial=-1)) + 1, -1)
        lookup[comps] = np.arange(comps.size)
        members = np.flatnonzero(identified)
        E = sparse.csr_matrix(
            (1.0 / size[grp[members]], (members, grp[members])),
            shape=(identified.size, comps.size),
        )
        return cls(grp=grp, size=size, unit_grp=lookup[unit_label], E=E)

    def centre(self, theta: np.ndarray) -> np.ndarray:
        if self.size.size == 0:
            return np.full(theta.shape, np.nan)
        means = self.E.T @ theta
        return np.where(self.grp >= 0, theta - means[np.maximum(self.grp, 0)], np.nan)

    def theta_mean_of_unit(self, theta: np.ndarray) -> np.ndarray:
        if self.size.size == 0:
            return np.full(self.unit_grp.shape, np.nan)
        means = self.E.T @ theta
        return np.where(self.unit_grp >= 0, means[np.maximum(self.unit_grp, 0)], np.nan)


# --------------------------------------------------------------------------- linear algebra


def _unit_diagonal(H: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """D^-1 H D^-1 with D = sqrt(diag H), so tolerances are relative; and D's diagonal."""
    d = np.sqrt(np.clip(np.diag(H), 0.0, None))
    d[d == 0] = 1.0
    scaled = H / d[:, None]
    scaled /= d[None, :]
    return scaled, d


def _cholesky_inverse(R: np.ndarray) -> np.ndarray | None:
    """(R'R)^-1 for upper-triangular R with a zero lower triangle (None if singular)."""
    inv, info = lapack.dpotri(R, lower=0, overwrite_c=1)
    if info != 0:
        return None
    inv += np.triu(inv, 1).T  # dpotri fills the upper triangle only
    return inv


def _psd_ginv(H: np.ndarray, rank_tol: float) -> tuple[np.ndarray, int]:
    """Generalised inverse of a PSD matrix by pivoted Cholesky, and its rank.

    Redundant directions are pivoted out and get zero rows/columns (a reflexive g-inverse), so
    estimable functions l'b come out exact without the 1/eps blow-up a ridge would cause.
    """
    n = H.shape[0]
    scaled, d = _unit_diagonal(H)
    c, piv, rank, info = lapack.dpstrf(scaled, tol=rank_tol, lower=0, overwrite_a=1)
    inv = _cholesky_inverse(np.triu(c[:rank, :rank])) if info >= 0 else None
    if inv is None:
        raise np.linalg.LinAlgError("pivoted Cholesky failed")
    if rank < n:
        padded = np.zeros((n, n))
        padded[:rank, :rank] = inv
        inv = padded
    order = np.argsort(piv[:n] - 1)  # position of each original index in the pivoted order
    G = inv.take(order, axis=0).take(order, axis=1)
    G /= d[:, None]
    G /= d[None, :]
    return G, int(rank)


def _ginv_anchored(H: np.ndarray, anchors: np.ndarray, rank_tol: float) -> np.ndarray:
    """Generalised inverse of a PSD matrix whose null space is known to be pinned by anchors.

    For each null direction v we are told one index i with v_i != 0 (the anchors, chosen so
    the null basis restricted to them is invertible). Then N = H + sum_i c e_i e_i' is
    positive definite and N^-1 is a g-inverse of H (if N x = H y then v'N x = c v_i x_i = 0, so
    H x = H y), which plain Cholesky computes without pivoting. Falls back to the pivoted
    version if a pivot collapses, i.e. H had a null direction the anchors do not cover.
    """
    scaled, d = _unit_diagonal(H)
    scaled[anchors, anchors] += 1.0
    c, info = lapack.dpotrf(scaled, lower=0, clean=1, overwrite_a=1)
    inv = None
    if info == 0 and np.min(np.diag(c)) ** 2 >= rank_tol:
        inv = _cholesky_inverse(c)
    if inv is None:
        return _psd_ginv(H, rank_tol)[0]
    inv /= d[:, None]
    inv /= d[None, :]
    return inv


def _row_chunks(weights: np.ndarray, budget: float):
    """Consecutive row ranges [start, stop) whose summed weight stays under budget."""
    cum = np.cumsum(weights)
    start, n = 0, weights.size
    while start < n:
        base = cum[start - 1] if start else 0.0
        stop = int(np.searchsorted(cum, base + budget, side="right"))
        stop = min(max(stop, start + 1), n)
        yield start, stop
        start = stop


def _sparse_rows_times(G: sparse.csr_matrix, M: np.ndarray) -> np.ndarray:
    """(G M)[r, j] at every stored position (r, j) of G (M symmetric), without forming G M."""
    indptr, indices, data = G.indptr, G.indices, G.data
    m = np.diff(indptr)
    out = np.empty(data.size)
    for r0, r1 in _row_chunks(m.astype(float) ** 2, 4e6):
        p0, p1 = indptr[r0], indptr[r1]
        lens = np.repeat(m[r0:r1], m[r0:r1])  # row length of each stored entry
        starts = np.repeat(indptr[r0:r1], m[r0:r1])
        target = np.repeat(np.arange(p0, p1), lens)
        first = np.repeat(np.cumsum(lens) - lens, lens)
        partner = np.repeat(starts, lens) + np.arange(target.size) - first
        vals = data[partner] * M[indices[partner], indices[target]]
        out[p0:p1] = np.bincount(target - p0, weights=vals, minlength=p1 - p0)
    return out


def _row_quadratic(G: sparse.csr_matrix, M: np.ndarray) -> np.ndarray:
    """g_r' M g_r for every row g_r of G."""
    rows = np.repeat(np.arange(G.shape[0]), np.diff(G.indptr))
    return np.bincount(rows, weights=G.data * _sparse_rows_times(G, M), minlength=G.shape[0])


def _evict(per_ridge: dict) -> None:
    """Keep the fixed-effects entry (lam = 0, shared by indicators) and nothing else."""
    for lam in [k for k in per_ridge if k != 0.0]:
        del per_ridge[lam]


def _design_key(d: _Data) -> str:
    """Fingerprint of everything the design depends on (not y)."""
    h = hashlib.sha1()
    for a in (d.unit, d.period, d.S.indptr, d.S.indices, d.S.data):
        h.update(np.ascontiguousarray(a).tobytes())
    for idx in (d.unit_ids, d.periods, d.cadre_ids):
        h.update(pd.util.hash_pandas_object(pd.Series(idx), index=False).to_numpy().tobytes())
    return h.hexdigest()


def _no_groups(d: _Data) -> tuple[np.ndarray, np.ndarray]:
    return np.full(d.C, np.nan), np.full(d.J, np.nan)


def _centred_theta_var(V: np.ndarray, g: _Groups) -> np.ndarray:
    """diag of Var(theta_c - mean of its group) from the dense cadre covariance V."""
    C = V.shape[0]
    VE = np.asarray(g.E.T @ V).T  # V symmetric: (E'V)' = V E
    EVE = np.asarray(g.E.T @ VE)
    k = np.maximum(g.grp, 0)
    var = np.diag(V) - 2 * VE[np.arange(C), k] + EVE[k, k]
    return np.where(g.grp >= 0, var, np.nan)


# Every solver gives, for a ridge lam on theta (0: fixed effects; sigma2 / sigma2_cadre: BLUP,
# i.e. Henderson's mixed-model equations), with b = [theta, psi, tau] and H = X'X + lam I_theta:
#   coef(y, lam)              a solution of H b = X'y
#   centred_var(groups, lam)  l'H^-l (the variance in units of sigma2) for each centred cadre
#                             effect and each platform effect
#   leverage()                x_r'(X'X)^- x_r per record
#   null_basis()              a basis of null(X'X), each vector scaled to max |entry| 1
#                             (None where every within-component contrast is estimable)


class _DenseSolver:
    """Absorb the fixed effects F = [unit, period dummies], eigendecompose the cadre block.

    With Q the residual maker of F, T = S'F (F'F)^- and K = S'QS = U diag(k) U':
        theta = U diag(1 / (k + lam)) U' S'Qy     (pseudo-inverse, k = 0 skipped, for lam = 0)
        b_F = (F'F)^- F'y - T' theta
        Var(theta) = W = U diag(1 / (k + lam)) U', Cov(theta, b_F) = -W T,
        Var(b_F) = (F'F)^- + T'W T
    One eigendecomposition serves the fixed effects, the BLUP for any lam, REML, and the null
    space (k = 0: a cadre direction the data cannot see).
    """

    def __init__(self, d: _Data, rank_tol: float, graph: _Graph, **_):
        self.d, self.rank_tol, self.graph = d, rank_tol, graph
        X = d.design()
        self.S, self.F = X[:, :d.C], X[:, d.C:]
        self.Finv, self.rank_F = _psd_ginv((self.F.T @ self.F).toarray(), rank_tol)
        SF = (self.S.T @ self.F).toarray()
        self.T = SF @ self.Finv
        K = (self.S.T @ self.S).toarray() - self.T @ SF.T
        self.kappa, self.U = eigh((K + K.T) / 2)
        self.null = self.kappa <= rank_tol * max(float(self.kappa[-1]), 1e-300)
        self._W: dict[float, np.ndarray] = {}

    def _f(self, lam: float) -> np.ndarray:
        if lam > 0:
            return 1.0 / (self.kappa + lam)
        return np.where(self.null, 0.0, 1.0 / np.where(self.null, 1.0, self.kappa))

    def W(self, lam: float) -> np.ndarray:
        if lam not in self._W:
            _evict(self._W)
            self._W[lam] = (self.U * self._f(lam)) @ self.U.T
        return self._W[lam]

    def _residual_score(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        Fy = self.F.T @ y
        return self.S.T @ y - self.T @ Fy, Fy  # S'Qy, F'y

    def coef(self, y: np.ndarray, lam: float) -> np.ndarray:
        r, Fy = self._residual_score(y)
        theta = self.U @ (self._f(lam) * (self.U.T @ r))
        return np.concatenate([theta, self.Finv @ Fy - self.T.T @ theta])

    def null_basis(self) -> np.ndarray:
        # null(X'X) = {(v, -T'v): S'QS v = 0} plus directions inside F alone, which do not
        # touch theta and are handled by the centring and the platform normalisation
        V = self.U[:, self.null]
        full = np.vstack([V, -self.T.T @ V])
        return full / np.clip(np.abs(full).max(axis=0), 1e-300, None)

    def reml(self, y: np.ndarray, lam_max: float, inflation: float = 1.0) -> tuple[float, float]:
        """REML (sigma2, lam = sigma2 / sigma2_cadre) with lam <= lam_max.

        With z = U'S'Qy the profiled restricted likelihood is
            -2 l(lam) = (n - rank F) log(y'Qy - sum z^2 / (k + lam)) + sum log(1 + k / lam),
        so the search costs O(n_cadres) per step on top of the eigendecomposition. With noise
        ``inflation`` f in the cadre directions (var z_i = k_i^2 sigma2_cadre + f k_i sigma2),
        the same likelihood holds for z / f and k / f, the cadre part of y'Qy read at k / f.
        """
        r, Fy = self._residual_score(y)
        z2 = (self.U.T @ r) ** 2
        kappa = np.clip(self.kappa, 0.0, None)
        yQy = float(y @ y - Fy @ self.Finv @ Fy)
        if inflation != 1.0:
            seen = ~self.null & (kappa > 0)
            yQy -= float(np.sum(z2[seen] / kappa[seen])) * (1.0 - 1.0 / inflation)
            z2, kappa = z2 / inflation**2, kappa / inflation
        df = y.size - self.rank_F

        def quad(lam):
            return yQy - np.sum(z2 / (lam + kappa))

        def objective(log_lam):
            lam = np.exp(log_lam)
            return df * np.log(quad(lam)) + np.sum(np.log1p(kappa / lam))

        hi = np.log(lam_max)
        res = minimize_scalar(objective, bounds=(hi - 30.0, hi), method="bounded",
                              options={"xatol": 1e-6})
        lam = float(np.exp(res.x))
        self.deviance = float(res.fun)  # -2 restricted log-likelihood up to a constant of n, F
        return quad(lam) / df, lam

    def centred_var(self, g: _Groups, lam: float) -> tuple[np.ndarray, np.ndarray]:
        d = self.d
        if g.size.size == 0:
            return _no_groups(d)
        V = self.W(lam)
        # platform l_u: theta part E_g, fixed part e_u + q_u (mean tau of its calendar); its
        # theta-equivalent is E_g - T (e_u + q_u) because theta and b_F covary through -W T
        Q, cal = self.graph.tau_mean, self.graph.unit_calendar
        units = np.arange(d.J)
        ug = np.maximum(g.unit_grp, 0)
        Dm = g.E[:, ug].toarray() - self.T[:, units] - (self.T @ Q.T)[:, cal]
        FQ = self.Finv @ Q.T
        pvar = (
            np.sum(Dm * (V @ Dm), axis=0)
            + self.Finv[units, units] + 2 * FQ[units, cal] + (Q @ FQ)[cal, cal]
        )
        return _centred_theta_var(V, g), np.where(g.unit_grp >= 0, pvar, np.nan)

    def leverage(self) -> np.ndarray:
        d, J = self.d, self.d.J
        V = self.W(0.0)
        WT = V @ self.T
        FF = self.Finv + self.T.T @ WT
        u, t = d.unit, J + d.period
        coo = self.S.tocoo()
        cross = np.bincount(
            coo.row, weights=coo.data * (WT[coo.col, u[coo.row]] + WT[coo.col, t[coo.row]]),
            minlength=d.n,
        )
        return _row_quadratic(self.S, V) - 2 * cross + FF[u, u] + FF[t, t] + 2 * FF[u, t]


def _full_share_anchors(d: _Data, graph: _Graph) -> np.ndarray:
    """First unit of every component with cadres whose records all have shares summing to 1."""
    total = np.asarray(d.S.sum(axis=1)).ravel()
    n_comp = int(graph.comp_unit.max()) + 1
    off = np.bincount(graph.comp_unit[d.unit], weights=np.abs(total - 1.0), minlength=n_comp)
    has_cadre = np.bincount(graph.comp_cadre, minlength=n_comp) > 0
    pinned = np.flatnonzero(has_cadre & (off < 1e-9))
    first_unit = pd.Series(np.arange(d.J)).groupby(graph.comp_unit).min()
    return first_unit.reindex(pinned).to_numpy(np.int64)


class _SchurSolver:
    """Single-owner data: the cadre block A = S'S + lam is diagonal and is eliminated.

    Only the (units + periods)^2 Schur complement M = D - B'A^-1 B is held densely (B = S'F,
    D = F'F), so memory is O(nnz + (J + P)^2) whatever the number of cadres. With G = A^-1 B,
    a generalised inverse of H is [[A^-1 + G M^- G', -G M^-], [-M^- G', M^-]], and every
    variance needed is a short sum over the few units and periods of one cadre. The cadre x
    period part of G is held densely (few periods), the cadre x unit part sparsely.
    """

    dense_periods = 256

    def __init__(self, d: _Data, rank_tol: float, graph: _Graph, **_):
        if not d.single_owner:
            raise ValueError("the schur solver needs at most one cadre per record")
        self.d, self.rank_tol, self.graph = d, rank_tol, graph
        self.full_share_anchor = _full_share_anchors(d, graph)
        J, P, K = d.J, d.P, d.J + d.P
        self.split = J if P <= self.dense_periods else K  # columns >= split held densely
        coo = d.S.tocoo()
        r, c, s = coo.row, coo.col, coo.data
        self.rec, self.rec_cadre, self.rec_share = r, c, s  # records that have a cadre
        self.ss = np.bincount(c, weights=s * s, minlength=d.C)
        self.B = sparse.csr_matrix(
            (np.concatenate([s, s]),
             (np.concatenate([c, c]), np.concatenate([d.unit[r], J + d.period[r]]))),
            shape=(d.C, K),
        )
        D = np.zeros((K, K))
        D[:J, J:] = np.bincount(d.unit * P + d.period, minlength=J * P).reshape(J, P)
        D[J:, :J] = D[:J, J:].T
        D[np.arange(J), np.arange(J)] = np.bincount(d.unit, minlength=J)
        D[J + np.arange(P), J + np.arange(P)] = np.bincount(d.period, minlength=P)
        self.D = D
        self._states: dict[float, dict] = {}

    def _state(self, lam: float) -> dict:
        if lam not in self._states:
            _evict(self._states)
            C, m = self.d.C, self.split
            a = self.ss + lam
            Ainv = sparse.diags(1.0 / a)
            M = self.D - (self.B.T @ Ainv @ self.B).toarray()
            # null directions: the level shift between psi and tau always; with lam = 0 also
            # each component's shift between theta and psi when its shares always sum to 1
            anchors = [self.d.J] + (list(self.full_share_anchor) if lam == 0 else [])
            Minv = _ginv_anchored(M, np.asarray(anchors), self.rank_tol)
            G = sparse.csr_matrix(Ainv @ self.B)
            GU = sparse.csr_matrix(G[:, :m])
            GU.sort_indices()
            GT = G[:, m:].toarray()
            rows = np.repeat(np.arange(C), np.diff(GU.indptr))
            # (M^- g_c)_j at the stored unit positions and at every dense position
            MGU = _sparse_rows_times(GU, Minv[:m, :m]) + np.einsum(
                "ij,ij->i", GT[rows], Minv[m:, GU.indices].T
            )
            MGT = np.asarray(GU @ Minv[:m, m:]) + GT @ Minv[m:, m:]
            q = np.bincount(rows, weights=GU.data * MGU, minlength=C) + np.sum(GT * MGT, axis=1)
            self._states[lam] = dict(a=a, Minv=Minv, GU=GU, GT=GT, rows=rows, MGU=MGU,
                                     MGT=MGT, q=q)
        return self._states[lam]

    def coef(self, y: np.ndarray, lam: float) -> np.ndarray:
        d, st = self.d, self._state(lam)
        rt = d.S.T @ y
        rK = np.concatenate([np.bincount(d.unit, y, d.J), np.bincount(d.period, y, d.P)])
        bK = st["Minv"] @ (rK - self.B.T @ (rt / st["a"]))
        return np.concatenate([(rt - self.B @ bK) / st["a"], bK])

    def null_basis(self) -> None:
        return None  # single-owner: every contrast inside a component is estimable

    def centred_var(self, g: _Groups, lam: float) -> tuple[np.ndarray, np.ndarray]:
        d, C, J, m = self.d, self.d.C, self.d.J, self.split
        if g.size.size == 0:
            return _no_groups(d)
        st = self._state(lam)
        GU, GT, Minv, rows = st["GU"], st["GT"], st["Minv"], st["rows"]
        ainv = 1.0 / st["a"]
        k = np.maximum(g.grp, 0)
        size = g.size[k]
        Et = g.E.T.tocsr()
        GbarU, GbarT = sparse.csr_matrix(Et @ GU), np.asarray(Et @ GT)  # mean g_c per group
        Hg = np.asarray(GbarU @ Minv[:m]) + GbarT @ Minv[m:]  # groups x K: (M^- gbar_g)'
        cross = (np.bincount(rows, weights=GU.data * Hg[k[rows], GU.indices], minlength=C)
                 + np.sum(GT * Hg[:, m:][k], axis=1))
        gMg = (np.asarray(GbarU.multiply(Hg[:, :m]).sum(axis=1)).ravel()
               + np.sum(GbarT * Hg[:, m:], axis=1))
        ainv_sum = np.bincount(k, weights=ainv * (g.grp >= 0), minlength=g.size.size)
        var = ainv * (1 - 2 / size) + ainv_sum[k] / size**2 + st["q"] - 2 * cross + gMg[k]

        # platform l_u = E_g (theta) + e_u + q_u (fixed, q_u the mean tau of its calendar):
        # l'H^-l = l_theta'A^-1 l_theta + d_u'M^- d_u with d_u = gbar_g - e_u - q_u
        ug = np.maximum(g.unit_grp, 0)
        Q, cal = self.graph.tau_mean, self.graph.unit_calendar
        MQ = Minv @ Q.T
        units = np.arange(J)
        pvar = (
            ainv_sum[ug] / g.size[ug] ** 2 + gMg[ug]
            - 2 * (Hg[ug, units] + (Hg @ Q.T)[ug, cal])
            + Minv[units, units] + 2 * MQ[units, cal] + (Q @ MQ)[cal, cal]
        )
        return (np.where(g.grp >= 0, var, np.nan), np.where(g.unit_grp >= 0, pvar, np.nan))

    def _mg_at(self, st: dict, c: np.ndarray, j: np.ndarray) -> np.ndarray:
        """(M^- g_c)_j where j is in the support of g_c."""
        m, K = self.split, self.d.J + self.d.P
        dense = j >= m
        out = np.empty(c.size)
        out[dense] = st["MGT"][c[dense], j[dense] - m]
        keys = st["rows"] * K + st["GU"].indices  # ascending: rows, then sorted indices
        out[~dense] = st["MGU"][np.searchsorted(keys, c[~dense] * K + j[~dense])]
        return out

    def leverage(self) -> np.ndarray:
        d, J, st = self.d, self.d.J, self._state(0.0)
        Minv = st["Minv"]
        u, t = d.unit, J + d.period
        lev = Minv[u, u] + Minv[t, t] + 2 * Minv[u, t]
        r, c, s = self.rec, self.rec_cadre, self.rec_share
        mg = self._mg_at(st, c, u[r]) + self._mg_at(st, c, t[r])
        lev[r] += s * s * (1.0 / st["a"][c] + st["q"][c]) - 2 * s * mg
        return lev


class _IterativeSolver:
    """LSMR on the column-scaled (ridge-augmented) design; SEs from perturbation draws.

    Solving [X; sqrt(lam) I_theta] b ~ e with e ~ N(0, I) (minimum norm under the column
    scaling) gives b ~ N(0, H^-) for a generalised inverse H^-, so variances of estimable
    functions (centred effects, leverages) are means of squares over ``n_probes`` draws, a
    Hutchinson-type estimator with relative error ~ sqrt(2 / n_probes) on each variance.
    """

    def __init__(self, d: _Data, tol: float, max_iter: int | None, n_probes: int,
                 random_state: int, graph: _Graph, **_):
        self.d, self.tol, self.max_iter, self.n_probes = d, tol, max_iter, n_probes
        self.graph = graph
        self.X = d.design()
        self.rng = np.random.default_rng(random_state)
        self._states: dict[float, dict] = {}

    def _state(self, lam: float) -> dict:
        if lam not in self._states:
            _evict(self._states)
            d, A = self.d, self.X
            if lam > 0:
                pen = sparse.hstack([
                    sparse.identity(d.C, format="csr") * np.sqrt(lam),
                    sparse.csr_matrix((d.C, d.J + d.P)),
                ])
                A = sparse.vstack([self.X, pen], format="csr")
            norms = np.sqrt(np.asarray(A.multiply(A).sum(axis=0)).ravel())
            scale = 1.0 / np.where(norms > 0, norms, 1.0)
            self._states[lam] = dict(A=sparse.csr_matrix(A @ sparse.diags(scale)), scale=scale)
        return self._states[lam]

    def _solve(self, lam: float, rhs: np.ndarray) -> np.ndarray:
        st = self._state(lam)
        if rhs.size < st["A"].shape[0]:
            rhs = np.concatenate([rhs, np.zeros(st["A"].shape[0] - rhs.size)])
        beta = lsmr(st["A"], rhs, atol=self.tol, btol=self.tol, maxiter=self.max_iter)[0]
        return st["scale"] * beta

    def coef(self, y: np.ndarray, lam: float) -> np.ndarray:
        return self._solve(lam, y)

    def null_basis(self, k: int = 4) -> np.ndarray | None:
        """Random null vectors z - X^+ X z: they span the null space with probability 1."""
        if self.d.single_owner:
            return None
        if "null" not in self._states.get(0.0, {}):
            cols = []
            for _ in range(k):
                z = self.rng.standard_normal(self.X.shape[1])
                cols.append(z - self._solve(0.0, self.X @ z))
            N = np.column_stack(cols)
            self._state(0.0)["null"] = N / np.abs(N).max(axis=0)
        return self._states[0.0]["null"]

    def draws(self, lam: float) -> np.ndarray:
        st = self._state(lam)
        if "draws" not in st:
            st["draws"] = np.column_stack([
                self._solve(lam, self.rng.standard_normal(st["A"].shape[0]))
                for _ in range(self.n_probes)
            ])
        return st["draws"]

    def centred_var(self, g: _Groups, lam: float) -> tuple[np.ndarray, np.ndarray]:
        d, C, J = self.d, self.d.C, self.d.J
        if g.size.size == 0:
            return _no_groups(d)
        b = self.draws(lam)
        means = np.asarray(g.E.T @ b[:C])
        cen = b[:C] - means[np.maximum(g.grp, 0)]
        tau_mean = (self.graph.tau_mean @ b[C:])[self.graph.unit_calendar]
        plat = b[C:C + J] + means[np.maximum(g.unit_grp, 0)] + tau_mean
        return (np.where(g.grp >= 0, (cen**2).mean(axis=1), np.nan),
                np.where(g.unit_grp >= 0, (plat**2).mean(axis=1), np.nan))

    def leverage(self) -> np.ndarray:
        return ((self.X @ self.draws(0.0)) ** 2).mean(axis=1)


_SOLVER_CLASSES = {"dense": _DenseSolver, "schur": _SchurSolver, "iterative": _IterativeSolver}


# --------------------------------------------------------------------------- estimator


class ContributionAttribution:
    """Shrunken cadre contributions net of platform and period effects, for one indicator.

    See the module docstring for the model, identification, estimation, bands and flags.

    Parameters
    ----------
    min_obs : cadres with fewer records are flagged ``few_obs`` (still estimated; shrinkage
        and a wide interval keep a thin record from reaching 高/低 on its own).
    ci_level : coverage of ci_low / ci_high.
    var_floor : floor of sigma2_cadre as a fraction of the residual variance sigma2 (the default
        1e-6 is no floor in practice; it only keeps the shrinkage ratio finite).
    weak_reliability : flag ``weakly_identified`` below this reliability 1 - se^2 / prior var.
    leverage_threshold : flag ``high_leverage`` when one of the cadre's records has leverage
        h_r = x_r'(X'X)^- x_r at least this high: that record's fitted value is mostly the
        record itself (h = 1 for a cadre with a single record), so one data error moves the
        estimate. The mean leverage is rank / n.
    share_tol : tolerance on share rows summing above 1.
    solver : 'auto' | 'dense' | 'schur' | 'iterative'. 'auto' takes dense (one
        eigendecomposition of the n_cadres^2 cadre block) while n_cadres <= dense_max and
        n_units + n_periods <= schur_max, then schur for single-owner data while
        n_units + n_periods <= schur_max, else iterative. SEs are exact except for iterative.
    variance_method : 'auto' | 'reml' | 'moments'. REML (dense solver only; exact, from the
        same eigendecomposition) weighs every cadre by its own precision; bias-corrected
        moments are one-shot and cheap at scale. 'auto' takes REML with the dense solver,
        else moments.
    rank_tol : relative tolerance for rank: pivots of the pivoted Cholesky (on the
        unit-diagonal scaled matrix) and eigenvalues of the cadre block (relative to the largest).
    separable_tol : tolerance on null-space rows when looking for not_separable cadres.
    tol, max_iter, n_probes, random_state : iterative solver (LSMR tolerances, iteration cap,
        perturbation draws for SEs, seed).
    blas_threads : BLAS threads during fit (None: leave as configured). The default 1 is
        deliberate: numpy and SciPy wheels each ship their own OpenBLAS, and their spinning
        thread pools fight over the cores, making small dense steps 5-10x slower.
    serial_correction : for a time series (one record per unit and period), estimate the
        lag-1 autocorrelation rho of the record noise within a unit and treat the noise of a
        cadre's run of records as inflated by the long-run factor
        f = 1 + 2 sum_k (1 - k/n) rho^k (n the median records of an identified cadre): a local
        shock that lasts is otherwise credited to whoever held the post, the cadre spread is
        overstated and intervals are too narrow. rho is read from adjacent records of a unit,
        on residuals of the unit + period model, separating the noise that lasts from the
        cadres two records share (see :func:`_serial_rho`). With fewer than 20 adjacent pairs
        no correction is made (rho = 0).

    Attributes (after fit)
    ----------------------
    cadre_effects_ : CONTRACT `contributions` columns, plus se_fe and reliability; one row
        per cadre with a share in the records (cadres whose shares were all zero or invalid
        included, 不可判定).
    platform_effects_ : CONTRACT `platform_effects` columns, plus component_id, identified.
    period_effects_ : period, indicator, effect (tau, mean zero).
    components_ : one row per component_id: graph_component, n_cadres, n_identified,
        n_movers, n_units / n_records (of the graph component), is_main.
    sigma2_, sigma2_cadre_ : effective record noise (the residual variance times
        noise_inflation_) and cadre-effect variance (sigma2_cadre_ after the floor;
        sigma2_cadre_raw_ before it, floor_active_ whether it bound).
    serial_rho_, noise_inflation_ : estimated lag-1 noise autocorrelation and the factor f.
    deviance_ : -2 restricted log-likelihood at the estimate, up to a constant that depends only
        on the records and the unit and period effects (REML only, else NaN): fits of the same
        records with different shares compare by it.
    shrinkage_ : sigma2_ / sigma2_cadre_, the ridge of the mixed-model equations.
    solver_, variance_method_, indicator_, n_records_, df_resid_ (n - rank),
    leverage_ : per record, in the order of the records kept.
    """

    def __init__(
        self,
        min_obs: int = 3,
        ci_level: float = 0.95,
        var_floor: float = 1e-6,
        weak_reliability: float = 0.2,
        leverage_threshold: float = 0.8,
        share_tol: float = 1e-6,
        solver: str = "auto",
        variance_method: str = "auto",
        dense_max: int = 2000,
        schur_max: int = 4000,
        rank_tol: float = 1e-9,
        separable_tol: float = 1e-6,
        tol: float = 1e-10,
        max_iter: int | None = None,
        n_probes: int = 200,
        random_state: int = 0,
        blas_threads: int | None = 1,
        serial_correction: bool = True,
    ):
        self.min_obs = min_obs
        self.ci_level = ci_level
        self.var_floor = var_floor
        self.weak_reliability = weak_reliability
        self.leverage_threshold = leverage_threshold
        self.share_tol = share_tol
        self.solver = solver
        self.variance_method = variance_method
        self.dense_max = dense_max
        self.schur_max = schur_max
        self.rank_tol = rank_tol
        self.separable_tol = separable_tol
        self.tol = tol
        self.max_iter = max_iter
        self.n_probes = n_probes
        self.random_state = random_state
        self.blas_threads = blas_threads
        self.serial_correction = serial_correction

    # -- public

    def fit(self, records: pd.DataFrame, shares: pd.DataFrame | None = None, *,
            indicator: str | None = None) -> "ContributionAttribution":
        """Fit on ``records`` (record_id, unit_id, period, y) and ``shares`` (record_id,
        cadre_id, share); with ``shares=None``, ``records`` is single-owner data with a
        cadre_id column. ``indicator`` labels the output (default: the records' unique
        ``indicator`` value, else 'y')."""
        return self._fit(records, shares, indicator, design_cache=None)

    def _fit(self, records, shares, indicator, design_cache: dict | None):
        """``design_cache`` lets several indicators with the same records and shares (the
        design does not depend on y) share one graph and one factorisation."""
        if self.solver not in SOLVERS:
            raise ValueError(f"solver must be one of {SOLVERS}")
        if shares is None:
            records, shares = single_owner_frames(records)
        self.indicator_ = _indicator_label(records, indicator)
        limits = (threadpool_limits(limits=self.blas_threads)
                  if self.blas_threads is not None else nullcontext())
        with limits:
            d = _prepare(records, shares, self.share_tol)
            graph, solver = self._design(d, design_cache)
            self._estimate(d, graph, solver)
        return self

    def _design(self, d: _Data, cache: dict | None):
        self.solver_ = self._choose_solver(d)
        key = None
        if cache is not None:
            key = (_design_key(d), self.solver_, self.rank_tol, self.tol, self.max_iter,
                   self.n_probes, self.random_state)
            if cache.get("key") == key:
                return cache["graph"], cache["solver"]
        params = dict(rank_tol=self.rank_tol, tol=self.tol, max_iter=self.max_iter,
                      n_probes=self.n_probes, random_state=self.random_state)
        graph = _graph(d)
        solver = _SOLVER_CLASSES[self.solver_](d, graph=graph, **params)
        if cache is not None:
            cache.clear()
            cache.update(key=key, graph=graph, solver=solver)
        return graph, solver

    def _estimate(self, d: _Data, graph: _Graph, solver) -> None:
        b_fe = solver.coef(d.y, 0.0)
        null = solver.null_basis()
        tol = self.separable_tol if self.solver_ != "iterative" else max(self.separable_tol, 1e-3)
        ident = _identify(d, graph, None if null is None else null[: d.C], tol)
        self.too_few_records_ = bool(d.n < d.C + d.J)
        if self.too_few_records_:
            # Fewer records than cadres + units: any split between person and platform would be
            # an artefact of the prior, so nothing of this indicator is identified.
            ident.identified[:] = False
        identified = ident.identified
        groups = _Groups.build(identified, ident.cadre, ident.unit)
        platform_ok = _platform_estimable(d, graph, groups, null, tol)
        if self.too_few_records_:
            platform_ok = np.zeros_like(platform_ok)

        var_fe, _ = solver.centred_var(groups, 0.0)
        leverage = solver.leverage()
        df = d.n - leverage.sum()
        if df < 0.5:
            if not self.too_few_records_:
                raise ValueError("no residual degrees of freedom: too few records for the model")
            df = np.nan  # nothing is identified anyway: every number of this indicator is NaN
        rss = float(np.sum((d.y - d.fitted(b_fe)) ** 2))
        self.df_resid_ = df
        self.serial_rho_ = _serial_rho(d) if self.serial_correction else 0.0
        n_typical = int(np.median(graph.n_obs[identified])) if identified.any() else 1
        self.noise_inflation_ = _long_run_factor(self.serial_rho_, n_typical)
        theta_fe = groups.centre(b_fe[: d.C])
        self.variance_method_ = self._variance_method()
        self.sigma2_, self.sigma2_cadre_ = self._variance_components(
            solver, d.y, rss / df, theta_fe, var_fe, groups, identified
        )

        if identified.any():
            self.shrinkage_ = self.sigma2_ / self.sigma2_cadre_
            b = solver.coef(d.y, self.shrinkage_)
            pev, pvar = solver.centred_var(groups, self.shrinkage_)
        else:
            self.shrinkage_ = np.nan
            b, pev, pvar = b_fe, np.full(d.C, np.nan), np.full(d.J, np.nan)

        self._store(d, graph, ident, groups, platform_ok, b, theta_fe, var_fe, pev, pvar,
                    leverage)

    # -- steps

    def _choose_solver(self, d: _Data) -> str:
        if self.solver != "auto":
            return self.solver
        if d.C <= self.dense_max and d.J + d.P <= self.schur_max:
            return "dense"
        if d.single_owner and d.J + d.P <= self.schur_max:
            return "schur"
        return "iterative"

    def _variance_method(self) -> str:
        method = self.variance_method
        if method == "auto":
            return "reml" if self.solver_ == "dense" else "moments"
        if method == "reml" and self.solver_ != "dense":
            raise ValueError("variance_method='reml' needs the dense solver")
        if method not in ("reml", "moments"):
            raise ValueError("variance_method must be 'auto', 'reml' or 'moments'")
        return method

    def _variance_components(self, solver, y, sigma2_fe, theta_fe, var_fe, groups: _Groups,
                             identified) -> tuple[float, float]:
        """(sigma2, sigma2_cadre); var_fe is in units of sigma2.

        The floor sigma2_cadre >= var_floor * sigma2 is the cap sigma2 / sigma2_cadre <=
        1 / var_floor on the shrinkage ratio.
        """
        self.deviance_ = np.nan
        if not identified.any():
            self.sigma2_cadre_raw_, self.floor_active_ = np.nan, False
            return sigma2_fe, np.nan
        lam_max = 1.0 / max(self.var_floor, 1e-12)
        f = self.noise_inflation_
        if self.variance_method_ == "reml":
            sigma2, lam = solver.reml(y, lam_max, f)
            self.deviance_ = solver.deviance
            raw = sigma2 / lam
        else:
            sigma2 = sigma2_fe
            n_g = groups.size[groups.grp[identified]]
            # bias-corrected moments: E[effect_fe^2] = sigma2_cadre (1 - 1/n_g) + f se_fe^2
            excess = np.sum(theta_fe[identified] ** 2) - f * sigma2 * np.sum(var_fe[identified])
            raw = excess / np.sum(1 - 1 / n_g)
        sigma2 = f * sigma2
        lam = sigma2 / raw if raw > 0 else np.inf
        self.sigma2_cadre_raw_ = raw
        self.floor_active_ = lam >= lam_max * (1 - 1e-6)
        if self.floor_active_:
            warnings.warn(
                "cadre effect variance estimated at zero: no differences between cadres beyond "
                "noise, so every effect is shrunk to zero",
                stacklevel=3,
            )
        return sigma2, sigma2 / min(lam, lam_max)

    def _store(self, d, graph, ident, groups, platform_ok, b, theta_fe, var_fe, pev, pvar,
               leverage):
        C, J = d.C, d.J
        identified = ident.identified
        q = student.ppf(0.5 + self.ci_level / 2, self.df_resid_)
        effect = groups.centre(b[:C])
        se = np.sqrt(self.sigma2_ * pev)
        se_fe = np.sqrt(self.sigma2_ * var_fe)
        n_g = groups.size[np.maximum(groups.grp, 0)] if groups.size.size else np.full(C, 2)
        reliability = 1 - se**2 / (self.sigma2_cadre_ * (1 - 1 / n_g))
        lo, hi = effect - q * se, effect + q * se
        band = np.where(lo > 0, BAND_HIGH, np.where(hi < 0, BAND_LOW, BAND_MID))
        max_lev = _max_per_cadre(d.S, leverage)

        flags = {
            "not_in_main_component": ident.cadre != 0,
            "no_mobility": graph.no_mobility,
            "not_separable": ident.not_separable,
            "no_peers": ident.no_peers,
            "few_obs": graph.n_obs < self.min_obs,
            "too_few_records": np.full(C, self.too_few_records_),
            "weakly_identified": identified & (reliability < self.weak_reliability),
            "shares_invalid": d.invalid,
            "high_leverage": identified & (max_lev >= self.leverage_threshold - 1e-9),
        }
        joined = _join_flags(flags, C)
        nan_if = lambda v: np.where(identified, v, np.nan)  # noqa: E731
        frame = pd.DataFrame({
            "cadre_id": d.cadre_ids,
            "indicator": self.indicator_,
            "effect": nan_if(effect),
            "effect_fe": nan_if(theta_fe),
            "se": nan_if(se),
            "ci_low": nan_if(lo),
            "ci_high": nan_if(hi),
            "n_obs": graph.n_obs.astype(np.int64),
            "n_units": graph.n_units.astype(np.int64),
            "component_id": ident.cadre.astype(np.int64),
            "identified": identified,
            "band": np.where(identified, band, BAND_NONE),
            "flags": joined,
            "se_fe": nan_if(se_fe),
            "reliability": nan_if(reliability),
            "df_resid": np.full(C, float(self.df_resid_)),
            "weight_identified": np.nan,
            "cause": [("" if ok else _first_cause(f)) for ok, f in zip(identified, joined)],
            "cause_indicator": np.where(identified, "", self.indicator_),
        })
        self.cadre_effects_ = pd.concat([frame, self._idle_rows(d)], ignore_index=True)

        tau_mean = (graph.tau_mean @ b[C:])[graph.unit_calendar]
        platform = b[C:C + J] + groups.theta_mean_of_unit(b[:C]) + tau_mean
        self.platform_effects_ = pd.DataFrame({
            "unit_id": d.unit_ids,
            "indicator": self.indicator_,
            "effect": np.where(platform_ok, platform, np.nan),
            "se": np.where(platform_ok, np.sqrt(self.sigma2_ * pvar), np.nan),
            "n_movers": graph.n_movers_unit,
            "component_id": ident.unit.astype(np.int64),
            "identified": platform_ok,
        })
        tau = b[C + J:] - (graph.tau_mean @ b[C:])[graph.period_calendar]
        self.period_effects_ = pd.DataFrame(
            {"period": d.periods, "indicator": self.indicator_, "effect": tau}
        )
        self.components_ = ident.table
        self.n_records_ = d.n
        self.n_cadres_, self.n_units_ = C, J
        self.leverage_ = leverage

    def _idle_rows(self, d: _Data) -> pd.DataFrame:
        """Cadres listed in shares whose every share was zero or invalid."""
        k = len(d.idle)
        flags = {"not_in_main_component": np.ones(k, bool), "few_obs": np.ones(k, bool),
                 "shares_invalid": d.idle["invalid"].to_numpy(bool)}
        return pd.DataFrame({
            "cadre_id": d.idle["cadre_id"].to_numpy(), "indicator": self.indicator_,
            **{c: np.full(k, np.nan) for c in ("effect", "effect_fe", "se", "ci_low", "ci_high")},
            "n_obs": np.zeros(k, np.int64), "n_units": np.zeros(k, np.int64),
            "component_id": np.full(k, -1, np.int64), "identified": np.zeros(k, bool),
            "band": BAND_NONE, "flags": _join_flags(flags, k),
            "se_fe": np.full(k, np.nan), "reliability": np.full(k, np.nan), "df_resid": np.full(k, np.nan),
            "weight_identified": np.full(k, np.nan), "cause": NO_RECORDS, "cause_indicator": self.indicator_,
        })


def _indicator_label(records: pd.DataFrame, indicator: str | None) -> str:
    if indicator is not None:
        return str(indicator)
    if "indicator" in records.columns:
        values = records["indicator"].unique()
        if len(values) == 1:
            return str(values[0])
        raise ValueError("records hold several indicators: use fit_contributions")
    return "y"


def _serial_rho(d: _Data, min_pairs: int = 20) -> float:
    """Lag-1 autocorrelation of the record noise within a unit (see ``serial_correction``)."""
    if d.n < 3 or pd.Series(d.unit * d.P + d.period).duplicated().any():
        return 0.0  # not a time series: several records of one unit share a period (tasks)
    e = d.y.copy()
    for _ in range(20):  # unit + period effects by alternating projections (unbalanced panels)
        e -= (np.bincount(d.unit, e, d.J) / np.bincount(d.unit, minlength=d.J))[d.unit]
        e -= (np.bincount(d.period, e, d.P) / np.bincount(d.period, minlength=d.P))[d.period]
    # Without cadre effects in the model, cov(e_t, e_t+k) = rho^k sigma2 + (s_t . s_t+k) sigma2_cadre
    # and var(e_t) = sigma2 + (s_t . s_t) sigma2_cadre: regressions on the share overlap at lags
    # 1..3 separate the noise that lasts from the cadres two records have in common (lags 2-3
    # reach across more handovers, where the overlap varies).
    def intercept(product, overlap):
        X = np.column_stack([np.ones_like(overlap), overlap])
        return float(np.linalg.lstsq(X, product, rcond=None)[0][0])

    noise = intercept(e * e, np.asarray(d.S.multiply(d.S).sum(axis=1)).ravel())
    if not noise > 0:
        return 0.0
    order = np.lexsort((d.period, d.unit))
    lags, covs = [], []
    for k in (1, 2, 3):
        a, b = order[:-k], order[k:]
        same = (d.unit[a] == d.unit[b]) & (d.period[b] == d.period[a] + k)
        a, b = a[same], b[same]
        if a.size < min_pairs:
            break
        overlap = np.asarray(d.S[a].multiply(d.S[b]).sum(axis=1)).ravel()
        lags.append(k)
        covs.append(intercept(e[a] * e[b], overlap) / noise)
    if not lags:
        return 0.0
    # Taking out each unit's mean (over its T records) lowers every autocovariance by about
    # sigma2 (1 + rho) / ((1 - rho) T): fitted along with rho rather than ignored.
    per_unit = 1.0 / np.mean(np.bincount(d.unit, minlength=d.J)[d.unit])
    grid = np.linspace(0.0, 0.9, 91)
    # where that drop would pass a quarter of sigma2, units are too short to tell rho from it
    grid = grid[(1 + grid) / (1 - grid) * per_unit <= 0.25]
    loss = [np.sum((np.asarray(covs) - r ** np.asarray(lags) + (1 + r) / (1 - r) * per_unit) ** 2) for r in grid]
    return float(grid[int(np.argmin(loss))])


def _long_run_factor(rho: float, n: int) -> float:
    """Variance of the mean of n AR(1) errors relative to independent ones."""
    if rho <= 0 or n <= 1:
        return 1.0
    k = np.arange(1, n)
    return float(1 + 2 * np.sum((1 - k / n) * rho ** k))


def _platform_estimable(d: _Data, graph: _Graph, groups: _Groups, null: np.ndarray | None,
                        tol: float) -> np.ndarray:
    """Units whose psi + mean theta of their group + mean tau of their calendar is estimable
    (l'N = 0). Null directions inside the fixed effects alone are orthogonal by construction."""
    ok = groups.unit_grp >= 0
    if null is None or null.shape[1] == 0 or not ok.any():
        return ok
    C, J = d.C, d.J
    lN = (np.asarray(groups.E.T @ null[:C])[np.maximum(groups.unit_grp, 0)]
          + null[C:C + J] + (graph.tau_mean @ null[C:])[graph.unit_calendar])
    return ok & (np.abs(lN).max(axis=1) <= tol)


def _max_per_cadre(S: sparse.csr_matrix, per_record: np.ndarray) -> np.ndarray:
    coo = S.tocoo()
    out = np.zeros(S.shape[1])
    np.maximum.at(out, coo.col, per_record[coo.row])
    return out


def _first_cause(flags: str) -> str:
    """The first of :data:`CAUSES` in a ';'-joined flag string ("" when none)."""
    have = str(flags).split(";")
    return next((c for c in CAUSES if c in have), "")


def _join_flags(flags: Mapping[str, np.ndarray], n: int) -> np.ndarray:
    out = np.full(n, "", dtype=object)
    for name in FLAGS:
        if name in flags:
            hit = np.asarray(flags[name], bool)
            out[hit] = np.where(out[hit] == "", name, out[hit] + ";" + name)
    return out


# --------------------------------------------------------------------------- several indicators


@dataclass
class AttributionResult:
    contributions: pd.DataFrame  # CONTRACT §3 `contributions`, composite rows indicator '*'
    platform_effects: pd.DataFrame  # CONTRACT §3 `platform_effects`
    period_effects: pd.DataFrame
    models: dict = field(default_factory=dict)  # indicator -> fitted ContributionAttribution
    sd_cadre: dict = field(default_factory=dict)  # indicator -> sqrt(sigma2_cadre_)

    def indicator_summary(self) -> pd.DataFrame:
        """One row per fitted indicator: records, what identification needs (cadres + units),
        cadres identified, the estimated cadre spread and the residual degrees of freedom."""
        rows = [{
            "indicator": ind, "n_records": int(m.n_records_), "n_needed": int(m.n_cadres_ + m.n_units_),
            "n_cadres": int(m.n_cadres_), "n_units": int(m.n_units_),
            "n_identified": int(m.cadre_effects_["identified"].sum()),
            "sd_cadre": self.sd_cadre[ind], "df_resid": float(m.df_resid_),
            "serial_rho": m.serial_rho_, "noise_inflation": m.noise_inflation_,
        } for ind, m in self.models.items()]
        return pd.DataFrame(rows, columns=INDICATOR_SUMMARY_COLUMNS)


def fit_contributions(
    records: pd.DataFrame,
    shares: pd.DataFrame,
    weights: Mapping[str, Mapping[str, float]] | None = None,
    roles: Mapping[str, str] | pd.Series | pd.DataFrame | None = None,
    **params,
) -> AttributionResult:
    """Fit every indicator of ``records`` and add the composite indicator '*'.

    ``records``: indicator, record_id, unit_id, period, y. ``shares``: record_id, cadre_id,
    share, optionally indicator (then shares are matched per indicator; without it the same
    shares apply to every indicator's records with that record_id). ``params`` go to
    :class:`ContributionAttribution`. See :func:`composite_contributions` for ``weights`` and
    ``roles``. An indicator whose fit fails (e.g. too few records) is skipped with a warning.
    """
    _require(records, ("indicator",) + RECORD_COLUMNS, "records")
    per_indicator_shares = "indicator" in shares.columns
    models, frames, platforms, periods = {}, [], [], []
    design_cache: dict = {}
    for ind, rec in records.groupby("indicator", sort=True):
        sh = shares[shares["indicator"] == ind] if per_indicator_shares else shares
        try:
            model = ContributionAttribution(**params)._fit(rec, sh, str(ind), design_cache)
        except ValueError as exc:
            warnings.warn(f"indicator {ind}: {exc}", stacklevel=2)
            continue
        models[str(ind)] = model
        frames.append(model.cadre_effects_)
        platforms.append(model.platform_effects_)
        periods.append(model.period_effects_)
    if not models:
        raise ValueError("no indicator could be fitted")
    sd = {k: float(np.sqrt(m.sigma2_cadre_)) for k, m in models.items()}
    contributions = pd.concat(frames, ignore_index=True)
    ci_level = params.get("ci_level", 0.95)
    composite = composite_contributions(contributions, sd, weights, roles, ci_level)
    return AttributionResult(
        contributions=pd.concat([contributions, composite], ignore_index=True),
        platform_effects=pd.concat(platforms, ignore_index=True),
        period_effects=pd.concat(periods, ignore_index=True),
        models=models,
        sd_cadre=sd,
    )


def composite_contributions(
    contributions: pd.DataFrame,
    sd_cadre: Mapping[str, float],
    weights: Mapping[str, Mapping[str, float]] | None = None,
    roles: Mapping[str, str] | pd.Series | pd.DataFrame | None = None,
    ci_level: float = 0.95,
) -> pd.DataFrame:
    """Composite indicator '*' per cadre: a role-weighted mean of standardised effects.

    Each indicator's effect (and effect_fe, se) is divided by ``sd_cadre[indicator]``, the
    estimated SD of cadre effects for that indicator, so the composite is in SD units. The
    weights of a cadre come from ``weights[roles[cadre]]`` (role_type -> {indicator: weight};
    ``roles`` maps cadre_id -> role_type: a mapping, a Series, or the cadres table);
    a cadre whose role is unknown or missing from ``weights`` uses ``weights['*']`` if given,
    else equal weights. Only identified indicators with positive weight enter, and weights are
    renormalised over them; with none, the composite is 不可判定.

    ``weight_identified`` is the share of the cadre's intended weight that entered: the
    positive weights of its role over the indicators delivered for its posts (it has a row),
    identified or not. An indicator the county does not report for the cadre's units is a
    different job, not a gap in the evidence; one reported but not separable from the
    platform is a gap. A composite resting on a small share stands for little of what the
    cadre is judged on, and the quadrant treats it as uncertain below a configured share. Flags are those of the
    indicators used (of every indicator when none was). ``cause`` says why a composite is
    不可判定: the identification flag of :data:`CAUSES` that holds the most weight among the
    cadre's weighted indicators (``cause_indicator`` the heaviest of them); ``no_records`` when
    no weighted indicator has a record of the cadre, ``no_spread`` when the only identified ones
    have an estimated cadre spread of zero (no standardised effect exists).

    SE: sqrt(sum w_k^2 se_k^2) / sum w_k, i.e. the per-indicator errors are ASSUMED
    INDEPENDENT. They are not exactly (the same assignments drive every indicator, and outcome
    noise may correlate across indicators), so the composite interval can be too narrow when
    the indicators' errors are positively correlated. component_id is the cadre's component
    if it is the same in every entering indicator, else -1 (flag ``mixed_components``); as
    every standardised effect is centred within its own component, the composite is still a
    within-component comparison.
    """
    rows = contributions[contributions["indicator"] != COMPOSITE].copy()
    rows["sd"] = rows["indicator"].map(sd_cadre).astype(float)
    if isinstance(roles, pd.DataFrame):  # the cadres table: cadre_id, role_type
        roles = roles.set_index("cadre_id")["role_type"]
    role_of = pd.Series(roles, dtype=object) if roles is not None else pd.Series(dtype=object)
    role = rows["cadre_id"].map(role_of)
    rows["w"] = [_weight(weights, r, ind) for r, ind in zip(role, rows["indicator"])]
    use = rows["identified"].astype(bool) & (rows["w"] > 0) & (rows["sd"] > 0)
    rows["use"] = use
    w = np.where(use, rows["w"], 0.0)
    sd = np.where(use, rows["sd"], 1.0)
    terms = pd.DataFrame({
        "cadre_id": rows["cadre_id"].to_numpy(),
        "w": w,
        "n_used": use.to_numpy(int),
        "eff": w * np.nan_to_num(rows["effect"].to_numpy(float)) / sd,
        "eff_fe": w * np.nan_to_num(rows["effect_fe"].to_numpy(float)) / sd,
        "var": (w * np.nan_to_num(rows["se"].to_numpy(float)) / sd) ** 2,
        "var_fe": (w * np.nan_to_num(rows["se_fe"].to_numpy(float)) / sd) ** 2,
        "rel": w * np.nan_to_num(rows["reliability"].to_numpy(float)),
        "n_obs": np.where(use, rows["n_obs"], 0),
        "n_units": rows["n_units"].to_numpy(),
        "comp_lo": np.where(use, rows["component_id"], np.iinfo(np.int64).max),
        "comp_hi": np.where(use, rows["component_id"], -1),
        # without residual degrees of freedom (rows made elsewhere) the interval is normal
        "df": np.where(use, rows.get("df_resid", pd.Series(np.inf, index=rows.index)).to_numpy(float), np.inf),
    })
    agg = terms.groupby("cadre_id", sort=True).agg(
        w=("w", "sum"), n_used=("n_used", "sum"), eff=("eff", "sum"), eff_fe=("eff_fe", "sum"),
        var=("var", "sum"), var_fe=("var_fe", "sum"), rel=("rel", "sum"), n_obs=("n_obs", "sum"),
        n_units=("n_units", "max"), comp_lo=("comp_lo", "min"), comp_hi=("comp_hi", "max"),
        df=("df", "min"),
    )
    ok = agg["n_used"].to_numpy() > 0
    wsum = np.where(ok, agg["w"], 1.0)
    nan_if = lambda v: np.where(ok, v, np.nan)  # noqa: E731
    effect = nan_if(agg["eff"] / wsum)
    se = nan_if(np.sqrt(agg["var"]) / wsum)
    # t with the fewest residual degrees of freedom among the indicators used: conservative.
    df = nan_if(agg["df"].to_numpy(float))
    q = student.ppf(0.5 + ci_level / 2, np.where(ok, df, 1.0))
    lo, hi = effect - q * se, effect + q * se
    same = agg["comp_lo"].to_numpy() == agg["comp_hi"].to_numpy()
    component = np.where(ok & same, agg["comp_hi"], -1)

    indicators = sorted(rows["indicator"].unique())
    expected = np.array([
        sum(_weight(weights, role_of.get(c), ind) > 0 for ind in indicators) for c in agg.index
    ])
    intended = rows.assign(w=rows["w"].clip(lower=0)).groupby("cadre_id", sort=True)["w"].sum().reindex(agg.index).to_numpy()
    extra = {
        "partial_composite": agg["n_used"].to_numpy() < np.maximum(expected, 1),
        "mixed_components": ok & ~same,
    }
    # The flags of the indicators the composite stands on; a cadre with none shows them all.
    shown = rows[rows["use"] | ~rows["cadre_id"].map(pd.Series(ok, index=agg.index)).astype(bool)]
    inherited = shown.groupby("cadre_id", sort=True)["flags"].agg(
        lambda f: set(";".join(f).split(";")) - {""}
    ).reindex(agg.index, fill_value=set())
    order = FLAGS + tuple(extra)
    flags = [
        ";".join(
            name for name in order
            if name in have or (name in extra and extra[name][i])
        )
        for i, have in enumerate(inherited)
    ]
    cause, cause_indicator = _composite_cause(rows, agg.index, ok)
    frame = pd.DataFrame({
        "cadre_id": agg.index.to_numpy(),
        "indicator": COMPOSITE,
        "effect": effect,
        "effect_fe": nan_if(agg["eff_fe"] / wsum),
        "se": se,
        "ci_low": lo,
        "ci_high": hi,
        "n_obs": np.where(ok, agg["n_obs"], rows.groupby("cadre_id", sort=True)["n_obs"].sum()),
        "n_units": agg["n_units"].to_numpy(np.int64),
        "component_id": component.astype(np.int64),
        "identified": ok,
        "band": np.where(~ok, BAND_NONE, np.where(lo > 0, BAND_HIGH,
                                                  np.where(hi < 0, BAND_LOW, BAND_MID))),
        "flags": flags,
        "se_fe": nan_if(np.sqrt(agg["var_fe"]) / wsum),
        "reliability": nan_if(agg["rel"] / wsum),
        "df_resid": df,
        "weight_identified": np.minimum(agg["w"].to_numpy() / np.where(intended > 0, intended, np.nan), 1.0),
        "cause": cause,
        "cause_indicator": cause_indicator,
    })
    return frame[list(CONTRIBUTION_COLUMNS + CONTRIBUTION_EXTRA)]


def _composite_cause(rows: pd.DataFrame, cadres: pd.Index, ok: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(cause, cause_indicator) per cadre of ``cadres``: see :func:`composite_contributions`."""
    cause = pd.Series("", index=cadres, dtype=object)
    where = pd.Series("", index=cadres, dtype=object)
    weighted = rows[(rows["w"] > 0) & rows["cadre_id"].isin(cadres[~ok])]
    cause[~ok] = NO_RECORDS
    spread_zero = weighted[weighted["identified"].astype(bool)]
    cause[spread_zero["cadre_id"].unique()] = "no_spread"
    # from the flags of the rows not identified, as each indicator row's own cause (rows made
    # elsewhere, without a cause column, explain themselves too)
    first = ["" if ok else _first_cause(f) for ok, f in zip(weighted["identified"].astype(bool), weighted["flags"])]
    known = weighted.assign(cause=first)[[bool(c) for c in first]]
    if len(known):
        rank = {c: i for i, c in enumerate(CAUSES)}
        by = (known.groupby(["cadre_id", "cause"], sort=False)["w"].sum().rename("total").reset_index()
              .assign(rank=lambda f: f["cause"].map(rank))
              .sort_values(["cadre_id", "total", "rank"], ascending=[True, False, True])
              .drop_duplicates("cadre_id").set_index("cadre_id")["cause"])
        cause[by.index] = by
        heaviest = (known.merge(by.rename("top"), left_on="cadre_id", right_index=True)
                    .query("cause == top").sort_values(["cadre_id", "w", "indicator"], ascending=[True, False, True])
                    .drop_duplicates("cadre_id").set_index("cadre_id")["indicator"])
        where[heaviest.index] = heaviest
    return cause.to_numpy(), where.to_numpy()


def _weight(weights, role, indicator) -> float:
    if weights is None:
        return 1.0
    table = weights.get(role) if isinstance(role, str) else None
    if table is None:
        table = weights.get(COMPOSITE)
    if table is None:
        return 1.0
    return float(table.get(indicator, 0.0))


