package daemon_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/kassa-pos/kassa/daemon"
	"github.com/kassa-pos/kassa/internal/dbtest"
	"github.com/kassa-pos/kassa/sync/shopify"
	"github.com/kassa-pos/kassa/sync/shopifysim"
)

// Deliveries posted at once to three daemons on one database, each sent two or three
// times (to different daemons, at the same time): every one is answered 200, exactly one
// of the answers of each says accepted, each is stored once and each order becomes one
// sale.
func TestConcurrentDeliveriesAreStoredOnceAcrossDaemons(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	clk := &clock{}
	s := newShop(t, db, 120, "", clk, shopifysim.WebhookOptions{})
	var ins []*instance
	for range 3 {
		ins = append(ins, start(t, db, listen(t), fastConfig(), daemon.Deps{Clock: clk.Now, Logger: testLogger(t, nil)}))
	}
	orders := s.sim.AllOrders()
	type answer struct {
		id     string
		status int
		body   string
	}
	answers := make(chan answer, len(orders)*3)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 48)
	for i, raw := range orders {
		body := []byte(raw)
		id := fmt.Sprintf("concurrent-%d", i)
		for k := range 2 + i%2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sem <- struct{}{}
				defer func() { <-sem }()
				status, b := post(t, ins[(i+k)%3].url, deliveryHeaders{s.sim.Shop, "orders/create", id, sign(s.sim.Secret, body)}, body)
				answers <- answer{id, status, b}
			}()
		}
	}
	wg.Wait()
	close(answers)
	accepted := map[string]int{}
	for a := range answers {
		if a.status != http.StatusOK {
			t.Fatalf("delivery %s answered %d %s", a.id, a.status, a.body)
		}
		if strings.Contains(a.body, "accepted") {
			accepted[a.id]++
		}
	}
	for i := range orders {
		if n := accepted[fmt.Sprintf("concurrent-%d", i)]; n != 1 {
			t.Errorf("delivery concurrent-%d was accepted %d times, want once", i, n)
		}
	}
	if n := countRows(t, db, `SELECT count(*) FROM webhook_deliveries`); n != len(orders) {
		t.Fatalf("%d deliveries stored, want %d", n, len(orders))
	}
	eligible := countRows(t, db, `SELECT count(*) FROM webhook_deliveries`) // every delivery is processed
	waitFor(t, "every delivery processed", func() bool {
		return countRows(t, db, `SELECT count(*) FROM webhook_deliveries WHERE processed_at IS NOT NULL`) == eligible
	}, ins...)
	per := noOrderTwice(t, s)
	imported := countRows(t, db, `SELECT count(*) FROM import_outcomes WHERE outcome = 'imported'`)
	if len(per) != imported || imported == 0 {
		t.Fatalf("%d orders became sales, %d were imported", len(per), imported)
	}
}

// The receiver remembers each connection's webhook secret, and still stores only what the
// secret stored at the time of the commit signs: a delivery signed with a new secret is
// accepted at once, and one signed with a secret replaced after it was checked is refused
// and not stored.
func TestWebhookSecretChangeIsSeenAtOnce(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	clk := &clock{}
	s := newShop(t, db, 4, "", clk, shopifysim.WebhookOptions{})
	in := start(t, db, listen(t), fastConfig(), daemon.Deps{Clock: clk.Now, Logger: testLogger(t, nil)})
	orders := s.sim.AllOrders()
	reconnect := func(secret string) {
		t.Helper()
		_, err := shopify.ConnectionStore{Secrets: dbtest.Secrets()}.Connect(context.Background(), db, shopify.ConnectParams{
			Shop: s.sim.Shop, AccessToken: s.sim.Token, WebhookSecret: secret, BaseURL: s.sim.URL,
			OutletID: s.ids.OutletID, RegisterID: s.ids.RegisterID,
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	deliver := func(id string, body []byte, secret string) int {
		t.Helper()
		status, _ := post(t, in.url, deliveryHeaders{s.sim.Shop, "orders/create", id, sign(secret, body)}, body)
		return status
	}
	const old, renewed = "the-old-secret", "the-new-secret"
	reconnect(old)
	if st := deliver("first", []byte(orders[0]), old); st != http.StatusOK {
		t.Fatalf("signed with the secret: %d", st)
	}
	// The receiver remembers the old secret; the new one signs the next delivery.
	reconnect(renewed)
	if st := deliver("second", []byte(orders[1]), renewed); st != http.StatusOK {
		t.Fatalf("signed with the new secret: %d", st)
	}
	if st := deliver("stale", []byte(orders[2]), old); st != http.StatusUnauthorized {
		t.Fatalf("signed with the replaced secret: %d, want 401", st)
	}
	// The secret changes back while the receiver remembers the new one: a delivery
	// signed with the new one passes the check against what is remembered, and is refused
	// when its batch reads the connection's version, for the secret is the old one again.
	reconnect(old)
	if st := deliver("raced", []byte(orders[3]), renewed); st != http.StatusUnauthorized {
		t.Fatalf("signed with a secret replaced after the check: %d, want 401", st)
	}
	if st := deliver("third", []byte(orders[3]), old); st != http.StatusOK {
		t.Fatalf("signed with the secret restored: %d", st)
	}
	var ids []string
	if err := db.Select(&ids, `SELECT webhook_id FROM webhook_deliveries ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	if strings.Join(ids, ",") != "first,second,third" {
		t.Fatalf("stored deliveries %v, want first, second, third", ids)
	}
}

// A delivery is answered 200 only once the transaction that stores it has committed:
// while it is held open the delivery is not answered, and when its commit fails the
// answer is 500 and nothing is stored.
func TestDeliveryIsAnsweredOnlyAfterItsCommit(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	clk := &clock{}
	s := newShop(t, db, 2, "", clk, shopifysim.WebhookOptions{})
	in := start(t, db, listen(t), fastConfig(), daemon.Deps{Clock: clk.Now, Logger: testLogger(t, nil)})
	orders := s.sim.AllOrders()

	entered, release := make(chan struct{}), make(chan struct{})
	daemon.SetWebhookStoreHook(in.d, func(ctx context.Context, tx *sqlx.Tx) {
		close(entered)
		<-release
	})
	answered := make(chan int, 1)
	body := []byte(orders[0])
	go func() {
		status, _ := post(t, in.url, deliveryHeaders{s.sim.Shop, "orders/create", "held", sign(s.sim.Secret, body)}, body)
		answered <- status
	}()
	<-entered
	// The row is written but not committed: another session does not see it, and the
	// delivery has no answer.
	if n := countRows(t, db, `SELECT count(*) FROM webhook_deliveries`); n != 0 {
		t.Fatalf("%d deliveries visible before the commit", n)
	}
	select {
	case st := <-answered:
		t.Fatalf("answered %d before the commit", st)
	default:
	}
	close(release)
	if st := <-answered; st != http.StatusOK {
		t.Fatalf("after the commit: %d", st)
	}
	if n := countRows(t, db, `SELECT count(*) FROM webhook_deliveries WHERE webhook_id = 'held'`); n != 1 {
		t.Fatalf("%d deliveries stored after the commit, want 1", n)
	}

	// A transaction that cannot commit: the delivery is answered 500 (Shopify sends it
	// again) and nothing of it is stored.
	daemon.SetWebhookStoreHook(in.d, func(ctx context.Context, tx *sqlx.Tx) {
		_, _ = tx.ExecContext(ctx, `SELECT 1 / 0`)
	})
	body = []byte(orders[1])
	if st, b := post(t, in.url, deliveryHeaders{s.sim.Shop, "orders/create", "failed", sign(s.sim.Secret, body)}, body); st != http.StatusInternalServerError {
		t.Fatalf("a delivery whose commit failed: %d %s, want 500", st, b)
	}
	if n := countRows(t, db, `SELECT count(*) FROM webhook_deliveries WHERE webhook_id = 'failed'`); n != 0 {
		t.Fatalf("%d rows of a delivery whose commit failed", n)
	}
}

// A checked delivery waits for its batch's commit without holding a reader, within a
// budget of waiting bytes: beyond it a delivery is answered 503 (Shopify sends it again),
// and once the batch has committed the next one is stored.
func TestWaitingDeliveriesHaveABudget(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	clk := &clock{}
	s := newShop(t, db, 3, "", clk, shopifysim.WebhookOptions{})
	cfg := fastConfig()
	cfg.WebhookMaxReaders = 1
	cfg.WebhookMaxPending = 1 // one delivery at a time
	in := start(t, db, listen(t), cfg, daemon.Deps{Clock: clk.Now, Logger: testLogger(t, nil)})
	orders := s.sim.AllOrders()
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	daemon.SetWebhookStoreHook(in.d, func(ctx context.Context, tx *sqlx.Tx) {
		once.Do(func() {
			close(entered)
			<-release
		})
	})
	answered := make(chan int, 1)
	go func() {
		body := []byte(orders[0])
		status, _ := post(t, in.url, deliveryHeaders{s.sim.Shop, "orders/create", "waiting", sign(s.sim.Secret, body)}, body)
		answered <- status
	}()
	<-entered
	// The one reader is free again (the waiting delivery does not hold it), but the budget
	// is taken.
	pollFor(t, "the reader is free", func() bool { return gauge(t, in.d, "kassa_webhook_readers_busy") == 0 })
	body := []byte(orders[1])
	if st, b := post(t, in.url, deliveryHeaders{s.sim.Shop, "orders/create", "over", sign(s.sim.Secret, body)}, body); st != http.StatusServiceUnavailable {
		t.Fatalf("a delivery beyond the waiting budget: %d %s, want 503", st, b)
	}
	close(release)
	if st := <-answered; st != http.StatusOK {
		t.Fatalf("the waiting delivery: %d", st)
	}
	if st, b := post(t, in.url, deliveryHeaders{s.sim.Shop, "orders/create", "over", sign(s.sim.Secret, body)}, body); st != http.StatusOK {
		t.Fatalf("the delivery sent again once the budget is free: %d %s", st, b)
	}
	if n := countRows(t, db, `SELECT count(*) FROM webhook_deliveries`); n != 2 {
		t.Fatalf("%d deliveries stored, want 2", n)
	}
}
