"""The estimator: :class:`ContributionAttribution` fits one indicator (the model, bands and
flags are in the package docstring)."""
from __future__ import annotations

import hashlib
import warnings
from contextlib import nullcontext

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.stats import t as student
from threadpoolctl import threadpool_limits

from models.attribution.data import _Data, _prepare, single_owner_frames
from models.attribution.identification import _graph, _Graph, _Groups, _identify, _platform_estimable
from models.attribution.schema import (
    BAND_NONE, NO_RECORDS, SOLVERS, _first_cause, _join_flags, bands,
)
from models.attribution.serial import _long_run_factor, _serial_rho
from models.attribution.solvers import _SOLVER_CLASSES


def _design_key(d: _Data) -> str:
    """Fingerprint of everything the design depends on (not y)."""
    h = hashlib.sha1()
    for a in (d.unit, d.period, d.S.indptr, d.S.indices, d.S.data):
        h.update(np.ascontiguousarray(a).tobytes())
    for idx in (d.unit_ids, d.periods, d.cadre_ids):
        h.update(pd.util.hash_pandas_object(pd.Series(idx), index=False).to_numpy().tobytes())
    return h.hexdigest()


class ContributionAttribution:
    """Shrunken cadre contributions net of platform and period effects, for one indicator.

    See the package docstring (models.attribution) for the model, identification, estimation,
    bands and flags.

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
    cadre_effects_ : the `contributions` result columns, plus se_fe and reliability; one row
        per cadre with a share in the records (cadres whose shares were all zero or invalid
        included, 不可判定).
    platform_effects_ : the `platform_effects` result columns, plus component_id, identified.
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
            "band": bands(lo, hi, identified),
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


def _max_per_cadre(S: sparse.csr_matrix, per_record: np.ndarray) -> np.ndarray:
    coo = S.tocoo()
    out = np.zeros(S.shape[1])
    np.maximum.at(out, coo.col, per_record[coo.row])
    return out
