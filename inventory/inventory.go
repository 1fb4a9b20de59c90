package inventory

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/jmoiron/sqlx"
	"github.com/kassa-pos/kassa/internal/pg"
)

// Errors returned by the store.
var (
	ErrNotFound        = errors.New("not found")
	ErrDuplicateSKU    = errors.New("a product with this SKU already exists (SKUs are the same whatever their case)")
	ErrDuplicateOutlet = errors.New("an outlet with this name already exists")
	ErrInvalidTimezone = errors.New("not a known IANA time zone")
	ErrInvalidCurrency = errors.New("not an ISO 4217 currency code in use, such as EUR")
	ErrArchived        = errors.New("archived")
	ErrOutletInUse     = errors.New("the outlet is still in use")
)

// Store reads and writes outlets, products and stock. Its methods take the queryer to
// use (a *sqlx.DB or a *sqlx.Tx) so that callers can span several stores with one
// transaction. Clock gives the time an outlet is archived at (the real time when nil).
type Store struct {
	Clock func() time.Time
}

// Outlet is a physical shop.
type Outlet struct {
	ID        int64     `db:"id"`
	Name      string    `db:"name"`
	Timezone  string    `db:"timezone"`
	Currency  string    `db:"currency"`
	CreatedAt time.Time `db:"created_at"`
	// ArchivedAt is when the outlet was archived; nil while it is live.
	ArchivedAt *time.Time `db:"archived_at"`
	// PricesIncludeTax says the outlet's prices are tax-inclusive (EU shops: yes); its
	// counter sales compute the tax in the price, else on top of it.
	PricesIncludeTax bool `db:"prices_include_tax"`
	// DefaultTaxRate is the tax rate (a fraction: 0.21 for 21 %) of a product that names
	// none.
	DefaultTaxRate decimal.Decimal `db:"default_tax_rate"`
}

// Archived reports whether the outlet is archived: it keeps its history but takes no new
// registers, stock or Shopify connections.
func (o Outlet) Archived() bool { return o.ArchivedAt != nil }

// Location returns the outlet's time zone.
func (o Outlet) Location() (*time.Location, error) {
	loc, err := time.LoadLocation(o.Timezone)
	if err != nil {
		return nil, fmt.Errorf("outlet %q: time zone %q: %w", o.Name, o.Timezone, err)
	}
	return loc, nil
}

const outletColumns = `id, name, timezone, currency, created_at, archived_at, prices_include_tax, default_tax_rate`

// CreateOutlet adds an outlet. The time zone must be an IANA name (Europe/Brussels) and
// the currency an ISO 4217 code in use (eur is taken as EUR). The name must differ from
// every live outlet's, whatever the case.
func (Store) CreateOutlet(ctx context.Context, q pg.Queryer, name, timezone, currency string) (Outlet, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return Outlet{}, errors.New("an outlet needs a name")
	}
	if _, err := time.LoadLocation(timezone); err != nil || timezone == "" || timezone == "Local" {
		return Outlet{}, fmt.Errorf("time zone %q: %w", timezone, ErrInvalidTimezone)
	}
	code, err := NormalizeCurrency(currency)
	if err != nil {
		return Outlet{}, err
	}
	currency = code
	var o Outlet
	err = sqlx.GetContext(ctx, q, &o, `
		INSERT INTO outlets (name, timezone, currency) VALUES ($1, $2, $3)
		RETURNING `+outletColumns, name, timezone, currency)
	switch {
	case pg.IsUniqueViolation(err, "outlets_name_key"):
		return Outlet{}, fmt.Errorf("outlet %q: %w", name, ErrDuplicateOutlet)
	case pg.IsCheckViolation(err, "outlets_timezone_check"):
		// Go and PostgreSQL ship their own time zone databases; both must know it.
		return Outlet{}, fmt.Errorf("time zone %q: %w", timezone, ErrInvalidTimezone)
	case err != nil:
		return Outlet{}, fmt.Errorf("create outlet %q: %w", name, err)
	}
	return o, nil
}

// Outlets lists the live outlets by name; archived ones are left out.
func (Store) Outlets(ctx context.Context, q pg.Queryer) ([]Outlet, error) {
	var out []Outlet
	if err := sqlx.SelectContext(ctx, q, &out, `SELECT `+outletColumns+` FROM outlets WHERE archived_at IS NULL ORDER BY name`); err != nil {
		return nil, fmt.Errorf("list outlets: %w", err)
	}
	return out, nil
}

// OutletByName finds an outlet by its name, whatever the case: the live outlet of that
// name, else the one archived last (its history can still be read; callers that add to it
// check Archived).
func (Store) OutletByName(ctx context.Context, q pg.Queryer, name string) (Outlet, error) {
	var o Outlet
	err := sqlx.GetContext(ctx, q, &o, `SELECT `+outletColumns+` FROM outlets WHERE lower(name) = lower($1)
		ORDER BY archived_at DESC NULLS FIRST, id DESC LIMIT 1`, strings.TrimSpace(name))
	if errors.Is(err, sql.ErrNoRows) {
		return Outlet{}, fmt.Errorf("outlet %q: %w", name, ErrNotFound)
	}
	if err != nil {
		return Outlet{}, fmt.Errorf("load outlet %q: %w", name, err)
	}
	return o, nil
}

// Outlet finds an outlet by id.
func (Store) Outlet(ctx context.Context, q pg.Queryer, id int64) (Outlet, error) {
	var o Outlet
	err := sqlx.GetContext(ctx, q, &o, `SELECT `+outletColumns+` FROM outlets WHERE id = $1`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return Outlet{}, fmt.Errorf("outlet %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Outlet{}, fmt.Errorf("load outlet %d: %w", id, err)
	}
	return o, nil
}

// Product sources.
const (
	SourcePOS     = "pos"
	SourceShopify = "shopify"
	SourceSystem  = "system"
)

// Product is something the shop sells. SKU is empty when the product has none.
type Product struct {
	ID           int64           `db:"id"`
	SKU          string          `db:"sku"`
	Name         string          `db:"name"`
	VariantTitle string          `db:"variant_title"`
	Price        decimal.Decimal `db:"price"`
	TracksStock  bool            `db:"tracks_stock"`
	Published    bool            `db:"published"`
	Source       string          `db:"source"`
	// Barcode is the product's barcode (EAN, UPC...), empty when it has none; a barcode
	// names one product.
	Barcode string `db:"barcode"`
	// TaxRate is the product's tax rate (a fraction: 0.21 for 21 %); nil: the outlet's
	// default rate.
	TaxRate *decimal.Decimal `db:"tax_rate"`
}

const productColumns = `id, sku, name, variant_title, price, tracks_stock, published, source, barcode, tax_rate`

// CreateProduct adds a product and returns it with its id.
func (Store) CreateProduct(ctx context.Context, q pg.Queryer, p Product) (Product, error) {
	p.SKU = strings.TrimSpace(p.SKU)
	if strings.TrimSpace(p.Name) == "" {
		return Product{}, errors.New("a product needs a name")
	}
	if p.Price.IsNegative() {
		return Product{}, fmt.Errorf("price %s: a price cannot be negative", p.Price.StringFixed(2))
	}
	if p.Source == "" {
		p.Source = SourcePOS
	}
	p.Barcode = strings.TrimSpace(p.Barcode)
	if err := checkProductCodes(p); err != nil {
		return Product{}, err
	}
	var out Product
	err := sqlx.GetContext(ctx, q, &out, `
		INSERT INTO products (sku, name, variant_title, price, tracks_stock, published, source, barcode, tax_rate)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		RETURNING `+productColumns,
		p.SKU, p.Name, p.VariantTitle, p.Price, p.TracksStock, p.Published, p.Source, p.Barcode, p.TaxRate)
	if err := translateProduct(err, p); err != nil {
		return Product{}, err
	}
	return out, nil
}

// ProductBySKU finds the product with the given (non-empty) SKU, in any case: SKUs are
// case-insensitive ("cup-esp" is the product "CUP-ESP"), which the unique index on
// lower(sku) guarantees is one product.
func (Store) ProductBySKU(ctx context.Context, q pg.Queryer, sku string) (Product, error) {
	sku = strings.TrimSpace(sku)
	if sku == "" {
		return Product{}, fmt.Errorf("empty SKU: %w", ErrNotFound)
	}
	var p Product
	err := sqlx.GetContext(ctx, q, &p, `SELECT `+productColumns+` FROM products WHERE lower(sku) = lower($1) AND sku <> ''`, sku)
	if errors.Is(err, sql.ErrNoRows) {
		return Product{}, fmt.Errorf("product with SKU %q: %w", sku, ErrNotFound)
	}
	if err != nil {
		return Product{}, fmt.Errorf("load product %q: %w", sku, err)
	}
	return p, nil
}

// ExternalID is a product as another channel knows it.
type ExternalID struct {
	Channel   string // "shopify"
	Shop      string // "demo.myshopify.com"
	ProductID int64  // 0 when unknown
	VariantID int64
}

// ProductByExternalID finds the product remembered for a channel's variant id.
func (Store) ProductByExternalID(ctx context.Context, q pg.Queryer, channel, shop string, variantID int64) (Product, error) {
	var p Product
	err := sqlx.GetContext(ctx, q, &p, `
		SELECT p.id, p.sku, p.name, p.variant_title, p.price, p.tracks_stock, p.published, p.source, p.barcode, p.tax_rate
		FROM product_external_ids x JOIN products p ON p.id = x.product_id
		WHERE x.channel = $1 AND x.shop = $2 AND x.external_variant_id = $3`, channel, shop, variantID)
	if errors.Is(err, sql.ErrNoRows) {
		return Product{}, fmt.Errorf("product for %s variant %d: %w", channel, variantID, ErrNotFound)
	}
	if err != nil {
		return Product{}, fmt.Errorf("load product for %s variant %d: %w", channel, variantID, err)
	}
	return p, nil
}

// LinkExternalID remembers that a channel's variant is this product. Linking a variant
// that is already linked leaves the first link in place.
func (Store) LinkExternalID(ctx context.Context, q pg.Queryer, productID int64, x ExternalID) error {
	var productRef sql.NullInt64
	if x.ProductID != 0 {
		productRef = sql.NullInt64{Int64: x.ProductID, Valid: true}
	}
	_, err := q.ExecContext(ctx, `
		INSERT INTO product_external_ids (channel, shop, external_variant_id, external_product_id, product_id)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (channel, shop, external_variant_id) DO NOTHING`,
		x.Channel, x.Shop, x.VariantID, productRef, productID)
	if err != nil {
		return fmt.Errorf("link product %d to %s variant %d: %w", productID, x.Channel, x.VariantID, err)
	}
	return nil
}

// Publish makes a product visible for sale. Publishing a published product is a no-op.
func (Store) Publish(ctx context.Context, q pg.Queryer, productID int64) error {
	res, err := q.ExecContext(ctx, `UPDATE products SET published = true, updated_at = now() WHERE id = $1 AND NOT published`, productID)
	if err != nil {
		return fmt.Errorf("publish product %d: %w", productID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		var exists bool
		if err := sqlx.GetContext(ctx, q, &exists, `SELECT EXISTS (SELECT 1 FROM products WHERE id = $1)`, productID); err != nil {
			return fmt.Errorf("publish product %d: %w", productID, err)
		}
		if !exists {
			return fmt.Errorf("product %d: %w", productID, ErrNotFound)
		}
	}
	return nil
}

// Products lists every product by SKU, then name.
func (Store) Products(ctx context.Context, q pg.Queryer) ([]Product, error) {
	var out []Product
	err := sqlx.SelectContext(ctx, q, &out, `SELECT `+productColumns+` FROM products ORDER BY sku = '', sku, name, id`)
	if err != nil {
		return nil, fmt.Errorf("list products: %w", err)
	}
	return out, nil
}
