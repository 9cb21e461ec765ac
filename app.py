"""Shiji 实绩: entry point. Page config, first-run data, navigation over pages/."""
from __future__ import annotations

import streamlit as st

from ui.data import current_home, ensure_published

st.set_page_config(page_title="实绩 · 干部实绩监测", page_icon="📊", layout="wide")

home = current_home()
with st.spinner("首次运行:正在生成并导入演示数据……"):
    ensure_published(home)

# One entry per page script; url_path is the deep-link name (e.g. /quadrants?cadre=C0001).
PAGES = {
    "概况": [
        st.Page("pages/home.py", title="数据概况", icon="🏠", default=True, url_path="home"),
    ],
}
st.navigation(PAGES).run()
