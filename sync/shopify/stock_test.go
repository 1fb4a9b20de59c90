package shopify

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/kassa-pos/kassa/internal/dbtest"
	"github.com/kassa-pos/kassa/inventory"
	"github.com/kassa-pos/kassa/register"
	"github.com/kassa-pos/kassa/sync/shopify/shopifyapi"
	"github.com/kassa-pos/kassa/sync/shopifysim"
	"github.com/kassa-pos/kassa/sync/shopifysim/shopdata"
)

// pushCounts is a PushObserver that counts.
type pushCounts struct {
	mu                        sync.Mutex
	pushed, set, stale, error int
	corrections               int
}

func (p *pushCounts) ObservePushed(_ string, lat []time.Duration, set int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pushed += len(lat)
	p.set += set
}
func (p *pushCounts) ObservePushError(string) { p.mu.Lock(); p.error++; p.mu.Unlock() }
func (p *pushCounts) ObserveStale(string)     { p.mu.Lock(); p.stale++; p.mu.Unlock() }
func (p *pushCounts) ObserveCorrections(_ string, n int) {
	p.mu.Lock()
	p.corrections += n
	p.mu.Unlock()
}
func (p *pushCounts) get() (pushed, set, stale, errs int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pushed, p.set, p.stale, p.error
}

// waitUntil polls cond; the test's own timeout bounds it.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		if t.Failed() {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// stockShop is a generated shop connected with its primary location, its catalogue
// pulled, and pushers to start.
type stockShop struct {
	*ccShop
	conn Connection
	obs  *pushCounts
}

func newStockShop(t *testing.T, opts shopifysim.Options) *stockShop {
	t.Helper()
	if opts.Generate == nil {
		opts.Generate = &shopdata.GenerateOptions{Seed: 11, Orders: 30, Days: 20}
	}
	s := &stockShop{ccShop: newCCShop(t, opts, "EUR"), obs: &pushCounts{}}
	s.conn, _ = s.connect(t)
	return s
}

func (s *stockShop) pull(t *testing.T, dry bool) CatalogueResult {
	t.Helper()
	conn, err := ConnectionStore{Secrets: dbtest.Secrets()}.ByID(context.Background(), s.db, s.conn.ID)
	if err != nil {
		t.Fatal(err)
	}
	res, err := ConnectionStore{Secrets: dbtest.Secrets()}.PullCatalogue(context.Background(), s.db, conn, s.options(s.db), dry)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func (s *stockShop) pusher(claimer string) *Pusher {
	return &Pusher{DB: s.db, Store: ConnectionStore{Secrets: dbtest.Secrets()}, Opts: s.options(s.db), Claimer: claimer,
		Lease: 2 * time.Second, Idle: 5 * time.Millisecond, MaxBackoff: 50 * time.Millisecond, Observer: s.obs}
}

// run starts a pusher until the test ends.
func (s *stockShop) run(t *testing.T, p *Pusher) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	conn, err := ConnectionStore{Secrets: dbtest.Secrets()}.ByID(ctx, s.db, s.conn.ID)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(done)
		p.Run(ctx, conn)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
}

func (s *stockShop) level(t *testing.T, sku string) int {
	t.Helper()
	p, err := inventory.Store{}.ProductBySKU(context.Background(), s.db, sku)
	if err != nil {
		t.Fatal(err)
	}
	n, err := inventory.Store{}.StockLevel(context.Background(), s.db, p.ID, s.outlet.ID)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func (s *stockShop) adjust(t *testing.T, sku string, delta int) {
	t.Helper()
	if _, _, err := (inventory.Store{}).Adjust(context.Background(), s.db, inventory.Adjustment{OutletID: s.outlet.ID, SKU: sku, Delta: delta, Note: "test"}); err != nil {
		t.Fatal(err)
	}
}

func (s *stockShop) queueLen(t *testing.T) int {
	t.Helper()
	st, err := inventory.Store{}.PushStatus(context.Background(), s.db, Channel, s.conn.Shop)
	if err != nil {
		t.Fatal(err)
	}
	return st.Queued
}

func trackedItems(seed int64) []shopdata.CatalogItem {
	var out []shopdata.CatalogItem
	for _, it := range shopdata.NewGenerator(shopdata.GenerateOptions{Seed: seed, Now: testNow}).Catalog() {
		if it.Tracked && it.SKU != "" && !it.GiftCard {
			out = append(out, it)
		}
	}
	return out
}

// kassaSets are the changes of available kassa made in Shopify for an item.
func kassaSets(sim *shopifysim.Server, item int64) []shopifysim.InventoryChange {
	var out []shopifysim.InventoryChange
	for _, c := range sim.InventoryChanges() {
		if c.InventoryItemID == item && c.Name == "available" && strings.HasPrefix(c.ReferenceDocumentURI, "gid://kassa/") {
			out = append(out, c)
		}
	}
	return out
}

// The catalogue pull on a generated shop creates what kassa lacks, links by remembered
// variant id and by SKU (any case), names its conflicts without guessing, sets opening
// stock only for products without history, and changes nothing the second time.
func TestCataloguePullOnAGeneratedShop(t *testing.T) {
	t.Parallel()
	s := newStockShop(t, shopifysim.Options{})
	ctx := context.Background()
	inv := inventory.Store{}
	if s.conn.LocationID == nil || *s.conn.LocationID != shopifysim.DefaultLocationID || s.conn.LocationName != "Main store" {
		t.Fatalf("connect named location %v %q, want the primary one", s.conn.LocationID, s.conn.LocationName)
	}
	items := trackedItems(11)
	bySKU, byID, dupA, dupB, linkedA, linkedB := items[0], items[1], items[2], items[3], items[4], items[5]
	// A kassa product with the SKU of a variant, in another case.
	if _, err := inv.CreateProduct(ctx, s.db, inventory.Product{SKU: strings.ToLower(bySKU.SKU), Name: "Ours", Price: decimal.NewFromInt(9), TracksStock: true}); err != nil {
		t.Fatal(err)
	}
	// A kassa product remembered for a variant (an earlier import), with stock history.
	remembered, err := inv.CreateProduct(ctx, s.db, inventory.Product{SKU: "OLD-SKU", Name: "Remembered", Price: decimal.NewFromInt(9), TracksStock: true, Published: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := inv.LinkExternalID(ctx, s.db, remembered.ID, inventory.ExternalID{Channel: Channel, Shop: s.conn.Shop, VariantID: byID.VariantID}); err != nil {
		t.Fatal(err)
	}
	s.adjust(t, "OLD-SKU", 4)
	// Two variants with one SKU.
	if err := s.sim.SetVariantSKU(dupB.VariantID, dupA.SKU); err != nil {
		t.Fatal(err)
	}
	// A kassa product whose SKU is linkedB's but which is remembered for linkedA.
	k, err := inv.CreateProduct(ctx, s.db, inventory.Product{SKU: linkedB.SKU, Name: "Taken", Price: decimal.NewFromInt(9), TracksStock: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := inv.LinkExternalID(ctx, s.db, k.ID, inventory.ExternalID{Channel: Channel, Shop: s.conn.Shop, VariantID: linkedA.VariantID}); err != nil {
		t.Fatal(err)
	}

	// A dry run changes nothing.
	before := dbtest.Counts(t, s.db)
	dry := s.pull(t, true)
	dbtest.Unchanged(t, s.db, before)

	res := s.pull(t, false)
	if dry.Created != res.Created || dry.Linked != res.Linked || !dry.DryRun {
		t.Fatalf("dry run %+v, real %+v", dry, res)
	}
	all := len(shopdata.NewGenerator(shopdata.GenerateOptions{Seed: 11, Now: testNow}).Catalog())
	if res.Linked != 3 || res.Created+res.Linked+res.Unchanged+res.GiftCards+3 != all || res.Unchanged != 0 {
		t.Fatalf("pull %+v of %d variants: want 3 linked (SKU, variant id, remembered), 3 variants in 2 conflicts", res, all)
	}
	if len(res.Conflicts) != 2 {
		t.Fatalf("conflicts %+v", res.Conflicts)
	}
	for _, c := range res.Conflicts {
		switch {
		case strings.EqualFold(c.SKU, dupA.SKU):
			if !strings.Contains(c.Reason, strconv.FormatInt(dupA.VariantID, 10)) || !strings.Contains(c.Reason, strconv.FormatInt(dupB.VariantID, 10)) {
				t.Errorf("duplicate SKU conflict does not name both variants: %s", c.Reason)
			}
		case strings.EqualFold(c.SKU, linkedB.SKU):
			if !strings.Contains(c.Reason, "Taken") || !strings.Contains(c.Reason, strconv.FormatInt(linkedA.VariantID, 10)) {
				t.Errorf("taken SKU conflict: %s", c.Reason)
			}
		default:
			t.Errorf("unexpected conflict %+v", c)
		}
	}
	// Nothing in conflict was created or linked.
	if p, err := inv.ProductBySKU(ctx, s.db, dupA.SKU); err == nil {
		t.Errorf("a product was made for a duplicated SKU: %+v", p)
	}
	// Linked by SKU: the kassa product took the variant and Shopify's stock.
	avail, _ := s.sim.InventoryLevel(bySKU.InventoryItemID, shopifysim.DefaultLocationID)
	if got := s.level(t, bySKU.SKU); got != avail.Available {
		t.Errorf("opening stock of the product linked by SKU: %d, Shopify has %d", got, avail.Available)
	}
	// Linked by variant id: it had history, so no opening stock.
	if got := s.level(t, "OLD-SKU"); got != 4 {
		t.Errorf("the remembered product's level changed to %d", got)
	}
	if res.Differ < 1 {
		t.Errorf("the remembered product's level differs from Shopify's but was not counted: %+v", res)
	}
	// Created products are published, from Shopify, with Shopify's available as stock.
	created := items[6]
	p, err := inv.ProductBySKU(ctx, s.db, created.SKU)
	if err != nil || !p.Published || p.Source != inventory.SourceShopify || !p.TracksStock || !p.Price.Equal(created.Price) {
		t.Fatalf("created %+v %v", p, err)
	}
	a, _ := s.sim.InventoryLevel(created.InventoryItemID, shopifysim.DefaultLocationID)
	if got := s.level(t, created.SKU); got != a.Available || got == 0 {
		t.Errorf("opening stock %d, Shopify's available %d", got, a.Available)
	}
	var notes []string
	if err := s.db.Select(&notes, `SELECT note FROM stock_movements WHERE product_id = $1`, p.ID); err != nil || len(notes) != 1 || notes[0] != OpeningStockNote {
		t.Errorf("movements of a created product: %v %v", notes, err)
	}
	// The pull pushed nothing and queued nothing.
	if len(kassaSets(s.sim, created.InventoryItemID)) != 0 || s.queueLen(t) != 0 {
		t.Fatal("the pull pushed or queued stock")
	}

	// The second pull changes nothing.
	before = dbtest.Counts(t, s.db)
	again := s.pull(t, false)
	dbtest.Unchanged(t, s.db, before)
	if again.Created != 0 || again.Linked != 0 || again.OpeningStock != 0 || again.Unchanged != res.Created+res.Linked+res.Unchanged || len(again.Conflicts) != 2 {
		t.Fatalf("second pull %+v after %+v", again, res)
	}
}

// An adjustment reaches Shopify's available; a web order imported into kassa pushes a
// level Shopify already has, which sets nothing.
func TestMovementsReachShopifyAvailable(t *testing.T) {
	t.Parallel()
	s := newStockShop(t, shopifysim.Options{})
	s.pull(t, false)
	s.run(t, s.pusher("a"))
	it := trackedItems(11)[0]
	s.adjust(t, it.SKU, -3)
	want := s.level(t, it.SKU)
	waitUntil(t, "the adjustment in Shopify", func() bool {
		q, _ := s.sim.InventoryLevel(it.InventoryItemID, shopifysim.DefaultLocationID)
		return q.Available == want
	})
	sets := kassaSets(s.sim, it.InventoryItemID)
	if len(sets) != 1 || sets[0].Reason != PushReason || sets[0].IdempotencyKey == "" || !strings.HasPrefix(sets[0].ReferenceDocumentURI, "gid://kassa/StockMovement/") {
		t.Fatalf("sets %+v", sets)
	}
	var movement int64
	if err := s.db.Get(&movement, `SELECT max(id) FROM stock_movements`); err != nil || sets[0].ReferenceDocumentURI != "gid://kassa/StockMovement/"+strconv.FormatInt(movement, 10) {
		t.Fatalf("reference %s, newest movement %d", sets[0].ReferenceDocumentURI, movement)
	}
	// on_hand is never pushed: the set moved available, committed stayed.
	q, _ := s.sim.InventoryLevel(it.InventoryItemID, shopifysim.DefaultLocationID)
	if q.OnHand != q.Available+q.Committed {
		t.Fatalf("levels %+v", q)
	}

	// A web order: Shopify commits the units; kassa imports it and pushes nothing new.
	before := len(kassaSets(s.sim, it.InventoryItemID))
	if _, err := s.sim.PlaceWebOrder(shopifysim.WebOrderLine{VariantID: it.VariantID, Quantity: 2}); err != nil {
		t.Fatal(err)
	}
	im := s.importer(s.db)
	if _, err := im.Run(context.Background(), s.conn.ID, RunOptions{Mode: ModeNew}); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the queue drained", func() bool { return s.queueLen(t) == 0 })
	q, _ = s.sim.InventoryLevel(it.InventoryItemID, shopifysim.DefaultLocationID)
	if got := s.level(t, it.SKU); got != want-2 || q.Available != got {
		t.Fatalf("kassa %d, Shopify %+v, want both %d", got, q, want-2)
	}
	if n := len(kassaSets(s.sim, it.InventoryItemID)); n != before {
		t.Fatalf("the imported web order was set in Shopify again (%d sets, %d before)", n, before)
	}
}

// A web order placed in Shopify while a counter sale of the same product is being pushed:
// Shopify answers that the quantity is stale, kassa reads it again and sets it (the POS
// wins); once the order is imported the two agree.
func TestWebOrderRacingACounterSale(t *testing.T) {
	t.Parallel()
	s := newStockShop(t, shopifysim.Options{})
	s.pull(t, false)
	it := trackedItems(11)[0]
	ctx := context.Background()
	if _, err := (register.Store{}).OpenSession(ctx, s.db, s.reg.ID, decimal.Zero, "An"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.sim.PlaceWebOrder(shopifysim.WebOrderLine{VariantID: it.VariantID, Quantity: 1}); err != nil {
		t.Fatal(err)
	}
	// The counter sale, made before kassa knows of the web order.
	if _, err := (register.Service{}).Sell(ctx, s.db, register.SellRequest{
		RegisterID: s.reg.ID, Lines: []register.SellLine{{Code: it.SKU, Quantity: 1}}, Payments: []register.Tender{{Type: "Card"}}, By: "An",
	}); err != nil {
		t.Fatal(err)
	}
	s.run(t, s.pusher("a"))
	waitUntil(t, "the set after a stale answer", func() bool { return s.queueLen(t) == 0 })
	if _, _, stale, _ := s.obs.get(); stale == 0 {
		t.Fatal("Shopify never answered stale")
	}
	q, _ := s.sim.InventoryLevel(it.InventoryItemID, shopifysim.DefaultLocationID)
	if q.Available != s.level(t, it.SKU) {
		t.Fatalf("Shopify %d, kassa %d", q.Available, s.level(t, it.SKU))
	}
	if _, err := s.importer(s.db).Run(context.Background(), s.conn.ID, RunOptions{Mode: ModeNew}); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "Shopify equal to kassa", func() bool {
		q, _ := s.sim.InventoryLevel(it.InventoryItemID, shopifysim.DefaultLocationID)
		return s.queueLen(t) == 0 && q.Available == s.level(t, it.SKU)
	})
}

// A pusher that dies after Shopify applied its set, before it recorded it: the next one
// (after the lease) finds Shopify at the level already and sets nothing: the change is
// in Shopify's history exactly once.
func TestDeathBetweenSetAndFinishPushesOnce(t *testing.T) {
	t.Parallel()
	s := newStockShop(t, shopifysim.Options{})
	s.pull(t, false)
	it := trackedItems(11)[0]
	s.adjust(t, it.SKU, 5)
	ctx := context.Background()
	claims, err := inventory.Store{}.ClaimPushes(ctx, s.db, Channel, s.conn.Shop, "dead", 10, 200*time.Millisecond)
	if err != nil || len(claims) != 1 {
		t.Fatalf("claim %v %v", claims, err)
	}
	cl, err := ConnectionStore{Secrets: dbtest.Secrets()}.OpenClient(s.conn, s.options(s.db))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	c := claims[0]
	if err := cl.SetAvailable(ctx, *s.conn.LocationID, PushReason, "gid://kassa/StockMovement/"+strconv.FormatInt(c.MovementID, 10), c.Key,
		[]shopifyapi.SetQuantity{{InventoryItemID: c.InventoryItemID, Quantity: c.Level, ChangeFrom: c.ChannelAvailable}}); err != nil {
		t.Fatal(err)
	}
	// The process died here. Another pusher takes over once the lease ran out.
	s.run(t, s.pusher("b"))
	waitUntil(t, "the queue drained", func() bool { return s.queueLen(t) == 0 })
	if sets := kassaSets(s.sim, it.InventoryItemID); len(sets) != 1 {
		t.Fatalf("%d sets in Shopify's history, want 1: %+v", len(sets), sets)
	}
}

// Three pushers on one queue: every change is set once, none races another.
func TestThreePushersPushEachChangeOnce(t *testing.T) {
	t.Parallel()
	s := newStockShop(t, shopifysim.Options{})
	s.pull(t, false)
	for _, c := range []string{"a", "b", "c"} {
		p := s.pusher(c)
		p.Batch = 3
		s.run(t, p)
	}
	items := trackedItems(11)[:12]
	var wg sync.WaitGroup
	for i, it := range items {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.adjust(t, it.SKU, -(i%3 + 1))
		}()
	}
	wg.Wait()
	waitUntil(t, "the queue drained", func() bool { return s.queueLen(t) == 0 })
	total := 0
	for _, it := range items {
		q, _ := s.sim.InventoryLevel(it.InventoryItemID, shopifysim.DefaultLocationID)
		if q.Available != s.level(t, it.SKU) {
			t.Errorf("%s: Shopify %d, kassa %d", it.SKU, q.Available, s.level(t, it.SKU))
		}
		total += len(kassaSets(s.sim, it.InventoryItemID))
	}
	_, set, stale, _ := s.obs.get()
	if stale != 0 || set != total || total < len(items) || total > 2*len(items) {
		t.Fatalf("%d sets in Shopify, %d sent, %d stale answers, for %d changes", total, set, stale, len(items))
	}
}

// Shopify down for a while: pushes fail and wait; once it is back, the queue drains.
func TestQueueDrainsAfterAnOutage(t *testing.T) {
	t.Parallel()
	s := newStockShop(t, shopifysim.Options{})
	s.pull(t, false)
	var down atomic.Bool
	target, _ := url.Parse(s.sim.URL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			http.Error(w, "<html>503 Service Unavailable</html>", http.StatusServiceUnavailable)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	defer front.Close()
	if _, err := s.db.Exec(`UPDATE shopify_connections SET base_url = $1 WHERE id = $2`, front.URL, s.conn.ID); err != nil {
		t.Fatal(err)
	}
	down.Store(true)
	s.run(t, s.pusher("a"))
	items := trackedItems(11)[:5]
	for _, it := range items {
		s.adjust(t, it.SKU, 2)
	}
	waitUntil(t, "failed pushes", func() bool { _, _, _, errs := s.obs.get(); return errs >= 3 })
	st, err := inventory.Store{}.PushStatus(context.Background(), s.db, Channel, s.conn.Shop)
	if err != nil || st.Queued != len(items) || st.LastError == "" || st.Oldest == nil {
		t.Fatalf("status during the outage %+v %v", st, err)
	}
	down.Store(false)
	waitUntil(t, "the queue drained", func() bool { return s.queueLen(t) == 0 })
	for _, it := range items {
		q, _ := s.sim.InventoryLevel(it.InventoryItemID, shopifysim.DefaultLocationID)
		if q.Available != s.level(t, it.SKU) {
			t.Errorf("%s: Shopify %d, kassa %d", it.SKU, q.Available, s.level(t, it.SKU))
		}
	}
}

// The drift check finds a quantity changed in Shopify, records it and the pusher sets it
// back; a connection without write_inventory says it cannot push.
func TestDriftCheckCorrects(t *testing.T) {
	t.Parallel()
	s := newStockShop(t, shopifysim.Options{})
	s.pull(t, false)
	it := trackedItems(11)[1]
	if _, err := s.sim.AdjustAvailable(it.InventoryItemID, shopifysim.DefaultLocationID, 7); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	res, err := ConnectionStore{Secrets: dbtest.Secrets()}.CheckDrift(ctx, s.db, s.conn, s.options(s.db), s.obs)
	if err != nil || res.Corrected != 1 || res.Checked < 10 {
		t.Fatalf("drift %+v %v", res, err)
	}
	s.run(t, s.pusher("a"))
	waitUntil(t, "the correction", func() bool {
		q, _ := s.sim.InventoryLevel(it.InventoryItemID, shopifysim.DefaultLocationID)
		return q.Available == s.level(t, it.SKU)
	})
	corr, err := inventory.Store{}.StockCorrections(ctx, s.db, s.outlet.ID, testNow.Add(-24*time.Hour), time.Now().Add(time.Hour))
	if err != nil || len(corr) != 1 || corr[0].SKU != it.SKU || corr[0].ChannelAvailable == nil || *corr[0].ChannelAvailable != corr[0].Level+7 {
		t.Fatalf("corrections %+v %v", corr, err)
	}

	// Without write_inventory: connect warns, and the connection cannot push.
	n := newCCShop(t, shopifysim.Options{Generate: &shopdata.GenerateOptions{Seed: 11, Orders: 2, Days: 2}, Scopes: []string{"read_orders", "read_products", "read_inventory", "read_locations"}}, "EUR")
	conn, checked := n.connect(t)
	warned := false
	for _, w := range checked.Warnings {
		warned = warned || strings.Contains(w, "write_inventory")
	}
	if ok, why := CanPush(conn); ok || why != CannotPushText || !warned {
		t.Fatalf("without write_inventory: can push %v (%s), warned %v", ok, why, warned)
	}
}

// A counter sale and a restocking return at the counter each reach Shopify's available.
func TestCounterSaleAndReturnReachShopify(t *testing.T) {
	t.Parallel()
	s := newStockShop(t, shopifysim.Options{})
	s.pull(t, false)
	s.run(t, s.pusher("a"))
	ctx := context.Background()
	if _, err := (register.Store{}).OpenSession(ctx, s.db, s.reg.ID, decimal.Zero, "An"); err != nil {
		t.Fatal(err)
	}
	it := trackedItems(11)[3]
	before := s.level(t, it.SKU)
	inShopify := func(want int) func() bool {
		return func() bool {
			q, _ := s.sim.InventoryLevel(it.InventoryItemID, shopifysim.DefaultLocationID)
			return q.Available == want && s.queueLen(t) == 0
		}
	}
	sold, err := register.Service{}.Sell(ctx, s.db, register.SellRequest{
		RegisterID: s.reg.ID, Lines: []register.SellLine{{Code: strings.ToLower(it.SKU), Quantity: 3}},
		Payments: []register.Tender{{Type: "Cash"}}, By: "An",
	})
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the counter sale in Shopify", inShopify(before-3))
	if _, err := (register.Service{}).Return(ctx, s.db, register.ReturnRequest{
		RegisterID: s.reg.ID, Receipt: sold.Sale.ReceiptNumber, Lines: []register.ReturnLineRequest{{Code: it.SKU, Quantity: 2, Restock: true}},
		Refunds: []register.Tender{{Type: "Cash"}}, Reason: "too small", By: "An",
	}); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the restocking return in Shopify", inShopify(before-1))
	if got := s.level(t, it.SKU); got != before-1 {
		t.Fatalf("kassa's level %d, want %d", got, before-1)
	}
}

// The pull gives products without a barcode their variant's; a barcode two variants share,
// one another product has or one kassa does not take is a named conflict; kassa's own
// barcode stays; a second pull changes nothing.
func TestCataloguePullFillsBarcodes(t *testing.T) {
	t.Parallel()
	s := newStockShop(t, shopifysim.Options{})
	ctx := context.Background()
	items := trackedItems(11)
	created, shareA, shareB, taken, invalid, ours := items[0], items[1], items[2], items[3], items[4], items[5]
	for v, code := range map[int64]string{created.VariantID: "5412345000013", shareA.VariantID: "5400000000001", shareB.VariantID: "5400000000001",
		taken.VariantID: "TAKEN-1", invalid.VariantID: "54 123", ours.VariantID: "THEIRS-1"} {
		if err := s.sim.SetVariantBarcode(v, code); err != nil {
			t.Fatal(err)
		}
	}
	inv := inventory.Store{}
	if _, err := inv.CreateProduct(ctx, s.db, inventory.Product{SKU: "OTHER", Name: "Other", Barcode: "TAKEN-1", Price: decimal.NewFromInt(1), TracksStock: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := inv.CreateProduct(ctx, s.db, inventory.Product{SKU: ours.SKU, Name: "Ours", Barcode: "OURS-1", Price: decimal.NewFromInt(1), TracksStock: true}); err != nil {
		t.Fatal(err)
	}
	res := s.pull(t, false)
	barcode := func(sku string) string {
		p, err := inv.ProductBySKU(ctx, s.db, sku)
		if err != nil {
			t.Fatal(err)
		}
		return p.Barcode
	}
	if barcode(created.SKU) != "5412345000013" || barcode(shareA.SKU) != "" || barcode(shareB.SKU) != "" || barcode(taken.SKU) != "" ||
		barcode(invalid.SKU) != "" || barcode(ours.SKU) != "OURS-1" || res.Barcodes != 1 {
		t.Fatalf("barcodes: %+v", res)
	}
	var reasons []string
	for _, c := range res.Conflicts {
		reasons = append(reasons, c.Reason)
	}
	all := strings.Join(reasons, "\n")
	for _, want := range []string{`2 variants have the barcode "5400000000001"`, `has the barcode "TAKEN-1" of kassa's product "Other"`, `has the barcode "54 123", which kassa does not take`} {
		if !strings.Contains(all, want) {
			t.Errorf("conflicts do not say %q:\n%s", want, all)
		}
	}
	if p, err := inv.ProductByCode(ctx, s.db, "5412345000013"); err != nil || p.SKU != created.SKU {
		t.Fatalf("the barcode does not find its product: %+v %v", p, err)
	}
	before := dbtest.Counts(t, s.db)
	again := s.pull(t, false)
	dbtest.Unchanged(t, s.db, before)
	if again.Created != 0 || again.Linked != 0 || again.Barcodes != 0 || len(again.Conflicts) != len(res.Conflicts) {
		t.Fatalf("second pull %+v", again)
	}
}

// Changes waiting together go to Shopify in one inventorySetQuantities: one mutation (10
// points) for many quantities.
func TestOneSetCarriesManyQuantities(t *testing.T) {
	t.Parallel()
	s := newStockShop(t, shopifysim.Options{})
	s.pull(t, false)
	items := trackedItems(11)[:20]
	for _, it := range items {
		s.adjust(t, it.SKU, 1)
	}
	before := s.sim.Stats().GraphQLPoints
	s.run(t, s.pusher("a"))
	waitUntil(t, "the queue drained", func() bool { return s.queueLen(t) == 0 })
	keys := map[string]bool{}
	for _, it := range items {
		for _, c := range kassaSets(s.sim, it.InventoryItemID) {
			keys[c.IdempotencyKey] = true
		}
	}
	if cost := s.sim.Stats().GraphQLPoints - before; len(keys) != 1 || cost != 10 {
		t.Fatalf("20 changes took %d mutations (%d points)", len(keys), cost)
	}
}

// Text from Shopify in the catalogue (a SKU and a location name with escape sequences and
// direction overrides) is stored as one safe line.
func TestCataloguePullCleansShopifyText(t *testing.T) {
	t.Parallel()
	s := newStockShop(t, shopifysim.Options{Locations: []shopifysim.Location{
		{ID: 81, Name: "Gent \x1b[2J\u202eshop", Active: true, Country: "BE", CountryCode: "BE", AdminGraphqlAPIID: "gid://shopify/Location/81"},
	}})
	if s.conn.LocationName != "Gent [2Jshop" {
		t.Fatalf("location name %q", s.conn.LocationName)
	}
	it := trackedItems(11)[0]
	if err := s.sim.SetVariantSKU(it.VariantID, "\x1b[31mEVIL-1\u202e"); err != nil {
		t.Fatal(err)
	}
	s.pull(t, false)
	if _, err := (inventory.Store{}).ProductBySKU(context.Background(), s.db, "[31mEVIL-1"); err != nil {
		t.Fatalf("the hostile SKU was not stored cleaned: %v", err)
	}
	var raw int
	if err := s.db.Get(&raw, `SELECT count(*) FROM products WHERE sku ~ '[[:cntrl:]]' OR sku LIKE '%' || chr(8238) || '%'`); err != nil || raw != 0 {
		t.Fatalf("%d products keep control characters (%v)", raw, err)
	}
}
