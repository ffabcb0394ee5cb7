# The two commands: `make run` and `make test`. Both create the environment when it is missing.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
# The environment is rebuilt when the lock file changes.
STAMP := $(VENV)/.installed

.PHONY: run test dev export quality lint format bench lock clean
# The Dagster UI listens on this host only; set HOST=0.0.0.0 to expose it on purpose.
HOST ?= 127.0.0.1
PORT ?= 3000

$(STAMP): requirements.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	@touch $(STAMP)

## Materialise every asset on the bundled (or $$URBAN_SAFETY_DATA_DIR) data into the warehouse.
run: $(STAMP)
	$(PY) -m pipelines.run $(ARGS)

## Run the test suite.
test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

## Open the Dagster UI on http://$(HOST):$(PORT) with everything loaded (instance config: ./dagster.yaml).
dev: $(STAMP)
	DAGSTER_HOME=$(CURDIR) $(VENV)/bin/dagster dev -m pipelines.definitions -h $(HOST) -p $(PORT)

## Run every Great Expectations suite on the warehouse and write the Data Docs to warehouse/data_docs/.
quality: $(STAMP)
	$(PY) -m expectations.gx_runner --docs warehouse/data_docs

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
	(echo "# Exact versions that resolve together on Python 3.11 (pip freeze of a clean venv; see ecosystem.md §0-1)."; echo "# Regenerate with: make lock"; cat requirements.lock.new) > requirements.lock && rm requirements.lock.new

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
