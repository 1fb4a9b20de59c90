package daemon

import (
	"github.com/rs/zerolog"

	"github.com/kassa-pos/kassa/sync/shopify"
	"github.com/kassa-pos/kassa/sync/shopify/shopifyapi"
)

// sourceWithObserver opens connections' Shopify clients that report their rate-limit
// waits and retries to the daemon's metrics.
func sourceWithObserver(m *Metrics, log *zerolog.Logger) func(shopify.Connection) (shopify.Source, error) {
	return func(c shopify.Connection) (shopify.Source, error) {
		return shopifyapi.New(shopifyapi.Config{
			Shop: c.Shop, AccessToken: c.AccessToken, APIVersion: c.APIVersion, BaseURL: c.BaseURL,
			Logger: log, Observer: m,
		})
	}
}
