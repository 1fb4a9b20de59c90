package perf

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/kassa-pos/kassa/internal/dbtest"
	"github.com/kassa-pos/kassa/internal/proctest"
	"github.com/kassa-pos/kassa/sync/shopify"
	"github.com/kassa-pos/kassa/sync/shopifysim"
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

// startProcess runs bin with args and env, and waits until GET url+ready answers 200.
func startProcess(t testing.TB, bin string, env []string, url, ready string, args ...string) *proctest.Process {
	t.Helper()
	p := proctest.Start(t, bin, env, args...)
	p.URL = url
	p.WaitReady(t, ready, 5*time.Minute)
	return p
}

// simProcess serves a generated shop of n orders (no rate limit) from a kassa
// shopify-sim subprocess, so that the simulator's memory and CPU are not the daemon's.
func simProcess(t testing.TB, bin string, n int) *proctest.Process {
	t.Helper()
	addr := proctest.FreeAddr(t)
	return startProcess(t, bin, nil, "http://"+addr, "/_sim/stats", "shopify-sim", "--addr", addr,
		"--generate", strconv.Itoa(n), "--days", "55", "--seed", "1", "--plan", "off")
}

// serveProcess runs kassa serve on the database at dbURL.
func serveProcess(t testing.TB, bin, dbURL string) *proctest.Process {
	t.Helper()
	addr := proctest.FreeAddr(t)
	return startProcess(t, bin, []string{"DATABASE_URL=" + dbURL}, "http://"+addr, "/healthz",
		"serve", "--addr", addr, "--log-level", "warn")
}

// connectShop adds an outlet, a register and a connection to the shop served at simURL,
// reading orders through api (shopify.OrderAPIREST or shopify.OrderAPIGraphQL).
func connectShop(t testing.TB, db *sqlx.DB, simURL, api string) (dbtest.Shop, shopify.Connection) {
	t.Helper()
	ids := dbtest.NewShop(t, db, "Gent", "Front")
	conn, err := shopify.ConnectionStore{Secrets: dbtest.Secrets()}.Connect(context.Background(), db, shopify.ConnectParams{
		Shop: "demo.myshopify.com", AccessToken: shopifysim.DefaultToken, WebhookSecret: shopifysim.DefaultSecret,
		BaseURL: simURL, OutletID: ids.OutletID, RegisterID: ids.RegisterID, AutoUpdate: false, OrderAPI: api,
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids, conn
}

// importTables are the tables an import writes, in an order COPY can load them in.
var importTables = []string{
	"products", "product_external_ids", "customers", "customer_external_ids", "sales", "sale_external_ids",
	"sale_lines", "payments", "stock_movements", "stock_levels", "import_runs", "import_order_json", "import_outcomes",
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
