package soak

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/kassa-pos/kassa/daemon"
	"github.com/kassa-pos/kassa/daemon/client"
	"github.com/kassa-pos/kassa/internal/proctest"
	"github.com/kassa-pos/kassa/sync/shopify"
	"github.com/kassa-pos/kassa/sync/shopifysim"
	"github.com/kassa-pos/kassa/sync/shopifysim/shopdata"
)

// Scenarios of interruptions in the middle of work kassa cannot redo by itself: a
// database crash under a bulk import, an access token Shopify stops accepting under a Get
// all, a daemon killed while a stock push is in flight.

// ready waits until the kassa serve at url answers /readyz 200 (its database is back).
func ready(t testing.TB, url string) {
	t.Helper()
	waitFor(t, "kassa serve is ready", 2*time.Minute, func() bool {
		resp, err := http.Get(url + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

// getAllUntilFinished starts Get all runs through cl until one finishes (a start refused
// because a run is still going is asked again; a run that failed is followed by another,
// at most tries), and returns the finished run and how many runs it took.
func getAllUntilFinished(t testing.TB, cl *client.Client, tries int) (client.ImportRun, int) {
	t.Helper()
	ctx := context.Background()
	for i := 1; ; i++ {
		var run client.ImportRun
		var err error
		waitFor(t, "a Get all run starts", 5*time.Minute, func() bool {
			run, err = cl.StartImport(ctx, client.ImportRequest{Mode: "all"})
			if err != nil && client.StatusOf(err) != http.StatusConflict {
				t.Logf("start a Get all run: %v", err)
			}
			return err == nil
		})
		run, err = cl.WaitImport(ctx, run.RunID, 100*time.Millisecond)
		if err == nil && run.Status == "finished" {
			return run, i
		}
		t.Logf("Get all run %d ended %s (%v): %s", run.RunID, run.Status, err, run.Error)
		if i == tries {
			t.Fatalf("%d Get all runs did not finish", tries)
		}
	}
}

// soakCrashBulk crashes a private PostgreSQL (pg_ctl -m immediate, fsync on, the default
// synchronous_commit) while kassa serve writes the orders of a Get all read through a
// GraphQL bulk operation; once the server is back, a Get all run must finish the import
// from the same export, every sale committed before the crash must still be there, and the
// checker finds every order exactly once.
func soakCrashBulk(t *testing.T) (string, bool) {
	ctx := context.Background()
	bin := proctest.Build(t)
	pgc := startCluster(t, "fsync=on")
	db := openMigrated(t, pgc.url)
	sim, err := shopifysim.NewServer(shopifysim.Options{Generate: &shopdata.GenerateOptions{Seed: 141, Orders: 10000, Days: 65}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	e := connectSim(t, db, sim)
	db.MustExec(`UPDATE shopify_connections SET order_api = $1`, shopify.OrderAPIGraphQL)
	tok, _, err := daemon.TokenStore{}.Create(ctx, db, "soak", daemon.RoleCashier)
	if err != nil {
		t.Fatal(err)
	}
	in := serve(t, bin, pgc.url)
	cl := client.New(in.URL, tok)
	start := time.Now()
	first, err := cl.StartImport(ctx, client.ImportRequest{Mode: "all"})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the bulk import is under way", 3*time.Minute, func() bool {
		return count(t, db, `SELECT count(*) FROM import_outcomes`) >= 3000
	})
	if sim.BulkOperations() != 1 {
		t.Fatalf("%d bulk operations before the crash: the run does not read through the bulk path", sim.BulkOperations())
	}
	// What was committed just before the crash: all of it must survive.
	var committed []string
	if err := db.Select(&committed, `SELECT external_id FROM sale_external_ids WHERE channel = 'shopify'`); err != nil {
		t.Fatal(err)
	}
	pgc.crash(t)
	time.Sleep(2 * time.Second) // the server stays down a moment, as after a crash
	pgc.start(t)
	restarted := time.Now()
	ready(t, in.URL)
	waitFor(t, "the test's own pool reconnects", time.Minute, func() bool { return db.Ping() == nil })
	var problems []string
	var after []string
	if err := db.Select(&after, `SELECT external_id FROM sale_external_ids WHERE channel = 'shopify'`); err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, id := range after {
		have[id] = true
	}
	lost := 0
	for _, id := range committed {
		if !have[id] {
			lost++
		}
	}
	if lost > 0 {
		problems = append(problems, fmt.Sprintf("%d of the %d sales committed before the crash are gone", lost, len(committed)))
	}
	var firstStatus string
	if err := db.Get(&firstStatus, `SELECT status FROM import_runs WHERE id = $1`, first.RunID); err != nil {
		t.Fatal(err)
	}
	// The cut run may still be going (its writes retried) or have ended: a Get all run after
	// it must finish, reading the same export.
	last, runs := getAllUntilFinished(t, cl, 3)
	took := time.Since(restarted)
	select {
	case <-in.Exited():
		problems = append(problems, fmt.Sprintf("kassa serve exited: %v", in.Err()))
	default:
	}
	if n := count(t, db, `SELECT count(*) FROM import_runs WHERE status = 'running'`); n > 0 {
		problems = append(problems, fmt.Sprintf("%d import runs still marked running", n))
	}
	res, err := Checker{DB: db, Shop: e.conn.Shop, OutletID: e.ids.OutletID, Now: time.Now(), AgeSlack: time.Since(start) + time.Minute}.Check(ctx, sim.AllOrders())
	if err != nil {
		t.Fatal(err)
	}
	res.Problems = append(problems, res.Problems...)
	var statuses []string
	db.Select(&statuses, `SELECT trigger || ' ' || status || ' ' || count(*) FROM import_runs GROUP BY trigger, status ORDER BY 1`)
	return fmt.Sprintf("crashed with %d sales committed (all kept: %v); the cut run was %s after the restart; %d Get all run(s) after it, "+
			"the last finished %.1f s after the restart (%d seen, %d imported); %d bulk operation(s), %d download(s); runs %v; %s",
			len(committed), lost == 0, firstStatus, runs, took.Seconds(), last.Seen, last.Outcomes.Imported, sim.BulkOperations(),
			sim.BulkDownloads(), statuses, describe(res)),
		len(res.Problems) == 0
}
