package shopifysim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	goshopify "github.com/bold-commerce/go-shopify/v4"
	"github.com/shopspring/decimal"

	"github.com/kassa-pos/kassa/sync/shopifysim"
	"github.com/kassa-pos/kassa/sync/shopifysim/shopdata"
)

func TestGeneratedShop(t *testing.T) {
	t.Parallel()
	s := newServer(t, shopifysim.Options{Generate: &shopdata.GenerateOptions{Seed: 7, Orders: 400, Days: 90}})
	c := newClient(t, s, goshopify.WithVersion("2024-10"))
	ctx := context.Background()

	all := s.AllOrders()
	if len(all) != 400 {
		t.Fatalf("AllOrders = %d", len(all))
	}
	list, err := c.Order.ListAll(ctx, goshopify.OrderListOptions{Status: "any", ListOptions: goshopify.ListOptions{Limit: 250}})
	if err != nil {
		t.Fatal(err)
	}
	n, err := c.Order.Count(ctx, goshopify.OrderCountOptions{Status: "any"})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != n || n == 0 || n >= 400 {
		t.Fatalf("listed %d, counted %d of 400 (a 90-day shop has orders outside the window)", len(list), n)
	}
	window := testNow.Add(-60 * 24 * time.Hour)
	for _, o := range list {
		if o.CreatedAt.Before(window) {
			t.Fatalf("order %d from %v is outside the window", o.Id, o.CreatedAt)
		}
	}

	// Transactions add up to what was collected.
	checked := 0
	for _, o := range list[:40] {
		txs, err := c.Transaction.List(ctx, o.Id, nil)
		if err != nil {
			t.Fatalf("transactions of %d: %v", o.Id, err)
		}
		if o.FinancialStatus != "paid" {
			continue
		}
		sum := decimal.Zero
		for _, tx := range txs {
			if tx.Status == "success" && (tx.Kind == "sale" || tx.Kind == "capture") {
				sum = sum.Add(*tx.Amount)
			}
		}
		if !sum.Equal(*o.TotalPrice) {
			t.Errorf("paid order %d: transactions %s, total %s", o.Id, sum, o.TotalPrice)
		}
		checked++
	}
	if checked == 0 {
		t.Error("no paid order among the first 40")
	}

	// The catalogue is served as products with tracked stock.
	products, err := c.Product.ListAll(ctx, goshopify.ProductListOptions{ListOptions: goshopify.ListOptions{Limit: 7}})
	if err != nil {
		t.Fatal(err)
	}
	s2 := shopdata.NewGenerator(shopdata.GenerateOptions{Seed: 7, Orders: 400, Days: 90, Now: testNow})
	if len(products) <= 7 {
		t.Fatalf("only %d products: the listing did not need a second page", len(products))
	}
	variants := 0
	seen := map[uint64]bool{}
	for _, p := range products {
		if seen[p.Id] {
			t.Errorf("product %d listed twice", p.Id)
		}
		seen[p.Id] = true
		variants += len(p.Variants)
	}
	if variants != len(s2.Catalog()) {
		t.Errorf("served %d variants, catalogue has %d", variants, len(s2.Catalog()))
	}
	locs, err := c.Location.List(ctx, nil)
	if err != nil || len(locs) != 1 {
		t.Fatalf("locations %v %v", locs, err)
	}
	for _, it := range s2.Catalog() {
		if !it.Tracked {
			continue
		}
		levels, err := c.InventoryLevel.List(ctx, goshopify.InventoryLevelListOptions{InventoryItemIds: []uint64{uint64(it.InventoryItemID)}})
		if err != nil || len(levels) != 1 || levels[0].Available != 25 {
			t.Fatalf("stock of %s: %+v %v", it.SKU, levels, err)
		}
		break
	}
}

func TestNewOrderAndControlEndpoints(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t, shopifysim.DefaultSecret)
	s := newServer(t, shopifysim.Options{Generate: &shopdata.GenerateOptions{Seed: 3, Orders: 5, Days: 10}, WebhookURL: rcv.URL})
	before := len(s.AllOrders())
	o, err := s.NewOrder()
	if err != nil {
		t.Fatal(err)
	}
	if at, err := shopdata.ParseTime(o.CreatedAt); err != nil || !at.Equal(testNow) {
		t.Errorf("new order created_at %s, want the clock's now %s", o.CreatedAt, testNow)
	}
	if got := rcv.next(t); got.header.Get("X-Shopify-Topic") != "orders/create" {
		t.Errorf("first webhook topic %s", got.header.Get("X-Shopify-Topic"))
	}
	resp, err := http.Post(s.URL+"/_sim/orders", "application/json", nil)
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST /_sim/orders: %v %v", resp, err)
	}
	resp.Body.Close()
	hand := rawOrder(t, orderSpec{id: 99999999, age: time.Minute})
	resp, err = http.Post(s.URL+"/_sim/orders", "application/json", bytes.NewReader(hand))
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST /_sim/orders with body: %v %v", resp, err)
	}
	resp.Body.Close()
	resp, err = http.Get(s.URL + "/_sim/orders")
	if err != nil {
		t.Fatal(err)
	}
	var body struct{ Orders []json.RawMessage }
	err = json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	if err != nil || len(body.Orders) != before+3 {
		t.Fatalf("GET /_sim/orders: %d orders, %v", len(body.Orders), err)
	}
	resp, err = http.Get(s.URL + "/_sim/stats")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var st shopifysim.Stats
	if err := json.Unmarshal(b, &st); err != nil || st.Orders != before+3 {
		t.Errorf("stats %s: %v", b, err)
	}
	c := newClient(t, s)
	got, err := c.Order.Get(context.Background(), uint64(o.ID), nil)
	if err != nil || got.Name != o.Name {
		t.Errorf("new order via API: %v %v", got, err)
	}
}

func TestProductsAndStockThroughGoShopify(t *testing.T) {
	t.Parallel()
	s := newServer(t, shopifysim.Options{})
	c := newClient(t, s)
	ctx := context.Background()
	price := decimal.RequireFromString("12.50")
	p, err := c.Product.Create(ctx, goshopify.Product{Title: "Mug", Vendor: "Kassa", Variants: []goshopify.Variant{
		{Sku: "MUG-R", Option1: "Red", Price: &price, InventoryManagement: "shopify"},
		{Sku: "MUG-B", Option1: "Blue", Price: &price, InventoryManagement: "shopify"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	red := p.Variants[0]
	if red.InventoryManagement != "shopify" || red.InventoryQuantity != 0 {
		t.Fatalf("variant %+v", red)
	}
	loc := uint64(shopifysim.DefaultLocationID)
	if _, err := c.InventoryLevel.Set(ctx, goshopify.InventoryLevel{InventoryItemId: red.InventoryItemId, LocationId: loc, Available: 7}); err != nil {
		t.Fatal(err)
	}
	lvl, err := c.InventoryLevel.Adjust(ctx, goshopify.InventoryLevelAdjustOptions{InventoryItemId: red.InventoryItemId, LocationId: loc, Adjust: -3})
	if err != nil || lvl.Available != 4 {
		t.Fatalf("adjust: %+v %v", lvl, err)
	}
	got, err := c.Product.Get(ctx, p.Id, nil)
	if err != nil || got.Variants[0].InventoryQuantity != 4 {
		t.Fatalf("product after adjust: %+v %v", got, err)
	}
	// Updating with one variant id keeps it and removes the other.
	newPrice := decimal.RequireFromString("15.00")
	upd, err := c.Product.Update(ctx, goshopify.Product{Id: p.Id, Variants: []goshopify.Variant{{Id: red.Id, Price: &newPrice}}})
	if err != nil || len(upd.Variants) != 1 || !upd.Variants[0].Price.Equal(newPrice) || upd.Title != "Mug" {
		t.Fatalf("update: %+v %v", upd, err)
	}
	// An untracked variant cannot be stocked.
	untracked, err := c.Product.Create(ctx, goshopify.Product{Title: "Gift wrap", Variants: []goshopify.Variant{{Sku: "WRAP", Price: &price}}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.InventoryLevel.Set(ctx, goshopify.InventoryLevel{InventoryItemId: untracked.Variants[0].InventoryItemId, LocationId: loc, Available: 1})
	var re goshopify.ResponseError
	if !errors.As(err, &re) || re.Status != 422 {
		t.Errorf("stocking an untracked item: %v", err)
	}
	if n, err := c.Product.Count(ctx, nil); err != nil || n != 2 {
		t.Errorf("product count %d %v", n, err)
	}
}

func TestNewOrderContinuesNumberingOfLoadedOrders(t *testing.T) {
	t.Parallel()
	s := newServer(t, shopifysim.Options{RawOrders: manyOrders(t, 3)}) // #1001..#1003
	o, err := s.NewOrder()
	if err != nil {
		t.Fatal(err)
	}
	if o.OrderNumber != 1004 || o.Name != "#1004" {
		t.Errorf("new order %s (number %d), want #1004", o.Name, o.OrderNumber)
	}
	c := newClient(t, s)
	for _, li := range o.LineItems {
		if li.ProductID == nil {
			continue
		}
		if _, err := c.Product.Get(context.Background(), uint64(*li.ProductID), nil); err != nil {
			t.Errorf("product %d of the new order is not served: %v", *li.ProductID, err)
		}
	}
}
