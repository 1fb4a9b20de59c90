package inventory

import (
	"context"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/kassa-pos/kassa/internal/pg"
)

// Movement reasons.
const (
	ReasonSale       = "sale"
	ReasonAdjustment = "adjustment"
	ReasonCount      = "count"
	ReasonReceive    = "receive"
	// ReasonReturn is goods a return brought back to stock (it names the return line).
	ReasonReturn = "return"
	// ReasonVoid moves back the stock of a voided sale's line (it names the sale line).
	ReasonVoid = "void"
)

// Movement is one change of a product's stock at an outlet.
type Movement struct {
	ProductID  int64
	OutletID   int64
	Delta      int    // negative for a sale
	Reason     string // one of the Reason constants
	SaleLineID int64  // the sale line that moved the stock (reasons sale and void); 0 for none
	// ReturnLineID is the return line that brought the stock back (reason return); 0 for
	// none.
	ReturnLineID int64
	Note         string
}

// ApplyMovements records movements in the ledger (the database updates the levels in the
// same statement). It is the one way stock changes. A movement for a sale line that
// already moved stock for the same reason (sale, void), or for a return line that already
// did, is skipped, so replaying is harmless; it returns how many movements were applied.
func (Store) ApplyMovements(ctx context.Context, q pg.Queryer, ms []Movement) (int, error) {
	if len(ms) == 0 {
		return 0, nil
	}
	products := make([]int64, len(ms))
	outlets := make([]int64, len(ms))
	deltas := make([]int64, len(ms))
	reasons := make([]string, len(ms))
	lines := make([]*int64, len(ms))
	returns := make([]*int64, len(ms))
	notes := make([]string, len(ms))
	for i, m := range ms {
		if m.Delta == 0 {
			return 0, errors.New("a stock movement needs a non-zero quantity")
		}
		if (m.Reason == ReasonSale || m.Reason == ReasonVoid) && m.SaleLineID == 0 {
			return 0, errors.New("a sale's stock movement must name its sale line")
		}
		if (m.Reason == ReasonReturn) != (m.ReturnLineID != 0) {
			return 0, errors.New("a return's stock movement, and only it, names its return line")
		}
		if m.ReturnLineID != 0 {
			id := m.ReturnLineID
			returns[i] = &id
		}
		products[i], outlets[i], deltas[i], reasons[i], notes[i] = m.ProductID, m.OutletID, int64(m.Delta), m.Reason, m.Note
		if m.SaleLineID != 0 {
			id := m.SaleLineID
			lines[i] = &id
		}
	}
	res, err := q.ExecContext(ctx, `
		INSERT INTO stock_movements (product_id, outlet_id, delta, reason, sale_line_id, note, return_line_id)
		SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::int[], $4::text[], $5::bigint[], $6::text[], $7::bigint[])
		ON CONFLICT DO NOTHING`,
		pq.Array(products), pq.Array(outlets), pq.Array(deltas), pq.Array(reasons), pq.Array(lines), pq.Array(notes), pq.Array(returns))
	if err != nil {
		return 0, fmt.Errorf("apply stock movements: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// ApplyMovement records one movement; it reports false when the movement's sale line had
// already moved stock.
func (s Store) ApplyMovement(ctx context.Context, q pg.Queryer, m Movement) (bool, error) {
	n, err := s.ApplyMovements(ctx, q, []Movement{m})
	return n == 1, err
}

// StockRow is a product's stock at one outlet, in the JSON shape of "kassa stock list --json".
type StockRow struct {
	ProductID    int64  `db:"product_id" json:"-"`
	SKU          string `db:"sku" json:"sku"`
	Name         string `db:"name" json:"name"`
	VariantTitle string `db:"variant_title" json:"variant_title"`
	OnHand       int    `db:"on_hand" json:"on_hand"`
	Published    bool   `db:"published" json:"published"`
	TracksStock  bool   `db:"tracks_stock" json:"tracks_stock"`
}

// StockLevel returns a product's stock at an outlet (0 when it never moved).
func (Store) StockLevel(ctx context.Context, q pg.Queryer, productID, outletID int64) (int, error) {
	var n int
	err := sqlx.GetContext(ctx, q, &n, `
		SELECT coalesce((SELECT on_hand FROM stock_levels WHERE product_id = $1 AND outlet_id = $2), 0)`,
		productID, outletID)
	if err != nil {
		return 0, fmt.Errorf("read stock of product %d: %w", productID, err)
	}
	return n, nil
}

// StockLevels lists every stock-tracked product with its level at the outlet (0 for
// products that never moved there), by SKU then name.
func (Store) StockLevels(ctx context.Context, q pg.Queryer, outletID int64) ([]StockRow, error) {
	var out []StockRow
	err := sqlx.SelectContext(ctx, q, &out, `
		SELECT p.id AS product_id, p.sku, p.name, p.variant_title, coalesce(l.on_hand, 0) AS on_hand, p.published, p.tracks_stock
		FROM products p
		LEFT JOIN stock_levels l ON l.product_id = p.id AND l.outlet_id = $1
		WHERE p.tracks_stock OR l.on_hand IS NOT NULL
		ORDER BY p.sku = '', p.sku, p.name, p.variant_title, p.id`, outletID)
	if err != nil {
		return nil, fmt.Errorf("list stock levels: %w", err)
	}
	return out, nil
}
