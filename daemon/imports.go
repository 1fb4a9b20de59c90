package daemon

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/rs/zerolog"
	"github.com/sourcegraph/conc"

	"github.com/kassa-pos/kassa/daemon/client"
	"github.com/kassa-pos/kassa/internal/pg"
	"github.com/kassa-pos/kassa/sync/shopify"
	"github.com/kassa-pos/kassa/sync/shopify/shopifyapi"
)

// Importer is what the daemon needs of sync/shopify's importer: runs that list the shop's
// orders, and the import of orders a webhook delivered. *shopify.Importer is the real one.
type Importer interface {
	Run(ctx context.Context, connectionID int64, opts shopify.RunOptions) (shopify.Summary, error)
	ImportOrders(ctx context.Context, connectionID int64, orders []shopifyapi.Order, opts shopify.RunOptions) (shopify.Summary, error)
}

var _ Importer = (*shopify.Importer)(nil)

// runJob is an import run the API asked for.
type runJob struct {
	conn    shopify.Connection
	mode    shopify.Mode
	trigger string
	started chan runStart
}

type runStart struct {
	id  int64
	err error
}

// runner starts import runs in the background for the API, under the daemon's lifetime
// rather than the request's: a run goes on after its 202 answer, and is cancelled (its
// row marked so) when the daemon stops.
type runner struct {
	db       *sqlx.DB
	importer Importer
	metrics  *Metrics
	log      zerolog.Logger
	jobs     chan runJob
	stopped  chan struct{}
}

func newRunner(db *sqlx.DB, im Importer, m *Metrics, log zerolog.Logger) *runner {
	return &runner{db: db, importer: im, metrics: m, log: log, jobs: make(chan runJob), stopped: make(chan struct{})}
}

// errStopping answers requests that arrive while the daemon stops.
var errStopping = &httpError{status: http.StatusServiceUnavailable, msg: "the kassa daemon is stopping: try again in a moment"}

// Run takes jobs until ctx ends, then waits for the runs it started (which see ctx end).
func (rn *runner) Run(ctx context.Context) error {
	var wg conc.WaitGroup
	defer wg.Wait()
	defer close(rn.stopped)
	for {
		select {
		case <-ctx.Done():
			return nil
		case job := <-rn.jobs:
			wg.Go(func() { rn.do(ctx, job) })
		}
	}
}

func (rn *runner) do(ctx context.Context, job runJob) {
	sent := false
	send := func(s runStart) {
		if !sent {
			sent = true
			job.started <- s // buffered: the requester may have gone
		}
	}
	sum, err := rn.importer.Run(ctx, job.conn.ID, shopify.RunOptions{
		Mode: job.mode, Trigger: job.trigger,
		Started: func(id int64) { send(runStart{id: id}) },
	})
	rn.metrics.observeRun(job.mode, job.trigger, sum, err)
	if sum.RunID != 0 {
		send(runStart{id: sum.RunID})
	} else {
		send(runStart{err: err})
	}
	if err != nil && !errors.Is(err, shopify.ErrImportRunning) {
		rn.log.Warn().Err(err).Int64("run_id", sum.RunID).Str("shop", job.conn.Shop).Msg("import run ended with an error")
	}
}

// start starts a run and returns its id as soon as it is running, or why it could not
// start (e.g. shopify.ErrImportRunning).
func (rn *runner) start(ctx context.Context, conn shopify.Connection, mode shopify.Mode, trigger string) (int64, error) {
	job := runJob{conn: conn, mode: mode, trigger: trigger, started: make(chan runStart, 1)}
	select {
	case rn.jobs <- job:
	case <-rn.stopped:
		return 0, errStopping
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	select {
	case s := <-job.started:
		return s.id, s.err
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// importRunRow is an import_runs row with its shop.
type importRunRow struct {
	ID         int64      `db:"id"`
	Shop       string     `db:"shop"`
	Mode       string     `db:"mode"`
	Trigger    string     `db:"trigger"`
	Status     string     `db:"status"`
	StartedAt  time.Time  `db:"started_at"`
	FinishedAt *time.Time `db:"finished_at"`
	Total      int        `db:"total"`
	Seen       int        `db:"seen"`
	Error      string     `db:"error"`
	shopify.Counts
}

const importRunSelect = `
	SELECT r.id, c.shop, r.mode, r.trigger, r.status, r.started_at, r.finished_at, r.total, r.seen, r.error,
		r.imported, r.already_imported, r.too_old, r.no_shipping_method, r.test_order, r.cancelled, r.failed
	FROM import_runs r JOIN shopify_connections c ON c.id = r.connection_id`

func (r importRunRow) view() client.ImportRun {
	return client.ImportRun{
		RunID: r.ID, Shop: r.Shop, Mode: r.Mode, Trigger: r.Trigger, Status: r.Status, StartedAt: r.StartedAt,
		FinishedAt: r.FinishedAt, Total: r.Total, Seen: r.Seen, Outcomes: countsView(r.Counts), Error: r.Error,
	}
}

func importRunByID(ctx context.Context, q pg.Queryer, id int64) (client.ImportRun, error) {
	var r importRunRow
	err := sqlx.GetContext(ctx, q, &r, importRunSelect+` WHERE r.id = $1`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return client.ImportRun{}, notFound("import run %d: no such run", id)
	}
	if err != nil {
		return client.ImportRun{}, fmt.Errorf("load import run %d: %w", id, err)
	}
	return r.view(), nil
}

func recentImportRuns(ctx context.Context, q pg.Queryer, connectionID int64, limit int) ([]client.ImportRun, error) {
	var rows []importRunRow
	err := sqlx.SelectContext(ctx, q, &rows, importRunSelect+`
		WHERE $1 = 0 OR r.connection_id = $1 ORDER BY r.id DESC LIMIT $2`, connectionID, limit)
	if err != nil {
		return nil, fmt.Errorf("list import runs: %w", err)
	}
	out := make([]client.ImportRun, 0, len(rows))
	for _, r := range rows {
		out = append(out, r.view())
	}
	return out, nil
}

func runOutcomes(ctx context.Context, q pg.Queryer, runID int64, outcome string) ([]client.Outcome, error) {
	var rows []struct {
		OrderID int64     `db:"shopify_order_id"`
		Name    string    `db:"order_name"`
		Outcome string    `db:"outcome"`
		Reason  string    `db:"reason"`
		Receipt *string   `db:"receipt_number"`
		At      time.Time `db:"created_at"`
	}
	err := sqlx.SelectContext(ctx, q, &rows, `
		SELECT o.shopify_order_id, o.order_name, o.outcome, o.reason, s.receipt_number, o.created_at
		FROM import_outcomes o LEFT JOIN sales s ON s.id = o.sale_id
		WHERE o.run_id = $1 AND ($2 = '' OR o.outcome = $2) ORDER BY o.id`, runID, outcome)
	if err != nil {
		return nil, fmt.Errorf("list outcomes of run %d: %w", runID, err)
	}
	out := make([]client.Outcome, 0, len(rows))
	for _, r := range rows {
		out = append(out, client.Outcome{ShopifyOrderID: r.OrderID, OrderName: r.Name, Outcome: r.Outcome,
			Reason: r.Reason, ReceiptNumber: r.Receipt, At: r.At})
	}
	return out, nil
}
