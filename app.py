"""Shiji 实绩: entry point. Page config, first-run data, identity → role → scope, navigation."""
from __future__ import annotations

import streamlit as st

from pipelines.build import built_by_older_code, is_demo
from ui.auth import resolve_scope, visible_pages
from ui.policy_check import require_valid_policy
from ui.data import current_home, ensure_published
from ui.session import set_scope
from ui.widgets_zh import inject as chinese_widget_text

st.set_page_config(page_title="实绩 · 干部实绩监测", page_icon=":material/insights:", layout="wide")
require_valid_policy()  # every reference file checked before any page reads one: all problems at once

chinese_widget_text()  # first, so even the first run's "Stop" reads Chinese
home = current_home()
# Until st.navigation runs below, Streamlit lists the pages/ folder's file names in the sidebar
# (home, screen, …): hidden while the first run builds the demo, then the real navigation shows.
file_list = st.empty()
file_list.markdown('<style>[data-testid="stSidebarNav"]{display:none}</style>', unsafe_allow_html=True)
with st.spinner("首次运行:正在生成并导入演示数据……"):
    published = ensure_published(home)
file_list.empty()
if published is None:
    # A home that received real data never gets the demo mixed in, even when nothing is published yet.
    st.error("数据目录已收到过数据批次,但还没有可用的版本(导入被拒绝或中途失败)。")
    st.markdown("请按校验报告修正后重新导入:`python -m pipelines ingest 批次路径`,"
                "导入结果与校验报告见命令输出和数据目录下的 reports 文件夹。")
    st.stop()

if built_by_older_code(home.current_path()):
    st.error("当前数据版本由旧版程序构建,表结构已更新。请由管理员运行 `python -m pipelines rebuild` 从归档重建后再打开。")
    st.stop()

scope = resolve_scope(home)
set_scope(scope)
# Streamlit's own "Download as CSV" on tables writes cells verbatim, so a delivered
# "=HYPERLINK(…)" would run when the file is opened in Excel: files leave only through the app's
# formula-escaped downloads and exports.
st.html('<style>[data-testid="stElementToolbar"] button[aria-label="Download as CSV"]'
        '{display:none !important}</style>')
if is_demo(home.current_path()):
    # A fixed badge, so every page (the big screen too) says it shows demo data.
    st.html('<div style="position:fixed;right:12px;bottom:10px;z-index:1000;padding:2px 10px;border-radius:4px;'
            'background:#b45309;color:#fff;font-size:14px;font-family:sans-serif">演示数据</div>')

# One entry per page script: (section, script, title, icon, url_path); url_path is the deep-link
# name (e.g. /cadre?cadre=C0001). Each role sees only its pages; its first page opens at "/".
PAGES = [
    ("概况", "pages/home.py", "数据概况", ":material/home:", "home"),
    ("大屏", "pages/screen.py", "城市大脑大屏", ":material/monitor:", "screen"),
    ("分析", "pages/quadrants.py", "实绩象限", ":material/scatter_plot:", "quadrants"),
    ("分析", "pages/cadre.py", "干部画像", ":material/badge:", "cadre"),
    ("分析", "pages/unit.py", "单位档案", ":material/domain:", "unit"),
    ("核查", "pages/anomalies.py", "异常预警", ":material/flag:", "anomalies"),
    ("核查", "pages/briefing.py", "考察准备", ":material/assignment:", "briefing"),
    ("管理", "pages/data.py", "数据管理", ":material/database:", "data"),
    ("说明", "pages/methods.py", "方法说明", ":material/menu_book:", "methods"),
]
allowed = visible_pages(scope, [p[4] for p in PAGES])
mine = [p for p in PAGES if p[4] in allowed]
navigation: dict[str, list] = {}
for i, (section, script, title, icon, url_path) in enumerate(mine):
    if i == 0:
        # Streamlit serves the default page only at "/": a hidden twin keeps its deep link working
        # (/screen?rotate=20s for the screen role, /home for the others).
        navigation.setdefault(section, []).append(st.Page(script, title=title, icon=icon, url_path="", default=True))
        navigation[section].append(st.Page(script, title=title, icon=icon, url_path=url_path, visibility="hidden"))
    else:
        navigation.setdefault(section, []).append(st.Page(script, title=title, icon=icon, url_path=url_path))
st.navigation(navigation).run()
