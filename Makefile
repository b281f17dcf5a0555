# Everything a developer or CI needs. pyproject.toml declares the dependencies, uv.lock pins them
# with hashes, and every target first brings its environment in line with the lock
# (`uv sync --locked`: a lock that no longer matches pyproject.toml is an error, never rewritten).
PYTHON ?= python3
STACK ?= dev
FORMAT ?= text
BIN := .venv/bin
TOOLS := .tools
# uv: the one on the PATH, else our own, installed from PyPI into .tools/ on first use at the
# version pyproject.toml asks for (tool.uv.required-version).
UV_VERSION := $(shell sed -n 's/^required-version = ">=\([0-9.]*\)"$$/\1/p' pyproject.toml)
UV := $(or $(shell command -v uv 2>/dev/null),$(TOOLS)/bin/uv)
SYNC := $(UV) sync --locked --quiet --python $(PYTHON)
STALE_LOCK := uv.lock does not match pyproject.toml (or policy/pyproject.toml): run \`make lock\` and commit uv.lock

.PHONY: test lint typecheck unit venv runtime dev policy-venv lock check-lock clean preview docs \
	schema bench

$(TOOLS)/bin/uv:
	PIP_ROOT_USER_ACTION=ignore $(PYTHON) -m pip install --quiet --disable-pip-version-check \
		--target $(TOOLS) uv==$(UV_VERSION)

check-lock: $(UV)
	@$(UV) lock --check --quiet || { echo >&2 "make: $(STALE_LOCK)."; exit 1; }

# Re-resolves uv.lock after an edit to a pyproject.toml (keeping every other pin where it is).
lock: $(UV)
	$(UV) lock

# The program's runtime dependencies only: what `make preview` and `pulumi preview` run on.
# --inexact leaves the dev tools in place when `make test` installed them before.
runtime: check-lock
	$(SYNC) --inexact

# Runtime plus the dev group (tests, lint, type check).
dev: check-lock
	$(SYNC) --group dev

# The policy pack's own environment, policy/.venv, where PulumiPolicy.yaml points Pulumi.
policy-venv: check-lock
	UV_PROJECT_ENVIRONMENT=$(CURDIR)/policy/.venv $(SYNC) --package mlops-policy

# What `pulumi preview --policy-pack policy` and `pulumi up --policy-pack policy` need.
venv: runtime policy-venv

lint: dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: dev
	$(BIN)/basedpyright

unit: dev
	$(BIN)/pytest

test: lint typecheck unit

# Offline preview of a stack under Pulumi's mock engine: no Pulumi CLI, no Azure login.
preview: runtime
	@$(BIN)/python -m offline.preview --stack $(STACK) --format $(FORMAT)

# Regenerates docs/architecture.md (Mermaid diagrams of every stack) from the program, and
# the stack-file JSON Schema and README configuration reference from settings/schema.py.
docs: runtime
	$(BIN)/python -m offline.diagram --write docs/architecture.md
	$(BIN)/python -m offline.reference

# The stack-file JSON Schema (and the README reference, generated from the same models).
schema: runtime
	$(BIN)/python -m offline.reference

# Wall time and peak memory of the offline preview against an import floor; see docs/benchmarks.md.
bench: runtime
	$(BIN)/python -m offline.bench

clean:
	rm -rf .venv policy/.venv $(TOOLS) .pytest_cache .ruff_cache .hypothesis
