"""方法说明: the indicator dictionary, formulas and thresholds, rendered from the YAML in use
(data/reference/*.yaml, or $SHIJI_REFERENCE_DIR) and the dictionary of the current version.
Widgets and layout only: each tab is drawn by ui.methods_page."""
import streamlit as st

from ui import methods_page as mp
from ui.session import current_scope

scope = current_scope("methods")
st.title("方法说明")
# the folder is named by its place in the program, never by the server's absolute path
st.caption("本页内容直接读取正在使用的配置文件(程序目录下 data/reference 中的 YAML 文件,见“配置原文”)和当前数据版本的指标字典。"
           "修改配置后,需重新构建数据版本(python -m pipelines rebuild),各页结果才随之更新。")

weights, cards, ratings = mp.ref("weights"), mp.ref("cards"), mp.ref("ratings")
attribution, quadrants = mp.ref("attribution"), mp.ref("quadrants")

tabs = st.tabs(mp.TABS)
with tabs[0]:
    mp.dictionary_tab(scope, weights)
with tabs[1]:
    mp.scoring_tab(weights)
with tabs[2]:
    mp.totals_tab(scope, weights)
with tabs[3]:
    mp.cards_tab(cards)
with tabs[4]:
    mp.ratings_tab(ratings)
with tabs[5]:
    mp.attribution_tab(scope, attribution)
with tabs[6]:
    mp.quadrants_tab(quadrants, weights)
with tabs[7]:
    mp.yaml_tab()
