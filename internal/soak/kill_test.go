package soak

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/kassa-pos/kassa/daemon"
	"github.com/kassa-pos/kassa/daemon/client"
	"github.com/kassa-pos/kassa/internal/dbtest"
	"github.com/kassa-pos/kassa/internal/proctest"
	"github.com/kassa-pos/kassa/migrations"
	"github.com/kassa-pos/kassa/sync/shopify"
	"github.com/kassa-pos/kassa/sync/shopifysim"
	"github.com/kassa-pos/kassa/sync/shopifysim/shopdata"
)

// startKassa runs bin with args on the database at dbURL; its output goes to a log file.
func startKassa(t testing.TB, bin, dbURL string, args ...string) *proctest.Process {
	t.Helper()
	return proctest.Start(t, bin, []string{"DATABASE_URL=" + dbURL}, args...)
}

// serve runs kassa serve on dbURL, with extra arguments, and waits until it answers.
func serve(t testing.TB, bin, dbURL string, extra ...string) *proctest.Process {
	t.Helper()
	addr := proctest.FreeAddr(t)
	p := startKassa(t, bin, dbURL, append([]string{"serve", "--addr", addr, "--log-level", "warn"}, extra...)...)
	p.URL = "http://" + addr
	p.WaitReady(t, "/healthz", time.Minute)
	return p
}

// soakSigkill kills `kassa orders get-all` at 20 random moments of a 10,000-order import,
// restarting it each time, then lets a last run finish.
func soakSigkill(t *testing.T) (string, bool) {
	bin := proctest.Build(t)
	e := newEnv(t, shopifysim.Options{Generate: &shopdata.GenerateOptions{Seed: 81, Orders: 10000, Days: 65}}, false)
	r := newRand(81)
	start := time.Now()
	killed, early := 0, 0
	var at []string
	lastOutcome := func() int {
		return count(t, e.db, `SELECT coalesce(max(id), 0) FROM import_outcomes`)
	}
	for i := range 20 {
		// Half the moments are early in a run (connecting, counting, the first pages), half
		// after a random number of this run's orders had their outcome.
		base := lastOutcome()
		wait := time.Duration(20+r.IntN(1500)) * time.Millisecond
		after := 1 + r.IntN(9000)
		p := startKassa(t, bin, e.url, "orders", "get-all", "--wait")
		deadline := time.Now().Add(wait)
		for {
			var due bool
			if i%2 == 0 {
				due = time.Now().After(deadline)
			} else {
				due = lastOutcome()-base >= after
			}
			if due {
				break
			}
			select {
			case <-p.Exited():
			case <-time.After(5 * time.Millisecond):
				continue
			}
			break
		}
		select {
		case <-p.Exited():
			early++
			continue
		default:
		}
		p.Kill()
		killed++
		if i%2 == 0 {
			at = append(at, fmt.Sprintf("%dms", wait.Milliseconds()))
		} else {
			at = append(at, fmt.Sprintf("%d orders in", lastOutcome()-base))
		}
	}
	last := startKassa(t, bin, e.url, "orders", "get-all", "--wait")
	if <-last.Exited(); last.Err() != nil {
		t.Fatalf("the last run: %v", last.Err())
	}
	res := e.check(t, time.Since(start)+time.Minute)
	running := count(t, e.db, `SELECT count(*) FROM import_runs WHERE status = 'running'`)
	if running > 0 {
		t.Errorf("%d import runs still marked running", running)
	}
	var statuses []string
	e.db.Select(&statuses, `SELECT status || ' ' || count(*) FROM import_runs GROUP BY status ORDER BY status`)
	return fmt.Sprintf("%d killed (at %v), %d ended before their kill; runs %v; %s", killed, at, early, statuses,
		describe(res)), len(res.Problems) == 0 && running == 0
}

// soakInstances runs three kassa serve processes on one database; the one running a Get
// all is killed mid-run, and another one's poll must finish the work.
func soakInstances(t *testing.T) (string, bool) {
	ctx := context.Background()
	bin := proctest.Build(t)
	e := newEnv(t, shopifysim.Options{Generate: &shopdata.GenerateOptions{Seed: 91, Orders: 10000, Days: 65}}, false)
	if _, err := e.db.Exec(`UPDATE shopify_connections SET poll_interval = '10 seconds'`); err != nil {
		t.Fatal(err)
	}
	tok, _, err := daemon.TokenStore{}.Create(ctx, e.db, "soak", daemon.RoleCashier)
	if err != nil {
		t.Fatal(err)
	}
	var ins []*proctest.Process
	for range 3 {
		ins = append(ins, serve(t, bin, e.url))
	}
	start := time.Now()
	run, err := client.New(ins[0].URL, tok).StartImport(ctx, client.ImportRequest{Mode: "all"})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the import is under way", 2*time.Minute, func() bool {
		return count(t, e.db, `SELECT count(*) FROM import_outcomes`) >= 2000
	})
	ins[0].Kill()
	partial := count(t, e.db, `SELECT count(*) FROM import_outcomes`)
	killedAt := time.Now()
	// The survivors poll the shop from now on.
	if _, err := e.db.Exec(`UPDATE shopify_connections SET auto_update = true`); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a survivor's poll finishes the import", 5*time.Minute, func() bool {
		return count(t, e.db, `SELECT count(*) FROM import_runs WHERE trigger = 'poll' AND status = 'finished' AND seen > 0`) > 0 &&
			count(t, e.db, `SELECT count(*) FROM import_runs WHERE status = 'running' AND id <> $1`, run.RunID) == 0
	})
	took := time.Since(killedAt)
	res := e.check(t, time.Since(start)+time.Minute)
	var statuses []string
	e.db.Select(&statuses, `SELECT trigger || ' ' || status || ' ' || count(*) FROM import_runs GROUP BY trigger, status ORDER BY 1`)
	return fmt.Sprintf("killed after %d outcomes; a survivor finished %.1f s later; runs %v; %s", partial, took.Seconds(), statuses,
		describe(res)), len(res.Problems) == 0
}

// privateCluster is a PostgreSQL server of the test's own, which it may restart.
type privateCluster struct {
	dir, data, url, port string
	// opts are the server's options (pg_ctl -o), kept for a start after a crash.
	opts string
}

func pgBin(name string) string { return filepath.Join("/usr/lib/postgresql/15/bin", name) }

// asPostgres runs a PostgreSQL program as the postgres user when this is root.
func asPostgres(name string, args ...string) *exec.Cmd {
	if os.Geteuid() == 0 {
		return exec.Command("runuser", append([]string{"-u", "postgres", "--", pgBin(name)}, args...)...)
	}
	return exec.Command(pgBin(name), args...)
}

// startCluster starts a private cluster with fsync off (fast: nothing in these scenarios
// needs the machine to survive a power cut), and settings (name=value) after it.
func startCluster(t testing.TB, settings ...string) *privateCluster {
	t.Helper()
	if _, err := os.Stat(pgBin("initdb")); err != nil {
		t.Skip("no PostgreSQL 15 server binaries to start a private cluster")
	}
	dir, err := os.MkdirTemp("", "kassa-soak-pg-")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o777)
	c := &privateCluster{dir: dir, data: filepath.Join(dir, "data")}
	if out, err := asPostgres("initdb", "-D", c.data, "-A", "trust", "-U", "postgres", "--no-sync").CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	c.port = proctest.FreeAddr(t)[len("127.0.0.1:"):]
	c.url = "postgres://postgres@127.0.0.1:" + c.port + "/postgres?sslmode=disable"
	c.opts = "-p " + c.port + " -k " + dir + " -c listen_addresses=127.0.0.1 -c fsync=off"
	for _, s := range settings {
		c.opts += " -c " + s
	}
	c.start(t)
	t.Cleanup(func() {
		asPostgres("pg_ctl", "-D", c.data, "-m", "immediate", "-w", "stop").Run()
		os.RemoveAll(dir)
	})
	return c
}

// start starts the cluster's server and waits until it takes connections.
func (c *privateCluster) start(t testing.TB) {
	t.Helper()
	if out, err := asPostgres("pg_ctl", "-D", c.data, "-o", c.opts, "-l", filepath.Join(c.dir, "log"), "-w", "start").CombinedOutput(); err != nil {
		t.Fatalf("pg_ctl start: %v\n%s", err, out)
	}
}

func (c *privateCluster) restart(t testing.TB) {
	t.Helper()
	// -l again: without it the new server would write to (and hold open) pg_ctl's output.
	if out, err := asPostgres("pg_ctl", "-D", c.data, "-l", filepath.Join(c.dir, "log"), "-m", "fast", "-w", "restart").CombinedOutput(); err != nil {
		t.Fatalf("pg_ctl restart: %v\n%s", err, out)
	}
}

// soakPostgresRestart restarts a private PostgreSQL under a kassa serve that is importing
// 10,000 orders; the daemon must reconnect and its poll finish the import.
func soakPostgresRestart(t *testing.T) (string, bool) {
	ctx := context.Background()
	bin := proctest.Build(t)
	pgc := startCluster(t)
	db, err := sqlx.Open("postgres", pgc.url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := migrations.Up(ctx, db.DB); err != nil {
		t.Fatal(err)
	}
	sim, err := shopifysim.NewServer(shopifysim.Options{Generate: &shopdata.GenerateOptions{Seed: 101, Orders: 10000, Days: 65}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	ids := dbtest.NewShop(t, db, "Gent", "Front")
	conn, err := shopify.ConnectionStore{Secrets: dbtest.Secrets()}.Connect(ctx, db, shopify.ConnectParams{Shop: sim.Shop, AccessToken: sim.Token,
		WebhookSecret: sim.Secret, BaseURL: sim.URL, OutletID: ids.OutletID, RegisterID: ids.RegisterID})
	if err != nil {
		t.Fatal(err)
	}
	db.MustExec(`UPDATE shopify_connections SET poll_interval = '10 seconds'`)
	e := &env{db: db, sim: sim, ids: ids, conn: conn, now: time.Now}
	tok, _, err := daemon.TokenStore{}.Create(ctx, db, "soak", daemon.RoleCashier)
	if err != nil {
		t.Fatal(err)
	}
	in := serve(t, bin, pgc.url)
	start := time.Now()
	if _, err := client.New(in.URL, tok).StartImport(ctx, client.ImportRequest{Mode: "all"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the import is under way", 2*time.Minute, func() bool {
		return count(t, db, `SELECT count(*) FROM import_outcomes`) >= 2000
	})
	partial := count(t, db, `SELECT count(*) FROM import_outcomes`)
	pgc.restart(t)
	restarted := time.Now()
	waitFor(t, "the daemon is ready again", time.Minute, func() bool {
		resp, err := http.Get(in.URL + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	// From now on the daemon polls the shop; its poll must finish what the restart cut.
	waitFor(t, "the test's own pool reconnects", time.Minute, func() bool {
		_, err := db.Exec(`UPDATE shopify_connections SET auto_update = true`)
		return err == nil
	})
	waitFor(t, "a poll finishes the import", 5*time.Minute, func() bool {
		return count(t, db, `SELECT count(*) FROM import_runs WHERE trigger = 'poll' AND status = 'finished' AND seen > 0`) > 0 &&
			count(t, db, `SELECT count(*) FROM import_runs WHERE status = 'running'`) == 0
	})
	took := time.Since(restarted)
	select {
	case <-in.Exited():
		t.Errorf("kassa serve exited: %v", in.Err())
	default:
	}
	res := e.check(t, time.Since(start)+time.Minute)
	var statuses []string
	db.Select(&statuses, `SELECT trigger || ' ' || status || ' ' || count(*) FROM import_runs GROUP BY trigger, status ORDER BY 1`)
	return fmt.Sprintf("restarted after %d outcomes; the daemon stayed up and its poll finished %.1f s later; runs %v; %s", partial,
		took.Seconds(), statuses, describe(res)), len(res.Problems) == 0
}
