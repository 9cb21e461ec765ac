"""数据管理 in a real browser: an upload is ingested by the capped child process, its stages show
while it runs (also after leaving the page and coming back), and its outcome (a rejection report
or a new version) comes back to the page."""
from __future__ import annotations

import bcrypt
import yaml
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from pipelines.home import Home
from tests.browser import require_browser, screenshot_path, serve, wait_for_app
from tests.conftest import write_csv, write_valid_batch

PASSWORD = "upload-pass"


def test_uploads_are_ingested_outside_the_server(published_home, tmp_path, browser):
    require_browser()
    hashed = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode()
    (published_home.root / "access.yaml").write_text(
        yaml.safe_dump({"identity": "local", "users": {"adm": {"role": "admin", "password_hash": hashed}}}),
        encoding="utf-8")
    bad = write_csv(tmp_path / "bad" / "units.csv", ["unit_id", "name", "unit_type"], [["U01", "城关", "星球"]])
    good = write_valid_batch(tmp_path / "good", units=3)
    with serve(published_home.root) as url:
        page = _admin_page(browser, url)
        try:
            _upload(page, [bad])
            page.get_by_role("button", name="校验并导入").click()
            page.get_by_text("数据校验未通过").wait_for(timeout=120_000)
            wait_for_app(page)
            assert page.get_by_text("下载校验报告 CSV").count() == 1
            assert Home(published_home.root).current()["version"] == "v000001"
            # The uploader keeps the rejected units.csv: a second file of that name is refused,
            # never silently written over the first.
            _upload(page, sorted(good.iterdir()), already=1)
            page.get_by_role("button", name="校验并导入").click()
            page.get_by_text("同名文件出现了不止一次").wait_for(timeout=60_000)
            assert Home(published_home.root).current()["version"] == "v000001"
        finally:
            page.screenshot(path=str(screenshot_path("data-upload-rejected.png")), full_page=True)
        page.close()
        page = _admin_page(browser, url)
        try:
            _upload(page, sorted(good.iterdir()))
            page.get_by_role("button", name="校验并导入").click()
            # each stage shows while it runs; the page can be left and the run found again
            page.get_by_text("正在导入").first.wait_for(timeout=60_000)
            page.screenshot(path=str(screenshot_path("data-upload-progress.png")), full_page=True)
            nav = page.locator("[data-testid='stSidebarNav']")
            nav.get_by_text("方法说明", exact=True).click()
            page.get_by_text("导入数据批次").wait_for(state="detached", timeout=60_000)
            nav.get_by_text("数据管理", exact=True).click()
            page.get_by_text("已发布版本 v000002").wait_for(timeout=180_000)
            wait_for_app(page)
            assert page.locator("[data-testid='stException']").count() == 0
        finally:
            page.screenshot(path=str(screenshot_path("data-upload.png")), full_page=True)
        page.close()
    assert Home(published_home.root).current()["version"] == "v000002"


def _upload(page, files, already: int = 0) -> None:
    """Choose ``files`` and wait until every one is listed: a click before the uploads finish
    would ingest (or check) only part of them (flaky under load). A choice made while the page
    was still re-rendering can be dropped by the browser: then it is made again."""
    wait_for_app(page)
    for attempt in range(3):
        page.locator("input[type='file']").set_input_files([str(p) for p in files])
        try:
            page.wait_for_function(
                f"() => document.querySelectorAll('[data-testid=\"stFileChip\"]').length >= {len(files) + already}",
                timeout=40_000)
            break
        except PlaywrightTimeout:
            if attempt == 2:
                raise
    wait_for_app(page)


def _admin_page(browser, url: str):
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    page.goto(url + "/data")
    page.get_by_label("账号").fill("adm")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.locator("[data-testid='stSidebarNav']").get_by_text("数据管理", exact=True).click()
    page.get_by_text("导入数据批次").wait_for(timeout=60_000)
    return page
