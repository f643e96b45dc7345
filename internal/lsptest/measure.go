package lsptest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ProcStatusKiB is a field of /proc/PID/status in KiB (VmRSS, VmHWM), -1 if unreadable.
func ProcStatusKiB(pid int, field string) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			if f := strings.Fields(v); len(f) > 0 {
				if kb, err := strconv.ParseInt(f[0], 10, 64); err == nil {
					return kb
				}
			}
		}
	}
	return -1
}

// MiB formats an amount of KiB as "82 MiB", or "n/a".
func MiB(kib int64) string {
	if kib < 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.0f MiB", float64(kib)/1024)
}

// CPUTime is a process's user and system CPU time so far (/proc/PID/stat, in clock ticks of
// 10 ms: precise over hundreds of keystrokes).
func CPUTime(pid int) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name, in parentheses, may hold spaces: count fields after it.
	fields := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+1:]))
	if len(fields) < 13 {
		return 0
	}
	user, _ := strconv.Atoi(fields[11])
	system, _ := strconv.Atoi(fields[12])
	return time.Duration(user+system) * 10 * time.Millisecond
}

// CPUModel is the machine's CPU model name.
func CPUModel() string {
	data, _ := os.ReadFile("/proc/cpuinfo")
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "model name"); ok {
			return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
		}
	}
	return runtime.GOARCH
}

// LoadAverage is the one-minute load average, "" if unreadable.
func LoadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	if f := strings.Fields(string(data)); len(f) > 0 {
		return f[0]
	}
	return ""
}

// Pct is the p-th percentile (0 to 100) of d, 0 for none.
func Pct(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	return s[min(max(i-1, 0), len(s)-1)]
}

// Ms formats d in milliseconds with two decimals.
func Ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }

// CorpusFile is one manifest of the corpus's INDEX.tsv.
type CorpusFile struct {
	Name         string // relative to the corpus directory
	Bytes, Lines int
}

// Corpus lists the "main" manifests of the corpus in dir (its INDEX.tsv), in index order.
func Corpus(dir string) ([]CorpusFile, error) {
	data, err := os.ReadFile(filepath.Join(dir, "INDEX.tsv"))
	if err != nil {
		return nil, err
	}
	var all []CorpusFile
	for _, line := range strings.Split(string(data), "\n")[1:] {
		cols := strings.Split(line, "\t")
		if len(cols) < 7 || cols[1] != "main" {
			continue
		}
		b, _ := strconv.Atoi(cols[5])
		l, _ := strconv.Atoi(cols[6])
		all = append(all, CorpusFile{Name: cols[0], Bytes: b, Lines: l})
	}
	return all, nil
}

// Largest names the n largest manifests of the corpus in dir, largest first.
func Largest(dir string, n int) ([]string, error) {
	all, err := Corpus(dir)
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(all, func(a, b CorpusFile) int { return b.Bytes - a.Bytes })
	var out []string
	for _, e := range all[:min(n, len(all))] {
		out = append(out, e.Name)
	}
	return out, nil
}
