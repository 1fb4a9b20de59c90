package soak

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/kassa-pos/kassa/daemon"
	"github.com/kassa-pos/kassa/daemon/client"
	"github.com/kassa-pos/kassa/internal/dbtest"
	"github.com/kassa-pos/kassa/internal/proctest"
	"github.com/kassa-pos/kassa/migrations"
	"github.com/kassa-pos/kassa/sales"
	"github.com/kassa-pos/kassa/sync/shopify"
	"github.com/kassa-pos/kassa/sync/shopifysim"
	"github.com/kassa-pos/kassa/sync/shopifysim/shopdata"
)

// standby makes a streaming replica of c (pg_basebackup, -R: it follows c) and starts it.
func (c *privateCluster) standby(t testing.TB) *privateCluster {
	t.Helper()
	dir, err := os.MkdirTemp("", "kassa-soak-standby-")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o777)
	s := &privateCluster{dir: dir, data: filepath.Join(dir, "data")}
	if out, err := asPostgres("pg_basebackup", "-h", "127.0.0.1", "-p", c.port, "-U", "postgres", "-D", s.data,
		"-R", "-X", "stream", "--no-sync").CombinedOutput(); err != nil {
		t.Fatalf("pg_basebackup: %v\n%s", err, out)
	}
	s.port = proctest.FreeAddr(t)[len("127.0.0.1:"):]
	s.url = "postgres://postgres@127.0.0.1:" + s.port + "/postgres?sslmode=disable"
	s.opts = "-p " + s.port + " -k " + dir + " -c listen_addresses=127.0.0.1 -c fsync=off -c hot_standby=on"
	s.start(t)
	t.Cleanup(func() {
		asPostgres("pg_ctl", "-D", s.data, "-m", "immediate", "-w", "stop").Run()
		os.RemoveAll(dir)
	})
	return s
}

// crash stops the cluster's server as a crash would (pg_ctl -m immediate: no checkpoint,
// the next start replays the write-ahead log).
func (c *privateCluster) crash(t testing.TB) {
	t.Helper()
	if out, err := asPostgres("pg_ctl", "-D", c.data, "-m", "immediate", "-w", "stop").CombinedOutput(); err != nil {
		t.Fatalf("pg_ctl stop -m immediate: %v\n%s", err, out)
	}
}

// caughtUp waits until the standby has replayed everything the primary had written when
// it was called, and returns how long that took.
func caughtUp(t testing.TB, primary, standby *sqlx.DB) time.Duration {
	t.Helper()
	var lsn string
	if err := primary.Get(&lsn, `SELECT pg_current_wal_lsn()::text`); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	waitFor(t, "the replica replays the primary's log", 2*time.Minute, func() bool {
		var done bool
		err := standby.Get(&done, `SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn`, lsn)
		return err == nil && done
	})
	return time.Since(start)
}

// openMigrated opens the database at url and migrates it.
func openMigrated(t testing.TB, url string) *sqlx.DB {
	t.Helper()
	db, err := sqlx.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := migrations.Up(context.Background(), db.DB); err != nil {
		t.Fatal(err)
	}
	return db
}

// connectSim connects db's new outlet to the simulated shop.
func connectSim(t testing.TB, db *sqlx.DB, sim *shopifysim.Server) *env {
	t.Helper()
	ids := dbtest.NewShop(t, db, "Gent", "Front")
	conn, err := shopify.ConnectionStore{Secrets: dbtest.Secrets()}.Connect(context.Background(), db, shopify.ConnectParams{
		Shop: sim.Shop, AccessToken: sim.Token, WebhookSecret: sim.Secret, BaseURL: sim.URL,
		OutletID: ids.OutletID, RegisterID: ids.RegisterID})
	if err != nil {
		t.Fatal(err)
	}
	return &env{db: db, sim: sim, ids: ids, conn: conn, now: time.Now}
}

// soakReplica runs kassa serve on a private primary with --replica-url its streaming
// replica: a Get all of 3,000 orders on the primary while staff search the sales (read
// from the replica), then, once the replica has caught up, the sales list, a nightly
// report generated on the primary and read back through the replica, and the checker run
// on the replica's own copy must all equal the primary's.
func soakReplica(t *testing.T) (string, bool) {
	ctx := context.Background()
	bin := proctest.Build(t)
	primary := startCluster(t)
	db := openMigrated(t, primary.url)
	sim, err := shopifysim.NewServer(shopifysim.Options{Generate: &shopdata.GenerateOptions{Seed: 121, Orders: 3000, Days: 65}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	e := connectSim(t, db, sim)
	// The outlet is older than the shop's orders, so that yesterday is a day of its life.
	db.MustExec(`UPDATE outlets SET created_at = now() - interval '70 days'`)
	tok, _, err := daemon.TokenStore{}.Create(ctx, db, "soak", daemon.RoleManager)
	if err != nil {
		t.Fatal(err)
	}
	standby := primary.standby(t)
	rdb, err := sqlx.Open("postgres", standby.url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rdb.Close() })
	in := serve(t, bin, primary.url, "--replica-url", standby.url)
	cl := client.New(in.URL, tok)

	run, err := cl.StartImport(ctx, client.ImportRequest{Mode: "all"})
	if err != nil {
		t.Fatal(err)
	}
	// Staff search while the import runs: every search is answered.
	var searches, failed atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for k := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := cl.Sales(ctx, client.SalesQuery{Search: "#" + strconv.Itoa(1000+(k*97+i)%300)}); err != nil {
					failed.Add(1)
				}
				searches.Add(1)
			}
		}()
	}
	run, err = cl.WaitImport(ctx, run.RunID, 100*time.Millisecond)
	close(stop)
	wg.Wait()
	if err != nil || run.Status != "finished" {
		t.Fatalf("import: %+v %v", run, err)
	}
	lag := caughtUp(t, db, rdb)

	// The sales list as the API reads it from the replica equals the primary's.
	fromAPI, err := cl.Sales(ctx, client.SalesQuery{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	onPrimary, err := sales.Store{}.List(ctx, db, sales.Filter{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	var problems []string
	if len(fromAPI) != len(onPrimary) {
		problems = append(problems, fmt.Sprintf("the replica lists %d sales, the primary %d", len(fromAPI), len(onPrimary)))
	} else {
		for i := range fromAPI {
			if fromAPI[i].ReceiptNumber != onPrimary[i].ReceiptNumber || fromAPI[i].Total != onPrimary[i].Total.StringFixed(2) {
				problems = append(problems, fmt.Sprintf("sale %d: replica %s %s, primary %s %s", i, fromAPI[i].ReceiptNumber,
					fromAPI[i].Total, onPrimary[i].ReceiptNumber, onPrimary[i].Total.StringFixed(2)))
				break
			}
		}
	}
	// A nightly report generated (on the primary) and read back (from the replica).
	day := time.Now().In(mustLoc(t, "Europe/Brussels")).AddDate(0, 0, -1).Format(time.DateOnly)
	made, err := cl.GenerateNightly(ctx, client.NightlyRequest{Date: day})
	if err != nil {
		t.Fatal(err)
	}
	caughtUp(t, db, rdb)
	read, err := cl.NightlyReport(ctx, "", day)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(read.Sales, read.AwaitingPaymentCount, read.AwaitingPaymentTotal, read.GeneratedAt) !=
		fmt.Sprint(made.Sales, made.AwaitingPaymentCount, made.AwaitingPaymentTotal, made.GeneratedAt) {
		problems = append(problems, fmt.Sprintf("nightly report read from the replica %+v, generated %+v", read.Sales, made.Sales))
	}
	// The replica's copy is exact by the checker's own rules.
	res, err := Checker{DB: rdb, Shop: e.conn.Shop, OutletID: e.ids.OutletID, Now: time.Now(), AgeSlack: 5 * time.Minute}.Check(ctx, sim.AllOrders())
	if err != nil {
		t.Fatal(err)
	}
	problems = append(problems, res.Problems...)
	answered := metricValue(t, in.URL+"/metrics", "kassa_replica_reads_total", `result="replica"`)
	if answered == 0 {
		problems = append(problems, "no read was answered by the replica")
	}
	if failed.Load() > 0 {
		problems = append(problems, fmt.Sprintf("%d of %d searches failed", failed.Load(), searches.Load()))
	}
	res.Problems = problems
	return fmt.Sprintf("Get all of %d orders on the primary while %d searches ran (%d failed); %.0f reads answered by the replica; "+
		"replica caught up %.2f s after the import; sales list, nightly report and checker on the replica: %s",
		run.Seen, searches.Load(), failed.Load(), answered, lag.Seconds(), describe(res)), len(problems) == 0
}

// soakCrashFlood floods a kassa serve on a private PostgreSQL (fsync on, the default
// synchronous_commit) with orders/create deliveries and crashes the server (pg_ctl -m
// immediate) in the middle; every delivery not answered 200 is sent again, as Shopify
// does, until it is. No delivery answered 200 may be lost: each is stored after the crash,
// and the checker finds every order exactly once.
func soakCrashFlood(t *testing.T) (string, bool) {
	ctx := context.Background()
	bin := proctest.Build(t)
	pgc := startCluster(t, "fsync=on")
	db := openMigrated(t, pgc.url)
	sim, err := shopifysim.NewServer(shopifysim.Options{Generate: &shopdata.GenerateOptions{Seed: 131, Orders: 0, Days: 30}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	e := connectSim(t, db, sim)
	const n = 3000
	bodies := make([][]byte, n)
	for i := range bodies {
		o, err := sim.NewOrder()
		if err != nil {
			t.Fatal(err)
		}
		if bodies[i], err = sim.Order(o.ID); err != nil {
			t.Fatal(err)
		}
	}
	in := serve(t, bin, pgc.url)

	// Senders go through the deliveries in turns; a delivery not answered 200 is sent again
	// in a later turn. answered200 records, per delivery, that a 200 came back.
	var answered200 [n]atomic.Bool
	var sent, refused atomic.Int64
	var wg sync.WaitGroup
	next := make(chan int, n)
	for i := range n {
		next <- i
	}
	var left atomic.Int64
	left.Store(n)
	retry := make(chan int, n)
	for range 24 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for left.Load() > 0 {
				var i int
				select {
				case i = <-next:
				case i = <-retry:
				case <-time.After(50 * time.Millisecond):
					continue
				}
				sent.Add(1)
				status, _ := postWebhook(in.URL, sim.Shop, "orders/create", fmt.Sprintf("crash-%d", i), bodies[i], sign(sim.Secret, bodies[i]))
				if status == http.StatusOK {
					answered200[i].Store(true)
					left.Add(-1)
					continue
				}
				refused.Add(1)
				time.Sleep(100 * time.Millisecond) // Shopify waits before it sends again
				retry <- i
			}
		}()
	}
	waitFor(t, "a third of the deliveries is answered", 5*time.Minute, func() bool { return left.Load() < 2*n/3 })
	before := 0
	for i := range answered200 {
		if answered200[i].Load() {
			before++
		}
	}
	pgc.crash(t)
	time.Sleep(2 * time.Second) // the server stays down a moment, as after a crash
	pgc.start(t)
	wg.Wait()
	waitFor(t, "the test's own pool reconnects", time.Minute, func() bool { return db.Ping() == nil })

	// Every delivery answered 200 is stored, whatever the crash cut.
	var stored []string
	if err := db.Select(&stored, `SELECT webhook_id FROM webhook_deliveries`); err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, id := range stored {
		have[id] = true
	}
	var problems []string
	for i := range n {
		if !have[fmt.Sprintf("crash-%d", i)] {
			problems = append(problems, fmt.Sprintf("delivery crash-%d was answered 200 and is not stored", i))
		}
	}
	waitFor(t, "every delivery is processed", 5*time.Minute, func() bool {
		return count(t, db, `SELECT count(*) FROM webhook_deliveries WHERE processed_at IS NULL`) == 0
	})
	res, err := Checker{DB: db, Shop: e.conn.Shop, OutletID: e.ids.OutletID, Now: time.Now(), AgeSlack: 10 * time.Minute}.Check(ctx, sim.AllOrders())
	if err != nil {
		t.Fatal(err)
	}
	res.Problems = append(problems, res.Problems...)
	select {
	case <-in.Exited():
		res.Problems = append(res.Problems, fmt.Sprintf("kassa serve exited: %v", in.Err()))
	default:
	}
	return fmt.Sprintf("%d deliveries, %d answered 200 before the crash; %d posts in all, %d answered other than 200 "+
			"(sent again); answered 200 and lost: %d; %s", n, before, sent.Load(), refused.Load(), len(problems), describe(res)),
		len(res.Problems) == 0
}

// metricValue adds up the samples of a metric whose labels include every one of labels,
// from the Prometheus text at url.
func metricValue(t testing.TB, url, name string, labels ...string) float64 {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		k, err := resp.Body.Read(buf)
		b.Write(buf[:k])
		if err != nil {
			break
		}
	}
	sum := 0.0
	for _, line := range strings.Split(b.String(), "\n") {
		if !strings.HasPrefix(line, name) {
			continue
		}
		ok := true
		for _, l := range labels {
			ok = ok && strings.Contains(line, l)
		}
		if f := strings.Fields(line); ok && len(f) == 2 {
			v, _ := strconv.ParseFloat(f[1], 64)
			sum += v
		}
	}
	return sum
}

func mustLoc(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// TestSoakScenarios runs the scenarios whose functions KASSA_SOAK_SCENARIOS names
// (comma-separated: crash, replica, crash-bulk, token, kill-push), printing their rows without rewriting
// docs/RELIABILITY.md.
func TestSoakScenarios(t *testing.T) {
	byName := map[string]func(*testing.T) (string, bool){"crash": soakCrashFlood, "replica": soakReplica,
		"crash-bulk": soakCrashBulk, "kill-push": soakKillPush,
		"token": soakTokenExpiry}
	names := strings.Split(os.Getenv("KASSA_SOAK_SCENARIOS"), ",")
	if os.Getenv("KASSA_SOAK_SCENARIOS") == "" {
		t.Skip("set KASSA_SOAK_SCENARIOS (crash, replica, crash-bulk, token, kill-push) to run scenarios alone")
	}
	for _, name := range names {
		run, ok := byName[strings.TrimSpace(name)]
		if !ok {
			t.Fatalf("no scenario %q", name)
		}
		t.Run(name, func(t *testing.T) {
			measured, exact := run(t)
			t.Logf("%s: exact=%v: %s", name, exact, measured)
			if !exact {
				t.Errorf("%s is not exact", name)
			}
		})
	}
}
