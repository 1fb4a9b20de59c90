package shopify

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/kassa-pos/kassa/internal/pg"
	"github.com/kassa-pos/kassa/internal/text"
	"github.com/kassa-pos/kassa/inventory"
	"github.com/kassa-pos/kassa/sync/shopify/shopifyapi"
)

// Scopes kassa asks a shop's app for.
const (
	// ScopeReadOrders lets kassa read the shop's orders: without it nothing can be imported.
	ScopeReadOrders = "read_orders"
	// ScopeReadAllOrders lets kassa read orders older than 60 days.
	ScopeReadAllOrders = "read_all_orders"
	// ScopeWriteInventory lets kassa push stock levels to the shop.
	ScopeWriteInventory = "write_inventory"
)

// Checked is what connecting found out about the shop.
type Checked struct {
	Shop shopifyapi.ShopDetails
	// Location is the location that mirrors the outlet (zero when the locations could not
	// be read).
	Location shopifyapi.Location
	// Warnings are what the owner should know without it stopping the connect, one
	// sentence each.
	Warnings []string
}

// CheckAndConnect checks a shop with the app's credentials and stores the connection only
// when every check passes; a refusal leaves the database as it was and says in one
// sentence what to do. It asks Shopify for an access token (a Dev Dashboard app's client
// credentials grant) or takes the legacy token, reads the shop and the granted scopes
// through the GraphQL Admin API, and refuses when the credentials are wrong, Shopify will
// not issue tokens for the shop (shop_not_permitted, app_not_installed), read_orders is
// not granted, the shop is another one, or its currency is not the outlet's. It warns when
// read_all_orders or write_inventory is missing.
func (st ConnectionStore) CheckAndConnect(ctx context.Context, db *sqlx.DB, p ConnectParams, o ClientOptions) (Connection, Checked, error) {
	var checked Checked
	shop, err := NormalizeShop(p.Shop)
	if err != nil {
		return Connection{}, checked, err
	}
	p.Shop = shop
	if p.Auth == "" {
		p.Auth = AuthLegacyToken
	}
	if p.APIVersion == "" {
		p.APIVersion = DefaultAPIVersion
	}
	if p.PublicURL != "" {
		if p.PublicURL, err = ParsePublicURL(p.PublicURL); err != nil {
			return Connection{}, checked, err
		}
	}
	if p.BaseURL != "" {
		u, err := url.Parse(p.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return Connection{}, checked, fmt.Errorf("base URL %q: write it like http://127.0.0.1:8081", p.BaseURL)
		}
	}
	if !versionRE.MatchString(p.APIVersion) {
		return Connection{}, checked, fmt.Errorf("API version %q: write it like %s", p.APIVersion, DefaultAPIVersion)
	}
	if st.Secrets == nil {
		return Connection{}, checked, ErrNoSecrets
	}
	// A key file kassa cannot use refuses the connect before Shopify is asked anything.
	if _, err := st.Secrets.KeyIDs(); err != nil {
		return Connection{}, checked, err
	}
	outlet, err := inventory.Store{}.Outlet(ctx, db, p.OutletID)
	if err != nil {
		return Connection{}, checked, err
	}
	cfg := shopifyapi.Config{Shop: shop, APIVersion: p.APIVersion, BaseURL: p.BaseURL, Logger: o.Logger, Observer: o.Observer, Transport: o.Transport}
	token := p.AccessToken
	if p.Auth == AuthClientCredentials {
		if strings.TrimSpace(p.ClientID) == "" || strings.TrimSpace(p.ClientSecret) == "" {
			return Connection{}, checked, errors.New("a Dev Dashboard app connects with its Client ID and client secret")
		}
		grant, err := shopifyapi.RequestToken(ctx, cfg, shopifyapi.Credentials{ClientID: strings.TrimSpace(p.ClientID), ClientSecret: p.ClientSecret})
		if err != nil {
			return Connection{}, checked, tokenRefusal(shop, err)
		}
		p.Grant, p.GrantedAt, p.Scopes = grant, o.now(), grant.Scopes
		token = grant.AccessToken
	}
	cfg.AccessToken = token
	cl, err := shopifyapi.New(cfg)
	if err != nil {
		return Connection{}, checked, err
	}
	defer cl.Close()
	details, err := cl.ShopDetails(ctx)
	switch {
	case errors.Is(err, shopifyapi.ErrUnauthorized) && p.Auth == AuthLegacyToken:
		return Connection{}, checked, fmt.Errorf("Shopify refused the access token for %s: copy the Admin API access token again from the app in the Shopify admin (Settings > Apps > Develop apps)", shop)
	case err != nil:
		var ge *shopifyapi.GraphQLError
		if !errors.As(err, &ge) && !errors.Is(err, shopifyapi.ErrUnauthorized) {
			return Connection{}, checked, unreachable(shop, err)
		}
		return Connection{}, checked, fmt.Errorf("cannot read the shop %s with the app's access: %w", shop, err)
	}
	checked.Shop = details
	scopes := details.Scopes
	if len(scopes) == 0 {
		scopes = p.Scopes
	}
	p.Scopes = scopes
	if !shopifyapi.HasScope(scopes, ScopeReadOrders) {
		return Connection{}, checked, fmt.Errorf("the app may not read the orders of %s: give it the read_orders access scope in the Dev Dashboard (the app's version, Access scopes), release the version, and connect again", shop)
	}
	if !strings.EqualFold(details.CurrencyCode, outlet.Currency) {
		return Connection{}, checked, fmt.Errorf("%s sells in %s and the outlet %q counts in %s: connect the shop to an outlet of its currency", shop, safeText(details.CurrencyCode), outlet.Name, outlet.Currency)
	}
	if !shopifyapi.HasScope(scopes, ScopeReadAllOrders) {
		checked.Warnings = append(checked.Warnings, "the app has no read_all_orders scope: Shopify shows it only the orders of the last 60 days, which is what kassa imports")
	}
	if !shopifyapi.HasScope(scopes, ScopeWriteInventory) {
		checked.Warnings = append(checked.Warnings, "the app has no write_inventory scope: kassa cannot push stock levels to Shopify; add it to the app's version when stock should follow the shop")
	}
	locs, err := cl.Locations(ctx)
	switch {
	case err == nil:
		loc, err := ResolveLocation(locs, p.Location)
		if err != nil {
			return Connection{}, checked, err
		}
		p.LocationID, p.LocationName, checked.Location = loc.ID, text.Clean(loc.Name, text.MaxName), loc
	case strings.TrimSpace(p.Location) != "":
		return Connection{}, checked, fmt.Errorf("cannot name the location %q: %w", strings.TrimSpace(p.Location), locationsRefused(shop, err))
	case !shopifyapi.HasScope(scopes, ScopeReadLocations):
		checked.Warnings = append(checked.Warnings, "the app has no read_locations scope: kassa cannot name the location that mirrors the outlet, so it pushes no stock; add the scope to the app's version, release it, and connect again")
	default:
		checked.Warnings = append(checked.Warnings, fmt.Sprintf("kassa could not read the shop's locations (%s): no location mirrors the outlet yet, so no stock is pushed; name it with 'kassa shopify set --location NAME'",
			safeText(err.Error())))
	}
	conn, err := st.Connect(ctx, db, p)
	if err != nil {
		return Connection{}, checked, err
	}
	if err := RecordCalls(ctx, db, conn, cl.Calls(), o.logger()); err != nil {
		return conn, checked, err
	}
	conn, err = st.ByID(ctx, db, conn.ID)
	return conn, checked, err
}

// tokenRefusal says in one sentence what a refused token request means for the owner.
func tokenRefusal(shop string, err error) error {
	var oe *shopifyapi.OAuthError
	switch {
	case errors.Is(err, shopifyapi.ErrInvalidClient):
		return fmt.Errorf("Shopify refused the Client ID or secret for %s: copy both again from the app's Settings in the Dev Dashboard", shop)
	case errors.Is(err, shopifyapi.ErrShopNotPermitted):
		return fmt.Errorf("Shopify does not let this app ask %s for access (shop_not_permitted): create the app in the Dev Dashboard of the organization that owns the store, install it there, and connect with its Client ID and secret", shop)
	case errors.Is(err, shopifyapi.ErrAppNotInstalled):
		return fmt.Errorf("the app is not installed on %s (app_not_installed): install it on the store first (Dev Dashboard, the app, Install app), then connect again", shop)
	case errors.As(err, &oe) && oe.Status == 404:
		return fmt.Errorf("Shopify knows no shop %s: check --shop (the shop's myshopify domain)", shop)
	case errors.As(err, &oe):
		return fmt.Errorf("Shopify refused to give %s an access token: %s", shop, safeText(oe.Error()))
	}
	return unreachable(shop, err)
}

// unreachable says that Shopify could not be asked, with the network's reason and without
// the request's URL.
func unreachable(shop string, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var dns *net.DNSError
	if errors.As(err, &dns) && dns.IsNotFound {
		return fmt.Errorf("cannot reach Shopify for %s: there is no such host (%s): check --shop and the network", shop, dns.Name)
	}
	return fmt.Errorf("cannot reach Shopify for %s (%v): check the network, and --base-url if you gave one", shop, err)
}

// safeText is text from Shopify made safe to show on a terminal or in a log.
func safeText(s string) string { return shopifyapi.CleanText(s) }

// SafeText is text from Shopify (a shop's name, a message) made safe to show: without
// control and direction characters, at most 200 characters.
func SafeText(s string) string { return safeText(s) }

// SetAutoUpdate turns a connection's auto-update on or off.
func (ConnectionStore) SetAutoUpdate(ctx context.Context, q pg.Queryer, id int64, on bool) error {
	res, err := q.ExecContext(ctx, `UPDATE shopify_connections SET auto_update = $2, updated_at = now() WHERE id = $1`, id, on)
	if err != nil {
		return fmt.Errorf("set auto-update of Shopify connection %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("Shopify connection %d: %w", id, ErrNotFound)
	}
	return nil
}
