package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/kassa-pos/kassa/daemon"
	"github.com/kassa-pos/kassa/daemon/client"
	"github.com/kassa-pos/kassa/internal/pg"
	"github.com/kassa-pos/kassa/inventory"
	"github.com/kassa-pos/kassa/migrations"
	"github.com/kassa-pos/kassa/money"
	"github.com/kassa-pos/kassa/register"
	"github.com/kassa-pos/kassa/sync/shopify"
	"github.com/kassa-pos/kassa/sync/shopifysim"
	"github.com/kassa-pos/kassa/sync/shopifysim/shopdata"
)

// demoConfig holds the flags of kassa demo.
type demoConfig struct {
	addr     string
	database string
	orders   int
	every    time.Duration
	seed     int64
}

func (c *cli) demoCommand() *cobra.Command {
	var cfg demoConfig
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Try kassa: a demo database, a simulated Shopify shop and the daemon, all at once",
		Long: `demo needs only a PostgreSQL server (the one of --database-url or DATABASE_URL). It
creates (or reuses) a database named kassa_demo on it and migrates it, starts a simulated
Shopify shop with a few hundred orders of the last 90 days, adds an outlet, a register and
the Shopify connection, runs the daemon, imports every order once ("Get all"), and then
keeps placing a new order every few seconds, which arrives by webhook. It prints a cashier
token and the command that opens the register terminal. Ctrl-C stops it all.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return c.runDemo(cmd.Context(), cfg) },
	}
	f := cmd.Flags()
	f.StringVar(&cfg.addr, "addr", "127.0.0.1:8080", "address the daemon listens on")
	f.StringVar(&cfg.database, "database", "kassa_demo", "name of the demo database on the server")
	f.IntVar(&cfg.orders, "orders", 300, "how many orders the simulated shop starts with")
	f.DurationVar(&cfg.every, "new-order-every", 5*time.Second, "how often a new order arrives")
	f.Int64Var(&cfg.seed, "seed", 1, "seed of the simulated shop")
	return cmd
}

var databaseName = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

// demoDB connects to the database name on the server of the configured URL, creating it
// when it does not exist.
func (c *cli) demoDB(ctx context.Context, name string) (*sqlx.DB, string, error) {
	if !databaseName.MatchString(name) {
		return nil, "", usageError("--database %q: use lower-case letters, digits and _", name)
	}
	u, err := url.Parse(c.dbURL())
	if err != nil {
		return nil, "", fmt.Errorf("database URL: %w", err)
	}
	u.Path = "/" + name
	db, err := pg.Open(ctx, u.String())
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && pqErr.Code == "3D000" { // invalid_catalog_name: no such database
		admin := *u
		admin.Path = "/postgres"
		adb, aerr := pg.Open(ctx, admin.String())
		if aerr != nil {
			return nil, "", aerr
		}
		_, aerr = adb.ExecContext(ctx, "CREATE DATABASE "+name)
		adb.Close()
		// 42P04: another demo created it meanwhile.
		if code, _ := pg.Constraint(aerr); aerr != nil && code != "42P04" && !pg.IsUniqueViolation(aerr, "") {
			return nil, "", fmt.Errorf("create database %s: %w", name, aerr)
		}
		db, err = pg.Open(ctx, u.String())
	}
	if err != nil {
		return nil, "", fmt.Errorf("%w (start PostgreSQL or set DATABASE_URL)", err)
	}
	return db, u.Redacted(), nil
}

func (c *cli) runDemo(ctx context.Context, cfg demoConfig) error {
	say := func(format string, args ...any) { fmt.Fprintf(c.stdout, format+"\n", args...) }
	db, where, err := c.demoDB(ctx, cfg.database)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := migrations.Up(ctx, db.DB); err != nil {
		return err
	}
	say("database %s ready", where)

	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (is a daemon already running? try --addr 127.0.0.1:0)", cfg.addr, err)
	}
	base := "http://" + ln.Addr().String()
	sim, err := shopifysim.NewServer(shopifysim.Options{
		Clock: c.now, Plan: shopifysim.PlanStandard, WebhookURL: base + "/webhooks/shopify",
		Generate: &shopdata.GenerateOptions{Seed: cfg.seed, Orders: cfg.orders, Days: 90},
	})
	if err != nil {
		ln.Close()
		return fmt.Errorf("start the simulated shop: %w", err)
	}
	defer sim.Close()
	say("simulated Shopify shop %s at %s with %d orders of the last 90 days", sim.Shop, sim.URL, cfg.orders)

	conn, tok, err := demoSetup(ctx, db, sim, c.now)
	if err != nil {
		ln.Close()
		return err
	}
	say("outlet %q, register %q, connected to %s", conn.OutletName, conn.RegisterName, conn.Shop)

	log := zerolog.New(c.stderr).Level(zerolog.WarnLevel).With().Timestamp().Logger()
	d, err := daemon.New(db, daemon.Config{Addr: ln.Addr().String()}, daemon.Deps{Clock: c.now, Logger: log})
	if err != nil {
		ln.Close()
		return err
	}
	parent := ctx
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	served := make(chan error, 1)
	go func() { served <- d.Serve(ctx, ln) }()
	say("daemon listening on %s", base)

	cl := client.New(base, tok)
	run, err := demoGetAll(ctx, cl, conn.Shop)
	if err == nil {
		// Auto-update (the polls) starts after the first Get all, so that the demo shows
		// that run's figures.
		err = demoAutoUpdate(ctx, db, conn)
	}
	if err != nil {
		stop()
		serveErr := <-served
		if parent.Err() != nil {
			return nil // Ctrl-C while importing
		}
		return errors.Join(fmt.Errorf("get all Shopify orders: %w", err), serveErr)
	}
	o := run.Outcomes
	say("Get all Shopify orders (run %d): %d orders seen: %d imported, %d already imported, %d too old, %d without shipping, %d test, %d cancelled, %d failed",
		run.RunID, run.Seen, o.Imported, o.AlreadyImported, o.TooOld, o.NoShippingMethod, o.TestOrder, o.Cancelled, o.Failed)
	say("")
	say("open the register terminal in another window with:")
	say("  kassa terminal --url %s --token %s --register Front", base, tok)
	say("")
	say("a new order arrives every %s by webhook; Ctrl-C stops the demo", cfg.every)

	tick := time.NewTicker(cfg.every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			err := <-served
			say("demo stopped")
			return err
		case err := <-served:
			return err
		case <-tick.C:
			order, err := sim.NewOrder()
			if err != nil {
				say("could not place an order: %v", err)
				continue
			}
			say("new Shopify order %s placed (%s %s)", order.Name, money.String(order.TotalPrice.Decimal), order.Currency)
		}
	}
}

// demoSetup makes (or finds again) the demo's outlet, register, connection and a fresh
// cashier token. Earlier demo tokens are revoked: a token cannot be shown twice.
func demoSetup(ctx context.Context, db *sqlx.DB, sim *shopifysim.Server, now func() time.Time) (shopify.Connection, string, error) {
	var conn shopify.Connection
	var tok string
	err := pg.WithTx(ctx, db, func(tx *sqlx.Tx) error {
		inv := inventory.Store{}
		outlet, err := inv.OutletByName(ctx, tx, "Demo shop")
		if errors.Is(err, inventory.ErrNotFound) {
			outlet, err = inv.CreateOutlet(ctx, tx, "Demo shop", "Europe/Brussels", "EUR")
		}
		if err != nil {
			return err
		}
		regs := register.Store{Clock: now}
		reg, err := regs.Find(ctx, tx, "Demo shop/Front")
		if errors.Is(err, register.ErrNotFound) {
			reg, err = regs.Create(ctx, tx, outlet.ID, "Front")
		}
		if err != nil {
			return err
		}
		conn, err = shopify.ConnectionStore{}.Connect(ctx, tx, shopify.ConnectParams{
			Shop: sim.Shop, AccessToken: sim.Token, WebhookSecret: sim.Secret, BaseURL: sim.URL,
			OutletID: outlet.ID, RegisterID: reg.ID, AutoUpdate: false,
		})
		if err != nil {
			return err
		}
		ts := daemon.TokenStore{Clock: now}
		if _, err := ts.Revoke(ctx, tx, "demo-till"); err != nil && !errors.Is(err, daemon.ErrTokenNotFound) && !errors.Is(err, daemon.ErrTokenRevoked) {
			return err
		}
		tok, _, err = ts.Create(ctx, tx, "demo-till", daemon.RoleCashier)
		return err
	})
	if err != nil {
		return shopify.Connection{}, "", fmt.Errorf("set up the demo shop: %w", err)
	}
	return conn, tok, nil
}

// demoGetAll runs Get all through the API, waiting for a webhook import that holds the
// connection to end first.
func demoGetAll(ctx context.Context, cl *client.Client, shop string) (client.ImportRun, error) {
	for {
		run, err := cl.StartImport(ctx, client.ImportRequest{Shop: shop, Mode: "all"})
		if client.StatusOf(err) == http.StatusConflict {
			select {
			case <-ctx.Done():
				return client.ImportRun{}, ctx.Err()
			case <-time.After(200 * time.Millisecond):
				continue
			}
		}
		if err != nil {
			return client.ImportRun{}, err
		}
		return cl.WaitImport(ctx, run.RunID, 200*time.Millisecond)
	}
}

func demoAutoUpdate(ctx context.Context, db *sqlx.DB, c shopify.Connection) error {
	_, err := shopify.ConnectionStore{}.Connect(ctx, db, shopify.ConnectParams{
		Shop: c.Shop, AccessToken: c.AccessToken, WebhookSecret: c.WebhookSecret, APIVersion: c.APIVersion,
		BaseURL: c.BaseURL, OutletID: c.OutletID, RegisterID: c.RegisterID, AutoUpdate: true,
	})
	if err != nil {
		return fmt.Errorf("turn auto-update on: %w", err)
	}
	return nil
}
