package daemon_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kassa-pos/kassa/daemon"
	"github.com/kassa-pos/kassa/daemon/client"
	"github.com/kassa-pos/kassa/internal/dbtest"
	"github.com/kassa-pos/kassa/sync/shopifysim"
)

// internals are traces of Go, the driver or the libraries that staff must never read.
var internals = []string{"strconv.", "json:", "Go struct", "Go value", "sql:", "pq:", "unmarshal", "invalid syntax",
	"dial tcp", "context canceled", "EOF", "<nil>", "%!", "runtime error", "panic", "*"}

// repeated returns a part of msg that it says twice ("session 99: session 99: not
// found"), or "".
func repeated(msg string) string {
	seen := map[string]bool{}
	for _, part := range strings.Split(msg, ": ") {
		if part = strings.TrimSpace(part); len(part) >= 3 {
			if seen[part] {
				return part
			}
			seen[part] = true
		}
	}
	return ""
}

// TestEveryAPIErrorIsOneSentenceForStaff sends bad input to every route and field and
// checks each refusal: a 4xx, one line, no Go internals, nothing said twice.
func TestEveryAPIErrorIsOneSentenceForStaff(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	clk := &clock{}
	s := newShop(t, db, 5, "", clk, shopifysim.WebhookOptions{})
	in := start(t, db, listen(t), fastConfig(), daemon.Deps{Clock: clk.Now, Logger: testLogger(t, nil)})
	cashier := token(t, db, "till", daemon.RoleCashier)
	manager := token(t, db, "owner", daemon.RoleManager)
	if _, err := db.Exec(`INSERT INTO import_runs (connection_id, mode, trigger, status, started_at) VALUES ($1, 'all', 'cli', 'finished', now())`, s.conn.ID); err != nil {
		t.Fatal(err)
	}
	call := func(method, path, body, tok string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(method, in.url+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var e struct {
			Error string `json:"error"`
		}
		if err := json.Unmarshal(b, &e); err != nil || e.Error == "" {
			t.Errorf("%s %s: %d %q is not an error object", method, path, resp.StatusCode, b)
		}
		return resp.StatusCode, e.Error
	}
	q := url.QueryEscape
	// An open session on Front, for the refusals that need one.
	if _, err := client.New(in.url, cashier).OpenRegister(context.Background(), "Front", client.OpenRequest{OpeningFloat: "10.00"}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		method, path, body string
		tok                string
		want               string // part of the message
	}{
		{"GET", "/api/v1/me", "", "", "bearer token"},
		{"GET", "/api/v1/me", "", "nope", ""},
		{"GET", "/api/v1/reports/nightly?date=2026-11-24", "", cashier, "manager token"},
		{"GET", "/api/v1/registers/99", "", cashier, ""},
		{"GET", "/api/v1/registers/Nope", "", cashier, "Nope"},
		{"GET", "/api/v1/registers/Front/sessions?limit=abc", "", cashier, "limit"},
		{"GET", "/api/v1/registers/Front/sessions?limit=0", "", cashier, "limit"},
		{"POST", "/api/v1/registers/Front/open", `{"opening_float": "10.00"}`, cashier, "already"},
		{"POST", "/api/v1/registers/Back/open", `{"opening_float": "10.00"}`, cashier, "Back"},
		{"POST", "/api/v1/registers/Front/open", `{"opening_float": 150}`, cashier, "opening_float"},
		{"POST", "/api/v1/registers/Front/open", `{"opening_float": "abc"}`, cashier, "opening_float"},
		{"POST", "/api/v1/registers/Front/open", `{"opening_float": "-1"}`, cashier, "opening_float"},
		{"POST", "/api/v1/registers/Front/open", `{"opening_float": "1.005"}`, cashier, "opening_float"},
		{"POST", "/api/v1/registers/Front/open", `{"opening_float": "1", "by": 5}`, cashier, "by"},
		{"POST", "/api/v1/registers/Front/open", `{"opening_float": "1", "floaty": 1}`, cashier, "floaty"},
		{"POST", "/api/v1/registers/Front/open", `[1, 2]`, cashier, ""},
		{"POST", "/api/v1/registers/Front/open", `{"opening_float": `, cashier, ""},
		{"POST", "/api/v1/registers/Front/open", `{"opening_float" "1"}`, cashier, ""},
		{"POST", "/api/v1/registers/Front/open", `"x"`, cashier, ""},
		{"POST", "/api/v1/registers/Front/open", ``, cashier, "JSON body"},
		{"POST", "/api/v1/registers/Front/close", `{"counts": "x"}`, cashier, "counts"},
		{"POST", "/api/v1/registers/Front/close", `{"counts": [{"type": "Cash", "counted": 5}]}`, cashier, "counted"},
		{"POST", "/api/v1/registers/Front/close", `{"counts": [{"type": "Nope", "counted": "1"}]}`, cashier, "Nope"},
		{"POST", "/api/v1/registers/Front/close", `{"counts": [{"type": "Cash", "counted": "x"}]}`, cashier, "Cash"},
		{"POST", "/api/v1/registers/99/close", `{"counts": []}`, cashier, ""},
		{"GET", "/api/v1/sales?from=yesterday", "", cashier, "from"},
		{"GET", "/api/v1/sales?to=x", "", cashier, "to"},
		{"GET", "/api/v1/sales?source=web", "", cashier, "source"},
		{"GET", "/api/v1/sales?awaiting_payment=maybe", "", cashier, "awaiting_payment"},
		{"GET", "/api/v1/sales?limit=abc", "", cashier, "limit"},
		{"GET", "/api/v1/sales?limit=0", "", cashier, "limit"},
		{"GET", "/api/v1/sales?limit=501", "", cashier, "limit"},
		{"GET", "/api/v1/sales?offset=-1", "", cashier, "offset"},
		{"GET", "/api/v1/sales?outlet=Nope", "", cashier, "Nope"},
		{"GET", "/api/v1/sales/" + q("#999"), "", cashier, "#999"},
		{"GET", "/api/v1/sales/999", "", cashier, "'#999'"},
		{"GET", "/api/v1/sales/" + q("#999") + "?outlet=Nope", "", cashier, "Nope"},
		{"POST", "/api/v1/payments", `{}`, cashier, "register"},
		{"POST", "/api/v1/payments", `{"register": "Front", "receipt": "#1", "payment_type": "Cash", "amount": 5}`, cashier, "amount"},
		{"POST", "/api/v1/payments", `{"register": "Front", "receipt": "#1", "payment_type": "Cash", "amount": "abc"}`, cashier, "abc"},
		{"POST", "/api/v1/payments", `{"register": "Front", "receipt": "#1", "payment_type": "Cash", "paid_at": "yesterday"}`, cashier, "paid_at"},
		{"POST", "/api/v1/payments", `{"register": "Nope", "receipt": "#1", "payment_type": "Cash"}`, cashier, "Nope"},
		{"POST", "/api/v1/payments", `{"register": "Front", "receipt": "#999", "payment_type": "Cash"}`, cashier, "#999"},
		{"POST", "/api/v1/payments", `{"register": "Front", "receipt": "#1", "payment_type": "Cheque"}`, cashier, "Cheque"},
		{"POST", "/api/v1/imports", `{"mode": "everything"}`, cashier, "mode"},
		{"POST", "/api/v1/imports", `{"mode": 5}`, cashier, "mode"},
		{"POST", "/api/v1/imports", `{"mode": "all", "shop": "nope"}`, cashier, "nope"},
		{"POST", "/api/v1/imports", `{"mode": "all", "shop": "not a shop!"}`, cashier, "myshopify"},
		{"GET", "/api/v1/imports?limit=abc", "", cashier, "limit"},
		{"GET", "/api/v1/imports?shop=" + q("not a shop!"), "", cashier, "myshopify"},
		{"GET", "/api/v1/imports?shop=other", "", cashier, "other"},
		{"GET", "/api/v1/imports/abc", "", cashier, "run"},
		{"GET", "/api/v1/imports/999", "", cashier, "999"},
		{"GET", "/api/v1/imports/999/outcomes", "", cashier, "999"},
		{"GET", "/api/v1/imports/1/outcomes?outcome=weird", "", cashier, "weird"},
		{"GET", "/api/v1/reports/closing/abc", "", cashier, "session"},
		{"GET", "/api/v1/reports/closing/999", "", cashier, "999"},
		{"GET", "/api/v1/reports/closing/1?format=pdf", "", cashier, "format"},
		{"GET", "/api/v1/reports/nightly?date=x", "", manager, "date"},
		{"GET", "/api/v1/reports/nightly?date=2026-11-24&outlet=Nope", "", manager, "Nope"},
		{"GET", "/api/v1/reports/nightly?date=2026-11-24", "", manager, "nightly report"},
		{"POST", "/api/v1/reports/nightly", `{"date": "x"}`, manager, "date"},
		{"POST", "/api/v1/reports/nightly", `{"date": 20261124}`, manager, "date"},
		{"GET", "/api/v1/stock?outlet=Nope", "", cashier, "Nope"},
		{"POST", "/api/v1/connections/nope/disconnect", "", manager, "nope"},
		{"POST", "/api/v1/connections/" + q("not a shop!") + "/disconnect", "", manager, "myshopify"},
		{"GET", "/api/v1/nothing", "", cashier, "no such API route"},
		{"PUT", "/api/v1/payments", "", cashier, "POST"},
	} {
		status, msg := call(c.method, c.path, c.body, c.tok)
		what := c.method + " " + c.path + " " + c.body
		if status < 400 || status >= 500 {
			t.Errorf("%s: status %d (%q), want a 4xx refusal", what, status, msg)
		}
		if !strings.Contains(msg, c.want) {
			t.Errorf("%s: %q does not say %q", what, msg, c.want)
		}
		if strings.ContainsAny(msg, "\n\r") {
			t.Errorf("%s: %q is more than one line", what, msg)
		}
		for _, bad := range internals {
			if strings.Contains(msg, bad) {
				t.Errorf("%s: %q shows %q", what, msg, bad)
			}
		}
		if part := repeated(msg); part != "" {
			t.Errorf("%s: %q says %q twice", what, msg, part)
		}
		t.Logf("%s -> %d %s", what, status, msg)
	}
}
