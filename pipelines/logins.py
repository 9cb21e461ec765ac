"""Failed local logins, counted on disk in ``<home>/state/logins.json``.

The count lives on the server, not in the browser session: an attacker who opens a new session
for every guess still meets the growing wait and the lock. A file rather than process memory so
the count also holds across several Streamlit processes serving one data home and across a
restart. Only account names and times are stored, never a password.

After each failure the next attempt on that account must wait 1, 2, 4, 8 … seconds (at most
``MAX_WAIT_SECONDS``); ``MAX_FAILURES`` failures within ``WINDOW_SECONDS`` lock the account for
``LOCK_SECONDS``, whatever password is given. A success clears the account's count. To lift a
lock early, the administrator deletes the file.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import math
import time
from dataclasses import dataclass
from pathlib import Path

from pipelines.home import Home, atomic_write_text

MAX_FAILURES = 5
WINDOW_SECONDS = 15 * 60
LOCK_SECONDS = 15 * 60
MAX_WAIT_SECONDS = 30
# Every name typed into the form is counted (counting only real accounts would tell an attacker
# which names exist), so the file is bounded: the least recently failed names are dropped first.
MAX_TRACKED = 1000


@dataclass(frozen=True)
class Gate:
    """Whether an attempt on an account may be checked now: both zero means yes."""
    locked_seconds: int = 0
    wait_seconds: int = 0


def _clock() -> float:
    return time.time()


def path(home: Home) -> Path:
    return Path(home.state) / "logins.json"


@contextlib.contextmanager
def _locked(home: Home):
    """Exclusive access for read-modify-write across threads and processes."""
    path(home).parent.mkdir(parents=True, exist_ok=True)
    with open(path(home).with_suffix(".lock"), "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        yield


def _read(home: Home) -> dict:
    try:
        data = json.loads(path(home).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return {}  # a damaged file starts a new count rather than locking everyone out
    return data if isinstance(data, dict) else {}


def _recent(entry: dict, now: float) -> list[float]:
    return [t for t in entry.get("failures", []) if isinstance(t, (int, float)) and now - t < WINDOW_SECONDS]


def _wait_after(failures: int) -> int:
    return min(2 ** (failures - 1), MAX_WAIT_SECONDS) if failures else 0


def _gate(entry: dict, now: float) -> Gate:
    locked_until = entry.get("locked_until") or 0
    if locked_until > now:
        return Gate(locked_seconds=math.ceil(locked_until - now))
    recent = _recent(entry, now)
    if not recent:
        return Gate()
    ready = max(recent) + _wait_after(len(recent))
    return Gate(wait_seconds=math.ceil(ready - now)) if ready > now else Gate()


def _write(home: Home, data: dict, now: float) -> None:
    live = {}
    for name, entry in data.items():
        recent = _recent(entry, now)
        locked_until = entry.get("locked_until") or 0
        if recent or locked_until > now:
            live[name] = {"failures": recent, **({"locked_until": locked_until} if locked_until > now else {})}
    newest = sorted(live, key=lambda n: max(live[n]["failures"] or [live[n].get("locked_until", 0)]))
    live = {n: live[n] for n in newest[-MAX_TRACKED:]}
    atomic_write_text(path(home), json.dumps(live, ensure_ascii=False, sort_keys=True))


def gate(home: Home, identity: str) -> Gate:
    """May an attempt on ``identity`` be checked now?"""
    with _locked(home):
        return _gate(_read(home).get(identity, {}), _clock())


def record_failure(home: Home, identity: str) -> Gate:
    """Count a wrong password; the result says how long the account now waits or is locked."""
    now = _clock()
    with _locked(home):
        data = _read(home)
        entry = data.get(identity, {})
        recent = [*_recent(entry, now), now]
        entry = {"failures": recent}
        if len(recent) >= MAX_FAILURES:
            entry = {"failures": [], "locked_until": now + LOCK_SECONDS}
        data[identity] = entry
        _write(home, data, now)
        return _gate(entry, now)


def record_success(home: Home, identity: str) -> None:
    now = _clock()
    with _locked(home):
        data = _read(home)
        if data.pop(identity, None) is not None:
            _write(home, data, now)
