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

// TestSessionsAndPaymentTypes checks the paths and query the two list calls send and that
// their answers decode, closed_at absent for an open session.
func TestSessionsAndPaymentTypes(t *testing.T) {
	t.Parallel()
	var gotPath, gotQuery string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotPath, gotQuery = r.URL.EscapedPath(), r.URL.RawQuery
		switch r.URL.Path {
		case "/api/v1/registers/Gent/Front/sessions", "/api/v1/registers/Front/sessions":
			w.Write([]byte(`[{"id": 3, "opened_at": "2026-11-25T09:00:00+01:00", "opened_by": "anna", "opening_float": "130.00",
				"closed_at": null, "closed_by": null},
				{"id": 2, "opened_at": "2026-11-24T09:00:00+01:00", "opened_by": "anna", "opening_float": "120.00",
				"closed_at": "2026-11-24T18:00:00+01:00", "closed_by": "marc"}]`))
		case "/api/v1/payment-types":
			w.Write([]byte(`[{"name": "Cash", "counted": true}, {"name": "Card", "counted": false}]`))
		default:
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"error":"register \"Back\": not found"}`))
		}
	}))
	defer srv.Close()
	ctx := context.Background()
	c := client.New(srv.URL, "kassa_tok")

	list, err := c.Sessions(ctx, "Gent/Front", 20)
	if err != nil || len(list) != 2 || list[0].ID != 3 || list[0].ClosedAt != nil ||
		list[1].ClosedAt == nil || *list[1].ClosedAt != "2026-11-24T18:00:00+01:00" || *list[1].ClosedBy != "marc" {
		t.Fatalf("sessions: %+v, %v", list, err)
	}
	if gotPath != "/api/v1/registers/Gent%2FFront/sessions" || gotQuery != "limit=20" {
		t.Fatalf("sent path %q, query %q", gotPath, gotQuery)
	}
	if _, err := c.Sessions(ctx, "Front", 0); err != nil || gotQuery != "" {
		t.Fatalf("no limit: sent query %q, %v", gotQuery, err)
	}
	if _, err := c.Sessions(ctx, "Back", 5); client.StatusOf(err) != http.StatusNotFound || err.Error() != `register "Back": not found` {
		t.Fatalf("unknown register: %v", err)
	}
	types, err := c.PaymentTypes(ctx)
	if err != nil || len(types) != 2 || types[0] != (client.PaymentType{Name: "Cash", Counted: true}) || types[1].Counted {
		t.Fatalf("payment types: %+v, %v", types, err)
	}
	if gotPath != "/api/v1/payment-types" {
		t.Fatalf("sent path %q", gotPath)
	}
}
