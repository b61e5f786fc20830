# Two commands: `make demo` and `make test`. Each sets up what it needs.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install --quiet --disable-pip-version-check
NODE_DIR := .cache/node
AZURITE := $(NODE_DIR)/node_modules/.bin/azurite-blob

.PHONY: demo test lint bench clean

$(VENV)/.installed: setup.cfg setup.py pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip
	$(PIP) -e ".[all]"
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed tests/plugin_pkg/setup.cfg
	$(PIP) -e ".[all,test,gedidb]" -e tests/plugin_pkg
	test -x $(AZURITE) || npm install --prefix $(NODE_DIR) --no-audit --no-fund --loglevel=error azurite
	command -v chromium || (apt-get update && apt-get install -y chromium fonts-noto-color-emoji)
	touch $@

demo: $(VENV)/.installed
	$(PY) -m intake_xstores.demo

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: lint
	$(PY) -m pytest
	$(PY) tests/install_check.py  # clean venvs: `pip install .` and ".[all]", as a user would

bench: $(VENV)/.installed-test
	$(PY) -m benchmarks

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info demo_data .cache/venv-base .cache/venv-all
