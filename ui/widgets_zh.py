"""Chinese for the few words Streamlit's widgets write themselves and no parameter reaches: the
file uploader's "Upload", "50MB per file • CSV, XLSX, XLSM" and "Drag and drop files here", a
dropdown's "No results", and the "Stop" beside the running indicator. A stylesheet hides the English span (visibility, so it is out of
the page's text too) and draws the Chinese in its ::after.

Widget parameters cover the rest and pages pass them: ``placeholder=`` on every selectbox and
multiselect, ``select_all=False`` on every multiselect (its "Select all" has no Chinese)."""
from __future__ import annotations

import streamlit as st

NO_MATCH = "无匹配项"
UPLOAD = "选择文件上传"
DROP_HERE = "松开鼠标即可上传"
STOP = "停止运行"
TYPES = "CSV、XLSX、XLSM"


def _swap(selector: str, words: str, size: str = "0.875rem") -> str:
    """CSS replacing the text of ``selector`` by ``words``."""
    return (f"{selector}{{visibility:hidden;font-size:0 !important;line-height:0}}"
            f"{selector}::after{{visibility:visible;content:\"{words}\";font-size:{size};line-height:1.6}}")


def stylesheet(max_upload_mb: int, types: str = TYPES) -> str:
    """The <style> element; ``max_upload_mb`` is the server's limit (server.maxUploadSize)."""
    zone = '[data-testid="stFileUploaderDropzone"]'
    rules = [
        _swap(f'{zone} button [data-testid="stMarkdownContainer"] p', UPLOAD),
        _swap('[data-testid="stFileUploaderDropzoneInstructions"] span',
              f"每个文件不超过 {int(max_upload_mb)} MB,格式 {types}"),
        # Streamlit's emotion target class of the drag-over overlay's text (no data-testid)
        _swap(f"{zone} .euud7oh2", DROP_HERE, "1rem"),
        _swap('[role="listbox"][data-empty="true"] [role="option"] > span', NO_MATCH),
        # only while a run is going: the same widget's "Rerun" after a file change stays as it is
        _swap('[data-testid="stStatusWidget"]:has([data-testid="stStatusWidgetRunningIcon"]) button', STOP),
    ]
    return "<style>" + "".join(rules) + "</style>"


def inject() -> None:
    """Add the stylesheet to the page (app.py, once per run, before the page draws)."""
    st.html(stylesheet(st.get_option("server.maxUploadSize")))
