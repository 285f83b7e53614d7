# kameng: `make run` brings everything up, `make test` proves it. Settings: see README / DESIGN §6.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
TOOLS := .venv-tools
TOOLS_STAMP := $(TOOLS)/.installed
export KAMENG_TOOLS_BIN := $(CURDIR)/$(TOOLS)/bin

# dev values (override any of them on the command line or in the environment)
export KAMENG_DATA_KEY ?= ZGV2LW9ubHkta2V5LWRvLW5vdC11c2UtaW4tcHJvZC0=
export KAMENG_ADMIN_TOKEN ?= dev-admin-token
export KAMENG_SANDBOX_PAYMENTS ?= 1
export KAMENG_SMTP_URL ?= smtp://127.0.0.1:8025
export KAMENG_MAIL_SINK ?= var/mail
export KAMENG_SUPPLIER_SIM ?= 127.0.0.1:8090
export KAMENG_AMQP_URI ?= amqp://guest:guest@127.0.0.1:5672/
export KAMENG_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/kameng
RABBIT_API_URI ?= http://guest:guest@127.0.0.1:15672
PYTEST_ARGS ?=
TESTS ?= tests
TEST_WORKERS ?= 3

.PHONY: run venv tools deps-check migrate seed lint fmt test test-unit test-integration test-e2e k8s-check bench chaos backup restore audit clean mutate supplier-sim
.DEFAULT_GOAL := run

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON) (CPython 3.11)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade "pip>=23" "setuptools<82"
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $@

venv: $(STAMP)

# The deployment checkers in their own venv, pinned in pyproject.toml's "tools" list (never in .venv).
$(TOOLS_STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON) (CPython 3.11)"; exit 1; }
	$(PYTHON) -m venv $(TOOLS)
	$(PYTHON) -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['optional-dependencies']['tools']))" >$(TOOLS)/requirements.txt
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check -r $(TOOLS)/requirements.txt
	@touch $@

tools: $(TOOLS_STAMP)

# Offline: render each overlay, validate every object's schema, then checkov over the rendered
# manifests and the Dockerfile (nothing may fail; each skip carries its reason in place).
k8s-check: tools
	$(TOOLS)/bin/python deploy/k8s/check.py --out var/k8s
	cp Dockerfile var/k8s/Dockerfile
	$(TOOLS)/bin/checkov --quiet --compact --skip-download --framework kubernetes dockerfile secrets -d var/k8s

deps-check: venv
	@$(PY) -m tools.preflight

migrate: deps-check
	$(PY) -m services.common.migrate

seed: migrate
	$(PY) -m services.catalog.seed
	$(PY) -m services.supplier.seed

run: seed
	@$(PY) -c "from services.common.config import describe; print('settings in use:'); print('\n'.join(describe()))"
	$(PY) -m tools.runner

# ruff (lint rules and formatting) and mypy, configured in pyproject.toml; `make test` runs it first.
lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# What `ruff format --check` and the fixable rules ask for, applied (review the diff before committing).
fmt: venv
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# the suite in TEST_WORKERS parallel shards (each its own database), then tests/e2e/failures alone:
# tools/testrun.py; a failed shard's log is printed at the end and kept in var/test-runs/
test: lint deps-check tools
	$(PY) -m tools.testrun --workers $(TEST_WORKERS) $(TESTS) -- --amqp-uri=$(KAMENG_AMQP_URI) --rabbit-api-uri=$(RABBIT_API_URI) $(PYTEST_ARGS)

test-unit: venv tools
	$(PY) -m pytest tests/unit $(PYTEST_ARGS)

test-integration: deps-check
	$(PY) -m pytest tests/integration --amqp-uri=$(KAMENG_AMQP_URI) --rabbit-api-uri=$(RABBIT_API_URI) $(PYTEST_ARGS)

test-e2e: deps-check
	$(PY) -m pytest tests/e2e --amqp-uri=$(KAMENG_AMQP_URI) --rabbit-api-uri=$(RABBIT_API_URI) $(PYTEST_ARGS)

chaos: deps-check
	$(PY) -m pytest tests/e2e/failures -s --amqp-uri=$(KAMENG_AMQP_URI) --rabbit-api-uri=$(RABBIT_API_URI) $(PYTEST_ARGS)

# The audit chain's integrity, then pip-audit over .venv against the local advisory snapshot
# ADVISORY_DB (default var/advisories/pypi; skipped with a message when there is none: never the network).
audit: venv tools
	$(PY) -m services.audit.integrity $(DAYS)
	$(TOOLS)/bin/python tools/audit_deps.py

backup: venv
	$(PY) -m tools.backup dump $(or $(BACKUP_DIR),var/backups)

restore: venv
	@test -n "$(BACKUP)" || { echo "usage: make restore BACKUP=var/backups/<time> [SERVICES='catalog order']"; exit 2; }
	$(PY) -m tools.backup restore $(BACKUP) $(SERVICES)

# A simulated upstream supplier on 127.0.0.1:$(SIM_PORT) (generic protocol, app_id sim-app, key
# sim-key): tell it how to answer with POST /_sim/script (docs/suppliers.md).
SIM_PORT ?= 8090
supplier-sim: venv
	$(PY) -m tools.supplier_sim --port $(SIM_PORT)

clean:
	rm -rf $(VENV) $(TOOLS) .pytest_cache
	find . -name __pycache__ -prune -exec rm -rf {} +

# Planted faults in the saga, inbox, outbox, reservation, payment checks and refunds, one at a time:
# prints how many the tests catch (tests/mutate.py). Not part of `make test`; run it before
# changing those modules. MUTANTS=<part of a name> runs some of them.
mutate: deps-check
	$(PY) -m tests.mutate $(MUTANTS)

bench: deps-check
	@command -v wrk >/dev/null || { echo "installing wrk"; apt-get install -y -qq wrk >/dev/null; }
	$(PY) -m bench.run
