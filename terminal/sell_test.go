package terminal_test

import (
	"context"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/kassa-pos/kassa/internal/terminaltest"
	"github.com/kassa-pos/kassa/inventory"
)

// counterProducts gives the world's outlet a 21 % default rate and three products with
// barcodes: cups at 12.50, a book at 19.99 (6 %), chocolate at 3.49 (12 %).
func counterProducts(t *testing.T, w *terminaltest.World) {
	t.Helper()
	ctx := context.Background()
	if _, err := w.DB.Exec(`UPDATE outlets SET default_tax_rate = 0.21 WHERE id = $1`, w.Shop.OutletID); err != nil {
		t.Fatal(err)
	}
	six, twelve := decimal.RequireFromString("0.06"), decimal.RequireFromString("0.12")
	for _, p := range []inventory.Product{
		{SKU: "CUP", Barcode: "5400000000011", Name: "Espresso cup", Price: decimal.RequireFromString("12.50"), TracksStock: true, Published: true},
		{SKU: "BOOK", Barcode: "5400000000028", Name: "Coffee book", Price: decimal.RequireFromString("19.99"), TaxRate: &six, TracksStock: true, Published: true},
		{SKU: "CHOC", Barcode: "5400000000035", Name: "Chocolate", Price: decimal.RequireFromString("3.49"), TaxRate: &twelve, TracksStock: true, Published: true},
	} {
		if _, err := (inventory.Store{}).CreateProduct(ctx, w.DB, p); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSellScreen: scan three items as a scanner types them (codes and Enter, without
// waiting), see the daemon's total, pay cash with change, then return one item.
func TestSellScreen(t *testing.T) {
	t.Parallel()
	w := terminaltest.Start(t, terminaltest.Options{})
	counterProducts(t, w)
	d := newDriver(t, w, w.Cashier)
	d.keys("o", "100.00", "enter", "enter")
	d.expectContains("OPEN")
	d.keys("f5")
	d.expectContains("SELL", "No lines yet.")
	// q and digits are typed into the input, never taken as commands.
	d.press("5400000000011", "enter", "5400000000028", "enter", "5400000000035", "enter")
	d.until("TOTAL 35.98")
	d.expectContains("Espresso cup", "Coffee book", "Chocolate", "3 lines")
	d.keys("NOPE-1", "enter")
	d.expectContains(`no product has the barcode or SKU "NOPE-1"`, "TOTAL 35.98")
	d.expectScreen("sell_cart")
	d.keys("enter")
	d.expectContains("SELL · PAYMENT")
	d.keys("50.00", "enter")
	d.expectContains("Sold FRONT-000001 · total 35.98", "paid Cash 35.98", "CHANGE 14.02", "receipt saved:")
	d.expectScreen("sell_change")
	var change string
	if err := w.DB.Get(&change, `SELECT change_given::text FROM sales WHERE receipt_number = 'FRONT-000001'`); err != nil || change != "14.02" {
		t.Fatalf("the sale's change is %q (%v)", change, err)
	}

	// Return the chocolate, refunded in cash.
	d.keys("ctrl+t")
	d.expectContains("RETURN", "Which sale comes back?")
	d.keys("FRONT-000001", "enter")
	d.expectContains("Return of FRONT-000001")
	d.keys("5400000000035", "enter")
	d.expectContains("back 5400000000035")
	d.keys("enter", "enter")
	d.expectContains("Returned FRONT-000001-R1 for FRONT-000001", "REFUND 3.49")
	var stock int
	if err := w.DB.Get(&stock, `SELECT on_hand FROM stock_levels l JOIN products p ON p.id = l.product_id WHERE p.sku = 'CHOC'`); err != nil || stock != 0 {
		t.Fatalf("chocolate stock %d (%v), want 0: sold one, returned it to stock", stock, err)
	}
}
