"""The dashboard in a real browser: `streamlit run app.py` in a subprocess, every page opened in
headless Chromium (Debian's /usr/bin/chromium, never a downloaded one), no Streamlit exception
on any page, the key content present, and a screenshot per page in results/screenshots/test/ (ignored by git;
the README's screenshots come from real results via bench/screenshots.py).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from test_pages import make_data, make_results

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(os.environ.get("PHYSLAB_SCREENSHOT_DIR", ROOT / "results" / "screenshots" / "test"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# page url path -> text that must be on it once it has rendered. A page other than the default
# comes first: a fresh server whose first visitor opens a bookmarked page must still show the
# app's navigation (not Streamlit's legacy list of every file in pages/).
PAGES = {
    "scenarios": ("scenarios", "Detail"),
    "overview": ("", "Comparison"),
    "train": ("train", "Start training"),
    "evaluate": ("evaluate", "Start evaluation"),
    "results": ("results", "Confusion"),
    "predict": ("predict", "What if?"),
    "errors": ("errors", "Confusion cell"),
}

pytestmark = [pytest.mark.browser,
              # In CI a missing browser is a failure, not a skip: `make test` installs it first.
              pytest.mark.skipif(not Path(CHROMIUM).exists() and os.environ.get("CI") != "true",
                                 reason="needs /usr/bin/chromium (make browser-deps)")]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("browser")
    data = tmp / "data"
    make_results(tmp / "results", make_data(data))
    port = _free_port()
    env = {**os.environ, "PHYSLAB_DATA_DIR": str(data), "PHYSLAB_RESULTS_DIR": str(tmp / "results"),
           "OLLAMA_HOST": "http://127.0.0.1:9"}
    log = (tmp / "streamlit.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                             "--server.port", str(port), "--server.address", "127.0.0.1",
                             "--browser.gatherUsageStats", "false"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                urllib.request.urlopen(url + "/_stcore/health", timeout=2)
                break
            except OSError:
                if proc.poll() is not None:
                    pytest.fail(f"streamlit exited: {(tmp / 'streamlit.log').read_text()}")
                time.sleep(0.5)
        else:
            pytest.fail("streamlit did not answer within 60 s")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.mark.parametrize("page", list(PAGES))
def test_page_renders_in_chromium(page: str, app_url: str, browser) -> None:
    path, key_text = PAGES[page]
    tab = browser.new_page(viewport={"width": 1400, "height": 2200})
    try:
        tab.goto(f"{app_url}/{path}", wait_until="domcontentloaded", timeout=60_000)
        tab.get_by_text(key_text, exact=False).first.wait_for(timeout=60_000)
        # Let the script finish (the running indicator disappears) and the charts draw.
        tab.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)
        tab.wait_for_timeout(3000)
        exceptions = tab.locator('[data-testid="stException"]')
        assert exceptions.count() == 0, exceptions.first.inner_text()
        nav = tab.locator('[data-testid="stSidebarNav"]').inner_text()
        assert "Results" in nav and "Errors" in nav and "common" not in nav, nav
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(SCREENSHOTS / f"{page}.png"), full_page=True)
    finally:
        tab.close()
