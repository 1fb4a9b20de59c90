# kassa: run `make help` for the targets.
SHELL := /bin/bash
GO ?= go
export PATH := /usr/local/go/bin:$(PATH)

.PHONY: help build test lint bench soak smoke postgres demo

help: ## Show the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

build: ## Build the kassa binary into ./bin/kassa
	$(GO) build -o bin/kassa ./cmd/kassa

test: ## Run every test against a real PostgreSQL (KASSA_TEST_DATABASE_URL)
	$(GO) test -race -count=1 ./...

lint: ## gofmt, go vet, and staticcheck when installed
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	@if command -v staticcheck >/dev/null; then staticcheck ./...; else echo "staticcheck not installed: skipped"; fi

bench: ## Measure the performance figures into docs/PERFORMANCE.md (BENCH_ALL=1 also runs every benchmark once)
	KASSA_PERF=1 $(GO) test -count=1 -v -run '^TestPerformanceReport$$' -timeout 30m ./internal/perf/
	@if [ -n "$(BENCH_ALL)" ]; then $(GO) test -run '^$$' -bench . -benchtime 1x -timeout 40m ./...; fi

soak: ## Run the reliability scenarios into docs/RELIABILITY.md
	KASSA_SOAK=1 $(GO) test -count=1 -v -run '^TestSoak$$' -timeout 30m ./internal/soak/

smoke: ## Check the command line against the contract in ../shared/contract
	python3 ../shared/contract/smoke.py

demo: ## Run kassa demo: PostgreSQL, a demo database, a simulated Shopify shop and the daemon (Ctrl-C stops it)
	bash scripts/ensure-postgres.sh
	$(GO) run ./cmd/kassa demo

postgres: ## Make PostgreSQL available locally (start it, or install it from Debian's packages)
	bash scripts/ensure-postgres.sh
