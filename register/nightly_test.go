package register_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/kassa-pos/kassa/internal/dbtest"
	"github.com/kassa-pos/kassa/register"
	"github.com/kassa-pos/kassa/sales"
)

// importOutcome records what an import run of the outlet's Shopify connection made of
// an order, at a given time.
func (s *shop) importOutcome(orderID int64, name, outcome, reason string, at time.Time) {
	s.t.Helper()
	var conn int64
	err := s.db.Get(&conn, `SELECT id FROM shopify_connections WHERE outlet_id = $1`, s.outlet.ID)
	if err != nil {
		err = s.db.Get(&conn, `
			INSERT INTO shopify_connections (shop, access_token, webhook_secret, outlet_id, register_id, shipping_product_id)
			VALUES ('gent.myshopify.com', 'token', 'secret', $1, $2, $3) RETURNING id`, s.outlet.ID, s.till.ID, s.shipping.ID)
		if err != nil {
			s.t.Fatal(err)
		}
	}
	var run int64
	if err := s.db.Get(&run, `INSERT INTO import_runs (connection_id, mode, trigger, started_at) VALUES ($1, 'new', 'poll', $2) RETURNING id`, conn, at); err != nil {
		s.t.Fatal(err)
	}
	_, err = s.db.Exec(`INSERT INTO import_outcomes (run_id, connection_id, shopify_order_id, order_name, outcome, reason, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, run, conn, orderID, name, outcome, reason, at)
	if err != nil {
		s.t.Fatal(err)
	}
}

func TestNightlyReportFigures(t *testing.T) {
	t.Parallel()
	s, s2 := dayOfTrade(t)
	ctx := context.Background()
	if _, err := s.svc.Close(ctx, s.db, s.till.ID, []register.Count{{PaymentTypeID: s.types["Cash"], Counted: dec("182.50")}}, "bert"); err != nil {
		t.Fatal(err)
	}
	back, err := register.Store{}.Create(ctx, s.db, s.outlet.ID, "Back")
	if err != nil {
		t.Fatal(err)
	}
	backSession := s.open(back, s.at(25, 17, 0), "50.00")
	// An old bank-deposit order, still unpaid.
	s.sale("#0990", sales.SourceShopify, s.at(10, 12, 0), nil, []line{{product: s.book, qty: 1, price: "20.00", rate: "0.06", tax: "1.13"}})
	// Stock received after the cup went negative at 11:00.
	s.move(s.cup, 2, s.at(25, 16, 0), 0)
	s.importOutcome(1003, "#1003", "failed", "totals differ: Shopify 66.49, kassa 66.48", s.at(25, 12, 0))
	s.importOutcome(1003, "#1003", "imported", "", s.at(25, 12, 5))
	s.importOutcome(1004, "#1004", "failed", "database unavailable", s.at(25, 23, 30))
	s.importOutcome(1005, "#1005", "failed", "database unavailable", s.at(24, 23, 59))
	s.clock.Set(s.at(25, 23, 55))

	got, err := s.svc.GenerateNightly(ctx, s.db, s.outlet.ID, time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if got.Day != "2026-11-25" || got.From != "2026-11-25T00:00:00+01:00" || got.To != "2026-11-26T00:00:00+01:00" ||
		got.GeneratedAt != "2026-11-25T23:55:00+01:00" {
		t.Errorf("day %s from %s to %s generated %s", got.Day, got.From, got.To, got.GeneratedAt)
	}
	if len(got.Sessions) != 2 || got.Sessions[0].SessionID != s2.ID || got.Sessions[1].SessionID != backSession.ID {
		t.Fatalf("sessions = %+v, want session %d then %d", got.Sessions, s2.ID, backSession.ID)
	}
	if c := got.Sessions[0]; c.SalesTotal != "57.95" || c.Payments[0].Expected != "182.50" || *c.Payments[0].Difference != "0.00" {
		t.Errorf("closing figures of session %d = %+v", s2.ID, c)
	}
	wantOpen := []register.OpenSession{{SessionID: backSession.ID, Register: "Back", OpenedAt: "2026-11-25T17:00:00+01:00", OpenedBy: "anna"}}
	assertJSON(t, "open sessions", got.OpenSessions, wantOpen)
	assertJSON(t, "payments", got.Payments, []register.TypeTotal{
		{Type: "Cash", Count: 1, Amount: "32.50"},
		{Type: "Card", Count: 1, Amount: "8.00"},
		{Type: "Bank deposit", Count: 2, Amount: "40.95"},
		{Type: "Shopify", Count: 1, Amount: "5.00"},
	})
	assertJSON(t, "sales", got.Sales, []register.SourceTotal{
		{Source: "pos", Count: 2, Total: "40.50"},
		{Source: "shopify", Count: 1, Total: "17.45"},
	})
	if got.ShippingFees != "4.95" {
		t.Errorf("shipping fees %s, want 4.95", got.ShippingFees)
	}
	// cup: 3 received, 2 sold on the 24th (1), 1 at 10:00 (0), 1 at 11:00 (-1), 2 received at 16:00 (1)
	assertJSON(t, "negative stock", got.NegativeStock, []register.NegativeStock{{SKU: "CUP", Name: "Espresso cup", Lowest: -1, EndOfDay: 1}})
	assertJSON(t, "awaiting payment", got.AwaitingPayment, []register.AwaitingSale{
		{ReceiptNumber: "#0990", Source: "shopify", SoldAt: "2026-11-10T12:00:00+01:00", Total: "20.00", Balance: "20.00", AgeDays: 15},
		{ReceiptNumber: "#1002", Source: "shopify", SoldAt: "2026-11-25T11:00:00+01:00", Total: "17.45", Balance: "2.45", AgeDays: 0},
	})
	if got.AwaitingPaymentTotal != "22.45" {
		t.Errorf("awaiting payment total %s, want 22.45", got.AwaitingPaymentTotal)
	}
	assertJSON(t, "import failures", got.ImportFailures, []register.ImportFailure{
		{OrderName: "#1003", ShopifyOrderID: 1003, Reason: "totals differ: Shopify 66.49, kassa 66.48", At: "2026-11-25T12:00:00+01:00", Resolved: true},
		{OrderName: "#1004", ShopifyOrderID: 1004, Reason: "database unavailable", At: "2026-11-25T23:30:00+01:00"},
	})

	var text, csv bytes.Buffer
	if err := got.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	assertWidth(t, text.String())
	golden(t, "nightly.txt", text.Bytes())
	if err := got.WriteCSV(&csv); err != nil {
		t.Fatal(err)
	}
	golden(t, "nightly.csv", csv.Bytes())

	// Stored, and replaced when generated again.
	s.clock.Set(s.at(26, 8, 0))
	if _, err := s.svc.GenerateNightly(ctx, s.db, s.outlet.ID, time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	var stored []struct {
		Day         time.Time `db:"day"`
		GeneratedAt time.Time `db:"generated_at"`
	}
	if err := s.db.Select(&stored, `SELECT day, generated_at FROM nightly_reports WHERE outlet_id = $1`, s.outlet.ID); err != nil {
		t.Fatal(err)
	}
	if len(stored) != 1 || !stored[0].GeneratedAt.Equal(s.at(26, 8, 0)) {
		t.Errorf("stored nightly reports = %+v, want one, generated at 08:00 on the 26th", stored)
	}
	again, err := s.svc.StoredNightly(ctx, s.db, s.outlet.ID, time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if again.GeneratedAt != "2026-11-26T08:00:00+01:00" || again.AwaitingPaymentTotal != "22.45" || len(again.Sessions) != 2 {
		t.Errorf("stored report = %+v", again)
	}

	// The day before: session 1 only, closed; the failure of 23:59 on the 24th.
	prev, err := s.svc.GenerateNightly(ctx, s.db, s.outlet.ID, time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if len(prev.Sessions) != 1 || len(prev.OpenSessions) != 0 || len(prev.ImportFailures) != 1 || prev.ImportFailures[0].OrderName != "#1005" ||
		len(prev.NegativeStock) != 0 || prev.ShippingFees != "5.95" {
		t.Errorf("report of the 24th = %+v", prev)
	}
}

func TestNightlyDaysAcrossDSTChanges(t *testing.T) {
	t.Parallel()
	tests := []struct {
		tz       string
		day      time.Time // the 25-hour day
		from, to string
	}{
		{"Europe/Brussels", time.Date(2026, 10, 25, 0, 0, 0, 0, time.UTC), "2026-10-25T00:00:00+02:00", "2026-10-26T00:00:00+01:00"},
		{"America/New_York", time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), "2026-11-01T00:00:00-04:00", "2026-11-02T00:00:00-05:00"},
	}
	for _, tt := range tests {
		t.Run(tt.tz, func(t *testing.T) {
			t.Parallel()
			s := newShop(t, dbtest.New(t), tt.tz, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
			ctx := context.Background()
			from, to := register.DayBounds(tt.day, s.loc)
			if to.Sub(from) != 25*time.Hour {
				t.Errorf("the day lasts %s, want 25h", to.Sub(from))
			}
			y, m, d := tt.day.Date()
			local := func(day, h, min, sec int) time.Time { return time.Date(y, m, d+day, h, min, sec, 0, s.loc) }
			cup := []line{{product: s.cup, qty: 1, price: "1.00", rate: "0.21", tax: "0.17"}}
			s.sale("EARLY", sales.SourcePOS, local(0, 0, 30, 0), nil, cup)     // after midnight, summer time
			s.sale("LATE", sales.SourcePOS, local(0, 23, 30, 0), nil, cup)     // 23:30, winter time
			s.sale("BEFORE", sales.SourcePOS, local(-1, 23, 59, 59), nil, cup) // the day before
			s.sale("AFTER", sales.SourcePOS, local(1, 0, 0, 0), nil, cup)      // the next day
			r, err := s.svc.GenerateNightly(ctx, s.db, s.outlet.ID, tt.day)
			if err != nil {
				t.Fatal(err)
			}
			if r.From != tt.from || r.To != tt.to {
				t.Errorf("day from %s to %s, want %s to %s", r.From, r.To, tt.from, tt.to)
			}
			if r.Sales[0].Source != "pos" || r.Sales[0].Count != 2 || r.Sales[0].Total != "2.00" {
				t.Errorf("sales of the day = %+v, want EARLY and LATE: 2, 2.00", r.Sales)
			}
			var late *register.AwaitingSale
			for i, a := range r.AwaitingPayment {
				if a.ReceiptNumber == "AFTER" {
					t.Errorf("a sale of the next day is listed as awaiting payment on this day")
				}
				if a.ReceiptNumber == "LATE" {
					late = &r.AwaitingPayment[i]
				}
			}
			if late == nil || late.AgeDays != 0 || late.SoldAt != local(0, 23, 30, 0).Format(time.RFC3339) {
				t.Errorf("LATE awaiting payment = %+v, want sold on the day, age 0", late)
			}
			next, err := s.svc.GenerateNightly(ctx, s.db, s.outlet.ID, tt.day.AddDate(0, 0, 1))
			if err != nil {
				t.Fatal(err)
			}
			if next.Sales[0].Count != 1 || next.Sales[0].Total != "1.00" {
				t.Errorf("sales of the next day = %+v, want AFTER only", next.Sales)
			}
		})
	}
}

func TestDayBoundsSpringForward(t *testing.T) {
	t.Parallel()
	from, to := register.DayBounds(time.Date(2026, 3, 29, 12, 0, 0, 0, time.UTC), mustLoc(t, "Europe/Brussels"))
	if to.Sub(from) != 23*time.Hour || from.Format(time.RFC3339) != "2026-03-29T00:00:00+01:00" {
		t.Errorf("29 March 2026 in Brussels: %s to %s", from.Format(time.RFC3339), to.Format(time.RFC3339))
	}
}

func assertJSON(t *testing.T, what string, got, want any) {
	t.Helper()
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if !bytes.Equal(g, w) {
		t.Errorf("%s:\n got %s\nwant %s", what, g, w)
	}
}

// The nightly report lists the stock the day's drift check corrected in Shopify, in its
// JSON, text and CSV; a day without corrections has no such section.
func TestNightlyListsStockCorrections(t *testing.T) {
	t.Parallel()
	s, _ := dayOfTrade(t)
	ctx := context.Background()
	if _, err := s.db.Exec(`INSERT INTO stock_corrections (channel, shop, outlet_id, product_id, kassa_level, channel_available, found_at)
		VALUES ('shopify', 'gent.myshopify.com', $1, $2, 1, 7, $3)`, s.outlet.ID, s.cup.ID, s.at(25, 23, 50)); err != nil {
		t.Fatal(err)
	}
	s.clock.Set(s.at(25, 23, 55))
	got, err := s.svc.GenerateNightly(ctx, s.db, s.outlet.ID, time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	seven := 7
	assertJSON(t, "stock corrections", got.StockCorrections, []register.StockCorrection{
		{Shop: "gent.myshopify.com", SKU: "CUP", Name: "Espresso cup", Level: 1, ShopAvailable: &seven, At: "2026-11-25T23:50:00+01:00"},
	})
	var text, csv bytes.Buffer
	if err := got.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	assertWidth(t, text.String())
	if !strings.Contains(text.String(), "STOCK CORRECTED IN SHOPIFY") || !strings.Contains(text.String(), "CUP Espresso cup") {
		t.Errorf("text:\n%s", text.String())
	}
	if err := got.WriteCSV(&csv); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(csv.String(), "stock_corrections,CUP,shop_available,7") {
		t.Errorf("csv:\n%s", csv.String())
	}
	prev, err := s.svc.GenerateNightly(ctx, s.db, s.outlet.ID, time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC))
	if err != nil || len(prev.StockCorrections) != 0 {
		t.Fatalf("the 24th: %+v %v", prev.StockCorrections, err)
	}
}
