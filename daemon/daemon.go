package daemon

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/zerolog"
	"github.com/sourcegraph/conc/pool"

	"github.com/kassa-pos/kassa/internal/secret"
	"github.com/kassa-pos/kassa/migrations"
	"github.com/kassa-pos/kassa/sync/shopify"
)

// Config is the daemon's configuration. Zero fields take the defaults named.
type Config struct {
	// Addr is where the HTTP server listens; default 127.0.0.1:8080.
	Addr string
	// NightlyAt is the local time of day ("23:55", the default) each outlet's nightly
	// report is written, in the outlet's time zone.
	NightlyAt string
	// NightlyCatchUpDays is how many days back a nightly report missed while no daemon ran
	// is still written at start; default 7.
	NightlyCatchUpDays int
	// NightlyEvery is how often the nightly scheduler (and the reconciliation's) looks at
	// the clock; default 1 minute.
	NightlyEvery time.Duration
	// ReconcileAt is the local time of day ("03:30") each enabled Shopify connection's
	// nightly reconciliation runs, in its outlet's time zone. Empty or "off" runs none:
	// unlike the other fields its zero value is not its default, which is kassa serve's
	// (--reconcile-at 03:30), so that a daemon built for one purpose compares no orders
	// on its own.
	ReconcileAt string
	// ReconcileDays is the reconciliation's window: the orders created in the last
	// ReconcileDays days; default 7.
	ReconcileDays int
	// PollEvery is how often the poller checks which connections are due for their poll
	// (each connection's own interval decides); default 10 seconds.
	PollEvery time.Duration
	// WebhookEvery is how often the webhook worker looks for due deliveries besides being
	// woken by new ones (retries, deliveries another instance accepted); default 1 second.
	WebhookEvery time.Duration
	// WebhookBatch is how many deliveries a worker claims at once; default 250.
	WebhookBatch int
	// WebhookFillWait is how long the worker, woken by a new delivery, waits for more to
	// arrive before it claims them, so that a burst is imported in few runs; default 20 ms.
	WebhookFillWait time.Duration
	// WebhookStoreConns is how many database connections the webhook receivers use at most
	// to store deliveries (each writes a batch of up to WebhookStoreBatch in one commit);
	// the rest of the pool is left to the worker and the API. Default 4.
	WebhookStoreConns int
	// WebhookStoreBatch is how many deliveries one commit stores at most; default 256.
	WebhookStoreBatch int
	// WebhookMaxPending bounds the bytes of the delivery bodies read and checked that wait
	// for their batch's commit (a reader is free again once its body is checked); a
	// delivery beyond it is answered 503. Default 4 MiB: about 900 orders of 4.4 KB, each
	// waiting with its connection's buffers, which under overload bound the memory more than
	// the bodies do.
	WebhookMaxPending int64
	// WebhookRetryBase is the wait before retrying a delivery that failed, doubled on every
	// further failure up to WebhookRetryMax; defaults 5 seconds and 30 minutes.
	WebhookRetryBase, WebhookRetryMax time.Duration
	// WebhookMaxAttempts is how often a failing delivery is tried before it is given up
	// (kept, with its error, for an operator); default 12.
	WebhookMaxAttempts int
	// WebhookRetention is how long processed deliveries are kept (and repeats of them
	// recognised); default 30 days.
	WebhookRetention time.Duration
	// WebhookMaxBody caps a webhook's body; default 2 MiB (a larger one is answered 413).
	WebhookMaxBody int64
	// WebhookMaxReaders is how many webhook deliveries are read and checked at once; one
	// beyond it is answered 503 at once (Shopify sends it again later). Default 64. Bodies
	// being read hold at most WebhookMaxReaders × WebhookMaxBody of memory, and those
	// waiting to be stored at most WebhookMaxPending more.
	WebhookMaxReaders int
	// WebhookReadTimeout is how long a webhook's body may take to arrive once its headers
	// are in; a slower sender is cut off (408). Default 10 seconds.
	WebhookReadTimeout time.Duration
	// APIMaxBody caps an API request's body; default 64 KiB.
	APIMaxBody int64
	// ShutdownTimeout bounds how long in-flight HTTP requests may take to finish at
	// shutdown; default 10 seconds.
	ShutdownTimeout time.Duration
	// PublicURL is the address Shopify reaches the daemon at (https://host): every enabled
	// connection is subscribed to the daemon's webhook topics at PublicURL/webhooks/shopify.
	// Empty, the public URL each connection was connected with is used; a connection without
	// one relies on the polling backstop.
	PublicURL string
	// WebhookCheckEvery is how often the webhook subscriptions are checked (and created
	// again when Shopify deleted them); default 15 minutes.
	WebhookCheckEvery time.Duration
	// StockPushEvery is how often the stock pushers look at the connections again (to
	// start or stop one); default 5 seconds. StockPushIdle is how often an empty push queue
	// is looked at; default 200 milliseconds. StockPushLease is how long a pusher's claim
	// holds its queue rows (after a crash, another daemon takes them over after it);
	// default 30 seconds.
	StockPushEvery, StockPushIdle, StockPushLease time.Duration
}

// ParseTimeOfDay reads "23:55" into hour and minute.
func ParseTimeOfDay(s string) (hour, minute int, err error) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	hour, err1 := strconv.Atoi(h)
	minute, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || hour < 0 || hour > 23 || minute < 0 || minute > 59 || len(m) != 2 {
		return 0, 0, fmt.Errorf("time of day %q: want HH:MM, e.g. 23:55", s)
	}
	return hour, minute, nil
}

func (c Config) withDefaults() Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if c.Addr == "" {
		c.Addr = "127.0.0.1:8080"
	}
	if c.NightlyAt == "" {
		c.NightlyAt = "23:55"
	}
	if c.NightlyCatchUpDays <= 0 {
		c.NightlyCatchUpDays = 7
	}
	if c.ReconcileDays <= 0 {
		c.ReconcileDays = 7
	}
	def(&c.NightlyEvery, time.Minute)
	def(&c.PollEvery, 10*time.Second)
	def(&c.WebhookEvery, time.Second)
	def(&c.WebhookRetryBase, 5*time.Second)
	def(&c.WebhookRetryMax, 30*time.Minute)
	def(&c.ShutdownTimeout, 10*time.Second)
	def(&c.WebhookRetention, 30*24*time.Hour)
	if c.WebhookBatch <= 0 {
		c.WebhookBatch = 250
	}
	def(&c.WebhookFillWait, 20*time.Millisecond)
	if c.WebhookStoreConns <= 0 {
		c.WebhookStoreConns = 4
	}
	if c.WebhookStoreBatch <= 0 {
		c.WebhookStoreBatch = 256
	}
	if c.WebhookMaxPending <= 0 {
		c.WebhookMaxPending = 4 << 20
	}
	if c.WebhookMaxAttempts <= 0 {
		c.WebhookMaxAttempts = 12
	}
	if c.WebhookMaxBody <= 0 {
		c.WebhookMaxBody = 2 << 20
	}
	if c.WebhookMaxReaders <= 0 {
		c.WebhookMaxReaders = 64
	}
	def(&c.WebhookReadTimeout, 10*time.Second)
	def(&c.WebhookCheckEvery, 15*time.Minute)
	def(&c.StockPushEvery, 5*time.Second)
	def(&c.StockPushIdle, 200*time.Millisecond)
	def(&c.StockPushLease, 30*time.Second)
	if c.APIMaxBody <= 0 {
		c.APIMaxBody = 64 << 10
	}
	return c
}

// Deps are the daemon's collaborators.
type Deps struct {
	// Clock is the time the daemon's rules see; default time.Now.
	Clock func() time.Time
	// Logger is the root logger; the daemon's components log as its children. The zero
	// value logs nothing.
	Logger zerolog.Logger
	// Importer imports Shopify orders; default a *shopify.Importer on the daemon's database
	// whose Shopify clients report rate-limit waits to the daemon's metrics.
	Importer Importer
	// Secrets opens the Shopify credentials stored in the database (the webhook secret
	// that verifies deliveries, the access token of imports). Required.
	Secrets *secret.Box
	// Replica, when set, is a streaming replica of the database: sales lists and searches
	// and the closing and nightly reports the API serves are read from it (from the
	// primary while it cannot be reached). Everything that writes, and every read a write
	// depends on, stays on the primary.
	Replica *sqlx.DB
	// Front, when set, builds the handler served at / (the web register): it is given the
	// daemon's own handler, through which it calls the API in process, so that every
	// figure and refusal it shows is the API's.
	Front func(daemon http.Handler) http.Handler
}

// Daemon is "kassa serve". Build it with New and run it with Run or Serve.
type Daemon struct {
	db      *sqlx.DB
	cfg     Config
	clock   func() time.Time
	log     zerolog.Logger
	metrics *Metrics

	api      *api
	runner   *runner
	receiver *webhookReceiver
	worker   *webhookWorker
	poller   *poller
	nightly  *nightly
	recon    *reconciler // nil when the nightly reconciliation is off
	subs     *webhookSubscriber
	stock    *stockPushers
	handler  http.Handler
	routes   []Route
}

// New builds a daemon on db. It checks the configuration; the schema is checked by Run.
func New(db *sqlx.DB, cfg Config, deps Deps) (*Daemon, error) {
	cfg = cfg.withDefaults()
	hour, minute, err := ParseTimeOfDay(cfg.NightlyAt)
	if err != nil {
		return nil, fmt.Errorf("nightly report time: %w", err)
	}
	reconcileOff := cfg.ReconcileAt == "" || strings.EqualFold(strings.TrimSpace(cfg.ReconcileAt), "off")
	var rHour, rMinute int
	if !reconcileOff {
		if rHour, rMinute, err = ParseTimeOfDay(cfg.ReconcileAt); err != nil {
			return nil, fmt.Errorf("nightly reconciliation time: %w", err)
		}
	}
	clock := deps.Clock
	if clock == nil {
		clock = time.Now
	}
	if deps.Secrets == nil {
		return nil, errors.New("the daemon needs the secret key that encrypts the Shopify credentials")
	}
	log := deps.Logger
	m := NewMetrics()
	if cfg.PublicURL != "" {
		if cfg.PublicURL, err = shopify.ParsePublicURL(cfg.PublicURL); err != nil {
			return nil, err
		}
	}
	open := clientOpener(db, deps.Secrets, clock, m, &log)
	im := deps.Importer
	if im == nil {
		im = &shopify.Importer{DB: db, Clock: clock, Logger: log, Secrets: deps.Secrets, NewSource: sourceWithObserver(open)}
	}
	m.Registry.MustRegister(expiringCollector{db: db, clock: clock})
	d := &Daemon{db: db, cfg: cfg, clock: clock, log: log, metrics: m}
	d.runner = newRunner(db, im, m, log.With().Str("component", "import_runner").Logger())
	d.worker = &webhookWorker{
		db: db, importer: im, clock: clock, log: log.With().Str("component", "webhook_worker").Logger(), metrics: m,
		every: cfg.WebhookEvery, batch: cfg.WebhookBatch, fillWait: cfg.WebhookFillWait, lockWait: time.Second, retryBase: cfg.WebhookRetryBase, retryMax: cfg.WebhookRetryMax,
		maxAttempts: cfg.WebhookMaxAttempts, busyDelay: time.Second, retention: cfg.WebhookRetention,
		wake: make(chan struct{}, 1), shopProbe: shopProbeWithObserver(open),
		conns: shopify.ConnectionStore{Secrets: deps.Secrets},
	}
	d.receiver = &webhookReceiver{
		db: db, clock: clock, log: log.With().Str("component", "webhooks").Logger(), metrics: m,
		maxBody: cfg.WebhookMaxBody, nudge: d.worker.nudge,
		readTimeout: cfg.WebhookReadTimeout, readers: make(chan struct{}, cfg.WebhookMaxReaders),
		refusals: newRefusalLog(clock, time.Minute), conns: shopify.ConnectionStore{Secrets: deps.Secrets},
	}
	d.receiver.cache = newConnCache(db, d.receiver.conns)
	d.receiver.batcher = newDeliveryBatcher(d.receiver, cfg.WebhookStoreConns, cfg.WebhookStoreBatch, cfg.WebhookMaxPending)
	d.poller = &poller{db: db, importer: im, clock: clock, log: log.With().Str("component", "poller").Logger(), metrics: m, every: cfg.PollEvery}
	d.nightly = &nightly{
		db: db, clock: clock, log: log.With().Str("component", "nightly").Logger(), metrics: m,
		every: cfg.NightlyEvery, hour: hour, minute: minute, catchUp: cfg.NightlyCatchUpDays,
	}
	if rec, ok := im.(Reconciler); ok && !reconcileOff {
		d.recon = &reconciler{
			db: db, rec: rec, clock: clock, log: log.With().Str("component", "reconcile").Logger(), metrics: m,
			every: cfg.NightlyEvery, hour: rHour, minute: rMinute, days: cfg.ReconcileDays,
		}
	}
	d.subs = &webhookSubscriber{
		db: db, conns: shopify.ConnectionStore{Secrets: deps.Secrets}, clock: clock, metrics: m,
		log: log.With().Str("component", "webhook_subscriptions").Logger(), every: cfg.WebhookCheckEvery,
		publicURL: cfg.PublicURL, open: open,
	}
	d.stock = &stockPushers{
		db: db, conns: shopify.ConnectionStore{Secrets: deps.Secrets}, metrics: m,
		opts: shopify.ClientOptions{DB: db, Clock: clock, Logger: &log, Observer: m, Renewals: m},
		log:  log.With().Str("component", "stock_push").Logger(), every: cfg.StockPushEvery, idle: cfg.StockPushIdle, lease: cfg.StockPushLease,
	}
	d.nightly.beforeReport = d.stock.checkDrift
	d.api = &api{db: db, replica: deps.Replica, replicaDown: newRefusalLog(clock, time.Minute), clock: clock, log: log.With().Str("component", "api").Logger(), metrics: m,
		tokens: TokenStore{Clock: clock}, runner: d.runner, maxBody: cfg.APIMaxBody}

	mux := http.NewServeMux()
	d.routes = d.api.routes(mux)
	mux.Handle("POST /webhooks/shopify", d.receiver)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "alive"})
	})
	mux.HandleFunc("GET /readyz", d.ready)
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry}))
	if deps.Front != nil {
		mux.Handle("/", deps.Front(mux))
	}
	d.handler = d.logRequests(mux)
	return d, nil
}

// Handler is the daemon's HTTP handler (API, webhooks, health and metrics).
func (d *Daemon) Handler() http.Handler { return d.handler }

// Routes lists the API routes and the role each needs.
func (d *Daemon) Routes() []Route { return d.routes }

// Metrics returns the daemon's metrics.
func (d *Daemon) Metrics() *Metrics { return d.metrics }

// CheckSchema refuses a database whose schema is not the one this kassa knows.
func CheckSchema(ctx context.Context, db *sqlx.DB) error {
	current, latest, err := migrations.Versions(ctx, db.DB)
	if err != nil {
		return err
	}
	switch {
	case current < latest:
		return fmt.Errorf("the database schema is at version %d, kassa needs %d: run 'kassa migrate up' or start with --migrate", current, latest)
	case current > latest:
		return fmt.Errorf("the database schema (version %d) is newer than this kassa knows (%d): upgrade kassa", current, latest)
	}
	return nil
}

func (d *Daemon) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := d.db.PingContext(ctx); err != nil {
		writeError(w, http.StatusServiceUnavailable, "the database is not reachable")
		return
	}
	if err := CheckSchema(ctx, d.db); err != nil {
		writeError(w, http.StatusServiceUnavailable, err.Error())
		return
	}
	dur, err := checkDurability(ctx, d.db)
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, "the database is not reachable")
		return
	}
	shops, shopWarnings := d.shopifyReadiness(ctx)
	writeJSON(w, http.StatusOK, readiness{Status: "ready", Database: dur, Warnings: append(dur.warnings(), shopWarnings...), Shopify: shops})
}

// logRequests logs one debug line per request: never its headers (they carry tokens and
// signatures) nor its body.
func (d *Daemon) logRequests(next http.Handler) http.Handler {
	log := d.log.With().Str("component", "http").Logger()
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		start := time.Now()
		w := &statusWriter{ResponseWriter: rw}
		next.ServeHTTP(w, r)
		log.Debug().Str("method", r.Method).Str("path", r.URL.Path).Int("status", w.status).
			Dur("duration", time.Since(start)).Msg("request")
	})
}

// Run listens on the configured address and serves until ctx ends; see Serve.
func (d *Daemon) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", d.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", d.cfg.Addr, err)
	}
	return d.Serve(ctx, ln)
}

// Serve serves HTTP on ln and runs the background components (import runs, webhook
// worker, poller, nightly reports) until ctx ends or one of them fails. At the end it
// stops taking work, lets in-flight requests finish within the shutdown timeout, cancels
// what still runs (an import run is marked cancelled, an unfinished webhook delivery stays
// for the next start) and returns once every goroutine it started has ended. It returns
// nil after a shutdown asked for by ctx.
func (d *Daemon) Serve(ctx context.Context, ln net.Listener) error {
	if err := CheckSchema(ctx, d.db); err != nil {
		ln.Close()
		return err
	}
	srv := &http.Server{
		Handler:           d.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	d.log.Info().Str("addr", ln.Addr().String()).Str("nightly_at", d.cfg.NightlyAt).Msg("kassa daemon started")
	d.warnDurability(ctx)
	p := pool.New().WithContext(ctx).WithCancelOnError()
	p.Go(func(ctx context.Context) error {
		err := srv.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return fmt.Errorf("serve http: %w", err)
	})
	p.Go(func(ctx context.Context) error {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.cfg.ShutdownTimeout)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil {
			srv.Close()
			return fmt.Errorf("shut the http server down: %w", err)
		}
		return nil
	})
	p.Go(d.runner.Run)
	p.Go(d.worker.Run)
	p.Go(d.poller.Run)
	p.Go(d.nightly.Run)
	if d.recon != nil {
		p.Go(d.recon.Run)
	}
	p.Go(d.subs.Run)
	p.Go(d.stock.Run)
	err := p.Wait()
	if err != nil {
		d.log.Error().Err(err).Msg("kassa daemon stopped")
		return err
	}
	d.log.Info().Msg("kassa daemon stopped")
	return nil
}
