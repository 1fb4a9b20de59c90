package shopify

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/kassa-pos/kassa/internal/pg"
	"github.com/kassa-pos/kassa/register"
)

// MaxReconcileKept is how many of a reconciliation's differences are kept with its result
// (and shown by the nightly report); it counts them all.
const MaxReconcileKept = 10

// ReconcileRecord is a nightly reconciliation as kept in shopify_reconciliations.
type ReconcileRecord struct {
	ConnectionID int64
	Night        time.Time // the local date it ran for; its year, month and day count
	StartedAt    time.Time
	FinishedAt   time.Time
	Result       Reconciliation
	// Err is why it failed, nil when it did not (the differences found before may be set).
	Err error
}

// ReconcileLog keeps the nightly reconciliations' results (shopify_reconciliations).
type ReconcileLog struct{}

// Done reports whether the connection's reconciliation of night is recorded.
func (ReconcileLog) Done(ctx context.Context, q pg.Queryer, connectionID int64, night time.Time) (bool, error) {
	var one int
	err := sqlx.GetContext(ctx, q, &one, `SELECT 1 FROM shopify_reconciliations WHERE connection_id = $1 AND night = $2`,
		connectionID, night.Format(time.DateOnly))
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("look for the reconciliation of %s: %w", night.Format(time.DateOnly), err)
	}
	return true, nil
}

// Record stores a nightly reconciliation: its count and its first MaxReconcileKept
// differences. A second record of the same connection and night is refused by the
// table's key (the caller holds the lock that makes it one).
func (ReconcileLog) Record(ctx context.Context, q pg.Queryer, r ReconcileRecord) error {
	first := r.Result.Differences
	if len(first) > MaxReconcileKept {
		first = first[:MaxReconcileKept]
	}
	if first == nil {
		first = []Difference{}
	}
	body, err := json.Marshal(first)
	if err != nil {
		return fmt.Errorf("encode the reconciliation's differences: %w", err)
	}
	var runID *int64
	if r.Result.Fixed != nil && r.Result.Fixed.RunID != 0 {
		runID = &r.Result.Fixed.RunID
	}
	msg := ""
	if r.Err != nil {
		msg = r.Err.Error()
	}
	_, err = q.ExecContext(ctx, `
		INSERT INTO shopify_reconciliations (connection_id, night, started_at, finished_at, window_from, window_to,
			orders, differences, run_id, error, first)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		r.ConnectionID, r.Night.Format(time.DateOnly), r.StartedAt, r.FinishedAt, r.Result.From, r.Result.To,
		r.Result.Orders, len(r.Result.Differences), runID, msg, body)
	if err != nil {
		return fmt.Errorf("record the reconciliation of %s: %w", r.Night.Format(time.DateOnly), err)
	}
	return nil
}

// Reconciliations lists the nightly reconciliations of the outlet's connections that started in
// [from, to), in that order. It is the nightly report's register.ImportLog.
func (RunLog) Reconciliations(ctx context.Context, q pg.Queryer, outletID int64, from, to time.Time) ([]register.Reconciled, error) {
	var rows []struct {
		Shop        string    `db:"shop"`
		StartedAt   time.Time `db:"started_at"`
		WindowFrom  time.Time `db:"window_from"`
		WindowTo    time.Time `db:"window_to"`
		Orders      int       `db:"orders"`
		Differences int       `db:"differences"`
		RunID       *int64    `db:"run_id"`
		Error       string    `db:"error"`
		First       []byte    `db:"first"`
	}
	err := sqlx.SelectContext(ctx, q, &rows, `
		SELECT c.shop, r.started_at, r.window_from, r.window_to, r.orders, r.differences, r.run_id, r.error, r.first
		FROM shopify_reconciliations r JOIN shopify_connections c ON c.id = r.connection_id
		WHERE c.outlet_id = $1 AND r.started_at >= $2 AND r.started_at < $3
		ORDER BY r.started_at, r.id`, outletID, from, to)
	if err != nil {
		return nil, fmt.Errorf("list the day's reconciliations: %w", err)
	}
	out := make([]register.Reconciled, 0, len(rows))
	for _, r := range rows {
		var first []Difference
		if err := json.Unmarshal(r.First, &first); err != nil {
			return nil, fmt.Errorf("decode the reconciliation of %s: %w", r.Shop, err)
		}
		rec := register.Reconciled{
			Shop: r.Shop, At: r.StartedAt, From: r.WindowFrom, To: r.WindowTo, Orders: r.Orders,
			Differences: r.Differences, Fixed: r.RunID != nil, RunID: r.RunID, Error: r.Error,
		}
		for _, d := range first {
			rec.First = append(rec.First, register.ReconciledOrder{OrderName: d.OrderName, OrderID: d.OrderID, Reasons: d.What})
		}
		out = append(out, rec)
	}
	return out, nil
}
