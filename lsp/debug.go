package lsp

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"runtime"
	"runtime/debug"
	rpprof "runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kube-policy-ls/kube-policy-ls/analysis/yamldoc"
	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"
	"go.uber.org/zap"
)

// Introspection for tests and for debugging a live server: the command
// kube-policy-ls.debug.state (what the server holds: its view of every open document, its
// goroutines and memory), and net/http/pprof on a loopback address (serve --debug-addr).

// cmdDebugState reports the server's state: arguments [] or [debugStateArgs].
const cmdDebugState = Name + ".debug.state"

// debugStateArgs are the optional argument of cmdDebugState.
type debugStateArgs struct {
	// FreeMemory first settles the documents' analyses, as a pause in typing does
	// (settle.go), then runs the garbage collector and returns freed memory to the system, so
	// that the memory figures count what an idle server keeps, whichever file was typed into
	// last.
	FreeMemory bool `json:"freeMemory,omitempty"`
	// GoroutineProfile adds every goroutine's stack, grouped (pprof debug=1 text).
	GoroutineProfile bool `json:"goroutineProfile,omitempty"`
}

// debugState is the result of cmdDebugState.
type debugState struct {
	Documents []debugDocument `json:"documents"` // the open documents, by URI
	// Assemblies are the charts checked as a whole (assembly.go), by root.
	Assemblies []debugAssembly `json:"assemblies,omitempty"`
	Goroutines int             `json:"goroutines"`
	HeapAlloc  uint64          `json:"heapAllocBytes"` // live heap (after a collection with freeMemory)
	HeapSys    uint64          `json:"heapSysBytes"`
	RSS        int64           `json:"rssBytes,omitempty"` // resident set (Linux only)

	GoroutineProfile string `json:"goroutineProfile,omitempty"`
}

// debugDocument is the server's view of one open document: a client compares the hash of
// its own text with it.
type debugDocument struct {
	URI       uri.URI `json:"uri"`
	Version   int32   `json:"version"`
	Bytes     int     `json:"bytes"`
	SHA256    string  `json:"sha256"` // of the text, hex
	OutOfSync bool    `json:"outOfSync,omitempty"`
}

// debugAssembly is the state of one assembly: its checks so far and the files it publishes.
type debugAssembly struct {
	Root      string   `json:"root"`
	Gen       uint64   `json:"gen"`
	Done      bool     `json:"done"`
	Published []string `json:"published"` // the files it last published diagnostics on
	assemblyStats
}

// debugState answers cmdDebugState. Notifications are handled before the next message is
// read, so the documents are as every notification sent before the request left them.
func (s *Server) debugState(p *protocol.ExecuteCommandParams) (*debugState, error) {
	var args debugStateArgs
	switch {
	case len(p.Arguments) > 1:
		return nil, jsonrpc2.Errorf(jsonrpc2.InvalidParams, "%s takes at most one argument", cmdDebugState)
	case len(p.Arguments) == 1 && string(p.Arguments[0]) != "null":
		if err := json.Unmarshal(p.Arguments[0], &args); err != nil {
			return nil, jsonrpc2.Errorf(jsonrpc2.InvalidParams, "%s: %v", cmdDebugState, err)
		}
	}
	if args.FreeMemory {
		s.settle()
	}
	type doc struct {
		d debugDocument
		m *yamldoc.Mapper // immutable: an edit makes a new one
	}
	s.mu.Lock()
	docs := make([]doc, 0, len(s.docs))
	for _, d := range s.docs {
		docs = append(docs, doc{debugDocument{URI: d.uri, Version: d.version, OutOfSync: d.outOfSync}, d.mapper})
	}
	out := &debugState{Documents: make([]debugDocument, len(docs))}
	for _, root := range slices.Sorted(maps.Keys(s.assemblies)) {
		a := s.assemblies[root]
		out.Assemblies = append(out.Assemblies, debugAssembly{Root: root, Gen: a.gen, Done: a.done, Published: slices.Sorted(maps.Keys(a.published)), assemblyStats: a.stats})
	}
	s.mu.Unlock()
	for i, d := range docs {
		text := d.m.Text()
		sum := sha256.Sum256([]byte(text))
		d.d.Bytes, d.d.SHA256 = len(text), hex.EncodeToString(sum[:])
		out.Documents[i] = d.d
	}
	slices.SortFunc(out.Documents, func(a, b debugDocument) int { return strings.Compare(string(a.URI), string(b.URI)) })
	if args.FreeMemory {
		debug.FreeOSMemory() // collects first
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	out.HeapAlloc, out.HeapSys = ms.HeapAlloc, ms.HeapSys
	out.RSS = selfRSS()
	out.Goroutines = runtime.NumGoroutine()
	if args.GoroutineProfile {
		var b bytes.Buffer
		if err := rpprof.Lookup("goroutine").WriteTo(&b, 1); err == nil {
			out.GoroutineProfile = b.String()
		}
	}
	return out, nil
}

// selfRSS is the process's resident set size in bytes from /proc, 0 where there is none.
func selfRSS() int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			if f := strings.Fields(v); len(f) > 0 {
				kb, _ := strconv.ParseInt(f[0], 10, 64)
				return kb << 10
			}
		}
	}
	return 0
}

// ListenDebug serves net/http/pprof (/debug/pprof/) on addr, which must be a loopback
// address (127.0.0.1:6060, [::1]:0, localhost:0; port 0 picks a free one). It returns the
// address listened on and a function that stops the server.
func ListenDebug(addr string, log *zap.Logger) (string, func(), error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", nil, err
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return "", nil, fmt.Errorf("%q is not a loopback address (127.0.0.1, ::1 or localhost): the profiles expose the server's memory", addr)
	}
	if host == "localhost" {
		addr = net.JoinHostPort("127.0.0.1", port)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, err
	}
	if a, ok := ln.Addr().(*net.TCPAddr); !ok || !a.IP.IsLoopback() {
		_ = ln.Close()
		return "", nil, fmt.Errorf("listening on %v, which is not a loopback address", ln.Addr())
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	if log == nil {
		log = zap.NewNop()
	}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Warn("debug server ended", zap.Error(err))
		}
	}()
	log.Info("debug server listening", zap.String("url", "http://"+ln.Addr().String()+"/debug/pprof/"))
	stop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}
	return ln.Addr().String(), stop, nil
}
