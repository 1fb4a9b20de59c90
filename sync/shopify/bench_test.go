package shopify

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/kassa-pos/kassa/internal/dbtest"
	"github.com/kassa-pos/kassa/internal/perf"
	"github.com/kassa-pos/kassa/inventory"
	"github.com/kassa-pos/kassa/register"
	"github.com/kassa-pos/kassa/sync/shopifysim"
	"github.com/kassa-pos/kassa/sync/shopifysim/shopdata"
)

// benchOrders is how many orders BenchmarkImport imports (KASSA_BENCH_ORDERS, default 20000).
func benchOrders() int {
	if n, err := strconv.Atoi(os.Getenv("KASSA_BENCH_ORDERS")); err == nil && n > 0 {
		return n
	}
	return 20000
}

// TestBenchSimulatorProcess is not a test: BenchmarkImport runs the test binary again with
// KASSA_BENCH_SIM set, and this function then serves the generated shop until its stdin
// closes. In a process of its own, the simulator's memory does not count in the
// importer's peak RSS.
func TestBenchSimulatorProcess(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("KASSA_BENCH_SIM"))
	if n == 0 {
		t.Skip("helper process of BenchmarkImport")
	}
	srv, err := shopifysim.NewServer(shopifysim.Options{Clock: func() time.Time { return testNow },
		Generate: &shopdata.GenerateOptions{Seed: 1, Orders: n, Days: 55}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	fmt.Printf("URL %s %s %s\n", srv.URL, srv.Shop, srv.Token)
	io.Copy(io.Discard, os.Stdin)
}

// startBenchSimulator starts the simulator process and returns its URL, shop and token.
func startBenchSimulator(b *testing.B, n int) (url, shop, token string) {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestBenchSimulatorProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), "KASSA_BENCH_SIM="+strconv.Itoa(n))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { stdin.Close(); cmd.Wait() })
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 4 && f[0] == "URL" {
			go io.Copy(io.Discard, stdout)
			return f[1], f[2], f[3]
		}
	}
	b.Fatalf("the simulator process did not start: %v", sc.Err())
	return "", "", ""
}

// BenchmarkImport imports N generated orders (simulator without rate limit in another
// process → go-shopify over loopback HTTP → importer → a fresh database) and reports
// orders/s and the peak RSS, and, as the bound, how fast COPY alone loads the same rows
// into another fresh database, with the ratio of the two. It also reports the CPU time
// spent per order during the import, by the whole machine (busy_us/order: the importer,
// PostgreSQL and the simulator) and by the importer alone (importer_us/order): on a shared
// machine they vary less than the time taken.
//
//	go test -run '^$' -bench BenchmarkImport -benchtime 1x ./sync/shopify/
func BenchmarkImport(b *testing.B) {
	n := benchOrders()
	url, shop, token := startBenchSimulator(b, n)
	ctx := context.Background()
	var importTime, copyTime time.Duration
	var imported int
	var busyCPU, selfCPU time.Duration
	rss := 0.0
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		db := dbtest.New(b)
		outlet, err := inventory.Store{}.CreateOutlet(ctx, db, "Gent", "Europe/Brussels", "EUR")
		if err != nil {
			b.Fatal(err)
		}
		reg, err := register.Store{}.Create(ctx, db, outlet.ID, "Front")
		if err != nil {
			b.Fatal(err)
		}
		conn, err := ConnectionStore{Secrets: dbtest.Secrets()}.Connect(ctx, db, ConnectParams{Shop: shop, AccessToken: token, WebhookSecret: "s",
			BaseURL: url, OutletID: outlet.ID, RegisterID: reg.ID})
		if err != nil {
			b.Fatal(err)
		}
		im := &Importer{DB: db, Secrets: dbtest.Secrets(), Clock: func() time.Time { return testNow }}
		b.StartTimer()
		busy0, self0 := cpuTimes(b)
		start := time.Now()
		sum, err := im.Run(ctx, conn.ID, RunOptions{Mode: ModeAll})
		importTime += time.Since(start)
		busy1, self1 := cpuTimes(b)
		busyCPU, selfCPU = busyCPU+busy1-busy0, selfCPU+self1-self0
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		if sum.Seen != n || sum.Outcomes.Failed != 0 {
			b.Fatalf("imported %+v of %d", sum, n)
		}
		imported += sum.Seen
		// Read before the COPY bound, which holds every row in memory.
		peak, err := perf.PeakRSSMB(0)
		if err != nil {
			b.Fatal(err)
		}
		rss = max(rss, peak)
		copyTime += copyBound(b, db)
		db.Close()
	}
	b.ReportMetric(float64(imported)/importTime.Seconds(), "orders/s")
	b.ReportMetric(float64(imported)/copyTime.Seconds(), "copy_orders/s")
	b.ReportMetric(importTime.Seconds()/copyTime.Seconds(), "import/copy")
	b.ReportMetric(rss, "peak_RSS_MB")
	b.ReportMetric(float64(busyCPU.Microseconds())/float64(imported), "busy_us/order")
	b.ReportMetric(float64(selfCPU.Microseconds())/float64(imported), "importer_us/order")
}

// importTables are the tables an import writes, in an order COPY can load them in.
var importTables = []string{
	"products", "product_external_ids", "customers", "customer_external_ids", "sales", "sale_external_ids",
	"sale_lines", "payments", "stock_movements", "stock_levels", "import_runs", "import_order_json", "import_outcomes",
}

// copyBound reads every row the import wrote and times loading them with COPY alone into a
// fresh database, triggers and foreign keys off (session_replication_role = replica): the
// fastest PostgreSQL can take the same data.
func copyBound(b *testing.B, src *sqlx.DB) time.Duration {
	b.Helper()
	type table struct {
		name string
		cols []string
		rows [][]any
	}
	var tables []table
	for _, name := range importTables {
		var cols []string
		err := src.Select(&cols, `SELECT column_name FROM information_schema.columns
			WHERE table_schema = 'public' AND table_name = $1 AND is_generated = 'NEVER' ORDER BY ordinal_position`, name)
		if err != nil {
			b.Fatal(err)
		}
		// As text, which is what COPY reads (bytea as \x hex).
		quoted := make([]string, len(cols))
		for i, c := range cols {
			quoted[i] = pq.QuoteIdentifier(c) + "::text"
		}
		rows, err := src.Query(fmt.Sprintf("SELECT %s FROM %s", strings.Join(quoted, ", "), name))
		if err != nil {
			b.Fatal(err)
		}
		t := table{name: name, cols: cols}
		for rows.Next() {
			raw := make([]sql.NullString, len(cols))
			ptrs := make([]any, len(cols))
			for i := range raw {
				ptrs[i] = &raw[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				b.Fatal(err)
			}
			vals := make([]any, len(cols))
			for i, r := range raw {
				if r.Valid {
					vals[i] = r.String
				}
			}
			t.rows = append(t.rows, vals)
		}
		if err := rows.Err(); err != nil {
			b.Fatal(err)
		}
		rows.Close()
		tables = append(tables, t)
	}
	dst := dbtest.New(b)
	defer dst.Close()
	ctx := context.Background()
	conn, err := dst.Conn(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SET session_replication_role = replica`); err != nil {
		b.Fatal(err)
	}
	b.StartTimer()
	start := time.Now()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Rollback() // a failed load must not keep conn busy: its Close would wait for it
	for _, t := range tables {
		ts := time.Now()
		if os.Getenv("KASSA_BENCH_VERBOSE") != "" {
			defer func() { b.Logf("copy %s: %d rows in %v", t.name, len(t.rows), time.Since(ts)) }()
		}
		cols := make([]string, len(t.cols))
		for i, c := range t.cols {
			cols[i] = pq.QuoteIdentifier(c)
		}
		stmt, err := tx.Prepare("COPY " + pq.QuoteIdentifier(t.name) + " (" + strings.Join(cols, ", ") + ") FROM STDIN")
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range t.rows {
			if _, err := stmt.Exec(r...); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := stmt.Exec(); err != nil {
			b.Fatalf("copy %s: %v", t.name, err)
		}
		stmt.Close()
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	d := time.Since(start)
	b.StopTimer()
	return d
}

// cpuTimes reads the CPU time the whole machine and this process have used so far.
func cpuTimes(b *testing.B) (machine, self time.Duration) {
	machine, err := perf.BusyCPU()
	if err == nil {
		self, err = perf.CPUTime(os.Getpid())
	}
	if err != nil {
		b.Fatal(err)
	}
	return machine, self
}
