# Soak test of the language server (lsp/soak). Included by the top-level Makefile; paths are
# relative to the repository root. It needs the corpus in ../shared/corpus (it skips without).

SOAK_DURATION ?= 4m
SOAK_SHORT    ?= 20s

.PHONY: soak soak-short

# The shipped build (bin/kube-policy-ls) for SOAK_DURATION: lost or corrupted edits, goroutine
# leaks, memory growth after warm-up, latency during the soak and against the budgets. Record
# its figures in BENCHMARKS.md ("Hardening").
soak: build
	KPL_SOAK=$(SOAK_DURATION) KPL_SOAK_BIN=$(CURDIR)/$(BIN) $(GO) test -count=1 -timeout 60m -run '^TestSoak$$' -v ./lsp/soak/

# SOAK_SHORT with the race detector in the server and the client: `make test` runs it.
soak-short:
	KPL_SOAK=$(SOAK_SHORT) $(GO) test -race -count=1 -timeout 30m -run '^TestSoak$$' -v ./lsp/soak/
