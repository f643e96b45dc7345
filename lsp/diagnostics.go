package lsp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"go.lsp.dev/protocol"
	"go.uber.org/zap"

	"github.com/kube-policy-ls/kube-policy-ls/analysis"
	"github.com/kube-policy-ls/kube-policy-ls/analysis/yamldoc"
)

// Diagnostics are computed per document, on a goroutine, for the document's latest
// generation only: an edit cancels the analysis of the previous text and schedules its own
// after a short delay (none after didOpen and didSave, or when a request needs the result).
// The analysis reuses the previous result, so only the YAML documents whose text changed are
// parsed and evaluated again. A result is kept only if the document has not moved on, and
// published only if it differs from what the client already has.
//
// A client that can pull diagnostics (textDocument/diagnostic) gets them that way only: VS
// Code keeps pulled and pushed diagnostics in two collections and would show each twice. It
// pulls after every change; a pull waits for the analysis of the latest text.

// defaultDebounce is the delay between an edit and its analysis unless debounceMs is set: it
// gathers the changes of a burst (a paste, an editor's auto-edits) without being felt.
const defaultDebounce = 30 * time.Millisecond

func (s *Server) debounceLocked() time.Duration {
	if ms := s.settings.editor.DebounceMs; ms != nil {
		return time.Duration(*ms) * time.Millisecond
	}
	return defaultDebounce
}

// scheduleLocked arranges the analysis of d's current generation after delay, and cancels the
// analysis of an older one. Called with s.mu held.
func (s *Server) scheduleLocked(d *document, delay time.Duration) {
	if d.run != nil && d.run.gen != d.gen {
		d.run.cancel()
		d.run = nil
	}
	if d.timer != nil {
		d.timer.Stop()
		d.timer = nil
	}
	if d.done || d.closed || s.state != running {
		return
	}
	if delay <= 0 {
		s.startLocked(d)
		return
	}
	gen := d.gen
	d.timer = time.AfterFunc(delay, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if d.gen == gen && !d.closed && !d.done && s.state == running {
			d.timer = nil
			s.startLocked(d)
		}
	})
}

// startLocked starts analysing d's current generation now, unless that is under way, and
// returns the run. Called with s.mu held.
func (s *Server) startLocked(d *document) *run {
	if d.timer != nil {
		d.timer.Stop()
		d.timer = nil
	}
	if d.run != nil {
		if d.run.gen == d.gen {
			return d.run
		}
		d.run.cancel()
	}
	ctx, cancel := context.WithCancel(s.ctx)
	r := &run{gen: d.gen, ctx: ctx, cancel: cancel, done: make(chan struct{})}
	d.run = r
	j := job{
		uri: string(d.uri), path: d.path, kind: d.kind, scope: d.scope, outOfSync: d.outOfSync,
		mapper: d.mapper, prev: d.cache, enc: s.enc, severities: s.settings.editor.severities(),
		docs: s.settings.editor.docs(), version: d.version, valid: d.valid,
	}
	go s.analyze(ctx, d, r, j)
	return r
}

// job is what an analysis needs of a document, copied when it starts.
type job struct {
	uri, path  string
	kind       docKind
	scope      scope
	outOfSync  bool
	mapper     *yamldoc.Mapper
	prev       *analysis.Result
	enc        yamldoc.Encoding
	severities severityMap
	docs       string // base URL of the rule documentation links
	version    int32
	valid      *lastValid // the document's, when the job started
}

func (s *Server) analyze(ctx context.Context, d *document, r *run, j job) {
	defer close(r.done)
	defer r.cancel()
	defer func() {
		// A bug in the engine must not end the server: this document gets no diagnostics
		// for this text, and the user is told.
		if p := recover(); p != nil {
			s.log.Error("analysis panicked", zap.String("uri", j.uri), zap.Any("panic", p), zap.ByteString("stack", debug.Stack()))
			s.mu.Lock()
			if d.run == r {
				d.run = nil
			}
			if d.gen == r.gen && !d.closed {
				d.done, d.result, d.engine, d.diags = true, nil, nil, []protocol.Diagnostic{}
			}
			s.mu.Unlock()
			go s.logToClient(protocol.MessageTypeError, fmt.Sprintf("kube-policy-ls: the analysis of %s failed (%v); please report it", j.uri, p))
		}
	}()
	start := time.Now()
	res, engine, diags, valid, err := s.check(ctx, j)
	if err != nil {
		if !errors.Is(err, context.Canceled) {
			s.log.Error("analysis failed", zap.String("uri", j.uri), zap.Error(err))
		}
		s.mu.Lock()
		if d.run == r {
			d.run = nil
		}
		s.mu.Unlock()
		return
	}
	s.mu.Lock()
	if d.run == r {
		d.run = nil
	}
	if res != nil && (d.cache == nil || r.gen >= d.cacheGen) {
		d.cache, d.cacheGen = res, r.gen
		s.armSettleLocked()
	}
	if res != nil && r.gen >= d.validGen {
		d.valid, d.validGen = valid, r.gen
	}
	current := d.gen == r.gen && !d.closed
	if current {
		d.done, d.result, d.engine, d.diags = true, res, engine, diags
	}
	publish := current && !s.pull && j.kind != kindOther && j.kind != kindMember
	s.mu.Unlock()
	s.log.Debug("analysed", zap.String("uri", j.uri), zap.Uint64("gen", r.gen), zap.Bool("current", current),
		zap.Int("diagnostics", len(diags)), zap.Duration("took", time.Since(start)))
	if publish {
		s.publish(d, r.gen, diags)
	}
	if current {
		// The custom rules that failed on this text, on their policy files.
		var failed []analysis.PolicyError
		if res != nil {
			failed = res.PolicyErrors
		}
		s.setPolicyProblems(documentSource(d.uri), failed, engine, func() bool {
			s.mu.Lock()
			defer s.mu.Unlock()
			return d.gen == r.gen && !d.closed
		})
	}
}

// check analyses one generation of a document. The result is nil for a document that is not
// checked; the error is only a cancellation. valid is the document's lastValid after it.
func (s *Server) check(ctx context.Context, j job) (res *analysis.Result, engine *analysis.Engine, diags []protocol.Diagnostic, valid *lastValid, err error) {
	none := []protocol.Diagnostic{}
	switch {
	case j.kind == kindOther || j.kind == kindMember || j.kind == kindFragment || j.outOfSync:
		return nil, nil, none, nil, nil
	case j.kind == kindConfig:
		return nil, nil, s.configFileDiagnostics(j.path, j.mapper), nil, nil
	}
	v, err := s.ws.Govern(ctx, j.scope, j.path)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	if v.Engine == nil || v.Excluded {
		return nil, v.Engine, none, nil, nil
	}
	path := j.path
	if path == "" {
		path = j.uri
	}
	res, err = v.Engine.Reanalyze(ctx, analysis.Input{Path: path, Text: j.mapper.Text(), Helm: j.kind == kindHelm}, j.mapper, j.prev)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	res.Compact()
	diags = toDiagnostics(res, v.Engine, j.enc, j.severities, j.docs)
	valid, kept := carry(j.valid, res, j.version, j.enc, j.severities, j.docs)
	return res, v.Engine, mergeByPosition(diags, kept), valid, nil
}

// publish queues d's diagnostics of generation gen, unless the document has moved on since or
// the client has them already.
// The overlays that read it add theirs (overlay_publish.go), as they were last checked: the
// document's own diagnostics never wait for them.
func (s *Server) publish(d *document, gen uint64, diags []protocol.Diagnostic) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d.gen != gen || d.closed {
		return
	}
	s.putDocumentLocked(d, s.withOverlaysLocked(d.path, diags))
}

// putDocumentLocked queues d's diagnostics unless the client has them already. Called with
// s.mu held.
func (s *Server) putDocumentLocked(d *document, diags []protocol.Diagnostic) {
	body, err := protocol.Marshal(diags)
	if err != nil {
		s.log.Error("encoding diagnostics", zap.String("uri", string(d.uri)), zap.Error(err))
		return
	}
	if d.published != nil && bytes.Equal(body, d.published) {
		return
	}
	d.published = body
	s.out.put(d.uri, d.version, body, d.changedAt)
}

// clearLocked removes a closed document's diagnostics from the client. Called with s.mu held.
func (s *Server) clearLocked(d *document) {
	if d.published != nil {
		d.published = nil
		s.out.put(d.uri, -1, []byte("[]"), time.Time{})
	}
}

// sendDiagnostics is the outbox's way out. At debug level it logs the server's time from the
// change to the diagnostics written (the latency harness reads it).
func (s *Server) sendDiagnostics(p publication) {
	if err := s.conn.Notify(s.ctx, protocol.MethodTextDocumentPublishDiagnostics, p.params); err != nil {
		if s.ctx.Err() == nil {
			s.log.Warn("publishDiagnostics failed", zap.String("uri", string(p.uri)), zap.Error(err))
		}
		return
	}
	if !p.since.IsZero() && s.log.Core().Enabled(zap.DebugLevel) {
		s.log.Debug("published", zap.String("uri", string(p.uri)), zap.Int32("version", p.version),
			zap.Float64("sinceChangeMs", float64(time.Since(p.since).Microseconds())/1000))
	}
}

// pullDiagnostics answers textDocument/diagnostic with the analysis of the document's latest
// text.
func (s *Server) pullDiagnostics(ctx context.Context, p *protocol.DocumentDiagnosticParams) (protocol.DocumentDiagnosticReport, error) {
	diags := []protocol.Diagnostic{}
	if o, path, err := s.chartAt(ctx, p.TextDocument.URI); err != nil {
		return nil, protocol.ErrRequestCancelled
	} else if o != nil {
		if ds := o.diagnostics(s.encoding())[path]; ds != nil {
			diags = ds
		}
	} else {
		snap, err := s.snapshot(ctx, p.TextDocument.URI)
		if err != nil {
			return nil, protocol.ErrRequestCancelled
		}
		if snap != nil && snap.Diags != nil {
			diags = snap.Diags
		}
		diags = s.withOverlays(p.TextDocument.URI, diags)
	}
	body, err := protocol.Marshal(diags)
	if err != nil {
		return nil, fmt.Errorf("encoding diagnostics: %w", err)
	}
	id := resultID(body)
	if p.PreviousResultID != nil && *p.PreviousResultID == id {
		return &protocol.RelatedUnchangedDocumentDiagnosticReport{
			UnchangedDocumentDiagnosticReport: protocol.UnchangedDocumentDiagnosticReport{Kind: "unchanged", ResultID: id},
		}, nil
	}
	return &protocol.RelatedFullDocumentDiagnosticReport{
		FullDocumentDiagnosticReport: protocol.FullDocumentDiagnosticReport{Kind: "full", ResultID: &id, Items: diags},
	}, nil
}

// refreshPulledDiagnostics asks a client that pulls diagnostics to pull them again, after a
// configuration change; a client they are pushed to gets them as the analyses complete.
func (s *Server) refreshPulledDiagnostics() {
	s.mu.Lock()
	pull := s.pull
	refresh := s.caps.Workspace != nil && s.caps.Workspace.Diagnostics != nil && isTrue(s.caps.Workspace.Diagnostics.RefreshSupport)
	s.mu.Unlock()
	if !pull || !refresh {
		return
	}
	ctx, cancel := context.WithTimeout(s.ctx, clientCallTimeout)
	defer cancel()
	if err := s.client.DiagnosticRefresh(ctx); err != nil {
		s.log.Warn("workspace/diagnostic/refresh failed", zap.Error(err))
	}
}
