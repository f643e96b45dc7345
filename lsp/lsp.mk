# Language server. Included by the top-level Makefile; paths are relative to the repository
# root. `build` (bin/kube-policy-ls) is defined there.

BENCH_LSP_CORPUS ?= ../shared/corpus
BENCH_LSP_EDITS  ?= 300

.PHONY: bench-lsp

# Latency of the built server over stdio: keystroke to publishDiagnostics (p50/p95/max) in
# typical manifests and in the 35,780-line corpus file, first diagnostics, start-up, memory
# with the ten largest corpus files open. Record the figures in BENCHMARKS.md.
bench-lsp: build
	$(GO) run ./lsp/latency -bin $(BIN) -corpus $(BENCH_LSP_CORPUS) -edits $(BENCH_LSP_EDITS)
