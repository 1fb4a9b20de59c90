package register

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"

	"github.com/kassa-pos/kassa/internal/pg"
	"github.com/kassa-pos/kassa/money"
)

// ClosingReport is a register session's report, in the JSON shape of DESIGN.md ("kassa
// report closing --json"). Money is a string with two decimals, times are RFC 3339 in
// the outlet's time zone. For a session still open it is the running figures so far (an
// X-report): ClosedAt and ClosedBy are null and nothing is counted.
type ClosingReport struct {
	SessionID    int64   `json:"session_id"`
	Register     string  `json:"register"`
	Outlet       string  `json:"outlet"`
	Timezone     string  `json:"timezone"`
	Currency     string  `json:"currency"`
	OpenedAt     string  `json:"opened_at"`
	OpenedBy     string  `json:"opened_by"`
	ClosedAt     *string `json:"closed_at"`
	ClosedBy     *string `json:"closed_by"`
	OpeningFloat string  `json:"opening_float"`
	// Payments has one entry per payment type taken in the session, counted at close, or
	// holding the opening float (cash), by payment type.
	Payments        []TypeFigures   `json:"payments"`
	SalesCount      int             `json:"sales_count"`
	SalesTotal      string          `json:"sales_total"`
	ShopifyOrders   int             `json:"shopify_orders"`
	ShippingFees    string          `json:"shipping_fees"`
	AppliedPayments []AppliedFigure `json:"applied_payments"`
	Taxes           []TaxFigure     `json:"taxes"`
	// AwaitingPaymentTotal is the outlet's total of balances still owed, over all its
	// sales, at the close (now, for an open session); AwaitingPaymentCount counts them.
	AwaitingPaymentTotal string `json:"awaiting_payment_total"`
	AwaitingPaymentCount int    `json:"awaiting_payment_count"`
}

// TypeFigures is what a session expected and what staff counted for one payment type.
// Counted and Difference are null when staff did not count the type at close (card and
// bank-deposit money is not in the drawer; it is reported, not counted).
type TypeFigures struct {
	Type       string  `json:"type"`
	Expected   string  `json:"expected"`
	Counted    *string `json:"counted"`
	Difference *string `json:"difference"`
}

// AppliedFigure is a payment taken in the session for a sale recorded earlier (a sale
// not of this session, e.g. a bank-deposit order imported from Shopify days before).
type AppliedFigure struct {
	ReceiptNumber string `json:"receipt_number"`
	Type          string `json:"type"`
	Amount        string `json:"amount"`
	PaidAt        string `json:"paid_at"`
}

// TaxFigure is the tax collected at one rate. Rate is a percentage ("21", "5.5").
type TaxFigure struct {
	Rate   string `json:"rate"`
	Amount string `json:"amount"`
}

// Open reports whether the report is of a session still open (an X-report).
func (r ClosingReport) Open() bool { return r.ClosedAt == nil }

// ClosingReport builds the report of a session, open or closed. It reads only what the
// session recorded, which never changes once it is closed, and the outlet's balances
// frozen at the close, so it can be printed again at any time with the same figures.
func (s Service) ClosingReport(ctx context.Context, q pg.Queryer, sessionID int64) (ClosingReport, error) {
	r, err := buildClosing(ctx, q, sessionID)
	if err != nil {
		return ClosingReport{}, fmt.Errorf("closing report of session %d: %w", sessionID, err)
	}
	return r, nil
}

// LastClosingReport builds the report of the register's most recently closed session.
func (s Service) LastClosingReport(ctx context.Context, q pg.Queryer, registerID int64) (ClosingReport, error) {
	var id int64
	err := sqlx.GetContext(ctx, q, &id, `
		SELECT id FROM register_sessions WHERE register_id = $1 AND closed_at IS NOT NULL
		ORDER BY closed_at DESC, id DESC LIMIT 1`, registerID)
	if errors.Is(err, sql.ErrNoRows) {
		return ClosingReport{}, fmt.Errorf("register %d has never been closed: %w", registerID, ErrNotFound)
	}
	if err != nil {
		return ClosingReport{}, fmt.Errorf("find last session of register %d: %w", registerID, err)
	}
	return s.ClosingReport(ctx, q, id)
}

// Close closes the register's open session with what staff counted, freezes the
// outlet's balances awaiting payment at that moment, and returns the closing report, all
// in one transaction.
func (s Service) Close(ctx context.Context, q pg.Queryer, registerID int64, counts []Count, by string) (ClosingReport, error) {
	var out ClosingReport
	err := pg.InTx(ctx, q, func(tx *sqlx.Tx) error {
		sess, err := s.store().CloseSession(ctx, tx, registerID, counts, by)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `
			INSERT INTO register_session_balances (session_id, awaiting_payment_total, awaiting_payment_count, recorded_at)
			SELECT $1, coalesce(sum(s.balance), 0), count(*), $3
			FROM sales s WHERE s.outlet_id = (SELECT outlet_id FROM registers WHERE id = $2) AND s.balance > 0`,
			sess.ID, registerID, *sess.ClosedAt)
		if err != nil {
			return fmt.Errorf("record balances at close: %w", err)
		}
		out, err = s.ClosingReport(ctx, tx, sess.ID)
		return err
	})
	if err != nil {
		return ClosingReport{}, err
	}
	return out, nil
}

// closingHead is the session with its register and outlet.
type closingHead struct {
	Session
	Register string `db:"register_name"`
	OutletID int64  `db:"outlet_id"`
	Outlet   string `db:"outlet_name"`
	Timezone string `db:"timezone"`
	Currency string `db:"currency"`
}

func buildClosing(ctx context.Context, q pg.Queryer, sessionID int64) (ClosingReport, error) {
	var h closingHead
	err := sqlx.GetContext(ctx, q, &h, `
		SELECT s.id, s.register_id, s.opened_at, s.opened_by, s.opening_float, s.closed_at, s.closed_by,
			r.name AS register_name, o.id AS outlet_id, o.name AS outlet_name, o.timezone, o.currency
		FROM register_sessions s
		JOIN registers r ON r.id = s.register_id
		JOIN outlets o ON o.id = r.outlet_id
		WHERE s.id = $1`, sessionID)
	if errors.Is(err, sql.ErrNoRows) {
		return ClosingReport{}, fmt.Errorf("session %d: %w", sessionID, ErrNotFound)
	}
	if err != nil {
		return ClosingReport{}, fmt.Errorf("load session: %w", err)
	}
	loc, err := time.LoadLocation(h.Timezone)
	if err != nil {
		return ClosingReport{}, fmt.Errorf("outlet %q: time zone %q: %w", h.Outlet, h.Timezone, err)
	}
	r := ClosingReport{
		SessionID: h.ID, Register: h.Register, Outlet: h.Outlet, Timezone: h.Timezone, Currency: h.Currency,
		OpenedAt: h.OpenedAt.In(loc).Format(time.RFC3339), OpenedBy: h.OpenedBy,
		OpeningFloat: money.String(h.OpeningFloat), ClosedBy: h.ClosedBy,
		AppliedPayments: []AppliedFigure{}, Taxes: []TaxFigure{},
	}
	if h.ClosedAt != nil {
		at := h.ClosedAt.In(loc).Format(time.RFC3339)
		r.ClosedAt = &at
	}

	if r.Payments, err = sessionTypeFigures(ctx, q, h.ID, h.OpeningFloat); err != nil {
		return ClosingReport{}, err
	}

	var sums struct {
		Count        int             `db:"sales_count"`
		Total        decimal.Decimal `db:"sales_total"`
		Shopify      int             `db:"shopify_orders"`
		ShippingFees decimal.Decimal `db:"shipping_fees"`
	}
	err = sqlx.GetContext(ctx, q, &sums, `
		SELECT count(*) AS sales_count, coalesce(sum(s.total), 0) AS sales_total,
			count(*) FILTER (WHERE s.source = 'shopify') AS shopify_orders,
			coalesce((SELECT sum(l.total) FROM sale_lines l JOIN sales x ON x.id = l.sale_id
				WHERE x.session_id = $1 AND x.source = 'shopify' AND l.kind = 'shipping'), 0) AS shipping_fees
		FROM sales s WHERE s.session_id = $1`, h.ID)
	if err != nil {
		return ClosingReport{}, fmt.Errorf("total the session's sales: %w", err)
	}
	r.SalesCount, r.SalesTotal = sums.Count, money.String(sums.Total)
	r.ShopifyOrders, r.ShippingFees = sums.Shopify, money.String(sums.ShippingFees)

	var applied []struct {
		Receipt string          `db:"receipt_number"`
		Type    string          `db:"type_name"`
		Amount  decimal.Decimal `db:"amount"`
		PaidAt  time.Time       `db:"paid_at"`
	}
	err = sqlx.SelectContext(ctx, q, &applied, `
		SELECT s.receipt_number, t.name AS type_name, p.amount, p.paid_at
		FROM payments p
		JOIN sales s ON s.id = p.sale_id
		JOIN payment_types t ON t.id = p.payment_type_id
		WHERE p.session_id = $1 AND s.session_id IS DISTINCT FROM $1
		ORDER BY p.paid_at, p.id`, h.ID)
	if err != nil {
		return ClosingReport{}, fmt.Errorf("list payments applied to earlier sales: %w", err)
	}
	for _, a := range applied {
		r.AppliedPayments = append(r.AppliedPayments, AppliedFigure{
			ReceiptNumber: a.Receipt, Type: a.Type, Amount: money.String(a.Amount), PaidAt: a.PaidAt.In(loc).Format(time.RFC3339),
		})
	}

	var taxes []struct {
		Rate   decimal.Decimal `db:"rate"`
		Amount decimal.Decimal `db:"amount"`
	}
	err = sqlx.SelectContext(ctx, q, &taxes, `
		SELECT t.rate, sum(t.amount) AS amount
		FROM sales s
		JOIN sale_lines l ON l.sale_id = s.id
		CROSS JOIN unnest(l.tax_rates, l.tax_amounts) AS t(rate, amount)
		WHERE s.session_id = $1
		GROUP BY t.rate ORDER BY t.rate`, h.ID)
	if err != nil {
		return ClosingReport{}, fmt.Errorf("total the session's taxes: %w", err)
	}
	for _, t := range taxes {
		r.Taxes = append(r.Taxes, TaxFigure{Rate: percent(t.Rate), Amount: money.String(t.Amount)})
	}

	var owed struct {
		Total decimal.Decimal `db:"total"`
		Count int             `db:"count"`
	}
	if h.ClosedAt != nil {
		err = sqlx.GetContext(ctx, q, &owed, `
			SELECT awaiting_payment_total AS total, awaiting_payment_count AS count
			FROM register_session_balances WHERE session_id = $1`, h.ID)
	}
	if h.ClosedAt == nil || errors.Is(err, sql.ErrNoRows) {
		// An open session, or one closed without freezing its balances (closed by the
		// bare Store): the outlet's balances as they stand now.
		err = sqlx.GetContext(ctx, q, &owed, `
			SELECT coalesce(sum(balance), 0) AS total, count(*) AS count
			FROM sales WHERE outlet_id = $1 AND balance > 0`, h.OutletID)
	}
	if err != nil {
		return ClosingReport{}, fmt.Errorf("total the balances awaiting payment: %w", err)
	}
	r.AwaitingPaymentTotal, r.AwaitingPaymentCount = money.String(owed.Total), owed.Count
	return r, nil
}

// sessionTypeFigures works out expected, counted and difference per payment type. The
// opening float is cash: it is added to the expected amount of the first counted payment
// type (Cash), which is therefore always listed.
func sessionTypeFigures(ctx context.Context, q pg.Queryer, sessionID int64, float decimal.Decimal) ([]TypeFigures, error) {
	var rows []struct {
		Name     string           `db:"name"`
		Counted  bool             `db:"counted"`
		Taken    decimal.Decimal  `db:"taken"`
		Staff    *decimal.Decimal `db:"staff_counted"`
		HasMoney bool             `db:"has_money"`
	}
	err := sqlx.SelectContext(ctx, q, &rows, `
		SELECT t.name, t.counted,
			coalesce(p.taken, 0) AS taken, c.counted AS staff_counted,
			(p.taken IS NOT NULL OR c.counted IS NOT NULL) AS has_money
		FROM payment_types t
		LEFT JOIN (SELECT payment_type_id, sum(amount) AS taken FROM payments WHERE session_id = $1 GROUP BY payment_type_id) p
			ON p.payment_type_id = t.id
		LEFT JOIN register_session_counts c ON c.session_id = $1 AND c.payment_type_id = t.id
		ORDER BY t.id`, sessionID)
	if err != nil {
		return nil, fmt.Errorf("total the session's payments: %w", err)
	}
	out := []TypeFigures{}
	floatPlaced := false
	for _, row := range rows {
		expected := row.Taken
		holdsFloat := row.Counted && !floatPlaced
		if holdsFloat {
			expected = expected.Add(float)
			floatPlaced = true
		}
		if !row.HasMoney && !holdsFloat {
			continue
		}
		f := TypeFigures{Type: row.Name, Expected: money.String(expected)}
		if row.Staff != nil {
			// A shortfall shows as a negative difference ("-0.50").
			counted, diff := money.String(*row.Staff), money.String(row.Staff.Sub(expected))
			f.Counted, f.Difference = &counted, &diff
		}
		out = append(out, f)
	}
	return out, nil
}

// percent turns a rate kept as a fraction (0.21) into a percentage string ("21").
func percent(rate decimal.Decimal) string {
	return strings.TrimSuffix(rate.Shift(2).String(), ".0")
}
