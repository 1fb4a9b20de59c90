package perf

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/kassa-pos/kassa/internal/dbtest"
	"github.com/kassa-pos/kassa/inventory"
	"github.com/kassa-pos/kassa/sync/shopify"
	"github.com/kassa-pos/kassa/sync/shopifysim"
	"github.com/kassa-pos/kassa/sync/shopifysim/shopdata"
)

// pushLatencies collects what the pusher observed.
type pushLatencies struct {
	mu     sync.Mutex
	lat    []time.Duration
	set    int
	errors int
	stale  int
}

func (p *pushLatencies) ObservePushed(_ string, lat []time.Duration, set int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lat = append(p.lat, lat...)
	p.set += set
}
func (p *pushLatencies) ObservePushError(string)        { p.mu.Lock(); p.errors++; p.mu.Unlock() }
func (p *pushLatencies) ObserveStale(string)            { p.mu.Lock(); p.stale++; p.mu.Unlock() }
func (p *pushLatencies) ObserveCorrections(string, int) {}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted)-1) * p)
	return sorted[i]
}

// measureStockPush makes rate stock movements a second for the given time at the outlet of
// a shop on Shopify's standard plan (100 points a second) and measures the time from a
// change to Shopify holding its level, the THROTTLED answers and the query cost spent per
// movement.
func measureStockPush(t *testing.T, rate int, d time.Duration) []Row {
	ctx := context.Background()
	sim, err := shopifysim.NewServer(shopifysim.Options{
		Generate: &shopdata.GenerateOptions{Seed: 4, Orders: 10, Days: 5}, Plan: shopifysim.PlanStandard,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	db := dbtest.New(t)
	ids, conn := connectShop(t, db, sim.URL, shopify.OrderAPIGraphQL)
	store := shopify.ConnectionStore{Secrets: dbtest.Secrets()}
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
	items, err := inventory.Store{}.ChannelItems(ctx, db, shopify.Channel, conn.Shop)
	if err != nil || len(items) == 0 {
		t.Fatalf("linked items: %d, %v", len(items), err)
	}
	obs := &pushLatencies{}
	p := &shopify.Pusher{DB: db, Store: store, Opts: opts, Claimer: "perf", Observer: obs}
	pctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.Run(pctx, conn)
	}()
	before := sim.Stats()
	tick := time.NewTicker(time.Second / time.Duration(rate))
	n := 0
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		<-tick.C
		it := items[n%len(items)]
		delta := 1
		if n%2 == 0 {
			delta = -1
		}
		if _, err := (inventory.Store{}).ApplyMovements(ctx, db, []inventory.Movement{{
			ProductID: it.ProductID, OutletID: ids.OutletID, Delta: delta, Reason: inventory.ReasonAdjustment, Note: "perf",
		}}); err != nil {
			t.Fatal(err)
		}
		n++
	}
	tick.Stop()
	for {
		st, err := inventory.Store{}.PushStatus(ctx, db, shopify.Channel, conn.Shop)
		if err != nil {
			t.Fatal(err)
		}
		if st.Queued == 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	<-done
	after := sim.Stats()
	// Shopify ends holding every level.
	wrong := 0
	for _, it := range items {
		level, _ := inventory.Store{}.StockLevel(ctx, db, it.ProductID, ids.OutletID)
		if q, _ := sim.InventoryLevel(it.InventoryItemID, *conn.LocationID); q.Available != level {
			wrong++
		}
	}
	obs.mu.Lock()
	lat := slices.Sorted(slices.Values(obs.lat))
	set, errs := obs.set, obs.errors
	obs.mu.Unlock()
	throttled := after.Throttled - before.Throttled
	cost := float64(after.GraphQLPoints-before.GraphQLPoints) / float64(n)
	p50, p99 := percentile(lat, 0.50), percentile(lat, 0.99)
	return []Row{{
		Figure: fmt.Sprintf("8. Stock push, %d movements/s for %s over %d products, standard plan (100 points/s)", rate, d, len(items)),
		Measured: fmt.Sprintf("change → Shopify p50 %.0f ms, p99 %.0f ms (%d pushes, %d sets for %d movements); %d × THROTTLED; %.2f points a movement; %d failed, %d levels wrong after",
			float64(p50.Microseconds())/1000, float64(p99.Microseconds())/1000, len(lat), set, n, throttled, cost, errs, wrong),
		Bound:   "a set costs 10 points whatever its size",
		Target:  "p99 < 2 s, 0 THROTTLED, 0 wrong",
		Verdict: Verdict(p99 < 2*time.Second && throttled == 0 && wrong == 0),
	}}
}

// TestStockPushFigure runs the stock push figure (8) alone (KASSA_PERF=1), for a quick look.
func TestStockPushFigure(t *testing.T) {
	if os.Getenv("KASSA_PERF") != "1" {
		t.Skip("set KASSA_PERF=1 to measure the stock push figure")
	}
	for _, r := range measureStockPush(t, 50, time.Duration(envInt("KASSA_PERF_STOCK_SECONDS", 20))*time.Second) {
		t.Logf("%s: %s [%s] %s", r.Figure, r.Measured, r.Target, r.Verdict)
	}
}
