// Package soak holds the language server's soak test (soak_test.go): the built binary, driven
// over stdio for minutes as a busy editor would, then checked for lost or corrupted edits,
// leaked goroutines, memory growth and hangs. Its latency figures are for information: the
// budgets are measured by `make bench-lsp`. `make soak` runs it for a few minutes, `make
// test` for 20 seconds under the race detector.
package soak
