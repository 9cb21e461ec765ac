"""数据管理: upload a batch (validated exactly like the CLI), see versions, roll back."""
from pathlib import Path

import pandas as pd
import streamlit as st

from ui import format as fmt
from ui.auth import exposure_warning, load_access
from ui.data import current_home, holds_demo, roll_back, table_names, versions as version_list
from ui.ingest_view import latest_job, show_last, start
from ui.session import current_scope

scope = current_scope("data")
TABLES = table_names()
home = current_home()
st.title("数据管理")
if warning := exposure_warning(load_access(home)):
    st.warning(warning, icon=":material/shield:")

st.subheader("导入数据批次")
st.caption("一个批次可以是多个 CSV/XLSX 文件(文件名即表名,中英文均可),或一个多工作表的 .xlsx 工作簿。"
           "任何错误都会整批拒绝,当前版本保持不变。")
uploads = st.file_uploader("选择文件", type=["csv", "xlsx", "xlsm"], accept_multiple_files=True)
replace = st.multiselect("整表替换(可选)", list(TABLES), format_func=TABLES.get,
                         placeholder="不选则按主键合并", select_all=False,
                         help="选中的表以本批次为准整表替换,用于更正主键(如任职起始日期);本批次必须包含这些表的全部行。")
start_over = holds_demo(home) and st.checkbox(
    "放弃演示数据,从本批次重新开始(真实数据不能与演示数据合并;演示版本仍保留,可回退)",
    help="真实数据发布后,页面只对访问控制文件 access.yaml 中登记的用户显示,请先按 README“访问控制”一节配置。")
names = [Path(f.name).name for f in uploads or []]
twice = sorted({n for n in names if names.count(n) > 1})
clicked = bool(uploads) and st.button("校验并导入", type="primary")
if clicked and twice:  # written to one folder, the later copy would silently replace the earlier
    st.error(f"同名文件出现了不止一次:{'、'.join(fmt.md(n) for n in twice)}。请在上方列表中删去多余的一份,再导入。")
if clicked and not twice:
    running = latest_job(home)
    if running is not None and not running.finished():
        st.error("上一个批次仍在导入,请等它完成后再导入。")
    else:
        start(home, uploads, tuple(replace), start_over, scope)
show_last(home)

st.subheader("版本")
versions = version_list(home)
if versions.empty:
    st.info("尚无已发布的版本。")
    st.stop()
labels = {"version": "版本", "current": "当前", "kind": "数据", "as_of": "数据截至", "built_at": "构建时间",
          "batches": "批次数"}
labels.update(TABLES)
shown = versions.copy()
if "as_of" in shown:
    shown["as_of"] = [fmt.period_label(v) for v in shown["as_of"]]
if "built_at" in shown:  # an ISO stamp ("2026-12-03T18:06:10") read as date and minute
    stamps = pd.to_datetime(shown["built_at"], errors="coerce")
    shown["built_at"] = [fmt.DASH if pd.isna(t) else f"{t:%Y-%m-%d %H:%M}" for t in stamps]
st.dataframe(fmt.cells(shown.rename(columns=labels)), hide_index=True, width="stretch")

st.subheader("回退")
older = versions.loc[~versions["current"], "version"].tolist()
if not older:
    st.caption("没有可回退的更早版本。")
else:
    target = st.selectbox("回退到版本", older, placeholder="选择要回退到的版本")
    confirm = st.checkbox(f"确认将当前数据指向 {target}(不会删除任何版本,可以再次切换)")
    if st.button("回退", disabled=not confirm):
        st.session_state["rolled_back"] = roll_back(home, target)
        st.rerun()  # the version table above must show the new current version
if done := st.session_state.pop("rolled_back", None):
    st.success(f"已回退到版本 {done}。")
