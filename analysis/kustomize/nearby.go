package kustomize

import (
	"errors"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
)

// Nearby is where the overlays of a file outside every workspace folder are looked for: a
// file opened alone has no folder whose overlays could be found, so the overlays that read it
// are looked for around the nearest kustomization above it. Walking the parent of that
// kustomization's directory finds a base's sibling overlays (app/base -> app/overlays/*) and
// a patch's own overlay with its siblings; going no higher keeps opening a file cheap.
type Nearby struct {
	Dir  string // the nearest directory at or above the file with a kustomization file
	Scan string // the directory walked: Dir's parent, or Dir when that is the file system's root or home
}

// NearbyMaxDirs is how many directories the editor walks for the overlays near one file: a
// kustomization at the top of a huge tree (a monorepo, whose parent holds every project)
// leaves opening a file cheap (BenchmarkNearbyCut), the overlays nearest the file walked
// first. An overlay tree is far smaller: the microservices-demo has 23 directories.
const NearbyMaxDirs = 1000

// NearbyOf returns where the overlays of the file at path (absolute) are looked for; the
// zero Nearby when no directory at or above it has a kustomization file. home is the user's
// home directory ("" for none): a tree of unrelated projects, like the file system's root,
// which is not walked for the sake of one of them.
func NearbyOf(path, home string) Nearby {
	if path == "" {
		return Nearby{}
	}
	for dir := filepath.Dir(path); ; dir = filepath.Dir(dir) {
		if FileIn(dir) != "" {
			scan := filepath.Dir(dir)
			if scan == dir || scan == filepath.Dir(scan) || home != "" && scan == filepath.Clean(home) {
				scan = dir
			}
			return Nearby{Dir: dir, Scan: scan}
		}
		if filepath.Dir(dir) == dir {
			return Nearby{}
		}
	}
}

// Roots returns the overlay roots of n (as Roots does), visiting at most maxDirs
// directories: Dir's tree first, so that a cut walk still finds the overlays nearest the
// file, then the rest of Scan. cut reports that the limit stopped the walk.
func (n Nearby) Roots(read ReadFunc, maxDirs int) (roots []string, cut bool) {
	if n.Dir == "" {
		return nil, false
	}
	budget := maxDirs
	roots, err := walkRoots(n.Dir, "", read, &budget)
	if err == nil && n.Scan != n.Dir {
		var more []string
		more, err = walkRoots(n.Scan, n.Dir, read, &budget)
		roots = append(roots, more...) // disjoint: the second walk skips the first's tree
		slices.Sort(roots)
	}
	return roots, errors.Is(err, errWalkCut)
}

// errWalkCut stops a walk that has visited as many directories as it may.
var errWalkCut = errors.New("directory limit reached")

// walkRoots returns the overlay roots under dir, sorted, leaving out the tree at skip (""
// for none), hidden directories and node_modules. budget, when not nil, is how many more
// directories may be visited: the walk stops with errWalkCut when it runs out. A directory
// that cannot be read is left out. A directory is asked whether it is a root only when its
// listing has a kustomization's name in it: most have none, and asking costs a stat per name.
func walkRoots(dir, skip string, read ReadFunc, budget *int) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if path != dir && d != nil && d.IsDir() {
				return filepath.SkipDir
			}
			return err
		}
		if !d.IsDir() {
			if parent := filepath.Dir(path); IsFileName(d.Name()) && IsRoot(parent, read) {
				out = append(out, parent)
			}
			return nil
		}
		if path != dir && (path == skip || strings.HasPrefix(d.Name(), ".") || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if budget != nil {
			if *budget <= 0 {
				return errWalkCut
			}
			*budget--
		}
		return nil
	})
	slices.Sort(out)
	return slices.Compact(out), err // a directory with two kustomization names is one root
}
