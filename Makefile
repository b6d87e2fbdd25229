# Replan: `make run` serves the demo on http://127.0.0.1:5000, `make test` runs the suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := FLASK_APP=run.py $(BIN)/flask
HOST   ?= 127.0.0.1
PORT   ?= 5000

# Some shells export PYTHONDONTWRITEBYTECODE=1: then every process (each test worker, every
# subprocess a test starts) compiles the app and pytest re-writes every test module from
# source. Cached bytecode (in the git-ignored __pycache__/) saves ~25 % of the test time.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: run serve test audit translations compile-translations migrate roles demo worker lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.requirements: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.requirements-test: requirements-test.txt $(VENV)/.requirements
	$(BIN)/pip install --quiet -r requirements-test.txt
	touch $@

compile-translations: $(VENV)/.requirements
	$(BIN)/pybabel compile -d babel/translations > /dev/null

translations: $(VENV)/.requirements
	$(BIN)/pybabel extract -F babel/babel.cfg -k _l -k lazy_gettext --no-location --omit-header \
	  -o babel/messages.pot app models views cabinet reports
	$(BIN)/pybabel update -i babel/messages.pot -d babel/translations --no-fuzzy-matching
	$(BIN)/pybabel compile -d babel/translations --statistics

migrate: $(VENV)/.requirements
	mkdir -p instance
	$(FLASK) db upgrade heads

roles: migrate
	$(FLASK) replan sync-roles

demo: roles
	$(FLASK) replan demo

run: compile-translations demo
	@echo ""
	@echo "Replan is starting on http://$(HOST):$(PORT)/  (Ctrl+C stops it)"
	$(BIN)/gunicorn --workers 2 --bind $(HOST):$(PORT) --access-logfile - run:app

worker: $(VENV)/.requirements
	$(FLASK) replan worker

# SQLite: two worker processes, each with its own database file (tests/conftest.py); with
# REDIS_URL one process, as RQ's queues live in the one Redis database. TEST_WORKERS=0: serial.
TEST_WORKERS ?= $(if $(REDIS_URL),0,2)
test: $(VENV)/.requirements-test compile-translations
	$(BIN)/python -m pytest -n $(TEST_WORKERS) $(if $(filter 0,$(TEST_WORKERS)),,--dist worksteal) \
	  -m "not audit" $(PYTEST_ARGS)

# the page audits over every page kind (axe-core in Chromium at 375/1280 px in ru/en as each
# role, the Nu Html Checker, the ru/en language crawl, the phone-width screenshots) and the full
# fuzz sample (every route and form as each role; `make test` fuzzes each once): minutes,
# not seconds, so outside `make test`; .ci/run runs both
audit: $(VENV)/.requirements-test compile-translations
	$(BIN)/python -m pytest -n 2 --dist worksteal -m audit $(PYTEST_ARGS)

# `docker compose up` end to end without an image registry: stand-in images from Debian's
# packages (tools/registryless), Replan's image from the Dockerfile, the demo journey over HTTP
# with a worker killed and Redis restarted, every e-mail in the mail catcher; needs root (apt,
# dockerd). .ci/run runs it last. docs/deploy.md, "Checking a compose deployment"
.PHONY: compose-check
compose-check: $(VENV)/.requirements-test
	tools/compose_check.sh

lint: $(VENV)/.requirements-test
	$(BIN)/ruff check app models views cabinet reports tests config.py run.py

clean:
	rm -rf $(VENV) instance/test.sqlite .pytest_cache

# Mutation testing of the domain rules (pricing, scheduling, access, workflow) with mutmut:
# fresh copy in mutants/, SQLite files in a temporary folder (never instance/), two workers.
# Settings in setup.cfg [mutmut]; scores and accepted survivors in docs/quality.md.
# A subset: make mutants MUTANTS='app.pricing.*'
.PHONY: mutants
mutants: $(VENV)/.requirements-test compile-translations
	rm -rf mutants
	tmp=$$(mktemp -d /tmp/replan-mutants.XXXXXX) && \
	env -u REDIS_URL DATABASE_URL="sqlite:///$$tmp/test.sqlite" MUTANTS_DB_DIR="$$tmp" \
	  $(BIN)/mutmut run --max-children $(or $(MUTANTS_JOBS),2) $(MUTANTS); status=$$?; rm -rf "$$tmp"; \
	test $$status -eq 0
	@$(BIN)/mutmut results --all true | awk -F'[.:]' '/__mutmut_/ && !/not checked/ { \
	    module = $$1 "." $$2; sub(/^ +/, "", module); n[module]++; \
	    if ($$NF ~ /killed|timeout/) k[module]++; else if ($$NF !~ /skipped/) s[module]++ } \
	  END { for (m in n) { t = k[m] + s[m]; \
	    printf "%-26s killed %4d / %4d  %5.1f %%\n", m, k[m], t, t ? 100 * k[m] / t : 0 } }' | sort
