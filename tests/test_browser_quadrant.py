"""The analyst pages in Chromium: a click on a point of the 实绩象限 scatter opens that cadre's
panel (and the URL names it); the profile button carries it to 干部画像. Saves quadrants.png,
cadre.png, unit.png and methods.png under artifacts/screenshots."""
import re

from tests.browser import screenshot_path

VIEWPORT = {"width": 1440, "height": 1700}

# Streamlit has finished the run and drawn every element (no skeleton placeholders left).
SETTLED = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return !!app && app.getAttribute('data-test-script-state') === 'notRunning'
      && !document.querySelector('[data-testid="stSkeleton"]');
}"""

# Screen position of the most isolated point of the four named quadrants (its nearest neighbour
# farthest away), from plotly's own axes: {cadre, x, y}.
PICK_POINT = """(names) => {
  const gd = document.querySelector('.js-plotly-plot');
  const box = gd.getBoundingClientRect();
  const fl = gd._fullLayout;
  const all = [], candidates = [];
  gd._fullData.forEach((tr) => {
    if (!tr.x || !tr.customdata) return;
    const xa = fl[tr.xaxis === 'x2' ? 'xaxis2' : 'xaxis'], ya = fl.yaxis;
    tr.x.forEach((x, i) => {
      if (x === null || Number.isNaN(x)) return;
      const p = {cadre: tr.customdata[i][0], x: box.left + xa._offset + xa.l2p(x),
                 y: box.top + ya._offset + ya.l2p(tr.y[i])};
      all.push(p);
      if (names.includes(tr.name)) candidates.push(p);
    });
  });
  let best = null, bestGap = -1;
  for (const p of candidates) {
    let gap = Infinity;
    for (const q of all) if (q !== p) gap = Math.min(gap, Math.hypot(p.x - q.x, p.y - q.y));
    if (gap > bestGap) { best = p; bestGap = gap; }
  }
  return best;
}"""


def settle(page, extra_ms: int = 600) -> None:
    page.wait_for_selector("[data-testid='stApp']", timeout=60_000)
    page.wait_for_timeout(300)
    page.wait_for_function(SETTLED, timeout=60_000)
    page.wait_for_timeout(extra_ms)


def no_error(page) -> None:
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.locator("[data-testid='stAlertContentError']").count() == 0



def open_quadrants(page, app_url: str):
    """The quadrant page with its scatter drawn. Enter through the app first: on a fresh server, a
    deep link that arrives before app.py has ever run is served from pages/ as an old-style
    multipage app (no st.navigation)."""
    page.goto(app_url + "/", wait_until="domcontentloaded")
    settle(page)
    page.goto(app_url + "/quadrants", wait_until="domcontentloaded")
    page.wait_for_selector(".js-plotly-plot .scatterlayer", timeout=60_000)
    settle(page, 1200)
    no_error(page)
    return page

def test_click_on_a_quadrant_point_opens_that_cadre(app_url, browser):
    from models.config import load_reference

    names = load_reference("quadrants")["names"]
    page = open_quadrants(browser.new_page(viewport=VIEWPORT), app_url)

    point = page.evaluate(PICK_POINT, [names[c] for c in ("high_high", "high_low", "low_high", "low_low")])
    assert point is not None, "no placed point on the scatter"
    page.mouse.move(point["x"], point["y"])
    page.wait_for_timeout(300)
    page.mouse.click(point["x"], point["y"])
    page.wait_for_url(re.compile(rf"[?&]cadre={point['cadre']}(&|$)"), timeout=30_000)
    settle(page, 1200)
    no_error(page)
    panel = page.locator("h3", has_text=f"({point['cadre']})")
    assert panel.count() == 1, f"the panel does not show {point['cadre']}"
    assert page.get_by_text("各季度轨迹").count() == 1
    assert page.get_by_text("的分解:平台效应").count() == 1
    page.screenshot(path=str(screenshot_path("quadrants.png")), full_page=True)

    # the profile button carries the cadre to 干部画像
    page.get_by_role("button", name="打开干部画像").click()
    page.wait_for_url(re.compile(rf"/cadre\?(.*&)?cadre={point['cadre']}"), timeout=30_000)
    settle(page, 1200)
    no_error(page)
    assert page.locator("h2", has_text=f"({point['cadre']})").count() == 1
    page.screenshot(path=str(screenshot_path("cadre.png")), full_page=True)
    page.close()


def test_unit_and_methods_pages_render(app_url, browser):
    page = browser.new_page(viewport=VIEWPORT)
    page.goto(app_url + "/", wait_until="domcontentloaded")
    settle(page)
    page.goto(app_url + "/unit?unit=T01", wait_until="domcontentloaded")
    page.wait_for_selector("text=干部任职", timeout=60_000)
    settle(page, 1200)
    no_error(page)
    assert page.locator("h2", has_text="(T01)").count() == 1
    page.screenshot(path=str(screenshot_path("unit.png")), full_page=True)

    page.goto(app_url + "/methods", wait_until="domcontentloaded")
    page.wait_for_selector("text=指标字典", timeout=60_000)
    settle(page, 1200)
    no_error(page)
    page.screenshot(path=str(screenshot_path("methods.png")), full_page=True)
    page.close()


# The 贡献不确定 trace and the strip it must stay in, from plotly's own data.
UNCERTAIN_STRIP = """(label) => {
  const gd = document.querySelector('.js-plotly-plot');
  const tr = gd._fullData.find((t) => t.name === label + '(不归入象限)');
  const rect = (gd.layout.shapes || []).find((s) => s.type === 'rect' && s.xref === 'x' && s.x0 < 0 && s.x1 > 0);
  if (!tr || !rect) return null;
  return {n: tr.x.length, inside: tr.x.every((x) => x >= rect.x0 && x <= rect.x1),
          overflow: document.documentElement.scrollWidth > window.innerWidth + 1};
}"""


def test_quadrant_page_at_three_screen_sizes_keeps_uncertain_cadres_out_of_the_quadrants(app_url, browser):
    from models.quadrant import UNCERTAIN_NAME

    for width, height, scale in ((1366, 768, 1), (1920, 1080, 2), (3840, 2160, 1)):
        page = open_quadrants(browser.new_page(viewport={"width": width, "height": height},
                                               device_scale_factor=scale), app_url)
        assert page.get_by_text("已判定", exact=True).count() >= 1
        assert page.get_by_text("区间跨过分界线").count() >= 1
        strip = page.evaluate(UNCERTAIN_STRIP, UNCERTAIN_NAME)
        assert strip is not None and strip["n"] > 0 and strip["inside"], strip
        assert not strip["overflow"], f"horizontal scroll at {width}x{height}"
        page.screenshot(path=str(screenshot_path(f"quadrants_{width}x{height}.png")))
        page.close()
