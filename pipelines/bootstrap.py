"""First run: with no published data, build the demo batch into the data home and ingest it,
so a new user sees a working dashboard after one command."""
from __future__ import annotations

import time

from pipelines.home import Home, LockedError


def ensure_data(home: Home, seed: int = 7, wait_seconds: float = 120.0) -> str | None:
    """Return the current version, building the demo first into a home that has never received
    a batch. None for a home that received real data but has nothing published (a rejected or
    crashed first ingest): the user's folder never gets the demo mixed in."""
    current = home.current()
    if current is not None:
        return current["version"]
    if home.has_received():
        return None
    from pipelines.demo import write_demo
    from pipelines.ingest import ingest

    demo_dir = home.root / "demo"
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            write_demo(demo_dir, home, seed=seed)
            outcome = ingest(demo_dir, home)
            break
        except LockedError:
            # Another process (a second browser session, a CLI ingest) is building: wait for it.
            if time.monotonic() > deadline:
                raise
            time.sleep(1.0)
            if home.current() is not None:
                return home.current()["version"]
    if outcome.status == "rejected":
        raise RuntimeError("演示数据未通过校验:\n" + "\n".join(i.line() for i in outcome.issues[:20]))
    return home.current()["version"]
