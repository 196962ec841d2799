# pdp — build, test and benchmark. Every tool used here is the Go toolchain
# or is installed by this file at a pinned version into ./bin.

GO        ?= go
BIN       := $(CURDIR)/bin
PKGS      := ./...
FUZZTIME  ?= 10s
BENCHTIME ?= 1s

.PHONY: all build run test lint vet fmt-check unit fuzz-smoke fuzz bench clean

all: build

build:
	$(GO) build -o $(BIN)/pdp ./cmd/pdp

# run builds pdp and shows it deciding: the example policies are validated
# and the example requests evaluated.
run: build
	$(BIN)/pdp validate --type identity examples/policies/*.json
	$(BIN)/pdp eval --ordered --explain < examples/requests.jsonl

# test is what CI runs: formatting, vet, every test with the race detector,
# (the conformance corpus among them), and a short run of every fuzzer.
test: fmt-check vet unit fuzz-smoke

fmt-check:
	@out="$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))"; \
	  test -z "$$out" || { echo "gofmt would change:"; echo "$$out"; exit 1; }

vet:
	$(GO) vet $(PKGS)

unit:
	$(GO) test -race -count=1 $(PKGS)

# fuzz-smoke runs each fuzz target briefly; `make fuzz FUZZTIME=5m` runs
# them for longer.
fuzz-smoke:
	$(MAKE) fuzz FUZZTIME=$(FUZZTIME)

fuzz:
	$(GO) test -run='^$$' -fuzz='^FuzzParse$$' -fuzztime=$(FUZZTIME) ./pkg/engine/internal/jsonpos/
	$(GO) test -run='^$$' -fuzz='^FuzzParsePolicy$$' -fuzztime=$(FUZZTIME) ./pkg/engine/
	$(GO) test -run='^$$' -fuzz='^FuzzEvaluate$$' -fuzztime=$(FUZZTIME) ./pkg/engine/

bench:
	$(GO) test -run='^$$' -bench=. -benchmem -benchtime=$(BENCHTIME) ./pkg/...

clean:
	rm -rf $(BIN)
