package daemon_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/kassa-pos/kassa/daemon"
	"github.com/kassa-pos/kassa/internal/dbtest"
	"github.com/kassa-pos/kassa/sync/shopify"
	"github.com/kassa-pos/kassa/sync/shopifysim"
	"github.com/kassa-pos/kassa/sync/shopifysim/shopdata"
)

const (
	ccClientID = "dev-dashboard-client"
	ccSecret   = "shpss_DAEMON-client-secret-31"
)

// ccShop is a database connected, with client credentials, to a simulated shop of a Dev
// Dashboard app.
type ccShop struct {
	db   *sqlx.DB
	sim  *shopifysim.Server
	conn shopify.Connection
}

// newCCShop connects a shop of n orders through the same checks 'kassa shopify connect'
// makes, subscribing its webhooks at publicURL when set.
func newCCShop(t *testing.T, db *sqlx.DB, n int, clk *clock, opts shopifysim.Options, publicURL string) *ccShop {
	t.Helper()
	ids := dbtest.NewShop(t, db, "Gent", "Front")
	opts.ClientID, opts.Secret, opts.Clock = ccClientID, ccSecret, clk.Now
	opts.Generate = &shopdata.GenerateOptions{Seed: 21, Orders: n, Days: 20}
	sim, err := shopifysim.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	conn, _, err := shopify.ConnectionStore{Secrets: dbtest.Secrets()}.CheckAndConnect(context.Background(), db, shopify.ConnectParams{
		Shop: sim.Shop, Auth: shopify.AuthClientCredentials, ClientID: ccClientID, ClientSecret: ccSecret, BaseURL: sim.URL,
		OutletID: ids.OutletID, RegisterID: ids.RegisterID, PublicURL: publicURL,
	}, shopify.ClientOptions{DB: db, Clock: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	return &ccShop{db: db, sim: sim, conn: conn}
}

// subscribedAt returns the simulator's subscriptions to address, by topic.
func subscribedAt(sim *shopifysim.Server, address string) map[string]int64 {
	out := map[string]int64{}
	for _, w := range sim.Webhooks() {
		if w.Address == address {
			out[w.Topic] = w.ID
		}
	}
	return out
}

func getText(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// TestDaemonSubscribesWebhooksAndKeepsThem: with a public URL the daemon subscribes the
// shop to every topic it handles at start, and when Shopify deletes a subscription (after
// failed deliveries) the next check subscribes it again. Deliveries signed with the client
// secret are taken, others refused; edits and refunds are verified and acted on.
func TestDaemonSubscribesWebhooksAndKeepsThem(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	clk := &clock{}
	ln := listen(t)
	public := "http://" + ln.Addr().String()
	s := newCCShop(t, db, 5, clk, shopifysim.Options{}, "")
	cfg := fastConfig()
	cfg.PublicURL, cfg.WebhookCheckEvery = public, 30*time.Millisecond
	logs := &logBuffer{}
	in := start(t, db, ln, cfg, daemon.Deps{Clock: clk.Now, Logger: testLogger(t, logs)})
	addr := public + shopify.WebhookPath
	want := daemon.WebhookTopics()
	if len(want) != 7 || !slices.Contains(want, "bulk_operations/finish") {
		t.Fatalf("topics %v", want)
	}
	waitFor(t, "every topic is subscribed", func() bool { return len(subscribedAt(s.sim, addr)) == len(want) }, in)
	for _, topic := range []string{"orders/create", "orders/updated", "orders/edited", "orders/cancelled", "refunds/create", "app/uninstalled"} {
		if subscribedAt(s.sim, addr)[topic] == 0 {
			t.Fatalf("%s is not subscribed: %v", topic, subscribedAt(s.sim, addr))
		}
	}
	// Shopify deletes one after eight failed deliveries: the daemon subscribes it again.
	deleted := subscribedAt(s.sim, addr)["orders/create"]
	s.sim.DeleteWebhook(deleted)
	waitFor(t, "orders/create is subscribed again", func() bool {
		id := subscribedAt(s.sim, addr)["orders/create"]
		return id != 0 && id != deleted
	}, in)
	if n := len(s.sim.Webhooks()); n != len(want) {
		t.Fatalf("%d subscriptions: the checks made duplicates", n)
	}

	// A delivery the simulator signs with the client secret is taken and imported (it
	// gets its outcome).
	o, err := s.sim.NewOrder()
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the webhook's order is imported", func() bool {
		return countRows(t, db, `SELECT count(*) FROM import_outcomes o JOIN import_runs r ON r.id = o.run_id
			WHERE o.shopify_order_id = $1 AND r.mode = 'webhook'`, int64(o.ID)) == 1
	}, in)
	// One signed with anything else is refused before anything is stored.
	body, _ := json.Marshal(o)
	before := countRows(t, db, `SELECT count(*) FROM webhook_deliveries`)
	if code := webhook(t, in.url, s.sim.Shop, "orders/create", "forged-1", body, sign("shpss_not-the-secret", body)); code != http.StatusUnauthorized {
		t.Fatalf("a delivery signed with another secret: %d", code)
	}
	if countRows(t, db, `SELECT count(*) FROM webhook_deliveries`) != before {
		t.Fatal("the forged delivery was stored")
	}
	// orders/edited carries only ids; it is verified, stored, and its order fetched as it
	// stands and compared with its sale (nothing changed: already imported).
	edit := []byte(fmt.Sprintf(`{"order_edit":{"id":7001,"app_id":null,"order_id":%d,"committed_at":"2026-11-20T11:00:00Z","line_items":{"additions":[],"removals":[]}}}`, o.ID))
	if code := webhook(t, in.url, s.sim.Shop, "orders/edited", "edit-1", edit, sign(ccSecret, edit)); code != http.StatusOK {
		t.Fatalf("orders/edited: %d", code)
	}
	waitFor(t, "the edit is processed", func() bool {
		return countRows(t, db, `SELECT count(*) FROM webhook_deliveries WHERE webhook_id = 'edit-1' AND processed_at IS NOT NULL AND last_error = ''`) == 1
	}, in)
	if n := countRows(t, db, `SELECT count(*) FROM import_outcomes WHERE shopify_order_id = $1`, int64(o.ID)); n != 2 {
		t.Fatalf("%d outcomes of the order after its edit's delivery, want 2 (imported, then already imported)", n)
	}
	// An order sent as a refund is refused: the body is not what its topic says.
	if code := webhook(t, in.url, s.sim.Shop, "refunds/create", "refund-1", body, sign(ccSecret, body)); code != http.StatusBadRequest {
		t.Fatalf("an order as refunds/create: %d", code)
	}
	refund := []byte(fmt.Sprintf(`{"id":9001,"order_id":%d,"created_at":"2026-11-20T11:00:00Z","note":"","restock":true,"refund_line_items":[],"transactions":[]}`, o.ID))
	if code := webhook(t, in.url, s.sim.Shop, "refunds/create", "refund-2", refund, sign(ccSecret, refund)); code != http.StatusOK {
		t.Fatalf("refunds/create: %d", code)
	}

	// /readyz says how the shop is connected, never with a secret.
	ready := getText(t, in.url+"/readyz")
	var r struct {
		Shopify []struct {
			Shop, Auth, Webhooks string
			TokenExpiresAt       *time.Time `json:"token_expires_at"`
		} `json:"shopify"`
	}
	if err := json.Unmarshal([]byte(ready), &r); err != nil || len(r.Shopify) != 1 || r.Shopify[0].Auth != "client_credentials" ||
		r.Shopify[0].Webhooks != addr || r.Shopify[0].TokenExpiresAt == nil {
		t.Fatalf("readyz %s", ready)
	}
	// The merchant uninstalls the app: Shopify delivers app/uninstalled and refuses the
	// tokens, and the token endpoint answers app_not_installed; the daemon confirms it and
	// disconnects the shop.
	s.sim.Uninstall()
	waitFor(t, "the uninstalled shop is disconnected", func() bool {
		return countRows(t, db, `SELECT count(*) FROM shopify_connections WHERE NOT enabled`) == 1
	}, in)
	in.stop(t)
	if out := logs.String() + ready; strings.Contains(out, ccSecret) || strings.Contains(out, "shpat_") {
		t.Fatal("a secret or a token appears in the log or /readyz")
	}
}

// TestThreeDaemonsRenewOncePerExpiry runs three daemons on database pools of their own,
// importing one shop by webhook, polls and Get all while the access token expires twice:
// every order is imported and each expiry costs exactly one renewal.
func TestThreeDaemonsRenewOncePerExpiry(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	clk := &clock{}
	lns := []net.Listener{listen(t), listen(t), listen(t)}
	public := "http://" + lns[0].Addr().String()
	s := newCCShop(t, db, 40, clk, shopifysim.Options{TokenTTL: 2 * time.Hour}, public)
	if _, err := db.Exec(`UPDATE shopify_connections SET auto_update = true, poll_interval = '10 seconds'`); err != nil {
		t.Fatal(err)
	}
	var dbName string
	if err := db.Get(&dbName, `SELECT current_database()`); err != nil {
		t.Fatal(err)
	}
	var ins []*instance
	for _, ln := range lns {
		pool, err := sqlx.Open("postgres", dbtest.URLFor(dbName))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { pool.Close() })
		cfg := fastConfig()
		cfg.WebhookCheckEvery = 40 * time.Millisecond
		ins = append(ins, start(t, pool, ln, cfg, daemon.Deps{Clock: clk.Now, Logger: testLogger(t, nil)}))
	}
	tok := token(t, db, "till", daemon.RoleCashier)
	eligible := func() int { return countRows(t, db, `SELECT count(DISTINCT shopify_order_id) FROM import_outcomes`) }
	if code, body := apiPost(t, ins[1].url, tok, "/api/v1/imports", `{"mode":"all"}`); code != http.StatusAccepted && code != http.StatusConflict {
		t.Fatalf("get all: %d %s", code, body)
	}
	waitFor(t, "the 40 orders are seen", func() bool { return eligible() == 40 }, ins...)
	if g := s.sim.TokenGrants(); g != 1 {
		t.Fatalf("%d grants before any expiry", g)
	}
	for expiry := 1; expiry <= 2; expiry++ {
		// The token expires; orders keep coming (webhooks to the first daemon, polls of all
		// three, and the three daemons' webhook checks all need the token at once). Shopify
		// is slow to answer the token request, so the others need the token while the first
		// daemon's request is on its way.
		slow := shopifysim.Fault{Kind: shopifysim.FaultSlow, Delay: 300 * time.Millisecond}
		s.sim.ScriptFaults("oauth/access_token", slow, slow, slow)
		clk.Advance(3 * time.Hour)
		expired := clk.Now()
		for range 4 {
			if _, err := s.sim.NewOrder(); err != nil {
				t.Fatal(err)
			}
		}
		want := 40 + 4*expiry
		waitFor(t, fmt.Sprintf("the %d orders are seen and polls ran since the expiry", want), func() bool {
			clk.Advance(11 * time.Second) // polls come due
			return eligible() == want && countRows(t, db, `SELECT count(*) FROM import_runs
				WHERE trigger = 'poll' AND status = 'finished' AND started_at >= $1`, expired) >= 3
		}, ins...)
		if g := s.sim.TokenGrants(); g != 1+expiry {
			t.Fatalf("expiry %d: %d grants, want one renewal per expiry", expiry, g)
		}
	}
	renewed := 0
	for _, in := range ins {
		m := getText(t, in.url+"/metrics")
		var n int
		for _, line := range strings.Split(m, "\n") {
			if strings.HasPrefix(line, `kassa_shopify_token_renewals_total{result="renewed"} `) {
				fmt.Sscan(strings.TrimPrefix(line, `kassa_shopify_token_renewals_total{result="renewed"} `), &n)
			}
		}
		renewed += n
	}
	if renewed != 2 {
		t.Fatalf("the daemons counted %d renewals for 2 expiries", renewed)
	}
	if per := noOrderTwiceCC(t, db); per != 48 {
		t.Fatalf("%d orders became sales or outcomes", per)
	}
}

// noOrderTwiceCC fails when an order became two sales and returns how many orders were seen.
func noOrderTwiceCC(t *testing.T, db *sqlx.DB) int {
	t.Helper()
	for id, n := range salesPerOrder(t, db) {
		if n != 1 {
			t.Fatalf("order %d became %d sales", id, n)
		}
	}
	return countRows(t, db, `SELECT count(DISTINCT shopify_order_id) FROM import_outcomes`)
}

// TestVersionMismatchShowsInMetricsAndReadyz: when Shopify answers in another API version
// than kassa asks for, the metric counts it and /readyz warns.
func TestVersionMismatchShowsInMetricsAndReadyz(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	clk := &clock{}
	s := newCCShop(t, db, 5, clk, shopifysim.Options{ServeVersion: "2026-07"}, "")
	in := start(t, db, listen(t), fastConfig(), daemon.Deps{Clock: clk.Now, Logger: testLogger(t, nil)})
	tok := token(t, db, "till", daemon.RoleCashier)
	if code, body := apiPost(t, in.url, tok, "/api/v1/imports", `{"mode":"all"}`); code != http.StatusAccepted {
		t.Fatalf("get all: %d %s", code, body)
	}
	waitFor(t, "the run ends", func() bool {
		return countRows(t, db, `SELECT count(*) FROM import_runs WHERE status = 'finished'`) == 1
	}, in)
	if m := getText(t, in.url+"/metrics"); !strings.Contains(m, `kassa_shopify_api_version_mismatches_total{api_version="2026-10",served_api_version="2026-07"}`) {
		t.Fatalf("metrics lack the mismatch:\n%s", m)
	}
	if r := getText(t, in.url+"/readyz"); !strings.Contains(r, "Shopify answers "+s.sim.Shop+" in API version 2026-07, not 2026-10") ||
		!strings.Contains(r, `"served_api_version":"2026-07"`) {
		t.Fatalf("readyz %s", r)
	}
}
