package soak

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kassa-pos/kassa/internal/dbtest"
	"github.com/kassa-pos/kassa/sync/shopify"
	"github.com/kassa-pos/kassa/sync/shopifysim"
	"github.com/kassa-pos/kassa/sync/shopifysim/shopdata"
)

// TestCheckerFindsWhatIsWrong imports a small shop, which the checker finds exact, then
// breaks the end state in the ways the scenarios guard against and expects the checker to
// name each.
func TestCheckerFindsWhatIsWrong(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, shopifysim.Options{Generate: &shopdata.GenerateOptions{Seed: 5, Orders: 80, Days: 65}}, false)
	if _, err := (&shopify.Importer{DB: e.db, Secrets: dbtest.Secrets()}).Run(ctx, e.conn.ID, shopify.RunOptions{Mode: shopify.ModeAll}); err != nil {
		t.Fatal(err)
	}
	res := e.check(t, time.Minute)
	if res.Importable == 0 || res.Sales != res.Importable || res.Orders <= res.Importable {
		t.Fatalf("a generated shop should have importable and other orders: %+v", res)
	}

	for _, tc := range []struct {
		name, breakSQL, want string
	}{
		{"a stock movement no sale explains",
			`INSERT INTO stock_movements (product_id, outlet_id, delta, reason)
				SELECT product_id, outlet_id, -1, 'adjustment' FROM stock_levels ORDER BY product_id LIMIT 1`,
			"stock of"},
		{"a sale that lost its order id",
			`DELETE FROM sale_external_ids WHERE sale_id = (SELECT min(sale_id) FROM sale_external_ids)`,
			"is importable but has no sale"},
	} {
		if _, err := e.db.Exec(tc.breakSQL); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		res, err := e.checker(time.Minute).Check(ctx, e.sim.AllOrders())
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, p := range res.Problems {
			found = found || strings.Contains(p, tc.want)
		}
		if !found {
			t.Errorf("%s: the checker found %v, want a problem saying %q", tc.name, res.Problems, tc.want)
		}
	}
	// A sale of an order the shop does not hold shows too.
	var imported int64
	if err := e.db.Get(&imported, `SELECT max(external_id) FROM sale_external_ids`); err != nil {
		t.Fatal(err)
	}
	var orders []json.RawMessage
	for _, raw := range e.sim.AllOrders() {
		if !strings.Contains(string(raw), `"id":`+strconv.FormatInt(imported, 10)+`,`) {
			orders = append(orders, raw)
		}
	}
	res, err := e.checker(time.Minute).Check(ctx, orders)
	if err != nil {
		t.Fatal(err)
	}
	if len(orders) != res.Orders || res.Err() == nil || !strings.Contains(res.Err().Error(), "which the shop does not hold") {
		t.Errorf("with the order of a sale left out (%d orders): %v", len(orders), res.Err())
	}
}
