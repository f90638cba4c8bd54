# 绩效自评 — two commands: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test test-pg install migrate seed lint bench migration screenshots clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/jixiao db upgrade

seed: migrate
	$(BIN)/jixiao seed --if-empty

run: seed
	$(BIN)/jixiao serve --host $(HOST) --port $(PORT)

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check app tests benchmarks
	$(BIN)/ruff format --check app tests benchmarks

# Benchmarks (not part of `make test`): SQLite and a throwaway PostgreSQL cluster; BENCH_SCALE=0.1
# for a quick look (README "Performance" reports full scale); BENCH_ARGS="parse rescore" for some.
bench: install
	bash -c 'source .ci/postgres.sh && pg_start && trap pg_stop EXIT && BENCH_PG_URL=$$PG_URL $(BIN)/python -m benchmarks $(BENCH_ARGS)'

# Development only: regenerate the single initial revision from the models (nothing has shipped
# to a production database yet, so the schema still lives in one revision).
migration: install
	rm -f migrations/versions/*_initial_schema.py
	mkdir -p var && rm -f var/migration-scratch.db
	DATABASE_URL=sqlite:///var/migration-scratch.db $(BIN)/alembic revision --autogenerate --rev-id 0001 -m "initial schema"
	mkdir -p var && rm -f var/migration-scratch.db
	$(BIN)/ruff format migrations/versions >/dev/null

clean:
	rm -rf $(VENV) var

# The suite against a throwaway PostgreSQL cluster (as .ci/run does).
test-pg: install
	bash -c 'source .ci/postgres.sh && pg_start && trap pg_stop EXIT && TEST_DATABASE_URL=$$PG_URL $(BIN)/python -m pytest $(PYTEST_ARGS)'

# Screenshots of the finance overview, a review page and the printed 自评表 (headless Chromium,
# demo data in a throwaway database) → screenshots/*.png (+ report-print.pdf).
screenshots: install
	mkdir -p screenshots
	SCREENSHOT_DIR=$(CURDIR)/screenshots $(BIN)/python -m pytest tests/test_reports_browser.py -q
	@ls -1 screenshots
