# Tools that drive the built language server from outside, as an editor does: the latency
# harness (tools/latency) and the soak test (tools/soak), both over stdio through the test
# client in internal/lsptest. Included by the top-level Makefile; paths are relative to the
# repository root. `build` (bin/kube-policy-ls) is defined there. Both need the corpus in
# ../shared/corpus (the soak test skips without it).

BENCH_LSP_CORPUS ?= ../shared/corpus
BENCH_LSP_EDITS  ?= 300
SOAK_DURATION    ?= 4m
SOAK_SHORT       ?= 20s

.PHONY: bench-lsp soak soak-short

# Latency of the built server over stdio: keystroke to publishDiagnostics (p50/p95/max) in
# typical manifests and in the 35,780-line corpus file, first diagnostics, start-up, memory
# with the ten largest corpus files open. Record the figures in BENCHMARKS.md.
bench-lsp: build
	$(GO) run ./tools/latency -bin $(BIN) -corpus $(BENCH_LSP_CORPUS) -edits $(BENCH_LSP_EDITS)

# The shipped build (bin/kube-policy-ls) for SOAK_DURATION: lost or corrupted edits, goroutine
# leaks, memory growth after warm-up; latency during the soak, for information (the budgets are
# bench-lsp's). Record its figures in BENCHMARKS.md ("Hardening").
soak: build
	KPL_SOAK=$(SOAK_DURATION) KPL_SOAK_BIN=$(CURDIR)/$(BIN) $(GO) test -count=1 -timeout 60m -run '^TestSoak$$' -v ./tools/soak/

# SOAK_SHORT with the race detector in the server and the client: `make test` runs it.
soak-short:
	KPL_SOAK=$(SOAK_SHORT) $(GO) test -race -count=1 -timeout 30m -run '^TestSoak$$' -v ./tools/soak/
