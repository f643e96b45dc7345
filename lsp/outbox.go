package lsp

import (
	"context"
	"sync"

	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"
)

// outbox sends diagnostics to the client from its own goroutine, in the order they were
// queued, so that no handler (above all, no notification handler on the read loop) waits for
// the client to read. A queued publication that has not gone out yet is replaced by a newer
// one for the same document: only the latest state matters.
type outbox struct {
	mu      sync.Mutex
	queue   []uri.URI
	pending map[uri.URI]*protocol.PublishDiagnosticsParams
	wake    chan struct{}
}

func newOutbox() *outbox {
	return &outbox{pending: map[uri.URI]*protocol.PublishDiagnosticsParams{}, wake: make(chan struct{}, 1)}
}

func (o *outbox) put(p *protocol.PublishDiagnosticsParams) {
	o.mu.Lock()
	if _, queued := o.pending[p.URI]; !queued {
		o.queue = append(o.queue, p.URI)
	}
	o.pending[p.URI] = p
	o.mu.Unlock()
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// run sends what is queued until ctx ends.
func (o *outbox) run(ctx context.Context, send func(*protocol.PublishDiagnosticsParams)) {
	for {
		o.mu.Lock()
		if len(o.queue) == 0 {
			o.mu.Unlock()
			select {
			case <-o.wake:
				continue
			case <-ctx.Done():
				return
			}
		}
		u := o.queue[0]
		o.queue = o.queue[1:]
		p := o.pending[u]
		delete(o.pending, u)
		o.mu.Unlock()
		send(p)
	}
}
