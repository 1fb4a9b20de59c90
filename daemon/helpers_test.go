package daemon_test

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/rs/zerolog"

	"github.com/kassa-pos/kassa/daemon"
	"github.com/kassa-pos/kassa/daemon/client"
	"github.com/kassa-pos/kassa/internal/dbtest"
	"github.com/kassa-pos/kassa/sync/shopify"
	"github.com/kassa-pos/kassa/sync/shopify/shopifyapi"
	"github.com/kassa-pos/kassa/sync/shopifysim"
	"github.com/kassa-pos/kassa/sync/shopifysim/shopdata"
)

// clock is a test clock: the real time shifted by an offset the test can move forward,
// so that "five minutes later" takes no five minutes.
type clock struct{ offset atomic.Int64 }

func (c *clock) Now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *clock) Advance(d time.Duration) { c.offset.Add(int64(d)) }

// logBuffer collects a daemon's log lines (to grep them for secrets) and passes them on
// to the test log.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// instance is one running daemon.
type instance struct {
	d       *daemon.Daemon
	url     string
	cancel  context.CancelFunc
	done    chan error
	stopped bool
	// passes gets a value when a background loop of the daemon has made a pass (values
	// that find it full are dropped: one waiting is enough to look again).
	passes chan struct{}
}

// stop shuts the daemon down and fails the test unless it stopped cleanly.
func (in *instance) stop(t testing.TB) {
	t.Helper()
	if in.stopped {
		return
	}
	in.stopped = true
	in.cancel()
	select {
	case err := <-in.done:
		if err != nil {
			t.Errorf("daemon stopped with %v, want nil", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the daemon did not stop within 30s")
	}
}

// fastConfig makes the daemon's loops tick quickly, for tests.
// fastConfig's ShutdownTimeout is above 5 s: a connection a client dialed but never sent a
// request on (http.Transport dials ahead under concurrency) counts as idle for Shutdown
// only once it is 5 s old, so a shorter timeout fails a stop after many concurrent posts.
func fastConfig() daemon.Config {
	return daemon.Config{
		PollEvery: 20 * time.Millisecond, WebhookEvery: 20 * time.Millisecond, NightlyEvery: time.Hour,
		WebhookRetryBase: 20 * time.Millisecond, WebhookRetryMax: 100 * time.Millisecond, ShutdownTimeout: 15 * time.Second,
	}
}

// listen opens a loopback listener, so that the simulator can be told the daemon's
// webhook address before the daemon starts.
func listen(t testing.TB) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// start runs a daemon on ln until the test ends (or in.stop).
func start(t testing.TB, db *sqlx.DB, ln net.Listener, cfg daemon.Config, deps daemon.Deps) *instance {
	t.Helper()
	if deps.Secrets == nil {
		deps.Secrets = dbtest.Secrets()
	}
	d, err := daemon.New(db, cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	in := &instance{d: d, url: "http://" + ln.Addr().String(), cancel: cancel, done: make(chan error, 1), passes: make(chan struct{}, 1)}
	daemon.SetPassHook(d, func() {
		select {
		case in.passes <- struct{}{}:
		default:
		}
	})
	go func() { in.done <- d.Serve(ctx, ln) }()
	t.Cleanup(func() { in.stop(t) })
	// ln listens already: the request waits until the daemon serves (or fails when it
	// refuses to start, closing ln).
	hc := &http.Client{Timeout: 40 * time.Second}
	resp, err := hc.Get(in.url + "/healthz")
	if err != nil {
		t.Fatalf("the daemon does not answer /healthz: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/healthz answers %d", resp.StatusCode)
	}
	return in
}

// waitFor waits until cond holds, looking again after each pass of a background loop
// (webhook worker, poller, nightly reports) of the instances ins: what they wait for is
// those loops' work. The test's own deadline bounds it.
func waitFor(t testing.TB, what string, cond func() bool, ins ...*instance) {
	t.Helper()
	if len(ins) == 0 {
		t.Fatal("waitFor needs the daemons whose work it waits for")
	}
	cases := make([]reflect.SelectCase, 0, len(ins)+1)
	for _, in := range ins {
		cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(in.passes)})
	}
	timeout := time.NewTimer(40 * time.Second)
	defer timeout.Stop()
	cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(timeout.C)})
	for !cond() {
		if i, _, _ := reflect.Select(cases); i == len(ins) {
			t.Fatalf("timed out waiting until %s", what)
		}
	}
}

// pollFor polls cond until it holds, for a state of the daemon's HTTP side (a webhook
// reader busy or free) that no background loop tells of. The test's own deadline bounds
// it.
func pollFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(40 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func testLogger(t testing.TB, extra *logBuffer) zerolog.Logger {
	var w = zerolog.NewTestWriter(t)
	if extra == nil {
		return zerolog.New(w).Level(zerolog.InfoLevel).With().Timestamp().Logger()
	}
	return zerolog.New(zerolog.MultiLevelWriter(w, extra)).Level(zerolog.DebugLevel).With().Timestamp().Logger()
}

// token creates a token and returns it.
func token(t testing.TB, db *sqlx.DB, name string, role daemon.Role) string {
	t.Helper()
	tok, _, err := daemon.TokenStore{}.Create(context.Background(), db, name, role)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// shop is a database with an outlet, a register and a simulated Shopify shop connected to it.
type shop struct {
	db   *sqlx.DB
	sim  *shopifysim.Server
	conn shopify.Connection
	ids  dbtest.Shop
}

// newShop makes a shop of n generated orders whose webhooks go to webhookURL (none when
// empty). The simulator's clock is clk's.
func newShop(t testing.TB, db *sqlx.DB, n int, webhookURL string, clk *clock, wopts shopifysim.WebhookOptions) *shop {
	t.Helper()
	ids := dbtest.NewShop(t, db, "Gent", "Front")
	opts := shopifysim.Options{
		Clock: clk.Now, WebhookURL: webhookURL, Webhooks: wopts,
		Generate: &shopdata.GenerateOptions{Seed: 11, Orders: n, Days: 30},
	}
	sim, err := shopifysim.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	conn, err := shopify.ConnectionStore{Secrets: dbtest.Secrets()}.Connect(context.Background(), db, shopify.ConnectParams{
		Shop: sim.Shop, AccessToken: sim.Token, WebhookSecret: sim.Secret, BaseURL: sim.URL,
		OutletID: ids.OutletID, RegisterID: ids.RegisterID, AutoUpdate: false,
	})
	if err != nil {
		t.Fatal(err)
	}
	return &shop{db: db, sim: sim, conn: conn, ids: ids}
}

// salesPerOrder returns how many sales each Shopify order became, by order id.
func salesPerOrder(t testing.TB, db *sqlx.DB) map[int64]int {
	t.Helper()
	var rows []struct {
		ID int64 `db:"external_id"`
		N  int   `db:"n"`
	}
	if err := db.Select(&rows, `SELECT external_id, count(*) AS n FROM sale_external_ids GROUP BY external_id`); err != nil {
		t.Fatal(err)
	}
	out := map[int64]int{}
	for _, r := range rows {
		out[r.ID] = r.N
	}
	return out
}

func countRows(t testing.TB, db *sqlx.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.Get(&n, query, args...); err != nil {
		t.Fatal(err)
	}
	return n
}

// countingImporter is the real importer that also counts, per daemon instance, the
// orders it imported.
type countingImporter struct {
	inner    daemon.Importer
	imported atomic.Int64
	runs     atomic.Int64
}

func (c *countingImporter) Run(ctx context.Context, id int64, o shopify.RunOptions) (shopify.Summary, error) {
	s, err := c.inner.Run(ctx, id, o)
	if s.RunID != 0 {
		c.runs.Add(1)
	}
	c.imported.Add(int64(s.Outcomes.Imported))
	return s, err
}

func (c *countingImporter) ImportOrders(ctx context.Context, id int64, orders []shopifyapi.Order, o shopify.RunOptions) (shopify.Summary, error) {
	s, err := c.inner.ImportOrders(ctx, id, orders, o)
	if s.RunID != 0 {
		c.runs.Add(1)
	}
	c.imported.Add(int64(s.Outcomes.Imported))
	return s, err
}

func (c *countingImporter) ImportOrderIDs(ctx context.Context, id int64, ids []int64, o shopify.RunOptions) (shopify.Summary, error) {
	s, err := c.inner.ImportOrderIDs(ctx, id, ids, o)
	if s.RunID != 0 {
		c.runs.Add(1)
	}
	c.imported.Add(int64(s.Outcomes.Imported))
	return s, err
}

// expectStatus fails unless err is a *client.Error with status and a message containing want.
func expectStatus(t testing.TB, err error, status int, want string) {
	t.Helper()
	if client.StatusOf(err) != status {
		t.Fatalf("error %v (status %d), want status %d", err, client.StatusOf(err), status)
	}
	if !strings.Contains(err.Error(), want) {
		t.Fatalf("error %q, want it to say %q", err, want)
	}
}
