package shopify

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/kassa-pos/kassa/inventory"
	"github.com/kassa-pos/kassa/sales"
	"github.com/kassa-pos/kassa/sync/shopify/shopifyapi"
	"github.com/kassa-pos/kassa/sync/shopifysim/shopdata"
)

// importOne imports one order handed over as JSON (as a webhook would) and returns its
// outcome row.
func importOne(t *testing.T, f *fixture, raw []byte) (Summary, OutcomeRecord) {
	t.Helper()
	o, err := shopifyapi.DecodeOrder(raw)
	if err != nil {
		o.DecodeErr = err
	}
	sum, err := f.im.ImportOrders(context.Background(), f.conn.ID, []shopifyapi.Order{o}, RunOptions{})
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	outs, err := RunLog{}.Outcomes(context.Background(), f.db, sum.RunID, "")
	if err != nil || len(outs) != 1 {
		t.Fatalf("outcomes: %v %v", outs, err)
	}
	return sum, outs[0]
}

func mustSale(t *testing.T, f *fixture, receipt string) sales.Sale {
	t.Helper()
	s, err := sales.Store{}.SaleByReceipt(context.Background(), f.db, f.outlet.ID, receipt)
	if err != nil {
		t.Fatalf("sale %s: %v", receipt, err)
	}
	return s
}

func ptr[T any](v T) *T { return &v }

// TestImportRules imports one crafted order per rule of DESIGN.md and checks what staff
// would see.
func TestImportRules(t *testing.T) {
	t.Parallel()
	m := shopdata.MustMoney
	rate := shopdata.MustRate("0.21")
	at := testNow.Add(-2 * time.Hour)
	for _, tc := range []struct {
		name        string
		importTests bool
		setup       func(t *testing.T, f *fixture)
		order       func(o *shopdata.Order)
		outcome     Outcome
		reason      string // part of the reason
		check       func(t *testing.T, f *fixture, s sales.Sale)
	}{
		{
			name: "new product is created, published and tracked; stock falls", outcome: Imported,
			check: func(t *testing.T, f *fixture, s sales.Sale) {
				p, err := inventory.Store{}.ProductBySKU(context.Background(), f.db, "SKU-A")
				if err != nil {
					t.Fatal(err)
				}
				if !p.Published || !p.TracksStock || p.Source != "shopify" || p.Name != "Mug" || p.VariantTitle != "Blue" || p.Price.String() != "10" {
					t.Errorf("created product %+v", p)
				}
				if f.stock()["SKU-A"] != -2 {
					t.Errorf("stock %d, want -2", f.stock()["SKU-A"])
				}
				byVariant, err := inventory.Store{}.ProductByExternalID(context.Background(), f.db, Channel, f.conn.Shop, 9101)
				if err != nil || byVariant.ID != p.ID {
					t.Errorf("variant not remembered: %v %v", byVariant, err)
				}
				if s.Lines[0].Kind != sales.KindProduct || s.Lines[0].Tax.String() != "3.47" || len(s.Lines[0].Taxes) != 1 ||
					s.Lines[0].Taxes[0].Rate.String() != "0.21" {
					t.Errorf("line %+v", s.Lines[0])
				}
				if s.CustomerEmail != "ann@example.com" || s.CustomerName != "Ann Peeters" {
					t.Errorf("customer %q %q", s.CustomerEmail, s.CustomerName)
				}
				if s.Payments[0].TypeName != "Shopify" || s.Payments[0].Amount.String() != "25" {
					t.Errorf("payment %+v", s.Payments[0])
				}
			},
		},
		{
			name: "product found by remembered variant id, then by SKU; unpublished is published", outcome: Imported,
			setup: func(t *testing.T, f *fixture) {
				ctx := context.Background()
				p, err := inventory.Store{}.CreateProduct(ctx, f.db, inventory.Product{SKU: "POS-MUG", Name: "Our mug", Price: dec("9.00"), TracksStock: true})
				if err != nil {
					t.Fatal(err)
				}
				if err := (inventory.Store{}).LinkExternalID(ctx, f.db, p.ID, inventory.ExternalID{Channel: Channel, Shop: f.conn.Shop, VariantID: 9101}); err != nil {
					t.Fatal(err)
				}
			},
			check: func(t *testing.T, f *fixture, s sales.Sale) {
				p, _ := inventory.Store{}.ProductBySKU(context.Background(), f.db, "POS-MUG")
				if !p.Published || *s.Lines[0].ProductID != p.ID {
					t.Errorf("line product %v, want the remembered %d (published %v)", *s.Lines[0].ProductID, p.ID, p.Published)
				}
				if _, err := (inventory.Store{}).ProductBySKU(context.Background(), f.db, "SKU-A"); err == nil {
					t.Error("a second product was created")
				}
				if f.stock()["POS-MUG"] != -2 {
					t.Errorf("stock %v", f.stock())
				}
			},
		},
		{
			name: "product found by SKU keeps its POS settings (untracked: no stock)", outcome: Imported,
			setup: func(t *testing.T, f *fixture) {
				_, err := inventory.Store{}.CreateProduct(context.Background(), f.db, inventory.Product{SKU: "SKU-A", Name: "Mug", Price: dec("10"), TracksStock: false})
				if err != nil {
					t.Fatal(err)
				}
			},
			check: func(t *testing.T, f *fixture, s sales.Sale) {
				p, _ := inventory.Store{}.ProductBySKU(context.Background(), f.db, "SKU-A")
				if !p.Published || p.Source != "pos" || p.TracksStock {
					t.Errorf("product %+v", p)
				}
				if n := tableCount(t, f.db, "stock_movements"); n != 0 {
					t.Errorf("%d stock movements for an untracked product", n)
				}
				if x, err := (inventory.Store{}).ProductByExternalID(context.Background(), f.db, Channel, f.conn.Shop, 9101); err != nil || x.ID != p.ID {
					t.Errorf("variant not remembered for the SKU's product: %v", err)
				}
			},
		},
		{
			name: "product found by SKU in another case: SKUs are case-insensitive", outcome: Imported,
			setup: func(t *testing.T, f *fixture) {
				_, err := inventory.Store{}.CreateProduct(context.Background(), f.db, inventory.Product{SKU: "sku-a", Name: "Our mug", Price: dec("10"), TracksStock: true})
				if err != nil {
					t.Fatal(err)
				}
			},
			check: func(t *testing.T, f *fixture, s sales.Sale) {
				p, err := inventory.Store{}.ProductBySKU(context.Background(), f.db, "SKU-A")
				if err != nil || p.SKU != "sku-a" || *s.Lines[0].ProductID != p.ID {
					t.Errorf("line product %v, want the POS product sku-a (%+v, %v)", *s.Lines[0].ProductID, p, err)
				}
				if n := tableCount(t, f.db, "products WHERE source = 'shopify'"); n != 0 {
					t.Errorf("%d products created for a SKU the POS has in another case", n)
				}
				if f.stock()["sku-a"] != -2 {
					t.Errorf("stock %v", f.stock())
				}
			},
		},
		{
			name: "custom item and gift card: no product, no stock", outcome: Imported,
			order: func(o *shopdata.Order) {
				o.LineItems = append(o.LineItems,
					shopdata.LineItem{ID: 3, Title: "Engraving", Quantity: 1, CurrentQuantity: 1, Price: m("5.00"), TotalDiscount: m("0"), Taxable: true,
						TaxLines: []shopdata.TaxLine{{Price: m("0.87"), Rate: rate, Title: "BTW"}}},
					shopdata.LineItem{ID: 4, Title: "Gift card", Quantity: 1, CurrentQuantity: 1, Price: m("25.00"), TotalDiscount: m("0"), GiftCard: true,
						ProductID: ptr(int64(77)), VariantID: ptr(int64(78)), SKU: ptr("GIFT-25")})
				o.TotalPrice, o.TotalTax, o.TotalLineItemsPrice = m("55.00"), m("5.21"), m("50.00")
			},
			check: func(t *testing.T, f *fixture, s sales.Sale) {
				kinds := []string{}
				for _, l := range s.Lines {
					kinds = append(kinds, l.Kind)
					if (l.Kind == sales.KindCustom || l.Kind == sales.KindGiftCard) && l.ProductID != nil {
						t.Errorf("%s line has a product", l.Kind)
					}
				}
				if strings.Join(kinds, ",") != "product,custom,gift_card,shipping" {
					t.Errorf("kinds %v", kinds)
				}
				if n := tableCount(t, f.db, "stock_movements"); n != 1 {
					t.Errorf("%d stock movements, want 1 (the mug)", n)
				}
			},
		},
		{
			name: "discounts on lines and shipping; tip; taxes added on top", outcome: Imported,
			order: func(o *shopdata.Order) {
				o.TaxesIncluded = false
				li := &o.LineItems[0]
				li.DiscountAllocations = []shopdata.DiscountAllocation{{Amount: m("2.00")}}
				li.TotalDiscount = m("2.00")
				li.TaxLines[0].Price = m("3.78") // 21 % of 18.00
				s := &o.ShippingLines[0]
				s.DiscountedPrice = m("3.00")
				s.DiscountAllocations = []shopdata.DiscountAllocation{{Amount: m("2.00"), DiscountApplicationIndex: 1}}
				s.TaxLines[0].Price = m("0.63")
				o.TotalTipReceived = m("1.50")
				o.TotalDiscounts, o.TotalTax = m("4.00"), m("4.41")
				o.TotalPrice = m("26.91") // 18.00 + 3.00 + 1.50 + 4.41
			},
			check: func(t *testing.T, f *fixture, s sales.Sale) {
				if s.Total.String() != "26.91" || s.TaxTotal.String() != "4.41" || s.DiscountTotal.String() != "4" || s.TaxesIncluded {
					t.Errorf("sale %s tax %s discounts %s", s.Total, s.TaxTotal, s.DiscountTotal)
				}
				ship := s.Lines[1]
				if ship.Kind != sales.KindShipping || ship.UnitPrice.String() != "5" || ship.Discount.String() != "2" || ship.Total.String() != "3" ||
					ship.Tax.String() != "0.63" || ship.Title != "Standard" || ship.SKU != ShippingSKU {
					t.Errorf("shipping line %+v", ship)
				}
				if tip := s.Lines[2]; tip.Kind != sales.KindTip || tip.Total.String() != "1.5" {
					t.Errorf("tip line %+v", tip)
				}
				if s.Lines[0].Discount.String() != "2" || s.Lines[0].Total.String() != "18" {
					t.Errorf("line %+v", s.Lines[0])
				}
			},
		},
		{
			name: "bank deposit pending: awaiting payment, nothing paid", outcome: Imported,
			order: func(o *shopdata.Order) {
				o.FinancialStatus, o.PaymentGatewayNames, o.TotalOutstanding = "pending", []string{"Bank Deposit"}, m("25.00")
			},
			check: func(t *testing.T, f *fixture, s sales.Sale) {
				if s.Status != sales.StatusAwaitingPayment || s.Balance.String() != "25" || len(s.Payments) != 0 {
					t.Errorf("status %s balance %s payments %d", s.Status, s.Balance, len(s.Payments))
				}
			},
		},
		{
			name: "partially paid: collected part paid, rest owed", outcome: Imported,
			order: func(o *shopdata.Order) {
				o.FinancialStatus, o.PaymentGatewayNames, o.TotalOutstanding = "partially_paid", []string{"gift_card", "Bank Deposit"}, m("15.00")
			},
			check: func(t *testing.T, f *fixture, s sales.Sale) {
				if s.Balance.String() != "15" || len(s.Payments) != 1 || s.Payments[0].Amount.String() != "10" || s.Payments[0].TypeName != "Shopify" {
					t.Errorf("balance %s payments %+v", s.Balance, s.Payments)
				}
			},
		},
		{
			name: "paid bank deposit is a Bank deposit payment", outcome: Imported,
			order: func(o *shopdata.Order) { o.PaymentGatewayNames = []string{"Bank Deposit"} },
			check: func(t *testing.T, f *fixture, s sales.Sale) {
				if s.Payments[0].TypeName != "Bank deposit" {
					t.Errorf("payment type %s", s.Payments[0].TypeName)
				}
			},
		},
		{
			name: "customer matched by e-mail whatever its case", outcome: Imported,
			setup: func(t *testing.T, f *fixture) {
				if _, err := (sales.Store{}).UpsertCustomer(context.Background(), f.db, sales.Customer{Email: "ANN@example.COM", FirstName: "Annie"}); err != nil {
					t.Fatal(err)
				}
			},
			check: func(t *testing.T, f *fixture, s sales.Sale) {
				if n := tableCount(t, f.db, "customers"); n != 1 || s.CustomerName != "Annie Peeters" {
					t.Errorf("%d customers, sale's %q", n, s.CustomerName)
				}
				var id int64
				if err := f.db.Get(&id, `SELECT customer_id FROM customer_external_ids WHERE external_id = 7001`); err != nil || id != *s.CustomerID {
					t.Errorf("Shopify customer id not remembered: %v", err)
				}
			},
		},
		{
			name: "sold at processed_at", outcome: Imported,
			order: func(o *shopdata.Order) {
				o.ProcessedAt = shopdata.FormatTime(at.Add(30*time.Minute), time.FixedZone("", 3600))
			},
			check: func(t *testing.T, f *fixture, s sales.Sale) {
				if !s.SoldAt.Equal(at.Add(30 * time.Minute).Truncate(time.Second)) {
					t.Errorf("sold at %s", s.SoldAt)
				}
			},
		},
		{
			name: "test order imported when the connection imports test orders", importTests: true, outcome: Imported,
			order: func(o *shopdata.Order) { o.Test = true },
		},
		{name: "test order", outcome: TestOrder, order: func(o *shopdata.Order) { o.Test = true }},
		{
			name: "cancelled", outcome: Cancelled,
			order: func(o *shopdata.Order) { c := shopdata.FormatTime(at, time.UTC); o.CancelledAt = &c; o.Test = true },
		},
		{
			name: "too old", outcome: TooOld, reason: "more than 60 days ago",
			order: func(o *shopdata.Order) {
				ts := shopdata.FormatTime(testNow.Add(-61*24*time.Hour), time.UTC)
				o.CreatedAt, o.ProcessedAt = ts, ts
				o.ShippingLines = nil
			},
		},
		{name: "no shipping method", outcome: NoShippingMethod, order: func(o *shopdata.Order) { o.ShippingLines = nil }},
		{
			name: "totals that do not reproduce Shopify's fail with both figures", outcome: Failed, reason: "total 25.00 ≠ Shopify 25.50",
			order: func(o *shopdata.Order) { o.TotalPrice, o.CurrentTotalPrice = m("25.50"), m("25.50") },
		},
		{
			name: "tax that does not reproduce Shopify's fails", outcome: Failed, reason: "tax 4.34 ≠ Shopify 4.35",
			order: func(o *shopdata.Order) { o.TotalTax, o.CurrentTotalTax = m("4.35"), m("4.35") },
		},
		{
			name: "another currency fails", outcome: Failed, reason: "currency USD differs",
			order: func(o *shopdata.Order) { o.Currency = "USD" },
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, fixtureOptions{importTests: tc.importTests})
			if tc.setup != nil {
				tc.setup(t, f)
			}
			o := genOrder(5001, "#5001", at)
			if tc.order != nil {
				tc.order(&o)
			}
			before := tableCount(t, f.db, "sales")
			raw := orderJSON(t, o)
			sum, out := importOne(t, f, raw)
			if kept, err := (RunLog{}).RawOrder(context.Background(), f.db, out.ID); err != nil || string(kept) != string(raw) {
				t.Errorf("the import log keeps %d bytes (%v), not the %d bytes of the order", len(kept), err, len(raw))
			}
			if out.Outcome != tc.outcome || !strings.Contains(out.Reason, tc.reason) {
				t.Fatalf("outcome %s (%q), want %s (%q)", out.Outcome, out.Reason, tc.outcome, tc.reason)
			}
			if sum.Seen != 1 || sum.Mode != ModeWebhook {
				t.Errorf("summary %+v", sum)
			}
			if tc.outcome != Imported {
				if n := tableCount(t, f.db, "sales"); n != before {
					t.Errorf("an order with outcome %s wrote a sale", tc.outcome)
				}
				if n := tableCount(t, f.db, "stock_movements"); n != 0 {
					t.Errorf("an order with outcome %s moved stock", tc.outcome)
				}
				return
			}
			s := mustSale(t, f, "#5001")
			if out.SaleID == nil || *out.SaleID != s.ID {
				t.Errorf("outcome names sale %v, want %d", out.SaleID, s.ID)
			}
			if tc.check != nil {
				tc.check(t, f, s)
			}
			// The same order again changes nothing.
			_, again := importOne(t, f, orderJSON(t, o))
			if again.Outcome != AlreadyImported || *again.SaleID != s.ID {
				t.Errorf("second import: %+v", again)
			}
		})
	}
}

// TestRetryFailed fixes a failed order in Shopify and retries it.
func TestRetryFailed(t *testing.T) {
	t.Parallel()
	bad := genOrder(101, "#1001", testNow.Add(-time.Hour))
	bad.TotalPrice, bad.CurrentTotalPrice = shopdata.MustMoney("99.00"), shopdata.MustMoney("99.00")
	good := genOrder(102, "#1002", testNow.Add(-time.Hour))
	f := newFixture(t, fixtureOptions{})
	if err := f.srv.AddOrders(bad, good); err != nil {
		t.Fatal(err)
	}
	if sum := f.run(ModeAll); sum.Outcomes.Failed != 1 || sum.Outcomes.Imported != 1 {
		t.Fatalf("first run %+v", sum)
	}
	if _, err := f.srv.UpdateOrder(101, func(o map[string]any) { o["total_price"], o["current_total_price"] = "25.00", "25.00" }); err != nil {
		t.Fatal(err)
	}
	sum := f.run(ModeRetry)
	if sum.Seen != 1 || sum.Outcomes.Imported != 1 {
		t.Fatalf("retry %+v", sum)
	}
	if s := mustSale(t, f, "#1001"); !s.Total.Equal(decimal.NewFromInt(25)) {
		t.Errorf("retried sale total %s", s.Total)
	}
	if again := f.run(ModeRetry); again.Seen != 0 {
		t.Errorf("nothing left to retry, but %+v", again)
	}
}
