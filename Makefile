# seqlab — the README's commands. Everything a fresh Debian machine needs is installed here.
SHELL := /bin/bash
PY    := .venv/bin/python
VENV  := .venv/.installed
DATA_DEBS    := bible-kjv fortunes fortunes-de dataset-fashion-mnist
BROWSER_DEBS := chromium
OUT ?= seqlab-report

.PHONY: run test test-random faults bench lint data browser clean explore-assets

$(VENV): pyproject.toml
	test -x $(PY) || python3 -m venv .venv
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[test,ray,classic]'
	$(PY) -c 'from seqlab.models import lstm_ext as e; print("LSTM layer:", e.implementation(), e.REASON)'
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

## make explore-assets: fetch the explore page's pinned chart library (Vega-Lite via
## vega-embed) from the npm registry again and check it against the committed SHA256SUMS
EXPLORE_VENDOR := src/seqlab/explore/static/vendor
VEGA_PACKAGES  := vega@6.2.0 vega-lite@6.4.1 vega-embed@7.0.2
explore-assets:
	tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	(cd "$$tmp" && npm pack --silent $(VEGA_PACKAGES) >/dev/null) && \
	for spec in $(VEGA_PACKAGES); do name=$${spec%@*}; \
	  tar xzf "$$tmp/$$name-$${spec##*@}.tgz" -C "$$tmp" && \
	  cp "$$tmp/package/build/$$name.min.js" $(EXPLORE_VENDOR)/ && \
	  cp "$$tmp/package/LICENSE" $(EXPLORE_VENDOR)/$$name.LICENSE && rm -rf "$$tmp/package"; \
	done && cd $(EXPLORE_VENDOR) && sha256sum -c SHA256SUMS

clean:
	rm -rf .venv seqlab-report .pytest_cache
