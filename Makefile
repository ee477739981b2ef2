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

.PHONY: run test install lint schema demo-data check-schema bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

demo-data: $(STAMP)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_cambodia
	$(BIN)/python manage.py generate_payers

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

# Import benchmark: Cambodia's hierarchy as a legacy CSV into PostgreSQL (database leg_bench).
bench: $(STAMP)
	$(BIN)/python scripts/bench_import.py

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
