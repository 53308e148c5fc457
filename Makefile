# Parley: the two commands a newcomer needs are `make demo` and `make test` (see README.md).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install demo test lint pytest jstest soak bench-frontier bench-debrief bench-live clean lock messages compilemessages

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit("Parley needs Python 3.11, found " + sys.version.split()[0]) if sys.version_info[:2] != (3, 11) else None'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/python pyproject.toml requirements.lock
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev]'
	touch $@

# axe-core (package.json, pinned in package-lock.json), which the browser tests inject into every page they
# check; installed again whenever the lock is newer than the last install. Only the tests need npm.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(VENV)/.installed

# Install, prepare the embedded database and the demo, and serve on http://127.0.0.1:8000
demo: install
	$(BIN)/python manage.py migrate --no-input
	DEMO_URL=http://$(HOST):$(PORT) $(BIN)/python manage.py demo_setup
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache
	$(BIN)/python manage.py makemigrations --check --dry-run

# Parallel test processes (pytest-xdist), each with its own test database and Redis db (tests/parallel.py).
# More than the two cores: many tests wait on a server or a browser, and one worker is taken by the
# silent class for its two minutes. Five workers took 250 s where four took 291 s, one run after the
# other on the same loaded machine.
TEST_WORKERS ?= 5
pytest: install node_modules/.installed
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

# The long tests at full length (marked soak), on PostgreSQL and Redis, which must be there: the silent
# class for ten minutes instead of CI's two.
soak: install
	PARLEY_REQUIRE_SERVICES=1 PARLEY_SILENCE_SECONDS=$${PARLEY_SILENCE_SECONDS:-600} \
	  $(BIN)/python -m pytest -m soak $(PYTEST_ARGS)

# The browser's pure parts with node's built-in test runner (no npm packages): its reading of negotiation
# events (static/js/room/state.js) against the server's event fixtures, its formats, and the live
# socket's heartbeat (static/js/live.js) with a stand-in socket, and the studio's pure parts (static/js/studio_doc.js)
NODE ?= node
jstest:
	$(NODE) --test tests/js/

# Install, lint, and run the whole suite (DATABASE_URL / REDIS_URL select real services)
test: lint jstest pytest

bench-frontier: install
	$(BIN)/python -m bench.frontier

# Needs PostgreSQL and Redis (BENCH_DATABASE_URL, BENCH_REDIS_URL; see bench/debrief.py); starts its own worker
bench-debrief: install
	$(BIN)/python -m bench.debrief --pairs 300

# The live relay under an open-loop class (docs/benchmarks.md); starts two Daphne processes and a worker
# on PostgreSQL (database parley_load) and Redis (db 9). Example: make bench-live STUDENTS=600
STUDENTS ?= 1000
DURATION ?= 60
bench-live: install
	$(BIN)/python -m bench.live_load --students $(STUDENTS) --interval 5 --duration $(DURATION)

clean:
	rm -rf $(VENV) node_modules staticfiles .pytest_cache .mypy_cache .ruff_cache

# Re-resolve the dependencies of pyproject.toml from scratch and pin them in requirements.lock
lock:
	rm -rf /tmp/parley-lock && $(PYTHON) -m venv /tmp/parley-lock
	/tmp/parley-lock/bin/python -m pip install --quiet '.[dev]'
	( echo "# Exact versions for a reproducible install: pip install -c requirements.lock -e '.[dev]'"; \
	  echo "# Regenerate with: make lock"; \
	  /tmp/parley-lock/bin/python -m pip freeze --exclude-editable | grep -v '^parley' ) > requirements.lock

# The interface's message catalogues (docs/operations.md, "Languages"): `make messages` extracts every marked
# string into locale/<language>/LC_MESSAGES/*.po (GNU gettext's xgettext and msgmerge needed); translate the
# new and fuzzy entries, then `make compilemessages` writes the .mo files, which are committed.
LANGS := es de
MESSAGE_IGNORES := --ignore '.venv/*' --ignore 'node_modules/*' --ignore 'staticfiles/*' --ignore 'tests/*' \
	--ignore 'bench/*' --ignore 'artifacts/*' --ignore 'parley.egg-info/*'
messages: install
	$(BIN)/python manage.py makemessages $(foreach l,$(LANGS),-l $(l)) --no-obsolete $(MESSAGE_IGNORES)
	$(BIN)/python manage.py makemessages -d djangojs $(foreach l,$(LANGS),-l $(l)) --no-obsolete $(MESSAGE_IGNORES)

compilemessages: install
	$(BIN)/python manage.py compilemessages --ignore '.venv/*' --ignore 'node_modules/*'
