package shopify

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq" // the PostgreSQL driver

	"github.com/kassa-pos/kassa/internal/dbtest"
	"github.com/kassa-pos/kassa/inventory"
	"github.com/kassa-pos/kassa/register"
	"github.com/kassa-pos/kassa/sync/shopifysim"
	"github.com/kassa-pos/kassa/sync/shopifysim/shopdata"
)

// TestCrashHelperProcess is not a test: TestImportSurvivesSIGKILL runs the test binary
// again with KASSA_CRASH_DB set, and this function is then the import it kills.
func TestCrashHelperProcess(t *testing.T) {
	url := os.Getenv("KASSA_CRASH_DB")
	if url == "" {
		t.Skip("helper process of TestImportSurvivesSIGKILL")
	}
	db, err := sqlx.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	id, _ := strconv.ParseInt(os.Getenv("KASSA_CRASH_CONNECTION"), 10, 64)
	im := &Importer{DB: db, Secrets: dbtest.Secrets(), Clock: func() time.Time { return testNow }, PageSize: 10}
	if _, err := im.Run(context.Background(), id, RunOptions{Mode: ModeAll}); err != nil {
		t.Fatal(err)
	}
}

// TestImportSurvivesSIGKILL kills an import in another process mid-run; the next run
// ends with exactly one sale per importable order and the stock equal to what they sold.
func TestImportSurvivesSIGKILL(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, url := dbtest.NewWithURL(t)
	srv, err := shopifysim.NewServer(shopifysim.Options{Clock: func() time.Time { return testNow },
		Generate: &shopdata.GenerateOptions{Seed: 3, Orders: 1000, Days: 50}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	outlet, err := inventory.Store{}.CreateOutlet(ctx, db, "Gent", "Europe/Brussels", "EUR")
	if err != nil {
		t.Fatal(err)
	}
	reg, err := register.Store{}.Create(ctx, db, outlet.ID, "Front")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := ConnectionStore{Secrets: dbtest.Secrets()}.Connect(ctx, db, ConnectParams{Shop: srv.Shop, AccessToken: srv.Token, WebhookSecret: "s",
		BaseURL: srv.URL, OutletID: outlet.ID, RegisterID: reg.ID})
	if err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), "KASSA_CRASH_DB="+url, "KASSA_CRASH_CONNECTION="+strconv.FormatInt(conn.ID, 10))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	// Kill it once it has committed a few pages, but long before it is done.
	for {
		var n int
		if err := db.Get(&n, `SELECT count(*) FROM import_outcomes`); err != nil {
			t.Fatal(err)
		}
		if n >= 100 {
			break
		}
		select {
		case err := <-exited:
			t.Fatalf("the import ended before it was killed: %v", err)
		case <-time.After(2 * time.Millisecond):
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-exited
	var partial int
	if err := db.Get(&partial, `SELECT count(*) FROM import_outcomes`); err != nil {
		t.Fatal(err)
	}
	if partial >= 1000-100 {
		t.Fatalf("the import had nearly finished (%d outcomes) when killed", partial)
	}

	f := &fixture{t: t, db: db, srv: srv, conn: conn, outlet: outlet, reg: reg}
	f.im = &Importer{DB: db, Secrets: dbtest.Secrets(), Clock: func() time.Time { return testNow }}
	// The killed process's database session may still be finishing its statement (and
	// holding the import lock) until the server notices the client is gone: wait for it.
	rerun := time.Now()
	sum, err := f.im.Run(ctx, conn.ID, RunOptions{Mode: ModeAll, Wait: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("the rerun took %v", time.Since(rerun))
	var status, msg string
	if err := db.QueryRow(`SELECT status, error FROM import_runs ORDER BY id LIMIT 1`).Scan(&status, &msg); err != nil {
		t.Fatal(err)
	}
	if status != "failed" || msg == "" {
		t.Errorf("the killed run is %s %q, want failed as interrupted", status, msg)
	}

	want := Counts{}
	sold := map[string]int{}
	for _, o := range f.shopOrders() {
		out := expectedOutcome(o, false, testNow)
		want.Add(out)
		if out == Imported {
			for _, li := range o.LineItems {
				if !li.GiftCard && li.VariantInventoryManagement == "shopify" && li.SKU != "" {
					sold[li.SKU] += int(li.Quantity)
				}
			}
		}
	}
	if got := sum.Outcomes.Imported + sum.Outcomes.AlreadyImported; got != want.Imported || sum.Outcomes.Failed != 0 {
		t.Fatalf("after the rerun %+v, want %d importable", sum.Outcomes, want.Imported)
	}
	if sum.Outcomes.AlreadyImported == 0 {
		t.Error("the killed run imported nothing before it died")
	}
	// The killed run was reading Shopify's bulk export: the rerun read the same export
	// rather than start a second one, and left none in flight.
	if n := srv.BulkOperations(); n != 1 {
		t.Errorf("%d bulk operations, want the killed run's one", n)
	}
	if c, err := (ConnectionStore{}).byID(ctx, db, conn.ID); err != nil || c.BulkOperationID != "" || c.OrdersUpdatedThrough == nil {
		t.Errorf("after the rerun the connection has bulk operation %q, updates through %v (%v)", c.BulkOperationID, c.OrdersUpdatedThrough, err)
	}
	checkWholeSales(t, f, want.Imported)
	stock := f.stock()
	for sku, n := range sold {
		if stock[sku] != -n {
			t.Errorf("stock of %s is %d, want %d", sku, stock[sku], -n)
		}
	}
}
