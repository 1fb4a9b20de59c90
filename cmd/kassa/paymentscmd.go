package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kassa-pos/kassa/money"
	"github.com/kassa-pos/kassa/register"
)

func (c *cli) paymentsCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "payments", Short: "Take payments for sales at the register", Args: cobra.NoArgs}
	var (
		receipt, ptype, amount, at, ref, by string
	)
	apply := &cobra.Command{
		Use:   "apply --receipt RECEIPT --type TYPE [--amount AMOUNT] [--at TIME] [--register R] [--by NAME]",
		Short: "Apply a payment to a sale's balance (e.g. a bank deposit for a Shopify order)",
		Long: `Apply a payment to a sale that still owes a balance, on a register with an open session.
The amount defaults to the whole balance and can never be more than it; the time defaults to now
and must lie inside the open session (not before it opened, not in the future). When the
balance reaches zero the sale is paid. --at is a time in the outlet's time zone
(2026-11-25 14:05), as the register terminal takes it, or an RFC 3339 time with its offset
(2026-11-25T14:05:00+01:00). A receipt number typed without its # (1168: the shell drops an
unquoted #1168 whole) finds the sale #1168.`,
		Example: "  kassa payments apply --receipt '#1002' --type 'Bank deposit'\n" +
			"  kassa payments apply --receipt '#1002' --type 'Bank deposit' --amount 15.50 --at 2026-11-25T14:05:00+01:00",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if strings.TrimSpace(receipt) == "" || strings.TrimSpace(ptype) == "" {
				return usageError("payments apply needs --receipt and --type")
			}
			var when time.Time
			if at != "" {
				if _, err := parseAt("--at", at, time.UTC); err != nil {
					return err
				}
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
			if at != "" {
				if when, err = parseAt("--at", at, c.outletLoc(ctx, db, reg.OutletID)); err != nil {
					return err
				}
			}
			if receipt, err = resolveReceipt(ctx, db, reg.OutletID, receipt); err != nil {
				return err
			}
			p, err := register.Service{Clock: c.now}.ApplyPayment(ctx, db, register.PaymentRequest{
				RegisterID: reg.ID, Receipt: receipt, PaymentType: ptype, Amount: amount, At: when, By: c.staff(by),
			})
			if err != nil {
				return err
			}
			if c.jsonOut {
				return c.printJSON(map[string]any{
					"payment_id": p.PaymentID, "token": nil, "receipt_number": p.Receipt, "type": p.PaymentType, "amount": money.String(p.Amount),
					"paid_at": p.PaidAt.Format(time.RFC3339), "register": p.Register, "session_id": p.SessionID,
					"recorded_by": p.RecordedBy, "balance": money.String(p.Balance), "status": p.Status,
				})
			}
			fmt.Fprintf(c.stdout, "applied %s by %s to %s at %s on %s; balance %s: %s (payment %d)\n",
				money.String(p.Amount), p.PaymentType, p.Receipt, p.PaidAt.Format("2006-01-02 15:04"), p.Register,
				money.String(p.Balance), strings.ReplaceAll(p.Status, "_", " "), p.PaymentID)
			return nil
		},
	}
	apply.Flags().StringVar(&receipt, "receipt", "", "the sale's receipt number, e.g. '#1002'")
	apply.Flags().StringVar(&ptype, "type", "", "the payment type, e.g. 'Bank deposit'")
	apply.Flags().StringVar(&amount, "amount", "", "the amount, e.g. 15.50 (default: the whole balance)")
	apply.Flags().StringVar(&at, "at", "", "when the money was received, e.g. '2026-11-25 14:05' in the outlet's time zone (default: now)")
	apply.Flags().StringVar(&ref, "register", "", "the register taking the payment (may be left out when there is one)")
	apply.Flags().StringVar(&by, "by", "", "who takes the payment (default $USER)")
	c.addJSONFlag(apply)
	cmd.AddCommand(apply, c.paymentsVoidCommand())
	return cmd
}
