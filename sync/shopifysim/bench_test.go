package shopifysim_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	goshopify "github.com/bold-commerce/go-shopify/v4"

	"github.com/kassa-pos/kassa/sync/shopifysim"
	"github.com/kassa-pos/kassa/sync/shopifysim/shopdata"
)

// BenchmarkStartGeneratedShop measures starting a simulator with 100,000 generated orders.
func BenchmarkStartGeneratedShop(b *testing.B) {
	for b.Loop() {
		s, err := shopifysim.NewServer(shopifysim.Options{
			Clock: fixedClock, Generate: &shopdata.GenerateOptions{Seed: 1, Orders: 100_000, Days: 90},
		})
		if err != nil {
			b.Fatal(err)
		}
		s.Close()
	}
}

// BenchmarkListAll100k measures go-shopify's ListAll of every visible order of a 100,000
// order shop, 250 per page; it reports orders per second.
func BenchmarkListAll100k(b *testing.B) {
	s := newServer(b, shopifysim.Options{
		ReadAllOrders: true, Generate: &shopdata.GenerateOptions{Seed: 1, Orders: 100_000, Days: 90},
	})
	c := newClient(b, s)
	b.ResetTimer()
	total := 0
	for b.Loop() {
		all, err := c.Order.ListAll(context.Background(), goshopify.OrderListOptions{
			Status: "any", ListOptions: goshopify.ListOptions{Limit: 250}})
		if err != nil {
			b.Fatal(err)
		}
		total += len(all)
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "orders/s")
}

// BenchmarkOrdersPage measures one filtered page deep into a 100,000 order shop, as raw
// HTTP, to isolate the simulator's own cost.
func BenchmarkOrdersPage(b *testing.B) {
	s := newServer(b, shopifysim.Options{
		ReadAllOrders: true, Generate: &shopdata.GenerateOptions{Seed: 1, Orders: 100_000, Days: 90},
	})
	q := url.Values{"status": {"any"}, "limit": {"250"}, "financial_status": {"pending"},
		"updated_at_min": {testNow.Add(-30 * 24 * time.Hour).Format(time.RFC3339)}}
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/admin/api/2024-10/orders.json?"+q.Encode(), nil)
	req.Header.Set("X-Shopify-Access-Token", s.Token)
	for b.Loop() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatal(resp.Status)
		}
	}
}
