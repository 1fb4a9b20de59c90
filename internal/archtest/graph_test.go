package archtest

import (
	"os/exec"
	"path"
	"slices"
	"strings"
	"testing"
)

// layer is where a package stands in the graph: cmd → front-ends → daemon/client;
// cmd → daemon → sync/* → domain (register, sales, inventory) → money.
type layer int

const (
	layerSupport  layer = iota // internal/..., migrations: helpers any layer may use
	layerMoney                 // money
	layerDomain                // register, sales, inventory
	layerSync                  // sync/...: one package tree per channel, and the simulator
	layerDaemon                // daemon and its packages, but its client
	layerClient                // daemon/client: the API's typed client and wire types
	layerFrontEnd              // terminal/..., web/...: the register's user interfaces
	layerCmd                   // cmd/...: the binary, which wires the rest
)

var layerNames = map[layer]string{
	layerSupport: "support", layerMoney: "money", layerDomain: "domain", layerSync: "sync",
	layerDaemon: "daemon", layerClient: "daemon/client", layerFrontEnd: "front-end", layerCmd: "cmd",
}

// frontEnds are the top-level folders of the front-ends.
var frontEnds = []string{"terminal", "web"}

// layerOf places a package of the module (its path inside the module, e.g. "sync/shopify").
func layerOf(rel string) layer {
	top, _, _ := strings.Cut(rel, "/")
	switch {
	case top == "cmd":
		return layerCmd
	case slices.Contains(frontEnds, top):
		return layerFrontEnd
	case rel == "daemon/client":
		return layerClient
	case top == "daemon":
		return layerDaemon
	case top == "sync":
		return layerSync
	case rel == "register" || rel == "sales" || rel == "inventory" || rel == "staff":
		return layerDomain
	case rel == "money":
		return layerMoney
	}
	return layerSupport
}

// testSupport reports whether a package exists for tests (internal/dbtest,
// internal/terminaltest): such a package may start a whole daemon.
func testSupport(rel string) bool { return strings.HasSuffix(path.Base(rel), "test") }

// forbidden says whether a package of layer from may depend on (import, directly or
// through other packages of the module) the package rel.
func forbidden(from layer, rel string) bool {
	to := layerOf(rel)
	switch from {
	case layerMoney:
		return to != layerSupport || testSupport(rel)
	case layerDomain:
		return to > layerDomain || testSupport(rel)
	case layerSync:
		return to > layerSync || testSupport(rel)
	case layerDaemon:
		return to > layerClient || testSupport(rel)
	case layerClient:
		return true // the client stands alone: the standard library only
	case layerFrontEnd:
		// Only the client, and helpers that carry nothing of the domain (checked on
		// their own: a support package reaching the domain is reached through here).
		return (to != layerClient && to != layerSupport && to != layerFrontEnd) || testSupport(rel)
	case layerSupport:
		// Helpers serve every layer, so they import none above the domain; test
		// support may run anything the tests need but the binary itself.
		if testSupport(rel) {
			return false
		}
		return to == layerCmd || to == layerFrontEnd || to == layerDaemon || to == layerClient
	}
	return false
}

// TestDependenciesPointOneWay fails when a package reaches one its layer must not:
// domain packages never import daemon, cmd, sync/* or a front-end; sync/* never the
// daemon; the daemon never a front-end or cmd; daemon/client nothing of the module; a
// front-end only daemon/client and helpers. Test files are free to import what they test
// with.
func TestDependenciesPointOneWay(t *testing.T) {
	t.Parallel()
	m := loadModule(t, moduleRoot(t))
	rel := func(p string) string { return strings.TrimPrefix(strings.TrimPrefix(p, m.path), "/") }
	inModule := func(p string) bool { return p == m.path || strings.HasPrefix(p, m.path+"/") }

	seen := map[layer]int{}
	for _, p := range slices.Sorted(func(yield func(string) bool) {
		for p := range m.imports {
			if !yield(p) {
				return
			}
		}
	}) {
		from := layerOf(rel(p))
		seen[from]++
		if from == layerSupport && testSupport(rel(p)) {
			continue
		}
		// A package's own tree is its own business: a front-end's packages import each
		// other freely.
		own := rel(p)
		if from == layerFrontEnd {
			own, _, _ = strings.Cut(own, "/")
		}
		bad := func(imp string) bool {
			r := rel(imp)
			if !inModule(imp) || r == own || strings.HasPrefix(r, own+"/") {
				return false
			}
			return forbidden(from, r)
		}
		if chain := m.reaches(p, bad); chain != nil {
			for i := range chain {
				chain[i] = rel(chain[i])
			}
			t.Errorf("%s (%s) must not depend on %s (%s): %s", rel(p), layerNames[from],
				chain[len(chain)-1], layerNames[layerOf(chain[len(chain)-1])], strings.Join(chain, " → "))
		}
	}
	// The rules only mean something when every layer is there to check.
	for l, name := range layerNames {
		if seen[l] == 0 {
			t.Errorf("no %s package in the module: the test reads the wrong tree or places packages wrongly", name)
		}
	}
	// And the command reaches both sides, or the imports were read wrongly.
	for _, want := range []string{"terminal", "daemon", "register"} {
		if m.reaches(m.path+"/cmd/kassa", func(p string) bool { return p == m.path+"/"+want }) == nil {
			t.Errorf("cmd/kassa does not seem to import %s: the test reads imports wrongly", want)
		}
	}
}

// TestFrontEndsCarryNoDatabaseOrShopifyClient: a front-end's build (go list -deps, as
// the go command builds it) holds no database driver, no sqlx, no Shopify client and no
// zstd: it talks to the daemon, never to the database or to Shopify.
func TestFrontEndsCarryNoDatabaseOrShopifyClient(t *testing.T) {
	t.Parallel()
	root := moduleRoot(t)
	m := loadModule(t, root)
	heavy := []string{"github.com/lib/pq", "github.com/jmoiron/sqlx", "github.com/bold-commerce/go-shopify", "github.com/klauspost/compress"}
	checked := 0
	for _, fe := range frontEnds {
		if _, ok := m.imports[m.path+"/"+fe]; !ok {
			continue
		}
		checked++
		cmd := exec.Command("go", "list", "-deps", "./"+fe+"/...")
		cmd.Dir = root
		out, err := cmd.Output()
		if err != nil {
			var stderr []byte
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = ee.Stderr
			}
			t.Fatalf("go list -deps ./%s/...: %v\n%s", fe, err, stderr)
		}
		deps := strings.Fields(string(out))
		if !slices.Contains(deps, m.path+"/daemon/client") {
			t.Errorf("go list -deps ./%s/... does not list daemon/client: the test reads its output wrongly", fe)
		}
		for _, d := range deps {
			for _, h := range heavy {
				if d == h || strings.HasPrefix(d, h+"/") {
					t.Errorf("the %s front-end's build holds %s", fe, d)
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("no front-end found: the test reads the wrong tree")
	}
}
