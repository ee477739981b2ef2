# openIMIS GraphQL backend: the two quick-start commands and a few helpers.
#
#   make run    install into .venv, build the frontend, load the Cambodia demo data into SQLite,
#               serve the frontend at / and /graphql
#   make test   run the test suite (SQLite by default; DATABASE_URL=postgres://... for PostgreSQL),
#               the frontend's lint and component tests, and its browser tests

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
STAMP := $(VENV)/.installed
# Frontend: npm packages from frontend/package-lock.json; Vite builds frontend/dist, which
# Django serves as static files. The build types the GraphQL operations from schema.graphql.
FRONTEND_STAMP := frontend/node_modules/.package-lock.json
FRONTEND_BUILD := frontend/dist/manifest.json
FRONTEND_SOURCES := $(shell find frontend/src frontend/modules -type f -not -path 'frontend/src/gql/*' 2>/dev/null) \
	frontend/vite.config.ts frontend/codegen.ts frontend/tsconfig.json schema.graphql


.PHONY: run port-free test install lint schema demo-data check-schema clean federation-tools supergraph \
	check-supergraph schema-changes gateway bench-import bench lock check-lock bench-attack \
	bench-faults frontend frontend-test bench-frontend bench-surfaces bench-read profile-request \
	bench-fixed-cost wheelhouse

# Every Python package comes from the hashed lock (requirements/dev.txt: the runtime, the
# demo data, tracing, the dev and bench tools); the project itself is then installed
# editable without its dependencies, built by the locked setuptools.
LOCK_DEV := requirements/dev.txt
LOCK_MAIN := requirements/main.txt

$(STAMP): pyproject.toml $(LOCK_DEV)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r $(LOCK_DEV)
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	$(BIN)/python -m pip check
	@touch $(STAMP)

install: $(STAMP)

# Rewrites the lock files after a change of pyproject.toml (uv keeps the locked versions
# of whatever did not change). The images install requirements/main.txt (runtime, demo
# data, tracing); make install requirements/dev.txt (everything, same versions).
UV_COMPILE = $(BIN)/uv pip compile pyproject.toml requirements/build.in --universal \
	--python-version 3.11 --generate-hashes --quiet
lock: $(STAMP)
	$(UV_COMPILE) --extra demo --extra otel -o $(LOCK_MAIN)
	$(UV_COMPILE) --extra dev --extra bench --extra demo --extra otel -c $(LOCK_MAIN) -o $(LOCK_DEV)

# For a machine without internet access (README, "Installing on a machine without
# internet access"): the locked files of LOCK downloaded into WHEELHOUSE, hashes checked.
# LOCK=requirements/main.txt (default): what a server installs, as the image does;
# LOCK=requirements/dev.txt: the local trial's (make run), with the dev and test tools.
LOCK ?= $(LOCK_MAIN)
WHEELHOUSE ?= wheelhouse
wheelhouse:
	@case "$(LOCK)" in $(LOCK_MAIN)|$(LOCK_DEV)) ;; \
		*) echo "LOCK=$(LOCK): give $(LOCK_MAIN) (a server) or $(LOCK_DEV) (the local trial)" >&2; exit 2 ;; esac
	$(PYTHON) -m pip download --require-hashes --no-deps -r $(LOCK) -d $(WHEELHOUSE)

# CI: the locks match pyproject.toml, and two clean installs of each give the same versions.
check-lock: $(STAMP)
	$(BIN)/python scripts/check_lock.py

demo-data: $(STAMP)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_cambodia
	@# demo payers only where the payer module is active (OPENIMIS_MODULES)
	@case ",$$(echo "$${OPENIMIS_MODULES:-location,payer}" | tr -d ' ')," in \
		*,payer,*) $(BIN)/python manage.py generate_payers ;; \
		*) echo "payer module not active: no demo payers" ;; esac
	DEBUG=true $(BIN)/python manage.py create_demo_user

# Before the loaders: a port already in use (a second `make run`) stops here, in a second.
port-free:
	@$(PYTHON) -c "import socket, sys; s = socket.socket(); sys.exit(0 if s.connect_ex(('$(HOST)', $(PORT))) else 'Port $(PORT) on $(HOST) is in use (another make run?): stop it or use make run PORT=8001.')"

run: port-free frontend demo-data
	@echo "Serving http://$(HOST):$(PORT)/ (the frontend; GraphiQL at /graphql); Ctrl-C stops."
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py runserver $(HOST):$(PORT)

test: $(STAMP) frontend-test
	$(BIN)/python -m pytest

lint: $(STAMP) $(FRONTEND_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	npm --prefix frontend run --silent lint

$(FRONTEND_STAMP): frontend/package-lock.json
	npm ci --prefix frontend --no-audit --no-fund

$(FRONTEND_BUILD): $(FRONTEND_STAMP) $(FRONTEND_SOURCES)
	npm --prefix frontend run --silent build

frontend: $(FRONTEND_BUILD)

# Component tests (Vitest); the browser tests run in pytest (tests/test_frontend_browser.py).
frontend-test: $(FRONTEND_BUILD)
	npm --prefix frontend test

# Browser benchmark against a running server (make run): BENCH_URL, default the quick start's.
BENCH_URL ?= http://$(HOST):$(PORT)
bench-frontend: $(FRONTEND_STAMP)
	npm --prefix frontend run --silent bench -- $(BENCH_URL)

schema: $(STAMP)
	$(BIN)/python manage.py graphql_schema

check-schema: $(STAMP)
	$(BIN)/python manage.py graphql_schema --check

# Federation: Node.js tooling pinned in federation/package-lock.json (MIT composition and
# Hive Gateway), with its own Node.js 22 (the npm package `node`): federation/node_modules/.bin/node.
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
	NODE_ENV=production PORT=$(GATEWAY_PORT) federation/node_modules/.bin/node federation/gateway.mjs

# Import benchmark: Cambodia's hierarchy as a legacy CSV into PostgreSQL (database leg_bench).
bench-import: $(STAMP)
	$(BIN)/python scripts/bench_import.py

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-wal db.sqlite3-shm staticfiles federation/node_modules frontend/node_modules frontend/dist

# Benchmark of the API at national scale on PostgreSQL (README "Benchmark"); writes
# bench/results.json. BENCH_ARGS passes options, e.g. BENCH_ARGS="--reuse --only 1,3".
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/bench_api

bench: $(STAMP)
	$(BIN)/python scripts/bench_api.py --database-url $(BENCH_DATABASE_URL) $(BENCH_ARGS)

# Hardening (README "Hardening benchmarks"): the attack inputs of issue 10, then 3 minutes
# of mixed load with a database backend termination and a worker kill.
bench-attack: $(BENCH_STAMP)
	$(BIN)/python scripts/bench_attack.py $(BENCH_ARGS)

bench-faults: $(BENCH_STAMP)
	$(BIN)/python scripts/bench_faults.py $(BENCH_ARGS)

# The three surfaces on one question (100 villages, parent chain, payers): GraphQL, FHIR,
# JSON:API (scripts/bench_surfaces.py; database bench_surfaces, port 18400).
SURFACES_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/bench_surfaces
bench-surfaces: $(BENCH_STAMP)
	$(BIN)/python scripts/bench_surfaces.py --database-url $(SURFACES_DATABASE_URL) $(BENCH_ARGS)

# Side by side with PostGraphile, graphene and the SQL floor (README "Side by side"): the
# bench of ../shared/bench, copied to BENCH_DIR (default /tmp/bench), with the product slot
# filled by this checkout. BENCH_READ_ARGS go to its run.py, e.g. "--servers product".
bench-read: $(STAMP)
	scripts/bench_read.sh $(BENCH_READ_ARGS)

# Where one small request's time goes, in the process (scripts/profile_request.py):
# PROFILE_DATABASE_URL names a database holding the bench data and its read token.
PROFILE_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/bench_product
profile-request: $(STAMP)
	DATABASE_URL=$(PROFILE_DATABASE_URL) DEBUG=false SECRET_KEY=profile-only LOG_LEVEL=WARNING \
		$(BIN)/python scripts/profile_request.py $(PROFILE_ARGS)

# The same small read over HTTP from a static answer, Django without middleware and the
# deployment, beside its SQL (scripts/bench_fixed_cost.py; the database as profile-request).
bench-fixed-cost: $(STAMP)
	DATABASE_URL=$(PROFILE_DATABASE_URL) DEBUG=false SECRET_KEY=profile-only LOG_LEVEL=WARNING \
		$(BIN)/python scripts/bench_fixed_cost.py $(BENCH_ARGS)
