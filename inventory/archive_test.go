package inventory_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/kassa-pos/kassa/internal/dbtest"
	"github.com/kassa-pos/kassa/inventory"
)

// outletRows is every outlet as stored, to check that a refused change changed nothing.
func outletRows(t *testing.T, db *sqlx.DB) string {
	t.Helper()
	var rows []string
	if err := db.Select(&rows, `SELECT id || ' ' || name || ' ' || currency || ' ' || coalesce(archived_at::text, 'live') FROM outlets ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	return strings.Join(rows, "\n")
}

func TestRenameOutlet(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	ctx := context.Background()
	st := inventory.Store{}
	gent := dbtest.NewShop(t, db, "Gent", "Front")
	dbtest.NewShop(t, db, "Brugge", "Front")

	before := outletRows(t, db)
	for _, c := range []struct {
		name string
		want error
	}{
		{"brugge", inventory.ErrDuplicateOutlet}, // another live outlet's name, in other case
		{" BRUGGE ", inventory.ErrDuplicateOutlet},
	} {
		if _, err := st.RenameOutlet(ctx, db, gent.OutletID, c.name); !errors.Is(err, c.want) {
			t.Errorf("rename Gent to %q: %v, want %v", c.name, err, c.want)
		}
	}
	if _, err := st.RenameOutlet(ctx, db, gent.OutletID, "  "); err == nil {
		t.Error("rename Gent to a blank name succeeded")
	}
	if after := outletRows(t, db); after != before {
		t.Fatalf("refused renames changed the outlets:\n%s\nwas\n%s", after, before)
	}

	// Its own name in other case is no clash.
	o, err := st.RenameOutlet(ctx, db, gent.OutletID, "GENT")
	if err != nil || o.Name != "GENT" {
		t.Fatalf("rename Gent to GENT: %+v, %v", o, err)
	}
	o, err = st.RenameOutlet(ctx, db, gent.OutletID, " Gent Centrum ")
	if err != nil || o.Name != "Gent Centrum" {
		t.Fatalf("rename to Gent Centrum: %+v, %v", o, err)
	}
	if found, err := st.OutletByName(ctx, db, "gent centrum"); err != nil || found.ID != gent.OutletID {
		t.Fatalf("OutletByName(gent centrum) = %+v, %v: names are found whatever the case", found, err)
	}
	if _, err := st.OutletByName(ctx, db, "Gent"); !errors.Is(err, inventory.ErrNotFound) {
		t.Fatalf("the old name still finds the outlet: %v", err)
	}
}

func TestArchiveOutlet(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	ctx := context.Background()
	at := time.Date(2026, 12, 1, 18, 0, 0, 0, time.UTC)
	st := inventory.Store{Clock: func() time.Time { return at }}
	gent := dbtest.NewShop(t, db, "Gent", "Front")
	brugge := dbtest.NewShop(t, db, "Brugge", "Till")

	// A live register keeps it.
	before := outletRows(t, db)
	_, err := st.ArchiveOutlet(ctx, db, gent.OutletID)
	if !errors.Is(err, inventory.ErrOutletInUse) || !strings.Contains(err.Error(), `outlet "Gent" still has the registers Front`) ||
		!strings.Contains(err.Error(), "kassa register archive") {
		t.Fatalf("archive Gent with a live register: %v", err)
	}
	if after := outletRows(t, db); after != before {
		t.Fatalf("the refused archive changed the outlets:\n%s", after)
	}

	// So does an enabled Shopify connection that imports into it.
	var product int64
	if err := db.Get(&product, `INSERT INTO products (sku, name, price, tracks_stock) VALUES ('SHIP', 'Shipping', 0, false) RETURNING id`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE registers SET archived_at = now() WHERE id = $1`, gent.RegisterID); err != nil {
		t.Fatal(err)
	}
	var conn int64
	err = db.Get(&conn, `INSERT INTO shopify_connections (shop, access_token, webhook_secret, outlet_id, register_id, shipping_product_id)
		VALUES ('gent.myshopify.com', 't', 's', $1, $2, $3) RETURNING id`, gent.OutletID, brugge.RegisterID, product)
	if err != nil {
		t.Fatal(err)
	}
	_, err = st.ArchiveOutlet(ctx, db, gent.OutletID)
	if !errors.Is(err, inventory.ErrOutletInUse) || !strings.Contains(err.Error(), "gent.myshopify.com") ||
		!strings.Contains(err.Error(), "kassa shopify disconnect") {
		t.Fatalf("archive Gent with an enabled Shopify connection: %v", err)
	}
	if after := outletRows(t, db); after != before {
		t.Fatalf("the refused archive changed the outlets:\n%s", after)
	}

	// Disconnected, it goes.
	if _, err := db.Exec(`UPDATE shopify_connections SET enabled = false WHERE id = $1`, conn); err != nil {
		t.Fatal(err)
	}
	o, err := st.ArchiveOutlet(ctx, db, gent.OutletID)
	if err != nil || !o.Archived() || !o.ArchivedAt.Equal(at) {
		t.Fatalf("archive Gent: %+v, %v", o, err)
	}
	if _, err := st.ArchiveOutlet(ctx, db, gent.OutletID); !errors.Is(err, inventory.ErrArchived) {
		t.Errorf("archive Gent twice: %v", err)
	}
	if _, err := st.RenameOutlet(ctx, db, gent.OutletID, "Gent oud"); !errors.Is(err, inventory.ErrArchived) {
		t.Errorf("rename the archived Gent: %v", err)
	}

	// It leaves the list; its name is free again, and found for the live outlet first.
	list, err := st.Outlets(ctx, db)
	if err != nil || len(list) != 1 || list[0].Name != "Brugge" {
		t.Fatalf("outlets after archiving Gent: %+v, %v", list, err)
	}
	if o, err := st.OutletByName(ctx, db, "gent"); err != nil || o.ID != gent.OutletID || !o.Archived() {
		t.Fatalf("the archived Gent by name (its history can still be read): %+v, %v", o, err)
	}
	again, err := st.CreateOutlet(ctx, db, "GENT", "Europe/Brussels", "eur")
	if err != nil {
		t.Fatalf("a new outlet named like the archived one: %v", err)
	}
	if o, err := st.OutletByName(ctx, db, "Gent"); err != nil || o.ID != again.ID {
		t.Fatalf("OutletByName(Gent) = %+v, %v, want the live one", o, err)
	}

	// The database holds the rules without Go: no register is added to an archived outlet,
	// no enabled connection names it, and it cannot be archived with a live register.
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO registers (outlet_id, name) VALUES ($1, 'New')`, []any{gent.OutletID}},
		{`UPDATE shopify_connections SET enabled = true WHERE id = $1`, []any{conn}},
		{`UPDATE outlets SET archived_at = now() WHERE id = $1`, []any{brugge.OutletID}},
	} {
		if _, err := db.Exec(q.sql, q.args...); err == nil {
			t.Errorf("the database accepted %s", q.sql)
		}
	}
}
