# pdp — build, test and benchmark. Every tool used here is the Go toolchain
# or is installed by this file at a pinned version into ./bin.

GO        ?= go
BIN       := $(CURDIR)/bin
PKGS      := ./...
FUZZTIME  ?= 20000x
BENCHTIME ?= 1s

# Tools outside the Go toolchain, each installed into $(BIN) by `make tools`
# with `go install pkg@version` from the Go module proxy.
# PROTOC_GEN_GO_VERSION follows google.golang.org/protobuf in go.mod.
BUF_VERSION                := v1.75.0
PROTOC_GEN_GO_VERSION      := v1.36.12
PROTOC_GEN_GO_GRPC_VERSION := v1.6.2
GRPCURL_VERSION            := v1.9.4
GHZ_VERSION                := v0.121.0
BUF := $(BIN)/buf

# ETCD_PACKAGE is the Debian package holding the etcd server the etcdstore
# tests start (/usr/bin/etcd); `make etcd` installs it when etcd is missing.
ETCD_PACKAGE := etcd-server

.PHONY: all build run demo test peers lint vet fmt-check unit fuzz-smoke fuzz bench clean policy-tests
.PHONY: tools generate check-gen lint-proto etcd

all: build

build:
	$(GO) build -o $(BIN)/pdp ./cmd/pdp

# run builds pdp and serves on localhost:8181 until interrupted, from the
# embedded bolt store in ./pdp-data, seeded with examples/model on first
# start (a later start keeps what was changed since).
run: build $(BIN)/.grpcurl-$(GRPCURL_VERSION)
	@echo "Serving the bolt store in pdp-data (seeded with examples/model) on localhost:8181. In another shell, try:"
	@echo "  bin/grpcurl -plaintext -d '{\"principal\": \"arn:aws:iam::111122223333:user/alice\", \"action\": \"mobiletargeting:GetSegment\", \"resource\": \"arn:aws:mobiletargeting:us-east-1:111122223333:apps/growth-app/segments/active-users\", \"context\": {\"aws:RequestedRegion\": {\"string_value\": \"us-east-1\"}}}' localhost:8181 pdp.v1.AuthorizationService/Check"
	$(BIN)/pdp serve --listen 127.0.0.1:8181 --store bolt --data-dir pdp-data --seed examples/model

# demo decides the self-contained example cases with explanations.
demo: build
	$(BIN)/pdp validate --type identity examples/policies/*.json
	$(BIN)/pdp eval --ordered --explain < examples/requests.jsonl

# test is what CI runs: formatting, vet, every test with the race detector,
# (the conformance corpus among them), and a short run of every fuzzer.
# It also regenerates gen/ and fails if that changed it, and lints the protos.
test: fmt-check vet lint check-gen lint-proto unit policy-tests peers fuzz-smoke

# policy-tests runs the example model's policy tests (examples/model/*_test.yaml)
# and requires them to make every statement of the model apply.
policy-tests: build
	$(BIN)/pdp test --policies examples/model --min-coverage 100

fmt-check:
	@out="$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))"; \
	  test -z "$$out" || { echo "gofmt would change:"; echo "$$out"; exit 1; }

vet:
	$(GO) vet $(PKGS)

# lint runs staticcheck, pinned by the tool line in go.mod.
lint:
	$(GO) tool staticcheck $(PKGS)

# unit needs grpcurl: the e2e test runs the README's grpcurl session;
# and etcd: the etcdstore tests start real etcd servers.
unit: $(BIN)/.grpcurl-$(GRPCURL_VERSION) etcd
	$(GO) test -race -count=1 $(PKGS)

# peers runs the tests of bench/ (its own module): pdp, cedar-go and OPA
# decide the same generated workload identically, and the load kit works
# (its ghz test needs ghz).
peers: $(BIN)/.ghz-$(GHZ_VERSION)
	cd bench && $(GO) vet ./... && $(GO) test -count=1 ./...

# fuzz-smoke runs each fuzz target for a fixed number of inputs (a count,
# not a duration: a short -fuzztime duration on a loaded machine can end
# the run with a spurious "context deadline exceeded"); `make fuzz
# FUZZTIME=5m` runs them for longer.
fuzz-smoke:
	$(MAKE) fuzz FUZZTIME=$(FUZZTIME)

fuzz:
	$(GO) test -run='^$$' -fuzz='^FuzzParse$$' -fuzztime=$(FUZZTIME) ./pkg/engine/internal/jsonpos/
	$(GO) test -run='^$$' -fuzz='^FuzzParsePolicy$$' -fuzztime=$(FUZZTIME) ./pkg/engine/
	$(GO) test -run='^$$' -fuzz='^FuzzEvaluate$$' -fuzztime=$(FUZZTIME) ./pkg/engine/
	$(GO) test -run='^$$' -fuzz='^FuzzLoadBundle$$' -fuzztime=$(FUZZTIME) ./pkg/entity/
	$(GO) test -run='^$$' -fuzz='^FuzzCheckRequest$$' -fuzztime=$(FUZZTIME) ./internal/server/
	$(GO) test -run='^$$' -fuzz='^FuzzBatchCheckRequest$$' -fuzztime=$(FUZZTIME) ./internal/server/
	$(GO) test -run='^$$' -fuzz='^FuzzOverlaps$$' -fuzztime=$(FUZZTIME) ./pkg/catalog/
	$(GO) test -run='^$$' -fuzz='^FuzzMatchWildcardFold$$' -fuzztime=$(FUZZTIME) ./pkg/catalog/
	$(GO) test -run='^$$' -fuzz='^FuzzAutomaton$$' -fuzztime=$(FUZZTIME) ./pkg/catalog/
	$(GO) test -run='^$$' -fuzz='^FuzzSplitARN$$' -fuzztime=$(FUZZTIME) ./pkg/engine/
	$(GO) test -run='^$$' -fuzz='^FuzzPatternMatch$$' -fuzztime=$(FUZZTIME) ./pkg/engine/
	$(GO) test -run='^$$' -fuzz='^FuzzParseTyped$$' -fuzztime=$(FUZZTIME) ./pkg/engine/
	$(GO) test -run='^$$' -fuzz='^FuzzFastEntity$$' -fuzztime=$(FUZZTIME) ./internal/server/
	$(GO) test -run='^$$' -fuzz='^FuzzAppendString$$' -fuzztime=$(FUZZTIME) ./internal/decisionlog/

bench:
	$(GO) test -run='^$$' -bench=. -benchmem -benchtime=$(BENCHTIME) ./pkg/... ./internal/...
	cd bench && $(GO) test -run='^$$' -bench=. -benchmem ./peers/

# tools installs the pinned tools into $(BIN). Each leaves a stamp file
# naming its version, so a re-run does nothing and a version bump reinstalls.
tools: $(BIN)/.buf-$(BUF_VERSION) \
	$(BIN)/.protoc-gen-go-$(PROTOC_GEN_GO_VERSION) \
	$(BIN)/.protoc-gen-go-grpc-$(PROTOC_GEN_GO_GRPC_VERSION) \
	$(BIN)/.grpcurl-$(GRPCURL_VERSION)

# tool-rule makes the stamp rule for a tool: $(1) binary name, $(2) package,
# $(3) version. Older stamps of the same tool are removed.
define tool-rule
$(BIN)/.$(1)-$(3):
	@mkdir -p $(BIN)
	GOBIN=$(BIN) $(GO) install $(2)@$(3)
	@rm -f $(BIN)/.$(1)-v* && touch $$@
endef
$(eval $(call tool-rule,buf,github.com/bufbuild/buf/cmd/buf,$(BUF_VERSION)))
$(eval $(call tool-rule,protoc-gen-go,google.golang.org/protobuf/cmd/protoc-gen-go,$(PROTOC_GEN_GO_VERSION)))
$(eval $(call tool-rule,protoc-gen-go-grpc,google.golang.org/grpc/cmd/protoc-gen-go-grpc,$(PROTOC_GEN_GO_GRPC_VERSION)))
$(eval $(call tool-rule,grpcurl,github.com/fullstorydev/grpcurl/cmd/grpcurl,$(GRPCURL_VERSION)))

# etcd installs the etcd server (Debian's etcd-server, etcd 3.4) unless an
# etcd binary is already on PATH; it needs root and apt-get.
etcd:
	@command -v etcd >/dev/null || (apt-get update && apt-get install -y --no-install-recommends $(ETCD_PACKAGE))

# generate writes gen/ from proto/ (buf.gen.yaml) with the plugins in $(BIN).
generate: tools
	PATH="$(BIN):$$PATH" $(BUF) generate

# check-gen regenerates and fails if gen/ then differs from what git has.
check-gen: generate
	@test -z "$$(git status --porcelain -- gen/)" || { git status --short -- gen/; \
	  echo "gen/ is stale: run 'make generate' and commit"; exit 1; }

lint-proto: tools
	$(BUF) lint
	$(BUF) format --diff --exit-code

clean:
	rm -rf $(BIN)

# --- load testing ------------------------------------------------------------
# loadtest measures pdp serve against a bare gRPC baseline with the same
# transport settings (bench/cmd/loadtest): it generates a model of about
# 10,000 policies, seeds pdp's bolt store with it, starts pdp and pdp-echo
# on loopback ports and drives both with ghz, then prints calls/s,
# latencies, decisions/s and the ratios of the server's performance
# targets. About 2 minutes with the defaults: LOADTEST_ROUNDS rounds of 4
# unary Check runs, then 4 BatchCheck runs, each of LOADTEST_DURATION.
# LOADTEST_FLAGS passes more flags, e.g. "-profiles /tmp/pdp-prof" for CPU
# profiles of pdp under load, or "-strict" to fail on a missed target.
LOADTEST_DURATION    ?= 5s
LOADTEST_ROUNDS      ?= 3
LOADTEST_CONCURRENCY ?= 50
LOADTEST_FLAGS       ?=

.PHONY: loadtest loadtest-tools

$(eval $(call tool-rule,ghz,github.com/bojand/ghz/cmd/ghz,$(GHZ_VERSION)))

loadtest-tools: build $(BIN)/.ghz-$(GHZ_VERSION)
	cd bench && $(GO) build -o $(BIN)/pdp-echo ./cmd/pdp-echo && \
	  $(GO) build -o $(BIN)/pdp-loadgen ./cmd/pdp-loadgen && \
	  $(GO) build -o $(BIN)/loadtest ./cmd/loadtest

loadtest: loadtest-tools
	$(BIN)/loadtest -pdp $(BIN)/pdp -echo $(BIN)/pdp-echo -ghz $(BIN)/ghz \
	  -duration $(LOADTEST_DURATION) -rounds $(LOADTEST_ROUNDS) -concurrency $(LOADTEST_CONCURRENCY) $(LOADTEST_FLAGS)
