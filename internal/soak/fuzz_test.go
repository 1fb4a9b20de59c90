package soak

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kassa-pos/kassa/daemon"
	"github.com/kassa-pos/kassa/sync/shopifysim"
	"github.com/kassa-pos/kassa/sync/shopifysim/shopdata"
)

const (
	fuzzWebhooks = 6000
	fuzzAPI      = 4000
	// forgedIDBase moves a forged order's id out of the shop's range, so that a sale made
	// from one would show.
	forgedIDBase = int64(9_000_000_000_000_000)
)

// mutate returns a malformed variant of body.
func mutate(r interface{ IntN(int) int }, body []byte) []byte {
	b := append([]byte(nil), body...)
	switch r.IntN(10) {
	case 0: // truncated
		return b[:r.IntN(len(b))]
	case 1: // a few bytes flipped
		for range 1 + r.IntN(8) {
			b[r.IntN(len(b))] ^= byte(1 + r.IntN(255))
		}
		return b
	case 2: // noise
		n := make([]byte, r.IntN(4096))
		for i := range n {
			n[i] = byte(r.IntN(256))
		}
		return n
	case 3: // a value of the wrong type
		for _, k := range []string{`"total_price":`, `"line_items":`, `"id":`, `"created_at":`, `"shipping_lines":`, `"quantity":`} {
			if r.IntN(2) == 0 {
				b = bytes.Replace(b, []byte(k), []byte(k+`{"x":[1,"2",null]},"was":`), 1)
			}
		}
		return b
	case 4:
		return []byte([]string{"", "null", "[]", "{}", `{"id":null}`, `"order"`, "0", `{"id":1e400}`}[r.IntN(8)])
	case 5: // deep nesting
		return []byte(strings.Repeat("[", 100000) + strings.Repeat("]", 100000))
	case 6: // huge or negative numbers
		return bytes.Replace(b, []byte(`"quantity":`), []byte(`"quantity":-99999999999999999999999,"q":`), -1)
	case 7: // invalid UTF-8 in strings
		return bytes.Replace(b, []byte(`"name":"`), []byte("\"name\":\"\xff\xfe\xfd"), -1)
	case 8: // duplicated keys with other values
		return bytes.Replace(b, []byte(`{`), []byte(`{"total_price":"-1.00","currency":"XXX",`), 1)
	default: // a large body of whitespace around the order
		return append(bytes.Repeat([]byte(" "), 1<<20+r.IntN(1<<20)), b...)
	}
}

// soakFuzz sends malformed and forged webhook bodies and API requests to a daemon: no
// answer is a server error or a dropped connection, nothing is stored from a forged
// webhook, and the daemon still imports a genuine order afterwards.
func soakFuzz(t *testing.T) (string, bool) {
	ctx := context.Background()
	e := newEnv(t, shopifysim.Options{Generate: &shopdata.GenerateOptions{Seed: 71, Orders: 50, Days: 30}}, false)
	in := startDaemon(t, e.db, nil, time.Now)
	cashier, _, err := daemon.TokenStore{}.Create(ctx, e.db, "till", daemon.RoleCashier)
	if err != nil {
		t.Fatal(err)
	}
	manager, _, err := daemon.TokenStore{}.Create(ctx, e.db, "boss", daemon.RoleManager)
	if err != nil {
		t.Fatal(err)
	}
	bodies := e.sim.AllOrders()
	forgedBody := func(i int) []byte {
		var m map[string]any
		json.Unmarshal(bodies[i%len(bodies)], &m)
		m["id"] = forgedIDBase + int64(i)
		b, _ := json.Marshal(m)
		return b
	}
	var serverErrors, exchangeErrors, forgedAccepted, busy atomic.Int64
	var exampleMu sync.Mutex
	var examples []string
	note := func(format string, args ...any) {
		exampleMu.Lock()
		defer exampleMu.Unlock()
		if len(examples) < 5 {
			examples = append(examples, fmt.Sprintf(format, args...))
		}
	}
	type job func(r interface{ IntN(int) int }, i int)
	webhookJob := func(r interface{ IntN(int) int }, i int) {
		forged := i%2 == 0
		topic := []string{"orders/create", "orders/updated", "orders/paid", "orders/cancelled", "products/update", "x/../../y"}[r.IntN(6)]
		shop, id := e.sim.Shop, fmt.Sprintf("malformed-%d", i)
		var body []byte
		var sig string
		if forged {
			id = fmt.Sprintf("forged-%d", i)
			body = forgedBody(i)
			if r.IntN(4) == 0 {
				body = mutate(r, body)
			}
			switch r.IntN(7) {
			case 0: // no signature
			case 1:
				sig = sign(e.sim.Secret, forgedBody(i+1)) // another body's
			case 2:
				sig = sign("not-the-secret", body)
			case 3:
				sig, shop = sign(e.sim.Secret, body), "evil.myshopify.com" // a shop kassa does not know
			case 4:
				sig = []string{"!!!", "", strings.Repeat("A", 10000), "c2lnbmF0dXJl"}[r.IntN(4)]
			case 5:
				sig = sign(e.sim.Secret, body)
				body = append(body, ' ') // changed after signing
			default:
				topic = "app/uninstalled" // the one that would disable the shop
				sig = sign("not-the-secret", body)
			}
		} else {
			body = mutate(r, bodies[r.IntN(len(bodies))])
			sig = sign(e.sim.Secret, body)
		}
		code, err := postWebhook(in.url, shop, topic, id, body, sig)
		// A 503 is the receiver shedding load (every reader busy): Shopify sends the
		// delivery again later, and so does the fuzz, until it gets an answer.
		for tries := 0; err == nil && code == http.StatusServiceUnavailable && tries < 100; tries++ {
			busy.Add(1)
			time.Sleep(50 * time.Millisecond)
			code, err = postWebhook(in.url, shop, topic, id, body, sig)
		}
		switch {
		case err != nil:
			exchangeErrors.Add(1)
			note("webhook %s: %v", id, err)
		case code >= 500:
			serverErrors.Add(1)
			note("webhook %s: status %d", id, code)
		case forged && code < 300:
			forgedAccepted.Add(1)
			note("forged webhook %s answered %d", id, code)
		}
	}
	routes := in.d.Routes()
	apiJob := func(r interface{ IntN(int) int }, i int) {
		rt := routes[r.IntN(len(routes))]
		method, path, _ := strings.Cut(rt.Pattern, " ")
		if r.IntN(5) == 0 {
			method = []string{"GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"}[r.IntN(6)]
		}
		junk := []string{"Front", "Gent/Front", "#1001", "../../etc/passwd", "%00", strings.Repeat("x", 5000), "-1",
			"99999999999999999999", "1", "' OR 1=1 --", "ünïcødé", "%ff%fe"}
		for {
			open := strings.Index(path, "{")
			if open < 0 {
				break
			}
			end := strings.Index(path, "}")
			path = path[:open] + url.PathEscape(junk[r.IntN(len(junk))]) + path[end+1:]
		}
		if strings.Contains(path, "/disconnect") {
			path = strings.Replace(path, e.sim.Shop, "other.myshopify.com", 1)
		}
		q := []string{"", "?limit=-1", "?limit=abc", "?from=yesterday&to=1e9", "?awaiting_payment=maybe", "?search=%25%5F%5C", "?date=2026-02-30"}[r.IntN(7)]
		plausible := []string{`{"register":"Front","receipt":"#1001","payment_type":"Cash","amount":"1.00"}`, `{"mode":"all"}`,
			`{"opening_float":"0.00"}`, `{"counts":[{"payment_type":"Cash","counted":"1.00"}]}`, `{"outlet":"Gent","date":"2026-01-01"}`}
		body := mutate(r, []byte(plausible[r.IntN(len(plausible))]))
		req, err := http.NewRequest(method, in.url+path+q, bytes.NewReader(body))
		if err != nil {
			return // not a request a client could send
		}
		switch r.IntN(4) {
		case 0:
		case 1:
			req.Header.Set("Authorization", "Bearer "+cashier)
		case 2:
			req.Header.Set("Authorization", "Bearer "+manager)
		default:
			req.Header.Set("Authorization", []string{"Bearer x", "Basic abc", "Bearer " + strings.Repeat("k", 9000), "bearer"}[r.IntN(4)])
		}
		req.Header.Set("Content-Type", []string{"application/json", "text/plain", ""}[r.IntN(3)])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			exchangeErrors.Add(1)
			note("%s %s: %v", method, path, err)
			return
		}
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			serverErrors.Add(1)
			note("%s %s%s: status %d", method, path, q, resp.StatusCode)
		}
	}
	jobs := make(chan int)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := newRand(uint64(w) + 1)
			for i := range jobs {
				var j job = apiJob
				if i < fuzzWebhooks {
					j = webhookJob
				}
				j(r, i)
			}
		}()
	}
	for i := range fuzzWebhooks + fuzzAPI {
		jobs <- i
	}
	close(jobs)
	wg.Wait()

	// The daemon works through what it accepted (malformed orders end failed or given up).
	waitFor(t, "the accepted deliveries are worked through", 3*time.Minute, func() bool {
		return count(t, e.db, `SELECT count(*) FROM webhook_deliveries WHERE processed_at IS NULL AND next_attempt_at IS NOT NULL`) == 0
	})
	storedForged := count(t, e.db, `SELECT count(*) FROM webhook_deliveries WHERE webhook_id LIKE 'forged-%'`)
	forgedSales := count(t, e.db, `SELECT count(*) FROM sale_external_ids WHERE external_id >= $1`, forgedIDBase)
	active := count(t, e.db, `SELECT count(*) FROM shopify_connections WHERE id = $1 AND enabled`, e.conn.ID)
	// Still serving: a genuine order's webhook becomes its sale.
	o, err := e.sim.NewOrder()
	if err != nil {
		t.Fatal(err)
	}
	for !importable(o) {
		if o, err = e.sim.NewOrder(); err != nil {
			t.Fatal(err)
		}
	}
	body, _ := e.sim.Order(o.ID)
	code, err := postWebhook(in.url, e.sim.Shop, "orders/create", "genuine-after-fuzz", body, sign(e.sim.Secret, body))
	if err != nil || code != http.StatusOK {
		t.Fatalf("genuine webhook after the fuzz: %d %v", code, err)
	}
	waitFor(t, "the genuine order's sale", time.Minute, func() bool {
		return count(t, e.db, `SELECT count(*) FROM sale_external_ids WHERE external_id = $1`, o.ID) == 1
	})
	var problems []string
	if err := (Checker{DB: e.db}).checkOrphans(ctx, func(f string, a ...any) { problems = append(problems, fmt.Sprintf(f, a...)) }); err != nil {
		t.Fatal(err)
	}
	failed := serverErrors.Load() + exchangeErrors.Load() + forgedAccepted.Load() + int64(storedForged+forgedSales+len(problems))
	if failed > 0 || active != 1 {
		t.Errorf("server errors %d, dropped exchanges %d, forged accepted %d, forged stored %d, forged sales %d, connection active %d, orphans %v; e.g. %v",
			serverErrors.Load(), exchangeErrors.Load(), forgedAccepted.Load(), storedForged, forgedSales, active, problems, examples)
	}
	return fmt.Sprintf("%d webhooks (half forged) and %d API requests: %d server errors, %d dropped exchanges, forged accepted %d, "+
			"stored %d, sales from forged %d; %d answers 503 (busy, sent again); connection still active: %v; a genuine order afterwards became its sale; orphans: %d",
			fuzzWebhooks, fuzzAPI, serverErrors.Load(), exchangeErrors.Load(), forgedAccepted.Load(), storedForged, forgedSales, busy.Load(),
			active == 1, len(problems)),
		failed == 0 && active == 1
}

// importable says whether the rules import a generated order.
func importable(o shopdata.Order) bool {
	return o.CancelledAt == nil && !o.Test && len(o.ShippingLines) > 0
}
