package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/spf13/cobra"

	"github.com/kassa-pos/kassa/internal/secret"
	"github.com/kassa-pos/kassa/inventory"
	"github.com/kassa-pos/kassa/sync/shopify"
)

// openConnection loads the connection a command means (--connection, or the only one)
// with its credentials.
func (c *cli) openConnection(ctx context.Context, shop string) (*sqlx.DB, *secret.Box, shopify.Connection, error) {
	box, err := c.secrets()
	if err != nil {
		return nil, nil, shopify.Connection{}, err
	}
	db, err := c.database(ctx)
	if err != nil {
		return nil, nil, shopify.Connection{}, err
	}
	conn, err := shopify.ConnectionStore{Secrets: box}.Find(ctx, db, shop)
	return db, box, conn, err
}

func locationText(conn shopify.Connection) string {
	if conn.LocationID == nil {
		return "none named"
	}
	return fmt.Sprintf("%q (%d)", shopify.SafeText(conn.LocationName), *conn.LocationID)
}

// shopifyStockCommands are 'kassa shopify locations', 'set' and 'catalogue pull'.
func (c *cli) shopifyStockCommands() []*cobra.Command {
	var shop string
	locations := &cobra.Command{
		Use:   "locations [--connection SHOP]",
		Short: "List the shop's locations, and the one that mirrors the outlet",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			db, box, conn, err := c.openConnection(ctx, shop)
			if err != nil {
				return err
			}
			locs, err := shopify.ConnectionStore{Secrets: box}.Locations(ctx, conn, shopify.ClientOptions{DB: db, Clock: c.now})
			if err != nil {
				return err
			}
			if c.jsonOut {
				type row struct {
					ID      int64  `json:"id"`
					Name    string `json:"name"`
					Address string `json:"address"`
					Active  bool   `json:"active"`
					Primary bool   `json:"primary"`
					Linked  bool   `json:"linked"`
				}
				out := make([]row, 0, len(locs))
				for _, l := range locs {
					out = append(out, row{l.ID, shopify.SafeText(l.Name), shopify.SafeText(l.Address), l.Active, l.Primary, conn.LocationID != nil && *conn.LocationID == l.ID})
				}
				return c.printJSON(out)
			}
			tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tNAME\tADDRESS\t")
			for _, l := range locs {
				var notes string
				if l.Primary {
					notes = "primary"
				}
				if conn.LocationID != nil && *conn.LocationID == l.ID {
					if notes != "" {
						notes += ", "
					}
					notes += fmt.Sprintf("mirrors outlet %q", conn.OutletName)
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", l.ID, safeCell(l.Name), safeCell(l.Address), notes)
			}
			return tw.Flush()
		},
	}
	locations.Flags().StringVar(&shop, "connection", "", "the shop (needed when several are linked)")
	c.addJSONFlag(locations)

	var setShop, location string
	var importPickups bool
	set := &cobra.Command{
		Use:   "set [SHOP] [--connection SHOP] [--location NAME|ID] [--import-pickups[=false]]",
		Short: "Change a linked shop's settings: the location that mirrors its outlet, whether pickups are sales",
		Long: `Change a linked shop's settings.

--location names the Shopify location whose available stock mirrors the connection's
outlet: its name (whatever the case) or its id, as 'kassa shopify locations' lists them.
kassa pushes the outlet's stock there; after a change every linked product is pushed to
the new location.

--import-pickups makes local-pickup orders sales too; --import-pickups=false leaves them
out again (the default: only shipped orders are sales, a pickup is logged as
no_shipping_method "local pickup at ...").`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if !cmd.Flags().Changed("location") && !cmd.Flags().Changed("import-pickups") {
				return usageError("nothing to set: name a setting, e.g. --location NAME|ID (see 'kassa shopify locations') or --import-pickups")
			}
			shop := setShop
			if len(args) == 1 {
				shop = args[0]
			}
			db, box, conn, err := c.openConnection(ctx, shop)
			if err != nil {
				return err
			}
			out := map[string]any{"shop": conn.Shop}
			if cmd.Flags().Changed("import-pickups") {
				if err := (shopify.ConnectionStore{}).SetImportPickups(ctx, db, conn.ID, importPickups); err != nil {
					return err
				}
				out["import_pickups"] = importPickups
				if !c.jsonOut {
					fmt.Fprintf(c.stdout, "%s: import pickups %s\n", conn.Shop, onOff(importPickups))
				}
			}
			if cmd.Flags().Changed("location") {
				loc, err := shopify.ConnectionStore{Secrets: box}.SetLocation(ctx, db, conn, location, shopify.ClientOptions{DB: db, Clock: c.now})
				if err != nil {
					return err
				}
				out["location_id"], out["location"] = loc.ID, shopify.SafeText(loc.Name)
				if !c.jsonOut {
					fmt.Fprintf(c.stdout, "%s: the location %q (%d) mirrors outlet %q\n", conn.Shop, shopify.SafeText(loc.Name), loc.ID, conn.OutletName)
				}
			}
			if c.jsonOut {
				return c.printJSON(out)
			}
			return nil
		},
	}
	set.Flags().StringVar(&setShop, "connection", "", "the shop (needed when several are linked)")
	set.Flags().StringVar(&location, "location", "", "the location's name or id; empty for the shop's primary location")
	set.Flags().BoolVar(&importPickups, "import-pickups", false, "import local-pickup orders too")
	c.addJSONFlag(set)

	catalogue := &cobra.Command{Use: "catalogue", Short: "The shop's catalogue and opening stock", Args: cobra.NoArgs}
	var pullShop string
	var dry bool
	pull := &cobra.Command{
		Use:   "pull [--connection SHOP] [--dry-run]",
		Short: "Link the shop's products and variants to kassa's, and take the opening stock",
		Long: `Read the shop's products and variants with their available stock at the connection's
location, and link each variant to a kassa product: the one kassa remembers for the variant,
else the one with its SKU (whatever the case), else a new published product. A product that
never moved stock at the outlet takes Shopify's available quantity as its opening stock (a
movement "opening stock from Shopify"). From then on every stock movement of a linked
product is pushed to Shopify.

Variants kassa could only guess are named as conflicts and left alone: two variants with
one SKU, or a SKU whose kassa product is linked to another variant. Fix them in Shopify and
pull again: a second pull changes nothing that is linked already. Gift cards are left out.
--dry-run says what the pull would do and writes nothing.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			db, box, conn, err := c.openConnection(ctx, pullShop)
			if err != nil {
				return err
			}
			return c.pullCatalogue(ctx, db, box, conn, dry)
		},
	}
	pull.Flags().StringVar(&pullShop, "connection", "", "the shop (needed when several are linked)")
	pull.Flags().BoolVar(&dry, "dry-run", false, "say what the pull would do, write nothing")
	c.addJSONFlag(pull)
	catalogue.AddCommand(pull)
	return []*cobra.Command{locations, set, catalogue}
}

// pullCatalogue runs a catalogue pull and prints what it did.
func (c *cli) pullCatalogue(ctx context.Context, db *sqlx.DB, box *secret.Box, conn shopify.Connection, dry bool) error {
	res, err := shopify.ConnectionStore{Secrets: box}.PullCatalogue(ctx, db, conn, shopify.ClientOptions{DB: db, Clock: c.now}, dry)
	if err != nil {
		return err
	}
	if c.jsonOut {
		return c.printJSON(res)
	}
	out := c.stdout
	if dry {
		fmt.Fprintln(out, "dry run: nothing was written")
	}
	fmt.Fprintf(out, "catalogue of %s at location %s: %d variants\n", conn.Shop, locationText(conn), res.Variants)
	fmt.Fprintf(out, "created:    %d (published products)\n", res.Created)
	fmt.Fprintf(out, "linked:     %d\n", res.Linked)
	fmt.Fprintf(out, "unchanged:  %d\n", res.Unchanged)
	fmt.Fprintf(out, "conflicts:  %d\n", len(res.Conflicts))
	fmt.Fprintf(out, "opening stock from Shopify: %d products\n", res.OpeningStock)
	if res.Barcodes > 0 {
		fmt.Fprintf(out, "barcodes from Shopify: %d products\n", res.Barcodes)
	}
	if res.Differ > 0 {
		fmt.Fprintf(out, "%d linked products already had stock in kassa that differs from Shopify's: kassa's level is pushed at their next movement, or now with 'kassa stock push --all'\n", res.Differ)
	}
	if res.GiftCards > 0 {
		fmt.Fprintf(out, "gift cards left out: %d\n", res.GiftCards)
	}
	for _, k := range res.Conflicts {
		fmt.Fprintf(out, "conflict: %s\n", k.Reason)
	}
	return nil
}

// stockSyncCommands are 'kassa stock sync status' and 'kassa stock push'.
func (c *cli) stockSyncCommands() []*cobra.Command {
	syncCmd := &cobra.Command{Use: "sync", Short: "How the stock pushed to Shopify stands", Args: cobra.NoArgs}
	var shop string
	status := &cobra.Command{
		Use:   "status [--connection SHOP]",
		Short: "Show the push queue, the oldest change not pushed yet and the last error",
		Args:  cobra.NoArgs,
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
			st, err := inventory.Store{}.PushStatus(ctx, db, shopify.Channel, conn.Shop)
			if err != nil {
				return err
			}
			canPush, why := shopify.CanPush(conn)
			if !conn.Enabled {
				canPush, why = false, "the shop is disconnected"
			}
			if c.jsonOut {
				return c.printJSON(map[string]any{
					"shop": conn.Shop, "outlet": conn.OutletName, "location_id": conn.LocationID, "location": shopify.SafeText(conn.LocationName),
					"can_push": canPush, "cannot_push": why, "linked": st.Linked, "queued": st.Queued, "failing": st.Failing,
					"oldest_unpushed": st.Oldest, "last_push_at": st.LastPushAt, "pushed": st.Pushed,
					"last_error": st.LastError, "last_error_at": st.LastErrorAt,
					"last_check_at": st.LastCheckAt, "last_check_corrections": st.LastCorrections,
				})
			}
			loc := time.UTC
			if l, err := time.LoadLocation(conn.OutletTZ); err == nil {
				loc = l
			}
			when := func(t *time.Time) string {
				if t == nil {
					return "never"
				}
				return localTime(*t, loc)
			}
			tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
			push := "on: every stock movement of a linked product goes to Shopify's available quantity"
			if !canPush {
				push = "off: " + why
			}
			queue := "empty"
			if st.Queued > 0 {
				queue = fmt.Sprintf("%d products waiting, the oldest change since %s (%s ago)", st.Queued, when(st.Oldest), c.now().Sub(*st.Oldest).Round(time.Second))
				if st.Failing > 0 {
					queue += fmt.Sprintf(", %d of them after a failed push", st.Failing)
				}
			}
			lastErr := "none"
			if st.LastError != "" {
				lastErr = fmt.Sprintf("%s: %s", when(st.LastErrorAt), st.LastError)
			}
			check := "never"
			if st.LastCheckAt != nil {
				check = fmt.Sprintf("%s, %d corrected", when(st.LastCheckAt), st.LastCorrections)
			}
			for _, kv := range [][2]string{
				{"shop", conn.Shop}, {"outlet", conn.OutletName}, {"location", locationText(conn)}, {"push", push},
				{"linked products", strconv.Itoa(st.Linked)}, {"queue", queue},
				{"last push", fmt.Sprintf("%s (%d set so far)", when(st.LastPushAt), st.Pushed)},
				{"last error", lastErr}, {"drift check", check},
			} {
				fmt.Fprintf(tw, "%s:\t%s\n", kv[0], kv[1])
			}
			return tw.Flush()
		},
	}
	status.Flags().StringVar(&shop, "connection", "", "the shop (needed when several are linked)")
	c.addJSONFlag(status)
	syncCmd.AddCommand(status)

	var pushShop string
	var all bool
	push := &cobra.Command{
		Use:   "push --all [--connection SHOP]",
		Short: "Push every linked product's level to Shopify now",
		Long: `Queue every linked product of the shop and push the queue now: Shopify's available
quantity at the connection's location is set to kassa's level where it differs. A running
'kassa serve' pushes along; each product is pushed once.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !all {
				return usageError("stock push needs --all")
			}
			ctx := cmd.Context()
			db, box, conn, err := c.openConnection(ctx, pushShop)
			if err != nil {
				return err
			}
			if ok, why := shopify.CanPush(conn); !ok {
				return errors.New(why)
			}
			n, err := shopify.PushAll(ctx, db, conn)
			if err != nil {
				return err
			}
			store := shopify.ConnectionStore{Secrets: box}
			counts := &pushTally{}
			p := &shopify.Pusher{DB: db, Store: store, Opts: shopify.ClientOptions{DB: db, Clock: c.now}, Claimer: "kassa stock push", Observer: counts}
			cl, err := store.OpenClient(conn, p.Opts)
			if err != nil {
				return err
			}
			defer cl.Close()
			var lastErr error
			for {
				handled, err := p.PushOnce(ctx, cl.Client, conn)
				if err != nil {
					lastErr = err
				}
				if handled == 0 || err != nil {
					break
				}
			}
			if c.jsonOut {
				return c.printJSON(map[string]any{"shop": conn.Shop, "queued": n, "pushed": counts.pushed, "set": counts.set, "error": errText(lastErr)})
			}
			fmt.Fprintf(c.stdout, "%s: %d linked products pushed, %d set in Shopify, %d were right already\n", conn.Shop, counts.pushed, counts.set, counts.pushed-counts.set)
			if lastErr != nil {
				return fmt.Errorf("the push stopped: %w (the rest stays queued; see 'kassa stock sync status')", lastErr)
			}
			return nil
		},
	}
	push.Flags().BoolVar(&all, "all", false, "push every linked product")
	push.Flags().StringVar(&pushShop, "connection", "", "the shop (needed when several are linked)")
	c.addJSONFlag(push)
	return []*cobra.Command{syncCmd, push}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// pushTally counts what a command-line push did.
type pushTally struct{ pushed, set int }

func (p *pushTally) ObservePushed(_ string, lat []time.Duration, set int) {
	p.pushed += len(lat)
	p.set += set
}
func (p *pushTally) ObservePushError(string)        {}
func (p *pushTally) ObserveStale(string)            {}
func (p *pushTally) ObserveCorrections(string, int) {}
