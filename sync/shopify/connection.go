package shopify

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/kassa-pos/kassa/internal/pg"
	"github.com/kassa-pos/kassa/internal/secret"
	"github.com/kassa-pos/kassa/inventory"
	"github.com/kassa-pos/kassa/register"
	"github.com/kassa-pos/kassa/sales"
	"github.com/kassa-pos/kassa/sync/shopify/shopifyapi"
)

// Channel is the channel name kassa records Shopify's ids under (product, customer and sale
// external ids).
const Channel = "shopify"

// ShippingSKU is the SKU of the first connection's shipping-fee product.
const ShippingSKU = "SHOPIFY-SHIPPING"

// ShopifyPaymentType is the payment type of money Shopify collected, unless the gateway maps
// to another (see the package documentation).
const ShopifyPaymentType = "Shopify"

// Errors about connections.
var (
	ErrNotFound           = errors.New("not found")
	ErrNoConnection       = errors.New("there is no Shopify connection yet: add one with 'kassa shopify connect'")
	ErrSeveralConnections = errors.New("there are several Shopify connections: name one with --connection SHOP")
	ErrDisconnected       = errors.New("the Shopify connection is disconnected: connect it again with 'kassa shopify connect'")
	ErrInvalidShop        = errors.New("a shop is its myshopify domain, e.g. demo.myshopify.com")
)

// How a connection authenticates (Connection.Auth).
const (
	// AuthLegacyToken is an app made in the Shopify admin before 2026: a static access
	// token and a webhook secret.
	AuthLegacyToken = "legacy_token"
	// AuthClientCredentials is a Dev Dashboard app: a Client ID and a client secret, from
	// which 24-hour access tokens are requested (the client credentials grant). The client
	// secret also signs the app's webhooks.
	AuthClientCredentials = "client_credentials"
)

// Connection binds one Shopify shop to one outlet and one register. AccessToken,
// WebhookSecret and ClientSecret are secrets: they are never printed or logged (String
// leaves them out). They are stored sealed (see credentials.go) and filled in only by a
// ConnectionStore that has the key. A client-credentials connection's WebhookSecret is its
// ClientSecret, and its AccessToken the token stored last (which may have expired: clients
// get theirs from Tokens).
type Connection struct {
	ID                int64          `db:"id"`
	Shop              string         `db:"shop"`
	AccessToken       string         `db:"-"`
	WebhookSecret     string         `db:"-"`
	ClientSecret      string         `db:"-"`
	Auth              string         `db:"auth"`
	ClientID          string         `db:"client_id"`
	Scopes            pq.StringArray `db:"scopes"`
	PublicURL         string         `db:"public_url"`
	ServedAPIVersion  string         `db:"served_api_version"`
	LastCallAt        *time.Time     `db:"last_call_at"`
	WebhooksCheckedAt *time.Time     `db:"webhooks_checked_at"`
	// TokenExpiresAt is when the stored access token of a client-credentials connection
	// expires; nil for a legacy token.
	TokenExpiresAt    *time.Time `db:"token_expires_at"`
	APIVersion        string     `db:"api_version"`
	BaseURL           string     `db:"base_url"`
	OutletID          int64      `db:"outlet_id"`
	RegisterID        int64      `db:"register_id"`
	ShippingProductID int64      `db:"shipping_product_id"`
	ImportTestOrders  bool       `db:"import_test_orders"`
	// ImportPickups imports local-pickup orders; by default they are no shipping method.
	ImportPickups bool          `db:"import_pickups"`
	AutoUpdate    bool          `db:"auto_update"`
	PollInterval  time.Duration `db:"-"`
	PollSeconds   int64         `db:"poll_seconds"`
	ImportTrigger string        `db:"import_trigger"`
	Enabled       bool          `db:"enabled"`
	NewestOrderID int64         `db:"newest_order_id"`
	// OrderAPI is the API imports read orders through: OrderAPIGraphQL or OrderAPIREST.
	OrderAPI string `db:"order_api"`
	// OrdersUpdatedThrough is the newest update time of an order an import has read
	// through GraphQL (Get new reads from there, less an overlap); nil before any.
	OrdersUpdatedThrough *time.Time `db:"orders_updated_through"`
	// BulkOperationID is the bulk operation a Get all started and has not finished
	// reading, "" when none.
	BulkOperationID string `db:"bulk_operation_id"`
	// LocationID is the Shopify location that mirrors the outlet's stock (nil until it is
	// named), LocationName its name when it was named.
	LocationID   *int64    `db:"location_id"`
	LocationName string    `db:"location_name"`
	CreatedAt    time.Time `db:"created_at"`
	UpdatedAt    time.Time `db:"updated_at"`

	// Filled in from the outlet, register and shipping-fee product (see describe).
	OutletName   string `db:"-"`
	OutletTZ     string `db:"-"`
	Currency     string `db:"-"`
	RegisterName string `db:"-"`
	ShippingSKU  string `db:"-"`
}

// The APIs a connection reads orders through (Connection.OrderAPI).
const (
	OrderAPIGraphQL = "graphql"
	OrderAPIREST    = "rest"
)

// notLinkedError is a shop that has no connection; errors.Is(err, ErrNotFound) holds.
type notLinkedError struct{ shop string }

func (e *notLinkedError) Error() string {
	return fmt.Sprintf("the shop %s is not linked: link it with 'kassa shopify connect' (see 'kassa shopify list')", e.shop)
}

func (e *notLinkedError) Is(target error) bool { return target == ErrNotFound }

// String names the connection without its secrets.
func (c Connection) String() string { return fmt.Sprintf("Shopify connection %d (%s)", c.ID, c.Shop) }

// stockLocation is the Shopify location whose stock is the outlet's: the one the
// connection names (the shop's primary location unless told otherwise at connect or
// with set --location), 0 while it names none.
func (c Connection) stockLocation() int64 {
	if c.LocationID == nil {
		return 0
	}
	return *c.LocationID
}

const connectionSelect = `
	SELECT c.id, c.shop, c.access_token, c.webhook_secret, c.api_version, c.base_url, c.outlet_id,
		c.register_id, c.shipping_product_id, c.import_test_orders, c.import_pickups, c.auto_update,
		extract(epoch FROM c.poll_interval)::bigint AS poll_seconds, c.import_trigger, c.enabled,
		c.newest_order_id, c.created_at, c.updated_at, c.auth, c.client_id, c.scopes, c.public_url,
		c.served_api_version, c.last_call_at, c.webhooks_checked_at, c.order_api, c.orders_updated_through,
		c.bulk_operation_id, c.location_id, c.location_name, cred.names AS cred_names, cred.sealed AS cred_sealed, cred.token_expires_at
	FROM shopify_connections c
	LEFT JOIN LATERAL (
		SELECT array_agg(k.name ORDER BY k.name) AS names, array_agg(k.sealed ORDER BY k.name) AS sealed,
			max(k.expires_at) FILTER (WHERE k.name = 'access_token') AS token_expires_at
		FROM shopify_credentials k WHERE k.connection_id = c.id) cred ON true`

// ConnectParams is what "kassa shopify connect" sets up: a legacy app's AccessToken and
// WebhookSecret, or (Auth AuthClientCredentials) a Dev Dashboard app's ClientID and
// ClientSecret with the token Grant connect obtained with them.
type ConnectParams struct {
	Shop          string
	Auth          string // default AuthLegacyToken
	AccessToken   string
	WebhookSecret string
	ClientID      string
	ClientSecret  string
	// Grant is the access token obtained when the shop was checked; its expiry is
	// measured from GrantedAt.
	Grant     shopifyapi.Grant
	GrantedAt time.Time
	// Scopes are the access scopes Shopify granted.
	Scopes []string
	// PublicURL is where Shopify delivers the shop's webhooks (https://host), or "".
	PublicURL        string
	APIVersion       string // default DefaultAPIVersion
	BaseURL          string // empty for the real Shopify
	OutletID         int64
	RegisterID       int64
	ImportTestOrders bool
	ImportPickups    bool
	AutoUpdate       bool
	PollInterval     time.Duration // default 5 minutes, at least 10 seconds
	// OrderAPI is the API imports read orders through: OrderAPIGraphQL (the default) or
	// OrderAPIREST.
	OrderAPI string
	// Location names the Shopify location that mirrors the outlet (its name or id; ""
	// for the shop's primary location). CheckAndConnect resolves it into LocationID and
	// LocationName; a LocationID of 0 keeps the connection's location as it was.
	Location     string
	LocationID   int64
	LocationName string
}

// DefaultAPIVersion is the Admin API version a connection uses unless told otherwise.
const DefaultAPIVersion = shopifyapi.DefaultAPIVersion

// DefaultPollInterval is how often the daemon polls a connection for new orders by default.
const DefaultPollInterval = 5 * time.Minute

var (
	shopRE    = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*\.myshopify\.com$`)
	versionRE = regexp.MustCompile(`^([0-9]{4}-[0-9]{2}|unstable)$`)
)

// NormalizeShop turns "Demo", "demo.myshopify.com" or "https://demo.myshopify.com/" into
// "demo.myshopify.com", or fails with ErrInvalidShop.
func NormalizeShop(typed string) (string, error) {
	s := strings.ToLower(strings.TrimSpace(typed))
	s = strings.TrimPrefix(strings.TrimPrefix(s, "https://"), "http://")
	s = strings.TrimSuffix(s, "/")
	if s != "" && !strings.Contains(s, ".") {
		s += ".myshopify.com"
	}
	if !shopRE.MatchString(s) {
		return "", fmt.Errorf("shop %q: %w", strings.TrimSpace(typed), ErrInvalidShop)
	}
	return s, nil
}

// ConnectionStore reads and writes Shopify connections. Secrets seals the credentials
// Connect stores and opens them when a connection is loaded; a store without it refuses
// to Connect and loads connections without their credentials (AccessToken and
// WebhookSecret empty), which is all that listing and showing them need.
type ConnectionStore struct {
	Secrets *secret.Box
}

// Connect creates the connection of a shop, or updates it when the shop was connected
// before (its import history and newest seen order stay, and it is enabled again). It also
// makes sure the connection's shipping-fee product and the Shopify payment type exist.
func (st ConnectionStore) Connect(ctx context.Context, q pg.Queryer, p ConnectParams) (Connection, error) {
	shop, err := NormalizeShop(p.Shop)
	if err != nil {
		return Connection{}, err
	}
	switch p.Auth {
	case "", AuthLegacyToken:
		p.Auth = AuthLegacyToken
		if strings.TrimSpace(p.AccessToken) == "" {
			return Connection{}, errors.New("a connection needs the shop's Admin API access token")
		}
		if strings.TrimSpace(p.WebhookSecret) == "" {
			return Connection{}, errors.New("a connection needs the app's webhook secret")
		}
	case AuthClientCredentials:
		if strings.TrimSpace(p.ClientID) == "" || strings.TrimSpace(p.ClientSecret) == "" {
			return Connection{}, errors.New("a connection needs the app's Client ID and client secret")
		}
		if p.Grant.AccessToken == "" || p.Grant.ExpiresIn <= 0 || p.GrantedAt.IsZero() {
			return Connection{}, errors.New("a connection needs the access token Shopify granted the app")
		}
	default:
		return Connection{}, fmt.Errorf("connection authentication %q: want %s or %s", p.Auth, AuthLegacyToken, AuthClientCredentials)
	}
	if p.PublicURL != "" {
		u, err := ParsePublicURL(p.PublicURL)
		if err != nil {
			return Connection{}, err
		}
		p.PublicURL = u
	}
	if st.Secrets == nil {
		return Connection{}, ErrNoSecrets
	}
	if p.APIVersion == "" {
		p.APIVersion = DefaultAPIVersion
	}
	if !versionRE.MatchString(p.APIVersion) {
		return Connection{}, fmt.Errorf("API version %q: write it like %s", p.APIVersion, DefaultAPIVersion)
	}
	if p.BaseURL != "" {
		u, err := url.Parse(p.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return Connection{}, fmt.Errorf("base URL %q: write it like http://127.0.0.1:8081", p.BaseURL)
		}
		p.BaseURL = strings.TrimSuffix(p.BaseURL, "/")
	}
	if p.PollInterval == 0 {
		p.PollInterval = DefaultPollInterval
	}
	if p.PollInterval < 10*time.Second {
		return Connection{}, fmt.Errorf("poll interval %s: it must be at least 10s", p.PollInterval)
	}
	reg, err := register.Store{}.Get(ctx, q, p.RegisterID)
	if err != nil {
		return Connection{}, err
	}
	if reg.Archived() {
		return Connection{}, fmt.Errorf("register %q of outlet %q is archived: connect the shop to a live register", reg.Name, reg.OutletName)
	}
	if reg.OutletID != p.OutletID {
		return Connection{}, fmt.Errorf("register %q belongs to outlet %q, not to the connection's outlet", reg.Name, reg.OutletName)
	}
	var id int64
	err = pg.InTx(ctx, q, func(tx *sqlx.Tx) error {
		// Serialise connects so that two shops connected at once cannot both take the
		// unsuffixed shipping SKU.
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1, 0)`, lockClassConnect); err != nil {
			return fmt.Errorf("lock connections: %w", err)
		}
		var existing struct {
			ID                int64 `db:"id"`
			ShippingProductID int64 `db:"shipping_product_id"`
		}
		err := sqlx.GetContext(ctx, tx, &existing, `SELECT id, shipping_product_id FROM shopify_connections WHERE shop = $1 FOR UPDATE`, shop)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("load connection %s: %w", shop, err)
		}
		if _, err := (sales.Store{}).EnsurePaymentType(ctx, tx, ShopifyPaymentType); err != nil {
			return err
		}
		interval := fmt.Sprintf("%d seconds", int64(p.PollInterval/time.Second))
		orderAPI := p.OrderAPI
		if orderAPI == "" {
			orderAPI = OrderAPIGraphQL
		}
		if existing.ID != 0 {
			id = existing.ID
			_, err := tx.ExecContext(ctx, `
				UPDATE shopify_connections SET access_token = '', webhook_secret = '', api_version = $2,
					base_url = $3, outlet_id = $4, register_id = $5, import_test_orders = $6,
					auto_update = $7, poll_interval = $8::interval, enabled = true, updated_at = now(),
					auth = $9, client_id = $10, scopes = $11, public_url = CASE WHEN $12 = '' THEN public_url ELSE $12 END,
					order_api = $13, bulk_operation_id = '',
					location_id = coalesce($14, location_id), location_name = CASE WHEN $14::bigint IS NULL THEN location_name ELSE $15 END,
					import_pickups = $16
				WHERE id = $1`,
				id, p.APIVersion, p.BaseURL, p.OutletID, p.RegisterID,
				p.ImportTestOrders, p.AutoUpdate, interval, p.Auth, p.clientID(), pq.Array(p.scopes()), p.PublicURL, orderAPI,
				p.locationID(), p.LocationName, p.ImportPickups)
			if err != nil {
				return fmt.Errorf("update connection %s: %w", shop, err)
			}
			if err := relocate(ctx, tx, id); err != nil {
				return err
			}
			if err := st.replaceCredentials(ctx, tx, id, p); err != nil {
				return err
			}
			// The shipping-fee product stays the connection's, published and untracked.
			return inventory.Store{}.ResetShippingProduct(ctx, tx, existing.ShippingProductID)
		}
		shipping, err := st.shippingProduct(ctx, tx, shop)
		if err != nil {
			return err
		}
		err = sqlx.GetContext(ctx, tx, &id, `
			INSERT INTO shopify_connections (shop, api_version, base_url, outlet_id,
				register_id, shipping_product_id, import_test_orders, auto_update, poll_interval,
				auth, client_id, scopes, public_url, order_api, location_id, location_name, import_pickups)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::interval, $10, $11, $12, $13, $14, $15, $16, $17) RETURNING id`,
			shop, p.APIVersion, p.BaseURL, p.OutletID, p.RegisterID,
			shipping, p.ImportTestOrders, p.AutoUpdate, interval, p.Auth, p.clientID(), pq.Array(p.scopes()), p.PublicURL, orderAPI,
			p.locationID(), p.LocationName, p.ImportPickups)
		if err != nil {
			return fmt.Errorf("create connection %s: %w", shop, err)
		}
		return st.replaceCredentials(ctx, tx, id, p)
	})
	if err != nil {
		return Connection{}, err
	}
	return st.ByID(ctx, q, id)
}

// shippingProduct returns the id of a new connection's shipping-fee product: the product
// with SKU SHOPIFY-SHIPPING when no other connection uses it, else one with the shop's name
// in its SKU. Either is created when missing.
func (ConnectionStore) shippingProduct(ctx context.Context, tx *sqlx.Tx, shop string) (int64, error) {
	// SHOPIFY-SHIPPING is taken when a product of the POS has it, or another connection
	// charges its shipping fees to it.
	taken := false
	p, err := inventory.Store{}.ProductBySKU(ctx, tx, ShippingSKU)
	switch {
	case err == nil && p.Source != inventory.SourceSystem:
		taken = true
	case err == nil:
		err = sqlx.GetContext(ctx, tx, &taken, `SELECT EXISTS (SELECT 1 FROM shopify_connections WHERE shipping_product_id = $1)`, p.ID)
		if err != nil {
			return 0, fmt.Errorf("look up shipping-fee product: %w", err)
		}
	case !errors.Is(err, inventory.ErrNotFound):
		return 0, fmt.Errorf("look up shipping-fee product: %w", err)
	}
	sku, name := ShippingSKU, "Shopify shipping"
	if taken {
		label := strings.TrimSuffix(shop, ".myshopify.com")
		sku = ShippingSKU + "-" + strings.ToUpper(label)
		name = "Shopify shipping (" + label + ")"
	}
	return inventory.Store{}.EnsureShippingProduct(ctx, tx, sku, name)
}

// ByID loads a connection.
func (st ConnectionStore) ByID(ctx context.Context, q pg.Queryer, id int64) (Connection, error) {
	c, err := st.byID(ctx, q, id)
	if err != nil {
		return Connection{}, err
	}
	one := []Connection{c}
	if err := describe(ctx, q, one); err != nil {
		return Connection{}, err
	}
	return one[0], nil
}

// byID is ByID without describing the connection (see Credentials).
func (st ConnectionStore) byID(ctx context.Context, q pg.Queryer, id int64) (Connection, error) {
	var row connectionRow
	err := sqlx.GetContext(ctx, q, &row, connectionSelect+` WHERE c.id = $1`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return Connection{}, fmt.Errorf("Shopify connection %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Connection{}, fmt.Errorf("load Shopify connection %d: %w", id, err)
	}
	return st.finish(ctx, q, row)
}

// ByShop loads the connection of a shop ("demo" or "demo.myshopify.com").
func (st ConnectionStore) ByShop(ctx context.Context, q pg.Queryer, shop string) (Connection, error) {
	c, err := st.Credentials(ctx, q, shop)
	if err != nil {
		return Connection{}, err
	}
	one := []Connection{c}
	if err := describe(ctx, q, one); err != nil {
		return Connection{}, err
	}
	return one[0], nil
}

// Credentials loads the connection of a shop as checking its webhooks needs it: ByShop
// without what the connection shows of its outlet, register and shipping-fee product
// (OutletName, OutletTZ, Currency, RegisterName and ShippingSKU stay empty), in one query
// rather than four.
func (st ConnectionStore) Credentials(ctx context.Context, q pg.Queryer, shop string) (Connection, error) {
	norm, err := NormalizeShop(shop)
	if err != nil {
		return Connection{}, err
	}
	var row connectionRow
	err = sqlx.GetContext(ctx, q, &row, connectionSelect+` WHERE c.shop = $1`, norm)
	if errors.Is(err, sql.ErrNoRows) {
		return Connection{}, &notLinkedError{shop: norm}
	}
	if err != nil {
		return Connection{}, fmt.Errorf("load Shopify connection %s: %w", norm, err)
	}
	return st.finish(ctx, q, row)
}

// List lists every connection, disconnected ones included, by shop.
func (st ConnectionStore) List(ctx context.Context, q pg.Queryer) ([]Connection, error) {
	var rows []connectionRow
	if err := sqlx.SelectContext(ctx, q, &rows, connectionSelect+` ORDER BY c.shop`); err != nil {
		return nil, fmt.Errorf("list Shopify connections: %w", err)
	}
	out := make([]Connection, 0, len(rows))
	for _, row := range rows {
		c, err := st.finish(ctx, q, row)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if err := describe(ctx, q, out); err != nil {
		return nil, err
	}
	return out, nil
}

// describe fills in what connections show of their outlet (name, time zone, currency),
// register (name) and shipping-fee product (SKU), each read once from its owner for all
// the connections.
func describe(ctx context.Context, q pg.Queryer, cs []Connection) error {
	var outletIDs, registerIDs, productIDs []int64
	for _, c := range cs {
		outletIDs, registerIDs, productIDs = append(outletIDs, c.OutletID), append(registerIDs, c.RegisterID), append(productIDs, c.ShippingProductID)
	}
	inv := inventory.Store{}
	outlets, err := inv.OutletsByID(ctx, q, outletIDs)
	if err != nil {
		return err
	}
	byID := make(map[int64]inventory.Outlet, len(outlets))
	for _, o := range outlets {
		byID[o.ID] = o
	}
	registers, err := register.Store{}.Names(ctx, q, registerIDs)
	if err != nil {
		return err
	}
	products, err := inv.ProductsByID(ctx, q, productIDs)
	if err != nil {
		return err
	}
	for i := range cs {
		c := &cs[i]
		o := byID[c.OutletID]
		c.OutletName, c.OutletTZ, c.Currency = o.Name, o.Timezone, o.Currency
		c.RegisterName, c.ShippingSKU = registers[c.RegisterID], products[c.ShippingProductID].SKU
	}
	return nil
}

// Find resolves the connection a command means: the named shop, or the only enabled
// connection when shop is empty.
func (st ConnectionStore) Find(ctx context.Context, q pg.Queryer, shop string) (Connection, error) {
	if shop != "" {
		return st.ByShop(ctx, q, shop)
	}
	all, err := st.List(ctx, q)
	if err != nil {
		return Connection{}, err
	}
	var enabled []Connection
	for _, c := range all {
		if c.Enabled {
			enabled = append(enabled, c)
		}
	}
	switch {
	case len(enabled) == 1:
		return enabled[0], nil
	case len(enabled) > 1:
		return Connection{}, ErrSeveralConnections
	case len(all) == 1:
		return all[0], nil
	case len(all) > 1:
		return Connection{}, ErrSeveralConnections
	}
	return Connection{}, ErrNoConnection
}

// SetImportPickups says whether the connection imports local-pickup orders (by default a
// pickup is no shipping method). Orders already logged keep their outcome; a later run
// (retry, get all) imports pickups it sees again.
func (st ConnectionStore) SetImportPickups(ctx context.Context, q pg.Queryer, id int64, on bool) error {
	res, err := q.ExecContext(ctx, `UPDATE shopify_connections SET import_pickups = $2, updated_at = now() WHERE id = $1`, id, on)
	if err != nil {
		return fmt.Errorf("set import pickups of Shopify connection %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("Shopify connection %d: %w", id, ErrNotFound)
	}
	return nil
}

// Disconnect stops imports for a shop. The connection and its history stay, so that
// connecting the shop again never imports an order twice.
func (st ConnectionStore) Disconnect(ctx context.Context, q pg.Queryer, id int64) error {
	res, err := q.ExecContext(ctx, `UPDATE shopify_connections SET enabled = false, updated_at = now() WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("disconnect Shopify connection %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("Shopify connection %d: %w", id, ErrNotFound)
	}
	return nil
}

// Advisory lock classes (the first key of the two-key advisory locks kassa takes).
const (
	lockClassConnect  int32 = 0x5350_0001 // serialises connects
	lockClassImport   int32 = 0x5350_0002 // one import run per connection
	lockClassToken    int32 = 0x5350_0003 // one token renewal per connection
	lockClassWebhooks int32 = 0x5350_0004 // one webhook subscription check per connection
)

// credentialVersion is a connection's version as far as checking its webhooks goes: the
// transaction ids that wrote its row and each of its credentials. Any write to either (a
// new secret, a disconnection, an uninstall clearing the credentials) gives a new one.
const credentialVersion = `c.xmin::text || ':' || coalesce((SELECT string_agg(k.name || '=' || k.xmin::text, ',' ORDER BY k.name)
	FROM shopify_credentials k WHERE k.connection_id = c.id), '')`

// VersionedCredentials is Credentials with the connection's version (see
// CredentialVersions), read before the connection: a change made while it is read gives
// a version that CredentialVersions no longer matches, never a stale connection under a
// current version.
func (st ConnectionStore) VersionedCredentials(ctx context.Context, q pg.Queryer, shop string) (Connection, string, error) {
	norm, err := NormalizeShop(shop)
	if err != nil {
		return Connection{}, "", err
	}
	var version string
	err = sqlx.GetContext(ctx, q, &version, `SELECT `+credentialVersion+` FROM shopify_connections c WHERE c.shop = $1`, norm)
	if errors.Is(err, sql.ErrNoRows) {
		return Connection{}, "", &notLinkedError{shop: norm}
	}
	if err != nil {
		return Connection{}, "", fmt.Errorf("load Shopify connection %s: %w", norm, err)
	}
	c, err := st.Credentials(ctx, q, norm)
	return c, version, err
}

// CredentialVersions reads the current version of each of the connections ids (those that
// no longer exist are missing from the map): one query, for a cache of Credentials to
// tell which of its entries are stale.
func (st ConnectionStore) CredentialVersions(ctx context.Context, q pg.Queryer, ids []int64) (map[int64]string, error) {
	return st.credentialVersions(ctx, q, ids, "")
}

// DurableCredentialVersions is CredentialVersions in a transaction that is to commit with
// synchronous_commit on even when the server or database sets it off (set in the same
// statement, to spare a round trip; every other setting already waits for the local flush
// and is left as it is).
func (st ConnectionStore) DurableCredentialVersions(ctx context.Context, tx *sqlx.Tx, ids []int64) (map[int64]string, error) {
	return st.credentialVersions(ctx, tx, ids, `, (SELECT set_config('synchronous_commit', 'on', true)
		WHERE current_setting('synchronous_commit') = 'off') AS sync`)
}

func (ConnectionStore) credentialVersions(ctx context.Context, q pg.Queryer, ids []int64, extra string) (map[int64]string, error) {
	var rows []struct {
		ID      int64          `db:"id"`
		Version string         `db:"version"`
		Sync    sql.NullString `db:"sync"`
	}
	err := sqlx.SelectContext(ctx, q, &rows, `SELECT c.id, `+credentialVersion+` AS version`+extra+`
		FROM shopify_connections c WHERE c.id = ANY($1)`, pq.Array(ids))
	if err != nil {
		return nil, fmt.Errorf("read Shopify connections' versions: %w", err)
	}
	out := make(map[int64]string, len(rows))
	for _, r := range rows {
		out[r.ID] = r.Version
	}
	return out, nil
}
