package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/kassa-pos/kassa/daemon"
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
