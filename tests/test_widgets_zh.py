"""The stylesheet that puts Chinese over Streamlit's own widget words (ui/widgets_zh.py); the
browser scan (tests/test_browser_text.py) checks the result on every page."""
from ui import widgets_zh


def test_stylesheet_covers_each_english_word_with_chinese():
    css = widgets_zh.stylesheet(50)
    assert css.startswith("<style>") and css.endswith("</style>")
    for selector, words in (
        ('[data-testid="stFileUploaderDropzone"] button', widgets_zh.UPLOAD),
        ('[data-testid="stFileUploaderDropzoneInstructions"] span', "每个文件不超过 50 MB,格式 CSV、XLSX、XLSM"),
        ('[data-empty="true"]', widgets_zh.NO_MATCH),
        ('stStatusWidgetRunningIcon', widgets_zh.STOP),
    ):
        at = css.index(selector)
        rule = css[at:css.index("}", css.index("::after", at)) + 1]
        assert "visibility:hidden" in rule and f'content:"{words}"' in rule, rule


def test_upload_limit_follows_the_server_setting():
    assert "不超过 200 MB" in widgets_zh.stylesheet(200)
