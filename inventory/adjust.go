package inventory

import (
	"context"
	"errors"
	"fmt"

	"github.com/kassa-pos/kassa/internal/pg"
)

// ErrNotTracked is a stock change for a product that does not track stock (a gift card,
// a service, the shipping fee).
var ErrNotTracked = errors.New("does not track stock")

// Adjustment is a change of a product's stock at an outlet made by hand: a delivery, a
// count, breakage.
type Adjustment struct {
	OutletID int64
	SKU      string // whatever its case
	Delta    int    // e.g. 24 or -2; never 0
	Note     string // why
}

// Adjust records an adjustment in the stock movement ledger and returns the product and
// its stock at the outlet after it. The product must track stock (ErrNotTracked
// otherwise, with nothing written). Run it in the transaction that found the outlet.
func (s Store) Adjust(ctx context.Context, q pg.Queryer, a Adjustment) (Product, int, error) {
	p, err := s.ProductBySKU(ctx, q, a.SKU)
	if err != nil {
		return Product{}, 0, err
	}
	if !p.TracksStock {
		return Product{}, 0, fmt.Errorf("product %q %w", p.SKU, ErrNotTracked)
	}
	if _, err := s.ApplyMovement(ctx, q, Movement{
		ProductID: p.ID, OutletID: a.OutletID, Delta: a.Delta, Reason: ReasonAdjustment, Note: a.Note,
	}); err != nil {
		return Product{}, 0, err
	}
	level, err := s.StockLevel(ctx, q, p.ID, a.OutletID)
	if err != nil {
		return Product{}, 0, err
	}
	return p, level, nil
}
