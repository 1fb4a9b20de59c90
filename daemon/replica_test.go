package daemon_test

import (
	"context"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/kassa-pos/kassa/daemon"
	"github.com/kassa-pos/kassa/daemon/client"
	"github.com/kassa-pos/kassa/internal/dbtest"
)

// addSale records an unpaid sale with the given receipt number in db.
func addSale(t testing.TB, db *sqlx.DB, receipt string) {
	t.Helper()
	ids := dbtest.NewShop(t, db, "Outlet "+receipt, "Till")
	if _, err := db.Exec(`INSERT INTO sales (outlet_id, register_id, receipt_number, source, sold_at, currency,
			subtotal, tax_total, total, balance) VALUES ($1, $2, $3, 'pos', now(), 'EUR', 5, 0, 5, 5)`,
		ids.OutletID, ids.RegisterID, receipt); err != nil {
		t.Fatal(err)
	}
}

// With a replica, sales lists and searches are read from it; while it cannot be reached,
// from the primary.
func TestSalesSearchesReadFromTheReplica(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	primary := dbtest.New(t)
	// A database of its own stands for the replica, so that the test sees which one
	// answered (a streaming replica's routing is checked by make soak).
	replica := dbtest.New(t)
	addSale(t, primary, "ON-PRIMARY")
	addSale(t, replica, "ON-REPLICA")
	clk := &clock{}
	in := start(t, primary, listen(t), fastConfig(), daemon.Deps{Clock: clk.Now, Logger: testLogger(t, nil), Replica: replica})
	cl := client.New(in.url, token(t, primary, "staff", daemon.RoleCashier))
	list, err := cl.Sales(ctx, client.SalesQuery{Search: "ON-"})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].ReceiptNumber != "ON-REPLICA" {
		t.Fatalf("sales search with a replica found %+v, want the replica's sale", list)
	}

	// A replica nobody answers at: the primary answers.
	gone, err := sqlx.Open("postgres", "postgres://postgres@127.0.0.1:1/kassa?sslmode=disable&connect_timeout=2")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { gone.Close() })
	in2 := start(t, primary, listen(t), fastConfig(), daemon.Deps{Clock: clk.Now, Logger: testLogger(t, nil), Replica: gone})
	cl2 := client.New(in2.url, token(t, primary, "staff2", daemon.RoleCashier))
	list, err = cl2.Sales(ctx, client.SalesQuery{Search: "ON-"})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].ReceiptNumber != "ON-PRIMARY" {
		t.Fatalf("sales search with an unreachable replica found %+v, want the primary's sale", list)
	}
	if n := metricSum(t, in2.url+"/metrics", "kassa_replica_reads_total", `result="primary"`); n != 1 {
		t.Fatalf("reads answered by the primary for the replica: %v, want 1", n)
	}
}
