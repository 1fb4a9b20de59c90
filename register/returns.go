package register

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"

	"github.com/kassa-pos/kassa/internal/pg"
	"github.com/kassa-pos/kassa/inventory"
	"github.com/kassa-pos/kassa/money"
	"github.com/kassa-pos/kassa/sales"
)

// ReturnLineRequest is a line staff give back: the product by barcode or SKU (as on the
// sale), how many, and whether the goods go back to stock.
type ReturnLineRequest struct {
	Code     string
	Quantity int
	Restock  bool
}

// ReturnRequest is a return at the counter of a sale, in-store or Shopify.
type ReturnRequest struct {
	RegisterID int64
	// Receipt is the sale's receipt number, found in the register's outlet; SaleID, when
	// not zero, is the sale meant (both given: they must agree).
	Receipt string
	SaleID  int64
	Lines   []ReturnLineRequest
	// Refunds give the money back by payment type; an empty amount is all of it (or what
	// the other refunds leave).
	Refunds []Tender
	Reason  string
	By      string
	TokenID *int64
}

// Return records a return at the counter in the register's open session: the lines given
// back (never more than sold less already returned; each line gives back its total and tax
// in proportion, see sales.ReturnableLine.Give), the refunds by payment type (their sum
// must be what the return gives back), and the stock of restocked lines whose sale moved
// stock, all in one transaction. The return's receipt is the sale's with -R1, -R2....
//
// Refused (*RefusedError, nothing written): no open session; no such sale in the outlet; a
// voided sale; a sale still owing a balance (settle it first: a return gives back money
// that was paid); a code that is not on the sale; more than can still be returned; an
// unknown payment type; refunds that do not add up.
func (s Service) Return(ctx context.Context, db pg.Queryer, req ReturnRequest) (sales.Return, error) {
	var out sales.Return
	err := pg.InTx(ctx, db, func(tx *sqlx.Tx) error {
		var err error
		out, err = s.returnSale(ctx, tx, req)
		return err
	})
	if err != nil {
		return sales.Return{}, err
	}
	return out, nil
}

func (s Service) returnSale(ctx context.Context, tx *sqlx.Tx, req ReturnRequest) (sales.Return, error) {
	reg, err := s.store().Get(ctx, tx, req.RegisterID)
	if err != nil {
		return sales.Return{}, err
	}
	outlet, err := inventory.Store{}.Outlet(ctx, tx, reg.OutletID)
	if err != nil {
		return sales.Return{}, err
	}
	by := strings.TrimSpace(req.By)
	if by == "" {
		return sales.Return{}, errors.New("say who takes the return")
	}
	reason := strings.TrimSpace(req.Reason)
	if strings.ContainsFunc(reason, unprintable) || len([]rune(reason)) > MaxVoidReason {
		return sales.Return{}, refuse(ErrVoidReason, "the reason must be one line of plain text of at most %d characters", MaxVoidReason)
	}
	if len(req.Lines) == 0 {
		return sales.Return{}, refuse(ErrNoLines, "a return needs at least one line: give the product's barcode or SKU and how many")
	}
	st := sales.Store{}
	receipt := strings.TrimSpace(req.Receipt)
	var sale sales.Sale
	if req.SaleID != 0 {
		sale, err = st.SaleByID(ctx, tx, req.SaleID)
		if err == nil && sale.OutletID != reg.OutletID {
			err = sales.ErrNotFound
		}
	} else {
		sale, err = st.SaleByReceipt(ctx, tx, reg.OutletID, receipt)
	}
	switch {
	case errors.Is(err, sales.ErrNotFound):
		return sales.Return{}, refuse(ErrSaleNotFound, "there is no sale %s at outlet %q: check the receipt number", receiptOr(receipt, req.SaleID), outlet.Name)
	case err != nil:
		return sales.Return{}, err
	}
	if receipt != "" && req.SaleID != 0 && receipt != sale.ReceiptNumber {
		return sales.Return{}, refuse(ErrSaleNotFound, "sale %d is %s, not %s: look the sale up again", sale.ID, sale.ReceiptNumber, receipt)
	}
	if sale.Voided {
		return sales.Return{}, refuse(ErrSaleVoided, "%s is voided: a voided sale takes no return", sale.ReceiptNumber)
	}
	if sale.Balance.IsPositive() {
		return sales.Return{}, refuse(ErrSaleOwes, "%s still owes %s: settle it (or void its payments) before a return, which gives back money that was paid",
			sale.ReceiptNumber, money.String(sale.Balance))
	}

	// The sale's lines, locked by the return itself; what is left to return is read again
	// under the lock by the database, which refuses more than sold.
	lines, err := st.ReturnableLines(ctx, tx, sale.ID)
	if err != nil {
		return sales.Return{}, err
	}
	codes := make([]string, len(req.Lines))
	for i, l := range req.Lines {
		codes[i] = strings.TrimSpace(l.Code)
	}
	products, err := inventory.Store{}.ProductsByCodes(ctx, tx, codes)
	if err != nil {
		return sales.Return{}, err
	}
	left := make(map[int64]int, len(lines)) // sale line id → units left to return
	for _, l := range lines {
		left[l.ID] = l.Left()
	}
	taken := make(map[int64]int, len(lines)) // sale line id → units this return takes
	var order []int64
	restock := map[int64]bool{}
	for i, rl := range req.Lines {
		if rl.Quantity <= 0 {
			return sales.Return{}, refuse(ErrBadQuantity, "%s: the quantity returned must be 1 or more, not %d", codes[i], rl.Quantity)
		}
		p, known := products[codes[i]]
		want, sold, had := rl.Quantity, 0, 0
		for _, l := range lines {
			if !lineMatches(l, codes[i], p, known) {
				continue
			}
			sold += l.Quantity
			had += left[l.ID] - taken[l.ID]
			n := min(want, left[l.ID]-taken[l.ID])
			if n <= 0 {
				continue
			}
			if taken[l.ID] == 0 {
				order = append(order, l.ID)
			}
			taken[l.ID] += n
			restock[l.ID] = restock[l.ID] || rl.Restock
			want -= n
		}
		if sold == 0 {
			return sales.Return{}, refuse(ErrNotOnSale, "%s has no line %q: give the barcode or SKU of a product on it", sale.ReceiptNumber, codes[i])
		}
		if want > 0 {
			return sales.Return{}, refuse(ErrReturnTooMany, "%s sold %d of %s and %d can still be returned: return at most %d",
				sale.ReceiptNumber, sold, codes[i], had, had)
		}
	}
	var doc []sales.ReturnLine
	back := decimal.Zero // what the return gives back, as a positive amount
	tax := decimal.Zero
	for _, id := range order {
		for _, l := range lines {
			if l.ID != id {
				continue
			}
			amount, t := l.Give(taken[id])
			var rate *decimal.Decimal
			if len(l.Taxes) == 1 {
				r := l.Taxes[0].Rate
				rate = &r
			}
			lineID := l.ID
			title := l.Title
			if l.VariantTitle != "" {
				title += " - " + l.VariantTitle
			}
			doc = append(doc, sales.ReturnLine{
				SaleLineID: &lineID, Kind: l.Kind, Title: title, Quantity: -taken[id], Amount: amount.Neg(), Tax: t.Neg(),
				TaxRate: rate, Restock: restock[id],
			})
			back = back.Add(amount)
			tax = tax.Add(t)
		}
	}
	if !sale.TaxesIncluded {
		back = back.Add(tax)
	}
	tenders, err := s.resolveTenders(ctx, tx, req.Refunds, "refund")
	if err != nil {
		return sales.Return{}, err
	}
	if len(tenders) == 0 {
		return sales.Return{}, refuse(ErrRefundMismatch, "say how %s is given back: a refund by payment type (Cash, Card...)", money.String(back))
	}
	given := decimal.Zero
	for _, t := range tenders {
		given = given.Add(t.amount)
	}
	for i := range tenders {
		if tenders[i].rest {
			tenders[i].amount = back.Sub(given)
			given = back
			if !tenders[i].amount.IsPositive() {
				return sales.Return{}, refuse(ErrRefundMismatch, "nothing is left to refund by %s: the other refunds come to %s of %s",
					tenders[i].typ.Name, money.String(given), money.String(back))
			}
		}
	}
	if !given.Equal(back) {
		return sales.Return{}, refuse(ErrRefundMismatch, "the refunds come to %s but the return gives back %s: refund exactly that",
			money.String(given), money.String(back))
	}

	sess, err := s.store().LockCurrentSession(ctx, tx, reg.ID)
	if errors.Is(err, ErrNoOpenSession) {
		return sales.Return{}, refuse(ErrNoOpenSession, "register %q has no open session: open it first", reg.Name)
	}
	if err != nil {
		return sales.Return{}, err
	}
	now := s.now().Round(time.Microsecond)
	if now.Before(sess.OpenedAt) {
		now = sess.OpenedAt
	}
	sessionID := sess.ID
	nr := sales.NewReturn{
		Return: sales.Return{
			SaleID: sale.ID, Kind: sales.ReturnKindReturn, Source: sales.SourcePOS, OutletID: reg.OutletID,
			RegisterID: reg.ID, SessionID: &sessionID, ReturnedAt: now, Reason: reason, RecordedBy: by, TokenID: req.TokenID,
		},
		Lines: doc,
	}
	for _, t := range tenders {
		nr.Refunds = append(nr.Refunds, sales.Refund{
			PaymentTypeID: t.typ.ID, Amount: t.amount.Neg(), RefundedAt: now, RecordedBy: by, Source: sales.SourcePOS, TokenID: req.TokenID,
		})
	}
	ret, err := st.CreateReturn(ctx, tx, nr)
	switch {
	case errors.Is(err, sales.ErrReturnMoreThanSold):
		return sales.Return{}, refuse(ErrReturnTooMany, "%s: more would be returned than was sold less already returned (another return was just taken): look the sale up again", sale.ReceiptNumber)
	case errors.Is(err, sales.ErrSaleVoided):
		return sales.Return{}, refuse(ErrSaleVoided, "%s is voided: a voided sale takes no return", sale.ReceiptNumber)
	case errors.Is(err, sales.ErrSessionClosed):
		return sales.Return{}, refuse(ErrNoOpenSession, "register %q has no open session: open it first", reg.Name)
	case err != nil:
		return sales.Return{}, err
	}
	// Restocked lines whose sale moved stock move it back, at the outlet it left.
	var restocked []int64
	for _, l := range ret.Lines {
		if l.Restock && l.SaleLineID != nil {
			restocked = append(restocked, *l.SaleLineID)
		}
	}
	if len(restocked) > 0 {
		sold, err := inventory.Store{}.SaleLineMovements(ctx, tx, restocked)
		if err != nil {
			return sales.Return{}, err
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
		if _, err := (inventory.Store{}).ApplyMovements(ctx, tx, moves); err != nil {
			return sales.Return{}, err
		}
	}
	return ret, nil
}

// lineMatches reports whether a sale line is the product a code names: by the product the
// code finds (barcode or SKU), else by the line's own SKU (a product since renamed or
// removed), whatever its case.
func lineMatches(l sales.ReturnableLine, code string, p inventory.Product, known bool) bool {
	if known && l.ProductID != nil && *l.ProductID == p.ID {
		return true
	}
	return l.SKU != "" && strings.EqualFold(l.SKU, code)
}

func receiptOr(receipt string, id int64) string {
	if receipt != "" {
		return receipt
	}
	return fmt.Sprintf("%d", id)
}
