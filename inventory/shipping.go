package inventory

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/kassa-pos/kassa/internal/pg"
)

// EnsureShippingProduct returns the id of the shipping-fee product with this SKU, making
// it when missing: a product priced 0.00 (each fee line carries its own price), published,
// not stock-tracked, of source SourceSystem. A product that already has the SKU becomes
// the shipping-fee product: it is published and stops tracking stock.
func (Store) EnsureShippingProduct(ctx context.Context, q pg.Queryer, sku, name string) (int64, error) {
	var id int64
	err := sqlx.GetContext(ctx, q, &id, `
		INSERT INTO products (sku, name, price, tracks_stock, published, source)
		VALUES ($1, $2, 0, false, true, 'system')
		ON CONFLICT (lower(sku)) WHERE sku <> '' DO UPDATE SET published = true, tracks_stock = false, updated_at = now()
		RETURNING id`, sku, name)
	if err != nil {
		return 0, fmt.Errorf("create shipping-fee product %s: %w", sku, err)
	}
	return id, nil
}

// ResetShippingProduct makes a shipping-fee product published and untracked again,
// should someone have changed it since it was made.
func (Store) ResetShippingProduct(ctx context.Context, q pg.Queryer, id int64) error {
	_, err := q.ExecContext(ctx, `UPDATE products SET published = true, tracks_stock = false, updated_at = now()
		WHERE id = $1 AND (NOT published OR tracks_stock)`, id)
	if err != nil {
		return fmt.Errorf("update shipping-fee product: %w", err)
	}
	return nil
}
