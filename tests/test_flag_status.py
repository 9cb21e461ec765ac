"""The one live-flag rule (models/flag_status.py), on hand-made flags."""
import pandas as pd

from models.flag_status import CLOSED_STATUSES, live_flags


def test_a_flag_is_live_unless_suppressed_or_closed_by_a_mark():
    flags = pd.DataFrame({"flag_id": ["a", "b", "c", "d", "e", "f"],
                          "suppressed": [False, True, False, False, None, False],
                          "status": [None, None, "误报", "已说明", "属实", "未核查"]})
    assert flags.loc[live_flags(flags), "flag_id"].tolist() == ["a", "e", "f"]
    assert set(CLOSED_STATUSES) == {"误报", "已说明"}


def test_columns_not_delivered_count_as_not_suppressed_and_unmarked():
    assert live_flags(pd.DataFrame({"flag_id": ["a", "b"]})).tolist() == [True, True]
    assert live_flags(pd.DataFrame({"flag_id": ["a"], "status": ["误报"]})).tolist() == [False]
    assert live_flags(pd.DataFrame(columns=["flag_id", "suppressed", "status"])).empty
