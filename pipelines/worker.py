"""Run an ingest in a child process with a memory cap, never inside the web server.

A hostile or merely huge upload can need gigabytes while it is read and validated; in the
server's own process that would starve every other user (or get the server killed). The child
gets an address-space limit and a time limit; if it dies, nothing was published (the publication
order guarantees that) and the caller gets a Chinese explanation instead of a crash.

``python -m pipelines.worker REQUEST.json`` is the child's entry point. The upload page calls
:func:`start_ingest`, which returns at once: the child writes its stages and its outcome into the
job's folder, so the page can be left and the run found again. :func:`ingest_isolated` waits.
"""
from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from pipelines.home import Home, atomic_write_text
from pipelines.progress import Progress, read_events
from pipelines.report import InputError, Issue

# The child's address-space cap, set once its libraries are loaded. DuckDB, numpy and the reader
# need ~1.5 GB of address space for a county batch; the reader's cell budget keeps the largest
# accepted workbook well under the default.
DEFAULT_MEMORY_GB = float(os.environ.get("SHIJI_INGEST_MEMORY_GB", "6"))
DEFAULT_TIMEOUT_S = int(os.environ.get("SHIJI_INGEST_TIMEOUT_S", "1800"))


@dataclass
class Job:
    """One ingest in a child process; its files live in ``folder`` (progress.jsonl, result.json,
    stderr.log), so the page that started it can be left and the run found again."""
    folder: Path
    process: subprocess.Popen | None = None

    @property
    def id(self) -> str:
        return self.folder.name

    def events(self) -> list[dict]:
        return read_events(self.folder / "progress.jsonl")

    def finished(self) -> bool:
        if (self.folder / "result.json").exists():
            return True
        if self.process is not None:
            return self.process.poll() is not None
        return not _alive(self.folder)

    def outcome(self, memory_gb: float, timeout_s: int):
        """The run's Outcome; raises like :func:`ingest_isolated` when it failed."""
        return _outcome(self.folder, self.process.returncode if self.process else None, memory_gb, timeout_s)


_RUNNING: dict[str, subprocess.Popen] = {}  # this server's children, so a finished one is reaped


def _alive(folder: Path) -> bool:
    """Whether a job this server did not start (it ran before a restart) is still running. Not our
    child, so it is never a zombie of ours: a signal 0 answers."""
    try:
        os.kill(int((folder / "pid").read_text()), 0)
    except (FileNotFoundError, ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True


def start_ingest(path: Path, home: Home, folder: Path, replace: tuple[str, ...] = (), start_over: bool = False,
                 memory_gb: float | None = None, timeout_s: int | None = None) -> Job:
    """Start :func:`pipelines.ingest.ingest` in a capped child process and return at once."""
    memory_gb = memory_gb or DEFAULT_MEMORY_GB
    timeout_s = timeout_s or DEFAULT_TIMEOUT_S
    folder.mkdir(parents=True, exist_ok=True)
    request = {"path": str(path), "home": str(home.root), "replace": list(replace), "start_over": start_over,
               "memory_bytes": int(memory_gb * 2**30), "timeout_s": timeout_s, "job": str(folder)}
    with open(folder / "stderr.log", "w") as err:
        # No preexec_fn: the server is multi-threaded, so the child sets its own limits first thing.
        process = subprocess.Popen([sys.executable, "-m", "pipelines.worker", json.dumps(request)],
                                   stdout=subprocess.DEVNULL, stderr=err, stdin=subprocess.DEVNULL,
                                   cwd=Path(__file__).resolve().parents[1], start_new_session=True)
    (folder / "pid").write_text(str(process.pid))
    _RUNNING[folder.name] = process
    return Job(folder, process)


def find_job(folder: Path) -> Job | None:
    """A job started earlier (by this server or before a restart), or None when there is none."""
    if not (folder / "pid").exists():
        return None
    return Job(folder, _RUNNING.get(folder.name))


def ingest_isolated(path: Path, home: Home, replace: tuple[str, ...] = (), start_over: bool = False,
                    memory_gb: float | None = None, timeout_s: int | None = None):
    """:func:`pipelines.ingest.ingest` in a capped child process, waited for; returns its Outcome.

    Raises :class:`InputError` (a Chinese message) when the child ran out of memory or time,
    and ``LockedError`` when another ingest holds the data home."""
    memory_gb = memory_gb or DEFAULT_MEMORY_GB
    timeout_s = timeout_s or DEFAULT_TIMEOUT_S
    with tempfile.TemporaryDirectory() as tmp:
        job = start_ingest(path, home, Path(tmp) / "job", replace, start_over, memory_gb, timeout_s)
        try:
            job.process.wait(timeout=timeout_s + 60)  # the child stops itself at timeout_s
        except subprocess.TimeoutExpired:
            job.process.kill()
            job.process.wait()
        _RUNNING.pop(job.id, None)
        return job.outcome(memory_gb, timeout_s)


def _outcome(folder: Path, returncode: int | None, memory_gb: float, timeout_s: int):
    from pipelines.ingest import Outcome

    try:
        reply = json.loads((folder / "result.json").read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        reply = {}
    stderr = (folder / "stderr.log").read_text(encoding="utf-8", errors="replace") if (folder / "stderr.log").exists() else ""
    kind = reply.get("error", [""])[0]
    if kind == "MemoryError" or returncode in (-9, 137) or "MemoryError" in stderr:
        raise InputError(f"导入所需内存超过 {memory_gb:g} GB 的上限,已中止;当前版本保持不变。"
                         "请拆分批次(例如按表或按年份)后重试。")
    if kind == "TimeoutError":
        raise InputError(f"导入超过 {timeout_s // 60} 分钟仍未完成,已中止;当前版本保持不变。请拆分批次后重试。")
    if not reply:
        raise RuntimeError(f"导入进程异常退出(代码 {returncode}): {stderr.strip()[-500:]}")
    if kind:
        message = reply["error"][1]
        if kind == "LockedError":
            from pipelines.home import LockedError

            raise LockedError(message)
        raise InputError(message)
    reply["issues"] = [Issue(**i) for i in reply["issues"]]
    reply["report"] = Path(reply["report"]) if reply["report"] else None
    return Outcome(**reply)


def main(argv: list[str]) -> int:
    import duckdb

    from pipelines.home import LockedError
    from pipelines.ingest import ingest

    request = json.loads(argv[0])
    job = Path(request["job"])
    cap = request["memory_bytes"]
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))  # the libraries are loaded; the work is capped

    def out_of_time(*_):
        raise TimeoutError

    signal.signal(signal.SIGALRM, out_of_time)
    signal.alarm(int(request["timeout_s"]))
    code, reply = 0, None
    try:
        outcome = ingest(Path(request["path"]), Home(Path(request["home"])), replace=tuple(request["replace"]),
                         start_over=request["start_over"], progress=Progress(job / "progress.jsonl"))
        reply = asdict(outcome)
        reply["report"] = str(outcome.report) if outcome.report else None
    except (LockedError, InputError, PermissionError) as e:
        reply = {"error": [type(e).__name__, str(e)]}
    except TimeoutError:
        reply = {"error": ["TimeoutError", ""]}
    except (MemoryError, duckdb.OutOfMemoryException):
        reply, code = {"error": ["MemoryError", ""]}, 3
    signal.alarm(0)
    atomic_write_text(job / "result.json", json.dumps(reply, ensure_ascii=False, default=str))
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
