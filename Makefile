# The README's two commands: `make audit` (the main job) and `make test`.
# Every target installs what it needs: a Python venv and the pinned CDK CLI (npm).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
BYTECODE := $(VENV)/.bytecode
CDK    := node_modules/.bin/cdk
APP    ?= sample_apps/card_gateway
VARIANT ?= bad

.PHONY: setup audit test lint bench clean chromium snapshots ts-apps

setup: $(STAMP) $(CDK) $(BYTECODE)

# An editable install leaves our modules uncompiled, and with PYTHONDONTWRITEBYTECODE set
# (as on our machines) every run would compile them again (~80 ms of the CLI's start-up);
# a wheel install compiles them, so this keeps dev runs and `make bench` like a user's.
$(BYTECODE): $(STAMP) $(shell find auditor checks -name '*.py')
	$(BIN)/python -m compileall -q auditor checks
	touch $(BYTECODE)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[cdk,dev]"
	touch $(STAMP)

$(CDK): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(CDK)

## audit: synthesize the bundled sample app (APP, VARIANT=bad|good) and print the report
audit: setup
	$(BIN)/cdk-audit run $(APP) --context variant=$(VARIANT) --fail-on never

## ts-apps: the TypeScript sample apps' own node_modules (aws-cdk-lib, ts-node, typescript 5)
TS_APPS := sample_apps/payments_ts sample_apps/broken_app/ts
ts-apps: $(TS_APPS:%=%/node_modules/.installed)

%/node_modules/.installed: %/package.json %/package-lock.json
	cd $* && npm ci --no-audit --no-fund --loglevel=error
	touch $@

## chromium: the headless browser the HTML report test drives (Debian's package; idempotent)
chromium:
	command -v chromium || (apt-get update && apt-get install -y chromium)

## test: the whole suite, real `cdk synth` and a real headless Chromium included
test: setup chromium ts-apps
	$(BIN)/pytest -q -n auto --maxprocesses 4 --dist loadgroup

## snapshots: rewrite tests/snapshots/ from the current output; review with `git diff tests/snapshots`
snapshots: setup
	$(BIN)/pytest -q tests/test_snapshots.py --snapshot-update

## bench: time cdk-audit against plain cfn-lint and checkov (own venv, network off), and `run` against
## `cdk synth` on every sample app (the TypeScript ones need ts-apps); writes bench/results.md
bench: setup ts-apps
	test -x bench/.venv-bench/bin/checkov || ($(PYTHON) -m venv bench/.venv-bench \
		&& bench/.venv-bench/bin/pip install --quiet "checkov>=3.3,<3.4")
	$(BIN)/python bench/run.py $(BENCH_ARGS)

## lint: ruff, and mypy (strict) over auditor/ and checks/
lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) node_modules .pytest_cache $(TS_APPS:%=%/node_modules)
