package shopify

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/rs/zerolog"

	"github.com/kassa-pos/kassa/sync/shopify/shopifyapi"
)

// ClientOptions configure the Shopify clients OpenClient opens.
type ClientOptions struct {
	// DB is where a client-credentials connection's token is kept and renewed; the calls a
	// client made are recorded there when it is closed.
	DB *sqlx.DB
	// Clock is the time token expiries are measured on; default time.Now.
	Clock func() time.Time
	// Logger receives the clients' debug lines and the renewals; default: none.
	Logger *zerolog.Logger
	// Observer is told about attempts, pacing, throttling and retries.
	Observer shopifyapi.Observer
	// Renewals is told about token renewals.
	Renewals TokenObserver
	// Transport tunes pacing and retries.
	Transport shopifyapi.TransportOptions
}

func (o ClientOptions) now() time.Time {
	if o.Clock != nil {
		return o.Clock()
	}
	return time.Now()
}

func (o ClientOptions) logger() zerolog.Logger {
	if o.Logger != nil {
		return *o.Logger
	}
	return zerolog.Nop()
}

// Client is a connection's Shopify client: shopifyapi's, with the connection's token
// source, recording when it is closed what its calls saw (the last successful call and
// the API version Shopify answered in) on the connection.
type Client struct {
	*shopifyapi.Client
	conn Connection
	opts ClientOptions
}

// OpenClient opens a Shopify client of a connection loaded with its credentials: a legacy
// connection sends its static token, a client-credentials connection the token Tokens
// keeps renewed.
func (st ConnectionStore) OpenClient(c Connection, o ClientOptions) (*Client, error) {
	cfg := shopifyapi.Config{
		Shop: c.Shop, APIVersion: c.APIVersion, BaseURL: c.BaseURL, Logger: o.Logger, Observer: o.Observer, Transport: o.Transport,
	}
	switch c.Auth {
	case AuthClientCredentials:
		if c.ClientSecret == "" {
			return nil, fmt.Errorf("cannot read the Shopify credentials of %s: the client was opened without the secret key", c.Shop)
		}
		if o.DB == nil {
			return nil, errors.New("a client-credentials connection's client needs the database its token is kept in")
		}
		clock := o.Clock
		if clock == nil {
			clock = time.Now
		}
		log := o.logger().With().Str("component", "shopify_token").Str("shop", c.Shop).Logger()
		cfg.Tokens = &Tokens{
			db: o.DB, store: st, conn: c, clock: clock, observer: o.Renewals, log: log,
			cfg: shopifyapi.Config{Shop: c.Shop, BaseURL: c.BaseURL, Logger: o.Logger, Observer: o.Observer, Transport: o.Transport},
		}
	default:
		if c.AccessToken == "" {
			return nil, fmt.Errorf("cannot read the Shopify credentials of %s: the client was opened without the secret key", c.Shop)
		}
		cfg.AccessToken = c.AccessToken
	}
	cl, err := shopifyapi.New(cfg)
	if err != nil {
		return nil, err
	}
	return &Client{Client: cl, conn: c, opts: o}, nil
}

// Close records what the client's calls saw and releases its idle connections.
func (c *Client) Close() {
	if c.opts.DB != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := RecordCalls(ctx, c.opts.DB, c.conn, c.Calls(), c.opts.logger()); err != nil {
			l := c.opts.logger()
			l.Warn().Err(err).Str("shop", c.conn.Shop).Msg("record the shopify calls")
		}
	}
	c.Client.Close()
}

// RecordCalls records on a connection when its last successful call was and the API
// version Shopify last answered in. When Shopify starts answering in another version than
// the pinned one (it falls forward silently once the pinned version is no longer served), a
// warning is logged, once per change.
func RecordCalls(ctx context.Context, db sqlx.ExtContext, c Connection, calls shopifyapi.CallStats, log zerolog.Logger) error {
	if calls.LastSuccess.IsZero() && calls.ServedVersion == "" {
		return nil
	}
	var last *time.Time
	if !calls.LastSuccess.IsZero() {
		last = &calls.LastSuccess
	}
	var before string
	err := sqlx.GetContext(ctx, db, &before, `
		WITH old AS (SELECT served_api_version FROM shopify_connections WHERE id = $1 FOR UPDATE)
		UPDATE shopify_connections c SET last_call_at = greatest(c.last_call_at, $2),
			served_api_version = CASE WHEN $3 = '' THEN c.served_api_version ELSE $3 END
		FROM old WHERE c.id = $1 RETURNING old.served_api_version`, c.ID, last, calls.ServedVersion)
	if err != nil {
		return fmt.Errorf("record the calls of %s: %w", c.Shop, err)
	}
	if calls.ServedVersion != "" && calls.ServedVersion != calls.APIVersion && calls.ServedVersion != before {
		log.Warn().Str("shop", c.Shop).Str("api_version", calls.APIVersion).Str("served_api_version", calls.ServedVersion).
			Msg("Shopify answers in another API version than the pinned one: check the release notes of both and upgrade kassa")
	}
	return nil
}

// ParsePublicURL checks the public address Shopify delivers webhooks to and returns it
// without a trailing slash: https://host[:port][/prefix], or plain http to a loopback
// host (a local simulator). Webhooks go to its /webhooks/shopify.
func ParsePublicURL(s string) (string, error) {
	bad := fmt.Errorf("public URL %q: write it like https://kassa.example.com (the address Shopify reaches kassa at)", s)
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", bad
	}
	switch u.Scheme {
	case "https":
	case "http":
		host := u.Hostname()
		if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return "", fmt.Errorf("public URL %q: Shopify delivers webhooks over HTTPS only; put kassa behind an HTTPS proxy and give its https:// address", s)
		}
	default:
		return "", bad
	}
	return strings.TrimSuffix(u.String(), "/"), nil
}

// WebhookPath is where kassa's daemon receives Shopify's webhooks.
const WebhookPath = "/webhooks/shopify"
