package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kassa-pos/kassa/inventory"
	"github.com/kassa-pos/kassa/money"
	"github.com/kassa-pos/kassa/register"
)

// The counter on the command line: sell, return, void a sale, print a receipt, move cash.

// parseSellLine reads CODE=QTY or CODE=QTY:DISCOUNT (CUP=3, CUP=3:10%, CUP=3:2.00).
func parseSellLine(s string) (register.SellLine, error) {
	code, rest, ok := cutLast(s, "=")
	qty, discount, _ := strings.Cut(rest, ":")
	n, err := strconv.Atoi(strings.TrimSpace(qty))
	if !ok || strings.TrimSpace(code) == "" || err != nil {
		return register.SellLine{}, usageError("--line %q: write CODE=QTY (a barcode or SKU and how many), e.g. CUP-ESP=2 or CUP-ESP=2:10%%", s)
	}
	return register.SellLine{Code: strings.TrimSpace(code), Quantity: n, Discount: strings.TrimSpace(discount)}, nil
}

// parseTender reads TYPE=AMOUNT, or TYPE alone (the rest).
func parseTender(flag, s string) (register.Tender, error) {
	typ, amount, _ := cutLast(s, "=")
	if strings.TrimSpace(typ) == "" {
		return register.Tender{}, usageError("%s %q: write TYPE=AMOUNT, e.g. Cash=20.00, or TYPE alone for the rest", flag, s)
	}
	return register.Tender{Type: strings.TrimSpace(typ), Amount: strings.TrimSpace(amount)}, nil
}

func cutLast(s, sep string) (before, after string, found bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}

func (c *cli) salesSellCommand() *cobra.Command {
	var (
		ref, discount, email, name, note, by string
		lines, pays                          []string
		payLater                             bool
	)
	cmd := &cobra.Command{
		Use:   "sell --line CODE=QTY ... --pay TYPE=AMOUNT ... [--register R] [--discount D] [--pay-later]",
		Short: "Ring up a counter sale in the register's open session",
		Long: `Ring up a counter sale. Each --line is a product by barcode or SKU and a quantity, with
an optional line discount after a colon (CUP-ESP=3:10% or CUP-ESP=3:2.00); --discount takes an
amount or a percentage off the whole sale. Each --pay is a tender: TYPE=AMOUNT, or TYPE alone
for the rest. Cash handed over beyond the total is change (only cash gives change). Payments
short of the total are refused unless --pay-later, which leaves the rest owing. The receipt
number is the register's next one (FRONT-000123); print it with 'kassa sales receipt'.`,
		Example: "  kassa sales sell --register Front --line 5400000000011=2 --line BOOK=1 --pay Cash=50.00\n" +
			"  kassa sales sell --line CUP-ESP=3:10% --discount 5.00 --pay Card=30.00 --pay Cash",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(lines) == 0 {
				return usageError("sales sell needs at least one --line CODE=QTY")
			}
			if len(pays) == 0 && !payLater {
				return usageError("sales sell needs --pay TYPE=AMOUNT (or --pay-later to leave it owing)")
			}
			req := register.SellRequest{Discount: discount, PayLater: payLater, CustomerEmail: email, CustomerName: name, Note: note, By: c.staff(by)}
			for _, l := range lines {
				sl, err := parseSellLine(l)
				if err != nil {
					return err
				}
				req.Lines = append(req.Lines, sl)
			}
			for _, p := range pays {
				t, err := parseTender("--pay", p)
				if err != nil {
					return err
				}
				req.Payments = append(req.Payments, t)
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
			req.RegisterID = reg.ID
			out, err := register.Service{Clock: c.now}.Sell(ctx, db, req)
			if err != nil {
				return err
			}
			if c.jsonOut {
				return c.printJSON(out.Sale.View(true))
			}
			s := out.Sale
			var paid []string
			for _, p := range s.Payments {
				paid = append(paid, p.TypeName+" "+money.String(p.Amount))
			}
			fmt.Fprintf(c.stdout, "sold %s on %s: total %s (tax %s)", s.ReceiptNumber, s.RegisterName, money.String(s.Total), money.String(s.TaxTotal))
			if len(paid) > 0 {
				fmt.Fprintf(c.stdout, ", paid %s", strings.Join(paid, ", "))
			}
			if out.Change.IsPositive() {
				fmt.Fprintf(c.stdout, "; change %s", money.String(out.Change))
			}
			if s.Balance.IsPositive() {
				fmt.Fprintf(c.stdout, "; %s owing", money.String(s.Balance))
			}
			fmt.Fprintln(c.stdout)
			return nil
		},
	}
	cmd.Flags().StringVar(&ref, "register", "", "the register (may be left out when there is one)")
	cmd.Flags().StringArrayVar(&lines, "line", nil, "a product and quantity, CODE=QTY[:DISCOUNT] (repeat)")
	cmd.Flags().StringArrayVar(&pays, "pay", nil, "a tender, TYPE=AMOUNT or TYPE for the rest (repeat)")
	cmd.Flags().StringVar(&discount, "discount", "", "off the whole sale: 5.00 or 10%")
	cmd.Flags().BoolVar(&payLater, "pay-later", false, "leave what the payments do not cover owing")
	cmd.Flags().StringVar(&email, "customer", "", "the customer's e-mail")
	cmd.Flags().StringVar(&name, "customer-name", "", "the customer's name (with --customer)")
	cmd.Flags().StringVar(&note, "note", "", "a note on the sale")
	cmd.Flags().StringVar(&by, "by", "", "who rings it up (default $USER)")
	c.addJSONFlag(cmd)
	return cmd
}

func (c *cli) salesReturnCommand() *cobra.Command {
	var (
		ref, reason, by string
		lines, refunds  []string
		restock         bool
	)
	cmd := &cobra.Command{
		Use:   "return RECEIPT --line CODE=QTY ... --refund TYPE[=AMOUNT] ... [--restock] [--register R]",
		Short: "Take a return of a sale (in-store or Shopify) at the register",
		Long: `Take a return of a sale, counter or Shopify, in the register's open session. Each --line is
a product on the sale (barcode or SKU) and how many come back: never more than sold less
returned before. --restock puts the goods back in stock. Each --refund gives money back by a
payment type: TYPE alone refunds all (or what the others leave), TYPE=AMOUNT part; the refunds
must add up to what the return gives back (each line in proportion to what it was sold for).
The return's receipt is the sale's with -R1, -R2...`,
		Example: "  kassa sales return FRONT-000123 --line CUP-ESP=1 --restock --refund Cash\n" +
			"  kassa sales return '#1001' --line MUG=2 --refund Card=10.00 --refund Cash",
		Args: exactArgs(1, "the sale's RECEIPT number"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(lines) == 0 || len(refunds) == 0 {
				return usageError("sales return needs at least one --line CODE=QTY and one --refund TYPE[=AMOUNT]")
			}
			req := register.ReturnRequest{Reason: reason, By: c.staff(by)}
			for _, l := range lines {
				sl, err := parseSellLine(l)
				if err != nil {
					return err
				}
				req.Lines = append(req.Lines, register.ReturnLineRequest{Code: sl.Code, Quantity: sl.Quantity, Restock: restock})
			}
			for _, r := range refunds {
				t, err := parseTender("--refund", r)
				if err != nil {
					return err
				}
				req.Refunds = append(req.Refunds, t)
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
			req.RegisterID = reg.ID
			if req.Receipt, err = resolveReceipt(ctx, db, reg.OutletID, args[0]); err != nil {
				return err
			}
			ret, err := register.Service{Clock: c.now}.Return(ctx, db, req)
			if err != nil {
				return err
			}
			tz, err := register.Store{}.NameReturn(ctx, db, &ret)
			if err != nil {
				return err
			}
			if c.jsonOut {
				return c.printJSON(ret.View(tz))
			}
			var given []string
			for _, f := range ret.Refunds {
				given = append(given, f.TypeName+" "+money.String(f.Amount.Neg()))
			}
			fmt.Fprintf(c.stdout, "returned %s for %s on %s: %s back by %s\n", ret.ReceiptNumber, ret.SaleReceipt, ret.RegisterName,
				money.String(ret.Total.Neg()), strings.Join(given, ", "))
			return nil
		},
	}
	cmd.Flags().StringVar(&ref, "register", "", "the register giving the refund (may be left out when there is one)")
	cmd.Flags().StringArrayVar(&lines, "line", nil, "a product given back and how many, CODE=QTY (repeat)")
	cmd.Flags().StringArrayVar(&refunds, "refund", nil, "money back, TYPE or TYPE=AMOUNT (repeat)")
	cmd.Flags().BoolVar(&restock, "restock", false, "put the goods back in stock")
	cmd.Flags().StringVar(&reason, "reason", "", "why the goods came back")
	cmd.Flags().StringVar(&by, "by", "", "who takes the return (default $USER)")
	c.addJSONFlag(cmd)
	return cmd
}

func (c *cli) salesVoidCommand() *cobra.Command {
	var reason, by string
	cmd := &cobra.Command{
		Use:   "void RECEIPT --reason TEXT",
		Short: "Void a counter sale rung up by mistake, while its session is open",
		Long: `Void a counter sale rung up by mistake. The sale stays on record, marked voided; its
payments are voided with it and the stock it moved comes back. Only while the register
session that recorded it is open; afterwards take the goods back with 'kassa sales return'.
Through the API a cashier voids only their own sales, a manager any.`,
		Example: "  kassa sales void FRONT-000124 --reason 'rung up twice'",
		Args:    exactArgs(1, "the sale's RECEIPT number"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			db, err := c.database(ctx)
			if err != nil {
				return err
			}
			s, err := register.Service{Clock: c.now}.VoidSale(ctx, db, register.SaleVoidRequest{Receipt: args[0], Reason: reason, By: c.staff(by)})
			if err != nil {
				return err
			}
			if c.jsonOut {
				return c.printJSON(s.View(true))
			}
			fmt.Fprintf(c.stdout, "voided %s (%s) on %s: its payments are voided and its stock is back\n", s.ReceiptNumber, money.String(s.Total), s.RegisterName)
			return nil
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why the sale is voided")
	cmd.Flags().StringVar(&by, "by", "", "who voids it (default $USER)")
	c.addJSONFlag(cmd)
	return cmd
}

func (c *cli) salesReceiptCommand() *cobra.Command {
	var outlet string
	cmd := &cobra.Command{
		Use:     "receipt RECEIPT [--outlet O]",
		Short:   "Print the 48-column receipt of a sale or a return",
		Example: "  kassa sales receipt FRONT-000123\n  kassa sales receipt FRONT-000123-R1 > receipt.txt",
		Args:    exactArgs(1, "the RECEIPT number"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			db, err := c.database(ctx)
			if err != nil {
				return err
			}
			var outletID int64
			if outlet != "" {
				o, err := inventory.Store{}.OutletByName(ctx, db, outlet)
				if err != nil {
					return err
				}
				outletID = o.ID
			}
			text, err := register.Service{Clock: c.now}.ReceiptText(ctx, db, outletID, args[0])
			if err != nil {
				return err
			}
			_, err = fmt.Fprint(c.stdout, text)
			return err
		},
	}
	cmd.Flags().StringVar(&outlet, "outlet", "", "the outlet, when several have this receipt number")
	return cmd
}

func (c *cli) registerCashCommand(kind string) *cobra.Command {
	var ref, amount, reason, by string
	use, short, example := "cash-in", "Pay cash into the drawer (a float top-up)", "  kassa register cash-in --amount 50.00 --reason 'float top-up'"
	if kind == register.CashOut {
		use, short, example = "cash-out", "Take cash out of the drawer (petty cash, a bank drop)", "  kassa register cash-out --amount 200.00 --reason 'bank drop'"
	}
	cmd := &cobra.Command{
		Use:   use + " --amount AMOUNT --reason TEXT [--register R]",
		Short: short,
		Long: short + `, in the register's open session. The closing report counts it in the
cash expected in the drawer, and lists it with its reason.`,
		Example: example,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if amount == "" {
				return usageError("register %s needs --amount", use)
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
			m, err := register.Service{Clock: c.now}.MoveCash(ctx, db, register.CashRequest{
				RegisterID: reg.ID, Kind: kind, Amount: amount, Reason: reason, By: c.staff(by),
			})
			if err != nil {
				return err
			}
			at := m.MovedAt.In(c.outletLoc(ctx, db, reg.OutletID))
			if c.jsonOut {
				return c.printJSON(map[string]any{
					"id": m.ID, "register": reg.Name, "session_id": m.SessionID, "kind": m.Kind, "amount": money.String(m.Amount),
					"reason": m.Reason, "moved_at": at.Format(time.RFC3339), "recorded_by": m.RecordedBy, "token": nil,
				})
			}
			verb := "paid %s into"
			if kind == register.CashOut {
				verb = "took %s out of"
			}
			fmt.Fprintf(c.stdout, verb+" the drawer of %q at %s: %s\n", money.String(m.Amount), reg.Name, at.Format("2006-01-02 15:04"), safeCell(m.Reason))
			return nil
		},
	}
	cmd.Flags().StringVar(&ref, "register", "", "the register (may be left out when there is one)")
	cmd.Flags().StringVar(&amount, "amount", "", "the amount, e.g. 50.00")
	cmd.Flags().StringVar(&reason, "reason", "", "why: float top-up, petty cash, bank drop...")
	cmd.Flags().StringVar(&by, "by", "", "who moves the cash (default $USER)")
	c.addJSONFlag(cmd)
	return cmd
}
