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
	SessionID int64 `json:"session_id"`
	// ZNumber is the close's number at its register (1, 2, 3... without a gap), given at
	// the close; null for an open session (an X-report).
	ZNumber  *int   `json:"z_number"`
	Register string `json:"register"`
	Outlet   string `json:"outlet"`
	Timezone string `json:"timezone"`
	Currency string `json:"currency"`
	OpenedAt string `json:"opened_at"`
	// OpenedBy and ClosedBy are the staff members who opened and closed the session;
	// OpenedToken and ClosedToken name the API tokens they did it with, null when it was
	// done on the command line.
	OpenedBy     string  `json:"opened_by"`
	OpenedToken  *string `json:"opened_token"`
	ClosedAt     *string `json:"closed_at"`
	ClosedBy     *string `json:"closed_by"`
	ClosedToken  *string `json:"closed_token"`
	OpeningFloat string  `json:"opening_float"`
	// Payments has one entry per payment type taken in the session, counted at close, or
	// holding the opening float (cash), by payment type. A voided payment is not expected.
	Payments        []TypeFigures   `json:"payments"`
	SalesCount      int             `json:"sales_count"`
	SalesTotal      string          `json:"sales_total"`
	ShopifyOrders   int             `json:"shopify_orders"`
	ShippingFees    string          `json:"shipping_fees"`
	AppliedPayments []AppliedFigure `json:"applied_payments"`
	// Voids are the session's payments that were voided, each with its void.
	Voids []VoidFigure `json:"voids"`
	Taxes []TaxFigure  `json:"taxes"`
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
	PaymentID     int64  `json:"payment_id"`
	// RecordedBy is the staff member who took it; Token the API token it came with (null:
	// the command line).
	RecordedBy string  `json:"recorded_by"`
	Token      *string `json:"token"`
	// Voided is true when the payment was voided (it is listed in Voids too, and its
	// amount is not expected).
	Voided bool `json:"voided"`
}

// VoidFigure is a payment of the session that was voided, and its void: the payment's
// amount is taken back (VoidedAmount, negative).
type VoidFigure struct {
	PaymentID     int64   `json:"payment_id"`
	ReceiptNumber string  `json:"receipt_number"`
	Type          string  `json:"type"`
	Amount        string  `json:"amount"`
	PaidAt        string  `json:"paid_at"`
	RecordedBy    string  `json:"recorded_by"`
	Token         *string `json:"token"`
	VoidedAmount  string  `json:"voided_amount"`
	VoidedAt      string  `json:"voided_at"`
	VoidedBy      string  `json:"voided_by"`
	VoidToken     *string `json:"void_token"`
	Reason        string  `json:"reason"`
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
// in one transaction; by is the staff member closing it on the command line.
func (s Service) Close(ctx context.Context, q pg.Queryer, registerID int64, counts []Count, by string) (ClosingReport, error) {
	return s.CloseAs(ctx, q, registerID, counts, Actor{By: by})
}

// CloseAs is Close recording who closed the session and with which API token. The close
// gets the register's next Z number, in the same transaction.
func (s Service) CloseAs(ctx context.Context, q pg.Queryer, registerID int64, counts []Count, who Actor) (ClosingReport, error) {
	var out ClosingReport
	err := pg.InTx(ctx, q, func(tx *sqlx.Tx) error {
		sess, err := s.store().CloseSessionAs(ctx, tx, registerID, counts, who)
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

// closingHead is the session with its register, outlet and tokens.
type closingHead struct {
	Session
	Register        string  `db:"register_name"`
	OutletID        int64   `db:"outlet_id"`
	Outlet          string  `db:"outlet_name"`
	Timezone        string  `db:"timezone"`
	Currency        string  `db:"currency"`
	OpenedTokenName *string `db:"opened_token_name"`
	ClosedTokenName *string `db:"closed_token_name"`
}

func buildClosing(ctx context.Context, q pg.Queryer, sessionID int64) (ClosingReport, error) {
	var h closingHead
	err := sqlx.GetContext(ctx, q, &h, `
		SELECT s.id, s.register_id, s.opened_at, s.opened_by, s.opening_float, s.closed_at, s.closed_by,
			s.opened_token_id, s.closed_token_id, s.z_number,
			r.name AS register_name, o.id AS outlet_id, o.name AS outlet_name, o.timezone, o.currency,
			ot.name AS opened_token_name, ct.name AS closed_token_name
		FROM register_sessions s
		JOIN registers r ON r.id = s.register_id
		JOIN outlets o ON o.id = r.outlet_id
		LEFT JOIN api_tokens ot ON ot.id = s.opened_token_id
		LEFT JOIN api_tokens ct ON ct.id = s.closed_token_id
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
		SessionID: h.ID, ZNumber: h.ZNumber, Register: h.Register, Outlet: h.Outlet, Timezone: h.Timezone, Currency: h.Currency,
		OpenedAt: h.OpenedAt.In(loc).Format(time.RFC3339), OpenedBy: h.OpenedBy, OpenedToken: h.OpenedTokenName,
		OpeningFloat: money.String(h.OpeningFloat), ClosedBy: h.ClosedBy, ClosedToken: h.ClosedTokenName,
		AppliedPayments: []AppliedFigure{}, Voids: []VoidFigure{}, Taxes: []TaxFigure{},
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
		ID         int64           `db:"id"`
		Receipt    string          `db:"receipt_number"`
		Type       string          `db:"type_name"`
		Amount     decimal.Decimal `db:"amount"`
		PaidAt     time.Time       `db:"paid_at"`
		RecordedBy string          `db:"recorded_by"`
		Token      *string         `db:"token_name"`
		Voided     bool            `db:"voided"`
	}
	err = sqlx.SelectContext(ctx, q, &applied, `
		SELECT p.id, s.receipt_number, t.name AS type_name, p.amount, p.paid_at, p.recorded_by, k.name AS token_name,
			EXISTS (SELECT 1 FROM payment_voids v WHERE v.payment_id = p.id) AS voided
		FROM payments p
		JOIN sales s ON s.id = p.sale_id
		JOIN payment_types t ON t.id = p.payment_type_id
		LEFT JOIN api_tokens k ON k.id = p.token_id
		WHERE p.session_id = $1 AND s.session_id IS DISTINCT FROM $1
		ORDER BY p.paid_at, p.id`, h.ID)
	if err != nil {
		return ClosingReport{}, fmt.Errorf("list payments applied to earlier sales: %w", err)
	}
	for _, a := range applied {
		r.AppliedPayments = append(r.AppliedPayments, AppliedFigure{
			ReceiptNumber: a.Receipt, Type: a.Type, Amount: money.String(a.Amount), PaidAt: a.PaidAt.In(loc).Format(time.RFC3339),
			PaymentID: a.ID, RecordedBy: a.RecordedBy, Token: a.Token, Voided: a.Voided,
		})
	}
	if r.Voids, err = sessionVoids(ctx, q, h.ID, loc); err != nil {
		return ClosingReport{}, err
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
// type (Cash), which is therefore always listed. A voided payment was given back: it is
// not expected (a type whose only payment was voided is still listed, expecting 0.00).
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
			(p.taken IS NOT NULL OR c.counted IS NOT NULL
				OR EXISTS (SELECT 1 FROM payments x WHERE x.session_id = $1 AND x.payment_type_id = t.id)) AS has_money
		FROM payment_types t
		LEFT JOIN (SELECT payment_type_id, sum(amount) AS taken FROM payments p
			WHERE session_id = $1 AND NOT EXISTS (SELECT 1 FROM payment_voids v WHERE v.payment_id = p.id)
			GROUP BY payment_type_id) p
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

// sessionVoids lists the session's voided payments with their voids, in the order they
// were voided.
func sessionVoids(ctx context.Context, q pg.Queryer, sessionID int64, loc *time.Location) ([]VoidFigure, error) {
	var rows []struct {
		PaymentID  int64           `db:"payment_id"`
		Receipt    string          `db:"receipt_number"`
		Type       string          `db:"type_name"`
		Amount     decimal.Decimal `db:"amount"`
		PaidAt     time.Time       `db:"paid_at"`
		RecordedBy string          `db:"recorded_by"`
		Token      *string         `db:"token_name"`
		VoidedAt   time.Time       `db:"voided_at"`
		VoidedBy   string          `db:"voided_by"`
		VoidToken  *string         `db:"void_token_name"`
		Reason     string          `db:"reason"`
	}
	err := sqlx.SelectContext(ctx, q, &rows, `
		SELECT p.id AS payment_id, s.receipt_number, t.name AS type_name, p.amount, p.paid_at, p.recorded_by,
			pk.name AS token_name, v.voided_at, v.recorded_by AS voided_by, vk.name AS void_token_name, v.reason
		FROM payment_voids v
		JOIN payments p ON p.id = v.payment_id
		JOIN sales s ON s.id = p.sale_id
		JOIN payment_types t ON t.id = p.payment_type_id
		LEFT JOIN api_tokens pk ON pk.id = p.token_id
		LEFT JOIN api_tokens vk ON vk.id = v.token_id
		WHERE v.session_id = $1
		ORDER BY v.voided_at, v.id`, sessionID)
	if err != nil {
		return nil, fmt.Errorf("list the session's voided payments: %w", err)
	}
	out := make([]VoidFigure, 0, len(rows))
	for _, v := range rows {
		out = append(out, VoidFigure{
			PaymentID: v.PaymentID, ReceiptNumber: v.Receipt, Type: v.Type, Amount: money.String(v.Amount),
			PaidAt: v.PaidAt.In(loc).Format(time.RFC3339), RecordedBy: v.RecordedBy, Token: v.Token,
			VoidedAmount: money.String(v.Amount.Neg()), VoidedAt: v.VoidedAt.In(loc).Format(time.RFC3339),
			VoidedBy: v.VoidedBy, VoidToken: v.VoidToken, Reason: v.Reason,
		})
	}
	return out, nil
}
