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


# --- 核验记录 entered in the app --------------------------------------------------------------

def test_app_checks_get_ids_keep_their_text_and_grow_the_stamp(tmp_path):
    from pipelines.state import add_check, read_checks, stamp

    home = Home(tmp_path)
    assert stamp(home) == {"marks": 0, "checks": 0} and read_checks(home).empty
    note = "=SUM(A1)\r\n<b>现场</b>'"  # text, never markup or a formula: it comes back byte for byte
    first = add_check(home, {"flag_id": "f1", "task_id": "T03"}, "进度不实", "考察组", note=note, verified_pct=15,
                      checked_at=dt.date(2026, 1, 5), when=dt.datetime(2026, 1, 6, 9, 0))
    second = add_check(home, {"unit_id": "T01", "indicator": "exports", "period": "2025-12"}, "成效不实", "考察组",
                       verified_value=1234.5, when=dt.datetime(2026, 1, 7, 9, 0))
    add_mark(home, FLAG, "误报", "analyst1")
    assert (first, second) == ("WEB-20260106-0001", "WEB-20260107-0002")
    checks = read_checks(home)
    assert checks["check_id"].tolist() == [first, second]
    assert checks.loc[0, "note"] == note and checks.loc[0, "verified_pct"] == 15
    assert checks.loc[0, "checked_at"] == dt.datetime(2026, 1, 5) and checks.loc[1, "checked_at"] == dt.datetime(2026, 1, 7)
    assert checks.loc[1, "verified_value"] == 1234.5 and checks.loc[1, "period"] == "2025-12"
    assert stamp(home) == {"marks": 1, "checks": 2}


@pytest.mark.parametrize("target, result, figures, message", [
    ({"flag_id": "f1"}, "确认", {}, "核验结论只能是"),
    ({"unit_id": "T01", "indicator": "exports"}, "属实", {}, "须指明核验对象"),
    ({"flag_id": " "}, "属实", {}, "须指明核验对象"),
    ({"task_id": "T03"}, "进度不实", {"verified_pct": 120.0}, "0 到 100"),
    ({"task_id": "T03"}, "进度不实", {"verified_pct": float("nan")}, "0 到 100"),
    ({"flag_id": "f1"}, "成效不实", {"verified_value": float("inf")}, "须为数字"),
])
def test_an_invalid_app_check_is_refused_and_nothing_is_stored(tmp_path, target, result, figures, message):
    from pipelines.state import add_check, stamp

    home = Home(tmp_path)
    with pytest.raises(ValueError, match=message):
        add_check(home, target, result, "x", **figures)
    assert stamp(home)["checks"] == 0
