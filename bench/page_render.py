"""Dashboard speed: seconds for each page to render through AppTest, cold and cached.

    .venv/bin/python bench/page_render.py            # against ./data and ./results

The second run of a page hits st.cache_data / st.cache_resource: that is what a user sees
when moving between pages. Needs real data and results to mean anything.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = Path(__file__).resolve().parents[1] / "app.py"
PAGES = ("overview", "scenarios", "train", "evaluate", "results", "predict", "errors")


def timed_run(at: AppTest) -> float:
    t = time.perf_counter()
    at.run()
    return time.perf_counter() - t


def main() -> None:
    # The app imports pages._common and reads ./data, ./results: run it from the repo root.
    os.chdir(APP.parent)
    sys.path.insert(0, str(APP.parent))
    # Streamlit's caches live in this process, so the second run of a page is the cached one.
    for page in PAGES:
        at = AppTest.from_file(str(APP), default_timeout=300)
        at.run()
        at.switch_page(f"pages/{page}.py")
        first = timed_run(at)
        cached = timed_run(at)
        print(f"{page:10s} first {first:5.2f} s   cached {cached:5.2f} s   "
              f"exceptions {len(at.exception)}", flush=True)


if __name__ == "__main__":
    main()
