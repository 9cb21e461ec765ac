"""Stage events of an ingest: written as JSON lines for the page, printed for a terminal."""
import io
from functools import partial

import pytest

from pipelines.progress import Progress, read_events


def anomaly_step(con, marks=None):
    pass


def test_events_go_to_the_file_and_the_terminal_and_a_torn_line_is_skipped(tmp_path):
    out = io.StringIO()
    progress = Progress(tmp_path / "p.jsonl", stream=out)
    progress.stage("读取")
    progress.step(partial(anomaly_step, marks=None))
    with open(tmp_path / "p.jsonl", "a", encoding="utf-8") as fh:
        fh.write('{"stage": "发')  # the writer is mid-line
    events = read_events(tmp_path / "p.jsonl")
    assert [(e["stage"], e["detail"]) for e in events] == [("读取", ""), ("模型", "异常预警")]
    assert out.getvalue().splitlines()[0].startswith("[1/5] 读取(已用 ")
    assert out.getvalue().splitlines()[1].startswith("[4/5] 模型 · 异常预警(已用 ")
    assert read_events(tmp_path / "missing.jsonl") == []
    with pytest.raises(ValueError):
        progress.stage("打包")


def test_an_ingest_reports_every_stage_in_order(home, valid_batch, tmp_path):
    from pipelines.ingest import ingest

    ingest(valid_batch, home, progress=Progress(tmp_path / "p.jsonl"), steps=[])
    stages = [e["stage"] for e in read_events(tmp_path / "p.jsonl")]
    assert stages == ["读取", "校验", "构建", "发布"]  # no analytics steps asked: no 模型
