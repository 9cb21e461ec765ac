"""The unit tree: each place counts once."""
import pandas as pd

from models.hierarchy import ancestors, count_once, parent_map, topmost

UNITS = pd.DataFrame({"unit_id": ["S0", "D1", "D2", "T1", "T2", "T3", "X"],
                      "parent_id": ["", "S0", "S0", "D1", "D1", "D2", None]})


def test_ancestors_and_topmost():
    parents = parent_map(UNITS)
    assert ancestors("T1", parents) == ["D1", "S0"] and ancestors("X", parents) == []
    assert topmost(["S0", "D1", "T1", "X"], parents) == [True, False, False, True]
    assert topmost(["T1", "T2", "D2"], parents) == [True, True, True]  # disjoint areas
    assert ancestors("A", {"A": "B", "B": "A"}) == ["B"]  # a cycle (refused at ingest) stops the walk


def test_a_city_total_is_not_added_to_its_districts_and_towns():
    values = pd.DataFrame({"unit_id": ["S0", "D1", "D2", "T1", "T2", "T3"], "period": "2025-06",
                           "value": [60.0, 30.0, 30.0, 10.0, 20.0, 30.0]})
    kept = count_once(values, parent_map(UNITS), ["period"])
    assert kept["value"].sum() == 60.0
    without_city = count_once(values[values["unit_id"] != "S0"], parent_map(UNITS), ["period"])
    assert sorted(without_city["unit_id"]) == ["D1", "D2"] and without_city["value"].sum() == 60.0
