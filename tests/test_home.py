"""The data home: pointer, versions, partial-build cleanup, pruning, archive, writer lock."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from pipelines.home import Home, LockedError, atomic_write_text, sha256_file
from tests.conftest import REPO


def touch(path, data=b"x"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_empty_home(home):
    assert home.current() is None and home.current_path() is None
    assert home.versions() == []
    assert home.next_version() == "v000001"


def test_default_home_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SHIJI_HOME", str(tmp_path / "h"))
    assert Home().root == tmp_path / "h"
    monkeypatch.delenv("SHIJI_HOME")
    assert Home().root == REPO / "data"


def test_versions_ignore_building_public_and_foreign_files(home):
    home.ensure()
    for name in ("v000001.duckdb", "v000003.duckdb", "v000003.public.duckdb", "v000004.duckdb.building",
                 "v000004.duckdb.building.wal", "v2.duckdb", "notes.txt", "v000010.duckdb.wal"):
        touch(home.warehouse / name)
    assert home.versions() == ["v000001", "v000003"]
    # a number used by a partial build or a WAL is never reused
    assert home.next_version() == "v000011"


def test_publish_and_current(home):
    home.ensure()
    touch(home.version_path("v000002"))
    home.publish("v000002", note="测试")
    rec = home.current()
    assert rec["version"] == "v000002" and rec["file"] == "v000002.duckdb" and rec["note"] == "测试"
    assert rec["path"] == home.warehouse / "v000002.duckdb"
    assert json.loads(home.pointer.read_text(encoding="utf-8"))["version"] == "v000002"
    assert not list(home.root.glob(".CURRENT.*"))  # the temporary file was renamed away


def test_atomic_write_replaces_whole(tmp_path):
    target = tmp_path / "CURRENT"
    atomic_write_text(target, "old")
    atomic_write_text(target, "new" * 1000)
    assert target.read_text() == "new" * 1000
    assert [p.name for p in tmp_path.iterdir()] == ["CURRENT"]


def test_clean_partial_removes_only_leftovers(home):
    home.ensure()
    keep = [touch(home.warehouse / "v000001.duckdb"), touch(home.warehouse / "v000001.public.duckdb")]
    gone = [touch(home.warehouse / "v000002.duckdb.building"), touch(home.warehouse / "v000002.duckdb.building.wal"),
            touch(home.root / ".CURRENT.1234.tmp")]
    home.publish("v000001")
    home.clean_partial()
    assert all(p.exists() for p in keep) and home.pointer.exists()
    assert not any(p.exists() for p in gone)


def test_prune_keeps_newest_and_current(home):
    home.ensure()
    for i in range(1, 15):
        touch(home.version_path(f"v{i:06d}"))
        touch(home.public_path(f"v{i:06d}"))
    home.publish("v000002")  # rolled back far
    home.prune(keep=10)
    assert home.versions() == ["v000002"] + [f"v{i:06d}" for i in range(5, 15)]
    assert not home.public_path("v000003").exists() and home.public_path("v000002").exists()


def test_archive_is_content_addressed_and_idempotent(home, tmp_path):
    home.ensure()
    src = touch(tmp_path / "单位.CSV", "unit_id,name\nU1,x\n".encode())
    sha = sha256_file(src)
    dest = home.archive_file(src, sha)
    assert dest == home.archive / sha[:2] / f"{sha}.csv"
    assert dest.read_bytes() == src.read_bytes()
    mtime = dest.stat().st_mtime_ns
    assert home.archive_file(src, sha) == dest and dest.stat().st_mtime_ns == mtime
    assert not list(home.archive.rglob("*.tmp"))


def test_writer_lock_is_exclusive_across_processes(home):
    script = textwrap.dedent(f"""
        import sys, time
        from pipelines.home import Home
        with Home({str(home.root)!r}).writer_lock():
            print("locked", flush=True)
            sys.stdin.readline()
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "locked"
        with pytest.raises(LockedError):
            with home.writer_lock():
                pass
    finally:
        proc.stdin.close()
        proc.wait(timeout=30)
    with home.writer_lock():  # released when the holder exits
        pass


def test_lock_is_released_when_the_holder_is_killed(home):
    script = f"from pipelines.home import Home\nimport time\nwith Home({str(home.root)!r}).writer_lock():\n print('locked', flush=True)\n time.sleep(60)\n"
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=REPO, stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    proc.kill()
    proc.wait(timeout=30)
    with home.writer_lock():
        pass


def test_sha256_file(tmp_path):
    p = touch(tmp_path / "a", b"abc")
    assert sha256_file(p) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert os.path.getsize(p) == 3
