package shopifysim_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kassa-pos/kassa/sync/shopifysim"
	"github.com/kassa-pos/kassa/sync/shopifysim/shopdata"
)

const setMutation = `mutation set($input: InventorySetQuantitiesInput!, $key: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup { reason referenceDocumentUri changes { name delta quantityAfterChange } }
    userErrors { code field message }
  }
}`

const levelQuery = `query level($item: ID!, $loc: ID!) {
  inventoryItem(id: $item) {
    tracked
    inventoryLevel(locationId: $loc) { quantities(names: ["available", "committed", "on_hand"]) { name quantity } }
  }
}`

func setInput(item int64, quantity int, changeFrom any, withChangeFrom bool) map[string]any {
	q := map[string]any{
		"inventoryItemId": fmt.Sprintf("gid://shopify/InventoryItem/%d", item),
		"locationId":      fmt.Sprintf("gid://shopify/Location/%d", shopifysim.DefaultLocationID), "quantity": quantity,
	}
	if withChangeFrom {
		q["changeFromQuantity"] = changeFrom
	}
	return map[string]any{"name": "available", "reason": "correction", "referenceDocumentUri": "gid://kassa/StockMovement/1", "quantities": []any{q}}
}

func userErrorCodes(t *testing.T, out map[string]any) []string {
	t.Helper()
	data, _ := out["data"].(map[string]any)
	p, _ := data["inventorySetQuantities"].(map[string]any)
	if p == nil {
		t.Fatalf("no payload: %v", out)
	}
	var codes []string
	for _, e := range p["userErrors"].([]any) {
		c, _ := e.(map[string]any)["code"].(string)
		if c == "" {
			c = "(none)"
		}
		codes = append(codes, c)
	}
	return codes
}

// A generated shop keeps its stock as Shopify does: catalogue and levels over GraphQL, a
// web order moving units from available to committed and its fulfilment taking them from
// on hand, and inventorySetQuantities compared and set, idempotent, and refusing what
// Shopify refuses.
func TestInventoryAsShopifyKeepsIt(t *testing.T) {
	t.Parallel()
	s := newServer(t, shopifysim.Options{Generate: &shopdata.GenerateOptions{Seed: 5, Orders: 20, Days: 10}, Scopes: []string{"read_orders", "read_products", "read_inventory", "write_inventory", "read_locations"}})
	tok := s.Token

	// The primary location and the catalogue with its levels.
	_, out, _ := gql(t, s, "2026-10", tok, `{ location { id name isActive } locations(first: 5) { nodes { id name } } }`, nil)
	loc := out["data"].(map[string]any)["location"].(map[string]any)
	if loc["id"] != fmt.Sprintf("gid://shopify/Location/%d", shopifysim.DefaultLocationID) || loc["name"] != "Main store" {
		t.Fatalf("primary location: %v", out)
	}
	_, out, _ = gql(t, s, "2026-10", tok, `query($loc: ID!) { productVariants(first: 100) { nodes { id sku price product { title isGiftCard }
		inventoryItem { id tracked inventoryLevel(locationId: $loc) { quantities(names: ["available"]) { quantity } } } } } }`,
		map[string]any{"loc": loc["id"]})
	if out["data"] == nil {
		t.Fatalf("catalogue: %v", out)
	}
	nodes := out["data"].(map[string]any)["productVariants"].(map[string]any)["nodes"].([]any)
	var item int64
	var variantID int64
	for _, n := range nodes {
		v := n.(map[string]any)
		ii := v["inventoryItem"].(map[string]any)
		if ii["tracked"] == true && item == 0 {
			fmt.Sscanf(ii["id"].(string), "gid://shopify/InventoryItem/%d", &item)
			fmt.Sscanf(v["id"].(string), "gid://shopify/ProductVariant/%d", &variantID)
		}
	}
	if len(nodes) < 10 || item == 0 {
		t.Fatalf("catalogue: %d variants, tracked item %d", len(nodes), item)
	}
	before, _ := s.InventoryLevel(item, shopifysim.DefaultLocationID)
	if before.OnHand != before.Available+before.Committed {
		t.Fatalf("on hand %+v is not available + committed", before)
	}

	// A web order commits units; fulfilling it takes them from on hand.
	o, err := s.PlaceWebOrder(shopifysim.WebOrderLine{VariantID: variantID, Quantity: 2})
	if err != nil {
		t.Fatal(err)
	}
	placed, _ := s.InventoryLevel(item, shopifysim.DefaultLocationID)
	if placed.Available != before.Available-2 || placed.Committed != before.Committed+2 || placed.OnHand != before.OnHand {
		t.Fatalf("after the order: %+v, before %+v", placed, before)
	}
	if err := s.FulfillOrder(o.ID); err != nil {
		t.Fatal(err)
	}
	done, _ := s.InventoryLevel(item, shopifysim.DefaultLocationID)
	if done.Available != placed.Available || done.Committed != before.Committed || done.OnHand != before.OnHand-2 {
		t.Fatalf("after fulfilment: %+v, placed %+v", done, placed)
	}

	// Compare-and-set: a stale changeFromQuantity refuses the whole mutation.
	_, out, _ = gql(t, s, "2026-10", tok, setMutation, map[string]any{"input": setInput(item, 7, done.Available+1, true), "key": "k-stale"})
	if got := userErrorCodes(t, out); strings.Join(got, ",") != "CHANGE_FROM_QUANTITY_STALE" {
		t.Fatalf("stale: %v", got)
	}
	if now, _ := s.InventoryLevel(item, shopifysim.DefaultLocationID); now != done {
		t.Fatalf("a refused set changed the level: %+v", now)
	}
	// changeFromQuantity left out is refused; null opts out.
	_, out, _ = gql(t, s, "2026-10", tok, setMutation, map[string]any{"input": setInput(item, 7, nil, false), "key": "k-missing"})
	if got := userErrorCodes(t, out); len(got) != 1 {
		t.Fatalf("missing changeFromQuantity: %v", got)
	}
	_, out, _ = gql(t, s, "2026-10", tok, setMutation, map[string]any{"input": setInput(item, 7, nil, true), "key": "k-null"})
	if got := userErrorCodes(t, out); len(got) != 0 {
		t.Fatalf("null changeFromQuantity: %v", got)
	}
	// The right one sets available; on hand follows, committed stays.
	_, out, _ = gql(t, s, "2026-10", tok, setMutation, map[string]any{"input": setInput(item, 4, 7, true), "key": "k-ok"})
	if got := userErrorCodes(t, out); len(got) != 0 {
		t.Fatalf("set: %v", got)
	}
	set, _ := s.InventoryLevel(item, shopifysim.DefaultLocationID)
	if set.Available != 4 || set.Committed != done.Committed || set.OnHand != 4+done.Committed {
		t.Fatalf("after the set: %+v", set)
	}
	// The level as the GraphQL Admin API reads it.
	_, lv, _ := gql(t, s, "2026-10", tok, levelQuery, map[string]any{
		"item": fmt.Sprintf("gid://shopify/InventoryItem/%d", item), "loc": fmt.Sprintf("gid://shopify/Location/%d", shopifysim.DefaultLocationID)})
	want := fmt.Sprintf(`{"inventoryItem":{"inventoryLevel":{"quantities":[{"name":"available","quantity":4},{"name":"committed","quantity":%d},{"name":"on_hand","quantity":%d}]},"tracked":true}}`,
		set.Committed, set.OnHand)
	if got := mustJSON(t, lv["data"]); got != want {
		t.Fatalf("level over GraphQL %s, want %s", got, want)
	}
	// The same key and input again answers the first result and changes nothing; the key
	// with other parameters is refused.
	history := len(s.InventoryChanges())
	_, again, _ := gql(t, s, "2026-10", tok, setMutation, map[string]any{"input": setInput(item, 4, 7, true), "key": "k-ok"})
	if a, b := mustJSON(t, again["data"]), mustJSON(t, out["data"]); a != b {
		t.Fatalf("replay answered %s, first %s", a, b)
	}
	if len(s.InventoryChanges()) != history {
		t.Fatal("a replayed key changed the stock again")
	}
	_, out, _ = gql(t, s, "2026-10", tok, setMutation, map[string]any{"input": setInput(item, 5, 4, true), "key": "k-ok"})
	if got := userErrorCodes(t, out); strings.Join(got, ",") != "IDEMPOTENCY_KEY_PARAMETER_MISMATCH" {
		t.Fatalf("reused key: %v", got)
	}
	// The history names the reference and the key.
	last := s.InventoryChanges()[len(s.InventoryChanges())-1]
	if last.ReferenceDocumentURI != "gid://kassa/StockMovement/1" || last.IdempotencyKey != "k-ok" || last.Reason != "correction" {
		t.Fatalf("history: %+v", last)
	}

	// Refusals: names, reasons, references, unknown items, on_hand below zero.
	for _, c := range []struct {
		edit func(map[string]any)
		code string
	}{
		{func(in map[string]any) { in["name"] = "committed" }, "INVALID_NAME"},
		{func(in map[string]any) { in["reason"] = "sold" }, "INVALID_REASON"},
		{func(in map[string]any) { in["referenceDocumentUri"] = "gid://kassa/StockMovement" }, "INVALID_REFERENCE_DOCUMENT"},
		{func(in map[string]any) {
			in["quantities"].([]any)[0].(map[string]any)["inventoryItemId"] = "gid://shopify/InventoryItem/1"
		}, "INVALID_INVENTORY_ITEM"},
		{func(in map[string]any) {
			in["name"] = "on_hand"
			in["quantities"].([]any)[0].(map[string]any)["quantity"] = -1
		}, "INVALID_QUANTITY_NEGATIVE"},
		{func(in map[string]any) {
			in["quantities"] = append(in["quantities"].([]any), in["quantities"].([]any)[0])
		}, "NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR"},
	} {
		in := setInput(item, 3, 4, true)
		c.edit(in)
		_, out, _ = gql(t, s, "2026-10", tok, setMutation, map[string]any{"input": in, "key": "k-" + c.code})
		if got := userErrorCodes(t, out); len(got) == 0 || got[0] != c.code {
			t.Errorf("%s: got %v", c.code, got)
		}
	}
	// compareQuantity is gone from the input since 2026-04: the query does not validate.
	_, out, _ = gql(t, s, "2026-10", tok, `mutation { inventorySetQuantities(input: {name: "available", reason: "correction",
		quantities: [{inventoryItemId: "gid://shopify/InventoryItem/1", locationId: "gid://shopify/Location/1", quantity: 1, compareQuantity: 1}]}) { userErrors { code } } }`, nil)
	if out["errors"] == nil {
		t.Fatalf("compareQuantity accepted: %v", out)
	}
}

// Without write_inventory the mutation is denied; without read_locations the locations.
func TestInventoryScopes(t *testing.T) {
	t.Parallel()
	s := newServer(t, shopifysim.Options{Generate: &shopdata.GenerateOptions{Seed: 5, Orders: 2, Days: 2}, Scopes: []string{"read_orders", "read_products", "read_inventory"}})
	_, out, _ := gql(t, s, "2026-10", s.Token, setMutation, map[string]any{"input": setInput(1, 3, 4, true), "key": "k"})
	errs, _ := out["errors"].([]any)
	if len(errs) != 1 || errs[0].(map[string]any)["extensions"].(map[string]any)["code"] != "ACCESS_DENIED" {
		t.Fatalf("without write_inventory: %v", out)
	}
	_, out, _ = gql(t, s, "2026-10", s.Token, `{ locations(first: 5) { nodes { id } } }`, nil)
	if errs, _ := out["errors"].([]any); len(errs) != 1 {
		t.Fatalf("without read_locations: %v", out)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The control endpoints place web orders and change stock "in Shopify" for scripts.
func TestInventoryControl(t *testing.T) {
	t.Parallel()
	s := newServer(t, shopifysim.Options{Generate: &shopdata.GenerateOptions{Seed: 5, Orders: 2, Days: 2}})
	var item, variant int64
	for _, it := range shopdata.NewGenerator(shopdata.GenerateOptions{Seed: 5, Now: testNow}).Catalog() {
		if it.Tracked {
			item, variant = it.InventoryItemID, it.VariantID
			break
		}
	}
	before, _ := s.InventoryLevel(item, shopifysim.DefaultLocationID)
	post := func(path, body string) map[string]any {
		t.Helper()
		resp, err := http.Post(s.URL+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		if resp.StatusCode >= 300 {
			t.Fatalf("POST %s: %d %v", path, resp.StatusCode, out)
		}
		return out
	}
	post("/_sim/web-orders", fmt.Sprintf(`{"lines":[{"variant_id":%d,"quantity":1}]}`, variant))
	out := post("/_sim/inventory", fmt.Sprintf(`{"inventory_item_id":%d,"available_adjustment":-3}`, item))
	if out["available"] != float64(before.Available-4) || out["committed"] != float64(before.Committed+1) {
		t.Fatalf("after a web order and -3 in the admin: %v (before %+v)", out, before)
	}
	resp, err := http.Get(fmt.Sprintf("%s/_sim/inventory?inventory_item_id=%d", s.URL, item))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&got)
	if got["on_hand"] != float64(before.OnHand-3) {
		t.Fatalf("GET: %v", got)
	}
}

// A held inventorySetQuantities waits, once received, until it is released: applied, or
// answered an error with nothing changed; every mutation received is counted.
func TestHeldInventorySet(t *testing.T) {
	t.Parallel()
	s := newServer(t, shopifysim.Options{Generate: &shopdata.GenerateOptions{Seed: 5, Orders: 2, Days: 10}})
	var item int64
	for _, it := range shopdata.NewGenerator(shopdata.GenerateOptions{Seed: 5, Now: time.Now()}).Catalog() {
		if it.Tracked && !it.GiftCard {
			item = it.InventoryItemID
			break
		}
	}
	before, ok := s.InventoryLevel(item, shopifysim.DefaultLocationID)
	if !ok {
		t.Fatalf("item %d is not stocked", item)
	}
	send := func(quantity int, key string) <-chan map[string]any {
		done := make(chan map[string]any, 1)
		go func() {
			_, out, _ := gql(t, s, "2026-10", s.Token, setMutation, map[string]any{"input": setInput(item, quantity, nil, true), "key": key})
			done <- out
		}()
		return done
	}
	for _, apply := range []bool{false, true} {
		h := s.HoldNextInventorySet()
		done := send(before.Available+3, fmt.Sprintf("k-held-%v", apply))
		<-h.Reached()
		if now, _ := s.InventoryLevel(item, shopifysim.DefaultLocationID); now != before {
			t.Fatalf("a held set changed the level: %+v", now)
		}
		h.Release(apply)
		out := <-done
		now, _ := s.InventoryLevel(item, shopifysim.DefaultLocationID)
		if apply && (now.Available != before.Available+3 || len(userErrorCodes(t, out)) != 0) {
			t.Fatalf("released to apply: %+v, %v", now, out)
		}
		if !apply && (now != before || out["errors"] == nil) {
			t.Fatalf("released without applying: %+v, %v", now, out)
		}
	}
	if s.InventorySets() != 2 {
		t.Fatalf("%d sets counted, want 2", s.InventorySets())
	}
}

// TestWebOrdersPlacedAtOnceHaveDistinctNames: buyers placing web orders at the same moment
// get distinct order names, as in Shopify (kassa files sales under them).
func TestWebOrdersPlacedAtOnceHaveDistinctNames(t *testing.T) {
	t.Parallel()
	s := newServer(t, shopifysim.Options{Generate: &shopdata.GenerateOptions{Seed: 13, Orders: 5, Days: 5}})
	var variant int64
	for _, it := range shopdata.NewGenerator(shopdata.GenerateOptions{Seed: 13, Now: time.Now()}).Catalog() {
		if it.Tracked && !it.GiftCard {
			variant = it.VariantID
			break
		}
	}
	const buyers, each = 4, 25
	names := make(chan string, buyers*each)
	var wg sync.WaitGroup
	for range buyers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				o, err := s.PlaceWebOrder(shopifysim.WebOrderLine{VariantID: variant, Quantity: 1})
				if err != nil {
					t.Error(err)
					return
				}
				names <- o.Name
			}
		}()
	}
	wg.Wait()
	close(names)
	seen := map[string]bool{}
	for n := range names {
		if seen[n] {
			t.Errorf("two web orders are named %s", n)
		}
		seen[n] = true
	}
}
