package lsp

import (
	"context"
	"path/filepath"
	"strings"
	"time"

	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"

	"github.com/kube-policy-ls/kube-policy-ls/analysis"
	"github.com/kube-policy-ls/kube-policy-ls/analysis/yamldoc"
)

// docKind says what the server does with an open document.
type docKind int

const (
	kindManifest docKind = iota // YAML or JSON: checked
	kindHelm                    // a Helm template: one notice that it is not checked
	kindConfig                  // a .kube-policy.yaml: validated
	kindOther                   // another language: left alone
	kindMember                  // a file of an assembly (a Helm chart): checked with it (assembly.go)
	kindFragment                // a kustomization or patch: checked only through its overlays (kustomize.go)
)

// classify decides a document's kind from its language id and path.
func classify(languageID, path string) docKind {
	switch {
	case path != "" && filepath.Base(path) == analysis.ConfigFileName:
		return kindConfig
	case languageID == "helm" || (path != "" && analysis.InChartTemplates(path)):
		return kindHelm
	case languageID == "yaml" || languageID == "json":
		return kindManifest
	}
	return kindOther
}

// document is an open document: the client's text and the state of its analysis. Its fields
// are guarded by Server.mu.
type document struct {
	uri        uri.URI
	path       string // "" for a URI that is not a file
	languageID string
	kind       docKind
	scope      scope       // the workspace folder and configuration file that decide its engine
	assembly   *assembly   // the assembly it is a member of (kindMember), else nil
	overlays   []*assembly // the shared assemblies (overlays) that read it

	version   int32
	mapper    *yamldoc.Mapper // over the client's text
	changedAt time.Time       // when the client's latest change arrived
	outOfSync bool            // an edit did not fit the text: changes wait for a whole text
	closed    bool

	gen uint64 // bumped by every change of the text or of the configuration

	// The analysis of generation gen, once complete.
	done   bool
	result *analysis.Result // nil when the document is not checked
	engine *analysis.Engine
	diags  []protocol.Diagnostic

	cache    *analysis.Result // the newest analysis completed, of any generation: reused by the next
	cacheGen uint64

	valid    *lastValid // the findings of the last version that parsed, carried along (stale.go)
	validGen uint64

	run   *run        // the analysis under way, if any
	timer *time.Timer // the debounced start of the next analysis, if any

	published []byte // JSON of the diagnostics last queued for the client
}

// run is one analysis of one generation of a document.
type run struct {
	gen    uint64
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
}

// changed records a new generation of the document: its analysis is stale. Called with
// Server.mu held.
func (d *document) changed() {
	d.gen++
	d.done, d.result, d.engine, d.diags = false, nil, nil, nil
}

// stopLocked cancels the analysis under way and the one scheduled. Called with Server.mu held.
func (d *document) stopLocked() {
	if d.timer != nil {
		d.timer.Stop()
		d.timer = nil
	}
	if d.run != nil {
		d.run.cancel()
		d.run = nil
	}
}

// Snapshot is one version of an open document with its analysis.
type Snapshot struct {
	URI        uri.URI
	Version    int32
	LanguageID string
	Mapper     *yamldoc.Mapper  // over the document's text
	Result     *analysis.Result // the analysis of that text; nil when the document is not checked
	Engine     *analysis.Engine // the engine that produced Result (rule catalog, severities)
	Diags      []protocol.Diagnostic
}

// Text returns the document's text.
func (s *Snapshot) Text() string { return s.Mapper.Text() }

// snapshot returns the latest version of an open document with its analysis, waiting for the
// analysis (starting it at once if it was only scheduled); nil when the document is not open.
// Edits that arrive meanwhile make it wait for the analysis of the newer text.
func (s *Server) snapshot(ctx context.Context, u uri.URI) (*Snapshot, error) {
	for {
		if err := s.ctx.Err(); err != nil {
			return nil, err
		}
		s.mu.Lock()
		d := s.docs[u]
		if d == nil {
			s.mu.Unlock()
			return nil, nil
		}
		if d.done {
			snap := &Snapshot{URI: d.uri, Version: d.version, LanguageID: d.languageID, Mapper: d.mapper, Result: d.result, Engine: d.engine, Diags: d.diags}
			s.mu.Unlock()
			return snap, nil
		}
		r := s.startLocked(d)
		s.mu.Unlock()
		select {
		case <-r.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// isConfigFile reports whether path names a configuration file.
func isConfigFile(path string) bool {
	return path != "" && strings.EqualFold(filepath.Base(path), analysis.ConfigFileName)
}
