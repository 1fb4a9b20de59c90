package perf

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kassa-pos/kassa/daemon"
	"github.com/kassa-pos/kassa/daemon/client"
	"github.com/kassa-pos/kassa/internal/dbtest"
	"github.com/kassa-pos/kassa/internal/proctest"
	"github.com/kassa-pos/kassa/sync/shopify"
)

// perfCommand is the command that reproduces docs/PERFORMANCE.md.
const perfCommand = "make bench"

const perfIntro = `
kassa's performance claims, measured by ` + "`make bench`" + ` (the test ` + "`TestPerformanceReport`" + ` in
` + "`internal/perf`" + `, run with ` + "`KASSA_PERF=1`" + `) on the machine named below, each figure side by side with
its bound or target in the same run. Every run rewrites this file. The settings that shorten a run
(for a quick look, not for the record) are environment variables: ` + "`KASSA_PERF_ORDERS`" + ` (backfill
sizes, default ` + "`20000,100000`" + `), ` + "`KASSA_PERF_RATE_ORDERS`" + ` (default 4000),
` + "`KASSA_PERF_WEBHOOK_SECONDS`" + ` (per rate, default 30), ` + "`KASSA_PERF_FLOOD_RATE`" + ` (default 2000),
` + "`KASSA_PERF_FLOOD_SECONDS`" + ` (default 60), ` + "`KASSA_PERF_FLOOD_DAEMONS`" + ` (default ` + "`1,3`" + `), ` + "`KASSA_PERF_SALES`" + ` (default 1000000 for the
reports, 100000 for the counter sale), ` + "`KASSA_PERF_IDLE_SECONDS`" + ` (default 30), ` + "`KASSA_PERF_BULK_ORDERS`" + ` (default 100000),
` + "`KASSA_PERF_PAGED_ORDERS`" + ` (default 2000) and ` + "`KASSA_PERF_STOCK_SECONDS`" + ` (default 30); ` + "`KASSA_PERF_RUNS`" + ` (default 3) sets how often each backfill runs.
Figures 1 and 2 read orders through the legacy REST API (a connection's ` + "`--api rest`" + `), figure 7
through GraphQL (the default).

How each figure is measured:

1. **Backfill throughput**: a ` + "`kassa serve`" + ` subprocess imports a generated shop served without rate
   limit by a ` + "`kassa shopify-sim`" + ` subprocess over loopback (Get all, 250 orders a page) into a fresh
   database; orders/s is the orders seen over the run's own start and finish times. The bound loads
   the very rows that import wrote (every table it touched, the import log included) into another
   fresh database with ` + "`COPY`" + ` alone (psql ` + "`\\copy`" + `, triggers and foreign keys off, one
   transaction). Each size runs ` + "`KASSA_PERF_RUNS`" + ` times (default 3), each into a fresh database; the
   figures are the medians, with every run's rate listed. Ratio = median import orders/s ÷ median
   COPY orders/s.
2. **Backfill under the standard rate limit**: Shopify's bucket of 40 with a leak of 2/s, sped up 20
   times with the same bucket-to-leak ratio (bucket 40, leak 40/s; the client is told the leak),
   10 orders a page (so that the limit, not the import, sets the pace). The theoretical minimum for R requests is (R − 40) / 40 s (the first 40 fill the
   bucket at once); the ratio is elapsed ÷ minimum; 429 answers are counted by the simulator.
3. **Webhook ingest**: a Go load generator posts signed ` + "`orders/create`" + ` deliveries of new orders to
   an in-process daemon over loopback at a fixed rate (open loop: a slow answer does not slow the
   sender; it waits 5 s for an answer, as Shopify does); "to 200" is the time to the answer, "to sale" the time until a reader polling
   ` + "`sale_external_ids`" + ` every 10 ms sees the sale. Lost = answered deliveries without a sale after
   at most 60 s more (deliveries still queued then, or unanswered, are counted apart); duplicates = sales beyond one
   per order. Only orders the rules import are sent. The **flood** posts ` + "`KASSA_PERF_FLOOD_RATE`" + ` deliveries a
   second for ` + "`KASSA_PERF_FLOOD_SECONDS`" + ` to one and to three ` + "`kassa serve`" + ` processes on one database
   (round robin; one delivery in ten is sent a second time, to the next daemon, as Shopify repeats a
   delivery whose answer was late), and reports besides the figures above the CPU each delivery cost
   the daemons and the load generator, the machine's busy CPUs and its load, and the daemons' peak RSS.
   Ratio = deliveries that became sales a second ÷ the rate sent.
4. **Reports and lookups** on 1,000,000 sales seeded set-based (one line and one tax row each,
   all but 1 in 200 paid (the nightly report lists the oldest 200 still awaiting payment and
   counts them all), a customer per 5 sales, 60 s apart, the last 1,000 in the open register
   session, and 2,000 products with barcodes; written in one transaction with triggers and foreign-key checks off and the secondary
   indexes built afterwards, each row as the rules would leave it: balance = total − payments,
   sessions open, ids that exist), then ` + "`VACUUM ANALYZE`" + `: the median of 5 calls of the
   domain functions after one warm-up. The bound is the same call on 10,000 sales seeded the same
   way in the same run; ratio = time at 1,000,000 ÷ time at 10,000. The seeding's own time is a
   figure.
5. **Memory and idle CPU**: VmHWM of the ` + "`kassa serve`" + ` process of figure 1 after its largest
   backfill, and its utime + stime over an idle interval afterwards (no connection due, no webhook).
6. **Counter sale**: on ` + "`KASSA_PERF_SALES`" + ` sales seeded set-based (and 2,000 products with barcodes), 300
   counter sales rung up one after the other through the API of a ` + "`kassa serve`" + ` subprocess (three
   lines by barcode or SKU, one with a line discount, cash with change), after 20 to warm up; the
   latency is from request to answer at the client. ` + "`KASSA_PERF_COUNTER=1`" + ` measures it alone
   (` + "`TestCounterSaleFigure`" + `).
7. **GraphQL**: (a) Get all through one bulk export: a ` + "`kassa serve`" + ` subprocess reads a
   ` + "`kassa shopify-sim`" + ` subprocess's export of a generated shop into a fresh database; the clock
   starts when the run knows the export's size (Shopify has the export ready; polled every 10 ms)
   and stops at the run's finish; the bound is COPY of the same rows as in figure 1 (the median of ` + "`KASSA_PERF_RUNS`" + ` loads), the target
   half its rate (ratio ≥ 0.50); the daemon's VmHWM after the run is its peak memory. (b) Get new of every order of a generated shop paged
   through the ` + "`orders`" + ` query under the standard plan's cost limit (2,000 points, 100 restored a
   second), in process: the minimum is (points spent − 2,000) / 100 s (the actual costs the simulator
   charged, summed; the full bucket at the start is free); THROTTLED answers are counted by the
   simulator.
8. **Stock push**: a generated shop on Shopify's standard plan (GraphQL restore 100 points/s), its
   catalogue pulled; 50 stock movements a second for ` + "`KASSA_PERF_STOCK_SECONDS`" + ` (default 30) over
   the linked products, pushed by one in-process pusher. The latency of a push runs from the oldest
   change it covers (the queue row's first movement) to Shopify holding the level, so a movement
   pushed with later ones counts its whole wait; points a movement = the actual query cost the
   simulator charged ÷ movements; THROTTLED answers are counted by the simulator.

## Measured decisions

Choices made on figures measured side by side, in the same minutes; ` + "`make bench`" + ` does not measure
them again.

- **Two order decoders (2026-12-02; 2 shared cores, AMD EPYC, go1.26.8).** Orders are read by a
  single pass written for the purpose, with a decoder on ` + "`encoding/json`" + ` (typed structs, the
  lenient values of ` + "`sync/shopify/shopifyjson`" + `) as its reference and for the orders it gives up on.
  Reading every order with the ` + "`encoding/json`" + ` decoder instead was measured with one kassa binary
  running either, interleaved (single pass, ` + "`encoding/json`" + `, ` + "`encoding/json`" + `, single pass):
  - decoding 1,000 generated orders of about 4.4 KB (` + "`BenchmarkDecodeGeneratedOrders`" + `, median of 3,
    load average 5–9): single pass 23 µs, 8,506 B, 137 allocations an order; ` + "`encoding/json`" + ` 88 µs,
    11,155 B, 172 allocations (its ` + "`json.Valid`" + ` alone takes 21 µs an order, and unmarshalling into an
    empty struct 45 µs);
  - backfill of 20,000 orders, rate limit off (figure 1), three batches: orders/s medians 3,107 vs 3,172
    (6 runs each, load 5.0–6.2), 1,782 vs 1,731 (10 each, load 8.3–12.8), 4,094 vs 2,917 (4 each, load
    6.6–7.7): on this busy host the minute matters more than the decoder. CPU does not vary so: the
    daemon spent 98 vs 152, 108 vs 163 and 102 vs 162 µs an order (+59 %); with PostgreSQL's and the
    simulator's CPU (third batch) an order cost 365 vs 430 µs, that is 5,470 vs 4,640 orders/s on two
    cores of its own (−15 %, more than the 5 % the replacement could cost). So the single pass stays.
`

// TestPerformanceReport measures kassa's figures, prints the table and rewrites
// docs/PERFORMANCE.md. It runs only with KASSA_PERF=1 (make bench).
func TestPerformanceReport(t *testing.T) {
	if os.Getenv("KASSA_PERF") != "1" {
		t.Skip("set KASSA_PERF=1 (make bench) to measure the performance figures")
	}
	rep := Report{Title: "kassa performance", Command: perfCommand, Machine: DescribeMachine(), Started: time.Now()}
	bin := proctest.Build(t)
	var idleDaemon *proctest.Process

	for _, n := range envInts("KASSA_PERF_ORDERS", []int{20000, 100000}) {
		rows, serve := measureBackfill(t, bin, n)
		rep.Rows = append(rep.Rows, rows...)
		if idleDaemon != nil {
			idleDaemon.Stop()
		}
		idleDaemon = serve
	}
	rep.Rows = append(rep.Rows, measureIdle(t, idleDaemon)...)
	idleDaemon.Stop()
	rep.Rows = append(rep.Rows, measureRateLimited(t, envInt("KASSA_PERF_RATE_ORDERS", 4000))...)
	rep.Rows = append(rep.Rows, measureBulk(t, bin, envInt("KASSA_PERF_BULK_ORDERS", 100000))...)
	rep.Rows = append(rep.Rows, measurePagedNew(t, envInt("KASSA_PERF_PAGED_ORDERS", 2000))...)
	rows, notes := measureWebhooks(t, time.Duration(envInt("KASSA_PERF_WEBHOOK_SECONDS", 30))*time.Second)
	rep.Rows = append(rep.Rows, rows...)
	rep.Notes = append(rep.Notes, notes...)
	rep.Rows = append(rep.Rows, measureFloods(t, bin)...)
	rep.Rows = append(rep.Rows, measureReports(t, envInt("KASSA_PERF_SALES", 1000000))...)
	rep.Rows = append(rep.Rows, measureCounter(t, bin, envInt("KASSA_PERF_SALES", 100000))...)
	rep.Rows = append(rep.Rows, measureStockPush(t, 50, time.Duration(envInt("KASSA_PERF_STOCK_SECONDS", 30))*time.Second)...)
	rep.Took = time.Since(rep.Started)

	fmt.Println(rep.Text())
	doc := rep.Markdown(perfIntro)
	if err := os.MkdirAll(moduleRoot+"/docs", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(moduleRoot+"/docs/PERFORMANCE.md", []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Rows {
		if r.Verdict == "MISSED" {
			t.Logf("target missed: %s %s (target %s)", r.Figure, r.Measured, r.Target)
		}
	}
}

// measureBackfill imports a generated shop of n orders with a kassa serve subprocess,
// KASSA_PERF_RUNS times (default 3, each into a fresh database), and measures each run
// against its COPY bound; it reports the median run, with the range, and returns the last
// daemon, still running, for the idle measurement. On a shared machine the same work takes
// a fifth more or less time from one minute to the next: a median of several runs says
// more than any one.
func measureBackfill(t *testing.T, bin string, n int) ([]Row, *proctest.Process) {
	ctx := context.Background()
	sim := simProcess(t, bin, n)
	defer sim.Stop()
	var (
		rates, copyRates []float64
		rss              float64
		serve            *proctest.Process
	)
	for range envInt("KASSA_PERF_RUNS", 3) {
		if serve != nil {
			serve.Stop()
		}
		db, url := dbtest.NewWithURL(t)
		_, conn := connectShop(t, db, sim.URL, shopify.OrderAPIREST)
		tok, _, err := daemon.TokenStore{}.Create(ctx, db, "perf", daemon.RoleManager)
		if err != nil {
			t.Fatal(err)
		}
		serve = serveProcess(t, bin, url)
		cl := client.New(serve.URL, tok)
		run, err := cl.StartImport(ctx, client.ImportRequest{Shop: conn.Shop, Mode: "all"})
		if err != nil {
			t.Fatal(err)
		}
		run, err = cl.WaitImport(ctx, run.RunID, 50*time.Millisecond)
		if err != nil || run.Status != "finished" || run.Outcomes.Failed != 0 || run.Seen != n {
			t.Fatalf("backfill of %d orders: %+v, %v", n, run, err)
		}
		peak, err := PeakRSSMB(serve.Pid())
		if err != nil {
			t.Fatal(err)
		}
		rss = max(rss, peak)
		rates = append(rates, float64(n)/run.FinishedAt.Sub(run.StartedAt).Seconds())
		copyRates = append(copyRates, float64(n)/copyBound(t, db, url).Seconds())
	}
	rate, copyRate := median(rates), median(copyRates)
	label := fmt.Sprintf("%d orders", n)
	rows := []Row{{
		Figure:   "1. Backfill " + label + " through REST, rate limit off",
		Measured: fmt.Sprintf("%.0f orders/s (%.1f s), median of %d runs: %s", rate, float64(n)/rate, len(rates), spread(rates)),
		Bound:    fmt.Sprintf("COPY only %.0f orders/s (%.1f s)", copyRate, float64(n)/copyRate),
		Ratio:    fmt.Sprintf("%.2f", rate/copyRate),
		Target:   "≥ 5000 orders/s",
		Verdict:  Verdict(rate >= 5000),
	}, {
		Figure:   "5. Daemon peak RSS, REST backfill of " + label,
		Measured: fmt.Sprintf("%.0f MB", rss),
		Target:   "< 150 MB",
		Verdict:  Verdict(rss < 150),
	}}
	return rows, serve
}

// median returns the middle value of xs (the mean of the two middle ones for an even count).
func median(xs []float64) float64 {
	s := slices.Sorted(slices.Values(xs))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// spread lists rates from lowest to highest: "4120, 5310, 5690".
func spread(xs []float64) string {
	parts := make([]string, 0, len(xs))
	for _, x := range slices.Sorted(slices.Values(xs)) {
		parts = append(parts, fmt.Sprintf("%.0f", x))
	}
	return strings.Join(parts, ", ")
}

// measureIdle reads the CPU time an idle daemon uses.
func measureIdle(t *testing.T, serve *proctest.Process) []Row {
	d := time.Duration(envInt("KASSA_PERF_IDLE_SECONDS", 30)) * time.Second
	pid := serve.Pid()
	before, err := CPUTime(pid)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(d) // the measurement is of time passing with nothing to do
	after, err := CPUTime(pid)
	if err != nil {
		t.Fatal(err)
	}
	used := after - before
	return []Row{{
		Figure:   fmt.Sprintf("5. Daemon idle CPU over %s", d),
		Measured: fmt.Sprintf("%s (%.2f %% of a core)", used, 100*used.Seconds()/d.Seconds()),
		Target:   "–",
	}}
}
