package main

import (
	"context"
	"strings"
	"testing"

	"github.com/kassa-pos/kassa/internal/dbtest"
	"github.com/kassa-pos/kassa/migrations"
)

func TestSKUsAreCaseInsensitive(t *testing.T) {
	t.Parallel()
	db, url := dbtest.NewWithURL(t)
	ok(t, url, "outlet", "add", "Gent", "--timezone", "Europe/Brussels", "--currency", "EUR")
	ok(t, url, "product", "add", "Espresso cup", "--sku", "CUP-ESP", "--price", "12.50")
	if out := ok(t, url, "stock", "adjust", "--sku", "cup-esp", "--delta", "4"); out != "CUP-ESP: 4 on hand\n" {
		t.Errorf("stock adjust --sku cup-esp said %q, want the product CUP-ESP", out)
	}
	fails(t, db, url, `SKU "Cup-Esp": a product with this SKU already exists`, "product", "add", "Other cup", "--sku", "Cup-Esp", "--price", "3.00")
	// The database refuses it too, whoever writes.
	if _, err := db.Exec(`INSERT INTO products (sku, name, price) VALUES ('cup-ESP', 'x', 1)`); err == nil {
		t.Error("the database took a SKU that differs from another only by case")
	}
}

func TestStockListShowsVariantTitles(t *testing.T) {
	t.Parallel()
	_, url := dbtest.NewWithURL(t)
	ok(t, url, "outlet", "add", "Gent", "--timezone", "Europe/Brussels", "--currency", "EUR")
	ok(t, url, "product", "add", "T-shirt", "--sku", "TS-S", "--variant", "Small / Blue", "--price", "20")
	ok(t, url, "product", "add", "T-shirt", "--sku", "TS-L", "--variant", "Large / Blue", "--price", "20")
	out := ok(t, url, "stock", "list")
	for _, want := range []string{"T-shirt - Small / Blue", "T-shirt - Large / Blue"} {
		if !strings.Contains(out, want) {
			t.Errorf("stock list does not show %q:\n%s", want, out)
		}
	}
	var rows []map[string]any
	mustJSON(t, ok(t, url, "stock", "list", "--json"), &rows)
	if len(rows) != 2 || rows[0]["variant_title"] != "Large / Blue" || rows[0]["name"] != "T-shirt" {
		t.Errorf("stock list --json %v", rows)
	}
}

func TestListLimitsAreChecked(t *testing.T) {
	t.Parallel()
	db, url := dbtest.NewWithURL(t)
	dbtest.NewShop(t, db, "Gent", "Till")
	for _, bad := range []string{"0", "501", "-1"} {
		fails(t, db, url, "--limit is how many sales to list, from 1 to 500, not "+bad, "sales", "list", "--limit", bad)
	}
	fails(t, db, url, "--offset is how many sales to skip, 0 or more, not -5", "sales", "list", "--offset", "-5")
	fails(t, db, url, "--limit is how many runs to list, from 1 to 500, not 0", "imports", "list", "--limit", "0")
	ok(t, url, "sales", "list", "--limit", "500")
	ok(t, url, "sales", "list", "--limit", "1")
}

// TestMigrationRefusesSKUsThatDifferOnlyByCase: migration 12 makes SKUs case-insensitive;
// a catalogue with "abc" and "ABC" stops it with a message that names them, and the
// schema stays as it was until they are told apart.
func TestMigrationRefusesSKUsThatDifferOnlyByCase(t *testing.T) {
	t.Parallel()
	url := dbtest.Empty(t)
	db := connectURL(t, url)
	ok(t, url, "migrate", "up")
	for v := int64(-1); v != 12; {
		var err error
		if v, err = migrations.Down(context.Background(), db.DB); err != nil || v < 12 {
			t.Fatalf("down: %d, %v", v, err)
		}
	}
	before, _, err := migrations.Versions(context.Background(), db.DB)
	if err != nil {
		t.Fatal(err)
	}
	for _, sku := range []string{"MUG-1", "mug-1", "PEN"} {
		if _, err := db.Exec(`INSERT INTO products (sku, name, price) VALUES ($1, 'x', 1)`, sku); err != nil {
			t.Fatal(err)
		}
	}
	code, _, errOut := kassa(t, url, "migrate", "up")
	if code == 0 || !strings.Contains(errOut, "SKUs differ only by upper and lower case: 'MUG-1', 'mug-1' (products 1, 2)") ||
		!strings.Contains(errOut, "give each of these products a SKU of its own") || strings.Contains(errOut, "PEN") {
		t.Fatalf("migrate up with clashing SKUs: exit %d, %q", code, errOut)
	}
	t.Log(errOut)
	if current, _, err := migrations.Versions(context.Background(), db.DB); err != nil || current != before {
		t.Fatalf("schema version %d after the refused migration (%v), want %d", current, err, before)
	}
	if _, err := db.Exec(`UPDATE products SET sku = 'MUG-1B' WHERE sku = 'mug-1'`); err != nil {
		t.Fatal(err)
	}
	ok(t, url, "migrate", "up")
	if out := ok(t, url, "product", "list"); !strings.Contains(out, "MUG-1B") {
		t.Errorf("product list after the migration: %q", out)
	}
}
