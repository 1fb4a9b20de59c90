// Package pg opens kassa's PostgreSQL database and holds the few helpers every store
// shares: transactions that span stores, and the translation of driver errors.
package pg

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/kassa-pos/kassa/internal/text"
)

// DefaultURL is the database kassa uses when neither --database-url nor DATABASE_URL is set:
// a local PostgreSQL with trust authentication and a database named kassa.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/kassa?sslmode=disable"

// Open connects to the database at url and checks that it answers.
func Open(ctx context.Context, url string) (*sqlx.DB, error) {
	db, err := sqlx.Open("postgres", url)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(8)
	db.SetConnMaxIdleTime(5 * time.Minute)
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	return db, nil
}

// Queryer is what a store function needs: a *sqlx.DB or a *sqlx.Tx.
type Queryer = sqlx.ExtContext

// WithTx runs fn in a transaction on db, committing when fn returns nil and rolling back
// otherwise. When the rollback itself fails, both errors are returned.
func WithTx(ctx context.Context, db *sqlx.DB, fn func(tx *sqlx.Tx) error) error {
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	if err := fn(tx); err != nil {
		if rbErr := tx.Rollback(); rbErr != nil && !errors.Is(rbErr, sql.ErrTxDone) {
			return errors.Join(err, fmt.Errorf("roll back: %w", rbErr))
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// InTx runs fn in a transaction: q's own when q already is one, a new one on q otherwise.
// Store functions that write several rows use it so they are all-or-nothing either way.
func InTx(ctx context.Context, q Queryer, fn func(tx *sqlx.Tx) error) error {
	switch v := q.(type) {
	case *sqlx.Tx:
		return fn(v)
	case *sqlx.DB:
		return WithTx(ctx, v, fn)
	default:
		return fmt.Errorf("pg.InTx: unsupported queryer %T", q)
	}
}

// Constraint returns the name of the constraint a PostgreSQL error is about, with its
// SQLSTATE code, or empty strings when err is not a constraint error.
func Constraint(err error) (code, name string) {
	var pqErr *pq.Error
	if !errors.As(err, &pqErr) {
		return "", ""
	}
	return string(pqErr.Code), pqErr.Constraint
}

// IsUniqueViolation reports whether err is a unique violation of the named constraint or
// index (any, when name is empty).
func IsUniqueViolation(err error, name string) bool {
	code, c := Constraint(err)
	return code == "23505" && (name == "" || c == name)
}

// IsCheckViolation reports whether err is a CHECK violation of the named constraint (any,
// when name is empty).
func IsCheckViolation(err error, name string) bool {
	code, c := Constraint(err)
	return code == "23514" && (name == "" || c == name)
}

// IsRaised reports whether err was raised by one of kassa's triggers with the given
// constraint name.
func IsRaised(err error, name string) bool {
	code, c := Constraint(err)
	return code == "P0001" && c == name
}

// EnsureDatabase creates the database the URL names when it does not exist yet, by
// connecting to the server's "postgres" database. It reports whether it created it.
func EnsureDatabase(ctx context.Context, dbURL string) (bool, error) {
	db, err := sqlx.Open("postgres", dbURL)
	if err != nil {
		return false, fmt.Errorf("open database: %w", err)
	}
	err = db.PingContext(ctx)
	db.Close()
	var pqErr *pq.Error
	if err == nil || !errors.As(err, &pqErr) || pqErr.Code != "3D000" { // invalid_catalog_name
		return false, nil
	}
	u, err := url.Parse(dbURL)
	if err != nil {
		return false, fmt.Errorf("parse database URL: %w", err)
	}
	name := strings.TrimPrefix(u.Path, "/")
	u.Path = "/postgres"
	admin, err := sqlx.Open("postgres", u.String())
	if err != nil {
		return false, fmt.Errorf("open postgres database: %w", err)
	}
	defer admin.Close()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name)); err != nil {
		return false, fmt.Errorf("create database %s: %w", name, err)
	}
	return true, nil
}

// Text makes s storable as PostgreSQL text: it is text.Valid, which holds the one
// implementation of kassa's text rules.
//
// Deprecated: use text.Valid, or text.Clean for text people read.
func Text(s string) string { return text.Valid(s) }
