"""The web view in a real browser: Debian's headless Chromium driven by selenium through chromium-driver.

Each page is loaded, the filters and the search are used by typing and clicking, the quota chart must draw,
and a screenshot of each page is saved (to the test's directory, and to $WATCHER_SCREENSHOTS when set:
`WATCHER_SCREENSHOTS=docs/screenshots pytest tests/test_browser.py` refreshes the README's pictures).
In CI (CI=true) a missing browser fails the run instead of skipping: .ci/run installs it first.
"""

from __future__ import annotations

import base64
import os
import shutil
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import webstate

from watcher.web.app import create_app
from watcher.web.context import WebOptions
from watcher.web.server import WebServer

CHROMIUM, DRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
TOKEN = "browser-token-0123456789abcdef"

pytestmark = pytest.mark.browser
if not (CHROMIUM.exists() and DRIVER.exists()) and os.environ.get("CI") != "true":
    pytestmark = [pytest.mark.browser, pytest.mark.skip(reason="needs Debian's chromium and chromium-driver")]


@pytest.fixture(scope="module")
def state(tmp_path_factory):
    built = webstate.build(tmp_path_factory.mktemp("browser") / "project")
    yield built
    built.site.close()


def _serve(options: WebOptions):
    app = create_app(options)
    server = WebServer(app, "127.0.0.1", 0, what="the web view", on_close=app.extensions["watcher.readers"].close)
    server.start()
    return server


@pytest.fixture(scope="module")
def base(state):
    server = _serve(WebOptions(state_dir=state.state, zone=ZoneInfo("Asia/Shanghai")))
    yield f"http://{server.address}"
    server.close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    assert CHROMIUM.exists() and DRIVER.exists(), "install chromium and chromium-driver (apt-get); .ci/run does"
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1280,900",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(str(DRIVER)), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


@pytest.fixture
def shoot(browser, tmp_path):
    """Save a full-page screenshot under this test's directory and, when asked, $WATCHER_SCREENSHOTS."""
    target = os.environ.get("WATCHER_SCREENSHOTS")

    def save(name: str) -> Path:
        shot = browser.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
        path = tmp_path / f"{name}.png"
        path.write_bytes(base64.b64decode(shot["data"]))
        assert path.read_bytes().startswith(b"\x89PNG") and path.stat().st_size > 10_000
        if target:
            Path(target).mkdir(parents=True, exist_ok=True)
            shutil.copy(path, Path(target) / path.name)
        return path

    return save


def press(browser, element, *keys: str) -> None:
    """Click `element` (or type `keys` into it) and wait until the next page replaced this one."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    page = browser.find_element(By.TAG_NAME, "html")
    if keys:
        element.send_keys(*keys)
    else:
        element.click()
    WebDriverWait(browser, 10).until(expected_conditions.staleness_of(page))


def shown(browser) -> list[int]:
    from selenium.webdriver.common.by import By

    return [int(item.get_attribute("data-id")) for item in browser.find_elements(By.CSS_SELECTOR, "li.event")]


def test_recent_events_page(browser, base, state, shoot):
    from selenium.webdriver.common.by import By

    browser.get(base + "/")
    assert browser.title.startswith("Recent events")
    assert shown(browser) == state.oracle()
    # a title carrying <script> is text on the page, and no script ran
    texts = [element.text for element in browser.find_elements(By.CSS_SELECTOR, "a.headline")]
    assert webstate.SCRIPT_TITLE in texts
    assert browser.execute_script("return document.scripts.length") == 0
    shoot("recent")


def test_search_by_typing_in_both_languages(browser, base, state, shoot):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    for term in ("镓", "稀土", "gallium", "export controls"):
        browser.get(base + "/events")
        box = browser.find_element(By.ID, "q")
        box.clear()
        box.send_keys(term)
        press(browser, browser.find_element(By.ID, "apply"))
        expected = state.oracle(text=f'"{term}"' if " " in term else term)
        assert shown(browser) == expected and expected, term
        if term == "稀土":
            shoot("search-chinese")
    browser.get(base + "/")  # the search box in the header: type and press Enter
    header_box = browser.find_element(By.CSS_SELECTOR, "header input[type=search]")
    press(browser, header_box, "Dy", Keys.ENTER)
    assert shown(browser) == state.oracle(text="Dy")


def test_filters_by_choosing_and_clicking(browser, base, state, shoot):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    browser.get(base + "/events")
    Select(browser.find_element(By.ID, "label")).select_by_visible_text("export_control")
    press(browser, browser.find_element(By.ID, "apply"))
    assert shown(browser) == state.oracle(labels=("export_control",))
    Select(browser.find_element(By.ID, "severity")).select_by_visible_text("high")
    press(browser, browser.find_element(By.ID, "apply"))
    assert shown(browser) == state.oracle(labels=("export_control",), severities=("high",))
    Select(browser.find_element(By.ID, "label")).select_by_visible_text("any")
    Select(browser.find_element(By.ID, "severity")).select_by_visible_text("any")
    Select(browser.find_element(By.ID, "source")).select_by_visible_text("loopback-wire")
    browser.find_element(By.ID, "q").send_keys("镓")
    press(browser, browser.find_element(By.ID, "apply"))
    assert shown(browser) == state.oracle(sources=("loopback-wire",), text="镓")
    shoot("filters")
    press(browser, browser.find_element(By.ID, "clear"))
    assert shown(browser) == state.oracle()


def test_following_an_event_to_its_story(browser, base, shoot):
    from selenium.webdriver.common.by import By

    browser.get(base + "/events?q=工信部联原〔2024〕25号")
    press(browser, browser.find_element(By.CSS_SELECTOR, "li.event a.headline"))
    assert browser.current_url.endswith("/events/2")
    facts = browser.find_element(By.ID, "facts").text
    assert "135,000" in facts and "127,000" in facts
    assert "procurement" in browser.find_element(By.ID, "deliveries").text
    assert "miit-ycls-wjfb" in browser.find_element(By.ID, "outlets").text
    shoot("event")


def test_the_quota_chart_draws(browser, base, shoot):
    from selenium.webdriver.common.by import By

    browser.get(base + "/quota")
    chart = browser.find_element(By.ID, "quota-chart")
    assert chart.size["width"] > 400 and chart.size["height"] > 150
    bars = chart.find_elements(By.CSS_SELECTOR, "rect.bar")
    assert len(bars) == 21  # the shipped batches with figures, 2018-2024: 11 mining, 10 smelting
    heights = browser.execute_script(
        "return Array.from(document.querySelectorAll('#quota-chart rect.bar'))"
        ".map(r => r.getBoundingClientRect().height)"
    )
    assert all(height > 5 for height in heights)
    colours = browser.execute_script(
        "return Array.from(document.querySelectorAll('#quota-chart rect.bar')).map(r => getComputedStyle(r).fill)"
    )
    assert len(set(colours)) >= 4  # mining and smelting, first and later batches: the stylesheet applied
    assert "工信部联原〔2022〕90号" in browser.find_element(By.ID, "quota-figures").text
    shoot("quota")


def test_sources_and_outbox_pages(browser, base, shoot):
    from selenium.webdriver.common.by import By

    browser.get(base + "/sources")
    table = browser.find_element(By.ID, "sources").text
    assert "loopback-dead" in table and "HTTP 404" in table
    shoot("sources")
    browser.get(base + "/outbox")
    assert "sent" in browser.find_element(By.ID, "outbox-counts").text
    shoot("outbox")


def test_feeds_open_from_the_page(browser, base):
    from selenium.webdriver.common.by import By

    browser.get(base + "/events?q=镓")
    feed = browser.find_element(By.ID, "feed").get_attribute("href")
    browser.get(feed)
    assert "<feed" in browser.page_source or "feed" in browser.page_source
    browser.get(base + "/api/events?q=镓")
    assert '"events"' in browser.page_source


def test_signing_in_with_the_token(browser, state, shoot):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    server = _serve(WebOptions(state_dir=state.state, token=TOKEN))
    try:
        browser.delete_all_cookies()
        browser.get(f"http://{server.address}/quota")
        assert "/login" in browser.current_url
        shoot("login")
        browser.find_element(By.ID, "token").send_keys("not the token")
        press(browser, browser.find_element(By.ID, "sign-in"))
        WebDriverWait(browser, 10).until(lambda driver: "not the one" in driver.page_source)
        browser.find_element(By.ID, "token").send_keys(TOKEN)
        press(browser, browser.find_element(By.ID, "sign-in"))
        WebDriverWait(browser, 10).until(lambda driver: driver.current_url.endswith("/quota"))
        assert browser.find_element(By.ID, "quota-chart")
    finally:
        server.close()
