package main

import (
	"strings"
	"testing"
	"time"

	"github.com/kassa-pos/kassa/internal/dbtest"
	"github.com/kassa-pos/kassa/sync/shopifysim"
	"github.com/kassa-pos/kassa/sync/shopifysim/shopdata"
)

// A shop with two locations: connect names the primary one unless told, 'shopify
// locations' lists them, 'shopify set --location' changes it, the catalogue pull takes the
// opening stock, 'stock sync status' shows the queue and 'stock push --all' pushes it.
func TestLocationCatalogueAndStockPushCommands(t *testing.T) {
	t.Parallel()
	db, url := dbtest.NewWithURL(t)
	sim := newAppShop(t, shopifysim.Options{Locations: []shopifysim.Location{
		{ID: 71, Name: "Gent shop", Active: true, Country: "BE", CountryCode: "BE", AdminGraphqlAPIID: "gid://shopify/Location/71"},
		{ID: 72, Name: "Warehouse", Active: true, Country: "BE", CountryCode: "BE", AdminGraphqlAPIID: "gid://shopify/Location/72"},
	}})
	ok(t, url, "outlet", "add", "Gent", "--timezone", "Europe/Brussels", "--currency", "EUR")
	ok(t, url, "register", "add", "Till", "--outlet", "Gent")
	secretFile := writeFile(t, "secret", appClientSecret)
	connect := []string{"shopify", "connect", "--shop", "app", "--client-id", appClientID, "--client-secret-file", secretFile,
		"--outlet", "Gent", "--register", "Till", "--base-url", sim.URL}
	fails(t, db, url, `the shop has no location "Attic"`, append(append([]string{}, connect...), "--location", "Attic")...)
	out := ok(t, url, connect...)
	if !strings.Contains(out, `location:       "Gent shop" (71) mirrors the outlet's stock`) || !strings.Contains(out, "kassa shopify catalogue pull") {
		t.Fatalf("connect said %q", out)
	}
	out = ok(t, url, "shopify", "locations")
	if !strings.Contains(out, "71  Gent shop") || !strings.Contains(out, `primary, mirrors outlet "Gent"`) || !strings.Contains(out, "72  Warehouse") {
		t.Fatalf("locations %q", out)
	}
	if out := ok(t, url, "shopify", "set", "--location", "warehouse"); !strings.Contains(out, `the location "Warehouse" (72) mirrors outlet "Gent"`) {
		t.Fatalf("set said %q", out)
	}
	fails(t, db, url, "the shop has no location 99", "shopify", "set", "--location", "99")
	ok(t, url, "shopify", "set", "--location", "71")

	// Dry run, then the pull; a second pull changes nothing.
	if out := ok(t, url, "shopify", "catalogue", "pull", "--dry-run"); !strings.HasPrefix(out, "dry run: nothing was written\n") || tableCount(t, db, "stock_channel_items") != 0 {
		t.Fatalf("dry run %q", out)
	}
	out = ok(t, url, "shopify", "catalogue", "pull")
	if !strings.Contains(out, `catalogue of app.myshopify.com at location "Gent shop" (71)`) || !strings.Contains(out, "linked:     0") || strings.Contains(out, "created:    0") {
		t.Fatalf("pull %q", out)
	}
	var res struct {
		Created, Linked, Unchanged int
	}
	mustJSON(t, ok(t, url, "shopify", "catalogue", "pull", "--json"), &res)
	if res.Created != 0 || res.Linked != 0 || res.Unchanged == 0 {
		t.Fatalf("second pull %+v", res)
	}

	// A movement waits in the queue (no daemon runs); status shows it; push --all sends it.
	var item shopdata.CatalogItem
	for _, it := range shopdata.NewGenerator(shopdata.GenerateOptions{Seed: 9, Now: time.Now()}).Catalog() {
		if it.Tracked && it.SKU != "" {
			item = it
			break
		}
	}
	before, _ := sim.InventoryLevel(item.InventoryItemID, 71)
	ok(t, url, "stock", "adjust", "--sku", item.SKU, "--delta", "-2", "--note", "breakage")
	out = ok(t, url, "stock", "sync", "status")
	if !strings.Contains(out, "queue:            1 products waiting") || !strings.Contains(out, "push:             on") {
		t.Fatalf("status %q", out)
	}
	out = ok(t, url, "stock", "push", "--all")
	if !strings.Contains(out, "1 set in Shopify") {
		t.Fatalf("push said %q", out)
	}
	if after, _ := sim.InventoryLevel(item.InventoryItemID, 71); after.Available != before.Available-2 {
		t.Fatalf("Shopify's available %d, want %d", after.Available, before.Available-2)
	}
	var st struct {
		Queued  int    `json:"queued"`
		CanPush bool   `json:"can_push"`
		Error   string `json:"last_error"`
	}
	mustJSON(t, ok(t, url, "stock", "sync", "status", "--json"), &st)
	if st.Queued != 0 || !st.CanPush || st.Error != "" {
		t.Fatalf("status %+v", st)
	}
}

// A connection whose app has no write_inventory says it cannot push.
func TestStockSyncStatusWithoutWriteInventory(t *testing.T) {
	t.Parallel()
	db, url := dbtest.NewWithURL(t)
	sim := newAppShop(t, shopifysim.Options{Scopes: []string{"read_orders", "read_products", "read_inventory", "read_locations"}})
	ok(t, url, "outlet", "add", "Gent", "--timezone", "Europe/Brussels", "--currency", "EUR")
	ok(t, url, "register", "add", "Till", "--outlet", "Gent")
	code, _, errOut := kassa(t, url, "shopify", "connect", "--shop", "app", "--client-id", appClientID, "--client-secret-file", writeFile(t, "s", appClientSecret),
		"--outlet", "Gent", "--register", "Till", "--base-url", sim.URL)
	if code != 0 || !strings.Contains(errOut, "no write_inventory scope") {
		t.Fatalf("connect: %d %q", code, errOut)
	}
	if out := ok(t, url, "stock", "sync", "status"); !strings.Contains(out, "push:             off: the app has no write_inventory scope") {
		t.Fatalf("status %q", out)
	}
	fails(t, db, url, "the app has no write_inventory scope", "stock", "push", "--all")
}
