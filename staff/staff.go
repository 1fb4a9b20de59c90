package staff

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/kassa-pos/kassa/internal/pg"
)

// Errors returned by the store.
var (
	ErrNotFound  = errors.New("no such token")
	ErrNameTaken = errors.New("a live token already has this name")
)

// Token is an API token as stored: its hash, never the token.
type Token struct {
	ID         int64      `db:"id"`
	Name       string     `db:"name"`
	Role       string     `db:"role"`
	CreatedAt  time.Time  `db:"created_at"`
	RevokedAt  *time.Time `db:"revoked_at"`
	LastUsedAt *time.Time `db:"last_used_at"`
}

// Store reads and writes API tokens.
type Store struct{}

const tokenColumns = `id, name, role, created_at, revoked_at, last_used_at`

// Create stores a new token by its hash, made at at. Two live tokens never share a name,
// whatever its case (ErrNameTaken).
func (Store) Create(ctx context.Context, q pg.Queryer, name, role string, hash []byte, at time.Time) (Token, error) {
	var t Token
	err := sqlx.GetContext(ctx, q, &t, `
		INSERT INTO api_tokens (name, role, hash, created_at) VALUES ($1, $2, $3, $4)
		RETURNING `+tokenColumns, name, role, hash, at)
	if pg.IsUniqueViolation(err, "api_tokens_live_name") {
		return Token{}, fmt.Errorf("token %q: %w", name, ErrNameTaken)
	}
	if err != nil {
		return Token{}, fmt.Errorf("store token: %w", err)
	}
	return t, nil
}

// List returns every token, revoked ones included, oldest first.
func (Store) List(ctx context.Context, q pg.Queryer) ([]Token, error) {
	out := []Token{}
	if err := sqlx.SelectContext(ctx, q, &out, `SELECT `+tokenColumns+` FROM api_tokens ORDER BY id`); err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return out, nil
}

// Named finds the token named name, whatever its case: the live one, else the one made
// last.
func (Store) Named(ctx context.Context, q pg.Queryer, name string) (Token, error) {
	var t Token
	err := sqlx.GetContext(ctx, q, &t, `SELECT `+tokenColumns+` FROM api_tokens
		WHERE lower(name) = lower($1) ORDER BY revoked_at IS NULL DESC, id DESC LIMIT 1`, name)
	return found(t, err, fmt.Sprintf("token %q", name))
}

// ByID finds a token by id.
func (Store) ByID(ctx context.Context, q pg.Queryer, id int64) (Token, error) {
	var t Token
	err := sqlx.GetContext(ctx, q, &t, `SELECT `+tokenColumns+` FROM api_tokens WHERE id = $1`, id)
	return found(t, err, fmt.Sprintf("token %d", id))
}

// ByHash finds the token whose SHA-256 is hash.
func (Store) ByHash(ctx context.Context, q pg.Queryer, hash []byte) (Token, error) {
	var t Token
	err := sqlx.GetContext(ctx, q, &t, `SELECT `+tokenColumns+` FROM api_tokens WHERE hash = $1`, hash)
	return found(t, err, "token")
}

func found(t Token, err error, what string) (Token, error) {
	if errors.Is(err, sql.ErrNoRows) {
		return Token{}, fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	if err != nil {
		return Token{}, fmt.Errorf("find %s: %w", what, err)
	}
	return t, nil
}

// Revoke marks a token revoked at at.
func (Store) Revoke(ctx context.Context, q pg.Queryer, id int64, at time.Time) error {
	if _, err := q.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = $2 WHERE id = $1`, id, at); err != nil {
		return fmt.Errorf("revoke token %d: %w", id, err)
	}
	return nil
}

// Touch notes that a token was used at at.
func (Store) Touch(ctx context.Context, q pg.Queryer, id int64, at time.Time) error {
	if _, err := q.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = $2 WHERE id = $1`, id, at); err != nil {
		return fmt.Errorf("note token use: %w", err)
	}
	return nil
}

// Names returns the names of tokens, by id (revoked ones included: a record keeps the
// name of the token it was made with).
func (Store) Names(ctx context.Context, q pg.Queryer, ids []int64) (map[int64]string, error) {
	out := make(map[int64]string, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var rows []struct {
		ID   int64  `db:"id"`
		Name string `db:"name"`
	}
	if err := sqlx.SelectContext(ctx, q, &rows, `SELECT id, name FROM api_tokens WHERE id = ANY($1::bigint[])`, pq.Array(ids)); err != nil {
		return nil, fmt.Errorf("look up token names: %w", err)
	}
	for _, r := range rows {
		out[r.ID] = r.Name
	}
	return out, nil
}

// NameOf returns the name of the token id points at from names, or nil when id is nil
// (done without a token, on the command line) or names lacks it.
func NameOf(names map[int64]string, id *int64) *string {
	if id == nil {
		return nil
	}
	n, ok := names[*id]
	if !ok {
		return nil
	}
	return &n
}
