package perf

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kassa-pos/kassa/daemon"
	"github.com/kassa-pos/kassa/daemon/client"
	"github.com/kassa-pos/kassa/internal/dbtest"
	"github.com/kassa-pos/kassa/internal/proctest"
	"github.com/kassa-pos/kassa/sync/shopify"
	"github.com/kassa-pos/kassa/sync/shopify/shopifyapi"
	"github.com/kassa-pos/kassa/sync/shopifysim"
	"github.com/kassa-pos/kassa/sync/shopifysim/shopdata"
)

// The GraphQL figures: Get all of a generated shop through one bulk export, timed from
// the moment Shopify has the export ready to the last order imported, against the COPY
// bound of the rows it wrote, with the daemon's peak memory; and a Get new of changed
// orders paged under the standard plan's cost limit, against the theoretical minimum for
// the points it spent.

// measureBulk runs Get all of n orders through a bulk export with a kassa serve
// subprocess reading a kassa shopify-sim subprocess.
func measureBulk(t *testing.T, bin string, n int) []Row {
	ctx := context.Background()
	sim := simProcess(t, bin, n)
	defer sim.Stop()
	db, url := dbtest.NewWithURL(t)
	_, conn := connectShop(t, db, sim.URL, shopify.OrderAPIGraphQL)
	tok, _, err := daemon.TokenStore{}.Create(ctx, db, "perf", daemon.RoleManager)
	if err != nil {
		t.Fatal(err)
	}
	serve := serveProcess(t, bin, url)
	defer serve.Stop()
	cl := client.New(serve.URL, tok)
	start := time.Now()
	run, err := cl.StartImport(ctx, client.ImportRequest{Shop: conn.Shop, Mode: "all"})
	if err != nil {
		t.Fatal(err)
	}
	// The run learns the export's size (its total) when Shopify has the export ready.
	var ready time.Time
	for run.Status == "running" {
		time.Sleep(10 * time.Millisecond) // polling the daemon's API, as a client does
		if run, err = cl.ImportRun(ctx, run.RunID); err != nil {
			t.Fatal(err)
		}
		if ready.IsZero() && run.Total > 0 {
			ready = time.Now()
		}
	}
	if run.Status != "finished" || run.Outcomes.Failed != 0 || run.Seen != n || ready.IsZero() || run.FinishedAt == nil {
		t.Fatalf("bulk Get all of %d orders: %+v, %v", n, run, err)
	}
	// The daemon's clock and this process's are the same machine's.
	imported := run.FinishedAt.Sub(ready)
	peak, err := PeakRSSMB(serve.Pid())
	if err != nil {
		t.Fatal(err)
	}
	rate := float64(n) / imported.Seconds()
	// One COPY load varies by half from one minute to the next on a shared machine: the
	// bound is the median of KASSA_PERF_RUNS loads of the same rows, each into a fresh database.
	var copyRates []string
	var rates []float64
	for range envInt("KASSA_PERF_RUNS", 3) {
		rates = append(rates, float64(n)/copyBound(t, db, url).Seconds())
		copyRates = append(copyRates, fmt.Sprintf("%.0f", rates[len(rates)-1]))
	}
	copyRate := median(rates)
	label := fmt.Sprintf("%d orders", n)
	return []Row{{
		Figure:   "7. Bulk Get all " + label + ", export ready → imported",
		Measured: fmt.Sprintf("%.0f orders/s (%.1f s; the simulator prepared the export in %.1f s)", rate, imported.Seconds(), ready.Sub(start).Seconds()),
		Bound:    fmt.Sprintf("COPY only %.0f orders/s, median of %s", copyRate, strings.Join(copyRates, ", ")),
		Ratio:    fmt.Sprintf("%.2f", rate/copyRate),
		// The backfill target (issue 20): Get all through the bulk export at half the
		// speed of COPY of the same rows or better.
		Target:  "≥ 0.50",
		Verdict: Verdict(rate/copyRate >= 0.50),
	}, {
		Figure:   "7. Daemon peak RSS, bulk Get all of " + label,
		Measured: fmt.Sprintf("%.0f MB", peak),
		Target:   "< 150 MB",
		Verdict:  Verdict(peak < 150),
	}}
}

// measurePagedNew runs a Get new of n changed orders paged through the orders query on the
// standard plan (2000 points, 100 a second) and compares the elapsed time with the
// minimum the points it spent need: what the bucket holds at the start is free, the rest
// arrives at 100 a second.
func measurePagedNew(t *testing.T, n int) []Row {
	ctx := context.Background()
	plan := shopifysim.PlanStandard
	sim, err := shopifysim.NewServer(shopifysim.Options{
		Generate: &shopdata.GenerateOptions{Seed: 5, Orders: n, Days: 55},
		Plan:     plan,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	db := dbtest.New(t)
	_, conn := connectShop(t, db, sim.URL, shopify.OrderAPIGraphQL)
	im := &shopify.Importer{DB: db, Secrets: dbtest.Secrets(), NewSource: func(c shopify.Connection) (shopify.Source, error) {
		return shopifyapi.New(shopifyapi.Config{Shop: c.Shop, AccessToken: c.AccessToken, APIVersion: c.APIVersion, BaseURL: c.BaseURL})
	}}
	before := sim.Stats()
	start := time.Now()
	sum, err := im.Run(ctx, conn.ID, shopify.RunOptions{Mode: shopify.ModeNew})
	took := time.Since(start)
	if err != nil || sum.Seen != n {
		t.Fatalf("paged Get new: %+v, %v", sum, err)
	}
	after := sim.Stats()
	points := after.GraphQLPoints - before.GraphQLPoints
	throttled := after.Throttled - before.Throttled
	requests := after.Requests - before.Requests
	minimum := time.Duration(float64(max(points-int64(plan.GraphQLBucket), 0)) / plan.GraphQLRestore * float64(time.Second))
	ratio := took.Seconds() / minimum.Seconds()
	return []Row{{
		Figure: fmt.Sprintf("7. Paged Get new of %d changed orders, standard plan (%d points, %.0f/s)", n, plan.GraphQLBucket, plan.GraphQLRestore),
		Measured: fmt.Sprintf("%.1f s for %d points in %d queries (%.1f orders/s); %d THROTTLED",
			took.Seconds(), points, requests, float64(n)/took.Seconds(), throttled),
		Bound:   fmt.Sprintf("minimum %.1f s", minimum.Seconds()),
		Ratio:   fmt.Sprintf("%.3f", ratio),
		Target:  "≤ 1.10, zero THROTTLED",
		Verdict: Verdict(ratio <= 1.10 && throttled == 0),
	}}
}

// TestGraphQLFigures measures the GraphQL figures alone (KASSA_PERF=1, sizes
// KASSA_PERF_BULK_ORDERS and KASSA_PERF_PAGED_ORDERS); TestPerformanceReport includes them.
func TestGraphQLFigures(t *testing.T) {
	if os.Getenv("KASSA_PERF_GRAPHQL") == "1" {
		bin := proctest.Build(t)
		rows := measureBulk(t, bin, envInt("KASSA_PERF_BULK_ORDERS", 100000))
		rows = append(rows, measurePagedNew(t, envInt("KASSA_PERF_PAGED_ORDERS", 2000))...)
		rep := Report{Title: "kassa GraphQL figures", Machine: DescribeMachine(), Rows: rows}
		fmt.Println(rep.Text())
		return
	}
	t.Skip("set KASSA_PERF_GRAPHQL=1 to measure the GraphQL figures alone")
}
