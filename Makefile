SHELL := /bin/bash
# Two commands a reader needs:
#   make book   set everything up (once), then build the HTML book into _build/html,
#               executing every chapter afresh so the pages match the code
#   make test   set everything up (once), then run the unit tests and every chapter
# Both are idempotent: the environment is reinstalled only when requirements.txt
# or pyproject.toml change.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.ntlib-installed

NPM_STAMP := node_modules/.ntlib-npm-installed

.PHONY: all setup system node book test serve clean distclean

all: book

setup: system $(STAMP) $(NPM_STAMP)

system:
	@sh scripts/ensure-ngspice.sh

$(STAMP): requirements.txt requirements-nodeps.txt pyproject.toml | system
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "error: Python 3.11 or newer is needed, found " + sys.version.split()[0])'
	@rm -f $(STAMP)
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -r requirements-nodeps.txt
	$(PY) -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

# The site's browser assets (ngspice as WebAssembly for the live explorer):
# Node and npm from Debian when missing, then `npm ci` from package-lock.json,
# rerun only when the lock file changes.
node:
	@sh scripts/ensure-node.sh

$(NPM_STAMP): package.json package-lock.json | node
	@rm -f $(NPM_STAMP)
	npm ci --no-audit --no-fund --loglevel=error
	@touch $(NPM_STAMP)

book: setup
	$(VENV)/bin/jupyter-book build . --all 2>&1 | tee _build.log; exit $${PIPESTATUS[0]}
	@echo "The book is in _build/html/index.html"

test: setup
	$(PY) -m pytest

# Serve the built book on localhost: the live SPICE explorer needs http, not file://.
PORT ?= 8000
serve:
	@test -f _build/html/index.html || { echo "error: no built book; run make book first" >&2; exit 1; }
	@echo "Serving the book at http://localhost:$(PORT)/ (Ctrl-C stops it)"
	$(PYTHON) -m http.server $(PORT) --bind 127.0.0.1 --directory _build/html

clean:
	rm -rf _build _build.log

distclean: clean
	rm -rf $(VENV) node_modules
