"""The upload's stage table, from the events a worker writes."""
import datetime as dt

from ui.ingest_view import _stage_rows


def test_stages_read_done_running_and_waiting_with_their_times():
    events = [{"stage": "读取", "detail": "", "at": "2026-01-05T09:00:00"},
              {"stage": "校验", "detail": "", "at": "2026-01-05T09:00:04"},
              {"stage": "构建", "detail": "", "at": "2026-01-05T09:00:10"},
              {"stage": "模型", "detail": "异常预警", "at": "2026-01-05T09:00:12"},
              {"stage": "模型", "detail": "贡献分解", "at": "2026-01-05T09:00:20"}]
    rows = _stage_rows(events, dt.datetime(2026, 1, 5, 9, 0, 42))
    assert rows["状态"].tolist() == ["已完成(用时 4 秒)", "已完成(用时 6 秒)", "已完成(用时 2 秒)",
                                   "进行中(已用 30 秒)", "等待中"]
    assert rows["当前步骤"].tolist() == ["", "", "", "贡献分解", ""]
    assert _stage_rows([], dt.datetime(2026, 1, 5))["状态"].eq("等待中").all()
