package daemon_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/kassa-pos/kassa/daemon"
	"github.com/kassa-pos/kassa/internal/dbtest"
)

// TestEveryRouteRefusesMissingBadRevokedAndTooLowTokens calls every API route without a
// token, with a wrong one, with a revoked one and with a cashier token where a manager's
// is needed, and checks that a manager token gets past authentication everywhere.
func TestEveryRouteRefusesMissingBadRevokedAndTooLowTokens(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	ctx := context.Background()
	cashier := token(t, db, "till", daemon.RoleCashier)
	manager := token(t, db, "owner", daemon.RoleManager)
	revoked := token(t, db, "old-till", daemon.RoleManager)
	if _, err := (daemon.TokenStore{}).Revoke(ctx, db, "old-till"); err != nil {
		t.Fatal(err)
	}
	in := start(t, db, listen(t), fastConfig(), daemon.Deps{Logger: testLogger(t, nil)})

	routes := in.d.Routes()
	if len(routes) < 15 {
		t.Fatalf("only %d routes", len(routes))
	}
	listed := map[string]daemon.Role{}
	for _, rt := range routes {
		listed[rt.Pattern] = rt.Role
	}
	for pattern, role := range map[string]daemon.Role{
		"GET /api/v1/registers/{register}/sessions": daemon.RoleCashier,
		"GET /api/v1/payment-types":                 daemon.RoleCashier,
	} {
		if got, ok := listed[pattern]; !ok || got != role {
			t.Errorf("route %s: listed %v with role %q, want role %q", pattern, ok, got, role)
		}
	}
	managerOnly := 0
	for _, rt := range routes {
		method, path, _ := strings.Cut(rt.Pattern, " ")
		path = strings.NewReplacer("{register}", "Front", "{receipt}", "%231001", "{run}", "1", "{payment}", "1",
			"{session}", "1", "{shop}", "demo").Replace(path)
		call := func(auth string) (int, string) {
			req, err := http.NewRequest(method, in.url+path, strings.NewReader("{}"))
			if err != nil {
				t.Fatal(err)
			}
			if auth != "" {
				req.Header.Set("Authorization", auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			var body struct{ Error string }
			_ = json.Unmarshal(b, &body)
			return resp.StatusCode, body.Error
		}
		cases := []struct {
			name, auth string
			status     int
			msg        string
		}{
			{"no token", "", http.StatusUnauthorized, "bearer token"},
			{"not bearer", "Basic dXNlcjpwdw==", http.StatusUnauthorized, "Bearer TOKEN"},
			{"wrong token", "Bearer kassa_notatokenatall", http.StatusUnauthorized, "not valid"},
			{"other string", "Bearer " + strings.Repeat("x", 40), http.StatusUnauthorized, "not valid"},
			{"revoked token", "Bearer " + revoked, http.StatusUnauthorized, "revoked"},
		}
		if rt.Role == daemon.RoleManager {
			managerOnly++
			cases = append(cases, struct {
				name, auth string
				status     int
				msg        string
			}{"cashier token", "Bearer " + cashier, http.StatusForbidden, "needs a manager token"})
		}
		for _, c := range cases {
			status, msg := call(c.auth)
			if status != c.status || !strings.Contains(msg, c.msg) {
				t.Errorf("%s %s with %s: %d %q, want %d saying %q", method, path, c.name, status, msg, c.status, c.msg)
			}
		}
		for _, tok := range []string{manager, cashier} {
			if tok == cashier && rt.Role == daemon.RoleManager {
				continue
			}
			if status, msg := call("Bearer " + tok); status == http.StatusUnauthorized || status == http.StatusForbidden || status >= 500 {
				t.Errorf("%s %s with a good token: %d %q", method, path, status, msg)
			}
		}
	}
	if managerOnly == 0 {
		t.Fatal("no manager-only route: the role check is untested")
	}
	// The token's use is noted (at most once a minute).
	var used int
	if err := db.Get(&used, `SELECT count(*) FROM api_tokens WHERE last_used_at IS NOT NULL AND name IN ('till', 'owner')`); err != nil || used != 2 {
		t.Fatalf("tokens marked used: %d, %v", used, err)
	}
}
