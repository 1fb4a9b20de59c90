package daemon

import (
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/rs/zerolog"

	"github.com/kassa-pos/kassa/internal/secret"
	"github.com/kassa-pos/kassa/sync/shopify"
)

// clientOpener opens connections' Shopify clients that report their rate-limit waits,
// retries, served API versions and token renewals to the daemon's metrics, and keep a Dev
// Dashboard app's token renewed in the database.
func clientOpener(db *sqlx.DB, secrets *secret.Box, clock func() time.Time, m *Metrics, log *zerolog.Logger) func(shopify.Connection) (*shopify.Client, error) {
	return func(c shopify.Connection) (*shopify.Client, error) {
		return shopify.ConnectionStore{Secrets: secrets}.OpenClient(c, shopify.ClientOptions{
			DB: db, Clock: clock, Logger: log, Observer: m, Renewals: m,
		})
	}
}

// sourceWithObserver opens connections' order sources: their Shopify clients.
func sourceWithObserver(open func(shopify.Connection) (*shopify.Client, error)) func(shopify.Connection) (shopify.Source, error) {
	return func(c shopify.Connection) (shopify.Source, error) {
		return open(c)
	}
}
