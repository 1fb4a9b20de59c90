package inventory_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/kassa-pos/kassa/internal/dbtest"
	"github.com/kassa-pos/kassa/inventory"
)

// TestFindOutlet: an empty name means the only live outlet; a name finds the outlet live
// or archived, and FindLiveOutlet refuses the archived one.
func TestFindOutlet(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	ctx := context.Background()
	st := inventory.Store{}

	if _, err := st.FindOutlet(ctx, db, ""); !errors.Is(err, inventory.ErrNoOutlet) {
		t.Fatalf("no outlet yet: %v, want ErrNoOutlet", err)
	}
	gent := dbtest.NewShop(t, db, "Gent", "Front")
	for _, name := range []string{"", "gent"} {
		if o, err := st.FindLiveOutlet(ctx, db, name); err != nil || o.ID != gent.OutletID {
			t.Fatalf("FindLiveOutlet(%q) with one outlet: %+v, %v", name, o, err)
		}
	}
	brugge := dbtest.NewShop(t, db, "Brugge", "Till")
	if _, err := st.FindOutlet(ctx, db, ""); !errors.Is(err, inventory.ErrOutletNotNamed) {
		t.Fatalf("two outlets, none named: %v, want ErrOutletNotNamed", err)
	}
	if _, err := st.FindOutlet(ctx, db, "Antwerpen"); !errors.Is(err, inventory.ErrNotFound) {
		t.Fatalf("an unknown outlet: %v, want ErrNotFound", err)
	}

	// Brugge archived: Gent is the only live outlet again, and Brugge is still found by
	// name, but not to act in.
	if _, err := db.Exec(`UPDATE registers SET archived_at = now() WHERE id = $1`, brugge.RegisterID); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ArchiveOutlet(ctx, db, brugge.OutletID); err != nil {
		t.Fatal(err)
	}
	if o, err := st.FindOutlet(ctx, db, ""); err != nil || o.ID != gent.OutletID {
		t.Fatalf("FindOutlet(\"\") with Brugge archived: %+v, %v, want Gent", o, err)
	}
	if o, err := st.FindOutlet(ctx, db, "Brugge"); err != nil || o.ID != brugge.OutletID || !o.Archived() {
		t.Fatalf("FindOutlet(Brugge) archived: %+v, %v", o, err)
	}
	_, err := st.FindLiveOutlet(ctx, db, "Brugge")
	if !errors.Is(err, inventory.ErrArchived) || !strings.Contains(err.Error(), `outlet "Brugge" is archived: name a live outlet`) {
		t.Fatalf("FindLiveOutlet(Brugge) archived: %v", err)
	}
}

// TestAdjustStock: a stock-tracked product's stock moves by hand through the ledger; a
// product that does not track stock is refused with nothing written.
func TestAdjustStock(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	ctx := context.Background()
	st := inventory.Store{}
	shop := dbtest.NewShop(t, db, "Gent", "Front")
	for _, p := range []inventory.Product{
		{SKU: "CUP-ESP", Name: "Espresso cup", Price: decimal.RequireFromString("12.50"), TracksStock: true, Published: true, Source: inventory.SourcePOS},
		{SKU: "WRAP", Name: "Gift wrap", Price: decimal.RequireFromString("2.00"), TracksStock: false, Published: true, Source: inventory.SourcePOS},
	} {
		if _, err := st.CreateProduct(ctx, db, p); err != nil {
			t.Fatal(err)
		}
	}

	p, level, err := st.Adjust(ctx, db, inventory.Adjustment{OutletID: shop.OutletID, SKU: "cup-esp", Delta: 24, Note: "delivery"})
	if err != nil || p.SKU != "CUP-ESP" || level != 24 {
		t.Fatalf("adjust cup-esp by 24: %s, %d, %v", p.SKU, level, err)
	}
	if _, level, err = st.Adjust(ctx, db, inventory.Adjustment{OutletID: shop.OutletID, SKU: "CUP-ESP", Delta: -30}); err != nil || level != -6 {
		t.Fatalf("adjust CUP-ESP by -30: %d, %v, want -6 (stock may go negative)", level, err)
	}
	var reasons []string
	if err := db.Select(&reasons, `SELECT reason || ' ' || delta || ' ' || note FROM stock_movements ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	if strings.Join(reasons, ", ") != "adjustment 24 delivery, adjustment -30 " {
		t.Fatalf("the ledger holds %q", reasons)
	}

	before := dbtest.Counts(t, db)
	_, _, err = st.Adjust(ctx, db, inventory.Adjustment{OutletID: shop.OutletID, SKU: "wrap", Delta: 1})
	if !errors.Is(err, inventory.ErrNotTracked) || err.Error() != `product "WRAP" does not track stock` {
		t.Fatalf("adjust WRAP: %v, want it refused: it does not track stock", err)
	}
	_, _, err = st.Adjust(ctx, db, inventory.Adjustment{OutletID: shop.OutletID, SKU: "NOPE", Delta: 1})
	if !errors.Is(err, inventory.ErrNotFound) {
		t.Fatalf("adjust NOPE: %v, want ErrNotFound", err)
	}
	dbtest.Unchanged(t, db, before)
}
