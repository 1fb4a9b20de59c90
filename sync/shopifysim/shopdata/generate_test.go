package shopdata

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	goshopify "github.com/bold-commerce/go-shopify/v4"
	"github.com/shopspring/decimal"
)

// testNow is the shop clock of every test: a fixed moment, never the machine's time.
var testNow = time.Date(2026, 8, 28, 10, 30, 0, 0, time.UTC)

func brussels(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Brussels")
	if err != nil {
		t.Fatalf("load zone: %v", err)
	}
	return loc
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return b
}

func TestGeneratedTotalsAreConsistent(t *testing.T) {
	t.Parallel()
	for _, seed := range []int64{1, 2, 42, 20260828} {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			t.Parallel()
			g := NewGenerator(GenerateOptions{Seed: seed, Orders: 1000, Days: 120, Now: testNow})
			orders := g.Orders()
			// A few orders placed after the window, as the simulator does for webhooks.
			for i := range 50 {
				orders = append(orders, g.NewOrder(testNow.Add(time.Duration(i)*time.Minute)))
			}
			for _, o := range orders {
				if err := CheckTotals(o); err != nil {
					t.Fatal(err)
				}
				// The rendered JSON must carry the same figures.
				var back Order
				if err := json.Unmarshal(mustJSON(t, o), &back); err != nil {
					t.Fatalf("order %s: decode own JSON: %v", o.Name, err)
				}
				if err := CheckTotals(back); err != nil {
					t.Fatalf("after a JSON round trip: %v", err)
				}
				checkTransactions(t, o, g.Transactions(o))
			}
		})
	}
}

// checkTransactions asserts that what the transactions collected matches the order:
// successful sales and captures minus refunds equal total_price − total_outstanding.
func checkTransactions(t *testing.T, o Order, txs []Transaction) {
	t.Helper()
	collected, pending := decimal.Zero, decimal.Zero
	ids := map[int64]bool{}
	for _, tx := range txs {
		if tx.OrderID != o.ID {
			t.Fatalf("order %s: transaction %d belongs to order %d", o.Name, tx.ID, tx.OrderID)
		}
		if ids[tx.ID] {
			t.Fatalf("order %s: transaction id %d twice", o.Name, tx.ID)
		}
		ids[tx.ID] = true
		if tx.Test != o.Test || tx.Currency != o.Currency {
			t.Fatalf("order %s: transaction %d test/currency differ from the order", o.Name, tx.ID)
		}
		if _, err := ParseTime(tx.ProcessedAt); err != nil {
			t.Fatal(err)
		}
		switch {
		case tx.Status == "success" && (tx.Kind == "sale" || tx.Kind == "capture"):
			collected = collected.Add(tx.Amount.Decimal)
		case tx.Status == "success" && tx.Kind == "refund":
			collected = collected.Sub(tx.Amount.Decimal)
		case tx.Status == "pending" && tx.Kind == "sale":
			pending = pending.Add(tx.Amount.Decimal)
		}
	}
	want := o.TotalPrice.Sub(o.TotalOutstanding.Decimal)
	switch o.FinancialStatus {
	case "refunded", "voided":
		want = decimal.Zero
	}
	if !collected.Equal(want) {
		t.Fatalf("order %s (%s, %v): transactions collected %s, want %s", o.Name, o.FinancialStatus, o.PaymentGatewayNames, collected, want.StringFixed(2))
	}
	if o.FinancialStatus == "pending" || o.FinancialStatus == "partially_paid" {
		if !pending.Equal(o.TotalOutstanding.Decimal) {
			t.Fatalf("order %s: pending transactions %s, outstanding %s", o.Name, pending, o.TotalOutstanding)
		}
	}
	if o.FinancialStatus == "refunded" {
		if len(o.Refunds) != 1 {
			t.Fatalf("refunded order %s has %d refunds", o.Name, len(o.Refunds))
		}
		refunded := decimal.Zero
		for _, rt := range o.Refunds[0].Transactions {
			refunded = refunded.Add(rt.Amount.Decimal)
			if !ids[rt.ID] {
				t.Fatalf("order %s: refund transaction %d missing from Transactions", o.Name, rt.ID)
			}
		}
		if !refunded.Equal(o.TotalPrice.Decimal) {
			t.Fatalf("order %s: refunded %s of %s", o.Name, refunded, o.TotalPrice)
		}
	}
}

func TestCheckTotalsReportsBrokenOrders(t *testing.T) {
	t.Parallel()
	g := NewGenerator(GenerateOptions{Seed: 7, Orders: 300, Days: 30, Now: testNow})
	var taxed, pending, discounted Order
	for _, o := range g.Orders() {
		switch {
		case taxed.ID == 0 && len(o.LineItems[0].TaxLines) > 0 && o.CancelledAt == nil:
			taxed = o
		case pending.ID == 0 && o.FinancialStatus == "pending":
			pending = o
		case discounted.ID == 0 && len(o.LineItems[0].DiscountAllocations) > 0:
			discounted = o
		}
	}
	cent := decimal.New(1, -2)
	cases := []struct {
		name   string
		order  Order
		break_ func(o *Order)
		want   string
	}{
		{"total price off by a cent", taxed, func(o *Order) { o.TotalPrice = NewMoney(o.TotalPrice.Add(cent)) }, "total_price"},
		{"line tax off by a cent", taxed, func(o *Order) {
			tl := append([]TaxLine(nil), o.LineItems[0].TaxLines...)
			tl[0].Price = NewMoney(tl[0].Price.Add(cent))
			lis := append([]LineItem(nil), o.LineItems...)
			lis[0].TaxLines = tl
			o.LineItems = lis
		}, "line_items[0] tax_lines[0]"},
		{"quantity changed", taxed, func(o *Order) {
			lis := append([]LineItem(nil), o.LineItems...)
			lis[0].Quantity++
			o.LineItems = lis
		}, "total_line_items_price"},
		{"taxes mode flipped", taxed, func(o *Order) { o.TaxesIncluded = !o.TaxesIncluded }, "tax_lines"},
		{"pending order shows nothing owed", pending, func(o *Order) { o.TotalOutstanding = NewMoney(decimal.Zero) }, "total_outstanding"},
		{"line discount not matching allocations", discounted, func(o *Order) {
			lis := append([]LineItem(nil), o.LineItems...)
			lis[0].TotalDiscount = NewMoney(decimal.Zero)
			o.LineItems = lis
		}, "total_discount"},
		{"order tax line missing", taxed, func(o *Order) { o.TaxLines = o.TaxLines[1:] }, "tax_lines lacks"},
		{"sub-cent price", taxed, func(o *Order) {
			lis := append([]LineItem(nil), o.LineItems...)
			lis[0].Price = NewMoney(lis[0].Price.Add(decimal.New(1, -3)))
			o.LineItems = lis
		}, "more than two decimals"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.order.ID == 0 {
				t.Fatal("the generated shop lacks an order for this case")
			}
			if err := CheckTotals(c.order); err != nil {
				t.Fatalf("unbroken order: %v", err)
			}
			o := c.order
			c.break_(&o)
			err := CheckTotals(o)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("CheckTotals = %v, want an error about %q", err, c.want)
			}
		})
	}
}

func TestSameSeedSameJSON(t *testing.T) {
	t.Parallel()
	render := func(opt GenerateOptions) []byte {
		g := NewGenerator(opt)
		var buf bytes.Buffer
		buf.Write(mustJSON(t, map[string]any{"orders": g.Orders()}))
		for _, o := range g.Orders() {
			buf.Write(mustJSON(t, g.Transactions(o)))
		}
		buf.Write(mustJSON(t, g.NewOrder(testNow.Add(time.Hour))))
		buf.Write(mustJSON(t, g.Catalog()))
		return buf.Bytes()
	}
	opt := GenerateOptions{Seed: 99, Orders: 250, Days: 90, Now: testNow, Location: brussels(t)}
	a, b := render(opt), render(opt)
	if !bytes.Equal(a, b) {
		t.Fatal("two generators with the same options rendered different JSON")
	}
	opt.Seed = 100
	if bytes.Equal(a, render(opt)) {
		t.Fatal("a different seed rendered the same shop")
	}
}

func TestNewOrderContinuesTheShop(t *testing.T) {
	t.Parallel()
	opt := GenerateOptions{Seed: 5, Orders: 50, Days: 10, Now: testNow}
	g := NewGenerator(opt)
	orders := g.Orders()
	last := orders[len(orders)-1]
	at := testNow.Add(2 * time.Minute)
	n1 := g.NewOrder(at)
	n2 := g.NewOrder(at.Add(time.Minute))
	if n1.OrderNumber != last.OrderNumber+1 || n2.OrderNumber != last.OrderNumber+2 || n1.Name != fmt.Sprintf("#%d", last.OrderNumber+1) {
		t.Fatalf("numbers %d, %d after %d", n1.OrderNumber, n2.OrderNumber, last.OrderNumber)
	}
	if n1.ID <= last.ID || n2.ID <= n1.ID {
		t.Fatalf("ids %d, %d after %d", n1.ID, n2.ID, last.ID)
	}
	created, err := ParseTime(n1.CreatedAt)
	if err != nil || !created.Equal(at.Truncate(time.Second)) {
		t.Fatalf("created_at %s, want %s (%v)", n1.CreatedAt, at, err)
	}
	// A fresh order has not been fulfilled, closed or cancelled yet.
	if n1.FulfillmentStatus != nil || n1.ClosedAt != nil || n1.CancelledAt != nil {
		t.Fatalf("a just-placed order is already fulfilled/closed/cancelled: %+v %v %v", n1.FulfillmentStatus, n1.ClosedAt, n1.CancelledAt)
	}
	// The first NewOrder is the same whether or not Orders was called first.
	other := NewGenerator(opt)
	if !bytes.Equal(mustJSON(t, other.NewOrder(at)), mustJSON(t, n1)) {
		t.Fatal("NewOrder depends on whether Orders was called")
	}
}

func TestOrdersAreOrderedInTheWindowAndZone(t *testing.T) {
	t.Parallel()
	loc := brussels(t)
	g := NewGenerator(GenerateOptions{Seed: 3, Orders: 500, Days: 90, Now: testNow, FirstOrderNumber: 2001})
	orders := g.Orders()
	if len(orders) != 500 {
		t.Fatalf("%d orders, want 500", len(orders))
	}
	if orders[0].Name != "#2001" || orders[0].Number != 1001 {
		t.Fatalf("first order %s number %d", orders[0].Name, orders[0].Number)
	}
	start := testNow.Add(-90 * 24 * time.Hour)
	var prev time.Time
	var prevID int64
	for i, o := range orders {
		for _, s := range []string{o.CreatedAt, o.UpdatedAt, o.ProcessedAt} {
			ts, err := ParseTime(s)
			if err != nil {
				t.Fatal(err)
			}
			if _, off := ts.Zone(); func() int { _, w := ts.In(loc).Zone(); return w }() != off {
				t.Fatalf("order %s: %s is not in the shop's zone", o.Name, s)
			}
		}
		created, _ := ParseTime(o.CreatedAt)
		updated, _ := ParseTime(o.UpdatedAt)
		if created.Before(start) || created.After(testNow) || updated.After(testNow) || updated.Before(created) {
			t.Fatalf("order %s created %s updated %s outside [%s, %s]", o.Name, o.CreatedAt, o.UpdatedAt, start, testNow)
		}
		if i > 0 && (!created.After(prev) || o.ID <= prevID) {
			t.Fatalf("order %s (id %d, %s) does not follow id %d at %s", o.Name, o.ID, o.CreatedAt, prevID, prev)
		}
		prev, prevID = created, o.ID
	}
}

// TestMix checks that a 500-order, 90-day shop contains every kind of order the importer
// must handle.
func TestMix(t *testing.T) {
	t.Parallel()
	g := NewGenerator(GenerateOptions{Seed: 11, Orders: 500, Days: 90, Now: testNow})
	orders := g.Orders()
	seen := map[string]int{}
	emailsByCustomer := map[int64]map[string]bool{}
	ordersByCustomer := map[int64]int{}
	for _, o := range orders {
		created, _ := ParseTime(o.CreatedAt)
		processed, _ := ParseTime(o.ProcessedAt)
		kinds := []string{}
		add := func(k string, ok bool) {
			if ok {
				kinds = append(kinds, k)
			}
		}
		gw := strings.Join(o.PaymentGatewayNames, "+")
		add("card", gw == "shopify_payments" && o.FinancialStatus == "paid")
		add("paypal", gw == "paypal")
		add("bank deposit pending", gw == "Bank Deposit" && o.FinancialStatus == "pending" && o.TotalOutstanding.Equal(o.TotalPrice.Decimal))
		add("partially paid", o.FinancialStatus == "partially_paid" && o.TotalOutstanding.IsPositive())
		add("authorized", o.FinancialStatus == "authorized" && o.TotalOutstanding.Equal(o.TotalPrice.Decimal))
		add("gift card payment", strings.Contains(gw, "gift_card"))
		add("manual payment", gw == "manual")
		add("no shipping line", len(o.ShippingLines) == 0)
		add("shipping line", len(o.ShippingLines) > 0)
		for _, s := range o.ShippingLines {
			add("free shipping by discount", s.Price.IsPositive() && s.DiscountedPrice.IsZero() && len(s.DiscountAllocations) > 0)
		}
		for _, a := range o.DiscountApplications {
			add("line-level discount", a.Type == "automatic" && a.TargetSelection == "entitled")
			add("order-level discount code", a.Type == "discount_code" && a.TargetType == "line_item")
		}
		add("taxes included", o.TaxesIncluded)
		add("taxes added", !o.TaxesIncluded)
		for _, tl := range o.TaxLines {
			if o.TaxesIncluded {
				add("VAT "+tl.Rate.String(), true)
			}
		}
		for _, li := range o.LineItems {
			add("taxes added, one tax line", !o.TaxesIncluded && len(li.TaxLines) == 1)
			add("taxes added, two tax lines", !o.TaxesIncluded && len(li.TaxLines) == 2)
			add("custom item", li.ProductID == nil && li.SKU == nil && !li.ProductExists)
			add("gift card purchase", li.GiftCard && !li.Taxable && len(li.TaxLines) == 0 && li.VariantInventoryManagement == nil)
			add("multi-quantity line", li.Quantity > 1)
			add("untracked product", li.ProductID != nil && li.VariantInventoryManagement == nil && !li.GiftCard)
		}
		add("tip", o.TotalTipReceived.IsPositive())
		add("guest", o.Customer == nil)
		add("test order", o.Test && gw == "bogus")
		add("cancelled, voided", o.CancelledAt != nil && o.CancelReason != nil && o.FinancialStatus == "voided")
		add("cancelled, refunded", o.CancelledAt != nil && o.CancelReason != nil && o.FinancialStatus == "refunded")
		add("closed", o.ClosedAt != nil && o.CancelledAt == nil)
		add("fulfilled", o.FulfillmentStatus != nil && *o.FulfillmentStatus == "fulfilled")
		add("older than 60 days", testNow.Sub(created) > 60*24*time.Hour)
		add("processed before created", processed.Before(created))
		for _, k := range kinds {
			seen[k]++
		}
		if c := o.Customer; c != nil {
			ordersByCustomer[c.ID]++
			if emailsByCustomer[c.ID] == nil {
				emailsByCustomer[c.ID] = map[string]bool{}
			}
			emailsByCustomer[c.ID][o.Email] = true
		}
	}
	for _, n := range ordersByCustomer {
		if n > 1 {
			seen["repeat customer"]++
		}
	}
	for _, emails := range emailsByCustomer {
		lower := map[string]bool{}
		for e := range emails {
			lower[strings.ToLower(e)] = true
		}
		if len(emails) > 1 && len(lower) == 1 {
			seen["same e-mail in another case"]++
		}
	}
	want := []string{"card", "paypal", "bank deposit pending", "partially paid", "authorized", "gift card payment",
		"manual payment", "no shipping line", "shipping line", "free shipping by discount", "line-level discount",
		"order-level discount code", "taxes included", "taxes added", "VAT 0.21", "VAT 0.06", "VAT 0.12",
		"taxes added, one tax line", "taxes added, two tax lines", "custom item", "gift card purchase",
		"multi-quantity line", "untracked product", "tip", "guest", "test order", "cancelled, voided",
		"cancelled, refunded", "closed", "fulfilled", "older than 60 days", "processed before created",
		"repeat customer", "same e-mail in another case"}
	for _, k := range want {
		if seen[k] == 0 {
			t.Errorf("no %q order among %d", k, len(orders))
		}
	}
	t.Logf("mix of %d orders: %v", len(orders), seen)
}

func TestCatalogCoversOrderedVariants(t *testing.T) {
	t.Parallel()
	g := NewGenerator(GenerateOptions{Seed: 8, Orders: 400, Days: 30, Now: testNow})
	variants := map[int64]CatalogItem{}
	perProduct := map[int64]int{}
	for _, c := range g.Catalog() {
		if _, dup := variants[c.VariantID]; dup {
			t.Fatalf("variant %d listed twice", c.VariantID)
		}
		variants[c.VariantID] = c
		perProduct[c.ProductID]++
	}
	for pid, n := range perProduct {
		if n < 1 || n > 4 {
			t.Errorf("product %d has %d variants", pid, n)
		}
	}
	for _, o := range g.Orders() {
		for _, li := range o.LineItems {
			if li.VariantID == nil {
				continue
			}
			c, ok := variants[*li.VariantID]
			if !ok {
				t.Fatalf("order %s references variant %d outside the catalog", o.Name, *li.VariantID)
			}
			if *li.ProductID != c.ProductID || *li.SKU != c.SKU || !li.Price.Equal(c.Price) || li.GiftCard != c.GiftCard ||
				(li.VariantInventoryManagement != nil) != c.Tracked {
				t.Fatalf("order %s line %q disagrees with catalog item %+v", o.Name, li.Name, c)
			}
		}
	}
}

// TestGoShopifyDecodesGeneratedOrders feeds the generated JSON to the client kassa uses, the
// way the simulator serves it, so a field shape it refuses (a numeric total_tip_received, a
// string marketing_opt_in_level, an offset-less timestamp) fails here first.
func TestGoShopifyDecodesGeneratedOrders(t *testing.T) {
	t.Parallel()
	g := NewGenerator(GenerateOptions{Seed: 13, Orders: 500, Days: 90, Now: testNow})
	orders := g.Orders()
	var list goshopify.OrdersResource
	if err := json.Unmarshal(mustJSON(t, map[string]any{"orders": orders}), &list); err != nil {
		t.Fatalf("go-shopify cannot decode the order list: %v", err)
	}
	if len(list.Orders) != len(orders) {
		t.Fatalf("decoded %d orders, want %d", len(list.Orders), len(orders))
	}
	for i, got := range list.Orders {
		want := orders[i]
		if int64(got.Id) != want.ID || got.Name != want.Name || !got.TotalPrice.Equal(want.TotalPrice.Decimal) ||
			!got.TotalTax.Equal(want.TotalTax.Decimal) || got.CreatedAt == nil || (got.Customer == nil) != (want.Customer == nil) {
			t.Fatalf("order %s decoded as id %d name %s total %v", want.Name, got.Id, got.Name, got.TotalPrice)
		}
	}
	// All the shop's transactions in one list: decoding them order by order tests nothing more.
	var all []Transaction
	for _, o := range orders {
		all = append(all, g.Transactions(o)...)
	}
	var txs goshopify.TransactionsResource
	if err := json.Unmarshal(mustJSON(t, map[string]any{"transactions": all}), &txs); err != nil {
		t.Fatalf("go-shopify cannot decode the transactions: %v", err)
	}
	if len(txs.Transactions) != len(all) || txs.Transactions[0].Amount == nil || !txs.Transactions[0].Amount.Equal(all[0].Amount.Decimal) {
		t.Fatalf("decoded %d transactions, want %d", len(txs.Transactions), len(all))
	}
}

func BenchmarkOrders(b *testing.B) {
	for _, n := range []int{1_000, 100_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for b.Loop() {
				g := NewGenerator(GenerateOptions{Seed: 1, Orders: n, Days: 90, Now: testNow})
				if len(g.Orders()) != n {
					b.Fatal("wrong count")
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/order")
		})
	}
}

func BenchmarkOrdersJSON(b *testing.B) {
	g := NewGenerator(GenerateOptions{Seed: 1, Orders: 10_000, Days: 90, Now: testNow})
	orders := g.Orders()
	for b.Loop() {
		if _, err := json.Marshal(orders); err != nil {
			b.Fatal(err)
		}
	}
}

func TestConcurrentUseHandsOutEachOrderOnce(t *testing.T) {
	t.Parallel()
	g := NewGenerator(GenerateOptions{Seed: 21, Orders: 100, Days: 7, Now: testNow})
	const workers, each = 4, 25
	got := make(chan Order, workers*each)
	done := make(chan struct{})
	for w := range workers {
		go func() {
			defer func() { done <- struct{}{} }()
			if w == 0 {
				_ = g.Orders()
			}
			for range each {
				got <- g.NewOrder(testNow.Add(time.Minute))
			}
		}()
	}
	for range workers {
		<-done
	}
	close(got)
	numbers := map[int]bool{}
	for o := range got {
		if numbers[o.OrderNumber] {
			t.Fatalf("order number %d handed out twice", o.OrderNumber)
		}
		numbers[o.OrderNumber] = true
	}
	for n := 1101; n < 1101+workers*each; n++ {
		if !numbers[n] {
			t.Fatalf("order number %d missing", n)
		}
	}
}

// FuzzCheckTotals feeds arbitrary order JSON to CheckTotals and to the transaction
// derivation: CheckTotals may report any number of
// inconsistencies but must never panic, whatever the simulator is asked to serve.
func FuzzCheckTotals(f *testing.F) {
	g := NewGenerator(GenerateOptions{Seed: 1, Orders: 5, Days: 3, Now: testNow})
	for _, o := range g.Orders() {
		f.Add(mustJSON(f, o))
	}
	f.Add([]byte(`{"line_items":[{"price":"1.00","quantity":-2,"tax_lines":[{"price":"0","rate":-1}]}],"taxes_included":true}`))
	f.Add([]byte(`{"line_items":[{"discount_allocations":[{"amount":"1","discount_application_index":7}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var o Order
		if json.Unmarshal(data, &o) != nil {
			return
		}
		_ = CheckTotals(o)
		_ = transactionsFor(o, time.UTC)
	})
}
