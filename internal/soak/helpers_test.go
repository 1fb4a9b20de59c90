package soak

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/rs/zerolog"

	"github.com/kassa-pos/kassa/daemon"
	"github.com/kassa-pos/kassa/internal/dbtest"
	"github.com/kassa-pos/kassa/sync/shopify"
	"github.com/kassa-pos/kassa/sync/shopify/shopifyapi"
	"github.com/kassa-pos/kassa/sync/shopifysim"
)

// clock is real time shifted by an offset a scenario moves forward, so that polls come due
// without waiting for them.
type clock struct{ offset atomic.Int64 }

func (c *clock) Now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *clock) Advance(d time.Duration) { c.offset.Add(int64(d)) }

// env is a POS database with one outlet and register connected to a simulated shop.
type env struct {
	db   *sqlx.DB
	url  string
	sim  *shopifysim.Server
	ids  dbtest.Shop
	conn shopify.Connection
	now  func() time.Time
}

// newEnv starts the simulator with opts and connects a fresh database to it.
func newEnv(t testing.TB, opts shopifysim.Options, autoUpdate bool) *env {
	t.Helper()
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	sim, err := shopifysim.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	db, url := dbtest.NewWithURL(t)
	ids := dbtest.NewShop(t, db, "Gent", "Front")
	conn, err := shopify.ConnectionStore{Secrets: dbtest.Secrets()}.Connect(context.Background(), db, shopify.ConnectParams{
		Shop: sim.Shop, AccessToken: sim.Token, WebhookSecret: sim.Secret, BaseURL: sim.URL,
		OutletID: ids.OutletID, RegisterID: ids.RegisterID, AutoUpdate: autoUpdate,
	})
	if err != nil {
		t.Fatal(err)
	}
	return &env{db: db, url: url, sim: sim, ids: ids, conn: conn, now: opts.Clock}
}

// checker is the end-state checker of the env's shop; slack widens the 60-day boundary
// by how long the scenario's imports ran.
func (e *env) checker(slack time.Duration) Checker {
	return Checker{DB: e.db, Shop: e.conn.Shop, OutletID: e.ids.OutletID, Now: e.now(), AgeSlack: slack}
}

// check runs the checker over the simulator's orders and fails the test on a problem.
func (e *env) check(t testing.TB, slack time.Duration) Result {
	t.Helper()
	res, err := e.checker(slack).Check(context.Background(), e.sim.AllOrders())
	if err != nil {
		t.Fatal(err)
	}
	if err := res.Err(); err != nil {
		t.Error(err)
	}
	return res
}

// fastSource is the real client with short retry waits (the simulator's faults come
// quickly) that paces as a fast shop after an injected 429.
func fastSource(c shopify.Connection) (shopify.Source, error) {
	return shopifyapi.New(shopifyapi.Config{
		Shop: c.Shop, AccessToken: c.AccessToken, APIVersion: c.APIVersion, BaseURL: c.BaseURL,
		Transport: shopifyapi.TransportOptions{BaseBackoff: time.Millisecond, MaxBackoff: 20 * time.Millisecond,
			MaxAttempts: 10, MaxThrottled: 10, LeakRate: 1000},
	})
}

// instance is a daemon running in this process.
type instance struct {
	d      *daemon.Daemon
	url    string
	cancel context.CancelFunc
	done   chan error
}

// startDaemon runs a daemon on db with fast loops until the test ends.
func startDaemon(t testing.TB, db *sqlx.DB, ln net.Listener, clk func() time.Time) *instance {
	t.Helper()
	if ln == nil {
		ln = listen(t)
	}
	cfg := daemon.Config{PollEvery: 50 * time.Millisecond, WebhookEvery: 50 * time.Millisecond, NightlyEvery: time.Hour,
		WebhookRetryBase: 20 * time.Millisecond, WebhookRetryMax: 200 * time.Millisecond, ShutdownTimeout: 10 * time.Second}
	d, err := daemon.New(db, cfg, daemon.Deps{Clock: clk, Logger: zerolog.Nop(), Secrets: dbtest.Secrets()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	in := &instance{d: d, url: "http://" + ln.Addr().String(), cancel: cancel, done: make(chan error, 1)}
	go func() { in.done <- d.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-in.done; err != nil {
			t.Errorf("daemon stopped with %v", err)
		}
	})
	waitFor(t, "the daemon answers /healthz", time.Minute, func() bool { return healthy(in.url) })
	return in
}

func healthy(url string) bool {
	resp, err := http.Get(url + "/healthz")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

func listen(t testing.TB) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// waitFor polls cond every 20 ms until it holds, failing the test after d.
func waitFor(t testing.TB, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting until %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func count(t testing.TB, db *sqlx.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.Get(&n, query, args...); err != nil {
		t.Fatal(err)
	}
	return n
}

func sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// postWebhook posts one delivery as Shopify would and returns the status (0 when the
// exchange failed).
func postWebhook(url, shop, topic, id string, body []byte, signature string) (int, error) {
	req, err := http.NewRequest(http.MethodPost, url+"/webhooks/shopify", bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Shopify-Topic", topic)
	req.Header.Set("X-Shopify-Shop-Domain", shop)
	req.Header.Set("X-Shopify-Webhook-Id", id)
	if signature != "" {
		req.Header.Set("X-Shopify-Hmac-Sha256", signature)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}
