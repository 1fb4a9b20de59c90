package daemon

import (
	"context"
	"errors"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/rs/zerolog"

	"github.com/kassa-pos/kassa/sync/shopify"
)

// webhookSubscriber keeps the shops subscribed to the topics the daemon handles
// (webhookTopics) at the public URL: at start and every `every`, for every enabled
// connection with a public URL (the daemon's --public-url, else the one connect stored),
// it lists the shop's subscriptions, creates the missing ones and removes kassa's own at an
// old address. Shopify deletes a subscription made through the API after eight failed
// deliveries in a row; the periodic check subscribes it again. Several daemons may run:
// one checks a connection at a time, the others skip it.
type webhookSubscriber struct {
	db        *sqlx.DB
	conns     shopify.ConnectionStore
	clock     func() time.Time
	log       zerolog.Logger
	metrics   *Metrics
	every     time.Duration
	publicURL string
	open      func(shopify.Connection) (*shopify.Client, error)
	// afterPass is told when a round of checks is done (tests wait on it).
	afterPass passHook
}

// Run checks the subscriptions at start and every ws.every until ctx ends.
func (ws *webhookSubscriber) Run(ctx context.Context) error {
	tick := time.NewTicker(ws.every)
	defer tick.Stop()
	for {
		ws.checkAll(ctx)
		ws.afterPass.passed()
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// checkAll checks every enabled connection that has a public URL.
func (ws *webhookSubscriber) checkAll(ctx context.Context) {
	conns, err := ws.conns.List(ctx, ws.db)
	if err != nil {
		if ctx.Err() == nil {
			ws.log.Error().Err(err).Msg("list connections to check their webhooks")
		}
		return
	}
	for _, c := range conns {
		if ctx.Err() != nil {
			return
		}
		public := ws.publicURL
		if public == "" {
			public = c.PublicURL
		}
		if !c.Enabled || public == "" {
			continue
		}
		ws.check(ctx, c, public)
	}
}

func (ws *webhookSubscriber) check(ctx context.Context, c shopify.Connection, public string) {
	log := ws.log.With().Str("shop", c.Shop).Logger()
	cl, err := ws.open(c)
	if err != nil {
		log.Error().Err(err).Msg("open the shopify client to check the webhooks")
		return
	}
	defer cl.Close()
	states, err := ws.conns.SyncWebhooks(ctx, ws.db, cl.Client, c, public, WebhookTopics(), ws.clock())
	if errors.Is(err, shopify.ErrWebhookCheckRunning) {
		return
	}
	for _, s := range states {
		switch s.State {
		case shopify.WebhookCreated:
			ws.metrics.webhookSubscriptions.WithLabelValues("created").Inc()
			log.Info().Str("topic", s.Topic).Str("address", s.Address).Msg("webhook subscription created")
		case shopify.WebhookRemoved:
			ws.metrics.webhookSubscriptions.WithLabelValues("removed").Inc()
			log.Info().Str("topic", s.Topic).Str("address", s.Address).Msg("webhook subscription to an old address removed")
		}
	}
	if err != nil && ctx.Err() == nil {
		ws.metrics.webhookSubscriptions.WithLabelValues("failed").Inc()
		log.Warn().Err(err).Msg("webhook subscriptions not all in place; the polling backstop imports meanwhile, the next check tries again")
	}
}
