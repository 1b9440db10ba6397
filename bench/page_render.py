"""Dashboard speed: seconds for each page to render, cached, and a fresh server's first page.

    .venv/bin/python bench/page_render.py                 # every page through AppTest, cold and cached
    .venv/bin/python bench/page_render.py --fresh results  # a fresh `streamlit run`, its first page in Chromium
    .venv/bin/python bench/page_render.py --fresh overview --watcher auto   # the same with Streamlit's file watcher

Both read ./data and ./results (or PHYSLAB_DATA_DIR / PHYSLAB_RESULTS_DIR). The second run of a
page hits st.cache_data / st.cache_resource: that is what a user sees when moving between pages.

--fresh starts the server, waits for its health check (server start-up: Streamlit scans the
installed packages for components there), then times, in headless Chromium (Debian's
/usr/bin/chromium), from opening the page's URL to its script having finished (Streamlit's
running indicator gone and the page's key text shown). It prints the wall time and the CPU
seconds the server spent on that first page (wall time on a busy machine overstates it).
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app.py"
PAGES = ("overview", "scenarios", "train", "evaluate", "results", "predict", "errors", "compare")
# Text each page shows once its script has run (the browser waits for it).
KEY_TEXT = {"overview": "What to do next", "scenarios": "Scenarios", "train": "Runs", "evaluate": "Evaluations",
            "results": "Results", "predict": "Models", "errors": "Errors", "compare": "Compare"}
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def timed_run(at) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) of one script run: on a busy machine the CPU
    time is what the page itself costs."""
    t, c = time.perf_counter(), time.process_time()
    at.run()
    return time.perf_counter() - t, time.process_time() - c


def apptest_pages(pages: list[str]) -> None:
    from streamlit.testing.v1 import AppTest

    # The app imports pages._common and reads ./data, ./results: run it from the repo root.
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    # Streamlit's caches live in this process, so the second run of a page is the cached one.
    for page in pages:
        at = AppTest.from_file(str(APP), default_timeout=300)
        at.run()
        at.switch_page(f"pages/{page}.py")
        first, first_cpu = timed_run(at)
        cached, cached_cpu = timed_run(at)
        print(f"{page:10s} first {first:5.2f} s ({first_cpu:4.2f} s CPU)   cached {cached:5.2f} s ({cached_cpu:4.2f} s CPU)"
              f"   exceptions {len(at.exception)}", flush=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cpu_seconds(pid: int) -> float:
    """utime + stime of a process and its reaped children, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = sum(int(x) for x in fields[11:15])
    return ticks / os.sysconf("SC_CLK_TCK")


def fresh_first_page(page: str, watcher: str | None = None) -> dict[str, float]:
    """Start `streamlit run app.py`, open `page` first, return {start_s, first_page_s, server_cpu_s}."""
    from playwright.sync_api import sync_playwright

    port = _free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", str(APP), "--server.headless", "true", "--server.port", str(port),
           "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"]
    if watcher:
        cmd += ["--server.fileWatcherType", watcher]
    started = time.perf_counter()
    server = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        while True:
            try:
                urllib.request.urlopen(url + "/_stcore/health", timeout=2)
                break
            except OSError:
                if server.poll() is not None or time.perf_counter() - started > 120:
                    raise RuntimeError("streamlit did not start") from None
                time.sleep(0.1)
        start_s = time.perf_counter() - started
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            tab = browser.new_page(viewport={"width": 1400, "height": 1600})
            cpu0 = _cpu_seconds(server.pid)
            t = time.perf_counter()
            tab.goto(f"{url}/{'' if page == 'overview' else page}", wait_until="domcontentloaded")
            tab.get_by_text(KEY_TEXT.get(page, page), exact=False).first.wait_for(timeout=300_000)
            tab.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=300_000)
            first = time.perf_counter() - t
            cpu = _cpu_seconds(server.pid) - cpu0
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
    return {"start_s": start_s, "first_page_s": first, "server_cpu_s": cpu}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", default=",".join(PAGES), help="AppTest mode: pages to time")
    ap.add_argument("--fresh", metavar="PAGE", help="time a fresh server's first page (overview, results, ...)")
    ap.add_argument("--watcher", default=None, help="--fresh: server.fileWatcherType (default: .streamlit/config.toml's)")
    args = ap.parse_args()
    if args.fresh:
        r = fresh_first_page(args.fresh, args.watcher)
        print(f"fresh server: start {r['start_s']:.2f} s · first page ({args.fresh}) {r['first_page_s']:.2f} s wall, "
              f"{r['server_cpu_s']:.2f} s server CPU", flush=True)
        return
    apptest_pages(args.pages.split(","))


if __name__ == "__main__":
    main()
