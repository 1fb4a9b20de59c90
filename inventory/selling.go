package inventory

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/shopspring/decimal"

	"github.com/kassa-pos/kassa/internal/pg"
)

// Errors about products ready to sell.
var (
	ErrDuplicateBarcode = errors.New("another product has this barcode")
	ErrInvalidTaxRate   = errors.New("a tax rate is a percentage from 0 up to (not including) 100, e.g. 21 or 5.5")
	ErrInvalidBarcode   = errors.New("a barcode is up to 64 letters, digits or dashes, without spaces")
)

// MaxBarcode is the longest barcode kept, in characters.
const MaxBarcode = 64

// ParseTaxRate reads a tax rate written as a percentage ("21", "5.5", "0") and returns it
// as the fraction kassa keeps (0.21, 0.055, 0).
func ParseTaxRate(s string) (decimal.Decimal, error) {
	s = strings.TrimSuffix(strings.TrimSpace(s), "%")
	d, err := decimal.NewFromString(strings.TrimSpace(s))
	if err != nil || d.IsNegative() || d.GreaterThanOrEqual(decimal.NewFromInt(100)) || d.Exponent() < -2 {
		return decimal.Decimal{}, fmt.Errorf("tax rate %q: %w", s, ErrInvalidTaxRate)
	}
	return d.Shift(-2), nil
}

// Percent shows a rate kept as a fraction (0.21) as a percentage ("21", "5.5").
func Percent(rate decimal.Decimal) string {
	return rate.Shift(2).String()
}

func checkProductCodes(p Product) error {
	if p.Barcode != "" {
		if len([]rune(p.Barcode)) > MaxBarcode || strings.IndexFunc(p.Barcode, func(r rune) bool {
			return !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-')
		}) >= 0 {
			return fmt.Errorf("barcode %q: %w", p.Barcode, ErrInvalidBarcode)
		}
	}
	if p.TaxRate != nil && (p.TaxRate.IsNegative() || p.TaxRate.GreaterThanOrEqual(decimal.NewFromInt(1))) {
		return fmt.Errorf("tax rate %s %%: %w", Percent(*p.TaxRate), ErrInvalidTaxRate)
	}
	return nil
}

func translateProduct(err error, p Product) error {
	switch {
	case err == nil:
		return nil
	case pg.IsUniqueViolation(err, "products_sku_key"):
		return fmt.Errorf("SKU %q: %w", p.SKU, ErrDuplicateSKU)
	case pg.IsUniqueViolation(err, "products_barcode_key"):
		return fmt.Errorf("barcode %q: %w", p.Barcode, ErrDuplicateBarcode)
	}
	return fmt.Errorf("save product %q: %w", p.Name, err)
}

// ProductChange is what UpdateProduct changes: each field left nil stays as it is.
type ProductChange struct {
	Name    *string
	Price   *decimal.Decimal
	Barcode *string // "" removes the barcode
	// TaxRate sets the product's rate; ClearTaxRate gives it the outlet's default again.
	TaxRate      *decimal.Decimal
	ClearTaxRate bool
	TracksStock  *bool
	Published    *bool
}

// UpdateProduct changes a product's details and returns it as stored.
func (Store) UpdateProduct(ctx context.Context, q pg.Queryer, id int64, c ProductChange) (Product, error) {
	var cur Product
	err := sqlx.GetContext(ctx, q, &cur, `SELECT `+productColumns+` FROM products WHERE id = $1`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return Product{}, fmt.Errorf("product %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Product{}, fmt.Errorf("load product %d: %w", id, err)
	}
	p := cur
	if c.Name != nil {
		if strings.TrimSpace(*c.Name) == "" {
			return Product{}, errors.New("a product needs a name")
		}
		p.Name = strings.TrimSpace(*c.Name)
	}
	if c.Price != nil {
		if c.Price.IsNegative() {
			return Product{}, fmt.Errorf("price %s: a price cannot be negative", c.Price.StringFixed(2))
		}
		p.Price = *c.Price
	}
	if c.Barcode != nil {
		p.Barcode = strings.TrimSpace(*c.Barcode)
	}
	if c.TaxRate != nil {
		r := *c.TaxRate
		p.TaxRate = &r
	}
	if c.ClearTaxRate {
		p.TaxRate = nil
	}
	if c.TracksStock != nil {
		p.TracksStock = *c.TracksStock
	}
	if c.Published != nil {
		p.Published = *c.Published
	}
	if err := checkProductCodes(p); err != nil {
		return Product{}, err
	}
	var out Product
	err = sqlx.GetContext(ctx, q, &out, `
		UPDATE products SET name = $2, price = $3, barcode = $4, tax_rate = $5, tracks_stock = $6, published = $7, updated_at = now()
		WHERE id = $1 RETURNING `+productColumns,
		id, p.Name, p.Price, p.Barcode, p.TaxRate, p.TracksStock, p.Published)
	if err := translateProduct(err, p); err != nil {
		return Product{}, err
	}
	return out, nil
}

// SetBarcodes gives products their barcodes (a catalogue pull): product id → barcode, ""
// to remove one. A barcode another product has is refused (ErrDuplicateBarcode), and
// nothing is changed.
func (Store) SetBarcodes(ctx context.Context, q pg.Queryer, barcodes map[int64]string) error {
	if len(barcodes) == 0 {
		return nil
	}
	ids := make([]int64, 0, len(barcodes))
	codes := make([]string, 0, len(barcodes))
	for id, code := range barcodes {
		code = strings.TrimSpace(code)
		if err := checkProductCodes(Product{Barcode: code}); err != nil {
			return err
		}
		ids, codes = append(ids, id), append(codes, code)
	}
	_, err := q.ExecContext(ctx, `
		UPDATE products p SET barcode = t.code, updated_at = now()
		FROM unnest($1::bigint[], $2::text[]) AS t(id, code)
		WHERE p.id = t.id AND p.barcode <> t.code`, pq.Array(ids), pq.Array(codes))
	if pg.IsUniqueViolation(err, "products_barcode_key") {
		return ErrDuplicateBarcode
	}
	if err != nil {
		return fmt.Errorf("set barcodes: %w", err)
	}
	return nil
}

// ProductByCode finds the product a scanned or typed code names: the product with that
// barcode, else the one with that SKU (in any case). ErrNotFound when neither.
func (Store) ProductByCode(ctx context.Context, q pg.Queryer, code string) (Product, error) {
	code = strings.TrimSpace(code)
	if code == "" {
		return Product{}, fmt.Errorf("empty code: %w", ErrNotFound)
	}
	var p Product
	err := sqlx.GetContext(ctx, q, &p, `
		SELECT `+productColumns+` FROM products WHERE barcode = $1 AND barcode <> ''
		UNION ALL
		(SELECT `+productColumns+` FROM products WHERE lower(sku) = lower($1) AND sku <> '')
		LIMIT 1`, code)
	if errors.Is(err, sql.ErrNoRows) {
		return Product{}, fmt.Errorf("product with barcode or SKU %q: %w", code, ErrNotFound)
	}
	if err != nil {
		return Product{}, fmt.Errorf("look up product %q: %w", code, err)
	}
	return p, nil
}

// ProductsByCodes finds the products of several codes at once (ProductByCode for each):
// code → product, codes no product has left out.
func (Store) ProductsByCodes(ctx context.Context, q pg.Queryer, codes []string) (map[string]Product, error) {
	clean := make([]string, 0, len(codes))
	for _, c := range codes {
		if c = strings.TrimSpace(c); c != "" {
			clean = append(clean, c)
		}
	}
	var rows []struct {
		Code string `db:"code"`
		Product
	}
	err := sqlx.SelectContext(ctx, q, &rows, `
		SELECT DISTINCT ON (c.code) c.code, p.id, p.sku, p.name, p.variant_title, p.price, p.tracks_stock, p.published,
			p.source, p.barcode, p.tax_rate
		FROM unnest($1::text[]) AS c(code)
		JOIN products p ON (p.barcode = c.code AND p.barcode <> '') OR (lower(p.sku) = lower(c.code) AND p.sku <> '')
		ORDER BY c.code, p.barcode = c.code DESC`, pq.Array(clean))
	if err != nil {
		return nil, fmt.Errorf("look up products: %w", err)
	}
	out := make(map[string]Product, len(rows))
	for _, r := range rows {
		out[r.Code] = r.Product
	}
	return out, nil
}

// SearchProducts finds up to limit published products whose barcode or SKU is text, or
// whose name contains it, in any case: exact codes first, then names that begin with it,
// then the rest, by name.
func (Store) SearchProducts(ctx context.Context, q pg.Queryer, text string, limit int) ([]Product, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return []Product{}, nil
	}
	if limit <= 0 {
		limit = 20
	}
	like := "%" + likeEscape(strings.ToLower(text)) + "%"
	out := []Product{}
	err := sqlx.SelectContext(ctx, q, &out, `
		SELECT `+productColumns+` FROM products
		WHERE published AND ((barcode = $1 AND barcode <> '') OR (lower(sku) = lower($1) AND sku <> '') OR lower(name) LIKE $2)
		ORDER BY (barcode = $1 OR lower(sku) = lower($1)) DESC, lower(name) LIKE lower($3) || '%' DESC, name, variant_title, id
		LIMIT $4`, text, like, likeEscape(text), limit)
	if err != nil {
		return nil, fmt.Errorf("search products %q: %w", text, err)
	}
	return out, nil
}

func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// SetOutletPricing says whether an outlet's prices include tax and which tax rate (a
// fraction) a product without one of its own has there; nil leaves a setting as it is.
func (Store) SetOutletPricing(ctx context.Context, q pg.Queryer, id int64, pricesIncludeTax *bool, defaultRate *decimal.Decimal) (Outlet, error) {
	if defaultRate != nil && (defaultRate.IsNegative() || defaultRate.GreaterThanOrEqual(decimal.NewFromInt(1))) {
		return Outlet{}, fmt.Errorf("tax rate %s %%: %w", Percent(*defaultRate), ErrInvalidTaxRate)
	}
	var o Outlet
	err := sqlx.GetContext(ctx, q, &o, `
		UPDATE outlets SET prices_include_tax = coalesce($2, prices_include_tax), default_tax_rate = coalesce($3, default_tax_rate)
		WHERE id = $1 RETURNING `+outletColumns, id, pricesIncludeTax, defaultRate)
	if errors.Is(err, sql.ErrNoRows) {
		return Outlet{}, fmt.Errorf("outlet %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Outlet{}, fmt.Errorf("set pricing of outlet %d: %w", id, err)
	}
	return o, nil
}

// SaleLineMovements returns the stock movements the sale lines made when they were sold
// (reason sale), so that a void can move exactly that stock back.
func (Store) SaleLineMovements(ctx context.Context, q pg.Queryer, saleLineIDs []int64) ([]Movement, error) {
	var rows []struct {
		ProductID  int64  `db:"product_id"`
		OutletID   int64  `db:"outlet_id"`
		Delta      int    `db:"delta"`
		Reason     string `db:"reason"`
		SaleLineID int64  `db:"sale_line_id"`
	}
	err := sqlx.SelectContext(ctx, q, &rows, `
		SELECT product_id, outlet_id, delta, reason, sale_line_id FROM stock_movements
		WHERE sale_line_id = ANY($1::bigint[]) AND reason = 'sale' ORDER BY id`, pq.Array(saleLineIDs))
	if err != nil {
		return nil, fmt.Errorf("load the sale lines' stock movements: %w", err)
	}
	out := make([]Movement, len(rows))
	for i, r := range rows {
		out[i] = Movement{ProductID: r.ProductID, OutletID: r.OutletID, Delta: r.Delta, Reason: r.Reason, SaleLineID: r.SaleLineID}
	}
	return out, nil
}
