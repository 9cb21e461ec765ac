"""The county demo, generated once per test session and ingested once through the real CLI."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def demo_batch(tmp_path_factory):
    """(batch folder, generator row counts) of the county demo, seed 7; tests must not write
    into the folder (the session's demo home is ingested from it)."""
    from pipelines.demo import generate

    batch = tmp_path_factory.mktemp("demo") / "batch"
    return batch, generate(batch, seed=7)


@pytest.fixture(scope="session")
def demo_world(demo_batch):
    """(batch folder, data home, generator row counts) of the county demo, seed 7."""
    from pipelines.home import Home

    batch, counts = demo_batch
    home = batch.parent / "home"
    Home(home).register_demo(batch)  # what write_demo records: the files are the demo's
    proc = subprocess.run([sys.executable, "-m", "pipelines", "ingest", str(batch), "--home", str(home)],
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return batch, home, counts
