"""Screenshots of the dashboard on the real ./data and ./results, for the README.

    .venv/bin/python bench/screenshots.py [--pages overview,results] [--out docs/screenshots]

Starts `streamlit run app.py` on a free port, opens each page in headless Chromium
(Debian's /usr/bin/chromium) and saves <out>/<page>.png.
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", default="overview,scenarios,results,errors,compare,predict")
    ap.add_argument("--out", default="docs/screenshots")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                               "--server.port", str(port), "--server.address", "127.0.0.1"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(url + "/_stcore/health", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            for page in args.pages.split(","):
                tab = browser.new_page(viewport={"width": 1400, "height": 1600})
                tab.goto(f"{url}/{'' if page == 'overview' else page}", wait_until="domcontentloaded")
                tab.wait_for_timeout(2000)
                tab.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')",
                                      timeout=120_000)
                tab.wait_for_timeout(3000)
                tab.screenshot(path=str(out / f"{page}.png"), full_page=True)
                print(f"wrote {out / page}.png", flush=True)
                tab.close()
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
