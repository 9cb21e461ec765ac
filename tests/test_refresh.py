"""Marks and checks saved in the app reach the version through a background rebuild."""
import time

import pytest

from pipelines import db, refresh
from pipelines.home import Home
from pipelines.state import add_check, add_mark


@pytest.fixture
def home(analysed_home):
    return analysed_home


def _q(home, sql, params=None):
    return db.query(home.current_path(), sql, params)


def test_a_check_and_a_mark_saved_in_the_app_reach_cards_scores_and_the_target_list(home):
    """T03 reported 30 % against a 50 % plan in 2024-06 (orange); the check found 15 % (red, see
    test_marts). The top target's first flag is marked 误报 on the desk: it leaves the list."""
    top = _q(home, "SELECT * FROM marts.inspection_targets ORDER BY rank").iloc[0]
    flag_id = top["flag_ids"].split(";")[0]
    flag = _q(home, "SELECT * FROM marts.anomalies WHERE flag_id = $f", {"f": flag_id}).iloc[0].to_dict()
    before = home.current()["version"]
    check_id = add_check(home, {"task_id": "T03", "period": "2024-06"}, "进度不实", "考察组", verified_pct=15)
    add_mark(home, flag, "误报", "analyst1", "口径调整")
    assert refresh.pending(home) == 2

    published = refresh.refresh(home)
    assert len(published) == 1 and published[0] > before and refresh.pending(home) == 0
    card = _q(home, "SELECT * FROM marts.task_status WHERE task_id = 'T03' AND period = '2024-06'").iloc[0]
    assert (card["card"], card["actual_pct"], card["reported_pct"], card["check_id"]) == ("红", 15, 30, check_id)
    assert _q(home, "SELECT applied FROM marts.checks WHERE check_id = $c", {"c": check_id})["applied"].all()
    targets = _q(home, "SELECT flag_ids FROM marts.inspection_targets")
    assert not targets["flag_ids"].fillna("").str.contains(flag_id).any()
    # the version keeps what it applied: rolling back brings the entries back to pending
    from pipelines.ingest import rollback

    rollback(home, before)
    assert refresh.pending(home) == 2


def test_a_request_starts_a_detached_refresher_that_waits_for_an_ingest_to_finish(home, monkeypatch):
    """The server only starts the child; the child waits while the writer lock is held."""
    monkeypatch.setenv("SHIJI_REFRESH", "on")
    add_mark(home, {"flag_id": "nobody"}, "已说明", "analyst1")
    with home.writer_lock():  # an ingest is publishing
        assert refresh.request(home) is True
        time.sleep(1.0)
        assert refresh.pending(home) == 1
    deadline = time.monotonic() + 300
    while refresh.pending(home) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert refresh.pending(home) == 0
    while refresh.running(home) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert "已按新的标记/核验记录重建为版本" in (home.state / "refresh.log").read_text(encoding="utf-8")


def test_a_second_refresher_leaves_the_work_to_the_running_one(home, monkeypatch):
    add_mark(home, {"flag_id": "nobody"}, "已说明", "analyst1")
    with refresh._refresher_lock(home) as mine:
        assert mine and refresh.running(home)
        assert refresh.refresh(home) == []
    assert refresh.pending(home) == 1 and not refresh.running(home)
    monkeypatch.setenv("SHIJI_REFRESH", "off")
    assert refresh.request(home) is False  # switched off: nothing is started


def test_nothing_is_pending_without_a_version_or_without_entries(tmp_path, home):
    assert refresh.pending(Home(tmp_path / "empty")) == 0
    assert refresh.pending(home) == 0 and refresh.refresh(home) == []
