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
//   - an edit becomes an adjustment with the difference: negative lines for what it took
//     off (the goods never left, so they go back to stock), positive lines for what it
//     added (a line added, a quantity raised: the goods leave the outlet's stock; a product
//     kassa does not have is created as the import creates it), priced at Shopify's
//     current figures;
//   - what is owed follows Shopify's outstanding amount (less what the register took): a
//     capture in Shopify is a Shopify payment, a lower amount owed lowers the balance, an
//     edit that adds raises it;
//   - what kassa cannot express (more owed than kassa says with no edit to say why, a
//     refund of goods the sale does not have) is left for review, with what differs.
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
	owed       decimal.Decimal // what the buyer owes more (an edit adding) or less
	// newGoods are the lines (by index in lines) of goods the sale does not have, added by
	// an edit: their products are found or created as the import does.
	newGoods map[int]lineDraft
}

// changePlan is what recording an order's changes takes.
type changePlan struct {
	docs []docPlan
	// payment is money Shopify collected since the import (positive), paid at paymentAt.
	payment   decimal.Decimal
	paymentAt time.Time
	// review lists what kassa cannot express.
	review []string
	// edit is the index in docs of the edit's adjustment when it adds goods, else -1.
	edit int
}

// heldLines is what kassa holds of a sale: its lines with what its documents gave back or
// added, then the goods documents added that the sale does not have, each given the
// negative of its product's id for an id (a sale line's is positive).
func heldLines(ctx context.Context, q sqlx.ExtContext, saleID int64) ([]sales.ReturnableLine, error) {
	lines, err := sales.Store{}.ReturnableLines(ctx, q, saleID)
	if err != nil {
		return nil, err
	}
	added, err := sales.Store{}.AddedLines(ctx, q, saleID)
	if err != nil {
		return nil, err
	}
	for _, l := range added {
		l.ID = -*l.ProductID
		lines = append(lines, l)
	}
	return lines, nil
}

// oneRate is the rate of a line taxed at one rate, for the reports' taxes per rate; nil
// for a line taxed at none or several.
func oneRate(taxes []sales.LineTax) *decimal.Decimal {
	if len(taxes) != 1 {
		return nil
	}
	r := taxes[0].Rate
	return &r
}

// docLine is a document line of qty units (negative: given back) of what kassa holds in
// l, naming its sale line, or its product for goods the sale does not have.
func docLine(l sales.ReturnableLine, qty int, amount, tax decimal.Decimal, restock bool) sales.ReturnLine {
	rl := sales.ReturnLine{Kind: l.Kind, Title: l.Title, Quantity: qty, Amount: amount, Tax: tax, Restock: restock, TaxRate: oneRate(l.Taxes)}
	if l.ID > 0 {
		id := l.ID
		rl.SaleLineID = &id
	} else {
		pid := *l.ProductID
		rl.ProductID, rl.SKU = &pid, l.SKU
	}
	return rl
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
	p := changePlan{edit: -1}
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
	// took is what earlier documents of this plan take off each line (amount, tax), not
	// yet in its returned figures.
	took := map[int64][2]decimal.Decimal{}
	taken := func(l sales.ReturnableLine, amount, tax decimal.Decimal) {
		t := took[l.ID]
		took[l.ID] = [2]decimal.Decimal{t[0].Add(amount), t[1].Add(tax)}
	}
	give := func(l sales.ReturnableLine, qty int) (decimal.Decimal, decimal.Decimal) {
		// The units' part is what the line's first gone+qty units hold less what its first
		// gone units held, as Shopify's current figures move, so that units taken off a few
		// at a time add up to the line to the cent.
		gone := l.Quantity - left[l.ID]
		part := func(v decimal.Decimal) decimal.Decimal {
			of := decimal.NewFromInt(int64(l.Quantity))
			return v.Mul(decimal.NewFromInt(int64(gone + qty))).Div(of).Round(2).Sub(v.Mul(decimal.NewFromInt(int64(gone))).Div(of).Round(2))
		}
		amount, tax := part(l.Total), part(l.Tax)
		if qty >= left[l.ID] {
			// What the line has left, less what earlier documents of this plan took.
			t := took[l.ID]
			amount, tax = l.Total.Sub(l.ReturnedAmount).Sub(t[0]), l.Tax.Sub(l.ReturnedTax).Sub(t[1])
		}
		taken(l, amount, tax)
		return amount, tax
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
			} else {
				taken(l, amount.Abs(), tax.Abs())
			}
			left[l.ID] -= int(rl.Quantity)
			doc.lines = append(doc.lines, docLine(l, -int(rl.Quantity), amount.Abs().Neg(), tax.Abs().Neg(), restockedHere(rl, loc)))
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
						Amount: off.Neg(), Tax: decimal.Min(tax, l.Tax).Neg(), TaxRate: oneRate(l.Taxes)})
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
		// through its refunds (the cancellation's own among them, recorded above), so
		// what is left beyond them is what edits took off: goods that never left, back
		// to stock.
		doc := docPlan{kind: sales.ReturnKindReturn, reason: "cancelled in Shopify", at: o.CancelledAt}
		for _, l := range lines {
			if l.Kind == sales.KindShipping || left[l.ID] <= 0 {
				continue
			}
			amount, tax := give(l, left[l.ID])
			doc.lines = append(doc.lines, docLine(l, -left[l.ID], amount.Neg(), tax.Neg(), l.Kind == sales.KindProduct))
			left[l.ID] = 0
		}
		if len(doc.lines) > 0 {
			p.docs = append(p.docs, doc)
		}
	case mapErr != nil:
		p.review = append(p.review, "the order as it stands now cannot be read: "+mapErr.Error())
		return p
	default:
		// What an edit changed: for each kind of goods, what kassa has left against
		// Shopify's current quantity. Units beyond it were taken off; units short of it were
		// added.
		now := map[string]int{}
		nowTotal, nowTax := map[string]decimal.Decimal{}, map[string]decimal.Decimal{}
		nowLine := map[string]lineDraft{}
		var keys []string
		for _, l := range d.lines {
			if l.omit || l.Kind == sales.KindShipping || l.Kind == sales.KindDuty || l.Kind == sales.KindTip {
				continue
			}
			k := lineKey(l.Kind, l.SKU, l.Title)
			if _, ok := nowLine[k]; !ok {
				nowLine[k] = l
				keys = append(keys, k)
			}
			now[k] += l.Quantity
			nowTotal[k], nowTax[k] = nowTotal[k].Add(l.Total), nowTax[k].Add(l.Tax)
		}
		have := map[string]int{}
		haveTotal, haveTax := map[string]decimal.Decimal{}, map[string]decimal.Decimal{}
		for _, l := range lines {
			if l.Kind != sales.KindShipping && l.Kind != sales.KindDuty && l.Kind != sales.KindTip {
				k := lineKey(l.Kind, l.SKU, l.Title)
				have[k] += left[l.ID]
				haveTotal[k] = haveTotal[k].Add(l.Total.Sub(l.ReturnedAmount))
				haveTax[k] = haveTax[k].Add(l.Tax.Sub(l.ReturnedTax))
			}
		}
		for _, rf := range p.docs {
			// This plan's refunds took their share already.
			for _, rl := range rf.lines {
				for _, l := range lines {
					if (rl.SaleLineID != nil && *rl.SaleLineID == l.ID) || (rl.SaleLineID == nil && rl.ProductID != nil && l.ID == -*rl.ProductID) {
						k := lineKey(l.Kind, l.SKU, l.Title)
						haveTotal[k], haveTax[k] = haveTotal[k].Add(rl.Amount), haveTax[k].Add(rl.Tax)
					}
				}
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
			doc.lines = append(doc.lines, docLine(l, -n, amount.Neg(), tax.Neg(), l.Kind == sales.KindProduct))
			left[l.ID] -= n
			have[k] -= n
		}
		adds := false
		for _, k := range keys {
			n := now[k] - have[k]
			if n <= 0 {
				continue
			}
			// The units added cost what Shopify's lines of the goods now come to, less what
			// kassa holds of them; their share of Shopify's lines when that does not add up.
			amount, tax := nowTotal[k].Sub(haveTotal[k]), nowTax[k].Sub(haveTax[k])
			if have[k] == 0 || amount.IsNegative() || tax.IsNegative() || amount.GreaterThan(nowTotal[k]) {
				share := decimal.NewFromInt(int64(n)).Div(decimal.NewFromInt(int64(now[k])))
				amount, tax = nowTotal[k].Mul(share).Round(2), nowTax[k].Mul(share).Round(2)
			}
			nl := nowLine[k]
			held := -1
			for i, l := range lines {
				if lineKey(l.Kind, l.SKU, l.Title) == k && (held < 0 || lines[held].ID < 0 && l.ID > 0) {
					held = i
				}
			}
			if held >= 0 {
				doc.lines = append(doc.lines, docLine(lines[held], n, amount, tax, nl.Kind == sales.KindProduct))
			} else {
				rl := sales.ReturnLine{Kind: nl.Kind, SKU: nl.SKU, Title: nl.Title, Quantity: n, Amount: amount, Tax: tax, TaxRate: oneRate(nl.Taxes)}
				if nl.Kind == sales.KindProduct {
					if doc.newGoods == nil {
						doc.newGoods = map[int]lineDraft{}
					}
					doc.newGoods[len(doc.lines)] = nl
				}
				doc.lines = append(doc.lines, rl)
			}
			adds = true
		}
		if len(doc.lines) > 0 {
			if adds {
				p.edit = len(p.docs)
			}
			p.docs = append(p.docs, doc)
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
	case target.GreaterThan(balance) && p.edit >= 0:
		// The edit added goods: the buyer owes what Shopify now says.
		p.docs[p.edit].owed = target.Sub(balance)
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

// settleAfter is how long after an order's update time a read of the order surely holds
// every change of that second: Shopify's update times are to the second, and clocks differ
// by a little.
const settleAfter = 5 * time.Second

// settled reports whether o, seen with the update time its sale took in, may be compared
// with the sale: only as a reconciliation read it, settleAfter or more after that time. A
// webhook body or a page of the same second cannot be told from an earlier state of that
// second, and comparing one could undo a later change.
func (r *run) settled(o *shopifyapi.Order) bool {
	return r.compareAll && !r.readAt.IsZero() && r.readAt.Sub(o.UpdatedAt) >= settleAfter
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
		switch {
		case st.UpdatedAt != nil && (o.UpdatedAt.Before(*st.UpdatedAt) || o.UpdatedAt.Equal(*st.UpdatedAt) && !r.settled(o)):
			// An older state of the order than kassa took in since (a late webhook body, a
			// page read before another run recorded a newer change): nothing in it is new.
		case st.Voided:
			row.outcome, row.reason = NeedsReview, "the sale was voided in kassa; Shopify changed the order since"
		default:
			lines, err := heldLines(ctx, tx, st.SaleID)
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
			switch {
			case len(plan.review) == 0:
			case len(receipts) == 0 && st.UpdatedAt != nil && o.UpdatedAt.Equal(*st.UpdatedAt):
				// The state kassa took in last, seen again: what it cannot express was
				// logged for review then.
			default:
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
		if err := newGoods(ctx, tx, c, doc); err != nil {
			return nil, err
		}
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

// newGoods gives the lines of goods an edit added that the sale does not have their
// products: found, or created, as the import finds or creates a line's product.
func newGoods(ctx context.Context, tx *sqlx.Tx, c Connection, doc docPlan) error {
	if len(doc.newGoods) == 0 {
		return nil
	}
	var at []int
	var keys []inventory.ProductKey
	for i, l := range doc.newGoods {
		at = append(at, i)
		keys = append(keys, inventory.ProductKey{
			VariantID: l.variantID, ProductID: l.productID, SKU: l.SKU,
			Name: l.Title, VariantTitle: l.VariantTitle, Price: l.UnitPrice, TracksStock: l.tracks,
		})
	}
	refs, err := (inventory.Store{}).ResolveProducts(ctx, tx, Channel, c.Shop, keys)
	if err != nil {
		return err
	}
	for k, i := range at {
		id := refs[k].ID
		doc.lines[i].ProductID, doc.lines[i].Restock = &id, refs[k].TracksStock
	}
	return nil
}

// restock moves the stock of a document's lines that say so: a line giving back goods of
// a sale line that moved stock brings them back to the outlet the goods left; a line
// adding units takes them out; a line of goods the sale did not have moves the outlet's
// stock of its product when the product tracks stock.
func restock(ctx context.Context, tx *sqlx.Tx, ret sales.Return) error {
	var lineIDs, productIDs []int64
	for _, l := range ret.Lines {
		switch {
		case l.Restock && l.SaleLineID != nil:
			lineIDs = append(lineIDs, *l.SaleLineID)
		case l.Restock && l.ProductID != nil:
			productIDs = append(productIDs, *l.ProductID)
		}
	}
	var moves []inventory.Movement
	if len(productIDs) > 0 {
		products, err := inventory.Store{}.ProductsByID(ctx, tx, productIDs)
		if err != nil {
			return err
		}
		for _, l := range ret.Lines {
			if l.Restock && l.SaleLineID == nil && l.ProductID != nil && products[*l.ProductID].TracksStock {
				moves = append(moves, inventory.Movement{
					ProductID: *l.ProductID, OutletID: ret.OutletID, Delta: -l.Quantity, Reason: inventory.ReasonReturn,
					ReturnLineID: l.ID, Note: ret.ReceiptNumber,
				})
			}
		}
	}
	if len(lineIDs) == 0 {
		if len(moves) == 0 {
			return nil
		}
		_, err := (inventory.Store{}).ApplyMovements(ctx, tx, moves)
		return err
	}
	sold, err := inventory.Store{}.SaleLineMovements(ctx, tx, lineIDs)
	if err != nil {
		return err
	}
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
