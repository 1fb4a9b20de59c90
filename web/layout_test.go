package web_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kassa-pos/kassa/daemon/client"
	"github.com/kassa-pos/kassa/internal/terminaltest"
)

// a11yCheck lists what breaks the counter's rules on the page shown: a page wider than
// the screen, a control smaller than 44 px, a field without a label, a control the
// keyboard cannot reach.
const a11yCheck = `(() => {
  const out = [];
  if (document.documentElement.scrollWidth > window.innerWidth + 1) {
    out.push("the page is " + document.documentElement.scrollWidth + " px wide on a " + window.innerWidth + " px screen");
  }
  const visible = (e) => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0 && getComputedStyle(e).visibility !== "hidden"; };
  for (const e of document.querySelectorAll("a[href], button, input:not([type=hidden]), select")) {
    if (!visible(e) || e.closest(".skip")) continue;
    const r = e.getBoundingClientRect();
    const name = e.tagName + (e.id ? "#" + e.id : "") + " " + (e.textContent || e.name || "").trim().slice(0, 30);
    const box = e.type === "checkbox" ? e.closest("div") || e : e;
    if (box.getBoundingClientRect().height < 44 || (e.type !== "checkbox" && r.width < 44)) out.push("too small to touch: " + name + " " + Math.round(r.width) + "×" + Math.round(r.height));
    if (e.tabIndex < 0 && !e.closest(".keypad")) out.push("not reachable by keyboard: " + name);
    if (e.matches("input, select")) {
      const labelled = (e.id && document.querySelector("label[for='" + e.id + "']")) || e.getAttribute("aria-label") || e.closest("label");
      if (!labelled) out.push("no label: " + name);
    }
  }
  return out;
})()`

// TestFitsTheCounter: at 1024×768 and on a 390×844 phone, every screen fits the width,
// its controls are 44 px at least, labelled and reachable by keyboard.
func TestFitsTheCounter(t *testing.T) {
	w := startWorld(t, terminaltest.Options{})
	counterProducts(t, w)
	ctx := context.Background()
	api := client.New(w.URL, w.Manager)
	if _, err := api.OpenRegister(ctx, "Front", client.OpenRequest{OpeningFloat: "100.00"}); err != nil {
		t.Fatal(err)
	}
	sold, err := api.Sell(ctx, "Front", client.SellRequest{Lines: []client.SellLine{{Code: "CUP", Quantity: 2}}, Payments: []client.Tender{{Type: "Cash", Amount: "30.00"}}})
	if err != nil {
		t.Fatal(err)
	}
	run, err := api.StartImport(ctx, client.ImportRequest{Mode: "all"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := api.WaitImport(ctx, run.RunID, 5*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	list, err := api.Sales(ctx, client.SalesQuery{Limit: 1})
	if err != nil || len(list) == 0 {
		t.Fatalf("no sale: %v", err)
	}
	// The nightly report of the busiest day the shop's orders were placed on, the outlet
	// having been opened before the orders came.
	if _, err := w.DB.Exec(`UPDATE outlets SET created_at = created_at - interval '60 days'`); err != nil {
		t.Fatal(err)
	}
	var day string
	if err := w.DB.Get(&day, `SELECT (sold_at AT TIME ZONE 'Europe/Brussels')::date::text FROM sales
		GROUP BY 1 ORDER BY count(*) DESC, 1 DESC LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	if _, err := api.GenerateNightly(ctx, client.NightlyRequest{Date: day}); err != nil {
		t.Fatal(err)
	}
	pages := []string{"/sell", "/sell/done?" + url.Values{"receipt": {sold.ReceiptNumber}}.Encode(), "/register", "/sales", "/sales/detail?" + url.Values{"receipt": {list[0].ReceiptNumber}}.Encode(),
		"/sales/detail?" + url.Values{"receipt": {sold.ReceiptNumber}}.Encode(), "/shopify",
		fmt.Sprintf("/shopify/runs/%d", run.RunID), "/reports", "/reports/closing/1", "/reports/closing/1/print", "/reports/nightly?date=" + day}
	for _, size := range [][2]int{{1024, 768}, {390, 844}} {
		b := newBrowser(t, w, size[0], size[1])
		b.signIn(w.Manager)
		for _, p := range pages {
			b.step(fmt.Sprintf("%dx%d %s", size[0], size[1], p), b.open(p), chromedp.WaitVisible("main h1"))
			if problems := eval[[]string](b, a11yCheck); len(problems) > 0 {
				t.Errorf("%s at %d×%d:\n  %s", p, size[0], size[1], strings.Join(problems, "\n  "))
			}
			if size[0] == 1024 && p == "/shopify" {
				b.screenshot("shopify")
			}
			if size[0] == 1024 && strings.HasPrefix(p, "/reports/nightly") {
				b.screenshot("nightly-report")
			}
		}
		if size[0] == 390 {
			b.step("the phone's register", b.open("/register"), chromedp.WaitVisible("main h1"))
			b.screenshot("phone-register")
		}
	}
}
