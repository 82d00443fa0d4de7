# The two commands the README promises: `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
export DJANGO_SETTINGS_MODULE := config.settings

.PHONY: demo test lint venv wheel

$(VENV)/.installed-site: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[site]"
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed-site
	$(PY) -m pip install --quiet -e ".[site,test]"
	touch $@

venv: $(VENV)/.installed-site

# Set up and serve the reference site on the embedded default (SQLite, local-memory cache,
# eager Celery, console email). Safe to re-run.
demo: $(VENV)/.installed-site
	$(PY) manage.py migrate --noinput
	$(PY) manage.py demo_setup
	$(PY) manage.py runserver 0.0.0.0:8000

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# Lint, then every test. DATABASE_URL / REDIS_URL point the suite at PostgreSQL and Redis.
test: lint
	$(PY) -m pytest $(PYTEST_ARGS)

wheel: $(VENV)/.installed-test
	$(PY) -m build --wheel --outdir dist .
