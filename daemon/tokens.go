package daemon

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/kassa-pos/kassa/internal/pg"
)

// Role is what a token may do.
type Role string

// The roles. A manager may do everything a cashier may.
const (
	RoleCashier Role = "cashier"
	RoleManager Role = "manager"
)

// ParseRole reads "cashier" or "manager".
func ParseRole(s string) (Role, error) {
	switch r := Role(strings.ToLower(strings.TrimSpace(s))); r {
	case RoleCashier, RoleManager:
		return r, nil
	}
	return "", fmt.Errorf("role %q: want cashier or manager", s)
}

// allows reports whether a token of role r may call a route that needs role need.
func (r Role) allows(need Role) bool {
	return r == RoleManager || r == need
}

// Token errors.
var (
	ErrTokenNotFound  = errors.New("no such token")
	ErrTokenNameTaken = errors.New("a live token already has this name: revoke it first or choose another")
	ErrTokenRevoked   = errors.New("the token is revoked")
	ErrBadToken       = errors.New("the token is not valid")
)

// tokenPrefix marks kassa's tokens, so that one pasted in the wrong place is recognisable
// (and secret scanners can find it).
const tokenPrefix = "kassa_"

// Token is an API token as stored: its hash, never the token.
type Token struct {
	ID         int64      `db:"id" json:"id"`
	Name       string     `db:"name" json:"name"`
	Role       Role       `db:"role" json:"role"`
	CreatedAt  time.Time  `db:"created_at" json:"created_at"`
	RevokedAt  *time.Time `db:"revoked_at" json:"revoked_at"`
	LastUsedAt *time.Time `db:"last_used_at" json:"last_used_at"`
}

// TokenStore creates, lists, revokes and checks API tokens. Clock gives the time tokens
// are created, revoked and used at (time.Now when nil).
type TokenStore struct {
	Clock func() time.Time
}

func (s TokenStore) now() time.Time {
	if s.Clock != nil {
		return s.Clock()
	}
	return time.Now()
}

func hashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// Create makes a new random token for name with role and returns it together with the
// stored record. The token is shown to the caller only here: only its SHA-256 is stored.
func (s TokenStore) Create(ctx context.Context, q pg.Queryer, name string, role Role) (string, Token, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", Token{}, errors.New("a token needs a name (who or what uses it)")
	}
	if _, err := ParseRole(string(role)); err != nil {
		return "", Token{}, err
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", Token{}, fmt.Errorf("make token: %w", err)
	}
	token := tokenPrefix + base64.RawURLEncoding.EncodeToString(raw)
	var t Token
	err := sqlx.GetContext(ctx, q, &t, `
		INSERT INTO api_tokens (name, role, hash, created_at) VALUES ($1, $2, $3, $4)
		RETURNING id, name, role, created_at, revoked_at, last_used_at`,
		name, string(role), hashToken(token), s.now())
	if pg.IsUniqueViolation(err, "api_tokens_live_name") {
		return "", Token{}, fmt.Errorf("token %q: %w", name, ErrTokenNameTaken)
	}
	if err != nil {
		return "", Token{}, fmt.Errorf("store token: %w", err)
	}
	return token, t, nil
}

// List returns every token, revoked ones included, oldest first.
func (TokenStore) List(ctx context.Context, q pg.Queryer) ([]Token, error) {
	out := []Token{}
	err := sqlx.SelectContext(ctx, q, &out, `
		SELECT id, name, role, created_at, revoked_at, last_used_at FROM api_tokens ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return out, nil
}

// Revoke revokes the live token named ref, or the token whose id ref is. Revoking a
// revoked token is refused, so that a typo does not look like success.
func (s TokenStore) Revoke(ctx context.Context, q pg.Queryer, ref string) (Token, error) {
	ref = strings.TrimSpace(ref)
	var t Token
	err := sqlx.GetContext(ctx, q, &t, `
		SELECT id, name, role, created_at, revoked_at, last_used_at FROM api_tokens
		WHERE lower(name) = lower($1) ORDER BY revoked_at IS NULL DESC, id DESC LIMIT 1`, ref)
	if errors.Is(err, sql.ErrNoRows) {
		id, perr := strconv.ParseInt(ref, 10, 64)
		if perr != nil {
			return Token{}, fmt.Errorf("token %q: %w", ref, ErrTokenNotFound)
		}
		err = sqlx.GetContext(ctx, q, &t, `
			SELECT id, name, role, created_at, revoked_at, last_used_at FROM api_tokens WHERE id = $1`, id)
		if errors.Is(err, sql.ErrNoRows) {
			return Token{}, fmt.Errorf("token %q: %w", ref, ErrTokenNotFound)
		}
	}
	if err != nil {
		return Token{}, fmt.Errorf("find token %q: %w", ref, err)
	}
	if t.RevokedAt != nil {
		return Token{}, fmt.Errorf("token %q: %w", t.Name, ErrTokenRevoked)
	}
	now := s.now()
	if _, err := q.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = $2 WHERE id = $1`, t.ID, now); err != nil {
		return Token{}, fmt.Errorf("revoke token %q: %w", t.Name, err)
	}
	t.RevokedAt = &now
	return t, nil
}

// lastUsedGrain is how stale last_used_at may be: updating it on every request would
// write to the database on every read.
const lastUsedGrain = time.Minute

// Authenticate returns the live token whose value is token, and notes that it was used.
// It fails with ErrBadToken for an unknown token and ErrTokenRevoked for a revoked one.
func (s TokenStore) Authenticate(ctx context.Context, q pg.Queryer, token string) (Token, error) {
	if !strings.HasPrefix(token, tokenPrefix) {
		return Token{}, ErrBadToken
	}
	var t Token
	// The lookup is by the hash of a 256-bit random token, so its timing tells an attacker
	// nothing about any stored token.
	err := sqlx.GetContext(ctx, q, &t, `
		SELECT id, name, role, created_at, revoked_at, last_used_at FROM api_tokens WHERE hash = $1`, hashToken(token))
	if errors.Is(err, sql.ErrNoRows) {
		return Token{}, ErrBadToken
	}
	if err != nil {
		return Token{}, fmt.Errorf("check token: %w", err)
	}
	if t.RevokedAt != nil {
		return Token{}, ErrTokenRevoked
	}
	now := s.now()
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) >= lastUsedGrain {
		if _, err := q.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = $2 WHERE id = $1`, t.ID, now); err != nil {
			return Token{}, fmt.Errorf("note token use: %w", err)
		}
		t.LastUsedAt = &now
	}
	return t, nil
}
