"""Analytics steps run inside every build, after the SQL marts: each takes the writer connection
of the new version, reads marts, calls pure functions in ``models/`` and writes results back."""
from __future__ import annotations


def default_steps() -> list:
    return []
