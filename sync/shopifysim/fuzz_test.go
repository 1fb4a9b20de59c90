package shopifysim_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/kassa-pos/kassa/sync/shopifysim"
)

// FuzzParseFaultSpec checks that any spec either parses into valid rates or is refused
// with an error, never a panic or an impossible configuration.
func FuzzParseFaultSpec(f *testing.F) {
	for _, s := range []string{"", "5xx=0.05,429=0.05,drop=0.02,truncate=0.01,slow=0.01:2s,seed=42", "slow=1:0s", "5xx=1e-3", "x=,", "seed=18446744073709551615"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		c, err := shopifysim.ParseFaultSpec(spec)
		if err != nil {
			return
		}
		sum := c.Rate5xx + c.Rate429 + c.RateDrop + c.RateTruncate + c.RateSlow
		if sum > 1+1e-9 || c.Rate5xx < 0 || c.RateSlow < 0 || c.SlowDelay < 0 {
			t.Fatalf("accepted %q as %+v", spec, c)
		}
	})
}

// FuzzOrdersQuery sends arbitrary query strings to the order endpoints: the simulator must
// answer each with JSON and a 2xx or 4xx status, never a 5xx or a broken connection.
func FuzzOrdersQuery(f *testing.F) {
	for _, q := range []string{
		"status=any&limit=2", "page_info=eyJkaXJlY3Rpb24iOiJuZXh0IiwibGFzdF9pZCI6NH0&limit=1", "limit=251",
		"since_id=abc", "created_at_min=2026-01-01", "ids=1,2,x", "fields=id,,name", "page_info=%%%", "limit=-1",
		"updated_at_max=2026-08-28T12:00:00%2B02:00&financial_status=unpaid&fulfillment_status=unshipped",
	} {
		f.Add(q)
	}
	raw := make([]json.RawMessage, 0, 5)
	for i := range 5 {
		raw = append(raw, rawOrder(f, orderSpec{id: int64(10 + i), age: time.Duration(i+1) * time.Hour}))
	}
	s := newServer(f, shopifysim.Options{RawOrders: raw})
	f.Fuzz(func(t *testing.T, q string) {
		// Bytes a client cannot put in a request line are refused by net/http itself, before
		// the simulator sees the request.
		for _, c := range []byte(q) {
			if c <= ' ' || c >= 0x7f || c == '#' {
				return
			}
		}
		for _, path := range []string{"/admin/api/2024-10/orders.json", "/admin/orders/count.json", "/admin/products.json"} {
			req, err := http.NewRequest(http.MethodGet, s.URL+path+"?"+q, nil)
			if err != nil {
				return
			}
			req.Header.Set("X-Shopify-Access-Token", s.Token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatalf("%s?%s: %v", path, q, err)
			}
			var buf bytes.Buffer
			_, _ = buf.ReadFrom(resp.Body)
			resp.Body.Close()
			if resp.StatusCode >= 500 || !json.Valid(buf.Bytes()) {
				t.Fatalf("%s?%s: %d %s", path, q, resp.StatusCode, buf.Bytes())
			}
		}
	})
}
