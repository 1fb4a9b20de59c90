package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/kassa-pos/kassa/internal/terminaltest"
)

// TestRefusals in the browser: a cashier sees no manager links and is refused a
// manager's page with the daemon's reason; a form posted without its CSRF token, or with
// another one, is refused and changes nothing; so is a sign-in without the sign-in
// form's token. A manager then reads the nightly report with its charts.
func TestRefusals(t *testing.T) {
	w := startWorld(t, terminaltest.Options{})
	b := newBrowser(t, w, 1024, 768)
	b.signIn(w.Cashier)

	b.step("a cashier's reports", b.open("/reports"), chromedp.WaitVisible("#sessions"))
	if n := eval[int](b, `document.querySelectorAll("#night-h, a[href^='/reports/nightly']").length`); n != 0 {
		t.Fatalf("a cashier sees %d links to the nightly report", n)
	}
	b.step("a cashier opens the nightly report", b.open("/reports/nightly?date=2026-11-25"), chromedp.WaitVisible(".flash.problem"))
	if msg := b.text(".flash.problem"); !strings.Contains(msg, "manager") {
		t.Fatalf("the refusal reads %q, want the daemon's reason (a manager token)", msg)
	}
	if st := eval[int](b, `fetch("/reports/nightly?date=2026-11-25").then(r => r.status)`); st != 403 {
		t.Fatalf("the nightly report answers a cashier %d, want 403", st)
	}

	csrf := eval[string](b, `document.body.dataset.csrf`)
	if csrf == "" {
		t.Fatal("the page carries no CSRF token")
	}
	for name, js := range map[string]string{
		"no token":                  `fetch("/register/open", {method: "POST", body: new URLSearchParams({register: "1", float: "10.00"})}).then(r => r.status)`,
		"another token":             `fetch("/register/open", {method: "POST", body: new URLSearchParams({register: "1", float: "10.00", csrf: "forged"})}).then(r => r.status)`,
		"a header of another token": `fetch("/register/open", {method: "POST", headers: {"X-CSRF-Token": "forged"}, body: new URLSearchParams({register: "1", float: "10.00"})}).then(r => r.status)`,
		"sign-in without its token": `fetch("/signin", {method: "POST", body: new URLSearchParams({token: "x"})}).then(r => r.status)`,
	} {
		if st := eval[int](b, js); st != 403 {
			t.Errorf("a post with %s answered %d, want 403", name, st)
		}
	}
	var sessions int
	if err := w.DB.Get(&sessions, `SELECT count(*) FROM register_sessions`); err != nil {
		t.Fatal(err)
	}
	if sessions != 0 {
		t.Fatalf("%d register sessions after the refused posts, want none", sessions)
	}
	// The same post with the page's token is done: the refusals were the token's.
	if st := eval[int](b, `fetch("/register/open", {method: "POST", body: new URLSearchParams({register: "1", float: "10.00", csrf: document.body.dataset.csrf})}).then(r => r.status)`); st != 200 {
		t.Fatalf("the post with the page's CSRF token answered %d, want 200 (after the redirect)", st)
	}
	b.step("a form posted from a page without the token is refused on screen",
		b.open("/register"),
		chromedp.WaitVisible("#close-form"),
		chromedp.SetAttributeValue(`#close-form input[name="csrf"]`, "value", ""),
		chromedp.Evaluate[chromedp.Void](`document.body.removeAttribute("data-csrf")`),
		chromedp.SendKeys("#count-0", "10.00"),
		chromedp.Submit("#count-0"),
		chromedp.WaitVisible(".flash.problem"),
	)
	if msg := b.text(".flash.problem"); !strings.Contains(msg, "security token") {
		t.Fatalf("the page reads %q, want the CSRF refusal", msg)
	}

	b.step("sign out", b.open("/register"), chromedp.WaitVisible("#close-form"),
		chromedp.Click(`form[action="/signout"] button`), chromedp.WaitVisible("#token"))
	b.step("a page after signing out asks to sign in", b.open("/sales"), chromedp.WaitVisible("#token"))

	b.step("a manager signs in", b.open("/signin"), chromedp.WaitVisible("#token"),
		chromedp.SendKeys("#token", w.Manager), chromedp.Submit("#token"), chromedp.WaitVisible("#register-state"))
	b.step("the manager generates the nightly report",
		b.open("/reports"),
		chromedp.WaitVisible("#night-date"),
		chromedp.Submit("#night-date"),
		chromedp.WaitVisible("#generate-nightly"),
		chromedp.Click("#generate-nightly"),
		chromedp.WaitVisible("#chart-hourly svg"),
	)
	if bars := eval[int](b, `document.querySelectorAll("#chart-hourly svg rect title").length`); bars != 48 {
		t.Fatalf("the nightly chart has %d bars, want 24 hours × 2 sources", bars)
	}
	b.step("the manager's Shopify screen shows the connection's health", b.open("/shopify"), chromedp.WaitVisible("#health-h"))
	if health := b.text("#health"); !strings.Contains(health, "API version") || !strings.Contains(health, "Webhooks") || !strings.Contains(health, "Access token expires") ||
		!strings.Contains(health, "Stock push to Shopify") || !strings.Contains(health, "Products waiting to be pushed") {
		t.Fatalf("the connection health reads %q", health)
	}
}
