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

// The rules a counter sale, a return or a cash movement can break. A refusal is a
// *RefusedError wrapping one of these (or ErrNoOpenSession, ErrUnknownPaymentType,
// ErrInvalidAmount, ErrSaleNotFound), and nothing is written.
var (
	ErrUnknownProduct    = errors.New("no product has this barcode or SKU")
	ErrNotForSale        = errors.New("the product is not published for sale")
	ErrBadQuantity       = errors.New("a quantity is a whole number of 1 or more")
	ErrBadDiscount       = errors.New("the discount is not valid")
	ErrUnderpaid         = errors.New("the payments are less than the total")
	ErrOverpaidNoCash    = errors.New("only cash gives change")
	ErrNoLines           = errors.New("a sale needs at least one line")
	ErrReturnTooMany     = errors.New("more would be returned than was sold less already returned")
	ErrNotOnSale         = errors.New("the sale has no such line")
	ErrRefundMismatch    = errors.New("the refunds do not add up to what the return gives back")
	ErrSaleOwes          = errors.New("the sale still owes a balance")
	ErrSaleVoided        = errors.New("the sale is voided")
	ErrSaleHasReturns    = errors.New("the sale has a return")
	ErrSaleVoidSession   = errors.New("the sale was not rung up in the open session")
	ErrNotOwnSale        = errors.New("a cashier voids only their own sales")
	ErrCashReason        = errors.New("a cash movement needs a reason")
	ErrSaleAlreadyVoided = errors.New("the sale is already voided")
)

// MaxCashReason is the longest reason a cash movement may give, in characters.
const MaxCashReason = 200

// SellLine is one line staff ring up: a product by barcode or SKU, a quantity and an
// optional discount ("2.00" off the line, or "10%").
type SellLine struct {
	Code     string
	Quantity int
	Discount string
}

// Tender is money handed over (a sale) or given back (a return) with one payment type.
// An empty Amount is "the rest" (of the total, or of the refund); one tender at most may
// leave it out.
type Tender struct {
	Type   string
	Amount string
}

// SellRequest is a counter sale rung up at a register.
type SellRequest struct {
	RegisterID int64
	Lines      []SellLine
	// Discount is taken off the whole sale: "5.00" or "10%".
	Discount string
	Payments []Tender
	// PayLater lets the payments come to less than the total: the rest stays owed (the
	// sale is awaiting payment, settled later with ApplyPayment).
	PayLater bool
	// CustomerEmail, when given, names the customer (found by e-mail, whatever its case,
	// or made, with CustomerName).
	CustomerEmail string
	CustomerName  string
	Note          string
	By            string
	TokenID       *int64
}

// CounterSale is a counter sale as recorded: the sale with its lines and payments, the
// change given, and what was handed over per tender.
type CounterSale struct {
	Sale   sales.Sale
	Change decimal.Decimal
}

// Sell rings up a counter sale in the register's open session: it looks the products up by
// barcode or SKU, prices the sale (sales.PriceSale: the outlet's tax-inclusive or
// -exclusive prices, per-line tax rounded per line), takes the next receipt number of the
// register's gapless series, records the sale with its payments (a cash payment larger than
// owed records what was kept, and the change), moves the stock of tracked products, all in
// one transaction. It is refused (*RefusedError, nothing written) when the register has no
// open session, a code names no product or an unpublished one, a quantity or discount is
// wrong, a payment type is unknown, the payments fall short of the total without PayLater,
// or they exceed it by more than the cash handed over.
//
// Locks: the register's row (its receipt counter) and then its session, the order a close
// takes them in, so sales of one register are numbered one after the other and none lands in
// a session that is closing.
func (s Service) Sell(ctx context.Context, db pg.Queryer, req SellRequest) (CounterSale, error) {
	var out CounterSale
	err := pg.InTx(ctx, db, func(tx *sqlx.Tx) error {
		var err error
		out, err = s.sell(ctx, tx, req)
		return err
	})
	if err != nil {
		return CounterSale{}, err
	}
	return out, nil
}

// tender is a resolved Tender.
type tender struct {
	typ    sales.PaymentType
	amount decimal.Decimal
	rest   bool
}

func (s Service) resolveTenders(ctx context.Context, q pg.Queryer, ts []Tender, what string) ([]tender, error) {
	out := make([]tender, 0, len(ts))
	rest := false
	for _, t := range ts {
		pt, err := sales.Store{}.PaymentTypeByName(ctx, q, strings.TrimSpace(t.Type))
		if errors.Is(err, sales.ErrUnknownPaymentType) {
			return nil, refuse(ErrUnknownPaymentType, "unknown payment type %q: use one of %s", t.Type, paymentTypeNames(ctx, q))
		}
		if err != nil {
			return nil, err
		}
		r := tender{typ: pt}
		if strings.TrimSpace(t.Amount) == "" {
			if rest {
				return nil, refuse(ErrInvalidAmount, "only one %s may leave its amount out (it takes the rest)", what)
			}
			r.rest, rest = true, true
		} else if r.amount, err = money.ParsePositive(strings.TrimSpace(t.Amount)); err != nil {
			return nil, refuse(ErrInvalidAmount, "%s %s: %s", what, pt.Name, err.Error())
		}
		out = append(out, r)
	}
	return out, nil
}

func (s Service) sell(ctx context.Context, tx *sqlx.Tx, req SellRequest) (CounterSale, error) {
	reg, err := s.store().Get(ctx, tx, req.RegisterID)
	if err != nil {
		return CounterSale{}, err
	}
	outlet, err := inventory.Store{}.Outlet(ctx, tx, reg.OutletID)
	if err != nil {
		return CounterSale{}, err
	}
	by := strings.TrimSpace(req.By)
	if by == "" {
		return CounterSale{}, errors.New("say who rings up the sale")
	}
	if len(req.Lines) == 0 {
		return CounterSale{}, refuse(ErrNoLines, "a sale needs at least one line: scan or type a product's barcode or SKU")
	}

	// Checks that need no lock come first, so a mistyped sale waits for nobody.
	priced, products, codes, err := s.price(ctx, tx, outlet, req)
	if err != nil {
		return CounterSale{}, err
	}
	tenders, err := s.resolveTenders(ctx, tx, req.Payments, "payment")
	if err != nil {
		return CounterSale{}, err
	}
	payments, change, err := settle(priced.Total, tenders, req.PayLater)
	if err != nil {
		return CounterSale{}, err
	}

	var customerID *int64
	if email := strings.TrimSpace(req.CustomerEmail); email != "" {
		first, last, _ := strings.Cut(strings.TrimSpace(req.CustomerName), " ")
		c, err := sales.Store{}.UpsertCustomer(ctx, tx, sales.Customer{Email: email, FirstName: first, LastName: strings.TrimSpace(last)})
		if err != nil {
			return CounterSale{}, err
		}
		customerID = &c.ID
	}

	prefix, seq, err := s.store().nextReceipt(ctx, tx, reg.ID)
	if err != nil {
		return CounterSale{}, err
	}
	sess, err := s.store().LockCurrentSession(ctx, tx, reg.ID)
	if errors.Is(err, ErrNoOpenSession) {
		return CounterSale{}, refuse(ErrNoOpenSession, "register %q has no open session: open it first", reg.Name)
	}
	if err != nil {
		return CounterSale{}, err
	}
	now := s.now().Round(time.Microsecond)
	if now.Before(sess.OpenedAt) {
		now = sess.OpenedAt
	}
	sessionID := sess.ID
	receipt := ReceiptNumber(prefix, seq)
	ns := sales.NewSale{
		Sale: sales.Sale{
			OutletID: reg.OutletID, RegisterID: reg.ID, SessionID: &sessionID, ReceiptNumber: receipt,
			Source: sales.SourcePOS, SoldAt: now, Currency: outlet.Currency, TaxesIncluded: outlet.PricesIncludeTax,
			Subtotal: priced.Subtotal, DiscountTotal: priced.DiscountTotal, TaxTotal: priced.TaxTotal, Total: priced.Total,
			CustomerID: customerID, Note: strings.TrimSpace(req.Note), ReceiptSeq: &seq, ChangeGiven: change,
			SoldBy: by, TokenID: req.TokenID,
		},
		Lines: priced.Lines,
	}
	for _, p := range payments {
		ns.Payments = append(ns.Payments, sales.Payment{
			PaymentTypeID: p.typ.ID, Amount: p.amount, PaidAt: now, RegisterID: reg.ID, SessionID: &sessionID,
			RecordedBy: by, Source: sales.SourcePOS, TokenID: req.TokenID,
		})
	}
	saleID, lineIDs, err := sales.Store{}.CreateSale(ctx, tx, ns)
	if errors.Is(err, sales.ErrSessionClosed) {
		return CounterSale{}, refuse(ErrNoOpenSession, "register %q has no open session: open it first", reg.Name)
	}
	if err != nil {
		return CounterSale{}, err
	}
	var moves []inventory.Movement
	for i, l := range priced.Lines {
		if p := products[codes[i]]; p.TracksStock {
			moves = append(moves, inventory.Movement{
				ProductID: *l.ProductID, OutletID: reg.OutletID, Delta: -l.Quantity, Reason: inventory.ReasonSale,
				SaleLineID: lineIDs[i], Note: receipt,
			})
		}
	}
	if _, err := (inventory.Store{}).ApplyMovements(ctx, tx, moves); err != nil {
		return CounterSale{}, err
	}
	sale, err := sales.Store{}.SaleByID(ctx, tx, saleID)
	if err != nil {
		return CounterSale{}, err
	}
	if err := s.store().NameSale(ctx, tx, &sale); err != nil {
		return CounterSale{}, err
	}
	return CounterSale{Sale: sale, Change: change}, nil
}

// settle works out the payments to record for a total from the tenders handed over: a
// tender without an amount takes what the others leave; when the tenders come to more than
// the total, the excess is change, given from the cash (counted) tenders, last first, and
// only from them; less than the total is refused unless payLater.
func settle(total decimal.Decimal, ts []tender, payLater bool) ([]tender, decimal.Decimal, error) {
	given := decimal.Zero
	for _, t := range ts {
		given = given.Add(t.amount)
	}
	out := make([]tender, 0, len(ts))
	for _, t := range ts {
		if t.rest {
			t.amount = total.Sub(given)
			if !t.amount.IsPositive() {
				return nil, decimal.Zero, refuse(ErrInvalidAmount, "nothing is left to pay by %s: the other payments come to %s of %s", t.typ.Name, money.String(given), money.String(total))
			}
			given = total
		}
		out = append(out, t)
	}
	if given.LessThan(total) && !payLater {
		return nil, decimal.Zero, refuse(ErrUnderpaid, "the payments come to %s, less than the total %s: take the rest, or sell on pay later to leave %s owing",
			money.String(given), money.String(total), money.String(total.Sub(given)))
	}
	change := decimal.Zero
	if given.GreaterThan(total) {
		change = given.Sub(total)
		cash := decimal.Zero
		for _, t := range out {
			if t.typ.Counted {
				cash = cash.Add(t.amount)
			}
		}
		if change.GreaterThan(cash) {
			return nil, decimal.Zero, refuse(ErrOverpaidNoCash, "the payments come to %s, more than the total %s: only cash gives change, so the other payments may come to at most the total",
				money.String(given), money.String(total))
		}
		left := change
		for i := len(out) - 1; i >= 0 && left.IsPositive(); i-- {
			if !out[i].typ.Counted {
				continue
			}
			take := decimal.Min(left, out[i].amount)
			out[i].amount = out[i].amount.Sub(take)
			left = left.Sub(take)
		}
	}
	kept := out[:0]
	for _, t := range out {
		if t.amount.IsPositive() {
			kept = append(kept, t)
		}
	}
	return kept, change, nil
}

// ReceiptNumber is a counter sale's receipt number: the register's prefix and the sale's
// number in its series, six digits at least (FRONT-000123).
func ReceiptNumber(prefix string, seq int) string {
	return fmt.Sprintf("%s-%06d", prefix, seq)
}

// nextReceipt raises the register's receipt counter, in the transaction q, and returns the
// register's prefix with the number it gave. The register's row stays locked until q ends,
// so a sale that rolls back gives its number back and the next sale takes it.
func (Store) nextReceipt(ctx context.Context, q pg.Queryer, registerID int64) (string, int, error) {
	var r struct {
		Prefix string `db:"receipt_prefix"`
		Seq    int    `db:"last_receipt_seq"`
	}
	err := sqlx.GetContext(ctx, q, &r, `
		UPDATE registers SET last_receipt_seq = last_receipt_seq + 1 WHERE id = $1
		RETURNING receipt_prefix, last_receipt_seq`, registerID)
	if err != nil {
		return "", 0, fmt.Errorf("number the sale of register %d: %w", registerID, err)
	}
	return r.Prefix, r.Seq, nil
}

// price looks up the request's products by code and prices its lines (sales.PriceSale).
func (s Service) price(ctx context.Context, q pg.Queryer, outlet inventory.Outlet, req SellRequest) (sales.Priced, map[string]inventory.Product, []string, error) {
	if len(req.Lines) == 0 {
		return sales.Priced{}, nil, nil, refuse(ErrNoLines, "a sale needs at least one line: scan or type a product's barcode or SKU")
	}
	codes := make([]string, len(req.Lines))
	for i, l := range req.Lines {
		codes[i] = strings.TrimSpace(l.Code)
	}
	products, err := inventory.Store{}.ProductsByCodes(ctx, q, codes)
	if err != nil {
		return sales.Priced{}, nil, nil, err
	}
	lines := make([]sales.PriceLine, len(req.Lines))
	for i, l := range req.Lines {
		p, ok := products[codes[i]]
		if !ok {
			return sales.Priced{}, nil, nil, refuse(ErrUnknownProduct, "no product has the barcode or SKU %q: check the code (kassa product list shows them)", codes[i])
		}
		if !p.Published {
			return sales.Priced{}, nil, nil, refuse(ErrNotForSale, "%s (%s) is not published for sale: publish it first", p.Name, codes[i])
		}
		if l.Quantity <= 0 {
			return sales.Priced{}, nil, nil, refuse(ErrBadQuantity, "%s: the quantity must be 1 or more, not %d", codes[i], l.Quantity)
		}
		d, err := sales.ParseDiscount(l.Discount)
		if err != nil {
			return sales.Priced{}, nil, nil, refuse(ErrBadDiscount, "%s: %s", codes[i], err.Error())
		}
		rate := outlet.DefaultTaxRate
		if p.TaxRate != nil {
			rate = *p.TaxRate
		}
		id := p.ID
		lines[i] = sales.PriceLine{
			ProductID: &id, SKU: p.SKU, Title: p.Name, VariantTitle: p.VariantTitle, Quantity: l.Quantity,
			UnitPrice: p.Price, TaxRate: rate, Discount: d,
		}
	}
	saleOff, err := sales.ParseDiscount(req.Discount)
	if err != nil {
		return sales.Priced{}, nil, nil, refuse(ErrBadDiscount, "%s", err.Error())
	}
	priced, err := sales.PriceSale(outlet.PricesIncludeTax, lines, saleOff)
	if err != nil {
		return sales.Priced{}, nil, nil, refuse(ErrBadDiscount, "%s", err.Error())
	}
	return priced, products, codes, nil
}

// Quote prices a sale as Sell would, without recording anything or needing an open
// session: what a register screen shows while the lines are scanned. It refuses what Sell
// refuses about the lines (an unknown or unpublished code, a bad quantity or discount).
func (s Service) Quote(ctx context.Context, q pg.Queryer, req SellRequest) (sales.Priced, error) {
	reg, err := s.store().Get(ctx, q, req.RegisterID)
	if err != nil {
		return sales.Priced{}, err
	}
	outlet, err := inventory.Store{}.Outlet(ctx, q, reg.OutletID)
	if err != nil {
		return sales.Priced{}, err
	}
	priced, _, _, err := s.price(ctx, q, outlet, req)
	return priced, err
}
