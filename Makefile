# kube-policy-ls: `make demo` builds and checks the bundled examples; `make test` runs every test.

GO       ?= go
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X main.version=$(VERSION)
BIN      := bin/kube-policy-ls
OPA      := $(GO) run github.com/open-policy-agent/opa@v1.22.3
STATICCHECK := $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: all build demo test test-short fuzz lint docs bench clean

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/kube-policy-ls

# Check the bundled example manifests, show what the fixes would change, list the rules.
demo: build
	@echo "== kube-policy-ls check examples/ =="
	@$(BIN) check examples/ || true
	@echo
	@echo "== kube-policy-ls check --fix --dry-run examples/insecure-deployment.yaml =="
	@$(BIN) check --fix --dry-run examples/insecure-deployment.yaml || true
	@echo
	@echo "== the rule catalog =="
	@$(BIN) rules

# Every Go test (Rego unit tests, PSS conformance, corpus robustness, CLI, language server)
# with the race detector, a 20-second soak of the server (tools/tools.mk), then every fuzz target
# for a few seconds.
test:
	$(GO) test -race -count=1 -timeout 20m ./...
	$(MAKE) --no-print-directory soak-short
	FUZZTIME=$(FUZZTIME_SHORT) ./scripts/fuzz.sh

FUZZTIME_SHORT ?= 5s
FUZZTIME ?= 10m

# Every fuzz target for FUZZTIME each (make fuzz FUZZTIME=30s); crashers land in testdata/fuzz.
fuzz:
	FUZZTIME=$(FUZZTIME) ./scripts/fuzz.sh

# The same without the race detector, for a quick loop.
test-short:
	$(GO) test -count=1 ./...

lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(STATICCHECK) ./...
	@out=$$($(OPA) fmt --list policies/); if [ -n "$$out" ]; then echo "opa fmt needed: $$out"; exit 1; fi
	$(OPA) check --strict policies/

# Regenerate docs/rules.md from the policies' metadata (a test keeps it current).
docs:
	$(GO) run ./cmd/kube-policy-ls rules --format markdown > docs/rules.md

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./analysis/

clean:
	rm -rf bin dist

-include tools/tools.mk
-include editors/editors.mk
-include e2e/e2e.mk
