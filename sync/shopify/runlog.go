package shopify

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/kassa-pos/kassa/internal/jsonpack"
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

// keptJSON is where the import log keeps one order's JSON: its frame and its place there.
type keptJSON struct {
	Frame  []byte `db:"frame"`
	Size   int    `db:"size"`
	Offset int    `db:"json_offset"`
	Length int    `db:"json_length"`
}

// keptJSONSelect reads an outcome's keptJSON; the query adds its WHERE clause.
const keptJSONSelect = `
	SELECT j.frame, j.size, o.json_offset, o.json_length
	FROM import_outcomes o JOIN import_order_json j ON j.id = o.json_id`

// doc decompresses the frame and returns the order's bytes.
func (j keptJSON) doc() ([]byte, error) {
	content, err := jsonpack.Unpack(j.Frame)
	if err == nil && len(content) != j.Size {
		err = fmt.Errorf("%d bytes, not the %d recorded", len(content), j.Size)
	}
	if err != nil {
		return nil, err
	}
	return jsonpack.Doc(content, j.Offset, j.Length)
}

// RawOrder returns the order JSON an outcome recorded, byte for byte as Shopify sent it
// (nil when none was kept: an order already imported, or a row without an order).
func (RunLog) RawOrder(ctx context.Context, q pg.Queryer, outcomeID int64) ([]byte, error) {
	var j keptJSON
	err := sqlx.GetContext(ctx, q, &j, keptJSONSelect+` WHERE o.id = $1`, outcomeID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load order JSON of outcome %d: %w", outcomeID, err)
	}
	raw, err := j.doc()
	if err != nil {
		return nil, fmt.Errorf("order JSON of outcome %d: %w", outcomeID, err)
	}
	return raw, nil
}

// LatestOrderJSON finds a connection's order in the import log, by its Shopify order id or,
// when orderID is 0, by its name (#1001), and returns its JSON as the latest run that kept
// it recorded it.
func (RunLog) LatestOrderJSON(ctx context.Context, q pg.Queryer, connectionID, orderID int64, name string) ([]byte, error) {
	query, key, which := keptJSONSelect+` WHERE o.connection_id = $1 AND o.shopify_order_id = $2
		ORDER BY o.shopify_order_id, o.id DESC LIMIT 1`, any(orderID), strconv.FormatInt(orderID, 10)
	if orderID == 0 {
		query, key, which = keptJSONSelect+` WHERE o.connection_id = $1 AND o.order_name = $2 ORDER BY o.id DESC LIMIT 1`, name, name
	}
	var j keptJSON
	err := sqlx.GetContext(ctx, q, &j, query, connectionID, key)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("order %s is not in the import log with its JSON: %w", which, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("look up order %s in the import log: %w", which, err)
	}
	raw, err := j.doc()
	if err != nil {
		return nil, fmt.Errorf("order JSON of order %s: %w", which, err)
	}
	return raw, nil
}
