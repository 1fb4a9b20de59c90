package shopify

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/kassa-pos/kassa/register"
	"github.com/kassa-pos/kassa/sales"
	"github.com/kassa-pos/kassa/sync/shopifysim"
	"github.com/kassa-pos/kassa/sync/shopifysim/shopdata"
)

// mugsAndPlate is an order of two mugs (10.00, 21 % included: 3.47 tax) and a plate
// (18.00: 3.12), shipped for 5.00 (0.87), paid by card: 43.00 with 7.46 tax.
func mugsAndPlate(at time.Time) shopdata.Order {
	m := shopdata.MustMoney
	o := genOrder(7001, "#1001", at)
	o.LineItems = []shopdata.LineItem{
		changedLine(70011, "MUG", "Mug", 2, 2, "10.00", "3.47"),
		changedLine(70012, "PLATE", "Plate", 1, 1, "18.00", "3.12"),
	}
	o.TotalLineItemsPrice, o.SubtotalPrice, o.CurrentSubtotalPrice = m("38.00"), m("38.00"), m("38.00")
	o.TotalPrice, o.CurrentTotalPrice, o.TotalTax, o.CurrentTotalTax = m("43.00"), m("43.00"), m("7.46"), m("7.46")
	o.ShippingAddress = &shopdata.Address{FirstName: "Ann", LastName: "Peeters", Address1: "Veldstraat 1", City: "Gent", Country: "Belgium", CountryCode: "BE", Zip: "9000"}
	return o
}

// changedLine is a product line of a hand-built order: two mugs, a plate, shirts.
func changedLine(id int64, sku, title string, qty, current int, price, tax string) shopdata.LineItem {
	m := shopdata.MustMoney
	pid, vid, inv := 9000+id, 9100+id, "shopify"
	return shopdata.LineItem{
		ID: id, ProductID: &pid, VariantID: &vid, SKU: &sku, Title: title, Name: title,
		Quantity: qty, CurrentQuantity: current, Price: m(price), TotalDiscount: m("0.00"), Taxable: true,
		RequiresShipping: true, VariantInventoryManagement: &inv, ProductExists: true,
		TaxLines: []shopdata.TaxLine{{Price: m(tax), Rate: shopdata.MustRate("0.21"), Title: "BTW"}},
	}
}

// refundOf is a refund of qty units of line li (subtotal and tax as Shopify computes them)
// with restockType, paid back by card.
func refundOf(id int64, li shopdata.LineItem, qty int, restockType, subtotal, tax, money string, at time.Time) shopdata.Refund {
	ts := shopdata.FormatTime(at, time.UTC)
	r := shopdata.Refund{
		ID: id, OrderID: 0, CreatedAt: ts, ProcessedAt: ts, Restock: restockType != "no_restock",
		RefundLineItems: []shopdata.RefundLineItem{{
			ID: id*10 + 1, LineItemID: li.ID, Quantity: qty, RestockType: restockType,
			Subtotal: shopdata.Number{Decimal: decimal.RequireFromString(subtotal)}, TotalTax: shopdata.Number{Decimal: decimal.RequireFromString(tax)},
		}},
		OrderAdjustments: []shopdata.OrderAdjustment{},
	}
	if money != "" {
		r.Transactions = []shopdata.Transaction{{ID: id*10 + 2, Kind: "refund", Status: "success", Gateway: "shopify_payments",
			Amount: shopdata.MustMoney(money), CreatedAt: ts, ProcessedAt: ts}}
	}
	return r
}

// TestOrdersThatChangedBeforeImport imports hand-built orders that were edited,
// refunded, exchanged, collected in store or left owing the buyer money before kassa saw
// them, and checks what staff would see: the sale's figures and lines, the stock, and the
// payment types of the closing report of the session they were imported in.
func TestOrdersThatChangedBeforeImport(t *testing.T) {
	t.Parallel()
	m := shopdata.MustMoney
	at := testNow.Add(-time.Hour)
	base := func() shopdata.Order { return mugsAndPlate(at) }
	type want struct {
		outcome       Outcome
		reason        string
		total, tax    string
		paid, balance string
		lines         string         // "SKU×qty" of the product lines, then "shipping×1"
		stock         map[string]int // by SKU; absent SKUs have no stock row or 0
		payTypes      string         // "Type=expected" of the closing report, sorted
		// graphqlReason is the reason when GraphQL reads the order, if it differs (a
		// pickup's location comes from its fulfillment order there).
		graphqlReason string
	}
	for _, tc := range []struct {
		name        string
		pickups     bool
		order       func(o *shopdata.Order)
		want        want
		alsoImports bool
		location    string // the shop's location, when not the simulator's default
	}{
		{
			name: "unchanged: everything sold and paid",
			want: want{outcome: Imported, total: "43.00", tax: "7.46", paid: "43.00", balance: "0.00",
				lines: "MUG×2,PLATE×1,shipping×1", stock: map[string]int{"MUG": -2, "PLATE": -1}, payTypes: "Shopify=43.00"},
		},
		{
			// The case: the plate removed and one mug less before import, paid by
			// bank deposit still pending. No phantom "Bank deposit" of 43.00 - 15.00.
			name: "edited before import, bank deposit pending: current quantities, nothing paid",
			order: func(o *shopdata.Order) {
				o.LineItems[0].CurrentQuantity, o.LineItems[1].CurrentQuantity = 1, 0
				o.CurrentSubtotalPrice, o.CurrentTotalPrice, o.CurrentTotalTax = m("10.00"), m("15.00"), m("2.61")
				o.FinancialStatus, o.PaymentGatewayNames, o.TotalOutstanding = "pending", []string{"Bank Deposit"}, m("15.00")
			},
			want: want{outcome: Imported, total: "15.00", tax: "2.61", paid: "0.00", balance: "15.00",
				lines: "MUG×1,shipping×1", stock: map[string]int{"MUG": -1}, payTypes: ""},
		},
		{
			name: "refunded before import with restock: the refunded mug is neither sold nor gone",
			order: func(o *shopdata.Order) {
				o.FinancialStatus = "partially_refunded"
				o.LineItems[0].CurrentQuantity = 1
				o.Refunds = []shopdata.Refund{refundOf(801, o.LineItems[0], 1, "return", "10.00", "1.74", "10.00", at.Add(10*time.Minute))}
				o.CurrentSubtotalPrice, o.CurrentTotalPrice, o.CurrentTotalTax = m("28.00"), m("33.00"), m("5.72")
			},
			want: want{outcome: Imported, total: "33.00", tax: "5.72", paid: "33.00", balance: "0.00",
				lines: "MUG×1,PLATE×1,shipping×1", stock: map[string]int{"MUG": -1, "PLATE": -1}, payTypes: "Shopify=33.00"},
		},
		{
			name: "refunded before import without restock: not sold, but gone from the shop",
			order: func(o *shopdata.Order) {
				o.FinancialStatus = "partially_refunded"
				o.LineItems[1].CurrentQuantity = 0
				o.Refunds = []shopdata.Refund{refundOf(802, o.LineItems[1], 1, "no_restock", "18.00", "3.12", "18.00", at.Add(10*time.Minute))}
				o.CurrentSubtotalPrice, o.CurrentTotalPrice, o.CurrentTotalTax = m("20.00"), m("25.00"), m("4.34")
			},
			want: want{outcome: Imported, total: "25.00", tax: "4.34", paid: "25.00", balance: "0.00",
				lines: "MUG×2,shipping×1", stock: map[string]int{"MUG": -2, "PLATE": -1}, payTypes: "Shopify=25.00"},
		},
		{
			name: "refunded before import with its shipping: the shipping line is what is left of it",
			order: func(o *shopdata.Order) {
				o.FinancialStatus = "partially_refunded"
				o.LineItems[1].CurrentQuantity = 0
				r := refundOf(803, o.LineItems[1], 1, "cancel", "18.00", "3.12", "23.00", at.Add(10*time.Minute))
				r.OrderAdjustments = []shopdata.OrderAdjustment{{ID: 8031, RefundID: 803, Kind: "shipping_refund", Reason: "Shipping refund",
					Amount: m("-5.00"), TaxAmount: m("-0.87")}}
				o.Refunds = []shopdata.Refund{r}
				o.CurrentSubtotalPrice, o.CurrentTotalPrice, o.CurrentTotalTax = m("20.00"), m("20.00"), m("3.47")
			},
			want: want{outcome: Imported, total: "20.00", tax: "3.47", paid: "20.00", balance: "0.00",
				lines: "MUG×2,shipping×1", stock: map[string]int{"MUG": -2}, payTypes: "Shopify=20.00"},
		},
		{
			// A size exchange by order edit: the M shirt removed, an L shirt added.
			// total_price stays the original 63.95 while the lines add up to 122.95.
			name: "exchange by edit imports at Shopify's current total",
			order: func(o *shopdata.Order) {
				o.LineItems = []shopdata.LineItem{
					changedLine(70013, "SHIRT-M", "Shirt - M", 1, 0, "59.00", "10.24"),
					changedLine(70014, "SHIRT-L", "Shirt - L", 1, 1, "59.00", "10.24"),
				}
				o.ShippingLines[0].Price, o.ShippingLines[0].DiscountedPrice = m("4.95"), m("4.95")
				o.ShippingLines[0].TaxLines[0].Price = m("0.86")
				o.TotalLineItemsPrice, o.SubtotalPrice, o.CurrentSubtotalPrice = m("59.00"), m("59.00"), m("59.00")
				o.TotalPrice, o.CurrentTotalPrice, o.TotalTax, o.CurrentTotalTax = m("63.95"), m("63.95"), m("11.10"), m("11.10")
			},
			want: want{outcome: Imported, total: "63.95", tax: "11.10", paid: "63.95", balance: "0.00",
				lines: "SHIRT-L×1,shipping×1", stock: map[string]int{"SHIRT-L": -1}, payTypes: "Shopify=63.95"},
		},
		{
			// Paid 43.00 by card, then an edit took the plate off: Shopify owes the buyer
			// 18.00 (outstanding -18.00) and has not refunded it yet.
			name: "negative outstanding: paid in full, no balance, never more than the sale",
			order: func(o *shopdata.Order) {
				o.LineItems[1].CurrentQuantity = 0
				o.CurrentSubtotalPrice, o.CurrentTotalPrice, o.CurrentTotalTax = m("20.00"), m("25.00"), m("4.34")
				o.TotalOutstanding = m("-18.00")
			},
			want: want{outcome: Imported, total: "25.00", tax: "4.34", paid: "25.00", balance: "0.00",
				lines: "MUG×2,shipping×1", stock: map[string]int{"MUG": -2}, payTypes: "Shopify=25.00"},
		},
		{
			name: "every line refunded before import: nothing to sell",
			order: func(o *shopdata.Order) {
				o.FinancialStatus = "refunded"
				o.LineItems[0].CurrentQuantity, o.LineItems[1].CurrentQuantity = 0, 0
				o.Refunds = []shopdata.Refund{refundOf(804, o.LineItems[0], 2, "cancel", "20.00", "3.47", "20.00", at)}
				o.Refunds[0].RefundLineItems = append(o.Refunds[0].RefundLineItems, shopdata.RefundLineItem{ID: 8049, LineItemID: 70012, Quantity: 1,
					RestockType: "cancel", Subtotal: shopdata.Number{Decimal: decimal.RequireFromString("18.00")}, TotalTax: shopdata.Number{Decimal: decimal.RequireFromString("3.12")}})
				o.CurrentSubtotalPrice, o.CurrentTotalPrice, o.CurrentTotalTax = m("0.00"), m("5.00"), m("0.87")
			},
			want: want{outcome: Cancelled, reason: "every line was refunded or removed"},
		},
		{
			// Shopify's shape of a local pickup in a REST or webhook body: no shipping
			// address and a free shipping line named after the location.
			// GraphQL names the location: the fulfillment order's assigned location,
			// whatever the shipping line's title.
			name:     "local pickup is no shipping method",
			order:    func(o *shopdata.Order) { pickupShape(o, "Gent \x1b[2Jshop") },
			location: "Rue Neuve \x1b]0;store",
			want: want{outcome: NoShippingMethod, reason: "local pickup at Gent [2Jshop",
				graphqlReason: "local pickup at Rue Neuve ]0;store"},
		},
		{
			name: "local pickup imported when the connection imports pickups", pickups: true,
			order: func(o *shopdata.Order) { pickupShape(o, "Gent shop") },
			want: want{outcome: Imported, total: "38.00", tax: "6.59", paid: "38.00", balance: "0.00",
				lines: "MUG×2,PLATE×1,shipping×1", stock: map[string]int{"MUG": -2, "PLATE": -1}, payTypes: "Shopify=38.00"},
		},
		{
			name: "local delivery is shipping",
			order: func(o *shopdata.Order) {
				pickupShape(o, "Local delivery")
				o.ShippingAddress = &shopdata.Address{FirstName: "Ann", Address1: "Veldstraat 1", City: "Gent", Country: "Belgium"}
				o.Tags = "" // delivered, not collected
			},
			want: want{outcome: Imported, total: "38.00", tax: "6.59", paid: "38.00", balance: "0.00",
				lines: "MUG×2,PLATE×1,shipping×1", stock: map[string]int{"MUG": -2, "PLATE": -1}, payTypes: "Shopify=38.00"},
		},
		{
			name: "a change Shopify's current figures do not confirm fails with both figures",
			order: func(o *shopdata.Order) {
				o.LineItems[1].CurrentQuantity = 0
				o.CurrentTotalPrice, o.CurrentTotalTax = m("43.00"), m("7.46")
			},
			want: want{outcome: Failed, reason: "total 25.00 ≠ Shopify 43.00"},
		},
	} {
		// Each order as a REST or webhook body, and as Get all reads it through GraphQL
		// (a bulk export; a refunded order's details by id).
		for _, shape := range []string{"body", "graphql"} {
			t.Run(tc.name+"/"+shape, func(t *testing.T) {
				t.Parallel()
				fo := fixtureOptions{}
				if tc.location != "" {
					fo.sim.Locations = []shopifysim.Location{{ID: shopifysim.DefaultLocationID, Name: tc.location, Active: true}}
				}
				f := newFixture(t, fo)
				ctx := context.Background()
				if tc.pickups {
					if err := (ConnectionStore{}).SetImportPickups(ctx, f.db, f.conn.ID, true); err != nil {
						t.Fatal(err)
					}
				}
				sess, err := register.Store{Clock: func() time.Time { return testNow.Add(-2 * time.Hour) }}.OpenSession(ctx, f.db, f.reg.ID, decimal.Zero, "Ann")
				if err != nil {
					t.Fatal(err)
				}
				o := base()
				if tc.order != nil {
					tc.order(&o)
				}
				var out OutcomeRecord
				if shape == "body" {
					_, out = importOne(t, f, orderJSON(t, o))
				} else {
					if err := f.srv.AddOrders(o); err != nil {
						t.Fatal(err)
					}
					sum := f.run(ModeAll)
					outs, err := RunLog{}.Outcomes(ctx, f.db, sum.RunID, "")
					if err != nil || len(outs) != 1 {
						t.Fatalf("outcomes: %v %v", outs, err)
					}
					out = outs[0]
				}
				reason := tc.want.reason
				if shape != "body" && tc.want.graphqlReason != "" {
					reason = tc.want.graphqlReason
				}
				if out.Outcome != tc.want.outcome || !strings.Contains(out.Reason, reason) {
					t.Fatalf("outcome %s (%q), want %s (%q)", out.Outcome, out.Reason, tc.want.outcome, reason)
				}
				if tc.want.outcome != Imported {
					if n := tableCount(t, f.db, "sales"); n != 0 {
						t.Errorf("an order with outcome %s wrote a sale", out.Outcome)
					}
					if n := tableCount(t, f.db, "stock_movements"); n != 0 {
						t.Errorf("an order with outcome %s moved stock", out.Outcome)
					}
					return
				}
				s := mustSale(t, f, "#1001")
				got := fmt.Sprintf("total %s tax %s paid %s balance %s", s.Total.StringFixed(2), s.TaxTotal.StringFixed(2), s.Paid().StringFixed(2), s.Balance.StringFixed(2))
				wantFig := fmt.Sprintf("total %s tax %s paid %s balance %s", tc.want.total, tc.want.tax, tc.want.paid, tc.want.balance)
				if got != wantFig {
					t.Errorf("sale %s, want %s", got, wantFig)
				}
				var lines []string
				for _, l := range s.Lines {
					name := l.SKU
					if l.Kind == sales.KindShipping {
						name = "shipping"
					}
					lines = append(lines, fmt.Sprintf("%s×%d", name, l.Quantity))
				}
				if strings.Join(lines, ",") != tc.want.lines {
					t.Errorf("lines %s, want %s", strings.Join(lines, ","), tc.want.lines)
				}
				stock := f.stock()
				for _, sku := range []string{"MUG", "PLATE", "SHIRT-M", "SHIRT-L"} {
					if stock[sku] != tc.want.stock[sku] {
						t.Errorf("stock of %s %d, want %d (all: %v)", sku, stock[sku], tc.want.stock[sku], stock)
					}
				}
				rep, err := register.Service{Clock: func() time.Time { return testNow }}.ClosingReport(ctx, f.db, sess.ID)
				if err != nil {
					t.Fatal(err)
				}
				var types []string
				for _, p := range rep.Payments {
					if p.Expected != "0.00" {
						types = append(types, p.Type+"="+p.Expected)
					}
				}
				sort.Strings(types)
				if strings.Join(types, ",") != tc.want.payTypes {
					t.Errorf("closing report payments %v, want %s", types, tc.want.payTypes)
				}
			})
		}
	}
}

// pickupShape makes o a local-pickup order as a REST body shows one: no shipping address,
// one free shipping line named after the location.
func pickupShape(o *shopdata.Order, location string) {
	m := shopdata.MustMoney
	o.ShippingAddress = nil
	o.Tags = "local-pickup" // the simulator's GraphQL shape then says PICK_UP
	o.ShippingLines = []shopdata.ShippingLine{{ID: o.ID*10 + 3, Title: location, Code: location, Source: "shopify",
		Price: m("0.00"), DiscountedPrice: m("0.00"), TaxLines: []shopdata.TaxLine{}}}
	o.TotalPrice, o.CurrentTotalPrice, o.TotalTax, o.CurrentTotalTax = m("38.00"), m("38.00"), m("6.59"), m("6.59")
}

// TestFailedOrdersLeavingTheWindow lists the orders whose import failed and that Shopify
// stops handing out within 7 days, with their age, in the run log and the nightly report;
// an order failing with time left, or fixed since, is not listed.
func TestFailedOrdersLeavingTheWindow(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t, fixtureOptions{})
	broken := func(id int64, name string, age time.Duration) shopdata.Order {
		o := genOrder(id, name, testNow.Add(-age))
		o.TotalPrice, o.CurrentTotalPrice = shopdata.MustMoney("99.00"), shopdata.MustMoney("99.00")
		return o
	}
	day := 24 * time.Hour
	if err := f.srv.AddOrders(broken(801, "#801", 55*day), broken(802, "#802", 40*day), genOrder(803, "#803", testNow.Add(-56*day))); err != nil {
		t.Fatal(err)
	}
	if sum := f.run(ModeAll); sum.Outcomes.Failed != 2 {
		t.Fatalf("import %+v", sum)
	}
	got, err := RunLog{}.ExpiringFailures(ctx, f.db, f.conn.ID, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].OrderName != "#801" || got[0].AgeDays != 55 || !got[0].LeavesAt.Equal(testNow.Add(5*day)) ||
		!strings.Contains(got[0].Reason, "total 25.00 ≠ Shopify 99.00") {
		t.Fatalf("expiring %+v", got)
	}
	// What the nightly report of the outlet lists (another outlet's are not).
	nightly, err := RunLog{}.ExpiringImports(ctx, f.db, f.outlet.ID, testNow)
	if err != nil || len(nightly) != 1 || nightly[0].OrderName != "#801" || nightly[0].AgeDays != 55 {
		t.Fatalf("nightly report's %+v (%v)", nightly, err)
	}
	if other, err := (RunLog{}).ExpiringImports(ctx, f.db, f.outlet.ID+1000, testNow); err != nil || len(other) != 0 {
		t.Fatalf("another outlet's %+v (%v)", other, err)
	}
	// Fixed in Shopify and retried: no longer listed.
	if _, err := f.srv.UpdateOrder(801, func(m map[string]any) { m["total_price"], m["current_total_price"] = "25.00", "25.00" }); err != nil {
		t.Fatal(err)
	}
	f.run(ModeRetry)
	if got, err := (RunLog{}).ExpiringFailures(ctx, f.db, f.conn.ID, testNow); err != nil || len(got) != 0 {
		t.Fatalf("after the retry %+v (%v)", got, err)
	}
}
