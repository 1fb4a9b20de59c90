package shopify

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kassa-pos/kassa/sync/shopify/shopifyapi"
	"github.com/kassa-pos/kassa/sync/shopifysim"
	"github.com/kassa-pos/kassa/sync/shopifysim/shopdata"
)

func bulkShop() *shopdata.GenerateOptions {
	return &shopdata.GenerateOptions{Seed: 17, Orders: 120, Days: 45}
}

// importable is how many of the simulator's orders the rules import.
func (f *fixture) importable() int {
	n := 0
	for _, o := range f.shopOrders() {
		if expectedOutcome(o, false, testNow) == Imported {
			n++
		}
	}
	return n
}

// TestBulkImportSurvives runs Get all through a bulk export that breaks in the ways
// Shopify's can: a download cut off halfway (resumed), a download link that expired (a
// new export), an export that FAILED (a clear error, nothing written, the next run
// works), and a run cancelled halfway (the next run reads the same export).
func TestBulkImportSurvives(t *testing.T) {
	t.Parallel()
	t.Run("truncated download", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, fixtureOptions{sim: shopifysim.Options{Generate: bulkShop()}})
		f.srv.SetBulkFaults(shopifysim.BulkFaults{Truncate: 1})
		sum := f.run(ModeAll)
		if sum.Outcomes.Imported != f.importable() || sum.Outcomes.Failed != 0 {
			t.Fatalf("after truncated downloads %+v, want %d imported", sum.Outcomes, f.importable())
		}
		if f.srv.BulkDownloads() < 2 || f.srv.BulkOperations() != 1 {
			t.Errorf("%d downloads of %d exports, want the download resumed", f.srv.BulkDownloads(), f.srv.BulkOperations())
		}
		checkWholeSales(t, f, f.importable())
	})
	t.Run("expired link", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, fixtureOptions{sim: shopifysim.Options{Generate: bulkShop()}})
		f.srv.SetBulkFaults(shopifysim.BulkFaults{Expire: 1})
		sum := f.run(ModeAll)
		if sum.Outcomes.Imported != f.importable() {
			t.Fatalf("after an expired link %+v, want %d imported", sum.Outcomes, f.importable())
		}
		if f.srv.BulkOperations() != 2 {
			t.Errorf("%d exports, want a second one after the link expired", f.srv.BulkOperations())
		}
		checkWholeSales(t, f, f.importable())
	})
	t.Run("failed export", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, fixtureOptions{sim: shopifysim.Options{Generate: bulkShop()}})
		f.srv.SetBulkFaults(shopifysim.BulkFaults{FailWith: "INTERNAL_SERVER_ERROR"})
		sum, err := f.im.Run(context.Background(), f.conn.ID, RunOptions{Mode: ModeAll})
		var be *BulkExportError
		if !errors.As(err, &be) || be.Status != "FAILED" || be.ErrorCode != "INTERNAL_SERVER_ERROR" ||
			!strings.Contains(err.Error(), "ended FAILED (INTERNAL_SERVER_ERROR)") || strings.Contains(err.Error(), "\n") {
			t.Fatalf("a failed export: %v", err)
		}
		if sum.Seen != 0 || tableCount(t, f.db, "sales") != 0 {
			t.Errorf("a failed export wrote %d orders", sum.Seen)
		}
		var status, msg string
		if err := f.db.QueryRow(`SELECT status, error FROM import_runs WHERE id = $1`, sum.RunID).Scan(&status, &msg); err != nil || status != "failed" || !strings.Contains(msg, "INTERNAL_SERVER_ERROR") {
			t.Errorf("the run is %s %q (%v)", status, msg, err)
		}
		f.srv.SetBulkFaults(shopifysim.BulkFaults{})
		if sum := f.run(ModeAll); sum.Outcomes.Imported != f.importable() {
			t.Errorf("the next run %+v", sum.Outcomes)
		}
	})
	t.Run("cancelled halfway", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, fixtureOptions{sim: shopifysim.Options{Generate: bulkShop()}})
		f.im.PageSize = 20
		ctx, cancel := context.WithCancel(context.Background())
		sum, err := f.im.Run(ctx, f.conn.ID, RunOptions{Mode: ModeAll, Progress: func(p Progress) {
			if p.Seen >= 40 {
				cancel()
			}
		}})
		cancel()
		if err == nil || sum.Seen >= 120 {
			t.Fatalf("the cancelled run: %+v %v", sum, err)
		}
		again := f.run(ModeAll)
		if again.Outcomes.Imported+again.Outcomes.AlreadyImported != f.importable() || again.Outcomes.AlreadyImported == 0 {
			t.Fatalf("the rerun %+v, want %d importable", again.Outcomes, f.importable())
		}
		if f.srv.BulkOperations() != 1 {
			t.Errorf("%d exports, want the cancelled run's read again", f.srv.BulkOperations())
		}
		checkWholeSales(t, f, f.importable())
	})
}

// TestWebhookDuringBulkImportIsOneSale delivers an order's webhook while a Get all reads
// the export holding the same order: one sale, whichever comes first.
func TestWebhookDuringBulkImportIsOneSale(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{sim: shopifysim.Options{Generate: bulkShop(), Bulk: shopifysim.BulkOptions{Rate: 4000}}})
	f.im.PageSize = 10
	var hooked []shopifyapi.Order
	for _, o := range f.shopOrders() {
		if expectedOutcome(o, false, testNow) == Imported && len(hooked) < 12 {
			w, err := shopifyapi.DecodeOrder(o.Raw)
			if err != nil {
				t.Fatal(err)
			}
			hooked = append(hooked, w)
		}
	}
	var wg sync.WaitGroup
	var once sync.Once
	var hookErr error
	var hookSum Summary
	sum, err := f.im.Run(context.Background(), f.conn.ID, RunOptions{Mode: ModeAll, Progress: func(p Progress) {
		if !p.Preparing && p.Seen > 0 {
			once.Do(func() {
				wg.Add(1)
				go func() {
					defer wg.Done()
					// A webhook delivery waits for the running import, as the daemon's does.
					hookSum, hookErr = f.im.ImportOrders(context.Background(), f.conn.ID, hooked, RunOptions{Wait: true})
				}()
			})
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if hookErr != nil {
		t.Fatal(hookErr)
	}
	if hookSum.Outcomes.AlreadyImported+hookSum.Outcomes.Imported != len(hooked) || sum.Outcomes.Imported+hookSum.Outcomes.Imported != f.importable() {
		t.Fatalf("bulk %+v, webhooks %+v, want %d sales", sum.Outcomes, hookSum.Outcomes, f.importable())
	}
	checkWholeSales(t, f, f.importable())
}

// TestBulkFinishedWakesTheWaitingRun checks that NotifyBulkFinished (the daemon's
// bulk_operations/finish) reaches the run waiting for that operation and no other.
func TestBulkFinishedWakesTheWaitingRun(t *testing.T) {
	t.Parallel()
	mine, doneMine := waitBulkNotice("gid://shopify/BulkOperation/1")
	other, doneOther := waitBulkNotice("gid://shopify/BulkOperation/2")
	defer doneOther()
	NotifyBulkFinished("gid://shopify/BulkOperation/1")
	select {
	case <-mine:
	default:
		t.Fatal("the waiting run was not woken")
	}
	select {
	case <-other:
		t.Fatal("another operation's run was woken")
	default:
	}
	doneMine()
	NotifyBulkFinished("gid://shopify/BulkOperation/1") // nobody waits: nothing happens
}

// TestGetNewReadsWhatChangedSinceTheMark: after a Get all, a Get new reads the orders
// created or updated since (a new one imported, a changed one already imported), and
// does not count the ones it reads again only because of the overlap.
func TestGetNewReadsWhatChangedSinceTheMark(t *testing.T) {
	t.Parallel()
	at := testNow.Add(-3 * time.Hour)
	old := genOrder(201, "#2001", at)
	recent := genOrder(202, "#2002", testNow.Add(-2*time.Minute)) // inside the overlap
	f := newFixture(t, fixtureOptions{sim: shopifysim.Options{Orders: []shopdata.Order{old, recent}}})
	if sum := f.run(ModeAll); sum.Outcomes.Imported != 2 {
		t.Fatalf("get all %+v", sum)
	}
	if sum := f.run(ModeNew); sum.Seen != 0 {
		t.Fatalf("get new with nothing new %+v", sum)
	}
	if _, err := f.srv.UpdateOrder(201, func(m map[string]any) {
		m["updated_at"] = testNow.Add(time.Minute).Format(time.RFC3339)
		m["note"] = "changed"
	}); err != nil {
		t.Fatal(err)
	}
	fresh := genOrder(203, "#2003", testNow.Add(2*time.Minute))
	if err := f.srv.AddOrders(fresh); err != nil {
		t.Fatal(err)
	}
	sum := f.run(ModeNew)
	if sum.Seen != 2 || sum.Outcomes.Imported != 1 || sum.Outcomes.AlreadyImported != 1 {
		t.Fatalf("get new %+v, want #2003 imported and the changed #2001 already imported", sum)
	}
	c, err := (ConnectionStore{}).byID(context.Background(), f.db, f.conn.ID)
	if err != nil || c.OrdersUpdatedThrough == nil || !c.OrdersUpdatedThrough.Equal(testNow.Add(2*time.Minute)) {
		t.Errorf("the high-water mark is %v (%v), want the newest update read", c.OrdersUpdatedThrough, err)
	}
}
