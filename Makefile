# kube-policy-ls: `make install` puts the binary on PATH; `make demo` shows it on one manifest;
# `make test` runs every test (`make test-short` is the quick loop).

GO       ?= go
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X main.version=$(VERSION)
BIN      := bin/kube-policy-ls
OPA      := $(GO) run github.com/open-policy-agent/opa@v1.22.3
STATICCHECK := $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: all build install demo rules test test-short fuzz lint docs bench clean

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/kube-policy-ls

# Where `make install` puts the binary: $(go env GOBIN) when set (where `go install` puts it),
# else $(PREFIX)/bin, ~/.local/bin by default (on PATH in most distributions' shells).
# `make install PREFIX=/usr/local` (as root) installs system-wide.
PREFIX ?= $(HOME)/.local
BINDIR ?= $(or $(shell $(GO) env GOBIN),$(PREFIX)/bin)

install: build
	@mkdir -p '$(BINDIR)'
	@install -m 755 $(BIN) '$(BINDIR)/kube-policy-ls'
	@echo "installed $(BINDIR)/kube-policy-ls"
	@case ":$$PATH:" in *:'$(BINDIR)':*) ;; *) echo "$(BINDIR) is not on PATH: add it (export PATH=\"$(BINDIR):\$$PATH\") so editors find kube-policy-ls";; esac

# One insecure manifest: its findings, the fixes as a diff, the clean re-check (on a copy).
demo: build
	@scripts/demo.sh $(BIN)

# The rule catalog: every rule with its severity, profiles and whether it has a fix.
rules: build
	@$(BIN) rules

# Every Go test (Rego unit tests, PSS conformance, corpus robustness, CLI, language server)
# with the race detector, a 20-second soak of the server (tools/tools.mk), then every fuzz target
# for a few seconds.
# About 6 minutes on an idle 2-core machine, much longer under load. Tests that need ../shared
# skip without it; scripts/gotest.sh prints which ones at the end.
test:
	GO=$(GO) ./scripts/gotest.sh -race -count=1 -timeout 20m ./...
	$(MAKE) --no-print-directory soak-short
	FUZZTIME=$(FUZZTIME_SHORT) ./scripts/fuzz.sh

FUZZTIME_SHORT ?= 5s
FUZZTIME ?= 10m

# Every fuzz target for FUZZTIME each (make fuzz FUZZTIME=30s); crashers land in testdata/fuzz.
fuzz:
	FUZZTIME=$(FUZZTIME) ./scripts/fuzz.sh

# The same without the race detector, for a quick loop.
test-short:
	GO=$(GO) ./scripts/gotest.sh -count=1 ./...

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
