package shopify

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/rs/zerolog"

	"github.com/kassa-pos/kassa/internal/dbtest"
	"github.com/kassa-pos/kassa/inventory"
	"github.com/kassa-pos/kassa/register"
	"github.com/kassa-pos/kassa/sync/shopify/shopifyapi"
	"github.com/kassa-pos/kassa/sync/shopifysim"
	"github.com/kassa-pos/kassa/sync/shopifysim/shopdata"
)

const (
	ccClientID = "kassa-dev-dashboard-app"
	ccSecret   = "shpss_SECRET-client-secret-77"
)

// testClock is a clock tests move forward by hand; the simulator and kassa share it.
type testClock struct{ offset atomic.Int64 }

func (c *testClock) Now() time.Time          { return testNow.Add(time.Duration(c.offset.Load())) }
func (c *testClock) Advance(d time.Duration) { c.offset.Add(int64(d)) }

// renewals counts the renewals a TokenObserver is told about.
type renewals struct {
	mu sync.Mutex
	n  map[string]int
}

func (r *renewals) ObserveTokenRenewal(_ string, result string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.n == nil {
		r.n = map[string]int{}
	}
	r.n[result]++
}

func (r *renewals) count(result string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n[result]
}

// ccShop is a POS database with an outlet and a register, and a simulated shop whose
// Dev Dashboard app has a client ID and secret.
type ccShop struct {
	db     *sqlx.DB
	sim    *shopifysim.Server
	clock  *testClock
	outlet inventory.Outlet
	reg    register.Register
	obs    *renewals
	log    zerolog.Logger
}

func newCCShop(t *testing.T, opts shopifysim.Options, currency string) *ccShop {
	t.Helper()
	ctx := context.Background()
	s := &ccShop{db: dbtest.New(t), clock: &testClock{}, obs: &renewals{}}
	s.log = zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.InfoLevel)
	opts.ClientID, opts.Secret, opts.Clock = ccClientID, ccSecret, s.clock.Now
	if opts.Shop == "" {
		opts.Shop = "cc.myshopify.com"
	}
	var err error
	if s.sim, err = shopifysim.NewServer(opts); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.sim.Close)
	if s.outlet, err = (inventory.Store{}).CreateOutlet(ctx, s.db, "Gent", "Europe/Brussels", currency); err != nil {
		t.Fatal(err)
	}
	if s.reg, err = (register.Store{}).Create(ctx, s.db, s.outlet.ID, "Front"); err != nil {
		t.Fatal(err)
	}
	return s
}

func (s *ccShop) params() ConnectParams {
	return ConnectParams{
		Shop: s.sim.Shop, Auth: AuthClientCredentials, ClientID: ccClientID, ClientSecret: ccSecret, BaseURL: s.sim.URL,
		OutletID: s.outlet.ID, RegisterID: s.reg.ID, AutoUpdate: true,
	}
}

func (s *ccShop) options(db *sqlx.DB) ClientOptions {
	return ClientOptions{DB: db, Clock: s.clock.Now, Logger: &s.log, Renewals: s.obs,
		Transport: shopifyapi.TransportOptions{BaseBackoff: time.Millisecond, MaxBackoff: 20 * time.Millisecond}}
}

func (s *ccShop) connect(t *testing.T) (Connection, Checked) {
	t.Helper()
	c, checked, err := ConnectionStore{Secrets: dbtest.Secrets()}.CheckAndConnect(context.Background(), s.db, s.params(), s.options(s.db))
	if err != nil {
		t.Fatal(err)
	}
	return c, checked
}

// importer is an importer on db whose clients renew tokens on the shop's clock.
func (s *ccShop) importer(db *sqlx.DB) *Importer {
	im := &Importer{DB: db, Secrets: dbtest.Secrets(), Clock: s.clock.Now, Logger: s.log, PageSize: 10}
	im.NewSource = func(c Connection) (Source, error) {
		return ConnectionStore{Secrets: dbtest.Secrets()}.OpenClient(c, s.options(db))
	}
	return im
}

func TestConnectWithClientCredentials(t *testing.T) {
	t.Parallel()
	s := newCCShop(t, shopifysim.Options{Scopes: []string{"read_orders", "read_products"}}, "EUR")
	c, checked := s.connect(t)
	if c.Auth != AuthClientCredentials || c.ClientID != ccClientID || c.ClientSecret != ccSecret || c.WebhookSecret != ccSecret ||
		!strings.HasPrefix(c.AccessToken, "shpat_") || c.TokenExpiresAt == nil || !c.TokenExpiresAt.Equal(s.clock.Now().Add(86399*time.Second)) ||
		strings.Join(c.Scopes, ",") != "read_orders,read_products" || c.APIVersion != "2026-10" || c.ServedAPIVersion != "2026-10" || c.LastCallAt == nil {
		t.Fatalf("connection %+v", c)
	}
	if checked.Shop.CurrencyCode != "EUR" || len(checked.Warnings) != 3 || !strings.Contains(checked.Warnings[0], "read_all_orders") ||
		!strings.Contains(checked.Warnings[1], "write_inventory") || !strings.Contains(checked.Warnings[2], "read_locations") || c.LocationID != nil {
		t.Fatalf("checked %+v", checked)
	}
	// The secret and the token are sealed, the client ID is not.
	var names []string
	if err := s.db.Select(&names, `SELECT name FROM shopify_credentials ORDER BY name`); err != nil || strings.Join(names, ",") != "access_token,client_secret" {
		t.Fatalf("credentials %v %v", names, err)
	}
	var n int
	if err := s.db.Get(&n, `SELECT count(*) FROM shopify_credentials WHERE position($1::bytea IN sealed) > 0 OR position($2::bytea IN sealed) > 0`,
		[]byte(ccSecret), []byte(c.AccessToken)); err != nil || n != 0 {
		t.Fatalf("plain text in sealed credentials: %d %v", n, err)
	}
	// A store without the key lists the connection without secrets.
	plain, err := ConnectionStore{}.ByID(context.Background(), s.db, c.ID)
	if err != nil || plain.ClientSecret != "" || plain.AccessToken != "" || plain.ClientID != ccClientID {
		t.Fatalf("without key: %+v %v", plain, err)
	}
}

func TestConnectRefusalsStoreNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tc := range []struct {
		name     string
		opts     shopifysim.Options
		currency string
		mod      func(*ConnectParams)
		want     string
	}{
		{"wrong secret", shopifysim.Options{}, "EUR", func(p *ConnectParams) { p.ClientSecret = "shpss_wrong" },
			"Shopify refused the Client ID or secret for cc.myshopify.com: copy both again from the app's Settings in the Dev Dashboard"},
		{"wrong client id", shopifysim.Options{}, "EUR", func(p *ConnectParams) { p.ClientID = "someone-else" }, "refused the Client ID or secret"},
		{"other organization", shopifysim.Options{TokenRefusal: shopifysim.RefuseShopNotPermitted}, "EUR", nil,
			"(shop_not_permitted): create the app in the Dev Dashboard of the organization that owns the store"},
		{"not installed", shopifysim.Options{TokenRefusal: shopifysim.RefuseAppNotInstalled}, "EUR", nil,
			"the app is not installed on cc.myshopify.com (app_not_installed): install it on the store first"},
		{"no read_orders", shopifysim.Options{Scopes: []string{"read_products", "write_inventory"}}, "EUR", nil,
			"the app may not read the orders of cc.myshopify.com: give it the read_orders access scope"},
		{"other currency", shopifysim.Options{}, "USD", nil,
			`cc.myshopify.com sells in EUR and the outlet "Gent" counts in USD: connect the shop to an outlet of its currency`},
		{"legacy wrong token", shopifysim.Options{}, "EUR", func(p *ConnectParams) {
			p.Auth, p.AccessToken, p.WebhookSecret = AuthLegacyToken, "shpat_not-the-token", "whsec"
		}, "Shopify refused the access token for cc.myshopify.com"},
		{"bad public url", shopifysim.Options{}, "EUR", func(p *ConnectParams) { p.PublicURL = "http://kassa.example.com" },
			"Shopify delivers webhooks over HTTPS only"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newCCShop(t, tc.opts, tc.currency)
			p := s.params()
			if tc.mod != nil {
				tc.mod(&p)
			}
			before := dbtest.Counts(t, s.db)
			_, _, err := ConnectionStore{Secrets: dbtest.Secrets()}.CheckAndConnect(ctx, s.db, p, s.options(s.db))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want %q", err, tc.want)
			}
			if strings.Contains(err.Error(), ccSecret) || strings.Contains(err.Error(), "shpat_") || strings.Contains(err.Error(), "http://127.0.0.1") {
				t.Fatalf("the error shows a secret or an internal address: %v", err)
			}
			dbtest.Unchanged(t, s.db, before)
		})
	}
}

func TestImportCrossingTheTokenExpiryRenewsOnce(t *testing.T) {
	t.Parallel()
	s := newCCShop(t, shopifysim.Options{TokenTTL: 2 * time.Hour, Generate: &shopdata.GenerateOptions{Seed: 3, Orders: 45, Days: 20}}, "EUR")
	c, _ := s.connect(t)
	im := s.importer(s.db)
	pages := 0
	sum, err := im.Run(context.Background(), c.ID, RunOptions{Mode: ModeAll, Progress: func(Progress) {
		// After the first page the clock passes the token's expiry: the next request
		// needs a new token.
		if pages++; pages == 1 {
			s.clock.Advance(3 * time.Hour)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Seen != 45 || sum.Outcomes.Failed != 0 || pages < 3 {
		t.Fatalf("summary %+v after %d pages", sum, pages)
	}
	if s.sim.TokenGrants() != 2 || s.obs.count("renewed") != 1 {
		t.Fatalf("%d grants, %d renewals: want the connect's token and one renewal", s.sim.TokenGrants(), s.obs.count("renewed"))
	}
	// The renewed token is stored, with its expiry, for the next process.
	again, err := ConnectionStore{Secrets: dbtest.Secrets()}.ByID(context.Background(), s.db, c.ID)
	if err != nil || again.AccessToken == c.AccessToken || again.TokenExpiresAt == nil || !again.TokenExpiresAt.After(s.clock.Now()) {
		t.Fatalf("stored token %+v %v", again.TokenExpiresAt, err)
	}
	// Ahead of the expiry (a tenth of its life, at most an hour, before) it is renewed
	// before a request could meet an expired token.
	s.clock.Advance(2*time.Hour - 13*time.Minute)
	if _, err := im.Run(context.Background(), c.ID, RunOptions{Mode: ModeNew}); err != nil {
		t.Fatal(err)
	}
	if s.obs.count("renewed") != 1 {
		t.Fatal("renewed with more than a tenth of the token's life left")
	}
	s.clock.Advance(2 * time.Minute)
	if _, err := im.Run(context.Background(), c.ID, RunOptions{Mode: ModeNew}); err != nil {
		t.Fatal(err)
	}
	if s.obs.count("renewed") != 2 || s.sim.TokenGrants() != 3 {
		t.Fatalf("%d renewals with under a tenth of the life left", s.obs.count("renewed"))
	}
}

// TestThreeProcessesRenewOnce: three importers on database pools of their own (as three
// kassa processes) find the token expired at the same moment; one asks Shopify, the
// others wait for it and use its token.
func TestThreeProcessesRenewOnce(t *testing.T) {
	t.Parallel()
	s := newCCShop(t, shopifysim.Options{}, "EUR")
	c, _ := s.connect(t)
	s.clock.Advance(25 * time.Hour)
	// The token request is slow: the others reach it while the first one waits.
	s.sim.ScriptFaults("oauth/access_token", shopifysim.Fault{Kind: shopifysim.FaultSlow, Delay: 300 * time.Millisecond},
		shopifysim.Fault{Kind: shopifysim.FaultSlow, Delay: 300 * time.Millisecond}, shopifysim.Fault{Kind: shopifysim.FaultSlow, Delay: 300 * time.Millisecond})
	var pools []*sqlx.DB
	for range 3 {
		db, err := sqlx.Open("postgres", dbURL(t, s.db))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		pools = append(pools, db)
	}
	conn, err := ConnectionStore{Secrets: dbtest.Secrets()}.ByID(context.Background(), s.db, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	for _, db := range pools {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl, err := ConnectionStore{Secrets: dbtest.Secrets()}.OpenClient(conn, s.options(db))
			if err != nil {
				errs <- err
				return
			}
			defer cl.Close()
			<-start
			_, err = cl.ShopDetails(context.Background())
			errs <- err
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if s.sim.TokenGrants() != 2 || s.obs.count("renewed") != 1 {
		t.Fatalf("%d grants, %d renewals for one expiry", s.sim.TokenGrants(), s.obs.count("renewed"))
	}
}

// dbURL is the URL of a test database, for a pool of its own.
func dbURL(t *testing.T, db *sqlx.DB) string {
	t.Helper()
	var name string
	if err := db.Get(&name, `SELECT current_database()`); err != nil {
		t.Fatal(err)
	}
	return dbtest.URLFor(name)
}

func TestA401MidRunRenewsOnceAndASecondFailsTheRun(t *testing.T) {
	t.Parallel()
	s := newCCShop(t, shopifysim.Options{Generate: &shopdata.GenerateOptions{Seed: 8, Orders: 35, Days: 20}}, "EUR")
	c, _ := s.connect(t)
	im := s.importer(s.db)
	pages := 0
	sum, err := im.Run(context.Background(), c.ID, RunOptions{Mode: ModeAll, Progress: func(Progress) {
		// Shopify revokes the token in the middle of the run.
		if pages++; pages == 1 {
			s.sim.RevokeTokens()
		}
	}})
	if err != nil || sum.Seen != 35 {
		t.Fatalf("run with a revoked token: %+v %v", sum, err)
	}
	if s.obs.count("renewed") != 1 {
		t.Fatalf("%d renewals", s.obs.count("renewed"))
	}
	// Shopify refuses every token: the run renews once more, then fails and says why.
	s.sim.RefuseAllTokens(true)
	_, err = im.Run(context.Background(), c.ID, RunOptions{Mode: ModeAll})
	if !errors.Is(err, shopifyapi.ErrUnauthorized) || !strings.Contains(err.Error(),
		"Shopify refused the access token of cc.myshopify.com, and the new one it had just issued as well: check in the Dev Dashboard that the app is installed") {
		t.Fatalf("run with refused tokens: %v", err)
	}
	if s.obs.count("renewed") != 2 {
		t.Fatalf("%d renewals: want exactly one for the failed run", s.obs.count("renewed"))
	}
	var runErr string
	if err := s.db.Get(&runErr, `SELECT error FROM import_runs ORDER BY id DESC LIMIT 1`); err != nil || !strings.Contains(runErr, "check in the Dev Dashboard") {
		t.Fatalf("the run's recorded error %q %v", runErr, err)
	}
	// An uninstalled app cannot get a token at all: that is unauthorized too, and counted
	// as a failed renewal.
	s.sim.RefuseAllTokens(false)
	s.sim.RevokeTokens()
	s.sim.Uninstall()
	_, err = im.Run(context.Background(), c.ID, RunOptions{Mode: ModeNew})
	if !errors.Is(err, shopifyapi.ErrUnauthorized) || !errors.Is(err, shopifyapi.ErrAppNotInstalled) || s.obs.count("failed") != 1 {
		t.Fatalf("after uninstall: %v (%d failed renewals)", err, s.obs.count("failed"))
	}
}

func TestSyncWebhooksCreatesRemovesAndRecords(t *testing.T) {
	t.Parallel()
	s := newCCShop(t, shopifysim.Options{}, "EUR")
	c, _ := s.connect(t)
	ctx := context.Background()
	cs := ConnectionStore{Secrets: dbtest.Secrets()}
	conn, _ := cs.ByID(ctx, s.db, c.ID)
	cl, err := cs.OpenClient(conn, s.options(s.db))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	topics := []string{"orders/create", "app/uninstalled"}
	// Another app's subscription and one of kassa's at an old address.
	s.sim.Subscribe("orders/create", "https://other-app.example/hooks")
	old := s.sim.Subscribe("orders/create", "https://old.example"+WebhookPath)
	states, err := cs.SyncWebhooks(ctx, s.db, cl.Client, conn, "https://kassa.example", topics, s.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, st := range states {
		got[st.Topic+" "+st.Address] = st.State
	}
	want := map[string]string{
		"orders/create https://kassa.example/webhooks/shopify":   WebhookCreated,
		"app/uninstalled https://kassa.example/webhooks/shopify": WebhookCreated,
		"orders/create https://old.example/webhooks/shopify":     WebhookRemoved,
	}
	if len(got) != len(want) {
		t.Fatalf("states %v", got)
	}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("states %v, want %v", got, want)
		}
	}
	for _, w := range s.sim.Webhooks() {
		if w.ID == old.ID {
			t.Fatal("the old address is still subscribed")
		}
	}
	if len(s.sim.Webhooks()) != 3 {
		t.Fatalf("subscriptions %+v", s.sim.Webhooks())
	}
	recorded, err := cs.RecordedWebhooks(ctx, s.db, c.ID)
	if err != nil || len(recorded) != 2 {
		t.Fatalf("recorded %+v %v", recorded, err)
	}
	// Shopify deletes one after failed deliveries: the next check creates it again and
	// keeps the other.
	s.sim.DeleteWebhook(idOf(t, recorded[0].SubscriptionID))
	states, err = cs.SyncWebhooks(ctx, s.db, cl.Client, conn, "https://kassa.example", topics, s.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	created := 0
	for _, st := range states {
		if st.State == WebhookCreated {
			created++
		}
	}
	if created != 1 || len(s.sim.Webhooks()) != 3 {
		t.Fatalf("second check %+v", states)
	}
}

func idOf(t *testing.T, gid string) int64 {
	t.Helper()
	var n int64
	for _, r := range strings.TrimPrefix(gid, "gid://shopify/WebhookSubscription/") {
		if r < '0' || r > '9' {
			t.Fatalf("gid %q", gid)
		}
		n = n*10 + int64(r-'0')
	}
	return n
}

// TestServedVersionIsRecordedAndLoggedOnce: when Shopify answers in another API version
// than the pinned one, the connection records it and the log says so once, not at every
// call.
func TestServedVersionIsRecordedAndLoggedOnce(t *testing.T) {
	t.Parallel()
	s := newCCShop(t, shopifysim.Options{ServeVersion: "2026-07"}, "EUR")
	var logs strings.Builder
	s.log = zerolog.New(&lockedWriter{w: &logs}).Level(zerolog.InfoLevel)
	c, _ := s.connect(t)
	if c.ServedAPIVersion != "2026-07" || c.APIVersion != "2026-10" {
		t.Fatalf("connection %s/%s", c.APIVersion, c.ServedAPIVersion)
	}
	im := s.importer(s.db)
	for range 3 {
		if _, err := im.Run(context.Background(), c.ID, RunOptions{Mode: ModeNew}); err != nil {
			t.Fatal(err)
		}
	}
	if n := strings.Count(logs.String(), "Shopify answers in another API version than the pinned one"); n != 1 {
		t.Fatalf("logged %d times:\n%s", n, logs.String())
	}
	if !strings.Contains(logs.String(), `"served_api_version":"2026-07"`) {
		t.Fatalf("log %s", logs.String())
	}
}

// lockedWriter serialises writes to a strings.Builder.
type lockedWriter struct {
	mu sync.Mutex
	w  *strings.Builder
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
