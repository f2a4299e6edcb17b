# seqlab — the README's commands. Everything a fresh Debian machine needs is installed here.
SHELL := /bin/bash
PY    := .venv/bin/python
VENV  := .venv/.installed
DATA_DEBS    := bible-kjv fortunes fortunes-de dataset-fashion-mnist
BROWSER_DEBS := chromium
OUT ?= seqlab-report

.PHONY: run test bench lint data browser clean

$(VENV): pyproject.toml
	test -x $(PY) || python3 -m venv .venv
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[test,ray,classic]'
	touch $@

data:
	@bash scripts/ensure-debs.sh $(DATA_DEBS)

browser:
	@bash scripts/ensure-debs.sh $(BROWSER_DEBS)

## make run: set up, then the quick evidence suite on CPU; report in $(OUT)/report.html
run: $(VENV) data
	.venv/bin/seqlab run --profile quick --out $(OUT)

## make test: set up, lint, then the whole test suite
test: $(VENV) data browser lint
	$(PY) -m pytest -q

lint: $(VENV)
	.venv/bin/ruff check src tests benchmarks
	.venv/bin/ruff format --check src tests benchmarks

## make bench: performance ratios against torch.nn, measured side by side
bench: $(VENV) data
	.venv/bin/seqlab bench

clean:
	rm -rf .venv seqlab-report .pytest_cache
