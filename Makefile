# severa-netvisor: every target bootstraps what it needs on a fresh machine.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3 2>/dev/null)
VENV := .venv
TOOLS := .venv-tools
BIN := $(VENV)/bin
TOOLBIN := $(TOOLS)/bin
ARCH ?= arm64
FUNCTION ?= check_connections
EVENT ?= events/$(FUNCTION).json
PYTEST_ARGS ?=
# samconfig.toml environment (one per company: see the README, "Several companies").
SAM_ENV ?= default
# GUIDED=1: sam deploy --guided (asks for every value, offers to save them in samconfig.toml).
GUIDED ?=
DEPLOY_ARGS ?=
SAMCONFIG ?= $(CURDIR)/samconfig.toml
export SAM_CLI_TELEMETRY := 0
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help venv tools lint typecheck unit pytest test validate security build invoke sandbox demo bench soak deploy clean fmt

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN{FS=":.*## "}{printf "  make %-10s %s\n", $$1, $$2}'

$(BIN)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Python 3.11 is required (found %d.%d); set PYTHON=/path/to/python3.11" % sys.version_info[:2])'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

$(TOOLBIN)/.installed: requirements-tools.txt
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLBIN)/pip install -q --upgrade pip
	$(TOOLBIN)/pip install -q -r requirements-tools.txt
	touch $@

venv: $(BIN)/.installed ## the test environment (.venv)
tools: $(TOOLBIN)/.installed ## SAM CLI, cfn-lint and checkov (.venv-tools)

fmt: venv ## format and autofix
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

lint: venv ## ruff
	$(BIN)/ruff check .

typecheck: venv ## mypy (strict)
	$(BIN)/mypy

pytest: venv tools ## the whole pytest suite
	$(BIN)/pytest $(PYTEST_ARGS)

test: lint typecheck pytest validate ## what CI runs: lint, types, every test, template checks

validate: tools ## sam validate --lint, cfn-lint on the transformed template, checkov
	$(TOOLBIN)/sam validate --lint --template template.yaml
	@mkdir -p .aws-sam
	$(TOOLBIN)/python scripts/sam_transform.py template.yaml > .aws-sam/transformed.json
	$(TOOLBIN)/cfn-lint --non-zero-exit-code error .aws-sam/transformed.json
	$(MAKE) --no-print-directory security

security: tools ## checkov on the template (every skip is justified in .checkov.yaml)
	$(TOOLBIN)/checkov --quiet --compact --config-file .checkov.yaml -f template.yaml

soak: venv ## the reliability campaigns, large (about an hour): crash points, stops, faults; prints the table
	RELIABILITY_SOAK=1 $(BIN)/pytest tests/reliability/invoices tests/reliability/engine tests/reliability/test_outages.py -q -p no:cacheprovider -o timeout=7200
	$(BIN)/python -m tests.reliability.campaigns.soak $(SOAK_ARGS)

build: tools ## sam build (arm64 by default, no container)
	$(TOOLBIN)/sam build --config-env $(SAM_ENV) --parameter-overrides Architecture=$(ARCH) --build-dir .aws-sam/build-$(ARCH)

invoke: venv ## run FUNCTION with EVENT on the sandbox (no Docker): make invoke FUNCTION=customers [RAW=1]
	@$(BIN)/python -m sandbox.invoke $(FUNCTION) $(EVENT) $(if $(RAW),--raw)

sandbox: venv ## the sandbox in the foreground (local AWS + simulators) for make invoke and sam local invoke
	@$(BIN)/severa-netvisor sandbox

demo: venv ## the main job on the built-in sandbox
	$(BIN)/python -m sandbox.demo

BENCHVENV := .venv-bench

# netvisor-api-client, measured against in tests/bench/library_cpu.py: the bench's own environment,
# never a dependency of the product.
$(BENCHVENV)/bin/.installed: tests/bench/library_side.py
	$(PYTHON) -m venv $(BENCHVENV)
	$(BENCHVENV)/bin/pip install -q 'netvisor-api-client==0.9.6'
	touch $@

bench: venv $(BENCHVENV)/bin/.installed ## benchmarks (figures, not pass/fail; BENCH=invoices_run for one)
	$(BIN)/python -m tests.bench $(BENCH)

# SAM looks for samconfig.toml beside the template it deploys (here the built one), so the
# project's file is named by its absolute path; samconfig's parameter overrides are passed with
# the architecture that was built (a command-line override replaces samconfig's, never merges).
DEPLOY_OVERRIDES = $(shell $(PYTHON) scripts/deploy_overrides.py $(SAMCONFIG) $(SAM_ENV) Architecture=$(ARCH) || echo FAILED)

deploy: build ## sam deploy with samconfig.toml: make deploy [SAM_ENV=...] [ARCH=x86_64] [GUIDED=1]
	$(if $(filter FAILED,$(DEPLOY_OVERRIDES)),$(error $(SAMCONFIG) could not be read for SAM_ENV=$(SAM_ENV)))
	$(TOOLBIN)/sam deploy $(if $(GUIDED),--guided )--template-file .aws-sam/build-$(ARCH)/template.yaml --config-file $(SAMCONFIG) --config-env $(SAM_ENV) --parameter-overrides $(DEPLOY_OVERRIDES) $(DEPLOY_ARGS)

clean: ## remove environments and build output
	rm -rf $(VENV) $(TOOLS) $(BENCHVENV) .aws-sam .pytest_cache .mypy_cache .ruff_cache
