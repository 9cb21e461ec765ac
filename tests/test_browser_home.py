"""The home page in a real browser: renders Chinese, shows what needs attention, no error element."""
import pytest

from tests.browser import screenshot_path, wait_for_app


@pytest.mark.parametrize("width,height", [(1366, 768), (1920, 1080)])
def test_home_page_in_chromium(app_url, browser, width, height):
    """The landing page: what needs attention comes first (red cards and open flags on the first
    screen), nothing runs off to the right, the row counts are folded away."""
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(app_url + "/", wait_until="domcontentloaded")
    page.wait_for_selector("text=各表行数", timeout=60_000)
    wait_for_app(page)
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.get_by_text("v000001").count() >= 1
    for heading in ("本期红牌", "待核查预警"):
        box = page.get_by_role("heading", name=heading).bounding_box()
        assert box and box["y"] + box["height"] <= height, (heading, box)
    assert page.locator("a[href*='anomalies?']").count() >= 1 and page.locator("a[href*='unit?unit=']").count() >= 1
    main = page.locator("[data-testid='stMain']")
    assert main.evaluate("e => e.scrollWidth <= e.clientWidth + 1")
    body = page.inner_text("[data-testid='stMain']")
    assert "(indicators)" not in body and "红牌" in body  # table cells are drawn on a canvas: AppTest checks them
    page.screenshot(path=str(screenshot_path(f"home_{width}.png")))
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
