"""The county demo, generated and ingested once per test session through the real CLI."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def demo_world(tmp_path_factory):
    """(batch folder, data home, generator row counts) of the county demo, seed 7."""
    base = tmp_path_factory.mktemp("demo")
    batch, home = base / "batch", base / "home"
    from pipelines.demo import write_demo
    from pipelines.home import Home

    counts = write_demo(batch, Home(home), seed=7)
    proc = subprocess.run([sys.executable, "-m", "pipelines", "ingest", str(batch), "--home", str(home)],
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return batch, home, counts
