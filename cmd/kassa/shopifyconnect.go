package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/spf13/cobra"

	"github.com/kassa-pos/kassa/daemon"
	"github.com/kassa-pos/kassa/internal/secret"
	"github.com/kassa-pos/kassa/sync/shopify"
)

// connectDetails are what the command line shows of a connection beyond its settings:
// how it authenticates, its token's expiry, scopes, webhooks, versions and last call.
// Never a secret.
type connectDetails struct {
	Auth             string                 `json:"auth"`
	ClientID         string                 `json:"client_id,omitempty"`
	TokenExpiresAt   *time.Time             `json:"token_expires_at"`
	Scopes           []string               `json:"scopes"`
	PublicURL        string                 `json:"public_url"`
	Webhooks         []shopify.WebhookState `json:"webhooks"`
	ServedAPIVersion string                 `json:"served_api_version"`
	LastCallAt       *time.Time             `json:"last_call_at"`
	Warnings         []string               `json:"warnings,omitempty"`
}

// shownConnection is a connection as 'shopify connect --json' and 'shopify show --json'
// print it.
type shownConnection struct {
	connectionJSON
	connectDetails
	// Expiring are the orders that failed to import and leave Shopify's 60-day window
	// within 7 days.
	Expiring []shopify.ExpiringOrder `json:"failed_orders_leaving_soon"`
}

func toConnectDetails(ctx context.Context, q sqlx.QueryerContext, c shopify.Connection) (connectDetails, error) {
	d := connectDetails{
		Auth: c.Auth, ClientID: c.ClientID, TokenExpiresAt: c.TokenExpiresAt, Scopes: append([]string{}, c.Scopes...),
		PublicURL: c.PublicURL, ServedAPIVersion: c.ServedAPIVersion, LastCallAt: c.LastCallAt, Webhooks: []shopify.WebhookState{},
	}
	if c.Auth != shopify.AuthClientCredentials {
		d.TokenExpiresAt = nil
	}
	hooks, err := shopify.ConnectionStore{}.RecordedWebhooks(ctx, q, c.ID)
	if err != nil {
		return d, err
	}
	d.Webhooks = append(d.Webhooks, hooks...)
	return d, nil
}

// authText says how a connection authenticates, for people.
func authText(auth string) string {
	if auth == shopify.AuthClientCredentials {
		return "Dev Dashboard app (Client ID and secret, 24-hour tokens renewed automatically)"
	}
	return "legacy custom app (static access token made in the Shopify admin before 2026)"
}

// connectShop connects a shop, after checking its credentials with Shopify (see
// shopify.CheckAndConnect), and subscribes its webhooks when a public URL is given.
func (c *cli) connectShop(ctx context.Context, db *sqlx.DB, box *secret.Box, p shopify.ConnectParams) error {
	store := shopify.ConnectionStore{Secrets: box}
	opts := shopify.ClientOptions{DB: db, Clock: c.now}
	conn, checked, err := store.CheckAndConnect(ctx, db, p, opts)
	if err != nil {
		return err
	}
	var hooks []shopify.WebhookState
	var hookErr error
	if conn.PublicURL != "" {
		hooks, hookErr = c.subscribeWebhooks(ctx, db, store, conn, opts)
	}
	warnings := append([]string{}, checked.Warnings...)
	if hookErr != nil {
		warnings = append(warnings, fmt.Sprintf("the webhooks could not all be subscribed (%s): 'kassa serve' tries again at start and every 15 minutes, and polls the shop meanwhile",
			shopify.SafeText(hookErr.Error())))
	}
	for _, w := range warnings {
		fmt.Fprintf(c.stderr, "kassa: warning: %s\n", w)
	}
	if conn, err = store.ByID(ctx, db, conn.ID); err != nil {
		return err
	}
	if c.jsonOut {
		d, err := toConnectDetails(ctx, db, conn)
		if err != nil {
			return err
		}
		d.Warnings = warnings
		return c.printJSON(shownConnection{toConnectionJSON(conn), d, []shopify.ExpiringOrder{}})
	}
	loc := time.UTC
	if l, err := time.LoadLocation(conn.OutletTZ); err == nil {
		loc = l
	}
	out := c.stdout
	fmt.Fprintf(out, "connected %s (%s, %s plan) to outlet %q, register %q (shipping-fee product %s)\n",
		conn.Shop, shopify.SafeText(checked.Shop.Name), shopify.SafeText(checked.Shop.Plan), conn.OutletName, conn.RegisterName, conn.ShippingSKU)
	fmt.Fprintf(out, "authentication: %s\n", authText(conn.Auth))
	if conn.TokenExpiresAt != nil && conn.Auth == shopify.AuthClientCredentials {
		fmt.Fprintf(out, "access token:   valid until %s (%s), then renewed\n", localTime(*conn.TokenExpiresAt, loc), loc)
	}
	fmt.Fprintf(out, "granted scopes: %s\n", shopify.SafeText(strings.Join(conn.Scopes, ", ")))
	fmt.Fprintf(out, "location:       %s mirrors the outlet's stock\n", locationText(conn))
	switch {
	case conn.PublicURL == "":
		fmt.Fprintf(out, "webhooks:       none: without --public-url 'kassa serve' polls the shop every %s for new orders\n", conn.PollInterval)
	case hookErr == nil:
		fmt.Fprintf(out, "webhooks:       %d topics subscribed at %s\n", len(hooks), shopify.WebhookAddress(conn.PublicURL))
	}
	fmt.Fprintf(out, "its credentials are stored encrypted with the key in %s: back that file up apart from the database\n", box.Path())
	if conn.LocationID != nil {
		fmt.Fprintln(out, "take its catalogue and opening stock with: kassa shopify catalogue pull (before the first import)")
	}
	fmt.Fprintln(out, "import its orders with: kassa orders get-all")
	return nil
}

// subscribeWebhooks subscribes a connection to the daemon's webhook topics at its public
// URL and returns what it left.
func (c *cli) subscribeWebhooks(ctx context.Context, db *sqlx.DB, store shopify.ConnectionStore, conn shopify.Connection, opts shopify.ClientOptions) ([]shopify.WebhookState, error) {
	cl, err := store.OpenClient(conn, opts)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	return store.SyncWebhooks(ctx, db, cl.Client, conn, conn.PublicURL, daemon.WebhookTopics(), c.now())
}

// connectDetailRows are the lines 'kassa shopify show' adds for how a connection
// authenticates and talks to Shopify.
func connectDetailRows(cn shopify.Connection, d connectDetails, loc *time.Location, now time.Time) [][2]string {
	rows := [][2]string{{"authentication", authText(cn.Auth)}}
	if cn.Auth != shopify.AuthClientCredentials {
		rows = append(rows, [2]string{"access token", "(stored encrypted)"}, [2]string{"webhook secret", "(stored encrypted)"})
	}
	if cn.Auth == shopify.AuthClientCredentials {
		rows = append(rows, [2]string{"client ID", shopify.SafeText(cn.ClientID)}, [2]string{"client secret", "(stored encrypted; it also verifies webhooks)"})
		switch {
		case d.TokenExpiresAt == nil:
			rows = append(rows, [2]string{"access token", "none yet: requested at the next call"})
		case d.TokenExpiresAt.After(now):
			rows = append(rows, [2]string{"access token", fmt.Sprintf("valid until %s, then renewed", localTime(*d.TokenExpiresAt, loc))})
		default:
			rows = append(rows, [2]string{"access token", fmt.Sprintf("expired %s: renewed at the next call", localTime(*d.TokenExpiresAt, loc))})
		}
	}
	scopes := "(not known: connect again to record them)"
	if len(d.Scopes) > 0 {
		scopes = shopify.SafeText(strings.Join(d.Scopes, ", "))
	}
	rows = append(rows, [2]string{"granted scopes", scopes})
	served := d.ServedAPIVersion
	switch {
	case served == "":
		served = "(no answer yet)"
	case served != cn.APIVersion:
		served += fmt.Sprintf(" — not %s: Shopify no longer serves the version kassa asks for; upgrade kassa", cn.APIVersion)
	}
	rows = append(rows, [2]string{"answered in API version", served})
	if d.PublicURL == "" {
		rows = append(rows, [2]string{"webhooks", fmt.Sprintf("none (no public URL): the daemon polls every %s", cn.PollInterval)})
	} else {
		var topics []string
		for _, h := range d.Webhooks {
			topics = append(topics, h.Topic)
		}
		list := "none recorded yet: 'kassa shopify webhooks' asks Shopify"
		if len(topics) > 0 {
			list = strings.Join(topics, ", ")
		}
		rows = append(rows, [2]string{"webhooks", "at " + shopify.WebhookAddress(d.PublicURL) + ": " + list})
	}
	last := "never"
	if d.LastCallAt != nil {
		last = localTime(*d.LastCallAt, loc)
	}
	rows = append(rows, [2]string{"last successful call", last})
	return rows
}

// webhooksCommand is 'kassa shopify webhooks': the shop's subscriptions as Shopify has
// them, compared with the topics kassa handles.
func (c *cli) webhooksCommand() *cobra.Command {
	var shop string
	cmd := &cobra.Command{
		Use:   "webhooks [--connection SHOP]",
		Short: "List a linked shop's webhook subscriptions as Shopify has them",
		Long: `List the webhook subscriptions of a linked shop, asked of Shopify, against the topics
kassa handles at the connection's public URL: subscribed, missing, or at another address.
'kassa serve' creates the missing ones at start and every 15 minutes (Shopify deletes a
subscription after eight failed deliveries); without a public URL kassa polls instead.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			box, err := c.secrets()
			if err != nil {
				return err
			}
			db, err := c.database(ctx)
			if err != nil {
				return err
			}
			store := shopify.ConnectionStore{Secrets: box}
			conn, err := store.Find(ctx, db, shop)
			if err != nil {
				return err
			}
			cl, err := store.OpenClient(conn, shopify.ClientOptions{DB: db, Clock: c.now})
			if err != nil {
				return err
			}
			defer cl.Close()
			subs, err := cl.WebhookSubscriptions(ctx)
			if err != nil {
				return err
			}
			var states []shopify.WebhookState
			if conn.PublicURL != "" {
				states = shopify.WebhookStates(subs, conn.PublicURL, daemon.WebhookTopics())
			} else {
				states = shopify.WebhookStates(subs, "", nil)
			}
			if c.jsonOut {
				if states == nil {
					states = []shopify.WebhookState{}
				}
				return c.printJSON(struct {
					Shop          string                 `json:"shop"`
					PublicURL     string                 `json:"public_url"`
					Subscriptions []shopify.WebhookState `json:"subscriptions"`
				}{conn.Shop, conn.PublicURL, states})
			}
			if conn.PublicURL == "" {
				fmt.Fprintf(c.stdout, "%s has no public URL: kassa polls it every %s; connect it with --public-url (or run 'kassa serve --public-url') to receive webhooks\n",
					conn.Shop, conn.PollInterval)
			}
			if len(states) == 0 {
				return nil
			}
			tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "TOPIC\tSTATE\tADDRESS\tAPI VERSION")
			for _, s := range states {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.Topic, strings.ReplaceAll(s.State, "_", " "), shopify.SafeText(s.Address), shopify.SafeText(s.APIVersion))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&shop, "connection", "", "the shop (needed when several are linked)")
	c.addJSONFlag(cmd)
	return cmd
}

// errBothAppKinds refuses a connect given both kinds of credentials.
var errBothAppKinds = errors.New("give --client-id (an app made in the Dev Dashboard) or --token-file (an app made in the Shopify admin before 2026), not both")
