package perf

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/kassa-pos/kassa/internal/dbtest"
	"github.com/kassa-pos/kassa/sync/shopify"
	"github.com/kassa-pos/kassa/sync/shopify/shopifyapi"
	"github.com/kassa-pos/kassa/sync/shopifysim"
	"github.com/kassa-pos/kassa/sync/shopifysim/shopdata"
)

// Shopify's standard plan (bucket 40, leak 2/s) sped up 20 times, same ratio.
const (
	rateBucket = 40
	rateLeak   = 40.0
	ratePage   = 10
)

// measureRateLimited backfills n orders from a shop behind the rate limit and compares the
// elapsed time with the theoretical minimum for the requests it took.
func measureRateLimited(t *testing.T, n int) []Row {
	ctx := context.Background()
	sim, err := shopifysim.NewServer(shopifysim.Options{
		Generate: &shopdata.GenerateOptions{Seed: 2, Orders: n, Days: 55},
		Plan:     shopifysim.CustomPlan(rateBucket, rateLeak),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	db := dbtest.New(t)
	_, conn := connectShop(t, db, sim.URL, shopify.OrderAPIREST)
	im := &shopify.Importer{DB: db, Secrets: dbtest.Secrets(), PageSize: ratePage, NewSource: func(c shopify.Connection) (shopify.Source, error) {
		return shopifyapi.New(shopifyapi.Config{Shop: c.Shop, AccessToken: c.AccessToken, APIVersion: c.APIVersion,
			BaseURL: c.BaseURL, Transport: shopifyapi.TransportOptions{LeakRate: rateLeak}})
	}}
	before := sim.Stats()
	start := time.Now()
	sum, err := im.Run(ctx, conn.ID, shopify.RunOptions{Mode: shopify.ModeAll})
	took := time.Since(start)
	if err != nil || sum.Seen != n {
		t.Fatalf("rate-limited backfill: %+v, %v", sum, err)
	}
	after := sim.Stats()
	requests := after.Requests - before.Requests
	throttled := after.Throttled - before.Throttled
	minimum := time.Duration(float64(max(requests-rateBucket, 0)) / rateLeak * float64(time.Second))
	ratio := took.Seconds() / minimum.Seconds()
	return []Row{{
		Figure: fmt.Sprintf("2. REST backfill %d orders, bucket %d leak %.0f/s (standard ×20), %d a page", n, rateBucket, rateLeak, ratePage),
		Measured: fmt.Sprintf("%.2f s for %d requests (%d pages); %d × 429",
			took.Seconds(), requests, (n+ratePage-1)/ratePage, throttled),
		Bound:   fmt.Sprintf("minimum %.2f s", minimum.Seconds()),
		Ratio:   fmt.Sprintf("%.3f", ratio),
		Target:  "≤ 1.10, zero 429s",
		Verdict: Verdict(ratio <= 1.10 && throttled == 0),
	}}
}
