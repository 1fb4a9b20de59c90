package shopifysim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"testing"

	goshopify "github.com/bold-commerce/go-shopify/v4"

	"github.com/kassa-pos/kassa/internal/fixtures"
	"github.com/kassa-pos/kassa/sync/shopifysim"
	"github.com/kassa-pos/kassa/sync/shopifysim/shopdata"
)

// field extracts one top-level member of a JSON object.
func field(t *testing.T, b []byte, name string) json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m[name]
}

func TestFixtureOrdersAreServedAndDecoded(t *testing.T) {
	t.Parallel()
	single := []string{
		"rest_get_order_partially_refunded_discount_taxes_2024-10.json",
		"rest_create_order_custom_line_item_tax_lines_paid_2024-10.json",
		"goshopify_v4.7.0_order_with_transaction.json",
	}
	ctx := context.Background()
	for _, name := range single {
		t.Run(name, func(t *testing.T) {
			raw := field(t, fixtures.Shopify(t, name), "order")
			var want struct {
				ID   uint64 `json:"id"`
				Name string `json:"name"`
			}
			if err := json.Unmarshal(raw, &want); err != nil {
				t.Fatal(err)
			}
			s := newServer(t, shopifysim.Options{RawOrders: []json.RawMessage{raw}, ReadAllOrders: true})
			c := newClient(t, s, goshopify.WithVersion("2024-10"))
			got, err := c.Order.Get(ctx, want.ID, nil)
			if err != nil {
				t.Fatalf("get: %v", err)
			}
			if got.Id != want.ID || got.Name != want.Name || len(got.LineItems) == 0 {
				t.Errorf("decoded %d %q with %d lines", got.Id, got.Name, len(got.LineItems))
			}
			list, err := c.Order.ListAll(ctx, goshopify.OrderListOptions{Status: "any"})
			if err != nil || len(list) != 1 {
				t.Errorf("list: %d orders, %v", len(list), err)
			}
		})
	}
	t.Run("refunds of an order", func(t *testing.T) {
		raw := field(t, fixtures.Shopify(t, "rest_get_order_partially_refunded_discount_taxes_2024-10.json"), "order")
		s := newServer(t, shopifysim.Options{RawOrders: []json.RawMessage{raw}, ReadAllOrders: true})
		resp := get(t, s, "/admin/api/2024-10/orders/450789469/refunds.json")
		var got struct {
			Refunds []goshopify.Refund `json:"refunds"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || len(got.Refunds) == 0 || got.Refunds[0].Id == 0 {
			t.Fatalf("refunds: %d %+v %v", resp.StatusCode, got, err)
		}
	})
	t.Run("orders list", func(t *testing.T) {
		raw, err := shopdata.ReadOrders(bytes.NewReader(fixtures.Shopify(t, "rest_list_orders_status_any_2024-10.json")))
		if err != nil {
			t.Fatal(err)
		}
		s := newServer(t, shopifysim.Options{RawOrders: raw, ReadAllOrders: true})
		c := newClient(t, s)
		list, err := c.Order.ListAll(ctx, goshopify.OrderListOptions{Status: "any", ListOptions: goshopify.ListOptions{Limit: 1}})
		if err != nil || len(list) != len(raw) {
			t.Fatalf("list: %d of %d orders, %v", len(list), len(raw), err)
		}
	})
	t.Run("webhook sample order", func(t *testing.T) {
		raw := fixtures.Shopify(t, "webhook_orders_create_shopify_test_notification_payload.json")
		s := newServer(t, shopifysim.Options{RawOrders: []json.RawMessage{raw}, ReadAllOrders: true})
		c := newClient(t, s)
		got, err := c.Order.Get(ctx, 820982911946154508, nil)
		if err != nil || got.Name != "#9999" {
			t.Fatalf("get: %+v %v", got, err)
		}
	})
}

func TestFixtureTransactionsAreServed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, name := range []string{
		"rest_list_order_transactions_authorization_capture_refund_2024-10.json",
		"goshopify_v4.7.0_transactions.json",
	} {
		t.Run(name, func(t *testing.T) {
			var txs []json.RawMessage
			if err := json.Unmarshal(field(t, fixtures.Shopify(t, name), "transactions"), &txs); err != nil {
				t.Fatal(err)
			}
			s := newServer(t, shopifysim.Options{RawOrders: manyOrders(t, 1)})
			s.SetTransactions(1001, txs)
			c := newClient(t, s)
			got, err := c.Transaction.List(ctx, 1001, nil)
			if err != nil || len(got) != len(txs) || got[0].Id == 0 || got[0].Kind == "" {
				t.Fatalf("transactions: %+v %v", got, err)
			}
		})
	}
	t.Run("embedded in an old order", func(t *testing.T) {
		raw := field(t, fixtures.Shopify(t, "goshopify_v4.7.0_order_with_transaction.json"), "order")
		s := newServer(t, shopifysim.Options{RawOrders: []json.RawMessage{raw}, ReadAllOrders: true})
		c := newClient(t, s)
		var id struct {
			ID uint64 `json:"id"`
		}
		_ = json.Unmarshal(raw, &id)
		got, err := c.Transaction.List(ctx, id.ID, nil)
		if err != nil || len(got) == 0 {
			t.Fatalf("transactions: %v %v", got, err)
		}
	})
}

func TestFixtureLocationsAndInventoryAreServed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var locations []shopifysim.Location
	if err := json.Unmarshal(field(t, fixtures.Shopify(t, "rest_list_locations_2024-10.json"), "locations"), &locations); err != nil {
		t.Fatal(err)
	}
	s := newServer(t, shopifysim.Options{Locations: locations})
	c := newClient(t, s)
	got, err := c.Location.List(ctx, nil)
	if err != nil || len(got) != len(locations) || got[0].Name != locations[0].Name || got[0].CreatedAt.IsZero() {
		t.Fatalf("locations: %+v %v", got, err)
	}

	for _, name := range []string{"rest_list_inventory_levels_by_item_and_location_ids_2024-10.json", "goshopify_v4.7.0_inventory_levels.json"} {
		var levels []goshopify.InventoryLevel
		if err := json.Unmarshal(field(t, fixtures.Shopify(t, name), "inventory_levels"), &levels); err != nil {
			t.Fatal(err)
		}
		var items, locs []uint64
		for _, l := range levels {
			s.SetInventoryLevel(int64(l.InventoryItemId), int64(l.LocationId), l.Available)
			items = append(items, l.InventoryItemId)
			locs = append(locs, l.LocationId)
		}
		got, err := c.InventoryLevel.List(ctx, goshopify.InventoryLevelListOptions{InventoryItemIds: items, LocationIds: locs})
		if err != nil || len(got) != len(levels) {
			t.Fatalf("%s: %d levels, %v", name, len(got), err)
		}
		for _, l := range levels {
			i := slices.IndexFunc(got, func(g goshopify.InventoryLevel) bool {
				return g.InventoryItemId == l.InventoryItemId && g.LocationId == l.LocationId
			})
			if i < 0 || got[i].Available != l.Available {
				t.Errorf("%s: level %d@%d missing or wrong", name, l.InventoryItemId, l.LocationId)
			}
		}
	}

	for _, name := range []string{"rest_inventory_level_set_request_response_2024-10.json", "rest_inventory_level_adjust_request_response_2024-10.json"} {
		var ex struct {
			Request struct {
				Path string          `json:"path"`
				Body json.RawMessage `json:"body"`
			} `json:"request"`
			Response struct {
				Body goshopify.InventoryLevelResource `json:"body"`
			} `json:"response"`
		}
		if err := json.Unmarshal(fixtures.Shopify(t, name), &ex); err != nil {
			t.Fatal(err)
		}
		want := ex.Response.Body.InventoryLevel
		var in struct {
			Item       int64 `json:"inventory_item_id"`
			Location   int64 `json:"location_id"`
			Adjustment *int  `json:"available_adjustment"`
		}
		_ = json.Unmarshal(ex.Request.Body, &in)
		before := 0
		if in.Adjustment != nil {
			before = want.Available - *in.Adjustment
		}
		s.SetInventoryLevel(in.Item, in.Location, before)
		req, _ := http.NewRequest(http.MethodPost, s.URL+ex.Request.Path, bytes.NewReader(ex.Request.Body))
		req.Header.Set("X-Shopify-Access-Token", s.Token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var got goshopify.InventoryLevelResource
		err = json.NewDecoder(resp.Body).Decode(&got)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 || got.InventoryLevel.Available != want.Available {
			t.Errorf("%s: %d %+v %v", name, resp.StatusCode, got.InventoryLevel, err)
		}
	}
}

func TestFixtureProductCreateIsAccepted(t *testing.T) {
	t.Parallel()
	var ex struct {
		Request struct {
			Body struct {
				Product goshopify.Product `json:"product"`
			} `json:"body"`
		} `json:"request"`
	}
	if err := json.Unmarshal(fixtures.Shopify(t, "rest_create_product_with_variants_request_response_2024-10.json"), &ex); err != nil {
		t.Fatal(err)
	}
	s := newServer(t, shopifysim.Options{})
	c := newClient(t, s, goshopify.WithVersion("2024-10"))
	// go-shopify adds its zero values (requires_shipping false, image {}) to the fixture body.
	p, err := c.Product.Create(context.Background(), ex.Request.Body.Product)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if p.Id == 0 || p.Title != "Burton Custom Freestyle 151" || len(p.Variants) != 2 || p.Status != "active" {
		t.Fatalf("created %+v", p)
	}
	v := p.Variants[1]
	if v.Title != "Second" || v.Price.StringFixed(2) != "20.00" || v.InventoryItemId == 0 || v.InventoryManagement != "" || !v.RequireShipping {
		t.Errorf("variant %+v", v)
	}
}
