"""`calfraise serve` in a real browser: Debian's Chromium, headless, driven by Selenium through
chromedriver. The server runs on a free loopback port over a database of three sessions, and
its live page follows the virtual device (--sim) replaying five reps, so the page must update as
reps arrive over the virtual BLE link.

CALFRAISE_SCREENSHOTS=docs/screenshots writes the screenshots that docs/host.md shows.
Chromium and chromedriver come from Debian (`.ci/run` installs them); without them the browser
tests fail with the line that says what to install.
"""

import argparse
import asyncio
import base64
import os
import shutil
import socket
import threading
import time
import urllib.error
import urllib.request
from contextlib import closing
from pathlib import Path

import pytest
from aiohttp import web

from calfraise.host.db import open_db
from calfraise.host.importer import import_session
from calfraise.sim import plan_reps, render
from calfraise.trace import write_trace
from calfraise.web.server import make_app
from host_sessions import session_file, workout

DAY_MS = 86_400_000
CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")
LIVE_REPS = 5


def free_port():
    with closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """make_app() served from a thread with its own event loop, as `calfraise serve` runs it."""

    def __init__(self, app):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.loop = asyncio.new_event_loop()
        self.runner = web.AppRunner(app)
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        self._call(self.runner.setup())
        self._call(web.TCPSite(self.runner, "127.0.0.1", self.port).start())
        return self

    def __exit__(self, *exc):
        self._call(self.runner.cleanup())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)

    def _call(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(60)

    def get(self, path):
        with urllib.request.urlopen(self.url + path, timeout=30) as response:
            return response.headers.get_content_type(), response.read()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("serve")
    db_file = tmp / "calfraise.db"
    now_ms = int(time.time() * 1000)
    with closing(open_db(db_file)) as db:  # over the last three weeks, so progress shows them
        for sid, (sets, reps) in enumerate([(3, 10), (3, 12), (2, 13)], start=1):
            wall_ms = now_ms - (4 - sid) * 6 * DAY_MS
            data = session_file(sid, workout(sets, reps), wall_ms=wall_ms)
            import_session(db, "24a160c0ffee", data, session_id=sid)
    trace = render(plan_reps(LIVE_REPS, seed=3))
    csv = tmp / "live.csv"
    write_trace(csv, trace.t_ms, trace.accel_g, trace.gyro_dps)
    args = argparse.Namespace(sim=str(csv), sim_flash=None, sim_drop_after=None, device=None)
    with Server(make_app(db_file, args)) as running:
        yield running


def test_pages_and_charts_are_served(server):
    kind, body = server.get("/")
    assert kind == "text/html"
    html = body.decode()
    for sid in (1, 2, 3):
        assert f'href="/session/{sid}"' in html
    assert "3 × 12 reps" in html  # the plan
    kind, body = server.get("/session/2")
    html = body.decode()
    assert kind == "text/html" and html.count("<tr><td>") == 3 + 36  # 3 sets, 36 reps
    for path in ("/progress.svg", "/session/2.svg"):
        kind, body = server.get(path)
        assert kind == "image/svg+xml" and body.startswith(b"<?xml") and b"<svg" in body
    kind, body = server.get("/static/live.js")
    assert kind in ("application/javascript", "text/javascript") and b"EventSource" in body
    with pytest.raises(urllib.error.HTTPError) as missing:
        server.get("/session/99")
    assert missing.value.code == 404


@pytest.fixture(scope="module")
def browser():
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.fail("the browser tests need Chromium: apt-get install chromium chromium-driver")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=420,900",  # a phone's width
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


def screenshot(browser, name):
    """The whole page (not only the window) as a PNG, when CALFRAISE_SCREENSHOTS names a folder."""
    folder = os.environ.get("CALFRAISE_SCREENSHOTS")
    if not folder:
        return
    size = browser.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    clip = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
    shot = browser.execute_cdp_cmd(
        "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip}
    )
    Path(folder).mkdir(parents=True, exist_ok=True)
    (Path(folder) / f"{name}.png").write_bytes(base64.b64decode(shot["data"]))


def images_loaded(browser):
    return browser.execute_script(
        "return [...document.images].map(i => i.complete && i.naturalWidth > 0)"
    )


def test_history_and_session_pages_in_a_browser(server, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(server.url + "/")
    assert browser.title == "History · calfraise"
    rows = browser.find_elements(By.CSS_SELECTOR, "tbody tr")
    assert [r.find_element(By.TAG_NAME, "a").text for r in rows] == ["3", "2", "1"]
    WebDriverWait(browser, 30).until(lambda b: images_loaded(b) == [True])
    screenshot(browser, "serve_history")
    rows[1].find_element(By.TAG_NAME, "a").click()
    WebDriverWait(browser, 30).until(lambda b: b.title == "Session 2 · calfraise")
    WebDriverWait(browser, 30).until(lambda b: images_loaded(b) == [True])
    first_set = browser.find_element(By.CSS_SELECTOR, "table tbody tr").text
    assert first_set.startswith("1 12 (1 partial) 12 ")  # set 1: 12 reps, the plan's 12
    screenshot(browser, "serve_session")


def test_the_live_page_updates_as_reps_arrive(server, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(server.url + "/live")
    assert browser.title == "Live · calfraise"
    seen = set()

    def reps_shown(b):
        text = b.find_element(By.ID, "rep").text
        seen.add(text)
        return text == str(LIVE_REPS)

    WebDriverWait(browser, 120, poll_frequency=0.05).until(reps_shown)
    assert len(seen - {"0"}) >= 2, seen  # it counted up on the page, not only at the end
    assert browser.find_element(By.ID, "set").text == "1"
    assert browser.find_element(By.ID, "link").get_attribute("class") == "link connected"
    assert browser.find_element(By.ID, "link").text.startswith("connected to calfraise-")
    for phase in ("up", "down"):
        element = browser.find_element(By.ID, phase)
        assert element.text.endswith(" / 2.0 s")  # the plan's default tempo targets
        assert element.get_attribute("class") in ("on-target", "off-target")
    screenshot(browser, "serve_live")
