package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"

	"github.com/kassa-pos/kassa/internal/pg"
	"github.com/kassa-pos/kassa/sync/shopify"
)

func (c *cli) ordersCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "orders", Short: "Import Shopify orders as sales", Args: cobra.NoArgs}
	type spec struct {
		use, short, long string
		mode             shopify.Mode
	}
	for _, s := range []spec{
		{"get-all", "Get all Shopify orders (the last 60 days)", `Get every order Shopify shows for the last 60 days and import those not yet imported.
Recommended for the first import of a shop. Running it again imports nothing twice.`, shopify.ModeAll},
		{"get-new", "Get new Shopify orders", `Get only the orders newer than the newest order any import of the shop has seen.`, shopify.ModeNew},
		{"retry-failed", "Import again the orders whose last import failed", `Fetch again every order whose latest outcome is "failed" and import it.`, shopify.ModeRetry},
	} {
		var shop string
		var wait bool
		sub := &cobra.Command{
			Use:   s.use + " [--connection SHOP] [--wait] [--json]",
			Short: s.short,
			Long: s.long + `

Each order ends in one outcome: imported, already_imported, too_old, no_shipping_method,
test_order, cancelled or failed (with the reason; see 'kassa imports show RUN'). Only one
import per shop runs at a time; --wait waits for a running one instead of giving up.
--connection may be left out when one shop is linked.`,
			Args: cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				return c.importOrders(cmd.Context(), shop, s.mode, wait)
			},
		}
		sub.Flags().StringVar(&shop, "connection", "", "the shop to import from (may be left out when one is linked)")
		sub.Flags().BoolVar(&wait, "wait", false, "wait for an import already running for the shop")
		c.addJSONFlag(sub)
		cmd.AddCommand(sub)
	}
	return cmd
}

func (c *cli) importOrders(ctx context.Context, shop string, mode shopify.Mode, wait bool) error {
	db, err := c.database(ctx)
	if err != nil {
		return err
	}
	conn, err := shopify.ConnectionStore{}.Find(ctx, db, shop)
	if err != nil {
		return err
	}
	box, err := c.secrets()
	if err != nil {
		return err
	}
	im := &shopify.Importer{DB: db, Clock: c.now, Secrets: box}
	bar := newProgressBar(c.stderr)
	sum, err := im.Run(ctx, conn.ID, shopify.RunOptions{Mode: mode, Trigger: shopify.TriggerCLI, Wait: wait, Progress: bar.update})
	bar.done()
	if sum.RunID == 0 {
		return err
	}
	if c.jsonOut {
		if perr := c.printJSON(sum); perr != nil && err == nil {
			err = perr
		}
		return err
	}
	c.printSummary(ctx, db, sum)
	return err
}

func (c *cli) printSummary(ctx context.Context, db pg.Queryer, sum shopify.Summary) {
	fmt.Fprintf(c.stdout, "import run %d (%s) of %s: %d orders seen\n", sum.RunID, sum.Mode, sum.Shop, sum.Seen)
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	o := sum.Outcomes
	for _, kv := range []struct {
		n    int
		name string
	}{{o.Imported, "imported"}, {o.AlreadyImported, "already imported"}, {o.TooOld, "too old (over 60 days)"},
		{o.NoShippingMethod, "no shipping method"}, {o.TestOrder, "test orders"}, {o.Cancelled, "cancelled"}, {o.Failed, "failed"},
		{o.Updated, "updated (changed in Shopify, recorded)"}, {o.NeedsReview, "needs review (changed in Shopify)"}} {
		fmt.Fprintf(tw, "  %d\t %s\n", kv.n, kv.name)
	}
	tw.Flush()
	if o.Failed == 0 {
		return
	}
	failed, err := shopify.RunLog{}.Outcomes(ctx, db, sum.RunID, shopify.Failed)
	if err != nil {
		return
	}
	for i, f := range failed {
		if i == 10 {
			fmt.Fprintf(c.stdout, "  ... and %d more\n", len(failed)-10)
			break
		}
		fmt.Fprintf(c.stdout, "  failed %s (%d): %s\n", safeLine(f.OrderName), f.OrderID, safeLine(f.Reason))
	}
	fmt.Fprintf(c.stdout, "see 'kassa imports show %d'; 'kassa orders retry-failed' tries them again\n", sum.RunID)
}

// progressBar draws a run's progress on a terminal's stderr; it draws nothing when stderr
// is not a terminal (a script, a log file).
type progressBar struct {
	w     io.Writer
	on    bool
	drawn bool
	start time.Time
}

func newProgressBar(w io.Writer) *progressBar {
	f, ok := w.(*os.File)
	return &progressBar{w: w, on: ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())), start: time.Now()}
}

func (b *progressBar) update(p shopify.Progress) {
	if !b.on {
		return
	}
	const width = 30
	if p.Preparing {
		fmt.Fprintf(b.w, "\r%s: Shopify is preparing the export: %d objects\x1b[K", p.Shop, p.ExportObjects)
		b.drawn = true
		return
	}
	line := fmt.Sprintf("%s: %d orders", p.Shop, p.Seen)
	if p.Total > 0 {
		done := min(width, p.Seen*width/max(p.Total, 1))
		line = fmt.Sprintf("%s [%s%s] %d/%d orders", p.Shop, strings.Repeat("=", done), strings.Repeat(" ", width-done), p.Seen, p.Total)
	}
	line += fmt.Sprintf(", %d imported, %d failed", p.Outcomes.Imported, p.Outcomes.Failed)
	fmt.Fprintf(b.w, "\r%s\x1b[K", line)
	b.drawn = true
}

func (b *progressBar) done() {
	if b.drawn {
		fmt.Fprintln(b.w)
	}
}

func (c *cli) importsCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "imports", Short: "Read the Shopify import log", Args: cobra.NoArgs}
	var shop string
	var limit int
	var zones map[int64]*time.Location // each connection's outlet's time zone
	list := listCommand(c, &cobra.Command{
		Use:   "list [--connection SHOP] [--limit N]",
		Short: "List the latest import runs, newest first (times in the outlet's time zone)",
	},
		func(ctx context.Context) ([]shopify.RunRecord, error) {
			if limit < 1 || limit > 500 {
				return nil, usageError("--limit is how many runs to list, from 1 to 500, not %d", limit)
			}
			db, err := c.database(ctx)
			if err != nil {
				return nil, err
			}
			var connID int64
			if shop != "" {
				cn, err := shopify.ConnectionStore{}.ByShop(ctx, db, shop)
				if err != nil {
					return nil, err
				}
				connID = cn.ID
			}
			zones = connectionZones(ctx, db)
			return shopify.RunLog{}.Runs(ctx, db, connID, limit)
		},
		table[shopify.RunRecord]{
			json:   func(r shopify.RunRecord) any { return toRunJSON(r) },
			header: "RUN\tSHOP\tMODE\tBY\tSTATUS\tSTARTED\tSEEN\tIMPORTED\tFAILED",
			row: func(r shopify.RunRecord) []any {
				return []any{r.ID, r.Shop, r.Mode, r.Trigger, r.Status,
					localTime(r.StartedAt, zoneOf(zones, r.Connection)), r.Seen, r.Imported, r.Failed}
			},
			none: "no import has run yet: start one with 'kassa orders get-all'",
		})
	list.Flags().StringVar(&shop, "connection", "", "only the runs of this shop")
	list.Flags().IntVar(&limit, "limit", 20, "how many runs to list (1-500)")

	var all bool
	show := &cobra.Command{
		Use:   "show RUN [--all]",
		Short: "Show an import run: its counts and the orders that were not imported, with reasons",
		Args:  exactArgs(1, "RUN"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			id, err := strconv.ParseInt(strings.TrimPrefix(args[0], "#"), 10, 64)
			if err != nil || id <= 0 {
				return usageError("RUN is an import run number, e.g. 7 (see 'kassa imports list')")
			}
			db, err := c.database(ctx)
			if err != nil {
				return err
			}
			log := shopify.RunLog{}
			r, err := log.Run(ctx, db, id)
			if err != nil {
				return err
			}
			outs, err := log.Outcomes(ctx, db, id, "")
			if err != nil {
				return err
			}
			if c.jsonOut {
				out := struct {
					runJSON
					Orders []outcomeJSON `json:"orders"`
				}{runJSON: toRunJSON(r), Orders: make([]outcomeJSON, 0, len(outs))}
				for _, o := range outs {
					oj := outcomeJSON{OrderID: o.OrderID, Name: o.OrderName, Outcome: string(o.Outcome), Reason: o.Reason}
					if o.ReceiptNumber != nil {
						oj.Receipt = *o.ReceiptNumber
					}
					out.Orders = append(out.Orders, oj)
				}
				return c.printJSON(out)
			}
			fmt.Fprintf(c.stdout, "import run %d of %s: %s, %s (by %s)\n", r.ID, r.Shop, r.Mode, r.Status, r.Trigger)
			loc := zoneOf(connectionZones(ctx, db), r.Connection)
			fmt.Fprintf(c.stdout, "started %s", localTime(r.StartedAt, loc))
			if r.FinishedAt != nil {
				fmt.Fprintf(c.stdout, ", finished %s", localTime(*r.FinishedAt, loc))
			}
			fmt.Fprintln(c.stdout)
			if r.Error != "" {
				fmt.Fprintf(c.stdout, "error: %s\n", r.Error)
			}
			fmt.Fprintf(c.stdout, "seen %d: imported %d, already imported %d, too old %d, no shipping method %d, test %d, cancelled %d, failed %d, updated %d, needs review %d\n",
				r.Seen, r.Imported, r.AlreadyImported, r.TooOld, r.NoShippingMethod, r.TestOrder, r.Cancelled, r.Failed, r.Updated, r.NeedsReview)
			tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
			header := false
			for _, o := range outs {
				if !all && (o.Outcome == shopify.Imported || o.Outcome == shopify.AlreadyImported) {
					continue
				}
				if !header {
					fmt.Fprintln(tw, "ORDER\tID\tOUTCOME\tREASON")
					header = true
				}
				fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", safeCell(o.OrderName), o.OrderID, o.Outcome, safeLine(o.Reason))
			}
			return tw.Flush()
		},
	}
	show.Flags().BoolVar(&all, "all", false, "list imported orders too")
	c.addJSONFlag(show)

	var orderShop string
	order := &cobra.Command{
		Use:   "order ORDER [--connection SHOP]",
		Short: "Print an order's JSON as Shopify sent it, from the import log",
		Long: `Print the JSON of a Shopify order exactly as Shopify sent it, as the latest import run that
kept it logged it (every run keeps the JSON of the orders it did not find imported already).
ORDER is the order's name (#1042) or its Shopify id (5900000054204).`,
		Example: `  kassa imports order '#1042'
  kassa imports order 5900000054204 | jq .line_items`,
		Args: exactArgs(1, "ORDER"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			var id int64
			name := strings.TrimSpace(args[0])
			if n, err := strconv.ParseInt(name, 10, 64); err == nil && n > 0 {
				id, name = n, ""
			} else if name == "" || strings.HasPrefix(name, "-") {
				return usageError("ORDER is an order name such as #1042 or a Shopify order id")
			}
			db, err := c.database(ctx)
			if err != nil {
				return err
			}
			conn, err := shopify.ConnectionStore{}.Find(ctx, db, orderShop)
			if err != nil {
				return err
			}
			raw, err := shopify.RunLog{}.LatestOrderJSON(ctx, db, conn.ID, id, name)
			if id != 0 && errors.Is(err, shopify.ErrNotFound) {
				// 1042 may be the name #1042 typed without its #.
				raw, err = shopify.RunLog{}.LatestOrderJSON(ctx, db, conn.ID, 0, "#"+strconv.FormatInt(id, 10))
			}
			if err != nil {
				return err
			}
			if _, err := c.stdout.Write(raw); err != nil {
				return err
			}
			if len(raw) > 0 && raw[len(raw)-1] != '\n' {
				_, err = fmt.Fprintln(c.stdout)
			}
			return err
		},
	}
	order.Flags().StringVar(&orderShop, "connection", "", "the shop of the order (may be left out when one is linked)")
	cmd.AddCommand(list, show, order)
	return cmd
}

// runJSON is an import run as "kassa imports list --json" prints it.
type runJSON struct {
	RunID      int64          `json:"run_id"`
	Shop       string         `json:"shop"`
	Mode       string         `json:"mode"`
	Trigger    string         `json:"trigger"`
	Status     string         `json:"status"`
	StartedAt  string         `json:"started_at"`
	FinishedAt *string        `json:"finished_at"`
	Total      int            `json:"total"`
	Seen       int            `json:"seen"`
	Outcomes   shopify.Counts `json:"outcomes"`
	Error      string         `json:"error,omitempty"`
}

func toRunJSON(r shopify.RunRecord) runJSON {
	out := runJSON{
		RunID: r.ID, Shop: r.Shop, Mode: r.Mode, Trigger: r.Trigger, Status: r.Status,
		StartedAt: r.StartedAt.Format(time.RFC3339), Total: r.Total, Seen: r.Seen, Outcomes: r.Counts, Error: r.Error,
	}
	if r.FinishedAt != nil {
		s := r.FinishedAt.Format(time.RFC3339)
		out.FinishedAt = &s
	}
	return out
}

// outcomeJSON is one order of "kassa imports show RUN --json".
type outcomeJSON struct {
	OrderID int64  `json:"order_id"`
	Name    string `json:"name"`
	Outcome string `json:"outcome"`
	Reason  string `json:"reason"`
	Receipt string `json:"receipt_number,omitempty"`
}
