package daemon_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/kassa-pos/kassa/daemon"
	"github.com/kassa-pos/kassa/daemon/client"
	"github.com/kassa-pos/kassa/internal/dbtest"
	"github.com/kassa-pos/kassa/sync/shopify"
	"github.com/kassa-pos/kassa/sync/shopifysim"
	"github.com/kassa-pos/kassa/sync/shopifysim/shopdata"
)

// TestNightlyReconciliationRunsOnceAndFindsTheLostRefund: Shopify refunds an imported
// order and its webhook never arrives. Two daemons started before the night's time run
// nothing until it comes, then the reconciliation once between them: it finds the refund,
// records it as a return (the shop has auto-update on), and the nightly report of the day
// shows the count and the order with its reason.
func TestNightlyReconciliationRunsOnceAndFindsTheLostRefund(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := lostRefund(t, true)
	db, clk, sim, loc, pick := f.db, f.clk, f.sim, f.loc, f.pick

	cfg := fastConfig()
	cfg.NightlyEvery = 20 * time.Millisecond
	// The night's time is an hour ahead: the daemons start before it.
	at := clk.Now().In(loc).Add(time.Hour).Truncate(time.Minute)
	cfg.ReconcileAt = at.Format("15:04")
	cfg.ReconcileDays = 7
	a := start(t, db, listen(t), cfg, daemon.Deps{Clock: clk.Now, Logger: testLogger(t, nil)})
	b := start(t, db, listen(t), cfg, daemon.Deps{Clock: clk.Now, Logger: testLogger(t, nil)})
	var passesA, passesB atomic.Int64
	nudge := func(in *instance, n *atomic.Int64) func() {
		return func() {
			n.Add(1)
			select {
			case in.passes <- struct{}{}:
			default:
			}
		}
	}
	if !daemon.SetReconcileHook(a.d, nudge(a, &passesA)) || !daemon.SetReconcileHook(b.d, nudge(b, &passesB)) {
		t.Fatal("the daemons do not reconcile")
	}
	waitFor(t, "both reconcilers looked before the time", func() bool {
		return passesA.Load() >= 2 && passesB.Load() >= 2
	}, a, b)
	if n := countRows(t, db, `SELECT count(*) FROM shopify_reconciliations`); n != 0 {
		t.Fatalf("%d reconciliations before the night's time", n)
	}
	clk.Advance(2 * time.Hour)
	waitFor(t, "the night's reconciliation is recorded", func() bool {
		return countRows(t, db, `SELECT count(*) FROM shopify_reconciliations`) == 1
	}, a, b)
	// Both instances look again after it was recorded: neither runs it a second time.
	fromA, fromB := passesA.Load(), passesB.Load()
	waitFor(t, "both instances looked again", func() bool {
		return passesA.Load() >= fromA+3 && passesB.Load() >= fromB+3
	}, a, b)
	if n := countRows(t, db, `SELECT count(*) FROM shopify_reconciliations`); n != 1 {
		t.Fatalf("%d reconciliations recorded, want 1", n)
	}
	ran := counter(t, a.d, "kassa_shopify_reconciliations_total") + counter(t, b.d, "kassa_shopify_reconciliations_total")
	if ran != 1 {
		t.Fatalf("the two daemons ran %v reconciliations, want 1", ran)
	}
	if got := labelled(t, a.d, "kassa_shopify_reconcile_differences_total", "shop", sim.Shop) +
		labelled(t, b.d, "kassa_shopify_reconcile_differences_total", "shop", sim.Shop); got != 1 {
		t.Fatalf("differences counted %v, want 1", got)
	}
	// The refund became one return of the sale, by a run of trigger reconcile.
	if n := countRows(t, db, `SELECT count(*) FROM sale_returns`); n != 1 {
		t.Fatalf("%d returns recorded, want the refund's", n)
	}
	if n := countRows(t, db, `SELECT count(*) FROM import_runs WHERE trigger = 'reconcile'`); n != 1 {
		t.Fatalf("%d reconcile runs, want 1", n)
	}

	owner := client.New(a.url, token(t, db, "owner", daemon.RoleManager))
	rep, err := owner.GenerateNightly(ctx, client.NightlyRequest{Outlet: "Gent", Date: at.Format(time.DateOnly)})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Reconciliations) != 1 {
		t.Fatalf("the report lists the reconciliations %+v, want 1", rep.Reconciliations)
	}
	rec := rep.Reconciliations[0]
	if rec.Shop != sim.Shop || rec.Differences != 1 || !rec.Fixed || rec.Error != "" || rec.Orders == 0 || rec.RunID == nil {
		t.Fatalf("the report's reconciliation %+v, want 1 difference of %s, fixed", rec, sim.Shop)
	}
	if len(rec.FirstDifferences) != 1 || rec.FirstDifferences[0].OrderName != pick.Name || rec.FirstDifferences[0].ShopifyOrderID != pick.OrderID ||
		!strings.Contains(strings.Join(rec.FirstDifferences[0].Reasons, "; "), "refunded in Shopify") {
		t.Fatalf("the report's first differences %+v, want %s refunded in Shopify", rec.FirstDifferences, pick.Name)
	}
	text, err := owner.NightlyReportText(ctx, "Gent", rep.Day)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"RECONCILIATION WITH SHOPIFY", "1 difference", pick.Name, "refunded in Shopify", "recorded"} {
		if !strings.Contains(text, want) {
			t.Errorf("the report's text lacks %q:\n%s", want, text)
		}
	}
}

// TestOrdersLeavingShopifyInTheAPIAndTheMetric: an order that failed to import and leaves
// Shopify's 60 days in 3 days is listed by GET /api/v1/imports/expiring (to a cashier)
// with its age, and counted by the metric; one leaving in 20 days, or one imported after
// its failure, is in neither.
func TestOrdersLeavingShopifyInTheAPIAndTheMetric(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	ctx := context.Background()
	ids := dbtest.NewShop(t, db, "Gent", "Front")
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	conn, err := shopify.ConnectionStore{Secrets: dbtest.Secrets()}.Connect(ctx, db, shopify.ConnectParams{
		Shop: "gent.myshopify.com", AccessToken: "token", WebhookSecret: "secret", OutletID: ids.OutletID, RegisterID: ids.RegisterID,
	})
	if err != nil {
		t.Fatal(err)
	}
	day := 24 * time.Hour
	for _, o := range []struct {
		id      int64
		name    string
		outcome string
		created time.Time
	}{
		{1001, "#1001", "failed", now.Add(-57 * day)},
		{1002, "#1002", "failed", now.Add(-40 * day)},
		{1003, "#1003", "failed", now.Add(-56 * day)},
		{1003, "#1003", "imported", now.Add(-56 * day)},
	} {
		if _, err := db.Exec(`WITH r AS (INSERT INTO import_runs (connection_id, mode, trigger, started_at) VALUES ($1, 'retry', 'cli', $2) RETURNING id)
			INSERT INTO import_outcomes (run_id, connection_id, shopify_order_id, order_name, outcome, reason, created_at, order_created_at)
			SELECT r.id, $1, $3, $4, $5, 'totals differ', $2, $6 FROM r`, conn.ID, now, o.id, o.name, o.outcome, o.created); err != nil {
			t.Fatal(err)
		}
	}
	in := start(t, db, listen(t), fastConfig(), daemon.Deps{Clock: func() time.Time { return now }, Logger: testLogger(t, nil)})
	list, err := client.New(in.url, token(t, db, "till", daemon.RoleCashier)).ExpiringOrders(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].OrderName != "#1001" || list[0].AgeDays != 57 || list[0].Shop != conn.Shop ||
		!list[0].LeavesAt.Equal(now.Add(3*day)) || list[0].Reason != "totals differ" {
		t.Fatalf("the API lists %+v, want #1001 only, 57 days old, leaving in 3 days", list)
	}
	if n := metricSum(t, in.url+"/metrics", "kassa_shopify_failed_orders_expiring", `shop="gent.myshopify.com"`); n != 1 {
		t.Fatalf("the metric counts %v orders, want 1", n)
	}
}

// lostRefundShop is a shop at 10:00 in Gent today whose orders were imported, then one
// of them (pick) refunded in Shopify by a refund whose webhooks went nowhere.
type lostRefundShop struct {
	db   *sqlx.DB
	clk  *clock
	sim  *shopifysim.Server
	loc  *time.Location
	pick struct {
		OrderID int64  `db:"external_id"`
		Name    string `db:"receipt_number"`
	}
}

func lostRefund(t *testing.T, autoUpdate bool) *lostRefundShop {
	t.Helper()
	db := dbtest.New(t)
	ctx := context.Background()
	clk := &clock{}
	// 10:00 in Gent today, so that the night's time (an hour later) and the moment the clock
	// is moved past it fall on one local day.
	loc := mustLoc(t, "Europe/Brussels")
	y, mo, d := time.Now().In(loc).Date()
	clk.Advance(time.Until(time.Date(y, mo, d, 10, 0, 0, 0, loc)))
	ids := dbtest.NewShop(t, db, "Gent", "Front")
	// No webhook address: the refund's webhooks go nowhere.
	sim, err := shopifysim.NewServer(shopifysim.Options{Clock: clk.Now, Generate: &shopdata.GenerateOptions{Seed: 7, Orders: 30, Days: 5}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	conn, err := shopify.ConnectionStore{Secrets: dbtest.Secrets()}.Connect(ctx, db, shopify.ConnectParams{
		Shop: sim.Shop, AccessToken: sim.Token, WebhookSecret: sim.Secret, BaseURL: sim.URL,
		OutletID: ids.OutletID, RegisterID: ids.RegisterID,
	})
	if err != nil {
		t.Fatal(err)
	}
	// Polls far apart: the reconciliation, not a poll, must find the refund.
	if _, err := db.Exec(`UPDATE shopify_connections SET auto_update = $2, poll_interval = '2 days' WHERE id = $1`, conn.ID, autoUpdate); err != nil {
		t.Fatal(err)
	}
	im := &shopify.Importer{DB: db, Clock: clk.Now, Secrets: dbtest.Secrets()}
	if _, err := im.Run(ctx, conn.ID, shopify.RunOptions{Mode: shopify.ModeAll, Trigger: shopify.TriggerCLI}); err != nil {
		t.Fatal(err)
	}
	f := &lostRefundShop{db: db, clk: clk, sim: sim, loc: loc}
	pick := &f.pick
	if err := db.Get(pick, `SELECT x.external_id, s.receipt_number FROM sale_external_ids x JOIN sales s ON s.id = x.sale_id
		WHERE s.balance = 0 AND NOT s.voided ORDER BY x.external_id LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	raw, err := sim.Order(pick.OrderID)
	if err != nil {
		t.Fatal(err)
	}
	var o shopdata.Order
	if err := json.Unmarshal(raw, &o); err != nil {
		t.Fatal(err)
	}
	if _, err := sim.RefundOrder(o.ID, shopifysim.RefundRequest{Lines: []shopifysim.RefundLine{{LineItemID: o.LineItems[0].ID, Quantity: 1, RestockType: "return"}}}); err != nil {
		t.Fatal(err)
	}

	return f
}

// TestNightlyReconciliationOnlyListsWithoutAutoUpdate: with auto-update off staff import
// by hand, so the night's reconciliation lists the lost refund in the nightly report but
// records nothing.
func TestNightlyReconciliationOnlyListsWithoutAutoUpdate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := lostRefund(t, false)
	cfg := fastConfig()
	cfg.NightlyEvery = 20 * time.Millisecond
	at := f.clk.Now().In(f.loc).Add(time.Hour).Truncate(time.Minute)
	cfg.ReconcileAt, cfg.ReconcileDays = at.Format("15:04"), 7
	a := start(t, f.db, listen(t), cfg, daemon.Deps{Clock: f.clk.Now, Logger: testLogger(t, nil)})
	var passes atomic.Int64
	daemon.SetReconcileHook(a.d, func() {
		passes.Add(1)
		select {
		case a.passes <- struct{}{}:
		default:
		}
	})
	waitFor(t, "the reconciler looked before the time", func() bool { return passes.Load() >= 2 }, a)
	f.clk.Advance(2 * time.Hour)
	waitFor(t, "the night's reconciliation is recorded", func() bool {
		return countRows(t, f.db, `SELECT count(*) FROM shopify_reconciliations`) == 1
	}, a)
	if n := countRows(t, f.db, `SELECT count(*) FROM sale_returns`) + countRows(t, f.db, `SELECT count(*) FROM import_runs WHERE trigger = 'reconcile'`); n != 0 {
		t.Fatalf("%d returns and reconcile runs recorded with auto-update off, want none", n)
	}
	owner := client.New(a.url, token(t, f.db, "owner", daemon.RoleManager))
	if _, err := owner.GenerateNightly(ctx, client.NightlyRequest{Outlet: "Gent", Date: at.Format(time.DateOnly)}); err != nil {
		t.Fatal(err)
	}
	text, err := owner.NightlyReportText(ctx, "Gent", at.Format(time.DateOnly))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"1 difference", "not recorded", f.pick.Name, "refunded in Shopify"} {
		if !strings.Contains(text, want) {
			t.Errorf("the report's text lacks %q:\n%s", want, text)
		}
	}
}
