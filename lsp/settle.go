package lsp

import "time"

// A keystroke in a document patches the tree of the document it changed and reuses that
// document's verdicts (analysis.Reanalyze), so the analysis kept for the next keystroke holds
// them. Once typing pauses, they only cost memory: every open file typed into since the server
// started would otherwise keep one document's tree and verdicts for good. After settleAfter
// without a completed analysis the server settles every open document's analyses
// (analysis.Result.Settled); the next keystroke after the pause parses its document once.
// (Server.settlePause is settleAfter but for tests.)
const settleAfter = 3 * time.Second

// armSettleLocked (re)starts the pause after which the documents' analyses are settled.
// Called with Server.mu held, as an analysis completes.
func (s *Server) armSettleLocked() {
	if s.settleTimer == nil {
		s.settleTimer = time.AfterFunc(s.settlePause, s.settle)
		return
	}
	s.settleTimer.Reset(s.settlePause)
}

// settle replaces each open document's analyses by their settled versions. An analysis under
// way that started from the unsettled one still reads it: Settled copies rather than changes.
func (s *Server) settle() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range s.docs {
		if d.cache != nil {
			settled := d.cache.Settled()
			if d.result == d.cache {
				d.result = settled
			}
			d.cache = settled
		}
		if d.result != nil {
			d.result = d.result.Settled()
		}
	}
}
