// Package scripts_test runs the shell scripts of scripts/ the way an operator would, against
// the tests' PostgreSQL server.
package scripts_test

import (
	"bytes"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/kassa-pos/kassa/internal/dbtest"
)

// script runs a script of this folder with env added to the test's environment and
// returns its exit code, stdout and stderr.
func script(t *testing.T, env []string, name string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command("bash", append([]string{name}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run %s: %v", name, err)
	}
	return code, out.String(), errOut.String()
}

func needTools(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed", tool)
		}
	}
}

// fillShop gives a fresh kassa database a day of data: an outlet and a register, a
// product with stock, a session, a sale with a line and a payment.
func fillShop(t *testing.T, db *sqlx.DB) {
	t.Helper()
	shop := dbtest.NewShop(t, db, "Gent", "Front")
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO products (sku, name, price) VALUES ('CUP', 'Espresso cup', 12.50)`, nil},
		{`INSERT INTO stock_movements (product_id, outlet_id, delta, reason, note)
			SELECT id, $1, 24, 'adjustment', 'opening stock' FROM products WHERE sku = 'CUP'`, []any{shop.OutletID}},
		{`INSERT INTO stock_movements (product_id, outlet_id, delta, reason, note)
			SELECT id, $1, -1, 'adjustment', 'broken' FROM products WHERE sku = 'CUP'`, []any{shop.OutletID}},
		{`INSERT INTO register_sessions (register_id, opened_at, opened_by, opening_float) VALUES ($1, '2026-11-24T08:00:00Z', 'An', 150)`, []any{shop.RegisterID}},
		{`WITH s AS (
			INSERT INTO sales (outlet_id, register_id, receipt_number, source, sold_at, currency, subtotal, tax_total, total, balance)
			VALUES ($1, $2, '#1001', 'shopify', '2026-11-24T10:30:00Z', 'EUR', 25.00, 4.34, 25.00, 25.00) RETURNING id)
		  INSERT INTO sale_lines (sale_id, line_no, kind, title, quantity, unit_price, tax, total)
		  SELECT id, 1, 'custom', 'Grüße, 東京 — two cups', 2, 12.50, 4.34, 25.00 FROM s`, []any{shop.OutletID, shop.RegisterID}},
		{`INSERT INTO payments (sale_id, payment_type_id, amount, paid_at, register_id, session_id, recorded_by, source)
			SELECT s.id, t.id, 25.00, '2026-11-24T10:31:00Z', $1, (SELECT max(id) FROM register_sessions), 'An', 'pos'
			FROM sales s, payment_types t WHERE s.receipt_number = '#1001' AND t.name = 'Cash'`, []any{shop.RegisterID}},
	} {
		if _, err := db.Exec(q.sql, q.args...); err != nil {
			t.Fatalf("%s: %v", q.sql, err)
		}
	}
}

// databaseGone reports whether the server has no database of that name.
func databaseGone(t *testing.T, name string) bool {
	t.Helper()
	admin, err := sqlx.Open("postgres", dbtest.AdminURL())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	var n int
	if err := admin.Get(&n, `SELECT count(*) FROM pg_database WHERE datname = $1`, name); err != nil {
		t.Fatal(err)
	}
	return n == 0
}

func dropDatabase(t *testing.T, name string) {
	admin, err := sqlx.Open("postgres", dbtest.AdminURL())
	if err != nil {
		t.Error(err)
		return
	}
	defer admin.Close()
	if _, err := admin.Exec(fmt.Sprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", name)); err != nil {
		t.Error(err)
	}
}

var restoredInto = regexp.MustCompile(`restored into (kassa_restore_check_\w+)`)

// TestBackupRestoresToTheSameData backs a filled database up with the script: the dump
// restores, the script says so with its figures, and the restored copy (kept) holds the
// same rows as the original.
func TestBackupRestoresToTheSameData(t *testing.T) {
	needTools(t, "pg_dump", "pg_restore", "psql")
	t.Parallel()
	db, dbURL := dbtest.NewWithURL(t)
	fillShop(t, db)
	dump := filepath.Join(t.TempDir(), "kassa.dump")

	code, out, errOut := script(t, nil, "backup-restore-check.sh", "-o", dump, dbURL)
	if code != 0 {
		t.Fatalf("exit %d: %s%s", code, out, errOut)
	}
	for _, want := range []string{"restores:", "1 sales totalling 25.00", "1 payments totalling 25.00", "stock on hand 23", "schema version "} {
		if !strings.Contains(out, want) {
			t.Errorf("the script says %q; want %q in it", out, want)
		}
	}
	if fi, err := os.Stat(dump); err != nil || fi.Size() == 0 {
		t.Fatalf("the backup %s: %v", dump, err)
	}
	m := restoredInto.FindStringSubmatch(out)
	if m == nil || !databaseGone(t, m[1]) {
		t.Fatalf("the scratch database was not dropped: %q", out)
	}

	// Kept, the restored copy is the original, row for row.
	code, out, errOut = script(t, nil, "backup-restore-check.sh", "-o", dump, "--keep", dbURL)
	if code != 0 {
		t.Fatalf("--keep: exit %d: %s%s", code, out, errOut)
	}
	m = restoredInto.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no restored copy named: %q", out)
	}
	t.Cleanup(func() { dropDatabase(t, m[1]) })
	copyDB, err := sqlx.Open("postgres", dbtest.URLFor(m[1]))
	if err != nil {
		t.Fatal(err)
	}
	defer copyDB.Close()
	dbtest.Unchanged(t, copyDB, dbtest.Counts(t, db))
	var title string
	if err := copyDB.Get(&title, `SELECT title FROM sale_lines`); err != nil || title != "Grüße, 東京 — two cups" {
		t.Errorf("the restored sale line: %q, %v", title, err)
	}
}

// TestBackupCheckCatchesALossyRestore puts a pg_restore on the PATH that restores, then
// changes one stock level: the script must notice, say what differs, and fail.
func TestBackupCheckCatchesALossyRestore(t *testing.T) {
	needTools(t, "pg_dump", "pg_restore", "psql")
	t.Parallel()
	db, dbURL := dbtest.NewWithURL(t)
	fillShop(t, db)
	real, err := exec.LookPath("pg_restore")
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	shim := `#!/usr/bin/env bash
"` + real + `" "$@" || exit
while [ $# -gt 0 ]; do [ "$1" = -d ] && db=$2; shift; done
psql "$db" -qc "UPDATE stock_levels SET on_hand = on_hand + 1"
`
	if err := os.WriteFile(filepath.Join(bin, "pg_restore"), []byte(shim), 0o755); err != nil {
		t.Fatal(err)
	}
	env := []string{"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH")}
	code, out, errOut := script(t, env, "backup-restore-check.sh", "-o", filepath.Join(t.TempDir(), "kassa.dump"), dbURL)
	if code != 1 || !strings.Contains(errOut, "does NOT restore") || !strings.Contains(errOut, "stock_levels") ||
		!strings.Contains(errOut, "stock on hand|1|24") {
		t.Fatalf("a restore that lost a change: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

func TestBackupCheckRefusesWhatItCannotUse(t *testing.T) {
	t.Parallel()
	if code, _, errOut := script(t, nil, "backup-restore-check.sh", "--frobnicate"); code != 2 || !strings.Contains(errOut, "unknown option") {
		t.Errorf("an unknown option: exit %d, %q", code, errOut)
	}
	if code, _, errOut := script(t, nil, "backup-restore-check.sh", "host=127.0.0.1 dbname=kassa"); code != 2 || !strings.Contains(errOut, "URL") {
		t.Errorf("a key=value connection string: exit %d, %q", code, errOut)
	}
	if code, _, errOut := script(t, nil, "backup-restore-check.sh", "--help"); code != 0 || !strings.Contains(errOut, "pg_restore") {
		t.Errorf("--help: exit %d, %q", code, errOut)
	}
}

const trustLine = "host all postgres 127.0.0.1/32 trust"

// TestTrustLineIsNarrowAndAddedOnce adds the password-less login to a copy of Debian's
// pg_hba.conf: one line at the top, for the postgres user from 127.0.0.1 only, said out
// loud; the rest of the file as it was; a second run changes nothing.
func TestTrustLineIsNarrowAndAddedOnce(t *testing.T) {
	t.Parallel()
	orig, err := os.ReadFile("testdata/pg_hba.conf")
	if err != nil {
		t.Fatal(err)
	}
	hba := filepath.Join(t.TempDir(), "pg_hba.conf")
	if err := os.WriteFile(hba, orig, 0o600); err != nil {
		t.Fatal(err)
	}
	add := func() string {
		t.Helper()
		code, _, errOut := script(t, nil, "-c", `source ensure-postgres.sh && allow_trust_login "$1"`, "_", hba)
		if code != 0 {
			t.Fatalf("allow_trust_login: exit %d: %s", code, errOut)
		}
		return errOut
	}
	said := add()
	got, err := os.ReadFile(hba)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != trustLine+"\n"+string(orig) {
		t.Fatalf("pg_hba.conf became:\n%s", got)
	}
	if !strings.Contains(said, hba) || !strings.Contains(said, trustLine) {
		t.Errorf("the script did not say what it changed: %q", said)
	}
	said = add()
	if again, _ := os.ReadFile(hba); string(again) != string(got) {
		t.Fatalf("a second run changed pg_hba.conf again:\n%s", again)
	}
	if !strings.Contains(said, "already has") {
		t.Errorf("the second run said %q", said)
	}
}

// TestEnsurePostgresLeavesAWorkingSetUpAlone runs make postgres's script where PostgreSQL
// answers and the postgres user logs in without a password (the tests' own server): it
// says so and changes no pg_hba.conf.
func TestEnsurePostgresLeavesAWorkingSetUpAlone(t *testing.T) {
	needTools(t, "psql", "pg_isready")
	u, err := url.Parse(dbtest.AdminURL())
	if err != nil || u.Hostname() != "127.0.0.1" || u.User.Username() != "postgres" {
		t.Skip("the tests' server is not the local postgres user's")
	}
	t.Parallel()
	orig, err := os.ReadFile("testdata/pg_hba.conf")
	if err != nil {
		t.Fatal(err)
	}
	hba := filepath.Join(t.TempDir(), "pg_hba.conf")
	if err := os.WriteFile(hba, orig, 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"KASSA_PG_HBA=" + hba, "PGPORT=" + u.Port()}
	code, out, errOut := script(t, env, "ensure-postgres.sh")
	if code != 0 || !strings.Contains(errOut, "left as it is") || !strings.Contains(errOut, "PostgreSQL is ready") {
		t.Fatalf("exit %d: %s%s", code, out, errOut)
	}
	if got, _ := os.ReadFile(hba); string(got) != string(orig) {
		t.Fatalf("pg_hba.conf changed where nothing was needed:\n%s", got)
	}
}

// TestEnsurePostgresOnAFreshCluster makes a new Debian cluster (installed, stopped, with
// Debian's pg_hba.conf) and runs the script on it: it starts it, adds the one trust line,
// and the postgres user (only) logs in without a password. It changes the machine's
// PostgreSQL set-up for a moment, so it runs only with KASSA_TEST_PG_CLUSTER=1, as root.
func TestEnsurePostgresOnAFreshCluster(t *testing.T) {
	if os.Getenv("KASSA_TEST_PG_CLUSTER") != "1" || os.Getuid() != 0 {
		t.Skip("set KASSA_TEST_PG_CLUSTER=1 and run as root to create a scratch PostgreSQL cluster")
	}
	needTools(t, "pg_createcluster", "pg_dropcluster", "psql", "pg_isready")
	versions, err := filepath.Glob("/etc/postgresql/*")
	if err != nil || len(versions) == 0 {
		t.Skip("no Debian PostgreSQL installed")
	}
	version := filepath.Base(versions[len(versions)-1])
	name, port := "kassa_scratch", "5439"
	if out, err := exec.Command("pg_createcluster", version, name, "--port", port).CombinedOutput(); err != nil {
		t.Fatalf("pg_createcluster: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("pg_dropcluster", version, name, "--stop").Run() })
	env := []string{"PGPORT=" + port, "KASSA_PG_CLUSTER=" + name}
	code, out, errOut := script(t, env, "ensure-postgres.sh")
	if code != 0 || !strings.Contains(errOut, "starting PostgreSQL") || !strings.Contains(errOut, "adding to the top of") {
		t.Fatalf("exit %d: %s%s", code, out, errOut)
	}
	hba, err := os.ReadFile(filepath.Join("/etc/postgresql", version, name, "pg_hba.conf"))
	trusting := 0
	for _, line := range strings.Split(string(hba), "\n") {
		if !strings.HasPrefix(line, "#") && strings.Contains(line, "trust") {
			trusting++
		}
	}
	if err != nil || !strings.HasPrefix(string(hba), trustLine+"\n") || trusting != 1 {
		t.Fatalf("pg_hba.conf (%v):\n%s", err, hba)
	}
	login := func(user string) error {
		return exec.Command("psql", "-h", "127.0.0.1", "-p", port, "-U", user, "-d", "postgres", "-w", "-qAtc", "SELECT 1").Run()
	}
	if err := login("postgres"); err != nil {
		t.Errorf("postgres cannot log in without a password: %v", err)
	}
	if err := login("kassa_nobody"); err == nil {
		t.Error("another user logs in without a password too")
	}
	code, _, errOut = script(t, env, "ensure-postgres.sh")
	if again, _ := os.ReadFile(filepath.Join("/etc/postgresql", version, name, "pg_hba.conf")); code != 0 || string(again) != string(hba) || !strings.Contains(errOut, "left as it is") {
		t.Fatalf("second run: exit %d, %s; pg_hba.conf:\n%s", code, errOut, again)
	}
}
