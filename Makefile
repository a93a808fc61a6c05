# HMIS Onboarding — every target sets up what it needs first.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
UV = $(shell command -v uv 2>/dev/null || echo python3 -m uv)
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: setup run test e2e lint format bench migrate seed clean

setup: $(VENV)/.synced

$(VENV)/.synced: pyproject.toml uv.lock
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	$(UV) sync --frozen
	@touch $@

migrate: setup
	$(PY) manage.py migrate --noinput
	$(PY) manage.py createcachetable

seed: migrate
	$(PY) manage.py seed_demo --quiet-logins

## make run: SQLite + a real Celery worker and beat on the filesystem broker + demo data, on :$(PORT)
run: migrate
	@bash scripts/run_embedded.sh $(PORT)

## make test: the whole suite except browser tests (PostgreSQL/Redis when DATABASE_URL/REDIS_URL are set)
# pytest exits 5 when it collected no tests: say so, and fail (a run that tested nothing never passes).
NO_TESTS = rc=$$?; if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing." >&2; fi; exit $$rc

test: setup
	$(PY) -m pytest -m "not e2e" $(PYTEST_ARGS); $(NO_TESTS)

## make e2e: browser tests with Playwright driving Debian's Chromium, axe-core on every page
e2e: setup
	@bash scripts/ensure_chromium.sh
	$(PY) -m pytest -m e2e $(PYTEST_ARGS); $(NO_TESTS)

## make bench: metro-size benchmark on PostgreSQL (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/hmis_bench);
## creates, migrates and seeds the bench databases when missing; not part of make test or CI
bench: setup
	$(PY) -m bench.run

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: setup
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf var/celery-broker var/test.sqlite3* var/screenshots
