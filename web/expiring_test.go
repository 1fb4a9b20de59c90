package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kassa-pos/kassa/daemon/client"
	"github.com/kassa-pos/kassa/internal/terminaltest"
)

const hostileOrderName = `#77<img src=x onerror="document.title='owned'">`

// TestOrdersLeavingShopifyAndTheReconciliationInTheBrowser: the Shopify screen lists the
// order that failed to import and leaves Shopify's 60 days within 7, with its age, in
// English and Dutch; the nightly report shows it and the night's reconciliation with its
// count and first difference. The order's name, typed by an attacker, is shown as text.
func TestOrdersLeavingShopifyAndTheReconciliationInTheBrowser(t *testing.T) {
	w := startWorld(t, terminaltest.Options{})
	now := terminaltest.Now()
	w.FailedOrder(770001, hostileOrderName, now.Add(-54*24*time.Hour), "the order's lines name an unknown SKU")
	// The night's reconciliation found a refund no webhook brought, and recorded it.
	if _, err := w.DB.Exec(`WITH r AS (INSERT INTO import_runs (connection_id, mode, trigger, status, started_at, finished_at)
			SELECT id, 'webhook', 'reconcile', 'finished', $1, $1 FROM shopify_connections ORDER BY id LIMIT 1
			RETURNING id, connection_id)
		INSERT INTO shopify_reconciliations (connection_id, night, started_at, finished_at, window_from,
			window_to, orders, differences, run_id, first)
		SELECT r.connection_id, $1::date, $1, $1, $1::timestamptz - interval '7 days', $1, 30, 1, r.id,
			jsonb_build_array(jsonb_build_object('order_id', 770002, 'order_name', $2::text,
				'differences', jsonb_build_array('to record: return (refunded in Shopify), 5.00 refunded')))
		FROM r`, now.Add(-6*time.Hour), hostileOrderName); err != nil {
		t.Fatal(err)
	}

	b := newBrowser(t, w, 1024, 768)
	b.signIn(w.Cashier)
	b.step("the Shopify screen", b.open("/shopify"), chromedp.WaitVisible("#expiring"))
	list := b.text("#expiring")
	for _, want := range []string{"leaving Shopify's 60 days within 7 days", hostileOrderName, "54 days old", "leaves Shopify", "unknown SKU"} {
		if !strings.Contains(list, want) {
			t.Errorf("the Shopify screen's list lacks %q:\n%s", want, list)
		}
	}
	b.step("in Dutch", b.open("/lang/nl?back=/shopify"), chromedp.WaitVisible("#expiring"))
	if list := b.text("#expiring"); !strings.Contains(list, "54 dagen oud") || !strings.Contains(list, "uit Shopify's 60 dagen") {
		t.Errorf("the Dutch list:\n%s", list)
	}
	b.step("in English again", b.open("/lang/en?back=/shopify"), chromedp.WaitVisible("#expiring"))
	if n := eval[int](b, `document.querySelectorAll("main img").length`); n != 0 || eval[string](b, `document.title`) == "owned" {
		t.Fatalf("the order's name became %d elements of the page", n)
	}

	day := now.In(mustZone(t)).Format(time.DateOnly)
	if _, err := client.New(w.URL, w.Manager).GenerateNightly(context.Background(), client.NightlyRequest{Date: day}); err != nil {
		t.Fatal(err)
	}
	m := newBrowser(t, w, 1024, 768)
	m.signIn(w.Manager)
	m.step("the nightly report", m.open("/reports/nightly?date="+day), chromedp.WaitVisible("#reconciliation"))
	rec := m.text("#reconciliation")
	for _, want := range []string{"Reconciliation with Shopify", "differences: 1", "recorded", hostileOrderName, "refunded in Shopify"} {
		if !strings.Contains(rec, want) {
			t.Errorf("the report's reconciliation lacks %q:\n%s", want, rec)
		}
	}
	if ex := m.text("#expiring"); !strings.Contains(ex, hostileOrderName) || !strings.Contains(ex, "54 days") {
		t.Errorf("the report's orders leaving Shopify:\n%s", ex)
	}
	if n := eval[int](m, `document.querySelectorAll("main img").length`); n != 0 {
		t.Fatalf("the order's name became %d elements of the report", n)
	}
}

func mustZone(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Brussels")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
