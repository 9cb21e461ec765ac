"""Pieces of the 干部画像 page (ui/cadre_view.py) that carry policy: the placement level is read
from the quadrant config in use, and rating groups below their minimum are never shown."""
import pandas as pd
import pytest

from models.config import load_reference
from ui import cadre_view as cv


def test_the_placement_level_follows_the_quadrant_config():
    level = float(load_reference("quadrants")["x_side_level"])
    assert cv.side_level(load_reference("quadrants")) == pytest.approx(2 * level - 1)
    assert cv.side_level({"x_side_level": 0.95}) == pytest.approx(0.9)


def test_a_rating_group_below_its_minimum_is_not_shown():
    rcfg = load_reference("ratings")
    group = next(iter(rcfg["group_weights"]))
    minimum = int((rcfg.get("min_raters_by_group") or {}).get(group, rcfg["min_raters"]))
    groups = pd.DataFrame({"rater_group": [group, group], "year": [2024, 2025],
                           "n_raters": [minimum, minimum - 1], "mean_score": [88.0, 91.0]})
    table = cv.rating_group_table(groups, rcfg).set_index("评价主体")
    assert table.loc[group, "2024年"] == f"88.0({minimum}人)"
    assert table.loc[group, "2025年"].startswith("不单列") and "91" not in table.loc[group, "2025年"]
