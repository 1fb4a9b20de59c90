package shopify

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/kassa-pos/kassa/internal/pg"
	"github.com/kassa-pos/kassa/internal/secret"
)

// A connection's credentials are kept in shopify_credentials, one sealed value per field
// (internal/secret), never in plain text. The value is sealed for its connection and field,
// so a value copied into another row does not open. Connections made before credentials
// were sealed (migration 12) still hold them in plain-text columns; a store with the key
// seals those the first time it loads them, in one transaction with emptying the plain
// text, and SealPlainCredentials does it for all of them at once.

// The credential fields. A legacy connection has an access token and a webhook secret; a
// client-credentials connection a client secret and, once Shopify granted one, an access
// token with its expiry.
const (
	credAccessToken   = "access_token"
	credWebhookSecret = "webhook_secret"
	credClientSecret  = "client_secret"
)

// ErrNoCredentials: a connection has no stored credentials to read (e.g. after a
// downgrade and upgrade of the schema).
var ErrNoCredentials = errors.New("the connection has no stored credentials: connect it again with 'kassa shopify connect'")

// ErrNoSecrets: a store without a secret key was asked to store or read credentials.
var ErrNoSecrets = errors.New("storing a shop's credentials needs the secret key that encrypts them")

// connectionRow is a connection as read: its credentials still sealed, or in plain text
// for a connection that was made before they were sealed.
type connectionRow struct {
	Connection
	PlainAccessToken   string         `db:"access_token"`
	PlainWebhookSecret string         `db:"webhook_secret"`
	CredNames          pq.StringArray `db:"cred_names"`
	CredSealed         pq.ByteaArray  `db:"cred_sealed"`
}

func (r connectionRow) plain() map[string]string {
	if r.PlainAccessToken == "" && r.PlainWebhookSecret == "" {
		return nil
	}
	return map[string]string{credAccessToken: r.PlainAccessToken, credWebhookSecret: r.PlainWebhookSecret}
}

func (p ConnectParams) credentials() map[string]string {
	if p.Auth == AuthClientCredentials {
		return map[string]string{credClientSecret: p.ClientSecret}
	}
	return map[string]string{credAccessToken: p.AccessToken, credWebhookSecret: p.WebhookSecret}
}

func (p ConnectParams) clientID() string {
	if p.Auth == AuthClientCredentials {
		return strings.TrimSpace(p.ClientID)
	}
	return ""
}

func (p ConnectParams) scopes() []string {
	if p.Scopes == nil {
		return []string{}
	}
	return p.Scopes
}

// replaceCredentials stores a connect's credentials in tx and removes any other the
// connection held (a shop moving from a legacy app to a Dev Dashboard app keeps no stale
// token).
func (st ConnectionStore) replaceCredentials(ctx context.Context, tx *sqlx.Tx, connectionID int64, p ConnectParams) error {
	creds := p.credentials()
	if err := st.putCredentials(ctx, tx, connectionID, creds); err != nil {
		return err
	}
	keep := sortedKeys(creds)
	if p.Auth == AuthClientCredentials {
		keep = append(keep, credAccessToken)
		if err := st.putToken(ctx, tx, connectionID, p.Grant.AccessToken, p.GrantedAt, p.GrantedAt.Add(p.Grant.ExpiresIn)); err != nil {
			return err
		}
	}
	_, err := tx.ExecContext(ctx, `DELETE FROM shopify_credentials WHERE connection_id = $1 AND name <> ALL($2)`, connectionID, pq.Array(keep))
	if err != nil {
		return fmt.Errorf("store the shop's credentials: %w", err)
	}
	return nil
}

// putToken seals and stores a client-credentials access token granted at grantedAt and
// expiring at expiresAt.
func (st ConnectionStore) putToken(ctx context.Context, q sqlx.ExecerContext, connectionID int64, token string, grantedAt, expiresAt time.Time) error {
	if st.Secrets == nil {
		return ErrNoSecrets
	}
	v, err := st.Secrets.Seal([]byte(token), sealContext(connectionID, credAccessToken))
	if err != nil {
		return fmt.Errorf("encrypt the shop's access token: %w", err)
	}
	_, err = q.ExecContext(ctx, `
		INSERT INTO shopify_credentials (connection_id, name, sealed, updated_at, expires_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (connection_id, name) DO UPDATE SET sealed = excluded.sealed, updated_at = excluded.updated_at,
			expires_at = excluded.expires_at`,
		connectionID, credAccessToken, v, grantedAt, expiresAt)
	if err != nil {
		return fmt.Errorf("store the shop's access token: %w", err)
	}
	return nil
}

// sealContext names a credential for sealing: its connection and its field.
func sealContext(connectionID int64, name string) string {
	return "shopify_credentials/" + strconv.FormatInt(connectionID, 10) + "/" + name
}

// finish completes a loaded connection: its poll interval and, for a store with the key,
// its credentials (sealing them first when they are still in plain text).
func (st ConnectionStore) finish(ctx context.Context, q pg.Queryer, row connectionRow) (Connection, error) {
	c := row.Connection
	c.PollInterval = time.Duration(c.PollSeconds) * time.Second
	if st.Secrets == nil {
		return c, nil
	}
	sealed := map[string][]byte{}
	for i, name := range row.CredNames {
		if i < len(row.CredSealed) {
			sealed[name] = row.CredSealed[i]
		}
	}
	if row.plain() != nil {
		var err error
		if sealed, err = st.sealPlain(ctx, q, c.ID); err != nil {
			return Connection{}, err
		}
	}
	creds, err := st.openCredentials(c, sealed)
	if err != nil {
		return Connection{}, err
	}
	c.AccessToken, c.WebhookSecret = creds[credAccessToken], creds[credWebhookSecret]
	if c.Auth == AuthClientCredentials {
		c.ClientSecret = creds[credClientSecret]
		c.WebhookSecret = c.ClientSecret
	}
	return c, nil
}

// openCredentials opens the sealed credentials of a connection: those its kind of app
// needs, and a client-credentials connection's access token when it has one.
func (st ConnectionStore) openCredentials(c Connection, sealed map[string][]byte) (map[string]string, error) {
	out := make(map[string]string, len(sealed))
	need := []string{credAccessToken, credWebhookSecret}
	if c.Auth == AuthClientCredentials {
		need = []string{credClientSecret, credAccessToken}
	}
	for _, name := range need {
		v, ok := sealed[name]
		if !ok && c.Auth == AuthClientCredentials && name == credAccessToken {
			continue // renewed on first use
		}
		if !ok {
			return nil, fmt.Errorf("Shopify connection of %s: %w", c.Shop, ErrNoCredentials)
		}
		plain, err := st.Secrets.Open(v, sealContext(c.ID, name))
		if err != nil {
			return nil, credentialError(c.Shop, err)
		}
		out[name] = string(plain)
	}
	return out, nil
}

// credentialError says what to do when a credential cannot be opened.
func credentialError(shop string, err error) error {
	switch {
	case errors.Is(err, secret.ErrUnknownKey), errors.Is(err, secret.ErrNoKeyFile):
		return fmt.Errorf("cannot read the Shopify credentials of %s: %w; give kassa the key file they were encrypted with (KASSA_SECRET_KEY_FILE) or connect the shop again", shop, err)
	case errors.Is(err, secret.ErrDamaged):
		return fmt.Errorf("cannot read the Shopify credentials of %s: %w; connect the shop again", shop, err)
	}
	return fmt.Errorf("cannot read the Shopify credentials of %s: %w", shop, err)
}

// putCredentials seals and stores a connection's credentials in tx.
func (st ConnectionStore) putCredentials(ctx context.Context, tx *sqlx.Tx, connectionID int64, creds map[string]string) error {
	if st.Secrets == nil {
		return ErrNoSecrets
	}
	names := make([]string, 0, len(creds))
	values := make([][]byte, 0, len(creds))
	for _, name := range sortedKeys(creds) {
		v, err := st.Secrets.Seal([]byte(creds[name]), sealContext(connectionID, name))
		if err != nil {
			return fmt.Errorf("encrypt the shop's credentials: %w", err)
		}
		names, values = append(names, name), append(values, v)
	}
	_, err := tx.ExecContext(ctx, `
		INSERT INTO shopify_credentials (connection_id, name, sealed)
		SELECT $1, n, v FROM unnest($2::text[], $3::bytea[]) AS t(n, v)
		ON CONFLICT (connection_id, name) DO UPDATE SET sealed = excluded.sealed, updated_at = now()`,
		connectionID, pq.Array(names), pq.ByteaArray(values))
	if err != nil {
		return fmt.Errorf("store the shop's credentials: %w", err)
	}
	return nil
}

// sealPlain seals the plain-text credentials of a connection made before they were
// sealed, empties the plain text in the same transaction, and returns the sealed values.
// When another process sealed them meanwhile, it returns those.
func (st ConnectionStore) sealPlain(ctx context.Context, q pg.Queryer, connectionID int64) (map[string][]byte, error) {
	out := map[string][]byte{}
	err := pg.InTx(ctx, q, func(tx *sqlx.Tx) error {
		var row struct {
			Shop          string `db:"shop"`
			AccessToken   string `db:"access_token"`
			WebhookSecret string `db:"webhook_secret"`
		}
		err := sqlx.GetContext(ctx, tx, &row, `
			SELECT shop, access_token, webhook_secret FROM shopify_connections WHERE id = $1 FOR UPDATE`, connectionID)
		if err != nil {
			return fmt.Errorf("load Shopify connection %d: %w", connectionID, err)
		}
		if row.AccessToken != "" || row.WebhookSecret != "" {
			creds := map[string]string{credAccessToken: row.AccessToken, credWebhookSecret: row.WebhookSecret}
			if err := st.putCredentials(ctx, tx, connectionID, creds); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `
				UPDATE shopify_connections SET access_token = '', webhook_secret = '' WHERE id = $1`, connectionID)
			if err != nil {
				return fmt.Errorf("empty the plain-text credentials of %s: %w", row.Shop, err)
			}
		}
		var stored []struct {
			Name   string `db:"name"`
			Sealed []byte `db:"sealed"`
		}
		err = sqlx.SelectContext(ctx, tx, &stored, `SELECT name, sealed FROM shopify_credentials WHERE connection_id = $1`, connectionID)
		if err != nil {
			return fmt.Errorf("load the credentials of %s: %w", row.Shop, err)
		}
		for _, s := range stored {
			out[s.Name] = s.Sealed
		}
		return nil
	})
	return out, err
}

// SealPlainCredentials seals the plain-text credentials of every connection made before
// credentials were sealed, each in one transaction with emptying its plain text. It
// returns how many connections it sealed; with none to seal it does not touch the key.
func (st ConnectionStore) SealPlainCredentials(ctx context.Context, db *sqlx.DB) (int, error) {
	var ids []int64
	err := sqlx.SelectContext(ctx, db, &ids, `
		SELECT id FROM shopify_connections WHERE access_token <> '' OR webhook_secret <> '' ORDER BY id`)
	if err != nil {
		return 0, fmt.Errorf("look for plain-text credentials: %w", err)
	}
	if len(ids) > 0 && st.Secrets == nil {
		return 0, ErrNoSecrets
	}
	for _, id := range ids {
		if _, err := st.sealPlain(ctx, db, id); err != nil {
			return 0, err
		}
	}
	return len(ids), nil
}

// CredentialCount is how many stored credentials are sealed under one key.
type CredentialCount struct {
	KeyID string // "" for plain text
	Count int
}

// CredentialKeys counts the stored credentials by the key that sealed them; credentials
// still in plain text count under an empty key id.
func (ConnectionStore) CredentialKeys(ctx context.Context, q pg.Queryer) ([]CredentialCount, error) {
	var sealed [][]byte
	if err := sqlx.SelectContext(ctx, q, &sealed, `SELECT sealed FROM shopify_credentials ORDER BY connection_id, name`); err != nil {
		return nil, fmt.Errorf("read the stored credentials: %w", err)
	}
	var plain int
	err := sqlx.GetContext(ctx, q, &plain, `
		SELECT coalesce(sum((access_token <> '')::int + (webhook_secret <> '')::int), 0) FROM shopify_connections`)
	if err != nil {
		return nil, fmt.Errorf("read the stored credentials: %w", err)
	}
	counts := map[string]int{}
	var order []string
	for _, s := range sealed {
		id, err := secret.KeyOf(s)
		if err != nil {
			id = "damaged"
		}
		if counts[id] == 0 {
			order = append(order, id)
		}
		counts[id]++
	}
	var out []CredentialCount
	for _, id := range order {
		out = append(out, CredentialCount{KeyID: id, Count: counts[id]})
	}
	if plain > 0 {
		out = append(out, CredentialCount{Count: plain})
	}
	return out, nil
}

// ResealCredentials seals every stored credential again under the Box's current key (and
// seals plain-text ones), in one transaction: either all are sealed under the new key or
// none changed. It is the database half of a key rotation; it returns how many credentials
// it sealed (again) under the current key.
func (st ConnectionStore) ResealCredentials(ctx context.Context, db *sqlx.DB) (int, error) {
	if st.Secrets == nil {
		return 0, ErrNoSecrets
	}
	ids, err := st.Secrets.KeyIDs()
	if err != nil {
		return 0, err
	}
	if len(ids) == 0 {
		return 0, errors.New("the secret key file holds no key")
	}
	current := ids[0]
	n := 0
	err = pg.WithTx(ctx, db, func(tx *sqlx.Tx) error {
		// One rotation at a time, and no connect in between.
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1, 0)`, lockClassConnect); err != nil {
			return fmt.Errorf("lock connections: %w", err)
		}
		var plainIDs []int64
		err := sqlx.SelectContext(ctx, tx, &plainIDs, `
			SELECT id FROM shopify_connections WHERE access_token <> '' OR webhook_secret <> '' ORDER BY id`)
		if err != nil {
			return fmt.Errorf("look for plain-text credentials: %w", err)
		}
		for _, id := range plainIDs {
			sealed, err := st.sealPlain(ctx, tx, id)
			if err != nil {
				return err
			}
			n += len(sealed)
		}
		var rows []struct {
			ConnectionID int64  `db:"connection_id"`
			Shop         string `db:"shop"`
			Name         string `db:"name"`
			Sealed       []byte `db:"sealed"`
		}
		err = sqlx.SelectContext(ctx, tx, &rows, `
			SELECT k.connection_id, c.shop, k.name, k.sealed
			FROM shopify_credentials k JOIN shopify_connections c ON c.id = k.connection_id
			ORDER BY k.connection_id, k.name FOR UPDATE OF k`)
		if err != nil {
			return fmt.Errorf("read the stored credentials: %w", err)
		}
		for _, r := range rows {
			if id, _ := secret.KeyOf(r.Sealed); id == current {
				continue
			}
			plain, err := st.Secrets.Open(r.Sealed, sealContext(r.ConnectionID, r.Name))
			if err != nil {
				return credentialError(r.Shop, err)
			}
			if err := st.putCredentials(ctx, tx, r.ConnectionID, map[string]string{r.Name: string(plain)}); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}
