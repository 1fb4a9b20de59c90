package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/kassa-pos/kassa/internal/pg"
	"github.com/kassa-pos/kassa/inventory"
	"github.com/kassa-pos/kassa/register"
)

// Putting set-up mistakes right: renaming and archiving outlets and registers.

func (c *cli) outletRenameCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rename OLD NEW",
		Short: "Rename an outlet",
		Long: `Rename a live outlet. No other live outlet may have the new name, whatever the case.
Its sales, sessions and reports show the new name from then on.`,
		Example: "  kassa outlet rename 'Gent' 'Gent Centrum'",
		Args:    exactArgs(2, "the outlet's name and its new name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			db, err := c.database(ctx)
			if err != nil {
				return err
			}
			st := inventory.Store{Clock: c.now}
			old, err := st.OutletByName(ctx, db, args[0])
			if err != nil {
				return err
			}
			o, err := st.RenameOutlet(ctx, db, old.ID, args[1])
			if err != nil {
				return err
			}
			if c.jsonOut {
				return c.printJSON(outletJSON(o))
			}
			fmt.Fprintf(c.stdout, "renamed outlet %q to %q\n", old.Name, o.Name)
			return nil
		},
	}
	c.addJSONFlag(cmd)
	return cmd
}

func (c *cli) outletArchiveCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "archive NAME",
		Short: "Archive an outlet that is no longer used",
		Long: `Archive an outlet. It keeps its history (sales, sessions and reports still name it) but
leaves every list, no longer counts when --outlet may be left out, and takes no new
registers, stock or Shopify connections. Archive its registers first, and disconnect a
Shopify shop that imports into it. Its name may then be given to a new outlet.`,
		Example: "  kassa outlet archive 'Gent'",
		Args:    exactArgs(1, "NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			db, err := c.database(ctx)
			if err != nil {
				return err
			}
			st := inventory.Store{Clock: c.now}
			o, err := st.OutletByName(ctx, db, args[0])
			if err != nil {
				return err
			}
			o, err = st.ArchiveOutlet(ctx, db, o.ID)
			if err != nil {
				return err
			}
			if c.jsonOut {
				out := outletJSON(o)
				out["archived_at"] = c.archivedAt(ctx, db, o.ID, *o.ArchivedAt)
				return c.printJSON(out)
			}
			fmt.Fprintf(c.stdout, "archived outlet %q: its history stays, and it no longer appears in lists\n", o.Name)
			return nil
		},
	}
	c.addJSONFlag(cmd)
	return cmd
}

func (c *cli) registerRenameCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rename REGISTER NEW",
		Short: "Rename a register",
		Long: `Rename a live register (NAME, or OUTLET/NAME when two outlets have a register of that
name). No other live register of its outlet may have the new name, whatever the case. Its
sessions and reports show the new name from then on.`,
		Example: "  kassa register rename Front 'Till 1'\n  kassa register rename Gent/Front 'Till 1'",
		Args:    exactArgs(2, "the register and its new name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			db, err := c.database(ctx)
			if err != nil {
				return err
			}
			st := register.Store{Clock: c.now}
			old, err := st.Find(ctx, db, args[0])
			if errors.Is(err, register.ErrNotFound) {
				return fmt.Errorf("there is no register %q: see 'kassa register list'", args[0])
			}
			if err != nil {
				return err
			}
			r, err := st.Rename(ctx, db, old.ID, args[1])
			if err != nil {
				return err
			}
			if c.jsonOut {
				return c.printJSON(map[string]string{"name": r.Name, "outlet": r.OutletName})
			}
			fmt.Fprintf(c.stdout, "renamed register %q of outlet %q to %q\n", old.Name, r.OutletName, r.Name)
			return nil
		},
	}
	c.addJSONFlag(cmd)
	return cmd
}

func (c *cli) registerArchiveCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "archive REGISTER",
		Short: "Archive a register that is no longer used",
		Long: `Archive a register (NAME or OUTLET/NAME). It keeps its sessions, sales and closing
reports, but leaves every list, no longer counts when --register may be left out, and
cannot be opened or linked to a Shopify shop again. Close its open session first, and
connect a Shopify shop that records its payments on it to another register. Its name may
then be given to a new register.`,
		Example: "  kassa register archive Front\n  kassa register archive Gent/Front",
		Args:    exactArgs(1, "REGISTER"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			db, err := c.database(ctx)
			if err != nil {
				return err
			}
			st := register.Store{Clock: c.now}
			r, err := st.Find(ctx, db, args[0])
			if errors.Is(err, register.ErrNotFound) {
				return fmt.Errorf("there is no register %q: see 'kassa register list'", args[0])
			}
			if err != nil {
				return err
			}
			r, err = st.Archive(ctx, db, r.ID)
			if err != nil {
				return err
			}
			if c.jsonOut {
				return c.printJSON(map[string]string{"name": r.Name, "outlet": r.OutletName,
					"archived_at": c.archivedAt(ctx, db, r.OutletID, *r.ArchivedAt)})
			}
			fmt.Fprintf(c.stdout, "archived register %q of outlet %q: its sessions and reports stay, and it no longer appears in lists\n",
				r.Name, r.OutletName)
			return nil
		},
	}
	c.addJSONFlag(cmd)
	return cmd
}

// archivedAt is an archive time as JSON shows it: RFC 3339 in the outlet's zone.
func (c *cli) archivedAt(ctx context.Context, q pg.Queryer, outletID int64, at time.Time) string {
	return at.In(c.outletLoc(ctx, q, outletID)).Format(time.RFC3339)
}
