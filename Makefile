# openIMIS GraphQL backend: the two quick-start commands and a few helpers.
#
#   make run    install into .venv, load the Cambodia demo data into SQLite, serve /graphql
#   make test   run the test suite (SQLite by default; DATABASE_URL=postgres://... for PostgreSQL)

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: run test install lint schema demo-data check-schema clean federation-tools supergraph \
	check-supergraph schema-changes gateway bench-import bench bench-surfaces

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

demo-data: $(STAMP)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_cambodia
	@# demo payers only where the payer module is active (OPENIMIS_MODULES)
	@case ",$$(echo "$${OPENIMIS_MODULES:-location,payer}" | tr -d ' ')," in \
		*,payer,*) $(BIN)/python manage.py generate_payers ;; \
		*) echo "payer module not active: no demo payers" ;; esac
	DEBUG=true $(BIN)/python manage.py create_demo_user

run: demo-data
	@echo "Serving http://$(HOST):$(PORT)/graphql (GraphiQL in a browser); Ctrl-C stops."
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py runserver $(HOST):$(PORT)

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

schema: $(STAMP)
	$(BIN)/python manage.py graphql_schema

check-schema: $(STAMP)
	$(BIN)/python manage.py graphql_schema --check

# Federation: Node.js tooling pinned in federation/package-lock.json.
FED_STAMP := federation/node_modules/.package-lock.json

$(FED_STAMP): federation/package-lock.json
	npm ci --prefix federation --no-audit --no-fund

federation-tools: $(FED_STAMP)

supergraph: $(STAMP) $(FED_STAMP)
	$(BIN)/python manage.py supergraph

check-supergraph: $(STAMP) $(FED_STAMP)
	$(BIN)/python manage.py supergraph --check

# Breaking changes of schema.graphql against BASE (default: the previous commit of main).
schema-changes: $(STAMP)
	$(BIN)/python manage.py schema_changes $(if $(BASE),--base $(BASE))

# The gateway over supergraph.graphql; see README "Running modules as separate services".
GATEWAY_PORT ?= 4000
gateway: $(FED_STAMP)
	NODE_ENV=production PORT=$(GATEWAY_PORT) node federation/gateway.mjs

# Import benchmark: Cambodia's hierarchy as a legacy CSV into PostgreSQL (database leg_bench).
bench-import: $(STAMP)
	$(BIN)/python scripts/bench_import.py

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles federation/node_modules

# Benchmark of the API at national scale on PostgreSQL (README "Benchmark"); writes
# bench/results.json. BENCH_ARGS passes options, e.g. BENCH_ARGS="--reuse --only 1,3".
BENCH_STAMP := $(VENV)/.installed-bench
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/bench_api

$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[dev,bench]"
	@touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(BIN)/python scripts/bench_api.py --database-url $(BENCH_DATABASE_URL) $(BENCH_ARGS)

# The three surfaces on one question (100 villages, parent chain, payers): GraphQL, FHIR,
# JSON:API (scripts/bench_surfaces.py; database bench_surfaces, port 18400).
SURFACES_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/bench_surfaces
bench-surfaces: $(BENCH_STAMP)
	$(BIN)/python scripts/bench_surfaces.py --database-url $(SURFACES_DATABASE_URL) $(BENCH_ARGS)
