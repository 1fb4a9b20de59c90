// Package dbtest gives each test its own migrated PostgreSQL database.
//
// The first call in a test binary migrates a template database (named after a hash of
// the migrations, so a schema change makes a new one); every test then gets a fresh
// database cloned from it, dropped when the test ends. Tests can therefore run in
// parallel against a real PostgreSQL. KASSA_TEST_DATABASE_URL names the server's
// administrative database (default postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable).
package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/kassa-pos/kassa/migrations"
)

// DefaultAdminURL is the server the tests use when KASSA_TEST_DATABASE_URL is unset.
const DefaultAdminURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

var (
	templateOnce sync.Once
	templateName string
	templateErr  error
)

// AdminURL returns the URL of the administrative database tests create databases from.
func AdminURL() string {
	if u := os.Getenv("KASSA_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return DefaultAdminURL
}

// URLFor returns the URL of database name on the test server.
func URLFor(name string) string {
	u, err := url.Parse(AdminURL())
	if err != nil {
		panic(fmt.Sprintf("dbtest: bad KASSA_TEST_DATABASE_URL: %v", err))
	}
	u.Path = "/" + name
	return u.String()
}

// New returns a connection to a fresh, fully migrated database of its own, dropped
// when the test ends.
func New(tb testing.TB) *sqlx.DB {
	tb.Helper()
	db, _ := NewWithURL(tb)
	return db
}

// NewWithURL is New that also returns the database's URL, for tests that start a
// subprocess (the kassa binary) against it.
func NewWithURL(tb testing.TB) (*sqlx.DB, string) {
	tb.Helper()
	tmpl := template(tb)
	name := "kassa_test_" + randomHex(8)
	admin := connect(tb, AdminURL())
	defer admin.Close()
	if _, err := admin.Exec(fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s", name, tmpl)); err != nil {
		tb.Fatalf("dbtest: create database: %v", err)
	}
	dbURL := URLFor(name)
	db := connect(tb, dbURL)
	tb.Cleanup(func() {
		db.Close()
		admin := connect(tb, AdminURL())
		defer admin.Close()
		if _, err := admin.Exec(fmt.Sprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", name)); err != nil {
			tb.Errorf("dbtest: drop database %s: %v", name, err)
		}
	})
	return db, dbURL
}

// Empty returns the URL of a fresh database with no schema at all, dropped when the test ends.
func Empty(tb testing.TB) string {
	tb.Helper()
	name := "kassa_test_" + randomHex(8)
	admin := connect(tb, AdminURL())
	defer admin.Close()
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		tb.Fatalf("dbtest: create database: %v", err)
	}
	tb.Cleanup(func() {
		admin := connect(tb, AdminURL())
		defer admin.Close()
		if _, err := admin.Exec(fmt.Sprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", name)); err != nil {
			tb.Errorf("dbtest: drop database %s: %v", name, err)
		}
	})
	return URLFor(name)
}

func template(tb testing.TB) string {
	tb.Helper()
	templateOnce.Do(func() { templateName, templateErr = ensureTemplate() })
	if templateErr != nil {
		tb.Fatalf("dbtest: %v", templateErr)
	}
	return templateName
}

// ensureTemplate creates the template database for the current migrations unless it
// exists. Test binaries of several packages run at once, so creation is serialised with
// an advisory lock on the administrative database.
func ensureTemplate() (string, error) {
	name := "kassa_tmpl_" + migrations.Fingerprint()
	ctx := context.Background()
	admin, err := sqlx.Open("postgres", AdminURL())
	if err != nil {
		return "", err
	}
	defer admin.Close()
	conn, err := admin.Connx(ctx)
	if err != nil {
		return "", fmt.Errorf("connect to %s: %w", AdminURL(), err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(727274)"); err != nil {
		return "", fmt.Errorf("lock: %w", err)
	}
	defer conn.ExecContext(ctx, "SELECT pg_advisory_unlock(727274)")

	var ready bool
	err = conn.GetContext(ctx, &ready,
		"SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1 AND datistemplate)", name)
	if err != nil {
		return "", fmt.Errorf("look for template: %w", err)
	}
	if ready {
		return name, nil
	}
	// A half-made template from an interrupted run is dropped and made again.
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", name)); err != nil {
		return "", fmt.Errorf("drop stale template: %w", err)
	}
	if _, err := conn.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		return "", fmt.Errorf("create template: %w", err)
	}
	db, err := sqlx.Open("postgres", URLFor(name))
	if err != nil {
		return "", err
	}
	_, err = migrations.Up(ctx, db.DB)
	db.Close()
	if err != nil {
		return "", fmt.Errorf("migrate template: %w", err)
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("ALTER DATABASE %s WITH is_template true ALLOW_CONNECTIONS false", name)); err != nil {
		return "", fmt.Errorf("mark template: %w", err)
	}
	return name, nil
}

// connect opens a pool on u. When the server is busy (all its connection slots taken by
// tests running at the same time) it waits and tries again for a while, so that a burst of
// parallel tests does not fail for want of a connection.
func connect(tb testing.TB, u string) *sqlx.DB {
	tb.Helper()
	db, err := sqlx.Open("postgres", u)
	if err != nil {
		tb.Fatalf("dbtest: open %s: %v", u, err)
	}
	// Tests share one server; a small pool per test keeps a parallel run under its
	// connection limit (100 by default).
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(2)
	deadline := time.Now().Add(60 * time.Second)
	for wait := 50 * time.Millisecond; ; wait = min(2*wait, time.Second) {
		err = db.Ping()
		if err == nil {
			return db
		}
		if !busy(err) || time.Now().After(deadline) {
			break
		}
		time.Sleep(wait)
	}
	db.Close()
	tb.Fatalf("dbtest: connect to %s: %v (is PostgreSQL running? see README)", redact(u), err)
	return nil
}

// busy reports whether err means the server is out of connection slots for now.
func busy(err error) bool {
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		return pqErr.Code == "53300" || pqErr.Code == "57P03" // too_many_connections, cannot_connect_now
	}
	msg := err.Error()
	return strings.Contains(msg, "connection reset by peer") || strings.Contains(msg, "too many clients")
}

func redact(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "the test database"
	}
	return strings.Replace(p.Redacted(), "xxxxx", "***", 1)
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Counts returns the number of rows of every table in the public schema (but goose's
// own), so that a test can check that a refused operation changed nothing:
//
//	before := dbtest.Counts(t, db)
//	... the operation that must fail ...
//	dbtest.Unchanged(t, db, before)
func Counts(tb testing.TB, db *sqlx.DB) map[string]int64 {
	tb.Helper()
	var tables []string
	err := db.Select(&tables, `SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'goose_db_version' ORDER BY tablename`)
	if err != nil {
		tb.Fatalf("dbtest: list tables: %v", err)
	}
	out := make(map[string]int64, len(tables))
	for _, t := range tables {
		var n int64
		if err := db.Get(&n, fmt.Sprintf("SELECT count(*) FROM %q", t)); err != nil {
			tb.Fatalf("dbtest: count %s: %v", t, err)
		}
		out[t] = n
	}
	return out
}

// Unchanged fails the test when any table's row count differs from before.
func Unchanged(tb testing.TB, db *sqlx.DB, before map[string]int64) {
	tb.Helper()
	after := Counts(tb, db)
	for t, n := range after {
		if before[t] != n {
			tb.Errorf("table %s: %d rows before, %d after: the refused operation wrote to the database", t, before[t], n)
		}
	}
}
