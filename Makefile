# The two commands of the README: `make run` (the main job) and `make test` (every tier).
# Everything they need is installed here from the registries; nothing else is assumed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)

.PHONY: run test check unit attack conformance browser bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $(STAMP)

## run: the main job: serve the dashboard over the discovered OpenClaw state (or a demo state), ingesting live
run: $(STAMP)
	$(BIN)/clawscope serve

## test: static checks, then every test tier (unit, PostgreSQL, attack, conformance, browser)
test: $(STAMP)
	scripts/setup-test-deps
	scripts/test

check: $(STAMP)
	scripts/check

unit: $(STAMP)
	$(BIN)/pytest -m "not conformance and not browser and not attack" -n 2

## attack: the attack tier: hostile state dirs, kill -9 at random moments and fault points, abuse (< 10 min)
attack: $(STAMP)
	$(BIN)/pytest -m attack -n 2

conformance: $(STAMP)
	scripts/setup-test-deps conformance
	$(BIN)/pytest -m conformance

browser: $(STAMP)
	scripts/setup-test-deps browser
	$(BIN)/pytest -m browser

## bench: every benchmark; each rewrites its section of bench/RESULTS.md
bench: $(STAMP)
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/audit.py
	$(BIN)/python bench/api.py
	$(BIN)/python bench/webhook.py
	$(BIN)/python bench/webhook.py --db postgresql://postgres@127.0.0.1:5432/test
	$(BIN)/python bench/sse.py
	$(BIN)/python bench/sse.py --db postgresql://postgres@127.0.0.1:5432/test
	$(BIN)/python bench/live.py
	$(BIN)/python bench/baselines.py
	$(BIN)/python bench/metrics.py
	$(BIN)/python bench/exports.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache build dist
