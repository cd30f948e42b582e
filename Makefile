# The two commands: `make run` (the platform on its embedded defaults) and
# `make test` (everything, installing what it needs). See README.md.

GO       ?= go
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X github.com/kamonohashi-go/kamonohashi/internal/version.Version=$(VERSION)
BIN      := bin

.PHONY: build build-nvml gpu-proof web web-deps generate run test test-go test-web lint bench clean

build: web
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/kamonohashi ./cmd/kamonohashi
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/deploy-kamonohashi ./cmd/deploy-kamonohashi
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/kqi ./cmd/kqi

# The same binary with GPU discovery through NVML (go-nvml, cgo): dynamically
# linked to glibc. The default static build finds GPUs through nvidia-smi.
build-nvml: web
	CGO_ENABLED=1 CGO_CFLAGS=-Wno-deprecated-declarations $(GO) build -trimpath -ldflags '$(LDFLAGS)' \
		-o $(BIN)/kamonohashi ./cmd/kamonohashi

# The GPU proof's driver (test/gpu/run.sh runs it against a server).
gpu-proof:
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BIN)/gpu-proof ./test/gpu/proof

# The web console (web/, Vue + Vite) built into web/dist, which the binary
# embeds. npm ci runs only when package-lock.json changed.
web: web-deps
	cd web && rm -rf dist/assets dist/index.html && npm run --silent build

web-deps: web/node_modules/.package-lock.json

web/node_modules/.package-lock.json: web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	@touch $@

# Regenerates the console's typed API client from the route table.
generate: web-deps
	CGO_ENABLED=0 $(GO) run ./cmd/kamonohashi openapi > web/openapi.json
	cd web && npm run --silent generate

# Runs the server on 127.0.0.1:8080 with everything under ~/.kamonohashi.
# The admin password comes from KAMONOHASHI_ADMIN_PASSWORD, or is generated
# and printed once on the first start.
run: build
	$(BIN)/kamonohashi server

# Every test, with the services they need (PostgreSQL, an S3 server) installed and started.
test:
	scripts/test.sh

lint:
	@test -z "$$(gofmt -l cmd internal test bench web/embed.go)" || { gofmt -l cmd internal test bench web/embed.go; echo 'gofmt: files above need formatting'; exit 1; }
	$(GO) vet ./...

bench: build
	bench/run.sh

clean:
	rm -rf $(BIN)
