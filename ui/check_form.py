"""The 核验记录 form, shared by the desk (异常预警) and the briefing page (考察准备).

A saved check goes to the state store (never into a published version) and starts a background
rebuild, so the 定向考察 list, the briefing, rule precision, cards and scores follow within a
build's time; the desk shows the conclusion at once.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from pipelines import refresh
from pipelines.checks import CHECK_MARK
from pipelines.contract import CHECK_RESULTS
from pipelines.home import Home
from pipelines.state import add_check, read_checks, read_marks
from ui import format as fmt

FIGURE_RESULTS = {"task": "进度不实", "series": "成效不实"}
RESULT_HELP = ("属实:问题确实存在;已说明:有合理解释;误报:数据或规则误判;"
               "进度不实:实际进度与报送不符(可填核实进度);成效不实:报送数值与实际不符(可填核实值)")


def saved_entries(home: Home) -> pd.DataFrame:
    """Desk marks and app-entered checks of flags, oldest first (flag_id, status, result, marked_at)."""
    marks = read_marks(home)
    checks = read_checks(home)
    checks = checks[checks["flag_id"].notna()]
    return pd.concat([
        pd.DataFrame({"flag_id": marks["flag_id"], "status": marks["status"], "result": marks["status"],
                      "marked_at": marks["marked_at"]}),
        pd.DataFrame({"flag_id": checks["flag_id"], "status": checks["result"].map(CHECK_MARK),
                      "result": checks["result"], "marked_at": checks["entered_at"]}),
    ], ignore_index=True).sort_values("marked_at", kind="mergesort").reset_index(drop=True)


def latest_status(entries: pd.DataFrame) -> dict[str, tuple[str, str]]:
    """flag_id → (status, result) of the newest entry: what the desk shows at once, before the
    rebuild has carried it into the version."""
    return {f: (s, r) for f, s, r in zip(entries["flag_id"], entries["status"], entries["result"])}


def pending_caption(home: Home) -> None:
    """Say whether saved marks and checks are already in the version the page shows."""
    n = refresh.pending(home)
    if not n:
        return
    if refresh.running(home):
        st.info(f"有 {n} 条新保存的标记或核验记录正在计入新版本;重算完成后(通常一分钟内)刷新页面,"
                "定向考察名单、简报、准确率、亮牌和大屏随之更新。", icon=":material/sync:")
    else:
        st.warning(f"有 {n} 条标记或核验记录尚未计入当前版本(后台重算未在运行)。请管理员在数据管理页或用 "
                   "`python -m pipelines rebuild` 重建。", icon=":material/sync_problem:")


def _figure_input(flag: dict):
    """The verified figure field the flag's kind allows (progress % for a task, a value for a series)."""
    if flag.get("level") == "task":
        return "pct", st.number_input("核实进度(%)", min_value=0.0, max_value=100.0, value=None, step=1.0,
                                      help="仅「进度不实」时填写:现场核实的实际完成进度,替换最近一次报送的进度")
    if flag.get("level") == "series":
        period = fmt.text(flag.get("period_end"))
        return "value", st.number_input(f"核实值({period})", value=None, format="%.4g",
                                        help=f"仅「成效不实」时填写:现场核实的 {period} 实际数值,替换报送值")
    return None, None


def check_form(home: Home, identity: str, flag: dict, key: str) -> str | None:
    """Draw the form for one flag; on a valid submit save the check, start the rebuild and return
    a confirmation in Chinese (a refusal is shown in the form and nothing is saved)."""
    with st.form(key):  # a refused entry keeps what was typed; a saved one gets a fresh key
        st.markdown("**录入核验记录**")
        result = st.radio("核验结论", CHECK_RESULTS, horizontal=True, index=None, help=RESULT_HELP)
        kind, figure = _figure_input(flag)
        c1, c2 = st.columns([1, 2])
        today = dt.date.today()
        checked_at = c1.date_input("核验日期", value=today, max_value=today, format="YYYY-MM-DD")
        note = c2.text_input("说明(可选)", max_chars=200)
        submitted = st.form_submit_button("保存核验记录")
    if not submitted:
        return None
    if result is None:
        st.warning("请先选择核验结论,再保存。")
        return None
    if figure is not None and result != FIGURE_RESULTS.get(flag.get("level")):
        st.warning(f"只有「{FIGURE_RESULTS[flag['level']]}」可以填写核实数;请清空核实数或改选结论。")
        return None
    target = {"flag_id": flag["flag_id"], "task_id": flag.get("task_id")}
    if flag.get("level") == "series":
        target.update(unit_id=flag.get("unit_id"), indicator=flag.get("indicator"), period=flag.get("period_end"))
    try:
        check_id = add_check(home, target, result, checked_by=identity, note=note, checked_at=checked_at,
                             verified_pct=figure if kind == "pct" else None,
                             verified_value=figure if kind == "value" else None)
    except ValueError as err:
        st.warning(str(err))
        return None
    refresh.request(home)
    subject = flag.get("subject") or flag.get("rule") or flag["flag_id"]
    extra = f",核实数 {fmt.number(figure, 4)}" if figure is not None else ""
    return f"已保存核验记录 {check_id}:「{subject}」{result}{extra}。"
