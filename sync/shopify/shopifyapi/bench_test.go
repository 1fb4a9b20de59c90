package shopifyapi_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/kassa-pos/kassa/sync/shopify/shopifyapi"
	"github.com/kassa-pos/kassa/sync/shopifysim"
	"github.com/kassa-pos/kassa/sync/shopifysim/shopdata"
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

// BenchmarkDecodeGeneratedOrders decodes generated orders (compact JSON, as Shopify and the
// simulator send them) with DecodeOrder and, for comparison, with the decoder it replaced.
func BenchmarkDecodeGeneratedOrders(b *testing.B) {
	g := shopdata.NewGenerator(shopdata.GenerateOptions{Seed: 42, Orders: 1000, Now: simNow})
	var raws [][]byte
	size := 0
	for _, o := range g.Orders() {
		raw, err := json.Marshal(o)
		if err != nil {
			b.Fatal(err)
		}
		raws = append(raws, raw)
		size += len(raw)
	}
	for _, bc := range []struct {
		name   string
		decode func([]byte) (shopifyapi.Order, error)
	}{
		{"DecodeOrder", shopifyapi.DecodeOrder},
		{"reference", shopifyapi.ReferenceDecodeOrder},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(size / len(raws)))
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, err := bc.decode(raws[i%len(raws)]); err != nil {
					b.Fatal(err)
				}
				i++
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "orders/s")
		})
	}
}

// BenchmarkListOrders lists a generated shop of 1000 orders through go-shopify, the
// Transport and the decoder, without rate limit or faults: the client's own cost.
func BenchmarkListOrders(b *testing.B) {
	const orders = 1000
	s := newSim(b, shopifysim.Options{Generate: generated(orders)})
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
