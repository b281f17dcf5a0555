# Everything a developer or CI needs. pyproject.toml declares the dependencies, uv.lock pins them
# with hashes, and every target first brings its environment in line with the lock
# (`uv sync --locked`: a lock that no longer matches pyproject.toml is an error, never rewritten).
PYTHON ?= python3
STACK ?= dev
FORMAT ?= text
BIN := .venv/bin
TOOLS := .tools
# uv: the one on the PATH, else our own, installed from PyPI into .tools/ on first use at the
# version pyproject.toml asks for (tool.uv.required-version), verified against the hashes of
# uv-requirements.txt.
UV := $(or $(shell command -v uv 2>/dev/null),$(TOOLS)/bin/uv)
# Bytecode: .venv is never compiled whole at install (`uv sync --compile-bytecode` took 25 s, almost
# all of it for pulumi-azure-native modules the program never imports). The processes make starts
# write the bytecode of what they import, even where PYTHONDONTWRITEBYTECODE is set: every
# `python -m offline.<command>` (offline/imports.py), the tests and check-jsonschema (`env -u`);
# `make venv` writes it for what the Pulumi CLI's run of the program imports. Without bytecode every
# process compiles its imports anew (several seconds of CPU for the program's). The policy pack's
# and the bootstrap's environments, which only the Pulumi CLI runs, are still compiled at install
# where PYTHONDONTWRITEBYTECODE is set (SYNC_COMPILED).
SYNC := $(UV) sync --locked --quiet --python $(PYTHON)
SYNC_COMPILED := $(SYNC)$(if $(PYTHONDONTWRITEBYTECODE), --compile-bytecode)
WRITE_BYTECODE := env -u PYTHONDONTWRITEBYTECODE
STALE_LOCK := uv.lock does not match pyproject.toml (or policy/ or bootstrap/pyproject.toml): run \`make lock\` and commit uv.lock

.PHONY: test lint typecheck unit venv runtime dev policy-venv bootstrap-venv lock check-lock clean preview docs \
	schema bench bench-smoke site site-check diagram browser

$(TOOLS)/bin/uv: uv-requirements.txt
	PIP_ROOT_USER_ACTION=ignore $(PYTHON) -m pip install --quiet --disable-pip-version-check \
		--require-hashes --no-deps --target $(TOOLS) -r uv-requirements.txt
	@# pip --target leaves an existing binary (and its date) in place: mark it current.
	touch $@

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
	UV_PROJECT_ENVIRONMENT=$(CURDIR)/policy/.venv $(SYNC_COMPILED) --package mlops-policy

# The bootstrap program's own environment, bootstrap/.venv (bootstrap/Pulumi.yaml).
bootstrap-venv: check-lock
	UV_PROJECT_ENVIRONMENT=$(CURDIR)/bootstrap/.venv $(SYNC_COMPILED) --package mlops-bootstrap

# What `pulumi preview --policy-pack policy` and `pulumi up --policy-pack policy` need; where
# PYTHONDONTWRITEBYTECODE keeps the Pulumi CLI's run of the program from writing the bytecode of
# its imports, they are imported here once to write it (offline.imports.compile_program).
venv: runtime policy-venv
	$(if $(PYTHONDONTWRITEBYTECODE),$(WRITE_BYTECODE) $(BIN)/python -c \
	  'from offline.imports import compile_program; compile_program()')

# Also the delivery files, offline: workflows, dependabot.yml and Azure Pipelines against the
# schemas vendored in check-jsonschema, and a zizmor audit of all of .github (the workflows and
# dependabot.yml; --strict-collection: a file it cannot parse is an error, not skipped) that fails
# on any finding of medium severity or above. zizmor reads GitHub files only: the Azure Pipelines
# files' supply chain is tests/test_supply_chain.py's.
# --regex-variant nonunicode: the vendored Azure Pipelines schema's branchFilter pattern uses an
# escape that ECMAScript rejects in unicode mode, which crashes the default variant on any
# pipeline with branch filters; the non-unicode ECMAScript dialect accepts it.
# Each CI system's files are checked while the repository keeps them: a team that delivers with
# one deletes the other's (.github/workflows/, or azure-pipelines.yml and .azure-pipelines/).
lint: dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(if $(wildcard .github/workflows/*.yml),$(WRITE_BYTECODE) $(BIN)/check-jsonschema --builtin-schema \
	  vendor.github-workflows $(wildcard .github/workflows/*.yml))
	$(if $(wildcard .github/dependabot.yml),$(WRITE_BYTECODE) $(BIN)/check-jsonschema --builtin-schema \
	  vendor.dependabot .github/dependabot.yml)
	$(if $(wildcard azure-pipelines.yml),$(WRITE_BYTECODE) $(BIN)/check-jsonschema --builtin-schema \
	  vendor.azure-pipelines --data-transform azure-pipelines --regex-variant nonunicode \
	  azure-pipelines.yml $(wildcard .azure-pipelines/templates/*.yml))
	$(if $(wildcard .github),$(BIN)/zizmor --offline --strict-collection --min-severity medium .github)

typecheck: dev
	$(BIN)/pyrefly check --summary=none

# The tests on every core (pytest-xdist), whole files to a worker: a file's module-scoped runs are
# evaluated once. PYTEST_WORKERS=0 runs them in this process. Bytecode is written here even where
# PYTHONDONTWRITEBYTECODE is set: pytest keeps its assert-rewritten test modules, and Python the
# project's modules, in __pycache__ (git-ignored); without them every worker and every process a
# test starts compiles them again, about a sixth of the tests' CPU time.
PYTEST_WORKERS ?= auto
unit: dev
	$(WRITE_BYTECODE) $(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile

# Lint, the type check and the tests side by side, each one's output in one piece when it ends:
# the type check (one process) and the tests (one per core) keep the machine busy together.
# How long it takes, and how that is measured: README "Tests".
test:
	@$(MAKE) --no-print-directory -j3 --output-sync=target lint typecheck unit

# Offline preview of a stack under Pulumi's mock engine: no Pulumi CLI, no Azure login.
# BASE=<git ref> shows what changes against the stack at that ref (the reviewer's diff).
# ENVIRONMENT_FILES="mlops/dev=<path> ..." gives local copies of the Pulumi ESC environments the
# stack file imports (README "Pulumi ESC").
preview: runtime
	@$(BIN)/python -m offline.preview --stack $(STACK) --format $(FORMAT)$(if $(BASE), --base $(BASE))$(if $(ENVIRONMENT_FILES), $(foreach file,$(ENVIRONMENT_FILES),--environment-file $(file)))

# Regenerates docs/architecture.md and docs/network.md (Mermaid diagrams of every stack) and
# docs/access.md (the access matrix and every stack's role assignments) and docs/journeys.md (each
# stack's journeys, hop by hop) from the program; then offline/reference.py writes the stack-file
# JSON Schema and every generated block of README.md and the pages (its BLOCKS say which page
# holds which: the configuration reference, the tables read from the code, the excerpts of the
# offline preview's output). A test fails while any is stale.
docs: runtime
	$(BIN)/python -m offline.diagram --write docs/architecture.md
	$(BIN)/python -m offline.network_diagram --write docs/network.md
	$(BIN)/python -m offline.access_doc --write docs/access.md
	$(BIN)/python -m offline.journeys --write docs/journeys.md
	$(BIN)/python -m offline.reference

# The stack-file JSON Schema (and, in the same run, the docs' generated blocks: make docs).
schema: runtime
	$(BIN)/python -m offline.reference

# Wall time and peak memory of the offline preview against an import floor; see docs/benchmarks.md.
bench: runtime
	$(BIN)/python -m offline.bench

# The benchmark's short form, run by CI (.ci/run): one process, about 10 s; fails when the
# preview's time per resource grows more than 2x from 10 to 1,000 resources.
bench-smoke: runtime
	$(BIN)/python -m offline.bench --smoke

# -- the documentation site (mkdocs.yml) and its diagrams -----------------------------------------

CHROMIUM := /usr/bin/chromium
# What npm last installed: package-lock.json's exact tree (integrity hashes checked), installed
# again only when package.json or the lock is newer. --ignore-scripts: no package runs code.
NODE_MODULES := node_modules/.package-lock.json
# $(call debian_install,PACKAGE): as root (here and in CI) apt-get installs it; anyone else is
# told the command and the target fails.
debian_install = if [ "$$(id -u)" -eq 0 ]; then apt-get update && apt-get install -y $(1); \
	else echo >&2 "make: $@ needs Debian's $(1): run \`sudo apt-get update && sudo apt-get install -y $(1)\`"; \
	exit 1; fi

$(NODE_MODULES): package.json package-lock.json
	@command -v npm >/dev/null || { $(call debian_install,npm); }
	npm ci --ignore-scripts --no-audit --no-fund
	@touch $@

# Debian's Chromium, which Playwright drives (make site-check, make diagram); Playwright's own
# browser download is never used.
browser:
	@test -x $(CHROMIUM) || { $(call debian_install,chromium); }

# The documentation site, build/site; a warning (a broken link or anchor, a page missing from the
# nav) fails it. Mermaid comes from node_modules (offline/svg.py, a MkDocs hook).
site: dev $(NODE_MODULES)
	$(BIN)/mkdocs build --strict

# The built site in headless Chromium (tests_site/): no request leaves the site, every diagram is
# drawn, search works; the architecture page's screenshot: build/site-check/architecture.png.
site-check: site browser
	$(WRITE_BYTECODE) $(BIN)/pytest tests_site

# STACK's architecture diagram (docs/architecture.md's) as a standalone SVG:
# build/diagrams/$(STACK).svg, drawn by Mermaid in headless Chromium (offline/svg.py).
DIAGRAM := build/diagrams/$(STACK).svg
diagram: dev browser $(NODE_MODULES)
	@mkdir -p $(dir $(DIAGRAM))
	$(BIN)/python -m offline.preview --stack $(STACK) --format svg > $(DIAGRAM).part \
	  && mv $(DIAGRAM).part $(DIAGRAM) || { rm -f $(DIAGRAM).part; exit 1; }

clean:
	rm -rf .venv policy/.venv $(TOOLS) .pytest_cache .ruff_cache .hypothesis build node_modules
