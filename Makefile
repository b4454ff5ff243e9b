# The two commands of the quick start: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test lint worker beat bench explain seed clean

$(BIN)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(BIN)/.installed

# With no settings: SQLite, Celery eager, mail as .eml files under var/mail/.
# With DATABASE_URL / REDIS_URL: PostgreSQL, and beside the web server a Celery worker and a beat,
# each its own process as in production (docker-compose.yml): beat schedules the outbox sweep,
# which must not stop when a worker does.
run: install
	@set -e; export DEBUG=$${DEBUG:-1}; export SITE_URL=$${SITE_URL:-http://$(HOST):$(PORT)}; \
	$(BIN)/python manage.py migrate --noinput; \
	$(BIN)/python manage.py load_demo; \
	echo; \
	echo "  Help desk: http://$(HOST):$(PORT)/   (admin: http://$(HOST):$(PORT)/admin/)"; \
	echo "  Links in e-mail point to $$SITE_URL (set SITE_URL when people open it at another address)."; \
	echo "  Sign in with any of these, password '$${DEMO_PASSWORD:-helpdesk-demo}':"; \
	echo "    customer@example.com   provider site admin (Sunshine Early Learning)"; \
	echo "    colleague@example.com  provider staff, same organisation"; \
	echo "    payer@example.com      payer (Lone Star Care Plan)"; \
	echo "    tier1@example.com      Tier I agent on every desk"; \
	echo "    tier2@example.com      Tier II agent on every desk"; \
	echo "    admin@example.com      admin (configuration)"; \
	if [ -n "$$REDIS_URL" ]; then \
	  echo "  Mail goes out through Celery on $$REDIS_URL: two processes, as in production, logging here:"; \
	  echo "    celery worker  sends the outbox, retrying while the mail server is down;"; \
	  echo "    celery beat    queues the outbox sweep every $${NOTIFICATION_SWEEP_SECONDS:-60} s (re-sends what is unsent)."; \
	  mkdir -p var; \
	  $(BIN)/celery -A helpdesk worker -l info & \
	  $(BIN)/celery -A helpdesk beat -l info --schedule var/celerybeat-schedule & \
	  trap 'kill %1 %2 2>/dev/null' EXIT; \
	else \
	  echo "  Mail is written to var/mail/*.eml."; \
	fi; \
	echo; \
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DEBUG=1 DATABASE_URL=sqlite://:memory: $(BIN)/mypy

# .ci/setup installs (as root) or names the Debian packages the suite needs, starts PostgreSQL and
# Redis when they are down, and prints the environment for the tests.
test: lint
	DEBUG=1 DATABASE_URL=sqlite://:memory: $(BIN)/python manage.py makemigrations --check --dry-run
	@set -e; env_lines="$$(.ci/setup)"; eval "$$env_lines"; $(BIN)/pytest $(PYTEST_ARGS)

# Benchmarks against PostgreSQL (a database of their own, BENCH_DATABASE_URL, seeded once with
# `seed_load`, a million requests by default): every page over HTTP against the ceiling, then
# the mail delivery bench; see bench/README.md. `make bench BENCH_ARGS="--tickets 200000"`.
bench: install
	$(BIN)/python bench/http_bench.py $(BENCH_ARGS)
	$(BIN)/python bench/delivery_bench.py $(DELIVERY_BENCH_ARGS)

# The plan of every query of the benchmarked pages; fails on a sequential scan of the tickets
# or activities tables.
explain: install
	$(BIN)/python bench/explain.py $(EXPLAIN_ARGS)

worker: install
	$(BIN)/celery -A helpdesk worker -l info

beat: install
	$(BIN)/celery -A helpdesk beat -l info

clean:
	rm -rf var test-artifacts .pytest_cache .ruff_cache
