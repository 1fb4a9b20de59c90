package soak

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kassa-pos/kassa/daemon"
	"github.com/kassa-pos/kassa/daemon/client"
	"github.com/kassa-pos/kassa/internal/dbtest"
	"github.com/kassa-pos/kassa/sync/shopify"
	"github.com/kassa-pos/kassa/sync/shopify/shopifyapi"
	"github.com/kassa-pos/kassa/sync/shopifysim"
	"github.com/kassa-pos/kassa/sync/shopifysim/shopdata"
)

// changes counts what changeOrders did to the shop's orders, and the edits by order for
// the checker.
type changes struct {
	refunds, restocked, elsewhere, shipping, cancels, edits, refused int
	edited                                                           map[int64]int
}

func (c changes) String() string {
	return fmt.Sprintf("%d refunds (%d restocking here, %d restocking at another location, %d with shipping), %d cancellations, %d edits",
		c.refunds, c.restocked, c.elsewhere, c.shipping, c.cancels, c.edits)
}

// otherLocation is a Shopify location that is not the connection's: goods restocked there
// do not come back to the outlet.
const otherLocation = shopifysim.DefaultLocationID + 1000

// changeOrder makes one random change to order id as Shopify's staff would: a refund of
// some units (restocked here, at another location or not at all, sometimes with the
// shipping), a cancellation (restocked or not), or an edit taking units off a line.
// Orders already cancelled, or with nothing left to change, are passed over.
func changeOrder(sim *shopifysim.Server, id int64, rnd *rand.Rand, c *changes) error {
	raw, err := sim.Order(id)
	if err != nil {
		return err
	}
	o, err := shopifyapi.DecodeOrder(raw)
	if err != nil {
		return err
	}
	var left []shopifyapi.LineItem
	for _, li := range o.LineItems {
		if currentQuantity(li) > 0 {
			left = append(left, li)
		}
	}
	if !o.CancelledAt.IsZero() || len(left) == 0 {
		c.refused++
		return nil
	}
	li := left[rnd.IntN(len(left))]
	n := 1 + rnd.IntN(int(currentQuantity(li)))
	switch k := rnd.IntN(10); {
	case k < 5:
		rl := shopifysim.RefundLine{LineItemID: li.ID, Quantity: n, RestockType: []string{"return", "cancel", "no_restock"}[rnd.IntN(3)]}
		if rl.RestockType != "no_restock" {
			switch rnd.IntN(3) {
			case 0:
				rl.LocationID = shopifysim.DefaultLocationID
			case 1:
				rl.LocationID = otherLocation
			}
			if rl.LocationID == otherLocation {
				c.elsewhere++
			} else {
				c.restocked++
			}
		}
		req := shopifysim.RefundRequest{Lines: []shopifysim.RefundLine{rl}, Shipping: rnd.IntN(4) == 0, Note: "soak <b>refund</b>"}
		if _, err := sim.RefundOrder(id, req); err != nil {
			return err
		}
		c.refunds++
		if req.Shipping {
			c.shipping++
		}
	case k < 7:
		if _, err := sim.CancelOrder(id, rnd.IntN(2) == 0, "customer"); err != nil {
			return err
		}
		c.cancels++
	default:
		if _, err := sim.EditOrder(id, shopifysim.EditRequest{Quantities: map[int64]int{li.ID: int(currentQuantity(li)) - n}}); err != nil {
			return err
		}
		c.edits++
		c.edited[id]++
	}
	return nil
}

// importedOrders lists the orders of the env's shop that are sales, in order.
func importedOrders(t testing.TB, e *env) []int64 {
	t.Helper()
	var ids []int64
	if err := e.db.Select(&ids, `SELECT external_id FROM sale_external_ids WHERE channel = 'shopify' AND shop = $1 ORDER BY external_id`, e.conn.Shop); err != nil {
		t.Fatal(err)
	}
	return ids
}

// TestCheckerKnowsChanges imports a small shop, changes some of its orders in Shopify
// (refunds, cancellations, edits), lets a Get all record them, and expects the checker to
// find the end state exact; then plants each kind of drift the after-import rules guard
// against and expects the checker to name it.
func TestCheckerKnowsChanges(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, shopifysim.Options{Generate: &shopdata.GenerateOptions{Seed: 6, Orders: 120, Days: 40}}, false)
	// The connection names the shop's location: goods restocked elsewhere stay out.
	if _, err := e.db.Exec(`UPDATE shopify_connections SET location_id = $1`, shopifysim.DefaultLocationID); err != nil {
		t.Fatal(err)
	}
	im := &shopify.Importer{DB: e.db, Secrets: dbtest.Secrets()}
	if _, err := im.Run(ctx, e.conn.ID, shopify.RunOptions{Mode: shopify.ModeAll}); err != nil {
		t.Fatal(err)
	}
	rnd := newRand(16)
	ch := changes{edited: map[int64]int{}}
	ids := importedOrders(t, e)
	for i, id := range ids[:len(ids)-1] {
		// Every order twice or more (a refund then a cancellation...), the last one never.
		for range 1 + i%3 {
			if err := changeOrder(e.sim, id, rnd, &ch); err != nil && !errors.Is(err, shopifysim.ErrChange) {
				t.Fatal(err)
			}
		}
	}
	if ch.refunds == 0 || ch.cancels == 0 || ch.edits == 0 || ch.elsewhere == 0 {
		t.Fatalf("the changes should hold every kind: %s", ch)
	}
	if _, err := im.Run(ctx, e.conn.ID, shopify.RunOptions{Mode: shopify.ModeAll}); err != nil {
		t.Fatal(err)
	}
	chk := e.checker(time.Minute)
	chk.Edits, chk.LocationID = ch.edited, shopifysim.DefaultLocationID
	res, err := chk.Check(ctx, e.sim.AllOrders())
	if err != nil {
		t.Fatal(err)
	}
	if err := res.Err(); err != nil {
		t.Fatalf("after %s: %v", ch, err)
	}
	if n := count(t, e.db, `SELECT count(*) FROM sale_returns`); n < ch.refunds {
		t.Fatalf("%d documents for %s", n, ch)
	}

	// A document of each kind to plant drift on.
	doc := func(where string) (id, saleID int64) {
		t.Helper()
		row := e.db.QueryRow(`SELECT r.id, r.sale_id FROM sale_returns r WHERE ` + where + ` ORDER BY r.id LIMIT 1`)
		if err := row.Scan(&id, &saleID); err != nil {
			t.Fatalf("a document %s: %v", where, err)
		}
		return id, saleID
	}
	refundDoc, _ := doc(`r.external_id IS NOT NULL AND EXISTS (SELECT 1 FROM sale_return_lines l WHERE l.return_id = r.id AND l.quantity < 0)`)
	_, noRestockSale := doc(`EXISTS (SELECT 1 FROM sale_return_lines l JOIN sale_lines sl ON sl.id = l.sale_line_id
		JOIN products p ON p.id = sl.product_id WHERE l.return_id = r.id AND NOT l.restock AND l.quantity < 0 AND p.tracks_stock)`)
	_, owingSale := doc(`r.kind = 'write_off'`)

	// Documents never change: drift is planted around the triggers, as a bug in the
	// importer or a hand edit would leave it.
	plant := func(sql string) {
		t.Helper()
		if _, err := e.db.Exec(`SET session_replication_role = replica; ` + sql + `; RESET session_replication_role`); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	// Each plant must add the problems it wants (the earlier plants' stay).
	before := map[string]bool{}
	for _, tc := range []struct {
		name  string
		plant func()
		want  []string
	}{
		{"a refund Shopify made that kassa never recorded", func() {
			last := ids[len(ids)-1]
			raw, err := e.sim.Order(last)
			if err != nil {
				t.Fatal(err)
			}
			o, err := shopifyapi.DecodeOrder(raw)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.sim.RefundOrder(last, shopifysim.RefundRequest{Lines: []shopifysim.RefundLine{
				{LineItemID: o.LineItems[0].ID, Quantity: 1, RestockType: "return"}}}); err != nil {
				t.Fatal(err)
			}
		}, []string{"has no return", "total with its documents", "given back 0"}},
		{"a refund recorded twice", func() {
			plant(fmt.Sprintf(`INSERT INTO sale_returns (sale_id, seq, receipt_number, kind, source, outlet_id, register_id, returned_at, reason,
					subtotal, shipping, tax_total, total, recorded_by)
				SELECT r.sale_id, m.seq + 1, s.receipt_number || '-R' || (m.seq + 1), r.kind, r.source, r.outlet_id, r.register_id, r.returned_at,
					r.reason, r.subtotal, r.shipping, r.tax_total, r.total, r.recorded_by
				FROM sale_returns r JOIN sales s ON s.id = r.sale_id, LATERAL (SELECT max(seq) AS seq FROM sale_returns x WHERE x.sale_id = r.sale_id) m
				WHERE r.id = %d;
				INSERT INTO sale_return_lines (return_id, line_no, sale_line_id, kind, title, quantity, amount, tax, restock)
				SELECT (SELECT max(id) FROM sale_returns), line_no, sale_line_id, kind, title, quantity, amount, tax, false
				FROM sale_return_lines WHERE return_id = %d`, refundDoc, refundDoc))
		}, []string{"total with its documents"}},
		{"goods restocked that Shopify did not restock", func() {
			plant(fmt.Sprintf(`INSERT INTO stock_movements (product_id, outlet_id, delta, reason, return_line_id)
				SELECT sl.product_id, r.outlet_id, -l.quantity, 'return', l.id
				FROM sale_return_lines l JOIN sale_returns r ON r.id = l.return_id JOIN sale_lines sl ON sl.id = l.sale_line_id
					JOIN products p ON p.id = sl.product_id
				WHERE r.sale_id = %d AND NOT l.restock AND l.quantity < 0 AND p.tracks_stock ORDER BY l.id LIMIT 1;
				UPDATE stock_levels s SET on_hand = on_hand + (SELECT m.delta FROM stock_movements m WHERE m.id = (SELECT max(id) FROM stock_movements))
				WHERE (s.product_id, s.outlet_id) = (SELECT product_id, outlet_id FROM stock_movements WHERE id = (SELECT max(id) FROM stock_movements))`,
				noRestockSale))
		}, []string{"stock of", "stock movements back of document lines not restocked"}},
		{"a cancelled order's balance left owed", func() {
			plant(fmt.Sprintf(`UPDATE sales SET balance = balance + 1.00 WHERE id = %d`, owingSale))
		}, []string{"balance 1.00, Shopify 0.00"}},
	} {
		tc.plant()
		res, err := chk.Check(ctx, e.sim.AllOrders())
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range tc.want {
			found := false
			for _, p := range res.Problems {
				found = found || (!before[p] && strings.Contains(p, want))
			}
			if !found {
				t.Errorf("%s: the checker found %v, want a new problem saying %q", tc.name, res.Problems, want)
			}
		}
		for _, p := range res.Problems {
			before[p] = true
		}
	}
}

// soakChangeRace imports a shop through a daemon, then refunds, cancels and edits a few
// hundred of its imported orders in Shopify while their webhooks (three copies each,
// shuffled), polls (Get new, which reads by update time), manual Get all runs and
// `kassa shopify reconcile --fix` race to record them; new orders keep coming in. Every
// change must become one document: the checker knows each refund, edit and cancellation.
func soakChangeRace(t *testing.T) (string, bool) {
	clk := &clock{}
	ln := listen(t)
	e := newEnv(t, shopifysim.Options{
		Clock:      clk.Now,
		Generate:   &shopdata.GenerateOptions{Seed: 101, Orders: 1000, Days: 50},
		WebhookURL: "http://" + ln.Addr().String() + "/webhooks/shopify",
		Webhooks:   shopifysim.WebhookOptions{Copies: 3, Shuffle: true, ShuffleSeed: 17},
	}, true)
	if _, err := e.db.Exec(`UPDATE shopify_connections SET poll_interval = '10 seconds', location_id = $1`, shopifysim.DefaultLocationID); err != nil {
		t.Fatal(err)
	}
	in := startDaemon(t, e.db, ln, clk.Now)
	tok, _, err := daemon.TokenStore{}.Create(context.Background(), e.db, "soak", daemon.RoleCashier)
	if err != nil {
		t.Fatal(err)
	}
	cl := client.New(in.url, tok)
	ctx := context.Background()
	getAll := func() client.ImportRun {
		t.Helper()
		var run client.ImportRun
		waitFor(t, "a Get all run starts", 3*time.Minute, func() bool {
			run, err = cl.StartImport(ctx, client.ImportRequest{Mode: "all"})
			return err == nil
		})
		run, err = cl.WaitImport(ctx, run.RunID, 50*time.Millisecond)
		if err != nil || run.Status != "finished" {
			t.Fatalf("Get all: %+v %v", run, err)
		}
		return run
	}
	getAll()
	ids := importedOrders(t, e)
	rnd := newRand(20)
	rnd.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	const targets = 300
	ids = ids[:min(targets, len(ids))]

	// Reconciliation with --fix runs over and over while the shop changes, as the
	// nightly run or staff would.
	im := &shopify.Importer{DB: e.db, Secrets: dbtest.Secrets(), Clock: clk.Now}
	reconcile := func(fix bool) shopify.Reconciliation {
		now := clk.Now()
		rec, err := im.Reconcile(ctx, e.conn.ID, shopify.ReconcileOptions{From: now.Add(-70 * 24 * time.Hour), To: now.Add(time.Hour), Fix: fix})
		if err != nil {
			t.Errorf("reconcile: %v", err)
		}
		return rec
	}
	done := make(chan struct{})
	reconciled := make(chan int)
	go func() {
		n := 0
		for {
			select {
			case <-done:
				reconciled <- n
				return
			default:
			}
			reconcile(true)
			n++
		}
	}()

	ch := changes{edited: map[int64]int{}}
	manual, refused, placed := 0, 0, 0
	start := time.Now()
	for i, id := range ids {
		// One change, or two or three in a row before anything is recorded.
		for range 1 + rnd.IntN(3) {
			if err := changeOrder(e.sim, id, rnd, &ch); err != nil && !errors.Is(err, shopifysim.ErrChange) {
				t.Fatal(err)
			}
		}
		if i%3 == 0 {
			if _, err := e.sim.NewOrder(); err != nil {
				t.Fatal(err)
			}
			placed++
		}
		clk.Advance(2 * time.Second) // a poll comes due every few changes
		if i%25 == 0 {
			_, err := cl.StartImport(ctx, client.ImportRequest{Mode: "all"})
			switch {
			case err == nil:
				manual++
			case client.StatusOf(err) == http.StatusConflict:
				refused++
			default:
				t.Fatalf("start a Get all run: %v", err)
			}
		}
	}
	wctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	if err := e.sim.WaitWebhooks(wctx); err != nil {
		t.Fatalf("webhooks not delivered: %v", err)
	}
	waitFor(t, "every delivery is processed", 5*time.Minute, func() bool {
		return count(t, e.db, `SELECT count(*) FROM webhook_deliveries WHERE processed_at IS NULL`) == 0
	})
	close(done)
	runs := <-reconciled
	// Once the last changes' second is past, a reconciliation records what two changes
	// made within one second left (kassa cannot tell their webhook bodies apart); then a
	// last Get all and a reconciliation find nothing left.
	clk.Advance(10 * time.Second)
	reconcile(true)
	runs++
	last := getAll()
	left := reconcile(false)
	res := func() Result {
		chk := e.checker(time.Since(start) + time.Duration(clk.offset.Load()) + time.Minute)
		chk.Edits, chk.LocationID = ch.edited, shopifysim.DefaultLocationID
		res, err := chk.Check(ctx, e.sim.AllOrders())
		if err != nil {
			t.Fatal(err)
		}
		if err := res.Err(); err != nil {
			t.Error(err)
		}
		return res
	}()
	var docs []string
	if err := e.db.Select(&docs, `SELECT kind || ' ' || count(*) FROM sale_returns GROUP BY kind ORDER BY kind`); err != nil {
		t.Fatal(err)
	}
	var outcomes []string
	if err := e.db.Select(&outcomes, `SELECT outcome || ' ' || count(*) FROM import_outcomes WHERE outcome IN ('updated', 'needs_review')
		GROUP BY outcome ORDER BY outcome`); err != nil {
		t.Fatal(err)
	}
	if n := count(t, e.db, `SELECT count(*) FROM import_outcomes WHERE outcome = 'needs_review'`); n > 0 {
		var why []string
		_ = e.db.Select(&why, `SELECT order_name || ': ' || reason FROM import_outcomes WHERE outcome = 'needs_review' ORDER BY id LIMIT 5`)
		t.Errorf("%d changes left for review, first: %v", n, why)
	}
	missed := last.Outcomes.Imported + last.Outcomes.Updated
	if missed > 0 {
		t.Errorf("the last Get all recorded %d orders or changes the race had missed", missed)
	}
	if len(left.Differences) > 0 {
		t.Errorf("a last reconciliation finds %d differences, first: %+v", len(left.Differences), left.Differences[0])
	}
	ws := e.sim.Stats().Webhooks
	return fmt.Sprintf("%d imported orders changed: %s; %d new orders; %d webhook deliveries, %d reconciliations with --fix, %d manual Get all "+
			"(%d refused while another ran); documents by kind %v, outcomes %v; last Get all recorded %d, last reconciliation %d differences; %s",
			len(ids), ch, placed, ws.Delivered, runs, manual, refused, docs, outcomes, missed, len(left.Differences), describe(res)),
		len(res.Problems) == 0 && missed == 0 && len(left.Differences) == 0 && !t.Failed()
}
