package shopify

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"hash/maphash"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/rs/zerolog"

	"github.com/kassa-pos/kassa/internal/clock"
	"github.com/kassa-pos/kassa/internal/pg"
	"github.com/kassa-pos/kassa/internal/secret"
	"github.com/kassa-pos/kassa/inventory"
	"github.com/kassa-pos/kassa/register"
	"github.com/kassa-pos/kassa/sales"
	"github.com/kassa-pos/kassa/sync/shopify/shopifyapi"
)

// ErrImportRunning is returned when another run (in this or another process) is importing
// the connection's orders.
var ErrImportRunning = errors.New("an import is already running")

// Source is where a run reads a shop's orders; *shopifyapi.Client is the real one.
type Source interface {
	CountOrders(ctx context.Context, opts shopifyapi.ListOptions) (int, error)
	ListOrders(ctx context.Context, opts shopifyapi.ListOptions, fn func(page []shopifyapi.Order) error) error
	GetOrder(ctx context.Context, id int64) (shopifyapi.Order, error)
}

// Mode is what a run imports.
type Mode string

// The run modes.
const (
	// ModeAll reads every order Shopify shows (the last 60 days).
	ModeAll Mode = "all"
	// ModeNew reads only orders newer than the newest the connection has seen.
	ModeNew Mode = "new"
	// ModeRetry re-fetches the orders whose latest outcome is failed.
	ModeRetry Mode = "retry"
	// ModeWebhook imports orders handed over by a webhook (or read from a file).
	ModeWebhook Mode = "webhook"
)

// Triggers: who started a run.
const (
	TriggerCLI      = "cli"
	TriggerAPI      = "api"
	TriggerTerminal = "terminal"
	TriggerPoll     = "poll"
	TriggerWebhook  = "webhook"
	TriggerDemo     = "demo"
	// TriggerReconcile is the daemon's nightly reconciliation recording what it found.
	TriggerReconcile = "reconcile"
)

// Counts is how many orders of a run ended in each outcome; its JSON has every key.
type Counts struct {
	Imported         int `json:"imported" db:"imported"`
	AlreadyImported  int `json:"already_imported" db:"already_imported"`
	TooOld           int `json:"too_old" db:"too_old"`
	NoShippingMethod int `json:"no_shipping_method" db:"no_shipping_method"`
	TestOrder        int `json:"test_order" db:"test_order"`
	Cancelled        int `json:"cancelled" db:"cancelled"`
	Failed           int `json:"failed" db:"failed"`
	Updated          int `json:"updated" db:"updated"`
	NeedsReview      int `json:"needs_review" db:"needs_review"`
}

// Add counts one more order with outcome o.
func (c *Counts) Add(o Outcome) {
	switch o {
	case Imported:
		c.Imported++
	case AlreadyImported:
		c.AlreadyImported++
	case TooOld:
		c.TooOld++
	case NoShippingMethod:
		c.NoShippingMethod++
	case TestOrder:
		c.TestOrder++
	case Cancelled:
		c.Cancelled++
	case Failed:
		c.Failed++
	case Updated:
		c.Updated++
	case NeedsReview:
		c.NeedsReview++
	}
}

// Total is the number of orders counted.
func (c Counts) Total() int {
	return c.Imported + c.AlreadyImported + c.TooOld + c.NoShippingMethod + c.TestOrder + c.Cancelled + c.Failed +
		c.Updated + c.NeedsReview
}

// Progress is what a run reports after each page.
type Progress struct {
	RunID int64
	Shop  string
	Mode  Mode
	// Total is the number of orders Shopify counted for the run (orders/count.json); 0 when
	// unknown (a "new" run: Shopify's count cannot filter on since_id).
	Total    int
	Seen     int
	Outcomes Counts
	// Preparing is set while Shopify prepares a bulk export (Get all through GraphQL),
	// before any order is read; ExportObjects is how many objects it has written so far.
	Preparing     bool
	ExportObjects int64
}

// Summary is a finished run, in the JSON shape of "kassa orders get-all --json".
type Summary struct {
	RunID    int64  `json:"run_id"`
	Mode     Mode   `json:"mode"`
	Seen     int    `json:"seen"`
	Outcomes Counts `json:"outcomes"`
	Shop     string `json:"-"`
	Total    int    `json:"-"`
}

// RunOptions says how to run an import.
type RunOptions struct {
	Mode    Mode
	Trigger string // default TriggerCLI
	// Wait makes a run wait for one already running on the connection instead of failing
	// with ErrImportRunning.
	Wait bool
	// WaitFor, without Wait, makes a run wait at most this long for one already running on
	// the connection before failing with ErrImportRunning: short runs (webhook batches of
	// several daemons) then take turns instead of putting their orders off.
	WaitFor time.Duration
	// Progress, when set, is called after every page (from the run's goroutine).
	Progress func(Progress)
	// Started, when set, is called with the run's id as soon as the run is recorded,
	// before any order is fetched (from the run's goroutine).
	Started func(runID int64)
	// Waiting, when set, is called when the run (with Wait) finds another run of the
	// connection importing and starts waiting for it to end (from the run's goroutine).
	Waiting func()
	// compareAll compares every imported order with its sale, whatever Shopify's update
	// time (reconciliation).
	compareAll bool
	// readAt is when the orders were read from Shopify (reconciliation): an order read
	// settleAfter after its update time holds every change of that second.
	readAt time.Time
}

// Importer imports Shopify orders into the POS database. It is safe for concurrent use;
// runs of one connection exclude each other through the database.
type Importer struct {
	DB *sqlx.DB
	// Clock is the time used for the 60-day rule, the run's times and the session window;
	// default time.Now.
	Clock func() time.Time
	// Logger receives the run's log; the zero Logger logs nothing. Secrets are never
	// logged.
	Logger zerolog.Logger
	// Secrets opens the connection's stored credentials (the access token the default
	// source sends). Without it a run can use only a NewSource that needs no token.
	Secrets *secret.Box
	// NewSource opens the source of a connection's orders; default: the connection's
	// client (OpenClient), which renews a Dev Dashboard app's token as it goes.
	NewSource func(Connection) (Source, error)
	// PerOrder turns the set-based page writes off: every order is written in its own
	// transaction. It is slower and exists to test that both paths agree.
	PerOrder bool
	// PageSize is how many orders a page asks Shopify for; default and maximum 250.
	PageSize int
	// Writers is how many pages a "get all" run writes at once, each in a transaction and
	// on a database connection of its own; default 2. Other runs write one page at a time.
	Writers int
}

func (im *Importer) writers() int {
	if im.Writers <= 0 {
		return 2
	}
	return im.Writers
}

func (im *Importer) pageSize() int {
	if im.PageSize <= 0 || im.PageSize > shopifyapi.MaxPageSize {
		return shopifyapi.MaxPageSize
	}
	return im.PageSize
}

func (im *Importer) now() time.Time { return clock.Now(im.Clock) }

func (im *Importer) logger() zerolog.Logger {
	return im.Logger.With().Str("component", "import").Logger()
}

func (im *Importer) source(c Connection) (Source, error) {
	if im.NewSource != nil {
		return im.NewSource(c)
	}
	if c.AccessToken == "" && c.ClientSecret == "" {
		return nil, fmt.Errorf("cannot read the Shopify credentials of %s: the importer was given no secret key", c.Shop)
	}
	log := im.Logger
	cl, err := ConnectionStore{Secrets: im.Secrets}.OpenClient(c, ClientOptions{DB: im.DB, Clock: im.Clock, Logger: &log})
	if err != nil {
		return nil, err
	}
	return cl, nil
}

// Run imports the connection's orders: every order Shopify shows (ModeAll), the orders newer
// than the newest seen (ModeNew) or the orders whose latest outcome is failed (ModeRetry).
// It returns the run's summary; when the run stops early (Shopify unreachable, ctx
// cancelled) the summary counts what was done and the error says why.
func (im *Importer) Run(ctx context.Context, connectionID int64, opts RunOptions) (Summary, error) {
	switch opts.Mode {
	case ModeAll, ModeNew, ModeRetry:
	default:
		return Summary{}, fmt.Errorf("import mode %q: want all, new or retry", opts.Mode)
	}
	return im.run(ctx, connectionID, opts, 0, func(ctx context.Context, r *run) error {
		src, err := im.source(r.conn)
		if err != nil {
			return fmt.Errorf("connect to %s: %w", r.conn.Shop, err)
		}
		if cl, ok := src.(interface{ Close() }); ok {
			defer cl.Close()
		}
		gsrc, useGraphQL := graphQLSource(r.conn, src)
		r.graphql = useGraphQL
		get := src.GetOrder
		if useGraphQL {
			get = gsrc.GetGraphQLOrder
		}
		switch opts.Mode {
		case ModeNew:
			if useGraphQL {
				return r.graphQLNew(ctx, gsrc)
			}
		case ModeAll:
			if useGraphQL {
				return r.bulkAll(ctx, gsrc)
			}
		}
		switch opts.Mode {
		case ModeRetry:
			ids, err := (RunLog{}).failedOrders(ctx, im.DB, r.conn.ID)
			if err != nil {
				return err
			}
			r.setTotal(ctx, len(ids))
			for start := 0; start < len(ids); start += im.pageSize() {
				chunk := ids[start:min(start+im.pageSize(), len(ids))]
				page := make([]shopifyapi.Order, 0, len(chunk))
				for _, id := range chunk {
					o, err := get(ctx, id)
					if errors.Is(err, shopifyapi.ErrNotFound) {
						o = shopifyapi.Order{ID: id, DecodeErr: errors.New("Shopify no longer shows this order (older than 60 days, or deleted)")}
					} else if err != nil && o.ID == 0 {
						return err
					} else if err != nil {
						o.DecodeErr = err
					}
					page = append(page, o)
				}
				if err := r.page(ctx, page); err != nil {
					return err
				}
			}
			return nil
		case ModeNew:
			// One page at a time, in order: the newest order seen moves with each page.
			return r.writePages(ctx, func(ctx context.Context, fn func([]shopifyapi.Order) error) error {
				return src.ListOrders(ctx, shopifyapi.ListOptions{Status: "any", SinceID: r.conn.NewestOrderID, Limit: im.pageSize()}, fn)
			}, 1)
		default:
			n, err := src.CountOrders(ctx, shopifyapi.ListOptions{Status: "any"})
			if err != nil {
				return err
			}
			r.setTotal(ctx, n)
			return r.writePages(ctx, func(ctx context.Context, fn func([]shopifyapi.Order) error) error {
				return src.ListOrders(ctx, shopifyapi.ListOptions{Status: "any", Limit: im.pageSize()}, fn)
			}, im.writers())
		}
	})
}

// writePages fetches pages while it writes earlier ones: list runs in a goroutine of its
// own and deals each page's orders out to writers goroutines, each writing its share of a
// page in a transaction of its own. The orders of one customer always go to the same
// writer, so writers never wait for each other's customers; they share only the stock
// levels and the run's counters, which a transaction locks just before it commits. At
// most 2×writers+1 shares of pages are in memory (being fetched, waiting, being written).
// The run's counts and progress move as shares are done, in the order they finish. An
// error of either side stops both; pages already fetched when listing fails are still
// written.
func (r *run) writePages(ctx context.Context, list func(context.Context, func([]shopifyapi.Order) error) error, writers int) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	shares := make([]chan []shopifyapi.Order, writers)
	for i := range shares {
		shares[i] = make(chan []shopifyapi.Order, 1)
	}
	var listErr error
	go func() {
		defer func() {
			for _, c := range shares {
				close(c)
			}
		}()
		seed := maphash.MakeSeed()
		listErr = list(ctx, func(p []shopifyapi.Order) error {
			for i, share := range deal(p, writers, seed) {
				if len(share) == 0 {
					continue
				}
				select {
				case shares[i] <- share:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			return nil
		})
	}()
	type written struct {
		rows []outcomeRow
		err  error
	}
	done := make(chan written)
	var wg sync.WaitGroup
	for _, share := range shares {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range share {
				rows, err := r.writePage(ctx, p)
				done <- written{rows, err}
			}
		}()
	}
	go func() {
		wg.Wait()
		close(done)
	}()
	var writeErr error
	for w := range done {
		switch {
		case w.err != nil && writeErr == nil:
			writeErr = w.err
			cancel()
		case w.err == nil:
			r.pageDone(w.rows)
		}
	}
	// Every writer is done, so the list goroutine has closed the shares and set listErr.
	if writeErr != nil {
		return writeErr
	}
	return listErr
}

// deal splits a page's orders into n shares, keeping their order within each share. The
// orders of one customer (by e-mail, whatever its case, else by Shopify customer id) land
// in the same share, as do two identical copies of one order. (Should two writers still
// meet on a row, one waits for the other, and an order both import is already_imported
// for the second, as with two runs.)
func deal(orders []shopifyapi.Order, n int, seed maphash.Seed) [][]shopifyapi.Order {
	if n <= 1 {
		return [][]shopifyapi.Order{orders}
	}
	share := make([]int, len(orders))
	sizes := make([]int, n)
	for i := range orders {
		o := &orders[i]
		var key string
		c, extID := customerOf(o)
		switch {
		case c != nil && c.Email != "":
			key = "e" + strings.ToLower(c.Email)
		case extID != 0:
			key = "c" + strconv.FormatInt(extID, 10)
		default:
			key = "o" + strconv.FormatInt(o.ID, 10)
		}
		share[i] = int(maphash.String(seed, key) % uint64(n))
		sizes[share[i]]++
	}
	// One array for all the shares, each a slice of it of its own size.
	all := make([]shopifyapi.Order, 0, len(orders))
	out := make([][]shopifyapi.Order, n)
	for k, size := range sizes {
		out[k], all = all[len(all):len(all):len(all)+size], all[:len(all)+size]
	}
	for i := range orders {
		out[share[i]] = append(out[share[i]], orders[i])
	}
	return out
}

// ImportOrders imports orders that arrived by other means than listing (a webhook, a file)
// as one run of mode ModeWebhook, by the same rules.
func (im *Importer) ImportOrders(ctx context.Context, connectionID int64, orders []shopifyapi.Order, opts RunOptions) (Summary, error) {
	opts.Mode = ModeWebhook
	if opts.Trigger == "" {
		opts.Trigger = TriggerWebhook
	}
	// The run is recorded with its total: there is nothing to count first.
	return im.run(ctx, connectionID, opts, len(orders), func(ctx context.Context, r *run) error {
		for start := 0; start < len(orders); start += im.pageSize() {
			if err := r.page(ctx, orders[start:min(start+im.pageSize(), len(orders))]); err != nil {
				return err
			}
		}
		return nil
	})
}

// ImportOrderIDs fetches orders by id and imports them as one run of mode ModeWebhook, by
// the same rules: what a webhook that carries only ids (orders/edited, refunds/create)
// needs, as the order stands now. An id listed twice is fetched once; an order Shopify no
// longer shows fails with why.
func (im *Importer) ImportOrderIDs(ctx context.Context, connectionID int64, ids []int64, opts RunOptions) (Summary, error) {
	opts.Mode = ModeWebhook
	if opts.Trigger == "" {
		opts.Trigger = TriggerWebhook
	}
	seen := map[int64]bool{}
	var unique []int64
	for _, id := range ids {
		if id > 0 && !seen[id] {
			seen[id] = true
			unique = append(unique, id)
		}
	}
	return im.run(ctx, connectionID, opts, len(unique), func(ctx context.Context, r *run) error {
		src, err := im.source(r.conn)
		if err != nil {
			return fmt.Errorf("connect to %s: %w", r.conn.Shop, err)
		}
		if cl, ok := src.(interface{ Close() }); ok {
			defer cl.Close()
		}
		page := make([]shopifyapi.Order, 0, len(unique))
		for _, id := range unique {
			o, err := src.GetOrder(ctx, id)
			switch {
			case errors.Is(err, shopifyapi.ErrNotFound):
				o = shopifyapi.Order{ID: id, DecodeErr: errors.New("Shopify no longer shows this order (older than 60 days, or deleted)")}
			case err != nil && o.ID == 0:
				return err
			case err != nil:
				o.DecodeErr = err
			}
			page = append(page, o)
		}
		return r.page(ctx, page)
	})
}

// run is one import run in progress.
type run struct {
	im       *Importer
	id       int64
	conn     Connection
	mode     Mode
	total    int
	seen     int
	counts   Counts
	progress func(Progress)
	cache    *runCache
	log      zerolog.Logger
	// graphql is set when the run reads orders through the GraphQL Admin API.
	graphql bool
	// started is when the run began, on the importer's clock.
	started time.Time
	// making is held by a page that may create products or customers without e-mail, from
	// its look-ups to its commit, so that two pages written at once never make the same
	// one twice. Pages that only use known ones do not take it.
	making sync.Mutex

	compareAll bool
	readAt     time.Time

	mu sync.Mutex // guards the fields below, which pages written at once share
	// newest is the largest order id the run has recorded.
	newest int64
	// updated is the newest update time of an order the run has recorded.
	updated time.Time
	// importedIDs are the orders this run has imported, so that an order listed twice
	// (pages shifting under new orders, duplicate webhooks) is already_imported the
	// second time.
	importedIDs map[int64]int64
}

func (im *Importer) run(ctx context.Context, connectionID int64, opts RunOptions, total int, body func(context.Context, *run) error) (Summary, error) {
	if opts.Trigger == "" {
		opts.Trigger = TriggerCLI
	}
	cs := ConnectionStore{Secrets: im.Secrets}
	// Enough to take the lock; it is loaded whole once the lock is held.
	conn, err := cs.byID(ctx, im.DB, connectionID)
	if err != nil {
		return Summary{}, err
	}
	if !conn.Enabled {
		return Summary{}, fmt.Errorf("%s: %w", conn.Shop, ErrDisconnected)
	}
	unlock, err := im.lock(ctx, conn, opts.Wait, opts.WaitFor, opts.Waiting)
	if err != nil {
		return Summary{}, err
	}
	defer unlock()
	// Reload: the newest seen order may have moved while another run held the lock.
	if conn, err = cs.ByID(ctx, im.DB, connectionID); err != nil {
		return Summary{}, err
	}
	log := im.logger().With().Str("shop", conn.Shop).Str("mode", string(opts.Mode)).Logger()
	r := &run{
		im: im, conn: conn, mode: opts.Mode, progress: opts.Progress, cache: newRunCache(), compareAll: opts.compareAll, readAt: opts.readAt,
		importedIDs: map[int64]int64{}, started: im.now(),
	}
	r.total = total
	if r.id, err = (RunLog{}).start(ctx, im.DB, conn.ID, opts.Mode, opts.Trigger, total, im.now()); err != nil {
		return Summary{}, err
	}
	r.log = log.With().Int64("run_id", r.id).Logger()
	r.log.Info().Msg("import started")
	if opts.Started != nil {
		opts.Started(r.id)
	}

	runErr := body(ctx, r)
	if runErr == nil && opts.Mode == ModeAll && r.newest > conn.NewestOrderID {
		runErr = rememberNewest(ctx, im.DB, conn.ID, r.newest)
	}

	status, msg := "finished", ""
	switch {
	case runErr != nil && ctx.Err() != nil:
		status, msg = "cancelled", "cancelled: "+runErr.Error()
	case runErr != nil:
		status, msg = "failed", runErr.Error()
	}
	// The run's row is closed even when ctx was cancelled, so it does not stay "running".
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := (RunLog{}).finish(fctx, im.DB, r.id, status, im.now(), msg); err != nil && runErr == nil {
		runErr = err
	}
	sum := Summary{RunID: r.id, Mode: opts.Mode, Seen: r.seen, Outcomes: r.counts, Shop: conn.Shop, Total: r.total}
	// The run's error is its caller's to report (it is returned); the log has the figures.
	r.log.Info().Int("seen", r.seen).Int("imported", r.counts.Imported).Int("failed", r.counts.Failed).Str("status", status).Msg("import ended")
	if runErr != nil {
		return sum, fmt.Errorf("import %s (run %d): %w", conn.Shop, r.id, runErr)
	}
	return sum, nil
}

// rememberNewest moves the connection's newest order seen up to newest.
func rememberNewest(ctx context.Context, q pg.Queryer, connectionID, newest int64) error {
	_, err := q.ExecContext(ctx, `UPDATE shopify_connections SET newest_order_id = greatest(newest_order_id, $2) WHERE id = $1`, connectionID, newest)
	if err != nil {
		return fmt.Errorf("remember the newest order: %w", err)
	}
	return nil
}

// lock takes the connection's import lock on a database connection of its own, held until
// the returned function is called (or the process dies, which releases it). With wait, a
// lock another run holds is waited for, after telling waiting (when set).
func (im *Importer) lock(ctx context.Context, c Connection, wait bool, waitFor time.Duration, waiting func()) (func(), error) {
	conn, err := im.DB.Connx(ctx)
	if err != nil {
		return nil, fmt.Errorf("lock import of %s: %w", c.Shop, err)
	}
	key := ImportLockKey(c.ID)
	var got bool
	if err := conn.GetContext(ctx, &got, `SELECT pg_try_advisory_lock($1)`, key); err != nil {
		conn.Close()
		return nil, fmt.Errorf("lock import of %s: %w", c.Shop, err)
	}
	if !got && !wait && waitFor > 0 {
		// A session lock taken in a transaction outlives it; lock_timeout is the
		// transaction's own, and gone with it whatever happens.
		err := func() error {
			tx, err := conn.BeginTxx(ctx, nil)
			if err != nil {
				return err
			}
			defer tx.Rollback()
			if _, err := tx.ExecContext(ctx, `SELECT set_config('lock_timeout', $1, true)`,
				strconv.FormatInt(max(waitFor.Milliseconds(), 1), 10)); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, key); err != nil {
				return err
			}
			return tx.Commit()
		}()
		if code, _ := pg.Constraint(err); err != nil && code != "55P03" { // lock_not_available
			conn.Close()
			return nil, fmt.Errorf("wait for the running import of %s: %w", c.Shop, err)
		}
		got = err == nil
	}
	if !got && !wait {
		conn.Close()
		return nil, fmt.Errorf("%w for %s", ErrImportRunning, c.Shop)
	}
	if !got {
		if waiting != nil {
			waiting()
		}
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, key); err != nil {
			conn.Close()
			return nil, fmt.Errorf("wait for the running import of %s: %w", c.Shop, err)
		}
	}
	return func() {
		uctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := conn.ExecContext(uctx, `SELECT pg_advisory_unlock($1)`, key); err != nil {
			// Closing the connection below releases the lock anyway; make sure it is not
			// returned to the pool still holding it.
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
		conn.Close()
	}, nil
}

// ImportLockKey is the PostgreSQL advisory lock key an import of the connection holds while
// it runs (visible in pg_locks as objid = connection id), for diagnostics and tests.
func ImportLockKey(connectionID int64) int64 { return int64(lockClassImport)<<32 | connectionID }

func (r *run) setTotal(ctx context.Context, n int) {
	r.total = n
	if err := (RunLog{}).setTotal(ctx, r.im.DB, r.id, n); err != nil {
		r.log.Warn().Err(err).Msg("record run total")
	}
}

// outcomeRow is one order's entry in the import log.
type outcomeRow struct {
	order   *shopifyapi.Order
	outcome Outcome
	reason  string
	saleID  int64
	draft   *draft
	// touchAt, when set, is Shopify's update time of the order now taken in, to record
	// with its sale.
	touchAt time.Time
	// recorded rows were logged and counted already (recordChange).
	recorded bool
}

// page gives every order of a page its outcome, records them and counts them.
func (r *run) page(ctx context.Context, orders []shopifyapi.Order) error {
	rows, err := r.writePage(ctx, orders)
	if err != nil {
		return err
	}
	r.pageDone(rows)
	return nil
}

// writePage gives every order of a page its outcome and records them. It may run for
// several pages at once.
func (r *run) writePage(ctx context.Context, orders []shopifyapi.Order) ([]outcomeRow, error) {
	if len(orders) == 0 {
		return nil, nil
	}
	now := r.im.now()
	existing, err := r.existingSales(ctx, orders)
	if err != nil {
		return nil, err
	}
	rows := make([]outcomeRow, len(orders))
	var drafts []int  // indexes of rows to import
	var changed []int // indexes of imported orders that may have changed since
	inPage := map[int64]bool{}
	for i := range orders {
		o := &orders[i]
		row := outcomeRow{order: o}
		if x, ok := existing[o.ID]; ok && o.ID != 0 {
			row.outcome, row.saleID = AlreadyImported, x.SaleID
			if o.DecodeErr == nil && (r.compareAll || changedSince(o, x)) {
				changed = append(changed, i)
			}
		} else if saleID, ok := r.importedSale(o.ID); ok && o.ID != 0 {
			row.outcome, row.saleID = AlreadyImported, saleID
		} else if inPage[o.ID] && o.ID != 0 {
			row.outcome, row.reason = AlreadyImported, "listed twice in one page"
		} else if o.DecodeErr != nil {
			row.outcome, row.reason = Failed, "cannot read the order: "+o.DecodeErr.Error()
		} else if o.ID <= 0 {
			row.outcome, row.reason = Failed, "the order has no id"
		} else if out, why := classify(o, r.conn, now); out != "" {
			row.outcome, row.reason = out, why
		} else if d, err := mapOrder(o, r.conn, r.conn.ShippingSKU); err != nil {
			row.outcome, row.reason = Failed, err.Error()
		} else {
			row.outcome, row.draft = Imported, d
			drafts = append(drafts, i)
			inPage[o.ID] = true
		}
		rows[i] = row
	}
	// Imported orders that changed since are recorded each in a transaction of their own
	// (they are few), before the page's.
	for _, i := range changed {
		if err := r.recordChange(ctx, &rows[i], now); err != nil {
			if ctx.Err() != nil {
				return nil, err
			}
			rows[i].outcome, rows[i].reason = NeedsReview, "recording Shopify's change failed: "+err.Error()
			continue
		}
		rows[i].recorded = true
	}

	if !r.im.PerOrder || len(drafts) == 0 {
		err := r.write(ctx, rows, drafts, now)
		if err == nil {
			return rows, nil
		}
		if ctx.Err() != nil {
			return nil, err
		}
		r.log.Warn().Err(err).Int("orders", len(orders)).Msg("page refused; importing its orders one by one")
	}
	// One transaction for the orders that are not imported, then one per order to import,
	// so that an order the database refuses fails alone and with its reason.
	var others []outcomeRow
	for _, row := range rows {
		if row.draft == nil {
			others = append(others, row)
		}
	}
	if err := r.write(ctx, others, nil, now); err != nil {
		return nil, err
	}
	for _, i := range drafts {
		one := []outcomeRow{rows[i]}
		err := r.write(ctx, one, []int{0}, now)
		if err == nil {
			rows[i] = one[0]
			continue
		}
		if ctx.Err() != nil {
			return nil, err
		}
		rows[i].draft, rows[i].outcome, rows[i].reason = nil, Failed, err.Error()
		if errors.Is(err, sales.ErrAlreadyImported) {
			rows[i].outcome, rows[i].reason = AlreadyImported, ""
		}
		if err := r.write(ctx, rows[i:i+1], nil, now); err != nil {
			return nil, err
		}
	}
	return rows, nil
}

// importedSale returns the sale this run has imported order id as, if it has.
func (r *run) importedSale(id int64) (int64, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	saleID, ok := r.importedIDs[id]
	return saleID, ok
}

// pageDone counts a written page and reports the run's progress.
func (r *run) pageDone(rows []outcomeRow) {
	r.mu.Lock()
	for _, row := range rows {
		if row.outcome == Imported {
			r.importedIDs[row.order.ID] = row.saleID
		}
	}
	r.mu.Unlock()
	for _, row := range rows {
		r.seen++
		r.counts.Add(row.outcome)
		if row.outcome == Failed {
			r.log.Warn().Int64("order_id", row.order.ID).Str("order_name", row.order.Name).Str("reason", row.reason).Msg("order failed")
		}
	}
	r.report(Progress{})
}

// report calls the run's progress callback with p and the run's figures.
func (r *run) report(p Progress) {
	if r.progress == nil {
		return
	}
	p.RunID, p.Shop, p.Mode, p.Total, p.Seen, p.Outcomes = r.id, r.conn.Shop, r.mode, r.total, r.seen, r.counts
	r.progress(p)
}

// write records rows in one transaction: the sales of rows[i] for i in importIdx (with the
// products and customers they need), every row's outcome in the import log, the stock
// their lines move, the run's counters and the newest order seen. The rows' sale ids are
// filled in on success.
func (r *run) write(ctx context.Context, rows []outcomeRow, importIdx []int, now time.Time) error {
	if len(rows) == 0 {
		return nil
	}
	ds := make([]*draft, len(importIdx))
	for k, i := range importIdx {
		ds[k] = rows[i].draft
	}
	if len(ds) > 0 && !r.cache.knowsAll(ds) {
		r.making.Lock()
		defer r.making.Unlock()
	}
	ct := r.cache.begin()
	var newest int64
	var updated time.Time
	err := pg.WithTx(ctx, r.im.DB, func(tx *sqlx.Tx) error {
		// An import does not wait for its pages to reach the disk: if the database server
		// itself crashes, the last pages are lost whole (sales, stock and outcomes
		// together) and the next run imports those orders again from Shopify.
		if _, err := tx.ExecContext(ctx, `SET LOCAL synchronous_commit = off`); err != nil {
			return fmt.Errorf("import page: %w", err)
		}
		var moves []inventory.Movement
		if len(ds) > 0 {
			ids, mv, err := r.importSales(ctx, tx, ds, ct, now)
			if err != nil {
				return err
			}
			for k, i := range importIdx {
				rows[i].saleID = ids[k]
			}
			moves = mv
		}
		logged := rows
		if slices.ContainsFunc(rows, func(row outcomeRow) bool { return row.recorded }) {
			logged = slices.DeleteFunc(slices.Clone(rows), func(row outcomeRow) bool { return row.recorded })
		}
		if err := (RunLog{}).record(ctx, tx, r.id, r.conn.ID, logged); err != nil {
			return err
		}
		touch := map[int64]time.Time{}
		for _, row := range logged {
			if !row.touchAt.IsZero() && row.order.ID > 0 {
				touch[row.order.ID] = row.touchAt
			}
		}
		if err := (sales.Store{}).SetExternalUpdatedAt(ctx, tx, Channel, r.conn.Shop, touch); err != nil {
			return err
		}
		// Last, the rows a page shares with pages written at the same time: the stock levels
		// of the products sold and the run's counters, locked from here to the commit.
		if _, err := (inventory.Store{}).ApplyMovements(ctx, tx, moves); err != nil {
			return err
		}
		var c Counts
		updated = time.Time{}
		for _, row := range rows {
			if !row.recorded {
				c.Add(row.outcome)
			}
			newest = max(newest, row.order.ID)
			if row.order.UpdatedAt.After(updated) {
				updated = row.order.UpdatedAt
			}
		}
		// A Get new through GraphQL reads by ascending update time, one page at a time: the
		// high-water mark moves with each page.
		if r.graphql && r.mode == ModeNew && !updated.IsZero() {
			if err := rememberUpdated(ctx, tx, r.conn.ID, updated); err != nil {
				return err
			}
		}
		if err := (RunLog{}).count(ctx, tx, r.id, c); err != nil {
			return err
		}
		// Only a "new" run, which reads orders by ascending id one page at a time, has seen
		// every order below the newest of its page. A "get all" run (newest first) remembers
		// its newest order when it ends well; webhooks and retries may skip orders and never
		// move it.
		if newest > r.conn.NewestOrderID && r.mode == ModeNew {
			return rememberNewest(ctx, tx, r.conn.ID, newest)
		}
		return nil
	})
	if err != nil {
		return err
	}
	ct.commit()
	r.mu.Lock()
	r.newest = max(r.newest, newest)
	if updated.After(r.updated) {
		r.updated = updated
	}
	r.mu.Unlock()
	return nil
}

// importSales records the sales of ds in tx: it resolves their products (inventory) and
// customers (sales), the register's open session (register) and the payment types, and
// records the sales with their lines, taxes and payments (sales). It returns the sale ids,
// in order, and the stock movements of their lines, for the caller to apply.
func (r *run) importSales(ctx context.Context, tx *sqlx.Tx, ds []*draft, ct *cacheTx, now time.Time) ([]int64, []inventory.Movement, error) {
	c := r.conn
	// The register's open session, shared-locked so that it cannot close while these sales
	// are counted into it.
	var sess *register.Session
	open, err := register.Store{}.ShareCurrentSession(ctx, tx, c.RegisterID)
	switch {
	case err == nil:
		sess = &open
	case !errors.Is(err, register.ErrNoOpenSession):
		return nil, nil, err
	}
	if err := resolveProducts(ctx, tx, c, ds, ct); err != nil {
		return nil, nil, err
	}
	custIDs, err := resolveCustomers(ctx, tx, c, ds, ct)
	if err != nil {
		return nil, nil, err
	}
	batch := make([]sales.NewSale, len(ds))
	for i, d := range ds {
		s := d.sale
		if sess != nil {
			s.SessionID = &sess.ID
		}
		if custIDs[i] != 0 {
			s.CustomerID = &custIDs[i]
		}
		lines := make([]sales.Line, 0, len(d.lines))
		for j := range d.lines {
			if !d.lines[j].omit {
				lines = append(lines, d.lines[j].Line)
			}
		}
		ns := sales.NewSale{Sale: s, Lines: lines, External: &sales.External{Channel: Channel, Shop: c.Shop, ID: d.order.ID, UpdatedAt: d.order.UpdatedAt}}
		if d.collected.IsPositive() {
			// Payment types are looked up (or made) once a run, not once a page.
			typeID, ok := ct.payType(d.payType)
			if !ok {
				pt, err := (sales.Store{}).EnsurePaymentType(ctx, tx, d.payType)
				if err != nil {
					return nil, nil, err
				}
				typeID, ct.pendingT[d.payType] = pt.ID, pt.ID
			}
			p := sales.Payment{
				PaymentTypeID: typeID, Amount: d.collected, PaidAt: d.paidAt, RegisterID: c.RegisterID,
				RecordedBy: "shopify import", Source: sales.SourceShopify,
			}
			// A payment counts in the open session only when it was made while it was open.
			if sess != nil && !d.paidAt.Before(sess.OpenedAt) && !d.paidAt.After(now) {
				p.SessionID = &sess.ID
			}
			ns.Payments = []sales.Payment{p}
		}
		batch[i] = ns
	}
	created, err := (sales.Store{}).CreateSales(ctx, tx, batch)
	if err != nil {
		return nil, nil, err
	}
	// A sale imported as the order stood already reflects the refunds made before: they
	// are never recorded again.
	known := map[int64][]int64{}
	for _, d := range ds {
		for _, rf := range d.order.Refunds {
			if rf.ID != 0 {
				known[d.order.ID] = append(known[d.order.ID], rf.ID)
			}
		}
	}
	if err := (sales.Store{}).SetKnownRefunds(ctx, tx, Channel, c.Shop, known); err != nil {
		return nil, nil, err
	}
	var moves []inventory.Movement
	ids := make([]int64, len(ds))
	for i, d := range ds {
		ids[i] = created[i].SaleID
		k := 0 // the line's index among the sale's lines
		for _, l := range d.lines {
			if l.Kind == sales.KindProduct && l.productTracks && !l.omit {
				moves = append(moves, inventory.Movement{
					ProductID: *l.ProductID, OutletID: c.OutletID, Delta: -l.Quantity, Reason: inventory.ReasonSale,
					SaleLineID: created[i].LineIDs[k], Note: "Shopify order " + d.sale.ReceiptNumber,
				})
			}
			if l.Kind == sales.KindProduct && l.productTracks && l.leftUnsold > 0 {
				// Refunded in Shopify without restock before the import: gone from the shop
				// though not sold. The sale is recorded once, so is this.
				moves = append(moves, inventory.Movement{
					ProductID: *l.ProductID, OutletID: c.OutletID, Delta: -l.leftUnsold, Reason: inventory.ReasonAdjustment,
					Note: "Shopify order " + d.sale.ReceiptNumber + ": refunded without restock before import",
				})
			}
			if !l.omit {
				k++
			}
		}
	}
	return ids, moves, nil
}

// resolveProducts gives every product line of ds its POS product: the run's cache knows
// the products of variants (and of SKUs without variant) an earlier page met; inventory
// finds or makes the others (see inventory.Store.ResolveProducts).
func resolveProducts(ctx context.Context, tx *sqlx.Tx, c Connection, ds []*draft, ct *cacheTx) error {
	var lines, unknown []*lineDraft
	var keys []inventory.ProductKey
	for _, d := range ds {
		for j := range d.lines {
			l := &d.lines[j]
			if l.Kind != sales.KindProduct {
				continue
			}
			lines = append(lines, l)
			// A variant is looked up before its SKU: a variant the cache does not know goes to
			// inventory even when its SKU is known.
			if ref, ok := ct.variant(l.variantID); ok && l.variantID != 0 {
				l.setProduct(ref)
				continue
			}
			if ref, ok := ct.sku(skuKey(l.SKU)); ok && l.variantID == 0 && l.SKU != "" {
				l.setProduct(ref)
				continue
			}
			unknown = append(unknown, l)
			keys = append(keys, inventory.ProductKey{
				VariantID: l.variantID, ProductID: l.productID, SKU: l.SKU,
				Name: l.Title, VariantTitle: l.VariantTitle, Price: l.UnitPrice, TracksStock: l.tracks,
			})
		}
	}
	if len(unknown) > 0 {
		refs, err := (inventory.Store{}).ResolveProducts(ctx, tx, Channel, c.Shop, keys)
		if err != nil {
			return err
		}
		for i, l := range unknown {
			l.setProduct(refs[i])
		}
	}
	for _, l := range lines {
		ref := inventory.ProductRef{ID: *l.ProductID, TracksStock: l.productTracks}
		if l.variantID != 0 {
			ct.pendingV[l.variantID] = ref
		}
		if l.SKU != "" {
			ct.pendingS[skuKey(l.SKU)] = ref
		}
	}
	return nil
}

// resolveCustomers gives every draft its customer (0 for a draft naming nobody): the run's
// cache knows the customers of e-mail addresses an earlier page met and the Shopify
// customer ids already remembered; sales finds, makes and links the others (see
// sales.Store.ResolveCustomers).
func resolveCustomers(ctx context.Context, tx *sqlx.Tx, c Connection, ds []*draft, ct *cacheTx) ([]int64, error) {
	out := make([]int64, len(ds))
	var refs []sales.CustomerRef
	var of []int // the draft of each ref
	for i, d := range ds {
		if d.customer == nil {
			continue
		}
		ref := sales.CustomerRef{Customer: *d.customer, ExternalID: d.custExtID, Linked: d.custExtID != 0 && ct.linked(d.custExtID)}
		if d.customer.Email != "" {
			// Saved earlier in this run: its details were filled in then.
			ref.ID, _ = ct.customer(strings.ToLower(d.customer.Email))
		}
		refs, of = append(refs, ref), append(of, i)
	}
	if len(refs) == 0 {
		return out, nil
	}
	ids, err := (sales.Store{}).ResolveCustomers(ctx, tx, Channel, c.Shop, refs)
	if err != nil {
		return nil, err
	}
	for k, ref := range refs {
		out[of[k]] = ids[k]
		if ref.Customer.Email != "" {
			ct.pendingE[strings.ToLower(ref.Customer.Email)] = ids[k]
		}
		if ref.ExternalID != 0 {
			ct.pendingL[ref.ExternalID] = true
		}
	}
	return out, nil
}

// existingSales returns the sales already recorded for the page's orders, by order id.
func (r *run) existingSales(ctx context.Context, orders []shopifyapi.Order) (map[int64]sales.ExternalSale, error) {
	ids := make([]int64, 0, len(orders))
	for _, o := range orders {
		if o.ID > 0 {
			ids = append(ids, o.ID)
		}
	}
	return (sales.Store{}).ExternalSales(ctx, r.im.DB, Channel, r.conn.Shop, ids)
}

// setProduct gives the line its POS product.
func (l *lineDraft) setProduct(p inventory.ProductRef) {
	id := p.ID
	l.ProductID, l.productTracks = &id, p.TracksStock
}
