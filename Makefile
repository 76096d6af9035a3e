# Herald — run `make help` for the targets.
SHELL := /bin/bash
GO    ?= go
PKGS  := ./...
JS    := tests/js
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

.DEFAULT_GOAL := help
.PHONY: help run sample test test-unit test-e2e deploy-test deploy-tools fuzz bench bench-scale bench-scale-cluster soak fmt lint build lambdas image image-docker release clean js-deps

help: ## list the targets
	@grep -hE '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

run: ## run the local emulator on localhost:8888 (in-memory bus)
	@$(MAKE) --no-print-directory js-deps >/dev/null 2>&1 || echo "note: make js-deps failed; the sample page will load @microsoft/signalr from jsDelivr"
	@mkdir -p bin && $(GO) build -ldflags='$(VERSION_LDFLAGS)' -o bin/herald ./local
	exec bin/herald

# The emulator's well-known development connection string (see local/).
DEV_CONNECTION_STRING := Endpoint=http://localhost;Port=8888;AccessKey=ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH;Version=1.0;
sample: ## run the emulator with the sample chat hub (functions/chathub) as upstream of hub "chat": open http://localhost:8888/samples/chat/
	@$(MAKE) --no-print-directory js-deps >/dev/null 2>&1 || echo "note: make js-deps failed; the sample page will load @microsoft/signalr from jsDelivr"
	@mkdir -p bin && $(GO) build -o bin/herald ./local && $(GO) build -o bin/herald-chathub ./functions/chathub
	@HERALD_CONNECTION_STRING='$(DEV_CONNECTION_STRING)' bin/herald-chathub & pid=$$!; \
	  trap 'kill $$pid 2>/dev/null; wait $$pid' EXIT; \
	  bin/herald --config local/sample-settings.json

test: js-deps deploy-tools ## everything: lint (vet, staticcheck, gofmt, cfn-lint), unit, end-to-end with the real JS client, the deploy rehearsal, short fuzzing
	$(MAKE) --no-print-directory lint
	$(GO) test -race -count=1 -skip '^TestDeployRehearsal$$' $(PKGS)
	$(MAKE) --no-print-directory deploy-test
	$(MAKE) --no-print-directory fuzz FUZZTIME=100000x

# The unit tier starts no server and needs neither node nor redis-server:
# under -short every test that needs Redis or moto_server skips, saying so
# (shared/redistest.SkipShort, shared/testsupport.SkipServer), and so do the
# slow Redis Cluster failover tests. Examples cannot skip: the one that
# needs Redis is left out by name. make test runs all of them.
UNIT_PKGS := ./shared/... ./local/... ./gateway/... ./functions/...
UNIT_SKIP := ^Example_redis$$
test-unit: ## fast unit tests: Go only, no server, no node (-short; make test runs everything)
	$(GO) test -race -short -count=1 -skip '$(UNIT_SKIP)' $(UNIT_PKGS)

test-e2e: js-deps ## end-to-end tests with the official @microsoft/signalr client
	$(GO) test -race -count=1 ./tests/...

# The deploy rehearsal (tests/deploy_rehearsal_test.go): template.yaml transformed
# (SAM translator), linted (cfn-lint), created in a throwaway moto_server and run
# here under the Lambda Runtime Interface Emulator and an ALB stand-in. The tools
# come from the system Python.
DEPLOY_TOOLS_HINT := the deploy rehearsal needs python3 with cfn-lint, aws-sam-translator, boto3 and moto[server]: pip install cfn-lint aws-sam-translator boto3 'moto[server]'
deploy-tools:
	@command -v python3 >/dev/null && command -v cfn-lint >/dev/null && command -v moto_server >/dev/null \
	  && python3 -c 'import boto3, samtranslator, moto, cfnlint' 2>/dev/null || { echo "$(DEPLOY_TOOLS_HINT)"; exit 1; }

deploy-test: js-deps deploy-tools ## the deploy rehearsal: template.yaml's stack in moto, run with the RIE, an ALB stand-in, Redis outage and rolling deploy
	$(GO) test -race -count=1 -timeout 15m -run '^TestDeployRehearsal$$' -v ./tests/

# Count-based by default: time-limited fuzzing can end in a spurious
# "context deadline exceeded" on Go 1.26 (golang/go#75804).
FUZZTIME ?= 2000000x
FUZZ_TARGETS := FuzzJSONDecode FuzzHandshake FuzzJSONAppend FuzzValidJSON FuzzMsgpackDecode FuzzJSONToMsgpack FuzzMsgpackToJSON FuzzPayloadMap
fuzz: ## run each fuzz target (codecs, frame reader, record framing, tokens, REST bodies, Lambda events, query strings) for FUZZTIME executions (default 2000000x)
	@for f in $(FUZZ_TARGETS); do \
	  echo "fuzz $$f"; \
	  $(GO) test -run='^$$' -fuzz="^$$f\$$" -fuzztime=$(FUZZTIME) -fuzzminimizetime=100x ./shared/hubproto || exit 1; \
	done
	$(GO) test -run='^$$' -fuzz='^FuzzParsedClaims$$' -fuzztime=$(FUZZTIME) -fuzzminimizetime=100x ./shared/token
	$(GO) test -run='^$$' -fuzz='^FuzzFastVerify$$' -fuzztime=$(FUZZTIME) -fuzzminimizetime=100x ./shared/token
	$(GO) test -run='^$$' -fuzz='^FuzzConnTokenVerify$$' -fuzztime=$(FUZZTIME) -fuzzminimizetime=100x ./shared/gateway
	$(GO) test -run='^$$' -fuzz='^FuzzFrameReader$$' -fuzztime=$(FUZZTIME) -fuzzminimizetime=100x ./shared/gateway
	$(GO) test -run='^$$' -fuzz='^FuzzInbox$$' -fuzztime=$(FUZZTIME) -fuzzminimizetime=100x ./shared/gateway
	$(GO) test -run='^$$' -fuzz='^FuzzSendBody$$' -fuzztime=$(FUZZTIME) -fuzzminimizetime=100x ./shared/httpapi
	$(GO) test -run='^$$' -fuzz='^FuzzInvoke$$' -fuzztime=$(FUZZTIME) -fuzzminimizetime=100x ./shared/lambdahttp
	$(GO) test -run='^$$' -fuzz='^FuzzParse$$' -fuzztime=$(FUZZTIME) -fuzzminimizetime=100x ./shared/query

BENCHTIME ?= 3s
bench: ## benchmarks: fan-out deliveries/s, gateway CPU and memory per connection, negotiate rate, latency; a target table and bench-results.json
	$(GO) test -run='^$$' -bench=. -benchmem -count=1 ./shared/hubproto ./shared/bus
	$(GO) test -run='^$$' -bench=. -benchmem -count=1 -benchtime=1s ./shared/gateway
	BENCH_RESULTS=$(CURDIR)/bench-results.json $(GO) test -run='^$$' -bench=. -count=1 -benchtime=$(BENCHTIME) ./tests/bench

# The scale benchmark (tests/bench/scale, docs/bench-scale.md): gateway
# processes, a functions process and load drivers on one throwaway Redis
# (or a 3-master cluster), SCALE_CONNS WebSocket connections in all.
# Not part of make test; it ends by itself within about 10 minutes.
SCALE_CONNS         ?= 100000
SCALE_CLUSTER_CONNS ?= 20000
SCALE_ARGS          ?=
bench-scale: ## SCALE_CONNS (100000) connections over 5+ gateways on one Redis: connect rate, memory, fan-out, group/user sends, latency (not in CI)
	$(GO) test -run '^TestScale$$' -count=1 -timeout 15m -v ./tests/bench/scale -args -scale -conns=$(SCALE_CONNS) $(SCALE_ARGS)

bench-scale-cluster: ## bench-scale on a 3-master Redis Cluster, SCALE_CLUSTER_CONNS (20000) connections
	$(GO) test -run '^TestScale$$' -count=1 -timeout 15m -v ./tests/bench/scale -args -scale -cluster -conns=$(SCALE_CLUSTER_CONNS) $(SCALE_ARGS)

SOAK_DURATION ?= 3m
soak: ## churn connections and messages for SOAK_DURATION (default 3m; not in CI) and check flat heap and goroutines
	SOAK_DURATION=$(SOAK_DURATION) $(GO) test -tags soak -run '^TestSoak$$' -count=1 -timeout 30m -v ./tests/soak

fmt: ## format the code (gofmt -s)
	gofmt -s -w $$(git ls-files '*.go')

lint: ## go vet, staticcheck (pinned), a gofmt check and cfn-lint on the templates
	$(GO) vet $(PKGS)
	$(GO) run $(STATICCHECK) $(PKGS)
	@test -z "$$(gofmt -s -l $$(git ls-files '*.go'))" || { gofmt -s -l $$(git ls-files '*.go'); echo "run make fmt"; exit 1; }
	@command -v cfn-lint >/dev/null || { echo "cfn-lint not found: pip install cfn-lint (the templates must lint clean)"; exit 1; }
	cfn-lint template.yaml infra/redis.yaml

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
# Every binary answers --version (shared/buildinfo); the gateway also reads
# main.version.
VERSION_LDFLAGS = -X github.com/heraldrt/herald/shared/buildinfo.Version=$(VERSION) -X main.version=$(VERSION)

build: lambdas ## build the binaries: bin/herald (the emulator, ./local), bin/herald-gateway, bin/herald-<function>; build/<function>/bootstrap for Lambda
	$(GO) build -trimpath -ldflags='$(VERSION_LDFLAGS)' -o bin/herald ./local
	$(GO) build -trimpath -ldflags='$(VERSION_LDFLAGS)' -o bin/herald-gateway ./gateway
	@for f in $(FUNCTIONS); do \
	  $(GO) build -trimpath -ldflags='$(VERSION_LDFLAGS)' -o bin/herald-$$f ./functions/$$f || exit 1; \
	done

# Lambda functions (functions/<name>): one bootstrap each for provided.al2023
# on arm64, static, without the RPC entry point.
FUNCTIONS    := negotiate api chathub
LAMBDA_ENV   := CGO_ENABLED=0 GOOS=linux GOARCH=arm64
LAMBDA_FLAGS = -tags lambda.norpc -trimpath -ldflags='-s -w $(VERSION_LDFLAGS)'
lambdas: ## build/<function>/bootstrap for every Lambda function (linux/arm64)
	@for f in $(FUNCTIONS); do \
	  echo "lambda $$f"; \
	  $(LAMBDA_ENV) $(GO) build $(LAMBDA_FLAGS) -o build/$$f/bootstrap ./functions/$$f || exit 1; \
	done

# `sam build` runs build-<LogicalId> for each function of template.yaml
# (Metadata: BuildMethod: makefile) with ARTIFACTS_DIR set.
build-NegotiateFunction:
	$(LAMBDA_ENV) $(GO) build $(LAMBDA_FLAGS) -o $(ARTIFACTS_DIR)/bootstrap ./functions/negotiate
build-ApiFunction:
	$(LAMBDA_ENV) $(GO) build $(LAMBDA_FLAGS) -o $(ARTIFACTS_DIR)/bootstrap ./functions/api
build-ChatHubFunction:
	$(LAMBDA_ENV) $(GO) build $(LAMBDA_FLAGS) -o $(ARTIFACTS_DIR)/bootstrap ./functions/chathub

# The gateway image without Docker (infra/image): the static binary, this
# machine's CA certificates and a non-root user on an empty base, as an OCI
# archive for `docker load -i` or `podman load -i`.
IMAGE      ?= herald-gateway:latest
IMAGE_ARCH ?= arm64
IMAGE_OUT  ?= build/herald-gateway-image.tar
image: ## the gateway's container image without Docker: IMAGE_OUT (OCI archive, linux/IMAGE_ARCH) tagged IMAGE
	@mkdir -p build/gateway-linux-$(IMAGE_ARCH)
	CGO_ENABLED=0 GOOS=linux GOARCH=$(IMAGE_ARCH) $(GO) build -trimpath -ldflags='-s -w $(VERSION_LDFLAGS)' \
	  -o build/gateway-linux-$(IMAGE_ARCH)/herald-gateway ./gateway
	$(GO) run ./infra/image --binary build/gateway-linux-$(IMAGE_ARCH)/herald-gateway --out $(IMAGE_OUT) --tag $(IMAGE) \
	  --version $(VERSION) --revision "$$(git rev-parse HEAD 2>/dev/null)" --arch $(IMAGE_ARCH) \
	  --created "$$(git log -1 --format=%ct 2>/dev/null || date +%s)"

image-docker: ## the same image built by Docker (infra/gateway/Dockerfile), tagged IMAGE
	docker build --platform linux/$(IMAGE_ARCH) --build-arg VERSION=$(VERSION) -f infra/gateway/Dockerfile -t $(IMAGE) .

# A release in dist/: for each of RELEASE_PLATFORMS an archive of herald
# (the emulator) and herald-gateway, a Lambda zip of each function
# (bootstrap, linux/arm64, as template.yaml deploys it), the gateway image
# (OCI archive, linux/IMAGE_ARCH), and SHA256SUMS over all of them. Every
# binary is stamped with VERSION (--version prints it).
RELEASE_PLATFORMS ?= linux/amd64 linux/arm64 darwin/amd64 darwin/arm64
DIST := dist
release: lambdas ## dist/: herald and herald-gateway archives per platform (RELEASE_PLATFORMS), the Lambda zips, the gateway image, SHA256SUMS
	@command -v zip >/dev/null || { echo "zip is required: apt-get install -y zip"; exit 1; }
	rm -rf $(DIST) && mkdir -p $(DIST)
	@for p in $(RELEASE_PLATFORMS); do \
	  os=$${p%/*}; arch=$${p#*/}; d=herald-$(VERSION)-$$os-$$arch; \
	  echo "release $$d"; mkdir -p $(DIST)/$$d || exit 1; \
	  for b in herald:./local herald-gateway:./gateway; do \
	    CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build -trimpath -ldflags='-s -w $(VERSION_LDFLAGS)' \
	      -o $(DIST)/$$d/$${b%%:*} $${b#*:} || exit 1; \
	  done; \
	  cp LICENSE README.md $(DIST)/$$d/ && tar -C $(DIST) -czf $(DIST)/$$d.tar.gz $$d && rm -r $(DIST)/$$d || exit 1; \
	done
	@for f in $(FUNCTIONS); do \
	  rm -f $(DIST)/herald-$$f-$(VERSION)-lambda-arm64.zip; \
	  (cd build/$$f && zip -q -X ../../$(DIST)/herald-$$f-$(VERSION)-lambda-arm64.zip bootstrap) || exit 1; \
	done
	$(MAKE) --no-print-directory image IMAGE=herald-gateway:$(VERSION) IMAGE_OUT=$(DIST)/herald-gateway-$(VERSION)-image-$(IMAGE_ARCH).tar
	cd $(DIST) && sha256sum *.tar.gz *.zip *.tar > SHA256SUMS
	@cat $(DIST)/SHA256SUMS

clean: ## remove build output and installed JS dependencies
	rm -rf bin build $(DIST) $(JS)/node_modules

js-deps: $(JS)/node_modules/.package-lock.json ## install the pinned JS client (npm ci)

$(JS)/node_modules/.package-lock.json: $(JS)/package-lock.json
	@command -v node >/dev/null || { echo "node and npm are required: apt-get install -y nodejs npm"; exit 1; }
	cd $(JS) && npm ci --no-audit --no-fund
