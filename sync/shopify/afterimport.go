package shopify

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"

	"github.com/kassa-pos/kassa/internal/pg"
	"github.com/kassa-pos/kassa/internal/text"
	"github.com/kassa-pos/kassa/inventory"
	"github.com/kassa-pos/kassa/money"
	"github.com/kassa-pos/kassa/register"
	"github.com/kassa-pos/kassa/sales"
	"github.com/kassa-pos/kassa/sync/shopify/shopifyapi"
)

// What Shopify does to an order after it became a sale is recorded against the sale as
// documents (sales' return documents), never by changing the sale, from the order as it
// stands whenever it is seen again (webhook, Get new, Get all, reconciliation):
//
//   - each refund kassa does not hold yet (by Shopify's refund id) becomes a return
//     #1001-R1, -R2...: negative lines for the quantities and shipping refunded, stock back
//     for what Shopify restocked at the connection's location (or at no location named:
//     older refunds), and a negative Shopify refund of the money refunded, dated
//     when Shopify refunded it, counted in the register session open when kassa records it;
//   - a cancellation returns what is left of the sale (restocked as Shopify did, through
//     its refunds) and writes off what is still owed, "cancelled in Shopify";
//   - an edit that took lines off becomes an adjustment with the difference (the goods never
//     left, so they go back to stock);
//   - what is owed follows Shopify's outstanding amount (less what the register took): a
//     capture in Shopify is a Shopify payment, a lower amount owed lowers the balance;
//   - what kassa cannot express (lines added by an edit, more owed than kassa says) is left
//     for review, with what differs.
//
// Each step compares what kassa holds with the order as it stands, so recording the same
// order twice, or its changes out of order, records each change once.

// docPlan is one document to record.
type docPlan struct {
	kind       string
	refundID   int64 // Shopify's refund id, 0 for none
	reason     string
	at         time.Time
	lines      []sales.ReturnLine
	money      decimal.Decimal // refunded by Shopify, positive
	refundedAt time.Time
	owed       decimal.Decimal // zero or negative
}

// changePlan is what recording an order's changes takes.
type changePlan struct {
	docs []docPlan
	// payment is money Shopify collected since the import (positive), paid at paymentAt.
	payment   decimal.Decimal
	paymentAt time.Time
	// review lists what kassa cannot express.
	review []string
}

// saleLine finds the sale line a Shopify line item became, with left units to give back:
// a product line by SKU (else title), another line by title and kind.
func saleLine(lines []sales.ReturnableLine, left map[int64]int, li *shopifyapi.LineItem) int {
	sku, title := text.Clean(li.SKU, text.MaxName), lineTitle(li)
	best := -1
	for i, l := range lines {
		switch l.Kind {
		case sales.KindProduct, sales.KindCustom, sales.KindGiftCard:
		default:
			continue
		}
		match := (sku != "" && strings.EqualFold(l.SKU, sku)) || (sku == "" && l.Title == title)
		if !match {
			continue
		}
		if left[l.ID] > 0 {
			return i
		}
		if best < 0 {
			best = i
		}
	}
	return best
}

// planChange works out the documents that bring what kassa holds of a sale (st, lines) to
// the order as it stands (o; d its mapping, nil with mapErr when it has none); loc is the
// connection's location, where restocked goods come back into the outlet (0: any).
func planChange(o *shopifyapi.Order, d *draft, mapErr error, st sales.ImportedState, lines []sales.ReturnableLine, loc int64) changePlan {
	var p changePlan
	left := map[int64]int{}
	shipLeft := map[int64]decimal.Decimal{}
	for _, l := range lines {
		left[l.ID] = l.Left()
		if l.Kind == sales.KindShipping {
			shipLeft[l.ID] = l.Total.Sub(l.ReturnedAmount)
		}
	}
	items := map[int64]*shopifyapi.LineItem{}
	for i := range o.LineItems {
		items[o.LineItems[i].ID] = &o.LineItems[i]
	}
	give := func(l sales.ReturnableLine, qty int) (decimal.Decimal, decimal.Decimal) {
		if qty >= left[l.ID] {
			// What the line has left, whatever earlier documents of this plan took.
			return l.Total.Sub(l.ReturnedAmount), l.Tax.Sub(l.ReturnedTax)
		}
		return l.Give(qty)
	}
	refundedMoney := decimal.Zero

	// Refunds kassa does not hold yet, in Shopify's order.
	for _, rf := range o.Refunds {
		if rf.ID == 0 || st.Refunds[rf.ID] {
			continue
		}
		doc := docPlan{kind: sales.ReturnKindAdjustment, refundID: rf.ID, reason: "refunded in Shopify", at: rf.ProcessedAt}
		if doc.at.IsZero() {
			doc.at = rf.CreatedAt
		}
		if n := text.Clean(rf.Note, 200); n != "" {
			doc.reason += ": " + n
		}
		for _, rl := range rf.LineItems {
			li := items[rl.LineItemID]
			if li == nil || rl.Quantity <= 0 {
				continue
			}
			i := saleLine(lines, left, li)
			if i < 0 || left[lines[i].ID] < int(rl.Quantity) {
				p.review = append(p.review, fmt.Sprintf("refund %d takes back %d of %s, which the sale does not have left", rf.ID, rl.Quantity, lineTitle(li)))
				continue
			}
			l := lines[i]
			amount, tax := rl.Subtotal.Round(2), rl.TotalTax.Round(2)
			if amount.IsZero() && tax.IsZero() {
				amount, tax = give(l, int(rl.Quantity))
			}
			left[l.ID] -= int(rl.Quantity)
			id := l.ID
			doc.lines = append(doc.lines, sales.ReturnLine{SaleLineID: &id, Kind: l.Kind, Title: l.Title, Quantity: -int(rl.Quantity),
				Amount: amount.Abs().Neg(), Tax: tax.Abs().Neg(), Restock: restockedHere(rl, loc)})
			doc.kind = sales.ReturnKindReturn
		}
		for _, a := range rf.Adjustments {
			amount, tax := a.Amount.Abs(), a.TaxAmount.Abs()
			switch {
			case a.Kind == "shipping_refund":
				for _, l := range lines {
					if l.Kind != sales.KindShipping || !shipLeft[l.ID].IsPositive() {
						continue
					}
					off := decimal.Min(amount, shipLeft[l.ID])
					shipLeft[l.ID] = shipLeft[l.ID].Sub(off)
					id := l.ID
					doc.lines = append(doc.lines, sales.ReturnLine{SaleLineID: &id, Kind: sales.KindShipping, Title: l.Title,
						Amount: off.Neg(), Tax: decimal.Min(tax, l.Tax).Neg()})
					amount = amount.Sub(off)
					tax = decimal.Zero
					if !amount.IsPositive() {
						break
					}
				}
				if amount.IsPositive() {
					doc.lines = append(doc.lines, sales.ReturnLine{Kind: sales.KindAdjustment, Title: "Shipping refunded", Amount: amount.Neg()})
				}
			case a.Amount.IsNegative():
				doc.lines = append(doc.lines, sales.ReturnLine{Kind: sales.KindAdjustment, Title: "Refund adjustment", Amount: amount.Neg(), Tax: tax.Neg()})
			}
		}
		doc.money = rf.RefundedMoney()
		for _, t := range rf.Transactions {
			if t.Kind == "refund" && t.Status == "success" && !t.ProcessedAt.IsZero() {
				doc.refundedAt = t.ProcessedAt
				break
			}
		}
		if doc.refundedAt.IsZero() {
			doc.refundedAt = doc.at
		}
		if len(doc.lines) == 0 {
			if !doc.money.IsPositive() {
				continue
			}
			// Money back without goods: a refund Shopify owed after an edit, a goodwill refund.
			doc.lines = append(doc.lines, sales.ReturnLine{Kind: sales.KindAdjustment, Title: "Refunded in Shopify", Amount: doc.money.Neg()})
		}
		refundedMoney = refundedMoney.Add(doc.money)
		p.docs = append(p.docs, doc)
	}

	cancelled := !o.CancelledAt.IsZero()
	switch {
	case cancelled:
		// What is left of the sale goes back; the goods Shopify restocked came back
		// through its refunds.
		doc := docPlan{kind: sales.ReturnKindReturn, reason: "cancelled in Shopify", at: o.CancelledAt}
		for _, l := range lines {
			if l.Kind == sales.KindShipping || left[l.ID] <= 0 {
				continue
			}
			amount, tax := give(l, left[l.ID])
			id := l.ID
			doc.lines = append(doc.lines, sales.ReturnLine{SaleLineID: &id, Kind: l.Kind, Title: l.Title, Quantity: -left[l.ID],
				Amount: amount.Neg(), Tax: tax.Neg()})
			left[l.ID] = 0
		}
		if len(doc.lines) > 0 {
			p.docs = append(p.docs, doc)
		}
	case mapErr != nil:
		p.review = append(p.review, "the order as it stands now cannot be read: "+mapErr.Error())
		return p
	default:
		// Lines an edit took off: what kassa has left beyond Shopify's current quantity.
		now := map[string]int{}
		for _, l := range d.lines {
			if !l.omit && l.Kind != sales.KindShipping && l.Kind != sales.KindDuty && l.Kind != sales.KindTip {
				now[lineKey(l.Kind, l.SKU, l.Title)] += l.Quantity
			}
		}
		have := map[string]int{}
		for _, l := range lines {
			if l.Kind != sales.KindShipping && l.Kind != sales.KindDuty && l.Kind != sales.KindTip {
				have[lineKey(l.Kind, l.SKU, l.Title)] += left[l.ID]
			}
		}
		doc := docPlan{kind: sales.ReturnKindAdjustment, reason: "edited in Shopify", at: o.UpdatedAt}
		for _, l := range lines {
			k := lineKey(l.Kind, l.SKU, l.Title)
			extra := have[k] - now[k]
			if extra <= 0 || left[l.ID] <= 0 {
				continue
			}
			n := min(extra, left[l.ID])
			amount, tax := give(l, n)
			id := l.ID
			doc.lines = append(doc.lines, sales.ReturnLine{SaleLineID: &id, Kind: l.Kind, Title: l.Title, Quantity: -n,
				Amount: amount.Neg(), Tax: tax.Neg(), Restock: l.Kind == sales.KindProduct})
			left[l.ID] -= n
			have[k] -= n
		}
		if len(doc.lines) > 0 {
			p.docs = append(p.docs, doc)
		}
		for k, n := range now {
			if n > have[k] {
				p.review = append(p.review, fmt.Sprintf("%s: kassa %d, Shopify now %d (added in Shopify after the import)", keyName(k), have[k], n))
			}
		}
	}

	// Money: a capture in Shopify since the import is a Shopify payment; what is owed
	// follows Shopify's outstanding amount, less what the register took.
	balance := st.Balance
	if !cancelled && d != nil {
		kept := st.ChannelKept.Sub(refundedMoney)
		owedToBuyer := decimal.Zero
		if o.TotalOutstanding.IsNegative() {
			owedToBuyer = o.TotalOutstanding.Neg()
		}
		if gain := d.collected.Sub(kept); gain.IsPositive() {
			p.payment = decimal.Min(gain, balance)
			p.paymentAt = o.UpdatedAt
			balance = balance.Sub(p.payment)
		} else if gain.IsNegative() && !gain.Neg().Equal(owedToBuyer) {
			p.review = append(p.review, fmt.Sprintf("Shopify kept %s, kassa holds %s paid through Shopify", money.String(d.collected), money.String(kept)))
		}
	}
	target := decimal.Zero
	if !cancelled {
		target = decimal.Max(o.TotalOutstanding, decimal.Zero).Sub(st.POSPaid)
		target = decimal.Max(target, decimal.Zero)
	}
	switch {
	case target.LessThan(balance):
		off := balance.Sub(target)
		switch {
		case cancelled:
			p.docs = append(p.docs, docPlan{kind: sales.ReturnKindWriteOff, reason: "cancelled in Shopify", at: o.CancelledAt, owed: off.Neg(),
				lines: []sales.ReturnLine{{Kind: sales.KindAdjustment, Title: "Written off: cancelled in Shopify", Amount: off.Neg()}}})
		case len(p.docs) > 0:
			p.docs[len(p.docs)-1].owed = off.Neg()
		default:
			p.docs = append(p.docs, docPlan{kind: sales.ReturnKindAdjustment, reason: "Shopify's amount owed fell", at: o.UpdatedAt, owed: off.Neg(),
				lines: []sales.ReturnLine{{Kind: sales.KindAdjustment, Title: "Owed in Shopify: " + money.String(target)}}})
		}
	case target.GreaterThan(balance) && !st.POSPaid.IsPositive():
		p.review = append(p.review, fmt.Sprintf("Shopify says %s is owed, kassa %s", money.String(target), money.String(balance)))
	}
	return p
}

// lineKey names a sale line's goods for comparing quantities: a product by SKU, another
// line by kind and title.
func lineKey(kind, sku, title string) string {
	if kind == sales.KindProduct && sku != "" {
		return "sku:" + strings.ToUpper(sku)
	}
	return kind + ":" + title
}

func keyName(k string) string {
	if s, ok := strings.CutPrefix(k, "sku:"); ok {
		return "quantity of " + s
	}
	_, title, _ := strings.Cut(k, ":")
	return "quantity of " + title
}

// recordChange records an imported order's changes against its sale in one transaction,
// with the order's outcome in the import log: updated (documents recorded), needs_review
// (something kassa cannot express; what could be expressed is recorded too) or
// already_imported (nothing to record).
func (r *run) recordChange(ctx context.Context, row *outcomeRow, now time.Time) error {
	o := row.order
	c := r.conn
	return pg.WithTx(ctx, r.im.DB, func(tx *sqlx.Tx) error {
		st, err := sales.Store{}.LockImported(ctx, tx, Channel, c.Shop, row.saleID)
		if err != nil {
			return err
		}
		row.outcome, row.reason = AlreadyImported, ""
		if st.Voided {
			row.outcome, row.reason = NeedsReview, "the sale was voided in kassa; Shopify changed the order since"
		} else {
			lines, err := sales.Store{}.ReturnableLines(ctx, tx, st.SaleID)
			if err != nil {
				return err
			}
			d, mapErr := mapOrder(o, c, c.ShippingSKU)
			plan := planChange(o, d, mapErr, st, lines, c.stockLocation())
			receipts, err := r.applyPlan(ctx, tx, st, plan, now)
			if err != nil {
				return err
			}
			var why []string
			if len(receipts) > 0 {
				row.outcome = Updated
				why = append(why, "recorded "+strings.Join(receipts, ", "))
			}
			if len(plan.review) > 0 {
				row.outcome = NeedsReview
				why = append(why, plan.review...)
			}
			row.reason = strings.Join(why, "; ")
		}
		row.touchAt = o.UpdatedAt
		if err := (RunLog{}).record(ctx, tx, r.id, c.ID, []outcomeRow{*row}); err != nil {
			return err
		}
		if !row.touchAt.IsZero() {
			if err := (sales.Store{}).SetExternalUpdatedAt(ctx, tx, Channel, c.Shop, map[int64]time.Time{o.ID: row.touchAt}); err != nil {
				return err
			}
		}
		var n Counts
		n.Add(row.outcome)
		return (RunLog{}).count(ctx, tx, r.id, n)
	})
}

// applyPlan records a plan's documents, their stock and money, and returns the documents'
// receipt numbers.
func (r *run) applyPlan(ctx context.Context, tx *sqlx.Tx, st sales.ImportedState, p changePlan, now time.Time) ([]string, error) {
	c := r.conn
	if len(p.docs) == 0 && !p.payment.IsPositive() {
		return nil, nil
	}
	var sessionID *int64
	sess, err := register.Store{}.ShareCurrentSession(ctx, tx, c.RegisterID)
	switch {
	case err == nil:
		sessionID = &sess.ID
	case !errors.Is(err, register.ErrNoOpenSession):
		return nil, err
	}
	pt, err := (sales.Store{}).EnsurePaymentType(ctx, tx, ShopifyPaymentType)
	if err != nil {
		return nil, err
	}
	var receipts []string
	if p.payment.IsPositive() {
		at := p.paymentAt
		if at.IsZero() || at.After(now) {
			at = now
		}
		pay := sales.Payment{SaleID: st.SaleID, PaymentTypeID: pt.ID, Amount: p.payment, PaidAt: at, RegisterID: c.RegisterID,
			RecordedBy: "shopify import", Source: sales.SourceShopify}
		if sessionID != nil && !at.Before(sess.OpenedAt) {
			pay.SessionID = sessionID
		}
		if _, err := (sales.Store{}).AddPayment(ctx, tx, pay); err != nil {
			return nil, fmt.Errorf("record the payment Shopify collected for %s: %w", st.Receipt, err)
		}
		receipts = append(receipts, "a Shopify payment of "+money.String(p.payment))
	}
	for _, doc := range p.docs {
		at := doc.at
		if at.IsZero() || at.After(now) {
			at = now
		}
		nr := sales.NewReturn{
			Return: sales.Return{
				SaleID: st.SaleID, Kind: doc.kind, Source: sales.SourceShopify, OutletID: st.OutletID, RegisterID: c.RegisterID,
				SessionID: sessionID, ReturnedAt: at, Reason: doc.reason, RecordedBy: "shopify import", Owed: doc.owed,
			},
			Lines: doc.lines,
		}
		if doc.refundID != 0 {
			nr.Return.External = &sales.External{Channel: Channel, Shop: c.Shop, ID: doc.refundID}
		}
		if doc.money.IsPositive() {
			nr.Refunds = []sales.Refund{{PaymentTypeID: pt.ID, Amount: doc.money.Neg(), RefundedAt: doc.refundedAt,
				RecordedBy: "shopify import", Source: sales.SourceShopify}}
		}
		ret, err := (sales.Store{}).CreateReturn(ctx, tx, nr)
		if err != nil {
			return nil, fmt.Errorf("record %s of %s: %w", doc.reason, st.Receipt, err)
		}
		receipts = append(receipts, ret.ReceiptNumber)
		if err := restock(ctx, tx, ret); err != nil {
			return nil, err
		}
	}
	return receipts, nil
}

// restock moves back into stock the restocked lines of a return whose sale moved stock,
// at the outlet the goods left.
func restock(ctx context.Context, tx *sqlx.Tx, ret sales.Return) error {
	var lineIDs []int64
	for _, l := range ret.Lines {
		if l.Restock && l.SaleLineID != nil {
			lineIDs = append(lineIDs, *l.SaleLineID)
		}
	}
	if len(lineIDs) == 0 {
		return nil
	}
	sold, err := inventory.Store{}.SaleLineMovements(ctx, tx, lineIDs)
	if err != nil {
		return err
	}
	var moves []inventory.Movement
	for _, l := range ret.Lines {
		for _, m := range sold {
			if l.Restock && l.SaleLineID != nil && *l.SaleLineID == m.SaleLineID {
				moves = append(moves, inventory.Movement{
					ProductID: m.ProductID, OutletID: m.OutletID, Delta: -l.Quantity, Reason: inventory.ReasonReturn,
					ReturnLineID: l.ID, Note: ret.ReceiptNumber,
				})
			}
		}
	}
	_, err = (inventory.Store{}).ApplyMovements(ctx, tx, moves)
	return err
}
