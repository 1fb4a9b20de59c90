package perf

import (
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kassa-pos/kassa/internal/dbtest"
	"github.com/kassa-pos/kassa/internal/proctest"
	"github.com/kassa-pos/kassa/sync/shopify"
	"github.com/kassa-pos/kassa/sync/shopify/shopifyapi"
	"github.com/kassa-pos/kassa/sync/shopifysim"
	"github.com/kassa-pos/kassa/sync/shopifysim/shopdata"
)

// floodRepeatEvery is how often a flood sends a delivery a second time (to another daemon
// when there are several), as Shopify does when an answer is late: one in floodRepeatEvery.
const floodRepeatEvery = 10

// measureWebhookFlood posts rate orders/create deliveries a second for d to daemons
// kassa serve subprocesses on one database (round robin, one delivery in
// floodRepeatEvery sent twice, to the next daemon), and reports the time to 200 and to
// sale, what was lost or duplicated, the daemons' peak RSS and the machine's load.
func measureWebhookFlood(t *testing.T, bin string, rate int, d time.Duration, daemons int) []Row {
	total := rate * int(d/time.Second)
	sim, err := shopifysim.NewServer(shopifysim.Options{Generate: &shopdata.GenerateOptions{Seed: 5, Orders: 0, Days: 30}})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	all := make([]*delivery, 0, total+total/floodRepeatEvery)
	for len(all) < total {
		o, err := sim.NewOrder()
		if err != nil {
			t.Fatal(err)
		}
		body, err := sim.Order(o.ID)
		if err != nil {
			t.Fatal(err)
		}
		// Only orders the rules import: not cancelled, not a test, shipped (a local pickup has
		// no shipping address, and its order no sale).
		if dec, err := shopifyapi.DecodeOrder(body); err != nil || !dec.CancelledAt.IsZero() || dec.Test || len(dec.ShippingLines) == 0 || dec.ShippingAddress == nil {
			continue
		}
		all = append(all, &delivery{orderID: o.ID, body: body, sig: sign(sim.Secret, body)})
	}
	t.Logf("flood: %d orders made", len(all))
	db, dbURL := dbtest.NewWithURL(t)
	connectShop(t, db, sim.URL, shopify.OrderAPIGraphQL)
	serves := make([]*proctest.Process, daemons)
	urls := make([]string, daemons)
	for i := range serves {
		serves[i] = serveProcess(t, bin, dbURL)
		urls[i] = serves[i].URL + "/webhooks/shopify"
	}
	// Round robin, and a repeat of every floodRepeatEvery-th delivery right after it, to the
	// next daemon: the repeat must be recognised, whichever daemon gets it.
	sends := make([]send, 0, total+total/floodRepeatEvery)
	for i, dl := range all {
		sends = append(sends, send{dl: dl, url: urls[i%daemons]})
		if i%floodRepeatEvery == floodRepeatEvery-1 {
			sends = append(sends, send{dl: dl, url: urls[(i+1)%daemons], repeat: true})
		}
	}
	httpc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1024}, Timeout: clientTimeout}
	w := newWatcher(db, all)
	stopWatch := w.start()
	busy0, _ := BusyCPU()
	cpu := func() (daemonsCPU, selfCPU time.Duration) {
		for _, s := range serves {
			c, _ := CPUTime(s.Pid())
			daemonsCPU += c
		}
		selfCPU, _ = CPUTime(os.Getpid())
		return daemonsCPU, selfCPU
	}
	daemons0, self0 := cpu()
	load0 := DescribeMachine().Load
	began := time.Now()
	sendEach(httpc, sim.Shop, sends, rate+rate/floodRepeatEvery)
	sending := time.Since(began)
	t.Logf("flood: sent in %s", sending)
	drained := w.wait(drainWait)
	stopWatch()
	busy1, _ := BusyCPU()
	daemons1, self1 := cpu()
	load1 := DescribeMachine().Load
	elapsed := time.Since(began)

	var toAnswer, toSale []time.Duration
	lost, refused, timedOut, queued := 0, 0, 0, 0
	for _, s := range sends {
		switch {
		case s.status == 0:
			timedOut++
		case s.status != http.StatusOK:
			refused++
		case !s.repeat:
			toAnswer = append(toAnswer, s.answered)
		}
	}
	// What became of the deliveries the watcher did not see as sales, read in two queries.
	var saleIDs []int64
	if err := db.Select(&saleIDs, `SELECT external_id FROM sale_external_ids`); err != nil {
		t.Fatal(err)
	}
	var waitingIDs []string
	if err := db.Select(&waitingIDs, `SELECT webhook_id FROM webhook_deliveries WHERE processed_at IS NULL`); err != nil {
		t.Fatal(err)
	}
	isSale := map[int64]bool{}
	for _, id := range saleIDs {
		isSale[id] = true
	}
	isWaiting := map[string]bool{}
	for _, id := range waitingIDs {
		isWaiting[id] = true
	}
	for _, dl := range all {
		if dl.visible != 0 {
			toSale = append(toSale, dl.visible)
			continue
		}
		switch {
		case isSale[dl.orderID] || isWaiting["perf-"+strconv.FormatInt(dl.orderID, 10)]:
			queued++
		case dl.status == http.StatusOK:
			lost++
		}
	}
	var sales, orders, stored int
	if err := db.Get(&sales, `SELECT count(*) FROM sales`); err != nil {
		t.Fatal(err)
	}
	if err := db.Get(&orders, `SELECT count(DISTINCT external_id) FROM sale_external_ids`); err != nil {
		t.Fatal(err)
	}
	if err := db.Get(&stored, `SELECT count(*) FROM webhook_deliveries`); err != nil {
		t.Fatal(err)
	}
	rss := 0.0
	for _, s := range serves {
		peak, err := PeakRSSMB(s.Pid())
		if err != nil {
			t.Fatal(err)
		}
		rss = max(rss, peak)
		s.Stop()
	}
	dups := sales - orders
	p99 := Percentile(toSale, 99)
	sustained := float64(len(toSale)) / elapsed.Seconds()
	label := "one daemon"
	if daemons > 1 {
		label = fmt.Sprintf("%d daemons, one database", daemons)
	}
	ok := lost == 0 && dups == 0 && refused == 0 && timedOut == 0 && queued == 0 && drained && p99 < time.Second &&
		stored == total && float64(total)/sending.Seconds() >= 0.95*float64(rate)
	rows := []Row{{
		Figure: fmt.Sprintf("3. Webhook flood %d/s for %s, %s (%d orders, %d repeats)", rate, d, label, total, len(sends)-total),
		Measured: fmt.Sprintf("sent at %.0f/s; to 200: p50 %s p99 %s; to sale: p50 %s p99 %s; %d sales of %d orders (%d stored deliveries); "+
			"lost %d, duplicates %d, unanswered %d, answered other than 200: %d, not a sale %s after the last: %d; "+
			"CPU a delivery: daemons %.0f µs, load generator %.0f µs, everything else on the machine %.0f µs; "+
			"machine busy %.2f of %d CPUs, load %s → %s",
			float64(total)/sending.Seconds(), Ms(Percentile(toAnswer, 50)), Ms(Percentile(toAnswer, 99)),
			Ms(Percentile(toSale, 50)), Ms(p99), sales, total, stored, lost, dups, timedOut, refused, drainWait, queued,
			perDelivery(daemons1-daemons0, total), perDelivery(self1-self0, total),
			perDelivery((busy1-busy0)-(daemons1-daemons0)-(self1-self0), total),
			(busy1-busy0).Seconds()/elapsed.Seconds(), DescribeMachine().CPUs, load0, load1),
		Ratio:   fmt.Sprintf("%.2f", sustained/float64(rate)),
		Target:  "≥ 2000/s for 60 s, to sale p99 < 1 s, 0 lost, 0 duplicates",
		Verdict: Verdict(ok && rate >= 2000 && d >= 60*time.Second),
	}, {
		Figure:   fmt.Sprintf("5. Daemon peak RSS, webhook flood %d/s, %s", rate, label),
		Measured: fmt.Sprintf("%.0f MB", rss),
		Target:   "< 150 MB",
		Verdict:  Verdict(rss < 150),
	}}
	return rows
}

// send is one POST of a flood: a delivery, to which daemon, and what came back.
type send struct {
	dl       *delivery
	url      string
	repeat   bool
	status   int
	answered time.Duration
}

// sendEach posts the sends at rate per second (open loop, each from its own goroutine)
// and waits for every answer. A delivery's sent time is its first send's.
func sendEach(httpc *http.Client, shop string, sends []send, rate int) {
	done := make(chan struct{}, len(sends))
	interval := time.Second / time.Duration(rate)
	start := time.Now()
	for i := range sends {
		if wait := time.Until(start.Add(time.Duration(i) * interval)); wait > 0 {
			time.Sleep(wait) // the load generator's pacing
		}
		s := &sends[i]
		go func() {
			defer func() { done <- struct{}{} }()
			req, _ := http.NewRequest(http.MethodPost, s.url, strings.NewReader(string(s.dl.body)))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Shopify-Topic", "orders/create")
			req.Header.Set("X-Shopify-Shop-Domain", shop)
			req.Header.Set("X-Shopify-Webhook-Id", "perf-"+strconv.FormatInt(s.dl.orderID, 10))
			req.Header.Set("X-Shopify-Hmac-Sha256", s.dl.sig)
			sent := time.Now()
			if !s.repeat {
				s.dl.sent.Store(sent.UnixNano())
			}
			resp, err := httpc.Do(req)
			s.answered = time.Since(sent)
			if err != nil {
				return
			}
			resp.Body.Close()
			s.status = resp.StatusCode
			if !s.repeat {
				s.dl.status = resp.StatusCode
			}
		}()
	}
	for range sends {
		<-done
	}
}

// TestWebhookFlood measures the webhook flood alone (KASSA_PERF=1): KASSA_PERF_FLOOD_RATE
// deliveries a second (default 2000) for KASSA_PERF_FLOOD_SECONDS (default 60), with each of
// KASSA_PERF_FLOOD_DAEMONS daemons (default 1,3).
func TestWebhookFlood(t *testing.T) {
	if !perfEnabled() {
		t.Skip("set KASSA_PERF=1 to measure")
	}
	bin := proctest.Build(t)
	for _, r := range measureFloods(t, bin) {
		t.Logf("%s | %s | ratio %s | %s | %s", r.Figure, r.Measured, r.Ratio, r.Target, r.Verdict)
	}
}

// measureFloods runs the floods the environment asks for.
func measureFloods(t *testing.T, bin string) []Row {
	var rows []Row
	rate := envInt("KASSA_PERF_FLOOD_RATE", 2000)
	d := time.Duration(envInt("KASSA_PERF_FLOOD_SECONDS", 60)) * time.Second
	for _, n := range envInts("KASSA_PERF_FLOOD_DAEMONS", []int{1, 3}) {
		rows = append(rows, measureWebhookFlood(t, bin, rate, d, n)...)
	}
	return rows
}

// perfEnabled tells whether measurements were asked for (KASSA_PERF=1).
func perfEnabled() bool { return os.Getenv("KASSA_PERF") == "1" }

// perDelivery is d spread over n deliveries, in µs.
func perDelivery(d time.Duration, n int) float64 {
	return float64(d.Microseconds()) / float64(max(n, 1))
}
