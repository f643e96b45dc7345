package main

import (
	"os"
	"runtime/debug"
)

// gcPercent is the garbage collector's target for check and serve: a heap of three times the
// live data between collections instead of Go's two. Both commands keep a small live heap (the
// compiled policies, the open files' results) and allocate fast while they parse and evaluate,
// so with Go's default each collection marks that live heap again after little work: at 200,
// check over the corpus takes about 11 % less time and serve about 15 % (typical manifests) to
// 25 % (the 35,780-line file) less CPU per keystroke, for 10 to 15 MiB more RSS (BENCHMARKS.md).
// 400 gained little more and cost twice the memory.
const gcPercent = 200

// tuneGC applies gcPercent and, when limit > 0, a soft memory limit, each unless the user set
// its environment variable (GOGC, GOMEMLIMIT), which then wins as usual.
func tuneGC(limit int64) {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	if limit > 0 && os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(limit)
	}
}
