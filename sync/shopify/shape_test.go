package shopify

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/kassa-pos/kassa/internal/fixtures"
	"github.com/kassa-pos/kassa/sync/shopify/shopifyapi"
	"github.com/kassa-pos/kassa/sync/shopifysim"
	"github.com/kassa-pos/kassa/sync/shopifysim/shopdata"
)

// The same order gives the same sale whichever way it arrives: as a REST order (pages of
// orders.json, a webhook body, a file) or as a GraphQL order (a page of the orders query,
// or the rows of a bulk export). These tests map every order of several generated shops
// and every order of testdata/shopify both ways and compare the outcomes and the sales
// field by field.

// saleOf is what the rules make of an order, rendered for comparison: the outcome, and
// the sale with its lines, payment and customer (or why it cannot be imported).
func saleOf(o *shopifyapi.Order, c Connection, now time.Time) string {
	if o.DecodeErr != nil {
		return "decode error"
	}
	// The same instants: REST writes them in the shop's offset, GraphQL in UTC.
	u := *o
	u.CreatedAt, u.ProcessedAt, u.UpdatedAt, u.CancelledAt = u.CreatedAt.UTC(), u.ProcessedAt.UTC(), u.UpdatedAt.UTC(), u.CancelledAt.UTC()
	o = &u
	out, why := classify(o, c, now)
	d, err := mapOrder(o, c, c.ShippingSKU)
	if err != nil {
		return fmt.Sprintf("%s (%s) / refused: %v", out, why, err)
	}
	type line struct {
		Line                 any
		VariantID, ProductID int64
		Tracks               bool
	}
	lines := make([]line, len(d.lines))
	for i, l := range d.lines {
		lines[i] = line{l.Line, l.variantID, l.productID, l.tracks}
	}
	b, jerr := json.Marshal(struct {
		Outcome   Outcome
		Why       string
		Sale      any
		Lines     []line
		Collected string
		PayType   string
		PaidAt    time.Time
		Customer  any
		CustExtID int64
	}{out, why, d.sale, lines, d.collected.String(), d.payType, d.paidAt.UTC(), d.customer, d.custExtID})
	if jerr != nil {
		return "marshal: " + jerr.Error()
	}
	return string(b)
}

// shapesOf reads every order of a simulated shop three ways: REST pages, GraphQL pages and
// a bulk export, keyed by order id.
func shapesOf(t *testing.T, s *shopifysim.Server) (rest, paged, bulk map[int64]shopifyapi.Order) {
	t.Helper()
	log := zerolog.Nop()
	c, err := shopifyapi.New(shopifyapi.Config{Shop: s.Shop, AccessToken: s.Token, BaseURL: s.URL, Logger: &log})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	rest, paged, bulk = map[int64]shopifyapi.Order{}, map[int64]shopifyapi.Order{}, map[int64]shopifyapi.Order{}
	keep := func(m map[int64]shopifyapi.Order) func([]shopifyapi.Order) error {
		return func(p []shopifyapi.Order) error {
			for _, o := range p {
				if _, dup := m[o.ID]; dup {
					t.Errorf("order %d read twice", o.ID)
				}
				m[o.ID] = o
			}
			return nil
		}
	}
	if err := c.ListOrders(ctx, shopifyapi.ListOptions{Status: "any"}, keep(rest)); err != nil {
		t.Fatal(err)
	}
	// The GraphQL shapes as an import reads them: a refunded order's refund details
	// by id through GraphQL too.
	if err := c.ListGraphQLOrders(ctx, shopifyapi.OrderQuery{SortKey: "ID", LineItems: 3}, keep(paged)); err != nil {
		t.Fatal(err)
	}
	op, err := c.RunBulkQuery(ctx, shopifyapi.BulkOrdersQuery(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)))
	if err != nil {
		t.Fatal(err)
	}
	for !op.Done() {
		time.Sleep(5 * time.Millisecond)
		if op, err = c.GetBulkOperation(ctx, op.ID); err != nil {
			t.Fatal(err)
		}
	}
	if op.URL != "" {
		if err := c.ReadBulkOrders(ctx, op.URL, 50, keep(bulk)); err != nil {
			t.Fatal(err)
		}
	}
	return rest, paged, bulk
}

func compareShapes(t *testing.T, what string, s *shopifysim.Server, conn Connection, now time.Time) int {
	t.Helper()
	rest, paged, bulk := shapesOf(t, s)
	if len(rest) == 0 || len(paged) != len(rest) || len(bulk) != len(rest) {
		t.Fatalf("%s: %d REST orders, %d paged, %d bulk", what, len(rest), len(paged), len(bulk))
	}
	ids := make([]int64, 0, len(rest))
	for id := range rest {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		r, p, b := rest[id], paged[id], bulk[id]
		want := saleOf(&r, conn, now)
		if got := saleOf(&p, conn, now); got != want {
			t.Errorf("%s: order %d (%s) through GraphQL pages:\n got %s\nwant %s", what, id, r.Name, got, want)
		}
		if got := saleOf(&b, conn, now); got != want {
			t.Errorf("%s: order %d (%s) through a bulk export:\n got %s\nwant %s", what, id, r.Name, got, want)
		}
		// And the webhook body of the order is the REST order.
		w, err := shopifyapi.DecodeOrder(r.Raw)
		if err != nil || saleOf(&w, conn, now) != want {
			t.Errorf("%s: order %d as a webhook body: %v", what, id, err)
		}
	}
	return len(ids)
}

func shapeConnection() Connection {
	return Connection{ID: 1, Shop: "demo.myshopify.com", OutletID: 1, RegisterID: 1, ShippingProductID: 1, Currency: "EUR",
		OutletName: "Gent", ShippingSKU: ShippingSKU, ImportTestOrders: false}
}

func TestGeneratedShopsGiveTheSameSalesThroughGraphQL(t *testing.T) {
	t.Parallel()
	for _, seed := range []int64{3, 11, 29} {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			t.Parallel()
			s, err := shopifysim.NewServer(shopifysim.Options{
				Clock: func() time.Time { return testNow }, ReadAllOrders: true,
				Generate: &shopdata.GenerateOptions{Seed: seed, Orders: 120, Days: 70},
			})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			changeOrders(t, s)
			n := compareShapes(t, fmt.Sprintf("seed %d", seed), s, shapeConnection(), testNow)
			t.Logf("%d orders compared", n)
		})
	}
}

// changeOrders changes some open orders of a simulated shop as Shopify would: a refund
// of a unit with restock, a refund without restock and of the shipping, an edit taking
// a unit off, a cancellation. Each shows in both shapes (current quantities and totals,
// refunds).
func changeOrders(t *testing.T, s *shopifysim.Server) {
	t.Helper()
	var open []shopdata.Order
	for _, raw := range s.AllOrders() {
		var o shopdata.Order
		if err := json.Unmarshal(raw, &o); err != nil {
			t.Fatal(err)
		}
		if o.CancelledAt == nil && len(o.Refunds) == 0 && len(o.LineItems) > 0 && o.LineItems[0].Quantity > 1 && o.LineItems[0].CurrentQuantity > 1 {
			open = append(open, o)
		}
	}
	if len(open) < 4 {
		t.Fatalf("only %d orders to change", len(open))
	}
	line := func(o shopdata.Order) int64 { return o.LineItems[0].ID }
	if _, err := s.RefundOrder(open[0].ID, shopifysim.RefundRequest{Lines: []shopifysim.RefundLine{{LineItemID: line(open[0]), Quantity: 1, RestockType: "return"}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RefundOrder(open[1].ID, shopifysim.RefundRequest{Lines: []shopifysim.RefundLine{{LineItemID: line(open[1]), Quantity: 1, RestockType: "no_restock"}}, Shipping: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.EditOrder(open[2].ID, shopifysim.EditRequest{Quantities: map[int64]int{line(open[2]): open[2].LineItems[0].CurrentQuantity - 1}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CancelOrder(open[3].ID, true, "customer"); err != nil {
		t.Fatal(err)
	}
}

func TestFixtureOrdersGiveTheSameSalesThroughGraphQL(t *testing.T) {
	t.Parallel()
	dir := filepath.Dir(fixtures.ShopifyPath(t, "rest_list_orders_status_any_2024-10.json"))
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	compared := 0
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		for i, raw := range ordersIn(fixtures.Shopify(t, e.Name())) {
			// The simulator serves an order with an id and a creation time.
			var m map[string]any
			if json.Unmarshal(raw, &m) != nil {
				continue
			}
			if _, ok := m["created_at"]; !ok {
				m["created_at"] = testNow.Format(time.RFC3339)
			}
			fixed, _ := json.Marshal(m)
			s, err := shopifysim.NewServer(shopifysim.Options{Clock: func() time.Time { return testNow }, ReadAllOrders: true, RawOrders: []json.RawMessage{fixed}})
			if err != nil {
				t.Logf("%s#%d: the simulator does not serve it: %v", e.Name(), i, err)
				continue
			}
			for _, c := range []Connection{shapeConnection(), func() Connection { c := shapeConnection(); c.Currency = ""; c.ImportTestOrders = true; return c }()} {
				// Old fixtures: judged as of their own time, so that the rules are reached.
				now := testNow
				if created, ok := m["created_at"].(string); ok {
					if at, err := time.Parse(time.RFC3339, created); err == nil {
						now = at.Add(time.Hour)
					}
				}
				compared += compareShapes(t, fmt.Sprintf("%s#%d", e.Name(), i), s, c, now)
			}
			s.Close()
		}
	}
	if compared < 8 {
		t.Fatalf("only %d fixture orders compared", compared)
	}
	t.Logf("%d fixture orders compared (each under two connections)", compared/2)
}

// ordersIn finds the order objects of a fixture file: any object with an id and line items.
func ordersIn(data []byte) []json.RawMessage {
	var out []json.RawMessage
	var walk func(raw json.RawMessage)
	walk = func(raw json.RawMessage) {
		var obj map[string]json.RawMessage
		if json.Unmarshal(raw, &obj) == nil {
			_, hasID := obj["id"]
			_, hasLines := obj["line_items"]
			if hasID && hasLines {
				out = append(out, raw)
				return
			}
			keys := make([]string, 0, len(obj))
			for k := range obj {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				walk(obj[k])
			}
			return
		}
		var arr []json.RawMessage
		if json.Unmarshal(raw, &arr) == nil {
			for _, v := range arr {
				walk(v)
			}
		}
	}
	walk(data)
	return out
}
