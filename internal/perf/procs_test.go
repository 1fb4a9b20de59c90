package perf

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/kassa-pos/kassa/internal/dbtest"
	"github.com/kassa-pos/kassa/sync/shopify"
	"github.com/kassa-pos/kassa/sync/shopify/shopifytest"
)

// moduleRoot is the repository root, seen from this package's directory.
const moduleRoot = "../.."

// envInt reads a positive integer setting, or def.
func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// envInts reads a comma-separated list of positive integers, or def.
func envInts(name string, def []int) []int {
	var out []int
	for _, f := range strings.Split(os.Getenv(name), ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(f)); err == nil && n > 0 {
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		return def
	}
	return out
}

// buildKassa builds the kassa binary once into the test's temporary directory.
func buildKassa(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "kassa")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/kassa")
	cmd.Dir = moduleRoot
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build kassa: %v\n%s", err, out)
	}
	return bin
}

// freeAddr returns a loopback address no one listens on right now.
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// process is a kassa subprocess.
type process struct {
	cmd *exec.Cmd
	url string
	// exited is closed once the process has ended; err is then how.
	exited chan struct{}
	err    error
}

// startProcess runs bin with args and env, and waits until GET url+ready answers 200.
func startProcess(t testing.TB, bin string, env []string, url, ready string, args ...string) *process {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	logf, err := os.Create(filepath.Join(t.TempDir(), "process.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, url: url, exited: make(chan struct{})}
	go func() { p.err = cmd.Wait(); logf.Close(); close(p.exited) }()
	t.Cleanup(func() { p.stop() })
	deadline := time.Now().Add(5 * time.Minute)
	for {
		resp, err := http.Get(url + ready)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		select {
		case <-p.exited:
			out, _ := os.ReadFile(logf.Name())
			t.Fatalf("%s %v exited before it was ready: %v\n%s", bin, args, p.err, out)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s %v was not ready after 5 minutes", bin, args)
		}
	}
}

// stop ends the process with SIGTERM (SIGKILL after 10 s) and waits for it.
func (p *process) stop() {
	select {
	case <-p.exited:
		return
	default:
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		<-p.exited
	}
}

// simProcess serves a generated shop of n orders (no rate limit) from a kassa
// shopify-sim subprocess, so that the simulator's memory and CPU are not the daemon's.
func simProcess(t testing.TB, bin string, n int) *process {
	t.Helper()
	addr := freeAddr(t)
	return startProcess(t, bin, nil, "http://"+addr, "/_sim/stats", "shopify-sim", "--addr", addr,
		"--generate", strconv.Itoa(n), "--days", "55", "--seed", "1", "--plan", "off")
}

// serveProcess runs kassa serve on the database at dbURL.
func serveProcess(t testing.TB, bin, dbURL string) *process {
	t.Helper()
	addr := freeAddr(t)
	return startProcess(t, bin, []string{"DATABASE_URL=" + dbURL}, "http://"+addr, "/healthz",
		"serve", "--addr", addr, "--log-level", "warn")
}

// connectShop adds an outlet, a register and a connection to the shop served at simURL.
func connectShop(t testing.TB, db *sqlx.DB, simURL string) (dbtest.Shop, shopify.Connection) {
	t.Helper()
	ids := dbtest.NewShop(t, db, "Gent", "Front")
	conn, err := shopify.ConnectionStore{}.Connect(context.Background(), db, shopify.ConnectParams{
		Shop: "demo.myshopify.com", AccessToken: shopifytest.DefaultToken, WebhookSecret: shopifytest.DefaultSecret,
		BaseURL: simURL, OutletID: ids.OutletID, RegisterID: ids.RegisterID, AutoUpdate: false,
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids, conn
}

// importTables are the tables an import writes, in an order COPY can load them in.
var importTables = []string{
	"products", "product_external_ids", "customers", "customer_external_ids", "sales", "sale_external_ids",
	"sale_lines", "sale_line_taxes", "payments", "stock_movements", "stock_levels", "import_runs", "import_outcomes",
}

// psql runs a psql script against url.
func psql(t testing.TB, url, script string) {
	t.Helper()
	cmd := exec.Command("psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", url)
	cmd.Stdin = strings.NewReader(script)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("psql: %v\n%s", err, out)
	}
}

// copyBound dumps every row an import wrote into src (untimed) and times loading them
// with COPY alone into a fresh database, triggers and foreign keys off
// (session_replication_role = replica), in one transaction: the fastest PostgreSQL takes
// the same data on this machine.
func copyBound(t testing.TB, src *sqlx.DB, srcURL string) time.Duration {
	t.Helper()
	dir := t.TempDir()
	var dump, load strings.Builder
	load.WriteString("SET session_replication_role = replica;\nBEGIN;\n")
	for _, name := range importTables {
		var cols []string
		err := src.Select(&cols, `SELECT quote_ident(column_name) FROM information_schema.columns
			WHERE table_schema = 'public' AND table_name = $1 AND is_generated = 'NEVER' ORDER BY ordinal_position`, name)
		if err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(dir, name+".copy")
		list := strings.Join(cols, ", ")
		fmt.Fprintf(&dump, "\\copy (SELECT %s FROM %s) TO '%s'\n", list, name, file)
		fmt.Fprintf(&load, "\\copy %s (%s) FROM '%s'\n", name, list, file)
	}
	load.WriteString("COMMIT;\n")
	psql(t, srcURL, dump.String())
	_, dstURL := dbtest.NewWithURL(t)
	start := time.Now()
	psql(t, dstURL, load.String())
	return time.Since(start)
}
