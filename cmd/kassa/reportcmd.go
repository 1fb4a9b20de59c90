package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/kassa-pos/kassa/register"
	"github.com/kassa-pos/kassa/sync/shopify"
)

func (c *cli) reportCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "report", Short: "Print closing and nightly reports", Args: cobra.NoArgs}

	var (
		sessionID   int64
		ref, format string
		last        bool
	)
	closing := &cobra.Command{
		Use:   "closing --session ID | [--register R] --last [--format text|json|csv]",
		Short: "Print a register session's closing report again",
		Long: `Print the closing report of a session: by its id, or the last closed session of a register
(--last; --register may be left out when there is one). For a session still open it is the
X-report: the figures so far. Text is laid out for a 48-column receipt printer.`,
		Example: "  kassa report closing --register Till --last\n  kassa report closing --session 12 --format csv",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			format, err := c.reportFormat(format)
			if err != nil {
				return err
			}
			switch {
			case sessionID != 0 && (last || ref != ""):
				return usageError("give either --session or --register with --last, not both")
			case sessionID == 0 && !last:
				return usageError("say which session: --session ID, or --register R --last")
			}
			ctx := cmd.Context()
			db, err := c.database(ctx)
			if err != nil {
				return err
			}
			svc := register.Service{Clock: c.now}
			var r register.ClosingReport
			if sessionID != 0 {
				r, err = svc.ClosingReport(ctx, db, sessionID)
				if errors.Is(err, register.ErrNotFound) {
					return fmt.Errorf("there is no register session %d", sessionID)
				}
			} else {
				reg, rerr := resolveRegister(ctx, db, ref)
				if rerr != nil {
					return rerr
				}
				r, err = svc.LastClosingReport(ctx, db, reg.ID)
				if errors.Is(err, register.ErrNotFound) {
					return fmt.Errorf("register %q has not been closed yet: there is no closing report", reg.Name)
				}
			}
			if err != nil {
				return err
			}
			return writeReport(c.stdout, format, r, c)
		},
	}
	closing.Flags().Int64Var(&sessionID, "session", 0, "the session's id")
	closing.Flags().StringVar(&ref, "register", "", "the register (with --last; may be left out when there is one)")
	closing.Flags().BoolVar(&last, "last", false, "the register's most recently closed session")
	closing.Flags().StringVar(&format, "format", "", "text (for the receipt printer), json or csv")
	c.addJSONFlag(closing)

	var outlet, date, nightlyFormat string
	nightly := &cobra.Command{
		Use:   "nightly [--outlet O] [--date YYYY-MM-DD] [--format text|json|csv]",
		Short: "Generate, store and print an outlet's nightly report for one day",
		Long: `Generate the nightly report of an outlet for one calendar day in the outlet's time zone
(default: today there), store it (replacing one stored before for that day) and print it: the
day's sessions with their closing figures, registers left open, payments per type, sales in
store and from Shopify, shipping fees, stock that went negative, balances awaiting payment with
their age, and Shopify import failures.`,
		Example: "  kassa report nightly --outlet Gent --date 2026-11-24",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			format, err := c.reportFormat(nightlyFormat)
			if err != nil {
				return err
			}
			var day time.Time
			if date != "" {
				if day, err = time.Parse(time.DateOnly, date); err != nil {
					return usageError("--date %q is not a date: write it like 2026-11-24", date)
				}
			}
			ctx := cmd.Context()
			db, err := c.database(ctx)
			if err != nil {
				return err
			}
			o, err := findOutlet(ctx, db, outlet)
			if err != nil {
				return err
			}
			if date == "" {
				loc, err := o.Location()
				if err != nil {
					return err
				}
				day = c.now().In(loc)
			}
			r, err := register.Service{Clock: c.now, ImportLog: shopify.RunLog{}}.GenerateNightly(ctx, db, o.ID, day)
			if err != nil {
				return err
			}
			return writeReport(c.stdout, format, r, c)
		},
	}
	nightly.Flags().StringVar(&outlet, "outlet", "", "the outlet (may be left out when there is one)")
	nightly.Flags().StringVar(&date, "date", "", "the day, e.g. 2026-11-24 (default: today in the outlet's time zone)")
	nightly.Flags().StringVar(&nightlyFormat, "format", "", "text (for the receipt printer), json or csv")
	c.addJSONFlag(nightly)

	cmd.AddCommand(closing, nightly)
	return cmd
}
