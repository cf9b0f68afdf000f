# quizapp — `make run` sets everything up and serves; `make test` sets up and runs every check.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

# A Python >= 3.12: $(PYTHON) if given, else python3.13/python3.12/python3 on PATH, else one
# installed under pyenv. Each candidate is run, so a pyenv shim that cannot start is skipped.
define find_python
for cand in $${PYTHON:-} python3.13 python3.12 python3 $$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -rV); do \
  [ -n "$$cand" ] || continue; \
  if "$$cand" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then echo "$$cand"; exit 0; fi; \
done; exit 1
endef

.PHONY: help
help:
	@echo "make run    install, migrate, seed content and demo accounts, serve on http://$(HOST):$(PORT)"
	@echo "make test   install, lint, check migrations and run the test suite"
	@echo "make bench  run the benchmarks and write docs/benchmarks.md"
	@echo "make lock   re-pin requirements.lock after changing pyproject.toml"

$(STAMP): pyproject.toml requirements.lock
	@if [ -n "$${PYTHON:-}" ] && [ -x "$(PY)" ] && ! "$(PY)" -c 'import sys; sys.exit(sys.version_info < (3, 12))'; then rm -rf $(VENV); fi
	@if [ ! -x "$(PY)" ]; then \
	  python=$$($(find_python)) || { echo "error: quizapp needs Python >= 3.12. Install one (e.g. 'pyenv install 3.13') or run 'make PYTHON=/path/to/python3.12'." >&2; exit 1; }; \
	  echo "Creating $(VENV) with $$python ($$($$python --version))"; \
	  "$$python" -m venv $(VENV); \
	fi
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[dev]'
	@touch $(STAMP)

.PHONY: install
install: $(STAMP)

.PHONY: setup
setup: install
	$(PY) manage.py migrate --no-input
	$(PY) manage.py seed_content
	$(PY) manage.py seed_demo

.PHONY: run
run: setup
	@echo ""
	@echo "quizapp is starting on SQLite ($(CURDIR)/db.sqlite3):"
	@echo "  web        http://$(HOST):$(PORT)/"
	@echo "  admin      http://$(HOST):$(PORT)/admin/"
	@echo "  API docs   http://$(HOST):$(PORT)/api/docs/"
	@echo "  health     http://$(HOST):$(PORT)/healthz"
	@echo ""
	@# The task worker (FSRS refits) runs beside the web server and stops with it.
	$(PY) manage.py db_worker --interval 5 & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py runserver $(HOST):$(PORT)

.PHONY: lint
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The browser tests (tests/e2e) drive Debian's chromium (Playwright never downloads browsers)
# and inject axe-core, pinned by tests/e2e/package-lock.json.
CHROMIUM := /usr/bin/chromium
.PHONY: e2e-deps
e2e-deps:
	@if [ ! -x $(CHROMIUM) ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else \
	    echo "error: the browser tests need Debian's chromium at $(CHROMIUM): run 'sudo apt-get install chromium' (or 'sudo make e2e-deps')." >&2; exit 1; \
	  fi; \
	fi
	@if [ ! -d tests/e2e/node_modules/axe-core ]; then \
	  command -v npm >/dev/null || { echo "error: the browser tests install axe-core with npm: run 'sudo apt-get install npm'." >&2; exit 1; }; \
	  npm ci --prefix tests/e2e --no-audit --no-fund; \
	fi

# The deployment tests (tests/test_deploy.py, tests/load/test_slow_clients.py) run the documented
# nginx configuration (deploy/nginx.conf) with Debian's nginx and a throw-away openssl certificate.
.PHONY: deploy-deps
deploy-deps:
	@if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx openssl; \
	  else \
	    echo "error: the deployment tests need nginx: run 'sudo apt-get install nginx' (or 'sudo make deploy-deps')." >&2; exit 1; \
	  fi; \
	fi

.PHONY: test
test: lint e2e-deps deploy-deps
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run
	$(BIN)/pytest $(PYTEST_ARGS)

.PHONY: bench
bench: install
	$(PY) -m bench $(BENCH_ARGS)

.PHONY: lock
lock: install
	$(PY) -m pip freeze --exclude-editable | grep -v '^#' > requirements.lock
