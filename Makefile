# tpj: one command for the report, one for the tests. Everything installs into .venv with uv.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
UV_VERSION := 0.13.8
STAMP := $(VENV)/.installed

.PHONY: setup report test lint format lock environment lab demo-data bench bench-report bench-effect bench-incremental bench-batch clean

# Extra arguments for `tpj run`, e.g. make report TPJ_RUN_ARGS="--data-dir /path/to/data"
TPJ_RUN_ARGS ?=

setup: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(VENV)/bin/pip install -q --disable-pip-version-check uv==$(UV_VERSION)
	@$(UV) pip install --python $(PY) -q -r requirements.lock
	@$(UV) pip install --python $(PY) -q --no-deps -e .
	@touch $(STAMP)
	@echo "tpj: environment ready in $(VENV)"

# The full run on the synthetic demo data (set-up first if needed).
report: setup
	$(VENV)/bin/tpj run --params params/default.yaml $(TPJ_RUN_ARGS)

# Everything ruff looks at, notebooks included (the pre-commit hooks cover the same).
LINTED := tpj_helpers tests benchmarks notebooks

test: setup
	$(VENV)/bin/ruff check $(LINTED)
	$(VENV)/bin/ruff format --check $(LINTED)
	$(PY) -m pytest

lint: setup
	$(VENV)/bin/ruff check $(LINTED)
	$(VENV)/bin/ruff format --check $(LINTED)

format: setup
	$(VENV)/bin/ruff format $(LINTED)

# Re-pin the full dependency set after editing pyproject.toml.
lock:
	@test -x $(UV) || (test -x $(PY) || $(PYTHON) -m venv $(VENV); $(VENV)/bin/pip install -q uv==$(UV_VERSION))
	$(UV) pip compile pyproject.toml --extra dev --extra lab --python-version 3.11 -o requirements.lock -q

# environment.yml (for conda users) from pyproject.toml's pins, checked against the lock.
environment: setup
	$(PY) -m tpj_helpers.run.environment --write

# JupyterLab on the project's environment (notebooks run on the demo data by default).
# --no-browser: print the address instead (servers, containers); --allow-root only when run as root.
lab: setup
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks --no-browser $$(test "$$(id -u)" = 0 && echo --allow-root)

demo-data: setup
	$(VENV)/bin/tpj demo-data --out .cache/demo-data/seed-2025 --seed 2025

# Speed measurements (not tests); figures go to benchmarks/results/ and the README.
bench: setup
	$(PY) benchmarks/bench_dream_panel.py

bench-report: setup
	$(PY) benchmarks/bench_report.py

# A national comparison pool (1,000,000 persons x 161 weeks) through the effect design's data stages.
bench-effect: setup
	$(PY) benchmarks/bench_comparison_pool.py

bench-incremental: setup
	$(PY) benchmarks/bench_incremental.py

bench-batch: setup
	$(PY) benchmarks/bench_batch.py

clean:
	rm -rf output .cache .pytest_cache .ruff_cache
