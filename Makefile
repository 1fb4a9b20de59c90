# kassa: run `make help` for the targets.
SHELL := /bin/bash
GO ?= go
# Where go install puts tools (make tools): GOBIN, else GOPATH/bin.
GOTOOLBIN := $(or $(shell PATH=/usr/local/go/bin:$$PATH go env GOBIN 2>/dev/null),$(shell PATH=/usr/local/go/bin:$$PATH go env GOPATH 2>/dev/null)/bin)
export PATH := /usr/local/go/bin:$(GOTOOLBIN):$(PATH)

# The staticcheck (honnef.co/go/tools) make lint checks with.
STATICCHECK_VERSION := v0.8.2

.PHONY: help build test lint tools bench soak smoke postgres demo

help: ## Show the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

BIN ?= bin/kassa
ADDR ?= 127.0.0.1:8080

build: ## Build the kassa binary into ./bin/kassa (or BIN=path)
	$(GO) build -o $(BIN) ./cmd/kassa

test: ## Run every test against a real PostgreSQL (KASSA_TEST_DATABASE_URL)
	$(GO) test -race -count=1 ./...

lint: ## gofmt, go vet and staticcheck (staticcheck.conf); make tools installs staticcheck
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	@version=$$(staticcheck -version 2>/dev/null) || { echo "staticcheck is not installed: run 'make tools'"; exit 1; }; \
	case "$$version" in *'($(STATICCHECK_VERSION:v%=%))'*) ;; \
	*) echo "make lint checks with staticcheck $(STATICCHECK_VERSION), not '$$version': run 'make tools'"; exit 1;; esac
	staticcheck ./...

tools: ## Install staticcheck (the version make lint checks with) from the Go module proxy, unless it is installed
	@case "$$(staticcheck -version 2>/dev/null)" in *'($(STATICCHECK_VERSION:v%=%))'*) echo "staticcheck $(STATICCHECK_VERSION) is installed";; \
	*) echo "$(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)"; $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION);; esac

bench: ## Measure the performance figures into docs/PERFORMANCE.md (BENCH_ALL=1 also runs every benchmark once)
	KASSA_PERF=1 $(GO) test -count=1 -v -run '^TestPerformanceReport$$' -timeout 60m ./internal/perf/
	@if [ -n "$(BENCH_ALL)" ]; then $(GO) test -run '^$$' -bench . -benchtime 1x -timeout 40m ./...; fi

soak: ## Run the reliability scenarios into docs/RELIABILITY.md
	KASSA_SOAK=1 $(GO) test -count=1 -v -run '^TestSoak$$' -timeout 60m ./internal/soak/

smoke: ## Check the command line against the contract in ../shared/contract
	python3 ../shared/contract/smoke.py

# On a terminal the demo runs as a job of its own (set -m), the terminal's foreground job:
# Ctrl-C reaches the demo, which stops and exits 0, and not make, which would die of it.
# (The trailing exit keeps the shell from replacing itself with the demo, which would take
# it out of its own job.)
demo: build ## Run kassa demo on ADDR (127.0.0.1:8080): PostgreSQL, a demo database, a simulated Shopify shop and the daemon (Ctrl-C stops it)
	@bash scripts/ensure-postgres.sh
	@if [ -t 0 ]; then set -m; fi; $(BIN) demo --addr '$(ADDR)' $(DEMO_FLAGS); exit $$?

postgres: ## Make PostgreSQL available locally (start it, or install it from Debian's packages)
	bash scripts/ensure-postgres.sh
