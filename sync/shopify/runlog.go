package shopify

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/kassa-pos/kassa/internal/pg"
)

// RunRecord is an import run as the import log keeps it.
type RunRecord struct {
	ID         int64      `db:"id"`
	Connection int64      `db:"connection_id"`
	Shop       string     `db:"shop"`
	Mode       string     `db:"mode"`
	Trigger    string     `db:"trigger"`
	Status     string     `db:"status"` // running, finished, failed, cancelled
	StartedAt  time.Time  `db:"started_at"`
	FinishedAt *time.Time `db:"finished_at"`
	Total      int        `db:"total"`
	Seen       int        `db:"seen"`
	Error      string     `db:"error"`
	Counts
}

// OutcomeRecord is one order's entry in the import log.
type OutcomeRecord struct {
	ID            int64     `db:"id"`
	RunID         int64     `db:"run_id"`
	OrderID       int64     `db:"shopify_order_id"`
	OrderName     string    `db:"order_name"`
	Outcome       Outcome   `db:"outcome"`
	Reason        string    `db:"reason"`
	SaleID        *int64    `db:"sale_id"`
	ReceiptNumber *string   `db:"receipt_number"`
	CreatedAt     time.Time `db:"created_at"`
}

// RunLog reads the import log.
type RunLog struct{}

const runSelect = `
	SELECT r.id, r.connection_id, c.shop, r.mode, r.trigger, r.status, r.started_at, r.finished_at, r.total, r.seen,
		r.error, r.imported, r.already_imported, r.too_old, r.no_shipping_method, r.test_order, r.cancelled, r.failed
	FROM import_runs r JOIN shopify_connections c ON c.id = r.connection_id`

// Runs lists the latest runs, newest first, of one connection (or of all when
// connectionID is 0).
func (RunLog) Runs(ctx context.Context, q pg.Queryer, connectionID int64, limit int) ([]RunRecord, error) {
	if limit <= 0 {
		limit = 20
	}
	var out []RunRecord
	err := sqlx.SelectContext(ctx, q, &out, runSelect+` WHERE $1 = 0 OR r.connection_id = $1 ORDER BY r.id DESC LIMIT $2`, connectionID, limit)
	if err != nil {
		return nil, fmt.Errorf("list import runs: %w", err)
	}
	return out, nil
}

// Run loads one run.
func (RunLog) Run(ctx context.Context, q pg.Queryer, id int64) (RunRecord, error) {
	var out RunRecord
	err := sqlx.GetContext(ctx, q, &out, runSelect+` WHERE r.id = $1`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return RunRecord{}, fmt.Errorf("import run %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return RunRecord{}, fmt.Errorf("load import run %d: %w", id, err)
	}
	return out, nil
}

// Outcomes lists a run's outcomes in the order the run saw the orders; with onlyOutcome
// set, only those of that outcome.
func (RunLog) Outcomes(ctx context.Context, q pg.Queryer, runID int64, onlyOutcome Outcome) ([]OutcomeRecord, error) {
	var out []OutcomeRecord
	err := sqlx.SelectContext(ctx, q, &out, `
		SELECT o.id, o.run_id, o.shopify_order_id, o.order_name, o.outcome, o.reason, o.sale_id, s.receipt_number, o.created_at
		FROM import_outcomes o LEFT JOIN sales s ON s.id = o.sale_id
		WHERE o.run_id = $1 AND ($2 = '' OR o.outcome = $2)
		ORDER BY o.id`, runID, string(onlyOutcome))
	if err != nil {
		return nil, fmt.Errorf("list outcomes of import run %d: %w", runID, err)
	}
	return out, nil
}

// RawOrder returns the order JSON an outcome recorded (nil when none was kept).
func (RunLog) RawOrder(ctx context.Context, q pg.Queryer, outcomeID int64) ([]byte, error) {
	var raw []byte
	err := sqlx.GetContext(ctx, q, &raw, `SELECT raw::text FROM import_outcomes WHERE id = $1 AND raw IS NOT NULL`, outcomeID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load order JSON of outcome %d: %w", outcomeID, err)
	}
	return raw, nil
}
