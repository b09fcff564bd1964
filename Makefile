# Two commands do all the set-up:  `make app` (install serving, then start the app)  and  `make test`
# (install what the tests need, run the whole suite). `make check` is the quick loop: lint and the fast tests.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DIGITREC_DATA_DIR ?= $(abspath ../shared/mnist)
export DIGITREC_DATA_DIR
export NO_MKDOCS_2_WARNING := 1

HOST ?= 127.0.0.1
PORT ?= 8501
# The tiers `make check` leaves out (pytest markers; tests/conftest.py gives them out).
SLOW_TIERS := not postgres and not browser and not docker and not training

.PHONY: install install-serving install-test install-check test check app worker lint docs docs-serve bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

install: $(BIN)/python   # everything: serving, training, fine-tuning, the worker
	$(BIN)/pip install -e '.[train]'

install-serving: $(BIN)/python   # the app, predict and evaluate on ONNX Runtime: no torch
	$(BIN)/pip install -e .

# pip runs again only when pyproject.toml changed since the last install (a stamp file in the venv).
$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -e '.[test,docs]'
	touch $@

install-test: $(VENV)/.installed-test
	scripts/install-system-packages.sh   # installs only the Debian packages that are missing

install-check: $(VENV)/.installed-test   # no apt: what lint, docs and the fast tests need is in the venv

test: install-test   # the whole suite: the README's test command and CI's
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mkdocs build --strict --quiet
	$(BIN)/pytest

check: install-check   # minutes: lint, the docs, unit, AppTest pages and SQLite integration
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mkdocs build --strict --quiet
	$(BIN)/pytest -m "$(SLOW_TIERS)" -q

app: install-serving   # the app needs no torch: ONNX Runtime serves the model and draws Inside the model
	$(BIN)/digitrec serve --host $(HOST) --port $(PORT)

worker: install   # runs the fine-tunes operators start on the Models page (same database as the app)
	$(BIN)/digitrec worker --data-dir $(DIGITREC_DATA_DIR)

lint:
	$(BIN)/ruff check src tests benchmarks

docs: install-check   # the documentation site, into site/ (a broken link fails the build)
	$(BIN)/mkdocs build --strict

docs-serve: install-check
	$(BIN)/mkdocs serve

bench: bench-train

bench-%:   # any benchmark: `make bench-trust ARGS="heldout-final/fonts"` runs benchmarks/bench_trust.py
	$(BIN)/python benchmarks/bench_$*.py $(if $(filter train,$*),--data-dir $(DIGITREC_DATA_DIR)) $(ARGS)
