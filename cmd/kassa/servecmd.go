package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/mattn/go-isatty"
	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/kassa-pos/kassa/daemon"
	"github.com/kassa-pos/kassa/internal/pg"
	"github.com/kassa-pos/kassa/migrations"
	"github.com/kassa-pos/kassa/sync/shopify"
	"github.com/kassa-pos/kassa/web"
)

func (c *cli) serveCommand() *cobra.Command {
	var (
		addr, nightlyAt, logLevel string
		publicURL, replicaURL     string
		reconcileAt               string
		reconcileDays             int
		migrate                   bool
		webhookReaders            int
		stockLease                time.Duration
	)
	cmd := &cobra.Command{
		Use:   "serve [--addr 127.0.0.1:8080] [--nightly-at 23:55] [--reconcile-at 03:30] [--migrate]",
		Short: "Run the daemon: the HTTP API, Shopify webhooks, auto-update and the nightly reports",
		Long: `Run kassa's daemon until SIGINT or SIGTERM. It serves the web register at / and the
HTTP API of the register terminals under /api/v1 (bearer tokens from 'kassa token create'), receives Shopify webhooks
at /webhooks/shopify, polls every connection with auto-update on, and writes each outlet's
nightly report at --nightly-at in the outlet's time zone. Every night at --reconcile-at (in
the outlet's time zone) each enabled shop is reconciled: its orders of the last
--reconcile-days days are compared with kassa and, for a shop with auto-update on, the
differences recorded, as 'kassa shopify reconcile --fix' does; the nightly report of that day shows their count
and the first of them ("off" runs no reconciliation). /healthz, /readyz and /metrics
(Prometheus) need no token.

Several daemons may run against one database; one imports a connection at a time and one
writes an outlet's nightly report. The daemon refuses to start on an old schema unless
--migrate is given. Logs are JSON on stderr, or readable text when stderr is a terminal.

With --public-url (the https:// address Shopify reaches the daemon at, e.g. through an HTTPS
proxy), every linked shop is subscribed to the webhooks kassa handles at
URL/webhooks/shopify at start and checked every 15 minutes (Shopify deletes a subscription
after eight failed deliveries; kassa subscribes it again). Without it, the public URL each
shop was connected with is used, and a shop without one is polled.

Every linked shop that names a location and whose app has write_inventory gets its stock
pushed: each stock movement at the outlet sets Shopify's available quantity within about a
second, and the night's drift check runs before the nightly report.

With --replica-url, sales lists and searches and the closing and nightly reports the API
serves are read from that PostgreSQL streaming replica of the database (from the database
itself while the replica cannot be reached); everything else stays on the database.

Environment: KASSA_ADDR, KASSA_NIGHTLY_AT, KASSA_RECONCILE_AT, KASSA_RECONCILE_DAYS, KASSA_PUBLIC_URL and
KASSA_REPLICA_URL are used when the flags are not given;
KASSA_SECRET_KEY_FILE names the key file that decrypts the stored Shopify credentials
(default kassa/secret.key in $XDG_CONFIG_HOME, else ~/.config).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if !cmd.Flags().Changed("addr") && c.getenv("KASSA_ADDR") != "" {
				addr = c.getenv("KASSA_ADDR")
			}
			if !cmd.Flags().Changed("nightly-at") && c.getenv("KASSA_NIGHTLY_AT") != "" {
				nightlyAt = c.getenv("KASSA_NIGHTLY_AT")
			}
			if !cmd.Flags().Changed("reconcile-at") && c.getenv("KASSA_RECONCILE_AT") != "" {
				reconcileAt = c.getenv("KASSA_RECONCILE_AT")
			}
			if !cmd.Flags().Changed("reconcile-days") && c.getenv("KASSA_RECONCILE_DAYS") != "" {
				n, err := strconv.Atoi(c.getenv("KASSA_RECONCILE_DAYS"))
				if err != nil {
					return usageError("KASSA_RECONCILE_DAYS must be a number of days, not %q", c.getenv("KASSA_RECONCILE_DAYS"))
				}
				reconcileDays = n
			}
			if !cmd.Flags().Changed("public-url") && c.getenv("KASSA_PUBLIC_URL") != "" {
				publicURL = c.getenv("KASSA_PUBLIC_URL")
			}
			if !cmd.Flags().Changed("replica-url") && c.getenv("KASSA_REPLICA_URL") != "" {
				replicaURL = c.getenv("KASSA_REPLICA_URL")
			}
			if publicURL != "" {
				u, err := shopify.ParsePublicURL(publicURL)
				if err != nil {
					return usageError("--public-url: %v", err)
				}
				publicURL = u
			}
			if _, _, err := daemon.ParseTimeOfDay(nightlyAt); err != nil {
				return fmt.Errorf("--nightly-at: %w", err)
			}
			if !strings.EqualFold(reconcileAt, "off") {
				if _, _, err := daemon.ParseTimeOfDay(reconcileAt); err != nil {
					return usageError("--reconcile-at: %v (or off)", err)
				}
			}
			if reconcileDays < 1 || reconcileDays > 60 {
				return usageError("--reconcile-days must be 1 to 60 (Shopify hands out 60 days of orders), not %d", reconcileDays)
			}
			if webhookReaders < 1 {
				return usageError("--webhook-readers must be at least 1, not %d", webhookReaders)
			}
			level, err := zerolog.ParseLevel(strings.ToLower(logLevel))
			if err != nil || logLevel == "" {
				return usageError("--log-level must be debug, info, warn or error, not %q", logLevel)
			}
			log := newLogger(c.stderr, level)
			db, err := c.openDBUnchecked(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			if migrate {
				applied, err := migrations.Up(ctx, db.DB)
				if err != nil {
					return err
				}
				if len(applied) > 0 {
					log.Info().Ints64("versions", applied).Msg("migrations applied")
				}
			}
			if err := checkSchema(ctx, db); err != nil {
				return fmt.Errorf("%w (or start with --migrate)", err)
			}
			box, err := c.secrets()
			if err != nil {
				return err
			}
			sealed, err := shopify.ConnectionStore{Secrets: box}.SealPlainCredentials(ctx, db)
			if err != nil {
				return err
			}
			if sealed > 0 {
				log.Info().Int("connections", sealed).Str("key_file", box.Path()).Msg("plain-text Shopify credentials encrypted")
			}
			if stockLease < time.Second {
				return usageError("--stock-push-lease must be at least 1s, not %s", stockLease)
			}
			var replica *sqlx.DB
			if replicaURL != "" {
				if replica, err = openReplica(ctx, replicaURL, log); err != nil {
					return err
				}
				defer replica.Close()
			}
			front, err := web.Front(web.Config{Secrets: box, Clock: c.now, Logger: log.With().Str("component", "web").Logger(),
				SecureCookies: strings.HasPrefix(publicURL, "https://")})
			if err != nil {
				return err
			}
			d, err := daemon.New(db, daemon.Config{Addr: addr, NightlyAt: nightlyAt, ReconcileAt: reconcileAt, ReconcileDays: reconcileDays, WebhookMaxReaders: webhookReaders, PublicURL: publicURL,
				StockPushLease: stockLease},
				daemon.Deps{Clock: c.now, Logger: log, Secrets: box, Replica: replica, Front: front})
			if err != nil {
				return err
			}
			return d.Run(ctx)
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:8080", "address to listen on")
	cmd.Flags().StringVar(&replicaURL, "replica-url", "", "a PostgreSQL streaming replica of the database: sales searches and reports are read from it")
	cmd.Flags().StringVar(&nightlyAt, "nightly-at", "23:55", "local time of day the nightly reports are written")
	cmd.Flags().StringVar(&reconcileAt, "reconcile-at", "03:30", "local time of day each shop's orders of the last --reconcile-days days are reconciled with kassa (off: never)")
	cmd.Flags().IntVar(&reconcileDays, "reconcile-days", 7, "how many days of orders the nightly reconciliation compares")
	cmd.Flags().BoolVar(&migrate, "migrate", false, "apply pending schema migrations before starting")
	cmd.Flags().StringVar(&publicURL, "public-url", "", "the https:// address Shopify reaches this daemon at: linked shops' webhooks are subscribed there")
	cmd.Flags().StringVar(&logLevel, "log-level", "info", "debug, info, warn or error")
	cmd.Flags().DurationVar(&stockLease, "stock-push-lease", 30*time.Second, "how long a stock push holds its products: after a crash another daemon, or this one restarted, pushes them after it")
	cmd.Flags().IntVar(&webhookReaders, "webhook-readers", 64, "how many Shopify webhooks are read at once (each holds up to 2 MiB); more are answered 503 and sent again by Shopify")
	return cmd
}

// newLogger is the root logger: JSON lines, or zerolog's console format when w is a
// terminal, so that a person watching reads sentences and a collector reads JSON.
func newLogger(w io.Writer, level zerolog.Level) zerolog.Logger {
	if f, ok := w.(*os.File); ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())) {
		w = zerolog.ConsoleWriter{Out: f, TimeFormat: time.TimeOnly}
	}
	return zerolog.New(w).Level(level).With().Timestamp().Logger()
}

// openReplica opens the read replica at url. It must answer, and hold the schema this kassa
// knows (a replica of another database, or one far behind, is refused); one that is not
// in recovery (a second primary, not a replica) is used but warned about.
func openReplica(ctx context.Context, url string, log zerolog.Logger) (*sqlx.DB, error) {
	db, err := pg.Open(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("--replica-url: %w", err)
	}
	if err := daemon.CheckSchema(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("--replica-url: %w", err)
	}
	var standby bool
	if err := db.GetContext(ctx, &standby, `SELECT pg_is_in_recovery()`); err != nil {
		db.Close()
		return nil, fmt.Errorf("--replica-url: %w", err)
	}
	if !standby {
		log.Warn().Msg("the --replica-url database is not a standby (pg_is_in_recovery is false): reports read from it see only what is written there")
	}
	return db, nil
}
