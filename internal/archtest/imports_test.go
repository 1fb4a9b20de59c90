package archtest

import (
	"bufio"
	"errors"
	"go/build"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// module is the module's source tree as the go command sees it without tests: every
// package's import path and the imports of its non-test files.
type module struct {
	path    string              // the module path of go.mod
	imports map[string][]string // package → its non-test imports
}

// moduleRoot returns the directory of go.mod, searching up from the working directory.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the working directory")
		}
		dir = parent
	}
}

// loadModule reads every package of the module rooted at root.
func loadModule(t *testing.T, root string) module {
	t.Helper()
	f, err := os.Open(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m := module{imports: map[string][]string{}}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if p, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "module "); ok {
			m.path = strings.Trim(strings.TrimSpace(p), `"`)
			break
		}
	}
	if m.path == "" {
		t.Fatal("go.mod names no module")
	}
	err = filepath.WalkDir(root, func(dir string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		name := d.Name()
		if dir != root && (name == "testdata" || name == "vendor" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
			return filepath.SkipDir
		}
		pkg, err := build.Default.ImportDir(dir, 0)
		var noGo *build.NoGoError
		if errors.As(err, &noGo) {
			return nil
		}
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, dir)
		if err != nil {
			return err
		}
		m.imports[path.Join(m.path, filepath.ToSlash(rel))] = pkg.Imports
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// reaches reports whether pkg imports, directly or through other packages of the module, a
// package for which target is true, and returns the chain of imports that does.
func (m module) reaches(pkg string, target func(string) bool) []string {
	seen := map[string]bool{}
	var walk func(p string, chain []string) []string
	walk = func(p string, chain []string) []string {
		for _, imp := range m.imports[p] {
			if target(imp) {
				return append(chain, imp)
			}
			if seen[imp] {
				continue
			}
			seen[imp] = true
			if found := walk(imp, append(chain, imp)); found != nil {
				return found
			}
		}
		return nil
	}
	return walk(pkg, []string{pkg})
}

// TestProductionNeverImportsTheSimulator fails when a package other than the command, the
// simulator itself and test-support packages imports sync/shopifysim, directly or not: the
// simulator is a tool for tests and demos, never part of what the daemon runs.
func TestProductionNeverImportsTheSimulator(t *testing.T) {
	t.Parallel()
	m := loadModule(t, moduleRoot(t))
	sim := m.path + "/sync/shopifysim"
	isSim := func(p string) bool { return p == sim || strings.HasPrefix(p, sim+"/") }
	allowed := func(p string) bool {
		return isSim(p) || strings.HasPrefix(p, m.path+"/cmd/") || strings.HasSuffix(path.Base(p), "test")
	}
	if _, ok := m.imports[sim]; !ok {
		t.Fatalf("no package %s in the module: the test reads the wrong tree", sim)
	}
	// The command serves the simulator (kassa shopify-sim): if this test cannot see that
	// import, it cannot see any.
	if m.reaches(m.path+"/cmd/kassa", isSim) == nil {
		t.Fatalf("%s/cmd/kassa does not seem to import %s: the test reads imports wrongly", m.path, sim)
	}
	pkgs := slices.Sorted(func(yield func(string) bool) {
		for p := range m.imports {
			if !yield(p) {
				return
			}
		}
	})
	checked := 0
	for _, p := range pkgs {
		if allowed(p) {
			continue
		}
		checked++
		if chain := m.reaches(p, isSim); chain != nil {
			t.Errorf("%s imports the Shopify simulator: %s", p, strings.Join(chain, " → "))
		}
	}
	if checked < 10 {
		t.Fatalf("only %d production packages checked: the test reads the wrong tree", checked)
	}
}
