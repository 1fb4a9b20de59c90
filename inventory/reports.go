package inventory

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/kassa-pos/kassa/internal/pg"
)

// OutletsByID returns outlets, archived ones included, ordered by name (as the database
// orders names, then by id).
func (Store) OutletsByID(ctx context.Context, q pg.Queryer, ids []int64) ([]Outlet, error) {
	var out []Outlet
	if len(ids) == 0 {
		return out, nil
	}
	err := sqlx.SelectContext(ctx, q, &out, `SELECT `+outletColumns+` FROM outlets WHERE id = ANY($1::bigint[]) ORDER BY name, id`, pq.Array(ids))
	if err != nil {
		return nil, fmt.Errorf("load outlets: %w", err)
	}
	return out, nil
}

// OutletIDsNamed returns the ids of the outlets called name, whatever its case, archived
// ones included.
func (Store) OutletIDsNamed(ctx context.Context, q pg.Queryer, name string) ([]int64, error) {
	var ids []int64
	if err := sqlx.SelectContext(ctx, q, &ids, `SELECT id FROM outlets WHERE lower(name) = lower($1) ORDER BY id`, name); err != nil {
		return nil, fmt.Errorf("find outlet %q: %w", name, err)
	}
	return ids, nil
}

// NegativeStock is a product whose stock at an outlet went below zero.
type NegativeStock struct {
	ProductID int64  `db:"id"`
	SKU       string `db:"sku"`
	Name      string `db:"name"`
	// Lowest is the lowest level after a movement of the period; EndOfDay the level after
	// its last movement.
	Lowest   int `db:"lowest"`
	EndOfDay int `db:"end_of_day"`
}

// NegativeStock finds the products whose running stock level at the outlet was below zero
// after any movement of [from, to), by SKU (products without one last), then name. The
// level before from is worked back from today's level and the movements since from, so no
// history before the period is read.
func (Store) NegativeStock(ctx context.Context, q pg.Queryer, outletID int64, from, to time.Time) ([]NegativeStock, error) {
	var out []NegativeStock
	err := sqlx.SelectContext(ctx, q, &out, `
		WITH since AS (
			SELECT product_id, sum(delta) AS moved FROM stock_movements
			WHERE outlet_id = $1 AND created_at >= $2 GROUP BY product_id
		), running AS (
			SELECT m.product_id, m.created_at, m.id,
				coalesce(l.on_hand, 0) - s.moved
					+ sum(m.delta) OVER (PARTITION BY m.product_id ORDER BY m.created_at, m.id) AS level
			FROM stock_movements m
			JOIN since s ON s.product_id = m.product_id
			LEFT JOIN stock_levels l ON l.product_id = m.product_id AND l.outlet_id = $1
			WHERE m.outlet_id = $1 AND m.created_at >= $2 AND m.created_at < $3
		)
		SELECT p.id, p.sku, p.name, min(r.level) AS lowest,
			(array_agg(r.level ORDER BY r.created_at DESC, r.id DESC))[1] AS end_of_day
		FROM running r JOIN products p ON p.id = r.product_id
		GROUP BY p.id, p.sku, p.name
		HAVING min(r.level) < 0
		ORDER BY p.sku = '', p.sku, p.name, p.id`, outletID, from, to)
	if err != nil {
		return nil, fmt.Errorf("find stock that went negative: %w", err)
	}
	return out, nil
}

// ProductsByID returns products, by id.
func (Store) ProductsByID(ctx context.Context, q pg.Queryer, ids []int64) (map[int64]Product, error) {
	out := make(map[int64]Product, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var rows []Product
	if err := sqlx.SelectContext(ctx, q, &rows, `SELECT `+productColumns+` FROM products WHERE id = ANY($1::bigint[])`, pq.Array(ids)); err != nil {
		return nil, fmt.Errorf("load products: %w", err)
	}
	for _, p := range rows {
		out[p.ID] = p
	}
	return out, nil
}
