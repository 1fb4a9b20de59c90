package shopifysim_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	goshopify "github.com/bold-commerce/go-shopify/v4"
	"github.com/rs/zerolog"

	"github.com/kassa-pos/kassa/sync/shopifysim"
)

// testNow is the fixed clock of most tests.
var testNow = time.Date(2026, 8, 28, 12, 0, 0, 0, time.UTC)

func fixedClock() time.Time { return testNow }

// orderSpec describes a hand-made order.
type orderSpec struct {
	id          int64
	age         time.Duration // created_at = testNow - age
	updatedAge  *time.Duration
	financial   string
	fulfillment string // "" = null
	closed      bool
	cancelled   bool
}

// rawOrder renders a minimal order in Shopify's REST shape.
func rawOrder(t testing.TB, o orderSpec) json.RawMessage {
	t.Helper()
	brussels := time.FixedZone("CEST", 2*3600)
	ts := func(age time.Duration) string { return testNow.Add(-age).In(brussels).Format(time.RFC3339) }
	fin := o.financial
	if fin == "" {
		fin = "paid"
	}
	m := map[string]any{
		"id": o.id, "name": fmt.Sprintf("#%d", o.id), "order_number": o.id, "email": "buyer@example.be",
		"created_at": ts(o.age), "updated_at": ts(o.age), "processed_at": ts(o.age),
		"closed_at": nil, "cancelled_at": nil, "cancel_reason": nil, "test": false, "currency": "EUR",
		"financial_status": fin, "fulfillment_status": nil, "total_price": "10.00", "subtotal_price": "10.00",
		"total_tax": "1.74", "taxes_included": true, "total_tip_received": "0.00", "payment_gateway_names": []string{"manual"},
		"line_items": []any{}, "shipping_lines": []any{}, "customer": nil, "x_unknown_field": "kept",
	}
	if o.updatedAge != nil {
		m["updated_at"] = ts(*o.updatedAge)
	}
	if o.fulfillment != "" {
		m["fulfillment_status"] = o.fulfillment
	}
	if o.closed {
		m["closed_at"] = ts(o.age / 2)
	}
	if o.cancelled {
		m["cancelled_at"] = ts(o.age / 2)
		m["cancel_reason"] = "customer"
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// manyOrders makes n open paid orders one hour apart, ids 1001..1000+n, newest last.
func manyOrders(t testing.TB, n int) []json.RawMessage {
	out := make([]json.RawMessage, n)
	for i := range n {
		out[i] = rawOrder(t, orderSpec{id: int64(1001 + i), age: time.Duration(n-i) * time.Hour})
	}
	return out
}

func newServer(t testing.TB, opts shopifysim.Options) *shopifysim.Server {
	t.Helper()
	if opts.Clock == nil {
		opts.Clock = fixedClock
	}
	if opts.Logger == nil {
		l := zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.InfoLevel)
		opts.Logger = &l
	}
	s, err := shopifysim.NewServer(opts)
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

func newClient(t testing.TB, s *shopifysim.Server, opts ...goshopify.Option) *goshopify.Client {
	t.Helper()
	c, err := s.Client(goshopify.App{ApiKey: "key", ApiSecret: s.Secret}, opts...)
	if err != nil {
		t.Fatalf("client: %v", err)
	}
	t.Cleanup(func() {
		if ci, ok := c.Client.Transport.(interface{ CloseIdleConnections() }); ok {
			ci.CloseIdleConnections()
		}
	})
	return c
}

// get makes a raw request to the simulator as go-shopify would, with the token.
func get(t testing.TB, s *shopifysim.Server, path string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Shopify-Access-Token", s.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func ids(orders []goshopify.Order) []uint64 {
	out := make([]uint64, len(orders))
	for i, o := range orders {
		out[i] = o.Id
	}
	return out
}

func ptr[T any](v T) *T { return &v }
