package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/aymanbagabas/go-udiff"
	"github.com/kube-policy-ls/kube-policy-ls/analysis"
	"github.com/kube-policy-ls/kube-policy-ls/analysis/fix"
	"github.com/kube-policy-ls/kube-policy-ls/analysis/workspace"
)

// `check --fix`: apply every fixable finding's fix to the files on disk (the same edits as the
// editor's fix-all), then re-analyse them so that the report shows what remains. With
// --dry-run nothing is written: a unified diff of each file goes to stdout instead.

// fixSummary counts what fixFiles did.
type fixSummary struct {
	files, fixed int
	failed       []string // "file: rule: why" for fixes that could not be applied safely
}

// fixFiles applies fix-all to every analysed file of results and returns the results for the
// fixed texts. Files that cannot be written keep their old result and carry the error.
func fixFiles(ctx context.Context, results []checked, ws *workspace.Workspace, dryRun bool, stdout io.Writer) ([]checked, fixSummary) {
	var sum fixSummary
	out := make([]checked, len(results))
	for i, c := range results {
		out[i] = c
		if c.chart != nil && c.err == nil && c.chart.rendered != nil {
			out[i] = fixChart(ctx, c, ws, dryRun, stdout, &sum)
			continue
		}
		if c.err != nil || c.result == nil || c.result.Skipped {
			continue
		}
		rep := c.result.FixAll(nil)
		for _, f := range rep.Failed {
			sum.failed = append(sum.failed, fmt.Sprintf("%s: %s: %v", c.src.path, f.Finding.Rule, f.Err))
		}
		if len(rep.Edits) == 0 {
			continue
		}
		text, err := fix.ApplyEdits(c.text, rep.Edits)
		if err != nil {
			out[i].err = fmt.Errorf("fixing %s: %w", c.src.path, err)
			continue
		}
		switch {
		case dryRun:
			if _, err := io.WriteString(stdout, diffOf(c.src.path, c.text, text)); err != nil {
				out[i].err = fmt.Errorf("writing the diff of %s: %w", c.src.path, err)
				continue
			}
		case c.src.path == "-":
			out[i].err = errors.New("cannot write fixes back to stdin: use --fix --dry-run to see them as a diff")
			continue
		default:
			if err := writeFixed(c.src.path, c.text, text); err != nil {
				out[i].err = fmt.Errorf("fixing %s: %w", c.src.path, err)
				continue
			}
		}
		sum.files++
		sum.fixed += rep.Fixed
		out[i] = reanalyse(ctx, c, text, ws)
	}
	fixOverlays(ctx, out, ws, dryRun, stdout, &sum)
	return out, sum
}

// diffOf is the unified diff of a file's fixes: "a/" and "b/" before a relative path, as git
// writes them (apply with patch -p1); an absolute path or stdin as it is (patch -p0).
func diffOf(path, old, text string) string {
	oldName, newName := "a/"+filepath.ToSlash(path), "b/"+filepath.ToSlash(path)
	if path == "-" || filepath.IsAbs(path) {
		oldName, newName = path, path
	}
	return udiff.Unified(oldName, newName, old, text)
}

// reanalyse checks a fixed text with the engine that checked the original. The result is
// the engine's own Analyze of the new text, reusing the old result's unchanged documents
// whole (suppressed findings and policy errors included).
func reanalyse(ctx context.Context, c checked, text string, ws *workspace.Workspace) checked {
	next := checked{src: c.src, text: text}
	v, err := govern(ctx, ws, c.src)
	if err != nil {
		next.err = err
		return next
	}
	next.result, next.err = v.Engine.Analyze(ctx, analysis.Input{Path: c.src.path, Text: text, Helm: c.src.helm}, c.result)
	return next
}

// errChanged is returned when a file changed on disk after it was checked: writing the fixes
// would lose that change.
var errChanged = errors.New("the file changed on disk since it was read; not overwritten (run again)")

// errReadOnly is returned for a file without write permission: the rename would replace it
// all the same, which is not what its mode asks for.
var errReadOnly = errors.New("the file is read-only; not overwritten")

// testHookBeforeRename, when set, runs between writing the temporary file and the last look
// at the target (tests change the file there).
var testHookBeforeRename func(target string)

// writeFixed replaces the file at path, whose content was old when it was checked, with text:
// written to a temporary file in the same directory, synced, given the file's permissions and
// renamed over it, so that a crash or a full disk never leaves a half-written manifest. A file
// that changed since it was read (or was replaced by another) is left alone, and so is a file
// that this user may not write; a symbolic link keeps pointing at its target, which is the
// file replaced.
func writeFixed(path, old, text string) (err error) {
	target, err := filepath.EvalSymlinks(path)
	if err != nil {
		return err
	}
	before, err := os.Stat(target)
	if err != nil {
		return err
	}
	if !before.Mode().IsRegular() {
		return fmt.Errorf("not a regular file")
	}
	if before.Mode().Perm()&0o222 == 0 {
		return errReadOnly
	}
	f, err := os.OpenFile(target, os.O_WRONLY, 0) // writable, though maybe not by this user
	if err != nil {
		return err
	}
	f.Close()
	current, err := os.ReadFile(target)
	if err != nil {
		return err
	}
	if string(current) != old {
		return errChanged
	}
	tmp, err := os.CreateTemp(filepath.Dir(target), "."+filepath.Base(target)+".fix-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err = io.WriteString(tmp, text); err != nil {
		return err
	}
	if err = tmp.Chmod(before.Mode().Perm()); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if testHookBeforeRename != nil {
		testHookBeforeRename(target)
	}
	// Last look before the rename: the file must still be the one that was read.
	now, err := os.Stat(target)
	if err != nil {
		return err
	}
	if !os.SameFile(before, now) || !now.ModTime().Equal(before.ModTime()) || now.Size() != before.Size() {
		err = errChanged
		return err
	}
	if err = os.Rename(tmp.Name(), target); err != nil {
		return err
	}
	syncDir(filepath.Dir(target))
	return nil
}

// syncDir makes a rename in dir durable where the platform allows it; failing to is harmless
// (the rename itself is atomic), so errors are ignored.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
}

// printFixSummary tells stderr what --fix did and which fixes it skipped.
func printFixSummary(stderr io.Writer, sum fixSummary, dryRun bool) {
	verb := "fixed"
	if dryRun {
		verb = "would fix"
	}
	fmt.Fprintf(stderr, "kube-policy-ls check: %s %s in %s\n", verb, plural(sum.fixed, "finding"), plural(sum.files, "file"))
	for _, f := range sum.failed {
		fmt.Fprintf(stderr, "kube-policy-ls check: not fixed: %s\n", f)
	}
}
