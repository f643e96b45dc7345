package analysis

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/kube-policy-ls/kube-policy-ls/analysis/yamldoc"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// Custom policies: Rego files from the configured directories, under the same contract as the
// built-in rules (SPEC.md section 7), compiled without network, environment or runtime
// builtins and evaluated under a deadline, so that a workspace's policy can neither reach out
// nor hang the editor.

// PolicyError is a problem with a custom policy file, at a 1-based line and column.
type PolicyError struct {
	File         string
	Line, Column int
	Msg          string
}

func (e PolicyError) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Msg)
}

// Limits on custom policies.
const (
	CustomPolicyDeadline = 500 * time.Millisecond // one rule on one object
	maxPolicyFileSize    = 1 << 20
	maxPolicyFiles       = 500
	maxPolicyDirEntries  = 10_000 // files and directories visited: "policies: [/]" must not walk the disk
)

// sandboxedOut lists the builtins custom policies may not call: they reach the network, read
// the environment, or describe the running process.
func sandboxedOut(name string) bool {
	return name == "http.send" || name == "opa.runtime" || strings.HasPrefix(name, "net.")
}

// sandboxCapabilities are OPA's capabilities less the sandboxed builtins.
func sandboxCapabilities() *ast.Capabilities {
	caps := ast.CapabilitiesForThisVersion()
	caps.Builtins = slices.DeleteFunc(slices.Clone(caps.Builtins), func(b *ast.Builtin) bool { return sandboxedOut(b.Name) })
	caps.AllowNet = []string{}
	return caps
}

// customRule is an enabled custom rule with its own query, so that a timeout or a runtime
// error is charged to the right file.
type customRule struct {
	rule  Rule
	query rego.PreparedEvalQuery
	line  int             // of its violations rule, where runtime errors are reported
	kinds map[string]bool // the kinds it reads (custom.kinds); nil: all
}

// loadCustom parses every .rego file (tests excluded) under the configured directories,
// resolved against base. Files that do not parse are reported, not loaded.
func loadCustom(dirs []string, base string) (map[string]*ast.Module, []PolicyError) {
	mods := map[string]*ast.Module{}
	var errs []PolicyError
	for _, dir := range dirs {
		if !filepath.IsAbs(dir) && base != "" {
			dir = filepath.Join(base, dir)
		}
		visited := 0
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if visited++; visited > maxPolicyDirEntries {
				return fmt.Errorf("more than %d files and directories: point policies at a directory of Rego files", maxPolicyDirEntries)
			}
			if d.IsDir() || !strings.HasSuffix(p, ".rego") || strings.HasSuffix(p, "_test.rego") {
				return nil
			}
			if d.Type()&fs.ModeSymlink != 0 {
				errs = append(errs, PolicyError{File: p, Line: 1, Column: 1, Msg: "symbolic links are not followed in policy directories"})
				return nil
			}
			if len(mods) >= maxPolicyFiles {
				return fmt.Errorf("more than %d policy files", maxPolicyFiles)
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			if info.Size() > maxPolicyFileSize {
				errs = append(errs, PolicyError{File: p, Line: 1, Column: 1, Msg: fmt.Sprintf("policy file is larger than %d MiB", maxPolicyFileSize>>20)})
				return nil
			}
			src, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			m, err := ast.ParseModuleWithOpts(p, string(src), ast.ParserOptions{ProcessAnnotation: true, RegoVersion: ast.RegoV1})
			if err != nil {
				errs = append(errs, astErrors(p, err)...)
				return nil
			}
			mods[p] = m
			return nil
		})
		if err != nil {
			errs = append(errs, PolicyError{File: dir, Line: 1, Column: 1, Msg: fmt.Sprintf("reading policy directory: %v", err)})
		}
	}
	return mods, errs
}

// astErrors turns OPA parse or compile errors into PolicyErrors, placed where OPA places them.
func astErrors(file string, err error) []PolicyError {
	var list ast.Errors
	if !errors.As(err, &list) {
		return []PolicyError{{File: file, Line: 1, Column: 1, Msg: err.Error()}}
	}
	out := make([]PolicyError, 0, len(list))
	for _, e := range list {
		pe := PolicyError{File: file, Line: 1, Column: 1, Msg: e.Message}
		if e.Location != nil {
			if e.Location.File != "" {
				pe.File = e.Location.File
			}
			pe.Line, pe.Column = e.Location.Row, e.Location.Col
		}
		out = append(out, pe)
	}
	return out
}

// reservedPackage reports whether a custom module would shadow the engine's own packages.
func reservedPackage(m *ast.Module, builtins map[string]*ast.Module) bool {
	pkg := m.Package.Path.String()
	if pkg == "data.kubepolicy.lib" || pkg == "data.kubepolicy.engine" || pkg == "data.kubepolicy.config" {
		return true
	}
	for _, b := range builtins {
		if b.Package.Path.String() == pkg {
			return true
		}
	}
	return false
}

// violationsLine is the line of a module's violations rule.
func violationsLine(m *ast.Module) int {
	for _, r := range m.Rules {
		if r.Head.Name.String() == "violations" || (len(r.Head.Reference) > 0 && r.Head.Reference[len(r.Head.Reference)-1].String() == `"violations"`) {
			return r.Location.Row
		}
	}
	if m.Package.Location != nil {
		return m.Package.Location.Row
	}
	return 1
}

// evalCustom runs each enabled custom rule on one object under the deadline. A rule that
// fails or times out yields a PolicyError for its file, not a crash or a hang.
func (e *Engine) evalCustom(ctx context.Context, input ast.Value, obj yamldoc.ObjectRef) ([][]violation, []PolicyError, error) {
	out := make([][]violation, len(e.custom))
	var errs []PolicyError
	for i, c := range e.custom {
		if !c.reads(obj.Kind) {
			continue
		}
		rctx, cancel := context.WithTimeout(ctx, CustomPolicyDeadline)
		rs, err := c.query.Eval(rctx, rego.EvalParsedInput(input))
		timedOut := rctx.Err() != nil
		cancel()
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		if err != nil {
			pe := PolicyError{File: c.rule.File, Line: c.line, Column: 1}
			var te *topdown.Error
			switch {
			case timedOut:
				pe.Msg = fmt.Sprintf("rule %s did not finish within %v on %s: stopped", c.rule.ID, CustomPolicyDeadline, obj)
			case errors.As(err, &te) && te.Location != nil:
				// the failing expression may sit in a library module the rule imports
				if te.Location.File != "" {
					pe.File = te.Location.File
				}
				pe.Line, pe.Column, pe.Msg = te.Location.Row, te.Location.Col, fmt.Sprintf("rule %s failed on %s: %s", c.rule.ID, obj, te.Message)
			default:
				pe.Msg = fmt.Sprintf("rule %s failed on %s: %v", c.rule.ID, obj, err)
			}
			errs = append(errs, pe)
			continue
		}
		if len(rs) != 1 || len(rs[0].Expressions) != 1 {
			continue
		}
		items, _ := rs[0].Expressions[0].Value.([]any)
		for _, item := range items {
			v, err := decodeViolation(item)
			if err != nil {
				errs = append(errs, PolicyError{File: c.rule.File, Line: c.line, Column: 1, Msg: fmt.Sprintf("rule %s: %v", c.rule.ID, err)})
				break
			}
			out[i] = append(out[i], v)
		}
	}
	return out, errs, nil
}
