package register

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"

	"github.com/kassa-pos/kassa/internal/pg"
	"github.com/kassa-pos/kassa/inventory"
	"github.com/kassa-pos/kassa/money"
	"github.com/kassa-pos/kassa/sales"
)

// The rules a void can break. A refused void is a *RefusedError wrapping one of these (or
// ErrSessionClosed).
var (
	ErrPaymentNotFound  = errors.New("no such payment")
	ErrPaymentNotOfSale = errors.New("the payment is not of this sale")
	ErrAlreadyVoided    = errors.New("the payment is already voided")
	ErrShopifyPayment   = errors.New("the payment was collected by Shopify")
	ErrVoidReason       = errors.New("a void needs a reason")
)

// MaxVoidReason is the longest reason a void may give, in characters.
const MaxVoidReason = 500

// VoidRequest takes back a payment recorded in error.
type VoidRequest struct {
	PaymentID int64
	// Receipt, when given, is the sale the caller means: the void is refused when the
	// payment is of another sale, so a screen can never void a payment of a sale it does
	// not show.
	Receipt string
	// Reason says why, for the closing report (one line, at most MaxVoidReason characters).
	Reason string
	// By is the staff member voiding it; TokenID the API token the request came with (nil
	// on the command line).
	By      string
	TokenID *int64
}

// VoidedPayment is a payment that was voided, with the sale as it stands after the void.
type VoidedPayment struct {
	VoidID      int64
	PaymentID   int64
	SaleID      int64
	SessionID   int64
	Receipt     string
	Register    string
	PaymentType string
	Amount      decimal.Decimal
	PaidAt      time.Time // in the outlet's time zone
	VoidedAt    time.Time // in the outlet's time zone
	Reason      string
	RecordedBy  string
	TokenID     *int64
	// BalanceBefore and Balance are the sale's balance before the void and after it (the
	// payment's amount owed again).
	BalanceBefore decimal.Decimal
	Balance       decimal.Decimal
	Status        string
	SaleTotal     decimal.Decimal
}

// VoidPayment takes back a payment taken at a register: it records a void (the payment
// itself never changes) and the sale owes the amount again. Who may void: anyone at the
// register, but only while the session that took the payment is still open; once that
// register is closed the payment is part of a closing report and stays. It is refused (a
// *RefusedError, nothing written) when there is no such payment, it is not of the sale
// req.Receipt names, Shopify collected it, it is already voided, its session is closed, or
// the reason is missing or not one line of text.
//
// The payment's session row is locked for the transaction, as a payment and a close lock
// it, so a void cannot land in a session that is closing and two voids of one payment are
// serialised: the second is told the first did it.
func (s Service) VoidPayment(ctx context.Context, db pg.Queryer, req VoidRequest) (VoidedPayment, error) {
	var out VoidedPayment
	err := pg.InTx(ctx, db, func(tx *sqlx.Tx) error {
		var err error
		out, err = s.voidPayment(ctx, tx, req)
		return err
	})
	if err != nil {
		return VoidedPayment{}, err
	}
	return out, nil
}

func (s Service) voidPayment(ctx context.Context, tx *sqlx.Tx, req VoidRequest) (VoidedPayment, error) {
	reason, err := voidReason(req.Reason)
	if err != nil {
		return VoidedPayment{}, err
	}
	by := strings.TrimSpace(req.By)
	if by == "" {
		return VoidedPayment{}, errors.New("say who voids the payment")
	}
	st := sales.Store{}
	p, err := st.PaymentByID(ctx, tx, req.PaymentID)
	if errors.Is(err, sales.ErrNotFound) {
		return VoidedPayment{}, refuse(ErrPaymentNotFound, "there is no payment %d: check its number (kassa sales show RECEIPT lists a sale's payments)", req.PaymentID)
	}
	if err != nil {
		return VoidedPayment{}, err
	}
	sale, err := st.SaleState(ctx, tx, p.SaleID)
	if err != nil {
		return VoidedPayment{}, err
	}
	reg, err := s.store().Get(ctx, tx, p.RegisterID)
	if err != nil {
		return VoidedPayment{}, err
	}
	outlet, err := inventory.Store{}.Outlet(ctx, tx, sale.OutletID)
	if err != nil {
		return VoidedPayment{}, err
	}
	loc, err := time.LoadLocation(outlet.Timezone)
	if err != nil {
		return VoidedPayment{}, fmt.Errorf("time zone %q: %w", outlet.Timezone, err)
	}
	what := fmt.Sprintf("payment %d (%s %s of %s)", p.ID, money.String(p.Amount), p.TypeName, sale.Receipt)
	if r := strings.TrimSpace(req.Receipt); r != "" && r != sale.Receipt {
		return VoidedPayment{}, refuse(ErrPaymentNotOfSale, "payment %d is a payment of %s, not of %s: nothing was voided", p.ID, sale.Receipt, r)
	}
	if p.Source != sales.SourcePOS {
		return VoidedPayment{}, refuse(ErrShopifyPayment, "%s was collected by Shopify, not taken at a register: it is not the register's money and cannot be voided here (refund it in Shopify)", what)
	}
	if p.SessionID == nil {
		return VoidedPayment{}, refuse(ErrSessionClosed, "%s was not taken in a register session, so it cannot be voided", what)
	}
	var sess Session
	err = sqlx.GetContext(ctx, tx, &sess, `SELECT `+sessionColumns+` FROM register_sessions WHERE id = $1 FOR UPDATE`, *p.SessionID)
	if err != nil {
		return VoidedPayment{}, fmt.Errorf("lock session %d: %w", *p.SessionID, err)
	}
	if !sess.Open() {
		z := ""
		if sess.ZNumber != nil {
			z = fmt.Sprintf(", Z %d", *sess.ZNumber)
		}
		return VoidedPayment{}, refuse(ErrSessionClosed, "%s was taken in session %d of register %q, which is closed (%s%s): a closed session cannot change",
			what, sess.ID, reg.Name, sess.ClosedAt.In(loc).Format("2006-01-02 15:04"), z)
	}
	prior, err := st.VoidOf(ctx, tx, p.ID)
	switch {
	case err == nil:
		return VoidedPayment{}, refuse(ErrAlreadyVoided, "%s is already voided (%s by %s): a payment is voided once",
			what, prior.VoidedAt.In(loc).Format("2006-01-02 15:04"), prior.RecordedBy)
	case !errors.Is(err, sales.ErrNotFound):
		return VoidedPayment{}, err
	}

	// The balance as it stands now the session is locked and the payment is not voided.
	before, err := st.SaleState(ctx, tx, p.SaleID)
	if err != nil {
		return VoidedPayment{}, err
	}
	at := s.now().Round(time.Microsecond)
	if at.Before(sess.OpenedAt) {
		at = sess.OpenedAt
	}
	id, err := st.AddVoid(ctx, tx, sales.Void{
		PaymentID: p.ID, SessionID: sess.ID, VoidedAt: at, Reason: reason, RecordedBy: by, TokenID: req.TokenID,
	})
	switch {
	case errors.Is(err, sales.ErrAlreadyVoided):
		// Unreachable while the session row is locked; kept so the database's own refusal
		// still reads as the rule it enforces.
		return VoidedPayment{}, refuse(ErrAlreadyVoided, "%s is already voided: a payment is voided once", what)
	case errors.Is(err, sales.ErrSessionClosed):
		return VoidedPayment{}, refuse(ErrSessionClosed, "%s was taken in session %d of register %q, which is closed: a closed session cannot change", what, sess.ID, reg.Name)
	case err != nil:
		return VoidedPayment{}, err
	}
	after, err := st.SaleState(ctx, tx, p.SaleID)
	if err != nil {
		return VoidedPayment{}, err
	}
	return VoidedPayment{
		VoidID: id, PaymentID: p.ID, SaleID: p.SaleID, SessionID: sess.ID, Receipt: sale.Receipt, Register: reg.Name,
		PaymentType: p.TypeName, Amount: p.Amount, PaidAt: p.PaidAt.In(loc), VoidedAt: at.In(loc), Reason: reason,
		RecordedBy: by, TokenID: req.TokenID, BalanceBefore: before.Balance, Balance: after.Balance, Status: after.Status,
		SaleTotal: after.Total,
	}, nil
}

// voidReason checks a void's reason: one line of text, not empty, not too long.
func voidReason(s string) (string, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return "", refuse(ErrVoidReason, "say why the payment is voided: a void needs a reason")
	case !utf8.ValidString(s) || strings.ContainsFunc(s, unprintable):
		return "", refuse(ErrVoidReason, "the reason must be one line of plain text")
	case utf8.RuneCountInString(s) > MaxVoidReason:
		return "", refuse(ErrVoidReason, "the reason is %d characters long: keep it to %d", utf8.RuneCountInString(s), MaxVoidReason)
	}
	return s, nil
}

// unprintable reports control characters and the bidi controls that reorder text on
// screen (U+202A–202E, U+2066–2069).
func unprintable(r rune) bool {
	return unicode.IsControl(r) || (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069)
}
