package shopify_test

import (
	"context"
	"strings"
	"testing"

	"github.com/kassa-pos/kassa/internal/dbtest"
	"github.com/kassa-pos/kassa/register"
	"github.com/kassa-pos/kassa/sync/shopify"
)

// TestConnectRefusesAnArchivedRegister links a shop to an archived register: refused,
// with a sentence that says so, and nothing stored.
func TestConnectRefusesAnArchivedRegister(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	ctx := context.Background()
	ids := dbtest.NewShop(t, db, "Gent", "Front")
	if _, err := (register.Store{}).Archive(ctx, db, ids.RegisterID); err != nil {
		t.Fatal(err)
	}
	before := dbtest.Counts(t, db)
	_, err := shopify.ConnectionStore{Secrets: dbtest.Secrets()}.Connect(ctx, db, shopify.ConnectParams{
		Shop: "demo", AccessToken: "t", WebhookSecret: "s", OutletID: ids.OutletID, RegisterID: ids.RegisterID,
	})
	if err == nil || !strings.Contains(err.Error(), `register "Front" of outlet "Gent" is archived`) {
		t.Fatalf("connect to an archived register: %v", err)
	}
	dbtest.Unchanged(t, db, before)
}
