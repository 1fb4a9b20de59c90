package sales

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/shopspring/decimal"

	"github.com/kassa-pos/kassa/internal/pg"
)

// Errors returned by the store.
var (
	ErrNotFound             = errors.New("not found")
	ErrDuplicateReceipt     = errors.New("a sale with this receipt number already exists in the outlet")
	ErrAlreadyImported      = errors.New("this order is already a sale")
	ErrOverpayment          = errors.New("the payment is more than the sale's balance")
	ErrNonPositivePayment   = errors.New("a payment must be more than 0.00")
	ErrUnknownPaymentType   = errors.New("unknown payment type")
	ErrAmbiguousReceipt     = errors.New("several outlets have a sale with this receipt number: name the outlet")
	ErrDuplicateEmail       = errors.New("a customer with this e-mail already exists")
	ErrSessionClosed        = errors.New("the register session is closed and cannot change")
	ErrSaleVoided           = errors.New("the sale is voided")
	ErrReceiptOutOfSeries   = errors.New("the receipt number is not the register's next one")
	errLinesDoNotAddUp      = errors.New("a sale line's total must be quantity × unit price − discount")
	errSaleNeedsReceiptLine = errors.New("a sale needs a receipt number and at least one line")
)

// Sources of a sale or payment.
const (
	SourcePOS     = "pos"
	SourceShopify = "shopify"
)

// Statuses of a sale.
const (
	StatusPaid            = "paid"
	StatusAwaitingPayment = "awaiting_payment"
	// StatusVoided is a sale voided at the register: it counts in no total.
	StatusVoided = "voided"
)

// Line kinds.
const (
	KindProduct  = "product"
	KindShipping = "shipping"
	KindCustom   = "custom"
	KindGiftCard = "gift_card"
	KindTip      = "tip"
	KindDuty     = "duty"
)

// Store reads and writes sales, payments, payment types and customers.
type Store struct{}

// Sale is a sale as recorded. Balance and Status are kept by the database.
type Sale struct {
	ID            int64           `db:"id"`
	OutletID      int64           `db:"outlet_id"`
	RegisterID    int64           `db:"register_id"`
	SessionID     *int64          `db:"session_id"`
	ReceiptNumber string          `db:"receipt_number"`
	Source        string          `db:"source"`
	SoldAt        time.Time       `db:"sold_at"`
	Currency      string          `db:"currency"`
	TaxesIncluded bool            `db:"taxes_included"`
	Subtotal      decimal.Decimal `db:"subtotal"`
	DiscountTotal decimal.Decimal `db:"discount_total"`
	TaxTotal      decimal.Decimal `db:"tax_total"`
	Total         decimal.Decimal `db:"total"`
	Balance       decimal.Decimal `db:"balance"`
	Status        string          `db:"status"`
	CustomerID    *int64          `db:"customer_id"`
	Note          string          `db:"note"`
	CreatedAt     time.Time       `db:"created_at"`
	// ReceiptSeq is a counter sale's number in its register's gapless series (nil for a
	// Shopify order); the receipt number is PREFIX-NNNNNN of it.
	ReceiptSeq *int `db:"receipt_seq"`
	// ChangeGiven is the change handed back from a cash payment larger than what was owed
	// (the payment records what was kept).
	ChangeGiven decimal.Decimal `db:"change_given"`
	// Voided is true once the sale was voided (its status is then StatusVoided).
	Voided bool `db:"voided"`
	// SoldBy is who rang a counter sale up; TokenID the API token it came with (nil: the
	// command line, or an import).
	SoldBy  string `db:"sold_by"`
	TokenID *int64 `db:"token_id"`
	// ReturnCount is how many return documents the sale has (filled by the read
	// functions).
	ReturnCount int `db:"return_count"`
	// Owed is how much the sale's documents changed what the buyer owes (a channel's edit
	// or cancellation, a write-off), filled by the read functions.
	Owed decimal.Decimal `db:"owed"`

	// Filled by the read functions.
	CustomerEmail string `db:"customer_email"`
	CustomerName  string `db:"customer_name"`
	// The names of the outlet (and its time zone) and register, which are not sales': the
	// read functions leave them empty, register.Store's NameSales fills them in.
	OutletName   string `db:"-"`
	OutletTZ     string `db:"-"`
	RegisterName string `db:"-"`

	Lines    []Line    `db:"-"`
	Payments []Payment `db:"-"`
	// Void is the sale's void (nil: not voided) and Returns its return documents, filled
	// by the read functions that load a sale's detail.
	Void    *SaleVoid `db:"-"`
	Returns []Return  `db:"-"`
}

// Paid is what has been paid of the sale so far: what it came to (its total, as its
// documents changed what is owed) less its balance.
func (s Sale) Paid() decimal.Decimal { return s.Total.Add(s.Owed).Sub(s.Balance) }

// Line is one line of a sale.
type Line struct {
	ID           int64           `db:"id"`
	SaleID       int64           `db:"sale_id"`
	LineNo       int             `db:"line_no"`
	ProductID    *int64          `db:"product_id"`
	Kind         string          `db:"kind"`
	SKU          string          `db:"sku"`
	Title        string          `db:"title"`
	VariantTitle string          `db:"variant_title"`
	Quantity     int             `db:"quantity"`
	UnitPrice    decimal.Decimal `db:"unit_price"`
	Discount     decimal.Decimal `db:"discount"`
	Tax          decimal.Decimal `db:"tax"`
	Total        decimal.Decimal `db:"total"`
	Taxes        []LineTax       `db:"-"`
}

// ShippingFee reports whether the line is the shipping-fee line of an imported order.
func (l Line) ShippingFee() bool { return l.Kind == KindShipping }

// LineTax is one tax (rate) on a line.
type LineTax struct {
	Title  string          `db:"title"`
	Rate   decimal.Decimal `db:"rate"` // a fraction: 0.21 for 21 %
	Amount decimal.Decimal `db:"amount"`
}

// Payment is money received for a sale.
type Payment struct {
	ID            int64           `db:"id"`
	SaleID        int64           `db:"sale_id"`
	PaymentTypeID int64           `db:"payment_type_id"`
	TypeName      string          `db:"type_name"`
	Amount        decimal.Decimal `db:"amount"`
	PaidAt        time.Time       `db:"paid_at"`
	RegisterID    int64           `db:"register_id"`
	// RegisterName is the register's name, which register.Store's NameSales fills in.
	RegisterName string `db:"-"`
	SessionID    *int64 `db:"session_id"`
	RecordedBy   string `db:"recorded_by"`
	Source       string `db:"source"`
	// TokenID is the API token the payment was recorded with (nil: the command line, or
	// an import); TokenName is that token's name, which register.Store's NameSales fills
	// in.
	TokenID   *int64  `db:"token_id"`
	TokenName *string `db:"-"`
	// Void is the payment's void, when it was voided (filled by the read functions).
	Void *Void `db:"-"`
}

// External ties a sale to the order it came from in another channel.
type External struct {
	Channel string
	Shop    string
	ID      int64
	// UpdatedAt is the channel's update time of the order as recorded (at the import, then
	// at each change recorded since); zero when the channel gives none.
	UpdatedAt time.Time
}

// NewSale is what CreateSale records.
type NewSale struct {
	Sale     Sale
	Lines    []Line
	Payments []Payment
	External *External // the Shopify order, for imported sales
}

// CreateSale records a sale with its lines, their taxes, its payments and its external
// id, all or nothing. The sale starts owing its total and each payment lowers the
// balance. It returns the sale id and the ids of its lines, in order.
func (st Store) CreateSale(ctx context.Context, q pg.Queryer, ns NewSale) (saleID int64, lineIDs []int64, err error) {
	s := ns.Sale
	if strings.TrimSpace(s.ReceiptNumber) == "" || len(ns.Lines) == 0 {
		return 0, nil, errSaleNeedsReceiptLine
	}
	for _, l := range ns.Lines {
		if !l.Total.Equal(l.UnitPrice.Mul(decimal.NewFromInt(int64(l.Quantity))).Sub(l.Discount)) {
			return 0, nil, fmt.Errorf("line %q: %w", l.Title, errLinesDoNotAddUp)
		}
	}
	err = pg.InTx(ctx, q, func(tx *sqlx.Tx) error {
		err := sqlx.GetContext(ctx, tx, &saleID, `
			INSERT INTO sales (outlet_id, register_id, session_id, receipt_number, source, sold_at, currency,
				taxes_included, subtotal, discount_total, tax_total, total, balance, customer_id, note,
				receipt_seq, change_given, sold_by, token_id)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $13, $14, $15, $16, $17, $18)
			RETURNING id`,
			s.OutletID, s.RegisterID, s.SessionID, s.ReceiptNumber, s.Source, s.SoldAt, s.Currency,
			s.TaxesIncluded, s.Subtotal, s.DiscountTotal, s.TaxTotal, s.Total, s.CustomerID, s.Note,
			s.ReceiptSeq, s.ChangeGiven, s.SoldBy, s.TokenID)
		if err != nil {
			return translate(err, s.ReceiptNumber)
		}
		if ns.External != nil {
			_, err := tx.ExecContext(ctx, `INSERT INTO sale_external_ids (channel, shop, external_id, sale_id, external_updated_at) VALUES ($1, $2, $3, $4, $5)`,
				ns.External.Channel, ns.External.Shop, ns.External.ID, saleID, nullTime(ns.External.UpdatedAt))
			if pg.IsUniqueViolation(err, "sale_external_ids_pkey") {
				return fmt.Errorf("%s order %d: %w", ns.External.Channel, ns.External.ID, ErrAlreadyImported)
			}
			if err != nil {
				return fmt.Errorf("record external id: %w", err)
			}
		}
		lineIDs, err = insertLines(ctx, tx, saleID, ns.Lines)
		if err != nil {
			return err
		}
		for _, p := range ns.Payments {
			p.SaleID = saleID
			if _, err := st.AddPayment(ctx, tx, p); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return saleID, lineIDs, nil
}

func insertLines(ctx context.Context, tx *sqlx.Tx, saleID int64, lines []Line) ([]int64, error) {
	n := len(lines)
	var (
		nos       = make([]int64, n)
		products  = make([]*int64, n)
		kinds     = make([]string, n)
		skus      = make([]string, n)
		titles    = make([]string, n)
		variants  = make([]string, n)
		qtys      = make([]int64, n)
		prices    = make([]string, n)
		discounts = make([]string, n)
		taxes     = make([]string, n)
		totals    = make([]string, n)
		taxNos    []int64
		taxTitles []string
		taxRates  []string
		taxAmts   []string
	)
	for i, l := range lines {
		nos[i] = int64(i + 1)
		products[i], kinds[i], skus[i], titles[i], variants[i] = l.ProductID, l.Kind, l.SKU, l.Title, l.VariantTitle
		qtys[i] = int64(l.Quantity)
		prices[i], discounts[i], taxes[i], totals[i] = l.UnitPrice.String(), l.Discount.String(), l.Tax.String(), l.Total.String()
		for _, t := range l.Taxes {
			taxNos, taxTitles = append(taxNos, nos[i]), append(taxTitles, t.Title)
			taxRates, taxAmts = append(taxRates, t.Rate.String()), append(taxAmts, t.Amount.String())
		}
	}
	var rows []struct {
		ID     int64 `db:"id"`
		LineNo int   `db:"line_no"`
	}
	err := sqlx.SelectContext(ctx, tx, &rows, `
		WITH lt AS (
			SELECT t.no, array_agg(t.title ORDER BY t.k) AS titles, array_agg(t.rate ORDER BY t.k) AS rates,
				array_agg(t.amt ORDER BY t.k) AS amts
			FROM unnest($13::int[], $14::text[], $15::numeric[], $16::numeric[]) WITH ORDINALITY AS t(no, title, rate, amt, k)
			GROUP BY t.no
		)
		INSERT INTO sale_lines (sale_id, line_no, product_id, kind, sku, title, variant_title, quantity, unit_price, discount, tax, total,
			tax_titles, tax_rates, tax_amounts)
		SELECT $1, t.*, coalesce(lt.titles, '{}'), coalesce(lt.rates, '{}'), coalesce(lt.amts, '{}')
		FROM unnest($2::int[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::int[],
			$9::numeric[], $10::numeric[], $11::numeric[], $12::numeric[]) AS t(no, prod, kind, sku, title, vt, qty, price, disc, tax, tot)
		LEFT JOIN lt ON lt.no = t.no
		RETURNING id, line_no`,
		saleID, pq.Array(nos), pq.Array(products), pq.Array(kinds), pq.Array(skus), pq.Array(titles), pq.Array(variants),
		pq.Array(qtys), pq.Array(prices), pq.Array(discounts), pq.Array(taxes), pq.Array(totals),
		pq.Array(taxNos), pq.Array(taxTitles), pq.Array(taxRates), pq.Array(taxAmts))
	if err != nil {
		return nil, fmt.Errorf("record sale lines: %w", err)
	}
	if len(rows) != n {
		return nil, fmt.Errorf("record sale lines: %d of %d recorded", len(rows), n)
	}
	ids := make([]int64, n)
	for _, r := range rows {
		ids[r.LineNo-1] = r.ID
	}
	return ids, nil
}

// AddPayment records a payment against its sale and returns its id. The database lowers
// the sale's balance and refuses the payment if it would go below zero (ErrOverpayment).
func (Store) AddPayment(ctx context.Context, q pg.Queryer, p Payment) (int64, error) {
	if !p.Amount.IsPositive() {
		return 0, ErrNonPositivePayment
	}
	if p.Source == "" {
		p.Source = SourcePOS
	}
	var id int64
	err := sqlx.GetContext(ctx, q, &id, `
		INSERT INTO payments (sale_id, payment_type_id, amount, paid_at, register_id, session_id, recorded_by, source, token_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
		p.SaleID, p.PaymentTypeID, p.Amount, p.PaidAt, p.RegisterID, p.SessionID, p.RecordedBy, p.Source, p.TokenID)
	if err != nil {
		return 0, translate(err, "")
	}
	return id, nil
}

func translate(err error, receipt string) error {
	switch {
	case pg.IsUniqueViolation(err, "sales_outlet_id_receipt_number_key"):
		return fmt.Errorf("receipt %s: %w", receipt, ErrDuplicateReceipt)
	case pg.IsCheckViolation(err, "sales_balance_check"):
		return ErrOverpayment
	case pg.IsCheckViolation(err, "payments_amount_check"):
		return ErrNonPositivePayment
	case pg.IsRaised(err, "register_session_closed"):
		return ErrSessionClosed
	case pg.IsRaised(err, "payment_sale_voided"):
		return ErrSaleVoided
	case pg.IsRaised(err, "sale_receipt_seq"), pg.IsUniqueViolation(err, "sales_register_receipt_seq_key"):
		return fmt.Errorf("receipt %s: %w", receipt, ErrReceiptOutOfSeries)
	case err != nil:
		return fmt.Errorf("record sale: %w", err)
	}
	return nil
}

// SaleIDByExternal returns the sale recorded for a channel's order, or ErrNotFound.
func (Store) SaleIDByExternal(ctx context.Context, q pg.Queryer, x External) (int64, error) {
	var id int64
	err := sqlx.GetContext(ctx, q, &id, `SELECT sale_id FROM sale_external_ids WHERE channel = $1 AND shop = $2 AND external_id = $3`, x.Channel, x.Shop, x.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("%s order %d: %w", x.Channel, x.ID, ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("look up %s order %d: %w", x.Channel, x.ID, err)
	}
	return id, nil
}
