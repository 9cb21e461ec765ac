"""Flag marks live outside the warehouse and keep their history."""
import datetime as dt

import pytest

from pipelines.home import Home
from pipelines.state import add_mark, read_marks

FLAG = {"flag_id": "f1", "level": "series", "unit_id": "T01", "indicator": "exports", "task_id": None, "rule": "断点"}


def test_marks_append_and_read_back(tmp_path):
    home = Home(tmp_path)
    assert read_marks(home).empty
    add_mark(home, FLAG, "误报", "analyst1", "口径调整", when=dt.datetime(2026, 1, 5, 9, 0))
    add_mark(home, FLAG, "已说明", "analyst2", when=dt.datetime(2026, 1, 6, 9, 0))
    marks = read_marks(home)
    assert marks["status"].tolist() == ["误报", "已说明"]
    assert marks.loc[0, "note"] == "口径调整" and marks.loc[1, "unit_id"] == "T01"
    assert (home.state / "marks.sqlite").exists()


def test_unknown_status_is_refused(tmp_path):
    with pytest.raises(ValueError):
        add_mark(Home(tmp_path), FLAG, "确认", "x")
