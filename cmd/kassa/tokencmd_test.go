package main

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/kassa-pos/kassa/daemon"
	"github.com/kassa-pos/kassa/internal/dbtest"
)

func TestTokenCommands(t *testing.T) {
	t.Parallel()
	db, url := dbtest.NewWithURL(t)
	ctx := context.Background()

	var created struct{ Token, Name, Role string }
	if err := json.Unmarshal([]byte(ok(t, url, "token", "create", "--name", "front-till", "--role", "cashier", "--json")), &created); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(created.Token, "kassa_") || created.Name != "front-till" || created.Role != "cashier" {
		t.Fatalf("created %+v", created)
	}
	tok, err := daemon.TokenStore{}.Authenticate(ctx, db, created.Token)
	if err != nil || tok.Name != "front-till" || tok.Role != daemon.RoleCashier {
		t.Fatalf("the printed token does not authenticate: %+v, %v", tok, err)
	}
	var stored []byte
	if err := db.Get(&stored, `SELECT hash FROM api_tokens WHERE name = 'front-till'`); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(stored), created.Token) || len(stored) != 32 {
		t.Fatalf("the database holds %d bytes for the token, want its 32-byte hash", len(stored))
	}

	text := ok(t, url, "token", "create", "--name", "owner", "--role", "manager")
	if !strings.Contains(text, "kassa_") || !strings.Contains(text, "only this once") {
		t.Fatalf("text output %q", text)
	}
	fails(t, db, url, "a live token already has this name", "token", "create", "--name", "owner", "--role", "cashier")
	fails(t, db, url, "want cashier or manager", "token", "create", "--name", "x", "--role", "admin")
	fails(t, db, url, "needs --name and --role", "token", "create", "--name", "x")

	list := ok(t, url, "token", "list", "--json")
	if strings.Contains(list, created.Token) || !strings.Contains(list, `"front-till"`) || !strings.Contains(list, `"manager"`) {
		t.Fatalf("token list --json: %s", list)
	}
	if out := ok(t, url, "token", "list"); strings.Contains(out, "kassa_") || !strings.Contains(out, "owner") {
		t.Fatalf("token list: %s", out)
	}

	if out := ok(t, url, "token", "revoke", "front-till"); !strings.Contains(out, `revoked token "front-till"`) {
		t.Fatalf("revoke: %q", out)
	}
	if _, err := (daemon.TokenStore{}).Authenticate(ctx, db, created.Token); !errors.Is(err, daemon.ErrTokenRevoked) {
		t.Fatalf("revoked token authenticates: %v", err)
	}
	fails(t, db, url, "the token is revoked", "token", "revoke", "front-till")
	fails(t, db, url, "no such token", "token", "revoke", "nobody")
	// The name is free again once its token is revoked; revoking by id works too.
	var again struct{ ID int64 }
	if err := json.Unmarshal([]byte(ok(t, url, "token", "create", "--name", "front-till", "--role", "cashier", "--json")), &again); err != nil {
		t.Fatal(err)
	}
	ok(t, url, "token", "revoke", "2")
	if out := ok(t, url, "token", "list"); strings.Count(out, "front-till") != 2 {
		t.Fatalf("list after re-creating: %s", out)
	}
}
