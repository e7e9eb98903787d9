# Everything runs from a local virtual environment that `make install` creates.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install demo test lint assignments release bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Generate a demo class of ~30 submissions, grade it, write reports under reports/hw07/.
demo: install
	$(BIN)/python -m autograder.demo --course . --assignment hw07 --out reports/hw07

test: install
	$(BIN)/ruff check autograder tests bench
	$(BIN)/python -m pytest

# Speed and memory, measured against baselines taken in the same run (not part of `make test`).
bench: install
	$(BIN)/python bench/bench_grading.py

# Stubs in assignments/ are generated from solutions/ (never edit them by hand).
assignments: install
	$(BIN)/autograder build

release: install
	$(BIN)/autograder release hw07 --out dist

clean:
	rm -rf $(VENV) reports dist
