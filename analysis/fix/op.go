// Package fix turns the fix operations of rules into text edits on a YAML document: it finds
// what an operation changes, writes inserted YAML in the document's own style, checks that the
// result parses and reads back as intended, and names each fix for an editor's menu.
package fix

// Op is one operation of a rule's fix, on an object-relative JSON path (SPEC.md section 7).
type Op struct {
	Op    string `json:"op"` // "set", "remove" or "add"
	Path  []any  `json:"path"`
	Value any    `json:"value,omitempty"`
}
