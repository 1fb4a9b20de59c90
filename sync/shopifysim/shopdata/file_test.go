package shopdata

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kassa-pos/kassa/internal/fixtures"
)

func TestReadOrdersFileKeepsShopifyOrdersIntact(t *testing.T) {
	t.Parallel()
	orders, err := ReadOrdersFile(fixtures.ShopifyPath(t, "rest_list_orders_status_any_2024-10.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(orders) != 1 {
		t.Fatalf("%d orders, want 1", len(orders))
	}
	var o struct {
		ID           int64             `json:"id"`
		Name         string            `json:"name"`
		TotalPrice   Money             `json:"total_price"`
		ClientDetail map[string]any    `json:"client_details"`
		Fulfillments []json.RawMessage `json:"fulfillments"`
	}
	if err := json.Unmarshal(orders[0], &o); err != nil {
		t.Fatal(err)
	}
	// Fields the typed Order does not model survive in the raw JSON.
	if o.ID != 450789469 || o.Name != "#1001" || o.TotalPrice.String() != "598.94" || o.ClientDetail == nil || len(o.Fulfillments) == 0 {
		t.Fatalf("fixture order read as %+v", o)
	}
	// And the typed model reads it too.
	var typed Order
	if err := json.Unmarshal(orders[0], &typed); err != nil {
		t.Fatalf("decode fixture into Order: %v", err)
	}
	if typed.TotalTipReceived.String() != "0.00" || len(typed.LineItems) == 0 || typed.LineItems[0].TaxLines[0].Rate.String() != "0.06" {
		t.Fatalf("typed fixture order: %+v", typed)
	}
}

func TestReadOrdersRejectsOtherShapes(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, doc, want string }{
		{"bare array", `[{"id":1}]`, "array"},
		{"single order", `{"order":{"id":1}}`, `single {"order"`},
		{"no orders key", `{"products":[]}`, `no "orders" key`},
		{"orders is an object", `{"orders":{"id":1}}`, "not an array"},
		{"orders is null", `{"orders":null}`, "not an array"},
		{"order is not an object", `{"orders":[1]}`, "orders[0] is not an object"},
		{"null document", `null`, "null"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := ReadOrders(strings.NewReader(c.doc))
			if !errors.Is(err, ErrNotOrdersList) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("ReadOrders(%s) = %v, want ErrNotOrdersList mentioning %q", c.doc, err, c.want)
			}
		})
	}
	if _, err := ReadOrders(strings.NewReader(`{"orders":[`)); err == nil || errors.Is(err, ErrNotOrdersList) {
		t.Fatalf("truncated JSON: %v, want a decode error", err)
	}
	orders, err := ReadOrders(strings.NewReader(`{"orders":[]}`))
	if err != nil || orders == nil || len(orders) != 0 {
		t.Fatalf("empty list: %v, %v", orders, err)
	}
}

func TestReadOrdersFileMissing(t *testing.T) {
	t.Parallel()
	_, err := ReadOrdersFile(filepath.Join(t.TempDir(), "nope.json"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("err = %v, want not-exist", err)
	}
}

func TestReadOrdersReadsGeneratedShop(t *testing.T) {
	t.Parallel()
	g := NewGenerator(GenerateOptions{Seed: 4, Orders: 20, Days: 5, Now: testNow})
	path := filepath.Join(t.TempDir(), "orders.json")
	if err := os.WriteFile(path, mustJSON(t, map[string]any{"orders": g.Orders()}), 0o600); err != nil {
		t.Fatal(err)
	}
	raw, err := ReadOrdersFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range raw {
		if string(r) != string(mustJSON(t, g.Orders()[i])) {
			t.Fatalf("order %d changed on the way through the file", i)
		}
	}
}

// FuzzReadOrders checks that any input yields orders or an error, never a panic, and that
// every order returned is a JSON object.
func FuzzReadOrders(f *testing.F) {
	f.Add(`{"orders":[{"id":1}]}`)
	f.Add(`{"orders":[]}`)
	f.Add(`[1,2]`)
	f.Fuzz(func(t *testing.T, doc string) {
		orders, err := ReadOrders(strings.NewReader(doc))
		if err != nil {
			return
		}
		for _, o := range orders {
			var m map[string]json.RawMessage
			if json.Unmarshal(o, &m) != nil {
				t.Fatalf("returned a non-object order %s", o)
			}
		}
	})
}
