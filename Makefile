# Two commands: `make run` opens the app on the sample ward; `make test` runs every test.
# Both set everything up first (virtual environment, pinned packages, the browser
# and database server the tests need), so they work on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8501
# `make serve`: the ward server on every interface; it refuses to start without sign-in
# configured in .streamlit/secrets.toml (README, "Running it as a ward server").
SERVE_HOST ?= 0.0.0.0

.PHONY: run serve test setup lint format browser postgres fuzz bench clean

# crs itself is installed too (editable, for developers: `.venv/bin/crs grade ...` runs this
# checkout); `pip install .` gives the same package and `crs` command to anyone.
$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation --editable .
	touch $(STAMP)

setup: $(STAMP)

# Debian's chromium for the browser tests and the PDF report's charts (kaleido drives it;
# never `playwright install`: it cannot download here), and the report's Unicode font.
browser:
	@{ command -v chromium >/dev/null 2>&1 && test -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf; } || { \
	  echo "Installing Debian's chromium and fonts-dejavu-core (browser tests, PDF report)"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium fonts-dejavu-core >/dev/null; }

# Debian's PostgreSQL server binaries (initdb, pg_ctl); the tests start their own server.
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	  echo "Installing Debian's postgresql for the store tests"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq postgresql >/dev/null; }

# ui.serve checks the settings (no patient data on the network without sign-in), then
# runs `streamlit run app.py` with the same options.
run: setup browser
	$(PY) -m ui.serve --server.address $(HOST) --server.port $(PORT) -- --sample

serve: setup
	$(PY) -m ui.serve --server.address $(SERVE_HOST) --server.port $(PORT)

lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: setup
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

test: setup browser postgres lint
	$(PY) -m pytest

# The fuzz properties of `make test` (2,000 examples) scaled to 50,000 in all: about an
# hour on 2 cores, so pytest's 600 s per-test timeout is lifted for this target only.
fuzz: setup
	CRS_FUZZ_EXAMPLES=50000 $(PY) -m pytest tests -m "not browser" -k fuzz --timeout=0 -q

bench: setup browser postgres
	$(PY) benchmarks/grade_bench.py
	$(PY) benchmarks/astct_bench.py
	$(PY) benchmarks/read_memory_bench.py
	$(PY) benchmarks/app_bench.py
	$(PY) benchmarks/store_bench.py
	$(PY) benchmarks/store_bench.py --postgres
	$(PY) benchmarks/browser_bench.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
