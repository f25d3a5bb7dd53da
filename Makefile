# evalpipe: the two commands a new user needs are `make run` and `make test`.
GO        ?= go
BIN       ?= bin/evalpipe
VERSION   ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -X github.com/evalpipe/evalpipe/cmd/evalpipe/cli.Version=$(VERSION)
DATA      ?= ./data
# go test's own timeout: a hang fails loudly, well inside CI's 90 minutes.
TEST_TIMEOUT ?= 40m
# make bench: national scale by default (issue 6); BENCH_EVENTS=1000000 for a
# ~10-minute run, BENCH_RUNS for the number of runs whose median is quoted.
BENCH_EVENTS ?= 10000000
BENCH_RUNS   ?= 3

.PHONY: all build run test bench bench-year lint fuzz clean faults fuzz-ci

all: build

build: ## the one binary
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/evalpipe

run: build ## the whole pipeline on the embedded defaults (demo data when no INPUT)
	$(BIN) --data $(DATA) run $(if $(INPUT),--input $(INPUT))

test: ## vet, then every test (needs kcat: see .ci/run)
	$(GO) vet ./...
	$(GO) test -count=1 -timeout $(TEST_TIMEOUT) ./...

bench: build ## national-scale benchmark, ratios against kcat and DuckDB in the same run: table + bench/results.json (see bench/README.md)
	$(GO) run ./bench -events $(BENCH_EVENTS) -runs $(BENCH_RUNS) -bin $(BIN) -out bench/results.json

bench-year: build ## a national year (40M events) through ingest, transform and the KPI report, then through `evalpipe run` with every report, and that run again over its data directory, once each: wall time and peak RSS (no references; about 25 GB of disk)
	$(GO) run ./bench -e2e-only -whole -events $(or $(YEAR_EVENTS),40000000) -runs 1 -bin $(BIN) -out bench/results-year.json

lint: ## formatting and vet
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt: run gofmt -w on the files above"; exit 1; }
	$(GO) vet ./...

fuzz: ## each fuzz target for a short time (FUZZTIME=30s)
	$(GO) test -run '^$$' -fuzz FuzzDecode -fuzztime $(or $(FUZZTIME),20s) ./events/

faults: ## kill -9, broker restarts, poison, full disk: exactly once after each (needs kcat; mounts a tmpfs when root)
	$(GO) vet -tags faults ./faults/
	$(GO) test -tags faults -count=1 -parallel 8 -timeout 15m ./faults/

# FUZZTIME_CI is how much fuzz-ci runs each target: a count of calls, not a
# duration. With a duration, Go 1.26's coordinator can end a clean run with
# "context deadline exceeded" (go.dev/issue/75804, fixed in Go 1.27); a count
# has no deadline to race. 20000 calls take 1-21 s per target here (the
# slowest, FuzzPushBody, runs about 950 calls/s on this 2-core machine).
FUZZTIME_CI ?= 20000x

fuzz-ci: ## every Fuzz target in the repo, FUZZTIME_CI (20000 calls) each; runs them all, then fails if any failed
	@failed=""; for f in $$(grep -rl --include='*_test.go' '^func Fuzz' . | sort); do \
	  for t in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' $$f); do \
	    echo "fuzz-ci: $$t $$(dirname $$f)"; \
	    $(GO) test -run '^$$' -fuzz "^$$t\$$" -fuzztime $(FUZZTIME_CI) $$(dirname $$f) || { echo "fuzz-ci: $$t failed; the input is under $$(dirname $$f)/testdata/fuzz/$$t: commit it with the fix"; failed="$$failed $$t"; }; \
	  done; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz-ci: failed:$$failed"; exit 1; fi

clean:
	rm -rf bin $(DATA)
