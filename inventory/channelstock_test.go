package inventory_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"

	"github.com/kassa-pos/kassa/internal/dbtest"
	"github.com/kassa-pos/kassa/inventory"
)

func linkedProduct(t *testing.T, db *sqlx.DB, outlet int64, sku string, item int64, tracks bool) inventory.Product {
	t.Helper()
	ctx := context.Background()
	p, err := inventory.Store{}.CreateProduct(ctx, db, inventory.Product{SKU: sku, Name: sku, Price: decimal.NewFromInt(5), TracksStock: tracks, Published: true})
	if err != nil {
		t.Fatal(err)
	}
	three := 3
	if _, err := (inventory.Store{}).LinkChannelItem(ctx, db, inventory.ChannelItem{
		Channel: "shopify", Shop: "s.myshopify.com", OutletID: outlet, ProductID: p.ID, InventoryItemID: item, LocationID: 77, ChannelAvailable: &three,
	}); err != nil {
		t.Fatal(err)
	}
	return p
}

func queued(t *testing.T, db *sqlx.DB) map[int64]int64 {
	t.Helper()
	var rows []struct {
		Product    int64 `db:"product_id"`
		Generation int64 `db:"generation"`
	}
	if err := db.Select(&rows, `SELECT i.product_id, q.generation FROM stock_push_queue q JOIN stock_channel_items i ON i.id = q.item_id`); err != nil {
		t.Fatal(err)
	}
	out := map[int64]int64{}
	for _, r := range rows {
		out[r.Product] = r.Generation
	}
	return out
}

// A movement of a linked, tracked product queues its item in the movement's own
// transaction; an unlinked or untracked product's does not; a rolled-back movement leaves
// nothing queued.
func TestMovementsQueueLinkedItems(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	ctx := context.Background()
	st := inventory.Store{}
	o, err := st.CreateOutlet(ctx, db, "Gent", "Europe/Brussels", "EUR")
	if err != nil {
		t.Fatal(err)
	}
	linked := linkedProduct(t, db, o.ID, "A", 101, true)
	untracked := linkedProduct(t, db, o.ID, "U", 102, false)
	plain, err := st.CreateProduct(ctx, db, inventory.Product{SKU: "P", Name: "P", Price: decimal.NewFromInt(1), TracksStock: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(queued(t, db)) != 0 {
		t.Fatal("linking queued a push")
	}
	// Rolled back: nothing.
	tx := db.MustBegin()
	if _, err := st.ApplyMovements(ctx, tx, []inventory.Movement{{ProductID: linked.ID, OutletID: o.ID, Delta: -1, Reason: inventory.ReasonAdjustment}}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if len(queued(t, db)) != 0 {
		t.Fatal("a rolled-back movement stayed queued")
	}
	for _, p := range []inventory.Product{linked, untracked, plain} {
		if _, err := st.ApplyMovements(ctx, db, []inventory.Movement{{ProductID: p.ID, OutletID: o.ID, Delta: 2, Reason: inventory.ReasonAdjustment}}); err != nil {
			t.Fatal(err)
		}
	}
	if q := queued(t, db); len(q) != 1 || q[linked.ID] != 1 {
		t.Fatalf("queued %v, want only %d", q, linked.ID)
	}
	// Two movements in one statement raise the generation once; another statement again.
	if _, err := st.ApplyMovements(ctx, db, []inventory.Movement{
		{ProductID: linked.ID, OutletID: o.ID, Delta: -1, Reason: inventory.ReasonAdjustment},
		{ProductID: linked.ID, OutletID: o.ID, Delta: -1, Reason: inventory.ReasonAdjustment},
	}); err != nil {
		t.Fatal(err)
	}
	if q := queued(t, db); q[linked.ID] != 2 {
		t.Fatalf("generation %d after a second statement, want 2", q[linked.ID])
	}
}

// A claim gives the level and what the channel last held; finishing removes the row
// unless a movement came after the claim; a failure waits for its retry.
func TestClaimFinishAndFail(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	ctx := context.Background()
	st := inventory.Store{}
	o, _ := st.CreateOutlet(ctx, db, "Gent", "Europe/Brussels", "EUR")
	a := linkedProduct(t, db, o.ID, "A", 101, true)
	b := linkedProduct(t, db, o.ID, "B", 102, true)
	for _, p := range []inventory.Product{a, b} {
		if _, _, err := st.Adjust(ctx, db, inventory.Adjustment{OutletID: o.ID, SKU: p.SKU, Delta: 5}); err != nil {
			t.Fatal(err)
		}
	}
	const shop = "s.myshopify.com"
	claimed, err := st.ClaimPushes(ctx, db, "shopify", shop, "me", 10, time.Minute)
	if err != nil || len(claimed) != 2 {
		t.Fatalf("claim: %v %v", claimed, err)
	}
	if claimed[0].Level != 5 || claimed[0].ChannelAvailable == nil || *claimed[0].ChannelAvailable != 3 || claimed[0].Key == "" || claimed[0].Key != claimed[1].Key || claimed[0].MovementID == 0 {
		t.Fatalf("claimed %+v", claimed[0])
	}
	// Claimed rows are not claimed again while the lease runs.
	if again, _ := st.ClaimPushes(ctx, db, "shopify", shop, "other", 10, time.Minute); len(again) != 0 {
		t.Fatalf("claimed twice: %+v", again)
	}
	// b moves again after the claim: it stays queued.
	if _, _, err := st.Adjust(ctx, db, inventory.Adjustment{OutletID: o.ID, SKU: "B", Delta: -1}); err != nil {
		t.Fatal(err)
	}
	var done []inventory.PushDone
	for _, c := range claimed {
		done = append(done, inventory.PushDone{ItemID: c.ItemID, Generation: c.Generation, Available: c.Level, Set: true})
	}
	if err := st.FinishPushes(ctx, db, "shopify", shop, "me", done); err != nil {
		t.Fatal(err)
	}
	if q := queued(t, db); len(q) != 1 || q[b.ID] == 0 {
		t.Fatalf("queued after finishing: %v", q)
	}
	next, err := st.ClaimPushes(ctx, db, "shopify", shop, "me", 10, time.Minute)
	if err != nil || len(next) != 1 || next[0].Level != 4 || *next[0].ChannelAvailable != 5 || next[0].Key == claimed[0].Key {
		t.Fatalf("second claim %+v %v", next, err)
	}
	if err := st.FailPushes(ctx, db, "shopify", shop, "me", []int64{next[0].ItemID}, "Shopify is down", time.Hour); err != nil {
		t.Fatal(err)
	}
	if later, _ := st.ClaimPushes(ctx, db, "shopify", shop, "me", 10, time.Minute); len(later) != 0 {
		t.Fatal("a failed push was retried before its time")
	}
	status, err := st.PushStatus(ctx, db, "shopify", shop)
	if err != nil {
		t.Fatal(err)
	}
	if status.Linked != 2 || status.Queued != 1 || status.Failing != 1 || status.Oldest == nil || status.LastError != "Shopify is down" || status.Pushed != 2 || status.LastPushAt == nil {
		t.Fatalf("status %+v", status)
	}
	// Another product cannot take a linked item.
	p, _ := st.CreateProduct(ctx, db, inventory.Product{SKU: "C", Name: "C", Price: decimal.NewFromInt(1), TracksStock: true})
	if _, err := st.LinkChannelItem(ctx, db, inventory.ChannelItem{Channel: "shopify", Shop: shop, OutletID: o.ID, ProductID: p.ID, InventoryItemID: 101, LocationID: 77}); !errors.Is(err, inventory.ErrChannelItemTaken) {
		t.Fatalf("second link of an item: %v", err)
	}
}

// Pushers claiming at once never get the same row.
func TestConcurrentClaimsAreDisjoint(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	ctx := context.Background()
	st := inventory.Store{}
	o, _ := st.CreateOutlet(ctx, db, "Gent", "Europe/Brussels", "EUR")
	for i := range 40 {
		p := linkedProduct(t, db, o.ID, "S"+string(rune('A'+i%26))+string(rune('a'+i/26)), int64(1000+i), true)
		if _, err := st.ApplyMovements(ctx, db, []inventory.Movement{{ProductID: p.ID, OutletID: o.ID, Delta: 1, Reason: inventory.ReasonAdjustment}}); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	seen := map[int64]int{}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				got, err := st.ClaimPushes(ctx, db, "shopify", "s.myshopify.com", string(rune('a'+w)), 3, time.Minute)
				if err != nil {
					t.Error(err)
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, g := range got {
					seen[g.ItemID]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(seen) != 40 {
		t.Fatalf("claimed %d items, want 40", len(seen))
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("item %d claimed %d times", id, n)
		}
	}
}
