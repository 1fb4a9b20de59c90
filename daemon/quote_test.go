package daemon_test

import (
	"context"
	"net/http"
	"reflect"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/kassa-pos/kassa/daemon"
	"github.com/kassa-pos/kassa/daemon/client"
	"github.com/kassa-pos/kassa/internal/dbtest"
	"github.com/kassa-pos/kassa/inventory"
)

// TestQuoteTellsWhatTheSaleWillBe: a quote prices a cart with the figures the sale then
// records, writes nothing and takes no receipt number (the next sale still gets the first
// one, no gap), and refuses what the sale would refuse.
func TestQuoteTellsWhatTheSaleWillBe(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	ctx := context.Background()
	dbtest.NewShop(t, db, "Gent", "Front")
	rate := decimal.RequireFromString("0.06")
	for _, p := range []inventory.Product{
		{SKU: "CUP", Barcode: "5400000000011", Name: "Espresso cup", Price: decimal.RequireFromString("12.50"), TracksStock: true, Published: true},
		{SKU: "BOOK", Name: "Coffee book", Price: decimal.RequireFromString("20.00"), TaxRate: &rate, Published: true},
	} {
		if _, err := (inventory.Store{}).CreateProduct(ctx, db, p); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Exec(`UPDATE outlets SET default_tax_rate = 0.21`); err != nil {
		t.Fatal(err)
	}
	in := start(t, db, listen(t), fastConfig(), daemon.Deps{Logger: testLogger(t, nil)})
	ann := client.New(in.url, token(t, db, "ann-till", daemon.RoleCashier))
	if _, err := ann.OpenRegister(ctx, "Front", client.OpenRequest{OpeningFloat: "100.00", By: "Ann"}); err != nil {
		t.Fatal(err)
	}
	lines := []client.SellLine{{Code: "5400000000011", Quantity: 2}, {Code: "book", Quantity: 1}}
	before := dbtest.Counts(t, db)

	cart, err := ann.Quote(ctx, "Front", client.SellRequest{Lines: lines, PayLater: true})
	if err != nil {
		t.Fatal(err)
	}
	if cart.Total != "45.00" || cart.Tax != "5.47" || len(cart.Lines) != 2 {
		t.Fatalf("the cart's quote: %+v", cart)
	}
	withCash, err := ann.Quote(ctx, "Front", client.SellRequest{Lines: lines, Payments: []client.Tender{{Type: "Cash", Amount: "50.00"}}})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(withCash, cart) {
		t.Fatalf("a quote with payments %+v differs from the cart's %+v: its payments are ignored", withCash, cart)
	}
	_, err = ann.Quote(ctx, "Front", client.SellRequest{Lines: []client.SellLine{{Code: "NOPE", Quantity: 1}}, PayLater: true})
	if st := client.StatusOf(err); st != http.StatusUnprocessableEntity {
		t.Fatalf("a quote of an unknown code: %v (status %d), want 422", err, st)
	}
	if after := dbtest.Counts(t, db); !reflect.DeepEqual(before, after) {
		t.Fatalf("quotes wrote rows: before %v, after %v", before, after)
	}

	sale, err := ann.Sell(ctx, "Front", client.SellRequest{Lines: lines, Payments: []client.Tender{{Type: "Cash", Amount: "50.00"}}})
	if err != nil {
		t.Fatal(err)
	}
	if sale.ReceiptNumber != "FRONT-000001" || sale.Total != cart.Total || sale.Tax != cart.Tax || sale.Change != "5.00" ||
		!reflect.DeepEqual(sale.Lines, cart.Lines) {
		t.Fatalf("the sale %+v differs from its quote %+v", sale, cart)
	}
}
