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

# ETCD_VERSION is the etcd server the etcdstore and cluster tests start
# (bin/etcd): the release of go.etcd.io/etcd/client/v3 in go.mod, which
# internal/tools/etcd pins too; `make etcd` builds it from there.
ETCD_VERSION := $(shell awk '$$1 == "go.etcd.io/etcd/client/v3" { print $$2 }' go.mod)
ETCD_TOOL    := internal/tools/etcd

.PHONY: all build run demo demo-server reset test peers lint vet fmt-check unit fuzz-smoke fuzz bench clean policy-tests
.PHONY: tools generate check-gen lint-proto breaking compat-image etcd mod-download routes check-routes

all: build

build:
	$(GO) build -o $(BIN)/pdp ./cmd/pdp

# PATH_HINT is the line that puts bin/ (pdp, grpcurl) on the shell's path,
# printed by run and demo-server and given once in the README.
PATH_HINT := export PATH="$$PWD/bin:$$PATH"

# PDP, PDP_LISTEN and PDP_DATA_DIR are the binary, address and bolt
# directory of `make run`; tests run the recipe with others.
PDP          ?= $(BIN)/pdp
PDP_LISTEN   ?= 127.0.0.1:8181
PDP_DATA_DIR ?= pdp-data

# run builds pdp and serves on localhost:8181 until interrupted, from the
# embedded bolt store in ./pdp-data: an empty store is seeded with
# examples/model, a store from an earlier start is served as it is (the
# server's log says which; `make reset` starts over). The recipe execs
# pdp, so that a signal to make's process group reaches pdp once and it
# stops gracefully.
run: build $(BIN)/.grpcurl-$(GRPCURL_VERSION)
	@echo "Serving the bolt store in pdp-data on localhost:8181 (seeded with examples/model if empty; 'make reset' starts over)."
	@echo "In another shell, put bin/ on your path and try a check:"
	@echo '  $(PATH_HINT)'
	@echo "  grpcurl -plaintext -d '{\"principal\": \"arn:aws:iam::111122223333:user/alice\", \"action\": \"mobiletargeting:GetSegment\", \"resource\": \"arn:aws:mobiletargeting:us-east-1:111122223333:apps/growth-app/segments/active-users\", \"context\": {\"aws:RequestedRegion\": {\"string_value\": \"us-east-1\"}}}' localhost:8181 pdp.v1.AuthorizationService/Check"
	@exec $(PDP) serve --listen $(PDP_LISTEN) --store bolt --data-dir $(PDP_DATA_DIR) --seed examples/model

# DEMO_SERVE_FLAGS are the flags of the server the README's grpcurl
# session runs against: a fresh in-memory store seeded with
# examples/model, so that the session gives the same output every time.
# e2e/readme_test.go reads them from this line.
DEMO_SERVE_FLAGS := --listen 127.0.0.1:8181 --store memory --seed examples/model

# demo-server serves examples/model from memory on localhost:8181 until
# interrupted; every start begins again at revision 1.
demo-server: build $(BIN)/.grpcurl-$(GRPCURL_VERSION)
	@echo "Serving examples/model from memory on localhost:8181 (a fresh store at every start)."
	@echo "In another shell, put bin/ on your path, then run the README's session:"
	@echo '  $(PATH_HINT)'
	@exec $(PDP) serve $(DEMO_SERVE_FLAGS)

# reset removes the bolt store of `make run`: the next start seeds it
# again from examples/model.
reset:
	rm -rf $(PDP_DATA_DIR)

# demo decides the self-contained example cases with explanations.
demo: build
	$(BIN)/pdp validate --type identity examples/policies/campaign-managers.json examples/policies/sms-senders.json
	$(BIN)/pdp eval --ordered --explain < examples/requests.jsonl

# test is what CI runs: formatting, vet, staticcheck, every test with the
# race detector (the conformance corpus among them), bench/'s tests, the
# example model's policy tests and a short run of every fuzzer. It also
# regenerates gen/ and the route table and fails if either differs from
# what is committed, and lints the protos. go vet runs inside the race
# build of unit (-vet=all), so the tree is compiled once for both.
test: mod-download fmt-check lint check-gen check-routes lint-proto breaking unit policy-tests peers fuzz-smoke

# mod-download fetches the modules of every go.mod file first, with a
# line saying so: on a cold cache this is the longest silent step.
mod-download:
	@echo "== go mod download: the modules of ., bench/ and $(ETCD_TOOL)/ (a few minutes on a cold cache, silent)"
	$(GO) mod download
	cd bench && $(GO) mod download
	cd $(ETCD_TOOL) && $(GO) mod download

# policy-tests runs the example model's policy tests (examples/model/*_test.yaml)
# and requires them to make every statement of the model apply.
policy-tests: build
	@echo "== pdp test: the example model's policy tests, at full statement coverage"
	$(BIN)/pdp test --policies examples/model --min-coverage 100

fmt-check:
	@echo "== gofmt"
	@out="$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))"; \
	  test -z "$$out" || { echo "gofmt would change:"; echo "$$out"; exit 1; }

vet:
	@echo "== go vet"
	$(GO) vet $(PKGS)

# lint runs staticcheck, pinned by the tool line in go.mod.
lint:
	@echo "== staticcheck (builds it on first use)"
	$(GO) tool staticcheck $(PKGS)

# unit needs grpcurl: the e2e test runs the README's grpcurl session;
# and etcd: the etcdstore tests start real etcd servers. Without them
# those tests skip under plain `go test`; here a skipped test fails the
# run (internal/tools/testsummary prints each package's result, the
# output of failed tests, and the skipped ones with their reasons).
# -vet=all runs every analyzer of `make vet` on the packages and their
# tests, type-checked from the race build itself, so that the tree is not
# compiled a second time for vet; a vet finding fails its package.
unit: $(BIN)/.grpcurl-$(GRPCURL_VERSION) etcd
	@echo "== go vet: every analyzer, run by go test -vet=all on the race build below"
	@echo "== go test -race (every package; the e2e and etcd tests take a few minutes)"
	$(GO) build -o $(BIN)/testsummary ./internal/tools/testsummary
	$(GO) test -race -vet=all -count=1 -timeout 30m -json $(PKGS) | $(BIN)/testsummary

# peers runs the tests of bench/ (its own module): pdp, cedar-go and OPA
# decide the same generated workload identically, and the load kit works
# (its ghz test needs ghz, its cluster test ghz and etcd). go vet runs
# inside go test, as in unit.
peers: $(BIN)/.ghz-$(GHZ_VERSION) etcd
	@echo "== bench/: go vet; pdp, cedar-go and OPA agree; the load kit works"
	cd bench && $(GO) test -vet=all -count=1 ./...

# fuzz-smoke runs each fuzz target for FUZZ_SMOKE inputs: enough to show
# that the target builds, runs its corpus and mutates inputs without
# failing. It is a count, not a duration: a short -fuzztime duration on a
# loaded machine can end the run with a spurious "context deadline
# exceeded". `make fuzz` runs them for FUZZTIME (default 20,000 inputs;
# `make fuzz FUZZTIME=5m` for longer).
FUZZ_SMOKE ?= 2000x

fuzz-smoke:
	@echo "== fuzzing each target for $(FUZZ_SMOKE) inputs"
	$(MAKE) --no-print-directory fuzz FUZZTIME=$(FUZZ_SMOKE)

fuzz:
	$(GO) test -run='^$$' -fuzz='^FuzzParse$$' -fuzztime=$(FUZZTIME) ./pkg/jsonpos/
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
	$(GO) test -run='^$$' -fuzz='^FuzzFastEntity$$' -fuzztime=$(FUZZTIME) ./internal/snapshot/
	$(GO) test -run='^$$' -fuzz='^FuzzAppendString$$' -fuzztime=$(FUZZTIME) ./internal/decisionlog/
	$(GO) test -run='^$$' -fuzz='^FuzzReadGAAD$$' -fuzztime=$(FUZZTIME) ./pkg/awsimport/
	$(GO) test -run='^$$' -fuzz='^FuzzReadIAMCollect$$' -fuzztime=$(FUZZTIME) ./pkg/awsimport/
	$(GO) test -run='^$$' -fuzz='^FuzzPlan$$' -fuzztime=$(FUZZTIME) ./internal/extauthz/

bench:
	$(GO) test -run='^$$' -bench=. -benchmem -benchtime=$(BENCHTIME) ./pkg/... ./internal/...
	cd bench && $(GO) test -run='^$$' -bench=. -benchmem -benchtime=$(BENCHTIME) ./peers/

# PROTO_TOOLS are the tools of the stages that read proto/: buf and the
# plugins of buf.gen.yaml.
PROTO_TOOLS := $(BIN)/.buf-$(BUF_VERSION) \
	$(BIN)/.protoc-gen-go-$(PROTOC_GEN_GO_VERSION) \
	$(BIN)/.protoc-gen-go-grpc-$(PROTOC_GEN_GO_GRPC_VERSION)

# tools installs the pinned tools into $(BIN), the etcd server the tests
# start among them, so that a plain `go test ./...` after it skips nothing.
# Each leaves a stamp file naming its version, so a re-run does nothing and
# a version bump reinstalls.
tools: $(PROTO_TOOLS) $(BIN)/.grpcurl-$(GRPCURL_VERSION) etcd

# tool-rule makes the stamp rule for a tool: $(1) binary name, $(2) package,
# $(3) version. Older stamps of the same tool are removed. The tools are
# linked without symbol tables and DWARF (-s -w), which they do not need
# and which take most of a link's time; they still print their versions.
define tool-rule
$(BIN)/.$(1)-$(3):
	@echo "== installing $(1) $(3) into bin/"
	@mkdir -p $(BIN)
	GOBIN=$(BIN) $(GO) install -ldflags='-s -w' $(2)@$(3)
	@rm -f $(BIN)/.$(1)-v* && touch $$@
endef
$(eval $(call tool-rule,buf,github.com/bufbuild/buf/cmd/buf,$(BUF_VERSION)))
$(eval $(call tool-rule,protoc-gen-go,google.golang.org/protobuf/cmd/protoc-gen-go,$(PROTOC_GEN_GO_VERSION)))
$(eval $(call tool-rule,protoc-gen-go-grpc,google.golang.org/grpc/cmd/protoc-gen-go-grpc,$(PROTOC_GEN_GO_GRPC_VERSION)))
$(eval $(call tool-rule,grpcurl,github.com/fullstorydev/grpcurl/cmd/grpcurl,$(GRPCURL_VERSION)))

# etcd builds the etcd server at ETCD_VERSION into bin/etcd with the Go
# toolchain, from the module in internal/tools/etcd (`go install` refuses
# etcd's server module, whose go.mod has replace directives). It fails when
# that module pins another release than the client's.
etcd: $(BIN)/.etcd-$(ETCD_VERSION)

$(BIN)/.etcd-$(ETCD_VERSION): $(ETCD_TOOL)/go.mod $(ETCD_TOOL)/go.sum
	@echo "== building etcd $(ETCD_VERSION) into bin/ (for the etcdstore and cluster tests)"
	@grep -q '^tool go.etcd.io/etcd/server/v3$$' $(ETCD_TOOL)/go.mod && \
	  grep -q 'go.etcd.io/etcd/server/v3 $(ETCD_VERSION)\b' $(ETCD_TOOL)/go.mod || \
	  { echo "$(ETCD_TOOL) does not pin etcd $(ETCD_VERSION), the client's release: run" \
	    "'cd $(ETCD_TOOL) && go get go.etcd.io/etcd/server/v3@$(ETCD_VERSION) && go mod tidy'"; exit 1; }
	@mkdir -p $(BIN)
	cd $(ETCD_TOOL) && $(GO) build -o $(BIN)/etcd go.etcd.io/etcd/server/v3
	@rm -f $(BIN)/.etcd-v* && touch $@

# generate writes gen/ from proto/ (buf.gen.yaml) with the plugins in $(BIN).
generate: $(PROTO_TOOLS)
	@echo "== buf generate: gen/ from proto/"
	PATH="$(BIN):$$PATH" $(BUF) generate

# check-gen generates into a temporary directory and fails if that differs
# from gen/. It leaves the tree alone, so that it can run beside the
# stages that compile gen/ (buf.gen.yaml cleans its out directory first).
check-gen: $(PROTO_TOOLS)
	@echo "== gen/ unchanged by make generate"
	@tmp="$$(mktemp -d)"; trap 'rm -rf "$$tmp"' EXIT; \
	  PATH="$(BIN):$$PATH" $(BUF) generate --output "$$tmp" || exit 1; \
	  diff -r "$$tmp/gen" gen || { echo "gen/ is stale: run 'make generate' and commit"; exit 1; }

# AWS_SDK_VERSION pins the aws-sdk npm package (Apache-2.0) whose API models
# of Amazon Pinpoint and End User Messaging SMS and voice v2 the Envoy
# route table is generated from; the models are committed beside it.
AWS_SDK_VERSION := 2.1693.0
ROUTES          := internal/extauthz/routes
ROUTE_MODELS    := pinpoint-2016-12-01.min.json pinpoint-sms-voice-v2-2022-03-31.min.json

# routes refetches the models at AWS_SDK_VERSION with npm, then regenerates
# the route table.
routes:
	rm -rf $(BIN)/aws-sdk && mkdir -p $(BIN)/aws-sdk
	cd $(BIN)/aws-sdk && npm pack --silent aws-sdk@$(AWS_SDK_VERSION) >/dev/null && tar xzf aws-sdk-$(AWS_SDK_VERSION).tgz
	for f in $(ROUTE_MODELS) ; do cp $(BIN)/aws-sdk/package/apis/$$f $(ROUTES)/model/ ; done
	cp $(BIN)/aws-sdk/package/LICENSE.txt $(BIN)/aws-sdk/package/NOTICE.txt $(ROUTES)/model/
	$(GO) generate ./$(ROUTES)

# check-routes regenerates the route table from the committed models (no
# npm) and fails if it then differs from what git has.
check-routes:
	$(GO) generate ./$(ROUTES)
	@test -z "$$(git status --porcelain -- $(ROUTES)/routes_gen.go)" || { git status --short -- $(ROUTES)/routes_gen.go; \
	  echo "$(ROUTES) is stale: run 'go generate ./$(ROUTES)' (or 'make routes') and commit"; exit 1; }

lint-proto: $(PROTO_TOOLS)
	@echo "== buf lint and format"
	$(BUF) lint
	$(BUF) format --diff --exit-code

# breaking fails if the API in proto/ breaks a client of the last release
# (buf's FILE rules: additions are free). It compares with a buf image of
# that release's protos committed in proto/compat, so that it works in a
# clone without tags; compat-image writes that image from the release's
# tag when a new release is made.
RELEASE := v0.1.0

breaking: $(PROTO_TOOLS)
	@echo "== buf breaking: proto/ against release $(RELEASE)"
	$(BUF) breaking --against proto/compat/$(RELEASE).binpb

compat-image: $(PROTO_TOOLS)
	@tmp="$$(mktemp -d)" && git archive $(RELEASE) proto buf.yaml | tar -x -C "$$tmp" && \
	  (cd "$$tmp" && $(BUF) build -o $(CURDIR)/proto/compat/$(RELEASE).binpb); rc=$$?; rm -rf "$$tmp"; exit $$rc

clean:
	rm -rf $(BIN)

# --- load testing ------------------------------------------------------------
# loadtest measures pdp serve against a bare gRPC baseline with the same
# transport settings (bench/cmd/loadtest): it generates a model of about
# 10,000 policies, seeds pdp's bolt store with it, starts pdp and pdp-echo
# on loopback ports and drives both with ghz, then prints calls/s,
# latencies, decisions/s and the ratios of the server's performance
# targets. About 2 minutes with the defaults: LOADTEST_ROUNDS rounds of 4
# unary Check runs, 2 CheckStream runs, then 4 BatchCheck runs, each of
# LOADTEST_DURATION.
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

# loadtest-cluster measures freshness under load (bench/cmd/loadtest,
# "loadtest cluster"): three pdp serve on one etcd seeded with the load
# test's model, each under a constant Check load (LOADTEST_CLUSTER_RATE
# calls/s, LOADTEST_CLUSTER_CONCURRENCY in flight), first without writes,
# then with LOADTEST_CLUSTER_WRITES policy writes/s through one of them,
# each phase LOADTEST_CLUSTER_DURATION long. It prints the Check latencies
# of both phases and how soon the other two servers serve each write, with
# the targets met or missed; it fails only on errors. About 3 minutes
# with the defaults. ETCD_SERVER is the etcd server `make etcd` installs;
# LOADTEST_CLUSTER_FLAGS passes more flags, e.g. "-workdir /tmp/cluster"
# to keep the logs and ghz reports.
LOADTEST_CLUSTER_DURATION    ?= 60s
LOADTEST_CLUSTER_RATE        ?= 200
LOADTEST_CLUSTER_CONCURRENCY ?= 10
LOADTEST_CLUSTER_WRITES      ?= 10
LOADTEST_CLUSTER_FLAGS       ?=
ETCD_SERVER                  ?= $(BIN)/etcd

.PHONY: loadtest-cluster

loadtest-cluster: loadtest-tools etcd
	$(BIN)/loadtest cluster -pdp $(BIN)/pdp -ghz $(BIN)/ghz -etcd $(ETCD_SERVER) \
	  -duration $(LOADTEST_CLUSTER_DURATION) -rate $(LOADTEST_CLUSTER_RATE) -concurrency $(LOADTEST_CLUSTER_CONCURRENCY) \
	  -writes $(LOADTEST_CLUSTER_WRITES) $(LOADTEST_CLUSTER_FLAGS)
