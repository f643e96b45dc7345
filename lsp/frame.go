package lsp

// Reading the client's messages: jsonrpc2 v1's own reader allocates what a header declares
// and ends the connection on the first malformed frame, so the connection (conn.go) reads
// through tolerantStream instead. It frames messages with bounded memory (frameReader),
// answers a malformed frame and reads on, and deals with a message over the size limit from
// the little it peeked at (peekHead) without reading the rest.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/protocol"
	"go.uber.org/zap"
)

// tolerantStream reads the client's messages with bounded memory (frameReader) and answers a
// frame that is not a JSON-RPC message with an error response and reads on: jsonrpc2 v1 would
// end the connection. A broken header (no Content-Length, a header line over 4 KiB) cannot be
// resynchronised and still ends it. Writes go through jsonrpc2's stream.
type tolerantStream struct {
	jsonrpc2.Stream
	in  *frameReader
	log *zap.Logger
}

func newTolerantStream(rwc io.ReadWriteCloser, log *zap.Logger) tolerantStream {
	return tolerantStream{Stream: jsonrpc2.NewStream(rwc), in: newFrameReader(rwc), log: log}
}

func (t tolerantStream) Read(ctx context.Context) (jsonrpc2.Message, int64, error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, 0, err
		}
		frame, n, err := t.in.next()
		var big *oversizedError
		if errors.As(err, &big) {
			if msg, werr := t.oversized(ctx, big); werr != nil || msg != nil {
				return msg, n, werr
			}
			continue
		}
		if err != nil {
			return nil, 0, err
		}
		msg, err := jsonrpc2.DecodeMessage(frame)
		if err == nil {
			return msg, n, nil
		}
		t.log.Warn("malformed message", zap.Error(err), zap.ByteString("frame", frame[:min(len(frame), 200)]))
		if id, answer := malformedID(frame); answer {
			if _, werr := t.Stream.Write(ctx, jsonrpc2.NewResponse(id, nil, err)); werr != nil {
				return nil, 0, werr
			}
		}
	}
}

// oversized deals with a message over maxMessageBytes, whose body was skipped: a request gets
// an error; a notification is dropped, and the user told. A dropped didChange would leave the
// server's text silently behind the editor's, so it is replaced by a change that cannot apply:
// the document goes out of sync, and its diagnostics wait for the whole text (text_sync.go).
func (t tolerantStream) oversized(ctx context.Context, big *oversizedError) (jsonrpc2.Message, error) {
	h := peekHead(big.head)
	t.log.Error("message over the size limit: not read", zap.Int("bytes", big.length), zap.String("method", h.method),
		zap.String("uri", h.uri), zap.ByteString("start", big.head[:min(len(big.head), 200)]))
	what := fmt.Sprintf("a message of %.1f MiB is over the limit of %d MiB", float64(big.length)/(1<<20), maxMessageBytes>>20)
	switch {
	case h.hasID && !h.response: // a request, though its method may come after its params
		_, err := t.Stream.Write(ctx, jsonrpc2.NewResponse(h.id, nil, jsonrpc2.Errorf(jsonrpc2.InvalidRequest, "kube-policy-ls: %s: not read", what)))
		return nil, err
	case h.response: // no request of the server's awaits a response this large
		return nil, nil
	}
	method := h.method
	if method == "" {
		method = "a notification"
	}
	msg := fmt.Sprintf("kube-policy-ls: %s (%s) and was dropped", what, method)
	if h.uri != "" {
		msg = fmt.Sprintf("kube-policy-ls: %s: %s (%s) and was dropped; the file is not checked", h.uri, what, method)
	}
	show, _ := json.Marshal(protocol.ShowMessageParams{Type: protocol.MessageTypeWarning, Message: msg})
	if _, err := t.Stream.Write(ctx, jsonrpc2.NewNotification(protocol.MethodWindowShowMessage, show)); err != nil {
		return nil, err
	}
	if h.method == protocol.MethodTextDocumentDidChange && h.uri != "" && h.hasVersion {
		unfit := math.MaxUint32
		params, _ := json.Marshal(map[string]any{
			"textDocument":   map[string]any{"uri": h.uri, "version": h.version},
			"contentChanges": []any{map[string]any{"range": map[string]any{"start": map[string]any{"line": unfit, "character": 0}, "end": map[string]any{"line": unfit, "character": 0}}, "text": ""}},
		})
		return jsonrpc2.NewNotification(protocol.MethodTextDocumentDidChange, params), nil
	}
	return nil, nil
}

// Limits of the reader. A message carries at most one document's text, which the engine
// checks up to analysis.MaxFileSize (10 MiB): even escaped, such a text fits in
// maxMessageBytes, so a larger file still reaches the engine and gets its diagnostic.
const (
	maxMessageBytes  = 64 << 20
	maxHeaderLine    = 4 << 10 // bytes, "\r\n" included
	maxHeaderLines   = 32
	maxKeptBuffer    = 1 << 20 // a larger body buffer is dropped after its message
	oversizedHeadLen = 64 << 10
)

// errHeader is a header block that cannot be read: the stream cannot be resynchronised.
var errHeader = errors.New("invalid message header")

// oversizedError is a frame over maxMessageBytes: its body was skipped but for its head.
type oversizedError struct {
	length int
	head   []byte
}

func (e *oversizedError) Error() string {
	return fmt.Sprintf("message of %d bytes over the limit of %d", e.length, maxMessageBytes)
}

// frameReader reads Content-Length frames (the LSP base protocol) as jsonrpc2's header stream
// does (lines end with "\n" or "\r\n", field names are case-insensitive, other fields are
// ignored, a Content-Length is decimal digits), but with memory bounded by the bytes that
// arrive, not by what a header declares: jsonrpc2 allocates up to 1 GiB on a header's word
// and reads a header line of any length. Here header lines take at most maxHeaderLine bytes,
// a body over maxMessageBytes is skipped (see oversizedError), and a body's buffer grows as
// its bytes arrive. An empty body is a frame too (malformed, answered as such).
type frameReader struct {
	in  *bufio.Reader
	buf []byte // the last body; valid until the next call
}

func newFrameReader(r io.Reader) *frameReader {
	return &frameReader{in: bufio.NewReaderSize(r, maxHeaderLine)}
}

// next returns the next frame's body and the bytes it took on the wire. It returns io.EOF
// at a clean end between frames, io.ErrUnexpectedEOF within one, errHeader (wrapped) for a
// header it cannot read, *oversizedError for a body it skipped.
func (r *frameReader) next() ([]byte, int64, error) {
	if cap(r.buf) > maxKeptBuffer {
		r.buf = nil
	}
	length, consumed, err := r.header()
	if err != nil {
		return nil, 0, err
	}
	total := int64(consumed) + int64(length)
	if length > maxMessageBytes {
		head := make([]byte, oversizedHeadLen)
		if _, err := io.ReadFull(r.in, head); err != nil {
			return nil, 0, unexpected(err)
		}
		if _, err := io.CopyN(io.Discard, r.in, int64(length-oversizedHeadLen)); err != nil {
			return nil, 0, unexpected(err)
		}
		return nil, total, &oversizedError{length: length, head: head}
	}
	body := r.buf[:0]
	for len(body) < length {
		chunk := min(length-len(body), max(len(body), 64<<10))
		body = slices.Grow(body, chunk)
		n, err := io.ReadFull(r.in, body[len(body):len(body)+chunk])
		body = body[:len(body)+n]
		if err != nil {
			return nil, 0, unexpected(err)
		}
	}
	r.buf = body
	return body, total, nil
}

// header reads a header block and returns its Content-Length and the bytes it took.
func (r *frameReader) header() (length, consumed int, err error) {
	length = -1
	for lines := 0; ; lines++ {
		line, err := r.in.ReadSlice('\n')
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			return 0, 0, fmt.Errorf("%w: a header line longer than %d bytes", errHeader, maxHeaderLine)
		case err == io.EOF && consumed == 0 && len(line) == 0:
			return 0, 0, io.EOF
		case err != nil:
			return 0, 0, unexpected(err)
		}
		consumed += len(line)
		line = bytes.TrimSuffix(bytes.TrimSuffix(line, []byte("\n")), []byte("\r"))
		if len(line) == 0 {
			break
		}
		if lines >= maxHeaderLines {
			return 0, 0, fmt.Errorf("%w: more than %d header lines", errHeader, maxHeaderLines)
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return 0, 0, fmt.Errorf("%w: %q has no colon", errHeader, line)
		}
		if strings.EqualFold(string(name), "Content-Length") {
			n, ok := parseLength(bytes.Trim(value, " \t"))
			if !ok {
				return 0, 0, fmt.Errorf("%w: Content-Length %q", errHeader, value)
			}
			length = n
		}
	}
	if length < 0 {
		return 0, 0, fmt.Errorf("%w: no Content-Length", errHeader)
	}
	return length, consumed, nil
}

// parseLength reads a Content-Length: decimal digits only, at most math.MaxInt32.
func parseLength(digits []byte) (int, bool) {
	if len(digits) == 0 {
		return 0, false
	}
	n := 0
	for _, c := range digits {
		if c < '0' || c > '9' || n > (math.MaxInt32-int(c-'0'))/10 {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// unexpected turns an end of input within a frame into io.ErrUnexpectedEOF.
func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// head is what the start of a message says about it.
type head struct {
	method, uri       string
	id                jsonrpc2.ID
	hasID, hasVersion bool
	response          bool // it has a result or an error
	version           int32
}

// peekHead reads the id, method, params.textDocument.uri and .version from the start of a
// message, as far as it goes: the rest (the text) is not there.
func peekHead(data []byte) head {
	var h head
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return h
	}
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return h
		}
		switch key {
		case "id":
			switch v, _ := dec.Token(); v := v.(type) {
			case json.Number:
				if n, err := v.Int64(); err == nil {
					h.id, h.hasID = jsonrpc2.NewNumberID(n), true
				}
			case string:
				h.id, h.hasID = jsonrpc2.NewStringID(v), true
			case json.Delim: // not an id: nothing more to trust
				return h
			}
		case "method":
			h.method, _ = tokenString(dec)
		case "result", "error":
			h.response = true
			if skipValue(dec) != nil {
				return h
			}
		case "params":
			if !enter(dec) {
				return h
			}
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return h
				}
				if k != "textDocument" {
					if skipValue(dec) != nil {
						return h
					}
					continue
				}
				if !enter(dec) {
					return h
				}
				for dec.More() {
					k, err := dec.Token()
					if err != nil {
						return h
					}
					switch k {
					case "uri":
						h.uri, _ = tokenString(dec)
					case "version":
						if v, err := dec.Token(); err == nil {
							if n, ok := v.(json.Number); ok {
								if i, err := strconv.ParseInt(string(n), 10, 32); err == nil {
									h.version, h.hasVersion = int32(i), true
								}
							}
						}
					default:
						if skipValue(dec) != nil {
							return h
						}
					}
				}
				return h
			}
			return h
		default:
			if skipValue(dec) != nil {
				return h
			}
		}
	}
	return h
}

func tokenString(dec *json.Decoder) (string, bool) {
	tok, err := dec.Token()
	s, ok := tok.(string)
	return s, err == nil && ok
}

// enter reads the start of an object.
func enter(dec *json.Decoder) bool {
	tok, err := dec.Token()
	return err == nil && tok == json.Delim('{')
}

// skipValue reads one whole value.
func skipValue(dec *json.Decoder) error {
	depth := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
		if depth == 0 {
			return nil
		}
	}
}

// malformedID is the id to answer a malformed frame with: the request's own id when one can be
// read, null when the frame is not a JSON object at all. A malformed response, or a
// notification, gets no answer.
func malformedID(frame []byte) (jsonrpc2.ID, bool) {
	var probe struct {
		ID     any             `json:"id"`
		Method json.RawMessage `json:"method"`
	}
	if err := json.Unmarshal(frame, &probe); err != nil {
		return jsonrpc2.ID{}, true // not JSON, or not an object (a batch)
	}
	switch id := probe.ID.(type) {
	case float64:
		return jsonrpc2.NewNumberID(int64(id)), probe.Method != nil
	case string:
		return jsonrpc2.NewStringID(id), probe.Method != nil
	}
	return jsonrpc2.ID{}, false
}
