package shopifyapi_test

import (
	"context"
	"testing"

	"github.com/kassa-pos/kassa/sync/shopify/shopifyapi"
	"github.com/kassa-pos/kassa/sync/shopify/shopifytest"
)

func BenchmarkDecodeOrder(b *testing.B) {
	raw := fixtureOrders(b)["webhook_orders_create_shopify_test_notification_payload.json#0"]
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := shopifyapi.DecodeOrder(raw); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkListOrders lists a generated shop of 1000 orders through go-shopify, the
// Transport and the decoder, without rate limit or faults: the client's own cost.
func BenchmarkListOrders(b *testing.B) {
	const orders = 1000
	s := newSim(b, shopifytest.Options{Generate: generated(orders)})
	c := newSimClient(b, s, nil, nil)
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		if err := c.ListOrders(context.Background(), shopifyapi.ListOptions{}, func(page []shopifyapi.Order) error {
			n += len(page)
			return nil
		}); err != nil {
			b.Fatal(err)
		}
		if n != orders {
			b.Fatalf("listed %d orders, want %d", n, orders)
		}
	}
	b.ReportMetric(float64(orders*b.N)/b.Elapsed().Seconds(), "orders/s")
}
