#!/usr/bin/env bash
# The embedded default: Django's server, one Celery worker and exactly one beat, all on SQLite and
# kombu's filesystem broker. Ctrl-C stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT="${1:-8000}"
PY=.venv/bin/python
mkdir -p var/log
pids=()
cleanup() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup INT TERM EXIT

# Seed first: the demo load is one long write transaction, and SQLite has a single writer.
$PY manage.py seed_demo
$PY manage.py load_federal_holidays >/dev/null  # this year's and next year's, for SLAs and digests

.venv/bin/celery -A hmis_onboarding worker --loglevel=INFO --concurrency=2 >var/log/worker.log 2>&1 &
pids+=($!)
.venv/bin/celery -A hmis_onboarding beat --loglevel=INFO --pidfile= >var/log/beat.log 2>&1 &
pids+=($!)

echo "Celery worker and beat are running (logs: var/log/worker.log, var/log/beat.log)."
echo "Serving on http://127.0.0.1:${PORT}/ — press Ctrl-C to stop."
$PY manage.py runserver "127.0.0.1:${PORT}"
