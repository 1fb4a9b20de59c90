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
)

// The rules a payment can break. A refused payment is a *RefusedError that wraps one of
// these (or ErrNoOpenSession), so callers can tell them apart with errors.Is, e.g. to
// choose an HTTP status, while staff read the refusal's own message.
var (
	ErrInvalidAmount      = errors.New("the amount is not a valid payment amount")
	ErrMoreThanBalance    = errors.New("the amount is more than the sale's balance")
	ErrNothingOwed        = errors.New("the sale has no balance to pay")
	ErrSaleNotFound       = errors.New("no such sale")
	ErrUnknownPaymentType = errors.New("unknown payment type")
	ErrBeforeSession      = errors.New("the payment time is before the session opened")
	ErrInFuture           = errors.New("the payment time is in the future")
)

// RefusedError is a payment (or another operation at the register) refused by a rule.
// Its message is written for staff: the rule that failed and what to do.
type RefusedError struct {
	Rule    error
	Message string
}

// Error returns the message for staff.
func (e *RefusedError) Error() string { return e.Message }

// Unwrap returns the rule, so errors.Is(err, ErrBeforeSession) works.
func (e *RefusedError) Unwrap() error { return e.Rule }

func refuse(rule error, format string, args ...any) error {
	return &RefusedError{Rule: rule, Message: fmt.Sprintf(format, args...)}
}

// Service carries out the register's rules that span stores: applying payments, closing
// a session with its report. Clock gives the current time (time.Now when nil).
type Service struct {
	Clock func() time.Time
}

func (s Service) now() time.Time {
	if s.Clock != nil {
		return s.Clock()
	}
	return time.Now()
}

func (s Service) store() Store { return Store(s) }

// PaymentRequest is a payment staff take at a register for an existing sale.
type PaymentRequest struct {
	RegisterID int64
	// Receipt is the sale's receipt number ("#1002"), looked up in the register's outlet.
	Receipt string
	// SaleID is the sale's id, for a caller that shows staff one sale and must pay exactly
	// that one (the terminal). Zero: the sale is found by Receipt. When both are given they
	// must name the same sale of the register's outlet.
	SaleID int64
	// PaymentType is the name of a payment type ("Bank deposit"), in any case.
	PaymentType string
	// Amount is written like "15.50"; empty means the whole balance.
	Amount string
	// At is when the money was received; zero means now.
	At time.Time
	// By is who took the payment.
	By string
	// TokenID is the API token the request came with; nil on the command line.
	TokenID *int64
}

// AppliedPayment is a payment that was recorded, with the sale as it stands after it.
type AppliedPayment struct {
	PaymentID     int64
	SaleID        int64
	SessionID     int64
	Receipt       string
	Register      string
	PaymentType   string
	Amount        decimal.Decimal
	PaidAt        time.Time       // in the outlet's time zone
	BalanceBefore decimal.Decimal // the sale's balance before this payment
	Balance       decimal.Decimal // the sale's balance after it
	Status        string          // sales.StatusPaid or sales.StatusAwaitingPayment
	SaleTotal     decimal.Decimal
	RecordedBy    string
	TokenID       *int64
}

// ApplyPayment takes a payment for a sale's balance on a register with an open session.
// It is refused (a *RefusedError, nothing written) when the register has no open
// session, the time is before the session opened or in the future, the amount is not a
// positive money amount or is more than the balance, the sale does not exist or owes
// nothing, or the payment type is unknown.
//
// The session row and then the sale row are locked for the transaction, in that order,
// so a payment cannot land in a session that is closing, and two terminals paying the
// same sale are serialised: the second sees the balance the first left. The database's
// balance CHECK remains the last line of defence.
func (s Service) ApplyPayment(ctx context.Context, db pg.Queryer, req PaymentRequest) (AppliedPayment, error) {
	var out AppliedPayment
	err := pg.InTx(ctx, db, func(tx *sqlx.Tx) error {
		var err error
		out, err = s.applyPayment(ctx, tx, req)
		return err
	})
	if err != nil {
		return AppliedPayment{}, err
	}
	return out, nil
}

func (s Service) applyPayment(ctx context.Context, tx *sqlx.Tx, req PaymentRequest) (AppliedPayment, error) {
	reg, err := s.store().Get(ctx, tx, req.RegisterID)
	if err != nil {
		return AppliedPayment{}, err
	}
	outlet, err := inventory.Store{}.Outlet(ctx, tx, reg.OutletID)
	if err != nil {
		return AppliedPayment{}, err
	}
	loc, err := outlet.Location()
	if err != nil {
		return AppliedPayment{}, err
	}
	by := strings.TrimSpace(req.By)
	if by == "" {
		return AppliedPayment{}, errors.New("say who takes the payment")
	}

	// Checks that need no lock come first, so a mistyped request waits for nobody.
	var amount decimal.Decimal
	if req.Amount != "" {
		if amount, err = money.ParsePositive(strings.TrimSpace(req.Amount)); err != nil {
			return AppliedPayment{}, refuse(ErrInvalidAmount, "%s", err.Error())
		}
	}
	ptype, err := sales.Store{}.PaymentTypeByName(ctx, tx, req.PaymentType)
	if errors.Is(err, sales.ErrUnknownPaymentType) {
		return AppliedPayment{}, refuse(ErrUnknownPaymentType, "unknown payment type %q: use one of %s", req.PaymentType, paymentTypeNames(ctx, tx))
	}
	if err != nil {
		return AppliedPayment{}, err
	}

	sess, err := s.store().LockCurrentSession(ctx, tx, reg.ID)
	if errors.Is(err, ErrNoOpenSession) {
		return AppliedPayment{}, refuse(ErrNoOpenSession, "register %q has no open session: open it first", reg.Name)
	}
	if err != nil {
		return AppliedPayment{}, err
	}
	// PostgreSQL keeps microseconds; rounding as it does means the time checked is the
	// time stored (and "now" is not a fraction of a microsecond in its own future).
	now := s.now().Round(time.Microsecond)
	at := req.At
	if at.IsZero() {
		at = now
	}
	at = at.Round(time.Microsecond).In(loc)
	if at.Before(sess.OpenedAt) {
		return AppliedPayment{}, refuse(ErrBeforeSession, "the payment time %s is before the session opened (%s): give a time after the register was opened",
			at.Format(time.RFC3339), clockTime(sess.OpenedAt.In(loc), at))
	}
	if at.After(now) {
		return AppliedPayment{}, refuse(ErrInFuture, "the payment time %s is in the future (it is now %s): give a time up to now",
			at.Format(time.RFC3339), clockTime(now.In(loc), at))
	}

	receipt := strings.TrimSpace(req.Receipt)
	var sale struct {
		ID      int64           `db:"id"`
		Receipt string          `db:"receipt_number"`
		Total   decimal.Decimal `db:"total"`
		Balance decimal.Decimal `db:"balance"`
	}
	if req.SaleID != 0 {
		err = sqlx.GetContext(ctx, tx, &sale, `
			SELECT id, receipt_number, total, balance FROM sales WHERE outlet_id = $1 AND id = $2 FOR UPDATE`,
			reg.OutletID, req.SaleID)
	} else {
		err = sqlx.GetContext(ctx, tx, &sale, `
			SELECT id, receipt_number, total, balance FROM sales WHERE outlet_id = $1 AND receipt_number = $2 FOR UPDATE`,
			reg.OutletID, receipt)
	}
	switch {
	case errors.Is(err, sql.ErrNoRows) && req.SaleID != 0:
		return AppliedPayment{}, refuse(ErrSaleNotFound, "there is no sale %d at outlet %q: look the sale up again", req.SaleID, outlet.Name)
	case errors.Is(err, sql.ErrNoRows):
		return AppliedPayment{}, refuse(ErrSaleNotFound, "there is no sale %s at outlet %q: check the receipt number", receipt, outlet.Name)
	case err != nil:
		return AppliedPayment{}, fmt.Errorf("lock sale %s: %w", receipt, err)
	}
	if receipt != "" && receipt != sale.Receipt {
		return AppliedPayment{}, refuse(ErrSaleNotFound, "sale %d is %s, not %s: look the sale up again", sale.ID, sale.Receipt, receipt)
	}
	receipt = sale.Receipt
	if !sale.Balance.IsPositive() {
		return AppliedPayment{}, refuse(ErrNothingOwed, "%s has no balance to pay: it is already paid", receipt)
	}
	if req.Amount == "" {
		amount = sale.Balance
	}
	if amount.GreaterThan(sale.Balance) {
		return AppliedPayment{}, refuse(ErrMoreThanBalance, "%s is more than the balance of %s (%s): take at most the balance",
			money.String(amount), receipt, money.String(sale.Balance))
	}

	sessionID := sess.ID
	id, err := sales.Store{}.AddPayment(ctx, tx, sales.Payment{
		SaleID: sale.ID, PaymentTypeID: ptype.ID, Amount: amount, PaidAt: at,
		RegisterID: reg.ID, SessionID: &sessionID, RecordedBy: by, Source: sales.SourcePOS, TokenID: req.TokenID,
	})
	switch {
	case errors.Is(err, sales.ErrOverpayment):
		// Unreachable while the sale row is locked; kept so the database's own refusal
		// still reads as the rule it enforces.
		return AppliedPayment{}, refuse(ErrMoreThanBalance, "%s is more than the balance of %s: take at most the balance", money.String(amount), receipt)
	case errors.Is(err, sales.ErrSessionClosed):
		return AppliedPayment{}, refuse(ErrNoOpenSession, "register %q has no open session: open it first", reg.Name)
	case err != nil:
		return AppliedPayment{}, fmt.Errorf("apply payment to %s: %w", receipt, err)
	}
	after := sale.Balance.Sub(amount)
	status := sales.StatusAwaitingPayment
	if after.IsZero() {
		status = sales.StatusPaid
	}
	return AppliedPayment{
		PaymentID: id, SaleID: sale.ID, SessionID: sess.ID, Receipt: receipt, Register: reg.Name,
		PaymentType: ptype.Name, Amount: amount, PaidAt: at, BalanceBefore: sale.Balance, Balance: after,
		Status: status, SaleTotal: sale.Total, RecordedBy: by, TokenID: req.TokenID,
	}, nil
}

// clockTime shows t as a time of day, with its date too when it is not on ref's day.
func clockTime(t, ref time.Time) string {
	if y, m, d := t.Date(); y == ref.Year() && m == ref.Month() && d == ref.Day() {
		return t.Format("15:04")
	}
	return t.Format("2006-01-02 15:04")
}

func paymentTypeNames(ctx context.Context, q pg.Queryer) string {
	types, err := sales.Store{}.PaymentTypes(ctx, q)
	if err != nil || len(types) == 0 {
		return "a known payment type"
	}
	names := make([]string, len(types))
	for i, t := range types {
		names[i] = t.Name
	}
	return strings.Join(names, ", ")
}
