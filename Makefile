# kube-policy-ls: `make install` puts the binary on PATH; `make demo` shows it on one manifest;
# `make test` runs every test (`make test-short` is the quick loop).

GO       ?= go
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X main.version=$(VERSION)
BIN      := bin/kube-policy-ls
# Every shipped binary (build, install, dist) is built by this one command: static, no paths of
# the build machine, stripped, with the version.
GOBUILD   = CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)'
OPA      := $(GO) run github.com/open-policy-agent/opa@v1.22.3
STATICCHECK := $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: all build install dist demo rules test test-short fuzz lint docs bench clean

all: build

build:
	$(GOBUILD) -o $(BIN) ./cmd/kube-policy-ls

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

# Release artifacts in dist/: a static binary per platform (kube-policy-ls-GOOS-GOARCH, .exe on
# Windows; GOBUILD, as `build`), the VS Code extension per platform with that platform's binary
# inside (kube-policy-ls-<vsce target>.vsix: dist-vsix in editors/editors.mk), and SHA256SUMS of
# them all. Six cross builds, 3 to 5 minutes each on 2 cores with a cold Go build cache, so neither
# `make test` nor CI runs it.
DIST_PLATFORMS := linux-amd64 linux-arm64 darwin-amd64 darwin-arm64 windows-amd64 windows-arm64
DIST_BINS := $(foreach p,$(DIST_PLATFORMS),dist/kube-policy-ls-$(p)$(if $(filter windows-%,$(p)),.exe))
# sha256sum is GNU coreutils; macOS has shasum, with the same output format.
SHA256SUM ?= $(if $(shell command -v sha256sum),sha256sum,shasum -a 256)

.PHONY: $(DIST_BINS)
dist: $(DIST_BINS) dist-vsix
	cd dist && $(SHA256SUM) $(notdir $(DIST_BINS) $(DIST_VSIXES)) > SHA256SUMS
	@cd dist && ls -l $(notdir $(DIST_BINS) $(DIST_VSIXES)) SHA256SUMS

# Always rebuilt, as `build` is: Go's build cache makes an unchanged rebuild a link, and a stale
# binary from another version would be worse. The stem is GOOS-GOARCH (basename drops .exe).
$(DIST_BINS): dist/kube-policy-ls-%:
	GOOS=$(word 1,$(subst -, ,$(basename $*))) GOARCH=$(word 2,$(subst -, ,$(basename $*))) \
	  $(GOBUILD) -o $@ ./cmd/kube-policy-ls

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
