package workspace

import (
	"path"
	"path/filepath"
	"strings"
)

// excludeRule is one exclude pattern, relative to base: a configuration file's directory, or
// a workspace folder for the overlay's patterns.
type excludeRule struct{ base, pattern string }

// excludes reports whether a pattern of the slot's configuration leaves out the file at path.
func (s *slot) excludes(path string) bool {
	if path == "" {
		return false
	}
	for _, r := range s.exclude {
		if !Within(r.base, path) {
			continue
		}
		rel, err := filepath.Rel(r.base, path)
		if err != nil {
			continue
		}
		if matchExclude(r.pattern, filepath.ToSlash(rel)) {
			return true
		}
	}
	return false
}

// matchExclude reports whether rel, a slash-separated path relative to the configuration's
// directory, is excluded by pattern. Patterns are path.Match globs where "**" also spans
// directories; a pattern matches a file or any directory above it ("charts" and "charts/**"
// both exclude charts/a.yaml), and a pattern without a slash matches a name at any depth.
func matchExclude(pattern, rel string) bool {
	pattern = strings.TrimSuffix(strings.TrimPrefix(pattern, "./"), "/")
	if pattern == "" {
		return false
	}
	segs := strings.Split(rel, "/")
	pat := strings.Split(pattern, "/")
	if len(pat) == 1 && pat[0] != "**" {
		for _, s := range segs {
			if ok, _ := path.Match(pat[0], s); ok {
				return true
			}
		}
		return false
	}
	for k := 1; k <= len(segs); k++ {
		if matchSegments(pat, segs[:k]) {
			return true
		}
	}
	return false
}

// matchSegments matches path segments against pattern segments, "**" standing for any number
// of segments.
func matchSegments(pat, segs []string) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			for i := 0; i <= len(segs); i++ {
				if matchSegments(pat[1:], segs[i:]) {
					return true
				}
			}
			return false
		}
		if len(segs) == 0 {
			return false
		}
		if ok, _ := path.Match(pat[0], segs[0]); !ok {
			return false
		}
		pat, segs = pat[1:], segs[1:]
	}
	return len(segs) == 0
}
