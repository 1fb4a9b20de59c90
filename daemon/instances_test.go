package daemon_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/kassa-pos/kassa/daemon"
	"github.com/kassa-pos/kassa/internal/dbtest"
	"github.com/kassa-pos/kassa/register"
	"github.com/kassa-pos/kassa/sync/shopify"
	"github.com/kassa-pos/kassa/sync/shopifysim"
)

// TestMain fails the package when a test leaves a goroutine behind: every daemon the
// tests start is shut down, and shutdown must end everything it started.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// Idle keep-alive connections of http.DefaultClient, used by the tests themselves.
		goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
		goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
	)
}

// TestTwoInstancesOneImportsTheOtherTakesOver runs two daemons on one database: one of
// them polls the shop, never both at once; when it stops, the other polls.
func TestTwoInstancesOneImportsTheOtherTakesOver(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	clk := &clock{}
	s := newShop(t, db, 30, "", clk, shopifysim.WebhookOptions{})
	if _, err := db.Exec(`UPDATE shopify_connections SET auto_update = true, poll_interval = '10 seconds'`); err != nil {
		t.Fatal(err)
	}
	importer := func() *countingImporter {
		return &countingImporter{inner: &shopify.Importer{DB: db, Clock: clk.Now, Secrets: dbtest.Secrets()}}
	}
	ia, ib := importer(), importer()
	a := start(t, db, listen(t), fastConfig(), daemon.Deps{Clock: clk.Now, Logger: testLogger(t, nil), Importer: ia})
	b := start(t, db, listen(t), fastConfig(), daemon.Deps{Clock: clk.Now, Logger: testLogger(t, nil), Importer: ib})
	waitFor(t, "a poll imports the shop", func() bool {
		return countRows(t, db, `SELECT count(*) FROM import_runs WHERE trigger = 'poll' AND status = 'finished' AND imported > 0`) == 1 &&
			ia.imported.Load()+ib.imported.Load() > 0
	}, a, b)
	first := countRows(t, db, `SELECT count(*) FROM sales`)
	if ia.imported.Load()+ib.imported.Load() != int64(first) || (ia.imported.Load() > 0) == (ib.imported.Load() > 0) {
		t.Fatalf("instance a imported %d, b %d, sales %d: want exactly one of them to import", ia.imported.Load(), ib.imported.Load(), first)
	}
	leader, follower, fimp := a, b, ib
	if ib.imported.Load() > 0 {
		leader, follower, fimp = b, a, ia
	}
	leader.stop(t)

	for range 5 {
		if _, err := s.sim.NewOrder(); err != nil {
			t.Fatal(err)
		}
	}
	clk.Advance(11 * time.Second)
	waitFor(t, "the remaining instance polls the new orders", func() bool { return fimp.imported.Load() > 0 }, follower)
	noOrderTwice(t, s)
	// Runs of the connection never overlapped.
	var overlaps int
	if err := db.Get(&overlaps, `SELECT count(*) FROM import_runs r1 JOIN import_runs r2 ON r1.id < r2.id
		AND r2.started_at < coalesce(r1.finished_at, 'infinity') AND r1.started_at < coalesce(r2.finished_at, 'infinity')`); err != nil || overlaps != 0 {
		t.Fatalf("%d overlapping runs (%v)", overlaps, err)
	}
	follower.stop(t)
}

// TestNightlyReportsCatchUpOnceAcrossInstances starts two daemons after days without
// one: the missed nightly reports are written, each by one instance only; a report
// written on demand before its time is written again, one written after it is kept.
func TestNightlyReportsCatchUpOnceAcrossInstances(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	ctx := context.Background()
	ids := dbtest.NewShop(t, db, "Gent", "Front")
	loc := mustLoc(t, "Europe/Brussels")
	// A fixed noon: the newest due day is yesterday (its 23:55 has passed, today's not).
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, loc)
	fixed := func() time.Time { return now }
	if _, err := db.Exec(`UPDATE outlets SET created_at = $2 WHERE id = $1`, ids.OutletID, now.AddDate(0, 0, -3)); err != nil {
		t.Fatal(err)
	}
	// Nov 19 was generated on demand at noon (before 23:55): it is due again. Nov 18 was
	// written after its time: it stays.
	early := time.Date(2026, 11, 19, 12, 0, 0, 0, loc)
	late := time.Date(2026, 11, 19, 0, 10, 0, 0, loc)
	for day, at := range map[string]time.Time{"2026-11-19": early, "2026-11-18": late} {
		if _, err := db.Exec(`INSERT INTO nightly_reports (outlet_id, day, generated_at, body) VALUES ($1, $2, $3, '{}')`, ids.OutletID, day, at); err != nil {
			t.Fatal(err)
		}
	}
	// An order of the outlet's shop failed to import on Nov 19: its report says so.
	conn, err := shopify.ConnectionStore{Secrets: dbtest.Secrets()}.Connect(ctx, db, shopify.ConnectParams{
		Shop: "gent.myshopify.com", AccessToken: "token", WebhookSecret: "secret", OutletID: ids.OutletID, RegisterID: ids.RegisterID,
	})
	if err != nil {
		t.Fatal(err)
	}
	failedAt := time.Date(2026, 11, 19, 15, 0, 0, 0, loc)
	if _, err := db.Exec(`WITH r AS (INSERT INTO import_runs (connection_id, mode, trigger, started_at) VALUES ($1, 'new', 'poll', $2) RETURNING id)
		INSERT INTO import_outcomes (run_id, connection_id, shopify_order_id, order_name, outcome, reason, created_at)
		SELECT r.id, $1, 1001, '#1001', 'failed', 'totals differ', $2 FROM r`, conn.ID, failedAt); err != nil {
		t.Fatal(err)
	}
	cfg := fastConfig()
	cfg.NightlyEvery = 20 * time.Millisecond
	a := start(t, db, listen(t), cfg, daemon.Deps{Clock: fixed, Logger: testLogger(t, nil)})
	b := start(t, db, listen(t), cfg, daemon.Deps{Clock: fixed, Logger: testLogger(t, nil)})
	waitFor(t, "the missed reports are written", func() bool {
		return countRows(t, db, `SELECT count(*) FROM nightly_reports WHERE generated_at = $1`, now) == 2
	}, a, b)
	a.stop(t)
	b.stop(t)
	var days []struct {
		Day string    `db:"day"`
		At  time.Time `db:"generated_at"`
	}
	if err := db.Select(&days, `SELECT to_char(day, 'YYYY-MM-DD') AS day, generated_at FROM nightly_reports ORDER BY day`); err != nil {
		t.Fatal(err)
	}
	want := map[string]time.Time{"2026-11-17": now, "2026-11-18": late, "2026-11-19": now}
	if len(days) != len(want) {
		t.Fatalf("reports %+v, want the days %v", days, want)
	}
	for _, d := range days {
		if !d.At.Equal(want[d.Day]) {
			t.Errorf("report of %s generated at %s, want %s", d.Day, d.At, want[d.Day])
		}
	}
	var body []byte
	if err := db.Get(&body, `SELECT body FROM nightly_reports WHERE day = '2026-11-19'`); err != nil {
		t.Fatal(err)
	}
	var nov19 register.NightlyReport
	if err := json.Unmarshal(body, &nov19); err != nil {
		t.Fatal(err)
	}
	if len(nov19.ImportFailures) != 1 || nov19.ImportFailures[0].OrderName != "#1001" {
		t.Errorf("the report of Nov 19 lists the import failures %+v, want #1001", nov19.ImportFailures)
	}
	written := counter(t, a.d, "kassa_nightly_reports_total") + counter(t, b.d, "kassa_nightly_reports_total")
	if written != 2 {
		t.Fatalf("the two instances wrote %v reports, want 2 (each once)", written)
	}
	if _, err := db.ExecContext(ctx, `SELECT 1`); err != nil {
		t.Fatal(err)
	}
}

// counter sums a counter's values over its labels in a daemon's registry.
func counter(t *testing.T, d *daemon.Daemon, name string) float64 {
	t.Helper()
	fams, err := d.Metrics().Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			sum += m.GetCounter().GetValue()
		}
	}
	return sum
}

// labelled returns a counter's value for one label value in a daemon's registry.
func labelled(t testing.TB, d *daemon.Daemon, name, label, value string) float64 {
	t.Helper()
	fams, err := d.Metrics().Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == label && l.GetValue() == value {
					sum += m.GetCounter().GetValue()
				}
			}
		}
	}
	return sum
}
