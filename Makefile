# Two entry points: `make demo` and `make test`. Both (re)create .venv idempotently first.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ARGS ?=

.PHONY: setup demo test lint bench clean

setup: $(STAMP)

# Re-install only when pyproject.toml changes. uv resolves torch from PyPI (regular build that
# matches torchvision); bpy==5.0.1 needs CPython 3.11.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade uv
	$(BIN)/uv pip install --python $(BIN)/python -e '.[all,dev]'
	@touch $(STAMP)

demo: setup
	$(BIN)/fridge-demo $(ARGS)

test: setup
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q $(ARGS)

lint: setup
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

bench: setup
	$(BIN)/python benchmarks/render_bench.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
