package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/kassa-pos/kassa/daemon"
)

func (c *cli) tokenCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Create, list and revoke the API tokens of the daemon",
		Long: `Every call to the daemon's HTTP API carries a bearer token. A cashier token runs the
register (sessions, payments, sales, imports, stock, closing reports); a manager token may
also read the nightly reports and manage the Shopify connections. Only a token's SHA-256
is stored: the token is printed once, when it is created.`,
		Args: cobra.NoArgs,
	}
	var name, role string
	create := &cobra.Command{
		Use:     "create --name NAME --role cashier|manager",
		Short:   "Create a token and print it (once)",
		Example: "  kassa token create --name front-till --role cashier",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if name == "" || role == "" {
				return usageError("token create needs --name and --role (cashier or manager)")
			}
			r, err := daemon.ParseRole(role)
			if err != nil {
				return fmt.Errorf("--role: %w", err)
			}
			db, err := c.database(cmd.Context())
			if err != nil {
				return err
			}
			token, t, err := daemon.TokenStore{Clock: c.now}.Create(cmd.Context(), db, name, r)
			if err != nil {
				return err
			}
			if c.jsonOut {
				return c.printJSON(map[string]any{"token": token, "name": t.Name, "role": t.Role, "id": t.ID})
			}
			fmt.Fprintf(c.stdout, "token %q (%s), shown only this once:\n%s\n", t.Name, t.Role, token)
			return nil
		},
	}
	create.Flags().StringVar(&name, "name", "", "who or what uses the token, e.g. front-till")
	create.Flags().StringVar(&role, "role", "", "cashier or manager")
	c.addJSONFlag(create)

	var (
		loc *time.Location // the shop's time zone, else UTC
		utc bool
	)
	show := func(t *time.Time) string {
		if t == nil {
			return "-"
		}
		if utc {
			return localTime(*t, loc) + " UTC"
		}
		return localTime(*t, loc)
	}
	list := listCommand(c, &cobra.Command{Use: "list", Short: "List the tokens (never the tokens themselves)"},
		func(ctx context.Context) ([]daemon.Token, error) {
			db, err := c.database(ctx)
			if err != nil {
				return nil, err
			}
			loc, utc = c.shopZone(ctx, db)
			return daemon.TokenStore{}.List(ctx, db)
		},
		table[daemon.Token]{
			header: "ID\tNAME\tROLE\tCREATED\tLAST USED\tREVOKED",
			row: func(t daemon.Token) []any {
				return []any{t.ID, t.Name, t.Role, show(&t.CreatedAt), show(t.LastUsedAt), show(t.RevokedAt)}
			},
		})

	revoke := &cobra.Command{
		Use:     "revoke NAME|ID",
		Short:   "Revoke a token: the daemon refuses it from its next request on",
		Example: "  kassa token revoke front-till",
		Args:    exactArgs(1, "NAME or ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			db, err := c.database(cmd.Context())
			if err != nil {
				return err
			}
			t, err := daemon.TokenStore{Clock: c.now}.Revoke(cmd.Context(), db, args[0])
			if err != nil {
				return err
			}
			if c.jsonOut {
				return c.printJSON(t)
			}
			fmt.Fprintf(c.stdout, "revoked token %q (%s)\n", t.Name, t.Role)
			return nil
		},
	}
	c.addJSONFlag(revoke)
	cmd.AddCommand(create, list, revoke)
	return cmd
}
