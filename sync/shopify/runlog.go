package shopify

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/kassa-pos/kassa/internal/jsonpack"
	"github.com/kassa-pos/kassa/internal/pg"
	"github.com/kassa-pos/kassa/internal/text"
	"github.com/kassa-pos/kassa/register"
	"github.com/kassa-pos/kassa/sales"
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
	ReceiptNumber *string   `db:"-"`
	CreatedAt     time.Time `db:"created_at"`
}

// RunLog reads the import log: the runs (import_runs), each order's outcome
// (import_outcomes) and the orders' JSON as Shopify sent it (import_order_json). The
// importer writes it, through the unexported methods below.
type RunLog struct{}

const runSelect = `
	SELECT r.id, r.connection_id, c.shop, r.mode, r.trigger, r.status, r.started_at, r.finished_at, r.total, r.seen,
		r.error, r.imported, r.already_imported, r.too_old, r.no_shipping_method, r.test_order, r.cancelled, r.failed,
		r.updated, r.needs_review
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

// Outcomes lists a run's outcomes in the order the run saw the orders, each with the
// receipt number of its sale; with onlyOutcome set, only those of that outcome.
func (RunLog) Outcomes(ctx context.Context, q pg.Queryer, runID int64, onlyOutcome Outcome) ([]OutcomeRecord, error) {
	var out []OutcomeRecord
	err := sqlx.SelectContext(ctx, q, &out, `
		SELECT o.id, o.run_id, o.shopify_order_id, o.order_name, o.outcome, o.reason, o.sale_id, o.created_at
		FROM import_outcomes o
		WHERE o.run_id = $1 AND ($2 = '' OR o.outcome = $2)
		ORDER BY o.id`, runID, string(onlyOutcome))
	if err != nil {
		return nil, fmt.Errorf("list outcomes of import run %d: %w", runID, err)
	}
	var saleIDs []int64
	for _, o := range out {
		if o.SaleID != nil {
			saleIDs = append(saleIDs, *o.SaleID)
		}
	}
	receipts, err := sales.Store{}.ReceiptNumbers(ctx, q, saleIDs)
	if err != nil {
		return nil, err
	}
	for i, o := range out {
		if o.SaleID != nil {
			if r, ok := receipts[*o.SaleID]; ok {
				out[i].ReceiptNumber = &r
			}
		}
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

// RawOrder returns the order JSON an outcome recorded, byte for byte as Shopify sent it,
// or ErrNotFound when none was kept (an order already imported, a row without an order,
// or no such outcome).
func (RunLog) RawOrder(ctx context.Context, q pg.Queryer, outcomeID int64) ([]byte, error) {
	var j keptJSON
	err := sqlx.GetContext(ctx, q, &j, keptJSONSelect+` WHERE o.id = $1`, outcomeID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("outcome %d kept no order JSON: %w", outcomeID, ErrNotFound)
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

// LastListingStart returns when the connection's latest run that listed the shop's orders
// (Get all or Get new, whatever started it) started, or ErrNotFound when none ever did.
func (RunLog) LastListingStart(ctx context.Context, q pg.Queryer, connectionID int64) (time.Time, error) {
	var last sql.NullTime
	err := sqlx.GetContext(ctx, q, &last, `
		SELECT max(started_at) FROM import_runs WHERE connection_id = $1 AND mode IN ('new', 'all')`, connectionID)
	if err != nil {
		return time.Time{}, fmt.Errorf("last run of connection %d: %w", connectionID, err)
	}
	if !last.Valid {
		return time.Time{}, fmt.Errorf("connection %d never listed its orders: %w", connectionID, ErrNotFound)
	}
	return last.Time, nil
}

// FailedImports lists the orders of the outlet's connections whose import failed in
// [from, to), in the order they failed, each marked resolved when a later run of its
// connection imported it after all (or found it imported). It is the nightly report's
// register.ImportLog.
func (RunLog) FailedImports(ctx context.Context, q pg.Queryer, outletID int64, from, to time.Time) ([]register.FailedImport, error) {
	var rows []struct {
		Name     string    `db:"order_name"`
		OrderID  int64     `db:"shopify_order_id"`
		Reason   string    `db:"reason"`
		At       time.Time `db:"created_at"`
		Resolved bool      `db:"resolved"`
	}
	err := sqlx.SelectContext(ctx, q, &rows, `
		SELECT f.order_name, f.shopify_order_id, f.reason, f.created_at,
			EXISTS (SELECT 1 FROM import_outcomes later
				WHERE later.connection_id = f.connection_id AND later.shopify_order_id = f.shopify_order_id
					AND later.id > f.id AND later.outcome IN ('imported', 'already_imported', 'updated', 'needs_review')) AS resolved
		FROM import_outcomes f
		JOIN shopify_connections c ON c.id = f.connection_id
		WHERE c.outlet_id = $1 AND f.outcome = 'failed' AND f.created_at >= $2 AND f.created_at < $3
		ORDER BY f.created_at, f.id`, outletID, from, to)
	if err != nil {
		return nil, fmt.Errorf("list the day's import failures: %w", err)
	}
	out := make([]register.FailedImport, 0, len(rows))
	for _, r := range rows {
		out = append(out, register.FailedImport{OrderName: r.Name, OrderID: r.OrderID, Reason: r.Reason, At: r.At, Resolved: r.Resolved})
	}
	return out, nil
}

// ChangedImports lists the imported orders of the outlet's connections that changed in
// Shopify in [from, to): each change recorded (updated) or left for review
// (needs_review), in the order they were logged. It is the nightly report's
// register.ImportLog.
func (RunLog) ChangedImports(ctx context.Context, q pg.Queryer, outletID int64, from, to time.Time) ([]register.ChangedImport, error) {
	var rows []struct {
		Name    string    `db:"order_name"`
		OrderID int64     `db:"shopify_order_id"`
		Outcome string    `db:"outcome"`
		Reason  string    `db:"reason"`
		At      time.Time `db:"created_at"`
	}
	err := sqlx.SelectContext(ctx, q, &rows, `
		SELECT o.order_name, o.shopify_order_id, o.outcome, o.reason, o.created_at
		FROM import_outcomes o
		JOIN shopify_connections c ON c.id = o.connection_id
		WHERE c.outlet_id = $1 AND o.outcome IN ('updated', 'needs_review') AND o.created_at >= $2 AND o.created_at < $3
		ORDER BY o.created_at, o.id`, outletID, from, to)
	if err != nil {
		return nil, fmt.Errorf("list the day's changed orders: %w", err)
	}
	out := make([]register.ChangedImport, 0, len(rows))
	for _, r := range rows {
		out = append(out, register.ChangedImport{OrderName: r.Name, OrderID: r.OrderID, Outcome: r.Outcome, Reason: r.Reason, At: r.At})
	}
	return out, nil
}

// ExpiryWarning is how long before an order leaves Shopify's 60-day window a failed
// import of it is flagged.
const ExpiryWarning = 7 * 24 * time.Hour

// ExpiringOrder is an order whose import failed and that Shopify stops handing out soon
// (MaxOrderAge after it was created): fix it before LeavesAt, or it can only be imported
// from a file.
type ExpiringOrder struct {
	ConnectionID int64     `db:"connection_id" json:"-"`
	Shop         string    `db:"shop" json:"shop"`
	OrderID      int64     `db:"shopify_order_id" json:"shopify_order_id"`
	OrderName    string    `db:"order_name" json:"order_name"`
	Reason       string    `db:"reason" json:"reason"`
	CreatedAt    time.Time `db:"order_created_at" json:"created_at"`
	LeavesAt     time.Time `db:"-" json:"leaves_at"`
	AgeDays      int       `db:"-" json:"age_days"`
}

// ExpiringFailures lists the orders of a connection (all connections when 0) whose latest
// outcome is failed and that leave Shopify's 60-day window within ExpiryWarning of now,
// the soonest first.
func (RunLog) ExpiringFailures(ctx context.Context, q pg.Queryer, connectionID int64, now time.Time) ([]ExpiringOrder, error) {
	var out []ExpiringOrder
	err := sqlx.SelectContext(ctx, q, &out, `
		SELECT l.connection_id, c.shop, l.shopify_order_id, l.order_name, l.reason, l.order_created_at FROM (
			SELECT DISTINCT ON (connection_id, shopify_order_id) connection_id, shopify_order_id, order_name, reason,
				outcome, order_created_at
			FROM import_outcomes WHERE ($1 = 0 OR connection_id = $1) AND shopify_order_id > 0
			ORDER BY connection_id, shopify_order_id, id DESC) l
		JOIN shopify_connections c ON c.id = l.connection_id
		WHERE l.outcome = 'failed' AND l.order_created_at > $2 AND l.order_created_at <= $3
		ORDER BY l.order_created_at, l.shopify_order_id`,
		connectionID, now.Add(-MaxOrderAge), now.Add(-MaxOrderAge+ExpiryWarning))
	if err != nil {
		return nil, fmt.Errorf("list failed orders leaving Shopify's window: %w", err)
	}
	for i := range out {
		out[i].LeavesAt = out[i].CreatedAt.Add(MaxOrderAge)
		out[i].AgeDays = int(now.Sub(out[i].CreatedAt) / (24 * time.Hour))
	}
	return out, nil
}

// ExpiringImports is ExpiringFailures for the nightly report: the outlet's connections'.
func (l RunLog) ExpiringImports(ctx context.Context, q pg.Queryer, outletID int64, now time.Time) ([]register.ExpiringImport, error) {
	all, err := l.ExpiringFailures(ctx, q, 0, now)
	if err != nil {
		return nil, err
	}
	var ids []int64
	if err := sqlx.SelectContext(ctx, q, &ids, `SELECT id FROM shopify_connections WHERE outlet_id = $1`, outletID); err != nil {
		return nil, fmt.Errorf("list the outlet's connections: %w", err)
	}
	mine := map[int64]bool{}
	for _, id := range ids {
		mine[id] = true
	}
	out := []register.ExpiringImport{}
	for _, e := range all {
		if mine[e.ConnectionID] {
			out = append(out, register.ExpiringImport{OrderName: e.OrderName, OrderID: e.OrderID, Reason: e.Reason, LeavesAt: e.LeavesAt, AgeDays: e.AgeDays})
		}
	}
	return out, nil
}

var _ register.ImportLog = RunLog{}

// start records a new run of the connection, started at, with its total when it is known
// (0 otherwise), and returns its id. The
// connection's runs still marked running are closed first as failed: the caller holds the
// connection's import lock, so no other run of it is alive, and such a run was cut short
// (killed process, lost database connection).
func (RunLog) start(ctx context.Context, db *sqlx.DB, connectionID int64, mode Mode, trigger string, total int, at time.Time) (int64, error) {
	var id int64
	err := pg.WithTx(ctx, db, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE import_runs SET status = 'failed', finished_at = $2,
			error = 'interrupted: the process stopped before the run finished'
			WHERE connection_id = $1 AND status = 'running'`, connectionID, at)
		if err != nil {
			return fmt.Errorf("close interrupted runs: %w", err)
		}
		return sqlx.GetContext(ctx, tx, &id, `
			INSERT INTO import_runs (connection_id, mode, trigger, started_at, total) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
			connectionID, string(mode), trigger, at, total)
	})
	if err != nil {
		return 0, fmt.Errorf("start import run: %w", err)
	}
	return id, nil
}

// finish closes a run with its status (finished, failed, cancelled) and, when it did not
// finish, why.
func (RunLog) finish(ctx context.Context, q pg.Queryer, runID int64, status string, at time.Time, msg string) error {
	if _, err := q.ExecContext(ctx, `UPDATE import_runs SET status = $2, finished_at = $3, error = $4 WHERE id = $1`,
		runID, status, at, text.CleanNote(msg)); err != nil {
		return fmt.Errorf("finish import run: %w", err)
	}
	return nil
}

// setTotal records how many orders Shopify counted for the run.
func (RunLog) setTotal(ctx context.Context, q pg.Queryer, runID int64, n int) error {
	if _, err := q.ExecContext(ctx, `UPDATE import_runs SET total = $2 WHERE id = $1`, runID, n); err != nil {
		return fmt.Errorf("record the run's total: %w", err)
	}
	return nil
}

// record records the outcome of every row in the import log, with the JSON of the orders
// it does not already hold, packed together in one compressed frame.
func (RunLog) record(ctx context.Context, tx *sqlx.Tx, runID, connectionID int64, rows []outcomeRow) error {
	p := takePacker()
	defer keepPacker(p)
	type at struct{ offset, length int }
	where := make([]at, len(rows))
	for i, row := range rows {
		// An order already imported is on record (its sale and first outcome): its JSON is
		// not stored again, which keeps repeated "get all" runs small.
		if row.outcome != AlreadyImported && len(bytes.TrimSpace(row.order.Raw)) > 0 {
			where[i].offset, where[i].length = p.Add(row.order.Raw)
		}
	}
	var frameID int64
	if p.Len() > 0 {
		err := tx.QueryRowxContext(ctx, `INSERT INTO import_order_json (run_id, frame, size) VALUES ($1, $2, $3) RETURNING id`,
			runID, p.Frame(), p.Len()).Scan(&frameID)
		if err != nil {
			return fmt.Errorf("record the orders' JSON: %w", err)
		}
	}
	// COPY: PostgreSQL reads its rows as they stream in, without parsing a statement and its
	// array parameters first.
	stmt, err := tx.PrepareContext(ctx, `COPY import_outcomes (run_id, connection_id, shopify_order_id, order_name,
		outcome, reason, sale_id, json_id, json_offset, json_length, order_created_at) FROM STDIN`)
	if err != nil {
		return fmt.Errorf("record outcomes: %w", err)
	}
	defer stmt.Close()
	for i, row := range rows {
		reason := text.CleanNote(row.reason)
		if row.outcome == Failed && reason == "" {
			reason = "unknown"
		}
		var saleID, jsonID, offset, length any
		if row.saleID != 0 {
			saleID = row.saleID
		}
		if where[i].length > 0 {
			jsonID, offset, length = frameID, where[i].offset, where[i].length
		}
		var created any
		if !row.order.CreatedAt.IsZero() {
			created = row.order.CreatedAt
		}
		if _, err := stmt.ExecContext(ctx, runID, connectionID, row.order.ID, text.Clean(row.order.Name, text.MaxName), string(row.outcome), reason, saleID,
			jsonID, offset, length, created); err != nil {
			return fmt.Errorf("record outcomes: %w", err)
		}
	}
	if _, err := stmt.ExecContext(ctx); err != nil {
		return fmt.Errorf("record outcomes: %w", err)
	}
	if err := stmt.Close(); err != nil {
		return fmt.Errorf("record outcomes: %w", err)
	}
	return nil
}

// packers keeps a few packers between pages, so that the writers of a run fill the same
// buffers with the JSON of page after page.
var packers = make(chan *jsonpack.Packer, 4)

func takePacker() *jsonpack.Packer {
	select {
	case p := <-packers:
		return p
	default:
		return new(jsonpack.Packer)
	}
}

func keepPacker(p *jsonpack.Packer) {
	p.Reset()
	if p.Cap() > 8<<20 {
		return // an outsized page: let its buffer go
	}
	select {
	case packers <- p:
	default:
	}
}

// count adds c's outcomes to the run's counters.
func (RunLog) count(ctx context.Context, q pg.Queryer, runID int64, c Counts) error {
	_, err := q.ExecContext(ctx, `
		UPDATE import_runs SET seen = seen + $2, imported = imported + $3, already_imported = already_imported + $4,
			too_old = too_old + $5, no_shipping_method = no_shipping_method + $6, test_order = test_order + $7,
			cancelled = cancelled + $8, failed = failed + $9, updated = updated + $10, needs_review = needs_review + $11
		WHERE id = $1`,
		runID, c.Total(), c.Imported, c.AlreadyImported, c.TooOld, c.NoShippingMethod, c.TestOrder, c.Cancelled, c.Failed,
		c.Updated, c.NeedsReview)
	if err != nil {
		return fmt.Errorf("count outcomes: %w", err)
	}
	return nil
}

// failedOrders lists the orders of the connection whose latest outcome is failed.
func (RunLog) failedOrders(ctx context.Context, q pg.Queryer, connectionID int64) ([]int64, error) {
	var ids []int64
	err := sqlx.SelectContext(ctx, q, &ids, `
		SELECT shopify_order_id FROM (
			SELECT DISTINCT ON (shopify_order_id) shopify_order_id, outcome
			FROM import_outcomes WHERE connection_id = $1 AND shopify_order_id > 0
			ORDER BY shopify_order_id, id DESC) latest
		WHERE outcome = 'failed' ORDER BY shopify_order_id`, connectionID)
	if err != nil {
		return nil, fmt.Errorf("list failed orders: %w", err)
	}
	return ids, nil
}

// logged reports which of ids the connection's import log has an outcome for.
func (RunLog) logged(ctx context.Context, q pg.Queryer, connectionID int64, ids []int64) (map[int64]bool, error) {
	var found []int64
	err := sqlx.SelectContext(ctx, q, &found, `
		SELECT DISTINCT shopify_order_id FROM import_outcomes
		WHERE connection_id = $1 AND shopify_order_id = ANY($2)`, connectionID, pq.Array(ids))
	if err != nil {
		return nil, fmt.Errorf("look up logged orders: %w", err)
	}
	out := make(map[int64]bool, len(found))
	for _, id := range found {
		out[id] = true
	}
	return out, nil
}
