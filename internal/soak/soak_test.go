package soak

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/kassa-pos/kassa/daemon"
	"github.com/kassa-pos/kassa/daemon/client"
	"github.com/kassa-pos/kassa/internal/dbtest"
	"github.com/kassa-pos/kassa/internal/perf"
	"github.com/kassa-pos/kassa/sync/shopify"
	"github.com/kassa-pos/kassa/sync/shopifysim"
	"github.com/kassa-pos/kassa/sync/shopifysim/shopdata"
)

const soakIntro = `
What kassa's end state looks like after faults, kills, races and floods, measured by ` + "`make soak`" + `
(the test ` + "`TestSoak`" + ` in ` + "`internal/soak`" + `, run with ` + "`KASSA_SOAK=1`" + `). Every run rewrites this file.

Each scenario ends with the **checker** (` + "`soak.Checker`" + `): from the simulated shop's orders it
proves the database exact — one sale per order the rules import (orders cancelled before their
import, test, over 60 days old and unshipped orders get none); each sale plus its returns and
adjustments adding up to the order's current total, tax, discounts and quantities, one return per
Shopify refund made after the import, no more adjustments than edits, an order cancelled after its
import fully returned and written off; what Shopify kept and the balance equal to Shopify's (less
what staff took at the register since); every sale's lines adding up to its total; stock equal to
the opening level minus what left (restocks count only at the connection's location) and equal to
its movements; and no orphan sales, lines, taxes, payments or movements.
The checker's rules are written apart from the importer's code. "Exact" in the table means the
checker found nothing; otherwise the first problems are listed.
`

// scenario is one soak scenario; it returns the table row's measured text and its result.
type scenario struct {
	name string
	run  func(t *testing.T) (measured string, exact bool)
}

// TestSoak runs the reliability scenarios, prints the table and rewrites
// docs/RELIABILITY.md. It runs only with KASSA_SOAK=1 (make soak).
func TestSoak(t *testing.T) {
	if os.Getenv("KASSA_SOAK") != "1" {
		t.Skip("set KASSA_SOAK=1 (make soak) to run the reliability scenarios")
	}
	rep := perf.Report{Title: "kassa reliability", Command: "make soak", Machine: perf.DescribeMachine(), Started: time.Now()}
	partial := false
	for _, sc := range []scenario{
		{"2. Faults through a whole backfill: 5 % 5xx, 5 % 429, 2 % dropped connections, 1 % truncated bodies", soakFaults},
		{"5. Webhooks ×3, shuffled, racing with polls and manual Get all runs", soakWebhookRace},
		{"6. 100 concurrent payments from two tokens on the same sales (API)", soakPayments},
		{"7. 10,000 malformed or forged webhooks and API requests", soakFuzz},
		{"1. SIGKILL of `kassa orders get-all` at 20 random moments of a 10,000-order import", soakSigkill},
		{"4. Three `kassa serve` instances; the importing one is killed", soakInstances},
		{"3. PostgreSQL restarted in the middle of an import (private cluster)", soakPostgresRestart},
		{"8. PostgreSQL crashed (pg_ctl -m immediate, fsync on, default synchronous_commit) during a webhook flood", soakCrashFlood},
		{"9. Reports from a streaming replica (pg_basebackup) while the primary imports", soakReplica},
		{"10. PostgreSQL crashed (pg_ctl -m immediate, fsync on) during a Get all read through a GraphQL bulk operation", soakCrashBulk},
		{"11. Access tokens revoked twice in the middle of a Get all, with three `kassa serve` instances (client credentials)", soakTokenExpiry},
		{"12. SIGKILL of `kassa serve` while a counter sale's stock push is in flight (8 times)", soakKillPush},
		{"13. Orders refunded, cancelled and edited in Shopify while webhooks ×3, polls, Get all and reconcile --fix race: one document per change", soakChangeRace},
		{"14. Web orders and counter sales racing on the same products while the stock pusher sets Shopify's available (compare-and-set answered stale)", soakStockRace},
	} {
		var measured string
		exact, ran := false, false
		ok := t.Run(strings.SplitN(sc.name, " ", 2)[0], func(t *testing.T) {
			ran = true
			measured, exact = sc.run(t)
		})
		if !ran {
			// Left out by -run (e.g. -run 'TestSoak/^10\.$' runs scenario 10 alone).
			partial = true
			continue
		}
		verdict := perf.Verdict(ok && exact)
		if measured == "" {
			measured = "did not complete (see the test log)"
		}
		rep.Rows = append(rep.Rows, perf.Row{Figure: sc.name, Measured: measured, Target: "exact end state", Verdict: verdict})
	}
	rep.Took = time.Since(rep.Started)
	fmt.Println(rep.Text())
	if partial {
		t.Log("some scenarios were left out: docs/RELIABILITY.md is left as it was")
		return
	}
	if err := os.MkdirAll("../../docs", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("../../docs/RELIABILITY.md", []byte(rep.Markdown(soakIntro)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// describe renders a checker result for the table.
func describe(res Result) string {
	if len(res.Problems) == 0 {
		return fmt.Sprintf("exact: %d orders, %d importable, %d sales", res.Orders, res.Importable, res.Sales)
	}
	shown := res.Problems
	if len(shown) > 3 {
		shown = shown[:3]
	}
	return fmt.Sprintf("%d problems (%d orders, %d importable, %d sales), first: %s", len(res.Problems), res.Orders,
		res.Importable, res.Sales, strings.Join(shown, "; "))
}

// soakFaults backfills a shop whose API injects faults into every kind of request, and
// runs the import again until a run ends (a run may give up on a request that failed
// every attempt, as it would against Shopify).
func soakFaults(t *testing.T) (string, bool) {
	e := newEnv(t, shopifysim.Options{
		Generate:      &shopdata.GenerateOptions{Seed: 41, Orders: 5000, Days: 65},
		MinRetryAfter: 20 * time.Millisecond,
		Faults:        shopifysim.FaultConfig{Seed: 7, Rate5xx: 0.05, Rate429: 0.05, RateDrop: 0.02, RateTruncate: 0.01},
	}, false)
	im := &shopify.Importer{DB: e.db, Secrets: dbtest.Secrets(), NewSource: fastSource, PageSize: 25}
	runs := 0
	start := time.Now()
	for {
		runs++
		_, err := im.Run(context.Background(), e.conn.ID, shopify.RunOptions{Mode: shopify.ModeAll})
		if err == nil {
			break
		}
		t.Logf("run %d ended with %v; running again", runs, err)
		if runs == 5 {
			t.Fatalf("5 runs failed")
		}
	}
	res := e.check(t, time.Since(start)+time.Minute)
	st := e.sim.Stats()
	return fmt.Sprintf("%d requests, faults injected %v, %d run(s); %s", st.Requests, st.Faults, runs, describe(res)),
		len(res.Problems) == 0
}

// soakWebhookRace places new orders whose webhooks arrive three times each, shuffled,
// while polls come due and manual Get all runs are asked for, on top of a backlog of
// generated orders; then every order must be one sale.
func soakWebhookRace(t *testing.T) (string, bool) {
	clk := &clock{}
	ln := listen(t)
	e := newEnv(t, shopifysim.Options{
		Clock:      clk.Now,
		Generate:   &shopdata.GenerateOptions{Seed: 51, Orders: 1000, Days: 65},
		WebhookURL: "http://" + ln.Addr().String() + "/webhooks/shopify",
		Webhooks:   shopifysim.WebhookOptions{Copies: 3, Shuffle: true, ShuffleSeed: 9},
	}, true)
	if _, err := e.db.Exec(`UPDATE shopify_connections SET poll_interval = '10 seconds'`); err != nil {
		t.Fatal(err)
	}
	in := startDaemon(t, e.db, ln, clk.Now)
	tok, _, err := daemon.TokenStore{}.Create(context.Background(), e.db, "soak", daemon.RoleCashier)
	if err != nil {
		t.Fatal(err)
	}
	cl := client.New(in.url, tok)
	ctx := context.Background()
	const placed = 300
	manual, refused := 0, 0
	start := time.Now()
	for i := range placed {
		if _, err := e.sim.NewOrder(); err != nil {
			t.Fatal(err)
		}
		clk.Advance(3 * time.Second) // a poll comes due every few orders
		if i%20 == 0 {
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
	wctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	if err := e.sim.WaitWebhooks(wctx); err != nil {
		t.Fatalf("webhooks not delivered: %v", err)
	}
	waitFor(t, "every delivery is processed", 3*time.Minute, func() bool {
		return count(t, e.db, `SELECT count(*) FROM webhook_deliveries WHERE processed_at IS NULL`) == 0
	})
	// A last Get all after everything arrived: it must find nothing left to import.
	var last client.ImportRun
	waitFor(t, "a last Get all run starts", 3*time.Minute, func() bool {
		last, err = cl.StartImport(ctx, client.ImportRequest{Mode: "all"})
		return err == nil
	})
	last, err = cl.WaitImport(ctx, last.RunID, 50*time.Millisecond)
	if err != nil || last.Status != "finished" {
		t.Fatalf("last Get all: %+v %v", last, err)
	}
	res := e.check(t, time.Since(start)+time.Duration(clk.offset.Load())+time.Minute)
	var triggers []string
	if err := e.db.Select(&triggers, `SELECT trigger || ' ' || count(*) FROM import_runs GROUP BY trigger ORDER BY trigger`); err != nil {
		t.Fatal(err)
	}
	ws := e.sim.Stats().Webhooks
	missed := last.Outcomes.Imported
	if missed > 0 {
		t.Errorf("the last Get all imported %d orders the race had missed", missed)
	}
	return fmt.Sprintf("%d new orders, %d webhook deliveries (%d stored once), runs by trigger %v, %d manual runs refused while another ran, "+
			"last Get all imported %d; %s", placed, ws.Delivered, count(t, e.db, `SELECT count(*) FROM webhook_deliveries`), triggers, refused,
			missed, describe(res)),
		len(res.Problems) == 0 && missed == 0
}

// soakPayments sends 100 payments at once from two terminals' tokens against the same
// few sales awaiting payment: the sum taken never exceeds a balance, and every refusal
// says why.
func soakPayments(t *testing.T) (string, bool) {
	ctx := context.Background()
	e := newEnv(t, shopifysim.Options{Generate: &shopdata.GenerateOptions{Seed: 61, Orders: 600, Days: 50}}, false)
	if _, err := (&shopify.Importer{DB: e.db, Secrets: dbtest.Secrets()}).Run(ctx, e.conn.ID, shopify.RunOptions{Mode: shopify.ModeAll}); err != nil {
		t.Fatal(err)
	}
	in := startDaemon(t, e.db, nil, time.Now)
	var tills [2]*client.Client
	for i := range tills {
		tok, _, err := daemon.TokenStore{}.Create(ctx, e.db, fmt.Sprintf("till-%d", i+1), daemon.RoleCashier)
		if err != nil {
			t.Fatal(err)
		}
		tills[i] = client.New(in.url, tok)
	}
	if _, err := tills[0].OpenRegister(ctx, "Front", client.OpenRequest{OpeningFloat: "0.00"}); err != nil {
		t.Fatal(err)
	}
	owed, err := tills[0].Sales(ctx, client.SalesQuery{AwaitingPayment: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(owed) < 3 {
		t.Fatalf("only %d sales await payment", len(owed))
	}
	owed = owed[:min(len(owed), 5)]
	before := map[string]decimal.Decimal{}
	for _, s := range owed {
		before[s.ReceiptNumber] = decimal.RequireFromString(s.Balance)
	}
	const payments = 100
	type result struct {
		receipt string
		amount  decimal.Decimal
		err     error
	}
	results := make(chan result, payments)
	begin := make(chan struct{})
	var ready sync.WaitGroup
	ready.Add(payments)
	for i := range payments {
		s := owed[i%len(owed)]
		bal := before[s.ReceiptNumber]
		// A third of the balance, or all of it: together they always ask for more than owed.
		amount := bal
		if i%3 != 0 {
			amount = bal.Div(decimal.NewFromInt(3)).Round(2)
		}
		go func() {
			ready.Done()
			<-begin
			_, err := tills[i%2].ApplyPayment(ctx, client.PaymentRequest{Register: "Front", Receipt: s.ReceiptNumber,
				PaymentType: []string{"Cash", "Bank deposit"}[i%2], Amount: amount.StringFixed(2)})
			results <- result{s.ReceiptNumber, amount, err}
		}()
	}
	ready.Wait()
	close(begin)
	taken := map[string]decimal.Decimal{}
	accepted := 0
	reasons := map[string]int{}
	for range payments {
		r := <-results
		if r.err == nil {
			accepted++
			taken[r.receipt] = taken[r.receipt].Add(r.amount)
			continue
		}
		status := client.StatusOf(r.err)
		msg := r.err.Error()
		switch {
		case status == http.StatusConflict && strings.Contains(msg, "more than the balance"):
			reasons["409 more than the balance"]++
		case status == http.StatusConflict && strings.Contains(msg, "no balance to pay"):
			reasons["409 already paid"]++
		default:
			reasons[fmt.Sprintf("unexpected %d", status)]++
			t.Errorf("a refused payment: %v (status %d), want 409 with its reason", r.err, status)
		}
	}
	for _, s := range owed {
		after, err := tills[1].Sale(ctx, s.ReceiptNumber, "")
		if err != nil {
			t.Fatal(err)
		}
		want := before[s.ReceiptNumber].Sub(taken[s.ReceiptNumber])
		if want.IsNegative() || after.Balance != want.StringFixed(2) {
			t.Errorf("sale %s: balance %s, want %s (was %s, accepted %s)", s.ReceiptNumber, after.Balance, want.StringFixed(2),
				before[s.ReceiptNumber].StringFixed(2), taken[s.ReceiptNumber].StringFixed(2))
		}
	}
	res := e.check(t, time.Hour)
	var keys []string
	for k, n := range reasons {
		keys = append(keys, fmt.Sprintf("%s: %d", k, n))
	}
	sort.Strings(keys)
	return fmt.Sprintf("%d payments on %d sales: %d accepted, refused %v, no balance below zero; %s", payments, len(owed), accepted,
		keys, describe(res)), len(res.Problems) == 0 && reasons["unexpected 0"] == 0 && len(keys) > 0
}

// shuffled returns a random permutation source for a scenario.
func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)) }

// soakSigkill, soakInstances and soakPostgresRestart are in kill_test.go.
