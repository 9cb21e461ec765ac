"""数据概况: the published version, its as-of date and row counts per table."""
import pandas as pd
import streamlit as st

from pipelines.contract import TABLES
from ui.data import current_home, data_status
from ui.session import current_scope

current_scope("home")
home = current_home()
current = home.current()
st.title("实绩 · 干部实绩监测")
if current is None:
    st.warning("尚无已发布的数据。请在命令行运行 `python -m pipelines ingest 数据文件夹`。")
    st.stop()

status = data_status(str(home.root), current["version"])
c1, c2, c3 = st.columns(3)
c1.metric("当前版本", status["version"])
c2.metric("数据截至", status["as_of"] or "—")
c3.metric("已导入批次", status["batches"])
st.caption(f"发布时间 {status['published_at']} · 保留版本 {len(status['versions'])} 个")

st.subheader("各表行数")
counts = pd.DataFrame(
    [{"数据表": f"{TABLES[name].zh}({name})", "行数": n} for name, n in status["rows"].items()]
)
st.dataframe(counts, hide_index=True, width="content", height=35 * (len(counts) + 1) + 3)
