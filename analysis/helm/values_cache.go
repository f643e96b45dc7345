package helm

import (
	"bytes"
	"crypto/sha256"
	"sync"

	"helm.sh/helm/v4/pkg/chart/v2/loader"
)

// Parsing the values.yaml of a chart and of each subchart was a tenth of a render's CPU, and a
// keystroke changes at most one of them: each text's parse is kept and every render gets its
// own deep copy (Helm changes the maps it merges).
var parsedValues = struct {
	sync.Mutex
	entries map[[sha256.Size]byte]map[string]any
	order   [][sha256.Size]byte // oldest first
}{entries: map[[sha256.Size]byte]map[string]any{}}

const maxParsedValues = 64

// chartValues returns a fresh copy of the parse of a values.yaml text, as Helm's loader
// parses it; ok is false when the text does not parse (the loader then reports it).
func chartValues(text []byte) (map[string]any, bool) {
	v, ok := cachedValues(text)
	if !ok {
		return nil, false
	}
	return copyValue(v).(map[string]any), true
}

// cachedValues is chartValues without the copy: the parse itself, which must not be changed.
func cachedValues(text []byte) (map[string]any, bool) {
	key := sha256.Sum256(text)
	parsedValues.Lock()
	v, hit := parsedValues.entries[key]
	parsedValues.Unlock()
	if !hit {
		var err error
		if v, err = loader.LoadValues(bytes.NewReader(text)); err != nil {
			return nil, false
		}
		parsedValues.Lock()
		if _, dup := parsedValues.entries[key]; !dup {
			parsedValues.entries[key] = v
			parsedValues.order = append(parsedValues.order, key)
			if len(parsedValues.order) > maxParsedValues {
				delete(parsedValues.entries, parsedValues.order[0])
				parsedValues.order = parsedValues.order[1:]
			}
		}
		parsedValues.Unlock()
	}
	return v, true
}

// copyValue deep-copies parsed YAML: maps, lists and scalars.
func copyValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = copyValue(e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = copyValue(e)
		}
		return out
	}
	return v
}
