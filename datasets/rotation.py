"""The one rotation simulator of the synthetic worlds: who holds which post when.

Every world that needs people in posts (the demo county, the attribution panels, the anomaly
benchmark's task leads) runs :class:`Rotation`, month by month on a month index
(``12·year + month − 1``, the index of :class:`models.period.Period`):

* Each post has a tenure range; an appointment draws a term of U(lo, hi) months (integers),
  cut at the cadre's retirement when the world has ages. The first holders are already in post
  when the simulation starts: their term is left-censored (``first_terms``: "elapsed", U(0, hi)
  months of the term already served; "remaining", U(1, hi) months left).
* When a term ends the holder leaves (retires or leaves the world: ``p_leave``; from ``old_age``
  on ``p_leave_old``; at ``retire_age`` always), is re-appointed to the same post
  (``p_reappoint``, ``p_reappoint_closed`` in closed units) or joins a pool of movers.
* Successors, ``successor="monthly"`` (the county): each month a vacant post is filled with
  probability ``p_fill_month`` (always once it has been vacant ``max_vacant_months``), so
  vacancies last 0, 1, 2 … months; from the pool with probability ``p_from_pool`` (交流轮岗: a
  mover drawn with weights from ``affinity``), else by a new entrant with probability
  ``p_new_entrant`` (always when overdue). ``successor="at_end"`` (the panels): the successor is
  chosen when the term ends: the post stays vacant U(1, ``max_vacant_months``) months with
  probability 1 − ``p_fill_month``, then goes to a mover (uniformly drawn, not the holder who
  just left) with probability ``p_from_pool``, else to a newcomer; every holder whose term ends
  joins the pool (no leaving, re-appointment, ages or reshuffles).
* Movers nobody took within ``max_pool_wait`` months leave (调出).
* Closed units: nobody moves in or out (their cadres cannot be told apart from the unit).
* Reshuffles (集中交流轮岗, optional): in the given months, holders of the same kind of post
  (``reshuffle_key``) in two units of one group who served ``reshuffle_min_served`` months swap.

Every change of holder happens at a month boundary: terms start on a month's first day and end
on a month's last day. All randomness comes from the generator passed in, in a fixed order, so
a world is reproducible from its seed.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Callable, Hashable, Sequence

import numpy as np

from models.period import Period


def month_index(year: int, month: int) -> int:
    """Months since January of year 0, so that consecutive months differ by one."""
    return year * 12 + month - 1


def month_start(mi: int) -> date:
    return Period.from_month_index(mi).start


def month_end(mi: int) -> date:
    return Period.from_month_index(mi).end


@dataclass(frozen=True)
class Post:
    """A post of a unit: its holder is responsible for ``share`` of the unit's outcomes
    (``indicators``: only those; empty: all)."""
    unit: int
    title: str = ""
    slot: str = ""             # the kind of post (secretary, dep_ind, lead, …)
    role: str = ""             # 条线 of the post
    senior: bool = False       # 正职 (head) post
    share: float = 1.0
    indicators: tuple[str, ...] = ()
    tenure: tuple[int, int] = (24, 60)  # months, inclusive


@dataclass(frozen=True)
class Term:
    """One holder of one post: months ``start_mi`` … ``end_mi`` inclusive; ``end_mi`` past
    ``horizon_mi`` (the simulation's last month) means still in post."""
    cadre: int
    post: int
    start_mi: int
    end_mi: int
    horizon_mi: int

    @property
    def ongoing(self) -> bool:
        return self.end_mi > self.horizon_mi

    @property
    def start(self) -> date:
        return month_start(self.start_mi)

    @property
    def end(self) -> date | None:
        return None if self.ongoing else month_end(self.end_mi)

    def span(self) -> tuple[int, int]:
        """Covered days as ordinals (ongoing terms run to the horizon's last day)."""
        end = self.end or month_end(self.horizon_mi)
        return self.start.toordinal(), end.toordinal()


@dataclass(frozen=True)
class Rules:
    """Rotation rates (see the module docstring). ``birth_years`` maps (senior post, first
    holder) to the range of birth years drawn for a new cadre; None: a world without ages."""
    p_leave: float = 0.0
    p_reappoint: float = 0.0
    p_reappoint_closed: float = 0.0
    p_fill_month: float = 1.0
    max_vacant_months: int = 1
    p_from_pool: float = 1.0
    p_new_entrant: float = 1.0
    max_pool_wait: int = 6
    birth_years: dict | None = None
    p_leave_old: float = 0.0
    old_age: int = 200
    retire_age: int = 200
    reshuffle_months: tuple[int, ...] = ()
    reshuffle_pairs: int = 0
    reshuffle_min_served: int = 0
    first_terms: str = "elapsed"  # "elapsed" or "remaining", see Rotation.run
    successor: str = "monthly"    # "monthly" or "at_end", see the module docstring


def other_post(post: Post, last: Post, p: int, last_p: int, age: int | None) -> float:
    """Default affinity: any mover, except back into the post just left."""
    return 0.0 if p == last_p else 1.0


class Rotation:
    """Month-by-month appointment simulation over ``posts`` (see the module docstring).

    ``affinity(post, last_post, post_index, last_post_index, age)`` weighs a pooled mover for a
    vacancy (0 = not eligible); ``reshuffle_key(post_index)`` returns (group, kind) for posts
    that take part in reshuffles, else None. ``run(first_mi, last_mi)`` returns the terms
    (sorted by cadre, start) and the birth years (empty without ages)."""

    def __init__(self, rng: np.random.Generator, posts: Sequence[Post], rules: Rules,
                 closed_units: frozenset[int] = frozenset(),
                 affinity: Callable[..., float] = other_post,
                 reshuffle_key: Callable[[int], tuple[Hashable, Hashable] | None] | None = None):
        self.rng, self.posts, self.rules = rng, list(posts), rules
        self.closed = frozenset(closed_units)
        self.affinity, self.reshuffle_key = affinity, reshuffle_key
        self.births: list[int] = []
        self.n_cadres = 0
        self.terms: list[Term] = []
        n = len(self.posts)
        self.holder = np.full(n, -1)
        self.term_start = np.zeros(n, dtype=int)
        self.term_end = np.zeros(n, dtype=int)
        self.vacant_from = np.zeros(n, dtype=int)
        self.pool: list[list[int]] = []   # [cadre, last post, months waited]
        self.last_mi = 0

    # -- people -------------------------------------------------------------------------------
    def new_cadre(self, senior: bool, initial: bool) -> int:
        if self.rules.birth_years is not None:
            lo, hi = self.rules.birth_years[(senior, initial)]
            self.births.append(int(self.rng.integers(lo, hi)))
        self.n_cadres += 1
        return self.n_cadres - 1

    def age(self, cadre: int, mi: int) -> int | None:
        return None if self.rules.birth_years is None else mi // 12 - self.births[cadre]

    def appoint(self, cadre: int, post: int, start_mi: int, elapsed: int = 0) -> None:
        lo, hi = self.posts[post].tenure
        term = int(self.rng.integers(lo, hi + 1))
        start = start_mi - min(elapsed, term - 1)
        end = start + term - 1
        if self.rules.birth_years is not None:
            end = min(end, month_index(self.births[cadre] + self.rules.retire_age, 12))
        self.holder[post] = cadre
        self.term_start[post] = start
        self.term_end[post] = max(start_mi, end)

    # -- the simulation -----------------------------------------------------------------------
    def run(self, first_mi: int, last_mi: int) -> tuple[list[Term], list[int]]:
        self.last_mi = last_mi
        for p, post in enumerate(self.posts):
            c = self.new_cadre(post.senior, initial=True)
            if self.rules.first_terms == "remaining":  # U(1, hi) months left, the start unknown
                self.holder[p], self.term_start[p] = c, first_mi
                self.term_end[p] = first_mi + int(self.rng.integers(1, post.tenure[1] + 1)) - 1
            else:  # U(0, hi) months of a U(lo, hi) term already served
                self.appoint(c, p, first_mi, elapsed=int(self.rng.integers(0, post.tenure[1])))
        for mi in range(first_mi, last_mi + 1):
            self._end_terms(mi)
            if mi == last_mi:
                break
            if self.rules.successor == "at_end":  # successors were chosen when terms ended
                continue
            if mi in self.rules.reshuffle_months:
                self._reshuffle(mi)
            self._fill_vacancies(mi + 1)
            self._age_pool()
        for p in np.nonzero(self.holder >= 0)[0]:
            self._record(int(self.holder[p]), int(p), int(self.term_start[p]), int(self.term_end[p]))
        self.terms.sort(key=lambda t: (t.cadre, t.start_mi))
        return self.terms, self.births

    def _record(self, cadre: int, post: int, start: int, end: int) -> None:
        self.terms.append(Term(cadre, post, start, end, self.last_mi))

    def _end_terms(self, mi: int) -> None:
        r = self.rules
        for p in np.nonzero((self.holder >= 0) & (self.term_end == mi))[0]:
            p = int(p)
            c = int(self.holder[p])
            self._record(c, p, int(self.term_start[p]), mi)
            self.holder[p] = -1
            self.vacant_from[p] = mi + 1
            if self.rules.successor == "at_end":
                if mi < self.last_mi:
                    self._succeed(p, c, mi + 1)
                continue
            age = self.age(c, mi)
            u = self.rng.random()
            p_reappoint = r.p_reappoint_closed if self.posts[p].unit in self.closed else r.p_reappoint
            old = age is not None and (age >= r.retire_age or (age >= r.old_age and u < r.p_leave_old))
            if old or u < r.p_leave:
                continue
            if mi == self.last_mi:  # what happens after the horizon is not in the data
                continue
            if u < r.p_leave + p_reappoint and (age is None or age < r.retire_age - 2):
                self.appoint(c, p, mi + 1)
                continue
            self.pool.append([c, p, 0])

    def _succeed(self, p: int, holder: int, free_mi: int) -> None:
        """Successor chosen when the term ends ("at_end"): the holder joins the pool; the post
        stays vacant U(1, max_vacant_months) months with probability 1 − p_fill_month; a mover
        who left at most max_pool_wait months before the start (not the holder) takes it with
        probability p_from_pool, else a newcomer. Pool entries: [cadre, last post, month free]."""
        r = self.rules
        self.pool.append([holder, p, free_mi])
        vacant = self.rng.random() < 1.0 - r.p_fill_month
        start = free_mi + (int(self.rng.integers(1, r.max_vacant_months + 1)) if vacant else 0)
        if start > self.last_mi:
            return
        self.pool = [e for e in self.pool if start - e[2] <= r.max_pool_wait]
        unit = self.posts[p].unit
        movers = [i for i, (c, last, _) in enumerate(self.pool)
                  if c != holder and self._may_move(self.posts[last].unit, unit)]
        if movers and self.rng.random() < r.p_from_pool:
            cadre = self.pool.pop(movers[int(self.rng.integers(len(movers)))])[0]
        else:
            cadre = self.new_cadre(self.posts[p].senior, initial=False)
        lo, hi = self.posts[p].tenure
        self.holder[p], self.term_start[p] = cadre, start
        self.term_end[p] = start + int(self.rng.integers(lo, hi + 1)) - 1

    def _reshuffle(self, mi: int) -> None:
        """Swap the holders of same-kind posts between two units of one group."""
        if self.reshuffle_key is None:
            return
        by_key: dict[tuple, list[int]] = {}
        for p in np.nonzero(self.holder >= 0)[0]:
            key = None if self.posts[p].unit in self.closed else self.reshuffle_key(int(p))
            served = mi - self.term_start[p] + 1
            if key is not None and served >= self.rules.reshuffle_min_served and self.term_end[p] > mi:
                by_key.setdefault(key, []).append(int(p))
        for group in sorted({k[0] for k in by_key}):
            keys = [k for k in sorted(by_key) if k[0] == group and len(by_key[k]) >= 2]
            for k in self.rng.permutation(len(keys))[:self.rules.reshuffle_pairs]:
                p, q = (int(x) for x in self.rng.choice(by_key[keys[int(k)]], 2, replace=False))
                cp, cq = int(self.holder[p]), int(self.holder[q])
                self._record(cp, p, int(self.term_start[p]), mi)
                self._record(cq, q, int(self.term_start[q]), mi)
                self.appoint(cp, q, mi + 1)
                self.appoint(cq, p, mi + 1)

    def _may_move(self, from_unit: int, to_unit: int) -> bool:
        """Nobody moves into or out of a closed unit."""
        return from_unit == to_unit or (from_unit not in self.closed and to_unit not in self.closed)

    def _weights(self, p: int, start_mi: int) -> np.ndarray:
        post = self.posts[p]
        w = np.zeros(len(self.pool))
        for i, (c, last, _) in enumerate(self.pool):
            lp = self.posts[last]
            if not self._may_move(lp.unit, post.unit):
                continue
            age = self.age(c, start_mi)
            if age is not None and age >= self.rules.retire_age - 1:
                continue
            w[i] = self.affinity(post, lp, p, last, age)
        return w

    def _fill_vacancies(self, start_mi: int) -> None:
        r = self.rules
        vacant = np.nonzero(self.holder < 0)[0]
        for p in self.rng.permutation(vacant):
            p = int(p)
            overdue = start_mi - self.vacant_from[p] >= r.max_vacant_months
            if not overdue and self.rng.random() > r.p_fill_month:
                continue
            w = self._weights(p, start_mi) if self.pool else np.zeros(0)
            if w.sum() > 0 and self.rng.random() < r.p_from_pool:
                i = int(self.rng.choice(len(w), p=w / w.sum()))
                c = self.pool.pop(i)[0]
                self.appoint(c, p, start_mi)
            elif overdue or self.rng.random() < r.p_new_entrant:
                self.appoint(self.new_cadre(self.posts[p].senior, initial=False), p, start_mi)

    def _age_pool(self) -> None:
        for entry in self.pool:
            entry[2] += 1
        self.pool = [e for e in self.pool if e[2] <= self.rules.max_pool_wait]


def mover_rules(p_rotate: float, p_vacancy: float, pool_months: int) -> Rules:
    """Rules for a world without ages (the attribution panels, the benchmark's task leads):
    every holder whose term ends joins the pool of movers and the successor is chosen then
    ("at_end"): the post stays vacant 1-2 months with probability ``p_vacancy``, then goes to a
    mover who left at most ``pool_months`` months before (uniformly drawn, not the holder who
    just left) with probability ``p_rotate``, else to a newcomer. The first holders have U(1, hi)
    months left."""
    return Rules(p_fill_month=1.0 - p_vacancy, max_vacant_months=2, p_from_pool=p_rotate, p_new_entrant=1.0,
                 max_pool_wait=pool_months, first_terms="remaining", successor="at_end")


def simulate(rng: np.random.Generator, posts: Sequence[Post], rules: Rules, first_mi: int, last_mi: int,
             burn_in: int | None = None) -> list[Term]:
    """The terms overlapping months ``first_mi`` … ``last_mi``, simulated from ``burn_in``
    months earlier (default: the longest tenure, so the first month sees posts mid-rotation
    rather than all newly filled); cadres numbered 0, 1, … in order of their first term."""
    if burn_in is None:
        burn_in = max(post.tenure[1] for post in posts)
    terms, _ = Rotation(rng, posts, rules).run(first_mi - burn_in, last_mi)
    terms = [t for t in terms if t.end_mi >= first_mi]
    number = {c: i for i, c in enumerate(sorted({t.cadre for t in terms}))}
    return [Term(number[t.cadre], t.post, t.start_mi, t.end_mi, t.horizon_mi) for t in terms]


def components(terms: Sequence[Term], n_cadres: int, unit_of_post: Callable[[int], int], n_units: int,
               window: tuple[int, int]) -> np.ndarray:
    """Connected components of the cadre–unit graph over the terms overlapping ``window``
    (ordinal days, inclusive): the component label per cadre (−1 = not in post in the window;
    0 = the largest). Cadres are comparable only within a component."""
    parent = list(range(n_cadres + n_units))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    active: set[int] = set()
    for t in terms:
        s, e = t.span()
        if min(e, window[1]) >= max(s, window[0]):
            active.add(t.cadre)
            a, b = find(t.cadre), find(n_cadres + unit_of_post(t.post))
            if a != b:
                parent[a] = b
    roots: dict[int, int] = {}
    for c in sorted(active):
        r = find(c)
        roots[r] = roots.get(r, 0) + 1
    label = {r: i for i, r in enumerate(sorted(roots, key=lambda r: (-roots[r], r)))}
    comp = np.full(n_cadres, -1)
    for c in active:
        comp[c] = label[find(c)]
    return comp
