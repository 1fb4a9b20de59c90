package client_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/kassa-pos/kassa/daemon/client"
)

// TestErrorsCarryStatusAndMessage checks what the terminal shows for a refusal, for a
// proxy's HTML error page and for an unreachable daemon, and what the client sends.
func TestErrorsCarryStatusAndMessage(t *testing.T) {
	t.Parallel()
	var gotAuth, gotClient, gotPath string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAuth, gotClient, gotPath = r.Header.Get("Authorization"), r.Header.Get("X-Kassa-Client"), r.URL.EscapedPath()
		switch r.URL.Path {
		case "/api/v1/sales/#1001":
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"error":"sale #1001: not found"}`))
		case "/api/v1/me":
			w.WriteHeader(http.StatusBadGateway)
			w.Write([]byte(`<html>bad gateway</html>`))
		default:
			w.WriteHeader(http.StatusAccepted)
			w.Write([]byte(`{"run_id": 7, "status": "running", "outcomes": {"imported": 2}}`))
		}
	}))
	defer srv.Close()
	ctx := context.Background()
	c := client.New(srv.URL+"/", "kassa_tok", client.AsTerminal())

	_, err := c.Sale(ctx, "#1001", "")
	var ce *client.Error
	if !errors.As(err, &ce) || ce.Status != http.StatusNotFound || ce.Message != "sale #1001: not found" {
		t.Fatalf("refusal: %#v", err)
	}
	if gotPath != "/api/v1/sales/%231001" || gotAuth != "Bearer kassa_tok" || gotClient != "terminal" {
		t.Fatalf("sent path %q, auth %q, client %q", gotPath, gotAuth, gotClient)
	}
	_, err = c.Me(ctx)
	if client.StatusOf(err) != http.StatusBadGateway || err.Error() != "the kassa daemon answered 502 Bad Gateway" {
		t.Fatalf("proxy error: %v", err)
	}
	run, err := c.StartImport(ctx, client.ImportRequest{Mode: "new"})
	if err != nil || run.RunID != 7 || run.Outcomes.Imported != 2 {
		t.Fatalf("202 answer: %+v, %v", run, err)
	}
	srv.Close()
	if _, err := c.Me(ctx); err == nil || client.StatusOf(err) != 0 {
		t.Fatalf("unreachable daemon: %v", err)
	}
}
