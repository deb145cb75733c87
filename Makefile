# Berth — one binary: the server, the node agent and the CLI.
GO        ?= go
TAGS      := hashicorpmetrics
BIN       := bin/berth
PKGS      := ./...
# Integration tests start real clusters; give them room on a 2-core machine.
TEST_TIMEOUT ?= 20m

.PHONY: all build test unit integration run bench lint fmt tidy fuzz clean images

all: build

build:
	CGO_ENABLED=0 $(GO) build -tags $(TAGS) -trimpath -ldflags='-s -w' -o $(BIN) ./cmd/berth

# test: every unit and integration test, race detector on.
test: build
	$(GO) vet -tags $(TAGS) $(PKGS)
	$(GO) test -race -tags $(TAGS) -timeout $(TEST_TIMEOUT) -count=1 $(PKGS)

unit:
	$(GO) test -race -tags $(TAGS) -count=1 $$($(GO) list ./... | grep -v /integration)

integration: build
	$(GO) test -race -tags $(TAGS) -count=1 -timeout $(TEST_TIMEOUT) -v ./integration/...

# run: `berth dev`, a one-machine cluster on the local Docker engine, state in ./.berth-dev
# (Ctrl-C stops it and removes its containers; the objects survive).
run: build
	./scripts/run-local.sh

# images: berth/demo:dev, FROM scratch with a static berth (no registry needed).
images:
	./scripts/images.sh

# bench: prints `name value unit` lines.
bench: build
	./scripts/bench.sh

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt: $$out"; exit 1; fi
	$(GO) vet -tags $(TAGS) $(PKGS)
	@if command -v staticcheck >/dev/null; then staticcheck -tags $(TAGS) $(PKGS); fi

tidy:
	$(GO) mod tidy
	@git diff --exit-code go.mod go.sum || (echo "go.mod/go.sum were not tidy"; exit 1)

# fuzz: every fuzz target for FUZZTIME each.
FUZZTIME ?= 20s
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for t in $$($(GO) test -tags $(TAGS) -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$t"; $(GO) test -tags $(TAGS) -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

clean:
	rm -rf bin .berth-dev
