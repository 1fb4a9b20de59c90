package shopify

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/kassa-pos/kassa/internal/pg"
	"github.com/kassa-pos/kassa/money"
	"github.com/kassa-pos/kassa/sales"
	"github.com/kassa-pos/kassa/sync/shopify/shopifyapi"
)

// ReconcileOptions says which orders a reconciliation compares: those created in
// [From, To), and whether it records what differs (Fix).
type ReconcileOptions struct {
	From, To time.Time
	Fix      bool
	Trigger  string // default TriggerCLI
}

// Difference is one order whose sale (or its absence) differs from Shopify, and how.
type Difference struct {
	OrderID   int64    `json:"order_id"`
	OrderName string   `json:"order_name"`
	What      []string `json:"differences"`
}

// Reconciliation is what a reconciliation found (and, with Fix, the run that recorded it).
type Reconciliation struct {
	Shop        string       `json:"shop"`
	From        time.Time    `json:"from"`
	To          time.Time    `json:"to"`
	Orders      int          `json:"orders"`
	Differences []Difference `json:"differences"`
	Fixed       *Summary     `json:"fixed,omitempty"`
}

// Reconcile compares every order Shopify shows created in the window with kassa: an order
// the rules import that is no sale, and for each sale what recording the order as it
// stands would add (refunds, a cancellation, an edit, money, what kassa cannot express).
// With Fix it records them by the import's rules, in one run that compares every listed
// order whatever its update time.
func (im *Importer) Reconcile(ctx context.Context, connectionID int64, opts ReconcileOptions) (Reconciliation, error) {
	conn, err := ConnectionStore{Secrets: im.Secrets}.ByID(ctx, im.DB, connectionID)
	if err != nil {
		return Reconciliation{}, err
	}
	if !opts.To.After(opts.From) {
		return Reconciliation{}, fmt.Errorf("reconcile %s: the window ends (%s) before it starts (%s)", conn.Shop,
			opts.To.Format(time.RFC3339), opts.From.Format(time.RFC3339))
	}
	out := Reconciliation{Shop: conn.Shop, From: opts.From, To: opts.To, Differences: []Difference{}}
	src, err := im.source(conn)
	if err != nil {
		return out, fmt.Errorf("connect to %s: %w", conn.Shop, err)
	}
	if cl, ok := src.(interface{ Close() }); ok {
		defer cl.Close()
	}
	now := im.now()
	var fix []shopifyapi.Order
	err = src.ListOrders(ctx, shopifyapi.ListOptions{Status: "any", CreatedAtMin: opts.From, CreatedAtMax: opts.To, Limit: im.pageSize()},
		func(page []shopifyapi.Order) error {
			ids := make([]int64, 0, len(page))
			for _, o := range page {
				ids = append(ids, o.ID)
			}
			existing, err := (sales.Store{}).ExternalSales(ctx, im.DB, Channel, conn.Shop, ids)
			if err != nil {
				return err
			}
			for i := range page {
				o := &page[i]
				out.Orders++
				var what []string
				if x, ok := existing[o.ID]; ok {
					what, err = im.pending(ctx, conn, o, x.SaleID)
					if err != nil {
						return err
					}
				} else if o.DecodeErr != nil {
					what = []string{"no sale: the order cannot be read: " + o.DecodeErr.Error()}
				} else if outcome, _ := classify(o, conn, now); outcome == "" {
					if _, err := mapOrder(o, conn, conn.ShippingSKU); err != nil {
						what = []string{"no sale: " + err.Error()}
					} else {
						what = []string{"no sale: the order was never imported"}
					}
				}
				if len(what) > 0 {
					out.Differences = append(out.Differences, Difference{OrderID: o.ID, OrderName: o.Name, What: what})
					fix = append(fix, *o)
				}
			}
			return nil
		})
	if err != nil {
		return out, fmt.Errorf("reconcile %s: %w", conn.Shop, err)
	}
	if opts.Fix && len(fix) > 0 {
		trigger := opts.Trigger
		if trigger == "" {
			trigger = TriggerCLI
		}
		sum, err := im.ImportOrders(ctx, connectionID, fix, RunOptions{Trigger: trigger, Wait: true, compareAll: true, readAt: now})
		out.Fixed = &sum
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

// pending lists what recording the order as it stands would add to its sale, in a
// transaction rolled back (nothing is written).
func (im *Importer) pending(ctx context.Context, c Connection, o *shopifyapi.Order, saleID int64) ([]string, error) {
	var what []string
	errRollback := errors.New("rollback")
	err := pg.WithTx(ctx, im.DB, func(tx *sqlx.Tx) error {
		st, err := sales.Store{}.LockImported(ctx, tx, Channel, c.Shop, saleID)
		if err != nil {
			return err
		}
		if st.Voided {
			what = append(what, "the sale was voided in kassa")
			return errRollback
		}
		lines, err := heldLines(ctx, tx, saleID)
		if err != nil {
			return err
		}
		if o.DecodeErr != nil {
			what = append(what, "the order cannot be read: "+o.DecodeErr.Error())
			return errRollback
		}
		d, mapErr := mapOrder(o, c, c.ShippingSKU)
		p := planChange(o, d, mapErr, st, lines, c.stockLocation())
		if p.payment.IsPositive() {
			what = append(what, "Shopify collected "+money.String(p.payment)+" kassa has not recorded")
		}
		for _, doc := range p.docs {
			s := fmt.Sprintf("to record: %s (%s)", doc.kind, doc.reason)
			if doc.refundID != 0 {
				s += fmt.Sprintf(", Shopify refund %d", doc.refundID)
			}
			if doc.money.IsPositive() {
				s += ", " + money.String(doc.money) + " refunded"
			}
			if doc.owed.IsNegative() {
				s += ", owed " + money.String(doc.owed)
			}
			what = append(what, s)
		}
		what = append(what, p.review...)
		return errRollback
	})
	if err != nil && !errors.Is(err, errRollback) {
		return nil, err
	}
	return what, nil
}
