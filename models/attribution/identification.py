"""Identification: what the data can separate (step 1 of the model in the package docstring).

The cadre-unit graph and its connected components, movers, calendars of periods, comparison
groups read off the null space of the design, the component table, the centring groups and
which platform effects are estimable."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from models.attribution.data import _Data


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
