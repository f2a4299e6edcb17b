# seqlab — the README's commands. Everything a fresh Debian machine needs is installed here.
SHELL := /bin/bash
PY    := .venv/bin/python
VENV  := .venv/.installed
DATA_DEBS    := bible-kjv fortunes fortunes-de dataset-fashion-mnist
BROWSER_DEBS := chromium
OUT ?= seqlab-report

.PHONY: run test test-random faults bench lint data browser clean

$(VENV): pyproject.toml
	test -x $(PY) || python3 -m venv .venv
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[test,ray]'
	touch $@

data:
	@bash scripts/ensure-debs.sh $(DATA_DEBS)

browser:
	@bash scripts/ensure-debs.sh $(BROWSER_DEBS)

## make run: set up, then the quick evidence suite on CPU; report in $(OUT)/report.html
run: $(VENV) data
	.venv/bin/seqlab run --profile quick --out $(OUT)

## make test: set up, lint, then the whole test suite (fixed order)
test: $(VENV) data browser lint
	$(PY) -m pytest -q -p no:randomly

## make test-random: the suite in a random order (pytest-randomly prints its seed;
## `.venv/bin/python -m pytest -p randomly --randomly-seed=N` repeats that order)
test-random: $(VENV) data browser
	$(PY) -m pytest -q -p randomly

## make faults: fault figures (signals, kills mid-write, concurrent launches, a killed sweep
## worker, bad input) measured and written to docs/reliability.md
faults: $(VENV) data
	$(PY) scripts/faults.py

lint: $(VENV)
	.venv/bin/ruff check src tests benchmarks scripts
	.venv/bin/ruff format --check src tests benchmarks scripts

## make bench: performance ratios against torch.nn, measured side by side
bench: $(VENV) data
	.venv/bin/seqlab bench

clean:
	rm -rf .venv seqlab-report .pytest_cache
