# Everything runs from a local virtual environment that `make install` creates.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install demo test test-fast goldens mutants lint assignments release bench bench-quick bench-cluster clean browser openssl translations postgres serve bench-portal

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,portal,author,cluster]'
	touch $(STAMP)

# Generate a demo class of ~30 submissions, grade it, write reports under reports/hw07/.
demo: install
	$(BIN)/python -m autograder.devtools.demo --course . --assignment hw07 --out reports/hw07

test: install browser postgres openssl
	$(BIN)/ruff check autograder tests bench
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

# The same without the slow end-to-end tests (@pytest.mark.slow).
test-fast: install browser postgres openssl
	$(BIN)/ruff check autograder tests bench
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -m "not slow"

# tests/reports/test_class_report_browser.py opens the class report in Debian's Chromium (never a downloaded build).
# Installed here when missing and we are root; otherwise a clear failure, never a silent skip.
CHROMIUM := /usr/bin/chromium
browser:
	@if [ ! -x $(CHROMIUM) ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian's chromium for the report's browser test"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null \
	      || { echo "make browser: apt-get install chromium failed" >&2; exit 1; }; \
	  else \
	    echo "make browser: $(CHROMIUM) is missing; the report's browser test needs it:" \
	      "install Debian's chromium package as root (apt-get install chromium)" >&2; exit 1; \
	  fi; \
	fi

# The service's tests start their own PostgreSQL server (initdb/pg_ctl in a temporary folder, tests/portal_support.py)
# from Debian's postgresql package: installed here when missing and we are root; otherwise a clear failure.
postgres:
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian's postgresql for the service's tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null \
	      || { echo "make postgres: apt-get install postgresql failed" >&2; exit 1; }; \
	  else \
	    echo "make postgres: PostgreSQL's server (initdb) is missing; the service's tests need it:" \
	      "install Debian's postgresql package as root (apt-get install postgresql)" >&2; exit 1; \
	  fi; \
	fi

# Regenerate the tests each tests/submissions/<case> must fail (expected.toml: fail, public_fail); review the diff.
goldens: install
	$(BIN)/python -m autograder.devtools.goldens --course .

# How strong hw07's tests are: reports/hw07/mutants/mutants.md and .html (autograder mutants).
mutants: install
	$(BIN)/autograder mutants hw07 --out reports/hw07/mutants

# The submission service on this course: embedded database in .portal-demo/, demo users; prints their tokens
# and the `autograder submit` line to try (Ctrl-C stops the web app and the dispatcher). PORT=8000 by default.
PORT ?= 8000
serve: install
	$(BIN)/python -m autograder.devtools.serve_demo --course . --data .portal-demo --port $(PORT)

# tests/test_cluster_tls.py runs the README's openssl recipe for the cluster's TLS certificates.
openssl:
	@command -v openssl >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssl >/dev/null \
	      || { echo "make openssl: apt-get install openssl failed" >&2; exit 1; }; \
	  else echo "make openssl: the openssl command is missing (apt-get install openssl)" >&2; exit 1; fi; }

# Speed and memory, measured against baselines taken in the same run (not part of `make test`).
bench: install
	$(BIN)/python bench/bench_grading.py

# The same, smaller (classes of 100 and 300, 3 peer notebooks, similarity at 500 and 2,000): a couple of minutes.
bench-quick: install
	$(BIN)/python bench/bench_grading.py --quick

# The submission service under a deadline burst (200 students, loopback only, bounded): accept latency,
# time until all graded, throughput against the batch `autograder grade` of the same class in the same run.
bench-portal: install
	$(BIN)/python bench/bench_portal.py

# Grading throughput on a Dask cluster of 1 and 2 workers (real dask scheduler and autograder worker
# processes, mutual TLS), the scheduler's CPU per task, and a model of where one scheduler tops out.
bench-cluster: install
	$(BIN)/python bench/bench_cluster.py

# Stubs in assignments/ are generated from solutions/ (never edit them by hand).
assignments: install
	$(BIN)/autograder build

# Message catalogues (autograder.course.i18n): extract the marked texts (babel.cfg), merge them into every
# language's .po (new ones untranslated, changed ones fuzzy), and compile the .mo files that are committed
# (a catalogue whose texts did not change is left as it is, not re-dated).
# tests/course/test_i18n.py fails while a text lacks a translation or a .mo is older than its .po.
CATALOGUES := autograder:autograder assignments/hw07:assignment reference/hw07:assignment
translations: install
	@for c in $(CATALOGUES); do \
	  dir=$${c%%:*}; domain=$${c##*:}; pot=$$dir/locale/$$domain.pot; \
	  $(BIN)/pybabel -q extract -F babel.cfg --no-location --project=autograder --version=0.1.0 \
	    --copyright-holder="the autograder authors" -o $$pot.new $$dir || exit 1; \
	  if diff -q -I '^"POT-Creation-Date' $$pot.new $$pot >/dev/null 2>&1; then rm $$pot.new; \
	  else mv $$pot.new $$pot; fi; \
	  $(BIN)/pybabel -q update -i $$dir/locale/$$domain.pot -d $$dir/locale -D $$domain -w 110 \
	    --ignore-obsolete || exit 1; \
	  $(BIN)/pybabel -q compile -d $$dir/locale -D $$domain --statistics || exit 1; \
	done

release: install
	$(BIN)/autograder release hw07 --out dist

clean:
	rm -rf $(VENV) reports dist
