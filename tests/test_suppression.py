"""pipelines/suppression.py: a hidden cell is never the only unknown of a published sum or rate."""
from __future__ import annotations

import pandas as pd

from pipelines.suppression import Facts, protect_public


def _row(values: dict, total=("known",)) -> Facts:
    facts = Facts()
    for key, value in values.items():
        facts.cell(key, value)
    facts.fact({**{k: 1.0 for k in values}, total: -1.0})
    return facts


def test_a_lone_hidden_cell_of_a_known_total_takes_the_next_smallest_with_it():
    facts = _row({"a": 50, "b": 3, "c": 7, "d": 9})
    assert facts.exposed({"b"}, "b")
    assert facts.protect({"b"}) == {"b", "c"}
    assert not facts.exposed({"b", "c"}, "b")


def test_a_hidden_zero_protects_nothing():
    facts = _row({"a": 50, "b": 3, "c": 0, "d": 9})
    assert facts.exposed({"b", "c"}, "b")
    assert facts.protect({"b"}) == {"b", "d"}


def test_a_rate_that_gives_the_hidden_green_away_is_hidden_too():
    facts = _row({"g": 4, "y": 20, "o": 30, "r": 46}, total="T")
    facts.fact({"g": 1.0, "T": -0.04}, guard="rate")  # green = 4% of the known total
    hidden = facts.protect({"g"})
    assert "rate" in hidden and len(hidden - {"rate"}) >= 2
    assert not facts.exposed(hidden, "g")


def test_breakdowns_sharing_an_unpublished_total():
    facts = Facts()
    facts.unpublished("T")
    for key, value in {("s", 1): 9, ("s", 2): 11, ("r", 1): 11, ("r", 2): 6, ("r", 3): 3, ("l", 1): 20}.items():
        facts.cell(key, value)
    for dim in "srl":
        facts.fact({**{k: 1.0 for k in facts.values if k[0] == dim}, "T": -1.0})
    assert facts.exposed({("r", 3)}, ("r", 3))   # T from severity, then T − the visible rules
    assert facts.protect({("r", 3)}) == {("r", 3), ("r", 2)}
    # a one-category breakdown is the total itself: every other breakdown must lose a cell
    lone = facts.protect({("l", 1)})
    assert not facts.exposed(lone, ("l", 1)) and len(lone) > 1


def test_protect_public_marks_and_blanks_the_complements():
    cards = pd.DataFrame({"period": ["2025-01"] * 4, "card": ["绿", "黄", "橙", "红"], "card_seq": [1, 2, 3, 4],
                          "n_tasks": [90, 2, 6, 12], "n_people": [60, 2, 5, 9], "suppressed": False})
    trends = pd.DataFrame({"series": ["on_track_rate"], "series_name": ["任务按期推进率"], "period": ["2025-01"],
                           "value": [100 * 90 / 110], "unit": ["%"], "n_people": [70], "suppressed": [False]})
    empty = {"quadrant_counts": pd.DataFrame(columns=["period", "quadrant", "seq", "n_people"]),
             "flag_counts": pd.DataFrame(columns=["dimension", "category", "seq", "n_flags", "n_people"])}
    out = protect_public({"card_counts": cards, "trends": trends, **empty})
    c = out["card_counts"].set_index("card")
    assert c["suppressed"].tolist() == [False, True, True, False]
    assert c["n_tasks"].isna().tolist() == [False, True, True, False]
    assert c.loc["红", "n_tasks"] == 12 and not out["trends"]["suppressed"].iloc[0]
    assert out["trends"]["value"].iloc[0] > 0


def test_a_known_sum_too_small_to_hide_anything_is_widened():
    """Two hidden cells summing to 2 are both 1 (each holds at least 1): the complement must
    leave every hidden cell a range reaching the minimum group size."""
    facts = _row({"a": 50, "b": 1, "c": 1, "d": 30})
    assert not facts.exposed({"b", "c"}, "b") and facts.narrow({"b", "c"}, "b")
    assert facts.protect({"b"}) == {"b", "d"}
    both = facts.protect({"b", "c"})
    assert both == {"b", "c", "d"} and not facts.at_risk(both, "b")
