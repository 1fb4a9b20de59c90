package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/kassa-pos/kassa/internal/dbtest"
)

// kassa runs one command line in-process against the database at url and returns its
// exit code, stdout and stderr. Every command line of a test's database uses one secret
// key file of its own.
func kassa(t *testing.T, url string, args ...string) (int, string, string) {
	t.Helper()
	return kassaEnv(t, map[string]string{"DATABASE_URL": url, "KASSA_SECRET_KEY_FILE": testKeyFile(t, url)}, args...)
}

// testKeyFiles maps a test database's URL to the secret key file its commands use.
var testKeyFiles sync.Map

func testKeyFile(t *testing.T, url string) string {
	if url == "" {
		return ""
	}
	if p, ok := testKeyFiles.Load(url); ok {
		return p.(string)
	}
	p, _ := testKeyFiles.LoadOrStore(url, filepath.Join(t.TempDir(), "kassa", "secret.key"))
	return p.(string)
}

// kassaEnv runs one command line in-process with exactly the environment env.
func kassaEnv(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	code := run(ctx, args, &out, &errOut, func(k string) string { return env[k] })
	return code, out.String(), errOut.String()
}

// ok runs a command that must succeed and returns its stdout.
func ok(t *testing.T, url string, args ...string) string {
	t.Helper()
	code, out, errOut := kassa(t, url, args...)
	if code != 0 {
		t.Fatalf("kassa %s: exit %d: %s", strings.Join(args, " "), code, errOut)
	}
	return out
}

// fails runs a command that must fail with one line on stderr containing want, and
// checks that the database did not change.
func fails(t *testing.T, db *sqlx.DB, url, want string, args ...string) {
	t.Helper()
	before := dbtest.Counts(t, db)
	code, out, errOut := kassa(t, url, args...)
	if code == 0 {
		t.Fatalf("kassa %s succeeded (%q), want an error", strings.Join(args, " "), out)
	}
	if lines := strings.Count(strings.TrimRight(errOut, "\n"), "\n") + 1; lines != 1 || !strings.HasPrefix(errOut, "kassa: ") {
		t.Errorf("kassa %s: stderr %q, want one line starting with 'kassa: '", strings.Join(args, " "), errOut)
	}
	if !strings.Contains(errOut, want) {
		t.Errorf("kassa %s: stderr %q, want it to say %q", strings.Join(args, " "), errOut, want)
	}
	dbtest.Unchanged(t, db, before)
}

func TestMigrateUpTwiceAndStatus(t *testing.T) {
	t.Parallel()
	url := dbtest.Empty(t)
	fails(t, connectURL(t, url), url, "run 'kassa migrate up'", "outlet", "list")
	if out := ok(t, url, "migrate", "up"); !strings.Contains(out, "applied") {
		t.Fatalf("first migrate up: %q", out)
	}
	db := connectURL(t, url)
	before := dbtest.Counts(t, db)
	if out := ok(t, url, "migrate", "up"); !strings.Contains(out, "schema is current") {
		t.Fatalf("second migrate up: %q", out)
	}
	dbtest.Unchanged(t, db, before)
	var st struct {
		Version, Latest int64
		Migrations      []struct{ Applied bool }
	}
	if err := json.Unmarshal([]byte(ok(t, url, "migrate", "status", "--json")), &st); err != nil {
		t.Fatal(err)
	}
	if st.Version == 0 || st.Version != st.Latest || len(st.Migrations) == 0 {
		t.Fatalf("status %+v", st)
	}
	if out := ok(t, url, "migrate", "status"); !strings.Contains(out, "(current)") {
		t.Fatalf("status text %q", out)
	}
	ok(t, url, "migrate", "down")
	if out := ok(t, url, "migrate", "status"); !strings.Contains(out, "run 'kassa migrate up'") {
		t.Fatalf("status after down: %q", out)
	}
}

func TestMigrateUpCreatesTheDatabase(t *testing.T) {
	t.Parallel()
	url := dbtest.Empty(t)
	admin := connectURL(t, dbtest.AdminURL())
	name := url[strings.LastIndex(url, "/")+1:]
	if i := strings.Index(name, "?"); i >= 0 {
		name = name[:i]
	}
	if _, err := admin.Exec("DROP DATABASE " + name); err != nil {
		t.Fatal(err)
	}
	if out := ok(t, url, "migrate", "up"); !strings.Contains(out, "created the database") || !strings.Contains(out, "applied") {
		t.Fatalf("migrate up on a missing database: %q", out)
	}
	ok(t, url, "outlet", "list")
}

func connectURL(t *testing.T, url string) *sqlx.DB {
	t.Helper()
	db, err := sqlx.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestCatalogCommandsAndTheirErrors(t *testing.T) {
	t.Parallel()
	db, url := dbtest.NewWithURL(t)
	fails(t, db, url, "no outlet yet", "register", "add", "Till")
	ok(t, url, "outlet", "add", "Gent", "--timezone", "Europe/Brussels", "--currency", "EUR")
	fails(t, db, url, "already exists", "outlet", "add", "Gent", "--timezone", "Europe/Brussels", "--currency", "EUR")
	fails(t, db, url, `time zone "Europe/Gent": not a known IANA time zone`, "outlet", "add", "Brugge", "--timezone", "Europe/Gent", "--currency", "EUR")
	fails(t, db, url, "ISO 4217", "outlet", "add", "Brugge", "--timezone", "Europe/Brussels", "--currency", "euro")
	fails(t, db, url, "needs --timezone and --currency", "outlet", "add", "Brugge")
	fails(t, db, url, `outlet "Brugge": not found`, "register", "add", "Till", "--outlet", "Brugge")
	ok(t, url, "register", "add", "Till", "--outlet", "Gent")
	fails(t, db, url, "already exists", "register", "add", "Till", "--outlet", "Gent")

	ok(t, url, "product", "add", "Espresso cup", "--sku", "CUP", "--price", "12.50")
	fails(t, db, url, `SKU "CUP": a product with this SKU already exists`, "product", "add", "Other cup", "--sku", "CUP", "--price", "3.00")
	fails(t, db, url, `"12,5" is not a valid amount`, "product", "add", "Pen", "--sku", "PEN", "--price", "12,5")
	fails(t, db, url, `"-3" is not a valid amount`, "product", "add", "Pen", "--sku", "PEN", "--price", "-3")
	fails(t, db, url, `"1.005" is not a valid amount`, "product", "add", "Pen", "--sku", "PEN", "--price", "1.005")
	fails(t, db, url, "needs --price", "product", "add", "Pen")
	fails(t, db, url, "unknown command", "frobnicate")
	fails(t, db, url, "kassa outlet list has no flag --colour", "outlet", "list", "--colour")

	var outlets []map[string]string
	mustJSON(t, ok(t, url, "outlet", "list", "--json"), &outlets)
	if len(outlets) != 1 || outlets[0]["name"] != "Gent" || outlets[0]["timezone"] != "Europe/Brussels" {
		t.Fatalf("outlet list %v", outlets)
	}
	var products []map[string]any
	mustJSON(t, ok(t, url, "product", "list", "--json"), &products)
	if len(products) != 1 || products[0]["price"] != "12.50" || products[0]["published"] != true {
		t.Fatalf("product list %v", products)
	}
	ok(t, url, "stock", "adjust", "--sku", "CUP", "--delta", "5")
	ok(t, url, "stock", "adjust", "--sku", "CUP", "--delta", "-7", "--note", "breakage")
	fails(t, db, url, `product with SKU "NOPE": not found`, "stock", "adjust", "--sku", "NOPE", "--delta", "1")
	var stock []map[string]any
	mustJSON(t, ok(t, url, "stock", "list", "--outlet", "Gent", "--json"), &stock)
	if len(stock) != 1 || stock[0]["sku"] != "CUP" || stock[0]["on_hand"] != float64(-2) || stock[0]["tracks_stock"] != true {
		t.Fatalf("stock list %v", stock)
	}
	for _, key := range []string{"sku", "name", "on_hand", "published", "tracks_stock"} {
		if _, ok := stock[0][key]; !ok {
			t.Errorf("stock row lacks %q", key)
		}
	}
	var regs []map[string]string
	mustJSON(t, ok(t, url, "register", "list", "--json"), &regs)
	if len(regs) != 1 || regs[0]["name"] != "Till" || regs[0]["outlet"] != "Gent" {
		t.Fatalf("register list %v", regs)
	}
}

func TestSalesCommands(t *testing.T) {
	t.Parallel()
	db, url := dbtest.NewWithURL(t)
	shop := dbtest.NewShop(t, db, "Gent", "Till")
	_, err := db.Exec(`
		WITH s AS (
			INSERT INTO sales (outlet_id, register_id, receipt_number, source, sold_at, currency, subtotal, tax_total, total, balance)
			VALUES ($1, $2, '#1001', 'shopify', '2026-11-24T22:30:00Z', 'EUR', 21.00, 3.64, 21.00, 21.00) RETURNING id)
		INSERT INTO sale_lines (sale_id, line_no, kind, title, quantity, unit_price, tax, total)
		SELECT id, 1, 'custom', 'Mug', 1, 21.00, 3.64, 21.00 FROM s`, shop.OutletID, shop.RegisterID)
	if err != nil {
		t.Fatal(err)
	}
	var sale map[string]any
	mustJSON(t, ok(t, url, "sales", "show", "#1001", "--json"), &sale)
	want := map[string]any{"receipt_number": "#1001", "source": "shopify", "outlet": "Gent", "register": "Till",
		"sold_at": "2026-11-24T23:30:00+01:00", "status": "awaiting_payment", "total": "21.00", "tax": "3.64",
		"paid": "0.00", "balance": "21.00", "customer": nil}
	for k, v := range want {
		if sale[k] != v {
			t.Errorf("sales show: %s = %v, want %v", k, sale[k], v)
		}
	}
	if lines, _ := sale["lines"].([]any); len(lines) != 1 {
		t.Errorf("sales show lines: %v", sale["lines"])
	}
	if payments, ok := sale["payments"].([]any); !ok || len(payments) != 0 {
		t.Errorf("sales show payments: %v, want []", sale["payments"])
	}
	var list []map[string]any
	mustJSON(t, ok(t, url, "sales", "list", "--json", "--awaiting-payment"), &list)
	if len(list) != 1 || list[0]["receipt_number"] != "#1001" {
		t.Fatalf("sales list %v", list)
	}
	if _, has := list[0]["lines"]; has {
		t.Error("sales list carries lines")
	}
	mustJSON(t, ok(t, url, "sales", "list", "--json", "--from", "2026-11-25"), &list)
	if len(list) != 0 {
		t.Errorf("sales from 2026-11-25 (local): %v; the sale was on the 24th local time", list)
	}
	mustJSON(t, ok(t, url, "sales", "list", "--json", "--to", "2026-11-24"), &list)
	if len(list) != 1 {
		t.Errorf("sales up to 2026-11-24 inclusive: %v", list)
	}
	fails(t, db, url, "there is no sale #9999", "sales", "show", "#9999")
	fails(t, db, url, "--source must be pos or shopify", "sales", "list", "--source", "web")
	fails(t, db, url, "neither a date", "sales", "list", "--from", "yesterday")
	if out := ok(t, url, "sales", "show", "#1001"); !strings.Contains(out, "awaiting payment") {
		t.Errorf("sales show text: %q", out)
	}
}

func TestVersionAndHelp(t *testing.T) {
	t.Parallel()
	if out := ok(t, "", "version"); !strings.HasPrefix(out, "kassa ") {
		t.Errorf("version: %q", out)
	}
	out := ok(t, "", "--help")
	for _, want := range []string{"migrate", "outlet", "register", "product", "stock", "sales", "DATABASE_URL"} {
		if !strings.Contains(out, want) {
			t.Errorf("--help does not mention %q", want)
		}
	}
}

func mustJSON(t *testing.T, s string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(s), v); err != nil {
		t.Fatalf("not JSON (%v): %q", err, s)
	}
}
