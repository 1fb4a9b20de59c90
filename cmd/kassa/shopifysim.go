package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/kassa-pos/kassa/sync/shopifysim"
	"github.com/kassa-pos/kassa/sync/shopifysim/shopdata"
)

// shopifySimConfig holds the flags of kassa shopify-sim.
type shopifySimConfig struct {
	addr          string
	shop          string
	token         string
	secret        string
	generate      int
	days          int
	seed          int64
	ordersFile    string
	plan          string
	faults        string
	webhookURL    string
	newOrderEvery time.Duration
	readAllOrders bool
	clientID      string
	clientSecret  string
	tokenTTL      time.Duration
	scopes        string
	serveVersion  string
	refuseToken   string
	bulkRate      float64
	bulkFail      string
}

func (c *cli) shopifySimCommand() *cobra.Command {
	var cfg shopifySimConfig
	cmd := &cobra.Command{
		Use:   "shopify-sim",
		Short: "Serve a simulated Shopify shop (Admin REST API) for tests and demos",
		Long: `shopify-sim serves a stand-in for a Shopify shop on a local port: the Admin REST API
(orders with Shopify's filters, cursor pagination and 60-day window, products, locations,
inventory levels, the leaky-bucket rate limit), a subset of the GraphQL Admin API (the shop,
the app's scopes, webhook subscriptions, the orders query, bulk query operations with their
JSONL result at an expiring URL; cost-based limits per plan with THROTTLED answers),
the access-token endpoint of a Dev Dashboard app (--client-id, --client-secret; tokens that
expire after --token-ttl), signed webhooks and optional injected faults. Point kassa at it
with 'kassa shopify connect --base-url URL'. It needs no database.

--plan sets the limits: standard, advanced, plus and enterprise restore 100, 200, 1000 and
2000 GraphQL cost points a second (REST: 2, 4, 20 and 40 requests a second); off has none.
--serve-version answers every request in that API version, whatever was asked (a request for
a version older than 2026-01 is answered in 2026-01 anyway, as Shopify does).
--refuse-token shop_not_permitted or app_not_installed makes the token endpoint refuse, as
Shopify does for an app of another organization or one not installed.
--bulk-rate N has a bulk operation write N objects a second (Shopify preparing an export;
0 is as fast as it can); --bulk-fail CODE makes bulk operations end FAILED with that
errorCode (ACCESS_DENIED, INTERNAL_SERVER_ERROR or TIMEOUT).

Control endpoints for scripts (no token): POST /_sim/orders (an order JSON, or empty to
generate one), GET /_sim/orders, GET /_sim/stats, DELETE /_sim/webhooks/{id} or
DELETE /_sim/webhooks?topic=orders/create (as Shopify does after 8 failed deliveries),
POST /_sim/tokens/revoke, POST /_sim/uninstall.

Faults spec example: 5xx=0.05,429=0.05,drop=0.02,truncate=0.01,slow=0.01:2s,seed=42`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return c.runShopifySim(cmd.Context(), cfg)
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.addr, "addr", "127.0.0.1:8089", "address to listen on")
	f.StringVar(&cfg.shop, "shop", "demo.myshopify.com", "the shop's myshopify domain")
	f.StringVar(&cfg.token, "token", "", "static access token of a legacy app (default "+shopifysim.DefaultToken+" without --client-id, none with it)")
	f.StringVar(&cfg.secret, "secret", shopifysim.DefaultSecret, "the app's secret that signs webhooks (same as --client-secret)")
	f.StringVar(&cfg.clientID, "client-id", "", "Client ID of a Dev Dashboard app: the token endpoint grants tokens for it and --client-secret")
	f.StringVar(&cfg.clientSecret, "client-secret", "", "the app's client secret (token requests and webhook signatures)")
	f.DurationVar(&cfg.tokenTTL, "token-ttl", shopifysim.DefaultTokenTTL, "how long a granted access token lives")
	f.StringVar(&cfg.scopes, "scopes", strings.Join(shopifysim.DefaultScopes, ","), "access scopes the app was granted, comma-separated")
	f.StringVar(&cfg.serveVersion, "serve-version", "", "answer every request in this API version, e.g. 2026-07")
	f.StringVar(&cfg.refuseToken, "refuse-token", "", "refuse token requests: shop_not_permitted or app_not_installed")
	f.IntVar(&cfg.generate, "generate", 0, "generate this many orders (and their catalogue)")
	f.IntVar(&cfg.days, "days", 90, "spread generated orders over this many days before now")
	f.Int64Var(&cfg.seed, "seed", 1, "seed of the generated shop (same seed, same shop)")
	f.StringVar(&cfg.ordersFile, "orders-file", "", `serve the orders of this JSON file ({"orders":[...]})`)
	f.StringVar(&cfg.plan, "plan", "standard", "rate-limit plan: standard, advanced, plus, enterprise or off")
	f.StringVar(&cfg.faults, "faults", "", "inject faults, e.g. 5xx=0.05,drop=0.02,slow=0.01:2s,seed=42")
	f.StringVar(&cfg.webhookURL, "webhook-url", "", "subscribe this URL to every order webhook topic")
	f.DurationVar(&cfg.newOrderEvery, "new-order-every", 0, "place a generated order at this interval (e.g. 30s)")
	f.BoolVar(&cfg.readAllOrders, "read-all-orders", false, "serve orders older than 60 days (the read_all_orders scope)")
	f.Float64Var(&cfg.bulkRate, "bulk-rate", 0, "objects a second a bulk operation writes (0: as fast as it can)")
	f.StringVar(&cfg.bulkFail, "bulk-fail", "", "make bulk operations fail with this errorCode: ACCESS_DENIED, INTERNAL_SERVER_ERROR or TIMEOUT")
	return cmd
}

func (c *cli) runShopifySim(ctx context.Context, cfg shopifySimConfig) error {
	plan, err := shopifysim.ParsePlan(cfg.plan)
	if err != nil {
		return usageError("--plan: %v", err)
	}
	faults, err := shopifysim.ParseFaultSpec(cfg.faults)
	if err != nil {
		return usageError("--faults: %v", err)
	}
	if cfg.generate < 0 || cfg.days <= 0 {
		return usageError("--generate must be 0 or more and --days more than 0")
	}
	if cfg.newOrderEvery < 0 {
		return usageError("--new-order-every must not be negative")
	}
	if cfg.bulkRate < 0 {
		return usageError("--bulk-rate must not be negative")
	}
	switch cfg.bulkFail {
	case "", "ACCESS_DENIED", "INTERNAL_SERVER_ERROR", "TIMEOUT":
	default:
		return usageError("--bulk-fail is ACCESS_DENIED, INTERNAL_SERVER_ERROR or TIMEOUT, not %q", cfg.bulkFail)
	}
	if cfg.tokenTTL < 2*time.Second {
		return usageError("--token-ttl must be at least 2s")
	}
	secret := cfg.secret
	if cfg.clientSecret != "" {
		secret = cfg.clientSecret
	}
	var scopes []string
	for _, sc := range strings.Split(cfg.scopes, ",") {
		if sc = strings.TrimSpace(sc); sc != "" {
			scopes = append(scopes, sc)
		}
	}
	logger := c.simLogger()
	opts := shopifysim.Options{
		Addr:          cfg.addr,
		Shop:          cfg.shop,
		Token:         cfg.token,
		Secret:        secret,
		ClientID:      cfg.clientID,
		TokenTTL:      cfg.tokenTTL,
		Scopes:        scopes,
		ServeVersion:  cfg.serveVersion,
		TokenRefusal:  cfg.refuseToken,
		Clock:         c.now,
		Logger:        &logger,
		ReadAllOrders: cfg.readAllOrders,
		Plan:          plan,
		Faults:        faults,
		WebhookURL:    cfg.webhookURL,
		Bulk:          shopifysim.BulkOptions{Rate: cfg.bulkRate, FailWith: cfg.bulkFail},
	}
	if cfg.generate > 0 {
		opts.Generate = &shopdata.GenerateOptions{Seed: cfg.seed, Orders: cfg.generate, Days: cfg.days, Now: c.now(), Shop: cfg.shop}
	}
	if cfg.ordersFile != "" {
		raw, err := shopdata.ReadOrdersFile(cfg.ordersFile)
		if err != nil {
			return fmt.Errorf("--orders-file: %w", err)
		}
		opts.RawOrders = raw
	}
	sim, err := shopifysim.NewServer(opts)
	if err != nil {
		return fmt.Errorf("start shopify simulator: %w", err)
	}
	defer sim.Close()

	fmt.Fprintf(c.stdout, "shop:   %s\nurl:    %s\n", sim.Shop, sim.URL)
	if sim.Token != "" {
		fmt.Fprintf(c.stdout, "token:  %s\n", sim.Token)
	}
	if cfg.clientID != "" {
		fmt.Fprintf(c.stdout, "client id: %s (tokens live %s)\n", cfg.clientID, cfg.tokenTTL)
	}
	fmt.Fprintf(c.stdout, "orders: %d\nplan:   %s\n", len(sim.AllOrders()), plan.Name)
	logger.Info().Str("shop", sim.Shop).Str("url", sim.URL).Msg("shopify simulator listening")

	if cfg.newOrderEvery > 0 {
		t := time.NewTicker(cfg.newOrderEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				logger.Info().Msg("shopify simulator stopping")
				return nil
			case <-t.C:
				o, err := sim.NewOrder()
				if err != nil {
					logger.Error().Err(err).Msg("place generated order")
					continue
				}
				logger.Info().Int64("order_id", o.ID).Str("name", o.Name).Msg("order placed")
			}
		}
	}
	<-ctx.Done()
	logger.Info().Msg("shopify simulator stopping")
	return nil
}

// simLogger logs every request and webhook attempt (the simulator logs them at debug level)
// to stderr: human-readable on a terminal, JSON otherwise.
func (c *cli) simLogger() zerolog.Logger {
	w := c.stderr
	if f, ok := w.(*os.File); ok && isatty.IsTerminal(f.Fd()) {
		w = zerolog.ConsoleWriter{Out: f, TimeFormat: time.TimeOnly}
	}
	return zerolog.New(w).Level(zerolog.DebugLevel).With().Timestamp().Logger()
}
