package sales

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/shopspring/decimal"

	"github.com/kassa-pos/kassa/internal/pg"
)

// The read models of the register's closing and nightly reports: each function is one
// statement, so that a report that runs them in one snapshot transaction costs what the
// joins it replaces did.

// TypeTaking is what a register session took with one payment type.
type TypeTaking struct {
	TypeID  int64  `db:"id"`
	Type    string `db:"name"`
	Counted bool   `db:"counted"` // counted in the drawer at close (cash)
	// Taken is the session's payments of the type less the voided ones; Paid says whether
	// the session took any payment of the type at all, voided or not.
	Taken decimal.Decimal `db:"taken"`
	Paid  bool            `db:"paid"`
}

// SessionTakings returns what a session took with every payment type, by payment type id
// (types it took nothing with included): its payments less the voided ones, less the
// refunds of the returns it took (negative amounts).
func (Store) SessionTakings(ctx context.Context, q pg.Queryer, sessionID int64) ([]TypeTaking, error) {
	var out []TypeTaking
	err := sqlx.SelectContext(ctx, q, &out, `
		SELECT t.id, t.name, t.counted, coalesce(p.taken, 0) + coalesce(f.refunded, 0) AS taken,
			(p.taken IS NOT NULL OR f.refunded IS NOT NULL
			 OR EXISTS (SELECT 1 FROM payments x WHERE x.session_id = $1 AND x.payment_type_id = t.id)) AS paid
		FROM payment_types t
		LEFT JOIN (SELECT payment_type_id, sum(amount) AS taken FROM payments p
			WHERE session_id = $1 AND NOT EXISTS (SELECT 1 FROM payment_voids v WHERE v.payment_id = p.id)
			GROUP BY payment_type_id) p
			ON p.payment_type_id = t.id
		-- Refunds given back in the session (negative): a return's money, at the counter
		-- or in Shopify, counted when it was recorded.
		LEFT JOIN (SELECT payment_type_id, sum(amount) AS refunded FROM refunds WHERE session_id = $1 GROUP BY payment_type_id) f
			ON f.payment_type_id = t.id
		ORDER BY t.id`, sessionID)
	if err != nil {
		return nil, fmt.Errorf("total the session's payments: %w", err)
	}
	return out, nil
}

// SessionDocuments totals the documents recorded against sales in a register session:
// returns (goods back), adjustments, write-offs (owed given up) and the refunds given
// back, each as negative figures.
type SessionDocuments struct {
	Returns          int             `db:"returns"`
	ReturnsTotal     decimal.Decimal `db:"returns_total"`
	Adjustments      int             `db:"adjustments"`
	AdjustmentsTotal decimal.Decimal `db:"adjustments_total"`
	WriteOffs        int             `db:"write_offs"`
	WriteOffsTotal   decimal.Decimal `db:"write_offs_total"`
	Refunds          decimal.Decimal `db:"refunds_total"`
}

// SessionDocuments totals the return documents and refunds of a register session.
func (Store) SessionDocuments(ctx context.Context, q pg.Queryer, sessionID int64) (SessionDocuments, error) {
	var out SessionDocuments
	err := sqlx.GetContext(ctx, q, &out, `
		SELECT count(*) FILTER (WHERE kind = 'return') AS returns,
			coalesce(sum(total) FILTER (WHERE kind = 'return'), 0) AS returns_total,
			count(*) FILTER (WHERE kind = 'adjustment') AS adjustments,
			coalesce(sum(total) FILTER (WHERE kind = 'adjustment'), 0) AS adjustments_total,
			count(*) FILTER (WHERE kind = 'write_off') AS write_offs,
			coalesce(sum(owed) FILTER (WHERE kind = 'write_off'), 0) AS write_offs_total,
			coalesce((SELECT sum(amount) FROM refunds WHERE session_id = $1), 0) AS refunds_total
		FROM sale_returns WHERE session_id = $1`, sessionID)
	if err != nil {
		return SessionDocuments{}, fmt.Errorf("total the session's returns: %w", err)
	}
	return out, nil
}

// SessionSales totals the sales recorded in a register session.
type SessionSales struct {
	Count         int             `db:"sales_count"`
	Total         decimal.Decimal `db:"sales_total"`
	ShopifyOrders int             `db:"shopify_orders"`
	ShopifyTotal  decimal.Decimal `db:"shopify_total"`
	// ShippingFees totals the shipping-fee lines of the session's Shopify orders.
	ShippingFees decimal.Decimal `db:"shipping_fees"`
	// InStoreCount and InStoreTotal are the session's counter sales (voided ones left out,
	// as they are of Count and Total).
	InStoreCount int             `db:"in_store_count"`
	InStoreTotal decimal.Decimal `db:"in_store_total"`
}

// SessionSales totals the sales of a register session; a voided sale counts in none of the
// totals.
func (Store) SessionSales(ctx context.Context, q pg.Queryer, sessionID int64) (SessionSales, error) {
	var out SessionSales
	err := sqlx.GetContext(ctx, q, &out, `
		SELECT count(*) AS sales_count, coalesce(sum(s.total), 0) AS sales_total,
			count(*) FILTER (WHERE s.source = 'shopify') AS shopify_orders,
			coalesce(sum(s.total) FILTER (WHERE s.source = 'shopify'), 0) AS shopify_total,
			count(*) FILTER (WHERE s.source = 'pos') AS in_store_count,
			coalesce(sum(s.total) FILTER (WHERE s.source = 'pos'), 0) AS in_store_total,
			coalesce((SELECT sum(l.total) FROM sale_lines l JOIN sales x ON x.id = l.sale_id
				WHERE x.session_id = $1 AND x.source = 'shopify' AND l.kind = 'shipping'), 0) AS shipping_fees
		FROM sales s WHERE s.session_id = $1 AND NOT s.voided`, sessionID)
	if err != nil {
		return SessionSales{}, fmt.Errorf("total the session's sales: %w", err)
	}
	return out, nil
}

// SessionPayment is a payment a session took, with its sale's receipt number.
type SessionPayment struct {
	ID         int64           `db:"id"`
	Receipt    string          `db:"receipt_number"`
	Type       string          `db:"type_name"`
	Amount     decimal.Decimal `db:"amount"`
	PaidAt     time.Time       `db:"paid_at"`
	RecordedBy string          `db:"recorded_by"`
	TokenID    *int64          `db:"token_id"`
	Voided     bool            `db:"voided"`
}

// PaymentsToEarlierSales lists the payments a session took for sales not of the session
// (a bank-deposit order imported days before, say), in the order they were paid.
func (Store) PaymentsToEarlierSales(ctx context.Context, q pg.Queryer, sessionID int64) ([]SessionPayment, error) {
	var out []SessionPayment
	err := sqlx.SelectContext(ctx, q, &out, `
		SELECT p.id, s.receipt_number, t.name AS type_name, p.amount, p.paid_at, p.recorded_by, p.token_id,
			EXISTS (SELECT 1 FROM payment_voids v WHERE v.payment_id = p.id) AS voided
		FROM payments p
		JOIN sales s ON s.id = p.sale_id
		JOIN payment_types t ON t.id = p.payment_type_id
		WHERE p.session_id = $1 AND s.session_id IS DISTINCT FROM $1
		ORDER BY p.paid_at, p.id`, sessionID)
	if err != nil {
		return nil, fmt.Errorf("list payments applied to earlier sales: %w", err)
	}
	return out, nil
}

// SessionVoid is a payment voided in a session, with its void.
type SessionVoid struct {
	PaymentID   int64           `db:"payment_id"`
	Receipt     string          `db:"receipt_number"`
	Type        string          `db:"type_name"`
	Amount      decimal.Decimal `db:"amount"`
	PaidAt      time.Time       `db:"paid_at"`
	RecordedBy  string          `db:"recorded_by"`
	TokenID     *int64          `db:"token_id"`
	VoidedAt    time.Time       `db:"voided_at"`
	VoidedBy    string          `db:"voided_by"`
	VoidTokenID *int64          `db:"void_token_id"`
	Reason      string          `db:"reason"`
}

// SessionVoids lists the payments voided in a session with their voids, in the order they
// were voided.
func (Store) SessionVoids(ctx context.Context, q pg.Queryer, sessionID int64) ([]SessionVoid, error) {
	var out []SessionVoid
	err := sqlx.SelectContext(ctx, q, &out, `
		SELECT p.id AS payment_id, s.receipt_number, t.name AS type_name, p.amount, p.paid_at, p.recorded_by,
			p.token_id, v.voided_at, v.recorded_by AS voided_by, v.token_id AS void_token_id, v.reason
		FROM payment_voids v
		JOIN payments p ON p.id = v.payment_id
		JOIN sales s ON s.id = p.sale_id
		JOIN payment_types t ON t.id = p.payment_type_id
		WHERE v.session_id = $1
		ORDER BY v.voided_at, v.id`, sessionID)
	if err != nil {
		return nil, fmt.Errorf("list the session's voided payments: %w", err)
	}
	return out, nil
}

// RateTotal is the tax collected at one rate (a fraction: 0.21 for 21 %).
type RateTotal struct {
	Rate   decimal.Decimal `db:"rate"`
	Amount decimal.Decimal `db:"amount"`
}

// SessionTaxes totals the taxes of a session per rate, by rate: those of its sales (not
// voided) less those its returns gave back.
func (Store) SessionTaxes(ctx context.Context, q pg.Queryer, sessionID int64) ([]RateTotal, error) {
	var out []RateTotal
	err := sqlx.SelectContext(ctx, q, &out, `
		SELECT rate, sum(amount) AS amount FROM (
			SELECT t.rate, t.amount
			FROM sales s
			JOIN sale_lines l ON l.sale_id = s.id
			CROSS JOIN unnest(l.tax_rates, l.tax_amounts) AS t(rate, amount)
			WHERE s.session_id = $1 AND NOT s.voided
			UNION ALL
			SELECT coalesce(rl.tax_rate, 0), rl.tax
			FROM sale_returns r JOIN sale_return_lines rl ON rl.return_id = r.id
			WHERE r.session_id = $1 AND rl.tax <> 0) x
		GROUP BY rate ORDER BY rate`, sessionID)
	if err != nil {
		return nil, fmt.Errorf("total the session's taxes: %w", err)
	}
	return out, nil
}

// Balances totals the balances sales still owe.
type Balances struct {
	Total decimal.Decimal `db:"total"`
	Count int             `db:"count"`
}

// OutletBalances totals the balances the outlet's sales still owe, now.
func (Store) OutletBalances(ctx context.Context, q pg.Queryer, outletID int64) (Balances, error) {
	var out Balances
	err := sqlx.GetContext(ctx, q, &out, `
		SELECT coalesce(sum(balance), 0) AS total, count(*) AS count
		FROM sales WHERE outlet_id = $1 AND balance > 0`, outletID)
	if err != nil {
		return Balances{}, fmt.Errorf("total the balances awaiting payment: %w", err)
	}
	return out, nil
}

// TypeTotal is the money taken with one payment type.
type TypeTotal struct {
	Type   string          `db:"name"`
	Count  int             `db:"count"`
	Amount decimal.Decimal `db:"amount"`
}

// PaymentTotals totals the payments taken on the registers in [from, to) per payment type,
// by payment type id, less the refunds given (each counts as one); voided payments are
// left out.
func (Store) PaymentTotals(ctx context.Context, q pg.Queryer, registerIDs []int64, from, to time.Time) ([]TypeTotal, error) {
	var out []TypeTotal
	err := sqlx.SelectContext(ctx, q, &out, `
		SELECT t.name, count(*) AS count, sum(p.amount) AS amount
		FROM (SELECT p.payment_type_id, p.amount FROM payments p
			WHERE p.register_id = ANY($1::bigint[]) AND p.paid_at >= $2 AND p.paid_at < $3
				AND NOT EXISTS (SELECT 1 FROM payment_voids v WHERE v.payment_id = p.id)
			UNION ALL
			SELECT f.payment_type_id, f.amount FROM refunds f
			WHERE f.register_id = ANY($1::bigint[]) AND f.refunded_at >= $2 AND f.refunded_at < $3) p
		JOIN payment_types t ON t.id = p.payment_type_id
		GROUP BY t.id, t.name ORDER BY t.id`, pq.Array(registerIDs), from, to)
	if err != nil {
		return nil, fmt.Errorf("total the day's payments: %w", err)
	}
	return out, nil
}

// SourceTotal is the sales of one source (SourcePOS, SourceShopify).
type SourceTotal struct {
	Source string          `db:"source"`
	Count  int             `db:"count"`
	Total  decimal.Decimal `db:"total"`
}

// DayTotals totals the outlet's sales sold in [from, to).
type DayTotals struct {
	// BySource has both sources, pos then shopify, zero or not; voided sales are left out.
	BySource []SourceTotal
	// ShippingFees totals the shipping-fee lines.
	ShippingFees decimal.Decimal
	// Returns totals the returns of the day by the source of the return (pos: at a
	// register, shopify: refunded in Shopify), both always present; totals are negative.
	Returns []SourceTotal
	// VoidedCount and VoidedTotal are the counter sales of the day that were voided.
	VoidedCount int
	VoidedTotal decimal.Decimal
	// Taxes are the day's taxes per rate: the sales' (not voided) less the returns'.
	Taxes []RateTotal
}

// DayTotals totals the outlet's sales sold in [from, to).
func (Store) DayTotals(ctx context.Context, q pg.Queryer, outletID int64, from, to time.Time) (DayTotals, error) {
	var out DayTotals
	err := sqlx.SelectContext(ctx, q, &out.BySource, `
		SELECT src.source, count(s.id) AS count, coalesce(sum(s.total), 0) AS total
		FROM (VALUES ('pos'), ('shopify')) AS src (source)
		LEFT JOIN sales s ON s.source = src.source AND s.outlet_id = $1 AND s.sold_at >= $2 AND s.sold_at < $3 AND NOT s.voided
		GROUP BY src.source ORDER BY src.source`, outletID, from, to)
	if err != nil {
		return DayTotals{}, fmt.Errorf("total the day's sales: %w", err)
	}
	err = sqlx.SelectContext(ctx, q, &out.Returns, `
		SELECT src.source, count(r.id) AS count, coalesce(sum(r.total), 0) AS total
		FROM (VALUES ('pos'), ('shopify')) AS src (source)
		LEFT JOIN sale_returns r ON r.source = src.source AND r.outlet_id = $1 AND r.returned_at >= $2 AND r.returned_at < $3
		GROUP BY src.source ORDER BY src.source`, outletID, from, to)
	if err != nil {
		return DayTotals{}, fmt.Errorf("total the day's returns: %w", err)
	}
	var voided struct {
		Count int             `db:"count"`
		Total decimal.Decimal `db:"total"`
	}
	err = sqlx.GetContext(ctx, q, &voided, `
		SELECT count(*) AS count, coalesce(sum(total), 0) AS total FROM sales
		WHERE outlet_id = $1 AND sold_at >= $2 AND sold_at < $3 AND voided`, outletID, from, to)
	if err != nil {
		return DayTotals{}, fmt.Errorf("total the day's voided sales: %w", err)
	}
	out.VoidedCount, out.VoidedTotal = voided.Count, voided.Total
	err = sqlx.SelectContext(ctx, q, &out.Taxes, `
		SELECT rate, sum(amount) AS amount FROM (
			SELECT t.rate, t.amount FROM sales s
			JOIN sale_lines l ON l.sale_id = s.id
			CROSS JOIN unnest(l.tax_rates, l.tax_amounts) AS t(rate, amount)
			WHERE s.outlet_id = $1 AND s.sold_at >= $2 AND s.sold_at < $3 AND NOT s.voided
			UNION ALL
			SELECT coalesce(rl.tax_rate, 0), rl.tax FROM sale_returns r JOIN sale_return_lines rl ON rl.return_id = r.id
			WHERE r.outlet_id = $1 AND r.returned_at >= $2 AND r.returned_at < $3 AND rl.tax <> 0) x
		GROUP BY rate ORDER BY rate`, outletID, from, to)
	if err != nil {
		return DayTotals{}, fmt.Errorf("total the day's taxes: %w", err)
	}
	err = sqlx.GetContext(ctx, q, &out.ShippingFees, `
		SELECT coalesce(sum(l.total), 0) FROM sales s JOIN sale_lines l ON l.sale_id = s.id AND l.kind = 'shipping'
		WHERE s.outlet_id = $1 AND s.sold_at >= $2 AND s.sold_at < $3 AND NOT s.voided`, outletID, from, to)
	if err != nil {
		return DayTotals{}, fmt.Errorf("total the day's shipping fees: %w", err)
	}
	return out, nil
}

// OwedSale is a sale that still owes a balance.
type OwedSale struct {
	Receipt string          `db:"receipt_number"`
	Source  string          `db:"source"`
	SoldAt  time.Time       `db:"sold_at"`
	Total   decimal.Decimal `db:"total"`
	Balance decimal.Decimal `db:"balance"`
}

// AwaitingPayment lists the oldest limit of the outlet's sales sold before before that
// still owe a balance now, oldest first (AwaitingPaymentTotals counts and totals them all).
func (Store) AwaitingPayment(ctx context.Context, q pg.Queryer, outletID int64, before time.Time, limit int) ([]OwedSale, error) {
	var out []OwedSale
	err := sqlx.SelectContext(ctx, q, &out, `
		SELECT receipt_number, source, sold_at, total, balance FROM sales
		WHERE outlet_id = $1 AND balance > 0 AND sold_at < $2
		ORDER BY sold_at, id LIMIT $3`, outletID, before, max(limit, 0))
	if err != nil {
		return nil, fmt.Errorf("list balances awaiting payment: %w", err)
	}
	return out, nil
}

// AwaitingPaymentTotals counts and totals the balances the outlet's sales sold before
// before still owe now.
func (Store) AwaitingPaymentTotals(ctx context.Context, q pg.Queryer, outletID int64, before time.Time) (Balances, error) {
	var out Balances
	err := sqlx.GetContext(ctx, q, &out, `
		SELECT coalesce(sum(balance), 0) AS total, count(*) AS count
		FROM sales WHERE outlet_id = $1 AND balance > 0 AND sold_at < $2`, outletID, before)
	if err != nil {
		return Balances{}, fmt.Errorf("total the balances awaiting payment: %w", err)
	}
	return out, nil
}

// SaleState is a sale's figures as they stand.
type SaleState struct {
	ID       int64           `db:"id"`
	OutletID int64           `db:"outlet_id"`
	Receipt  string          `db:"receipt_number"`
	Total    decimal.Decimal `db:"total"`
	Balance  decimal.Decimal `db:"balance"`
	Status   string          `db:"status"`
}

const saleStateColumns = `id, outlet_id, receipt_number, total, balance, status`

// SaleState loads a sale's figures, or ErrNotFound.
func (Store) SaleState(ctx context.Context, q pg.Queryer, saleID int64) (SaleState, error) {
	var out SaleState
	err := sqlx.GetContext(ctx, q, &out, `SELECT `+saleStateColumns+` FROM sales WHERE id = $1`, saleID)
	if errors.Is(err, sql.ErrNoRows) {
		return SaleState{}, fmt.Errorf("sale %d: %w", saleID, ErrNotFound)
	}
	if err != nil {
		return SaleState{}, fmt.Errorf("load sale %d: %w", saleID, err)
	}
	return out, nil
}

// LockForPayment finds the outlet's sale by id (when saleID is not 0) or else by receipt
// number, and locks its row until the end of the transaction q, so that two payments of
// one sale are taken one after the other, each seeing the balance the other left. It
// returns ErrNotFound when the outlet has no such sale.
func (Store) LockForPayment(ctx context.Context, q pg.Queryer, outletID, saleID int64, receipt string) (SaleState, error) {
	var out SaleState
	var err error
	if saleID != 0 {
		err = sqlx.GetContext(ctx, q, &out, `
			SELECT `+saleStateColumns+` FROM sales WHERE outlet_id = $1 AND id = $2 FOR UPDATE`, outletID, saleID)
	} else {
		err = sqlx.GetContext(ctx, q, &out, `
			SELECT `+saleStateColumns+` FROM sales WHERE outlet_id = $1 AND receipt_number = $2 FOR UPDATE`, outletID, receipt)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return SaleState{}, fmt.Errorf("sale %s: %w", receipt, ErrNotFound)
	}
	if err != nil {
		return SaleState{}, fmt.Errorf("lock sale %s: %w", receipt, err)
	}
	return out, nil
}

// PaymentByID loads a payment with its type's name, or ErrNotFound.
func (Store) PaymentByID(ctx context.Context, q pg.Queryer, id int64) (Payment, error) {
	var out Payment
	err := sqlx.GetContext(ctx, q, &out, `
		SELECT p.id, p.sale_id, p.payment_type_id, t.name AS type_name, p.amount, p.paid_at, p.register_id,
			p.session_id, p.recorded_by, p.source, p.token_id
		FROM payments p JOIN payment_types t ON t.id = p.payment_type_id
		WHERE p.id = $1`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return Payment{}, fmt.Errorf("payment %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Payment{}, fmt.Errorf("load payment %d: %w", id, err)
	}
	return out, nil
}

// VoidOf returns the void of a payment, or ErrNotFound when it was not voided.
func (Store) VoidOf(ctx context.Context, q pg.Queryer, paymentID int64) (Void, error) {
	var out Void
	err := sqlx.GetContext(ctx, q, &out, `
		SELECT id, payment_id, session_id, voided_at, reason, recorded_by, token_id FROM payment_voids WHERE payment_id = $1`, paymentID)
	if errors.Is(err, sql.ErrNoRows) {
		return Void{}, fmt.Errorf("void of payment %d: %w", paymentID, ErrNotFound)
	}
	if err != nil {
		return Void{}, fmt.Errorf("look for a void of payment %d: %w", paymentID, err)
	}
	return out, nil
}

// HourTotal is the sales of one source sold in one hour of the outlet's clock.
type HourTotal struct {
	// Hour is the start of the local hour.
	Hour   time.Time       `db:"hour"`
	Source string          `db:"source"`
	Count  int             `db:"count"`
	Total  decimal.Decimal `db:"total"`
}

// HourFilter picks the sales HourlyTotals counts: a session's (SessionID), or an outlet's
// sold in [From, To).
type HourFilter struct {
	SessionID int64
	OutletID  int64
	From, To  time.Time
}

// HourlyTotals totals sales per local hour of the time zone tz and per source, by hour
// then source; hours without a sale are left out.
func (Store) HourlyTotals(ctx context.Context, q pg.Queryer, f HourFilter, tz string) ([]HourTotal, error) {
	where, args := `s.session_id = $2`, []any{tz, f.SessionID}
	if f.SessionID == 0 {
		where, args = `s.outlet_id = $2 AND s.sold_at >= $3 AND s.sold_at < $4`, []any{tz, f.OutletID, f.From, f.To}
	}
	out := []HourTotal{}
	err := sqlx.SelectContext(ctx, q, &out, `
		SELECT date_trunc('hour', s.sold_at AT TIME ZONE $1) AT TIME ZONE $1 AS hour, s.source,
			count(*) AS count, sum(s.total) AS total
		FROM sales s WHERE `+where+` AND NOT s.voided
		GROUP BY 1, 2 ORDER BY 1, 2`, args...)
	if err != nil {
		return nil, fmt.Errorf("total the sales per hour: %w", err)
	}
	return out, nil
}

// SessionReturns lists the returns a session took, with their lines and refunds, in the
// order they were taken.
func (st Store) SessionReturns(ctx context.Context, q pg.Queryer, sessionID int64) ([]Return, error) {
	rs, err := st.loadReturns(ctx, q, "r.session_id = $1", sessionID)
	if err != nil {
		return nil, err
	}
	sortReturns(rs)
	return rs, nil
}

// sortReturns orders returns by when they were taken.
func sortReturns(rs []Return) {
	slices.SortStableFunc(rs, func(a, b Return) int {
		if c := a.ReturnedAt.Compare(b.ReturnedAt); c != 0 {
			return c
		}
		return int(a.ID - b.ID)
	})
}

// VoidedSale is a sale voided in a session, with its void.
type VoidedSale struct {
	Receipt  string          `db:"receipt_number"`
	Total    decimal.Decimal `db:"total"`
	SoldAt   time.Time       `db:"sold_at"`
	VoidedAt time.Time       `db:"voided_at"`
	VoidedBy string          `db:"recorded_by"`
	TokenID  *int64          `db:"token_id"`
	Reason   string          `db:"reason"`
}

// SessionVoidedSales lists the sales voided in a session, in the order they were voided.
func (Store) SessionVoidedSales(ctx context.Context, q pg.Queryer, sessionID int64) ([]VoidedSale, error) {
	var out []VoidedSale
	err := sqlx.SelectContext(ctx, q, &out, `
		SELECT s.receipt_number, s.total, s.sold_at, v.voided_at, v.recorded_by, v.token_id, v.reason
		FROM sale_voids v JOIN sales s ON s.id = v.sale_id
		WHERE v.session_id = $1 ORDER BY v.voided_at, v.id`, sessionID)
	if err != nil {
		return nil, fmt.Errorf("list the session's voided sales: %w", err)
	}
	return out, nil
}
