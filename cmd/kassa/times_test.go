package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kassa-pos/kassa/internal/dbtest"
	"github.com/kassa-pos/kassa/sync/shopify"
)

// TestTimesShowInTheOutletsZone: every text output shows times in the outlet's time zone
// as 2026-11-25 09:00; JSON keeps RFC 3339 with the offset.
func TestTimesShowInTheOutletsZone(t *testing.T) {
	t.Parallel()
	db, url := dbtest.NewWithURL(t)
	shop := dbtest.NewShop(t, db, "Gent", "Till") // Europe/Brussels: UTC+1 in November
	seedAwaitingOrder(t, db, shop, "#1001", "21.00")
	if _, err := db.Exec(`UPDATE sales SET sold_at = '2026-11-24T22:30:00Z'`); err != nil {
		t.Fatal(err)
	}
	ok(t, url, "register", "open", "--float", "0")
	if _, err := db.Exec(`UPDATE register_sessions SET opened_at = now() - interval '3 hours'`); err != nil {
		t.Fatal(err)
	}
	paidAt := time.Now().Add(-time.Hour).UTC().Truncate(time.Minute) // given in UTC, shown in Brussels
	ok(t, url, "payments", "apply", "--receipt", "#1001", "--type", "Cash", "--amount", "1.00", "--at", paidAt.Format(time.RFC3339))
	brussels, _ := time.LoadLocation("Europe/Brussels")

	list := ok(t, url, "sales", "list")
	if !strings.Contains(list, "#1001    2026-11-24 23:30") {
		t.Errorf("sales list:\n%s", list)
	}
	show := ok(t, url, "sales", "show", "#1001")
	if !strings.Contains(show, "Sold at   2026-11-24 23:30\n") || !strings.Contains(show, "paid 1.00 by Cash at "+paidAt.In(brussels).Format("2006-01-02 15:04")+" on Till") {
		t.Errorf("sales show:\n%s", show)
	}
	var sale map[string]any
	mustJSON(t, ok(t, url, "sales", "show", "#1001", "--json"), &sale)
	if sale["sold_at"] != "2026-11-24T23:30:00+01:00" {
		t.Errorf("sales show --json sold_at %v", sale["sold_at"])
	}

	// Import runs: in the zone of the connection's outlet, not the machine's UTC.
	_, err := shopify.ConnectionStore{Secrets: dbtest.Secrets()}.Connect(context.Background(), db, shopify.ConnectParams{
		Shop: "zone", AccessToken: "t", WebhookSecret: "s", OutletID: shop.OutletID, RegisterID: shop.RegisterID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO import_runs (connection_id, mode, trigger, status, started_at, finished_at)
		SELECT id, 'all', 'cli', 'finished', '2026-11-25T08:00:00Z', '2026-11-25T08:01:30Z' FROM shopify_connections`); err != nil {
		t.Fatal(err)
	}
	if out := ok(t, url, "imports", "list"); !strings.Contains(out, "2026-11-25 09:00") || strings.Contains(out, "08:00") {
		t.Errorf("imports list:\n%s", out)
	}
	if out := ok(t, url, "imports", "show", "1"); !strings.Contains(out, "started 2026-11-25 09:00, finished 2026-11-25 09:01") {
		t.Errorf("imports show:\n%s", out)
	}
	var runs []map[string]any
	mustJSON(t, ok(t, url, "imports", "list", "--json"), &runs)
	if len(runs) != 1 || !strings.HasPrefix(runs[0]["started_at"].(string), "2026-11-25T08:00:00") {
		t.Errorf("imports list --json %v", runs)
	}

	// Tokens belong to no outlet: the only outlet's zone.
	ok(t, url, "token", "create", "--name", "till", "--role", "cashier")
	if _, err := db.Exec(`UPDATE api_tokens SET created_at = '2026-11-25T08:00:00Z'`); err != nil {
		t.Fatal(err)
	}
	if out := ok(t, url, "token", "list"); !strings.Contains(out, "2026-11-25 09:00") {
		t.Errorf("token list:\n%s", out)
	}
}
