package daemon_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/kassa-pos/kassa/daemon"
	"github.com/kassa-pos/kassa/internal/dbtest"
	"github.com/kassa-pos/kassa/internal/proctest"
	"github.com/kassa-pos/kassa/inventory"
	"github.com/kassa-pos/kassa/sync/shopify"
	"github.com/kassa-pos/kassa/sync/shopifysim"
	"github.com/kassa-pos/kassa/sync/shopifysim/shopdata"
)

// stockShop is a generated shop linked to the outlet at its primary location, with its
// catalogue pulled.
func stockShop(t *testing.T, db *sqlx.DB) (*shopifysim.Server, shopify.Connection, dbtest.Shop, []shopdata.CatalogItem) {
	t.Helper()
	ctx := context.Background()
	ids := dbtest.NewShop(t, db, "Gent", "Front")
	sim, err := shopifysim.NewServer(shopifysim.Options{Generate: &shopdata.GenerateOptions{Seed: 13, Orders: 5, Days: 5}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	store := shopify.ConnectionStore{Secrets: dbtest.Secrets()}
	conn, err := store.Connect(ctx, db, shopify.ConnectParams{
		Shop: sim.Shop, AccessToken: sim.Token, WebhookSecret: sim.Secret, BaseURL: sim.URL,
		OutletID: ids.OutletID, RegisterID: ids.RegisterID, AutoUpdate: false,
	})
	if err != nil {
		t.Fatal(err)
	}
	opts := shopify.ClientOptions{DB: db}
	if _, err := store.SetLocation(ctx, db, conn, "", opts); err != nil {
		t.Fatal(err)
	}
	if conn, err = store.ByID(ctx, db, conn.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := store.PullCatalogue(ctx, db, conn, opts, false); err != nil {
		t.Fatal(err)
	}
	var items []shopdata.CatalogItem
	for _, it := range shopdata.NewGenerator(shopdata.GenerateOptions{Seed: 13, Now: time.Now()}).Catalog() {
		if it.Tracked && it.SKU != "" {
			items = append(items, it)
		}
	}
	return sim, conn, ids, items
}

func kassaLevel(t *testing.T, db *sqlx.DB, outlet int64, sku string) int {
	t.Helper()
	p, err := inventory.Store{}.ProductBySKU(context.Background(), db, sku)
	if err != nil {
		t.Fatal(err)
	}
	n, err := inventory.Store{}.StockLevel(context.Background(), db, p.ID, outlet)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func kassaSetsOf(sim *shopifysim.Server, item int64) int {
	n := 0
	for _, c := range sim.InventoryChanges() {
		if c.InventoryItemID == item && c.Name == "available" && strings.HasPrefix(c.ReferenceDocumentURI, "gid://kassa/") {
			n++
		}
	}
	return n
}

// kassa serve pushes a movement to Shopify, and its nightly drift check corrects a quantity
// changed in Shopify before the nightly report, which lists it.
func TestServePushesStockAndTheNightlyReportListsCorrections(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	sim, conn, ids, items := stockShop(t, db)
	drifted, moved := items[0], items[1]
	if _, err := sim.AdjustAvailable(drifted.InventoryItemID, *conn.LocationID, 6); err != nil {
		t.Fatal(err)
	}
	cfg := fastConfig()
	cfg.NightlyAt, cfg.NightlyEvery = "00:00", 20*time.Millisecond
	cfg.StockPushEvery, cfg.StockPushIdle = 20*time.Millisecond, 5*time.Millisecond
	d := start(t, db, listen(t), cfg, daemon.Deps{Logger: testLogger(t, nil)})
	if _, _, err := (inventory.Store{}).Adjust(context.Background(), db, inventory.Adjustment{OutletID: ids.OutletID, SKU: moved.SKU, Delta: -4}); err != nil {
		t.Fatal(err)
	}
	equal := func(it shopdata.CatalogItem) bool {
		q, _ := sim.InventoryLevel(it.InventoryItemID, *conn.LocationID)
		return q.Available == kassaLevel(t, db, ids.OutletID, it.SKU)
	}
	m := d.url + "/metrics"
	waitFor(t, "the movement and the correction in Shopify", func() bool {
		return equal(moved) && equal(drifted) && countRows(t, db, `SELECT count(*) FROM nightly_reports`) == 1 &&
			metricSum(t, m, "kassa_stock_pushes_total", `result="set"`) == 2
	}, d)
	var body []byte
	if err := db.Get(&body, `SELECT body FROM nightly_reports`); err != nil {
		t.Fatal(err)
	}
	var report struct {
		StockCorrections []struct {
			SKU           string `json:"sku"`
			Level         int    `json:"kassa_level"`
			ShopAvailable *int   `json:"shop_available"`
		} `json:"stock_corrections"`
	}
	if err := json.Unmarshal(body, &report); err != nil {
		t.Fatal(err)
	}
	if len(report.StockCorrections) != 1 || report.StockCorrections[0].SKU != drifted.SKU ||
		*report.StockCorrections[0].ShopAvailable != report.StockCorrections[0].Level+6 {
		t.Fatalf("the nightly report's corrections: %+v", report.StockCorrections)
	}
	// /readyz tells how the push stands.
	resp, err := http.Get(d.url + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	var ready struct {
		Shopify []struct {
			Shop        string `json:"shop"`
			StockPush   string `json:"stock_push"`
			StockQueued int    `json:"stock_queued"`
		} `json:"shopify"`
	}
	err = json.NewDecoder(resp.Body).Decode(&ready)
	resp.Body.Close()
	if err != nil || len(ready.Shopify) != 1 || ready.Shopify[0].StockPush != "on" || ready.Shopify[0].StockQueued != 0 {
		t.Fatalf("readyz %+v %v", ready, err)
	}
	// The metrics count the pushes (the movement and the correction), their latency and the
	// correction.
	if set, lat, corr := metricSum(t, m, "kassa_stock_pushes_total", `result="set"`), metricSum(t, m, "kassa_stock_push_latency_seconds_count"),
		metricSum(t, m, "kassa_stock_corrections_total"); set != 2 || lat < 2 || corr != 1 {
		t.Fatalf("metrics: %v set, %v latencies, %v corrections", set, lat, corr)
	}
}

// kassa serve killed (SIGKILL) while it pushes a movement: the set never reached Shopify,
// the change stays queued, and the restarted daemon pushes it exactly once.
func TestSIGKILLBetweenMovementAndPushThenRestart(t *testing.T) {
	t.Parallel()
	bin := proctest.Build(t)
	db, dbURL := dbtest.NewWithURL(t)
	sim, conn, ids, items := stockShop(t, db)
	it := items[2]
	serve := func() *proctest.Process {
		addr := proctest.FreeAddr(t)
		p := proctest.Start(t, bin, []string{"DATABASE_URL=" + dbURL}, "serve", "--addr", addr, "--log-level", "warn", "--stock-push-lease", "1s")
		p.URL = "http://" + addr
		p.WaitReady(t, "/healthz", 2*time.Minute)
		return p
	}
	p := serve()
	// The next GraphQL request (the set) hangs; the simulator drops it when the daemon dies.
	sim.ScriptFaults("graphql.json", shopifysim.Fault{Kind: shopifysim.FaultSlow, Delay: 5 * time.Second})
	if _, _, err := (inventory.Store{}).Adjust(context.Background(), db, inventory.Adjustment{OutletID: ids.OutletID, SKU: it.SKU, Delta: -3}); err != nil {
		t.Fatal(err)
	}
	pollFor(t, "the daemon claiming the change", func() bool {
		return countRows(t, db, `SELECT count(*) FROM stock_push_queue WHERE claimed_by <> ''`) == 1
	})
	time.Sleep(200 * time.Millisecond) // the set is on its way, held by the simulator
	p.Kill()
	if n := kassaSetsOf(sim, it.InventoryItemID); n != 0 || countRows(t, db, `SELECT count(*) FROM stock_push_queue`) != 1 {
		t.Fatalf("after the kill: %d sets in Shopify, queue %d", n, countRows(t, db, `SELECT count(*) FROM stock_push_queue`))
	}
	serve()
	pollFor(t, "the restarted daemon's push", func() bool {
		return countRows(t, db, `SELECT count(*) FROM stock_push_queue`) == 0
	})
	q, _ := sim.InventoryLevel(it.InventoryItemID, *conn.LocationID)
	if n := kassaSetsOf(sim, it.InventoryItemID); n != 1 || q.Available != kassaLevel(t, db, ids.OutletID, it.SKU) {
		t.Fatalf("%d sets in Shopify's history, want 1; Shopify %d, kassa %d", n, q.Available, kassaLevel(t, db, ids.OutletID, it.SKU))
	}
}
