"""Dense and sparse linear-algebra helpers of the solvers: generalised inverses of PSD
matrices by (pivoted or anchored) Cholesky, and quadratic forms over the rows of a sparse
matrix without forming dense products."""
from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.linalg import lapack


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
