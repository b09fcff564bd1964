# Two commands do all the set-up:  `make app` (install serving, then start the app)  and  `make test` (install, run tests).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DIGITREC_DATA_DIR ?= $(abspath ../shared/mnist)
export DIGITREC_DATA_DIR

HOST ?= 127.0.0.1
PORT ?= 8501

.PHONY: install install-serving install-test test app worker lint bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

install: $(BIN)/python   # everything: serving, training, fine-tuning, the worker
	$(BIN)/pip install -e '.[train]'

install-serving: $(BIN)/python   # the app, predict and evaluate on ONNX Runtime: no torch
	$(BIN)/pip install -e .

install-test: $(BIN)/python
	scripts/install-system-packages.sh
	$(BIN)/pip install -e '.[test]'

test: install-test
	$(BIN)/pytest

app: install-serving   # the app needs no torch: ONNX Runtime serves the model and draws Inside the model
	$(BIN)/digitrec serve --host $(HOST) --port $(PORT)

worker: install   # runs the fine-tunes operators start on the Models page (same database as the app)
	$(BIN)/digitrec worker --data-dir $(DIGITREC_DATA_DIR)

lint:
	$(BIN)/ruff check src tests benchmarks

bench:
	$(BIN)/python benchmarks/bench_train.py --data-dir $(DIGITREC_DATA_DIR)
