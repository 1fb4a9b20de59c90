package main

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/jmoiron/sqlx"
	"github.com/spf13/cobra"

	"github.com/kassa-pos/kassa/internal/pg"
	"github.com/kassa-pos/kassa/migrations"
)

func (c *cli) migrateCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Apply, roll back or show the database schema migrations",
		Long: `The schema is a series of numbered migrations embedded in kassa.
  kassa migrate up       apply every pending migration (a no-op on a current schema)
  kassa migrate down     roll back the latest migration
  kassa migrate status   show each migration and the schema version`,
		Args: cobra.NoArgs,
	}
	up := &cobra.Command{
		Use:   "up",
		Short: "Apply every pending migration (creating the database when it does not exist)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			created, err := pg.EnsureDatabase(cmd.Context(), c.dbURL())
			if err != nil {
				return err
			}
			if created {
				fmt.Fprintln(c.stdout, "created the database")
			}
			db, err := c.openDBUnchecked(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			applied, err := migrations.Up(cmd.Context(), db.DB)
			if err != nil {
				return err
			}
			current, _, err := migrations.Versions(cmd.Context(), db.DB)
			if err != nil {
				return err
			}
			if len(applied) == 0 {
				fmt.Fprintf(c.stdout, "schema is current (version %d)\n", current)
			} else {
				fmt.Fprintf(c.stdout, "applied %d migration(s); schema version %d\n", len(applied), current)
			}
			if current < 12 {
				return nil // before credentials were encrypted (a partial schema)
			}
			sealed, box, err := c.sealPlainCredentials(cmd.Context(), db)
			if err != nil {
				return err
			}
			if sealed > 0 {
				fmt.Fprintf(c.stdout, "encrypted the Shopify credentials of %d connection(s) with the key in %s: back that file up apart from the database\n", sealed, box.Path())
			}
			return nil
		},
	}
	down := &cobra.Command{
		Use:   "down",
		Short: "Roll back the latest migration",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := c.openDBUnchecked(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			v, err := migrations.Down(cmd.Context(), db.DB)
			if err != nil {
				return err
			}
			if v == 0 {
				fmt.Fprintln(c.stdout, "nothing to roll back")
				return nil
			}
			fmt.Fprintf(c.stdout, "rolled back migration %d\n", v)
			return nil
		},
	}
	status := &cobra.Command{
		Use:   "status",
		Short: "Show each migration and the schema version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := c.openDBUnchecked(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			return c.printMigrationStatus(cmd.Context(), db)
		},
	}
	c.addJSONFlag(status)
	cmd.AddCommand(up, down, status)
	return cmd
}

func (c *cli) printMigrationStatus(ctx context.Context, db *sqlx.DB) error {
	list, err := migrations.List(ctx, db.DB)
	if err != nil {
		return err
	}
	current, latest, err := migrations.Versions(ctx, db.DB)
	if err != nil {
		return err
	}
	if c.jsonOut {
		type row struct {
			Version int64  `json:"version"`
			Name    string `json:"name"`
			Applied bool   `json:"applied"`
		}
		rows := make([]row, 0, len(list))
		for _, s := range list {
			rows = append(rows, row{s.Version, s.Name, s.Applied})
		}
		return c.printJSON(map[string]any{"version": current, "latest": latest, "migrations": rows})
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VERSION\tMIGRATION\tSTATE")
	for _, s := range list {
		state := "pending"
		if s.Applied {
			state = "applied"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\n", s.Version, s.Name, state)
	}
	tw.Flush()
	if current == latest {
		fmt.Fprintf(c.stdout, "schema version %d (current)\n", current)
	} else {
		fmt.Fprintf(c.stdout, "schema version %d; kassa knows %d: run 'kassa migrate up'\n", current, latest)
	}
	return nil
}

// checkSchema refuses a database whose schema is not the one this kassa knows.
func checkSchema(ctx context.Context, db *sqlx.DB) error {
	current, latest, err := migrations.Versions(ctx, db.DB)
	if err != nil {
		return err
	}
	switch {
	case current < latest:
		return fmt.Errorf("the database schema is at version %d, kassa needs %d: run 'kassa migrate up'", current, latest)
	case current > latest:
		return fmt.Errorf("the database schema (version %d) is newer than this kassa knows (%d): upgrade kassa", current, latest)
	}
	return nil
}
