package register

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/shopspring/decimal"

	"github.com/kassa-pos/kassa/internal/pg"
	"github.com/kassa-pos/kassa/money"
)

// Cash movement kinds.
const (
	CashIn  = "in"
	CashOut = "out"
)

// CashMovement is cash paid into the drawer (a float top-up) or taken out of it (petty
// cash, a bank drop) in an open session, with a reason. The closing report counts it in the
// cash expected.
type CashMovement struct {
	ID         int64           `db:"id"`
	RegisterID int64           `db:"register_id"`
	SessionID  int64           `db:"session_id"`
	Kind       string          `db:"kind"`
	Amount     decimal.Decimal `db:"amount"`
	Reason     string          `db:"reason"`
	MovedAt    time.Time       `db:"moved_at"`
	RecordedBy string          `db:"recorded_by"`
	TokenID    *int64          `db:"token_id"`
}

// Signed is the movement's effect on the drawer: positive in, negative out.
func (m CashMovement) Signed() decimal.Decimal {
	if m.Kind == CashOut {
		return m.Amount.Neg()
	}
	return m.Amount
}

// CashRequest moves cash in or out of a register's drawer.
type CashRequest struct {
	RegisterID int64
	Kind       string // CashIn or CashOut
	Amount     string // "50.00"
	Reason     string
	By         string
	TokenID    *int64
}

// MoveCash records cash paid in or taken out in the register's open session. Refused
// (*RefusedError, nothing written): no open session, an amount that is not more than 0.00,
// no reason or one that is not one line of at most MaxCashReason characters.
func (s Service) MoveCash(ctx context.Context, db pg.Queryer, req CashRequest) (CashMovement, error) {
	if req.Kind != CashIn && req.Kind != CashOut {
		return CashMovement{}, fmt.Errorf("a cash movement is %q or %q, not %q", CashIn, CashOut, req.Kind)
	}
	amount, err := money.ParsePositive(strings.TrimSpace(req.Amount))
	if err != nil {
		return CashMovement{}, refuse(ErrInvalidAmount, "%s", err.Error())
	}
	reason := strings.TrimSpace(req.Reason)
	switch {
	case reason == "":
		return CashMovement{}, refuse(ErrCashReason, "say why the cash is moved (a float top-up, petty cash, a bank drop): a cash movement needs a reason")
	case strings.ContainsFunc(reason, unprintable):
		return CashMovement{}, refuse(ErrCashReason, "the reason must be one line of plain text")
	case utf8.RuneCountInString(reason) > MaxCashReason:
		return CashMovement{}, refuse(ErrCashReason, "the reason is %d characters long: keep it to %d", utf8.RuneCountInString(reason), MaxCashReason)
	}
	by := strings.TrimSpace(req.By)
	if by == "" {
		return CashMovement{}, errors.New("say who moves the cash")
	}
	var out CashMovement
	err = pg.InTx(ctx, db, func(tx *sqlx.Tx) error {
		reg, err := s.store().Get(ctx, tx, req.RegisterID)
		if err != nil {
			return err
		}
		sess, err := s.store().LockCurrentSession(ctx, tx, reg.ID)
		if errors.Is(err, ErrNoOpenSession) {
			return refuse(ErrNoOpenSession, "register %q has no open session: open it first", reg.Name)
		}
		if err != nil {
			return err
		}
		at := s.now().Round(time.Microsecond)
		if at.Before(sess.OpenedAt) {
			at = sess.OpenedAt
		}
		err = sqlx.GetContext(ctx, tx, &out, `
			INSERT INTO register_cash_movements (register_id, session_id, kind, amount, reason, moved_at, recorded_by, token_id)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			RETURNING id, register_id, session_id, kind, amount, reason, moved_at, recorded_by, token_id`,
			reg.ID, sess.ID, req.Kind, amount, reason, at, by, req.TokenID)
		if pg.IsRaised(err, "register_session_closed") {
			return refuse(ErrNoOpenSession, "register %q has no open session: open it first", reg.Name)
		}
		if err != nil {
			return fmt.Errorf("record cash %s: %w", req.Kind, err)
		}
		return nil
	})
	if err != nil {
		return CashMovement{}, err
	}
	return out, nil
}

// CashMovements lists a session's cash movements in the order they were made.
func (Store) CashMovements(ctx context.Context, q pg.Queryer, sessionID int64) ([]CashMovement, error) {
	out := []CashMovement{}
	err := sqlx.SelectContext(ctx, q, &out, `
		SELECT id, register_id, session_id, kind, amount, reason, moved_at, recorded_by, token_id
		FROM register_cash_movements WHERE session_id = $1 ORDER BY moved_at, id`, sessionID)
	if err != nil {
		return nil, fmt.Errorf("list the cash movements of session %d: %w", sessionID, err)
	}
	return out, nil
}

// DayCashMovements lists the cash movements of registers in [from, to), in order.
func (Store) DayCashMovements(ctx context.Context, q pg.Queryer, registerIDs []int64, from, to time.Time) ([]CashMovement, error) {
	out := []CashMovement{}
	err := sqlx.SelectContext(ctx, q, &out, `
		SELECT id, register_id, session_id, kind, amount, reason, moved_at, recorded_by, token_id
		FROM register_cash_movements WHERE register_id = ANY($1::bigint[]) AND moved_at >= $2 AND moved_at < $3
		ORDER BY moved_at, id`, pq.Array(registerIDs), from, to)
	if err != nil {
		return nil, fmt.Errorf("list the day's cash movements: %w", err)
	}
	return out, nil
}
