"""The three solvers of the mixed-model equations (step 2 of the model in the package
docstring): dense (eigendecomposition of the cadre block), Schur (single-owner data at scale)
and iterative (LSMR with perturbation draws for the SEs). They share one interface, below."""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.linalg import eigh
from scipy.optimize import minimize_scalar
from scipy.sparse.linalg import lsmr

from models.attribution.data import _Data
from models.attribution.identification import _Graph, _Groups
from models.attribution.linalg import _ginv_anchored, _psd_ginv, _row_quadratic, _sparse_rows_times


def _evict(per_ridge: dict) -> None:
    """Keep the fixed-effects entry (lam = 0, shared by indicators) and nothing else."""
    for lam in [k for k in per_ridge if k != 0.0]:
        del per_ridge[lam]


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
