# Everything a developer or CI needs; the venv is built from the pinned requirements on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
STACK ?= dev
FORMAT ?= text

.PHONY: test lint typecheck unit venv clean preview docs schema bench

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

venv: $(STAMP)

# Also the delivery files, offline: workflows and Azure Pipelines against the schemas vendored in
# check-jsonschema, and a zizmor audit that fails on any finding of medium severity or above.
# --regex-variant nonunicode: the vendored Azure Pipelines schema's branchFilter pattern uses an
# escape that ECMAScript rejects in unicode mode, which crashes the default variant on any
# pipeline with branch filters; the non-unicode ECMAScript dialect accepts it.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
	$(BIN)/check-jsonschema --builtin-schema vendor.azure-pipelines \
	  --data-transform azure-pipelines --regex-variant nonunicode \
	  azure-pipelines.yml .azure-pipelines/templates/*.yml
	$(BIN)/zizmor --offline --min-severity medium .github/workflows

typecheck: $(STAMP)
	$(BIN)/basedpyright

unit: $(STAMP)
	$(BIN)/pytest

test: lint typecheck unit

# Offline preview of a stack under Pulumi's mock engine: no Pulumi CLI, no Azure login.
# BASE=<git ref> shows what changes against the stack at that ref (the reviewer's diff).
preview: $(STAMP)
	@$(BIN)/python -m offline.preview --stack $(STACK) --format $(FORMAT)$(if $(BASE), --base $(BASE))

# Regenerates docs/architecture.md and docs/network.md (Mermaid diagrams of every stack) and
# docs/access.md (the access matrix and every stack's role assignments) from the program, and
# the stack-file JSON Schema and README configuration reference from settings/schema.py.
docs: $(STAMP)
	$(BIN)/python -m offline.diagram --write docs/architecture.md
	$(BIN)/python -m offline.network_diagram --write docs/network.md
	$(BIN)/python -m offline.access_doc --write docs/access.md
	$(BIN)/python -m offline.reference

# The stack-file JSON Schema (and the README reference, generated from the same models).
schema: $(STAMP)
	$(BIN)/python -m offline.reference

# Wall time and peak memory of the offline preview against an import floor; see docs/benchmarks.md.
bench: $(STAMP)
	$(BIN)/python -m offline.bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
