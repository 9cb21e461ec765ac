"""The shared rotation simulator (datasets/rotation.py): consistent terms, the stated rates
recovered from a large simulated world, closed units, retirement, reshuffles, components."""
from __future__ import annotations

from collections import defaultdict
from datetime import date

import numpy as np
import pytest

from datasets.rotation import (
    Post, Rotation, Rules, Term, components, month_end, month_index, month_start, mover_rules, simulate,
)

FIRST, LAST = month_index(2020, 1), month_index(2029, 12)
# successors sought month by month (the county's way) / chosen when a term ends (mover_rules)
MONTHLY = Rules(p_fill_month=0.8, max_vacant_months=2, p_from_pool=0.7, p_new_entrant=1.0, max_pool_wait=6)
AT_END = mover_rules(p_rotate=0.7, p_vacancy=0.2, pool_months=6)


def _world(seed: int = 0, n_units: int = 120, rules: Rules = MONTHLY, **kw) -> tuple[list[Post], list[Term]]:
    posts = [Post(u, slot=s, senior=s == "lead", tenure=(24, 48)) for u in range(n_units) for s in ("lead", "deputy")]
    rot = Rotation(np.random.default_rng(seed), posts, rules, **kw)
    terms, _ = rot.run(FIRST, LAST)
    return posts, terms


def _gaps(terms: list[Term]) -> list[int]:
    """Months each post stayed vacant between two holders."""
    by_post = defaultdict(list)
    for t in terms:
        by_post[t.post].append(t)
    out = []
    for ts in by_post.values():
        ts.sort(key=lambda t: t.start_mi)
        out += [b.start_mi - a.end_mi - 1 for a, b in zip(ts, ts[1:])]
    return out


def test_month_calendar_is_the_period_month_index():
    assert month_index(2025, 1) == 2025 * 12
    assert month_start(month_index(2024, 2)) == date(2024, 2, 1)
    assert month_end(month_index(2024, 2)) == date(2024, 2, 29)
    assert month_end(month_index(2025, 12)) == date(2025, 12, 31)


@pytest.mark.parametrize("rules", [MONTHLY, AT_END], ids=["monthly", "at_end"])
def test_terms_are_consistent_and_reproducible(rules):
    posts, terms = _world(rules=rules)
    assert terms == _world(rules=rules)[1]
    assert terms != _world(seed=1, rules=rules)[1]
    by_cadre, by_post = defaultdict(list), defaultdict(list)
    for t in terms:
        assert t.start_mi <= t.end_mi
        assert t.start == month_start(t.start_mi) and t.start.day == 1
        assert t.end is None or t.end == month_end(t.end_mi)
        by_cadre[t.cadre].append((t.start_mi, t.end_mi))
        by_post[t.post].append((t.start_mi, t.end_mi))
    for spans in list(by_cadre.values()) + list(by_post.values()):
        spans.sort()
        assert all(e1 < s2 for (_, e1), (s2, _) in zip(spans, spans[1:])), spans  # one post at a time, one holder
    ongoing = [t for t in terms if t.ongoing]
    assert len(ongoing) <= len(posts) and all(t.end is None for t in ongoing)
    assert sorted(terms, key=lambda t: (t.cadre, t.start_mi)) == terms


@pytest.mark.parametrize("rules, vacancies", [(MONTHLY, (0.8, 0.16, 0.04)), (AT_END, (0.8, 0.1, 0.1))],
                         ids=["monthly", "at_end"])
def test_stated_rates_are_recovered(rules, vacancies):
    """Tenure U(24, 48); vacancies of 0, 1, 2 months: monthly, filled with probability 0.8 a month
    and at the latest after 2; at the end of a term, vacant U(1, 2) months with probability 0.2.
    A free post goes to a mover with probability 0.7 when movers wait (at most 6 months)."""
    posts, terms = _world(n_units=400, rules=rules)
    complete = [t.end_mi - t.start_mi + 1 for t in terms if t.start_mi > FIRST and not t.ongoing]
    assert min(complete) >= 24 and max(complete) <= 48
    assert np.mean(complete) == pytest.approx(36, abs=1.0)
    gaps = np.array(_gaps(terms))
    assert gaps.max() <= 2
    assert len(gaps) > 2000
    assert np.mean(gaps == 0) == pytest.approx(vacancies[0], abs=0.025)
    assert np.mean(gaps == 1) == pytest.approx(vacancies[1], abs=0.025)
    # every holder whose term ends joins the pool: movers make up most refills
    starts = [t for t in terms if t.start_mi > FIRST]
    first_term = {}
    for t in terms:
        first_term.setdefault(t.cadre, t)
    movers = [t for t in starts if first_term[t.cadre] is not t]
    assert 0.55 <= len(movers) / len(starts) <= 0.75


def test_a_mover_never_returns_to_the_post_just_left():
    _, terms = _world()
    by_cadre = defaultdict(list)
    for t in terms:
        by_cadre[t.cadre].append(t)
    assert all(a.post != b.post for ts in by_cadre.values() for a, b in zip(ts, ts[1:]))
    _, terms = _world(rules=AT_END)  # there: never straight back, as that post's next holder
    by_post = defaultdict(list)
    for t in sorted(terms, key=lambda t: t.start_mi):
        by_post[t.post].append(t.cadre)
    assert all(a != b for cadres in by_post.values() for a, b in zip(cadres, cadres[1:]))


@pytest.mark.parametrize("rules", [MONTHLY, AT_END], ids=["monthly", "at_end"])
def test_closed_units_keep_their_people(rules):
    closed = frozenset({0, 1, 2})
    posts, terms = _world(closed_units=closed, rules=rules)
    units_of = defaultdict(set)
    for t in terms:
        units_of[t.cadre].add(posts[t.post].unit)
    inside = [u for u in units_of.values() if u & closed]
    assert inside and all(len(u) == 1 for u in inside)  # nobody moves in, out, or between them
    assert sum(len(u) > 1 for u in units_of.values()) > 100  # elsewhere people do move


def test_ages_cut_terms_at_retirement_and_leavers_leave():
    rules = Rules(p_leave=0.3, p_reappoint=0.1, p_fill_month=1.0, p_from_pool=1.0, max_pool_wait=3,
                  birth_years={(s, True): (1962, 1990) for s in (True, False)}
                  | {(s, False): (1975, 1995) for s in (True, False)},
                  p_leave_old=0.9, old_age=57, retire_age=60)
    posts = [Post(u, slot=s, senior=s == "lead", tenure=(24, 48)) for u in range(60) for s in ("lead", "deputy")]
    rot = Rotation(np.random.default_rng(3), posts, rules)
    terms, births = rot.run(FIRST, LAST)
    assert len(births) == rot.n_cadres == 1 + max(t.cadre for t in terms)
    assert all(t.end_mi <= month_index(births[t.cadre] + 60, 12) for t in terms if t.start_mi > FIRST)
    assert any(t.end_mi == month_index(births[t.cadre] + 60, 12) for t in terms)  # someone retires
    n_terms = defaultdict(int)
    for t in terms:
        n_terms[t.cadre] += 1
    assert 0.2 < np.mean([n == 1 for n in n_terms.values()]) < 0.9  # leavers and new entrants


def test_reshuffle_swaps_two_holders_of_one_kind_in_one_group():
    month = month_index(2024, 3)
    rules = Rules(p_fill_month=1.0, p_from_pool=1.0, reshuffle_months=(month,), reshuffle_pairs=2)
    posts = [Post(u, slot=s, tenure=(200, 240)) for u in range(6) for s in ("a", "b")]
    rot = Rotation(np.random.default_rng(0), posts, rules, reshuffle_key=lambda p: (posts[p].unit % 2, posts[p].slot))
    terms, _ = rot.run(FIRST, LAST)
    ended = [t for t in terms if t.end_mi == month]
    assert len(ended) == 8  # two pairs in each of the two groups, each pair of one kind of post
    for t in ended:
        after = next(x for x in terms if x.cadre == t.cadre and x.start_mi == month + 1)
        assert posts[after.post].slot == posts[t.post].slot and after.post != t.post
        assert posts[after.post].unit % 2 == posts[t.post].unit % 2


def test_first_holders_are_left_censored_as_stated():
    """'elapsed' (the county): U(0, hi) months of a U(lo, hi) term served before the start;
    'remaining' (mover_rules, the attribution panels): U(1, hi) months left from the start."""
    posts = [Post(u, tenure=(24, 48)) for u in range(2000)]
    for mode in ("elapsed", "remaining"):
        rot = Rotation(np.random.default_rng(1), posts, Rules(first_terms=mode))
        terms, _ = rot.run(FIRST, LAST)
        first = [t for t in terms if t.start_mi <= FIRST]
        assert len(first) == len(posts)
        left = np.array([t.end_mi - FIRST + 1 for t in first])
        assert left.min() >= 1 and left.max() <= 48
        if mode == "remaining":
            assert all(t.start_mi == FIRST for t in first)
            assert left.mean() == pytest.approx(24.5, abs=0.8)
        else:
            served = np.array([FIRST - t.start_mi for t in first])
            assert served.min() == 0 and served.max() <= 47 and served.mean() > 15
            assert all(24 <= t.end_mi - t.start_mi + 1 <= 48 for t in first)


def test_simulate_keeps_the_window_and_numbers_its_cadres():
    posts = [Post(u, tenure=(12, 24)) for u in range(20)]
    first, last = month_index(2024, 1), month_index(2024, 12)
    terms = simulate(np.random.default_rng(5), posts, AT_END, first, last)
    assert all(t.end_mi >= first and t.start_mi <= last for t in terms)
    assert sorted({t.cadre for t in terms}) == list(range(len({t.cadre for t in terms})))
    assert any(t.start_mi < first for t in terms)  # holders at the start are mid-term (burn-in)
    assert len({t.post for t in terms if t.start_mi <= first}) >= 15  # mostly filled at the start


def test_components_join_cadres_through_shared_units():
    # cadre 0: unit 0 then 1; cadre 1: unit 1; cadre 2: unit 2 only; cadre 3 served before the window
    h = month_index(2025, 12)
    terms = [Term(0, 0, month_index(2023, 1), month_index(2023, 12), h), Term(0, 1, month_index(2024, 1), h + 1, h),
             Term(1, 1, month_index(2022, 1), month_index(2023, 6), h), Term(2, 2, month_index(2023, 1), h + 1, h),
             Term(3, 0, month_index(2019, 1), month_index(2020, 12), h)]
    comp = components(terms, 4, lambda p: p, 3, (date(2023, 1, 1).toordinal(), date(2025, 12, 31).toordinal()))
    assert comp.tolist() == [0, 0, 1, -1]
