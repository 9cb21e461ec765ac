"""城市大脑大屏: full-screen, dark, auto-refreshing; reads only the public aggregates file.

URL: /screen (all panels), /screen?rotate=20s (carousel of panels), /screen?panel=ranking (one panel).
Esc or the corner button leads to 数据概况 for roles that have it (a wall account has no other page).
"""
import streamlit as st

from ui.auth import visible_pages
from ui.data import current_home
from ui.screen import render_screen
from ui.session import current_scope

st.set_page_config(page_title="实绩 · 城市大脑大屏", layout="wide", initial_sidebar_state="collapsed")
scope = current_scope("screen")
render_screen(current_home(), st.query_params, exit_to="home" if visible_pages(scope, ["home"]) else None)
