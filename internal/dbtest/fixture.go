package dbtest

import (
	"context"
	"testing"

	"github.com/jmoiron/sqlx"
)

// Shop is a minimal shop for tests: one outlet with one register.
type Shop struct {
	OutletID   int64
	RegisterID int64
}

// NewShop adds an outlet (Europe/Brussels, EUR) named outlet with a register named
// register. It uses SQL directly so that it depends on no store.
func NewShop(tb testing.TB, db *sqlx.DB, outlet, register string) Shop {
	tb.Helper()
	var s Shop
	ctx := context.Background()
	if err := db.GetContext(ctx, &s.OutletID, `INSERT INTO outlets (name, timezone, currency) VALUES ($1, 'Europe/Brussels', 'EUR') RETURNING id`, outlet); err != nil {
		tb.Fatalf("dbtest: add outlet: %v", err)
	}
	if err := db.GetContext(ctx, &s.RegisterID, `INSERT INTO registers (outlet_id, name) VALUES ($1, $2) RETURNING id`, s.OutletID, register); err != nil {
		tb.Fatalf("dbtest: add register: %v", err)
	}
	return s
}
