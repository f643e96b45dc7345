package helm

import (
	"context"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// cpuTime is the CPU time the process has used: on a shared machine, wall time says little.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU adds the CPU time per operation to a benchmark's report.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N)/1e6, "cpu-ms/op")
}

// BenchmarkRender renders each shared chart, instrumented, and builds its source maps.
func BenchmarkRender(b *testing.B) {
	for _, dir := range sharedChartDirs(b) {
		b.Run(filepath.Base(dir), func(b *testing.B) {
			start := cpuTime()
			defer reportCPU(b, start)
			for b.Loop() {
				if _, err := Render(context.Background(), dir, Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRenderAndCheck renders each shared chart and checks it with the default rules.
func BenchmarkRenderAndCheck(b *testing.B) {
	e := defaultEngine(b)
	for _, dir := range sharedChartDirs(b) {
		b.Run(filepath.Base(dir), func(b *testing.B) {
			start := cpuTime()
			defer reportCPU(b, start)
			for b.Loop() {
				c, err := Render(context.Background(), dir, Options{})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := c.Check(context.Background(), e); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
