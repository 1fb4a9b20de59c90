package shopify

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kassa-pos/kassa/sync/shopifysim"
	"github.com/kassa-pos/kassa/sync/shopifysim/shopdata"
)

// warehouse is a second location of the simulated shop, besides the primary one.
const warehouse = 65_000_000_002

// TestRestockLocation refunds and cancels an order of a shop with two locations and
// checks that goods Shopify restocked come back into the outlet only when they went back
// to the connection's location (the primary one unless the connection names another), or
// to no location named; the return and the money refunded are recorded either way.
func TestRestockLocation(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		connLoc  int64 // the connection's location; 0 names none
		before   bool  // the change is made before the import
		change   func(f *fixture, o shopdata.Order) error
		mugStock int
		doc      string // the sale's first document, "" for none
	}{
		{
			name: "refund restocked at the primary location", connLoc: shopifysim.DefaultLocationID,
			change:   refundMugAt(shopifysim.DefaultLocationID),
			mugStock: -1, doc: "#1001-R1 return MUG×-1+restock refunded -10.00 owed 0.00",
		},
		{
			name: "refund restocked at another location", connLoc: shopifysim.DefaultLocationID,
			change:   refundMugAt(warehouse),
			mugStock: -2, doc: "#1001-R1 return MUG×-1 refunded -10.00 owed 0.00",
		},
		{
			name: "refund restocked at the location the connection names", connLoc: warehouse,
			change:   refundMugAt(warehouse),
			mugStock: -1, doc: "#1001-R1 return MUG×-1+restock refunded -10.00 owed 0.00",
		},
		{
			name: "refund restocked at no location named", connLoc: shopifysim.DefaultLocationID,
			change: func(f *fixture, o shopdata.Order) error {
				changed := o
				changed.LineItems = append([]shopdata.LineItem(nil), o.LineItems...)
				changed.LineItems[0].CurrentQuantity = 1
				changed.FinancialStatus = "partially_refunded"
				changed.Refunds = []shopdata.Refund{refundOf(901, o.LineItems[0], 1, "return", "10.00", "1.74", "10.00", testNow.Add(-time.Minute))}
				m := shopdata.MustMoney
				changed.CurrentSubtotalPrice, changed.CurrentTotalPrice, changed.CurrentTotalTax = m("28.00"), m("33.00"), m("5.72")
				f.replaceOrder(changed)
				return nil
			},
			mugStock: -1, doc: "#1001-R1 return MUG×-1+restock refunded -10.00 owed 0.00",
		},
		{
			name: "cancellation restocked at the primary location, the connection's", connLoc: shopifysim.DefaultLocationID,
			change: func(f *fixture, o shopdata.Order) error {
				_, err := f.srv.CancelOrder(o.ID, true, "customer")
				return err
			},
			mugStock: 0, doc: "#1001-R1 return MUG×-2+restock PLATE×-1+restock shipping -5.00 refunded -43.00 owed 0.00",
		},
		{
			name: "cancellation restocked at the primary location, not the connection's", connLoc: warehouse,
			change: func(f *fixture, o shopdata.Order) error {
				_, err := f.srv.CancelOrder(o.ID, true, "customer")
				return err
			},
			mugStock: -2, doc: "#1001-R1 return MUG×-2 PLATE×-1 shipping -5.00 refunded -43.00 owed 0.00",
		},
		{
			name: "refund restocked at another location before the import", connLoc: shopifysim.DefaultLocationID, before: true,
			change:   refundMugAt(warehouse),
			mugStock: -2,
		},
		{
			name: "refund restocked at the primary location before the import", connLoc: shopifysim.DefaultLocationID, before: true,
			change:   refundMugAt(shopifysim.DefaultLocationID),
			mugStock: -1,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			var minutes atomic.Int64
			f := newFixture(t, fixtureOptions{sim: shopifysim.Options{
				Clock: func() time.Time { return testNow.Add(time.Duration(minutes.Add(1)) * time.Minute) },
				Locations: []shopifysim.Location{
					{ID: shopifysim.DefaultLocationID, Name: "Main store", Active: true},
					{ID: warehouse, Name: "Warehouse", Active: true},
				},
			}})
			if tc.connLoc != 0 {
				if _, err := f.db.Exec(`UPDATE shopify_connections SET location_id = $1 WHERE id = $2`, tc.connLoc, f.conn.ID); err != nil {
					t.Fatal(err)
				}
			}
			o := mugsAndPlate(testNow.Add(-3 * time.Hour))
			if err := f.srv.AddOrders(o); err != nil {
				t.Fatal(err)
			}
			if tc.before {
				if err := tc.change(f, o); err != nil {
					t.Fatal(err)
				}
			}
			if sum := f.run(ModeAll); sum.Outcomes.Imported != 1 {
				t.Fatalf("import %+v", sum)
			}
			if !tc.before {
				if err := tc.change(f, o); err != nil {
					t.Fatal(err)
				}
				for i, want := range []Outcome{Updated, AlreadyImported} {
					sum := f.run(ModeAll)
					rows, err := RunLog{}.Outcomes(ctx, f.db, sum.RunID, "")
					if err != nil || len(rows) != 1 || rows[0].Outcome != want {
						t.Fatalf("run %d: outcomes %+v (%v), want %s", i+1, rows, err, want)
					}
				}
			}
			s := mustSale(t, f, "#1001")
			docs := documents(t, f, s.ID)
			if got := strings.Join(docs, "\n"); tc.doc != "" && (len(docs) == 0 || docs[0] != tc.doc) || tc.doc == "" && got != "" {
				t.Errorf("documents\n%s\nwant first\n%s", got, tc.doc)
			}
			if got := f.stock()["MUG"]; got != tc.mugStock {
				t.Errorf("stock of MUG %d, want %d", got, tc.mugStock)
			}
		})
	}
}

// refundMugAt refunds one mug in the simulated shop, restocked at location loc.
func refundMugAt(loc int64) func(f *fixture, o shopdata.Order) error {
	return func(f *fixture, o shopdata.Order) error {
		_, err := f.srv.RefundOrder(o.ID, shopifysim.RefundRequest{Lines: []shopifysim.RefundLine{
			{LineItemID: o.LineItems[0].ID, Quantity: 1, RestockType: "return", LocationID: loc}}})
		return err
	}
}
