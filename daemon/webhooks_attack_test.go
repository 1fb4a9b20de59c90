package daemon_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/kassa-pos/kassa/daemon"
	"github.com/kassa-pos/kassa/internal/dbtest"
	"github.com/kassa-pos/kassa/internal/proctest"
	"github.com/kassa-pos/kassa/sync/shopify"
	"github.com/kassa-pos/kassa/sync/shopifysim"
)

// rawDelivery is a webhook sent by hand over TCP, so that a test can send its headers and
// part of its body and hold the rest back, as a slow or hostile sender does.
type rawDelivery struct {
	conn net.Conn
	br   *bufio.Reader
}

// deliveryHeaders are the headers of a delivery; an empty value leaves the header out.
type deliveryHeaders struct {
	shop, topic, id, signature string
}

// openDelivery connects to the daemon at baseURL, sends the headers of a delivery whose
// body is announced as length bytes long, and the first bytes of that body.
func openDelivery(t testing.TB, baseURL string, h deliveryHeaders, length int, first []byte) *rawDelivery {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(baseURL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	var b bytes.Buffer
	fmt.Fprintf(&b, "POST /webhooks/shopify HTTP/1.1\r\nHost: kassa\r\nContent-Type: application/json\r\nContent-Length: %d\r\n", length)
	for name, v := range map[string]string{
		"X-Shopify-Shop-Domain": h.shop, "X-Shopify-Topic": h.topic, "X-Shopify-Webhook-Id": h.id, "X-Shopify-Hmac-Sha256": h.signature,
	} {
		if v != "" {
			fmt.Fprintf(&b, "%s: %s\r\n", name, v)
		}
	}
	b.WriteString("\r\n")
	b.Write(first)
	if _, err := conn.Write(b.Bytes()); err != nil {
		t.Fatal(err)
	}
	return &rawDelivery{conn: conn, br: bufio.NewReader(conn)}
}

// answer reads the daemon's answer: its status, its body, and whether the daemon said it
// closes the connection.
func (d *rawDelivery) answer(t testing.TB) (int, string, bool) {
	t.Helper()
	resp, err := http.ReadResponse(d.br, nil)
	if err != nil {
		t.Fatalf("read the answer: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Close
}

// gauge reads the value of a gauge of the daemon's metrics.
func gauge(t testing.TB, d *daemon.Daemon, name string) float64 {
	t.Helper()
	fams, err := d.Metrics().Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() == name {
			return f.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}

// post sends one delivery with a full body and returns the status and body of the answer.
func post(t testing.TB, baseURL string, h deliveryHeaders, body []byte) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, baseURL+"/webhooks/shopify", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string]string{
		"X-Shopify-Shop-Domain": h.shop, "X-Shopify-Topic": h.topic, "X-Shopify-Webhook-Id": h.id, "X-Shopify-Hmac-Sha256": h.signature,
	} {
		if v != "" {
			req.Header.Set(name, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// randomSignature is a well-formed signature that matches nothing.
func randomSignature() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// TestWebhookRefusedFromItsHeadersBeforeItsBody announces a body, sends ten bytes of it and
// stops sending: an unknown shop, or a signature that is not the base64 of 32 bytes, is
// refused at once from the headers (a daemon that read the body first would see it cut
// short), with the connection closed and nothing stored.
func TestWebhookRefusedFromItsHeadersBeforeItsBody(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	clk := &clock{}
	s := newShop(t, db, 0, "", clk, shopifysim.WebhookOptions{})
	in := start(t, db, listen(t), fastConfig(), daemon.Deps{Clock: clk.Now, Logger: testLogger(t, nil)})
	before := dbtest.Counts(t, db)
	short := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 31))
	for _, c := range []struct {
		name string
		h    deliveryHeaders
	}{
		{"unknown shop", deliveryHeaders{"other.myshopify.com", "orders/create", "w1", randomSignature()}},
		{"not a shop domain", deliveryHeaders{"../../etc", "orders/create", "w2", randomSignature()}},
		{"no signature", deliveryHeaders{s.sim.Shop, "orders/create", "w3", ""}},
		{"signature not base64", deliveryHeaders{s.sim.Shop, "orders/create", "w4", "%%%not-base64%%%"}},
		{"signature of 31 bytes", deliveryHeaders{s.sim.Shop, "orders/create", "w5", short}},
		{"signature as hex", deliveryHeaders{s.sim.Shop, "orders/create", "w6", strings.Repeat("ab", 32)}},
	} {
		d := openDelivery(t, in.url, c.h, 100_000, []byte(`{"id": 123`))
		status, body, closed := d.answer(t)
		if status != http.StatusUnauthorized || !closed {
			t.Errorf("%s: %d %s (connection closed: %v), want 401 and the connection closed", c.name, status, body, closed)
		}
	}
	dbtest.Unchanged(t, db, before)
	if got := labelled(t, in.d, "kassa_webhooks_rejected_total", "reason", "unknown_shop"); got != 2 {
		t.Errorf("rejected as unknown shop: %v, want 2", got)
	}
	if got := labelled(t, in.d, "kassa_webhooks_rejected_total", "reason", "bad_signature"); got != 4 {
		t.Errorf("rejected as bad signature: %v, want 4", got)
	}
}

// TestWebhookReadersAreLimited holds as many slow deliveries as the daemon reads at once:
// the next ones are answered 503 at once (Shopify sends them again), and a reader that
// finishes makes room for the next delivery.
func TestWebhookReadersAreLimited(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	clk := &clock{}
	s := newShop(t, db, 0, "", clk, shopifysim.WebhookOptions{})
	cfg := fastConfig()
	cfg.WebhookMaxReaders = 3
	cfg.WebhookReadTimeout = time.Hour // held deliveries stay held for the whole test
	in := start(t, db, listen(t), cfg, daemon.Deps{Clock: clk.Now, Logger: testLogger(t, nil)})

	var bodies [][]byte
	for range 5 {
		o, err := s.sim.NewOrder()
		if err != nil {
			t.Fatal(err)
		}
		raw, err := s.sim.Order(o.ID)
		if err != nil {
			t.Fatal(err)
		}
		bodies = append(bodies, raw)
	}
	var held []*rawDelivery
	for i, body := range bodies[:3] {
		h := deliveryHeaders{s.sim.Shop, "orders/create", fmt.Sprintf("held-%d", i), sign(s.sim.Secret, body)}
		held = append(held, openDelivery(t, in.url, h, len(body), body[:len(body)/2]))
	}
	pollFor(t, "the daemon reads the three held deliveries", func() bool {
		return gauge(t, in.d, "kassa_webhook_readers_busy") == 3
	})

	for i := range 10 {
		body := bodies[3]
		status, answer := post(t, in.url, deliveryHeaders{s.sim.Shop, "orders/create", fmt.Sprintf("more-%d", i), sign(s.sim.Secret, body)}, body)
		if status != http.StatusServiceUnavailable {
			t.Fatalf("delivery %d beyond the limit: %d %s, want 503", i, status, answer)
		}
	}
	if got := labelled(t, in.d, "kassa_webhook_deliveries_total", "result", "busy"); got != 10 {
		t.Fatalf("busy deliveries counted %v, want 10", got)
	}
	if n := countRows(t, db, `SELECT count(*) FROM webhook_deliveries`); n != 0 {
		t.Fatalf("%d deliveries stored while every reader was busy", n)
	}

	// The first held sender sends the rest of its body: it is stored, and its reader is free.
	if _, err := held[0].conn.Write(bodies[0][len(bodies[0])/2:]); err != nil {
		t.Fatal(err)
	}
	if status, body, _ := held[0].answer(t); status != http.StatusOK {
		t.Fatalf("the held delivery, finished: %d %s", status, body)
	}
	pollFor(t, "its reader is free", func() bool { return gauge(t, in.d, "kassa_webhook_readers_busy") == 2 })
	body := bodies[4]
	if status, answer := post(t, in.url, deliveryHeaders{s.sim.Shop, "orders/create", "after", sign(s.sim.Secret, body)}, body); status != http.StatusOK {
		t.Fatalf("a delivery once a reader is free: %d %s", status, answer)
	}
	if n := countRows(t, db, `SELECT count(*) FROM webhook_deliveries`); n != 2 {
		t.Fatalf("%d deliveries stored, want 2", n)
	}
}

// TestSlowWebhookBodyIsCutOff trickles a body one byte at a time: the daemon stops waiting
// for it after the read timeout, answers 408, closes the connection and frees the reader.
func TestSlowWebhookBodyIsCutOff(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	clk := &clock{}
	s := newShop(t, db, 0, "", clk, shopifysim.WebhookOptions{})
	cfg := fastConfig()
	cfg.WebhookReadTimeout = 300 * time.Millisecond
	in := start(t, db, listen(t), cfg, daemon.Deps{Clock: clk.Now, Logger: testLogger(t, nil)})
	o, err := s.sim.NewOrder()
	if err != nil {
		t.Fatal(err)
	}
	body, err := s.sim.Order(o.ID)
	if err != nil {
		t.Fatal(err)
	}
	d := openDelivery(t, in.url, deliveryHeaders{s.sim.Shop, "orders/create", "slow", sign(s.sim.Secret, body)}, len(body), body[:10])
	stop := make(chan struct{})
	trickled := make(chan struct{})
	go func() {
		defer close(trickled)
		tick := time.NewTicker(20 * time.Millisecond) // the slow sender's pace
		defer tick.Stop()
		for _, c := range body[10 : len(body)-1] {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			if _, err := d.conn.Write([]byte{c}); err != nil {
				return
			}
		}
	}()
	status, answer, closed := d.answer(t)
	close(stop)
	<-trickled
	if status != http.StatusRequestTimeout || !closed {
		t.Fatalf("a trickled body: %d %s (closed %v), want 408 and the connection closed", status, answer, closed)
	}
	if _, err := d.conn.Read(make([]byte, 1)); err == nil {
		t.Fatal("the connection stays open after the 408")
	}
	pollFor(t, "the reader is free", func() bool { return gauge(t, in.d, "kassa_webhook_readers_busy") == 0 })
	if got := labelled(t, in.d, "kassa_webhook_deliveries_total", "result", "timeout"); got != 1 {
		t.Fatalf("timeouts counted %v, want 1", got)
	}
	if n := countRows(t, db, `SELECT count(*) FROM webhook_deliveries`); n != 0 {
		t.Fatalf("%d deliveries stored", n)
	}
}

// TestOnlySubscribedTopicsAreStored answers signed deliveries of topics kassa does not
// subscribe to 200 (so Shopify does not send them again) and stores nothing.
func TestOnlySubscribedTopicsAreStored(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	clk := &clock{}
	s := newShop(t, db, 3, "", clk, shopifysim.WebhookOptions{})
	in := start(t, db, listen(t), fastConfig(), daemon.Deps{Clock: clk.Now, Logger: testLogger(t, nil)})
	body := []byte(s.sim.AllOrders()[0])
	before := dbtest.Counts(t, db)
	for _, topic := range []string{"orders/paid", "products/create", "shop/redact", "ORDERS/CREATE"} {
		status, answer := post(t, in.url, deliveryHeaders{s.sim.Shop, topic, "t-" + topic, sign(s.sim.Secret, body)}, body)
		if status != http.StatusOK || !strings.Contains(answer, "ignored") {
			t.Errorf("%s: %d %s, want 200 ignored", topic, status, answer)
		}
	}
	dbtest.Unchanged(t, db, before)
	if got := labelled(t, in.d, "kassa_webhook_deliveries_total", "result", "ignored_topic"); got != 4 {
		t.Errorf("ignored topics counted %v, want 4", got)
	}
	if got := labelled(t, in.d, "kassa_webhook_deliveries_total", "topic", "other"); got != 4 {
		t.Errorf("deliveries of other topics counted %v, want 4", got)
	}
	// Unsigned, an unsubscribed topic is refused like any other delivery.
	if status, _ := post(t, in.url, deliveryHeaders{s.sim.Shop, "products/create", "t-forged", randomSignature()}, body); status != http.StatusUnauthorized {
		t.Errorf("a forged delivery of another topic: %d, want 401", status)
	}
}

// TestOrderTopicNeedsAnOrderBody refuses (400) signed deliveries of an order topic whose
// body is not an order, stores none of them, and counts them.
func TestOrderTopicNeedsAnOrderBody(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	clk := &clock{}
	s := newShop(t, db, 0, "", clk, shopifysim.WebhookOptions{})
	in := start(t, db, listen(t), fastConfig(), daemon.Deps{Clock: clk.Now, Logger: testLogger(t, nil)})
	shopBody := fmt.Sprintf(`{"id": 548380009, "name": "demo", "myshopify_domain": %q}`, s.sim.Shop)
	before := dbtest.Counts(t, db)
	bodies := []string{
		`{}`, `[]`, `null`, `"order"`, `not json`, shopBody,
		`{"id": 5, "name": "#1001"}`,                          // no line items
		`{"id": 5, "name": "#1001", "line_items": null}`,      // no line items
		`{"id": 5, "name": "#1001", "line_items": {}}`,        // not a list
		`{"id": "5", "name": "#1001", "line_items": []}`,      // id not a number
		`{"id": -5, "name": "#1001", "line_items": []}`,       // id not positive
		`{"id": 5, "name": "", "line_items": []}`,             // no name, no number
		`{"id": 5.5, "order_number": 1001, "line_items": []}`, // id not whole
		`{"id": 5, "name": null, "order_number": 0, "line_items": []}`,
	}
	for i, b := range bodies {
		for _, topic := range []string{"orders/create", "orders/updated"} {
			status, answer := post(t, in.url, deliveryHeaders{s.sim.Shop, topic, fmt.Sprintf("b-%d-%s", i, topic), sign(s.sim.Secret, []byte(b))}, []byte(b))
			if status != http.StatusBadRequest {
				t.Errorf("%s with %s: %d %s, want 400", topic, b, status, answer)
			}
		}
	}
	dbtest.Unchanged(t, db, before)
	if got, want := labelled(t, in.d, "kassa_webhooks_rejected_total", "reason", "wrong_body"), float64(2*len(bodies)); got != want {
		t.Errorf("wrong bodies counted %v, want %v", got, want)
	}
	// The least an order can be is accepted: by number instead of name, no line items yet.
	for i, b := range []string{`{"id": 5, "order_number": 1001, "line_items": []}`, `{"id": 6, "name": "#1002", "line_items": []}`} {
		if status, answer := post(t, in.url, deliveryHeaders{s.sim.Shop, "orders/create", fmt.Sprintf("ok-%d", i), sign(s.sim.Secret, []byte(b))}, []byte(b)); status != http.StatusOK {
			t.Errorf("order %s: %d %s, want 200", b, status, answer)
		}
	}
}

// TestTopicHeaderCannotUninstall resends signed bodies under app/uninstalled (the topic
// header is not signed): an order, another shop's resource and, while the app is still
// installed, the shop's own resource. None disconnects the shop; the real uninstall does.
func TestTopicHeaderCannotUninstall(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	clk := &clock{}
	ln := listen(t)
	s := newShop(t, db, 3, "", clk, shopifysim.WebhookOptions{})
	logs := &logBuffer{}
	in := start(t, db, ln, fastConfig(), daemon.Deps{Clock: clk.Now, Logger: testLogger(t, logs)})
	enabled := func() bool {
		return countRows(t, db, `SELECT count(*) FROM shopify_connections WHERE enabled`) == 1
	}

	order := []byte(s.sim.AllOrders()[0])
	other := []byte(`{"id": 548380009, "name": "other", "domain": "other.myshopify.com", "myshopify_domain": "other.myshopify.com"}`)
	custom := []byte(fmt.Sprintf(`{"id": 548380009, "name": "demo", "domain": %q, "myshopify_domain": "other.myshopify.com"}`, s.sim.Shop))
	before := dbtest.Counts(t, db)
	for name, body := range map[string][]byte{"an order": order, "another shop": other, "another shop on this shop's domain": custom, "an empty object": []byte(`{}`)} {
		status, answer := post(t, in.url, deliveryHeaders{s.sim.Shop, "app/uninstalled", "u-" + name, sign(s.sim.Secret, body)}, body)
		if status != http.StatusBadRequest {
			t.Errorf("app/uninstalled with %s: %d %s, want 400", name, status, answer)
		}
	}
	dbtest.Unchanged(t, db, before)

	// The shop's own resource, signed, but Shopify still accepts the connection's token.
	req, _ := http.NewRequest(http.MethodGet, s.sim.URL+"/admin/api/2024-10/shop.json", nil)
	req.Header.Set("X-Shopify-Access-Token", s.sim.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var wrapped struct {
		Shop json.RawMessage `json:"shop"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&wrapped); err != nil || len(wrapped.Shop) == 0 {
		t.Fatalf("shop.json: %v", err)
	}
	resp.Body.Close()
	shop := []byte(wrapped.Shop)
	if status, answer := post(t, in.url, deliveryHeaders{s.sim.Shop, "app/uninstalled", "u-replayed", sign(s.sim.Secret, shop)}, shop); status != http.StatusOK {
		t.Fatalf("app/uninstalled with the shop's resource: %d %s", status, answer)
	}
	waitFor(t, "the delivery is processed", func() bool {
		return countRows(t, db, `SELECT count(*) FROM webhook_deliveries WHERE webhook_id = 'u-replayed' AND processed_at IS NOT NULL`) == 1
	}, in)
	if !enabled() {
		t.Fatal("an uninstall Shopify did not confirm disconnected the shop")
	}
	var note string
	if err := db.Get(&note, `SELECT last_error FROM webhook_deliveries WHERE webhook_id = 'u-replayed'`); err != nil || !strings.Contains(note, "still accepts") {
		t.Fatalf("the delivery's note %q (%v)", note, err)
	}
	if got := labelled(t, in.d, "kassa_webhooks_rejected_total", "reason", "uninstall_not_confirmed"); got != 1 {
		t.Fatalf("unconfirmed uninstalls counted %v, want 1", got)
	}
	if !strings.Contains(logs.String(), "not confirmed by Shopify") {
		t.Fatal("the unconfirmed uninstall is not in the log")
	}
	if got := labelled(t, in.d, "kassa_webhooks_rejected_total", "reason", "wrong_body"); got != 4 {
		t.Fatalf("wrong bodies counted %v, want 4", got)
	}

	// The merchant uninstalls the app: Shopify delivers app/uninstalled and refuses the
	// token. The first question is answered 402 (a frozen shop), which confirms nothing:
	// the delivery is tried again, and the second answer, 401, disconnects the shop.
	s.sim.ScriptFaults("shop.json", shopifysim.Fault{Kind: shopifysim.FaultStatus, Status: http.StatusPaymentRequired})
	s.sim.Subscribe(shopifysim.TopicAppUninstalled, in.url+"/webhooks/shopify")
	s.sim.Uninstall()
	waitFor(t, "the connection is disabled", func() bool { return !enabled() }, in)
	var attempts int
	if err := db.Get(&attempts, `SELECT attempts FROM webhook_deliveries
		WHERE topic = 'app/uninstalled' AND webhook_id <> 'u-replayed' AND processed_at IS NOT NULL AND last_error = ''`); err != nil || attempts != 2 {
		t.Fatalf("the uninstall was processed in %d attempts (%v), want 2: the 402 is no confirmation", attempts, err)
	}
}

// TestRefusalsLookAlikeAndAreLoggedOncePerMinute sends deliveries of an unknown shop and
// forged ones of a connected shop: each gets the same answer, so the answers do not tell
// which shops are connected; a flood writes one log line per shop a minute, which counts
// the lines left out; the metric counts them all.
func TestRefusalsLookAlikeAndAreLoggedOncePerMinute(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	clk := &clock{}
	s := newShop(t, db, 1, "", clk, shopifysim.WebhookOptions{})
	logs := &logBuffer{}
	in := start(t, db, listen(t), fastConfig(), daemon.Deps{Clock: clk.Now, Logger: testLogger(t, logs)})
	body := []byte(s.sim.AllOrders()[0])

	answers := map[string]string{}
	for name, h := range map[string]deliveryHeaders{
		"unknown shop":         {"stranger.myshopify.com", "orders/create", "x1", sign(s.sim.Secret, body)},
		"wrong signature":      {s.sim.Shop, "orders/create", "x2", sign("guessed", body)},
		"missing signature":    {s.sim.Shop, "orders/create", "x3", ""},
		"malformed signature":  {s.sim.Shop, "orders/create", "x4", "c2lnbmF0dXJl"},
		"unknown shop, forged": {"stranger.myshopify.com", "orders/create", "x5", "c2lnbmF0dXJl"},
	} {
		status, answer := post(t, in.url, h, body)
		answers[name] = fmt.Sprintf("%d %s", status, answer)
	}
	want := answers["unknown shop"]
	if !strings.HasPrefix(want, "401 ") {
		t.Fatalf("unknown shop answered %s, want 401", want)
	}
	for name, got := range answers {
		if got != want {
			t.Errorf("%s answered %q, the unknown shop %q: the answer tells them apart", name, got, want)
		}
	}

	lines := func(shop string) []map[string]any {
		var out []map[string]any
		for _, l := range strings.Split(logs.String(), "\n") {
			var m map[string]any
			if json.Unmarshal([]byte(l), &m) == nil && strings.HasPrefix(fmt.Sprint(m["message"]), "webhook refused") && m["shop"] == shop {
				out = append(out, m)
			}
		}
		return out
	}
	first := len(lines(s.sim.Shop))
	for i := range 50 {
		post(t, in.url, deliveryHeaders{s.sim.Shop, "orders/create", fmt.Sprintf("f-%d", i), sign("guessed", body)}, body)
		post(t, in.url, deliveryHeaders{fmt.Sprintf("s%d.myshopify.com", i), "orders/create", "f", sign("guessed", body)}, body)
	}
	if got := len(lines(s.sim.Shop)); got != first {
		t.Fatalf("50 forged deliveries in the same minute wrote %d log lines for the shop, want none after the first", got-first)
	}
	unknown := 0
	for i := range 50 {
		unknown += len(lines(fmt.Sprintf("s%d.myshopify.com", i)))
	}
	if unknown != 0 {
		t.Fatalf("50 unknown shops in the same minute wrote %d log lines", unknown)
	}
	clk.Advance(61 * time.Second)
	post(t, in.url, deliveryHeaders{s.sim.Shop, "orders/create", "f-late", sign("guessed", body)}, body)
	got := lines(s.sim.Shop)
	if len(got) != first+1 {
		t.Fatalf("a minute later: %d lines for the shop, want %d", len(got), first+1)
	}
	// The shop's line of the first minute was the wrong signature's; the 50 forged
	// deliveries after it were left out. (Missing and malformed signatures are refused
	// before the shop is looked up, under a key of their own.)
	if n := got[len(got)-1]["suppressed"]; n != float64(50) {
		t.Fatalf("the line after the flood counts %v left out, want 50", n)
	}
	// Wrong, missing and malformed signatures, the unknown shop's malformed one, the
	// flood, and the one a minute later.
	if got := labelled(t, in.d, "kassa_webhooks_rejected_total", "reason", "bad_signature"); got != 4+50+1 {
		t.Fatalf("bad signatures counted %v, want %d", got, 4+50+1)
	}
	if got := labelled(t, in.d, "kassa_webhooks_rejected_total", "reason", "unknown_shop"); got != 1+50 {
		t.Fatalf("unknown shops counted %v, want 51", got)
	}
	if n := countRows(t, db, `SELECT count(*) FROM webhook_deliveries`); n != 0 {
		t.Fatalf("%d forged deliveries stored", n)
	}
}

// TestDeliveryIsCommittedDurablyWhateverTheDatabaseSays runs the daemon on a database
// whose synchronous_commit is off: a delivery is still committed with it on, and /readyz
// and the start-up log warn.
func TestDeliveryIsCommittedDurablyWhateverTheDatabaseSays(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	first, url := dbtest.NewWithURL(t)
	var name string
	if err := first.Get(&name, `SELECT current_database()`); err != nil {
		t.Fatal(err)
	}
	if _, err := first.Exec(`ALTER DATABASE ` + name + ` SET synchronous_commit = off`); err != nil {
		t.Fatal(err)
	}
	// The setting applies to sessions opened from now on.
	db, err := sqlx.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	var setting string
	if err := db.Get(&setting, `SHOW synchronous_commit`); err != nil || setting != "off" {
		t.Fatalf("synchronous_commit of a new session: %q (%v), want off", setting, err)
	}

	clk := &clock{}
	s := newShop(t, db, 1, "", clk, shopifysim.WebhookOptions{})
	logs := &logBuffer{}
	in := start(t, db, listen(t), fastConfig(), daemon.Deps{Clock: clk.Now, Logger: testLogger(t, logs)})
	seen := make(chan string, 1)
	daemon.SetWebhookStoreHook(in.d, func(ctx context.Context, tx *sqlx.Tx) {
		var v string
		if err := tx.GetContext(ctx, &v, `SELECT current_setting('synchronous_commit')`); err != nil {
			v = err.Error()
		}
		seen <- v
	})
	body := []byte(s.sim.AllOrders()[0])
	if status, answer := post(t, in.url, deliveryHeaders{s.sim.Shop, "orders/create", "durable", sign(s.sim.Secret, body)}, body); status != http.StatusOK {
		t.Fatalf("delivery: %d %s", status, answer)
	}
	if got := <-seen; got != "on" {
		t.Fatalf("the delivery was committed with synchronous_commit %q, want on", got)
	}
	// Only the delivery's transaction: other sessions keep the database's setting.
	if err := db.GetContext(ctx, &setting, `SHOW synchronous_commit`); err != nil || setting != "off" {
		t.Fatalf("synchronous_commit after the delivery: %q (%v), want off", setting, err)
	}

	ready := readyz(t, in.url)
	if ready.Database.SynchronousCommit != "off" || ready.Database.Fsync == "" || len(ready.Warnings) != 1 ||
		!strings.Contains(ready.Warnings[0], "synchronous_commit off") {
		t.Fatalf("/readyz on a database with synchronous_commit off: %+v", ready)
	}
	if !strings.Contains(logs.String(), "synchronous_commit off") {
		t.Fatal("the start-up log does not warn that synchronous_commit is off")
	}

	// A database that keeps its commits gets no warning.
	plain := dbtest.New(t)
	in2 := start(t, plain, listen(t), fastConfig(), daemon.Deps{Clock: clk.Now, Logger: testLogger(t, nil)})
	if r := readyz(t, in2.url); r.Status != "ready" || r.Database.SynchronousCommit != "on" || len(r.Warnings) != 0 {
		t.Fatalf("/readyz on a durable database: %+v", r)
	}
}

// readiness is the JSON of /readyz.
type readiness struct {
	Status   string `json:"status"`
	Database struct {
		Fsync             string `json:"fsync"`
		SynchronousCommit string `json:"synchronous_commit"`
	} `json:"database"`
	Warnings []string `json:"warnings"`
}

func readyz(t testing.TB, baseURL string) readiness {
	t.Helper()
	resp, err := http.Get(baseURL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r readiness
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("/readyz: %d %v", resp.StatusCode, err)
	}
	if r.Warnings == nil {
		t.Fatal("/readyz has no warnings list")
	}
	return r
}

// procKB reads a kB field of /proc/PID/status (VmRSS, VmHWM).
func procKB(t testing.TB, pid int, field string) float64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == field+":" {
			kb, err := strconv.ParseFloat(f[1], 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb
		}
	}
	t.Fatalf("/proc/%d/status has no %s", pid, field)
	return 0
}

// metricSum adds up the samples of a metric whose labels include every one of labels
// (`result="busy"`), from the Prometheus text at url.
func metricSum(t testing.TB, url, name string, labels ...string) float64 {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sum := 0.0
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name+"{") && !strings.HasPrefix(line, name+" ") {
			continue
		}
		match := true
		for _, l := range labels {
			match = match && strings.Contains(line, l)
		}
		if f := strings.Fields(line); match && len(f) == 2 {
			v, err := strconv.ParseFloat(f[1], 64)
			if err != nil {
				t.Fatal(err)
			}
			sum += v
		}
	}
	return sum
}

// holdDeliveries opens n deliveries to baseURL at once, each announcing a body of
// length bytes and sending all of it but the last byte, and waits until the daemon has
// answered or dropped every one. It returns how many it answered with each status (0:
// dropped without an answer).
func holdDeliveries(t testing.TB, baseURL, shop string, n, length int) map[int]int {
	t.Helper()
	body := bytes.Repeat([]byte("x"), length-1)
	statuses := make(chan int, n)
	for i := range n {
		go func() {
			status := 0
			defer func() { statuses <- status }()
			conn, err := net.Dial("tcp", strings.TrimPrefix(baseURL, "http://"))
			if err != nil {
				return
			}
			defer conn.Close()
			fmt.Fprintf(conn, "POST /webhooks/shopify HTTP/1.1\r\nHost: kassa\r\nContent-Type: application/json\r\n"+
				"Content-Length: %d\r\nX-Shopify-Shop-Domain: %s\r\nX-Shopify-Topic: orders/create\r\n"+
				"X-Shopify-Webhook-Id: held-%d\r\nX-Shopify-Hmac-Sha256: %s\r\n\r\n", length, shop, i, randomSignature())
			// A refused delivery's connection is closed under the write: the answer, if it
			// arrived, is still read.
			conn.Write(body)
			if resp, err := http.ReadResponse(bufio.NewReader(conn), nil); err == nil {
				status = resp.StatusCode
				resp.Body.Close()
			}
		}()
	}
	out := map[int]int{}
	for range n {
		out[<-statuses]++
	}
	return out
}

// TestHeldWebhookConnectionsDoNotGrowTheDaemon runs "kassa serve" (default settings) and
// opens first 100, then 400 deliveries at once that send a body of almost 2 MiB but its
// last byte. The daemon reads at most its 64 readers' bodies and answers the others 503
// at once; it cuts the held ones off after the read timeout; and its peak memory does not
// grow with the number of held connections.
func TestHeldWebhookConnectionsDoNotGrowTheDaemon(t *testing.T) {
	if testing.Short() {
		t.Skip("builds kassa and holds connections for two read timeouts")
	}
	t.Parallel()
	const readers, length = 64, 2<<20 - 64
	bin := proctest.Build(t)
	db, dbURL := dbtest.NewWithURL(t)
	ids := dbtest.NewShop(t, db, "Gent", "Front")
	if _, err := (shopify.ConnectionStore{Secrets: dbtest.Secrets()}).Connect(context.Background(), db, shopify.ConnectParams{
		Shop: "held.myshopify.com", AccessToken: "token", WebhookSecret: "secret", BaseURL: "http://127.0.0.1:9",
		OutletID: ids.OutletID, RegisterID: ids.RegisterID,
	}); err != nil {
		t.Fatal(err)
	}
	addr := proctest.FreeAddr(t)
	p := proctest.Start(t, bin, []string{"DATABASE_URL=" + dbURL}, "serve", "--addr", addr, "--log-level", "error")
	p.URL = "http://" + addr
	p.WaitReady(t, "/readyz", 2*time.Minute)
	metrics := p.URL + "/metrics"
	mib := func(kb float64) float64 { return kb / 1024 }

	base := procKB(t, p.Pid(), "VmRSS")
	first := holdDeliveries(t, p.URL, "held.myshopify.com", 100, length)
	peak100 := procKB(t, p.Pid(), "VmHWM")
	second := holdDeliveries(t, p.URL, "held.myshopify.com", 400, length)
	peak400 := procKB(t, p.Pid(), "VmHWM")
	busy := metricSum(t, metrics, "kassa_webhook_deliveries_total", `result="busy"`)
	cut := metricSum(t, metrics, "kassa_webhook_deliveries_total", `result="timeout"`)
	t.Logf("kassa serve: %.0f MiB at rest; peak %.0f MiB with 100 held deliveries (answers %v), %.0f MiB with 400 (answers %v); "+
		"%v answered 503 at once, %v cut off after the read timeout",
		mib(base), mib(peak100), first, mib(peak400), second, busy, cut)

	if busy != 100-readers+400-readers || cut != 2*readers {
		t.Errorf("%v deliveries answered 503 and %v cut off, want %d and %d", busy, cut, 100-readers+400-readers, 2*readers)
	}
	if second[http.StatusServiceUnavailable] < 400-2*readers {
		t.Errorf("of 400 held deliveries %d saw their 503 (answers %v)", second[http.StatusServiceUnavailable], second)
	}
	// Four times the held connections: the peak stays where 64 readers put it.
	if grown := mib(peak400 - peak100); grown > 32 {
		t.Errorf("the peak grew by %.0f MiB from 100 to 400 held deliveries", grown)
	}
	if bound := float64(readers*length) / (1 << 20) * 2; mib(peak400-base) > bound {
		t.Errorf("400 held deliveries took the daemon from %.0f to %.0f MiB, more than twice what 64 readers' bodies hold (%.0f MiB)",
			mib(base), mib(peak400), bound/2)
	}
}
