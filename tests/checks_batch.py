"""The small valid batch with two 核验记录 that replace reported figures, built once per session
(shared by tests/test_queries.py and tests/test_public.py: the build is the slow part).

Known truth (tests/conftest.py ``valid_tables``):

* K001, 进度不实 on T01 (lead C02, U01) in 2024-06: reported 45 % against a 50 % plan (−5 pp,
  green); on site 30 % (−20 pp, orange).
* K002, 成效不实 on U01's 货物出口额 (cumulative, 万元) in 2023-06: reported 1205 (1164 in
  2023-05, so 41 in the month); on site 1180 (16 in the month).
"""
from __future__ import annotations

from pathlib import Path

from pipelines import db
from pipelines.home import Home

CHECK_HEADER = ["check_id", "flag_id", "task_id", "unit_id", "indicator", "period", "result", "verified_pct",
                "verified_value", "note", "checked_at", "checked_by"]
CHECK_ROWS = [
    ["K001", "", "T01", "", "", "2024-06", "进度不实", "30", "", "现场只完成三成", "2024-07-10", "考察组"],
    ["K002", "", "", "U01", "货物出口额", "2023-06", "成效不实", "", "1180", "出口额含未结汇订单", "2024-07-11", "考察组"],
]
TASK = {"task_id": "T01", "period": "2024-06", "reported": 45.0, "verified": 30.0, "planned": 50.0}
SERIES = {"unit_id": "U01", "indicator": "exports", "period": "2023-06", "reported": 1205.0, "verified": 1180.0,
          "previous": 1164.0}


def checked_home(tmp_path_factory) -> Home:
    """The data home (built once per session) whose current version applies K001 and K002.
    Only the steps the checks pass through run (cards and scores, flags and check figures)."""
    from pipelines.ingest import ingest
    from pipelines.steps import anomaly_step, assessment_step
    from tests.conftest import write_csv, write_valid_batch

    root = tmp_path_factory.getbasetemp() / "checks_batch"
    home = Home(root / "home")
    if home.current_path() is None:
        batch = write_valid_batch(root / "batch")
        write_csv(batch / "checks.csv", CHECK_HEADER, CHECK_ROWS)
        outcome = ingest(batch, home, steps=[assessment_step, anomaly_step])
        assert outcome.status == "published", outcome.issues
        db.close_all()
    return home
