"""Ingest, rebuild and rollback: the only operations that change what users see.

ingest: read → coerce → validate (every error at once) against published data → archive →
build a new version → publish. Any error: nothing archived, nothing built, exit 2.
"""
from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from models.dictionary import indicator_dictionary
from pipelines import build, validate
from pipelines.coerce import coerce
from pipelines.home import Home, sha256_file
from pipelines.progress import SILENT, Progress
from pipelines.public import build_public
from pipelines.readers import SUPPORTED_SUFFIXES, read_batch
from pipelines.report import InputError, Issue, sort_issues, write_report_csv

PARSE_RULES = {"非数值", "非整数", "期间格式", "日期格式", "是否格式", "评分格式"}


@dataclass
class Outcome:
    status: str  # published | unchanged | rejected
    version: str | None = None
    issues: list[Issue] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    report: Path | None = None
    rows: dict[str, int] = field(default_factory=dict)


def batch_files(path: Path) -> list[Path]:
    path = Path(path)
    if path.is_dir():
        return sorted(p for p in path.iterdir()
                      if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES | {".xlsm", ".geojson"}
                      and not p.name.startswith((".", "~$")))
    return [path] if path.is_file() else []


def parse_batch(path: Path, state: dict[str, pd.DataFrame], today: dt.date, replace: tuple[str, ...] = (),
                progress: Progress = SILENT):
    """Read and check a batch against ``state``; the ``replace`` tables are taken whole from the
    batch instead of merged by key. Returns (batch frames, merged state, issues, notices)."""
    progress.stage("读取")
    tables, issues, notices = read_batch(path)
    progress.stage("校验")
    missing = [t for t in replace if t not in {raw.table.name for raw in tables}]
    if missing:
        raise InputError(f"--replace 指定的表 {'、'.join(missing)} 不在本批次中:整表替换需要随批次提供该表的全部行")
    state = {name: (frame.iloc[0:0] if name in replace else frame) for name, frame in state.items()}
    frames: dict[str, pd.DataFrame] = {}
    for raw in tables:
        frame, errs = coerce(raw)
        frames[raw.table.name] = frame
        issues += errs
    indicators = pd.concat([state["indicators"], frames["indicators"]]) if "indicators" in frames else state["indicators"]
    dictionary = indicator_dictionary(indicators)
    if "indicator_values" in frames:
        frames["indicator_values"], errs = validate.resolve_indicators(frames["indicator_values"], dictionary)
        issues += errs
    if "assignments" in frames:
        frames["assignments"], errs = validate.resolve_indicators(frames["assignments"], dictionary, "indicators")
        issues += errs
    for name, frame in frames.items():
        issues += validate.check_table(build.TABLES[name], frame)
    merged = build.upsert(state, frames, batch_seq=-1)
    issues += validate.check_batch(merged, dictionary, today, replaced=set(replace))
    return frames, merged, _drop_echoes(issues), notices, dictionary


def _drop_echoes(issues: list[Issue]) -> list[Issue]:
    """A cell that failed to parse is also empty afterwards: report it once, as the parse error."""
    parsed = {(i.source, i.row, i.column) for i in issues if i.rule in PARSE_RULES}
    return sort_issues([i for i in issues if not (i.rule == "必填为空" and (i.source, i.row, i.column) in parsed)])


def check_replace(replace: tuple[str, ...]) -> tuple[str, ...]:
    unknown = [t for t in replace if t not in build.TABLES]
    if unknown:
        raise InputError(f"--replace 中的表名 {'、'.join(unknown)} 不存在(可选: {', '.join(build.TABLES)})")
    return tuple(dict.fromkeys(replace))


def ingest(path: Path, home: Home, today: dt.date | None = None, steps=None, replace: tuple[str, ...] = (),
           start_over: bool = False, progress: Progress = SILENT) -> Outcome:
    """Validate and publish a batch. ``replace``: tables taken whole from the batch (to correct a
    key). ``start_over``: build from this batch alone, dropping the current data (the demo)."""
    today = today or dt.date.today()
    path = Path(path)
    replace = check_replace(tuple(replace))
    with home.writer_lock():
        home.clean_partial()
        files = batch_files(path)
        hashes = {f: sha256_file(f) for f in files}
        demo = bool(files) and set(hashes.values()) <= home.demo_hashes()
        if not demo:
            home.mark_received()  # before anything can fail: this home is the user's from now on
        current = home.current()
        cur_path = current["path"] if current else None
        manifest = build.read_manifest(cur_path)
        if start_over:
            cur_path, manifest = None, {"batches": []}
        _refuse_mixing(manifest, demo)
        # A file is "already loaded" only if the latest accepted file of the same name had these
        # bytes: re-sending an older version of a file (to revert a change) must load again.
        latest = {f["name"]: f["sha256"] for b in manifest["batches"] for f in b["files"]}
        if files and all(latest.get(f.name) == h for f, h in hashes.items()):
            return Outcome("unchanged", current["version"] if current else None,
                           notices=["本批次的所有文件都已导入过,没有变化"])
        state = build.load_state(cur_path)
        frames, merged, issues, notices, dictionary = parse_batch(path, state, today, replace, progress)
        if issues:
            stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
            report = write_report_csv(issues, home.reports / f"rejected-{stamp}-{path.name}.csv")
            return Outcome("rejected", current["version"] if current else None, issues, notices, report)
        seq = max((b["seq"] for b in manifest["batches"]), default=0) + 1
        for frame in merged.values():
            frame.loc[frame["_new"].astype(bool), "_batch"] = seq
        entry = {"seq": seq, "accepted_at": dt.datetime.now().isoformat(timespec="seconds"),
                 "source": path.name, "files": []}
        for f, sha in hashes.items():
            home.archive_file(f, sha)
            entry["files"].append({"name": f.name, "sha256": sha, "suffix": f.suffix.lower()})
        entry["kind"] = "folder" if path.is_dir() else "file"
        entry["demo"] = demo  # by the files' hashes the generator recorded, not by a file in the batch
        entry["replace"] = list(replace)
        manifest["batches"].append(entry)
        version = _build_and_publish(home, merged, manifest, dictionary, steps, progress)
        return Outcome("published", version, notices=notices, rows={k: int(v["_new"].sum()) for k, v in merged.items()})


def _refuse_mixing(manifest: dict, demo: bool) -> None:
    """Demo people and real people never share a version."""
    batches = manifest["batches"]
    if not batches:
        return
    holds_demo = all(b.get("demo") for b in batches)
    if holds_demo and not demo:
        raise InputError("当前数据目录保存的是演示数据,真实数据不能与之合并。请选择重新开始:"
                         "命令行加 --start-over,或在“数据管理”页勾选“放弃演示数据,从本批次重新开始”"
                         "(演示版本仍保留,可回退)。")
    if demo and not holds_demo:
        raise InputError("这是演示数据批次,不能并入真实数据。如确需查看演示,请使用另一个数据目录(--home)。")


def _build_and_publish(home: Home, state, manifest, dictionary, steps, progress: Progress = SILENT) -> str:
    if steps is None:
        from pipelines.steps import default_steps
        steps = default_steps(home)
    version = home.next_version()
    # Order matters for a kill at any moment: the version gets its final name only after its
    # public file is complete, so an unfinished version is never listed or reachable by rollback.
    building = build.write_version(home, version, state, manifest, dictionary, steps, progress)
    progress.stage("发布")
    build_public(building, home.public_path(version))
    build.finalize_version(home, version)
    home.publish(version)
    home.prune()
    return version


def replay(home: Home, manifest: dict, today: dt.date, progress: Progress = SILENT):
    """The merged state rebuilt from archived files, batch by batch, in acceptance order."""
    state = build.load_state(None)
    dictionary = indicator_dictionary(None)
    for k, batch in enumerate(manifest["batches"], 1):
        progress.stage("读取", f"归档批次 {k}/{len(manifest['batches'])}")
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            for f in batch["files"]:
                shutil.copyfile(home.archive_path(f["sha256"], f["suffix"]), tmp / f["name"])
            source = tmp if batch.get("kind", "folder") == "folder" else tmp / batch["files"][0]["name"]
            _, merged, issues, _, dictionary = parse_batch(source, state, today, tuple(batch.get("replace", ())))
            if issues:
                return None, issues, dictionary
            for frame in merged.values():
                frame.loc[frame["_new"].astype(bool), "_batch"] = batch["seq"]
                frame["_new"] = False
            state = merged
    return state, [], dictionary


def rebuild(home: Home, today: dt.date | None = None, steps=None, progress: Progress = SILENT) -> Outcome:
    """Rebuild the current data from the archive into a new version (after a config change)."""
    today = today or dt.date.today()
    with home.writer_lock():
        home.clean_partial()
        current = home.current()
        if current is None:
            return Outcome("unchanged", None, notices=["尚无已发布的数据,无需重建"])
        manifest = build.read_manifest(current["path"])
        state, issues, dictionary = replay(home, manifest, today, progress)
        if issues:
            return Outcome("rejected", current["version"], issues)
        version = _build_and_publish(home, state, manifest, dictionary, steps, progress)
        return Outcome("published", version)


def rollback(home: Home, version: str | None = None) -> str:
    """Point CURRENT at an earlier complete version (default: the one before the current)."""
    with home.writer_lock():
        versions = home.versions()
        current = (home.current() or {}).get("version")
        if version is None:
            earlier = [v for v in versions if (current is None or v < current) and home.public_path(v).exists()]
            if not earlier:
                raise InputError("没有更早的版本可以回退")
            version = earlier[-1]
        if version not in versions:
            raise InputError(f"版本 {version} 不存在(现有版本: {', '.join(versions) or '无'})")
        if not home.public_path(version).exists():
            raise InputError(f"版本 {version} 不完整(缺少大屏公开文件),不能回退到该版本;可运行 rebuild 重建")
        home.publish(version, rolled_back_from=current)
        return version
