package lsp

import (
	"context"
	"encoding/json"
	"strconv"
	"sync"
	"time"

	"go.lsp.dev/uri"
)

// outbox sends diagnostics to the client from its own goroutine, in the order they were
// queued, so that no handler (above all, no notification handler on the read loop) waits for
// the client to read. A queued publication that has not gone out yet is replaced by a newer
// one for the same document: only the latest state matters.
type outbox struct {
	mu      sync.Mutex
	queue   []uri.URI
	pending map[uri.URI]publication
	wake    chan struct{}
}

// publication is one queued publishDiagnostics.
type publication struct {
	uri     uri.URI
	version int32           // -1: none
	params  json.RawMessage // encoded
	since   time.Time       // when the client's change that it answers arrived; zero if none
}

func newOutbox() *outbox {
	return &outbox{pending: map[uri.URI]publication{}, wake: make(chan struct{}, 1)}
}

// put queues the publishDiagnostics of u: version (-1 for none) and the diagnostics, encoded;
// since is when the change they answer arrived.
func (o *outbox) put(u uri.URI, version int32, diagnostics []byte, since time.Time) {
	uj, _ := json.Marshal(string(u))
	p := make([]byte, 0, len(uj)+len(diagnostics)+48)
	p = append(append(append(p, `{"uri":`...), uj...), ',')
	if version >= 0 {
		p = append(strconv.AppendInt(append(p, `"version":`...), int64(version), 10), ',')
	}
	p = append(append(append(p, `"diagnostics":`...), diagnostics...), '}')
	o.mu.Lock()
	if _, queued := o.pending[u]; !queued {
		o.queue = append(o.queue, u)
	}
	o.pending[u] = publication{uri: u, version: version, params: p, since: since}
	o.mu.Unlock()
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// run sends what is queued until ctx ends.
func (o *outbox) run(ctx context.Context, send func(publication)) {
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
