"""Uploads ingest in a capped child process: same outcome as in-process, and a child that runs
out of memory changes nothing and is explained in Chinese."""
from __future__ import annotations

import pytest

from pipelines.home import LockedError
from pipelines.report import InputError
from pipelines.worker import ingest_isolated
from tests.conftest import snapshot, write_csv


def test_a_valid_batch_publishes_like_the_cli(home, valid_batch):
    outcome = ingest_isolated(valid_batch, home)
    assert outcome.status == "published" and outcome.version == home.current()["version"]
    assert outcome.rows["units"] > 0 and outcome.issues == []


def test_a_rejected_batch_brings_its_issues_back(home, tmp_path):
    write_csv(tmp_path / "b" / "units.csv", ["unit_id", "name", "unit_type"], [["U01", "城关", "星球"]])
    outcome = ingest_isolated(tmp_path / "b", home)
    assert outcome.status == "rejected" and home.current() is None
    assert [(i.source, i.row, i.column) for i in outcome.issues] == [("units.csv", 2, "unit_type")]
    assert outcome.report is not None and outcome.report.exists()


def test_running_out_of_memory_changes_nothing(published_home, valid_batch):
    before = snapshot(published_home)
    with pytest.raises(InputError, match="内存超过 0.05 GB"):
        ingest_isolated(valid_batch, published_home, start_over=True, memory_gb=0.05)
    assert snapshot(published_home) == before


def test_a_held_lock_is_reported_as_such(published_home, valid_batch):
    with published_home.writer_lock():
        with pytest.raises(LockedError):
            ingest_isolated(valid_batch, published_home)


def test_the_readme_states_the_cap():
    from pathlib import Path

    from pipelines.worker import DEFAULT_MEMORY_GB

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8").replace("\n", " ")
    assert f"capped at {DEFAULT_MEMORY_GB:g} GB (`SHIJI_INGEST_MEMORY_GB`)" in readme
