package lsp

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/kube-policy-ls/kube-policy-ls/analysis/kustomize"
	"github.com/kube-policy-ls/kube-policy-ls/analysis/yamldoc"
	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"
	"go.uber.org/zap"
)

// The document store follows the client's text exactly: didOpen, then didChange notifications
// applied in wire order (the connection runs notifications inline), each with its changes
// applied in order. An edit that does not fit the text is refused rather than guessed at: the
// document is then out of sync, its diagnostics are cleared, and it stays so until the client
// sends the whole text (a full change, the text on save, or reopening).

func (s *Server) didOpen(p *protocol.DidOpenTextDocumentParams) {
	item := p.TextDocument
	if item.URI == "" {
		s.log.Warn("didOpen without a URI: ignored")
		return
	}
	// Decoded strings may share memory with the whole message (protocol.Unmarshal): copy
	// what is kept, or each document keeps a second copy of its text alive.
	u := uri.URI(strings.Clone(string(item.URI)))
	path := uriPath(u)
	d := &document{
		uri:        u,
		path:       path,
		languageID: strings.Clone(string(item.LanguageID)),
		kind:       classify(string(item.LanguageID), path),
		version:    item.Version,
		mapper:     yamldoc.NewMapper(item.Text),
		changedAt:  time.Now(),
	}
	var kind assembler
	var root string
	var overlays []string
	var fragment bool
	if d.kind != kindConfig && !isPolicyFile(path) {
		kind, root = s.memberOf(path)
	}
	rejoin := false
	if d.kind == kindManifest && root == "" {
		if s.overlays.setNear(path, s.nearbyOf(path)) {
			// a directory more to walk: its overlays may read other open documents too
			s.overlays.forget()
			rejoin = true
		}
		overlays, fragment = s.overlays.of(s, path)
	}
	if d.kind == kindManifest || d.kind == kindHelm {
		d.scope = s.ws.ScopeOf(path)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if root != "" {
		d.kind, d.assembly = kindMember, s.assemblyLocked(kind, root)
	} else if a := s.assemblyUnderLocked(path); a != nil && d.kind == kindManifest {
		d.kind, d.assembly = kindMember, a
	}
	if d.assembly == nil {
		for _, r := range overlays {
			d.overlays = append(d.overlays, s.assemblyLocked(overlayAssembler{}, r))
		}
		if fragment {
			d.kind = kindFragment
		}
		delete(s.shownFiles, path) // the document publishes the file's diagnostics now
	}
	if old := s.docs[u]; old != nil {
		s.log.Info("didOpen of an open document: its text is replaced", zap.String("uri", string(u)))
		old.closed = true
		old.stopLocked()
	}
	s.docs[u] = d
	s.scheduleLocked(d, 0)
	if rejoin {
		s.goSafe("overlays", s.rejoinOverlays)
	}
	if a := d.assembly; a != nil && !a.readAs(path, item.Text) {
		s.touchAssemblyLocked(a, 0)
	}
	for _, a := range d.overlays {
		if !a.readAs(path, item.Text) {
			s.touchAssemblyLocked(a, 0)
		}
	}
}

func (s *Server) didChange(p *protocol.DidChangeTextDocumentParams) {
	arrived := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	u, version := p.TextDocument.URI, p.TextDocument.Version
	d := s.docs[u]
	if d == nil {
		s.log.Warn("didChange of a document that is not open: ignored", zap.String("uri", string(u)))
		return
	}
	if version <= d.version {
		s.log.Warn("didChange with a stale version: ignored", zap.String("uri", string(u)), zap.Int32("version", version), zap.Int32("current", d.version))
		return
	}
	wasOutOfSync := d.outOfSync
	m, outOfSync, err := applyChanges(d.mapper, p.ContentChanges, s.enc, d.outOfSync)
	d.mapper, d.outOfSync, d.version, d.changedAt = m, outOfSync, version, arrived
	d.changed()
	if err != nil {
		msg := fmt.Sprintf("%s version %d: %v; its diagnostics are paused until the editor sends the whole text (save or reopen the file)", u, version, err)
		go s.logToClient(protocol.MessageTypeWarning, "edit refused: "+msg)
		if !wasOutOfSync {
			name := string(u)
			if d.path != "" {
				name = filepath.Base(d.path)
			}
			go s.showMessage(protocol.MessageTypeWarning, "kube-policy-ls lost track of "+name+": save or reopen it to see its diagnostics again.")
		}
		s.scheduleLocked(d, 0)
		return
	}
	if wasOutOfSync && !outOfSync {
		go s.logToClient(protocol.MessageTypeInfo, fmt.Sprintf("%s version %d: back in step with the editor, diagnostics resume", u, version))
	}
	s.scheduleLocked(d, s.debounceLocked())
	if d.assembly != nil {
		s.touchAssemblyLocked(d.assembly, s.debounceLocked())
	}
	for _, a := range d.overlays {
		if s.slowLocked(a) { // a slow overlay waits for the save
			s.log.Debug("overlay waits for the save", zap.String("root", a.root), zap.Int32("version", version))
			continue
		}
		s.touchAssemblyLocked(a, s.debounceLocked())
	}
}

// applyChanges applies a didChange's changes in order to the text of m. While outOfSync,
// partial changes are skipped until a whole text arrives. A change that does not fit the text
// stops the rest and leaves the document out of sync.
func applyChanges(m *yamldoc.Mapper, changes []protocol.TextDocumentContentChangeEvent, enc yamldoc.Encoding, outOfSync bool) (*yamldoc.Mapper, bool, error) {
	for i, c := range changes {
		switch c := c.(type) {
		case *protocol.TextDocumentContentChangeWholeDocument:
			m, outOfSync = yamldoc.NewMapper(c.Text), false
		case *protocol.TextDocumentContentChangePartial:
			if outOfSync {
				continue
			}
			next, err := applyChange(m, c, enc)
			if err != nil {
				return m, true, fmt.Errorf("change %d of %d: %w", i+1, len(changes), err)
			}
			m = next
		default:
			return m, true, fmt.Errorf("change %d of %d is empty", i+1, len(changes))
		}
	}
	return m, outOfSync, nil
}

func applyChange(m *yamldoc.Mapper, c *protocol.TextDocumentContentChangePartial, enc yamldoc.Encoding) (*yamldoc.Mapper, error) {
	start, err := offsetOf(m, c.Range.Start, enc)
	if err != nil {
		return nil, fmt.Errorf("range start: %w", err)
	}
	end, err := offsetOf(m, c.Range.End, enc)
	if err != nil {
		return nil, fmt.Errorf("range end: %w", err)
	}
	if end < start {
		return nil, errors.New("range ends before it starts")
	}
	return m.Replace(start, end, c.Text)
}

// offsetOf converts a client position to a byte offset of m's text. The position just past
// the last line (line = line count, character 0), which some clients use for the end of the
// text, is accepted as such.
func offsetOf(m *yamldoc.Mapper, p protocol.Position, enc yamldoc.Encoding) (int, error) {
	if int(p.Line) == m.LineCount() && p.Character == 0 {
		return len(m.Text()), nil
	}
	return m.Offset(yamldoc.Pos{Line: int(p.Line), Col: int(p.Character)}, enc)
}

func (s *Server) didSave(p *protocol.DidSaveTextDocumentParams) {
	s.mu.Lock()
	u := p.TextDocument.URI
	d := s.docs[u]
	if d == nil {
		s.mu.Unlock()
		s.log.Warn("didSave of a document that is not open: ignored", zap.String("uri", string(u)))
		return
	}
	if p.Text != nil && *p.Text != d.mapper.Text() {
		s.log.Warn("saved text differs from the document: taking the saved text", zap.String("uri", string(u)), zap.Bool("wasOutOfSync", d.outOfSync))
		d.mapper, d.outOfSync, d.changedAt = yamldoc.NewMapper(*p.Text), false, time.Now()
		d.changed()
		if d.assembly != nil {
			s.touchAssemblyLocked(d.assembly, 0)
		}
	}
	if !d.done {
		s.scheduleLocked(d, 0) // no debounce after a save
	}
	for _, a := range d.overlays {
		if !a.readAs(d.path, d.mapper.Text()) && (a.run == nil || a.run.gen != a.gen) {
			s.touchAssemblyLocked(a, 0) // a slow overlay, or one whose check is only scheduled
		}
	}
	kind, path := d.kind, d.path
	s.mu.Unlock()
	s.documentSaved(kind, path)
}

func (s *Server) didClose(p *protocol.DidCloseTextDocumentParams) {
	s.mu.Lock()
	u := p.TextDocument.URI
	d := s.docs[u]
	if d == nil {
		s.mu.Unlock()
		s.log.Warn("didClose of a document that is not open: ignored", zap.String("uri", string(u)))
		return
	}
	delete(s.docs, u)
	d.closed = true
	d.stopLocked()
	s.clearLocked(d)
	dropped := d.path != "" && s.overlays.setNear(d.path, kustomize.Nearby{})
	if a := d.assembly; a != nil && !a.readFromDisk(d.path) {
		// the editor's text goes: the file on disk is a member again
		s.touchAssemblyLocked(a, s.debounceLocked())
	}
	if len(d.overlays) > 0 {
		// the file stays read by its overlays: their findings on it stay shown
		s.putFileLocked(d.path, s.withOverlaysLocked(d.path, nil), time.Time{})
		for _, a := range d.overlays {
			if !a.readFromDisk(d.path) {
				s.touchAssemblyLocked(a, s.debounceLocked())
			}
		}
	}
	s.mu.Unlock()
	if dropped { // the last document near its overlays: they are no longer looked for
		s.overlays.forget()
		s.goSafe("overlays", s.rejoinOverlays)
	}
	s.documentClosed(d)
}
