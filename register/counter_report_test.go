package register_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/kassa-pos/kassa/register"
)

// TestCounterInTheClosingAndNightlyReports: a day at the counter (split tenders with
// change, a sale voided, a return refunded in cash, cash in and out) and the figures the
// closing and nightly reports must show for it.
func TestCounterInTheClosingAndNightlyReports(t *testing.T) {
	t.Parallel()
	s, _ := counterShop(t, true) // float 100.00
	ctx := context.Background()
	a := s.sell(receiptSale(register.Tender{Type: "Card", Amount: "30.00"}, register.Tender{Type: "Cash", Amount: "50.00"})).Sale
	b := s.sell(register.SellRequest{Lines: []register.SellLine{{Code: "CUP", Quantity: 1}}, Payments: []register.Tender{{Type: "Cash", Amount: "20.00"}}}).Sale
	if _, err := s.svc.VoidSale(ctx, s.db, register.SaleVoidRequest{Receipt: b.ReceiptNumber, Reason: "wrong item", By: "anna"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.svc.Return(ctx, s.db, register.ReturnRequest{RegisterID: s.till.ID, Receipt: a.ReceiptNumber, By: "anna",
		Lines: []register.ReturnLineRequest{{Code: "CHOC", Quantity: 2, Restock: true}}, Refunds: []register.Tender{{Type: "Cash"}}}); err != nil {
		t.Fatal(err)
	}
	for _, m := range []register.CashRequest{
		{Kind: register.CashIn, Amount: "50.00", Reason: "float top-up"},
		{Kind: register.CashOut, Amount: "30.00", Reason: "bank drop"},
	} {
		m.RegisterID, m.By = s.till.ID, "anna"
		if _, err := s.svc.MoveCash(ctx, s.db, m); err != nil {
			t.Fatal(err)
		}
	}
	s.clock.Set(s.at(25, 18, 0))
	// Expected cash: 100.00 float + 25.72 kept of sale A − 6.41 refunded + 50.00 in − 30.00
	// out = 139.31; the voided sale's 12.50 is not expected.
	got, err := s.svc.Close(ctx, s.db, s.till.ID, []register.Count{{PaymentTypeID: s.types["Cash"], Counted: dec("139.31")}}, "anna")
	if err != nil {
		t.Fatal(err)
	}
	figures := map[string]string{}
	for _, p := range got.Payments {
		figures[p.Type] = p.Expected
		if p.Type == "Cash" && (p.Difference == nil || *p.Difference != "0.00") {
			t.Errorf("cash difference %v, want 0.00", p.Difference)
		}
	}
	if figures["Cash"] != "139.31" || figures["Card"] != "30.00" {
		t.Errorf("expected %v, want Cash 139.31, Card 30.00", figures)
	}
	if got.SalesCount != 1 || got.SalesTotal != "55.72" || got.InStoreCount != 1 || got.InStoreTotal != "55.72" {
		t.Errorf("sales %d %s, in store %d %s: the voided sale must not count", got.SalesCount, got.SalesTotal, got.InStoreCount, got.InStoreTotal)
	}
	if len(got.Returns) != 1 || got.Returns[0].ReceiptNumber != "TILL-000001-R1" || got.ReturnsTotal != "-6.41" ||
		len(got.Returns[0].Refunds) != 1 || got.Returns[0].Refunds[0].Amount != "-6.41" {
		t.Errorf("returns %+v total %s", got.Returns, got.ReturnsTotal)
	}
	if len(got.VoidedSales) != 1 || got.VoidedSales[0].ReceiptNumber != "TILL-000002" || got.VoidedSales[0].Total != "12.50" || got.VoidedSales[0].Reason != "wrong item" {
		t.Errorf("voided sales %+v", got.VoidedSales)
	}
	if got.CashIn != "50.00" || got.CashOut != "30.00" || len(got.CashMovements) != 2 || got.CashMovements[1].Reason != "bank drop" {
		t.Errorf("cash in %s out %s movements %+v", got.CashIn, got.CashOut, got.CashMovements)
	}
	// Taxes per rate: sale A's (5.37 at 21 %, 1.04 at 6 %, 0.69 at 12 %) less the returned
	// chocolate's 0.69; the voided sale's 2.17 is not counted.
	if fmt.Sprint(got.Taxes) != "[{6 1.04} {12 0.00} {21 5.37}]" {
		t.Errorf("taxes %v", got.Taxes)
	}
	if got.ZNumber == nil || *got.ZNumber != 1 {
		t.Errorf("Z number %v", got.ZNumber)
	}
	var text bytes.Buffer
	if err := got.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	assertWidth(t, text.String())
	for _, want := range []string{"In-store sales (1)", "TILL-000001-R1", "TILL-000002 (not counted)", "bank drop", "float top-up"} {
		if !bytes.Contains(text.Bytes(), []byte(want)) {
			t.Errorf("closing report text lacks %q:\n%s", want, text.String())
		}
	}

	night, err := s.svc.GenerateNightly(ctx, s.db, s.outlet.ID, time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(night.Payments) != "[{Cash 2 19.31} {Card 1 30.00}]" {
		t.Errorf("payments of the day %v, want cash 25.72 − 6.41 (the voided 12.50 left out), card 30.00", night.Payments)
	}
	if fmt.Sprint(night.Sales) != "[{pos 1 55.72} {shopify 0 0.00}]" || fmt.Sprint(night.Returns) != "[{pos 1 -6.41} {shopify 0 0.00}]" ||
		night.VoidedSalesCount != 1 || night.VoidedSalesTotal != "12.50" || night.CashIn != "50.00" || night.CashOut != "30.00" {
		t.Errorf("nightly: sales %v returns %v voided %d %s cash %s/%s", night.Sales, night.Returns, night.VoidedSalesCount,
			night.VoidedSalesTotal, night.CashIn, night.CashOut)
	}
	if fmt.Sprint(night.Taxes) != "[{6 1.04} {12 0.00} {21 5.37}]" {
		t.Errorf("nightly taxes %v", night.Taxes)
	}
}
