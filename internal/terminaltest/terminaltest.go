// Package terminaltest starts what the register terminal's tests talk to: a fresh
// migrated PostgreSQL database, a simulated Shopify shop connected to an outlet and its
// register, and a real kassa daemon serving the API on a loopback port, all on one fixed
// clock so that screens are the same on every run.
package terminaltest

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/rs/zerolog"

	"github.com/kassa-pos/kassa/daemon"
	"github.com/kassa-pos/kassa/internal/dbtest"
	"github.com/kassa-pos/kassa/sync/shopify"
	"github.com/kassa-pos/kassa/sync/shopifysim"
	"github.com/kassa-pos/kassa/sync/shopifysim/shopdata"
)

// Now is the fixed time of every world: a Wednesday morning in Brussels.
func Now() time.Time {
	loc, err := time.LoadLocation("Europe/Brussels")
	if err != nil {
		// Without the time zone database the screens could not be compared anyway.
		panic(err)
	}
	return time.Date(2026, 11, 25, 10, 0, 0, 0, loc)
}

// Options shape a world.
type Options struct {
	// Orders is how many orders the simulated shop has; default 30.
	Orders int
	// Seed is the generated shop's seed; default 7.
	Seed int64
	// Clock is the daemon's and the shop's clock; default a clock stopped at Now.
	Clock func() time.Time
	// Front is the daemon's front (daemon.Deps.Front), e.g. the web register.
	Front func(http.Handler) http.Handler
}

// World is a running daemon on its own database, with a connected simulated shop.
type World struct {
	DB *sqlx.DB
	// DatabaseURL is the database's URL, for a kassa binary.
	DatabaseURL string
	// URL is the daemon's base URL.
	URL string
	// Cashier and Manager are tokens of each role.
	Cashier, Manager string
	Sim              *shopifysim.Server
	Shop             dbtest.Shop

	t      testing.TB
	addr   string
	clock  func() time.Time
	front  func(http.Handler) http.Handler
	server *http.Server
	cancel context.CancelFunc
	done   chan error

	mu    sync.Mutex
	holds []*Held
}

// Start builds a world that lives until the test ends.
func Start(t testing.TB, opts Options) *World {
	t.Helper()
	if opts.Orders == 0 {
		opts.Orders = 30
	}
	if opts.Seed == 0 {
		opts.Seed = 7
	}
	if opts.Clock == nil {
		opts.Clock = Now
	}
	db, dbURL := dbtest.NewWithURL(t)
	ids := dbtest.NewShop(t, db, "Gent", "Front")
	// The outlet is created when the world starts, on the world's clock, whatever the
	// machine's clock says: its nightly reports begin that day.
	if _, err := db.Exec(`UPDATE outlets SET created_at = $2 WHERE id = $1`, ids.OutletID, opts.Clock()); err != nil {
		t.Fatalf("terminaltest: date the outlet: %v", err)
	}
	sim, err := shopifysim.NewServer(shopifysim.Options{
		Clock:    opts.Clock,
		Generate: &shopdata.GenerateOptions{Seed: opts.Seed, Orders: opts.Orders, Days: 30},
	})
	if err != nil {
		t.Fatalf("terminaltest: start the shop simulator: %v", err)
	}
	t.Cleanup(sim.Close)
	ctx := context.Background()
	_, err = shopify.ConnectionStore{Secrets: dbtest.Secrets()}.Connect(ctx, db, shopify.ConnectParams{
		Shop: sim.Shop, AccessToken: sim.Token, WebhookSecret: sim.Secret, BaseURL: sim.URL,
		OutletID: ids.OutletID, RegisterID: ids.RegisterID,
	})
	if err != nil {
		t.Fatalf("terminaltest: connect the shop: %v", err)
	}
	w := &World{DB: db, DatabaseURL: dbURL, Sim: sim, Shop: ids, t: t, clock: opts.Clock, front: opts.Front}
	if w.Cashier, _, err = (daemon.TokenStore{}).Create(ctx, db, "anna", daemon.RoleCashier); err != nil {
		t.Fatalf("terminaltest: create token: %v", err)
	}
	if w.Manager, _, err = (daemon.TokenStore{}).Create(ctx, db, "marc", daemon.RoleManager); err != nil {
		t.Fatalf("terminaltest: create token: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("terminaltest: listen: %v", err)
	}
	w.addr = ln.Addr().String()
	w.URL = "http://" + w.addr
	w.serve(ln)
	t.Cleanup(w.Stop)
	return w
}

// serve runs a daemon and answers its API on ln through the holds (see Hold). The
// daemon's own server listens on a loopback port of its own, for its background work.
func (w *World) serve(ln net.Listener) {
	w.t.Helper()
	d, err := daemon.New(w.DB, daemon.Config{
		PollEvery: time.Hour, NightlyEvery: time.Hour, WebhookEvery: time.Hour, ShutdownTimeout: 30 * time.Second,
	}, daemon.Deps{Clock: w.clock, Logger: zerolog.New(zerolog.NewTestWriter(w.t)).Level(zerolog.WarnLevel), Secrets: dbtest.Secrets(), Front: w.front})
	if err != nil {
		w.t.Fatalf("terminaltest: build the daemon: %v", err)
	}
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		w.t.Fatalf("terminaltest: listen: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	w.cancel, w.done = cancel, make(chan error, 1)
	go func() { w.done <- d.Serve(ctx, inner) }()
	// The daemon's own server answers once it has started (its schema checked): only then
	// is it served on the world's address.
	w.waitHealthy("http://" + inner.Addr().String())
	w.server = &http.Server{Handler: w.holding(d.Handler()), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = w.server.Serve(ln) }()
	w.waitHealthy(w.URL)
}

// waitHealthy waits until the daemon answers at url; the test's deadline bounds it.
func (w *World) waitHealthy(url string) {
	w.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("terminaltest: the daemon does not answer: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Stop shuts the daemon down (the terminal then sees it as down).
func (w *World) Stop() {
	if w.cancel == nil {
		return
	}
	// Held requests end with their connections.
	w.server.Close()
	w.cancel()
	if err := <-w.done; err != nil {
		w.t.Errorf("terminaltest: the daemon stopped with %v", err)
	}
	w.cancel = nil
}

// Restart starts the daemon again on the same address.
func (w *World) Restart() {
	w.t.Helper()
	ln, err := net.Listen("tcp", w.addr)
	if err != nil {
		w.t.Fatalf("terminaltest: listen again on %s: %v", w.addr, err)
	}
	w.serve(ln)
}

// Held is a hold on the daemon's answers to some requests: a daemon slower than the
// keys staff (or a barcode scanner) type. See World.Hold.
type Held struct {
	match    func(*http.Request) bool
	arrived  chan string
	released chan struct{}
	once     sync.Once
}

// Hold makes the daemon hold its answer to every request match picks until Release. The
// request is handled at once and its answer kept back, so the answer tells how things
// stood when it was asked, as a slow answer on a busy network does. Requests that match
// does not pick pass.
func (w *World) Hold(match func(*http.Request) bool) *Held {
	h := &Held{match: match, arrived: make(chan string, 64), released: make(chan struct{})}
	w.mu.Lock()
	w.holds = append(w.holds, h)
	w.mu.Unlock()
	return h
}

// Arrived receives the path and query of each request whose answer is held, once the
// daemon has handled it.
func (h *Held) Arrived() <-chan string { return h.arrived }

// Release sends the held answers, and lets every later one the hold would pick through.
func (h *Held) Release() { h.once.Do(func() { close(h.released) }) }

// SalesSearch picks the requests that list sales searched for q.
func SalesSearch(q string) func(*http.Request) bool {
	return func(r *http.Request) bool {
		return r.Method == http.MethodGet && r.URL.Path == "/api/v1/sales" && r.URL.Query().Get("search") == q
	}
}

// First picks the first request that match picks, and no later one.
func First(match func(*http.Request) bool) func(*http.Request) bool {
	var picked atomic.Bool
	return func(r *http.Request) bool { return match(r) && picked.CompareAndSwap(false, true) }
}

// Get picks the GET requests of the API path (under /api/v1) and below it.
func Get(path string) func(*http.Request) bool {
	return func(r *http.Request) bool {
		p := "/api/v1" + path
		return r.Method == http.MethodGet && (r.URL.Path == p || strings.HasPrefix(r.URL.Path, p+"/"))
	}
}

// holding is the daemon's handler behind the holds.
func (w *World) holding(next http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		w.mu.Lock()
		var hold *Held
		for _, h := range w.holds {
			if h.match(r) {
				hold = h
				break
			}
		}
		w.mu.Unlock()
		if hold == nil {
			next.ServeHTTP(rw, r)
			return
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		select {
		case hold.arrived <- r.URL.RequestURI():
		default:
		}
		select {
		case <-hold.released:
		case <-r.Context().Done():
			return
		}
		for k, v := range rec.Header() {
			rw.Header()[k] = v
		}
		rw.WriteHeader(rec.Code)
		_, _ = rw.Write(rec.Body.Bytes())
	})
}

// FailedOrder logs that the shop's order id, named name and created at created, failed
// to import for reason (a run of its own), as an import that Shopify refused would.
func (w *World) FailedOrder(id int64, name string, created time.Time, reason string) {
	w.t.Helper()
	_, err := w.DB.Exec(`
		WITH r AS (INSERT INTO import_runs (connection_id, mode, trigger, status, started_at, finished_at)
			SELECT id, 'retry', 'cli', 'finished', $4, $4 FROM shopify_connections ORDER BY id LIMIT 1
			RETURNING id, connection_id)
		INSERT INTO import_outcomes (run_id, connection_id, shopify_order_id, order_name, outcome, reason, created_at, order_created_at)
		SELECT r.id, r.connection_id, $1, $2, 'failed', $3, $4, $5 FROM r`,
		id, name, reason, w.clock(), created)
	if err != nil {
		w.t.Fatalf("terminaltest: log a failed order: %v", err)
	}
}
