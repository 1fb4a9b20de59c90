package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/kassa-pos/kassa/internal/pg"
	"github.com/kassa-pos/kassa/inventory"
	"github.com/kassa-pos/kassa/register"
	"github.com/kassa-pos/kassa/sales"
)

func (c *cli) salesCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "sales", Short: "Sell, take returns and look up the sales history", Args: cobra.NoArgs}
	var (
		f                  sales.Filter
		outlet, from, to   string
		source             string
		awaiting, shopOnly bool
	)
	list := listCommand(c, &cobra.Command{
		Use:   "list [--outlet O] [--source pos|shopify] [--awaiting-payment] [--from DATE] [--to DATE] [--search TEXT]",
		Short: "List sales, newest first",
		Long: `List sales, newest first. --search matches the start of a receipt number (#10 finds
#1001) or part of a customer's e-mail or name. --from and --to are dates (2026-11-24) in the
outlet's time zone, or RFC 3339 times; --to is exclusive for times and inclusive for dates.`,
	},
		func(ctx context.Context) ([]sales.Sale, error) {
			if f.Limit < 1 || f.Limit > 500 {
				return nil, usageError("--limit is how many sales to list, from 1 to 500, not %d", f.Limit)
			}
			if f.Offset < 0 {
				return nil, usageError("--offset is how many sales to skip, 0 or more, not %d", f.Offset)
			}
			db, err := c.database(ctx)
			if err != nil {
				return nil, err
			}
			loc := time.UTC
			if outlet != "" {
				o, err := inventory.Store{}.OutletByName(ctx, db, outlet)
				if err != nil {
					return nil, err
				}
				f.OutletID = o.ID
				if loc, err = o.Location(); err != nil {
					return nil, err
				}
			} else if o, err := findOutlet(ctx, db, ""); err == nil {
				loc, _ = o.Location()
			}
			if from != "" {
				if f.From, err = sales.ParseDayOrTime(from, loc, false); err != nil {
					return nil, fmt.Errorf("--from: %w", err)
				}
			}
			if to != "" {
				if f.To, err = sales.ParseDayOrTime(to, loc, true); err != nil {
					return nil, fmt.Errorf("--to: %w", err)
				}
			}
			switch source {
			case "", sales.SourcePOS, sales.SourceShopify:
				f.Source = source
			default:
				return nil, usageError("--source must be pos or shopify, not %q", source)
			}
			if shopOnly {
				f.Source = sales.SourceShopify
			}
			f.AwaitingPayment = awaiting
			list, err := sales.Store{}.List(ctx, db, f)
			if err == nil {
				err = register.Store{}.NameSales(ctx, db, list)
			}
			return list, err
		},
		table[sales.Sale]{
			json:   func(s sales.Sale) any { return s.View(false) },
			header: "RECEIPT\tSOLD AT\tSOURCE\tSTATUS\tTOTAL\tBALANCE\tCUSTOMER",
			row: func(s sales.Sale) []any {
				v := s.View(false)
				customer := ""
				if v.Customer != nil {
					customer = strings.TrimSpace(v.Customer.Name + " <" + v.Customer.Email + ">")
				}
				return []any{safeCell(v.ReceiptNumber), viewTime(v.SoldAt), v.Source, v.Status, v.Total, v.Balance, safeCell(customer)}
			},
		})
	list.Flags().StringVar(&outlet, "outlet", "", "only sales of this outlet")
	list.Flags().StringVar(&source, "source", "", "only sales from pos or shopify")
	list.Flags().BoolVar(&shopOnly, "shopify", false, "only sales imported from Shopify (same as --source shopify)")
	list.Flags().BoolVar(&awaiting, "awaiting-payment", false, "only sales with a balance still to pay")
	list.Flags().StringVar(&from, "from", "", "sold on or after this date or time")
	list.Flags().StringVar(&to, "to", "", "sold up to this date (inclusive) or time (exclusive)")
	list.Flags().StringVar(&f.Search, "search", "", "receipt number prefix, or part of a customer's e-mail or name")
	list.Flags().IntVar(&f.Limit, "limit", 50, "how many sales at most (1-500)")
	list.Flags().IntVar(&f.Offset, "offset", 0, "skip this many sales (paging)")

	var showOutlet string
	show := &cobra.Command{
		Use:   "show RECEIPT [--outlet O]",
		Short: "Show one sale with its lines and payments",
		Long: `Show one sale with its lines and payments. Quote a receipt number that starts with #
('#1001'): the shell drops an unquoted # and what follows it. A number typed without its #
(1001) finds the sale #1001.`,
		Example: "  kassa sales show '#1001'",
		Args:    exactArgs(1, "a RECEIPT number; quote one that starts with # ('#1001'): the shell drops an unquoted # and what follows it"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			db, err := c.database(ctx)
			if err != nil {
				return err
			}
			var outletID int64
			if showOutlet != "" {
				o, err := inventory.Store{}.OutletByName(ctx, db, showOutlet)
				if err != nil {
					return err
				}
				outletID = o.ID
			}
			s, err := sales.Store{}.SaleByReceipt(ctx, db, outletID, args[0])
			if err == nil {
				err = register.Store{}.NameSale(ctx, db, &s)
			}
			if err != nil {
				return err
			}
			v := s.View(true)
			if c.jsonOut {
				return c.printJSON(v)
			}
			printSale(c, v)
			return nil
		},
	}
	show.Flags().StringVar(&showOutlet, "outlet", "", "the outlet, when several have this receipt number")
	c.addJSONFlag(show)
	cmd.AddCommand(list, show, c.salesSellCommand(), c.salesReturnCommand(), c.salesVoidCommand(), c.salesReceiptCommand())
	return cmd
}

func printSale(c *cli, v sales.SaleView) {
	fmt.Fprintf(c.stdout, "Sale %s (%s) at %s / %s\n", safeLine(v.ReceiptNumber), v.Source, safeLine(v.Outlet), safeLine(v.Register))
	fmt.Fprintf(c.stdout, "Sold at   %s\n", viewTime(v.SoldAt))
	if v.Customer != nil {
		fmt.Fprintf(c.stdout, "Customer  %s <%s>\n", safeLine(v.Customer.Name), safeLine(v.Customer.Email))
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "QTY\tITEM\tSKU\tUNIT\tDISCOUNT\tTAX\tTOTAL\t")
	for _, l := range v.Lines {
		name := l.Name
		if l.ShippingFee {
			name += " [shipping]"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t\n", l.Quantity, safeCell(name), safeCell(l.SKU), l.UnitPrice, l.Discount, l.Tax, l.Total)
	}
	tw.Flush()
	fmt.Fprintf(c.stdout, "Total %s (tax %s), paid %s, balance %s: %s\n", v.Total, v.Tax, v.Paid, v.Balance, strings.ReplaceAll(v.Status, "_", " "))
	if v.Payments != nil {
		for _, p := range *v.Payments {
			fmt.Fprintf(c.stdout, "  payment %d: paid %s by %s at %s on %s, %s\n", p.ID, p.Amount, safeLine(p.Type), viewTime(p.PaidAt), safeLine(p.Register), safeLine(recordedBy(p.RecordedBy, p.Token, p.Source)))
			if vd := p.Void; vd != nil {
				fmt.Fprintf(c.stdout, "    voided at %s, %s: %s\n", viewTime(vd.VoidedAt), safeLine(recordedBy(vd.RecordedBy, vd.Token, sales.SourcePOS)), safeLine(vd.Reason))
			}
		}
	}
	if v.Returns != nil {
		for _, r := range *v.Returns {
			fmt.Fprintf(c.stdout, "%s %s at %s: %s; total %s, owed %s\n", safeLine(r.ReceiptNumber), strings.ReplaceAll(r.Kind, "_", "-"),
				viewTime(r.ReturnedAt), safeLine(r.Reason), r.Total, r.Owed)
			for _, l := range r.Lines {
				stock := ""
				switch {
				case l.Restock && l.Quantity > 0:
					stock = ", out of stock"
				case l.Restock:
					stock = ", back to stock"
				}
				fmt.Fprintf(c.stdout, "  %+d %s %s: %s (tax %s)%s\n", l.Quantity, safeLine(l.Name), safeLine(l.SKU), l.Amount, l.Tax, stock)
			}
			for _, f := range r.Refunds {
				fmt.Fprintf(c.stdout, "  refunded %s by %s at %s\n", f.Amount, safeLine(f.Type), viewTime(f.RefundedAt))
			}
		}
	}
}

// recordedBy says who recorded a payment or a void, and where: "by anna (front-till)",
// "by bert (command line)", or for a payment Shopify collected "collected by Shopify".
func recordedBy(by string, token *string, source string) string {
	if source == sales.SourceShopify {
		return "collected by Shopify"
	}
	return "by " + by + " (" + register.Via(token) + ")"
}

// resolveReceipt returns the receipt number a typed one means in the outlet: "#1168" for
// "1168" when that is the sale (see sales.Store.SaleByReceipt). A number no sale has is
// refused with a hint to quote the #; another receipt number is left for the register to
// refuse, with the outlet's name.
func resolveReceipt(ctx context.Context, q pg.Queryer, outletID int64, receipt string) (string, error) {
	r, err := sales.Store{}.ResolveReceipt(ctx, q, outletID, receipt)
	var missing *sales.ReceiptNotFoundError
	switch {
	case err == nil:
		return r, nil
	case errors.As(err, &missing) && !onlyDigits(strings.TrimSpace(receipt)):
		return receipt, nil
	}
	return "", err
}
