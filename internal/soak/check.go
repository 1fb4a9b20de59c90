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
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
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
	// LocationID is the connection's Shopify location (the shop's primary one): goods a
	// refund restocks at another location do not come back to the outlet; 0 takes every
	// restock as the outlet's.
	LocationID int64
	// Edits is how many times Shopify edited each order (by id) after kassa imported it:
	// an imported order gets at most one adjustment document per edit, and none without.
	Edits map[int64]int
	// Counter is what the counter sold by SKU (the sales the API accepted), less what it
	// took back: stock moves by it too.
	Counter map[string]int
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
		// An order cancelled after its import keeps its sale, fully returned (see
		// compareChanges); one cancelled before gets none.
		return false, true
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
	// Known are the refunds the sale was imported with (the importer's own record, read
	// only to name a problem: the sums below decide).
	Known pq.Int64Array `db:"known_refunds"`
}

// docRow is a document recorded against an imported sale: a return, an adjustment or a
// write-off, with the money Shopify refunded through it.
type docRow struct {
	SaleID   int64           `db:"sale_id"`
	Kind     string          `db:"kind"`
	Receipt  string          `db:"receipt_number"`
	Seq      int             `db:"seq"`
	RefundID int64           `db:"external_id"`
	Total    decimal.Decimal `db:"total"`
	Tax      decimal.Decimal `db:"tax_total"`
	Owed     decimal.Decimal `db:"owed"`
	Refunded decimal.Decimal `db:"refunded"`
}

// qtyRow is a quantity of a product (by SKU) on a sale (its lines) or on its documents
// (negative, with what of it went back to stock).
type qtyRow struct {
	SaleID    int64  `db:"sale_id"`
	SKU       string `db:"sku"`
	Quantity  int    `db:"quantity"`
	Restocked int    `db:"restocked"`
}

// sales holds what kassa recorded of the shop's orders.
type recorded struct {
	sales []saleRow
	docs  map[int64][]docRow          // by sale
	sold  map[int64]map[string]int    // sale lines' quantities by sale and SKU
	back  map[int64]map[string][2]int // documents' quantities and restocks by sale and SKU
	skus  map[string]bool             // the SKUs of kassa's products
}

func skuKey(s string) string { return strings.ToUpper(strings.TrimSpace(s)) }

func (c Checker) read(ctx context.Context) (recorded, error) {
	rec := recorded{docs: map[int64][]docRow{}, sold: map[int64]map[string]int{}, back: map[int64]map[string][2]int{}, skus: map[string]bool{}}
	err := c.DB.SelectContext(ctx, &rec.sales, `
		SELECT x.external_id, s.id AS sale_id, s.receipt_number, s.total, s.tax_total, s.discount_total, s.balance,
			s.taxes_included, x.known_refunds,
			coalesce((SELECT sum(amount) FROM payments p WHERE p.sale_id = s.id AND p.source = 'shopify'), 0) AS paid,
			coalesce((SELECT sum(amount) FROM payments p WHERE p.sale_id = s.id AND p.source = 'pos'
				AND NOT EXISTS (SELECT 1 FROM payment_voids v WHERE v.payment_id = p.id)), 0) AS paid_pos,
			coalesce((SELECT sum(l.total) FROM sale_lines l WHERE l.sale_id = s.id), 0) AS lines,
			(SELECT count(*) FROM sale_lines l WHERE l.sale_id = s.id) AS nlines
		FROM sale_external_ids x JOIN sales s ON s.id = x.sale_id
		WHERE x.channel = 'shopify' AND x.shop = $1`, c.Shop)
	if err != nil {
		return rec, fmt.Errorf("read the imported sales: %w", err)
	}
	var docs []docRow
	err = c.DB.SelectContext(ctx, &docs, `
		SELECT r.sale_id, r.kind, r.receipt_number, r.seq, coalesce(r.external_id, 0) AS external_id, r.total, r.tax_total, r.owed,
			coalesce((SELECT sum(f.amount) FROM refunds f WHERE f.return_id = r.id AND f.source = 'shopify'), 0) AS refunded
		FROM sale_returns r JOIN sale_external_ids x ON x.sale_id = r.sale_id
		WHERE x.channel = 'shopify' AND x.shop = $1 ORDER BY r.sale_id, r.seq`, c.Shop)
	if err != nil {
		return rec, fmt.Errorf("read the documents of the imported sales: %w", err)
	}
	for _, d := range docs {
		rec.docs[d.SaleID] = append(rec.docs[d.SaleID], d)
	}
	var qs []qtyRow
	err = c.DB.SelectContext(ctx, &qs, `
		SELECT l.sale_id, l.sku, sum(l.quantity) AS quantity, 0 AS restocked
		FROM sale_lines l JOIN sale_external_ids x ON x.sale_id = l.sale_id
		WHERE x.channel = 'shopify' AND x.shop = $1 AND l.kind = 'product' AND l.sku <> '' GROUP BY l.sale_id, l.sku`, c.Shop)
	if err != nil {
		return rec, fmt.Errorf("read the quantities sold: %w", err)
	}
	for _, q := range qs {
		if rec.sold[q.SaleID] == nil {
			rec.sold[q.SaleID] = map[string]int{}
		}
		rec.sold[q.SaleID][skuKey(q.SKU)] += q.Quantity
	}
	qs = nil
	err = c.DB.SelectContext(ctx, &qs, `
		SELECT r.sale_id, l.sku, sum(rl.quantity) AS quantity, sum(CASE WHEN rl.restock THEN rl.quantity ELSE 0 END) AS restocked
		FROM sale_return_lines rl JOIN sale_returns r ON r.id = rl.return_id JOIN sale_lines l ON l.id = rl.sale_line_id
			JOIN sale_external_ids x ON x.sale_id = r.sale_id
		WHERE x.channel = 'shopify' AND x.shop = $1 AND l.kind = 'product' AND l.sku <> '' GROUP BY r.sale_id, l.sku`, c.Shop)
	if err != nil {
		return rec, fmt.Errorf("read the quantities given back: %w", err)
	}
	for _, q := range qs {
		if rec.back[q.SaleID] == nil {
			rec.back[q.SaleID] = map[string][2]int{}
		}
		b := rec.back[q.SaleID][skuKey(q.SKU)]
		rec.back[q.SaleID][skuKey(q.SKU)] = [2]int{b[0] - q.Quantity, b[1] - q.Restocked}
	}
	var skus []string
	if err := c.DB.SelectContext(ctx, &skus, `SELECT sku FROM products WHERE sku <> ''`); err != nil {
		return rec, fmt.Errorf("read the products: %w", err)
	}
	for _, s := range skus {
		rec.skus[skuKey(s)] = true
	}
	return rec, nil
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

	rec, err := c.read(ctx)
	if err != nil {
		return res, err
	}
	res.Sales = len(rec.sales)
	seen := map[int64]bool{}
	out := map[string]int{}
	for _, r := range rec.sales {
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
		after := c.compare(o, r, rec, problem)
		// What left the shop: the line as it stands, and what refunds recorded after the
		// import took back without restocking it here (a refund made before the import
		// is in the current quantity already, and its goods never left kassa's stock).
		for _, li := range o.LineItems {
			if li.GiftCard || li.SKU == "" || li.VariantInventoryManagement != "shopify" {
				continue
			}
			out[li.SKU] += int(currentQuantity(li))
			for _, rf := range o.Refunds {
				if !after[rf.ID] {
					continue
				}
				for _, rl := range rf.LineItems {
					if rl.LineItemID == li.ID && !c.restockedHere(rl) {
						out[li.SKU] += int(rl.Quantity)
					}
				}
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
	if err := c.checkStock(ctx, out, problem); err != nil {
		return res, err
	}
	if err := c.checkOrphans(ctx, problem); err != nil {
		return res, err
	}
	sort.Strings(res.Problems)
	return res, nil
}

// restockedHere is Shopify's restock of a refund line as the outlet sees it: goods back
// (restock_type return or cancel) at the connection's location or at none named.
func (c Checker) restockedHere(rl shopifyapi.RefundLineItem) bool {
	switch rl.RestockType {
	case "return", "cancel", "legacy_restock":
	default:
		return false
	}
	return rl.LocationID == 0 || c.LocationID == 0 || rl.LocationID == c.LocationID
}

func currentQuantity(li shopifyapi.LineItem) int64 {
	if li.HasCurrentQuantity {
		return li.CurrentQuantity
	}
	return li.Quantity
}

// refundMatters reports whether a refund moved goods or money (one that did neither
// leaves nothing to record).
func refundMatters(rf shopifyapi.Refund) bool {
	return len(rf.LineItems) > 0 || len(rf.Adjustments) > 0 || rf.RefundedMoney().IsPositive()
}

// compare checks one sale and its documents against its order as it stands: the sale
// plus its returns and adjustments add up to Shopify's current total, tax and quantities;
// each of Shopify's refunds is one return, unless the sale was imported after it; at most
// one adjustment per edit; what Shopify kept is what kassa holds paid through Shopify,
// the balance what Shopify has outstanding less what staff took since; a cancelled order
// is fully returned and owes nothing. It returns the refunds recorded as returns.
func (c Checker) compare(o shopifyapi.Order, r saleRow, rec recorded, problem func(string, ...any)) map[int64]bool {
	docs := rec.docs[r.SaleID]
	cancelled := !o.CancelledAt.IsZero()
	current, currentTax, currentDisc := o.TotalPrice, o.TotalTax, o.TotalDiscounts
	if o.HasCurrentTotals {
		current, currentTax, currentDisc = o.CurrentTotalPrice, o.CurrentTotalTax, o.CurrentTotalDiscounts
	}
	outstanding := o.TotalOutstanding
	if !cancelled && (o.FinancialStatus == "pending" || o.FinancialStatus == "authorized") && outstanding.IsZero() {
		outstanding = current
	}
	// A negative outstanding amount (Shopify owes the buyer after an edit) is money Shopify
	// holds beyond the order; the sale counts as paid no more than its total until Shopify
	// refunds it.
	kept := decimal.Min(current.Sub(outstanding), r.Total)
	balance := decimal.Max(outstanding, decimal.Zero).Sub(r.PaidPOS)
	if cancelled {
		balance = decimal.Zero
	}

	// The documents: one return per refund, adjustments no more than edits, a
	// cancellation's return and write-off once each and only for a cancelled order.
	total, tax, owed, refunded := r.Total, r.Tax, decimal.Zero, decimal.Zero
	byRefund := map[int64]int{}
	var adjustments, cancelReturns, writeOffs int
	for i, d := range docs {
		if want := fmt.Sprintf("%s-R%d", o.Name, i+1); d.Receipt != want || d.Seq != i+1 {
			problem("order %s (%d): document %d is %q (seq %d), want %q", o.Name, o.ID, i+1, d.Receipt, d.Seq, want)
		}
		refunded = refunded.Add(d.Refunded)
		if d.Kind == "write_off" {
			writeOffs++
			owed = owed.Add(d.Owed)
			continue
		}
		total, tax, owed = total.Add(d.Total), tax.Add(d.Tax), owed.Add(d.Owed)
		switch {
		case d.RefundID != 0:
			byRefund[d.RefundID]++
		case d.Kind == "adjustment":
			adjustments++
		case d.Kind == "return":
			cancelReturns++
		}
	}
	known := map[int64]bool{}
	for _, id := range r.Known {
		known[id] = true
	}
	after := map[int64]bool{}
	refunds := map[int64]bool{}
	for _, rf := range o.Refunds {
		refunds[rf.ID] = true
		n := byRefund[rf.ID]
		switch {
		case n > 1:
			problem("order %s (%d): refund %d became %d returns", o.Name, o.ID, rf.ID, n)
		case n == 1 && known[rf.ID]:
			problem("order %s (%d): refund %d became a return though the sale was imported with it", o.Name, o.ID, rf.ID)
		case n == 0 && !known[rf.ID] && refundMatters(rf):
			problem("order %s (%d): refund %d has no return", o.Name, o.ID, rf.ID)
		}
		after[rf.ID] = n > 0
	}
	for id := range byRefund {
		if !refunds[id] {
			problem("order %s (%d): a return of refund %d, which the order does not hold", o.Name, o.ID, id)
		}
	}
	if edits := c.Edits[o.ID]; adjustments > edits {
		problem("order %s (%d): %d adjustments for %d edits after the import", o.Name, o.ID, adjustments, edits)
	}
	if !cancelled && (cancelReturns > 0 || writeOffs > 0) {
		problem("order %s (%d) is not cancelled but has %d cancellation returns and %d write-offs", o.Name, o.ID, cancelReturns, writeOffs)
	}
	if cancelReturns > 1 || writeOffs > 1 {
		problem("order %s (%d): %d cancellation returns and %d write-offs", o.Name, o.ID, cancelReturns, writeOffs)
	}
	if cancelled && len(docs) == 0 {
		problem("order %s (%d) was cancelled in Shopify but its sale has no return", o.Name, o.ID)
	}
	if cancelled {
		// An unpaid cancelled order's balance is written off, not left owed.
		if owes := r.Total.Add(owed).Sub(r.Paid).Sub(r.PaidPOS); writeOffs == 0 && owes.IsPositive() {
			problem("order %s (%d) was cancelled in Shopify; its sale owes %s, not written off", o.Name, o.ID, owes.StringFixed(2))
		}
	}

	for _, f := range []struct {
		what      string
		got, want decimal.Decimal
	}{
		{"total with its documents", total, current}, {"tax with its documents", tax, currentTax},
		{"balance", r.Balance, balance}, {"paid in Shopify less refunded", r.Paid.Add(refunded), kept},
	} {
		if !f.got.Equal(f.want) {
			problem("order %s (%d): %s %s, Shopify %s", o.Name, o.ID, f.what, f.got.StringFixed(2), f.want.StringFixed(2))
		}
	}
	if len(docs) == 0 && !r.Discount.Equal(currentDisc) {
		problem("order %s (%d): discounts %s, Shopify %s", o.Name, o.ID, r.Discount.StringFixed(2), currentDisc.StringFixed(2))
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

	// Quantities of kassa's products: sold less given back is what Shopify has now.
	now := map[string]int{}
	for _, li := range o.LineItems {
		if k := skuKey(li.SKU); !li.GiftCard && rec.skus[k] {
			now[k] += int(currentQuantity(li))
		}
	}
	keys := map[string]bool{}
	for k := range now {
		keys[k] = true
	}
	for k := range rec.sold[r.SaleID] {
		keys[k] = true
	}
	for k := range keys {
		sold, back := rec.sold[r.SaleID][k], rec.back[r.SaleID][k][0]
		if sold-back != now[k] {
			problem("order %s (%d): %s sold %d, given back %d, Shopify now %d", o.Name, o.ID, k, sold, back, now[k])
		}
	}
	return after
}

// checkStock compares every stock level of the outlet with the opening level minus what
// left the shop by the imported orders (out: sold, less what came back), and each level
// with the sum of its movements.
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
	for s := range c.Counter {
		skus[s] = true
	}
	for sku := range skus {
		if want := c.Opening[sku] - sold[sku] - c.Counter[sku]; have[sku] != want {
			problem("stock of %s is %d, want %d (opening %d, out %d, counter %d)", sku, have[sku], want, c.Opening[sku], sold[sku], c.Counter[sku])
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
		{"sales whose balance is not total, plus what documents took off, minus payments", `SELECT count(*) FROM sales s WHERE NOT s.voided
			AND s.balance <> s.total + coalesce((SELECT sum(owed) FROM sale_returns r WHERE r.sale_id = s.id), 0)
			- coalesce((SELECT sum(amount) FROM payments p WHERE p.sale_id = s.id
			AND NOT EXISTS (SELECT 1 FROM payment_voids v WHERE v.payment_id = p.id)), 0)`},
		{"restocked document lines without their movement back", `SELECT count(*) FROM sale_return_lines rl JOIN sale_lines l ON l.id = rl.sale_line_id
			JOIN products p ON p.id = l.product_id
			WHERE rl.restock AND p.tracks_stock AND NOT EXISTS (SELECT 1 FROM stock_movements m WHERE m.return_line_id = rl.id AND m.delta = -rl.quantity)`},
		{"stock movements back of document lines not restocked", `SELECT count(*) FROM stock_movements m JOIN sale_return_lines rl ON rl.id = m.return_line_id WHERE NOT rl.restock`},
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
