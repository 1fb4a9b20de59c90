// Package migrations holds kassa's numbered migrations, embedded in the binary, and applies
// them with goose. Most are SQL files; a migration that must move data SQL cannot compute
// is Go (0001x_name.go, registered in goMigrations). Migrations are append-only once
// released: a change to the schema is a new migration.
package migrations

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"

	"github.com/lib/pq"
	"github.com/pressly/goose/v3"
)

//go:embed *.sql
var files embed.FS

// goSources are the Go migrations' own files, for Fingerprint.
//
//go:embed 0*.go
var goSources embed.FS

// goMigration is a migration written in Go; each runs in a transaction.
type goMigration struct {
	version  int64
	name     string
	up, down func(context.Context, *sql.Tx) error
}

var goMigrations = []goMigration{
	{10, "00010_import_log_frames.go", packImportLog, unpackImportLog},
}

// FS returns the embedded SQL migration files.
func FS() fs.FS { return files }

// Fingerprint is a hash of every migration, SQL and Go: it changes whenever one does.
func Fingerprint() string {
	h := sha256.New()
	for _, fsys := range []fs.FS{files, goSources} {
		names, _ := fs.Glob(fsys, "*")
		for _, n := range names {
			b, _ := fs.ReadFile(fsys, n)
			h.Write([]byte(path.Base(n)))
			h.Write(b)
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// Error is a migration that failed. Each migration runs in a transaction, so nothing of
// the failed one was written (the migrations before it in the same run stay applied).
type Error struct {
	Version int64
	Done    string // "applied" or "rolled back"
	Err     error
}

// Error says which migration failed and why, in the database's own words (a migration
// that refuses a state raises a message written for the shop's owner).
func (e *Error) Error() string {
	msg := e.Err.Error()
	var pqErr *pq.Error
	if errors.As(e.Err, &pqErr) {
		msg = pqErr.Message
	}
	return fmt.Sprintf("migration %d was not %s: %s", e.Version, e.Done, msg)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

func failed(err error, done string) error {
	var pe *goose.PartialError
	if errors.As(err, &pe) && pe.Failed != nil && pe.Failed.Source != nil {
		return &Error{Version: pe.Failed.Source.Version, Done: done, Err: pe.Err}
	}
	return fmt.Errorf("migrations could not be %s: %w", done, err)
}

// Status describes one migration and whether it is applied.
type Status struct {
	Version int64
	Name    string
	Applied bool
}

func provider(db *sql.DB) (*goose.Provider, error) {
	opts := []goose.ProviderOption{goose.WithDisableGlobalRegistry(true)}
	for _, m := range goMigrations {
		opts = append(opts, goose.WithGoMigrations(goose.NewGoMigration(m.version, &goose.GoFunc{RunTx: m.up}, &goose.GoFunc{RunTx: m.down})))
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, files, opts...)
	if err != nil {
		return nil, fmt.Errorf("load migrations: %w", err)
	}
	return p, nil
}

// Up applies every pending migration, each in its own transaction. It is a no-op on a
// current schema. It returns the versions it applied.
func Up(ctx context.Context, db *sql.DB) ([]int64, error) {
	p, err := provider(db)
	if err != nil {
		return nil, err
	}
	res, err := p.Up(ctx)
	var partial *goose.PartialError
	var refused *pq.Error
	if errors.As(err, &partial) && errors.As(err, &refused) && refused.Code == "P0001" {
		// A migration that refuses to run (RAISE EXCEPTION) says why and what to do, for
		// the person upgrading: that sentence is the error. Its change rolled back.
		return nil, fmt.Errorf("migration %d cannot run: %s", partial.Failed.Source.Version, refused.Message)
	}
	if err != nil {
		return nil, failed(err, "applied")
	}
	applied := make([]int64, 0, len(res))
	for _, r := range res {
		applied = append(applied, r.Source.Version)
	}
	return applied, nil
}

// Down rolls back the most recent migration and returns its version (0 when none was applied).
func Down(ctx context.Context, db *sql.DB) (int64, error) {
	p, err := provider(db)
	if err != nil {
		return 0, err
	}
	res, err := p.Down(ctx)
	if errors.Is(err, goose.ErrNoNextVersion) {
		return 0, nil // every migration is rolled back already
	}
	if err != nil {
		return 0, failed(err, "rolled back")
	}
	if res == nil {
		return 0, nil
	}
	return res.Source.Version, nil
}

// Reset rolls back every migration.
func Reset(ctx context.Context, db *sql.DB) error {
	p, err := provider(db)
	if err != nil {
		return err
	}
	if _, err := p.DownTo(ctx, 0); err != nil {
		return failed(err, "rolled back")
	}
	return nil
}

// List reports every known migration and whether it is applied.
func List(ctx context.Context, db *sql.DB) ([]Status, error) {
	p, err := provider(db)
	if err != nil {
		return nil, err
	}
	st, err := p.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("migration status: %w", err)
	}
	out := make([]Status, 0, len(st))
	for _, s := range st {
		name := s.Source.Path
		for _, m := range goMigrations {
			if name == "" && m.version == s.Source.Version {
				name = m.name
			}
		}
		out = append(out, Status{Version: s.Source.Version, Name: name, Applied: s.State == goose.StateApplied})
	}
	return out, nil
}

// Versions returns the version the database is at and the newest version kassa knows.
func Versions(ctx context.Context, db *sql.DB) (current, latest int64, err error) {
	p, err := provider(db)
	if err != nil {
		return 0, 0, err
	}
	current, err = p.GetDBVersion(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("read schema version: %w", err)
	}
	for _, s := range p.ListSources() {
		latest = max(latest, s.Version)
	}
	return current, latest, nil
}
