# The two commands: `make run` (the platform on its embedded defaults) and
# `make test` (everything, installing what it needs). See README.md.

GO       ?= go
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X github.com/kamonohashi-go/kamonohashi/internal/version.Version=$(VERSION)
BIN      := bin

.PHONY: build run test test-go lint bench clean

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/kamonohashi ./cmd/kamonohashi

# Runs the server on 127.0.0.1:8080 with everything under ~/.kamonohashi.
# The admin password comes from KAMONOHASHI_ADMIN_PASSWORD, or is generated
# and printed once on the first start.
run: build
	$(BIN)/kamonohashi server

# Every test, with the services they need (PostgreSQL, an S3 server) installed and started.
test:
	scripts/test.sh

lint:
	@test -z "$$(gofmt -l cmd internal test bench)" || { gofmt -l cmd internal test bench; echo 'gofmt: files above need formatting'; exit 1; }
	$(GO) vet ./...

bench: build
	bench/run.sh

clean:
	rm -rf $(BIN)
