"""数据管理: upload a batch (validated exactly like the CLI), see versions, roll back."""
import hashlib
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from pipelines import audit
from pipelines.build import is_demo
from pipelines.contract import TABLES
from pipelines.export import safe_frame
from pipelines.home import LockedError
from pipelines.ingest import rollback
from pipelines.report import REPORT_HEADER, InputError, sort_issues
from pipelines.status import versions_table
from pipelines.worker import ingest_isolated
from ui.auth import exposure_warning, load_access
from ui import format as fmt
from ui.data import current_home
from ui.session import current_scope

scope = current_scope("data")
home = current_home()
st.title("数据管理")
if warning := exposure_warning(load_access(home)):
    st.warning(warning, icon=":material/shield:")

st.subheader("导入数据批次")
st.caption("一个批次可以是多个 CSV/XLSX 文件(文件名即表名,中英文均可),或一个多工作表的 .xlsx 工作簿。"
           "任何错误都会整批拒绝,当前版本保持不变。")
uploads = st.file_uploader("选择文件", type=["csv", "xlsx", "xlsm"], accept_multiple_files=True)
replace = st.multiselect("整表替换(可选)", list(TABLES), format_func=lambda t: f"{TABLES[t].zh}({t})",
                         placeholder="不选则按主键合并",
                         help="选中的表以本批次为准整表替换,用于更正主键(如任职起始日期);本批次必须包含这些表的全部行。")
holds_demo = home.current_path() is not None and is_demo(home.current_path())
start_over = holds_demo and st.checkbox(
    "放弃演示数据,从本批次重新开始(真实数据不能与演示数据合并;演示版本仍保留,可回退)",
    help="真实数据发布后,页面只对访问控制文件 access.yaml 中登记的用户显示,请先按 README“访问控制”一节配置。")
names = [Path(f.name).name for f in uploads or []]
twice = sorted({n for n in names if names.count(n) > 1})
clicked = bool(uploads) and st.button("校验并导入", type="primary")
if clicked and twice:  # written to one folder, the later copy would silently replace the earlier
    st.error(f"同名文件出现了不止一次:{'、'.join(fmt.md(n) for n in twice)}。请在上方列表中删去多余的一份,再导入。")
if clicked and not twice:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "batch"
        folder.mkdir()
        for f in uploads:
            (folder / Path(f.name).name).write_bytes(f.getvalue())
        single = len(uploads) == 1 and uploads[0].name.lower().endswith((".xlsx", ".xlsm"))
        path = folder / Path(uploads[0].name).name if single else folder
        for f in uploads:
            audit.append(home, scope.identity, scope.role, "upload", page="data", filters={"file": f.name},
                         file_hash=hashlib.sha256(f.getvalue()).hexdigest())
        try:
            with st.spinner("正在校验并构建新版本……"):
                # In a child process with a memory cap: a huge upload cannot starve the server.
                outcome = ingest_isolated(path, home, replace=tuple(replace), start_over=start_over)
        except (LockedError, InputError) as e:
            st.error(fmt.md(str(e)))  # may quote an uploaded file's name
            outcome = None
    if outcome is not None:
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
            st.success(f"已发布版本 {outcome.version}:" + "、".join(
                f"{TABLES[k].zh} {n} 行" for k, n in outcome.rows.items() if n))
            st.cache_data.clear()

st.subheader("版本")
versions = pd.DataFrame(versions_table(home))
if versions.empty:
    st.info("尚无已发布的版本。")
    st.stop()
labels = {"version": "版本", "current": "当前", "kind": "数据", "as_of": "数据截至", "built_at": "构建时间",
          "batches": "批次数"}
labels.update({name: TABLES[name].zh for name in TABLES})
st.dataframe(versions.rename(columns=labels), hide_index=True, width="stretch")

st.subheader("回退")
older = versions.loc[~versions["current"], "version"].tolist()
if not older:
    st.caption("没有可回退的更早版本。")
else:
    target = st.selectbox("回退到版本", older)
    confirm = st.checkbox(f"确认将当前数据指向 {target}(不会删除任何版本,可以再次切换)")
    if st.button("回退", disabled=not confirm):
        st.success(f"已回退到版本 {rollback(home, target)}。")
        st.cache_data.clear()
