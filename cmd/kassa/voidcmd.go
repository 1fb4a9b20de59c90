package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kassa-pos/kassa/daemon/client"
	"github.com/kassa-pos/kassa/money"
	"github.com/kassa-pos/kassa/register"
)

// paymentsVoidCommand is "kassa payments void": take back a payment recorded in error.
func (c *cli) paymentsVoidCommand() *cobra.Command {
	var reason, by string
	cmd := &cobra.Command{
		Use:   "void PAYMENT_ID --reason TEXT [--by NAME]",
		Short: "Take back a payment recorded in error, while its register session is open",
		Long: `Void a payment taken at a register by mistake (the wrong sale, the wrong amount, the wrong
type): the payment stays on record, a void is recorded next to it with the reason, and the sale
owes the amount again. It is allowed only while the register session that took the payment is
still open; after the close the payment is part of the closing report and stays. A payment is
voided once, and a payment Shopify collected cannot be voided here (refund it in Shopify).
'kassa sales show RECEIPT' lists a sale's payments with their numbers.`,
		Example: "  kassa payments void 12 --reason 'applied to the wrong order'",
		Args:    exactArgs(1, "PAYMENT_ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(strings.TrimPrefix(strings.TrimSpace(args[0]), "#"), 10, 64)
			if err != nil || id <= 0 {
				return usageError("%q is not a payment number: give the number 'kassa sales show RECEIPT' lists, e.g. 12", args[0])
			}
			if strings.TrimSpace(reason) == "" {
				return usageError("payments void needs --reason: say why the payment is taken back")
			}
			ctx := cmd.Context()
			db, err := c.database(ctx)
			if err != nil {
				return err
			}
			v, err := register.Service{Clock: c.now}.VoidPayment(ctx, db, register.VoidRequest{
				PaymentID: id, Reason: reason, By: c.staff(by),
			})
			if err != nil {
				return err
			}
			if c.jsonOut {
				return c.printJSON(client.Void{
					VoidID: v.VoidID, PaymentID: v.PaymentID, SessionID: v.SessionID, Receipt: v.Receipt, Register: v.Register,
					Type: v.PaymentType, Amount: money.String(v.Amount), PaidAt: v.PaidAt.Format(time.RFC3339),
					VoidedAt: v.VoidedAt.Format(time.RFC3339), Reason: v.Reason, RecordedBy: v.RecordedBy,
					BalanceBefore: money.String(v.BalanceBefore), Balance: money.String(v.Balance), Status: v.Status,
					SaleTotal: money.String(v.SaleTotal),
				})
			}
			fmt.Fprintf(c.stdout, "voided payment %d: %s by %s to %s, taken %s on %s; balance %s: %s\n",
				v.PaymentID, money.String(v.Amount), v.PaymentType, v.Receipt, v.PaidAt.Format("2006-01-02 15:04"), v.Register,
				money.String(v.Balance), strings.ReplaceAll(v.Status, "_", " "))
			return nil
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why the payment is taken back (printed in the closing report)")
	cmd.Flags().StringVar(&by, "by", "", "who voids the payment (default $USER)")
	c.addJSONFlag(cmd)
	return cmd
}
