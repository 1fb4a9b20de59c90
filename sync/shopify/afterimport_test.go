package shopify

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/kassa-pos/kassa/register"
	"github.com/kassa-pos/kassa/sales"
	"github.com/kassa-pos/kassa/sync/shopify/shopifyapi"
	"github.com/kassa-pos/kassa/sync/shopifysim"
	"github.com/kassa-pos/kassa/sync/shopifysim/shopdata"
)

// replaceOrder makes the simulated shop hold o instead of its order of the same id, as
// Shopify does when it changes an order (its webhooks go out as for any update).
func (f *fixture) replaceOrder(o shopdata.Order) {
	f.t.Helper()
	var m map[string]any
	if err := json.Unmarshal(orderJSON(f.t, o), &m); err != nil {
		f.t.Fatal(err)
	}
	if _, err := f.srv.UpdateOrder(o.ID, func(old map[string]any) {
		for k := range old {
			delete(old, k)
		}
		for k, v := range m {
			old[k] = v
		}
	}); err != nil {
		f.t.Fatal(err)
	}
}

// documents describes a sale's documents: "#1001-R1 return MUG×-1+restock PLATE×-1
// shipping -5.00 refunded -23.00 owed 0.00", one per document.
func documents(t *testing.T, f *fixture, saleID int64) []string {
	t.Helper()
	rs, err := sales.Store{}.Returns(context.Background(), f.db, saleID)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range rs {
		parts := []string{r.ReceiptNumber, r.Kind}
		for _, l := range r.Lines {
			switch {
			case l.Kind == sales.KindShipping:
				parts = append(parts, "shipping "+l.Amount.StringFixed(2))
			case l.Kind == sales.KindAdjustment:
				parts = append(parts, "adjustment "+l.Amount.StringFixed(2))
			default:
				s := fmt.Sprintf("%s×%d", l.SKU, l.Quantity)
				if l.Restock {
					s += "+restock"
				}
				parts = append(parts, s)
			}
		}
		refunded := decimal.Zero
		for _, x := range r.Refunds {
			refunded = refunded.Add(x.Amount)
		}
		parts = append(parts, "refunded "+refunded.StringFixed(2), "owed "+r.Owed.StringFixed(2))
		out = append(out, strings.Join(parts, " "))
	}
	return out
}

// TestChangesAfterImport lets Shopify refund, cancel and edit an imported order and checks
// that each change becomes one document against the sale, whether the changed order
// arrives by webhook (twice) or by a run that lists it (twice): its lines and money, the
// stock, the balance and the closing report's Shopify figure.
func TestChangesAfterImport(t *testing.T) {
	t.Parallel()
	m := shopdata.MustMoney
	placed := testNow.Add(-3 * time.Hour)
	changed := testNow.Add(-30 * time.Minute)
	pending := func(o *shopdata.Order) {
		o.FinancialStatus, o.PaymentGatewayNames, o.TotalOutstanding = "pending", []string{"Bank Deposit"}, m("43.00")
	}
	cancel := func(o *shopdata.Order, money string) {
		ts := shopdata.FormatTime(changed, time.UTC)
		reason := "customer"
		o.CancelledAt, o.CancelReason = &ts, &reason
		r := refundOf(905, o.LineItems[0], 2, "cancel", "20.00", "3.47", money, changed)
		r.RefundLineItems = append(r.RefundLineItems, shopdata.RefundLineItem{ID: 9059, LineItemID: 70012, Quantity: 1, RestockType: "cancel",
			Subtotal: shopdata.Number{Decimal: dec("18.00")}, TotalTax: shopdata.Number{Decimal: dec("3.12")}})
		if money != "" {
			r.OrderAdjustments = []shopdata.OrderAdjustment{{ID: 9058, RefundID: 905, Kind: "shipping_refund", Reason: "Shipping refund", Amount: m("-5.00"), TaxAmount: m("-0.87")}}
		}
		o.Refunds = []shopdata.Refund{r}
		o.LineItems[0].CurrentQuantity, o.LineItems[1].CurrentQuantity = 0, 0
		o.CurrentSubtotalPrice, o.CurrentTotalPrice, o.CurrentTotalTax, o.TotalOutstanding = m("0.00"), m("0.00"), m("0.00"), m("0.00")
	}
	for _, tc := range []struct {
		name    string
		before  func(o *shopdata.Order)
		change  func(o *shopdata.Order)
		outcome Outcome
		reason  string
		docs    []string
		stock   map[string]int
		balance string
		shopify string // the closing report's expected Shopify money
		// adjusted is the closing report's adjustments total ("" for none expected).
		adjusted string
		// paid is what the sale shows as paid ("" for not checked).
		paid string
	}{
		{
			name: "refund with restock",
			change: func(o *shopdata.Order) {
				o.FinancialStatus = "partially_refunded"
				o.LineItems[0].CurrentQuantity = 1
				o.Refunds = []shopdata.Refund{refundOf(901, o.LineItems[0], 1, "return", "10.00", "1.74", "10.00", changed)}
				o.CurrentSubtotalPrice, o.CurrentTotalPrice, o.CurrentTotalTax = m("28.00"), m("33.00"), m("5.72")
			},
			outcome: Updated, docs: []string{"#1001-R1 return MUG×-1+restock refunded -10.00 owed 0.00"},
			stock: map[string]int{"MUG": -1, "PLATE": -1}, balance: "0.00", shopify: "33.00",
		},
		{
			name: "refund without restock",
			change: func(o *shopdata.Order) {
				o.FinancialStatus = "partially_refunded"
				o.LineItems[0].CurrentQuantity = 1
				o.Refunds = []shopdata.Refund{refundOf(902, o.LineItems[0], 1, "no_restock", "10.00", "1.74", "10.00", changed)}
				o.CurrentSubtotalPrice, o.CurrentTotalPrice, o.CurrentTotalTax = m("28.00"), m("33.00"), m("5.72")
			},
			outcome: Updated, docs: []string{"#1001-R1 return MUG×-1 refunded -10.00 owed 0.00"},
			stock: map[string]int{"MUG": -2, "PLATE": -1}, balance: "0.00", shopify: "33.00",
		},
		{
			name: "refund with shipping",
			change: func(o *shopdata.Order) {
				o.FinancialStatus = "partially_refunded"
				o.LineItems[1].CurrentQuantity = 0
				r := refundOf(903, o.LineItems[1], 1, "cancel", "18.00", "3.12", "23.00", changed)
				r.OrderAdjustments = []shopdata.OrderAdjustment{{ID: 9031, RefundID: 903, Kind: "shipping_refund", Reason: "Shipping refund", Amount: m("-5.00"), TaxAmount: m("-0.87")}}
				o.Refunds = []shopdata.Refund{r}
				o.CurrentSubtotalPrice, o.CurrentTotalPrice, o.CurrentTotalTax = m("20.00"), m("20.00"), m("3.47")
			},
			outcome: Updated, docs: []string{"#1001-R1 return PLATE×-1+restock shipping -5.00 refunded -23.00 owed 0.00"},
			stock: map[string]int{"MUG": -2}, balance: "0.00", shopify: "20.00",
		},
		{
			name:    "cancellation of a paid order",
			change:  func(o *shopdata.Order) { o.FinancialStatus = "refunded"; cancel(o, "43.00") },
			outcome: Updated, docs: []string{"#1001-R1 return MUG×-2+restock PLATE×-1+restock shipping -5.00 refunded -43.00 owed 0.00"},
			stock: map[string]int{}, balance: "0.00", shopify: "0.00",
		},
		{
			name:    "cancellation of an unpaid order: the balance is written off",
			before:  pending,
			change:  func(o *shopdata.Order) { o.FinancialStatus = "voided"; cancel(o, "") },
			outcome: Updated, docs: []string{"#1001-R1 return MUG×-2+restock PLATE×-1+restock refunded 0.00 owed 0.00",
				"#1001-R2 write_off adjustment -43.00 refunded 0.00 owed -43.00"},
			stock: map[string]int{}, balance: "0.00", shopify: "0.00",
		},
		{
			name: "edit taking a line off a paid order, then Shopify refunding it",
			change: func(o *shopdata.Order) {
				o.LineItems[1].CurrentQuantity = 0
				o.CurrentSubtotalPrice, o.CurrentTotalPrice, o.CurrentTotalTax = m("20.00"), m("25.00"), m("4.34")
				o.FinancialStatus = "partially_refunded"
				r := refundOf(906, o.LineItems[1], 1, "no_restock", "0", "0", "18.00", changed)
				r.RefundLineItems = []shopdata.RefundLineItem{}
				o.Refunds = []shopdata.Refund{r}
			},
			outcome: Updated, docs: []string{"#1001-R1 adjustment adjustment -18.00 refunded -18.00 owed 0.00",
				"#1001-R2 adjustment PLATE×-1+restock refunded 0.00 owed 0.00"},
			stock: map[string]int{"MUG": -2}, balance: "0.00", shopify: "25.00",
		},
		{
			name:   "edit taking a line off an unpaid order: the balance follows",
			before: pending,
			change: func(o *shopdata.Order) {
				o.LineItems[1].CurrentQuantity = 0
				o.CurrentSubtotalPrice, o.CurrentTotalPrice, o.CurrentTotalTax, o.TotalOutstanding = m("20.00"), m("25.00"), m("4.34"), m("25.00")
			},
			outcome: Updated, docs: []string{"#1001-R1 adjustment PLATE×-1+restock refunded 0.00 owed -18.00"},
			stock: map[string]int{"MUG": -2}, balance: "25.00", shopify: "0.00", paid: "0.00",
		},
		{
			name: "edit adding a line to a paid order: the buyer owes it",
			change: func(o *shopdata.Order) {
				o.LineItems = append(o.LineItems, changedLine(70015, "CUP", "Cup", 1, 1, "7.00", "1.21"))
				o.CurrentSubtotalPrice, o.CurrentTotalPrice, o.CurrentTotalTax, o.TotalOutstanding = m("45.00"), m("50.00"), m("8.67"), m("7.00")
				o.FinancialStatus = "partially_paid"
			},
			outcome: Updated, docs: []string{"#1001-R1 adjustment CUP×1+restock refunded 0.00 owed 7.00"},
			stock: map[string]int{"MUG": -2, "PLATE": -1, "CUP": -1}, balance: "7.00", shopify: "43.00", adjusted: "7.00", paid: "43.00",
		},
		{
			name: "edit raising a quantity",
			change: func(o *shopdata.Order) {
				// Shopify's edit adds the units as a line item of the same variant.
				o.LineItems = append(o.LineItems, changedLine(70016, "MUG", "Mug", 1, 1, "10.00", "1.74"))
				o.CurrentSubtotalPrice, o.CurrentTotalPrice, o.CurrentTotalTax, o.TotalOutstanding = m("48.00"), m("53.00"), m("9.20"), m("10.00")
				o.FinancialStatus = "partially_paid"
			},
			outcome: Updated, docs: []string{"#1001-R1 adjustment MUG×1+restock refunded 0.00 owed 10.00"},
			stock: map[string]int{"MUG": -3, "PLATE": -1}, balance: "10.00", shopify: "43.00", adjusted: "10.00",
		},
		{
			name: "size exchange by edit after the import",
			change: func(o *shopdata.Order) {
				o.LineItems[1].CurrentQuantity = 0
				o.LineItems = append(o.LineItems, changedLine(70017, "BOWL", "Bowl", 1, 1, "18.00", "3.12"))
			},
			outcome: Updated, docs: []string{"#1001-R1 adjustment PLATE×-1+restock BOWL×1+restock refunded 0.00 owed 0.00"},
			stock: map[string]int{"MUG": -2, "BOWL": -1}, balance: "0.00", shopify: "43.00", adjusted: "0.00",
		},
		{
			name:   "edit adding a line to an unpaid order: the balance follows",
			before: pending,
			change: func(o *shopdata.Order) {
				o.LineItems = append(o.LineItems, changedLine(70015, "CUP", "Cup", 1, 1, "7.00", "1.21"))
				o.CurrentSubtotalPrice, o.CurrentTotalPrice, o.CurrentTotalTax, o.TotalOutstanding = m("45.00"), m("50.00"), m("8.67"), m("50.00")
			},
			outcome: Updated, docs: []string{"#1001-R1 adjustment CUP×1+restock refunded 0.00 owed 7.00"},
			stock: map[string]int{"MUG": -2, "PLATE": -1, "CUP": -1}, balance: "50.00", shopify: "0.00", adjusted: "7.00", paid: "0.00",
		},
		{
			name: "edit adding a line with a refund Shopify cannot tell kassa of needs review",
			change: func(o *shopdata.Order) {
				o.LineItems = append(o.LineItems, changedLine(70015, "CUP", "Cup", 1, 1, "7.00", "1.21"))
				o.CurrentSubtotalPrice, o.CurrentTotalPrice, o.CurrentTotalTax, o.TotalOutstanding = m("45.00"), m("50.00"), m("8.67"), m("7.00")
				o.Refunds = []shopdata.Refund{refundOf(907, changedLine(79999, "SPOON", "Spoon", 1, 1, "1.00", "0.17"), 1, "no_restock", "1.00", "0.17", "", changed)}
				o.Refunds[0].RefundLineItems[0].LineItemID = 70015
				o.Refunds[0].RefundLineItems[0].Quantity = 2
			},
			outcome: NeedsReview, reason: "takes back 2 of Cup, which the sale does not have left",
			docs:  []string{"#1001-R1 adjustment CUP×1+restock refunded 0.00 owed 7.00"},
			stock: map[string]int{"MUG": -2, "PLATE": -1, "CUP": -1}, balance: "7.00", shopify: "43.00", adjusted: "7.00",
		},
	} {
		for _, path := range []string{"webhook", "get all", "get new"} {
			t.Run(tc.name+" by "+path, func(t *testing.T) {
				t.Parallel()
				ctx := context.Background()
				var fo fixtureOptions
				if path == "get new" {
					// Get new reads what Shopify updated since the last run: Shopify's clock
					// moves on from the import to the change.
					var minutes atomic.Int64
					fo.sim.Clock = func() time.Time { return testNow.Add(time.Duration(minutes.Add(1)) * time.Minute) }
				}
				f := newFixture(t, fo)
				sess, err := register.Store{Clock: func() time.Time { return testNow.Add(-4 * time.Hour) }}.OpenSession(ctx, f.db, f.reg.ID, decimal.Zero, "Ann")
				if err != nil {
					t.Fatal(err)
				}
				o := mugsAndPlate(placed)
				if tc.before != nil {
					tc.before(&o)
				}
				if err := f.srv.AddOrders(o); err != nil {
					t.Fatal(err)
				}
				if sum := f.run(ModeAll); sum.Outcomes.Imported != 1 {
					t.Fatalf("import %+v", sum)
				}
				after := o
				after.LineItems = append([]shopdata.LineItem(nil), o.LineItems...)
				after.UpdatedAt = shopdata.FormatTime(changed, time.UTC)
				if path == "get new" {
					// Get new reads the orders Shopify updated since the last run.
					after.UpdatedAt = shopdata.FormatTime(testNow.Add(time.Hour), time.UTC)
				}
				tc.change(&after)
				var outs []Outcome
				var reason string
				for i := range 2 {
					if path == "webhook" {
						_, out := importOne(t, f, orderJSON(t, after))
						outs = append(outs, out.Outcome)
						if out.Outcome != AlreadyImported {
							reason = out.Reason
						}
						continue
					}
					if i == 0 {
						f.replaceOrder(after)
					}
					mode := ModeAll
					if path == "get new" {
						mode = ModeNew
					}
					sum := f.run(mode)
					rows, err := RunLog{}.Outcomes(ctx, f.db, sum.RunID, "")
					if path == "get new" && i == 1 && err == nil && len(rows) == 0 {
						// Nothing updated since: the order is not read again.
						outs = append(outs, AlreadyImported)
						continue
					}
					if err != nil || len(rows) != 1 {
						t.Fatalf("outcomes %v %v", rows, err)
					}
					outs = append(outs, rows[0].Outcome)
					if rows[0].Outcome != AlreadyImported {
						reason = rows[0].Reason
					}
				}
				if path == "webhook" {
					// A late delivery of the order as it stood before the change changes nothing.
					if _, out := importOne(t, f, orderJSON(t, o)); out.Outcome != AlreadyImported {
						t.Errorf("the order as it stood before: %s (%s)", out.Outcome, out.Reason)
					}
				}
				if outs[0] != tc.outcome || outs[1] != AlreadyImported {
					t.Errorf("outcomes %v (%q), want %s then already_imported", outs, reason, tc.outcome)
				}
				if !strings.Contains(reason, tc.reason) {
					t.Errorf("reason %q lacks %q", reason, tc.reason)
				}
				s := mustSale(t, f, "#1001")
				if got := documents(t, f, s.ID); strings.Join(got, "\n") != strings.Join(tc.docs, "\n") {
					t.Errorf("documents\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.docs, "\n"))
				}
				if s.Balance.StringFixed(2) != tc.balance {
					t.Errorf("balance %s, want %s", s.Balance.StringFixed(2), tc.balance)
				}
				if tc.paid != "" && s.Paid().StringFixed(2) != tc.paid {
					t.Errorf("paid %s, want %s", s.Paid().StringFixed(2), tc.paid)
				}
				stock := f.stock()
				for _, sku := range []string{"MUG", "PLATE", "CUP", "BOWL"} {
					if stock[sku] != tc.stock[sku] {
						t.Errorf("stock of %s %d, want %d", sku, stock[sku], tc.stock[sku])
					}
				}
				rep, err := register.Service{Clock: func() time.Time { return testNow }}.ClosingReport(ctx, f.db, sess.ID)
				if err != nil {
					t.Fatal(err)
				}
				shopify := "0.00"
				for _, p := range rep.Payments {
					if p.Type == ShopifyPaymentType {
						shopify = p.Expected
					}
				}
				if shopify != tc.shopify {
					t.Errorf("closing report expects %s of Shopify, want %s", shopify, tc.shopify)
				}
				if tc.adjusted != "" && (rep.Adjustments.Count != 1 || rep.Adjustments.Total != tc.adjusted) {
					t.Errorf("closing report's adjustments %+v, want one of %s", rep.Adjustments, tc.adjusted)
				}
				for _, tx := range rep.Taxes {
					// Every line here is taxed at 21 %: the documents' lines count at their rate.
					if strings.HasPrefix(tx.Rate, "0") && tx.Amount != "0.00" {
						t.Errorf("closing report's taxes %+v: %s without its rate", rep.Taxes, tx.Amount)
					}
				}
			})
		}
	}
}

// TestSimulatedChangesReachTheSale lets the simulated shop refund, edit and cancel an
// imported order the way Shopify does (its own figures) and checks that each Get all
// records what changed, and nothing else: the simulator's current figures agree with the
// import's rules to the cent.
func TestSimulatedChangesReachTheSale(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// Shopify's clock moves between changes: each bumps updated_at.
	var minutes atomic.Int64
	f := newFixture(t, fixtureOptions{sim: shopifysim.Options{Clock: func() time.Time {
		return testNow.Add(time.Duration(minutes.Add(1)) * time.Minute)
	}}})
	o := mugsAndPlate(testNow.Add(-3 * time.Hour))
	if err := f.srv.AddOrders(o); err != nil {
		t.Fatal(err)
	}
	if sum := f.run(ModeAll); sum.Outcomes.Imported != 1 {
		t.Fatalf("import %+v", sum)
	}
	step := func(what string, outcome Outcome) {
		t.Helper()
		sum := f.run(ModeAll)
		rows, err := RunLog{}.Outcomes(ctx, f.db, sum.RunID, "")
		if err != nil || len(rows) != 1 || rows[0].Outcome != outcome {
			t.Fatalf("%s: outcomes %+v (%v), want %s", what, rows, err, outcome)
		}
	}
	// The mug is linked to its Shopify inventory item: what comes back into the outlet is
	// pushed to Shopify like any other stock movement.
	if _, err := f.db.Exec(`INSERT INTO stock_channel_items (channel, shop, outlet_id, product_id, inventory_item_id, location_id)
		SELECT 'shopify', $1, $2, id, 1, 1 FROM products WHERE sku = 'MUG'`, f.conn.Shop, f.outlet.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.Exec(`DELETE FROM stock_push_queue`); err != nil {
		t.Fatal(err)
	}
	if _, err := f.srv.RefundOrder(o.ID, shopifysim.RefundRequest{Lines: []shopifysim.RefundLine{{LineItemID: 70011, Quantity: 1, RestockType: "return"}}}); err != nil {
		t.Fatal(err)
	}
	step("refund", Updated)
	var queued struct {
		SKU   string `db:"sku"`
		Delta int    `db:"delta"`
	}
	if err := f.db.Get(&queued, `SELECT p.sku, m.delta FROM stock_push_queue q JOIN stock_channel_items i ON i.id = q.item_id
		JOIN products p ON p.id = i.product_id JOIN stock_movements m ON m.id = q.movement_id`); err != nil {
		t.Fatalf("the restocked mug is not queued for Shopify: %v", err)
	}
	if queued.SKU != "MUG" || queued.Delta != 1 {
		t.Errorf("queued %+v, want the mug's unit back", queued)
	}
	if _, err := f.srv.EditOrder(o.ID, shopifysim.EditRequest{Quantities: map[int64]int{70012: 0}}); err != nil {
		t.Fatal(err)
	}
	step("edit", Updated)
	step("the same state again", AlreadyImported)
	// An edit adding goods kassa has no product for: the product is created and its unit
	// leaves the outlet. Shopify still owes the buyer more than the cup costs (the plate
	// taken off), so nothing is owed.
	cup := changedLine(0, "CUP", "Cup", 1, 1, "7.00", "1.21")
	if _, err := f.srv.EditOrder(o.ID, shopifysim.EditRequest{Add: []shopdata.LineItem{cup}}); err != nil {
		t.Fatal(err)
	}
	step("edit adding a cup", Updated)
	step("the same state again", AlreadyImported)
	if s := mustSale(t, f, "#1001"); !s.Balance.IsZero() || f.stock()["CUP"] != -1 {
		t.Errorf("after the cup was added: balance %s, stock of CUP %d; want nothing owed and the cup gone", s.Balance.StringFixed(2), f.stock()["CUP"])
	}
	if _, err := f.srv.CancelOrder(o.ID, true, "customer"); err != nil {
		t.Fatal(err)
	}
	step("cancellation", Updated)
	s := mustSale(t, f, "#1001")
	// The cancellation gives back all the money Shopify kept (33.00): the mug, the cup and
	// the shipping, and what the plate the edit took off left owed to the buyer (18.00
	// less the cup's 7.00).
	want := []string{
		"#1001-R1 return MUG×-1+restock refunded -10.00 owed 0.00",
		"#1001-R2 adjustment PLATE×-1+restock refunded 0.00 owed 0.00",
		"#1001-R3 adjustment CUP×1+restock refunded 0.00 owed 0.00",
		"#1001-R4 return MUG×-1+restock CUP×-1+restock shipping -5.00 refunded -33.00 owed 0.00",
	}
	if got := documents(t, f, s.ID); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("documents\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if stock := f.stock(); stock["MUG"] != 0 || stock["PLATE"] != 0 || stock["CUP"] != 0 || !s.Balance.IsZero() {
		t.Errorf("stock %v, balance %s: want everything back and nothing owed", stock, s.Balance)
	}
}

// TestReconcile finds what kassa misses of the orders of a window (an order never
// imported, a refund no webhook brought), records it with Fix, and then finds nothing.
func TestReconcile(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var minutes atomic.Int64
	f := newFixture(t, fixtureOptions{sim: shopifysim.Options{Clock: func() time.Time {
		return testNow.Add(time.Duration(minutes.Add(1)) * time.Minute)
	}}})
	o := mugsAndPlate(testNow.Add(-3 * time.Hour))
	if err := f.srv.AddOrders(o); err != nil {
		t.Fatal(err)
	}
	if sum := f.run(ModeAll); sum.Outcomes.Imported != 1 {
		t.Fatalf("import %+v", sum)
	}
	refund, err := f.srv.RefundOrder(o.ID, shopifysim.RefundRequest{Lines: []shopifysim.RefundLine{{LineItemID: 70011, Quantity: 1, RestockType: "return"}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.srv.AddOrders(genOrder(7002, "#1002", testNow.Add(-time.Hour))); err != nil {
		t.Fatal(err)
	}
	window := ReconcileOptions{From: testNow.Add(-48 * time.Hour), To: testNow.Add(time.Hour)}
	rec, err := f.im.Reconcile(ctx, f.conn.ID, window)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, d := range rec.Differences {
		got[d.OrderName] = strings.Join(d.What, "; ")
	}
	if rec.Orders != 2 || len(rec.Differences) != 2 ||
		got["#1001"] != fmt.Sprintf("to record: return (refunded in Shopify), Shopify refund %d, 10.00 refunded", refund.ID) ||
		got["#1002"] != "no sale: the order was never imported" {
		t.Fatalf("reconciliation %d orders, differences %v", rec.Orders, got)
	}
	if n := tableCount(t, f.db, "sale_returns"); n != 0 {
		t.Fatalf("a reconciliation without fix wrote %d documents", n)
	}
	window.Fix = true
	rec, err = f.im.Reconcile(ctx, f.conn.ID, window)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Fixed == nil || rec.Fixed.Outcomes.Imported != 1 || rec.Fixed.Outcomes.Updated != 1 {
		t.Fatalf("fixed %+v", rec.Fixed)
	}
	window.Fix = false
	if rec, err = f.im.Reconcile(ctx, f.conn.ID, window); err != nil || len(rec.Differences) != 0 {
		t.Fatalf("after the fix: %+v (%v)", rec.Differences, err)
	}
}

// TestChangesRecordedInOnePass: a refund of a mug restocked at another location, an edit
// taking off the other mug and a cancellation, all made in Shopify before kassa saw any of
// them, are recorded in one pass: the mug restocked elsewhere stays out of the outlet, the
// cancellation gives back what is left of the mugs' line once (10.00, not the whole line
// again), and the mug the edit took off (it never left) goes back to stock.
func TestChangesRecordedInOnePass(t *testing.T) {
	t.Parallel()
	var minutes atomic.Int64
	warehouse := shopifysim.Location{ID: shopifysim.DefaultLocationID + 1, Name: "Warehouse", Active: true}
	f := newFixture(t, fixtureOptions{sim: shopifysim.Options{Clock: func() time.Time {
		return testNow.Add(time.Duration(minutes.Add(1)) * time.Minute)
	}, Locations: []shopifysim.Location{{ID: shopifysim.DefaultLocationID, Name: "Main store", Active: true}, warehouse}}})
	if _, err := f.db.Exec(`UPDATE shopify_connections SET location_id = $1`, shopifysim.DefaultLocationID); err != nil {
		t.Fatal(err)
	}
	o := mugsAndPlate(testNow.Add(-3 * time.Hour))
	if err := f.srv.AddOrders(o); err != nil {
		t.Fatal(err)
	}
	if sum := f.run(ModeAll); sum.Outcomes.Imported != 1 {
		t.Fatalf("import %+v", sum)
	}
	before := f.stock()
	if _, err := f.srv.RefundOrder(o.ID, shopifysim.RefundRequest{Lines: []shopifysim.RefundLine{
		{LineItemID: 70011, Quantity: 1, RestockType: "return", LocationID: warehouse.ID}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.srv.EditOrder(o.ID, shopifysim.EditRequest{Quantities: map[int64]int{70011: 0}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.srv.CancelOrder(o.ID, true, "customer"); err != nil {
		t.Fatal(err)
	}
	if sum := f.run(ModeAll); sum.Outcomes.Updated != 1 {
		t.Fatalf("changes %+v", sum.Outcomes)
	}
	s := mustSale(t, f, "#1001")
	want := []string{
		"#1001-R1 return MUG×-1 refunded -10.00 owed 0.00",
		"#1001-R2 return PLATE×-1+restock shipping -5.00 refunded -33.00 owed 0.00",
		"#1001-R3 return MUG×-1+restock refunded 0.00 owed 0.00",
	}
	if got := documents(t, f, s.ID); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("documents\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	var given string
	if err := f.db.Get(&given, `SELECT sum(total)::text FROM sale_returns WHERE sale_id = $1`, s.ID); err != nil {
		t.Fatal(err)
	}
	if given != "-43.00" {
		t.Errorf("the documents give back %s of the sale's 43.00", given)
	}
	after := f.stock()
	if after["MUG"] != before["MUG"]+1 || after["PLATE"] != before["PLATE"]+1 || !s.Balance.IsZero() {
		t.Errorf("stock %v after, %v before, balance %s: want one mug (the other went back to another location) and the plate back",
			after, before, s.Balance)
	}
}

// TestAnOlderStateOfAnOrderIsNotRecorded: a state of an order older than the one kassa
// took in since (a late webhook body, a page read before another run recorded a refund)
// records nothing and is no review, even when every order is compared (reconcile --fix);
// the units of a line an edit takes off one at a time add up to the line to the cent.
func TestAnOlderStateOfAnOrderIsNotRecorded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var minutes atomic.Int64
	f := newFixture(t, fixtureOptions{sim: shopifysim.Options{Clock: func() time.Time {
		return testNow.Add(time.Duration(minutes.Add(1)) * time.Minute)
	}}})
	o := mugsAndPlate(testNow.Add(-3 * time.Hour))
	// Three mugs whose tax (5.21) is no whole cent a third.
	m := shopdata.MustMoney
	o.LineItems[0] = changedLine(70011, "MUG", "Mug", 3, 3, "10.00", "5.21")
	o.TotalLineItemsPrice, o.SubtotalPrice, o.CurrentSubtotalPrice = m("48.00"), m("48.00"), m("48.00")
	o.TotalPrice, o.CurrentTotalPrice, o.TotalTax, o.CurrentTotalTax = m("53.00"), m("53.00"), m("9.20"), m("9.20")
	if err := f.srv.AddOrders(o); err != nil {
		t.Fatal(err)
	}
	if sum := f.run(ModeAll); sum.Outcomes.Imported != 1 {
		t.Fatalf("import %+v", sum)
	}
	old, err := f.srv.Order(o.ID)
	if err != nil {
		t.Fatal(err)
	}
	s := mustSale(t, f, "#1001")
	sameAsShopify := func(mugs int) {
		t.Helper()
		raw, err := f.srv.Order(o.ID)
		if err != nil {
			t.Fatal(err)
		}
		now, err := shopifyapi.DecodeOrder(raw)
		if err != nil {
			t.Fatal(err)
		}
		var total, tax string
		if err := f.db.QueryRow(`SELECT (s.total + coalesce((SELECT sum(total) FROM sale_returns r WHERE r.sale_id = s.id), 0))::text,
			(s.tax_total + coalesce((SELECT sum(tax_total) FROM sale_returns r WHERE r.sale_id = s.id), 0))::text
			FROM sales s WHERE s.id = $1`, s.ID).Scan(&total, &tax); err != nil {
			t.Fatal(err)
		}
		if total != now.CurrentTotalPrice.StringFixed(2) || tax != now.CurrentTotalTax.StringFixed(2) {
			t.Errorf("%d mugs: the sale with its documents: total %s, tax %s; Shopify's current total %s, tax %s", mugs, total, tax,
				now.CurrentTotalPrice.StringFixed(2), now.CurrentTotalTax.StringFixed(2))
		}
	}
	for _, q := range []int{2, 1, 0} {
		if _, err := f.srv.EditOrder(o.ID, shopifysim.EditRequest{Quantities: map[int64]int{70011: q}}); err != nil {
			t.Fatal(err)
		}
		if sum := f.run(ModeAll); sum.Outcomes.Updated != 1 {
			t.Fatalf("edit to %d mugs: %+v", q, sum.Outcomes)
		}
		sameAsShopify(q)
	}
	stale, err := shopifyapi.DecodeOrder(old)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := f.im.ImportOrders(ctx, f.conn.ID, []shopifyapi.Order{stale}, RunOptions{Trigger: TriggerCLI, Wait: true, compareAll: true})
	if err != nil || sum.Outcomes.AlreadyImported != 1 {
		t.Fatalf("the order as it stood before the edits: %+v %v, want already imported", sum.Outcomes, err)
	}
	var n int
	if err := f.db.Get(&n, `SELECT count(*) FROM sale_returns WHERE sale_id = $1`, s.ID); err != nil || n != 3 {
		t.Errorf("%d documents for 3 edits (%v)", n, err)
	}
}

// Two changes Shopify makes within one second share the order's update time (Shopify's
// times are to the second): the body of the second, arriving after the first was
// recorded, cannot be told from a late copy of the first and records nothing; the
// reconciliation, which reads the order as Shopify holds it once that second is past,
// records it.
func TestChangesWithinOneSecondReachTheSaleByReconciliation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t, fixtureOptions{sim: shopifysim.Options{Clock: func() time.Time { return testNow }}})
	o := mugsAndPlate(testNow.Add(-3 * time.Hour))
	if err := f.srv.AddOrders(o); err != nil {
		t.Fatal(err)
	}
	if sum := f.run(ModeAll); sum.Outcomes.Imported != 1 {
		t.Fatalf("import %+v", sum)
	}
	s := mustSale(t, f, "#1001")
	current := func() shopifyapi.Order {
		t.Helper()
		raw, err := f.srv.Order(o.ID)
		if err != nil {
			t.Fatal(err)
		}
		now, err := shopifyapi.DecodeOrder(raw)
		if err != nil {
			t.Fatal(err)
		}
		return now
	}
	deliver := func(state shopifyapi.Order) Summary {
		t.Helper()
		sum, err := f.im.ImportOrders(ctx, f.conn.ID, []shopifyapi.Order{state}, RunOptions{Trigger: TriggerWebhook, Wait: true})
		if err != nil {
			t.Fatal(err)
		}
		return sum
	}
	documentsNow := func() int {
		t.Helper()
		var n int
		if err := f.db.Get(&n, `SELECT count(*) FROM sale_returns WHERE sale_id = $1`, s.ID); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if _, err := f.srv.EditOrder(o.ID, shopifysim.EditRequest{Quantities: map[int64]int{70011: 1}}); err != nil {
		t.Fatal(err)
	}
	first := current()
	if sum := deliver(first); sum.Outcomes.Updated != 1 {
		t.Fatalf("the first edit: %+v, want updated", sum.Outcomes)
	}
	if _, err := f.srv.EditOrder(o.ID, shopifysim.EditRequest{Quantities: map[int64]int{70011: 0}}); err != nil {
		t.Fatal(err)
	}
	second := current()
	if !second.UpdatedAt.Equal(first.UpdatedAt) {
		t.Fatalf("the two edits have update times %v and %v, want one", first.UpdatedAt, second.UpdatedAt)
	}
	if sum := deliver(second); sum.Outcomes.AlreadyImported != 1 || documentsNow() != 1 {
		t.Fatalf("the second edit of the same second: %+v, %d documents; want already imported and 1", sum.Outcomes, documentsNow())
	}
	if sum := deliver(first); sum.Outcomes.AlreadyImported != 1 || documentsNow() != 1 {
		t.Fatalf("a late copy of the first: %+v, %d documents; want already imported and 1", sum.Outcomes, documentsNow())
	}
	// Read within the same second, the order may not hold that second's every change yet:
	// the reconciliation lists the difference and records nothing.
	window := ReconcileOptions{From: testNow.Add(-48 * time.Hour), To: testNow.Add(time.Hour), Fix: true}
	rec, err := f.im.Reconcile(ctx, f.conn.ID, window)
	if err != nil || len(rec.Differences) != 1 || rec.Fixed == nil || rec.Fixed.Outcomes.Updated != 0 || documentsNow() != 1 {
		t.Fatalf("reconcile in the same second: %+v %+v (%v), %d documents; want the edit found, nothing recorded", rec.Differences, rec.Fixed, err, documentsNow())
	}
	// A minute later the second is settled: the reconciliation records the second edit.
	f.im.Clock = func() time.Time { return testNow.Add(time.Minute) }
	rec, err = f.im.Reconcile(ctx, f.conn.ID, window)
	if err != nil || len(rec.Differences) != 1 || rec.Fixed == nil || rec.Fixed.Outcomes.Updated != 1 {
		t.Fatalf("reconcile: %+v %+v (%v), want the second edit found and recorded", rec.Differences, rec.Fixed, err)
	}
	if documentsNow() != 2 {
		t.Errorf("%d documents after the reconciliation, want 2 (one per edit)", documentsNow())
	}
	if stock := f.stock(); stock["MUG"] != 0 {
		t.Errorf("stock of MUG %d, want both mugs back", stock["MUG"])
	}
}
