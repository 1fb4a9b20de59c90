package terminal_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/kassa-pos/kassa/daemon/client"
	"github.com/kassa-pos/kassa/internal/terminaltest"
	"github.com/kassa-pos/kassa/sync/shopifysim"
)

func TestRegisterOpenAndClose(t *testing.T) {
	t.Parallel()
	w := terminaltest.Start(t, terminaltest.Options{})
	d := newDriver(t, w, w.Cashier)
	d.expectScreen("register_closed")

	d.keys("o")
	d.expectScreen("register_open_form")
	d.keys("12.345", "enter", "enter")
	d.expectContains("opening_float", "12.345")
	d.keys("up", "ctrl+u", "150.00", "enter", "enter")
	d.expectScreen("register_open")

	var open int
	if err := w.DB.Get(&open, `SELECT count(*) FROM register_sessions WHERE closed_at IS NULL AND opening_float = 150.00 AND opened_by = 'anna'`); err != nil {
		t.Fatal(err)
	}
	if open != 1 {
		t.Fatalf("%d open sessions with a float of 150.00 by anna, want 1", open)
	}

	d.keys("c")
	d.keys("148.50")
	d.expectScreen("register_close_counts")
	d.keys("enter", "enter")
	d.expectScreen("register_close_confirm")
	d.keys("y")
	d.expectScreen("register_closing_report")

	var counted string
	if err := w.DB.Get(&counted, `SELECT c.counted::text FROM register_session_counts c JOIN register_sessions s ON s.id = c.session_id WHERE s.closed_at IS NOT NULL AND s.closed_by = 'anna'`); err != nil {
		t.Fatal(err)
	}
	if counted != "148.50" {
		t.Fatalf("counted %s in the database, want 148.50", counted)
	}

	// The report is also on the Reports screen, listed as closed here.
	d.keys("esc", "f4")
	d.expectScreen("reports_menu")
	d.keys("enter")
	d.expectContains("Closing report of session 1", "148.50")
}

func TestShopifyImport(t *testing.T) {
	t.Parallel()
	w := terminaltest.Start(t, terminaltest.Options{})
	d := newDriver(t, w, w.Cashier)
	// One order's total disagrees with its lines, so it fails until it is corrected.
	broken, total := breakOneOrder(t, w)

	// The first page of orders comes slowly, so the run is seen going whatever the load.
	w.Sim.ScriptFaults("orders.json", shopifysim.Fault{Kind: shopifysim.FaultSlow, Delay: 500 * time.Millisecond})

	d.keys("f3")
	d.expectScreen("shopify_empty")
	d.keys("a")

	// While the run went, the screen showed it running with its progress.
	running := false
	for _, s := range d.seen {
		if strings.Contains(s, "Run 1 (Get all): running") && strings.Contains(s, "orders") {
			running = true
		}
	}
	if !running {
		t.Error("the screen never showed the run going")
	}
	d.expectScreen("shopify_finished")

	var imported int
	if err := w.DB.Get(&imported, `SELECT count(*) FROM sale_external_ids`); err != nil {
		t.Fatal(err)
	}
	d.expectContains(fmt.Sprintf("imported %d ·", imported))
	if imported == 0 {
		t.Fatal("nothing was imported")
	}
	var trigger string
	if err := w.DB.Get(&trigger, `SELECT trigger FROM import_runs WHERE id = 1`); err != nil {
		t.Fatal(err)
	}
	if trigger != "terminal" {
		t.Errorf("the run was recorded as started by %q, want terminal", trigger)
	}

	d.expectContains("Failed orders of run 1", broken)

	// Corrected in Shopify, the failed order is imported by a retry.
	if _, err := w.Sim.UpdateOrder(brokenID(t, w, broken), func(o map[string]any) { o["total_price"], o["current_total_price"] = total, total }); err != nil {
		t.Fatal(err)
	}
	waitImportIdle(t, w)
	d.keys("f")
	d.expectContains("Run 2 (Retry failed): finished", "imported 1 ·")
	if strings.Contains(d.screen(), "Failed orders") {
		t.Errorf("the failed orders are still listed after a successful retry:\n%s", d.screen())
	}
	var n int
	if err := w.DB.Get(&n, `SELECT count(*) FROM sales WHERE receipt_number = $1`, broken); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("%d sales for %s after the retry, want 1", n, broken)
	}

	// Get new finds nothing newer.
	waitImportIdle(t, w)
	d.keys("n")
	d.expectContains("Run 3 (Get new): finished", "imported 0 ·")
}

type simOrder struct {
	ID            int64   `json:"id"`
	Name          string  `json:"name"`
	Test          bool    `json:"test"`
	CancelledAt   *string `json:"cancelled_at"`
	TotalPrice    string  `json:"total_price"`
	ShippingLines []any   `json:"shipping_lines"`
	// ShippingAddress is null for a local pickup, which is not imported.
	ShippingAddress any `json:"shipping_address"`
}

// breakOneOrder raises the total of an order that would be imported by 1.00 and returns
// its name and its true total.
func breakOneOrder(t *testing.T, w *terminaltest.World) (name, total string) {
	t.Helper()
	for _, raw := range w.Sim.AllOrders() {
		var o simOrder
		if err := json.Unmarshal(raw, &o); err != nil {
			t.Fatal(err)
		}
		if o.Test || o.CancelledAt != nil || len(o.ShippingLines) == 0 || o.ShippingAddress == nil {
			continue
		}
		wrong, err := decimal.NewFromString(o.TotalPrice)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Sim.UpdateOrder(o.ID, func(m map[string]any) {
			m["total_price"] = wrong.Add(decimal.NewFromInt(1)).StringFixed(2)
			m["current_total_price"] = m["total_price"]
		}); err != nil {
			t.Fatal(err)
		}
		return o.Name, o.TotalPrice
	}
	t.Fatal("the shop has no order to break")
	return "", ""
}

func brokenID(t *testing.T, w *terminaltest.World, name string) int64 {
	t.Helper()
	for _, raw := range w.Sim.AllOrders() {
		var o simOrder
		if err := json.Unmarshal(raw, &o); err != nil {
			t.Fatal(err)
		}
		if o.Name == name {
			return o.ID
		}
	}
	t.Fatalf("no order %s", name)
	return 0
}

// importAll runs Get all through the API, as a setup step.
func importAll(t testing.TB, w *terminaltest.World) {
	t.Helper()
	api := client.New(w.URL, w.Cashier)
	ctx := context.Background()
	run, err := api.StartImport(ctx, client.ImportRequest{Mode: "all"})
	if err != nil {
		t.Fatal(err)
	}
	if run, err = api.WaitImport(ctx, run.RunID, 5*time.Millisecond); err != nil || run.Status != "finished" {
		t.Fatalf("import run: %+v, %v", run, err)
	}
}

// awaitingSale returns the newest sale awaiting payment and its balance.
func awaitingSale(t *testing.T, w *terminaltest.World) (receipt string, balance decimal.Decimal) {
	t.Helper()
	var row struct {
		Receipt string          `db:"receipt_number"`
		Balance decimal.Decimal `db:"balance"`
	}
	if err := w.DB.Get(&row, `SELECT receipt_number, balance FROM sales WHERE balance > 0 ORDER BY sold_at DESC LIMIT 1`); err != nil {
		t.Fatalf("no sale awaiting payment: %v", err)
	}
	return row.Receipt, row.Balance
}

func TestSalesHistoryAndPayment(t *testing.T) {
	t.Parallel()
	w := terminaltest.Start(t, terminaltest.Options{})
	importAll(t, w)
	if _, err := client.New(w.URL, w.Cashier).OpenRegister(context.Background(), "Front", client.OpenRequest{OpeningFloat: "100.00"}); err != nil {
		t.Fatal(err)
	}
	receipt, balance := awaitingSale(t, w)

	d := newDriver(t, w, w.Cashier)
	d.keys("f2")
	d.expectScreen("sales_list")
	d.keys("right")
	d.expectContains("page 2")
	d.keys("left", "a")
	d.expectScreen("sales_awaiting")

	d.keys("/", receipt, "enter")
	d.expectContains(fmt.Sprintf("search %q", receipt))
	d.keys("enter")
	d.expectScreen("sale_detail")
	d.expectContains("[shipping]", "AWAITING PAYMENT")

	before := countPayments(t, w, receipt)
	d.keys("p")
	d.expectScreen("sale_pay_form")

	// A time before the session opened is refused, in the daemon's words.
	d.keys("down", "down", "ctrl+u", "2026-11-25 09:30", "enter")
	d.expectContains("before the session opened")

	// So is more than the balance.
	d.keys("up", "ctrl+u", balance.Add(decimal.NewFromInt(1)).StringFixed(2), "down", "ctrl+u", "2026-11-25 10:00", "enter")
	d.expectScreen("sale_pay_refused")
	if after := countPayments(t, w, receipt); after != before {
		t.Fatalf("%d payments after the refusals, want %d as before", after, before)
	}

	d.keys("up", "ctrl+u", balance.StringFixed(2), "enter", "enter")
	d.expectScreen("sale_paid")

	var sale struct {
		Balance decimal.Decimal `db:"balance"`
		Status  string          `db:"status"`
		Type    string          `db:"type"`
	}
	err := w.DB.Get(&sale, `SELECT s.balance, s.status, t.name AS type FROM sales s JOIN payments p ON p.sale_id = s.id
		JOIN payment_types t ON t.id = p.payment_type_id WHERE s.receipt_number = $1 ORDER BY p.id DESC LIMIT 1`, receipt)
	if err != nil {
		t.Fatal(err)
	}
	if !sale.Balance.IsZero() || sale.Status != "paid" || sale.Type != "Bank deposit" {
		t.Fatalf("sale %s after paying: %+v, want balance 0, paid by Bank deposit", receipt, sale)
	}
}

func countPayments(t *testing.T, w *terminaltest.World, receipt string) int {
	t.Helper()
	var n int
	if err := w.DB.Get(&n, `SELECT count(*) FROM payments p JOIN sales s ON s.id = p.sale_id WHERE s.receipt_number = $1`, receipt); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestPaymentWithoutOpenSession(t *testing.T) {
	t.Parallel()
	w := terminaltest.Start(t, terminaltest.Options{})
	importAll(t, w)
	receipt, _ := awaitingSale(t, w)
	d := newDriver(t, w, w.Cashier)
	d.keys("f2", "a", "/", receipt, "enter", "enter", "p", "enter", "enter", "enter")
	d.expectContains("has no open session")
}

func TestNightlyReport(t *testing.T) {
	t.Parallel()
	w := terminaltest.Start(t, terminaltest.Options{})
	importAll(t, w)

	// A cashier is told the report needs a manager's token.
	d := newDriver(t, w, w.Cashier)
	d.keys("f4", "n", "ctrl+u", "2026-11-24", "enter")
	d.expectContains("this needs a manager token")

	m := newDriver(t, w, w.Manager)
	m.keys("f4", "n")
	m.expectScreen("reports_nightly_form")
	// A day that has not begun and one before the outlet was created (when the world
	// started, this morning) are refused in the daemon's words.
	for day, want := range map[string]string{
		"2026-11-26": `2026-11-26 has not begun in outlet "Gent"`,
		"2026-11-24": `2026-11-24 is before outlet "Gent" was created (on 2026-11-25): no report for it`,
	} {
		m.keys("ctrl+u", day, "enter")
		if strings.Contains(m.screen(), "press G to generate") {
			m.keys("G")
		}
		m.expectContains(want)
		m.keys("esc", "n")
	}
	m.keys("ctrl+u", "2026-11-25", "enter")
	if strings.Contains(m.screen(), "press G to generate") {
		m.keys("G")
	}
	m.expectScreen("reports_nightly")
	var stored []string
	if err := w.DB.Select(&stored, `SELECT day::text FROM nightly_reports`); err != nil {
		t.Fatal(err)
	}
	if len(stored) != 1 || stored[0] != "2026-11-25" {
		t.Fatalf("nightly reports stored for %v, want 2026-11-25 alone", stored)
	}
}

func TestDaemonDownAndBack(t *testing.T) {
	t.Parallel()
	w := terminaltest.Start(t, terminaltest.Options{})
	d := newDriver(t, w, w.Cashier)
	d.expectContains("CLOSED", "connected")

	w.Stop()
	d.keys("r")
	d.expectScreen("daemon_down")
	d.keys("o", "100.00", "enter", "enter")
	d.expectContains("cannot reach the kassa daemon")

	w.Restart()
	d.keys("esc", "r")
	d.expectContains("CLOSED", "connected")
	d.keys("o", "100.00", "enter", "enter")
	d.expectContains("OPEN", "100.00")
}

func TestTokenRevoked(t *testing.T) {
	t.Parallel()
	w := terminaltest.Start(t, terminaltest.Options{})
	d := newDriver(t, w, w.Cashier)
	if _, err := w.DB.Exec(`UPDATE api_tokens SET revoked_at = now() WHERE name = 'anna'`); err != nil {
		t.Fatal(err)
	}
	d.keys("f2")
	d.expectContains("the daemon refused this terminal's token")
}

func TestStartWithUnknownRegister(t *testing.T) {
	t.Parallel()
	w := terminaltest.Start(t, terminaltest.Options{})
	d := newDriverFor(t, w, w.Cashier, "Back")
	d.expectContains("Press r to try again")
	d.keys("f2", "o")
	d.expectContains("Press r to try again")
}

func TestChooseRegister(t *testing.T) {
	t.Parallel()
	w := terminaltest.Start(t, terminaltest.Options{})
	if _, err := w.DB.Exec(`INSERT INTO registers (outlet_id, name) VALUES ($1, 'Back')`, w.Shop.OutletID); err != nil {
		t.Fatal(err)
	}
	d := newDriver(t, w, w.Cashier)
	d.expectScreen("choose_register")
	d.keys("down", "down", "up", "enter")
	d.expectContains("Register Gent/Back", "CLOSED")
	d.keys("o", "50.00", "enter", "enter")
	var reg string
	if err := w.DB.Get(&reg, `SELECT r.name FROM register_sessions s JOIN registers r ON r.id = s.register_id WHERE s.closed_at IS NULL`); err != nil {
		t.Fatal(err)
	}
	if reg != "Back" {
		t.Fatalf("opened register %q, want Back", reg)
	}
}

// saleRows returns the sales listed on the screen.
func saleRows(screen string) []string {
	var rows []string
	for _, l := range strings.Split(screen, "\n") {
		if strings.HasPrefix(l, "> #") || strings.HasPrefix(l, "  #") {
			rows = append(rows, l)
		}
	}
	return rows
}

func TestSalesSearchAndFilters(t *testing.T) {
	t.Parallel()
	w := terminaltest.Start(t, terminaltest.Options{Orders: 150})
	importAll(t, w)
	d := newDriver(t, w, w.Cashier)
	d.keys("f2", "/", "sarah", "enter")
	rows := saleRows(d.screen())
	if len(rows) == 0 {
		t.Fatalf("no sale of a customer called Sarah:\n%s", d.screen())
	}
	for _, r := range rows {
		if !strings.Contains(r, "Sarah") {
			t.Errorf("searching for sarah lists %q", r)
		}
	}

	// Shopify and today together: only today's Shopify sales (the clock says 2026-11-25).
	d.keys("/", "ctrl+u", "enter", "s", "t")
	d.expectContains("Shopify, today")
	var today int
	err := w.DB.Get(&today, `SELECT count(*) FROM sales WHERE source = 'shopify'
		AND (sold_at AT TIME ZONE 'Europe/Brussels')::date = '2026-11-25'`)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d Shopify sales today", today)
	rows = saleRows(d.screen())
	if len(rows) != min(today, 14) {
		t.Errorf("%d sales listed for today, the database has %d:\n%s", len(rows), today, d.screen())
	}
	for _, r := range rows {
		if !strings.Contains(r, "2026-11-25 ") {
			t.Errorf("the today filter lists %q", r)
		}
	}
	if today == 0 {
		d.expectContains("No sales match.")
	}
}

func TestReportsListTheRegistersSessions(t *testing.T) {
	t.Parallel()
	w := terminaltest.Start(t, terminaltest.Options{})
	api := client.New(w.URL, w.Cashier)
	ctx := context.Background()
	// Two sessions closed elsewhere (the command line, another terminal), one open.
	for _, float := range []string{"100.00", "120.00"} {
		if _, err := api.OpenRegister(ctx, "Front", client.OpenRequest{OpeningFloat: float}); err != nil {
			t.Fatal(err)
		}
		if _, err := api.CloseRegister(ctx, "Front", client.CloseRequest{Counts: []client.CountInput{{Type: "Cash", Counted: float}}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := api.OpenRegister(ctx, "Front", client.OpenRequest{OpeningFloat: "130.00"}); err != nil {
		t.Fatal(err)
	}
	d := newDriver(t, w, w.Cashier)
	d.keys("f4")
	d.expectScreen("reports_sessions")
	d.keys("down", "enter")
	d.expectContains("Closing report of session 1", "100.00")
	d.keys("esc", "x")
	d.expectContains("X-report of the open session 3", "130.00")
}

func TestShopifyFollowsARunStartedElsewhere(t *testing.T) {
	t.Parallel()
	w := terminaltest.Start(t, terminaltest.Options{})
	d := newDriver(t, w, w.Cashier)
	d.keys("f3")
	d.expectContains("none yet")

	w.Sim.ScriptFaults("orders.json", shopifysim.Fault{Kind: shopifysim.FaultSlow, Delay: 2 * time.Second})
	run, err := client.New(w.URL, w.Cashier).StartImport(context.Background(), client.ImportRequest{Mode: "all"})
	if err != nil {
		t.Fatal(err)
	}
	// Asking for another run while it goes is refused by the daemon, in its words.
	d.keys("n")
	d.expectContains("an import is already running")
	d.keys("r")
	d.expectContains(fmt.Sprintf("Run %d (Get all): finished", run.RunID))
	running := false
	for _, s := range d.seen {
		running = running || strings.Contains(s, fmt.Sprintf("Run %d (Get all): running", run.RunID))
	}
	if !running {
		t.Error("the screen did not follow the run while it went")
	}
	// Pressing a while a run goes is the daemon's to refuse; here the run has ended, so a
	// new one starts.
	waitImportIdle(t, w)
	d.keys("a")
	d.expectContains(fmt.Sprintf("Run %d (Get all): finished", run.RunID+1), "already imported")
}

// TestFormsOfferTheDaemonsPaymentTypes adds two payment types counted in the drawer: the
// payment form offers them (the list of types is cut to fit), and the close form asks to
// count the one the session took nothing of, at an expected zero.
func TestFormsOfferTheDaemonsPaymentTypes(t *testing.T) {
	t.Parallel()
	w := terminaltest.Start(t, terminaltest.Options{})
	if _, err := w.DB.Exec(`INSERT INTO payment_types (name, counted) VALUES ('Vouchers', true), ('Tokens', true)`); err != nil {
		t.Fatal(err)
	}
	importAll(t, w)
	if _, err := client.New(w.URL, w.Cashier).OpenRegister(context.Background(), "Front", client.OpenRequest{OpeningFloat: "100.00"}); err != nil {
		t.Fatal(err)
	}
	receipt, _ := awaitingSale(t, w)

	d := newDriver(t, w, w.Cashier)
	d.keys("f2", "a", "/", receipt, "enter", "enter", "p")
	d.expectContains("[Bank deposit      ]  ←/→ Bank deposit · Cash · Card · …\n")
	d.keys("left")
	d.expectContains("[Tokens            ]")
	d.keys("enter", "enter", "enter")
	d.expectContains("(Tokens)", "balance now 0.00")
	var paidBy string
	if err := w.DB.Get(&paidBy, `SELECT t.name FROM payments p JOIN payment_types t ON t.id = p.payment_type_id
		JOIN sales s ON s.id = p.sale_id WHERE s.receipt_number = $1 ORDER BY p.id DESC LIMIT 1`, receipt); err != nil {
		t.Fatal(err)
	}
	if paidBy != "Tokens" {
		t.Fatalf("%s paid by %q, want Tokens", receipt, paidBy)
	}

	d.keys("f1", "r", "c")
	d.expectContains("Cash", "Tokens", "Vouchers   [                  ]  expected      0.00")
	d.keys("100.00", "enter", "enter", "5.00", "enter", "enter")
	d.expectContains("Close register Gent/Front?", "Vouchers")
	d.keys("y")
	var counted string
	if err := w.DB.Get(&counted, `SELECT c.counted::text FROM register_session_counts c JOIN payment_types t ON t.id = c.payment_type_id
		WHERE t.name = 'Vouchers'`); err != nil {
		t.Fatalf("no count of Vouchers at close: %v", err)
	}
	if counted != "5.00" {
		t.Fatalf("Vouchers counted %s at close, want 5.00", counted)
	}
}

// TestVoidAPaymentOnTheSalesScreen voids a payment from a sale's detail: the screen asks
// which payment and why, names the payment and its sale before it is voided, and shows the
// sale owing the amount again; the daemon's refusal of a payment Shopify collected is
// shown under the form.
func TestVoidAPaymentOnTheSalesScreen(t *testing.T) {
	t.Parallel()
	w := terminaltest.Start(t, terminaltest.Options{})
	importAll(t, w)
	api := client.New(w.URL, w.Cashier)
	ctx := context.Background()
	if _, err := api.OpenRegister(ctx, "Front", client.OpenRequest{OpeningFloat: "100.00"}); err != nil {
		t.Fatal(err)
	}
	var sale struct {
		Receipt string `db:"receipt_number"`
		Shopify int64  `db:"shopify_payment"`
	}
	if err := w.DB.Get(&sale, `SELECT s.receipt_number, p.id AS shopify_payment FROM sales s JOIN payments p ON p.sale_id = s.id
		WHERE s.balance > 5 AND p.source = 'shopify' ORDER BY s.sold_at DESC LIMIT 1`); err != nil {
		t.Fatalf("no sale with a Shopify payment still owing: %v", err)
	}
	paid, err := api.ApplyPayment(ctx, client.PaymentRequest{Register: "Front", Receipt: sale.Receipt, PaymentType: "Cash", Amount: "5.00"})
	if err != nil {
		t.Fatal(err)
	}
	id := fmt.Sprint(paid.PaymentID)

	d := newDriver(t, w, w.Cashier)
	d.keys("f2", "/", sale.Receipt, "enter", "enter")
	d.expectContains("v void payment")
	d.keys("v")
	d.expectScreen("sale_void_form")

	// A number that is not one of the sale's payments is not sent.
	d.keys("ctrl+u", "99999", "enter", "rang up twice", "enter")
	d.expectContains(sale.Receipt + ` has no payment "99999"`)

	// The daemon refuses a payment Shopify collected, in its words: ← offers it.
	d.keys("up", "ctrl+u", id, "left")
	d.expectContains(fmt.Sprintf("[%-18d]  ←/→ ", sale.Shopify))
	d.keys("enter", "enter", "y")
	d.expectContains("was collected by Shopify")

	d.keys("up", "right", "enter", "enter")
	d.expectScreen("sale_void_confirm")
	d.expectContains("Void payment "+id+" of sale "+sale.Receipt+"?", "5.00 Cash")
	d.keys("n")
	d.expectContains("Void a payment of " + sale.Receipt)
	var voids int
	if err := w.DB.Get(&voids, `SELECT count(*) FROM payment_voids`); err != nil || voids != 0 {
		t.Fatalf("%d voids before the yes (%v)", voids, err)
	}
	d.keys("enter", "y")
	d.expectContains("Voided payment "+id+" (5.00 Cash)", "VOIDED", "rang up twice")

	var void struct {
		Reason string `db:"reason"`
		By     string `db:"recorded_by"`
		Token  string `db:"token"`
	}
	if err := w.DB.Get(&void, `SELECT v.reason, v.recorded_by, t.name AS token FROM payment_voids v JOIN api_tokens t ON t.id = v.token_id
		WHERE v.payment_id = $1`, paid.PaymentID); err != nil {
		t.Fatal(err)
	}
	if void.Reason != "rang up twice" || void.By != "anna" || void.Token != "anna" {
		t.Fatalf("void %+v", void)
	}
	if after, err := api.Sale(ctx, sale.Receipt, ""); err != nil || after.Balance != paid.BalanceBefore {
		t.Fatalf("%s owes %s after the void (%v), want %s again", sale.Receipt, after.Balance, err, paid.BalanceBefore)
	}
	// The voided payment is not offered again: only the one Shopify collected is left.
	d.keys("v", "left")
	d.expectContains(fmt.Sprintf("[%-18d]", sale.Shopify))
}
