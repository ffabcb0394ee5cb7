# The two commands: `make run` and `make test`. Both create the environment when it is missing.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
# The environment is rebuilt when the lock file changes.
STAMP := $(VENV)/.installed

.PHONY: run test dev export quality lint format bench lock clean site
# The Dagster UI listens on this host only; set HOST=0.0.0.0 to expose it on purpose.
HOST ?= 127.0.0.1
PORT ?= 3000
# The persistent Dagster instance `make run` records into and `make dev` shows (its dagster.yaml is read from here;
# runs, event logs and schedules go to the git-ignored history/, storage/, schedules/ and logs/).
DAGSTER_HOME ?= $(CURDIR)
export DAGSTER_HOME

$(STAMP): requirements.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	@touch $(STAMP)

## Bring the warehouse up to date on the bundled (or $$URBAN_SAFETY_DATA_DIR) data: only stale assets re-run.
run: $(STAMP)
	$(PY) -m pipelines.run $(ARGS)

# The dashboard's browser tests drive Debian's Chromium (Playwright with executable_path; no browser download).
CHROMIUM ?= /usr/bin/chromium

$(CHROMIUM):
	@command -v apt-get >/dev/null 2>&1 || { echo "The browser tests need Chromium at $(CHROMIUM): install Debian's 'chromium' package (apt-get install -y chromium) or set CHROMIUM=/path/to/chromium" >&2; exit 1; }
	@echo "installing Debian's chromium for the dashboard's browser tests (apt-get, needs root) ..."
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null || { echo "could not install chromium: run 'apt-get update && apt-get install -y chromium' as root, or set CHROMIUM=/path/to/chromium" >&2; exit 1; }

# Test processes (pytest-xdist): one per core by default; TEST_WORKERS=0 runs the suite in this process.
TEST_WORKERS ?= auto

## Run the test suite (installs Chromium for the browser tests when it is missing).
test: $(STAMP) $(CHROMIUM)
	URBAN_SAFETY_CHROMIUM=$(CHROMIUM) $(PY) -m pytest -n $(TEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

## Open the Dagster UI on http://$(HOST):$(PORT) on the same instance as `make run` (`dg dev`, which supersedes
## `dagster dev`; the project and its definitions module come from pyproject.toml [tool.dg]).
dev: $(STAMP)
	$(VENV)/bin/dg dev --host $(HOST) --port $(PORT)

## Run every Great Expectations suite on the warehouse and write the Data Docs to warehouse/data_docs/.
quality: $(STAMP)
	$(PY) -m expectations.gx_runner --docs warehouse/data_docs

## Rebuild the dashboard from the published tables into warehouse/site/ (or $$URBAN_SAFETY_SITE_DIR); make run does it too.
site: $(STAMP)
	$(PY) -m dashboard.build

## Write the published tables as CSV (spreadsheet-safe) into warehouse/exports/.
export: $(STAMP)
	$(PY) -m warehouse.export

## Time `make run` (full and no-change) on a temporary warehouse, then the police.uk ingest at 1 M and 10 M rows
## against bare DuckDB and pandas (INCIDENT_BENCH_SIZES=...); writes bench/results.md.
bench: $(STAMP)
	$(PY) bench/run_bench.py
	$(PY) bench/incident_bench.py

lint: $(STAMP)
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff format . && $(VENV)/bin/ruff check --fix .

## Regenerate requirements.lock from the pins in pyproject.toml (needs the package index).
lock:
	rm -rf /tmp/urban-safety-lock && $(PYTHON) -m venv /tmp/urban-safety-lock
	/tmp/urban-safety-lock/bin/pip install --quiet ".[dev]" && /tmp/urban-safety-lock/bin/pip freeze --exclude urban-safety > requirements.lock.new
	(echo "# Exact versions that resolve together on Python 3.11 (pip freeze of a clean venv)."; echo "# Regenerate with: make lock"; cat requirements.lock.new) > requirements.lock && rm requirements.lock.new

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
