package perf

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/rs/zerolog"

	"github.com/kassa-pos/kassa/daemon"
	"github.com/kassa-pos/kassa/internal/dbtest"
	"github.com/kassa-pos/kassa/internal/pg"
	"github.com/kassa-pos/kassa/sync/shopify"
	"github.com/kassa-pos/kassa/sync/shopify/shopifyapi"
	"github.com/kassa-pos/kassa/sync/shopifysim"
	"github.com/kassa-pos/kassa/sync/shopifysim/shopdata"
)

// drainWait bounds the wait for a rate's sales after its last delivery.
const drainWait = 60 * time.Second

// clientTimeout is how long the load generator waits for an answer, as Shopify's 5 s.
const clientTimeout = 5 * time.Second

// delivery is one orders/create webhook the load generator sends.
type delivery struct {
	orderID int64
	body    []byte
	sig     string
	// sent is when the request went out (UnixNano), read by the watcher while sending goes on.
	sent     atomic.Int64
	answered time.Duration
	status   int
	visible  time.Duration
}

func sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// measureWebhooks runs the load generator against an in-process daemon at each rate for d.
func measureWebhooks(t *testing.T, d time.Duration) ([]Row, []string) {
	ctx := context.Background()
	rates := []int{50, 200, 500}
	total := 0
	for _, r := range rates {
		total += r * int(d/time.Second)
	}
	sim, err := shopifysim.NewServer(shopifysim.Options{Generate: &shopdata.GenerateOptions{Seed: 3, Orders: 0, Days: 30}})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	// Every delivery is a new order of its own that the rules import (the generator also
	// makes cancelled, test and unshipped orders, which never become sales).
	all := make([]*delivery, 0, total)
	for len(all) < total {
		o, err := sim.NewOrder()
		if err != nil {
			t.Fatal(err)
		}
		body, err := sim.Order(o.ID)
		if err != nil {
			t.Fatal(err)
		}
		if dec, err := shopifyapi.DecodeOrder(body); err != nil || !dec.CancelledAt.IsZero() || dec.Test || len(dec.ShippingLines) == 0 || dec.ShippingAddress == nil {
			continue
		}
		all = append(all, &delivery{orderID: o.ID, body: body, sig: sign(sim.Secret, body)})
	}
	db, dbURL := dbtest.NewWithURL(t)
	connectShop(t, db, sim.URL, shopify.OrderAPIGraphQL)
	// The daemon gets a pool as kassa serve opens it (the test pool is smaller).
	ddb, err := pg.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer ddb.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	d0, err := daemon.New(ddb, daemon.Config{}, daemon.Deps{Logger: zerolog.Nop(), Secrets: dbtest.Secrets()})
	if err != nil {
		t.Fatal(err)
	}
	dctx, cancel := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- d0.Serve(dctx, ln) }()
	defer func() {
		cancel()
		if err := <-served; err != nil {
			// Under overload, requests the load generator gave up on may still be running.
			t.Logf("daemon: %v", err)
		}
	}()
	url := "http://" + ln.Addr().String() + "/webhooks/shopify"
	httpc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 512}, Timeout: clientTimeout}

	var rows []Row
	var notes []string
	next := 0
	for _, rate := range rates {
		batch := all[next : next+rate*int(d/time.Second)]
		next += len(batch)
		w := newWatcher(db, batch)
		stopWatch := w.start()
		sendAt(httpc, url, sim.Shop, batch, rate)
		drained := w.wait(drainWait)
		stopWatch()
		var toAnswer, toSale []time.Duration
		lost, refused, timedOut, queued := 0, 0, 0, 0
		for _, dl := range batch {
			if dl.status == 0 {
				timedOut++ // no answer within the client's timeout: Shopify would retry it
				continue
			}
			if dl.status != http.StatusOK {
				refused++
				continue
			}
			toAnswer = append(toAnswer, dl.answered)
			if dl.visible != 0 {
				toSale = append(toSale, dl.visible)
				continue
			}
			// Not seen by the watcher: imported since it stopped, still in the queue, or lost
			// (never stored, or done without a sale).
			var sale, waiting int
			if err := db.Get(&sale, `SELECT count(*) FROM sale_external_ids WHERE external_id = $1`, dl.orderID); err != nil {
				t.Fatal(err)
			}
			if err := db.Get(&waiting, `SELECT count(*) FROM webhook_deliveries WHERE webhook_id = $1 AND processed_at IS NULL`,
				"perf-"+strconv.FormatInt(dl.orderID, 10)); err != nil {
				t.Fatal(err)
			}
			switch {
			case sale > 0 || waiting > 0:
				queued++
			default:
				lost++
			}
		}
		var dups int
		if err := db.Get(&dups, `SELECT count(*) - count(DISTINCT receipt_number) FROM sales`); err != nil {
			t.Fatal(err)
		}
		p99Sale := Percentile(toSale, 99)
		rows = append(rows, Row{
			Figure: fmt.Sprintf("3. Webhooks %d/s for %s (%d deliveries)", rate, d, len(batch)),
			Measured: fmt.Sprintf("to 200: p50 %s p99 %s; to sale: p50 %s p99 %s; lost %d, duplicates %d; not answered within %s: %d, answered other than 200: %d; not yet a sale %s after the last: %d",
				Ms(Percentile(toAnswer, 50)), Ms(Percentile(toAnswer, 99)), Ms(Percentile(toSale, 50)), Ms(p99Sale), lost, dups,
				clientTimeout, timedOut, refused, drainWait, queued),
			Target:  "0 lost, 0 duplicates",
			Verdict: Verdict(lost == 0 && refused == 0 && timedOut == 0 && queued == 0 && dups == 0),
		})
		if !drained {
			note := fmt.Sprintf("At %d/s not every delivery had become a sale %s after the last one (unanswered deliveries "+
				"count here: Shopify would send them again); the figures to sale count the sales seen by then.", rate, drainWait)
			if next < len(all) {
				note += " The next rate started with that backlog."
			}
			notes = append(notes, note)
		}
	}
	return rows, notes
}

// sendAt posts the deliveries at rate per second, each from its own goroutine, and waits
// for every answer.
func sendAt(httpc *http.Client, url, shop string, batch []*delivery, rate int) {
	var wg sync.WaitGroup
	interval := time.Second / time.Duration(rate)
	start := time.Now()
	for i, dl := range batch {
		if wait := time.Until(start.Add(time.Duration(i) * interval)); wait > 0 {
			time.Sleep(wait) // the load generator's pacing
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(dl.body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Shopify-Topic", "orders/create")
			req.Header.Set("X-Shopify-Shop-Domain", shop)
			req.Header.Set("X-Shopify-Webhook-Id", "perf-"+strconv.FormatInt(dl.orderID, 10))
			req.Header.Set("X-Shopify-Hmac-Sha256", dl.sig)
			sent := time.Now()
			dl.sent.Store(sent.UnixNano())
			resp, err := httpc.Do(req)
			dl.answered = time.Since(sent)
			if err != nil {
				return
			}
			resp.Body.Close()
			dl.status = resp.StatusCode
		}()
	}
	wg.Wait()
}

// watcher polls the database for the sales of a batch and notes when each became visible.
type watcher struct {
	db      *sqlx.DB
	mu      sync.Mutex
	byOrder map[int64]*delivery
	left    int
	done    chan struct{}
}

func newWatcher(db *sqlx.DB, batch []*delivery) *watcher {
	w := &watcher{db: db, byOrder: map[int64]*delivery{}, left: len(batch), done: make(chan struct{})}
	for _, dl := range batch {
		w.byOrder[dl.orderID] = dl
	}
	return w
}

// start polls every 10 ms until the returned function is called.
func (w *watcher) start() (stop func()) {
	quit := make(chan struct{})
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		var low int64
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-quit:
				return
			case <-tick.C:
			}
			var rows []struct {
				OrderID int64 `db:"external_id"`
				SaleID  int64 `db:"sale_id"`
			}
			// Sales commit nearly in id order; a margin catches the few that do not.
			if err := w.db.Select(&rows, `SELECT external_id, sale_id FROM sale_external_ids WHERE sale_id > $1`, low); err != nil {
				continue
			}
			now := time.Now()
			var high int64
			w.mu.Lock()
			for _, r := range rows {
				high = max(high, r.SaleID)
				if dl, ok := w.byOrder[r.OrderID]; ok && dl.visible == 0 && dl.sent.Load() != 0 {
					dl.visible = now.Sub(time.Unix(0, dl.sent.Load()))
					w.left--
				}
			}
			if w.left == 0 {
				select {
				case <-w.done:
				default:
					close(w.done)
				}
			}
			w.mu.Unlock()
			low = max(low, high-200)
		}
	}()
	return func() { close(quit); <-ended }
}

// wait waits until every delivery's sale is visible, at most d; it tells whether all were.
func (w *watcher) wait(d time.Duration) bool {
	select {
	case <-w.done:
		return true
	case <-time.After(d):
		return false
	}
}
