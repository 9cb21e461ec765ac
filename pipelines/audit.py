"""Append-only, hash-chained audit log outside the warehouse (``<home>/state/audit.jsonl``).

Each line is a JSON record with the SHA-256 of the previous line's hash and its own content,
so editing, removing or reordering any line breaks the chain from that line on.
"""
from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import os

from pipelines.home import Home

GENESIS = "0" * 64
FIELDS = ("time", "identity", "role", "action", "page", "filters", "rows", "file_hash")


def _digest(prev: str, body: dict) -> str:
    payload = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256((prev + payload).encode("utf-8")).hexdigest()


def log_path(home: Home):
    return home.state / "audit.jsonl"


def append(home: Home, identity: str, role: str, action: str, page: str = "", filters: dict | None = None,
           rows: int | None = None, file_hash: str | None = None) -> dict:
    """Append one record (view of a cadre, export, upload …) under an exclusive file lock."""
    home.state.mkdir(parents=True, exist_ok=True)
    body = {"time": dt.datetime.now().isoformat(timespec="seconds"), "identity": identity, "role": role,
            "action": action, "page": page, "filters": filters or {}, "rows": rows, "file_hash": file_hash}
    with open(log_path(home), "a+", encoding="utf-8") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        fh.seek(0)
        last = None
        for line in fh:
            if line.strip():
                last = line
        prev = json.loads(last)["hash"] if last else GENESIS
        record = {**body, "prev": prev, "hash": _digest(prev, body)}
        fh.seek(0, os.SEEK_END)
        fh.write(json.dumps(record, ensure_ascii=False) + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    return record


def verify(home: Home) -> tuple[bool, int, str]:
    """(ok, number of records checked, message). The first broken line is named."""
    path = log_path(home)
    if not path.exists():
        return True, 0, "审计日志为空"
    prev = GENESIS
    n = 0
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                return False, n, f"第{number}行不是有效记录"
            body = {k: record.get(k) for k in FIELDS}
            if record.get("prev") != prev or record.get("hash") != _digest(prev, body):
                return False, n, f"第{number}行被篡改或顺序被改变(哈希链断开)"
            prev = record["hash"]
            n += 1
    return True, n, f"审计日志完整:{n} 条记录,哈希链无断点"
