"""Small-group suppression for the public file: primary and complementary.

Primary suppression hides every cell describing 1..``MIN_GROUP``-1 people. That alone is not
enough: the public file also holds numbers the hidden cell adds up with. The cards of a month
sum to the month's tasks and the 按期推进率 is green ÷ all; the quadrants of a quarter sum to the
cadres assessed; flags by severity, by rule and by level are three breakdowns of one total. An
outsider who knows a total (the task list and the cadre roster are not secret) or reads it off
another breakdown gets a lone hidden cell back by subtraction.

Complementary suppression: the published numbers are written as linear facts (Σ coef · cell =
0); a hidden cell is *exposed* when those facts and the visible cells determine it (its unit
vector lies in the row space of the facts restricted to the hidden cells). While a primary cell
is exposed, one more cell of the facts it is tied to is hidden: the smallest non-zero one that
alone protects it, else the smallest, and a rate (a fact published only while its own cell is
visible) last. A hidden zero protects nothing (an outsider guesses zero), so it is treated as
visible and never chosen.

Sums of two or more hidden cells may stay known, single values must not; and since every hidden
cell holds at least 1, a known sum S of k hidden cells pins each between 1 and S − (k − 1). That
upper end must reach ``margin`` (the minimum group size): otherwise two hidden cards summing to
2 are both 1. Such a sum is widened with the next smallest cell as well.
"""
from __future__ import annotations

from collections.abc import Hashable

import numpy as np
import pandas as pd

MIN_GROUP = 5


def small_groups(people: pd.Series, min_group: int = MIN_GROUP) -> pd.Series:
    """True for groups of 1..min_group-1 people (zero stays zero: there is no one to protect)."""
    n = pd.to_numeric(people, errors="coerce")
    return (n > 0) & (n < min_group)


def blank(frame: pd.DataFrame, measures: list[str], hidden, people: str | None = "n_people") -> pd.DataFrame:
    """Set ``suppressed`` and blank the measures (and the group size) of the hidden rows."""
    out = frame.copy()
    hidden = pd.Series(np.asarray(hidden, dtype=bool), index=out.index)
    out["suppressed"] = hidden.to_numpy()
    for col in [*measures, *([people] if people else [])]:
        out[col] = out[col].astype("Float64").mask(hidden)
    return out


def suppress_small(frame: pd.DataFrame, measures: list[str], people: str = "n_people",
                   min_group: int = MIN_GROUP) -> pd.DataFrame:
    """Blank the measures and the group size of every row describing 1..min_group-1 people."""
    return blank(frame, measures, small_groups(frame[people], min_group), people)


class Facts:
    """Linear facts an outsider can read off (or knows besides) the published numbers."""

    def __init__(self, margin: int = MIN_GROUP):
        self.margin = margin
        self.values: dict[Hashable, float] = {}   # hideable cells and their true values
        self.order: dict[Hashable, int] = {}
        self.secret: set[Hashable] = set()        # never published (a total derivable or not)
        self.guards: set[Hashable] = set()        # a published number that is a fact of its own (a rate)
        self.equations: list[tuple[dict[Hashable, float], Hashable | None]] = []

    def cell(self, key: Hashable, value: float) -> None:
        self.values[key] = float(value)
        self.order.setdefault(key, len(self.order))

    def unpublished(self, key: Hashable) -> None:
        self.secret.add(key)

    def breakdown(self, values: pd.Series, total: Hashable) -> None:
        """The cells ``values`` (index → value) add up to ``total``."""
        for key, value in values.items():
            self.cell(key, value)
        self.fact({**{key: 1.0 for key in values.index}, total: -1.0})

    def fact(self, coefs: dict[Hashable, float], guard: Hashable | None = None) -> None:
        """Σ coef · cell = 0 over cells and unpublished totals; a key in neither (e.g. a total an
        outsider knows) is a constant. With ``guard``, the fact holds only while the guard is shown."""
        if guard is not None:
            self.guards.add(guard)
        self.equations.append((dict(coefs), guard))

    # --- audit -------------------------------------------------------------------------------

    def _unknowns(self, hidden: set) -> list:
        return [k for k in {*hidden, *self.secret} if k in self.secret or self.values.get(k, 0.0) != 0.0]

    def _active(self, hidden: set) -> list[dict]:
        return [coefs for coefs, guard in self.equations if guard is None or guard not in hidden]

    def _system(self, hidden: set) -> tuple[list, list[list[float]]]:
        """The unknowns (hidden non-zero cells and unpublished totals) and the active facts over them."""
        unknowns = [k for k in self._unknowns(hidden) if k not in self.guards]
        rows = [[coefs.get(k, 0.0) for k in unknowns] for coefs in self._active(hidden)
                if any(coefs.get(k, 0.0) for k in unknowns)]
        return unknowns, rows

    def exposed(self, hidden: set, key: Hashable) -> bool:
        """Do the facts and the visible cells determine the hidden cell ``key``?"""
        unknowns, rows = self._system(hidden)
        if key not in unknowns:
            return True  # a hidden zero is guessed
        col = {k: i for i, k in enumerate(unknowns)}
        if not rows:
            return False
        a = np.array(rows, dtype=float)
        e = np.zeros((1, len(unknowns)))
        e[0, col[key]] = 1.0
        return np.linalg.matrix_rank(np.vstack([a, e])) == np.linalg.matrix_rank(a)

    def narrow(self, hidden: set, key: Hashable) -> bool:
        """Is ``key`` in a fact whose hidden cells have a known sum too small to hide a value?"""
        unknowns, rows = self._system(hidden)
        for coefs in self._active(hidden):
            cells = [k for k in unknowns if coefs.get(k) and k in self.values]
            if key not in cells:
                continue
            spare = sum(self.values[k] for k in cells) - (len(cells) - 1)
            if spare >= self.margin or not rows:
                continue
            u = np.array([[1.0 if k in cells else 0.0 for k in unknowns]])
            a = np.array(rows, dtype=float)
            if np.linalg.matrix_rank(np.vstack([a, u])) == np.linalg.matrix_rank(a):
                return True
        return False

    def at_risk(self, hidden: set, key: Hashable) -> bool:
        return self.exposed(hidden, key) or self.narrow(hidden, key)

    def _candidates(self, hidden: set, key: Hashable) -> list:
        """Visible non-zero cells, then guards, of the facts tied to ``key`` through hidden cells."""
        active = [(coefs, guard) for coefs, guard in self.equations if guard is None or guard not in hidden]
        unknowns = set(self._unknowns(hidden))
        reach, tied, grew = {key}, [], True
        while grew:
            grew = False
            for coefs, guard in active:
                if (coefs, guard) not in tied and reach & {k for k, c in coefs.items() if c}:
                    tied.append((coefs, guard))
                    new = {k for k, c in coefs.items() if c and k in unknowns} - reach
                    reach |= new
                    grew = True
        cells = {k for coefs, _ in tied for k, c in coefs.items()
                 if c and k in self.values and k not in hidden and self.values[k] != 0.0}
        guards = [g for _, g in tied if g is not None and g not in hidden]
        return sorted(cells, key=lambda k: (self.values[k], self.order[k])) + list(dict.fromkeys(guards))

    def protect(self, primary) -> set:
        """The cells and guards to hide: the primary cells plus complements, until none is exposed."""
        hidden = set(primary)
        targets = sorted(hidden, key=lambda k: self.order.get(k, 0))
        for _ in range(len(self.values) + len(self.guards) + 1):
            exposed = [k for k in targets if self.at_risk(hidden, k)]
            if not exposed:
                break
            candidates = self._candidates(hidden, exposed[0])
            if not candidates:
                break  # only known totals and zeros are left: the value is public knowledge anyway
            pick = next((c for c in candidates if not self.at_risk(hidden | {c}, exposed[0])), candidates[0])
            hidden.add(pick)
        return hidden


# --- the public tables -------------------------------------------------------------------------

def protect_public(tables: dict[str, pd.DataFrame], min_group: int = MIN_GROUP) -> dict[str, pd.DataFrame]:
    """Primary and complementary suppression of the counts about people (and of the 按期推进率
    where it would give a hidden card away). Takes the unsuppressed tables, returns new ones."""
    out = dict(tables)
    out["card_counts"], out["trends"] = _cards(tables["card_counts"], tables["trends"], min_group)
    out["quadrant_counts"] = _quadrants(tables["quadrant_counts"], min_group)
    out["flag_counts"] = _flags(tables["flag_counts"], min_group)
    return out


def _cards(cards: pd.DataFrame, trends: pd.DataFrame, min_group: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The cards of a month sum to its tasks (known to outsiders: the task list is public) and the
    rate is green ÷ all: with the rate shown, green is known too."""
    rate_rows = trends.index[trends["series"] == "on_track_rate"]
    hidden_trend = pd.Series(False, index=trends.index)
    hidden_trend[rate_rows] = small_groups(trends.loc[rate_rows, "n_people"], min_group)
    rate_of = {p: i for p, i in zip(trends.loc[rate_rows, "period"], rate_rows) if not hidden_trend[i]}
    hidden = small_groups(cards["n_people"], min_group)
    for period, month in cards.groupby("period"):
        primary = set(month.index[hidden[month.index]])
        if not primary:
            continue
        facts = Facts(min_group)
        total = ("tasks", period)  # neither a cell nor unpublished: a constant an outsider knows
        facts.breakdown(month["n_tasks"], total)
        green = month.index[month["card"] == "绿"]
        if period in rate_of and len(green):
            share = float(trends.loc[rate_of[period], "value"]) / 100.0
            facts.fact({green[0]: 1.0, total: -share}, guard=("rate", rate_of[period]))
        for key in facts.protect(primary):
            if isinstance(key, tuple):
                hidden_trend[key[1]] = True
            else:
                hidden[key] = True
    return blank(cards, ["n_tasks"], hidden), blank(trends, ["value"], hidden_trend)


def _quadrants(quads: pd.DataFrame, min_group: int) -> pd.DataFrame:
    """The quadrants of a quarter sum to the cadres assessed (the roster is known to outsiders)."""
    hidden = small_groups(quads["n_people"], min_group)
    for period, quarter in quads.groupby("period"):
        primary = set(quarter.index[hidden[quarter.index]])
        if not primary:
            continue
        facts = Facts(min_group)
        facts.breakdown(quarter["n_people"], ("cadres", period))
        hidden[list(facts.protect(primary))] = True
    return blank(quads, [], hidden)


def _flags(flags: pd.DataFrame, min_group: int) -> pd.DataFrame:
    """Severity, rule and level are three breakdowns of the same flags: one shared total, not
    published, but read off any breakdown shown in full."""
    hidden = small_groups(flags["n_people"], min_group)
    primary = set(flags.index[hidden])
    if primary:
        facts = Facts(min_group)
        facts.unpublished("flags")
        for _, part in flags.groupby("dimension"):
            facts.breakdown(part["n_flags"], "flags")
        hidden[list(facts.protect(primary))] = True
    return blank(flags, ["n_flags"], hidden)
