package daemon_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kassa-pos/kassa/daemon"
	"github.com/kassa-pos/kassa/daemon/client"
	"github.com/kassa-pos/kassa/internal/dbtest"
	"github.com/kassa-pos/kassa/sync/shopify"
	"github.com/kassa-pos/kassa/sync/shopifysim"
	"github.com/kassa-pos/kassa/sync/shopifysim/shopdata"
)

// TestNightlyReconciliationRunsOnceAndFindsTheLostRefund: Shopify refunds an imported
// order and its webhook never arrives. Two daemons run the night's reconciliation once
// between them: it finds the refund, records it as a return, and the nightly report of
// the day shows the count and the order with its reason.
func TestNightlyReconciliationRunsOnceAndFindsTheLostRefund(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	ctx := context.Background()
	clk := &clock{}
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
	im := &shopify.Importer{DB: db, Clock: clk.Now, Secrets: dbtest.Secrets()}
	if _, err := im.Run(ctx, conn.ID, shopify.RunOptions{Mode: shopify.ModeAll, Trigger: shopify.TriggerCLI}); err != nil {
		t.Fatal(err)
	}
	var pick struct {
		OrderID int64  `db:"external_id"`
		Name    string `db:"receipt_number"`
	}
	if err := db.Get(&pick, `SELECT x.external_id, s.receipt_number FROM sale_external_ids x JOIN sales s ON s.id = x.sale_id
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

	cfg := fastConfig()
	cfg.NightlyEvery = 20 * time.Millisecond
	cfg.ReconcileAt = "00:00" // due at any time of the day: the night's run is caught up at start
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
	rep, err := owner.GenerateNightly(ctx, client.NightlyRequest{Outlet: "Gent", Date: clk.Now().In(mustLoc(t, "Europe/Brussels")).Format(time.DateOnly)})
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
