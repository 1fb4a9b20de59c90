package shopifysim_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	goshopify "github.com/bold-commerce/go-shopify/v4"

	"github.com/kassa-pos/kassa/sync/shopifysim"
)

// received is one webhook as the receiver saw it.
type received struct {
	header http.Header
	body   []byte
	valid  bool // signature verified with the right secret
	forged bool // signature verified with a wrong secret
}

// receiver is a webhook endpoint that answers with the statuses in plan (then 200) and
// reports each delivery on a channel.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	plan   []int
	got    chan received
	secret string
}

func newReceiver(t *testing.T, secret string, plan ...int) *receiver {
	r := &receiver{plan: plan, got: make(chan received, 100), secret: secret}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		valid := goshopify.App{ApiSecret: r.secret}.VerifyWebhookRequest(req)
		forged := goshopify.App{ApiSecret: "not-the-secret"}.VerifyWebhookRequest(req)
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		status := 200
		if len(r.plan) > 0 {
			status, r.plan = r.plan[0], r.plan[1:]
		}
		r.mu.Unlock()
		w.WriteHeader(status)
		r.got <- received{header: req.Header.Clone(), body: body, valid: valid, forged: forged}
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) next(t *testing.T) received {
	t.Helper()
	select {
	case got := <-r.got:
		return got
	case <-time.After(10 * time.Second):
		t.Fatal("no webhook arrived")
		return received{}
	}
}

func TestWebhookSignatureAndHeaders(t *testing.T) {
	t.Parallel()
	const secret = "hush"
	s := newServer(t, shopifysim.Options{Secret: secret, Shop: "shop.myshopify.com"})
	rcv := newReceiver(t, secret)
	c := newClient(t, s)
	ctx := context.Background()
	// go-shopify sends zero values: id 0, format "", fields null.
	wh, err := c.Webhook.Create(ctx, goshopify.Webhook{Topic: "orders/create", Address: rcv.URL + "/hooks"})
	if err != nil {
		t.Fatalf("create webhook: %v", err)
	}
	if wh.Id == 0 || wh.Format != "json" {
		t.Errorf("created webhook %+v", wh)
	}
	list, err := c.Webhook.List(ctx, goshopify.WebhookOptions{Topic: "orders/create"})
	if err != nil || len(list) != 1 {
		t.Fatalf("list webhooks: %v %v", list, err)
	}
	raw := rawOrder(t, orderSpec{id: 4242, age: time.Minute, financial: "pending"})
	if err := s.PlaceRawOrder(raw); err != nil {
		t.Fatal(err)
	}
	got := rcv.next(t)
	if !got.valid || got.forged {
		t.Errorf("signature: verifies with secret %v, with wrong secret %v", got.valid, got.forged)
	}
	if !bytes.Equal(got.body, raw) {
		t.Errorf("body is not the bare order:\n%s", got.body)
	}
	h := got.header
	if h.Get("X-Shopify-Topic") != "orders/create" || h.Get("X-Shopify-Shop-Domain") != "shop.myshopify.com" ||
		h.Get("X-Shopify-API-Version") == "" || h.Get("X-Shopify-Webhook-Id") == "" || h.Get("X-Shopify-Event-Id") == "" {
		t.Errorf("headers %v", h)
	}
	if _, err := time.Parse(time.RFC3339Nano, h.Get("X-Shopify-Triggered-At")); err != nil {
		t.Errorf("Triggered-At: %v", err)
	}
	// Shopify's documented example: secret "hush", body {"id":1}.
	if n := s.SendWebhook("orders/create", []byte(`{"id":1}`)); n != 1 {
		t.Fatalf("SendWebhook queued %d", n)
	}
	if got := rcv.next(t); got.header.Get("X-Shopify-Hmac-Sha256") != "VnKUjZsLuN5iZWjn5EntcBVCF9kMN43LglzCE1/GSeY=" {
		t.Errorf("HMAC = %q", got.header.Get("X-Shopify-Hmac-Sha256"))
	}
	if err := c.Webhook.Delete(ctx, wh.Id); err != nil {
		t.Fatal(err)
	}
	if n := s.SendWebhook("orders/create", []byte(`{}`)); n != 0 {
		t.Errorf("deleted subscription still gets webhooks")
	}
}

func TestWebhooksRetryUntil2xx(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t, shopifysim.DefaultSecret, 500, 503, 302)
	s := newServer(t, shopifysim.Options{
		WebhookURL: rcv.URL,
		Webhooks:   shopifysim.WebhookOptions{InitialBackoff: time.Millisecond},
	})
	if err := s.PlaceRawOrder(rawOrder(t, orderSpec{id: 77, age: time.Minute, financial: "pending"})); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for range 4 {
		got := rcv.next(t)
		if got.header.Get("X-Shopify-Topic") != "orders/create" {
			t.Fatalf("topic %s", got.header.Get("X-Shopify-Topic"))
		}
		ids = append(ids, got.header.Get("X-Shopify-Webhook-Id"))
	}
	if ids[0] != ids[1] || ids[1] != ids[2] || ids[2] != ids[3] {
		t.Errorf("retries must keep the webhook id: %v", ids)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.WaitWebhooks(ctx); err != nil {
		t.Fatal(err)
	}
	st := s.Stats().Webhooks
	if st.Attempts != 4 || st.Delivered != 1 || st.Failed != 0 || st.Pending != 0 {
		t.Errorf("stats %+v", st)
	}
	att := s.WebhookAttempts()
	if len(att) != 4 || att[0].Status != 500 || att[2].Status != 302 || att[3].Status != 200 || att[3].Attempt != 4 {
		t.Errorf("attempts %+v", att)
	}
}

func TestWebhooksGiveUpAfterLastAttempt(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t, shopifysim.DefaultSecret, 500, 500, 500, 500)
	s := newServer(t, shopifysim.Options{
		Webhooks: shopifysim.WebhookOptions{Attempts: 3, InitialBackoff: time.Millisecond},
	})
	s.Subscribe("orders/updated", rcv.URL)
	s.SendWebhook("orders/updated", []byte(`{"id":1}`))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.WaitWebhooks(ctx); err != nil {
		t.Fatal(err)
	}
	if st := s.Stats().Webhooks; st.Attempts != 3 || st.Failed != 1 || st.Delivered != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestWebhookCopiesAndUpdateTopics(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t, shopifysim.DefaultSecret)
	s := newServer(t, shopifysim.Options{
		WebhookURL: rcv.URL,
		RawOrders:  manyOrders(t, 1),
		Webhooks:   shopifysim.WebhookOptions{Copies: 2},
	})
	if _, err := s.UpdateOrder(1001, func(o map[string]any) {
		o["cancelled_at"] = testNow.Format(time.RFC3339)
		o["financial_status"] = "voided"
	}); err != nil {
		t.Fatal(err)
	}
	topics := map[string]int{}
	events := map[string]bool{}
	for range 4 {
		got := rcv.next(t)
		topics[got.header.Get("X-Shopify-Topic")]++
		events[got.header.Get("X-Shopify-Event-Id")] = true
		if !strings.Contains(string(got.body), `"financial_status":"voided"`) {
			t.Errorf("body lacks the change: %s", got.body)
		}
	}
	if topics["orders/updated"] != 2 || topics["orders/cancelled"] != 2 || len(events) != 1 {
		t.Errorf("topics %v, events %d", topics, len(events))
	}
}

func TestShuffledDeliveryDeliversEverything(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t, shopifysim.DefaultSecret)
	s := newServer(t, shopifysim.Options{
		WebhookURL: rcv.URL,
		Webhooks:   shopifysim.WebhookOptions{Shuffle: true, ShuffleSeed: 3},
	})
	for i := range 20 {
		if err := s.PlaceRawOrder(rawOrder(t, orderSpec{id: int64(100 + i), age: time.Minute, financial: "pending"})); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	for range 20 {
		seen[string(rcv.next(t).body)] = true
	}
	if len(seen) != 20 {
		t.Errorf("got %d distinct orders", len(seen))
	}
}

// TestCloseLeavesNoGoroutine runs alone (not parallel) so that the goroutine dump holds
// only what this test started.
func TestCloseLeavesNoGoroutine(t *testing.T) {
	hang := make(chan struct{})
	slowReceiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-hang:
		case <-r.Context().Done():
		}
	}))
	defer slowReceiver.Close()
	defer close(hang)

	s, err := shopifysim.NewServer(shopifysim.Options{
		Clock: fixedClock, WebhookURL: slowReceiver.URL, RawOrders: manyOrders(t, 3),
		Plan: shopifysim.PlanStandard,
	})
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.Client(goshopify.App{})
	if err != nil {
		t.Fatal(err)
	}
	// A webhook stuck in delivery, one waiting for a retry, and a request stuck in a slow fault.
	s.SendWebhook("orders/create", []byte(`{"id":1}`))
	s.ScriptFaults("orders.json", shopifysim.Fault{Kind: shopifysim.FaultSlow, Delay: time.Hour})
	started := make(chan struct{})
	done := make(chan error)
	go func() {
		close(started)
		_, err := c.Order.List(context.Background(), nil)
		done <- err
	}()
	<-started
	for len(s.Requests()) == 0 && s.Stats().Requests == 0 {
		runtime.Gosched()
	}
	s.Close()
	if err := <-done; err == nil {
		t.Error("the slow request must fail when the server closes")
	}
	// A goroutine that has signalled its end may still be returning; give such goroutines
	// a bounded chance to finish, as goleak does, before reporting them.
	var left []string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); runtime.Gosched() {
		left = ourGoroutines()
		if len(left) == 0 {
			return
		}
	}
	t.Errorf("goroutines outlived Close:\n%s", strings.Join(left, "\n\n"))
}

func ourGoroutines() []string {
	buf := make([]byte, 1<<20)
	var out []string
	for _, g := range strings.Split(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
		if strings.Contains(g, "shopifysim.(*") {
			out = append(out, g)
		}
	}
	return out
}
