package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kassa-pos/kassa/internal/pg"
	"github.com/kassa-pos/kassa/inventory"
	"github.com/kassa-pos/kassa/money"
	"github.com/kassa-pos/kassa/register"
	"github.com/kassa-pos/kassa/sales"
)

// registerSessionCommands are the register's day: open, status (the X-report) and close.
func (c *cli) registerSessionCommands() []*cobra.Command {
	return []*cobra.Command{c.registerOpenCommand(), c.registerStatusCommand(), c.registerCloseCommand(),
		c.registerCashCommand(register.CashIn), c.registerCashCommand(register.CashOut)}
}

func (c *cli) registerOpenCommand() *cobra.Command {
	var ref, float, by string
	cmd := &cobra.Command{
		Use:   "open --float AMOUNT [--register R] [--by NAME]",
		Short: "Open a register session with the cash float in the drawer",
		Long: `Open a session on a register, recording the opening float (the cash in the drawer) and who
opened it. A register has at most one open session; payments are taken in it until it is closed.
--register may be left out when there is only one register; --by defaults to $USER.`,
		Example: "  kassa register open --register Till --float 150.00",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if float == "" {
				return usageError("register open needs --float: the cash in the drawer, e.g. 150.00 (0 for none)")
			}
			amount, err := money.Parse(float)
			if err != nil {
				return fmt.Errorf("--float: %w", err)
			}
			ctx := cmd.Context()
			db, err := c.database(ctx)
			if err != nil {
				return err
			}
			reg, err := resolveRegister(ctx, db, ref)
			if err != nil {
				return err
			}
			st := register.Store{Clock: c.now}
			sess, err := st.OpenSession(ctx, db, reg.ID, amount, c.staff(by))
			if errors.Is(err, register.ErrSessionAlreadyOpen) {
				if cur, err := st.CurrentSession(ctx, db, reg.ID); err == nil {
					return fmt.Errorf("register %q is already open (since %s, by %s): close it first",
						reg.Name, cur.OpenedAt.In(c.outletLoc(ctx, db, reg.OutletID)).Format("2006-01-02 15:04"), cur.OpenedBy)
				}
				return fmt.Errorf("register %q is already open: close it first", reg.Name)
			}
			if err != nil {
				return err
			}
			loc := c.outletLoc(ctx, db, reg.OutletID)
			if c.jsonOut {
				return c.printJSON(map[string]any{
					"session_id": sess.ID, "register": reg.Name, "outlet": reg.OutletName,
					"opened_at": sess.OpenedAt.In(loc).Format(time.RFC3339), "opened_by": sess.OpenedBy,
					"opening_float": money.String(sess.OpeningFloat),
				})
			}
			fmt.Fprintf(c.stdout, "opened register %q at %s by %s with a float of %s (session %d)\n",
				reg.Name, sess.OpenedAt.In(loc).Format("2006-01-02 15:04"), sess.OpenedBy, money.String(sess.OpeningFloat), sess.ID)
			return nil
		},
	}
	cmd.Flags().StringVar(&ref, "register", "", "the register: NAME or OUTLET/NAME (may be left out when there is one)")
	cmd.Flags().StringVar(&float, "float", "", "the opening float: the cash in the drawer, e.g. 150.00")
	cmd.Flags().StringVar(&by, "by", "", "who opens the register (default $USER)")
	c.addJSONFlag(cmd)
	return cmd
}

// registerStatus is "kassa register status --json": the register and, when it is open,
// its running figures (the X-report, in the closing report's shape).
type registerStatus struct {
	Register string                  `json:"register"`
	Outlet   string                  `json:"outlet"`
	Open     bool                    `json:"open"`
	Session  *register.ClosingReport `json:"session"`
}

func (c *cli) registerStatusCommand() *cobra.Command {
	var ref string
	cmd := &cobra.Command{
		Use:   "status [--register R] [--json]",
		Short: "Show whether a register is open, and its running totals (X-report)",
		Long: `Show whether a register is open, since when and by whom, its opening float and what it
expects per payment type so far (an X-report: the closing report of the session as it stands).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			db, err := c.database(ctx)
			if err != nil {
				return err
			}
			reg, err := resolveRegister(ctx, db, ref)
			if err != nil {
				return err
			}
			out := registerStatus{Register: reg.Name, Outlet: reg.OutletName}
			sess, err := register.Store{}.CurrentSession(ctx, db, reg.ID)
			switch {
			case errors.Is(err, register.ErrNoOpenSession):
			case err != nil:
				return err
			default:
				r, err := register.Service{Clock: c.now}.ClosingReport(ctx, db, sess.ID)
				if err != nil {
					return err
				}
				out.Open, out.Session = true, &r
			}
			if c.jsonOut {
				return c.printJSON(out)
			}
			if !out.Open {
				fmt.Fprintf(c.stdout, "register %q is closed: open it with 'kassa register open'\n", reg.Name)
				return nil
			}
			return out.Session.WriteText(c.stdout)
		},
	}
	cmd.Flags().StringVar(&ref, "register", "", "the register: NAME or OUTLET/NAME (may be left out when there is one)")
	c.addJSONFlag(cmd)
	return cmd
}

func (c *cli) registerCloseCommand() *cobra.Command {
	var (
		ref, by, format string
		counted         []string
		noCounts        bool
	)
	cmd := &cobra.Command{
		Use:   "close [--register R] (--counted 'TYPE=AMOUNT'... | --no-counts) [--by NAME] [--format text|json|csv]",
		Short: "Close the register's session with the counted amounts and print the closing report",
		Long: `Close the register's open session: record what was counted per payment type (repeat
--counted, e.g. --counted 'Cash=312.40' --counted 'Bank deposit=15.50') and who closed it, and
print the closing report with the close's Z number. A payment type that is not counted is
reported as "not counted", with no difference. After closing, the session never changes, so
the command needs at least one --counted, or --no-counts to close without counting anything.`,
		Example: "  kassa register close --register Till --counted 'Cash=312.40'\n  kassa register close --register Till --no-counts",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			format, err := c.reportFormat(format)
			if err != nil {
				return err
			}
			switch {
			case len(counted) == 0 && !noCounts:
				return usageError("register close needs what was counted: give --counted 'TYPE=AMOUNT' (once per payment type), or --no-counts to close without counting")
			case len(counted) > 0 && noCounts:
				return usageError("--counted and --no-counts disagree: give one of them")
			}
			ctx := cmd.Context()
			db, err := c.database(ctx)
			if err != nil {
				return err
			}
			reg, err := resolveRegister(ctx, db, ref)
			if err != nil {
				return err
			}
			counts, err := parseCounts(ctx, db, counted)
			if err != nil {
				return err
			}
			r, err := register.Service{Clock: c.now}.Close(ctx, db, reg.ID, counts, c.staff(by))
			if errors.Is(err, register.ErrNoOpenSession) {
				return fmt.Errorf("register %q has no open session: there is nothing to close", reg.Name)
			}
			if err != nil {
				return err
			}
			return writeReport(c.stdout, format, r, c)
		},
	}
	cmd.Flags().StringVar(&ref, "register", "", "the register: NAME or OUTLET/NAME (may be left out when there is one)")
	cmd.Flags().StringArrayVar(&counted, "counted", nil, "what was counted for a payment type, e.g. 'Cash=312.40' (repeat per type)")
	cmd.Flags().BoolVar(&noCounts, "no-counts", false, "close without counting anything (every type is reported as not counted)")
	cmd.Flags().StringVar(&by, "by", "", "who closes the register (default $USER)")
	cmd.Flags().StringVar(&format, "format", "", "text (for the receipt printer), json or csv")
	c.addJSONFlag(cmd)
	return cmd
}

// parseCounts reads --counted 'TYPE=AMOUNT' flags.
func parseCounts(ctx context.Context, q pg.Queryer, flags []string) ([]register.Count, error) {
	seen := map[int64]bool{}
	var out []register.Count
	for _, f := range flags {
		i := strings.LastIndex(f, "=")
		if i <= 0 {
			return nil, usageError("--counted %q: write it as TYPE=AMOUNT, e.g. 'Cash=312.40'", f)
		}
		name, amountText := strings.TrimSpace(f[:i]), strings.TrimSpace(f[i+1:])
		amount, err := money.Parse(amountText)
		if err != nil {
			return nil, fmt.Errorf("--counted %q: %w", f, err)
		}
		pt, err := sales.Store{}.PaymentTypeByName(ctx, q, name)
		if errors.Is(err, sales.ErrUnknownPaymentType) {
			return nil, fmt.Errorf("--counted %q: unknown payment type %q", f, name)
		}
		if err != nil {
			return nil, err
		}
		if seen[pt.ID] {
			return nil, usageError("--counted: %s is counted twice: give each payment type once", pt.Name)
		}
		seen[pt.ID] = true
		out = append(out, register.Count{PaymentTypeID: pt.ID, Counted: amount})
	}
	return out, nil
}

// resolveRegister finds the register named by --register, or the only register there is
// when it is left out.
func resolveRegister(ctx context.Context, q pg.Queryer, ref string) (register.Register, error) {
	st := register.Store{}
	if ref != "" {
		r, err := st.Find(ctx, q, ref)
		if errors.Is(err, register.ErrNotFound) {
			return register.Register{}, fmt.Errorf("there is no register %q: see 'kassa register list'", ref)
		}
		return r, err
	}
	regs, err := st.List(ctx, q, 0)
	if err != nil {
		return register.Register{}, err
	}
	switch len(regs) {
	case 0:
		return register.Register{}, errors.New("there is no register yet: add one with 'kassa register add'")
	case 1:
		return regs[0], nil
	default:
		return register.Register{}, errors.New("there are several registers: name one with --register")
	}
}

// staff is who does something at the register: --by, else $USER, else "staff".
func (c *cli) staff(by string) string {
	if by = strings.TrimSpace(by); by != "" {
		return by
	}
	if u := strings.TrimSpace(c.getenv("USER")); u != "" {
		return u
	}
	return "staff"
}

// outletLoc is the outlet's time zone, for showing times; UTC when it cannot be read.
func (c *cli) outletLoc(ctx context.Context, q pg.Queryer, outletID int64) *time.Location {
	o, err := inventory.Store{}.Outlet(ctx, q, outletID)
	if err != nil {
		return time.UTC
	}
	loc, err := o.Location()
	if err != nil {
		return time.UTC
	}
	return loc
}

// reportFormat settles --format and --json into one of text, json or csv.
func (c *cli) reportFormat(format string) (string, error) {
	switch {
	case c.jsonOut && format != "" && format != register.FormatJSON:
		return "", usageError("--json and --format %s disagree: give one of them", format)
	case c.jsonOut:
		return register.FormatJSON, nil
	case format == "":
		return register.FormatText, nil
	case format == register.FormatText || format == register.FormatJSON || format == register.FormatCSV:
		return format, nil
	default:
		return "", usageError("--format must be text, json or csv, not %q", format)
	}
}

// report is what the report commands print.
type report interface {
	WriteText(io.Writer) error
	WriteCSV(io.Writer) error
}

func writeReport(w io.Writer, format string, r report, c *cli) error {
	switch format {
	case register.FormatJSON:
		return c.printJSON(r)
	case register.FormatCSV:
		return r.WriteCSV(w)
	default:
		return r.WriteText(w)
	}
}
