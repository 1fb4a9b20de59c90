package sales

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/kassa-pos/kassa/internal/pg"
)

// The database's refusals of a sale's void.
var (
	ErrSaleAlreadyVoided = errors.New("the sale is already voided")
	ErrSaleVoidSession   = errors.New("a sale is voided only in the open register session that recorded it")
	ErrSaleHasReturns    = errors.New("the sale has a return and cannot be voided")
)

// SaleVoid takes back a sale rung up by mistake. The sale is never deleted or changed
// beyond being marked voided: the void is a row of its own, the sale's payments are
// voided with it, and reports count the sale in no total.
type SaleVoid struct {
	ID         int64     `db:"id"`
	SaleID     int64     `db:"sale_id"`
	SessionID  int64     `db:"session_id"`
	VoidedAt   time.Time `db:"voided_at"`
	Reason     string    `db:"reason"`
	RecordedBy string    `db:"recorded_by"`
	TokenID    *int64    `db:"token_id"`
	// TokenName is the token's name, which register.Store's NameSales fills in.
	TokenName *string `db:"-"`
}

// VoidSale records the void of a sale and voids every payment of it not voided yet, in
// one transaction, and returns the void's id with the ids of the payments it voided. The
// database marks the sale voided (it owes nothing) and refuses: a sale not recorded in the
// void's session, or a session that is closed (ErrSaleVoidSession, ErrSessionClosed), a sale
// with a return (ErrSaleHasReturns), a second void (ErrSaleAlreadyVoided).
func (st Store) VoidSale(ctx context.Context, q pg.Queryer, v SaleVoid) (int64, []int64, error) {
	var id int64
	var voided []int64
	err := pg.InTx(ctx, q, func(tx *sqlx.Tx) error {
		err := sqlx.GetContext(ctx, tx, &id, `
			INSERT INTO sale_voids (sale_id, session_id, voided_at, reason, recorded_by, token_id)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
			v.SaleID, v.SessionID, v.VoidedAt, v.Reason, v.RecordedBy, v.TokenID)
		switch {
		case pg.IsUniqueViolation(err, "sale_voids_sale_id_key"):
			return fmt.Errorf("sale %d: %w", v.SaleID, ErrSaleAlreadyVoided)
		case pg.IsRaised(err, "sale_void_session"):
			return fmt.Errorf("sale %d: %w", v.SaleID, ErrSaleVoidSession)
		case pg.IsRaised(err, "sale_void_returned"):
			return fmt.Errorf("sale %d: %w", v.SaleID, ErrSaleHasReturns)
		case pg.IsRaised(err, "register_session_closed"):
			return fmt.Errorf("sale %d: %w", v.SaleID, ErrSessionClosed)
		case err != nil:
			return fmt.Errorf("void sale %d: %w", v.SaleID, err)
		}
		// Each payment is voided in the session that took it, as any payment void is; a
		// payment taken in a session since closed refuses the whole void.
		err = sqlx.SelectContext(ctx, tx, &voided, `
			INSERT INTO payment_voids (payment_id, session_id, voided_at, reason, recorded_by, token_id)
			SELECT p.id, p.session_id, $2, $3, $4, $5 FROM payments p
			WHERE p.sale_id = $1 AND NOT EXISTS (SELECT 1 FROM payment_voids x WHERE x.payment_id = p.id)
			ORDER BY p.id
			RETURNING payment_id`, v.SaleID, v.VoidedAt, v.Reason, v.RecordedBy, v.TokenID)
		switch {
		case pg.IsRaised(err, "register_session_closed"), pg.IsRaised(err, "payment_void_session"),
			pg.IsRaised(err, "payment_void_not_pos"), pg.IsCheckViolation(err, "payment_voids_session_id_check"):
			return fmt.Errorf("sale %d: a payment of it was taken in a session that is closed: %w", v.SaleID, ErrSaleVoidSession)
		case err != nil:
			return fmt.Errorf("void the payments of sale %d: %w", v.SaleID, err)
		}
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return id, voided, nil
}

// SaleVoidOf returns the void of a sale, or ErrNotFound when it was not voided.
func (Store) SaleVoidOf(ctx context.Context, q pg.Queryer, saleID int64) (SaleVoid, error) {
	var v SaleVoid
	err := sqlx.GetContext(ctx, q, &v, `
		SELECT id, sale_id, session_id, voided_at, reason, recorded_by, token_id FROM sale_voids WHERE sale_id = $1`, saleID)
	if errors.Is(err, sql.ErrNoRows) {
		return SaleVoid{}, fmt.Errorf("void of sale %d: %w", saleID, ErrNotFound)
	}
	if err != nil {
		return SaleVoid{}, fmt.Errorf("load void of sale %d: %w", saleID, err)
	}
	return v, nil
}
