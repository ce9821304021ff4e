# MotCua — the two commands of the README: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
PEER_PORT ?= 8001
PG_URL ?= postgres://postgres@127.0.0.1:5432/motcua
MYPY_PATHS := src/motcua

.PHONY: run-peer messages-compiled run dev prepare test install install-test lint imports typecheck migrations-check test-sqlite test-postgres bench bench-smoke clean messages openapi

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

# Compiled translations (.mo) are built from the .po catalogues, never committed.
MO_FILES := $(patsubst %.po,%.mo,$(wildcard src/motcua/locale/*/LC_MESSAGES/django.po))
%.mo: %.po
	msgfmt --check -o $@ $<

messages-compiled: $(MO_FILES)

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

## make run: install, migrate the SQLite database under var/, load the demo province, collect the static files,
## and serve as production does (gunicorn with several workers, DEBUG off, WhiteNoise) beside the task worker
run: prepare
	@echo ""
	@echo "MotCua: http://$(HOST):$(PORT)/  ·  staff workspace: http://$(HOST):$(PORT)/workspace/  ·  admin: http://$(HOST):$(PORT)/admin/  ·  API: http://$(HOST):$(PORT)/api/v1/docs"
	@echo "Emails are written under var/mail/, SMS under var/sms/ (trial mode)."
	@SECRET_KEY="$$(cat var/secret_key)" MOTCUA_DEMO=1 $(BIN)/motcua serve --bind $(HOST):$(PORT)

## make run-peer: a second province for the trial (Hà Nội, code 01) on PEER_PORT (8001), with its own data under
## var/peer/ and its own demo staff; it and `make run`'s Quảng Ninh are each other's peers (docs/peers.md): a
## judicial-record dossier received on 8000 goes to Hà Nội's Department of Justice for its verification step
PEER_ENV = MOTCUA_DATA_DIR=var/peer MOTCUA_INSTANCE_CODE=01 MOTCUA_INSTANCE_NAME="MotCua Hà Nội (bản thử)" \
	MOTCUA_DVCQG_URL= MOTCUA_POPULATION_URL= MOTCUA_CARRIER_URL=http://$(HOST):8021 MOTCUA_PKI_URL=http://$(HOST):8011
run-peer: install messages-compiled
	@mkdir -p var/peer
	@[ -s var/peer/secret_key ] || $(BIN)/python -c "import secrets; print(secrets.token_urlsafe(50))" > var/peer/secret_key
	$(PEER_ENV) $(BIN)/motcua migrate --noinput -v 1
	$(PEER_ENV) $(BIN)/motcua peer_demo peer --main-dir var --main-url http://$(HOST):$(PORT)
	$(PEER_ENV) $(BIN)/motcua collectstatic --noinput -v 0
	@echo ""
	@echo "MotCua Hà Nội (second instance): http://$(HOST):$(PEER_PORT)/workspace/  ·  its peer: http://$(HOST):$(PORT)/"
	@SECRET_KEY="$$(cat var/peer/secret_key)" MOTCUA_DEMO=1 $(PEER_ENV) $(BIN)/motcua serve --bind $(HOST):$(PEER_PORT)

## make dev: the same data, served by Django's development server (DEBUG on, reloads on code changes)
dev: prepare
	@MOTCUA_DEMO=1 DEBUG=1 $(BIN)/motcua db_worker --queue-name '*' --no-reload -v 0 & worker=$$!; \
	MOTCUA_DEMO=1 DEBUG=1 $(BIN)/motcua deliver_outbox --follow -v 0 & outbox=$$!; \
	trap 'kill $$worker $$outbox 2>/dev/null; wait $$worker $$outbox 2>/dev/null' EXIT; trap 'exit 130' INT TERM; \
	echo "Background worker running (process $$worker): emails under var/mail/, SMS under var/sms/; outbox worker (process $$outbox)"; \
	MOTCUA_DEMO=1 DEBUG=1 $(BIN)/motcua runserver $(HOST):$(PORT)

prepare: install messages-compiled
	@mkdir -p var
	@# a secret key of this installation, kept under var/ (production sets SECRET_KEY itself)
	@[ -s var/secret_key ] || $(BIN)/python -c "import secrets; print(secrets.token_urlsafe(50))" > var/secret_key
	$(BIN)/motcua migrate --noinput -v 1
	@# trial mode (MOTCUA_DEMO): the history's events are queued for the national portal simulator, which `serve` starts
	MOTCUA_DEMO=1 $(BIN)/motcua load_demo --url http://$(HOST):$(PORT)
	@# the second province of the trial (make run-peer) as this one's peer, and the procedure that goes there
	MOTCUA_DEMO=1 $(BIN)/motcua peer_demo main --peer-dir var/peer --peer-url http://$(HOST):$(PEER_PORT)
	$(BIN)/motcua collectstatic --noinput -v 0

## make test: lint, type-check, the suite on SQLite (with the browser tests) and on PostgreSQL
test: install-test messages-compiled lint imports typecheck migrations-check test-sqlite test-postgres bench-smoke

lint: install-test
	$(BIN)/ruff check .

## the layering of STYLE.md (pyproject.toml, [tool.importlinter]): a lower app never imports a higher one
imports: install-test
	$(BIN)/lint-imports --no-cache

typecheck: install-test
	$(BIN)/mypy $(MYPY_PATHS)

## every model change has its migration (a model edited without one fails here, before the suite runs)
migrations-check: install-test
	@# against an empty in-memory database: the check compares the models with the migration files, it needs no data
	DATABASE_URL=sqlite://:memory: $(BIN)/motcua makemigrations --check --dry-run

test-sqlite: install-test messages-compiled
	@echo "== test suite on SQLite =="
	$(BIN)/pytest -q -p no:cacheprovider

test-postgres: install-test messages-compiled
	@if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then \
		echo "== test suite on PostgreSQL ($(PG_URL)) =="; \
		DATABASE_URL=$(PG_URL) $(BIN)/pytest -q -p no:cacheprovider -m "not browser"; \
	elif [ -n "$$MOTCUA_REQUIRE_POSTGRES" ]; then \
		echo "PostgreSQL is not running on 127.0.0.1:5432 and MOTCUA_REQUIRE_POSTGRES is set" >&2; exit 1; \
	else \
		echo "== PostgreSQL not running on 127.0.0.1:5432: skipped the PostgreSQL run (CI runs it) =="; \
	fi

## the benchmarks' smoke sizes (seconds; figures printed, not checked, except the crash test's and the submit's
## counts): every bench/ script runs, so a benchmark that breaks breaks `make test`. On PostgreSQL one database
## with the demo loaded is made first and copied by each script (MOTCUA_BENCH_TEMPLATE); BENCH_DB prefixes the names.
BENCH_DB ?= motcua_bench
bench-smoke: install-test messages-compiled
	@echo "== benchmark smoke runs =="
	@if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then \
		set -e; \
		dropdb -h 127.0.0.1 -U postgres --if-exists --force $(BENCH_DB)_demo; \
		createdb -h 127.0.0.1 -U postgres $(BENCH_DB)_demo; \
		export DATABASE_URL=postgres://postgres@127.0.0.1:5432/$(BENCH_DB)_demo MOTCUA_DATA_DIR=$$(mktemp -d); \
		PYTHONPATH=$$PWD/src $(BIN)/python -m motcua.cli migrate --noinput -v 0; \
		PYTHONPATH=$$PWD/src $(BIN)/python -m motcua.cli load_demo --without-history > /dev/null; \
		rm -rf "$$MOTCUA_DATA_DIR"; unset DATABASE_URL MOTCUA_DATA_DIR; \
		export MOTCUA_BENCH_DB=$(BENCH_DB) MOTCUA_BENCH_TEMPLATE=$(BENCH_DB)_demo; \
		status=0; \
		$(BIN)/python bench/crash.py --smoke || status=1; \
		$(BIN)/python bench/lifecycle.py --smoke || status=1; \
		$(BIN)/python bench/catalog_search.py --smoke || status=1; \
		$(BIN)/python bench/portal.py --smoke || status=1; \
		$(BIN)/python bench/signing.py --smoke || status=1; \
		$(BIN)/python bench/postal.py --smoke || status=1; \
		$(BIN)/python bench/stats.py --smoke || status=1; \
		$(BIN)/python bench/interconnect.py --smoke || status=1; \
		$(BIN)/python bench/assistant.py --smoke || status=1; \
		dropdb -h 127.0.0.1 -U postgres --if-exists --force $(BENCH_DB)_demo; \
		exit $$status; \
	else \
		set -e; \
		$(BIN)/python bench/crash.py --smoke --sqlite; \
		$(BIN)/python bench/lifecycle.py --smoke; \
		$(BIN)/python bench/catalog_search.py --smoke; \
		$(BIN)/python bench/signing.py --smoke; \
		$(BIN)/python bench/postal.py --smoke; \
		$(BIN)/python bench/stats.py --smoke; \
		$(BIN)/python bench/interconnect.py --smoke; \
		$(BIN)/python bench/assistant.py --smoke; \
		echo "== PostgreSQL not running on 127.0.0.1:5432: skipped bench/portal.py (gunicorn + locust) =="; \
	fi

bench: install-test messages-compiled
	$(BIN)/python bench/crash.py
	$(BIN)/python bench/catalog_search.py
	$(BIN)/python bench/lifecycle.py
	$(BIN)/python bench/signing.py
	$(BIN)/python bench/postal.py
	$(BIN)/python bench/interconnect.py
	$(BIN)/python bench/assistant.py
	@# 10,000,000 synthetic dossiers (PostgreSQL): generated once, kept for the next run (--keep)
	$(BIN)/python bench/stats.py --keep
	@if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then \
		$(BIN)/python bench/portal.py; \
	else \
		echo "== PostgreSQL not running on 127.0.0.1:5432: skipped bench/portal.py (gunicorn + locust) =="; \
	fi

## make openapi: write the API contract, docs/api/openapi.json, from the code (tests/test_openapi_contract.py fails
## until the committed file is the running API's document)
openapi: install
	$(BIN)/motcua openapi --output docs/api/openapi.json

messages: install
	cd src/motcua && ../../$(BIN)/motcua makemessages -l vi -l en -l es --no-obsolete --no-location

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
