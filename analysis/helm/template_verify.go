package helm

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/kube-policy-ls/kube-policy-ls/analysis"
	"github.com/kube-policy-ls/kube-policy-ls/analysis/fix"
)

// VerifyTemplateFixes renders the chart again (with opts, the options it was rendered with)
// with set's template edits applied, and returns the set without the files whose edits left
// a finding they fix, or brought a new finding of its rule on its object; dropped names those
// files. The exact mapping makes this the rule; the render is the proof before files are
// written. A fixed chart that no longer renders drops every file.
func (c *Chart) VerifyTemplateFixes(ctx context.Context, opts Options, e *analysis.Engine, before []Finding, set TemplateEdits) (kept TemplateEdits, dropped []string, err error) {
	had := map[string]bool{}
	for _, f := range before {
		had[fixKey(f)] = true
	}
	for len(set.Files) > 0 {
		texts := map[string][]byte{}
		for _, file := range set.Files {
			out, err := fix.ApplyEdits(set.Texts[file], set.Edits[file])
			if err != nil {
				return TemplateEdits{}, set.Files, nil
			}
			texts[file] = []byte(out)
		}
		read := opts.read()
		o := opts
		o.Read = func(path string) ([]byte, error) {
			if b, ok := texts[path]; ok {
				return b, nil
			}
			return read(path)
		}
		after, err := Render(ctx, c.Root, o)
		var rerr *Error
		if errors.As(err, &rerr) {
			return TemplateEdits{}, append(dropped, set.Files...), nil
		} else if err != nil {
			return TemplateEdits{}, nil, err
		}
		res, err := after.Check(ctx, e)
		if err != nil {
			return TemplateEdits{}, nil, err
		}
		bad := set.failing(res.Findings, had)
		if len(bad) == 0 {
			return set, dropped, nil
		}
		dropped = append(dropped, bad...)
		set = set.without(bad)
	}
	return set, dropped, nil
}

// failing returns the files of the set with a fixed finding among after, or a finding of a
// fixed finding's rule on its object that was not there before (had).
func (s TemplateEdits) failing(after []Finding, had map[string]bool) []string {
	var bad []string
	for _, file := range s.Files {
		fixed, objects := map[string]bool{}, map[string]bool{}
		for _, f := range s.Findings[file] {
			fixed[fixKey(f)] = true
			objects[objectKey(f)] = true
		}
		for _, f := range after {
			k := fixKey(f)
			if fixed[k] || (!had[k] && objects[objectKey(f)]) {
				bad = append(bad, file)
				break
			}
		}
	}
	return bad
}

// without is the set less the edits of files.
func (s TemplateEdits) without(files []string) TemplateEdits {
	out := TemplateEdits{Edits: map[string][]fix.Edit{}, Texts: map[string]string{}, Findings: map[string][]Finding{}}
	for _, file := range s.Files {
		if slices.Contains(files, file) {
			continue
		}
		out.Files = append(out.Files, file)
		out.Edits[file], out.Texts[file], out.Findings[file] = s.Edits[file], s.Texts[file], s.Findings[file]
	}
	return out
}

// fixKey names a finding across renders: its rule, template, object and field.
func fixKey(f Finding) string {
	return fmt.Sprintf("%s %v", objectKey(f), append(slices.Clone(f.Item), f.Path...))
}

func objectKey(f Finding) string {
	return fmt.Sprintf("%s %s %s", f.Rule, f.Manifest.Name, f.Object)
}
