package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/kube-policy-ls/kube-policy-ls/lsp"
)

func init() {
	commands["serve"] = command{"run the language server on stdin and stdout", runServe}
}

// serveMemoryLimit is the heap size past which the garbage collector works harder, so that
// the server stays small with many large files open (unless GOMEMLIMIT says otherwise): with
// gcPercent's headroom, it is what bounds the heap once a few large files are open. 80 MiB, not
// the 96 of before: Helm's packages (and the Kubernetes client they bring) add about 20 MiB of
// resident memory at start-up, which took the ten largest corpus files from 91-97 to 120-121
// MiB RSS (budget 120); at 80 MiB the same run is at 109 MiB with no CPU cost seen per
// keystroke (BENCHMARKS.md, "After Helm"). 72 MiB since issue 19: with verdict reuse and
// patched scalars the run measured 113 to 118 MiB at 80, 109 to 111 at 72 and 100 at 64, with
// the CPU per keystroke unchanged at 72 and the large file's CRD keystrokes about 20 % dearer at
// 64 (BENCHMARKS.md, "A keystroke costs what it changes"). 56 MiB since Kustomize: its packages
// made the binary 24 MB larger, and this kernel maps nearly all of a binary's text and read-only
// data once touched (63 instead of 38 MiB of clean file pages), which took the run to 130-131
// MiB at 72, 123 at 64 and 116-117 at 56; at 56 the 35,780-line file costs about 30 % more CPU
// per keystroke, its CRD keystrokes stay at 1.0-1.3 ms p95 server time and typical files are
// unchanged (BENCHMARKS.md, "Memory after Kustomize").
const serveMemoryLimit = 56 << 20

func runServe(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("serve", flag.ContinueOnError)
	fl.SetOutput(stderr)
	fl.Usage = func() {
		fmt.Fprintln(stderr, "Usage: kube-policy-ls serve [flags]\n\nRuns the language server over stdin and stdout (LSP base protocol).\n\nFlags:")
		fl.PrintDefaults()
	}
	logFile := fl.String("log-file", "", "append logs to this file instead of writing them to stderr")
	logLevel := fl.String("log-level", "warn", "log level: debug, info, warn or error (important events also go to the editor as window/logMessage)")
	fl.Bool("stdio", true, "use stdin and stdout (the only transport; accepted because clients pass it)")
	fl.Int("clientProcessId", 0, "accepted for compatibility with clients that pass it; unused")
	debugAddr := fl.String("debug-addr", "", "serve net/http/pprof on this loopback address (127.0.0.1:6060; port 0 picks one, logged)")
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fl.NArg() > 0 {
		fmt.Fprintf(stderr, "kube-policy-ls serve: unexpected argument %q\n", fl.Arg(0))
		return 2
	}
	if isTerminal(stdin) {
		// Someone typed the command: without this they would face a silent wait for LSP input.
		fmt.Fprintln(stderr, "kube-policy-ls: serving the language server protocol on stdin/stdout for an editor; `kube-policy-ls check PATH` checks files, `kube-policy-ls --help` lists the commands (Ctrl+D quits)")
	}
	level, err := zapcore.ParseLevel(*logLevel)
	if err != nil {
		fmt.Fprintf(stderr, "kube-policy-ls serve: --log-level: %v\n", err)
		return 2
	}
	sink := zapcore.AddSync(stderr)
	if *logFile != "" {
		f, err := os.OpenFile(*logFile, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			fmt.Fprintf(stderr, "kube-policy-ls serve: --log-file: %v\n", err)
			return 2
		}
		defer f.Close()
		sink = zapcore.AddSync(f)
	}
	encoder := zap.NewDevelopmentEncoderConfig()
	encoder.EncodeTime = zapcore.ISO8601TimeEncoder
	logger := zap.New(zapcore.NewCore(zapcore.NewConsoleEncoder(encoder), zapcore.Lock(sink), level))
	defer func() { _ = logger.Sync() }()

	// stdout carries the protocol only: whatever else would print to it goes to stderr.
	if stdout == io.Writer(os.Stdout) {
		os.Stdout = os.Stderr
	}
	tuneGC(serveMemoryLimit)
	logger.Info("kube-policy-ls serve", zap.String("version", version), zap.Int("pid", os.Getpid()))
	if *debugAddr != "" {
		addr, stop, err := lsp.ListenDebug(*debugAddr, logger)
		if err != nil {
			fmt.Fprintf(stderr, "kube-policy-ls serve: --debug-addr: %v\n", err)
			return 2
		}
		defer stop()
		fmt.Fprintf(stderr, "kube-policy-ls serve: profiles at http://%s/debug/pprof/\n", addr)
	}
	return lsp.Serve(context.Background(), stdio{stdin, stdout}, lsp.Options{Logger: logger, Version: version})
}

// stdio joins stdin and stdout into the connection's stream.
type stdio struct {
	io.Reader
	io.Writer
}

func (s stdio) Close() error {
	if c, ok := s.Reader.(io.Closer); ok {
		return c.Close()
	}
	return nil
}
