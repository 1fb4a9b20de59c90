package shopify

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/kassa-pos/kassa/sync/shopify/shopifyapi"
	"github.com/kassa-pos/kassa/sync/shopifysim/shopdata"
)

// corruptions turn a good order (as a JSON object) into a bad one.
var corruptions = []struct {
	name string
	fn   func(o map[string]any)
}{
	{"quantity negative", func(o map[string]any) { item(o)["quantity"] = -3 }},
	{"quantity huge", func(o map[string]any) { item(o)["quantity"] = 1e12 }},
	{"price not a number", func(o map[string]any) { item(o)["price"] = "twelve" }},
	{"price negative", func(o map[string]any) { item(o)["price"] = "-5.00" }},
	{"price with many decimals", func(o map[string]any) { item(o)["price"] = "1.005" }},
	{"price exponent", func(o map[string]any) { item(o)["price"] = "1e999999" }},
	{"discount above the line", func(o map[string]any) {
		item(o)["total_discount"] = "100000.00"
		item(o)["discount_allocations"] = []any{map[string]any{"amount": "100000.00", "discount_application_index": 0}}
	}},
	{"tax rate absurd", func(o map[string]any) {
		item(o)["tax_lines"] = []any{map[string]any{"price": "1.00", "rate": 5000, "title": "X"}}
	}},
	{"line items a string", func(o map[string]any) { o["line_items"] = "lots" }},
	{"no line items", func(o map[string]any) { o["line_items"] = []any{} }},
	{"shipping lines an object", func(o map[string]any) { o["shipping_lines"] = map[string]any{"title": "x"} }},
	{"shipping discount above price", func(o map[string]any) {
		s := o["shipping_lines"].([]any)[0].(map[string]any)
		s["discount_allocations"] = []any{map[string]any{"amount": "999.00"}}
	}},
	{"id a word", func(o map[string]any) { o["id"] = "abc" }},
	{"id missing", func(o map[string]any) { delete(o, "id") }},
	{"name empty", func(o map[string]any) { o["name"] = "" }},
	{"name with NUL and bad bytes", func(o map[string]any) { o["name"] = "#9\x00\xff" }},
	{"created_at garbage", func(o map[string]any) { o["created_at"] = "yesterday"; o["processed_at"] = nil }},
	{"total_outstanding above total", func(o map[string]any) { o["total_outstanding"] = "100000.00" }},
	{"customer a number", func(o map[string]any) { o["customer"] = 12 }},
	{"email invalid utf-8", func(o map[string]any) { o["email"] = "a\xffb@example.com"; delete(o, "customer") }},
	{"total_price missing", func(o map[string]any) { delete(o, "total_price") }},
	{"variant id negative", func(o map[string]any) { item(o)["variant_id"] = -7 }},
	{"sku very long", func(o map[string]any) { item(o)["sku"] = strings.Repeat("S", 5000) }},
}

func item(o map[string]any) map[string]any { return o["line_items"].([]any)[0].(map[string]any) }

// TestCorruptedOrdersNeverWriteHalfASale feeds corrupted orders, alone and mixed with good
// ones in one page, and checks that nothing panics, every order gets one outcome and every
// sale in the database is whole.
func TestCorruptedOrdersNeverWriteHalfASale(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})
	gen := shopdata.NewGenerator(shopdata.GenerateOptions{Seed: 5, Orders: 120, Days: 20, Now: testNow})
	var good []json.RawMessage
	for _, o := range gen.Orders() {
		if o.CancelledAt == nil && !o.Test && len(o.ShippingLines) > 0 && len(o.LineItems) > 0 {
			good = append(good, orderJSON(t, o))
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var page []shopifyapi.Order
	for i, raw := range good {
		b := raw
		if i%2 == 0 {
			var m map[string]any
			if err := json.Unmarshal(raw, &m); err != nil {
				t.Fatal(err)
			}
			c := corruptions[(i/2)%len(corruptions)]
			c.fn(m)
			var err error
			if b, err = json.Marshal(m); err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
		}
		if i%11 == 5 {
			// A lone UTF-16 surrogate: valid for Go's JSON, refused by PostgreSQL's jsonb.
			b = []byte(strings.Replace(string(b), `{"id":`, `{"note":"\ud800 and NUL \u0000","id":`, 1))
		}
		if i%7 == 3 {
			// Cut the JSON short, as a dropped connection would.
			b = b[:rng.IntN(len(b))]
		}
		o, err := shopifyapi.DecodeOrder(b)
		if err != nil {
			o.DecodeErr = err
		}
		page = append(page, o)
	}
	sum, err := f.im.ImportOrders(context.Background(), f.conn.ID, page, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Seen != len(page) || sum.Outcomes.Total() != len(page) {
		t.Fatalf("seen %d, outcomes %+v, want %d", sum.Seen, sum.Outcomes, len(page))
	}
	if sum.Outcomes.Failed < len(page)/3 || sum.Outcomes.Imported < len(page)/3 {
		t.Fatalf("expected many failures and many imports: %+v", sum.Outcomes)
	}
	checkWholeSales(t, f, sum.Outcomes.Imported)
	// Every failure says why.
	fails, err := RunLog{}.Outcomes(context.Background(), f.db, sum.RunID, Failed)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range fails {
		if strings.TrimSpace(o.Reason) == "" || o.SaleID != nil {
			t.Errorf("failed order %s: reason %q sale %v", o.OrderName, o.Reason, o.SaleID)
		}
	}
}

// checkWholeSales checks that the database holds exactly `imported` sales, each with its
// lines adding up to its total, and that stock moved only through sale lines of those.
func checkWholeSales(t *testing.T, f *fixture, imported int) {
	t.Helper()
	var bad []string
	err := f.db.Select(&bad, `
		SELECT s.receipt_number FROM sales s
		WHERE NOT EXISTS (SELECT 1 FROM sale_lines l WHERE l.sale_id = s.id)
		   OR s.total <> (SELECT sum(l.total) FROM sale_lines l WHERE l.sale_id = s.id)
		      + CASE WHEN s.taxes_included THEN 0 ELSE s.tax_total END
		   OR NOT EXISTS (SELECT 1 FROM sale_external_ids x WHERE x.sale_id = s.id)
		   OR s.balance <> s.total - coalesce((SELECT sum(amount) FROM payments p WHERE p.sale_id = s.id), 0)`)
	if err != nil {
		t.Fatal(err)
	}
	if len(bad) > 0 {
		t.Errorf("sales that are not whole: %v", bad)
	}
	if n := tableCount(t, f.db, "sales"); n != imported {
		t.Errorf("%d sales, %d imported outcomes", n, imported)
	}
	var orphans int
	if err := f.db.Get(&orphans, `SELECT count(*) FROM stock_movements m WHERE m.sale_line_id IS NULL OR NOT EXISTS (SELECT 1 FROM sale_lines l WHERE l.id = m.sale_line_id)`); err != nil {
		t.Fatal(err)
	}
	var mismatch int
	if err := f.db.Get(&mismatch, `
		SELECT count(*) FROM stock_levels l
		WHERE l.on_hand <> (SELECT coalesce(sum(delta), 0) FROM stock_movements m WHERE m.product_id = l.product_id AND m.outlet_id = l.outlet_id)`); err != nil {
		t.Fatal(err)
	}
	if orphans+mismatch > 0 {
		t.Errorf("%d stray stock movements, %d levels off their ledger", orphans, mismatch)
	}
}

// TestFixtureOrders imports every real Shopify order payload of the shared fixtures and
// checks that each gets exactly one outcome with a reason when it is not imported (the
// documentation examples are known not to add up, and must fail rather than differ).
func TestFixtureOrders(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{importTests: true})
	// Each order is imported at its own time, so that the 60-day rule lets the mapping
	// rules speak.
	var clock time.Time
	f.im.Clock = func() time.Time { return clock }
	f.db.MustExec(`UPDATE outlets SET currency = 'USD'`)
	f.conn.Currency = "USD"
	imported := 0
	var outs []OutcomeRecord
	for _, name := range []string{
		"rest_create_order_custom_line_item_tax_lines_paid_2024-10.json",
		"rest_get_order_partially_refunded_discount_taxes_2024-10.json",
		"rest_list_orders_status_any_2024-10.json",
		"webhook_orders_create_shopify_test_notification_payload.json",
		"goshopify_v4.7.0_order_with_transaction.json",
		"goshopify_v4.7.0_line_item_properties_empty_object_legacy.json",
		"goshopify_v4.7.0_line_item_properties_tax_lines_discount_allocations.json",
	} {
		o, err := shopifyapi.DecodeOrder(fixtureOrder(t, name))
		if err != nil {
			o.DecodeErr = fmt.Errorf("%s: %w", name, err)
		}
		clock = o.CreatedAt.Add(time.Hour)
		sum, err := f.im.ImportOrders(context.Background(), f.conn.ID, []shopifyapi.Order{o}, RunOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if sum.Seen != 1 {
			t.Fatalf("%s: seen %d", name, sum.Seen)
		}
		imported += sum.Outcomes.Imported
		run, err := RunLog{}.Outcomes(context.Background(), f.db, sum.RunID, "")
		if err != nil {
			t.Fatal(err)
		}
		outs = append(outs, run...)
	}
	for _, o := range outs {
		t.Logf("%s (%d): %s %s", o.OrderName, o.OrderID, o.Outcome, o.Reason)
		if o.Outcome != Imported && o.Outcome != AlreadyImported && o.Reason == "" {
			t.Errorf("%s: %s without a reason", o.OrderName, o.Outcome)
		}
	}
	checkWholeSales(t, f, imported)
}

// FuzzMapOrder feeds arbitrary bytes through the decoder and the mapping: neither may
// panic, and a mapped order's lines always add up.
func FuzzMapOrder(f *testing.F) {
	g := genOrder(1, "#1", testNow)
	b, _ := json.Marshal(g)
	f.Add(b)
	f.Add([]byte(`{"id":1,"name":"#1","line_items":[{"quantity":1,"price":"1.00"}],"shipping_lines":[{}]}`))
	conn := Connection{OutletID: 1, RegisterID: 1, ShippingProductID: 1, Currency: "EUR"}
	f.Fuzz(func(t *testing.T, raw []byte) {
		o, err := shopifyapi.DecodeOrder(raw)
		if err != nil {
			return
		}
		d, err := mapOrder(&o, conn, ShippingSKU)
		if err != nil {
			return
		}
		for _, l := range d.lines {
			if l.Quantity <= 0 || l.UnitPrice.IsNegative() || l.Discount.IsNegative() || l.Total.IsNegative() {
				t.Fatalf("line %+v", l.Line)
			}
		}
		if !d.sale.Total.Equal(o.TotalPrice) {
			t.Fatalf("total %s, order %s", d.sale.Total, o.TotalPrice)
		}
	})
}
