package sales

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/shopspring/decimal"

	"github.com/kassa-pos/kassa/internal/pg"
)

// A return is a document of its own, linked to its sale, whatever the sale's source: the
// sale itself never changes. Its receipt number is the sale's with -R1, -R2... (#1001-R1,
// FRONT-000123-R2), numbered per sale without a gap. Its lines give back (negative)
// quantities of the sale's lines, never more than sold less what earlier returns gave back
// (the database checks it under the sale line's lock), each saying whether the goods went
// back to stock; its refunds are the money given back (negative amounts) by payment type.
// A counter return is counted in the register's open session; a channel's refund (a
// Shopify refund) names none, and its id in the channel is kept, once per shop, so that
// recording it twice is refused (ErrReturnAlreadyRecorded).
//
// Kinds: a return (goods back), an adjustment (money back without goods: a price
// correction; or a channel's edit of the order: goods taken off and added) or a write-off
// (an amount the shop gives up). A shipping line (kind shipping, no quantity) gives back
// shipping. Only an adjustment adds: its lines may be positive (units added to a sale line,
// or goods the sale did not have, named by their product), and so may its totals and owed.

// Return kinds.
const (
	ReturnKindReturn     = "return"
	ReturnKindAdjustment = "adjustment"
	ReturnKindWriteOff   = "write_off"
	// KindAdjustment is a return line that gives money back without a sale line's goods.
	KindAdjustment = "adjustment"
)

// The database's refusals of a return.
var (
	ErrReturnMoreThanSold    = errors.New("more would be returned than was sold less what was returned already")
	ErrReturnAlreadyRecorded = errors.New("this refund is already recorded as a return")
	ErrReturnLineOfOtherSale = errors.New("the line is not a line of the returned sale")
	ErrReturnAdds            = errors.New("only an adjustment adds goods or money to a sale")
	errReturnNeedsLines      = errors.New("a return needs at least one line")
)

// Return is a return document as recorded. Amounts are zero or negative, but for an
// adjustment that adds goods.
type Return struct {
	ID            int64     `db:"id"`
	SaleID        int64     `db:"sale_id"`
	Seq           int       `db:"seq"`
	ReceiptNumber string    `db:"receipt_number"`
	Kind          string    `db:"kind"`
	Source        string    `db:"source"`
	OutletID      int64     `db:"outlet_id"`
	RegisterID    int64     `db:"register_id"`
	SessionID     *int64    `db:"session_id"`
	ReturnedAt    time.Time `db:"returned_at"`
	Reason        string    `db:"reason"`
	// Subtotal is the lines as priced on the sale (tax included or not), Shipping the
	// shipping given back, TaxTotal the tax in or on them, Total the money given back.
	Subtotal decimal.Decimal `db:"subtotal"`
	Shipping decimal.Decimal `db:"shipping"`
	TaxTotal decimal.Decimal `db:"tax_total"`
	Total    decimal.Decimal `db:"total"`
	// Owed is how much the document lowers what the buyer still owes (zero or negative):
	// a channel's change to an unpaid order, or a balance written off.
	Owed       decimal.Decimal `db:"owed"`
	RecordedBy string          `db:"recorded_by"`
	TokenID    *int64          `db:"token_id"`
	// External is the channel's refund this return records (nil: a counter return).
	External *External `db:"-"`
	// SaleReceipt is the returned sale's receipt number.
	SaleReceipt string `db:"sale_receipt"`
	// RegisterName and TokenName are the names of the register and API token, which
	// register.Store's NameSales (or NameReturn) fills in.
	RegisterName string  `db:"-"`
	TokenName    *string `db:"-"`

	Lines   []ReturnLine `db:"-"`
	Refunds []Refund     `db:"-"`
}

// ReturnLine is one line of a return. Quantity, Amount and Tax are zero or negative (given
// back), or, in an adjustment, zero or positive (added). Restock says the line moved stock:
// back in for a negative line, out for a positive one.
type ReturnLine struct {
	ID         int64  `db:"id"`
	ReturnID   int64  `db:"return_id"`
	LineNo     int    `db:"line_no"`
	SaleLineID *int64 `db:"sale_line_id"`
	Kind       string `db:"kind"`
	Title      string `db:"title"`
	Quantity   int    `db:"quantity"`
	// Amount is as priced on the sale (tax included or not); Tax the tax in or on it.
	Amount  decimal.Decimal  `db:"amount"`
	Tax     decimal.Decimal  `db:"tax"`
	TaxRate *decimal.Decimal `db:"tax_rate"`
	Restock bool             `db:"restock"`
	// SKU and ProductID are the sale line's (read functions fill them in); a line of goods
	// the sale does not have (no SaleLineID) names its product and SKU when recorded.
	SKU       string `db:"sku"`
	ProductID *int64 `db:"product_id"`
}

// Refund is money given back for a return, by payment type: a negative amount.
type Refund struct {
	ID            int64           `db:"id"`
	ReturnID      int64           `db:"return_id"`
	PaymentTypeID int64           `db:"payment_type_id"`
	TypeName      string          `db:"type_name"`
	Amount        decimal.Decimal `db:"amount"`
	RefundedAt    time.Time       `db:"refunded_at"`
	RegisterID    int64           `db:"register_id"`
	SessionID     *int64          `db:"session_id"`
	RecordedBy    string          `db:"recorded_by"`
	Source        string          `db:"source"`
	TokenID       *int64          `db:"token_id"`
}

// NewReturn is what CreateReturn records: the header (SaleID, Kind, Source, OutletID,
// RegisterID, SessionID, ReturnedAt, Reason, RecordedBy, TokenID, External), the lines
// and the refunds. The receipt number, sequence and totals are CreateReturn's.
type NewReturn struct {
	Return  Return
	Lines   []ReturnLine
	Refunds []Refund
}

// CreateReturn records a return with its lines and refunds, all or nothing, and returns it
// as stored. The sale is locked first, so returns of one sale are numbered one after the
// other (-R1, -R2...). The totals follow from the lines: Subtotal sums the lines that are
// not shipping, Shipping the shipping lines, TaxTotal their taxes, and Total is their sum
// plus the tax when the sale's prices exclude it.
//
// Refused, with nothing written: a line giving back more than sold less returned
// (ErrReturnMoreThanSold), a line of another sale (ErrReturnLineOfOtherSale), a voided sale
// (ErrSaleVoided), a closed session (ErrSessionClosed), a channel refund recorded before
// (ErrReturnAlreadyRecorded).
func (st Store) CreateReturn(ctx context.Context, q pg.Queryer, nr NewReturn) (Return, error) {
	if len(nr.Lines) == 0 {
		return Return{}, errReturnNeedsLines
	}
	r := nr.Return
	if r.Kind == "" {
		r.Kind = ReturnKindReturn
	}
	if r.Source == "" {
		r.Source = SourcePOS
	}
	var out Return
	err := pg.InTx(ctx, q, func(tx *sqlx.Tx) error {
		var sale struct {
			Receipt       string `db:"receipt_number"`
			TaxesIncluded bool   `db:"taxes_included"`
			Voided        bool   `db:"voided"`
			Seq           int    `db:"seq"`
		}
		err := sqlx.GetContext(ctx, tx, &sale, `
			SELECT receipt_number, taxes_included, voided FROM sales WHERE id = $1 FOR NO KEY UPDATE`, r.SaleID)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("sale %d: %w", r.SaleID, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("lock sale %d: %w", r.SaleID, err)
		}
		if sale.Voided {
			return fmt.Errorf("sale %s: %w", sale.Receipt, ErrSaleVoided)
		}
		// Read after the lock, so a return of the same sale committed meanwhile is counted.
		if err := sqlx.GetContext(ctx, tx, &sale.Seq, `SELECT coalesce(max(seq), 0) + 1 FROM sale_returns WHERE sale_id = $1`, r.SaleID); err != nil {
			return fmt.Errorf("number the return of %s: %w", sale.Receipt, err)
		}
		r.Seq = sale.Seq
		r.ReceiptNumber = sale.Receipt + "-R" + strconv.Itoa(sale.Seq)
		r.SaleReceipt = sale.Receipt
		r.Subtotal, r.Shipping, r.TaxTotal = decimal.Zero, decimal.Zero, decimal.Zero
		for _, l := range nr.Lines {
			if l.Kind == KindShipping {
				r.Shipping = r.Shipping.Add(l.Amount)
			} else {
				r.Subtotal = r.Subtotal.Add(l.Amount)
			}
			r.TaxTotal = r.TaxTotal.Add(l.Tax)
		}
		r.Total = r.Subtotal.Add(r.Shipping)
		if !sale.TaxesIncluded {
			r.Total = r.Total.Add(r.TaxTotal)
		}
		var xChannel, xShop *string
		var xID *int64
		if x := r.External; x != nil {
			xChannel, xShop, xID = &x.Channel, &x.Shop, &x.ID
		}
		err = sqlx.GetContext(ctx, tx, &r.ID, `
			INSERT INTO sale_returns (sale_id, seq, receipt_number, kind, source, outlet_id, register_id, session_id,
				returned_at, external_channel, external_shop, external_id, reason, subtotal, shipping, tax_total, total,
				recorded_by, token_id, owed)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)
			RETURNING id`,
			r.SaleID, r.Seq, r.ReceiptNumber, r.Kind, r.Source, r.OutletID, r.RegisterID, r.SessionID,
			r.ReturnedAt, xChannel, xShop, xID, r.Reason, r.Subtotal, r.Shipping, r.TaxTotal, r.Total,
			r.RecordedBy, r.TokenID, r.Owed)
		if err != nil {
			return translateReturn(err, r)
		}
		n := len(nr.Lines)
		var (
			nos, qtys      = make([]int64, n), make([]int64, n)
			saleLines      = make([]*int64, n)
			kinds, titles  = make([]string, n), make([]string, n)
			amounts, taxes = make([]string, n), make([]string, n)
			rates          = make([]*string, n)
			restocks       = make([]bool, n)
			products       = make([]*int64, n)
			skus           = make([]string, n)
		)
		for i, l := range nr.Lines {
			if l.Kind == "" {
				l.Kind = KindProduct
			}
			nos[i], qtys[i], saleLines[i] = int64(i+1), int64(l.Quantity), l.SaleLineID
			kinds[i], titles[i], amounts[i], taxes[i], restocks[i] = l.Kind, l.Title, l.Amount.String(), l.Tax.String(), l.Restock
			if l.TaxRate != nil {
				s := l.TaxRate.String()
				rates[i] = &s
			}
			if l.SaleLineID == nil {
				products[i], skus[i] = l.ProductID, l.SKU
			}
			nr.Lines[i].Kind = l.Kind
		}
		_, err = tx.ExecContext(ctx, `
			INSERT INTO sale_return_lines (return_id, line_no, sale_line_id, kind, title, quantity, amount, tax, tax_rate, restock, product_id, sku)
			SELECT $1, t.* FROM unnest($2::int[], $3::bigint[], $4::text[], $5::text[], $6::int[], $7::numeric[],
				$8::numeric[], $9::numeric[], $10::boolean[], $11::bigint[], $12::text[]) AS t`,
			r.ID, pq.Array(nos), pq.Array(saleLines), pq.Array(kinds), pq.Array(titles), pq.Array(qtys),
			pq.Array(amounts), pq.Array(taxes), pq.Array(rates), pq.Array(restocks), pq.Array(products), pq.Array(skus))
		if err != nil {
			return translateReturn(err, r)
		}
		for _, f := range nr.Refunds {
			if !f.Amount.IsNegative() {
				return fmt.Errorf("return %s: a refund is a negative amount, not %s", r.ReceiptNumber, f.Amount.StringFixed(2))
			}
			if f.Source == "" {
				f.Source = r.Source
			}
			if f.RefundedAt.IsZero() {
				f.RefundedAt = r.ReturnedAt
			}
			_, err := tx.ExecContext(ctx, `
				INSERT INTO refunds (return_id, payment_type_id, amount, refunded_at, register_id, session_id, recorded_by, source, token_id)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
				r.ID, f.PaymentTypeID, f.Amount, f.RefundedAt, r.RegisterID, r.SessionID, f.RecordedBy, f.Source, f.TokenID)
			if err != nil {
				return translateReturn(err, r)
			}
		}
		out, err = st.returnByID(ctx, tx, r.ID)
		return err
	})
	if err != nil {
		return Return{}, err
	}
	return out, nil
}

func translateReturn(err error, r Return) error {
	switch {
	case pg.IsRaised(err, "sale_return_more_than_sold"):
		return fmt.Errorf("return of %s: %w", r.SaleReceipt, ErrReturnMoreThanSold)
	case pg.IsRaised(err, "sale_return_adds"), pg.IsCheckViolation(err, "sale_returns_gives_back"):
		return fmt.Errorf("return of %s: %w", r.SaleReceipt, ErrReturnAdds)
	case pg.IsRaised(err, "sale_return_line_sale"):
		return fmt.Errorf("return of %s: %w", r.SaleReceipt, ErrReturnLineOfOtherSale)
	case pg.IsRaised(err, "sale_return_voided"):
		return fmt.Errorf("sale %s: %w", r.SaleReceipt, ErrSaleVoided)
	case pg.IsRaised(err, "register_session_closed"):
		return ErrSessionClosed
	case pg.IsUniqueViolation(err, "sale_returns_external_channel_external_shop_external_id_key"):
		return fmt.Errorf("%s refund %d: %w", r.External.Channel, r.External.ID, ErrReturnAlreadyRecorded)
	case pg.IsUniqueViolation(err, "sale_returns_outlet_id_receipt_number_key"):
		return fmt.Errorf("receipt %s: %w", r.ReceiptNumber, ErrDuplicateReceipt)
	}
	return fmt.Errorf("record return of %s: %w", r.SaleReceipt, err)
}

const returnSelect = `
	SELECT r.id, r.sale_id, r.seq, r.receipt_number, r.kind, r.source, r.outlet_id, r.register_id, r.session_id,
		r.returned_at, r.reason, r.subtotal, r.shipping, r.tax_total, r.total, r.owed, r.recorded_by, r.token_id,
		r.external_channel, r.external_shop, r.external_id, s.receipt_number AS sale_receipt
	FROM sale_returns r JOIN sales s ON s.id = r.sale_id`

type returnRow struct {
	Return
	XChannel *string `db:"external_channel"`
	XShop    *string `db:"external_shop"`
	XID      *int64  `db:"external_id"`
}

func (st Store) loadReturns(ctx context.Context, q pg.Queryer, where string, args ...any) ([]Return, error) {
	var rows []returnRow
	if err := sqlx.SelectContext(ctx, q, &rows, returnSelect+" WHERE "+where+" ORDER BY r.sale_id, r.seq", args...); err != nil {
		return nil, fmt.Errorf("load returns: %w", err)
	}
	out := make([]Return, len(rows))
	ids := make([]int64, len(rows))
	at := make(map[int64]int, len(rows))
	for i, row := range rows {
		out[i] = row.Return
		if row.XID != nil {
			out[i].External = &External{Channel: *row.XChannel, Shop: *row.XShop, ID: *row.XID}
		}
		out[i].Lines, out[i].Refunds = []ReturnLine{}, []Refund{}
		ids[i], at[row.ID] = row.ID, i
	}
	if len(rows) == 0 {
		return out, nil
	}
	var lines []ReturnLine
	err := sqlx.SelectContext(ctx, q, &lines, `
		SELECT rl.id, rl.return_id, rl.line_no, rl.sale_line_id, rl.kind, rl.title, rl.quantity, rl.amount, rl.tax,
			rl.tax_rate, rl.restock, coalesce(sl.sku, rl.sku) AS sku, coalesce(sl.product_id, rl.product_id) AS product_id
		FROM sale_return_lines rl LEFT JOIN sale_lines sl ON sl.id = rl.sale_line_id
		WHERE rl.return_id = ANY($1::bigint[]) ORDER BY rl.return_id, rl.line_no`, pq.Array(ids))
	if err != nil {
		return nil, fmt.Errorf("load return lines: %w", err)
	}
	for _, l := range lines {
		out[at[l.ReturnID]].Lines = append(out[at[l.ReturnID]].Lines, l)
	}
	var refunds []Refund
	err = sqlx.SelectContext(ctx, q, &refunds, `
		SELECT f.id, f.return_id, f.payment_type_id, t.name AS type_name, f.amount, f.refunded_at, f.register_id,
			f.session_id, f.recorded_by, f.source, f.token_id
		FROM refunds f JOIN payment_types t ON t.id = f.payment_type_id
		WHERE f.return_id = ANY($1::bigint[]) ORDER BY f.return_id, f.id`, pq.Array(ids))
	if err != nil {
		return nil, fmt.Errorf("load refunds: %w", err)
	}
	for _, f := range refunds {
		out[at[f.ReturnID]].Refunds = append(out[at[f.ReturnID]].Refunds, f)
	}
	return out, nil
}

func (st Store) returnByID(ctx context.Context, q pg.Queryer, id int64) (Return, error) {
	rs, err := st.loadReturns(ctx, q, "r.id = $1", id)
	if err != nil {
		return Return{}, err
	}
	if len(rs) == 0 {
		return Return{}, fmt.Errorf("return %d: %w", id, ErrNotFound)
	}
	return rs[0], nil
}

// Returns lists a sale's returns with their lines and refunds, -R1 first.
func (st Store) Returns(ctx context.Context, q pg.Queryer, saleID int64) ([]Return, error) {
	return st.loadReturns(ctx, q, "r.sale_id = $1", saleID)
}

// ReturnByReceipt finds a return by its receipt number (FRONT-000123-R1, #1001-R1) in an
// outlet (0: any, when the number is unique), with its lines and refunds.
func (st Store) ReturnByReceipt(ctx context.Context, q pg.Queryer, outletID int64, receipt string) (Return, error) {
	receipt = strings.TrimSpace(receipt)
	rs, err := st.loadReturns(ctx, q, "r.receipt_number = $1 AND ($2 = 0 OR r.outlet_id = $2)", receipt, outletID)
	if err != nil {
		return Return{}, err
	}
	switch len(rs) {
	case 0:
		return Return{}, &ReceiptNotFoundError{Receipt: receipt}
	case 1:
		return rs[0], nil
	}
	return Return{}, fmt.Errorf("return %s: %w", receipt, ErrAmbiguousReceipt)
}

// ReturnByExternal finds the return that records a channel's refund, or ErrNotFound.
func (st Store) ReturnByExternal(ctx context.Context, q pg.Queryer, x External) (Return, error) {
	rs, err := st.loadReturns(ctx, q, "r.external_channel = $1 AND r.external_shop = $2 AND r.external_id = $3", x.Channel, x.Shop, x.ID)
	if err != nil {
		return Return{}, err
	}
	if len(rs) == 0 {
		return Return{}, fmt.Errorf("%s refund %d: %w", x.Channel, x.ID, ErrNotFound)
	}
	return rs[0], nil
}

// ReturnableLine is a sale line with what its returns gave back so far (as positive
// figures: 1 unit, 2.50, 0.43 of tax).
type ReturnableLine struct {
	Line
	ReturnedQty    int             `db:"returned_qty"`
	ReturnedAmount decimal.Decimal `db:"returned_amount"`
	ReturnedTax    decimal.Decimal `db:"returned_tax"`
}

// Left is how many units of the line can still be returned.
func (l ReturnableLine) Left() int { return l.Quantity - l.ReturnedQty }

// Give works out what returning qty more units of the line gives back, as positive
// figures: the line's total and tax in proportion, rounded to the cent (half away from
// zero); the last units returned give back exactly what is left, so that a line returned
// in several goes gives back its total and tax to the cent.
func (l ReturnableLine) Give(qty int) (amount, tax decimal.Decimal) {
	if qty >= l.Left() {
		return l.Total.Sub(l.ReturnedAmount), l.Tax.Sub(l.ReturnedTax)
	}
	share := decimal.NewFromInt(int64(qty)).Div(decimal.NewFromInt(int64(l.Quantity)))
	return l.Total.Mul(share).Round(2), l.Tax.Mul(share).Round(2)
}

// ReturnableLines lists a sale's lines with what was returned of each so far, in order.
func (Store) ReturnableLines(ctx context.Context, q pg.Queryer, saleID int64) ([]ReturnableLine, error) {
	var out []ReturnableLine
	err := sqlx.SelectContext(ctx, q, &out, `
		SELECT l.id, l.sale_id, l.line_no, l.product_id, l.kind, l.sku, l.title, l.variant_title, l.quantity,
			l.unit_price, l.discount, l.tax, l.total,
			coalesce(-sum(rl.quantity), 0) AS returned_qty, coalesce(-sum(rl.amount), 0) AS returned_amount,
			coalesce(-sum(rl.tax), 0) AS returned_tax
		FROM sale_lines l LEFT JOIN sale_return_lines rl ON rl.sale_line_id = l.id
		WHERE l.sale_id = $1
		GROUP BY l.id ORDER BY l.line_no`, saleID)
	if err != nil {
		return nil, fmt.Errorf("load the lines of sale %d: %w", saleID, err)
	}
	var rates []struct {
		ID    int64          `db:"id"`
		Rates pq.StringArray `db:"rates"`
	}
	if err := sqlx.SelectContext(ctx, q, &rates, `SELECT id, tax_rates::text[] AS rates FROM sale_lines WHERE sale_id = $1`, saleID); err != nil {
		return nil, fmt.Errorf("load the tax rates of sale %d: %w", saleID, err)
	}
	for _, r := range rates {
		for i := range out {
			if out[i].ID != r.ID {
				continue
			}
			for _, s := range r.Rates {
				if d, err := decimal.NewFromString(s); err == nil {
					out[i].Taxes = append(out[i].Taxes, LineTax{Rate: d})
				}
			}
		}
	}
	return out, nil
}

// AddedLines lists, by product, the goods a sale's documents added that the sale itself
// does not have (an edit in the channel adding a product after the import), as returnable
// lines: Quantity, Total and Tax are what was added, the Returned figures what later
// documents gave back of it. Such a line has no ID (no sale line); ProductID, SKU and
// Title name the goods.
func (Store) AddedLines(ctx context.Context, q pg.Queryer, saleID int64) ([]ReturnableLine, error) {
	var out []ReturnableLine
	err := sqlx.SelectContext(ctx, q, &out, `
		SELECT 0 AS id, r.sale_id, 0 AS line_no, rl.product_id, 'product' AS kind,
			(array_agg(rl.sku ORDER BY rl.id))[1] AS sku, (array_agg(rl.title ORDER BY rl.id))[1] AS title, '' AS variant_title,
			coalesce(sum(rl.quantity) FILTER (WHERE rl.quantity > 0), 0) AS quantity,
			0 AS unit_price, 0 AS discount,
			coalesce(sum(rl.tax) FILTER (WHERE rl.quantity > 0), 0) AS tax,
			coalesce(sum(rl.amount) FILTER (WHERE rl.quantity > 0), 0) AS total,
			coalesce(-sum(rl.quantity) FILTER (WHERE rl.quantity < 0), 0) AS returned_qty,
			coalesce(-sum(rl.amount) FILTER (WHERE rl.quantity < 0), 0) AS returned_amount,
			coalesce(-sum(rl.tax) FILTER (WHERE rl.quantity < 0), 0) AS returned_tax
		FROM sale_return_lines rl JOIN sale_returns r ON r.id = rl.return_id
		WHERE r.sale_id = $1 AND rl.product_id IS NOT NULL
		GROUP BY r.sale_id, rl.product_id ORDER BY min(rl.id)`, saleID)
	if err != nil {
		return nil, fmt.Errorf("load the goods added to sale %d: %w", saleID, err)
	}
	return out, nil
}
