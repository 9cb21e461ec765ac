"""The stages of an ingest or rebuild (读取 → 校验 → 构建 → 模型 → 发布), reported as they start.

A batch of ten counties takes minutes: the terminal prints each stage with its elapsed time, and
the upload page reads the same events from a JSON-lines file the worker writes, so a person who
leaves the page finds the run where it is when they come back.
"""
from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path
from typing import TextIO

STAGES = ("读取", "校验", "构建", "模型", "发布")
# The build's analytics steps by function name, as the model stage's detail.
STEP_LABELS = {"assessment_step": "考核得分与亮牌", "anomaly_step": "异常预警", "attribution_step": "贡献分解",
               "quadrant_step": "实绩象限", "inspection_step": "定向考察名单", "with_state": "标记与核验记录"}


class Progress:
    """Where stage events go: a file (``path``), a terminal (``stream``), both or neither."""

    def __init__(self, path: Path | None = None, stream: TextIO | None = None):
        self.path = Path(path) if path else None
        self.stream = stream
        self._t0 = time.monotonic()

    def stage(self, name: str, detail: str = "") -> None:
        if name not in STAGES:
            raise ValueError(f"unknown stage {name!r}")
        self._emit({"stage": name, "detail": detail})

    def step(self, func) -> None:
        """A model step starts (a function or a functools.partial of one)."""
        name = getattr(getattr(func, "func", func), "__name__", "")
        self._emit({"stage": "模型", "detail": STEP_LABELS.get(name, "")})

    def _emit(self, event: dict) -> None:
        event = {**event, "at": dt.datetime.now().isoformat(timespec="seconds"),
                 "elapsed_s": round(time.monotonic() - self._t0, 1)}
        if self.path is not None:
            with open(self.path, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(event, ensure_ascii=False) + "\n")
        if self.stream is not None:
            n = STAGES.index(event["stage"]) + 1
            detail = f" · {event['detail']}" if event["detail"] else ""
            print(f"[{n}/{len(STAGES)}] {event['stage']}{detail}(已用 {event['elapsed_s']:.0f} 秒)",
                  file=self.stream, flush=True)


SILENT = Progress()


def read_events(path: Path) -> list[dict]:
    """The events written so far (a line being written is skipped, not an error)."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    events = []
    for line in lines:
        try:
            events.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return events
