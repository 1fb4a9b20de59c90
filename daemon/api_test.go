package daemon_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kassa-pos/kassa/daemon"
	"github.com/kassa-pos/kassa/daemon/client"
	"github.com/kassa-pos/kassa/internal/dbtest"
	"github.com/kassa-pos/kassa/migrations"
	"github.com/kassa-pos/kassa/sync/shopify"
	"github.com/kassa-pos/kassa/sync/shopifysim"
)

// TestRegisterDayThroughTheAPI runs a register's day through the typed client: open,
// import the Shopify orders, find and pay a bank-deposit order, close, read the reports.
func TestRegisterDayThroughTheAPI(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	ctx := context.Background()
	clk := &clock{}
	s := newShop(t, db, 40, "", clk, shopifysim.WebhookOptions{})
	in := start(t, db, listen(t), fastConfig(), daemon.Deps{Clock: clk.Now, Logger: testLogger(t, nil)})
	till := client.New(in.url, token(t, db, "till", daemon.RoleCashier))
	owner := client.New(in.url, token(t, db, "owner", daemon.RoleManager))

	me, err := till.Me(ctx)
	if err != nil || me.Name != "till" || me.Role != "cashier" {
		t.Fatalf("me: %+v, %v", me, err)
	}
	regs, err := till.Registers(ctx)
	if err != nil || len(regs) != 1 || regs[0].Name != "Front" || regs[0].Open {
		t.Fatalf("registers: %+v, %v", regs, err)
	}
	reg, err := till.OpenRegister(ctx, "Front", client.OpenRequest{OpeningFloat: "150.00"})
	if err != nil || !reg.Open || reg.Session == nil || reg.Session.OpeningFloat != "150.00" || reg.Session.OpenedBy != "till" {
		t.Fatalf("open: %+v, %v", reg, err)
	}
	_, err = till.OpenRegister(ctx, "Front", client.OpenRequest{OpeningFloat: "10.00"})
	expectStatus(t, err, http.StatusConflict, "already has an open session")
	_, err = till.OpenRegister(ctx, "Back", client.OpenRequest{OpeningFloat: "10.00"})
	expectStatus(t, err, http.StatusNotFound, "Back")
	_, err = till.OpenRegister(ctx, "Front", client.OpenRequest{OpeningFloat: "-3"})
	expectStatus(t, err, http.StatusBadRequest, "opening_float")

	// Get all: the run is answered as soon as it runs; a second one meanwhile is refused.
	s.sim.ScriptFaults("orders.json", shopifysim.Fault{Kind: shopifysim.FaultSlow, Delay: 700 * time.Millisecond})
	run, err := till.StartImport(ctx, client.ImportRequest{Mode: "all"})
	if err != nil || run.RunID == 0 || run.Mode != "all" || run.Trigger != "api" {
		t.Fatalf("start import: %+v, %v", run, err)
	}
	_, err = till.StartImport(ctx, client.ImportRequest{Mode: "new"})
	expectStatus(t, err, http.StatusConflict, "already running")
	run, err = till.WaitImport(ctx, run.RunID, 20*time.Millisecond)
	if err != nil || run.Status != "finished" || run.Seen != 40 || run.Outcomes.Imported == 0 ||
		run.Outcomes.Imported+run.Outcomes.AlreadyImported+run.Outcomes.TestOrder+run.Outcomes.Cancelled+
			run.Outcomes.NoShippingMethod+run.Outcomes.TooOld+run.Outcomes.Failed != 40 {
		t.Fatalf("finished run: %+v, %v", run, err)
	}
	outcomes, err := till.ImportOutcomes(ctx, run.RunID, "")
	if err != nil || len(outcomes) != 40 {
		t.Fatalf("outcomes: %d, %v", len(outcomes), err)
	}
	imported, err := till.ImportOutcomes(ctx, run.RunID, "imported")
	if err != nil || len(imported) != run.Outcomes.Imported || imported[0].ReceiptNumber == nil {
		t.Fatalf("imported outcomes: %+v, %v", imported, err)
	}
	runs, err := till.ImportRuns(ctx, "", 5)
	if err != nil || len(runs) != 1 || runs[0].RunID != run.RunID {
		t.Fatalf("recent runs: %+v, %v", runs, err)
	}
	_, err = till.ImportRun(ctx, 999)
	expectStatus(t, err, http.StatusNotFound, "no such run")
	_, err = till.StartImport(ctx, client.ImportRequest{Mode: "everything"})
	expectStatus(t, err, http.StatusBadRequest, "mode must be all, new or retry")

	// The sales history shows what was imported; find a bank deposit still owed.
	list, err := till.Sales(ctx, client.SalesQuery{Source: "shopify", Limit: 500})
	if err != nil || len(list) != run.Outcomes.Imported {
		t.Fatalf("sales: %d, %v; want %d", len(list), err, run.Outcomes.Imported)
	}
	owed, err := till.Sales(ctx, client.SalesQuery{AwaitingPayment: true})
	if err != nil || len(owed) == 0 {
		t.Fatalf("awaiting payment: %+v, %v (the generated shop has pending bank deposits)", owed, err)
	}
	sale, err := till.Sale(ctx, owed[0].ReceiptNumber, "")
	if err != nil || len(sale.Lines) == 0 || sale.Status != "awaiting_payment" {
		t.Fatalf("sale %s: %+v, %v", owed[0].ReceiptNumber, sale, err)
	}
	_, err = till.Sale(ctx, "#99999", "")
	expectStatus(t, err, http.StatusNotFound, "#99999")

	_, err = till.ApplyPayment(ctx, client.PaymentRequest{Register: "Front", Receipt: sale.ReceiptNumber, PaymentType: "Bank deposit", Amount: "100000.00"})
	expectStatus(t, err, http.StatusConflict, "more than")
	_, err = till.ApplyPayment(ctx, client.PaymentRequest{Register: "Front", Receipt: sale.ReceiptNumber, PaymentType: "Bitcoin"})
	expectStatus(t, err, http.StatusUnprocessableEntity, "Bitcoin")
	_, err = till.ApplyPayment(ctx, client.PaymentRequest{Register: "Front", Receipt: sale.ReceiptNumber, PaymentType: "Bank deposit",
		PaidAt: clk.Now().Add(time.Hour).Format(time.RFC3339)})
	expectStatus(t, err, http.StatusUnprocessableEntity, "future")
	paid, err := till.ApplyPayment(ctx, client.PaymentRequest{Register: "Front", Receipt: sale.ReceiptNumber, PaymentType: "bank deposit"})
	if err != nil || paid.Status != "paid" || paid.Balance != "0.00" || paid.Amount != sale.Balance || paid.RecordedBy != "till" {
		t.Fatalf("payment: %+v, %v (balance was %s)", paid, err, sale.Balance)
	}
	if again, err := till.Sale(ctx, sale.ReceiptNumber, ""); err != nil || again.Status != "paid" || again.Balance != "0.00" {
		t.Fatalf("after payment: %+v, %v", again, err)
	}
	_, err = till.ApplyPayment(ctx, client.PaymentRequest{Register: "Front", Receipt: sale.ReceiptNumber, PaymentType: "Bank deposit"})
	expectStatus(t, err, http.StatusConflict, "")

	stock, err := till.Stock(ctx, "")
	if err != nil || len(stock) == 0 {
		t.Fatalf("stock: %d rows, %v", len(stock), err)
	}

	// Close with the cash counted; the report is there again later, as JSON and text.
	rep, err := till.CloseRegister(ctx, "Front", client.CloseRequest{Counts: []client.CountInput{{Type: "Cash", Counted: "150.00"}}})
	if err != nil || rep.ClosedAt == nil || rep.OpeningFloat != "150.00" || rep.ShopifyOrders != run.Outcomes.Imported {
		t.Fatalf("close: %+v, %v", rep, err)
	}
	bank := false
	for _, p := range rep.Payments {
		bank = bank || (p.Type == "Bank deposit" && p.Expected == paid.Amount)
	}
	if !bank {
		t.Fatalf("the closing report's payments %+v leave out the bank deposit of %s", rep.Payments, paid.Amount)
	}
	_, err = till.CloseRegister(ctx, "Front", client.CloseRequest{})
	expectStatus(t, err, http.StatusConflict, "no open session")
	_, err = till.ApplyPayment(ctx, client.PaymentRequest{Register: "Front", Receipt: owed[len(owed)-1].ReceiptNumber, PaymentType: "Bank deposit"})
	expectStatus(t, err, http.StatusConflict, "no open session")
	again, err := till.ClosingReport(ctx, rep.SessionID)
	if err != nil || again.SessionID != rep.SessionID || *again.ClosedAt != *rep.ClosedAt {
		t.Fatalf("closing report again: %+v, %v", again, err)
	}
	text, err := till.ClosingReportText(ctx, rep.SessionID)
	if err != nil || !strings.Contains(text, "Front") || !strings.Contains(text, "Bank deposit") {
		t.Fatalf("closing report text: %q, %v", text, err)
	}

	// Nightly reports and connections are the manager's.
	today := clk.Now().In(mustLoc(t, "Europe/Brussels")).Format(time.DateOnly)
	_, err = till.GenerateNightly(ctx, client.NightlyRequest{Date: today})
	expectStatus(t, err, http.StatusForbidden, "manager")
	_, err = owner.NightlyReport(ctx, "", today)
	expectStatus(t, err, http.StatusNotFound, "no nightly report")
	// An order that failed to import today is in the report (the import log's, read
	// through sync/shopify).
	if _, err := db.Exec(`INSERT INTO import_outcomes (run_id, connection_id, shopify_order_id, order_name, outcome, reason, created_at)
		VALUES ($1, $2, 99001, '#9901', 'failed', 'totals differ', $3)`, run.RunID, s.conn.ID, clk.Now()); err != nil {
		t.Fatal(err)
	}
	night, err := owner.GenerateNightly(ctx, client.NightlyRequest{Date: today})
	if err != nil || night.Day != today || len(night.Sessions) != 1 {
		t.Fatalf("nightly: %+v, %v", night, err)
	}
	if n := len(night.ImportFailures); n == 0 || night.ImportFailures[n-1].OrderName != "#9901" || night.ImportFailures[n-1].Reason != "totals differ" {
		t.Errorf("the nightly report's import failures %+v leave out #9901", night.ImportFailures)
	}
	if stored, err := owner.NightlyReport(ctx, "Gent", today); err != nil || stored.GeneratedAt != night.GeneratedAt {
		t.Fatalf("stored nightly: %+v, %v", stored, err)
	}
	_, err = owner.NightlyReport(ctx, "", "yesterday")
	expectStatus(t, err, http.StatusBadRequest, "calendar date")
	conns, err := owner.Connections(ctx)
	if err != nil || len(conns) != 1 || conns[0].Shop != s.sim.Shop || conns[0].NewestOrderID == 0 {
		t.Fatalf("connections: %+v, %v", conns, err)
	}
	_, err = till.DisconnectShop(ctx, "demo")
	expectStatus(t, err, http.StatusForbidden, "manager")
	if c, err := owner.DisconnectShop(ctx, "demo"); err != nil || c.Enabled {
		t.Fatalf("disconnect: %+v, %v", c, err)
	}
	_, err = till.StartImport(ctx, client.ImportRequest{Shop: "demo", Mode: "new"})
	expectStatus(t, err, http.StatusConflict, "disconnected")
}

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// TestRequestBodiesAreCheckedStrictly refuses unknown fields, trailing data, bodies over
// the cap, and routes that do not exist, each with a JSON error.
func TestRequestBodiesAreCheckedStrictly(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	dbtest.NewShop(t, db, "Gent", "Front")
	cfg := fastConfig()
	cfg.APIMaxBody = 1024
	in := start(t, db, listen(t), cfg, daemon.Deps{Logger: testLogger(t, nil)})
	tok := token(t, db, "till", daemon.RoleCashier)
	post := func(path, body string) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, in.url+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b strings.Builder
		buf := make([]byte, 4096)
		for {
			n, err := resp.Body.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		return resp.StatusCode, b.String()
	}
	for _, c := range []struct {
		path, body string
		status     int
		want       string
	}{
		{"/api/v1/registers/Front/open", `{"opening_float": "10.00", "floaty": 1}`, 400, `unknown field \"floaty\"`},
		{"/api/v1/registers/Front/open", `{"opening_float": "10.00"} {}`, 400, "one JSON object"},
		{"/api/v1/registers/Front/open", ``, 400, "needs a JSON body"},
		{"/api/v1/registers/Front/open", `{"opening_float": "10.00", "by": "` + strings.Repeat("x", 2000) + `"}`, 413, "larger than 1024 bytes"},
		{"/api/v1/registers/Front/open", `{"opening_float": 10}`, 400, "opening_float"},
		{"/api/v1/nothing", `{}`, 404, "no such API route"},
	} {
		status, body := post(c.path, c.body)
		if status != c.status || !strings.Contains(body, c.want) || !strings.HasPrefix(body, `{"error":`) {
			t.Errorf("POST %s %.40q: %d %s, want %d saying %q", c.path, c.body, status, body, c.status, c.want)
		}
	}
	// A route that exists, asked with another method: 405 and the methods it takes.
	for _, c := range []struct{ method, path, allow string }{
		{http.MethodPut, "/api/v1/registers/Front/open", "POST"},
		{http.MethodGet, "/api/v1/payments", "POST"},
		{http.MethodDelete, "/api/v1/sales/1001", "GET"},
		{http.MethodPatch, "/api/v1/imports", "GET, POST"},
	} {
		req, _ := http.NewRequest(c.method, in.url+c.path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != c.allow {
			t.Errorf("%s %s: %d, Allow %q; want 405, Allow %q", c.method, c.path, resp.StatusCode, resp.Header.Get("Allow"), c.allow)
		}
	}
	var n int
	if err := db.Get(&n, `SELECT count(*) FROM register_sessions`); err != nil || n != 0 {
		t.Fatalf("a refused request opened %d sessions (%v)", n, err)
	}
}

// TestShutdownCancelsARunningImport stops the daemon while a Get all waits on Shopify: the
// daemon stops at once, cleanly, and the run is recorded as cancelled, not left running.
func TestShutdownCancelsARunningImport(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	ctx := context.Background()
	clk := &clock{}
	s := newShop(t, db, 10, "", clk, shopifysim.WebhookOptions{})
	s.sim.ScriptFaults("orders.json", shopifysim.Fault{Kind: shopifysim.FaultSlow, Delay: time.Minute})
	in := start(t, db, listen(t), fastConfig(), daemon.Deps{Clock: clk.Now, Logger: testLogger(t, nil)})
	till := client.New(in.url, token(t, db, "till", daemon.RoleCashier))
	run, err := till.StartImport(ctx, client.ImportRequest{Mode: "all"})
	if err != nil || run.Status != "running" {
		t.Fatalf("start: %+v, %v", run, err)
	}
	in.stop(t) // fails the test unless Serve returns nil
	var status, msg string
	if err := db.QueryRow(`SELECT status, error FROM import_runs WHERE id = $1`, run.RunID).Scan(&status, &msg); err != nil {
		t.Fatal(err)
	}
	if status != "cancelled" || !strings.Contains(msg, "cancel") {
		t.Fatalf("run after shutdown: %s %q, want cancelled", status, msg)
	}
}

// TestReadyzFollowsTheDatabaseAndItsSchema answers /readyz 200 on a current schema and
// 503 once the schema is not the one this kassa knows; /healthz stays 200.
func TestReadyzFollowsTheDatabaseAndItsSchema(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	d, err := daemon.New(db, daemon.Config{}, daemon.Deps{Secrets: dbtest.Secrets()})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(d.Handler())
	defer srv.Close()
	status := func(path string) (int, string) {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := status("/readyz"); code != http.StatusOK {
		t.Fatalf("readyz on a current schema: %d %s", code, body)
	}
	if _, err := migrations.Down(context.Background(), db.DB); err != nil {
		t.Fatal(err)
	}
	if code, body := status("/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "kassa migrate up") {
		t.Fatalf("readyz on an old schema: %d %s", code, body)
	}
	if code, _ := status("/healthz"); code != http.StatusOK {
		t.Fatalf("healthz: %d", code)
	}
}

// TestConcurrentPaymentsNeverOverpay sends the same full-balance payment from several
// terminals at once: one is taken, the others are refused, the balance is zero.
func TestConcurrentPaymentsNeverOverpay(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	ctx := context.Background()
	clk := &clock{}
	s := newShop(t, db, 40, "", clk, shopifysim.WebhookOptions{})
	if _, err := (&shopify.Importer{DB: db, Clock: clk.Now, Secrets: dbtest.Secrets()}).Run(ctx, s.conn.ID, shopify.RunOptions{Mode: shopify.ModeAll}); err != nil {
		t.Fatal(err)
	}
	in := start(t, db, listen(t), fastConfig(), daemon.Deps{Clock: clk.Now, Logger: testLogger(t, nil)})
	till := client.New(in.url, token(t, db, "till", daemon.RoleCashier))
	if _, err := till.OpenRegister(ctx, "Front", client.OpenRequest{OpeningFloat: "0.00"}); err != nil {
		t.Fatal(err)
	}
	owed, err := till.Sales(ctx, client.SalesQuery{AwaitingPayment: true})
	if err != nil || len(owed) == 0 {
		t.Fatalf("awaiting payment: %v, %v", owed, err)
	}
	receipt, balance := owed[0].ReceiptNumber, owed[0].Balance
	const terminals = 6
	results := make(chan error, terminals)
	var ready sync.WaitGroup
	ready.Add(terminals)
	begin := make(chan struct{})
	for range terminals {
		go func() {
			ready.Done()
			<-begin
			_, err := till.ApplyPayment(ctx, client.PaymentRequest{Register: "Front", Receipt: receipt, PaymentType: "Bank deposit", Amount: balance})
			results <- err
		}()
	}
	ready.Wait()
	close(begin)
	taken := 0
	for range terminals {
		err := <-results
		switch {
		case err == nil:
			taken++
		case client.StatusOf(err) != http.StatusConflict:
			t.Errorf("a refused payment: %v (status %d), want 409", err, client.StatusOf(err))
		}
	}
	if taken != 1 {
		t.Fatalf("%d payments of the whole balance taken, want 1", taken)
	}
	sale, err := till.Sale(ctx, receipt, "")
	if err != nil || sale.Balance != "0.00" || sale.Paid != sale.Total {
		t.Fatalf("sale after the payments: %+v, %v", sale, err)
	}
}

// TestRegisterSessionsThroughTheAPI lists a register's sessions by name and by id: newest
// first, limited, closed ones with who closed them, times in the outlet's zone.
func TestRegisterSessionsThroughTheAPI(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	ctx := context.Background()
	clk := &clock{}
	ids := dbtest.NewShop(t, db, "Gent", "Front")
	in := start(t, db, listen(t), fastConfig(), daemon.Deps{Clock: clk.Now, Logger: testLogger(t, nil)})
	till := client.New(in.url, token(t, db, "till", daemon.RoleCashier))

	none, err := till.Sessions(ctx, "Front", 0)
	if err != nil || none == nil || len(none) != 0 {
		t.Fatalf("sessions before any: %#v, %v", none, err)
	}
	for _, float := range []string{"100.00", "110.00", "120.00"} {
		if _, err := till.OpenRegister(ctx, "Front", client.OpenRequest{OpeningFloat: float}); err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Hour)
		if _, err := till.CloseRegister(ctx, "Gent/Front", client.CloseRequest{By: "Bo"}); err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Hour)
	}
	open, err := till.OpenRegister(ctx, "Front", client.OpenRequest{OpeningFloat: "130.00"})
	if err != nil {
		t.Fatal(err)
	}

	list, err := till.Sessions(ctx, "Front", 0)
	if err != nil || len(list) != 4 {
		t.Fatalf("sessions: %+v, %v", list, err)
	}
	if list[0].ID != open.Session.ID || list[0].ClosedAt != nil || list[0].ClosedBy != nil || list[0].OpeningFloat != "130.00" {
		t.Fatalf("newest session %+v, want the open one %+v", list[0], open.Session)
	}
	brussels := mustLoc(t, "Europe/Brussels")
	for i, want := range []string{"120.00", "110.00", "100.00"} {
		s := list[i+1]
		if s.OpeningFloat != want || s.ClosedAt == nil || s.ClosedBy == nil || *s.ClosedBy != "Bo" || s.OpenedBy != "till" {
			t.Fatalf("session %d: %+v, want float %s closed by Bo", i+1, s, want)
		}
		opened, err1 := time.Parse(time.RFC3339, s.OpenedAt)
		closed, err2 := time.Parse(time.RFC3339, *s.ClosedAt)
		if err1 != nil || err2 != nil || closed.Sub(opened) < time.Hour {
			t.Fatalf("session %d times %s to %s (%v, %v), want at least the hour the clock moved", i+1, s.OpenedAt, *s.ClosedAt, err1, err2)
		}
		if inZone := opened.In(brussels).Format(time.RFC3339); inZone != s.OpenedAt {
			t.Fatalf("session %d opened at %s, not in the outlet's zone (%s)", i+1, s.OpenedAt, inZone)
		}
	}
	two, err := till.Sessions(ctx, strconv.FormatInt(ids.RegisterID, 10), 2)
	if err != nil || len(two) != 2 || two[0].ID != list[0].ID || two[1].ID != list[1].ID {
		t.Fatalf("two newest by register id: %+v, %v", two, err)
	}
	_, err = till.Sessions(ctx, "Back", 5)
	expectStatus(t, err, http.StatusNotFound, "Back")
	for _, bad := range []string{"0", "501", "ten"} {
		req, err := http.NewRequest(http.MethodGet, in.url+"/api/v1/registers/Front/sessions?limit="+bad, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+token(t, db, "till-"+bad, daemon.RoleCashier))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "limit must be a number from 1 to 500") {
			t.Fatalf("limit=%s: %d %s", bad, resp.StatusCode, body)
		}
	}
}

// TestPaymentTypesThroughTheAPI lists the seeded payment types and one added later, with
// which of them are counted at close.
func TestPaymentTypesThroughTheAPI(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	ctx := context.Background()
	in := start(t, db, listen(t), fastConfig(), daemon.Deps{Logger: testLogger(t, nil)})
	till := client.New(in.url, token(t, db, "till", daemon.RoleCashier))
	if _, err := db.Exec(`INSERT INTO payment_types (name, counted) VALUES ('Vouchers', true)`); err != nil {
		t.Fatal(err)
	}
	types, err := till.PaymentTypes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, pt := range types {
		got[pt.Name] = pt.Counted
	}
	want := map[string]bool{"Cash": true, "Card": false, "Bank deposit": false, "Shopify": false, "Vouchers": true}
	if len(types) != len(want) {
		t.Fatalf("payment types %+v, want %v", types, want)
	}
	for name, counted := range want {
		if c, ok := got[name]; !ok || c != counted {
			t.Errorf("payment type %s: listed %v, counted %v; want counted %v", name, ok, c, counted)
		}
	}
}
