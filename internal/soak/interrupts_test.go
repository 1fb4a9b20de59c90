package soak

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/kassa-pos/kassa/daemon"
	"github.com/kassa-pos/kassa/daemon/client"
	"github.com/kassa-pos/kassa/internal/dbtest"
	"github.com/kassa-pos/kassa/internal/proctest"
	"github.com/kassa-pos/kassa/inventory"
	"github.com/kassa-pos/kassa/register"
	"github.com/kassa-pos/kassa/sync/shopify"
	"github.com/kassa-pos/kassa/sync/shopifysim"
	"github.com/kassa-pos/kassa/sync/shopifysim/shopdata"
)

// Scenarios of interruptions in the middle of work kassa cannot redo by itself: a
// database crash under a bulk import, an access token Shopify stops accepting under a Get
// all, a daemon killed while a stock push is in flight.

// ready waits until the kassa serve at url answers /readyz 200 (its database is back).
func ready(t testing.TB, url string) {
	t.Helper()
	waitFor(t, "kassa serve is ready", 2*time.Minute, func() bool {
		resp, err := http.Get(url + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

// getAllUntilFinished starts Get all runs through cl until one finishes (a start refused
// because a run is still going is asked again; a run that failed is followed by another,
// at most tries), and returns the finished run and how many runs it took.
func getAllUntilFinished(t testing.TB, cl *client.Client, tries int) (client.ImportRun, int) {
	t.Helper()
	ctx := context.Background()
	for i := 1; ; i++ {
		var run client.ImportRun
		var err error
		waitFor(t, "a Get all run starts", 5*time.Minute, func() bool {
			run, err = cl.StartImport(ctx, client.ImportRequest{Mode: "all"})
			if err != nil && client.StatusOf(err) != http.StatusConflict {
				t.Logf("start a Get all run: %v", err)
			}
			return err == nil
		})
		run, err = cl.WaitImport(ctx, run.RunID, 100*time.Millisecond)
		if err == nil && run.Status == "finished" {
			return run, i
		}
		t.Logf("Get all run %d ended %s (%v): %s", run.RunID, run.Status, err, run.Error)
		if i == tries {
			t.Fatalf("%d Get all runs did not finish", tries)
		}
	}
}

// soakCrashBulk crashes a private PostgreSQL (pg_ctl -m immediate, fsync on, the default
// synchronous_commit) while kassa serve writes the orders of a Get all read through a
// GraphQL bulk operation; once the server is back, what survived must hold together, a Get
// all run must finish the import from the same export, importing again the last pages the
// crash took (an import's pages commit asynchronously), and the checker finds every order
// exactly once.
func soakCrashBulk(t *testing.T) (string, bool) {
	ctx := context.Background()
	bin := proctest.Build(t)
	pgc := startCluster(t, "fsync=on")
	db := openMigrated(t, pgc.url)
	sim, err := shopifysim.NewServer(shopifysim.Options{Generate: &shopdata.GenerateOptions{Seed: 141, Orders: 10000, Days: 65}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	e := connectSim(t, db, sim)
	db.MustExec(`UPDATE shopify_connections SET order_api = $1`, shopify.OrderAPIGraphQL)
	tok, _, err := daemon.TokenStore{}.Create(ctx, db, "soak", daemon.RoleCashier)
	if err != nil {
		t.Fatal(err)
	}
	in := serve(t, bin, pgc.url)
	cl := client.New(in.URL, tok)
	start := time.Now()
	first, err := cl.StartImport(ctx, client.ImportRequest{Mode: "all"})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the bulk import is under way", 3*time.Minute, func() bool {
		return count(t, db, `SELECT count(*) FROM import_outcomes`) >= 3000
	})
	if sim.BulkOperations() != 1 {
		t.Fatalf("%d bulk operations before the crash: the run does not read through the bulk path", sim.BulkOperations())
	}
	// What was committed just before the crash: all of it must survive.
	var committed []string
	if err := db.Select(&committed, `SELECT external_id FROM sale_external_ids WHERE channel = 'shopify'`); err != nil {
		t.Fatal(err)
	}
	pgc.crash(t)
	time.Sleep(2 * time.Second) // the server stays down a moment, as after a crash
	pgc.start(t)
	restarted := time.Now()
	ready(t, in.URL)
	waitFor(t, "the test's own pool reconnects", time.Minute, func() bool { return db.Ping() == nil })
	var problems []string
	var after []string
	if err := db.Select(&after, `SELECT external_id FROM sale_external_ids WHERE channel = 'shopify'`); err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, id := range after {
		have[id] = true
	}
	lost := 0
	for _, id := range committed {
		if !have[id] {
			lost++
		}
	}
	// An import's pages commit without waiting for the disk (importer.go): the last ones
	// before the crash may be gone, whole, and are imported again. What survived must hold
	// together: every stock level equal to its movements.
	if n := count(t, db, `SELECT count(*) FROM stock_levels l WHERE l.on_hand <>
		coalesce((SELECT sum(delta) FROM stock_movements m WHERE m.product_id = l.product_id AND m.outlet_id = l.outlet_id), 0)`); n > 0 {
		problems = append(problems, fmt.Sprintf("after the crash %d stock levels differ from their movements", n))
	}
	var firstStatus string
	if err := db.Get(&firstStatus, `SELECT status FROM import_runs WHERE id = $1`, first.RunID); err != nil {
		t.Fatal(err)
	}
	// The cut run may still be going (its writes retried) or have ended: a Get all run after
	// it must finish, reading the same export.
	last, runs := getAllUntilFinished(t, cl, 3)
	took := time.Since(restarted)
	select {
	case <-in.Exited():
		problems = append(problems, fmt.Sprintf("kassa serve exited: %v", in.Err()))
	default:
	}
	if n := sim.BulkOperations(); n != 1 {
		problems = append(problems, fmt.Sprintf("%d bulk operations: the run after the crash did not read the same export", n))
	}
	if n := count(t, db, `SELECT count(*) FROM import_runs WHERE status = 'running'`); n > 0 {
		problems = append(problems, fmt.Sprintf("%d import runs still marked running", n))
	}
	res, err := Checker{DB: db, Shop: e.conn.Shop, OutletID: e.ids.OutletID, Now: time.Now(), AgeSlack: time.Since(start) + time.Minute}.Check(ctx, sim.AllOrders())
	if err != nil {
		t.Fatal(err)
	}
	res.Problems = append(problems, res.Problems...)
	var statuses []string
	db.Select(&statuses, `SELECT trigger || ' ' || status || ' ' || count(*) FROM import_runs GROUP BY trigger, status ORDER BY 1`)
	return fmt.Sprintf("crashed with %d sales committed, %d of them (the last pages, committed asynchronously) gone after the restart; the cut run was %s after the restart; %d Get all run(s) after it, "+
			"the last finished %.1f s after the restart (%d seen, %d imported); %d bulk operation(s), %d download(s); runs %v; %s",
			len(committed), lost, firstStatus, runs, took.Seconds(), last.Seen, last.Outcomes.Imported, sim.BulkOperations(),
			sim.BulkDownloads(), statuses, describe(res)),
		len(res.Problems) == 0
}

// ccClientID is the simulated Dev Dashboard app of the client-credentials scenarios.
const ccClientID = "kassa-soak-app"

// connectCC starts a simulated shop of a Dev Dashboard app (client credentials, the
// primary location, write_inventory) with opts and connects a fresh database's outlet to
// it as kassa shopify connect does.
func connectCC(t testing.TB, opts shopifysim.Options) *env {
	t.Helper()
	opts.ClientID, opts.Secret = ccClientID, "soak-client-secret"
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
	conn, _, err := shopify.ConnectionStore{Secrets: dbtest.Secrets()}.CheckAndConnect(context.Background(), db, shopify.ConnectParams{
		Shop: sim.Shop, Auth: shopify.AuthClientCredentials, ClientID: ccClientID, ClientSecret: opts.Secret, BaseURL: sim.URL,
		OutletID: ids.OutletID, RegisterID: ids.RegisterID}, shopify.ClientOptions{DB: db})
	if err != nil {
		t.Fatal(err)
	}
	return &env{db: db, url: url, sim: sim, ids: ids, conn: conn, now: opts.Clock}
}

// stockBySKU is the outlet's stock by SKU.
func stockBySKU(t testing.TB, e *env) map[string]int {
	t.Helper()
	var rows []struct {
		SKU    string `db:"sku"`
		OnHand int    `db:"on_hand"`
	}
	if err := e.db.Select(&rows, `SELECT p.sku, l.on_hand FROM stock_levels l JOIN products p ON p.id = l.product_id WHERE l.outlet_id = $1`,
		e.ids.OutletID); err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, r := range rows {
		out[r.SKU] += r.OnHand
	}
	return out
}

// pushQueued is how many items wait in the connection's stock push queue.
func pushQueued(t testing.TB, e *env) int {
	t.Helper()
	st, err := inventory.Store{}.PushStatus(context.Background(), e.db, shopify.Channel, e.conn.Shop)
	if err != nil {
		t.Fatal(err)
	}
	return st.Queued
}

// kassaSetsOf counts the changes of an item's available quantity kassa made in Shopify
// (its inventory history, reference gid://kassa/…).
func kassaSetsOf(sim *shopifysim.Server, item int64) int {
	n := 0
	for _, c := range sim.InventoryChanges() {
		if c.InventoryItemID == item && c.Name == "available" && strings.HasPrefix(c.ReferenceDocumentURI, "gid://kassa/") {
			n++
		}
	}
	return n
}

// soakKillPush sells at the counter while kassa serve pushes stock, and SIGKILLs the daemon
// while each sale's inventorySetQuantities is in flight: the simulator holds the mutation
// until the daemon is dead, then drops it (Shopify never got it) or applies it (Shopify
// got it, the answer was lost), by turns. After a restart each sale must be in Shopify's
// history exactly once, Shopify's available equal to kassa's level for every linked
// product, the queue empty, and the shop's orders (imported first) exact.
func soakKillPush(t *testing.T) (string, bool) {
	ctx := context.Background()
	bin := proctest.Build(t)
	const seed = 151
	e := connectCC(t, shopifysim.Options{Generate: &shopdata.GenerateOptions{Seed: seed, Orders: 300, Days: 65}})
	if e.conn.LocationID == nil {
		t.Fatal("the connection has no location: stock is not pushed")
	}
	if _, err := (shopify.ConnectionStore{Secrets: dbtest.Secrets()}).PullCatalogue(ctx, e.db, e.conn, shopify.ClientOptions{DB: e.db}, false); err != nil {
		t.Fatal(err)
	}
	opening := stockBySKU(t, e)
	tok, _, err := daemon.TokenStore{}.Create(ctx, e.db, "soak", daemon.RoleCashier)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	serveIt := func() *proctest.Process { return serve(t, bin, e.url, "--stock-push-lease", "1s") }
	in := serveIt()
	// The shop's orders first: the import moves stock too, and the pusher follows it.
	getAllUntilFinished(t, client.New(in.URL, tok), 1)
	waitFor(t, "the import's stock pushes are done", 2*time.Minute, func() bool { return pushQueued(t, e) == 0 })

	if _, err := (register.Store{}).OpenSession(ctx, e.db, e.ids.RegisterID, decimal.Zero, "An"); err != nil {
		t.Fatal(err)
	}
	var items []shopdata.CatalogItem
	for _, it := range shopdata.NewGenerator(shopdata.GenerateOptions{Seed: seed, Now: time.Now()}).Catalog() {
		if _, ok := opening[it.SKU]; ok && it.Tracked && it.SKU != "" && !it.GiftCard {
			items = append(items, it)
		}
	}
	const rounds = 8
	if len(items) < rounds {
		t.Fatalf("only %d linked tracked products", len(items))
	}
	var problems []string
	counterSold := map[string]int{}
	applied, dropped := 0, 0
	var perRound []string
	for i := range rounds {
		it := items[i]
		before := kassaSetsOf(e.sim, it.InventoryItemID)
		setsBefore := e.sim.InventorySets()
		hold := e.sim.HoldNextInventorySet()
		t.Cleanup(func() { hold.Release(false) })
		qty := 1 + i%3
		if _, err := (register.Service{}).Sell(ctx, e.db, register.SellRequest{RegisterID: e.ids.RegisterID,
			Lines: []register.SellLine{{Code: it.SKU, Quantity: qty}}, Payments: []register.Tender{{Type: "Cash"}}, By: "An"}); err != nil {
			t.Fatal(err)
		}
		counterSold[it.SKU] += qty
		select {
		case <-hold.Reached():
		case <-time.After(2 * time.Minute):
			t.Fatalf("round %d: the sale's push never reached Shopify", i+1)
		}
		// The push is in flight: the daemon dies now.
		in.Kill()
		<-in.Exited()
		apply := i%2 == 1
		hold.Release(apply)
		if apply {
			applied++
		} else {
			dropped++
		}
		in = serveIt()
		waitFor(t, "the sale is pushed after the restart", 2*time.Minute, func() bool {
			q, _ := e.sim.InventoryLevel(it.InventoryItemID, *e.conn.LocationID)
			return pushQueued(t, e) == 0 && q.Available == stockBySKU(t, e)[it.SKU]
		})
		sets := kassaSetsOf(e.sim, it.InventoryItemID) - before
		if sets != 1 {
			problems = append(problems, fmt.Sprintf("round %d (%s, held set %s): the sale is in Shopify's history %d times, want once",
				i+1, it.SKU, map[bool]string{true: "applied", false: "dropped"}[apply], sets))
		}
		// The restarted daemon's sets refused as stale: the applied set's repeat compares with
		// the quantity Shopify held before it.
		stale := metricValue(t, in.URL+"/metrics", "kassa_stock_push_stale_total")
		perRound = append(perRound, fmt.Sprintf("%s %d (%.0f stale)", map[bool]string{true: "applied", false: "dropped"}[apply],
			e.sim.InventorySets()-setsBefore, stale))
	}
	// Every linked product: Shopify's available equals kassa's level.
	levels := stockBySKU(t, e)
	differ := 0
	for _, it := range shopdata.NewGenerator(shopdata.GenerateOptions{Seed: seed, Now: time.Now()}).Catalog() {
		l, ok := levels[it.SKU]
		if !ok || !it.Tracked || it.GiftCard {
			continue
		}
		q, _ := e.sim.InventoryLevel(it.InventoryItemID, *e.conn.LocationID)
		if q.Available != l {
			differ++
			if differ <= 3 {
				problems = append(problems, fmt.Sprintf("%s: Shopify's available %d, kassa's level %d", it.SKU, q.Available, l))
			}
		}
	}
	if differ > 0 {
		problems = append(problems, fmt.Sprintf("%d products differ between Shopify and kassa", differ))
	}
	// The checker's stock rule is the opening level less the imported orders' units; the
	// counter sales are taken off the opening here.
	for sku, q := range counterSold {
		opening[sku] -= q
	}
	res, err := Checker{DB: e.db, Shop: e.conn.Shop, OutletID: e.ids.OutletID, Now: time.Now(), AgeSlack: time.Since(start) + time.Minute,
		Opening: opening}.Check(ctx, e.sim.AllOrders())
	if err != nil {
		t.Fatal(err)
	}
	res.Problems = append(problems, res.Problems...)
	return fmt.Sprintf("%d counter sales, the daemon SIGKILLed with each push in flight (%d held sets dropped, %d applied with the answer lost); "+
			"inventorySetQuantities received per sale, the killed one included: [%s]; %d in all; each sale in Shopify's history once: %v; "+
			"Shopify = kassa for every linked product: %v; %s", rounds, dropped, applied, strings.Join(perRound, ", "), e.sim.InventorySets(),
			len(problems) == 0, differ == 0, describe(res)),
		len(res.Problems) == 0
}

// soakTokenExpiry runs three kassa serve processes on a Dev Dashboard app's connection
// (client credentials: a token that expires) with its catalogue linked, so that while one
// of them runs a Get all through a bulk operation, the stock pushers of all three push
// what the import moves. Shopify stops accepting the access token twice: while the bulk
// export is prepared (the importer is polling it) and while its orders are written (the
// pushers are busy). Each time the daemons must get one new token between them (a renewal
// holds a lock on the connection, the others read the token it stored), and the run must
// finish with the checker exact and Shopify's available equal to kassa's levels.
func soakTokenExpiry(t *testing.T) (string, bool) {
	ctx := context.Background()
	bin := proctest.Build(t)
	const seed = 161
	e := connectCC(t, shopifysim.Options{Generate: &shopdata.GenerateOptions{Seed: seed, Orders: 10000, Days: 65},
		Bulk: shopifysim.BulkOptions{Rate: 4000}})
	if _, err := (shopify.ConnectionStore{Secrets: dbtest.Secrets()}).PullCatalogue(ctx, e.db, e.conn, shopify.ClientOptions{DB: e.db}, false); err != nil {
		t.Fatal(err)
	}
	opening := stockBySKU(t, e)
	tok, _, err := daemon.TokenStore{}.Create(ctx, e.db, "soak", daemon.RoleCashier)
	if err != nil {
		t.Fatal(err)
	}
	var ins []*proctest.Process
	for range 3 {
		ins = append(ins, serve(t, bin, e.url))
	}
	grants0 := e.sim.TokenGrants()
	start := time.Now()
	cl := client.New(ins[0].URL, tok)
	run, err := cl.StartImport(ctx, client.ImportRequest{Mode: "all"})
	if err != nil {
		t.Fatal(err)
	}
	var problems []string
	var revokedAt []string
	revoke := func(when string) {
		g := e.sim.TokenGrants()
		e.sim.RevokeTokens()
		revokedAt = append(revokedAt, when)
		waitFor(t, "a daemon gets a new token", 3*time.Minute, func() bool { return e.sim.TokenGrants() > g })
	}
	// While Shopify prepares the export: the importer is polling the bulk operation.
	waitFor(t, "the bulk export is being prepared", 2*time.Minute, func() bool { return e.sim.BulkOperations() > 0 })
	time.Sleep(300 * time.Millisecond)
	if count(t, e.db, `SELECT count(*) FROM import_outcomes`) > 0 {
		problems = append(problems, "the export was ready before the first revocation: it did not fall while the export was prepared")
	}
	revoke("while the export was prepared")
	// While the orders are written and the pushers push the stock they move.
	waitFor(t, "the import is under way", 3*time.Minute, func() bool {
		return count(t, e.db, `SELECT count(*) FROM import_outcomes`) >= 3000
	})
	queued := pushQueued(t, e)
	revoke(fmt.Sprintf("with %d outcomes written and %d products waiting to be pushed", count(t, e.db, `SELECT count(*) FROM import_outcomes`), queued))
	run, err = cl.WaitImport(ctx, run.RunID, 100*time.Millisecond)
	if err != nil || run.Status != "finished" {
		problems = append(problems, fmt.Sprintf("the Get all run ended %s: %s (%v)", run.Status, run.Error, err))
		// Let another run finish so that the end state can be measured.
		getAllUntilFinished(t, cl, 3)
	}
	took := time.Since(start)
	waitFor(t, "the stock pushes are done", 3*time.Minute, func() bool { return pushQueued(t, e) == 0 })
	grants := e.sim.TokenGrants() - grants0
	if grants != len(revokedAt) {
		problems = append(problems, fmt.Sprintf("%d tokens granted for %d revocations, want one each", grants, len(revokedAt)))
	}
	var renewals []string
	for i, in := range ins {
		renewals = append(renewals, fmt.Sprintf("%.0f", metricValue(t, in.URL+"/metrics", "kassa_shopify_token_renewals_total", `result="renewed"`)))
		select {
		case <-in.Exited():
			problems = append(problems, fmt.Sprintf("kassa serve %d exited: %v", i+1, in.Err()))
		default:
		}
	}
	levels := stockBySKU(t, e)
	differ := 0
	for _, it := range shopdata.NewGenerator(shopdata.GenerateOptions{Seed: seed, Now: time.Now()}).Catalog() {
		l, ok := levels[it.SKU]
		if !ok || !it.Tracked || it.GiftCard {
			continue
		}
		if q, _ := e.sim.InventoryLevel(it.InventoryItemID, *e.conn.LocationID); q.Available != l {
			differ++
		}
	}
	if differ > 0 {
		problems = append(problems, fmt.Sprintf("%d products differ between Shopify and kassa", differ))
	}
	unauthorized := 0
	for _, r := range e.sim.Requests() {
		if r.Status == http.StatusUnauthorized {
			unauthorized++
		}
	}
	res, err := Checker{DB: e.db, Shop: e.conn.Shop, OutletID: e.ids.OutletID, Now: time.Now(), AgeSlack: time.Since(start) + time.Minute,
		Opening: opening}.Check(ctx, e.sim.AllOrders())
	if err != nil {
		t.Fatal(err)
	}
	res.Problems = append(problems, res.Problems...)
	return fmt.Sprintf("tokens revoked %s; %d requests answered 401; %d new tokens granted (renewals per daemon [%s]); the Get all run %s "+
			"in %.1f s (%d seen); Shopify = kassa for every linked product: %v; %s", strings.Join(revokedAt, " and "), unauthorized, grants,
			strings.Join(renewals, " "), run.Status, took.Seconds(), run.Seen, differ == 0, describe(res)),
		len(res.Problems) == 0
}
