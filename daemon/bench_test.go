package daemon_test

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"testing"

	"github.com/rs/zerolog"

	"github.com/kassa-pos/kassa/daemon"
	"github.com/kassa-pos/kassa/daemon/client"
	"github.com/kassa-pos/kassa/internal/dbtest"
	"github.com/kassa-pos/kassa/sync/shopify"
	"github.com/kassa-pos/kassa/sync/shopify/shopifyapi"
	"github.com/kassa-pos/kassa/sync/shopifysim"
)

// nopImporter accepts every import without doing it, so that a benchmark measures the
// daemon's own part.
type nopImporter struct{}

func (nopImporter) Run(context.Context, int64, shopify.RunOptions) (shopify.Summary, error) {
	return shopify.Summary{RunID: 1}, nil
}

func (nopImporter) ImportOrders(context.Context, int64, []shopifyapi.Order, shopify.RunOptions) (shopify.Summary, error) {
	return shopify.Summary{RunID: 1}, nil
}

func (nopImporter) ImportOrderIDs(context.Context, int64, []int64, shopify.RunOptions) (shopify.Summary, error) {
	return shopify.Summary{RunID: 1}, nil
}

// BenchmarkWebhookAnswer measures answering one signed webhook: find the connection,
// check the signature, store the delivery.
func BenchmarkWebhookAnswer(b *testing.B) {
	db := dbtest.New(b)
	clk := &clock{}
	s := newShop(b, db, 0, "", clk, shopifysim.WebhookOptions{})
	in := start(b, db, listen(b), fastConfig(), daemon.Deps{Clock: clk.Now, Logger: zerolog.Nop(), Importer: nopImporter{}})
	o, err := s.sim.NewOrder()
	if err != nil {
		b.Fatal(err)
	}
	body, _ := s.sim.Order(o.ID)
	sig := sign(s.sim.Secret, body)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		req, _ := http.NewRequest(http.MethodPost, in.url+"/webhooks/shopify", bytes.NewReader(body))
		req.Header.Set("X-Shopify-Topic", "orders/create")
		req.Header.Set("X-Shopify-Shop-Domain", s.sim.Shop)
		req.Header.Set("X-Shopify-Webhook-Id", "bench-"+strconv.Itoa(i))
		req.Header.Set("X-Shopify-Hmac-Sha256", sig)
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != http.StatusOK {
			b.Fatalf("%v %v", resp, err)
		}
		resp.Body.Close()
	}
}

// BenchmarkWebhookToSale measures a new order's way from its orders/create webhook to its
// sale with the real importer.
func BenchmarkWebhookToSale(b *testing.B) {
	db := dbtest.New(b)
	clk := &clock{}
	s := newShop(b, db, 0, "", clk, shopifysim.WebhookOptions{})
	in := start(b, db, listen(b), fastConfig(), daemon.Deps{Clock: clk.Now, Logger: zerolog.Nop()})
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		o, err := s.sim.NewOrder()
		if err != nil {
			b.Fatal(err)
		}
		body, _ := s.sim.Order(o.ID)
		b.StartTimer()
		if code := webhook(b, in.url, s.sim.Shop, "orders/create", "w-"+strconv.Itoa(i), body, sign(s.sim.Secret, body)); code != http.StatusOK {
			b.Fatal(code)
		}
		waitFor(b, "the delivery is processed", func() bool {
			return countRows(b, db, `SELECT count(*) FROM webhook_deliveries WHERE processed_at IS NULL`) == 0
		}, in)
	}
}

// BenchmarkSalesList measures GET /api/v1/sales (50 sales) on a history of 300 orders.
func BenchmarkSalesList(b *testing.B) {
	db := dbtest.New(b)
	clk := &clock{}
	s := newShop(b, db, 0, "", clk, shopifysim.WebhookOptions{})
	for range 300 {
		if _, err := s.sim.NewOrder(); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := (&shopify.Importer{DB: db, Clock: clk.Now, Secrets: dbtest.Secrets()}).Run(context.Background(), s.conn.ID, shopify.RunOptions{Mode: shopify.ModeAll}); err != nil {
		b.Fatal(err)
	}
	in := start(b, db, listen(b), fastConfig(), daemon.Deps{Clock: clk.Now, Logger: zerolog.Nop()})
	cl := client.New(in.url, token(b, db, "bench", daemon.RoleCashier))
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		list, err := cl.Sales(ctx, client.SalesQuery{Limit: 50})
		if err != nil || len(list) != 50 {
			b.Fatalf("%d %v", len(list), err)
		}
	}
}

// BenchmarkWebhookBurst measures new orders' way from their orders/create webhooks, posted
// 64 at a time, to their sales with the real importer: the receivers' batched commits and
// the worker's batched imports together.
func BenchmarkWebhookBurst(b *testing.B) {
	db := dbtest.New(b)
	clk := &clock{}
	s := newShop(b, db, 0, "", clk, shopifysim.WebhookOptions{})
	in := start(b, db, listen(b), fastConfig(), daemon.Deps{Clock: clk.Now, Logger: zerolog.Nop()})
	bodies := make([][]byte, b.N)
	for i := range bodies {
		o, err := s.sim.NewOrder()
		if err != nil {
			b.Fatal(err)
		}
		bodies[i], _ = s.sim.Order(o.ID)
	}
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	next := make(chan int)
	done := make(chan struct{})
	b.ResetTimer()
	for range 64 {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := range next {
				req, _ := http.NewRequest(http.MethodPost, in.url+"/webhooks/shopify", bytes.NewReader(bodies[i]))
				req.Header.Set("X-Shopify-Topic", "orders/create")
				req.Header.Set("X-Shopify-Shop-Domain", s.sim.Shop)
				req.Header.Set("X-Shopify-Webhook-Id", "burst-"+strconv.Itoa(i))
				req.Header.Set("X-Shopify-Hmac-Sha256", sign(s.sim.Secret, bodies[i]))
				resp, err := hc.Do(req)
				if err != nil || resp.StatusCode != http.StatusOK {
					b.Errorf("%v %v", resp, err)
					return
				}
				resp.Body.Close()
			}
		}()
	}
	for i := range bodies {
		next <- i
	}
	close(next)
	for range 64 {
		<-done
	}
	waitFor(b, "every delivery is processed", func() bool {
		return countRows(b, db, `SELECT count(*) FROM webhook_deliveries WHERE processed_at IS NULL`) == 0
	}, in)
}
