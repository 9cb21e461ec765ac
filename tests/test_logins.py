"""Failed local logins are counted on disk: a growing wait between attempts, then a lock that
holds across browser sessions and processes and lifts by itself."""
import json

import pytest

from pipelines import logins
from pipelines.home import Home


class Clock:
    def __init__(self, start: float = 1_000_000.0):
        self.now = start

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    """The login counter's clock, moved by hand."""
    clock = Clock()
    monkeypatch.setattr(logins, "_clock", clock)
    return clock


def test_waits_grow_then_the_account_locks(tmp_path, clock):
    home = Home(tmp_path)
    assert logins.gate(home, "adm") == logins.Gate(0, 0)
    waits = []
    for _ in range(logins.MAX_FAILURES - 1):
        waits.append(logins.record_failure(home, "adm").wait_seconds)
        assert logins.gate(home, "adm").wait_seconds > 0  # too soon: the next try must wait
        clock.now += waits[-1]
        assert logins.gate(home, "adm") == logins.Gate(0, 0)
    assert waits == sorted(waits) and waits[0] < waits[-1]
    locked = logins.record_failure(home, "adm")
    assert locked.locked_seconds == logins.LOCK_SECONDS
    clock.now += logins.LOCK_SECONDS - 60
    assert logins.gate(home, "adm").locked_seconds == 60
    assert logins.gate(home, "other").locked_seconds == 0  # per account
    clock.now += 61
    assert logins.gate(home, "adm") == logins.Gate(0, 0)
    assert logins.record_failure(home, "adm").locked_seconds == 0  # the count started over


def test_failures_outside_the_window_do_not_count(tmp_path, clock):
    home = Home(tmp_path)
    for _ in range(logins.MAX_FAILURES - 1):
        logins.record_failure(home, "adm")
        clock.now += logins.WINDOW_SECONDS / logins.MAX_FAILURES + 1
    clock.now += logins.WINDOW_SECONDS
    assert logins.record_failure(home, "adm").locked_seconds == 0


def test_success_clears_the_count_and_no_password_is_stored(tmp_path, clock):
    home = Home(tmp_path)
    for _ in range(logins.MAX_FAILURES - 1):
        logins.record_failure(home, "adm")
        clock.now += 60
    logins.record_success(home, "adm")
    assert logins.record_failure(home, "adm").locked_seconds == 0
    stored = json.loads(logins.path(home).read_text(encoding="utf-8"))
    assert set(stored) == {"adm"} and set(stored["adm"]) <= {"failures", "locked_until"}


def test_old_entries_are_pruned_and_the_file_is_bounded(tmp_path, monkeypatch, clock):
    monkeypatch.setattr(logins, "MAX_TRACKED", 5)
    home = Home(tmp_path)
    for i in range(8):
        logins.record_failure(home, f"guess{i}")
        clock.now += 1
    stored = json.loads(logins.path(home).read_text(encoding="utf-8"))
    assert sorted(stored) == [f"guess{i}" for i in range(3, 8)]  # the most recent ones
    clock.now += logins.WINDOW_SECONDS + 1
    logins.record_failure(home, "late")
    assert list(json.loads(logins.path(home).read_text(encoding="utf-8"))) == ["late"]


def test_a_damaged_file_starts_a_new_count(tmp_path, clock):
    """A truncated or hand-edited file must not crash the login form; it starts a new count."""
    home = Home(tmp_path)
    logins.path(home).parent.mkdir(parents=True, exist_ok=True)
    logins.path(home).write_text("{not json", encoding="utf-8")
    assert logins.gate(home, "adm") == logins.Gate(0, 0)
    assert logins.record_failure(home, "adm").wait_seconds > 0
