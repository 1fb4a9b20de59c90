package web_test

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/shopspring/decimal"

	"github.com/kassa-pos/kassa/internal/terminaltest"
	"github.com/kassa-pos/kassa/sync/shopifysim"
)

// TestCounterDay is a cashier's day in the browser: sign in, open the register with a
// float typed on the keypad, get the new Shopify orders and watch the pushed progress
// reach the end, take a bank deposit for a sale awaiting payment, close the register
// with counts (the difference shown as they are typed, then confirmed), read the closing
// report with its charts, and print it on the 80 mm receipt printer.
func TestCounterDay(t *testing.T) {
	w := startWorld(t, terminaltest.Options{})
	b := newBrowser(t, w, 1024, 768)

	b.signIn(w.Cashier)
	b.screenshot("register-closed")

	b.step("open the register with the keypad",
		chromedp.Click("#float"),
		chromedp.Click(`#open-form .keypad button[data-key="1"]`),
		chromedp.Click(`#open-form .keypad button[data-key="5"]`),
		chromedp.Click(`#open-form .keypad button[data-key="0"]`),
		chromedp.SendKeys("#float", ".00"),
		chromedp.Click(`#open-form button[type="submit"]`),
		chromedp.WaitVisible("#close-form"),
	)
	if s := b.text("#register-state"); !strings.Contains(s, "Open") || !strings.Contains(s, "150.00") {
		t.Fatalf("register state %q, want open with a float of 150.00", s)
	}
	var open int
	if err := w.DB.Get(&open, `SELECT count(*) FROM register_sessions WHERE closed_at IS NULL AND opening_float = 150.00 AND opened_by = 'anna'`); err != nil {
		t.Fatal(err)
	}
	if open != 1 {
		t.Fatalf("%d open sessions with a float of 150.00 by anna, want 1", open)
	}

	// The first page of orders comes slowly, so the run is seen going whatever the load.
	w.Sim.ScriptFaults("orders.json", shopifysim.Fault{Kind: shopifysim.FaultSlow, Delay: 500 * time.Millisecond})
	b.step("get the new Shopify orders",
		b.open("/shopify"),
		chromedp.WaitVisible("#sixty-days"),
		chromedp.Click("#import-new"),
		chromedp.WaitVisible(`[data-sse] .progress[data-status="running"]`),
	)
	b.step("the pushed progress reaches the end",
		chromedp.WaitVisible(`[data-sse][data-done="1"] .progress[data-status="finished"]`),
	)
	var run struct {
		Seen, Total, Imported int
	}
	if err := w.DB.Get(&run, `SELECT seen, total, imported FROM import_runs WHERE id = 1`); err != nil {
		t.Fatal(err)
	}
	progress := b.text(".progress .count")
	seen := strconv.Itoa(run.Seen) + " orders"
	if run.Total > 0 {
		seen = strconv.Itoa(run.Seen) + " / " + strconv.Itoa(run.Total) + " orders"
	}
	if run.Imported == 0 || !strings.HasPrefix(progress, seen) ||
		!strings.Contains(progress, "imported "+strconv.Itoa(run.Imported)) {
		t.Fatalf("the progress shows %q; the run saw %d of %d and imported %d", progress, run.Seen, run.Total, run.Imported)
	}
	if full := eval[bool](b, `document.querySelector("progress").value === document.querySelector("progress").max`); !full {
		t.Fatal("the progress bar of the finished run is not full")
	}
	b.screenshot("import-run")

	// A bank deposit for the newest sale awaiting payment, found with the filter.
	var owed struct {
		Receipt string          `db:"receipt_number"`
		Balance decimal.Decimal `db:"balance"`
	}
	if err := w.DB.Get(&owed, `SELECT receipt_number, balance FROM sales WHERE balance > 0 ORDER BY sold_at DESC, id DESC LIMIT 1`); err != nil {
		t.Fatalf("no sale awaiting payment: %v", err)
	}
	b.step("find the sales awaiting payment",
		b.open("/sales"),
		chromedp.Click("#awaiting"),
		chromedp.Submit("#awaiting"),
		chromedp.WaitVisible("#sales-list"),
	)
	b.screenshot("sales")
	b.step("open the sale",
		chromedp.Click(`//table[@id="sales-list"]//a[normalize-space(.)="`+owed.Receipt+`"]`),
		chromedp.WaitVisible("#pay-form"),
	)
	b.step("take a bank deposit for its balance",
		chromedp.SetValue("#payment_type", "Bank deposit"),
		chromedp.Click(`#pay-form button[type="submit"]`),
		chromedp.WaitVisible(".flash.ok"),
	)
	if st, bal := b.text("#sale-status"), b.text("#sale-balance"); st != "paid" || bal != "0.00" {
		t.Fatalf("after the payment the sale shows %q with a balance of %s, want paid and 0.00", st, bal)
	}
	var paid int
	if err := w.DB.Get(&paid, `SELECT count(*) FROM payments p JOIN payment_types t ON t.id = p.payment_type_id JOIN sales s ON s.id = p.sale_id
		WHERE s.receipt_number = $1 AND t.name = 'Bank deposit' AND p.amount = $2 AND p.recorded_by = 'anna'`, owed.Receipt, owed.Balance); err != nil {
		t.Fatal(err)
	}
	if paid != 1 {
		t.Fatalf("%d bank deposits of %s recorded by anna for %s, want 1", paid, owed.Balance, owed.Receipt)
	}
	b.screenshot("sale")

	b.step("count the cash: the difference shows as it is typed",
		b.open("/register"),
		chromedp.Click("#count-0"),
		chromedp.SendKeys("#count-0", "148"),
		chromedp.Click(`#close-form .keypad button[data-key="."]`),
		chromedp.Click(`#close-form .keypad button[data-key="5"]`),
		chromedp.Click(`#close-form .keypad button[data-key="0"]`),
		waitText(`#differences td[data-counted]`, "148.50"),
	)
	expected := b.text(`#differences td[data-expected]`)
	diff := b.text(`#differences td[data-difference]`)
	if want := decimal.RequireFromString("148.50").Sub(decimal.RequireFromString(expected)).StringFixed(2); diff != want {
		t.Fatalf("the live difference is %q, want %s (148.50 counted, %s expected)", diff, want, expected)
	}
	b.screenshot("register-close")
	b.step("check the counts",
		chromedp.Click(`#close-form button[type="submit"]`),
		chromedp.WaitVisible("#confirm-close"),
	)
	if d := b.text(`td[data-difference]`); d != diff {
		t.Fatalf("the confirmation shows a difference of %q, the live one was %q", d, diff)
	}
	b.step("confirm the close",
		chromedp.Click("#confirm-close"),
		chromedp.WaitVisible("#payment-figures"),
	)
	var counted string
	if err := w.DB.Get(&counted, `SELECT c.counted::text FROM register_session_counts c JOIN register_sessions s ON s.id = c.session_id WHERE s.closed_at IS NOT NULL AND s.closed_by = 'anna'`); err != nil {
		t.Fatal(err)
	}
	if counted != "148.50" {
		t.Fatalf("counted %s in the database, want 148.50", counted)
	}
	// The closing report and its charts: a bar per hour with sales, a part per payment
	// type, in store and Shopify.
	figures := b.text("#payment-figures")
	if !strings.Contains(figures, "148.50") || !strings.Contains(figures, diff) || !strings.Contains(figures, "Bank deposit") {
		t.Fatalf("the closing report's payments read %q, want the count 148.50, the difference %s and the bank deposit", figures, diff)
	}
	bars := eval[int](b, `document.querySelectorAll("#chart-hourly svg rect[height]:not([height='0.0'])").length`)
	parts := eval[int](b, `document.querySelectorAll("#chart-mix svg rect title").length`)
	if bars < 3 || parts < 2 {
		t.Fatalf("the charts draw %d bars per hour (with the legend) and %d payment types, want sales and two types at least", bars, parts)
	}
	if label := eval[string](b, `document.querySelector("#chart-split svg desc").textContent`); !strings.Contains(label, "In store") || !strings.Contains(label, "Shopify") {
		t.Fatalf("the in-store vs Shopify chart describes itself as %q", label)
	}
	b.screenshot("closing-report")

	b.step("the receipt printer's view",
		chromedp.Click("#print-receipt"),
		chromedp.WaitVisible("#receipt"),
	)
	receipt := b.text("#receipt")
	for i, line := range strings.Split(receipt, "\n") {
		if n := len([]rune(line)); n > 48 {
			t.Errorf("receipt line %d is %d columns wide: %q", i+1, n, line)
		}
	}
	if !strings.Contains(receipt, "148.50") {
		t.Fatalf("the receipt does not show the count:\n%s", receipt)
	}
	// Printed, the page is 80 mm wide (226.77 points) and shows the receipt alone.
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	pdf, err := chromedp.Run(ctx, chromedp.PrintToPDF(chromedp.PDFPreferCSSPageSize()))
	if err != nil {
		t.Fatal(err)
	}
	box := regexp.MustCompile(`/MediaBox\s*\[\s*0\s+0\s+([0-9.]+)\s+([0-9.]+)\s*\]`).FindSubmatch(pdf)
	if box == nil {
		t.Fatal("the printed PDF has no page size")
	}
	if width, _ := strconv.ParseFloat(string(box[1]), 64); width < 225 || width > 228 {
		t.Fatalf("the printed page is %s points wide, want 80 mm (226.77 points)", box[1])
	}
	// In print, only the receipt shows: no header, no buttons.
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"}); err != nil {
		t.Fatal(err)
	}
	if shown := eval[string](b, `[...document.querySelectorAll("header.top, .actions, main > h1")].map(e => getComputedStyle(e).display).join(",")`); shown != "none,none,none" {
		t.Fatalf("printed, the header, buttons and title show as %q, want none", shown)
	}
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{}); err != nil {
		t.Fatal(err)
	}
	b.screenshot("receipt")
}

// waitText waits until the element sel matches shows want.
func waitText(sel, want string) chromedp.Action[chromedp.Void] {
	js := `(() => { const e = document.querySelector(` + strconv.Quote(sel) + `); return !!e && e.textContent.trim() === ` + strconv.Quote(want) + `; })()`
	return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Run(ctx, chromedp.Poll[bool](js))
		return err
	})
}
