package daemon

import (
	"context"
	"errors"
	"net/http"

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
	ImportOrderIDs(ctx context.Context, connectionID int64, ids []int64, opts shopify.RunOptions) (shopify.Summary, error)
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
	// afterPass is told after every run it started ends.
	afterPass passHook
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
	rn.afterPass.passed()
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

func runView(r shopify.RunRecord) client.ImportRun {
	return client.ImportRun{
		RunID: r.ID, Shop: r.Shop, Mode: r.Mode, Trigger: r.Trigger, Status: r.Status, StartedAt: r.StartedAt,
		FinishedAt: r.FinishedAt, Total: r.Total, Seen: r.Seen, Outcomes: countsView(r.Counts), Error: r.Error,
	}
}

func importRunByID(ctx context.Context, q pg.Queryer, id int64) (client.ImportRun, error) {
	r, err := shopify.RunLog{}.Run(ctx, q, id)
	if errors.Is(err, shopify.ErrNotFound) {
		return client.ImportRun{}, notFound("import run %d: no such run", id)
	}
	if err != nil {
		return client.ImportRun{}, err
	}
	return runView(r), nil
}

func recentImportRuns(ctx context.Context, q pg.Queryer, connectionID int64, limit int) ([]client.ImportRun, error) {
	runs, err := shopify.RunLog{}.Runs(ctx, q, connectionID, limit)
	if err != nil {
		return nil, err
	}
	out := make([]client.ImportRun, 0, len(runs))
	for _, r := range runs {
		out = append(out, runView(r))
	}
	return out, nil
}

func runOutcomes(ctx context.Context, q pg.Queryer, runID int64, outcome string) ([]client.Outcome, error) {
	outs, err := shopify.RunLog{}.Outcomes(ctx, q, runID, shopify.Outcome(outcome))
	if err != nil {
		return nil, err
	}
	out := make([]client.Outcome, 0, len(outs))
	for _, o := range outs {
		out = append(out, client.Outcome{ShopifyOrderID: o.OrderID, OrderName: o.OrderName, Outcome: string(o.Outcome),
			Reason: o.Reason, ReceiptNumber: o.ReceiptNumber, At: o.CreatedAt})
	}
	return out, nil
}
