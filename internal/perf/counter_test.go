package perf

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/kassa-pos/kassa/daemon"
	"github.com/kassa-pos/kassa/daemon/client"
	"github.com/kassa-pos/kassa/internal/dbtest"
	"github.com/kassa-pos/kassa/internal/proctest"
	"github.com/kassa-pos/kassa/register"
)

// counterSales is how many counter sales are timed after the warm-up.
const counterSales = 300

// measureCounter seeds n sales set-based, then rings up counter sales one after the other
// through the API of a kassa serve subprocess (POST /registers/Front/sales: three lines by
// barcode, cash with change), and reports their latency from request to answer.
func measureCounter(t *testing.T, bin string, n int) []Row {
	ctx := context.Background()
	db, url := dbtest.NewWithURL(t)
	ids := dbtest.NewShop(t, db, "Gent", "Front")
	now := time.Now().UTC().Truncate(time.Second)
	opener := register.Store{Clock: func() time.Time { return now.Add(-time.Hour) }}
	if _, err := opener.OpenSession(ctx, db, ids.RegisterID, decimal.RequireFromString("150.00"), "perf"); err != nil {
		t.Fatal(err)
	}
	seed := []string{
		`UPDATE outlets SET default_tax_rate = 0.21`,
		`INSERT INTO products (sku, barcode, name, price, tracks_stock, published, tax_rate)
			SELECT 'P' || g, (5400000000000 + g)::text, 'Product ' || g, 1.00 + g % 50, true, true,
				CASE g % 3 WHEN 0 THEN 0.06 WHEN 1 THEN 0.12 END
			FROM generate_series(1, 2000) g`,
		`INSERT INTO sales (outlet_id, register_id, receipt_number, source, sold_at, currency, subtotal, tax_total, total, balance)
			SELECT $1, $2, 'R' || g, 'pos', $4::timestamptz - ($3 - g) * interval '60 seconds' - interval '2 hours', 'EUR',
				20.00, 3.47, 20.00, 20.00
			FROM generate_series(1, $3) g`,
		`INSERT INTO sale_lines (sale_id, line_no, product_id, kind, sku, title, quantity, unit_price, discount, tax, total, tax_titles, tax_rates, tax_amounts)
			SELECT s.id, 1, p.id, 'product', p.sku, p.name, 1, 20.00, 0, 3.47, 20.00, '{VAT}', '{0.21}', '{3.47}'
			FROM sales s JOIN products p ON p.sku = 'P' || (1 + s.id % 2000)`,
		`INSERT INTO payments (sale_id, payment_type_id, amount, paid_at, register_id)
			SELECT s.id, (SELECT id FROM payment_types WHERE name = 'Card'), s.total, s.sold_at, s.register_id FROM sales s`,
		`ANALYZE`,
	}
	args := [][]any{nil, nil, {ids.OutletID, ids.RegisterID, n, now}, nil, nil, nil}
	for i, q := range seed {
		if _, err := db.ExecContext(ctx, q, args[i]...); err != nil {
			t.Fatalf("seed: %v\n%s", err, q)
		}
	}
	tok, _, err := daemon.TokenStore{}.Create(ctx, db, "till", daemon.RoleCashier)
	if err != nil {
		t.Fatal(err)
	}
	serve := serveProcess(t, bin, url)
	defer serve.Stop()
	cl := client.New(serve.URL, tok)
	sell := func(i int) (time.Duration, error) {
		req := client.SellRequest{
			Lines: []client.SellLine{
				{Code: fmt.Sprint(5400000000000 + 1 + i%2000), Quantity: 1},
				{Code: fmt.Sprint(5400000000000 + 1 + (i*7)%2000), Quantity: 2},
				{Code: fmt.Sprintf("p%d", 1+(i*13)%2000), Quantity: 1, Discount: "10%"},
			},
			Payments: []client.Tender{{Type: "Cash", Amount: "500.00"}},
		}
		start := time.Now()
		s, err := cl.Sell(ctx, "Front", req)
		took := time.Since(start)
		if err == nil && s.Change == "0.00" {
			err = fmt.Errorf("sale %s gave no change", s.ReceiptNumber)
		}
		return took, err
	}
	for i := range 20 { // warm-up: connections, plans
		if _, err := sell(i); err != nil {
			t.Fatal(err)
		}
	}
	took := make([]time.Duration, 0, counterSales)
	for i := range counterSales {
		d, err := sell(20 + i)
		if err != nil {
			t.Fatal(err)
		}
		took = append(took, d)
	}
	p50, p99 := Percentile(took, 50), Percentile(took, 99)
	var last string
	if err := db.GetContext(ctx, &last, `SELECT max(receipt_number) FROM sales WHERE receipt_seq IS NOT NULL`); err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("FRONT-%06d", 20+counterSales); last != want {
		t.Fatalf("the last counter sale is %s, want %s", last, want)
	}
	return []Row{{
		Figure:   fmt.Sprintf("6. Counter sale through the API, 3 lines by barcode/SKU, cash with change (%d sales in the database)", n),
		Measured: fmt.Sprintf("p99 %s, p50 %s over %d sales", Ms(p99), Ms(p50), counterSales),
		Target:   "p99 < 50 ms",
		Verdict:  Verdict(p99 < 50*time.Millisecond),
	}}
}

// TestCounterSaleFigure measures figure 6 alone (KASSA_PERF_COUNTER=1), for a quick look;
// make bench measures it with the others.
func TestCounterSaleFigure(t *testing.T) {
	if os.Getenv("KASSA_PERF_COUNTER") != "1" {
		t.Skip("set KASSA_PERF_COUNTER=1 to measure the counter sale figure alone")
	}
	for _, r := range measureCounter(t, proctest.Build(t), envInt("KASSA_PERF_SALES", 100000)) {
		t.Logf("%s: %s (target %s) %s", r.Figure, r.Measured, r.Target, r.Verdict)
	}
}
