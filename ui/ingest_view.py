"""The upload on 数据管理 as a job a person can leave and come back to: each stage (读取 → 校验 →
构建 → 模型 → 发布) with a progress bar and the elapsed time, then the outcome."""
from __future__ import annotations

import datetime as dt
import hashlib
import shutil
from pathlib import Path

import pandas as pd
import streamlit as st

from pipelines import audit
from pipelines.contract import TABLES
from pipelines.export import safe_frame
from pipelines.home import Home, LockedError
from pipelines.progress import STAGES
from pipelines.report import REPORT_HEADER, InputError, sort_issues
from pipelines.worker import DEFAULT_MEMORY_GB, DEFAULT_TIMEOUT_S, Job, find_job, start_ingest
from ui import format as fmt

KEEP_JOBS = 5  # older job folders (their copies of the uploads) are removed when a new one starts
SESSION_KEY = "ingest_job"


def _jobs(home: Home) -> Path:
    return home.state / "jobs"


def latest_job(home: Home) -> Job | None:
    folders = sorted(p for p in _jobs(home).glob("*") if p.is_dir()) if _jobs(home).exists() else []
    return find_job(folders[-1]) if folders else None


def start(home: Home, uploads, replace: tuple[str, ...], start_over: bool, scope) -> Job:
    """Copy the uploads into a new job folder, record them in the audit log and start the child."""
    jobs = _jobs(home)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    folder = jobs / stamp
    batch = folder / "batch"
    batch.mkdir(parents=True)
    for f in uploads:
        (batch / Path(f.name).name).write_bytes(f.getvalue())
        audit.append(home, scope.identity, scope.role, "upload", page="data", filters={"file": f.name},
                     file_hash=hashlib.sha256(f.getvalue()).hexdigest())
    single = len(uploads) == 1 and uploads[0].name.lower().endswith((".xlsx", ".xlsm"))
    path = batch / Path(uploads[0].name).name if single else batch
    for old in sorted(p for p in jobs.glob("*") if p.is_dir())[:-KEEP_JOBS]:
        shutil.rmtree(old, ignore_errors=True)
    job = start_ingest(path, home, folder, replace=replace, start_over=start_over)
    st.session_state[SESSION_KEY] = job.id
    return job


def _stage_rows(events: list[dict], now: dt.datetime) -> pd.DataFrame:
    """One row per stage: done (with its time), running, or waiting."""
    starts: dict[str, dt.datetime] = {}
    for e in events:
        starts.setdefault(e["stage"], dt.datetime.fromisoformat(e["at"]))
    current = events[-1]["stage"] if events else None
    rows = []
    for i, stage in enumerate(STAGES):
        later = [starts[s] for s in STAGES[i + 1:] if s in starts]
        details = [e["detail"] for e in events if e["stage"] == stage and e["detail"]]
        if stage == current:
            state = f"进行中(已用 {(now - starts[stage]).total_seconds():.0f} 秒)"
        elif stage in starts and later:
            state = f"已完成(用时 {(later[0] - starts[stage]).total_seconds():.0f} 秒)"
        else:
            state = "等待中"
        rows.append((stage, state, details[-1] if details else ""))
    return pd.DataFrame(rows, columns=["阶段", "状态", "当前步骤"])


def show_running(job: Job) -> None:
    """The live panel (refreshed every second) until the job ends, then the whole page reruns."""

    @st.fragment(run_every=1.0)
    def panel():
        if job.finished():
            st.rerun(scope="app")
        events = job.events()
        current = events[-1] if events else {"stage": "读取", "detail": "", "elapsed_s": 0}
        started, now = dt.datetime.strptime(job.id[:15], "%Y%m%d-%H%M%S"), dt.datetime.now()
        elapsed = (now - started).total_seconds()
        st.progress(STAGES.index(current["stage"]) / len(STAGES),
                    text=f"正在导入:{current['stage']}{' · ' + current['detail'] if current['detail'] else ''}"
                         f"(已用 {elapsed:.0f} 秒)")
        st.dataframe(_stage_rows(events, now), hide_index=True, width="stretch")
        st.caption(f"导入在后台进行,可以离开本页,回来时进度仍在这里;开始于 {started:%H:%M:%S}。"
                   "完成前,页面显示的仍是当前版本。")

    panel()


def show_outcome(job: Job) -> None:
    """What the finished job did: published, unchanged, rejected (with the report) or failed."""
    try:
        outcome = job.outcome(DEFAULT_MEMORY_GB, DEFAULT_TIMEOUT_S)
    except (LockedError, InputError) as e:
        st.error(fmt.md(str(e)))  # may quote an uploaded file's name
        return
    except RuntimeError as e:
        st.error(f"导入未能完成,当前版本保持不变。{fmt.md(str(e))}")
        return
    for notice in outcome.notices:
        st.caption(f"提示:{fmt.md(notice)}")  # names files, sheets and columns of the upload
    if outcome.status == "rejected":
        st.error(f"数据校验未通过:共 {len(outcome.issues)} 个问题,本批次未发布,当前版本保持不变。")
        report = pd.DataFrame([[i.source, i.row, i.column, i.rule, i.value, i.message]
                               for i in sort_issues(outcome.issues)], columns=REPORT_HEADER)
        st.dataframe(report, hide_index=True, width="stretch")
        st.download_button("下载校验报告 CSV", safe_frame(report).to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig"),
                           file_name="校验报告.csv", mime="text/csv")
    elif outcome.status == "unchanged":
        st.info(f"这些文件都已导入过,没有变化(当前版本 {outcome.version})。")
    else:
        events = job.events()  # the job's file, read once
        took = events[-1]["elapsed_s"] if events else None
        st.success(f"已发布版本 {outcome.version}" + (f"(用时 {took:.0f} 秒)" if took is not None else "") + ":" +
                   "、".join(f"{TABLES[k].zh} {n} 行" for k, n in outcome.rows.items() if n))
        if st.session_state.get("_ingest_cleared") != job.id:  # pages read the new version from now on
            st.session_state["_ingest_cleared"] = job.id
            st.cache_data.clear()


def show_last(home: Home) -> None:
    """The latest job: live while it runs (whoever started it), its outcome for the session that
    started it."""
    job = latest_job(home)
    if job is None:
        return
    if not job.finished():
        show_running(job)
    elif st.session_state.get(SESSION_KEY) == job.id:
        show_outcome(job)
