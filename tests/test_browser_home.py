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


def test_tables_offer_no_unescaped_csv_download(app_url, browser):
    """Streamlit's table toolbar would save cells verbatim (a formula runs in Excel); it is hidden."""
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(app_url + "/", wait_until="domcontentloaded")
    page.wait_for_selector("text=各表行数", timeout=60_000)
    wait_for_app(page)
    table = page.locator("[data-testid='stDataFrame']").first
    table.hover()
    page.wait_for_timeout(500)
    toolbar = page.locator("[data-testid='stElementToolbar']").first
    assert toolbar.locator("button").count() > 0  # the toolbar is there (search, fullscreen …)
    download = toolbar.locator("button[aria-label='Download as CSV']")
    assert download.count() == 1 and not download.is_visible()
    page.close()
