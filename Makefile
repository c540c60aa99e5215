# tenderwatch — two commands set everything up on a machine with Python 3.11+ and make:
#   make demo   the whole platform on embedded SQLite with demo data, on http://127.0.0.1:8000
#   make test   the whole test suite (SQLite by default; DATABASE_URL=postgres://… for PostgreSQL)

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip --disable-pip-version-check -q

.PHONY: demo test lint format typecheck lock messages bench loadtest clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "tenderwatch needs Python 3.11 or newer"'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.base-installed: $(BIN)/python requirements/base.lock pyproject.toml
	$(PIP) install -r requirements/base.lock
	$(PIP) install --no-deps -e .
	touch $@

$(VENV)/.dev-installed: $(VENV)/.base-installed requirements/dev.lock
	$(PIP) install -r requirements/dev.lock
	touch $@

demo: $(VENV)/.base-installed
	$(BIN)/tenderwatch demo

test: $(VENV)/.dev-installed
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(VENV)/.dev-installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: $(VENV)/.dev-installed
	$(BIN)/mypy

# Re-resolve the locked dependencies after changing pyproject.toml.
lock: $(VENV)/.dev-installed
	$(BIN)/python -m pip install -q uv
	$(BIN)/uv pip compile pyproject.toml --python-version 3.11 --no-header -q -o requirements/base.lock
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 --no-header -q -o requirements/dev.lock
	for f in base dev; do sed -i "1i # Locked dependencies ($$f). Regenerate with: make lock" requirements/$$f.lock; done

# Refresh every app's zh-hans catalog after changing user-facing strings.
messages: $(VENV)/.dev-installed
	for app in src/tenderwatch/*/locale; do \
	  (cd $$(dirname $$app) && ../../../$(BIN)/tenderwatch makemessages -l zh_Hans --no-obsolete && \
	   ../../../$(BIN)/tenderwatch compilemessages); done

# Import benchmark (docs/benchmarks.md): generated OCDS JSON Lines, 1/10 and a whole province,
# into a fresh SQLite database; bids per second and peak memory beside plain json.loads.
# Rules benchmark: every statutory rule over a generated province, lots per second beside a
# per-project loop (RULES_BENCH_ARGS="--lots 20000" for a quick run).
# Collusion screens: a national set (1,000,000 lots) as Parquet, beside a bare scan + group-by
# and a pandas/scipy baseline (SCREENS_BENCH_ARGS="--lots 100000" for a quick run).
bench: $(VENV)/.base-installed
	$(BIN)/python benchmarks/import_ocds.py $(BENCH_ARGS)
	$(BIN)/python benchmarks/screen_rules.py $(RULES_BENCH_ARGS)
	$(PIP) install -e '.[bench]'  # pandas, scipy: the baseline
	$(BIN)/python benchmarks/screens.py $(SCREENS_BENCH_ARGS)

# Load test (docs/loadtest.md): 1,000 filings from 50 clients while staff read pages, then the
# database is checked (PostgreSQL tw_loadtest on 127.0.0.1; LOADTEST_ARGS="--sqlite" for SQLite).
loadtest: $(VENV)/.base-installed
	$(PIP) install -e '.[load]'
	$(BIN)/python loadtest/run.py $(LOADTEST_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
