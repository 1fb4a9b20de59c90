package sales

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/kassa-pos/kassa/internal/pg"
)

// The database's refusals of a void.
var (
	ErrAlreadyVoided   = errors.New("the payment is already voided")
	ErrNotRegisterPaid = errors.New("the payment was collected by Shopify, not taken at a register")
	ErrVoidSession     = errors.New("a payment is voided only in the register session that took it")
)

// Void takes back a payment recorded in error. The payment itself never changes: the void
// is a row of its own, and the sale's balance counts the payment no more.
type Void struct {
	ID         int64     `db:"id"`
	PaymentID  int64     `db:"payment_id"`
	SessionID  int64     `db:"session_id"`
	VoidedAt   time.Time `db:"voided_at"`
	Reason     string    `db:"reason"`
	RecordedBy string    `db:"recorded_by"`
	// TokenID is the API token the void was recorded with (nil: the command line);
	// TokenName its name, which register.Store's NameSales fills in.
	TokenID   *int64  `db:"token_id"`
	TokenName *string `db:"-"`
}

// AddVoid records the void of a payment and returns its id. The database gives the
// payment's amount back to its sale's balance, and refuses a second void of a payment
// (ErrAlreadyVoided), the void of a payment Shopify collected (ErrNotRegisterPaid), a void
// in another session than the payment's (ErrVoidSession) and one in a closed session
// (ErrSessionClosed).
func (Store) AddVoid(ctx context.Context, q pg.Queryer, v Void) (int64, error) {
	var id int64
	err := sqlx.GetContext(ctx, q, &id, `
		INSERT INTO payment_voids (payment_id, session_id, voided_at, reason, recorded_by, token_id)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
		v.PaymentID, v.SessionID, v.VoidedAt, v.Reason, v.RecordedBy, v.TokenID)
	switch {
	case pg.IsUniqueViolation(err, "payment_voids_payment_id_key"):
		return 0, fmt.Errorf("payment %d: %w", v.PaymentID, ErrAlreadyVoided)
	case pg.IsRaised(err, "payment_void_not_pos"):
		return 0, fmt.Errorf("payment %d: %w", v.PaymentID, ErrNotRegisterPaid)
	case pg.IsRaised(err, "payment_void_session"):
		return 0, fmt.Errorf("payment %d: %w", v.PaymentID, ErrVoidSession)
	case pg.IsRaised(err, "register_session_closed"):
		return 0, fmt.Errorf("payment %d: %w", v.PaymentID, ErrSessionClosed)
	case err != nil:
		return 0, fmt.Errorf("void payment %d: %w", v.PaymentID, err)
	}
	return id, nil
}
