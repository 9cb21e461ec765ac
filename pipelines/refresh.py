"""Rebuild in the background after a mark or a 核验记录 is saved, so the 定向考察 list, the
briefing, rule precision and the big screen follow the desk within a build's time.

The web server only starts a detached child (``python -m pipelines.refresh HOME``) and returns.
One refresher runs per data home (a lock file); it rebuilds until the version has applied
everything in the state store, waiting while an ingest holds the writer lock. A request that
arrives while a refresher is busy is not lost: the refresher checks the store again after
releasing its lock, so the last entry is always built.
"""
from __future__ import annotations

import contextlib
import fcntl
import os
import subprocess
import sys
import time
from pathlib import Path

from pipelines.home import Home, LockedError

WAIT_FOR_WRITER_S = 30 * 60


def _lock_path(home: Home) -> Path:
    home.state.mkdir(parents=True, exist_ok=True)
    return home.state / "refresh.lock"


@contextlib.contextmanager
def _refresher_lock(home: Home):
    """Yields True when this process is the home's refresher, False when another one is."""
    fh = open(_lock_path(home), "w")
    try:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        fh.close()


def record_stamp(con, applied: dict[str, int]) -> None:
    """A build step: keep in the version how far into the state store its build read."""
    con.executemany("INSERT INTO meta.info VALUES (?, ?)", [(f"state_{k}", str(n)) for k, n in applied.items()])


def applied_stamp(home: Home) -> dict | None:
    """The state-store stamp the current version was built with (None: no version yet). It lives
    in the version itself, so a rollback brings back what that version had applied."""
    from pipelines.build import read_info

    current = home.current()
    if current is None:
        return None
    info = read_info(current["path"])
    return {k: int(info.get(f"state_{k}", 0) or 0) for k in ("marks", "checks")}


def pending(home: Home) -> int:
    """How many saved marks and checks the current version does not contain yet."""
    from pipelines.state import stamp

    applied = applied_stamp(home)
    if applied is None:
        return 0
    now = stamp(home)
    return sum(max(0, now[k] - int(applied.get(k, 0))) for k in now)


def running(home: Home) -> bool:
    with _refresher_lock(home) as mine:
        return not mine


def request(home: Home) -> bool:
    """Start a refresher unless the feature is off or nothing is pending; True when started."""
    # Tests set SHIJI_REFRESH=off: their homes are built on purpose, never behind their back.
    if os.environ.get("SHIJI_REFRESH", "on") == "off" or pending(home) == 0:
        return False
    log = open(home.state / "refresh.log", "a")
    subprocess.Popen([sys.executable, "-m", "pipelines.refresh", str(home.root)], stdout=log, stderr=log,
                     stdin=subprocess.DEVNULL, start_new_session=True, cwd=Path(__file__).resolve().parents[1],
                     env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    log.close()
    return True


def refresh(home: Home, wait_s: float = WAIT_FOR_WRITER_S, poll_s: float = 3.0) -> list[str]:
    """Rebuild until nothing is pending; returns the versions published (none when another
    refresher holds the lock: that one will build the entry)."""
    from pipelines.ingest import rebuild

    published = []
    while pending(home):
        with _refresher_lock(home) as mine:
            if not mine:
                return published
            deadline = time.monotonic() + wait_s
            while pending(home):
                try:
                    outcome = rebuild(home)
                except LockedError:  # an ingest is publishing; it may even apply the entries itself
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(poll_s)
                    continue
                if outcome.version is None or outcome.status != "published":
                    return published
                published.append(outcome.version)
        # the lock is released: an entry saved while it was held found it busy, so look again
    return published


if __name__ == "__main__":
    for version in refresh(Home(Path(sys.argv[1]))):
        print(f"已按新的标记/核验记录重建为版本 {version}", flush=True)
