"""The data home: warehouse versions, the archive, the CURRENT pointer and the writer lock.

Layout (all under one folder, ``--home`` / ``SHIJI_HOME`` / ``data/``)::

    CURRENT                      JSON pointer to the published version (replaced atomically)
    warehouse/v000007.duckdb     complete versions, never modified after publishing
    warehouse/v000007.public.duckdb  aggregates-only twin for the big screen
    warehouse/*.building         a version being built (never current; removed on next start)
    archive/ab/ab12….csv         every accepted file, content-addressed by SHA-256
    reports/                     validation reports of rejected batches
    state/                       user-generated state (flag marks, audit log): survives rebuilds
    state/demo_files.json        SHA-256 of every file the demo generator wrote for this home
    state/received               written when a batch that is not the demo first arrives:
                                 from then on the home is the user's and never gets the demo
"""
from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import os
import re
import shutil
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
VERSION_RE = re.compile(r"^v(\d{6})\.duckdb$")
KEEP_VERSIONS = 10


class LockedError(RuntimeError):
    """Another process is writing to this data home."""


def default_home() -> Path:
    return Path(os.environ.get("SHIJI_HOME") or PROJECT_ROOT / "data")


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_file(path: Path) -> None:
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def atomic_write_text(path: Path, text: str) -> None:
    """Write, fsync, rename over the target, fsync the folder: readers see old or new, never half."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


class Home:
    def __init__(self, root: Path | str | None = None):
        self.root = Path(root) if root else default_home()
        self.warehouse = self.root / "warehouse"
        self.archive = self.root / "archive"
        self.reports = self.root / "reports"
        self.state = self.root / "state"
        self.pointer = self.root / "CURRENT"

    def ensure(self) -> "Home":
        for d in (self.root, self.warehouse, self.archive, self.reports, self.state):
            d.mkdir(parents=True, exist_ok=True)
        return self

    # --- pointer -----------------------------------------------------------------------------
    def current(self) -> dict | None:
        """The published version record, or None when nothing has been published."""
        try:
            record = json.loads(self.pointer.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        record["path"] = self.warehouse / record["file"]
        return record

    def current_path(self) -> Path | None:
        rec = self.current()
        return rec["path"] if rec else None

    def publish(self, version: str, **info) -> None:
        record = {"version": version, "file": f"{version}.duckdb",
                  "published_at": dt.datetime.now().isoformat(timespec="seconds"), **info}
        atomic_write_text(self.pointer, json.dumps(record, ensure_ascii=False, indent=1))

    # --- versions ------------------------------------------------------------------------------
    def versions(self) -> list[str]:
        if not self.warehouse.exists():
            return []
        return sorted(p.name[:-7] for p in self.warehouse.iterdir() if VERSION_RE.match(p.name))

    def version_path(self, version: str) -> Path:
        return self.warehouse / f"{version}.duckdb"

    def public_path(self, version: str) -> Path:
        return self.warehouse / f"{version}.public.duckdb"

    def next_version(self) -> str:
        numbers = [int(v[1:]) for v in self.versions()]
        numbers += [int(p.name[1:7]) for p in self.warehouse.glob("v??????.*") if p.name[1:7].isdigit()]
        return f"v{max(numbers, default=0) + 1:06d}"

    def building_path(self, version: str) -> Path:
        return self.warehouse / f"{version}.duckdb.building"

    def clean_partial(self) -> None:
        """Remove what a killed build left behind; such files were never current."""
        for p in self.warehouse.glob("*.building*"):
            p.unlink(missing_ok=True)
        for p in self.warehouse.glob("v??????.public.duckdb"):  # its version never got its final name
            if not self.version_path(p.name[:7]).exists():
                p.unlink(missing_ok=True)
        for p in self.root.glob(".CURRENT.*.tmp"):
            p.unlink(missing_ok=True)

    def prune(self, keep: int = KEEP_VERSIONS) -> None:
        """Keep the newest ``keep`` versions and the current one."""
        current = (self.current() or {}).get("version")
        for v in self.versions()[:-keep]:
            if v != current:
                self.version_path(v).unlink(missing_ok=True)
                self.public_path(v).unlink(missing_ok=True)

    # --- archive -------------------------------------------------------------------------------
    def archive_path(self, sha: str, suffix: str) -> Path:
        return self.archive / sha[:2] / f"{sha}{suffix.lower()}"

    def archive_file(self, src: Path, sha: str) -> Path:
        dest = self.archive_path(sha, src.suffix)
        if not dest.exists():
            dest.parent.mkdir(parents=True, exist_ok=True)
            tmp = dest.with_name(dest.name + ".tmp")
            shutil.copyfile(src, tmp)
            fsync_file(tmp)
            os.replace(tmp, dest)
            fsync_dir(dest.parent)
        return dest

    # --- provenance ----------------------------------------------------------------------------
    @property
    def _demo_registry(self) -> Path:
        return self.state / "demo_files.json"

    def register_demo(self, folder: Path) -> None:
        """Record the files the demo generator just wrote (what ``ingest`` later calls demo)."""
        self.ensure()
        known = self.demo_hashes()
        known |= {sha256_file(p) for p in Path(folder).iterdir() if p.is_file()}
        atomic_write_text(self._demo_registry, json.dumps(sorted(known)))

    def demo_hashes(self) -> set[str]:
        try:
            return set(json.loads(self._demo_registry.read_text(encoding="utf-8")))
        except FileNotFoundError:
            return set()

    def mark_received(self) -> None:
        self.ensure()
        marker = self.state / "received"
        if not marker.exists():
            atomic_write_text(marker, dt.datetime.now().isoformat(timespec="seconds"))

    def has_received(self) -> bool:
        """True once any batch other than the demo has been offered to this home (even one that
        was rejected or whose build crashed): such a home never gets the demo."""
        return (self.state / "received").exists()

    # --- single writer -------------------------------------------------------------------------
    @contextlib.contextmanager
    def writer_lock(self):
        self.ensure()
        fh = open(self.root / ".lock", "w")
        try:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise LockedError(f"另一个导入/重建进程正在写入 {self.root},请稍后再试") from None
            yield self
        finally:
            fh.close()
