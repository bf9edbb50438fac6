# Quickstart: `make demo` runs the main job on the bundled examples; `make test` runs the tests.
# Each creates the virtualenv it needs in .venv (only Python 3.11+ and pip are required).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: demo test lint fmt bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test,spark]'
	touch $@ $(VENV)/.installed

# The main job on the bundled examples: check the specs, build a demo workspace (2M seeded
# events + the campaigns scaled to them), track it, and render the HTML report.
demo: $(VENV)/.installed
	$(BIN)/xhsgrow validate campaigns/
	$(BIN)/xhsgrow list
	rm -rf demo
	$(BIN)/xhsgrow demo-workspace demo --events 2000000 --seed 2025 --as-of 2027-02-12
	$(BIN)/xhsgrow -w demo track --as-of 2027-02-12
	$(BIN)/xhsgrow -w demo report --as-of 2027-02-12 --format html --out demo/report.html
	@echo "Open demo/report.html in a browser for the charts."

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest -q

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: $(VENV)/.installed-test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) .pytest_cache build dist *.egg-info
