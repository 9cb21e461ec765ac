"""The 考察准备 page's content (pages/briefing.py keeps the widgets and the layout): the 定向考察
list, the briefing's sections and the on-site check against one of its flags."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from pipelines.briefing import SECTION_TITLES, Briefing
from ui import desk_queries as q
from ui import format as fmt
from ui.briefing import target_reasons
from ui.check_form import check_form
from ui.queries import Scope


def targets_table(scope: Scope, targets: pd.DataFrame) -> pd.DataFrame:
    """The top 20 of the 定向考察 list in Chinese, reasons naming tasks by title."""
    shown = targets.head(20)[["rank", "level", "unit_name", "cadre_name", "score", "reasons"]].rename(columns={
        "rank": "排名", "level": "类型", "unit_name": "单位", "cadre_name": "干部", "score": "得分", "reasons": "理由"})
    shown["类型"] = shown["类型"].map({"unit": "单位", "cadre": "干部"})
    shown["单位"] = shown["单位"].map(fmt.text)
    shown["干部"] = shown["干部"].map(fmt.text)
    shown["理由"] = target_reasons(scope, shown["理由"]) if len(shown) else shown["理由"]
    shown["得分"] = shown["得分"].map(lambda v: fmt.number(v, 1))
    return shown


def top_of(targets: pd.DataFrame, n: int = 3) -> tuple[list[str], list[str]]:
    """The units and cadres among the first ``n`` of the 定向考察 list."""
    top = targets.head(n)
    return (sorted(set(top.loc[top["level"] == "unit", "unit_id"])),
            sorted(set(top.loc[top["level"] == "cadre", "cadre_id"])))


def sections(b: Briefing) -> None:
    for key, frame in b.sections.items():
        st.markdown(f"#### {SECTION_TITLES[key]}")
        if key == "written_off":
            st.caption("已标记为误报或已说明的线索,不列入上面的预警和问题,仅供备查。")
        if frame.empty:
            st.caption("无")
        else:
            st.dataframe(fmt.cells(frame), hide_index=True, width="stretch")


def check_section(scope: Scope, home, b: Briefing) -> None:
    """On site: the team records what it found against one of the briefing's live flags."""
    st.markdown("#### 录入核验记录")
    saved = st.session_state.pop("brief_check_saved", None)
    if saved:
        st.success(saved)
    live = q.flags(scope)
    live = live[live["flag_id"].isin(b.flag_ids)]
    if live.empty:
        st.caption("本简报没有待核查的预警线索;已核销的线索见上面的附录。")
        return
    labels = {r.flag_id: " · ".join(fmt.text(v) for v in (r.severity, r.rule, r.subject, r.unit_name))
              for r in live.itertuples()}
    picked = st.selectbox("核验的线索", list(labels), format_func=labels.get, index=None,
                          placeholder="选择一条预警线索,录入现场核验结论")
    if picked:
        round_ = st.session_state.get("brief_check_round", 0)
        saved = check_form(home, scope.identity, live.set_index("flag_id").loc[picked].to_dict() | {"flag_id": picked},
                           f"brief_check_{round_}")
        if saved:
            st.session_state["brief_check_saved"] = saved
            st.session_state["brief_check_round"] = round_ + 1
            st.rerun()
