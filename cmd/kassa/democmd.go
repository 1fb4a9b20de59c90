package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/kassa-pos/kassa/daemon"
	"github.com/kassa-pos/kassa/daemon/client"
	"github.com/kassa-pos/kassa/internal/pg"
	"github.com/kassa-pos/kassa/internal/secret"
	"github.com/kassa-pos/kassa/inventory"
	"github.com/kassa-pos/kassa/migrations"
	"github.com/kassa-pos/kassa/money"
	"github.com/kassa-pos/kassa/register"
	"github.com/kassa-pos/kassa/sync/shopify"
	"github.com/kassa-pos/kassa/sync/shopifysim"
	"github.com/kassa-pos/kassa/sync/shopifysim/shopdata"
	"github.com/kassa-pos/kassa/web"
)

// demoConfig holds the flags of kassa demo.
type demoConfig struct {
	addr     string
	database string
	orders   int
	every    time.Duration
	seed     int64
	program  string // how to run this kassa again, for the printed terminal command
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
keeps placing a new order every few seconds, which arrives by webhook. It prints the
command that opens the register terminal with a cashier's token, and a manager's token for
the routes only a manager may use. Ctrl-C stops it all, with exit status 0.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			cfg.program = terminalProgram(os.Args[0])
			err := c.runDemo(ctx, cfg)
			if ctx.Err() != nil {
				// Ctrl-C (or SIGTERM) is how a demo ends, at any stage: not an error.
				fmt.Fprintln(c.stdout, "demo stopped")
				return nil
			}
			return err
		},
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
		return nil, "", databaseError(c.dbURL(), err)
	}
	u.Path = "/" + name
	db, err := pg.Open(ctx, u.String())
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && pqErr.Code == "3D000" { // invalid_catalog_name: no such database
		admin := *u
		admin.Path = "/postgres"
		adb, aerr := pg.Open(ctx, admin.String())
		if aerr != nil {
			return nil, "", databaseError(admin.String(), aerr)
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
		return nil, "", databaseError(u.String(), err)
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
	// The simulated shop's app is made as a shop makes one today: in the Dev Dashboard,
	// with a Client ID and a client secret; kassa asks it for 24-hour tokens and subscribes
	// the shop's webhooks itself.
	sim, err := shopifysim.NewServer(shopifysim.Options{
		Clock: c.now, Plan: shopifysim.PlanStandard, ClientID: demoClientID, Secret: "shpss_" + randomToken(),
		Generate: &shopdata.GenerateOptions{Seed: cfg.seed, Orders: cfg.orders, Days: 90},
	})
	if err != nil {
		ln.Close()
		return fmt.Errorf("start the simulated shop: %w", err)
	}
	defer sim.Close()
	say("simulated Shopify shop %s at %s with %d orders of the last 90 days", sim.Shop, sim.URL, cfg.orders)

	box, err := c.secrets()
	if err != nil {
		ln.Close()
		return err
	}
	conn, toks, err := demoSetup(ctx, db, sim, c.now, box, base)
	if err != nil {
		ln.Close()
		return err
	}
	say("outlet %q, register %q, connected to %s with the Client ID and secret of a Dev Dashboard app (webhooks at %s)",
		conn.OutletName, conn.RegisterName, conn.Shop, shopify.WebhookAddress(base))

	log := zerolog.New(c.stderr).Level(zerolog.WarnLevel).With().Timestamp().Logger()
	front, err := web.Front(web.Config{Secrets: box, Clock: c.now, Logger: log.With().Str("component", "web").Logger()})
	if err != nil {
		return err
	}
	d, err := daemon.New(db, daemon.Config{Addr: ln.Addr().String(), PublicURL: base}, daemon.Deps{Clock: c.now, Logger: log, Secrets: box, Front: front})
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

	cl := client.New(base, toks.cashier)
	run, err := demoGetAll(ctx, cl, conn.Shop)
	if err == nil {
		// Auto-update (the polls) starts after the first Get all, so that the demo shows
		// that run's figures.
		err = shopify.ConnectionStore{}.SetAutoUpdate(ctx, db, conn.ID, true)
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
	say("  %s terminal --url %s --token %s --register Front", cfg.program, base, toks.cashier)
	say("(a cashier's token, %q: registers, sales, payments, imports, stock, closing reports)", demoCashier)
	say("or open the web register at %s/ and sign in with that token", base)
	say("")
	say("a manager's token, %q, may also read and write the nightly reports, see and disconnect", demoManager)
	say("the Shopify connections, and rename and archive outlets and registers:")
	say("  curl -H 'Authorization: Bearer %s' %s/api/v1/connections", toks.manager, base)
	say("")
	say("a new order arrives every %s by webhook; Ctrl-C stops the demo", cfg.every)

	tick := time.NewTicker(cfg.every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return <-served
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

// The demo's tokens: a cashier's for the terminal, a manager's for the rest.
const (
	demoCashier = "demo-till"
	demoManager = "demo-manager"
)

// demoTokens are the tokens a demo prints.
type demoTokens struct{ cashier, manager string }

// demoClientID is the Client ID of the demo shop's app.
const demoClientID = "kassa-demo-app"

// randomToken is 16 random bytes in hex.
func randomToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// demoSetup makes (or finds again) the demo's outlet, register and fresh tokens, then
// connects the simulated shop with its app's client credentials, as 'kassa shopify
// connect' does (checking the shop first), and subscribes its webhooks at public. Earlier
// demo tokens are revoked: a token cannot be shown twice.
func demoSetup(ctx context.Context, db *sqlx.DB, sim *shopifysim.Server, now func() time.Time, box *secret.Box, public string) (shopify.Connection, demoTokens, error) {
	var conn shopify.Connection
	var toks demoTokens
	var outletID, registerID int64
	err := pg.WithTx(ctx, db, func(tx *sqlx.Tx) error {
		inv := inventory.Store{}
		outlet, err := inv.OutletByName(ctx, tx, "Demo shop")
		if errors.Is(err, inventory.ErrNotFound) || (err == nil && outlet.Archived()) {
			outlet, err = inv.CreateOutlet(ctx, tx, "Demo shop", "Europe/Brussels", "EUR")
		}
		if err != nil {
			return err
		}
		regs := register.Store{Clock: now}
		reg, err := regs.Find(ctx, tx, "Demo shop/Front")
		if errors.Is(err, register.ErrNotFound) || (err == nil && (reg.Archived() || reg.OutletID != outlet.ID)) {
			reg, err = regs.Create(ctx, tx, outlet.ID, "Front")
		}
		if err != nil {
			return err
		}
		outletID, registerID = outlet.ID, reg.ID
		ts := daemon.TokenStore{Clock: now}
		for _, t := range []struct {
			name string
			role daemon.Role
			tok  *string
		}{{demoCashier, daemon.RoleCashier, &toks.cashier}, {demoManager, daemon.RoleManager, &toks.manager}} {
			if _, err := ts.Revoke(ctx, tx, t.name); err != nil && !errors.Is(err, daemon.ErrTokenNotFound) && !errors.Is(err, daemon.ErrTokenRevoked) {
				return err
			}
			if *t.tok, _, err = ts.Create(ctx, tx, t.name, t.role); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return shopify.Connection{}, demoTokens{}, fmt.Errorf("set up the demo shop: %w", err)
	}
	store := shopify.ConnectionStore{Secrets: box}
	opts := shopify.ClientOptions{DB: db, Clock: now}
	conn, _, err = store.CheckAndConnect(ctx, db, shopify.ConnectParams{
		Shop: sim.Shop, Auth: shopify.AuthClientCredentials, ClientID: demoClientID, ClientSecret: sim.Secret, BaseURL: sim.URL,
		OutletID: outletID, RegisterID: registerID, AutoUpdate: false, PublicURL: public,
	}, opts)
	if err != nil {
		return shopify.Connection{}, demoTokens{}, fmt.Errorf("connect the demo shop: %w", err)
	}
	cl, err := store.OpenClient(conn, opts)
	if err != nil {
		return shopify.Connection{}, demoTokens{}, err
	}
	defer cl.Close()
	if _, err := store.SyncWebhooks(ctx, db, cl.Client, conn, public, daemon.WebhookTopics(), now()); err != nil {
		return shopify.Connection{}, demoTokens{}, fmt.Errorf("subscribe the demo shop's webhooks: %w", err)
	}
	return conn, toks, nil
}

// terminalProgram is how to run this kassa again from where it was started, for the
// printed terminal command: as it was invoked (bin/kassa, ./kassa, kassa from the PATH),
// or "go run ./cmd/kassa" when it is a temporary binary of go run or go test, which is
// gone once it ends.
func terminalProgram(argv0 string) string {
	if argv0 == "" || strings.Contains(filepath.ToSlash(argv0), "/go-build") {
		return "go run ./cmd/kassa"
	}
	if strings.ContainsFunc(argv0, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/._-+", r))
	}) {
		return "'" + strings.ReplaceAll(argv0, "'", `'\''`) + "'"
	}
	return argv0
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
