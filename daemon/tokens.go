package daemon

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kassa-pos/kassa/internal/clock"
	"github.com/kassa-pos/kassa/internal/pg"
	"github.com/kassa-pos/kassa/staff"
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

// TokenStore creates, lists, revokes and checks API tokens; the staff package keeps them.
// Clock gives the time tokens are created, revoked and used at (the real time when nil).
type TokenStore struct {
	Clock func() time.Time
}

func (s TokenStore) now() time.Time { return clock.Now(s.Clock) }

// tokenOf is a stored token with its role.
func tokenOf(t staff.Token) Token {
	return Token{ID: t.ID, Name: t.Name, Role: Role(t.Role), CreatedAt: t.CreatedAt, RevokedAt: t.RevokedAt, LastUsedAt: t.LastUsedAt}
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
	t, err := staff.Store{}.Create(ctx, q, name, string(role), hashToken(token), s.now())
	if errors.Is(err, staff.ErrNameTaken) {
		return "", Token{}, fmt.Errorf("token %q: %w", name, ErrTokenNameTaken)
	}
	if err != nil {
		return "", Token{}, err
	}
	return token, tokenOf(t), nil
}

// List returns every token, revoked ones included, oldest first.
func (TokenStore) List(ctx context.Context, q pg.Queryer) ([]Token, error) {
	stored, err := staff.Store{}.List(ctx, q)
	if err != nil {
		return nil, err
	}
	out := make([]Token, 0, len(stored))
	for _, t := range stored {
		out = append(out, tokenOf(t))
	}
	return out, nil
}

// Revoke revokes the live token named ref, or the token whose id ref is. Revoking a
// revoked token is refused, so that a typo does not look like success.
func (s TokenStore) Revoke(ctx context.Context, q pg.Queryer, ref string) (Token, error) {
	ref = strings.TrimSpace(ref)
	st := staff.Store{}
	stored, err := st.Named(ctx, q, ref)
	if errors.Is(err, staff.ErrNotFound) {
		id, perr := strconv.ParseInt(ref, 10, 64)
		if perr != nil {
			return Token{}, fmt.Errorf("token %q: %w", ref, ErrTokenNotFound)
		}
		stored, err = st.ByID(ctx, q, id)
		if errors.Is(err, staff.ErrNotFound) {
			return Token{}, fmt.Errorf("token %q: %w", ref, ErrTokenNotFound)
		}
	}
	if err != nil {
		return Token{}, err
	}
	t := tokenOf(stored)
	if t.RevokedAt != nil {
		return Token{}, fmt.Errorf("token %q: %w", t.Name, ErrTokenRevoked)
	}
	now := s.now()
	if err := st.Revoke(ctx, q, t.ID, now); err != nil {
		return Token{}, err
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
	// The lookup is by the hash of a 256-bit random token, so its timing tells an attacker
	// nothing about any stored token.
	stored, err := staff.Store{}.ByHash(ctx, q, hashToken(token))
	if errors.Is(err, staff.ErrNotFound) {
		return Token{}, ErrBadToken
	}
	if err != nil {
		return Token{}, fmt.Errorf("check token: %w", err)
	}
	t := tokenOf(stored)
	if t.RevokedAt != nil {
		return Token{}, ErrTokenRevoked
	}
	now := s.now()
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) >= lastUsedGrain {
		if err := (staff.Store{}).Touch(ctx, q, t.ID, now); err != nil {
			return Token{}, err
		}
		t.LastUsedAt = &now
	}
	return t, nil
}
