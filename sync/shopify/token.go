package shopify

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/rs/zerolog"

	"github.com/kassa-pos/kassa/internal/pg"
	"github.com/kassa-pos/kassa/sync/shopify/shopifyapi"
)

// A client-credentials connection's access token lives 24 hours. kassa keeps the current
// one sealed in shopify_credentials with its expiry, and renews it:
//   - ahead of its expiry, once less than a tenth of its life or an hour (whichever is
//     shorter) is left, so that no request meets an expired token;
//   - once when Shopify answers 401 (a token revoked or expired early).
//
// Only one process renews a connection's token at a time, however many kassa processes
// share the database: a renewal holds a PostgreSQL advisory lock on the connection for its
// transaction, and a process that waited for the lock reads the token the other one stored
// instead of asking Shopify again.

// TokenObserver is told about token renewals (the daemon counts them in
// kassa_shopify_token_renewals_total). Its method must be quick and safe for concurrent use.
type TokenObserver interface {
	// ObserveTokenRenewal reports a renewal's result: "renewed" or "failed".
	ObserveTokenRenewal(shop, result string)
}

// tokenLockTimeout bounds how long a renewal waits for another process's.
const tokenLockTimeout = 2 * time.Minute

// renewMargin is how long before its expiry a token of the given life is renewed: a
// tenth of its life, at most an hour.
func renewMargin(life time.Duration) time.Duration {
	return min(life/10, time.Hour)
}

// Tokens is the TokenSource of a client-credentials connection's Shopify clients. It is
// safe for concurrent use.
type Tokens struct {
	db       *sqlx.DB
	store    ConnectionStore
	conn     Connection
	clock    func() time.Time
	cfg      shopifyapi.Config // where token requests go (base URL, transport options)
	observer TokenObserver
	log      zerolog.Logger

	mu      sync.Mutex
	token   string
	granted time.Time
	expires time.Time
}

// fresh reports whether a token granted at granted and expiring at expires is still good
// to send at now.
func fresh(now, granted, expires time.Time) bool {
	return now.Before(expires.Add(-renewMargin(expires.Sub(granted))))
}

// Token returns the connection's current access token, renewing it when it is close to its
// expiry.
func (t *Tokens) Token(ctx context.Context) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.token != "" && fresh(t.clock(), t.granted, t.expires) {
		return t.token, nil
	}
	stored, err := t.load(ctx, t.db)
	if err != nil {
		return "", err
	}
	if stored.token != "" && fresh(t.clock(), stored.granted, stored.expires) {
		t.keep(stored)
		return t.token, nil
	}
	return t.renew(ctx, "")
}

// Renew is called after Shopify refused rejected: it returns the token another process
// stored since, or renews it.
func (t *Tokens) Renew(ctx context.Context, rejected string) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.token != "" && t.token != rejected && fresh(t.clock(), t.granted, t.expires) {
		return t.token, nil
	}
	return t.renew(ctx, rejected)
}

type storedToken struct {
	token            string
	granted, expires time.Time
}

func (t *Tokens) keep(s storedToken) { t.token, t.granted, t.expires = s.token, s.granted, s.expires }

// load reads the connection's stored access token.
func (t *Tokens) load(ctx context.Context, q sqlx.QueryerContext) (storedToken, error) {
	var row struct {
		Sealed  []byte     `db:"sealed"`
		Granted time.Time  `db:"updated_at"`
		Expires *time.Time `db:"expires_at"`
	}
	err := sqlx.GetContext(ctx, q, &row, `
		SELECT sealed, updated_at, expires_at FROM shopify_credentials WHERE connection_id = $1 AND name = $2`,
		t.conn.ID, credAccessToken)
	if errors.Is(err, sql.ErrNoRows) {
		return storedToken{}, nil
	}
	if err != nil {
		return storedToken{}, fmt.Errorf("read the access token of %s: %w", t.conn.Shop, err)
	}
	plain, err := t.store.Secrets.Open(row.Sealed, sealContext(t.conn.ID, credAccessToken))
	if err != nil {
		return storedToken{}, credentialError(t.conn.Shop, err)
	}
	s := storedToken{token: string(plain), granted: row.Granted}
	if row.Expires != nil {
		s.expires = *row.Expires
	}
	return s, nil
}

// renew obtains a new token under the connection's renewal lock, unless another process
// stored one (other than rejected) while this one waited. The caller holds t.mu.
func (t *Tokens) renew(ctx context.Context, rejected string) (string, error) {
	var out storedToken
	renewed := false
	err := pg.WithTx(ctx, t.db, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, fmt.Sprintf(`SET LOCAL lock_timeout = '%dms'`, tokenLockTimeout.Milliseconds())); err != nil {
			return fmt.Errorf("renew the access token of %s: %w", t.conn.Shop, err)
		}
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1, $2)`, lockClassToken, int32(t.conn.ID)); err != nil {
			return fmt.Errorf("wait for another renewal of the access token of %s: %w", t.conn.Shop, err)
		}
		stored, err := t.load(ctx, tx)
		if err != nil {
			return err
		}
		if stored.token != "" && stored.token != rejected && fresh(t.clock(), stored.granted, stored.expires) {
			out = stored
			return nil
		}
		grant, err := shopifyapi.RequestToken(ctx, t.cfg, shopifyapi.Credentials{ClientID: t.conn.ClientID, ClientSecret: t.conn.ClientSecret})
		if err != nil {
			return fmt.Errorf("renew the access token of %s: %w", t.conn.Shop, err)
		}
		now := t.clock()
		life := grant.ExpiresIn
		if life <= 0 {
			life = 24 * time.Hour // Shopify always says; assume its documented life if not
		}
		out = storedToken{token: grant.AccessToken, granted: now, expires: now.Add(life)}
		if err := t.store.putToken(ctx, tx, t.conn.ID, out.token, out.granted, out.expires); err != nil {
			return err
		}
		if grant.Scopes != nil {
			if _, err := tx.ExecContext(ctx, `UPDATE shopify_connections SET scopes = $2 WHERE id = $1`, t.conn.ID, pq.Array(grant.Scopes)); err != nil {
				return fmt.Errorf("store the scopes of %s: %w", t.conn.Shop, err)
			}
		}
		renewed = true
		return nil
	})
	if err != nil {
		if ctx.Err() == nil {
			t.observe("failed")
			t.log.Warn().Err(err).Msg("could not renew the shopify access token")
		}
		return "", err
	}
	if renewed {
		t.observe("renewed")
		t.log.Info().Time("expires_at", out.expires).Msg("shopify access token renewed")
	}
	t.keep(out)
	return t.token, nil
}

func (t *Tokens) observe(result string) {
	if t.observer != nil {
		t.observer.ObserveTokenRenewal(t.conn.Shop, result)
	}
}
