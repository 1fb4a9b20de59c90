// Package soak proves that kassa's database ends exact after imports that were faulted,
// killed, raced or flooded: its Checker compares the end state with the orders the
// simulated Shopify shop holds, by rules written down here independently of the importer's
// code, so that a fault the importer hides from itself still shows. The scenarios that use
// it live in this package's tests and run with KASSA_SOAK=1 (make soak).
package soak

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"

	"github.com/kassa-pos/kassa/sync/shopify/shopifyapi"
)

// maxOrderAge is DESIGN.md's 60-day rule.
const maxOrderAge = 60 * 24 * time.Hour

// Checker holds what the end state of one shop's import is measured against.
type Checker struct {
	// DB is the POS database.
	DB *sqlx.DB
	// Shop is the connection's myshopify domain, as stored in sale_external_ids.
	Shop string
	// OutletID is the connection's outlet, whose stock is checked.
	OutletID int64
	// Now is the importer's clock at the import (for the 60-day rule); an order whose
	// age is this close to 60 days (within AgeSlack) may go either way.
	Now time.Time
	// AgeSlack widens the 60-day boundary when the import ran over a span of time.
	AgeSlack time.Duration
	// ImportTestOrders is the connection's setting.
	ImportTestOrders bool
	// Opening is the stock by SKU before the import; absent SKUs started at 0.
	Opening map[string]int
}

// Result is what Check found.
type Result struct {
	// Orders is how many orders the shop holds; Importable how many of them the rules
	// import; Sales how many sales the shop's orders became.
	Orders, Importable, Sales int
	// Problems lists every difference found, empty when the end state is exact.
	Problems []string
}

// Err is nil when the end state is exact, otherwise an error naming the first problems.
func (r Result) Err() error {
	if len(r.Problems) == 0 {
		return nil
	}
	shown := r.Problems
	if len(shown) > 10 {
		shown = shown[:10]
	}
	return fmt.Errorf("%d problems in the end state, first: %v", len(r.Problems), shown)
}

// expected is what the rules make of one order: imported or not, and if not, whether the
// age boundary makes that uncertain.
func (c Checker) expected(o shopifyapi.Order) (importable, uncertain bool) {
	age := c.Now.Sub(o.CreatedAt)
	switch {
	case !o.CancelledAt.IsZero():
		return false, false
	case o.Test && !c.ImportTestOrders:
		return false, false
	case age > maxOrderAge+c.AgeSlack:
		return false, false
	case len(o.ShippingLines) == 0:
		return false, false
	case localPickup(o):
		return false, false
	case age > maxOrderAge-c.AgeSlack:
		return true, true
	}
	return true, false
}

type saleRow struct {
	OrderID  int64           `db:"external_id"`
	SaleID   int64           `db:"sale_id"`
	Receipt  string          `db:"receipt_number"`
	Total    decimal.Decimal `db:"total"`
	Tax      decimal.Decimal `db:"tax_total"`
	Discount decimal.Decimal `db:"discount_total"`
	Balance  decimal.Decimal `db:"balance"`
	Paid     decimal.Decimal `db:"paid"`
	PaidPOS  decimal.Decimal `db:"paid_pos"`
	Lines    decimal.Decimal `db:"lines"`
	NLines   int             `db:"nlines"`
	Incl     bool            `db:"taxes_included"`
}

// Check compares the database with orders (the simulator's AllOrders).
func (c Checker) Check(ctx context.Context, orders []json.RawMessage) (Result, error) {
	var res Result
	problem := func(format string, args ...any) { res.Problems = append(res.Problems, fmt.Sprintf(format, args...)) }
	byID := map[int64]shopifyapi.Order{}
	for _, raw := range orders {
		o, err := shopifyapi.DecodeOrder(raw)
		if err != nil {
			return res, fmt.Errorf("decode a shop order: %w", err)
		}
		byID[o.ID] = o
	}
	res.Orders = len(byID)

	var rows []saleRow
	err := c.DB.SelectContext(ctx, &rows, `
		SELECT x.external_id, s.id AS sale_id, s.receipt_number, s.total, s.tax_total, s.discount_total, s.balance,
			s.taxes_included,
			coalesce((SELECT sum(amount) FROM payments p WHERE p.sale_id = s.id AND p.source = 'shopify'), 0) AS paid,
			coalesce((SELECT sum(amount) FROM payments p WHERE p.sale_id = s.id AND p.source = 'pos'
				AND NOT EXISTS (SELECT 1 FROM payment_voids v WHERE v.payment_id = p.id)), 0) AS paid_pos,
			coalesce((SELECT sum(l.total) FROM sale_lines l WHERE l.sale_id = s.id), 0) AS lines,
			(SELECT count(*) FROM sale_lines l WHERE l.sale_id = s.id) AS nlines
		FROM sale_external_ids x JOIN sales s ON s.id = x.sale_id
		WHERE x.channel = 'shopify' AND x.shop = $1`, c.Shop)
	if err != nil {
		return res, fmt.Errorf("read the imported sales: %w", err)
	}
	res.Sales = len(rows)
	seen := map[int64]bool{}
	sold := map[string]int{}
	for _, r := range rows {
		o, ok := byID[r.OrderID]
		if !ok {
			problem("sale %s is of order %d, which the shop does not hold", r.Receipt, r.OrderID)
			continue
		}
		if seen[r.OrderID] {
			problem("order %s (%d) became more than one sale", o.Name, o.ID)
			continue
		}
		seen[r.OrderID] = true
		if imp, uncertain := c.expected(o); !imp && !uncertain {
			problem("order %s (%d) became a sale though the rules do not import it", o.Name, o.ID)
		}
		c.compare(o, r, problem)
		for _, li := range o.LineItems {
			if !li.GiftCard && li.SKU != "" && li.VariantInventoryManagement == "shopify" {
				sold[li.SKU] += int(li.Quantity)
			}
		}
	}
	for id, o := range byID {
		imp, uncertain := c.expected(o)
		if imp && !uncertain {
			res.Importable++
			if !seen[id] {
				problem("order %s (%d) is importable but has no sale", o.Name, o.ID)
			}
		} else if imp && seen[id] {
			res.Importable++
		}
	}
	if err := c.checkStock(ctx, sold, problem); err != nil {
		return res, err
	}
	if err := c.checkOrphans(ctx, problem); err != nil {
		return res, err
	}
	sort.Strings(res.Problems)
	return res, nil
}

// compare checks one sale against its order: totals, tax, discounts, what Shopify
// collected, the balance (what Shopify left outstanding less what staff took since), and
// that its lines add up to its total.
func (c Checker) compare(o shopifyapi.Order, r saleRow, problem func(string, ...any)) {
	outstanding := o.TotalOutstanding
	if (o.FinancialStatus == "pending" || o.FinancialStatus == "authorized") && outstanding.IsZero() {
		outstanding = o.TotalPrice
	}
	for _, f := range []struct {
		what      string
		got, want decimal.Decimal
	}{
		{"total", r.Total, o.TotalPrice}, {"tax", r.Tax, o.TotalTax}, {"discounts", r.Discount, o.TotalDiscounts},
		{"balance", r.Balance, outstanding.Sub(r.PaidPOS)}, {"paid in Shopify", r.Paid, o.TotalPrice.Sub(outstanding)},
	} {
		if !f.got.Equal(f.want) {
			problem("order %s (%d): %s %s, Shopify %s", o.Name, o.ID, f.what, f.got.StringFixed(2), f.want.StringFixed(2))
		}
	}
	if r.Receipt != o.Name {
		problem("order %s (%d): receipt %q", o.Name, o.ID, r.Receipt)
	}
	lines := r.Lines
	if !r.Incl {
		lines = lines.Add(r.Tax)
	}
	if r.NLines == 0 || !lines.Equal(r.Total) {
		problem("order %s (%d): %d lines adding up to %s, total %s", o.Name, o.ID, r.NLines, lines.StringFixed(2), r.Total.StringFixed(2))
	}
}

// checkStock compares every stock level of the outlet with the opening level minus what
// the imported orders sold, and each level with the sum of its movements.
func (c Checker) checkStock(ctx context.Context, sold map[string]int, problem func(string, ...any)) error {
	var levels []struct {
		SKU    string `db:"sku"`
		OnHand int    `db:"on_hand"`
		Ledger int    `db:"ledger"`
	}
	err := c.DB.SelectContext(ctx, &levels, `
		SELECT p.sku, l.on_hand,
			coalesce((SELECT sum(delta) FROM stock_movements m WHERE m.product_id = l.product_id AND m.outlet_id = l.outlet_id), 0) AS ledger
		FROM stock_levels l JOIN products p ON p.id = l.product_id WHERE l.outlet_id = $1`, c.OutletID)
	if err != nil {
		return fmt.Errorf("read the stock levels: %w", err)
	}
	have := map[string]int{}
	for _, l := range levels {
		have[l.SKU] += l.OnHand
		if l.OnHand != l.Ledger {
			problem("stock of %s is %d, its movements add up to %d", l.SKU, l.OnHand, l.Ledger)
		}
	}
	skus := map[string]bool{}
	for s := range have {
		skus[s] = true
	}
	for s := range sold {
		skus[s] = true
	}
	for s := range c.Opening {
		skus[s] = true
	}
	for sku := range skus {
		if want := c.Opening[sku] - sold[sku]; have[sku] != want {
			problem("stock of %s is %d, want %d (opening %d, sold %d)", sku, have[sku], want, c.Opening[sku], sold[sku])
		}
	}
	return nil
}

// checkOrphans finds rows that belong to nothing: lines without a sale's external id,
// sales without lines, payments and taxes of missing rows, sale movements without a line.
func (c Checker) checkOrphans(ctx context.Context, problem func(string, ...any)) error {
	for _, q := range []struct{ what, sql string }{
		{"sales without lines", `SELECT count(*) FROM sales s WHERE NOT EXISTS (SELECT 1 FROM sale_lines l WHERE l.sale_id = s.id)`},
		{"Shopify sales without their order id", `SELECT count(*) FROM sales s WHERE s.source = 'shopify' AND NOT EXISTS (SELECT 1 FROM sale_external_ids x WHERE x.sale_id = s.id)`},
		{"sales whose balance is not total minus payments", `SELECT count(*) FROM sales s WHERE NOT s.voided AND s.balance <> s.total - coalesce((SELECT sum(amount) FROM payments p WHERE p.sale_id = s.id
			AND NOT EXISTS (SELECT 1 FROM payment_voids v WHERE v.payment_id = p.id)), 0)`},
		{"voided sales that owe something or keep a payment", `SELECT count(*) FROM sales s WHERE s.voided AND (s.balance <> 0
			OR EXISTS (SELECT 1 FROM payments p WHERE p.sale_id = s.id AND NOT EXISTS (SELECT 1 FROM payment_voids v WHERE v.payment_id = p.id)))`},
		{"payments of no sale", `SELECT count(*) FROM payments p WHERE NOT EXISTS (SELECT 1 FROM sales s WHERE s.id = p.sale_id)`},
		{"sale movements without their line", `SELECT count(*) FROM stock_movements m WHERE m.reason = 'sale' AND NOT EXISTS (SELECT 1 FROM sale_lines l WHERE l.id = m.sale_line_id)`},
		{"stock levels off their movements", `SELECT count(*) FROM stock_levels l WHERE l.on_hand <> coalesce((SELECT sum(delta) FROM stock_movements m WHERE m.product_id = l.product_id AND m.outlet_id = l.outlet_id), 0)`},
		{"tracked product lines without a movement", `SELECT count(*) FROM sale_lines l JOIN products p ON p.id = l.product_id
			WHERE l.kind = 'product' AND p.tracks_stock AND NOT EXISTS (SELECT 1 FROM stock_movements m WHERE m.sale_line_id = l.id)`},
	} {
		var n int
		if err := c.DB.GetContext(ctx, &n, q.sql); err != nil {
			return fmt.Errorf("count %s: %w", q.what, err)
		}
		if n > 0 {
			problem("%d %s", n, q.what)
		}
	}
	return nil
}

// localPickup is issue 16's rule for a REST order: no shipping address and only free
// shipping lines is a local pickup, not imported (the soak's connections do not import
// pickups).
func localPickup(o shopifyapi.Order) bool {
	if o.ShippingAddress != nil {
		return false
	}
	for _, s := range o.ShippingLines {
		if !s.Price.IsZero() || !s.DiscountedPrice.IsZero() {
			return false
		}
	}
	return true
}
