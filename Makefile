# Cello: every command the README shows. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

.PHONY: help setup deps build typecheck check hooks test demo bench coverage image clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

setup: ## install what this machine lacks (Debian packages, pnpm, npm packages, the libcni driver)
	@scripts/setup.sh

deps: ## only the npm packages (no root): what check, build and typecheck need
	@scripts/setup.sh --node-only

build: deps ## bundle every command into bin/
	@node scripts/build.mjs

typecheck: deps ## tsc --noEmit over every package
	@node_modules/.bin/tsc --noEmit -p .

check: deps ## formatter, linter, types, the CNI hot path's imports, duplicates in your change (no root; seconds; FIX=1 rewrites)
	@scripts/check.sh

hooks: ## run `make check` before every commit (git config core.hooksPath .githooks)
	@git config core.hooksPath .githooks && echo "pre-commit hook installed: make check runs before each commit"

test: setup check build ## setup, check, build and run every test; ends with "N passed, N failed"
	@node scripts/test.mjs $(TESTS)

demo: setup build ## a node's life on the simulated VPC: pool, pods, traffic, teardown
	@scripts/demo.sh

bench: setup build ## benchmarks against reference plugins measured in the same run
	@node_modules/.bin/tsx tools/bench/src/main.ts $(SUITES)

coverage: setup build ## the packages' tests with coverage (reported, not enforced; TESTS=… for others)
	@node_modules/.bin/tap --coverage-report=text --allow-incomplete-coverage $(or $(TESTS),packages/*/test/**/*.test.ts)

image: setup ## the DaemonSet image with buildah into build/cello-image.tar (bases made from Debian packages; docs/install.md)
	@scripts/image.sh

clean: ## remove build output
	rm -rf bin test/bin .tap
