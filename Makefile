# Two commands on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Both cores by default; CI machines have two.
PYTEST_WORKERS ?= 2

.PHONY: install run test demo bench clean

$(VENV)/bin/python:
	@$(PYTHON) -m venv --help >/dev/null 2>&1 && $(PYTHON) -c 'import ensurepip' 2>/dev/null || { \
	  echo "python3-venv missing: installing it from Debian packages"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv python3-pip >/dev/null; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	@touch $(STAMP)

install: $(STAMP)

# The Focal Point service on 127.0.0.1:8000 with the sample data; prints the demo logins.
run: install
	$(VENV)/bin/ballistics serve --demo --host 127.0.0.1 --port 8000

# PostgreSQL and Chromium for the database and browser tests come from Debian packages (installed if missing).
test: install
	bash scripts/ensure_postgres.sh
	bash scripts/ensure_browser.sh
	bash scripts/ensure_axe.sh
	BALLISTICS_REQUIRE_POSTGRES=$${CI:+1} BALLISTICS_REQUIRE_BROWSER=$${CI:+1} BALLISTICS_REQUIRE_DATA=$${CI:+1} $(PY) -m pytest -n $(PYTEST_WORKERS) -q

clean:
	rm -rf $(VENV) var build *.egg-info
