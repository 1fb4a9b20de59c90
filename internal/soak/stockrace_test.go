package soak

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kassa-pos/kassa/daemon"
	"github.com/kassa-pos/kassa/daemon/client"
	"github.com/kassa-pos/kassa/internal/dbtest"
	"github.com/kassa-pos/kassa/sync/shopify"
	"github.com/kassa-pos/kassa/sync/shopifysim"
	"github.com/kassa-pos/kassa/sync/shopifysim/shopdata"
)

// soakStockRace sells the same few products in the web store and at the counter at once
// while the daemon's stock pusher sets Shopify's available quantity to kassa's level with
// compare-and-set (Shopify answers stale whenever a web order moved the quantity since
// kassa read it): once the webhooks are processed and the push queue is empty, Shopify's
// available equals kassa's level for every linked product, without a drift correction,
// and the checker is exact with the counter's sales counted.
func soakStockRace(t *testing.T) (string, bool) {
	ctx := context.Background()
	ln := listen(t)
	e := newEnv(t, shopifysim.Options{
		Generate:   &shopdata.GenerateOptions{Seed: 13, Orders: 40, Days: 20},
		WebhookURL: "http://" + ln.Addr().String() + "/webhooks/shopify",
		Webhooks:   shopifysim.WebhookOptions{Copies: 2, Shuffle: true, ShuffleSeed: 23},
	}, true)
	store := shopify.ConnectionStore{Secrets: dbtest.Secrets()}
	opts := shopify.ClientOptions{DB: e.db}
	if _, err := store.SetLocation(ctx, e.db, e.conn, "", opts); err != nil {
		t.Fatal(err)
	}
	conn, err := store.ByID(ctx, e.db, e.conn.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.PullCatalogue(ctx, e.db, conn, opts, false); err != nil {
		t.Fatal(err)
	}
	// The hot products: tracked, linked, with a barcode-free SKU the counter sells by.
	var hot []shopdata.CatalogItem
	for _, it := range shopdata.NewGenerator(shopdata.GenerateOptions{Seed: 13, Now: time.Now()}).Catalog() {
		if it.Tracked && it.SKU != "" && !it.GiftCard && len(hot) < 6 {
			hot = append(hot, it)
		}
	}
	if len(hot) < 3 {
		t.Fatalf("the generated catalogue has %d tracked products", len(hot))
	}
	opening := map[string]int{}
	var levels []struct {
		SKU   string `db:"sku"`
		Level int    `db:"on_hand"`
	}
	if err := e.db.Select(&levels, `SELECT p.sku, l.on_hand FROM stock_levels l JOIN products p ON p.id = l.product_id WHERE l.outlet_id = $1`,
		e.ids.OutletID); err != nil {
		t.Fatal(err)
	}
	for _, l := range levels {
		opening[l.SKU] = l.Level
	}

	in := startDaemon(t, e.db, ln, time.Now)
	tok, _, err := daemon.TokenStore{}.Create(ctx, e.db, "till", daemon.RoleCashier)
	if err != nil {
		t.Fatal(err)
	}
	cl := client.New(in.url, tok)
	if _, err := cl.OpenRegister(ctx, "Front", client.OpenRequest{OpeningFloat: "0.00"}); err != nil {
		t.Fatal(err)
	}
	// The shop's history first, so that the race is between new sales only.
	var run client.ImportRun
	waitFor(t, "a Get all run starts", 3*time.Minute, func() bool {
		run, err = cl.StartImport(ctx, client.ImportRequest{Mode: "all"})
		return err == nil
	})
	if run, err = cl.WaitImport(ctx, run.RunID, 50*time.Millisecond); err != nil || run.Status != "finished" {
		t.Fatalf("Get all: %+v %v", run, err)
	}

	// Two web stores' worth of buyers and two tills, each on its own goroutine.
	const sales, lanes = 400, 2
	counter := map[string]int{}
	var mu sync.Mutex
	refused := 0
	var wg sync.WaitGroup
	start := time.Now()
	for lane := range lanes {
		wg.Add(2)
		go func() {
			defer wg.Done()
			rnd := newRand(31 + uint64(lane))
			for range sales / lanes {
				a := hot[rnd.IntN(len(hot))]
				lines := []shopifysim.WebOrderLine{{VariantID: a.VariantID, Quantity: 1 + rnd.IntN(2)}}
				if b := hot[rnd.IntN(len(hot))]; b.VariantID != a.VariantID && rnd.IntN(2) == 0 {
					lines = append(lines, shopifysim.WebOrderLine{VariantID: b.VariantID, Quantity: 1})
				}
				if _, err := e.sim.PlaceWebOrder(lines...); err != nil {
					t.Errorf("web order: %v", err)
					return
				}
			}
		}()
		go func() {
			defer wg.Done()
			rnd := newRand(37 + uint64(lane))
			for range sales / lanes {
				it := hot[rnd.IntN(len(hot))]
				n := 1 + rnd.IntN(2)
				_, err := cl.Sell(ctx, "Front", client.SellRequest{Lines: []client.SellLine{{Code: it.SKU, Quantity: n}},
					Payments: []client.Tender{{Type: "Card"}}})
				mu.Lock()
				if err == nil {
					counter[it.SKU] += n
				} else {
					refused++
					t.Logf("counter sale of %d %s refused: %v", n, it.SKU, err)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	wctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	if err := e.sim.WaitWebhooks(wctx); err != nil {
		t.Fatalf("webhooks not delivered: %v", err)
	}
	waitFor(t, "every delivery is processed and the push queue is empty", 5*time.Minute, func() bool {
		return count(t, e.db, `SELECT count(*) FROM webhook_deliveries WHERE processed_at IS NULL`) == 0 &&
			count(t, e.db, `SELECT count(*) FROM stock_push_queue`) == 0
	})
	took := time.Since(start)

	// Shopify's available equals kassa's level for every linked product.
	var linked []struct {
		SKU   string `db:"sku"`
		Item  int64  `db:"inventory_item_id"`
		Level int    `db:"on_hand"`
	}
	if err := e.db.Select(&linked, `SELECT p.sku, c.inventory_item_id, coalesce(l.on_hand, 0) AS on_hand
		FROM stock_channel_items c JOIN products p ON p.id = c.product_id
		LEFT JOIN stock_levels l ON l.product_id = c.product_id AND l.outlet_id = c.outlet_id
		WHERE c.shop = $1 ORDER BY p.sku`, e.conn.Shop); err != nil {
		t.Fatal(err)
	}
	var differ []string
	for _, l := range linked {
		q, ok := e.sim.InventoryLevel(l.Item, *conn.LocationID)
		if !ok || q.Available != l.Level {
			differ = append(differ, fmt.Sprintf("%s: Shopify %d, kassa %d", l.SKU, q.Available, l.Level))
		}
	}
	if len(differ) > 0 {
		t.Errorf("%d of %d linked products differ from Shopify: %v", len(differ), len(linked), differ)
	}
	corrections := count(t, e.db, `SELECT count(*) FROM stock_corrections`)
	stale := metric(t, in.url, "kassa_stock_push_stale_total")
	sets := metric(t, in.url, "kassa_stock_pushes_total")

	chk := e.checker(time.Since(start) + time.Minute)
	chk.Opening, chk.Counter, chk.LocationID = opening, counter, *conn.LocationID
	res, err := chk.Check(ctx, e.sim.AllOrders())
	if err != nil {
		t.Fatal(err)
	}
	if err := res.Err(); err != nil {
		t.Error(err)
	}
	sold := 0
	for _, n := range counter {
		sold += n
	}
	return fmt.Sprintf("%d web orders (webhooks ×2, shuffled) and %d counter sales (%d units, %d refused) from two buyers and two tills on %d products in %s; "+
			"%.0f pushes, %.0f stale answers read and set again; %d of %d linked products differ from Shopify after the queue drained, "+
			"%d drift corrections; %s", sales, sales-refused, sold, refused, len(hot), took.Round(time.Second), sets, stale, len(differ),
			len(linked), corrections, describe(res)),
		len(res.Problems) == 0 && len(differ) == 0 && !t.Failed()
}

// metric sums a metric's samples (all labels) from a daemon's /metrics.
func metric(t testing.TB, url, name string) float64 {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, line := range strings.Split(string(body), "\n") {
		if !strings.HasPrefix(line, name+" ") && !strings.HasPrefix(line, name+"{") {
			continue
		}
		f := strings.Fields(line)
		if v, err := strconv.ParseFloat(f[len(f)-1], 64); err == nil {
			sum += v
		}
	}
	return sum
}
