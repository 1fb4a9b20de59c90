package daemon_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/kassa-pos/kassa/daemon"
	"github.com/kassa-pos/kassa/internal/dbtest"
	"github.com/kassa-pos/kassa/sync/shopify"
	"github.com/kassa-pos/kassa/sync/shopify/shopifyapi"
	"github.com/kassa-pos/kassa/sync/shopifysim"
)

func sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// webhook posts one delivery as Shopify would and returns the status.
func webhook(t testing.TB, url, shop, topic, id string, body []byte, signature string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url+"/webhooks/shopify", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Shopify-Topic", topic)
	req.Header.Set("X-Shopify-Shop-Domain", shop)
	req.Header.Set("X-Shopify-Webhook-Id", id)
	if signature != "" {
		req.Header.Set("X-Shopify-Hmac-Sha256", signature)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// eligible returns the ids of the shop's orders that the rules import (the simulator's
// orders, decoded by kassa's own decoder and classified the way the outcomes say).
func orderIDs(t *testing.T, s *shop) []int64 {
	t.Helper()
	var out []int64
	for _, raw := range s.sim.AllOrders() {
		o, err := shopifyapi.DecodeOrder(raw)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, o.ID)
	}
	return out
}

// noOrderTwice fails when an order became more than one sale.
func noOrderTwice(t *testing.T, s *shop) map[int64]int {
	t.Helper()
	per := salesPerOrder(t, s.db)
	for id, n := range per {
		if n != 1 {
			t.Errorf("order %d became %d sales", id, n)
		}
	}
	return per
}

func TestWebhookSignatureIsCheckedBeforeAnythingIsStored(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	clk := &clock{}
	s := newShop(t, db, 3, "", clk, shopifysim.WebhookOptions{})
	cfg := fastConfig()
	cfg.WebhookMaxBody = 256 << 10
	in := start(t, db, listen(t), cfg, daemon.Deps{Clock: clk.Now, Logger: testLogger(t, nil)})
	body := []byte(s.sim.AllOrders()[2])
	before := dbtest.Counts(t, db)

	for _, c := range []struct {
		name, shop, sig string
		body            []byte
		status          int
	}{
		{"missing signature", s.sim.Shop, "", body, http.StatusUnauthorized},
		{"wrong secret", s.sim.Shop, sign("not-the-secret", body), body, http.StatusUnauthorized},
		{"not base64", s.sim.Shop, "%%%", body, http.StatusUnauthorized},
		{"signature of another body", s.sim.Shop, sign(s.sim.Secret, append([]byte(" "), body...)), body, http.StatusUnauthorized},
		{"unknown shop", "other.myshopify.com", sign(s.sim.Secret, body), body, http.StatusUnauthorized},
		{"too large", s.sim.Shop, sign(s.sim.Secret, bytes.Repeat([]byte("x"), 300<<10)), bytes.Repeat([]byte("x"), 300<<10), http.StatusRequestEntityTooLarge},
	} {
		if got := webhook(t, in.url, c.shop, "orders/create", "w-"+c.name, c.body, c.sig); got != c.status {
			t.Errorf("%s: %d, want %d", c.name, got, c.status)
		}
	}
	dbtest.Unchanged(t, db, before)
	for result, want := range map[string]float64{"bad_signature": 4, "unknown_shop": 1, "too_large": 1, "accepted": 0} {
		if got := labelled(t, in.d, "kassa_webhook_deliveries_total", "result", result); got != want {
			t.Errorf("kassa_webhook_deliveries_total{result=%q} = %v, want %v", result, got, want)
		}
	}

	if got := webhook(t, in.url, s.sim.Shop, "orders/create", "w-good", body, sign(s.sim.Secret, body)); got != http.StatusOK {
		t.Fatalf("good signature: %d", got)
	}
	if got := labelled(t, in.d, "kassa_webhook_deliveries_total", "result", "accepted"); got != 1 {
		t.Errorf("accepted deliveries counted %v, want 1", got)
	}
	waitFor(t, "the delivery is processed", func() bool {
		return countRows(t, db, `SELECT count(*) FROM webhook_deliveries WHERE processed_at IS NOT NULL`) == 1
	}, in)
	var stored []byte
	if err := db.Get(&stored, `SELECT body FROM webhook_deliveries WHERE webhook_id = 'w-good'`); err != nil || !bytes.Equal(stored, body) {
		t.Fatalf("stored body differs from the delivered one (%v)", err)
	}
	o, _ := shopifyapi.DecodeOrder(body)
	var outcome string
	if err := db.Get(&outcome, `SELECT outcome FROM import_outcomes WHERE shopify_order_id = $1`, o.ID); err != nil {
		t.Fatalf("the webhook's order has no import outcome: %v", err)
	}
	if n := countRows(t, db, `SELECT count(*) FROM import_runs WHERE mode = 'webhook' AND trigger = 'webhook'`); n != 1 {
		t.Fatalf("%d webhook runs", n)
	}
}

// TestSameDeliveryThreeTimesAndOutOfOrder sends one delivery three times, and an order's
// orders/updated before its orders/create: each order becomes one sale.
func TestSameDeliveryThreeTimesAndOutOfOrder(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	clk := &clock{}
	s := newShop(t, db, 0, "", clk, shopifysim.WebhookOptions{})
	in := start(t, db, listen(t), fastConfig(), daemon.Deps{Clock: clk.Now, Logger: testLogger(t, nil)})
	var bodies [][]byte
	for range 2 {
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
	for range 3 {
		if got := webhook(t, in.url, s.sim.Shop, "orders/create", "same-id", bodies[0], sign(s.sim.Secret, bodies[0])); got != http.StatusOK {
			t.Fatalf("delivery: %d", got)
		}
	}
	if got := webhook(t, in.url, s.sim.Shop, "orders/updated", "upd-1", bodies[1], sign(s.sim.Secret, bodies[1])); got != http.StatusOK {
		t.Fatalf("updated: %d", got)
	}
	if got := webhook(t, in.url, s.sim.Shop, "orders/create", "create-1", bodies[1], sign(s.sim.Secret, bodies[1])); got != http.StatusOK {
		t.Fatalf("create: %d", got)
	}
	waitFor(t, "every delivery is processed", func() bool {
		return countRows(t, db, `SELECT count(*) FROM webhook_deliveries WHERE processed_at IS NULL`) == 0
	}, in)
	if n := countRows(t, db, `SELECT count(*) FROM webhook_deliveries`); n != 3 {
		t.Fatalf("%d deliveries stored, want 3 (the repeated one once)", n)
	}
	per := noOrderTwice(t, s)
	if len(per) != 2 {
		t.Fatalf("%d orders imported, want 2", len(per))
	}
	for _, b := range bodies {
		o, _ := shopifyapi.DecodeOrder(b)
		var sales int
		if err := db.Get(&sales, `SELECT count(*) FROM sales WHERE receipt_number = $1`, o.Name); err != nil || sales != 1 {
			t.Fatalf("order %s: %d sales (%v)", o.Name, sales, err)
		}
	}
}

// TestWebhooksPollsAndManualRunsRace imports the same orders by webhook (delivered three
// times each, shuffled), by polls and by Get all runs at once: every order becomes one
// sale, and no secret reaches the logs.
func TestWebhooksPollsAndManualRunsRace(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	ctx := context.Background()
	clk := &clock{}
	ln := listen(t)
	s := newShop(t, db, 60, "http://"+ln.Addr().String()+"/webhooks/shopify", clk,
		shopifysim.WebhookOptions{Copies: 3, Shuffle: true, ShuffleSeed: 5})
	if _, err := db.Exec(`UPDATE shopify_connections SET auto_update = true, poll_interval = '10 seconds'`); err != nil {
		t.Fatal(err)
	}
	logs := &logBuffer{}
	in := start(t, db, ln, fastConfig(), daemon.Deps{Clock: clk.Now, Logger: testLogger(t, logs)})
	tok := token(t, db, "till", daemon.RoleCashier)

	// New orders arrive (webhooks) while Get all runs are asked for and the poll keeps
	// coming due.
	done := make(chan struct{})
	var refused atomic.Int64
	go func() {
		defer close(done)
		for i := range 20 {
			if _, err := s.sim.NewOrder(); err != nil {
				t.Error(err)
				return
			}
			clk.Advance(11 * 1e9)
			if i%5 == 0 {
				code, _ := apiPost(t, in.url, tok, "/api/v1/imports", `{"mode":"all"}`)
				if code == http.StatusConflict {
					refused.Add(1)
				} else if code != http.StatusAccepted {
					t.Errorf("start import: %d", code)
				}
			}
		}
	}()
	<-done
	if err := s.sim.WaitWebhooks(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "every delivery is processed", func() bool {
		return countRows(t, db, `SELECT count(*) FROM webhook_deliveries WHERE processed_at IS NULL`) == 0
	}, in)
	// A last Get all, after everything arrived, imports nothing new.
	code, body := apiPost(t, in.url, tok, "/api/v1/imports", `{"mode":"all"}`)
	for code == http.StatusConflict {
		code, body = apiPost(t, in.url, tok, "/api/v1/imports", `{"mode":"all"}`)
	}
	if code != http.StatusAccepted {
		t.Fatalf("last Get all: %d %s", code, body)
	}
	var run struct {
		RunID int64 `json:"run_id"`
	}
	json.Unmarshal([]byte(body), &run)
	waitFor(t, "the last run ends", func() bool {
		return countRows(t, db, `SELECT count(*) FROM import_runs WHERE id = $1 AND status <> 'running'`, run.RunID) == 1
	}, in)
	if n := countRows(t, db, `SELECT imported FROM import_runs WHERE id = $1`, run.RunID); n != 0 {
		t.Errorf("the last Get all imported %d orders: an earlier import missed them", n)
	}
	per := noOrderTwice(t, s)
	var imported int
	if err := db.Get(&imported, `SELECT count(DISTINCT shopify_order_id) FROM import_outcomes WHERE outcome = 'imported'`); err != nil {
		t.Fatal(err)
	}
	if imported != len(per) || imported < 40 {
		t.Fatalf("%d orders imported, %d sales", imported, len(per))
	}
	if n := countRows(t, db, `SELECT count(*) FROM sales`); n != len(per) {
		t.Fatalf("%d sales for %d orders", n, len(per))
	}
	for _, id := range orderIDs(t, s) {
		var outcomes int
		if err := db.Get(&outcomes, `SELECT count(*) FROM import_outcomes WHERE shopify_order_id = $1`, id); err != nil || outcomes == 0 {
			t.Errorf("order %d was never seen (%v)", id, err)
		}
	}
	kinds := map[string]int{}
	var rows []struct {
		Trigger string `db:"trigger"`
		N       int    `db:"n"`
	}
	if err := db.Select(&rows, `SELECT trigger, count(*) AS n FROM import_runs GROUP BY trigger`); err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		kinds[r.Trigger] = r.N
	}
	if kinds["webhook"] == 0 || kinds["poll"] == 0 || kinds["api"] == 0 {
		t.Fatalf("runs by trigger %v: the race did not involve webhooks, polls and manual runs", kinds)
	}
	t.Logf("runs by trigger %v, %d manual runs refused while another ran", kinds, refused.Load())

	in.stop(t)
	out := logs.String()
	for name, secret := range map[string]string{"API token": tok, "access token": s.sim.Token, "webhook secret": s.sim.Secret} {
		if strings.Contains(out, secret) {
			t.Errorf("the %s appears in the daemon's log", name)
		}
	}
	if !strings.Contains(out, "import ended") {
		t.Fatalf("the log holds no import lines: %.300s", out)
	}
}

func apiPost(t *testing.T, url, tok, path, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	return resp.StatusCode, b.String()
}

// blockingImporter stands for an import cut short: it signals that it started, then
// waits for its context to end, as a real import does when the daemon stops.
type blockingImporter struct {
	daemon.Importer
	entered chan struct{}
}

func (b *blockingImporter) ImportOrders(ctx context.Context, _ int64, _ []shopifyapi.Order, _ shopify.RunOptions) (shopify.Summary, error) {
	select {
	case b.entered <- struct{}{}:
	default:
	}
	<-ctx.Done()
	return shopify.Summary{}, ctx.Err()
}

// TestStoppedMidProcessingThenRestarted stops a daemon while it processes deliveries:
// they stay unprocessed, not failed, and the next daemon processes each once.
func TestStoppedMidProcessingThenRestarted(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	clk := &clock{}
	s := newShop(t, db, 0, "", clk, shopifysim.WebhookOptions{})
	blocking := &blockingImporter{entered: make(chan struct{}, 1)}
	first := start(t, db, listen(t), fastConfig(), daemon.Deps{Clock: clk.Now, Logger: testLogger(t, nil), Importer: blocking})
	for i := range 5 {
		o, err := s.sim.NewOrder()
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := s.sim.Order(o.ID)
		if got := webhook(t, first.url, s.sim.Shop, "orders/create", "d-"+strconv.Itoa(i), raw, sign(s.sim.Secret, raw)); got != http.StatusOK {
			t.Fatalf("delivery %d: %d", i, got)
		}
	}
	<-blocking.entered
	first.stop(t)
	if n := countRows(t, db, `SELECT count(*) FROM webhook_deliveries WHERE processed_at IS NULL AND attempts = 0 AND last_error = ''`); n != 5 {
		t.Fatalf("%d of 5 deliveries left untouched for the next start", n)
	}
	if n := countRows(t, db, `SELECT count(*) FROM sales`); n != 0 {
		t.Fatalf("%d sales before the restart", n)
	}

	restarted := start(t, db, listen(t), fastConfig(), daemon.Deps{Clock: clk.Now, Logger: testLogger(t, nil)})
	waitFor(t, "the restarted daemon processes the deliveries", func() bool {
		return countRows(t, db, `SELECT count(*) FROM webhook_deliveries WHERE processed_at IS NULL`) == 0
	}, restarted)
	if n := countRows(t, db, `SELECT count(*) FROM webhook_deliveries WHERE attempts = 1`); n != 5 {
		t.Fatalf("%d deliveries processed in one attempt, want 5", n)
	}
	per := noOrderTwice(t, s)
	var outcomes int
	if err := db.Get(&outcomes, `SELECT count(*) FROM import_outcomes`); err != nil || outcomes != 5 {
		t.Fatalf("%d outcomes for 5 orders (%v)", outcomes, err)
	}
	t.Logf("%d orders became sales", len(per))
}

// failingImporter fails its first n webhook imports, then hands over to the real one.
type failingImporter struct {
	daemon.Importer
	left atomic.Int64
}

func (f *failingImporter) ImportOrders(ctx context.Context, id int64, orders []shopifyapi.Order, o shopify.RunOptions) (shopify.Summary, error) {
	if f.left.Add(-1) >= 0 {
		return shopify.Summary{}, context.DeadlineExceeded
	}
	return f.Importer.ImportOrders(ctx, id, orders, o)
}

// TestFailedDeliveryIsRetriedAndAnUninstallDisablesTheConnection keeps a failed delivery
// with its error, retries it with back-off until it succeeds, and disables the connection
// when the app is uninstalled.
func TestFailedDeliveryIsRetriedAndAnUninstallDisablesTheConnection(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	clk := &clock{}
	s := newShop(t, db, 0, "", clk, shopifysim.WebhookOptions{})
	real := &shopify.Importer{DB: db, Clock: clk.Now, Secrets: dbtest.Secrets()}
	fi := &failingImporter{Importer: real}
	fi.left.Store(2)
	in := start(t, db, listen(t), fastConfig(), daemon.Deps{Clock: clk.Now, Logger: testLogger(t, nil), Importer: fi})
	o, err := s.sim.NewOrder()
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := s.sim.Order(o.ID)
	if got := webhook(t, in.url, s.sim.Shop, "orders/create", "retry-me", raw, sign(s.sim.Secret, raw)); got != http.StatusOK {
		t.Fatal(got)
	}
	waitFor(t, "the delivery succeeds on its third attempt", func() bool {
		return countRows(t, db, `SELECT count(*) FROM webhook_deliveries WHERE processed_at IS NOT NULL AND attempts = 3`) == 1
	}, in)
	if n := countRows(t, db, `SELECT count(*) FROM sales`); n != 1 {
		t.Fatalf("%d sales", n)
	}
	s.sim.Subscribe(shopifysim.TopicAppUninstalled, in.url+"/webhooks/shopify")
	if n := s.sim.Uninstall(); n != 1 {
		t.Fatalf("the uninstall sent %d webhooks", n)
	}
	waitFor(t, "the connection is disabled", func() bool {
		return countRows(t, db, `SELECT count(*) FROM shopify_connections WHERE NOT enabled`) == 1
	}, in)
}

// TestProcessedDeliveriesArePrunedAfterTheRetention deletes processed deliveries older
// than the retention at start, and keeps unprocessed and recent ones.
func TestProcessedDeliveriesArePrunedAfterTheRetention(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	clk := &clock{}
	s := newShop(t, db, 0, "", clk, shopifysim.WebhookOptions{})
	now := clk.Now()
	for id, processed := range map[string]any{"old": now.AddDate(0, 0, -31), "recent": now.AddDate(0, 0, -29)} {
		if _, err := db.Exec(`INSERT INTO webhook_deliveries (connection_id, webhook_id, topic, body, received_at, processed_at)
			VALUES ($1, $2, 'orders/create', '{}', $3, $3)`, s.conn.ID, id, processed); err != nil {
			t.Fatal(err)
		}
	}
	in := start(t, db, listen(t), fastConfig(), daemon.Deps{Clock: clk.Now, Logger: testLogger(t, nil)})
	waitFor(t, "the old delivery is pruned", func() bool {
		return countRows(t, db, `SELECT count(*) FROM webhook_deliveries WHERE webhook_id = 'old'`) == 0
	}, in)
	if n := countRows(t, db, `SELECT count(*) FROM webhook_deliveries WHERE webhook_id = 'recent'`); n != 1 {
		t.Fatalf("the recent delivery was pruned too")
	}
}

// TestKeptDeliveriesAreActedOn: a refunds/create delivery an earlier version of kassa kept
// unprocessed is queued again at start; its order is fetched as it stands and the refund
// becomes a return of the sale, once, however often the delivery comes.
func TestKeptDeliveriesAreActedOn(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	clk := &clock{}
	s := newShop(t, db, 12, "", clk, shopifysim.WebhookOptions{})
	ctx := context.Background()
	im := &shopify.Importer{DB: db, Secrets: dbtest.Secrets(), Clock: clk.Now}
	if _, err := im.Run(ctx, s.conn.ID, shopify.RunOptions{Mode: shopify.ModeAll}); err != nil {
		t.Fatal(err)
	}
	// A paid sale with a product line of at least one unit.
	var pick struct {
		OrderID int64  `db:"external_id"`
		SKU     string `db:"sku"`
	}
	if err := db.Get(&pick, `SELECT x.external_id, l.sku FROM sale_external_ids x JOIN sales s ON s.id = x.sale_id
		JOIN sale_lines l ON l.sale_id = s.id AND l.kind = 'product' AND l.sku <> ''
		WHERE s.balance = 0 ORDER BY x.external_id, l.line_no LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	// Shopify refunds one unit of that line without restock.
	var refundBody []byte
	if _, err := s.sim.UpdateOrder(pick.OrderID, func(m map[string]any) {
		var line map[string]any
		for _, li := range m["line_items"].([]any) {
			if l := li.(map[string]any); l["sku"] == pick.SKU && line == nil {
				line = l
			}
		}
		refund := map[string]any{"id": 88001, "order_id": pick.OrderID, "created_at": m["updated_at"], "processed_at": m["updated_at"],
			"note": "broken", "restock": false,
			"refund_line_items": []any{map[string]any{"id": 88002, "line_item_id": line["id"], "quantity": 1, "restock_type": "no_restock",
				"subtotal": line["price"], "total_tax": 0}},
			"transactions":      []any{map[string]any{"id": 88003, "kind": "refund", "status": "success", "amount": line["price"], "gateway": "shopify_payments"}},
			"order_adjustments": []any{}}
		m["refunds"] = []any{refund}
		refundBody, _ = json.Marshal(refund)
	}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"kept-refund-1", "kept-refund-2"} {
		if _, err := db.Exec(`INSERT INTO webhook_deliveries (connection_id, webhook_id, topic, body, received_at, attempts, last_error)
			VALUES ($1, $2, 'refunds/create', $3, now(), 1, 'kept: kassa stores refunds/create deliveries and acts on them in a later version')`,
			s.conn.ID, id, refundBody); err != nil {
			t.Fatal(err)
		}
	}
	in := start(t, db, listen(t), fastConfig(), daemon.Deps{Clock: clk.Now, Logger: testLogger(t, nil)})
	waitFor(t, "the kept deliveries are processed", func() bool {
		return countRows(t, db, `SELECT count(*) FROM webhook_deliveries WHERE processed_at IS NOT NULL AND webhook_id LIKE 'kept-refund-%'`) == 2
	}, in)
	var docs []struct {
		Receipt string `db:"receipt_number"`
		Qty     int    `db:"quantity"`
		Restock bool   `db:"restock"`
		Money   string `db:"refunded"`
	}
	if err := db.Select(&docs, `SELECT r.receipt_number, l.quantity, l.restock,
			(SELECT sum(f.amount)::text FROM refunds f WHERE f.return_id = r.id) AS refunded
		FROM sale_returns r JOIN sale_return_lines l ON l.return_id = r.id
		WHERE r.external_channel = 'shopify' AND r.external_id = 88001`); err != nil {
		t.Fatal(err)
	}
	if len(docs) != 1 || docs[0].Qty != -1 || docs[0].Restock || !strings.HasSuffix(docs[0].Receipt, "-R1") || !strings.HasPrefix(docs[0].Money, "-") {
		t.Fatalf("the refund's documents: %+v", docs)
	}
}

// TestBulkFinishWebhookIsCheckedAndNotStored delivers bulk_operations/finish: a signed body
// naming a bulk operation is answered 200 and wakes the Get all waiting for it (nothing to
// store: the run reads the operation's state from Shopify); a body that is not a bulk
// operation is refused.
func TestBulkFinishWebhookIsCheckedAndNotStored(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	clk := &clock{}
	s := newShop(t, db, 1, "", clk, shopifysim.WebhookOptions{})
	in := start(t, db, listen(t), fastConfig(), daemon.Deps{Clock: clk.Now, Logger: testLogger(t, nil)})
	before := dbtest.Counts(t, db)
	good := []byte(`{"admin_graphql_api_id":"gid://shopify/BulkOperation/7000000000001","completed_at":"2026-12-03T08:00:00Z",` +
		`"created_at":"2026-12-03T07:59:00Z","error_code":null,"status":"completed","type":"query"}`)
	order := []byte(s.sim.AllOrders()[0])
	if got := webhook(t, in.url, s.sim.Shop, "bulk_operations/finish", "b-order", order, sign(s.sim.Secret, order)); got != http.StatusBadRequest {
		t.Errorf("an order sent as bulk_operations/finish: %d, want 400", got)
	}
	if got := webhook(t, in.url, s.sim.Shop, "bulk_operations/finish", "b-good", good, sign(s.sim.Secret, good)); got != http.StatusOK {
		t.Errorf("bulk_operations/finish: %d, want 200", got)
	}
	dbtest.Unchanged(t, db, before)
	if got := labelled(t, in.d, "kassa_webhook_deliveries_total", "result", "accepted"); got != 1 {
		t.Errorf("accepted deliveries counted %v, want 1", got)
	}
}
