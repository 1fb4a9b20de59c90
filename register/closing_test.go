package register_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/kassa-pos/kassa/internal/dbtest"
	"github.com/kassa-pos/kassa/register"
	"github.com/kassa-pos/kassa/sales"
)

// dayOfTrade builds two days at the shop "Gent" (Europe/Brussels):
//
// 24 November, session 1 (float 100.00), closed at 18:00 with 100.00 cash counted:
//   - #1001, a Shopify bank-deposit order: 2 cups (25.00, VAT 21 % 4.34) + shipping
//     5.95 (VAT 1.03) = 30.95, nothing paid.
//
// 25 November, session 2 (float 150.00), opened 09:00 by anna:
//   - P-0001 10:00, in store: cup 12.50 (21 %: 2.17) + book 20.00 (6 %: 1.13) = 32.50, cash.
//   - #1002 11:00, Shopify: cup 12.50 (21 %: 2.17) + shipping 4.95 (21 %: 0.86) = 17.45,
//     5.00 collected by Shopify, 12.45 owed.
//   - 14:05 bank deposit 30.95 for #1001 (an earlier sale): paid.
//   - 14:10 bank deposit 10.00 for #1002 (a sale of this session): 2.45 still owed.
//   - P-0002 15:00, in store: book 8.00 (6 %: 0.45), card.
//
// The clock stands at 18:05 on the 25th.
func dayOfTrade(t *testing.T) (*shop, register.Session) {
	t.Helper()
	s := newShop(t, dbtest.New(t), "Europe/Brussels", time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC))
	ctx := context.Background()
	s.move(s.cup, 3, s.at(20, 9, 0), 0)
	s.move(s.book, 5, s.at(20, 9, 0), 0)

	s1 := s.open(s.till, s.at(24, 9, 0), "100.00")
	s.sale("#1001", sales.SourceShopify, s.at(24, 16, 0), &s1, []line{
		{product: s.cup, qty: 2, price: "12.50", rate: "0.21", tax: "4.34"},
		{product: s.shipping, qty: 1, price: "5.95", rate: "0.21", tax: "1.03", shipping: true},
	})
	s.clock.Set(s.at(24, 18, 0))
	cash := register.Count{PaymentTypeID: s.types["Cash"], Counted: dec("100.00")}
	if _, err := s.svc.Close(ctx, s.db, s.till.ID, []register.Count{cash}, "anna"); err != nil {
		t.Fatal(err)
	}

	s2 := s.open(s.till, s.at(25, 9, 0), "150.00")
	s.sale("P-0001", sales.SourcePOS, s.at(25, 10, 0), &s2, []line{
		{product: s.cup, qty: 1, price: "12.50", rate: "0.21", tax: "2.17"},
		{product: s.book, qty: 1, price: "20.00", rate: "0.06", tax: "1.13"},
	}, payment{typ: "Cash", amount: "32.50"})
	s.sale("#1002", sales.SourceShopify, s.at(25, 11, 0), &s2, []line{
		{product: s.cup, qty: 1, price: "12.50", rate: "0.21", tax: "2.17"},
		{product: s.shipping, qty: 1, price: "4.95", rate: "0.21", tax: "0.86", shipping: true},
	}, payment{typ: "Shopify", amount: "5.00", source: sales.SourceShopify})
	s.clock.Set(s.at(25, 14, 30))
	for _, p := range []struct {
		receipt, amount string
		at              time.Time
	}{{"#1001", "", s.at(25, 14, 5)}, {"#1002", "10.00", s.at(25, 14, 10)}} {
		if _, err := s.svc.ApplyPayment(ctx, s.db, register.PaymentRequest{
			RegisterID: s.till.ID, Receipt: p.receipt, PaymentType: "Bank deposit", Amount: p.amount, At: p.at, By: "anna",
		}); err != nil {
			t.Fatal(err)
		}
	}
	s.sale("P-0002", sales.SourcePOS, s.at(25, 15, 0), &s2, []line{
		{product: s.book, qty: 1, price: "8.00", rate: "0.06", tax: "0.45"},
	}, payment{typ: "Card", amount: "8.00"})
	s.clock.Set(s.at(25, 18, 5))
	return s, s2
}

func str(s string) *string { return &s }

func TestClosingReportFigures(t *testing.T) {
	t.Parallel()
	s, s2 := dayOfTrade(t)
	ctx := context.Background()

	counts := []register.Count{
		{PaymentTypeID: s.types["Cash"], Counted: dec("182.00")},
		{PaymentTypeID: s.types["Bank deposit"], Counted: dec("40.95")},
	}
	got, err := s.svc.Close(ctx, s.db, s.till.ID, counts, "bert")
	if err != nil {
		t.Fatal(err)
	}
	two := 2 // the till's second close
	var bankDeposit1001 int64
	if err := s.db.Get(&bankDeposit1001, `SELECT p.id FROM payments p JOIN sales s ON s.id = p.sale_id WHERE s.receipt_number = '#1001'`); err != nil {
		t.Fatal(err)
	}
	want := register.ClosingReport{
		SessionID: s2.ID, ZNumber: &two, Register: "Till", Outlet: "Gent", Timezone: "Europe/Brussels", Currency: "EUR",
		OpenedAt: "2026-11-25T09:00:00+01:00", OpenedBy: "anna",
		ClosedAt: str("2026-11-25T18:05:00+01:00"), ClosedBy: str("bert"),
		OpeningFloat: "150.00",
		Payments: []register.TypeFigures{
			// float 150.00 + cash sale 32.50; counted 0.50 short
			{Type: "Cash", Expected: "182.50", Counted: str("182.00"), Difference: str("-0.50"), Taken: "32.50"},
			{Type: "Card", Expected: "8.00", Taken: "8.00"},
			// 30.95 for #1001 + 10.00 for #1002
			{Type: "Bank deposit", Expected: "40.95", Counted: str("40.95"), Difference: str("0.00"), Taken: "40.95"},
			{Type: "Shopify", Expected: "5.00", Taken: "5.00"},
		},
		SalesCount: 3, SalesTotal: "57.95", // 32.50 + 17.45 + 8.00
		ShopifyOrders: 1, ShippingFees: "4.95",
		AppliedPayments: []register.AppliedFigure{
			{ReceiptNumber: "#1001", Type: "Bank deposit", Amount: "30.95", PaidAt: "2026-11-25T14:05:00+01:00",
				PaymentID: bankDeposit1001, RecordedBy: "anna"},
		},
		Voids: []register.VoidFigure{},
		Taxes: []register.TaxFigure{
			{Rate: "6", Amount: "1.58"},  // 1.13 + 0.45
			{Rate: "21", Amount: "5.20"}, // 2.17 + 2.17 + 0.86
		},
		AwaitingPaymentTotal: "2.45", AwaitingPaymentCount: 1, // #1002
		ShopifyTotal: "17.45", InStoreCount: 2, InStoreTotal: "40.50", // 32.50 + 8.00
		Returns: []register.ReturnFigure{}, ReturnsTotal: "0.00", VoidedSales: []register.VoidedSaleFigure{},
		CashMovements: []register.CashFigure{}, CashIn: "0.00", CashOut: "0.00",
		// The cash sale at 10:xx and the card sale at 15:xx in store, the Shopify order at
		// 11:xx, Brussels time.
		Hourly: []register.HourFigure{
			{From: "2026-11-25T10:00:00+01:00", POSCount: 1, POSTotal: "32.50", ShopifyTotal: "0.00"},
			{From: "2026-11-25T11:00:00+01:00", POSTotal: "0.00", ShopifyCount: 1, ShopifyTotal: "17.45"},
			{From: "2026-11-25T15:00:00+01:00", POSCount: 1, POSTotal: "8.00", ShopifyTotal: "0.00"},
		},
		Adjustments: noDocuments, WriteOffs: noDocuments,
	}
	assertReport(t, got, want)

	// Re-printed later, after #1002 was paid off in the next session, the report is the same.
	s.clock.Set(s.at(26, 9, 0))
	s.open(s.till, s.at(26, 9, 0), "150.00")
	s.clock.Set(s.at(26, 9, 30))
	if _, err := s.svc.ApplyPayment(ctx, s.db, register.PaymentRequest{RegisterID: s.till.ID, Receipt: "#1002", PaymentType: "Cash", By: "anna"}); err != nil {
		t.Fatal(err)
	}
	again, err := s.svc.ClosingReport(ctx, s.db, s2.ID)
	if err != nil {
		t.Fatal(err)
	}
	assertReport(t, again, want)
	last, err := s.svc.LastClosingReport(ctx, s.db, s.till.ID)
	if err != nil {
		t.Fatal(err)
	}
	assertReport(t, last, want)

	// The day after: the X-report of the open session 3 shows the payment for #1002 as
	// a payment for an earlier sale, and nothing owed at the outlet any more.
	x, err := s.svc.ClosingReport(ctx, s.db, s2.ID+1)
	if err != nil {
		t.Fatal(err)
	}
	if !x.Open() || x.ClosedBy != nil || len(x.AppliedPayments) != 1 || x.AppliedPayments[0].ReceiptNumber != "#1002" ||
		x.AppliedPayments[0].Amount != "2.45" || x.AwaitingPaymentTotal != "0.00" || x.Payments[0].Expected != "152.45" {
		t.Errorf("X-report of session 3 = %+v", x)
	}

	var text, csv bytes.Buffer
	if err := got.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	assertWidth(t, text.String())
	golden(t, "closing.txt", text.Bytes())
	if err := got.WriteCSV(&csv); err != nil {
		t.Fatal(err)
	}
	golden(t, "closing.csv", csv.Bytes())
	js, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "closing.json", append(js, '\n'))
	assertClosingKeys(t, js)
	var xt bytes.Buffer
	if err := x.WriteText(&xt); err != nil {
		t.Fatal(err)
	}
	assertWidth(t, xt.String())
	golden(t, "xreport.txt", xt.Bytes())
}

func TestClosedSessionRefusesPayments(t *testing.T) {
	t.Parallel()
	s, _ := dayOfTrade(t)
	ctx := context.Background()
	if _, err := s.svc.Close(ctx, s.db, s.till.ID, nil, "bert"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.svc.Close(ctx, s.db, s.till.ID, nil, "bert"); !errors.Is(err, register.ErrNoOpenSession) {
		t.Errorf("closing twice: err = %v, want ErrNoOpenSession", err)
	}
	if _, err := s.svc.LastClosingReport(ctx, s.db, s.till.ID+100); !errors.Is(err, register.ErrNotFound) {
		t.Errorf("last report of an unknown register: err = %v, want ErrNotFound", err)
	}
}

// assertClosingKeys checks the closing report JSON carries every key of DESIGN.md.
func assertClosingKeys(t *testing.T, js []byte) {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(js, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"session_id", "register", "outlet", "opened_at", "closed_at", "opening_float", "payments",
		"sales_count", "sales_total", "shopify_orders", "shipping_fees", "applied_payments", "taxes", "awaiting_payment_total"} {
		if _, ok := m[k]; !ok {
			t.Errorf("closing report JSON has no %q", k)
		}
	}
	p := m["payments"].([]any)[0].(map[string]any)
	for _, k := range []string{"type", "expected", "counted", "difference"} {
		if _, ok := p[k]; !ok {
			t.Errorf("payments[0] has no %q", k)
		}
	}
}

func assertReport(t *testing.T, got, want register.ClosingReport) {
	t.Helper()
	g, _ := json.MarshalIndent(got, "", "  ")
	w, _ := json.MarshalIndent(want, "", "  ")
	if !bytes.Equal(g, w) {
		t.Errorf("closing report:\n%s\nwant:\n%s", g, w)
	}
}

func assertWidth(t *testing.T, text string) {
	t.Helper()
	for i, l := range bytes.Split([]byte(text), []byte("\n")) {
		if n := len([]rune(string(l))); n > register.Width {
			t.Errorf("line %d is %d columns wide (max %d): %q", i+1, n, register.Width, l)
		}
	}
}

// noDocuments is a session's figure of a kind of document it has none of.
var noDocuments = register.DocumentFigure{Total: "0.00"}
