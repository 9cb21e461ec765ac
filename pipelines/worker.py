"""Run an ingest in a child process with a memory cap, never inside the web server.

A hostile or merely huge upload can need gigabytes while it is read and validated; in the
server's own process that would starve every other user (or get the server killed). The child
gets an address-space limit and a time limit; if it dies, nothing was published (the publication
order guarantees that) and the caller gets a Chinese explanation instead of a crash.

``python -m pipelines.worker REQUEST.json`` is the child's entry point; :func:`ingest_isolated`
is what the upload page calls.
"""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

from pipelines.home import Home
from pipelines.report import InputError, Issue

# The child's address-space cap, set once its libraries are loaded. DuckDB, numpy and the reader
# need ~1.5 GB of address space for a county batch; the reader's cell budget keeps the largest
# accepted workbook well under the default.
DEFAULT_MEMORY_GB = float(os.environ.get("SHIJI_INGEST_MEMORY_GB", "6"))
DEFAULT_TIMEOUT_S = int(os.environ.get("SHIJI_INGEST_TIMEOUT_S", "1800"))


def ingest_isolated(path: Path, home: Home, replace: tuple[str, ...] = (), start_over: bool = False,
                    memory_gb: float | None = None, timeout_s: int | None = None):
    """:func:`pipelines.ingest.ingest` in a capped child process; returns its Outcome.

    Raises :class:`InputError` (a Chinese message) when the child ran out of memory or time,
    and ``LockedError`` when another ingest holds the data home."""
    from pipelines.ingest import Outcome

    memory_gb = memory_gb or DEFAULT_MEMORY_GB
    timeout_s = timeout_s or DEFAULT_TIMEOUT_S
    request = {"path": str(path), "home": str(home.root), "replace": list(replace), "start_over": start_over,
               "memory_bytes": int(memory_gb * 2**30)}
    try:
        # No preexec_fn: the server is multi-threaded, so the child sets its own limit first thing.
        done = subprocess.run([sys.executable, "-m", "pipelines.worker", json.dumps(request)],
                              capture_output=True, text=True, timeout=timeout_s,
                              cwd=Path(__file__).resolve().parents[1])
    except subprocess.TimeoutExpired:
        raise InputError(f"导入超过 {timeout_s // 60} 分钟仍未完成,已中止;当前版本保持不变。请拆分批次后重试。") from None
    reply = _last_json(done.stdout) or {}
    out_of_memory = reply.get("error", [""])[0] == "MemoryError" or done.returncode in (-9, 137)
    if out_of_memory or "MemoryError" in done.stderr:
        raise InputError(f"导入所需内存超过 {memory_gb:g} GB 的上限,已中止;当前版本保持不变。"
                         "请拆分批次(例如按表或按年份)后重试。")
    if not reply or done.returncode != 0:
        raise RuntimeError(f"导入进程异常退出(代码 {done.returncode}): {done.stderr.strip()[-500:]}")
    if reply.get("error"):
        kind, message = reply["error"]
        if kind == "LockedError":
            from pipelines.home import LockedError

            raise LockedError(message)
        raise InputError(message)
    reply["issues"] = [Issue(**i) for i in reply["issues"]]
    reply["report"] = Path(reply["report"]) if reply["report"] else None
    return Outcome(**reply)


def _last_json(stdout: str) -> dict | None:
    lines = [line for line in stdout.splitlines() if line.startswith("{")]
    return json.loads(lines[-1]) if lines else None


def main(argv: list[str]) -> int:
    import duckdb

    from pipelines.home import LockedError
    from pipelines.ingest import ingest

    request = json.loads(argv[0])
    cap = request["memory_bytes"]
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))  # the libraries are loaded; the work is capped
    try:
        outcome = ingest(Path(request["path"]), Home(Path(request["home"])), replace=tuple(request["replace"]),
                         start_over=request["start_over"])
    except (LockedError, InputError, PermissionError) as e:
        print(json.dumps({"error": [type(e).__name__, str(e)]}, ensure_ascii=False))
        return 0
    except (MemoryError, duckdb.OutOfMemoryException):
        print('{"error": ["MemoryError", ""]}')
        return 3
    reply = asdict(outcome)
    reply["report"] = str(outcome.report) if outcome.report else None
    print(json.dumps(reply, ensure_ascii=False, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
