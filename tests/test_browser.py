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
from test_pages import make_data, make_results, make_worked_results

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
    "compare": ("compare", "Leaderboard"),
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
    folder = make_data(data)
    make_results(tmp / "results", folder)
    make_worked_results(tmp / "results", folder)
    from physlab.teacher import build_curriculum

    build_curriculum("mini", "physics", data_dir=data, progress=False)  # the training journey needs it
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
        yield url, tmp / "results"
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
def test_page_renders_in_chromium(page: str, app_url, browser) -> None:
    path, key_text = PAGES[page]
    tab = browser.new_page(viewport={"width": 1400, "height": 2200})
    try:
        tab.goto(f"{app_url[0]}/{path}", wait_until="domcontentloaded", timeout=60_000)
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


# --------------------------------------------------------------------------- journeys


def _idle(tab, timeout_ms: int = 60_000) -> None:
    """Wait until Streamlit has finished running the script (its running indicator is gone)."""
    tab.wait_for_timeout(300)
    tab.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=timeout_ms)


def _open(browser, url: str, key_text: str):
    tab = browser.new_page(viewport={"width": 1400, "height": 2200})
    tab.goto(url, wait_until="domcontentloaded", timeout=60_000)
    tab.get_by_text(key_text, exact=False).first.wait_for(timeout=60_000)
    _idle(tab)
    return tab


def _only(tab, label: str, value: str) -> None:
    """Make a multiselect hold exactly `value`: remove every chip, type the value and pick it,
    then check the chips; retried, because a rerun (the jobs panel refreshes itself) can
    re-render the widget between two clicks."""
    box = tab.locator('[data-testid="stMultiSelect"]').filter(has_text=label).first
    chips = box.locator('[aria-label^="Remove "]')
    names: list[str] = []
    for _ in range(5):
        _idle(tab)
        while chips.count():
            chips.first.click()
            tab.wait_for_timeout(200)
        box.locator("input").first.fill(value)
        try:
            tab.get_by_role("option", name=value, exact=True).first.click(timeout=10_000)
        except Exception:  # noqa: BLE001 - not offered (yet): looked at again below
            pass
        tab.keyboard.press("Escape")
        tab.wait_for_timeout(300)
        _idle(tab)
        names = [chips.nth(i).get_attribute("aria-label") or "" for i in range(chips.count())]
        if names == [f"Remove {value}"]:
            return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SCREENSHOTS / f"only-{label}-{value}-failed.png".replace(" ", "_")), full_page=True)
    raise AssertionError(f"{label}: could not make it hold only {value!r} (chips: {names})")


def _select(tab, label: str, value: str) -> None:
    box = tab.locator('[data-testid="stSelectbox"]').filter(has_text=label).first
    box.click()
    tab.get_by_role("option", name=value, exact=True).first.click()
    _idle(tab)


def _jobs(results: Path) -> list[Path]:
    folder = results / "jobs"
    return sorted(p for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []


def test_enter_in_a_number_field_starts_nothing(app_url, browser) -> None:
    url, results = app_url
    before = _jobs(results)
    tab = _open(browser, f"{url}/train", "Start training")
    try:
        field = tab.get_by_role("spinbutton", name="Max steps (0 = all epochs)")
        field.fill("5")
        field.press("Enter")
        tab.wait_for_timeout(1500)
        _idle(tab)
        assert _jobs(results) == before
        assert tab.get_by_text("Training queued").count() == 0
    finally:
        tab.close()


def tiny_base_model(folder: Path, texts: list[str]) -> Path:
    """A 2-layer random Llama with a word-level tokenizer over `texts` and a plain chat template,
    saved as a local base model: training starts in seconds and a step takes a fraction of one,
    so the journey tests the dashboard, not SmolLM2's speed."""
    import re

    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    words = sorted({w for t in texts for w in re.findall(r"\w+|[^\w\s]", t)})
    vocab = {"<pad>": 0, "<eos>": 1, "<unk>": 2, **{w: i + 3 for i, w in enumerate(words)}}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", eos_token="<eos>", unk_token="<unk>")
    tokenizer.chat_template = ("{% for m in messages %}{{ m['role'] }} : {{ m['content'] }} \n{% endfor %}"
                               "{% if add_generation_prompt %}assistant : {% endif %}")
    torch.manual_seed(0)
    model = LlamaForCausalLM(LlamaConfig(vocab_size=len(vocab), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=1024,
                                         pad_token_id=0, eos_token_id=1, bos_token_id=1))
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def test_train_live_loss_reattach_and_cancel(app_url, browser, tmp_path: Path) -> None:
    """Start a run from the form (a tiny local base model), see its live loss, reload (re-attach),
    cancel it and see "cancelled" (the library's word for the run and its job)."""
    import json

    url, results = app_url
    curriculum = results.parent / "data" / "mini" / "curriculum.jsonl"
    texts = [r["prompt"] + " " + r["completion"] for r in map(json.loads, curriculum.read_text().splitlines())]
    base = tiny_base_model(tmp_path / "tiny-base", texts)
    before = set(_jobs(results))
    tab = _open(browser, f"{url}/train", "Start training")
    try:
        tab.get_by_role("textbox", name="Base model").fill(str(base))
        tab.get_by_role("spinbutton", name="Max steps (0 = all epochs)").fill("100000")
        tab.get_by_role("button", name="Start training").click()
        tab.get_by_text("Training queued").first.wait_for(timeout=60_000)
        # The job is refused a second time while it runs: no duplicate.
        tab.get_by_role("button", name="Start training").click()
        tab.get_by_text("identical job").first.wait_for(timeout=30_000)
        assert len(set(_jobs(results)) - before) == 1
        # Live loss: the progress text names a step and its loss once the first step is logged.
        live = tab.get_by_text("tokens/s", exact=False).filter(has_text="loss")
        live.first.wait_for(timeout=180_000)
        first = live.first.inner_text()
        assert "step" in first and "loss" in first, first
        tab.reload(wait_until="domcontentloaded")
        try:
            live.first.wait_for(timeout=60_000)  # re-attached: the same run's progress after a reload
        except Exception:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            tab.screenshot(path=str(SCREENSHOTS / "train-reattach-failed.png"), full_page=True)
            raise
        tab.get_by_role("button", name="Cancel").first.click()
        try:
            # The run's state in words, as physlab.jobs reports it (never "failed" for a cancel).
            tab.locator("p").filter(has_text="Latest run").filter(has_text="cancelled").first.wait_for(timeout=90_000)
        except Exception:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            tab.screenshot(path=str(SCREENSHOTS / "train-cancel-failed.png"), full_page=True)
            raise
        (job,) = set(_jobs(results)) - before
        deadline = time.time() + 30
        while json.loads((job / "status.json").read_text())["state"] != "cancelled" and time.time() < deadline:
            time.sleep(0.5)
        assert json.loads((job / "status.json").read_text())["state"] == "cancelled"
    finally:
        from physlab.jobs import Job

        for job in set(_jobs(results)) - before:
            Job(job).cancel()
        tab.close()


def test_evaluation_runs_to_the_end(app_url, browser) -> None:
    url, results = app_url
    tab = _open(browser, f"{url}/evaluate", "Start evaluation")
    try:
        _only(tab, "Models", "majority")
        tab.get_by_role("spinbutton", name="Only the first N scenarios (0 = all)").fill("3")
        tab.get_by_role("button", name="Start evaluation").click()
        tab.get_by_text("queued", exact=False).first.wait_for(timeout=30_000)
        tab.locator("p").filter(has_text="Latest evaluation").filter(has_text="finished").first.wait_for(timeout=120_000)
        assert tab.locator('[data-testid="stException"]').count() == 0
    finally:
        tab.close()


def test_results_switching_evaluations_keeps_the_student(app_url, browser) -> None:
    url, _ = app_url
    tab = _open(browser, f"{url}/results", "Confusion")
    try:
        models = tab.locator('[data-testid="stMultiSelect"]').filter(has_text="Models").first
        _select(tab, "Evaluation", "ev-1")
        models.locator('[aria-label="run:run-a"]').first.wait_for(timeout=60_000)
        _select(tab, "Evaluation", "ev-worked")
        models.locator('[aria-label="run:worked-a"]').first.wait_for(timeout=60_000)  # the new evaluation's student
        _idle(tab)
        assert tab.get_by_text("No training run among these models").count() == 0
    finally:
        tab.close()


def test_predict_shows_both_answers_labelled(app_url, browser) -> None:
    url, _ = app_url
    tab = _open(browser, f"{url}/predict", "What if?")
    try:
        _only(tab, "Models to ask", "majority")
        tab.get_by_role("button", name="Ask the models").click()
        try:
            tab.get_by_text("Written answer").first.wait_for(timeout=90_000)
            tab.get_by_text("Scored answer").first.wait_for(timeout=60_000)
        except Exception:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            tab.screenshot(path=str(SCREENSHOTS / "predict-failed.png"), full_page=True)
            raise
        assert tab.get_by_text("greedy text, parsed", exact=False).count() >= 1
    finally:
        tab.close()


def test_a_confusion_cell_click_opens_errors(app_url, browser) -> None:
    url, _ = app_url
    tab = _open(browser, f"{url}/results", "Confusion")
    try:
        _select(tab, "Evaluation", "ev-1")
        tab.get_by_text("Click a cell to open its scenarios").first.scroll_into_view_if_needed()
        tab.wait_for_timeout(2000)
        heatmap = tab.locator(".js-plotly-plot").filter(has=tab.locator(".hm")).first
        heatmap.wait_for(timeout=30_000)
        # The cells' transparent markers (the clickable layer over the heatmap): click one.
        cell = heatmap.locator(".scatterlayer .trace .points path").nth(1)
        box = cell.bounding_box()
        assert box, "no clickable cell"
        tab.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        tab.wait_for_url("**/errors", timeout=60_000)
        tab.get_by_text("Confusion cell").first.wait_for(timeout=60_000)
        _idle(tab)
        box = tab.locator('[data-testid="stSelectbox"]').filter(has_text="Confusion cell").first
        chosen = box.inner_text() + " " + " ".join(i.input_value() for i in box.locator("input").all())
        assert "truth" in chosen and "answered" in chosen, chosen
        evaluation = tab.locator('[data-testid="stSelectbox"]').filter(has_text="Evaluation").first
        assert "ev-1" in evaluation.inner_text() + " ".join(i.input_value() for i in evaluation.locator("input").all())
    finally:
        tab.close()
