package main

import (
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/kassa-pos/kassa/register"
	"github.com/kassa-pos/kassa/sync/shopify"
)

// connectionJSON is a Shopify connection as the command line prints it: never with its
// access token or webhook secret.
type connectionJSON struct {
	Shop             string `json:"shop"`
	Outlet           string `json:"outlet"`
	Register         string `json:"register"`
	APIVersion       string `json:"api_version"`
	BaseURL          string `json:"base_url"`
	ShippingSKU      string `json:"shipping_sku"`
	ImportTestOrders bool   `json:"import_test_orders"`
	ImportPickups    bool   `json:"import_pickups"`
	AutoUpdate       bool   `json:"auto_update"`
	PollInterval     string `json:"poll_interval"`
	Enabled          bool   `json:"enabled"`
	NewestOrderID    int64  `json:"newest_order_id"`
	// OrderAPI is graphql or rest: what imports read orders through.
	OrderAPI   string `json:"order_api"`
	LocationID *int64 `json:"location_id"`
	Location   string `json:"location"`
}

func toConnectionJSON(c shopify.Connection) connectionJSON {
	return connectionJSON{
		Shop: c.Shop, Outlet: c.OutletName, Register: c.RegisterName, APIVersion: c.APIVersion, BaseURL: c.BaseURL,
		ShippingSKU: c.ShippingSKU, ImportTestOrders: c.ImportTestOrders, ImportPickups: c.ImportPickups, AutoUpdate: c.AutoUpdate,
		PollInterval: c.PollInterval.String(), Enabled: c.Enabled, NewestOrderID: c.NewestOrderID, OrderAPI: c.OrderAPI,
		LocationID: c.LocationID, Location: shopify.SafeText(c.LocationName),
	}
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func (c *cli) shopifyCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "shopify", Short: "Link Shopify shops to an outlet and register", Args: cobra.NoArgs}

	var (
		p                          shopify.ConnectParams
		outlet, reg, autoUpdate    string
		pollInterval, apiVersion   string
		tokenFile, secretFile      string
		clientSecretFile, orderAPI string
		pullCatalogue              bool
	)
	connect := &cobra.Command{
		Use:   "connect --shop NAME.myshopify.com --client-id ID --client-secret-file FILE --outlet O --register R [--public-url URL]",
		Short: "Link a Shopify shop (or update its link)",
		Long: `Link a Shopify shop to an outlet and a register: its orders are imported as sales of
that outlet, and what Shopify collected is recorded as payments on that register.

An app made in Shopify's Dev Dashboard (every app made since 2026) connects with its Client
ID (--client-id) and client secret: from --client-secret-file (a trailing newline is
ignored), else KASSA_SHOPIFY_CLIENT_SECRET, else asked on a terminal without showing what
you type. kassa asks Shopify for 24-hour access tokens with them and renews them itself; the
client secret also verifies the shop's webhooks. Before storing anything, connect asks for
a token, reads the shop and the scopes the app was granted, and refuses with one line when
the credentials are wrong, the app is not installed or belongs to another organization,
read_orders is not granted, or the shop's currency is not the outlet's.

--location names the Shopify location whose available stock mirrors the outlet (its name or
id, see 'kassa shopify locations'); the shop's primary location unless told. With
--pull-catalogue, the shop's catalogue and opening stock are pulled right after connecting
(see 'kassa shopify catalogue pull').

With --public-url (the https:// address Shopify reaches 'kassa serve' at), the shop is
subscribed to the webhooks kassa handles at URL/webhooks/shopify; without it kassa polls.

An app made in the Shopify admin before 2026 still connects with its Admin API access token
and webhook secret: --token-file and --secret-file (or KASSA_SHOPIFY_TOKEN and
KASSA_SHOPIFY_SECRET; --token and --secret still work but show the secrets to every user of
the machine).

Credentials are stored encrypted with kassa's secret key (see 'kassa secret --help') and
never printed. Connecting creates the connection's shipping-fee product (SKU
SHOPIFY-SHIPPING for the first shop, SHOPIFY-SHIPPING-<SHOP> for others) and the "Shopify"
payment type. Connecting a shop that was connected before updates its settings and keeps
its import history, so no order is ever imported twice.`,
		Example: "  kassa shopify connect --shop demo.myshopify.com --client-id 3f9c... --client-secret-file secret.txt --outlet Gent --register Front --public-url https://kassa.example.com\n" +
			"  kassa shopify connect --shop demo.myshopify.com --client-id 3f9c... --outlet Gent --register Front   (asks for the secret)\n" +
			"  kassa shopify connect --shop demo.myshopify.com --token-file token.txt --secret-file secret.txt --outlet Gent --register Front   (an app made before 2026)",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if p.Shop == "" || reg == "" {
				return usageError("shopify connect needs --shop and --register (and --outlet when there are several)")
			}
			switch autoUpdate {
			case "on":
				p.AutoUpdate = true
			case "off":
				p.AutoUpdate = false
			default:
				return usageError("--auto-update is on or off, not %q", autoUpdate)
			}
			d, err := time.ParseDuration(pollInterval)
			if err != nil {
				return usageError("--poll-interval %q: write it like 5m or 90s", pollInterval)
			}
			p.PollInterval = d
			p.APIVersion = apiVersion
			switch orderAPI {
			case shopify.OrderAPIGraphQL, shopify.OrderAPIREST:
				p.OrderAPI = orderAPI
			default:
				return usageError("--api is graphql or rest, not %q", orderAPI)
			}
			legacy := cmd.Flags().Changed("token") || cmd.Flags().Changed("token-file") || cmd.Flags().Changed("secret") || cmd.Flags().Changed("secret-file")
			if p.ClientID != "" {
				if legacy {
					return usageError("%v", errBothAppKinds)
				}
				p.Auth = shopify.AuthClientCredentials
				if p.ClientSecret, err = c.credential(cmd, credentialSource{what: "the app's client secret", prompt: "Shopify app client secret (Dev Dashboard, Settings)",
					file: clientSecretFile, fileFlag: "client-secret-file", env: "KASSA_SHOPIFY_CLIENT_SECRET"}); err != nil {
					return err
				}
			} else {
				if cmd.Flags().Changed("client-secret-file") {
					return usageError("--client-secret-file goes with --client-id: give the app's Client ID too")
				}
				if !legacy && c.getenv("KASSA_SHOPIFY_TOKEN") == "" && !(c.stdin != nil && isTerminal(c.stdin) && isTerminal(c.stderr)) {
					return usageError("shopify connect needs the app's Client ID and secret (--client-id ID --client-secret-file FILE), " +
						"or, for an app made in the Shopify admin before 2026, its access token (--token-file FILE or KASSA_SHOPIFY_TOKEN)")
				}
				p.Auth = shopify.AuthLegacyToken
				if p.AccessToken, err = c.credential(cmd, credentialSource{what: "the Admin API access token", prompt: "Shopify Admin API access token",
					file: tokenFile, fileFlag: "token-file", value: p.AccessToken, flag: "token", env: "KASSA_SHOPIFY_TOKEN"}); err != nil {
					return err
				}
				if p.WebhookSecret, err = c.credential(cmd, credentialSource{what: "the webhook secret", prompt: "Shopify webhook signing secret",
					file: secretFile, fileFlag: "secret-file", value: p.WebhookSecret, flag: "secret", env: "KASSA_SHOPIFY_SECRET"}); err != nil {
					return err
				}
			}
			box, err := c.secrets()
			if err != nil {
				return err
			}
			db, err := c.database(ctx)
			if err != nil {
				return err
			}
			o, err := findOutlet(ctx, db, outlet)
			if err != nil {
				return err
			}
			ref := reg
			if !strings.Contains(ref, "/") {
				ref = o.Name + "/" + reg
			}
			r, err := register.Store{}.Find(ctx, db, ref)
			if errors.Is(err, register.ErrNotFound) {
				return fmt.Errorf("outlet %q has no register %q: add it with 'kassa register add'", o.Name, reg)
			}
			if err != nil {
				return err
			}
			p.OutletID, p.RegisterID = o.ID, r.ID
			if err := c.connectShop(ctx, db, box, p); err != nil {
				return err
			}
			if !pullCatalogue {
				return nil
			}
			conn, err := shopify.ConnectionStore{Secrets: box}.Find(ctx, db, p.Shop)
			if err != nil {
				return err
			}
			return c.pullCatalogue(ctx, db, box, conn, false)
		},
	}
	connect.Flags().StringVar(&p.Shop, "shop", "", "the shop's myshopify domain, e.g. demo.myshopify.com")
	connect.Flags().StringVar(&p.Location, "location", "", "the Shopify location that mirrors the outlet's stock: its name or id (default the shop's primary location)")
	connect.Flags().BoolVar(&pullCatalogue, "pull-catalogue", false, "pull the shop's catalogue and opening stock right after connecting")
	connect.Flags().StringVar(&p.ClientID, "client-id", "", "the Client ID of the app made in the Dev Dashboard (its Settings)")
	connect.Flags().StringVar(&clientSecretFile, "client-secret-file", "", "a file holding the app's client secret (default: $KASSA_SHOPIFY_CLIENT_SECRET, else asked on a terminal)")
	connect.Flags().StringVar(&orderAPI, "api", shopify.OrderAPIGraphQL, "how imports read orders: graphql (bulk export for Get all, pages by update time for Get new) or rest (the legacy REST Admin API)")
	connect.Flags().StringVar(&p.PublicURL, "public-url", "", "the https:// address Shopify reaches 'kassa serve' at: the shop's webhooks are subscribed there")
	connect.Flags().StringVar(&tokenFile, "token-file", "", "an app made before 2026: a file holding its Admin API access token (default: $KASSA_SHOPIFY_TOKEN, else asked on a terminal)")
	connect.Flags().StringVar(&secretFile, "secret-file", "", "an app made before 2026: a file holding its webhook signing secret (default: $KASSA_SHOPIFY_SECRET, else asked on a terminal)")
	connect.Flags().StringVar(&p.AccessToken, "token", "", "deprecated, shows in ps: the access token itself (use --token-file)")
	connect.Flags().StringVar(&p.WebhookSecret, "secret", "", "deprecated, shows in ps: the webhook secret itself (use --secret-file)")
	connect.Flags().StringVar(&outlet, "outlet", "", "the outlet the orders are sales of (may be left out when there is one)")
	connect.Flags().StringVar(&reg, "register", "", "the register payments collected by Shopify are recorded on")
	connect.Flags().StringVar(&apiVersion, "api-version", shopify.DefaultAPIVersion, "the Admin API version kassa asks for")
	connect.Flags().StringVar(&p.BaseURL, "base-url", "", "send the shop's API requests here instead (a simulator)")
	connect.Flags().BoolVar(&p.ImportTestOrders, "import-test-orders", false, "import orders Shopify marks as test orders")
	connect.Flags().BoolVar(&p.ImportPickups, "import-pickups", false, "import local-pickup orders too (by default only shipped orders are sales)")
	connect.Flags().StringVar(&autoUpdate, "auto-update", "on", "import new orders automatically in 'kassa serve': on or off")
	connect.Flags().StringVar(&pollInterval, "poll-interval", shopify.DefaultPollInterval.String(), "how often 'kassa serve' polls for new orders")
	c.addJSONFlag(connect)

	list := &cobra.Command{
		Use:   "list",
		Short: "List the linked shops",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := c.database(cmd.Context())
			if err != nil {
				return err
			}
			conns, err := shopify.ConnectionStore{}.List(cmd.Context(), db)
			if err != nil {
				return err
			}
			if c.jsonOut {
				out := make([]connectionJSON, 0, len(conns))
				for _, cn := range conns {
					out = append(out, toConnectionJSON(cn))
				}
				return c.printJSON(out)
			}
			if len(conns) == 0 {
				fmt.Fprintln(c.stdout, "no Shopify shop is linked yet: link one with 'kassa shopify connect'")
				return nil
			}
			tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "SHOP\tOUTLET\tREGISTER\tSTATE\tAUTO-UPDATE")
			for _, cn := range conns {
				state := "connected"
				if !cn.Enabled {
					state = "disconnected"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", cn.Shop, cn.OutletName, cn.RegisterName, state, onOff(cn.AutoUpdate))
			}
			return tw.Flush()
		},
	}
	c.addJSONFlag(list)

	show := &cobra.Command{
		Use:   "show [SHOP]",
		Short: "Show a linked shop's settings (never its token or secret)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			db, err := c.database(cmd.Context())
			if err != nil {
				return err
			}
			shop := ""
			if len(args) == 1 {
				shop = args[0]
			}
			cn, err := shopify.ConnectionStore{}.Find(cmd.Context(), db, shop)
			if err != nil {
				return err
			}
			details, err := toConnectDetails(cmd.Context(), db, cn)
			if err != nil {
				return err
			}
			expiring, err := shopify.RunLog{}.ExpiringFailures(cmd.Context(), db, cn.ID, c.now())
			if err != nil {
				return err
			}
			if expiring == nil {
				expiring = []shopify.ExpiringOrder{}
			}
			if c.jsonOut {
				return c.printJSON(shownConnection{toConnectionJSON(cn), details, expiring})
			}
			tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
			state := "connected"
			if !cn.Enabled {
				state = "disconnected"
			}
			base := cn.BaseURL
			if base == "" {
				base = "https://" + cn.Shop
			}
			loc := time.UTC
			if l, err := time.LoadLocation(cn.OutletTZ); err == nil {
				loc = l
			}
			for _, kv := range append([][2]string{
				{"shop", cn.Shop}, {"state", state}, {"outlet", cn.OutletName}, {"register", cn.RegisterName}, {"location", locationText(cn)},
				{"API version", cn.APIVersion}, {"API address", base},
				{"shipping-fee product", cn.ShippingSKU}, {"import test orders", onOff(cn.ImportTestOrders)},
				{"import pickups", onOff(cn.ImportPickups)},
				{"auto-update", onOff(cn.AutoUpdate)}, {"poll interval", cn.PollInterval.String()},
				{"newest order seen", fmt.Sprint(cn.NewestOrderID)}, {"reads orders through", orderAPIName(cn.OrderAPI)},
			}, connectDetailRows(cn, details, loc, c.now())...) {
				fmt.Fprintf(tw, "%s:\t%s\n", kv[0], kv[1])
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			if len(expiring) > 0 {
				fmt.Fprintf(c.stdout, "\n%d failed orders leave Shopify's 60 days within 7 days: fix them and run 'kassa orders retry-failed'\n", len(expiring))
				for _, e := range expiring {
					fmt.Fprintf(c.stdout, "  %s  %d days old, gone %s: %s\n", safeCell(e.OrderName), e.AgeDays,
						e.LeavesAt.In(loc).Format("2006-01-02 15:04"), safeLine(e.Reason))
				}
			}
			return nil
		},
	}
	c.addJSONFlag(show)

	disconnect := &cobra.Command{
		Use:   "disconnect SHOP",
		Short: "Stop importing a shop's orders (its history is kept)",
		Args:  exactArgs(1, "SHOP"),
		RunE: func(cmd *cobra.Command, args []string) error {
			db, err := c.database(cmd.Context())
			if err != nil {
				return err
			}
			st := shopify.ConnectionStore{}
			cn, err := st.ByShop(cmd.Context(), db, args[0])
			if err != nil {
				return err
			}
			if err := st.Disconnect(cmd.Context(), db, cn.ID); err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "disconnected %s: its orders are no longer imported; 'kassa shopify connect' links it again\n", cn.Shop)
			return nil
		},
	}
	cmd.AddCommand(connect, list, show, disconnect, c.webhooksCommand(), c.reconcileCommand())
	cmd.AddCommand(c.shopifyStockCommands()...)
	return cmd
}

func (c *cli) reconcileCommand() *cobra.Command {
	var shop, from, to string
	var fix bool
	cmd := &cobra.Command{
		Use:   "reconcile [--connection SHOP] [--from DATE --to DATE] [--fix] [--json]",
		Short: "Compare Shopify's orders of a window with kassa, and record what differs with --fix",
		Long: `Compare every order Shopify shows created in the window (by default the last 7 days;
DATE is YYYY-MM-DD in the outlet's time zone, --to included) with kassa: an order the rules
import that is no sale, and for each sale what recording the order as it stands would add
(a refund, a cancellation, an edit, money Shopify collected, what kassa cannot express).
Each difference is listed with its reason; --fix records them by the import's rules.`,
		Example: `  kassa shopify reconcile
  kassa shopify reconcile --from 2026-11-01 --to 2026-11-30 --fix`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			db, err := c.database(ctx)
			if err != nil {
				return err
			}
			conn, err := shopify.ConnectionStore{}.Find(ctx, db, shop)
			if err != nil {
				return err
			}
			loc, err := time.LoadLocation(conn.OutletTZ)
			if err != nil {
				loc = time.UTC
			}
			now := c.now().In(loc)
			opts := shopify.ReconcileOptions{From: now.AddDate(0, 0, -7), To: now, Fix: fix}
			if from != "" {
				d, err := time.ParseInLocation("2006-01-02", from, loc)
				if err != nil {
					return usageError("--from is a date written 2026-11-01")
				}
				opts.From = d
			}
			if to != "" {
				d, err := time.ParseInLocation("2006-01-02", to, loc)
				if err != nil {
					return usageError("--to is a date written 2026-11-30")
				}
				opts.To = d.AddDate(0, 0, 1)
			}
			box, err := c.secrets()
			if err != nil {
				return err
			}
			im := &shopify.Importer{DB: db, Clock: c.now, Secrets: box}
			rec, err := im.Reconcile(ctx, conn.ID, opts)
			if err != nil {
				return err
			}
			if c.jsonOut {
				return c.printJSON(rec)
			}
			fmt.Fprintf(c.stdout, "%s: %d orders created %s to %s, %d differ\n", rec.Shop, rec.Orders,
				rec.From.In(loc).Format("2006-01-02 15:04"), rec.To.In(loc).Format("2006-01-02 15:04"), len(rec.Differences))
			for _, d := range rec.Differences {
				fmt.Fprintf(c.stdout, "%s (%d)\n", safeCell(d.OrderName), d.OrderID)
				for _, w := range d.What {
					fmt.Fprintf(c.stdout, "  %s\n", safeLine(w))
				}
			}
			if rec.Fixed != nil {
				o := rec.Fixed.Outcomes
				fmt.Fprintf(c.stdout, "fixed in import run %d: imported %d, updated %d, needs review %d, failed %d\n",
					rec.Fixed.RunID, o.Imported, o.Updated, o.NeedsReview, o.Failed)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&shop, "connection", "", "the shop (may be left out when one is linked)")
	cmd.Flags().StringVar(&from, "from", "", "the first day of orders to compare (default: 7 days ago)")
	cmd.Flags().StringVar(&to, "to", "", "the last day of orders to compare (default: today)")
	cmd.Flags().BoolVar(&fix, "fix", false, "record what differs")
	c.addJSONFlag(cmd)
	return cmd
}

// orderAPIName says which API a connection's imports read orders through.
func orderAPIName(api string) string {
	if api == shopify.OrderAPIREST {
		return "REST Admin API (legacy)"
	}
	return "GraphQL Admin API"
}
