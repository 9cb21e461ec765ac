"""The home page in a real browser: renders Chinese, shows data status, no error element."""
from tests.browser import screenshot_path, wait_for_app


def test_home_page_in_chromium(app_url, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(app_url + "/", wait_until="domcontentloaded")
    page.wait_for_selector("text=各表行数", timeout=60_000)
    wait_for_app(page)
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.get_by_text("v000001").count() >= 1
    page.screenshot(path=str(screenshot_path("home.png")), full_page=True)
    page.close()
