package daemon

import (
	"context"
	"fmt"
	"time"

	"github.com/kassa-pos/kassa/inventory"
	"github.com/kassa-pos/kassa/sync/shopify"
)

// shopifyReadiness is one enabled Shopify connection in /readyz: how it authenticates,
// the API version kassa asks for and the one Shopify last answered in, when its access
// token expires, where its webhooks go, and when a call last succeeded. Never a secret.
type shopifyReadiness struct {
	Shop             string     `json:"shop"`
	Auth             string     `json:"auth"`
	APIVersion       string     `json:"api_version"`
	ServedAPIVersion string     `json:"served_api_version"`
	TokenExpiresAt   *time.Time `json:"token_expires_at"`
	// Webhooks is the address Shopify delivers to, or "polling" when there is none.
	Webhooks   string     `json:"webhooks"`
	LastCallAt *time.Time `json:"last_call_at"`
	// StockPush says whether the outlet's stock is pushed ("on", or why not), how many
	// products wait and the oldest change among them, and the last push error.
	StockPush    string     `json:"stock_push"`
	StockQueued  int        `json:"stock_queued"`
	StockOldest  *time.Time `json:"stock_oldest_unpushed"`
	StockLastErr string     `json:"stock_last_error"`
}

// shopifyReadiness lists the enabled connections and warns when Shopify answers one of them
// in another API version than kassa asks for. A connection list that cannot be read is
// left out: the database checks already report the database.
func (d *Daemon) shopifyReadiness(ctx context.Context) ([]shopifyReadiness, []string) {
	out := []shopifyReadiness{}
	var warnings []string
	conns, err := shopify.ConnectionStore{}.List(ctx, d.db)
	if err != nil {
		return out, nil
	}
	for _, c := range conns {
		if !c.Enabled {
			continue
		}
		r := shopifyReadiness{
			Shop: c.Shop, Auth: c.Auth, APIVersion: c.APIVersion, ServedAPIVersion: c.ServedAPIVersion,
			TokenExpiresAt: c.TokenExpiresAt, Webhooks: "polling", LastCallAt: c.LastCallAt,
		}
		public := d.cfg.PublicURL
		if public == "" {
			public = c.PublicURL
		}
		if public != "" {
			r.Webhooks = shopify.WebhookAddress(public)
		}
		r.StockPush = "on"
		if ok, why := shopify.CanPush(c); !ok {
			r.StockPush = "off: " + why
		} else if st, err := (inventory.Store{}).PushStatus(ctx, d.db, shopify.Channel, c.Shop); err == nil {
			r.StockQueued, r.StockOldest, r.StockLastErr = st.Queued, st.Oldest, st.LastError
			if st.Oldest != nil && d.clock().Sub(*st.Oldest) > 5*time.Minute {
				warnings = append(warnings, fmt.Sprintf("%d stock changes of %s have waited more than 5 minutes to be pushed to Shopify (last error: %s): see 'kassa stock sync status'",
					st.Queued, c.Shop, st.LastError))
			}
		}
		if c.ServedAPIVersion != "" && c.ServedAPIVersion != c.APIVersion {
			warnings = append(warnings, fmt.Sprintf("Shopify answers %s in API version %s, not %s as kassa asks: "+
				"the version kassa asks for is no longer served; upgrade kassa", c.Shop, c.ServedAPIVersion, c.APIVersion))
		}
		out = append(out, r)
	}
	return out, warnings
}
