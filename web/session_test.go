package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/kassa-pos/kassa/daemon"
	"github.com/kassa-pos/kassa/daemon/client"
	"github.com/kassa-pos/kassa/internal/terminaltest"
)

// TestRevokedTokenEndsTheSession: once the staff member's token is revoked, the next page
// of the web register asks to sign in again, saying the session ended; every page carries
// the Content-Security-Policy that allows only the register's own scripts and styles.
func TestRevokedTokenEndsTheSession(t *testing.T) {
	w := startWorld(t, terminaltest.Options{})
	web := signInHTTP(t, w.URL, w.Cashier)
	resp, err := web.hc.Get(w.URL + "/sales")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Fatalf("the page's Content-Security-Policy is %q", csp)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the sales page answered %d before the revocation", resp.StatusCode)
	}
	if _, err := (daemon.TokenStore{}).Revoke(context.Background(), w.DB, "anna"); err != nil {
		t.Fatal(err)
	}
	st, body := web.get("/sales")
	if st != http.StatusOK || !strings.Contains(body, `id="token"`) || !strings.Contains(body, "Your session has ended") {
		t.Fatalf("after the revocation the sales page answered %d:\n%s", st, body)
	}
	// The session cookie is gone: the register page too asks to sign in.
	if _, body := web.get("/register"); !strings.Contains(body, `id="token"`) {
		t.Fatalf("after the revocation the register page shows:\n%s", body)
	}
}

// TestCloseNamesItsSession: a close form shown for one session, posted after another till
// closed that session and opened the next, is refused and closes nothing.
func TestCloseNamesItsSession(t *testing.T) {
	w := startWorld(t, terminaltest.Options{})
	ctx := context.Background()
	api := client.New(w.URL, w.Manager)
	first, err := api.OpenRegister(ctx, "Front", client.OpenRequest{OpeningFloat: "100.00"})
	if err != nil {
		t.Fatal(err)
	}
	web := signInHTTP(t, w.URL, w.Cashier)
	// Elsewhere, the session is closed and the next one opened.
	if _, err := api.CloseRegister(ctx, "Front", client.CloseRequest{Counts: []client.CountInput{{Type: "Cash", Counted: "100.00"}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := api.OpenRegister(ctx, "Front", client.OpenRequest{OpeningFloat: "50.00"}); err != nil {
		t.Fatal(err)
	}
	st, body := web.post("/register/close", url.Values{"csrf": {web.csrf}, "session": {strconv.FormatInt(first.Session.ID, 10)},
		"type": {"Cash"}, "counted": {"100.00"}, "confirm": {"yes"}})
	if st != http.StatusConflict || !strings.Contains(body, "The register&#39;s session changed") {
		t.Fatalf("closing the old session answered %d:\n%s", st, body)
	}
	var open int
	if err := w.DB.Get(&open, `SELECT count(*) FROM register_sessions WHERE closed_at IS NULL AND opening_float = 50.00`); err != nil {
		t.Fatal(err)
	}
	if open != 1 {
		t.Fatal("the new session was closed by a form of the old one")
	}
}
