# Plantão — the two commands of the quick start are `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export PLANTAO_DATABASE_URL ?= sqlite:///./plantao.db
HOST ?= 127.0.0.1
PORT ?= 8080

.PHONY: run test lint typecheck layers unit bench install dev clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
dev: $(VENV)/.installed-dev

run: $(VENV)/.installed
	$(BIN)/plantao migrate
	$(BIN)/plantao apply -f examples/plantao.yaml
	$(BIN)/plantao demo seed
	@echo ""
	@echo "Integration URLs (paste into Alertmanager's webhook_configs / Grafana / PagerDuty senders):"
	@PLANTAO_BASE_URL=http://$(HOST):$(PORT) $(BIN)/plantao integrations list
	@echo ""
	@echo "Web UI at http://$(HOST):$(PORT)/ - log in as 'admin' with this password:"
	@$(BIN)/plantao demo admin 2>/dev/null | tail -n 1
	@echo "Admin API token (Authorization: Bearer ...):"
	@$(BIN)/plantao tokens create --user admin --scopes admin --name "make-run" 2>/dev/null | tail -n 1
	@echo ""
	PLANTAO_BASE_URL=http://$(HOST):$(PORT) $(BIN)/plantao serve --host $(HOST) --port $(PORT)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

layers: $(VENV)/.installed-dev
	$(BIN)/lint-imports

test: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports
	# Four processes: most tests wait on PostgreSQL commits, servers and a browser, not the CPU;
	# a file's tests stay in one process so its module-wide servers start once.
	$(BIN)/pytest -n 4 --dist loadfile

unit: $(VENV)/.installed-dev
	$(BIN)/pytest tests/unit -q

bench: $(VENV)/.installed-dev
	$(BIN)/python benchmarks/intake.py
	$(BIN)/python benchmarks/runbooks.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache plantao.db plantao.db-*
