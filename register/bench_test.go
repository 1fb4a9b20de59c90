package register_test

import (
	"context"
	"testing"
	"time"

	"github.com/kassa-pos/kassa/internal/dbtest"
	"github.com/kassa-pos/kassa/register"
)

// busyDay seeds, with set-based SQL, one session on 25 November holding n sales of
// 17.45 each (a cup and a shipping line, both with VAT): every fourth a Shopify order
// left awaiting payment, the others paid in cash; every product line moves stock.
func busyDay(b *testing.B, n int) (*shop, register.Session) {
	b.Helper()
	s := newShop(b, dbtest.New(b), "Europe/Brussels", time.Date(2026, 11, 25, 7, 0, 0, 0, time.UTC))
	sess := s.open(s.till, s.at(25, 8, 0), "150.00")
	steps := []struct {
		what  string
		query string
		args  []any
	}{
		{"sales", `
			INSERT INTO sales (outlet_id, register_id, session_id, receipt_number, source, sold_at, currency,
				subtotal, tax_total, total, balance)
			SELECT $1, $2, $3, 'B-' || g, CASE WHEN g % 4 = 0 THEN 'shopify' ELSE 'pos' END,
				$4::timestamptz + g * interval '3 seconds', 'EUR', 17.45, 3.03, 17.45, 17.45
			FROM generate_series(1, $5::int) g`,
			[]any{s.outlet.ID, s.till.ID, sess.ID, s.at(25, 8, 0), n}},
		{"lines", `
			INSERT INTO sale_lines (sale_id, line_no, product_id, kind, sku, title, quantity, unit_price, discount, tax, total)
			SELECT s.id, 1, $2::bigint, 'product', 'CUP', 'Espresso cup', 1, 12.50, 0, 2.17, 12.50 FROM sales s WHERE s.session_id = $1
			UNION ALL
			SELECT s.id, 2, $3::bigint, 'shipping', 'SHOPIFY-SHIPPING', 'Shipping', 1, 4.95, 0, 0.86, 4.95 FROM sales s WHERE s.session_id = $1`,
			[]any{sess.ID, s.cup.ID, s.shipping.ID}},
		{"taxes", `
			UPDATE sale_lines l SET tax_titles = '{VAT}', tax_rates = '{0.21}', tax_amounts = ARRAY[l.tax]
			FROM sales s WHERE s.id = l.sale_id AND s.session_id = $1`,
			[]any{sess.ID}},
		{"payments", `
			INSERT INTO payments (sale_id, payment_type_id, amount, paid_at, register_id, session_id, recorded_by)
			SELECT s.id, $2, s.total, s.sold_at, s.register_id, s.session_id, 'anna'
			FROM sales s WHERE s.session_id = $1 AND s.source = 'pos'`,
			[]any{sess.ID, s.types["Cash"]}},
		{"stock", `
			INSERT INTO stock_movements (product_id, outlet_id, delta, reason, sale_line_id, created_at)
			SELECT l.product_id, s.outlet_id, -l.quantity, 'sale', l.id, s.sold_at
			FROM sale_lines l JOIN sales s ON s.id = l.sale_id WHERE s.session_id = $1 AND l.kind = 'product'`,
			[]any{sess.ID}},
	}
	for _, st := range steps {
		if _, err := s.db.Exec(st.query, st.args...); err != nil {
			b.Fatalf("seed %s: %v", st.what, err)
		}
	}
	if _, err := s.db.Exec(`ANALYZE`); err != nil {
		b.Fatal(err)
	}
	return s, sess
}

func BenchmarkClosingReport(b *testing.B) {
	s, sess := busyDay(b, 10_000)
	ctx := context.Background()
	s.clock.Set(s.at(25, 18, 0))
	r, err := s.svc.Close(ctx, s.db, s.till.ID, nil, "anna")
	if err != nil {
		b.Fatal(err)
	}
	if r.SalesCount != 10_000 || r.SalesTotal != "174500.00" {
		b.Fatalf("seeded session: %d sales, %s", r.SalesCount, r.SalesTotal)
	}
	for b.Loop() {
		if _, err := s.svc.ClosingReport(ctx, s.db, sess.ID); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkNightlyReport(b *testing.B) {
	s, _ := busyDay(b, 10_000)
	ctx := context.Background()
	s.clock.Set(s.at(25, 23, 55))
	day := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	r, err := s.svc.GenerateNightly(ctx, s.db, s.outlet.ID, day)
	if err != nil {
		b.Fatal(err)
	}
	if r.Sales[0].Count+r.Sales[1].Count != 10_000 || len(r.AwaitingPayment) != 2_500 || len(r.NegativeStock) != 1 {
		b.Fatalf("seeded day: %+v sales, %d awaiting, %d negative", r.Sales, len(r.AwaitingPayment), len(r.NegativeStock))
	}
	for b.Loop() {
		if _, err := s.svc.GenerateNightly(ctx, s.db, s.outlet.ID, day); err != nil {
			b.Fatal(err)
		}
	}
}
