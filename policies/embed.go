// Package policies holds the built-in Rego rule set, embedded in the binary.
package policies

import "embed"

// FS holds lib/ and rules/ (tests included; the engine skips *_test.rego).
//
//go:embed lib rules
var FS embed.FS
