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
	"github.com/kassa-pos/kassa/inventory"
	"github.com/kassa-pos/kassa/money"
	"github.com/kassa-pos/kassa/sales"
	"github.com/kassa-pos/kassa/staff"
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
	// ShopifyTotal totals the session's Shopify orders (ShopifyOrders counts them).
	ShopifyTotal string `json:"shopify_orders_total"`
	// InStoreCount and InStoreTotal are the session's counter sales (of SalesCount and
	// SalesTotal). A voided sale counts in neither: it is listed in VoidedSales.
	InStoreCount int    `json:"in_store_sales_count"`
	InStoreTotal string `json:"in_store_sales_total"`
	// Returns are the documents recorded against sales in the session (returns at the
	// counter, Shopify's refunds, cancellations and edits; Kind says which), their refunds
	// in the expected amounts; ReturnsTotal sums them (negative).
	Returns      []ReturnFigure `json:"returns"`
	ReturnsTotal string         `json:"returns_total"`
	// VoidedSales are the counter sales voided in the session.
	VoidedSales []VoidedSaleFigure `json:"voided_sales"`
	// CashMovements are the cash paid in and taken out of the drawer, counted in the cash
	// expected; CashIn and CashOut total them.
	CashMovements []CashFigure `json:"cash_movements"`
	CashIn        string       `json:"cash_in"`
	CashOut       string       `json:"cash_out"`
	// Hourly is the session's sales per hour of the outlet's clock (voided ones left out),
	// the hours with a sale only.
	Hourly []HourFigure `json:"hourly"`
	// Adjustments and WriteOffs count the documents of those kinds among Returns (Shopify's
	// edits after import, and balances written off when Shopify cancelled an unpaid order),
	// with their totals.
	Adjustments DocumentFigure `json:"adjustments"`
	WriteOffs   DocumentFigure `json:"write_offs"`
}

// DocumentFigure counts documents of one kind and totals them.
type DocumentFigure struct {
	Count int    `json:"count"`
	Total string `json:"total"`
}

// ReturnFigure is a return the session took. Total and the refunds are negative.
type ReturnFigure struct {
	ReceiptNumber string         `json:"receipt_number"`
	SaleReceipt   string         `json:"sale_receipt"`
	Kind          string         `json:"kind"`
	Total         string         `json:"total"`
	ReturnedAt    string         `json:"returned_at"`
	RecordedBy    string         `json:"recorded_by"`
	Token         *string        `json:"token"`
	Refunds       []RefundFigure `json:"refunds"`
}

// RefundFigure is money given back by one payment type.
type RefundFigure struct {
	Type   string `json:"type"`
	Amount string `json:"amount"`
}

// VoidedSaleFigure is a counter sale voided in the session.
type VoidedSaleFigure struct {
	ReceiptNumber string  `json:"receipt_number"`
	Total         string  `json:"total"`
	VoidedAt      string  `json:"voided_at"`
	VoidedBy      string  `json:"voided_by"`
	Token         *string `json:"token"`
	Reason        string  `json:"reason"`
}

// CashFigure is cash paid in ("in") or taken out ("out") of the drawer.
type CashFigure struct {
	Kind       string  `json:"kind"`
	Amount     string  `json:"amount"`
	Reason     string  `json:"reason"`
	MovedAt    string  `json:"moved_at"`
	RecordedBy string  `json:"recorded_by"`
	Token      *string `json:"token"`
}

// TypeFigures is what a session expected and what staff counted for one payment type.
// Counted and Difference are null when staff did not count the type at close (card and
// bank-deposit money is not in the drawer; it is reported, not counted).
type TypeFigures struct {
	Type       string  `json:"type"`
	Expected   string  `json:"expected"`
	Counted    *string `json:"counted"`
	Difference *string `json:"difference"`
	// Taken is what the session's payments of the type took, voided ones left out: the
	// expected figure without the opening float.
	Taken string `json:"taken"`
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
		reg, err := s.store().Get(ctx, tx, registerID)
		if err != nil {
			return err
		}
		owed, err := sales.Store{}.OutletBalances(ctx, tx, reg.OutletID)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `
			INSERT INTO register_session_balances (session_id, awaiting_payment_total, awaiting_payment_count, recorded_at)
			VALUES ($1, $2, $3, $4)`, sess.ID, owed.Total, owed.Count, *sess.ClosedAt)
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

// closingHead is the session with its register.
type closingHead struct {
	Session
	Register string `db:"register_name"`
	OutletID int64  `db:"outlet_id"`
}

// buildClosing reads a session's report: the session and its register here, the outlet
// from inventory, the money and sales from sales (each one statement), and the names of
// the API tokens involved from staff.
func buildClosing(ctx context.Context, q pg.Queryer, sessionID int64) (ClosingReport, error) {
	var h closingHead
	err := sqlx.GetContext(ctx, q, &h, `
		SELECT s.id, s.register_id, s.opened_at, s.opened_by, s.opening_float, s.closed_at, s.closed_by,
			s.opened_token_id, s.closed_token_id, s.z_number, r.name AS register_name, r.outlet_id
		FROM register_sessions s
		JOIN registers r ON r.id = s.register_id
		WHERE s.id = $1`, sessionID)
	if errors.Is(err, sql.ErrNoRows) {
		return ClosingReport{}, fmt.Errorf("session %d: %w", sessionID, ErrNotFound)
	}
	if err != nil {
		return ClosingReport{}, fmt.Errorf("load session: %w", err)
	}
	outlet, err := inventory.Store{}.Outlet(ctx, q, h.OutletID)
	if err != nil {
		return ClosingReport{}, err
	}
	loc, err := time.LoadLocation(outlet.Timezone)
	if err != nil {
		return ClosingReport{}, fmt.Errorf("outlet %q: time zone %q: %w", outlet.Name, outlet.Timezone, err)
	}
	r := ClosingReport{
		SessionID: h.ID, ZNumber: h.ZNumber, Register: h.Register, Outlet: outlet.Name, Timezone: outlet.Timezone, Currency: outlet.Currency,
		OpenedAt: h.OpenedAt.In(loc).Format(time.RFC3339), OpenedBy: h.OpenedBy,
		OpeningFloat: money.String(h.OpeningFloat), ClosedBy: h.ClosedBy,
		AppliedPayments: []AppliedFigure{}, Voids: []VoidFigure{}, Taxes: []TaxFigure{},
		Returns: []ReturnFigure{}, VoidedSales: []VoidedSaleFigure{}, CashMovements: []CashFigure{},
	}
	if h.ClosedAt != nil {
		at := h.ClosedAt.In(loc).Format(time.RFC3339)
		r.ClosedAt = &at
	}

	st := sales.Store{}
	cash, err := Store{}.CashMovements(ctx, q, h.ID)
	if err != nil {
		return ClosingReport{}, err
	}
	cashIn, cashOut := decimal.Zero, decimal.Zero
	for _, m := range cash {
		if m.Kind == CashOut {
			cashOut = cashOut.Add(m.Amount)
		} else {
			cashIn = cashIn.Add(m.Amount)
		}
	}
	r.CashIn, r.CashOut = money.String(cashIn), money.String(cashOut)
	if r.Payments, err = sessionTypeFigures(ctx, q, h.ID, h.OpeningFloat.Add(cashIn).Sub(cashOut)); err != nil {
		return ClosingReport{}, err
	}

	sums, err := st.SessionSales(ctx, q, h.ID)
	if err != nil {
		return ClosingReport{}, err
	}
	docs, err := st.SessionDocuments(ctx, q, h.ID)
	if err != nil {
		return ClosingReport{}, err
	}
	r.Adjustments = DocumentFigure{Count: docs.Adjustments, Total: money.String(docs.AdjustmentsTotal)}
	r.WriteOffs = DocumentFigure{Count: docs.WriteOffs, Total: money.String(docs.WriteOffsTotal)}
	r.SalesCount, r.SalesTotal = sums.Count, money.String(sums.Total)
	r.ShopifyOrders, r.ShippingFees = sums.ShopifyOrders, money.String(sums.ShippingFees)
	r.ShopifyTotal = money.String(sums.ShopifyTotal)
	r.InStoreCount, r.InStoreTotal = sums.InStoreCount, money.String(sums.InStoreTotal)
	returns, err := st.SessionReturns(ctx, q, h.ID)
	if err != nil {
		return ClosingReport{}, err
	}
	voidedSales, err := st.SessionVoidedSales(ctx, q, h.ID)
	if err != nil {
		return ClosingReport{}, err
	}

	if r.Hourly, err = hourly(ctx, q, sales.HourFilter{SessionID: h.ID}, loc, false); err != nil {
		return ClosingReport{}, err
	}

	applied, err := st.PaymentsToEarlierSales(ctx, q, h.ID)
	if err != nil {
		return ClosingReport{}, err
	}
	voids, err := st.SessionVoids(ctx, q, h.ID)
	if err != nil {
		return ClosingReport{}, err
	}
	tokens := []int64{}
	for _, id := range []*int64{h.OpenedToken, h.ClosedToken} {
		if id != nil {
			tokens = append(tokens, *id)
		}
	}
	for _, a := range applied {
		if a.TokenID != nil {
			tokens = append(tokens, *a.TokenID)
		}
	}
	for _, v := range voids {
		for _, id := range []*int64{v.TokenID, v.VoidTokenID} {
			if id != nil {
				tokens = append(tokens, *id)
			}
		}
	}
	for _, x := range returns {
		if x.TokenID != nil {
			tokens = append(tokens, *x.TokenID)
		}
	}
	for _, v := range voidedSales {
		if v.TokenID != nil {
			tokens = append(tokens, *v.TokenID)
		}
	}
	for _, m := range cash {
		if m.TokenID != nil {
			tokens = append(tokens, *m.TokenID)
		}
	}
	names, err := staff.Store{}.Names(ctx, q, tokens)
	if err != nil {
		return ClosingReport{}, err
	}
	r.OpenedToken, r.ClosedToken = staff.NameOf(names, h.OpenedToken), staff.NameOf(names, h.ClosedToken)
	for _, a := range applied {
		r.AppliedPayments = append(r.AppliedPayments, AppliedFigure{
			ReceiptNumber: a.Receipt, Type: a.Type, Amount: money.String(a.Amount), PaidAt: a.PaidAt.In(loc).Format(time.RFC3339),
			PaymentID: a.ID, RecordedBy: a.RecordedBy, Token: staff.NameOf(names, a.TokenID), Voided: a.Voided,
		})
	}
	for _, v := range voids {
		r.Voids = append(r.Voids, VoidFigure{
			PaymentID: v.PaymentID, ReceiptNumber: v.Receipt, Type: v.Type, Amount: money.String(v.Amount),
			PaidAt: v.PaidAt.In(loc).Format(time.RFC3339), RecordedBy: v.RecordedBy, Token: staff.NameOf(names, v.TokenID),
			VoidedAmount: money.String(v.Amount.Neg()), VoidedAt: v.VoidedAt.In(loc).Format(time.RFC3339),
			VoidedBy: v.VoidedBy, VoidToken: staff.NameOf(names, v.VoidTokenID), Reason: v.Reason,
		})
	}

	returned := decimal.Zero
	for _, x := range returns {
		f := ReturnFigure{ReceiptNumber: x.ReceiptNumber, SaleReceipt: x.SaleReceipt, Kind: x.Kind, Total: money.String(x.Total),
			ReturnedAt: x.ReturnedAt.In(loc).Format(time.RFC3339), RecordedBy: x.RecordedBy, Token: staff.NameOf(names, x.TokenID),
			Refunds: []RefundFigure{}}
		for _, rf := range x.Refunds {
			f.Refunds = append(f.Refunds, RefundFigure{Type: rf.TypeName, Amount: money.String(rf.Amount)})
		}
		r.Returns = append(r.Returns, f)
		returned = returned.Add(x.Total)
	}
	r.ReturnsTotal = money.String(returned)
	for _, v := range voidedSales {
		r.VoidedSales = append(r.VoidedSales, VoidedSaleFigure{ReceiptNumber: v.Receipt, Total: money.String(v.Total),
			VoidedAt: v.VoidedAt.In(loc).Format(time.RFC3339), VoidedBy: v.VoidedBy, Token: staff.NameOf(names, v.TokenID), Reason: v.Reason})
	}
	for _, m := range cash {
		r.CashMovements = append(r.CashMovements, CashFigure{Kind: m.Kind, Amount: money.String(m.Amount), Reason: m.Reason,
			MovedAt: m.MovedAt.In(loc).Format(time.RFC3339), RecordedBy: m.RecordedBy, Token: staff.NameOf(names, m.TokenID)})
	}

	taxes, err := st.SessionTaxes(ctx, q, h.ID)
	if err != nil {
		return ClosingReport{}, err
	}
	for _, t := range taxes {
		r.Taxes = append(r.Taxes, TaxFigure{Rate: percent(t.Rate), Amount: money.String(t.Amount)})
	}

	var owed sales.Balances
	if h.ClosedAt != nil {
		err = sqlx.GetContext(ctx, q, &owed, `
			SELECT awaiting_payment_total AS total, awaiting_payment_count AS count
			FROM register_session_balances WHERE session_id = $1`, h.ID)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return ClosingReport{}, fmt.Errorf("total the balances awaiting payment: %w", err)
		}
	}
	if h.ClosedAt == nil || errors.Is(err, sql.ErrNoRows) {
		// An open session, or one closed without freezing its balances (closed by the
		// bare Store): the outlet's balances as they stand now.
		if owed, err = st.OutletBalances(ctx, q, h.OutletID); err != nil {
			return ClosingReport{}, err
		}
	}
	r.AwaitingPaymentTotal, r.AwaitingPaymentCount = money.String(owed.Total), owed.Count
	return r, nil
}

// sessionTypeFigures works out expected, counted and difference per payment type. The
// opening float (with the cash paid in, less the cash taken out) is cash: it is added to
// the expected amount of the first counted payment type (Cash), which is therefore always
// listed. A voided payment was given back: it is not expected (a type whose only payment
// was voided is still listed, expecting 0.00). A return's refunds lower what is expected
// of their type.
func sessionTypeFigures(ctx context.Context, q pg.Queryer, sessionID int64, float decimal.Decimal) ([]TypeFigures, error) {
	takings, err := sales.Store{}.SessionTakings(ctx, q, sessionID)
	if err != nil {
		return nil, err
	}
	counts, err := Store{}.Counts(ctx, q, sessionID)
	if err != nil {
		return nil, err
	}
	counted := make(map[int64]decimal.Decimal, len(counts))
	for _, c := range counts {
		counted[c.PaymentTypeID] = c.Counted
	}
	out := []TypeFigures{}
	floatPlaced := false
	for _, t := range takings {
		expected := t.Taken
		holdsFloat := t.Counted && !floatPlaced
		if holdsFloat {
			expected = expected.Add(float)
			floatPlaced = true
		}
		staffCounted, wasCounted := counted[t.TypeID]
		if !t.Paid && !wasCounted && !holdsFloat {
			continue
		}
		f := TypeFigures{Type: t.Type, Expected: money.String(expected), Taken: money.String(t.Taken)}
		if wasCounted {
			// A shortfall shows as a negative difference ("-0.50").
			c, diff := money.String(staffCounted), money.String(staffCounted.Sub(expected))
			f.Counted, f.Difference = &c, &diff
		}
		out = append(out, f)
	}
	return out, nil
}

// percent turns a rate kept as a fraction (0.21) into a percentage string ("21").
func percent(rate decimal.Decimal) string {
	return strings.TrimSuffix(rate.Shift(2).String(), ".0")
}
