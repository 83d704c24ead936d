# Two entry points: `make demo` and `make test`. Both create .venv on a fresh machine.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Tests and the demo run with a fixed, throwaway key unless the caller brings one.
DEMO_KEY_FILE ?= $(HOME)/.config/ragmask/demo.key

.PHONY: demo test lint typecheck unit docs bench-accuracy bench-layouts bench-long-text bench-throughput bench-whole-process bench-timeline bench-erasure bench-soak bench-scrub clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	RAGMASK_KEY_FILE=$${RAGMASK_KEY_FILE:-$(DEMO_KEY_FILE)} $(BIN)/ragmask ingest examples/corpus
	$(BIN)/ragmask search "customer card charged twice" -k 2

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/python -m pytest

test: lint typecheck unit

# the CLI reference, generated from the commands (tests/test_docs.py checks it is current)
docs: $(STAMP)
	$(BIN)/python -m flows.cli_reference > docs/cli.md

bench-accuracy: $(STAMP)
	$(BIN)/python bench/accuracy.py

bench-layouts: $(STAMP)
	$(BIN)/python bench/layouts.py --split held-out --audit

bench-long-text: $(STAMP)
	$(BIN)/python bench/long_text.py --mb 1 5 50

bench-throughput: $(STAMP)
	$(BIN)/python bench/throughput.py

# both sides as whole processes (imports and model loads included), on distinct long case files
bench-whole-process: $(STAMP)
	$(BIN)/python bench/throughput.py --whole-process --docs 120 --doc-chars 5000 --runs 3

bench-timeline: $(STAMP)
	$(BIN)/python bench/timeline.py

bench-erasure: $(STAMP)
	$(BIN)/python bench/erasure.py

bench-soak: $(STAMP)
	$(BIN)/python bench/soak.py

bench-scrub: $(STAMP)
	$(BIN)/python bench/scrub.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis .ragmask
