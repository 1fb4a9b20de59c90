package shopify

import (
	"bytes"
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"hash/maphash"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/rs/zerolog"

	"github.com/kassa-pos/kassa/internal/jsonpack"
	"github.com/kassa-pos/kassa/internal/pg"
	"github.com/kassa-pos/kassa/internal/secret"
	"github.com/kassa-pos/kassa/inventory"
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
	}
}

// Total is the number of orders counted.
func (c Counts) Total() int {
	return c.Imported + c.AlreadyImported + c.TooOld + c.NoShippingMethod + c.TestOrder + c.Cancelled + c.Failed
}

func (c *Counts) merge(o Counts) {
	c.Imported += o.Imported
	c.AlreadyImported += o.AlreadyImported
	c.TooOld += o.TooOld
	c.NoShippingMethod += o.NoShippingMethod
	c.TestOrder += o.TestOrder
	c.Cancelled += o.Cancelled
	c.Failed += o.Failed
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
	// Progress, when set, is called after every page (from the run's goroutine).
	Progress func(Progress)
	// Started, when set, is called with the run's id as soon as the run is recorded,
	// before any order is fetched (from the run's goroutine).
	Started func(runID int64)
}

// Importer imports Shopify orders into the POS database. It is safe for concurrent use;
// runs of one connection exclude each other through the database.
type Importer struct {
	DB *sqlx.DB
	// Clock is the time used for the 60-day rule, the run's times and the session window;
	// default time.Now.
	Clock func() time.Time
	// Logger receives the run's log; default: none. Secrets are never logged.
	Logger *zerolog.Logger
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

func (im *Importer) now() time.Time {
	if im.Clock != nil {
		return im.Clock()
	}
	return time.Now()
}

func (im *Importer) logger() zerolog.Logger {
	if im.Logger != nil {
		return im.Logger.With().Str("component", "import").Logger()
	}
	return zerolog.Nop()
}

func (im *Importer) source(c Connection) (Source, error) {
	if im.NewSource != nil {
		return im.NewSource(c)
	}
	if c.AccessToken == "" && c.ClientSecret == "" {
		return nil, fmt.Errorf("cannot read the Shopify credentials of %s: the importer was given no secret key", c.Shop)
	}
	cl, err := ConnectionStore{Secrets: im.Secrets}.OpenClient(c, ClientOptions{DB: im.DB, Clock: im.Clock, Logger: im.Logger})
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
	return im.run(ctx, connectionID, opts, func(ctx context.Context, r *run) error {
		src, err := im.source(r.conn)
		if err != nil {
			return fmt.Errorf("connect to %s: %w", r.conn.Shop, err)
		}
		if cl, ok := src.(interface{ Close() }); ok {
			defer cl.Close()
		}
		switch opts.Mode {
		case ModeRetry:
			ids, err := im.failedOrders(ctx, r.conn.ID)
			if err != nil {
				return err
			}
			r.setTotal(ctx, len(ids))
			for start := 0; start < len(ids); start += im.pageSize() {
				chunk := ids[start:min(start+im.pageSize(), len(ids))]
				page := make([]shopifyapi.Order, 0, len(chunk))
				for _, id := range chunk {
					o, err := src.GetOrder(ctx, id)
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
	return im.run(ctx, connectionID, opts, func(ctx context.Context, r *run) error {
		r.setTotal(ctx, len(orders))
		for start := 0; start < len(orders); start += im.pageSize() {
			if err := r.page(ctx, orders[start:min(start+im.pageSize(), len(orders))]); err != nil {
				return err
			}
		}
		return nil
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
	products *runCache
	log      zerolog.Logger
	// making is held by a page that may create products or customers without e-mail, from
	// its look-ups to its commit, so that two pages written at once never make the same
	// one twice. Pages that only use known ones do not take it.
	making sync.Mutex

	mu sync.Mutex // guards the fields below, which pages written at once share
	// newest is the largest order id the run has recorded.
	newest int64
	// importedIDs are the orders this run has imported, so that an order listed twice
	// (pages shifting under new orders, duplicate webhooks) is already_imported the
	// second time.
	importedIDs map[int64]int64
}

func (im *Importer) run(ctx context.Context, connectionID int64, opts RunOptions, body func(context.Context, *run) error) (Summary, error) {
	if opts.Trigger == "" {
		opts.Trigger = TriggerCLI
	}
	cs := ConnectionStore{Secrets: im.Secrets}
	conn, err := cs.ByID(ctx, im.DB, connectionID)
	if err != nil {
		return Summary{}, err
	}
	if !conn.Enabled {
		return Summary{}, fmt.Errorf("%s: %w", conn.Shop, ErrDisconnected)
	}
	unlock, err := im.lock(ctx, conn, opts.Wait)
	if err != nil {
		return Summary{}, err
	}
	defer unlock()
	// Reload: the newest seen order may have moved while another run held the lock.
	if conn, err = cs.ByID(ctx, im.DB, connectionID); err != nil {
		return Summary{}, err
	}
	log := im.logger().With().Str("shop", conn.Shop).Str("mode", string(opts.Mode)).Logger()
	started := im.now()
	r := &run{
		im: im, conn: conn, mode: opts.Mode, progress: opts.Progress, products: newRunCache(),
		importedIDs: map[int64]int64{},
	}
	err = pg.WithTx(ctx, im.DB, func(tx *sqlx.Tx) error {
		// Holding the lock, no other run of this connection is alive: a run still marked
		// running was cut short (killed process, lost database connection).
		_, err := tx.ExecContext(ctx, `UPDATE import_runs SET status = 'failed', finished_at = $2,
			error = 'interrupted: the process stopped before the run finished'
			WHERE connection_id = $1 AND status = 'running'`, conn.ID, started)
		if err != nil {
			return fmt.Errorf("close interrupted runs: %w", err)
		}
		return sqlx.GetContext(ctx, tx, &r.id, `
			INSERT INTO import_runs (connection_id, mode, trigger, started_at) VALUES ($1, $2, $3, $4) RETURNING id`,
			conn.ID, string(opts.Mode), opts.Trigger, started)
	})
	if err != nil {
		return Summary{}, fmt.Errorf("start import run: %w", err)
	}
	r.log = log.With().Int64("run_id", r.id).Logger()
	r.log.Info().Msg("import started")
	if opts.Started != nil {
		opts.Started(r.id)
	}

	runErr := body(ctx, r)
	if runErr == nil && opts.Mode == ModeAll && r.newest > conn.NewestOrderID {
		_, err := im.DB.ExecContext(ctx, `UPDATE shopify_connections SET newest_order_id = greatest(newest_order_id, $2) WHERE id = $1`, conn.ID, r.newest)
		if err != nil {
			runErr = fmt.Errorf("remember the newest order: %w", err)
		}
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
	if _, err := im.DB.ExecContext(fctx, `UPDATE import_runs SET status = $2, finished_at = $3, error = $4 WHERE id = $1`,
		r.id, status, im.now(), pg.Text(msg)); err != nil && runErr == nil {
		runErr = fmt.Errorf("finish import run: %w", err)
	}
	sum := Summary{RunID: r.id, Mode: opts.Mode, Seen: r.seen, Outcomes: r.counts, Shop: conn.Shop, Total: r.total}
	ev := r.log.Info()
	if runErr != nil {
		ev = r.log.Error().Err(runErr)
	}
	ev.Int("seen", r.seen).Int("imported", r.counts.Imported).Int("failed", r.counts.Failed).Str("status", status).Msg("import ended")
	if runErr != nil {
		return sum, fmt.Errorf("import %s (run %d): %w", conn.Shop, r.id, runErr)
	}
	return sum, nil
}

// lock takes the connection's import lock on a database connection of its own, held until
// the returned function is called (or the process dies, which releases it).
func (im *Importer) lock(ctx context.Context, c Connection, wait bool) (func(), error) {
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
	if !got && !wait {
		conn.Close()
		return nil, fmt.Errorf("%w for %s", ErrImportRunning, c.Shop)
	}
	if !got {
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
	if _, err := r.im.DB.ExecContext(ctx, `UPDATE import_runs SET total = $2 WHERE id = $1`, r.id, n); err != nil {
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
	var drafts []int // indexes of rows to import
	inPage := map[int64]bool{}
	for i := range orders {
		o := &orders[i]
		row := outcomeRow{order: o}
		if saleID, ok := existing[o.ID]; ok && o.ID != 0 {
			row.outcome, row.saleID = AlreadyImported, saleID
		} else if saleID, ok := r.importedSale(o.ID); ok && o.ID != 0 {
			row.outcome, row.saleID = AlreadyImported, saleID
		} else if inPage[o.ID] && o.ID != 0 {
			row.outcome, row.reason = AlreadyImported, "listed twice in one page"
		} else if o.DecodeErr != nil {
			row.outcome, row.reason = Failed, "cannot read the order: "+o.DecodeErr.Error()
		} else if o.ID <= 0 {
			row.outcome, row.reason = Failed, "the order has no id"
		} else if out, why := classify(o, r.conn.ImportTestOrders, now); out != "" {
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
	if r.progress != nil {
		r.progress(Progress{RunID: r.id, Shop: r.conn.Shop, Mode: r.mode, Total: r.total, Seen: r.seen, Outcomes: r.counts})
	}
}

// write records rows in one transaction: the sales of rows[i] for i in importIdx, every
// row's outcome, the stock their lines move, the run's counters and the newest order
// seen. The rows' sale ids are filled in on success.
func (r *run) write(ctx context.Context, rows []outcomeRow, importIdx []int, now time.Time) error {
	if len(rows) == 0 {
		return nil
	}
	ds := make([]*draft, len(importIdx))
	for k, i := range importIdx {
		ds[k] = rows[i].draft
	}
	if len(ds) > 0 && !r.products.knowsAll(ds) {
		r.making.Lock()
		defer r.making.Unlock()
	}
	pc := r.products.begin()
	var newest int64
	err := pg.WithTx(ctx, r.im.DB, func(tx *sqlx.Tx) error {
		// An import does not wait for its pages to reach the disk: if the database server
		// itself crashes, the last pages are lost whole (sales, stock and outcomes
		// together) and the next run imports those orders again from Shopify.
		if _, err := tx.ExecContext(ctx, `SET LOCAL synchronous_commit = off`); err != nil {
			return fmt.Errorf("import page: %w", err)
		}
		var moves []inventory.Movement
		if len(ds) > 0 {
			ids, mv, err := r.im.writeDrafts(ctx, tx, r.conn, ds, pc, now)
			if err != nil {
				return err
			}
			for k, i := range importIdx {
				rows[i].saleID = ids[k]
			}
			moves = mv
		}
		if err := r.copyOutcomes(ctx, tx, rows); err != nil {
			return err
		}
		// Last, the rows a page shares with pages written at the same time: the stock levels
		// of the products sold and the run's counters, locked from here to the commit.
		if _, err := (inventory.Store{}).ApplyMovements(ctx, tx, moves); err != nil {
			return err
		}
		var err error
		newest, err = r.countOutcomes(ctx, tx, rows)
		return err
	})
	if err != nil {
		return err
	}
	pc.commit()
	r.mu.Lock()
	r.newest = max(r.newest, newest)
	r.mu.Unlock()
	return nil
}

// copyOutcomes records the outcome of every row in the import log, with the JSON of the
// orders it does not already hold, packed together in one compressed frame.
func (r *run) copyOutcomes(ctx context.Context, tx *sqlx.Tx, rows []outcomeRow) error {
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
			r.id, p.Frame(), p.Len()).Scan(&frameID)
		if err != nil {
			return fmt.Errorf("record the orders' JSON: %w", err)
		}
	}
	// COPY: PostgreSQL reads its rows as they stream in, without parsing a statement and its
	// array parameters first.
	stmt, err := tx.PrepareContext(ctx, pq.CopyIn("import_outcomes",
		"run_id", "connection_id", "shopify_order_id", "order_name", "outcome", "reason", "sale_id",
		"json_id", "json_offset", "json_length"))
	if err != nil {
		return fmt.Errorf("record outcomes: %w", err)
	}
	defer stmt.Close()
	for i, row := range rows {
		reason := pg.Text(row.reason)
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
		if _, err := stmt.ExecContext(ctx, r.id, r.conn.ID, row.order.ID, pg.Text(row.order.Name), string(row.outcome), reason, saleID,
			jsonID, offset, length); err != nil {
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

// countOutcomes adds the rows' outcomes to the run's counters and, in a "new" run, moves
// the connection's newest order seen. It returns the largest order id of rows.
func (r *run) countOutcomes(ctx context.Context, tx *sqlx.Tx, rows []outcomeRow) (int64, error) {
	var (
		c      Counts
		newest int64
	)
	for _, row := range rows {
		c.Add(row.outcome)
		newest = max(newest, row.order.ID)
	}
	_, err := tx.ExecContext(ctx, `
		UPDATE import_runs SET seen = seen + $2, imported = imported + $3, already_imported = already_imported + $4,
			too_old = too_old + $5, no_shipping_method = no_shipping_method + $6, test_order = test_order + $7,
			cancelled = cancelled + $8, failed = failed + $9
		WHERE id = $1`,
		r.id, len(rows), c.Imported, c.AlreadyImported, c.TooOld, c.NoShippingMethod, c.TestOrder, c.Cancelled, c.Failed)
	if err != nil {
		return 0, fmt.Errorf("count outcomes: %w", err)
	}
	// Only a "new" run, which reads orders by ascending id one page at a time, has seen
	// every order below the newest of its page. A "get all" run (newest first) remembers
	// its newest order when it ends well; webhooks and retries may skip orders and never
	// move it.
	if newest > r.conn.NewestOrderID && r.mode == ModeNew {
		_, err = tx.ExecContext(ctx, `UPDATE shopify_connections SET newest_order_id = greatest(newest_order_id, $2) WHERE id = $1`, r.conn.ID, newest)
		if err != nil {
			return 0, fmt.Errorf("remember the newest order: %w", err)
		}
	}
	return newest, nil
}

// existingSales returns the sales already recorded for the page's orders, by order id.
func (r *run) existingSales(ctx context.Context, orders []shopifyapi.Order) (map[int64]int64, error) {
	ids := make([]int64, 0, len(orders))
	for _, o := range orders {
		if o.ID > 0 {
			ids = append(ids, o.ID)
		}
	}
	var rows []struct {
		OrderID int64 `db:"external_id"`
		SaleID  int64 `db:"sale_id"`
	}
	// One index probe per order, whatever the planner believes of the table's size: with
	// statistics from when it was small (an import outruns autovacuum) it would otherwise
	// read every order of the shop for each page.
	err := sqlx.SelectContext(ctx, r.im.DB, &rows, `
		SELECT k.id AS external_id, x.sale_id
		FROM unnest($3::bigint[]) AS k(id)
		CROSS JOIN LATERAL (
			SELECT sale_id FROM sale_external_ids x WHERE x.channel = $1 AND x.shop = $2 AND x.external_id = k.id LIMIT 1) x`,
		Channel, r.conn.Shop, pq.Array(ids))
	if err != nil {
		return nil, fmt.Errorf("look up imported orders: %w", err)
	}
	out := make(map[int64]int64, len(rows))
	for _, row := range rows {
		out[row.OrderID] = row.SaleID
	}
	return out, nil
}

// failedOrders lists the orders of the connection whose latest outcome is failed.
func (im *Importer) failedOrders(ctx context.Context, connectionID int64) ([]int64, error) {
	var ids []int64
	err := sqlx.SelectContext(ctx, im.DB, &ids, `
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
