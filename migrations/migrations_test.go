package migrations_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/kassa-pos/kassa/internal/dbtest"
	"github.com/kassa-pos/kassa/migrations"
	"github.com/kassa-pos/kassa/sync/shopify"
)

// TestImportLogJSONMovesIntoFramesAndBack logs orders as migration 9 kept them (text in
// import_outcomes.raw), migrates up and reads every order back from its frame, then
// migrates down and finds the text again.
func TestImportLogJSONMovesIntoFramesAndBack(t *testing.T) {
	ctx := context.Background()
	db, err := sqlx.Open("postgres", dbtest.Empty(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := migrations.Up(ctx, db.DB); err != nil {
		t.Fatal(err)
	}
	downThrough(t, db, 10)

	// Three runs of two shops, more rows than one chunk of the move, the runs interleaved.
	shop := dbtest.NewShop(t, db, "Gent", "Front")
	var product int64
	if err := db.Get(&product, `INSERT INTO products (sku, name, price, tracks_stock) VALUES ('SHIP', 'Shipping', 0, false) RETURNING id`); err != nil {
		t.Fatal(err)
	}
	var runs []int64
	for i, name := range []string{"one", "two", "two"} {
		var conn, run int64
		err := db.Get(&conn, `
			INSERT INTO shopify_connections (shop, access_token, webhook_secret, outlet_id, register_id, shipping_product_id)
			VALUES ($1, 't', 's', $2, $3, $4) ON CONFLICT (shop) DO UPDATE SET updated_at = now() RETURNING id`,
			name+".myshopify.com", shop.OutletID, shop.RegisterID, product)
		if err == nil {
			err = db.Get(&run, `INSERT INTO import_runs (connection_id, mode, trigger, started_at) VALUES ($1, 'all', 'cli', now()) RETURNING id`, conn)
		}
		if err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
		runs = append(runs, run)
	}
	want := map[int64]*string{} // outcome id → its text (nil: none kept)
	for i := range 1300 {
		run := runs[i%len(runs)]
		var raw *string
		switch {
		case i%97 == 5:
			// already_imported: no JSON
		case i%89 == 7:
			s := ""
			raw = &s
		default:
			s := fmt.Sprintf(`{"id":%d,"name":"#%d","note":"Grüße, 東京 %s"}`, 9000+i, 1000+i, strings.Repeat("x", i%300))
			raw = &s
		}
		var id int64
		if err := db.Get(&id, `
			INSERT INTO import_outcomes (run_id, connection_id, shopify_order_id, order_name, outcome, raw)
			SELECT $1, connection_id, $2, $3, 'imported', $4 FROM import_runs WHERE id = $1 RETURNING id`,
			run, 9000+i, fmt.Sprintf("#%d", 1000+i), raw); err != nil {
			t.Fatal(err)
		}
		want[id] = raw
	}

	if _, err := migrations.Up(ctx, db.DB); err != nil {
		t.Fatalf("up: %v", err)
	}
	var frames int
	if err := db.Get(&frames, `SELECT count(*) FROM import_order_json`); err != nil || frames == 0 || frames > 1300/100 {
		t.Errorf("%d frames (%v) for 1300 orders", frames, err)
	}
	var strays int
	if err := db.Get(&strays, `SELECT count(*) FROM import_outcomes o JOIN import_order_json j ON j.id = o.json_id WHERE j.run_id <> o.run_id`); err != nil || strays != 0 {
		t.Errorf("%d rows point at another run's frame (%v)", strays, err)
	}
	for id, raw := range want {
		got, err := shopify.RunLog{}.RawOrder(ctx, db, id)
		switch {
		case raw == nil || *raw == "":
			if !errors.Is(err, shopify.ErrNotFound) {
				t.Errorf("row %d kept no JSON, reads %q, %v", id, got, err)
			}
		case err != nil:
			t.Fatalf("row %d: %v", id, err)
		case string(got) != *raw:
			t.Errorf("row %d reads %q, want %q", id, got, *raw)
		}
	}

	downThrough(t, db, 10)
	var rows []struct {
		ID  int64   `db:"id"`
		Raw *string `db:"raw"`
	}
	if err := db.Select(&rows, `SELECT id, raw FROM import_outcomes`); err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		w := want[r.ID]
		if w != nil && *w == "" {
			w = nil // an empty text was no JSON
		}
		if (r.Raw == nil) != (w == nil) || (w != nil && *r.Raw != *w) {
			t.Errorf("row %d after down: %v, want %v", r.ID, r.Raw, w)
		}
	}
	var tables int
	if err := db.Get(&tables, `SELECT count(*) FROM pg_class WHERE relname = 'import_order_json'`); err != nil || tables != 0 {
		t.Errorf("import_order_json is still there after down (%v)", err)
	}
}

// downThrough rolls migrations back, newest first, until version has been rolled back.
func downThrough(t *testing.T, db *sqlx.DB, version int64) {
	t.Helper()
	for {
		v, err := migrations.Down(context.Background(), db.DB)
		if err != nil || v == 0 || v < version {
			t.Fatalf("down to %d: version %d rolled back (%v)", version, v, err)
		}
		if v == version {
			return
		}
	}
}
