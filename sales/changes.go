package sales

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/shopspring/decimal"

	"github.com/kassa-pos/kassa/internal/pg"
)

// ExternalSale is the sale a channel's order became, and the channel's update time of the
// order as last recorded (nil for sales recorded before kassa kept it).
type ExternalSale struct {
	SaleID    int64
	UpdatedAt *time.Time
}

// ExternalSales returns the sales recorded for a channel's orders, by order id, with the
// order's update time as recorded; orders that are no sale are left out.
func (Store) ExternalSales(ctx context.Context, q pg.Queryer, channel, shop string, orderIDs []int64) (map[int64]ExternalSale, error) {
	var rows []struct {
		OrderID   int64      `db:"external_id"`
		SaleID    int64      `db:"sale_id"`
		UpdatedAt *time.Time `db:"external_updated_at"`
	}
	// One index probe per order, as SalesByExternal.
	err := sqlx.SelectContext(ctx, q, &rows, `
		SELECT k.id AS external_id, x.sale_id, x.external_updated_at
		FROM unnest($3::bigint[]) AS k(id)
		CROSS JOIN LATERAL (
			SELECT sale_id, external_updated_at FROM sale_external_ids x
			WHERE x.channel = $1 AND x.shop = $2 AND x.external_id = k.id LIMIT 1) x`,
		channel, shop, pq.Array(orderIDs))
	if err != nil {
		return nil, fmt.Errorf("look up imported orders: %w", err)
	}
	out := make(map[int64]ExternalSale, len(rows))
	for _, r := range rows {
		out[r.OrderID] = ExternalSale{SaleID: r.SaleID, UpdatedAt: r.UpdatedAt}
	}
	return out, nil
}

// SetExternalUpdatedAt records the channel's update time of orders whose state kassa has
// now taken in (a change recorded, or found to be none); it never moves a time back.
func (Store) SetExternalUpdatedAt(ctx context.Context, q pg.Queryer, channel, shop string, at map[int64]time.Time) error {
	if len(at) == 0 {
		return nil
	}
	ids := sortedKeys(at)
	times := make([]time.Time, len(ids))
	for i, id := range ids {
		times[i] = at[id]
	}
	_, err := q.ExecContext(ctx, `
		UPDATE sale_external_ids x SET external_updated_at = greatest(x.external_updated_at, t.at)
		FROM unnest($3::bigint[], $4::timestamptz[]) AS t(id, at)
		WHERE x.channel = $1 AND x.shop = $2 AND x.external_id = t.id`,
		channel, shop, pq.Array(ids), pq.Array(times))
	if err != nil {
		return fmt.Errorf("record orders' update times: %w", err)
	}
	return nil
}

// nullTime is t, or NULL when t is zero.
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// SetKnownRefunds records, for orders just imported, the channel's refunds their sales
// already reflect (made before the import), by order id.
func (Store) SetKnownRefunds(ctx context.Context, q pg.Queryer, channel, shop string, refunds map[int64][]int64) error {
	for _, id := range sortedKeys(refunds) {
		_, err := q.ExecContext(ctx, `UPDATE sale_external_ids SET known_refunds = $4 WHERE channel = $1 AND shop = $2 AND external_id = $3`,
			channel, shop, id, pq.Array(refunds[id]))
		if err != nil {
			return fmt.Errorf("record the refunds order %d was imported with: %w", id, err)
		}
	}
	return nil
}

// ImportedState is an imported sale as a change from its channel is recorded against it:
// locked, with what its payments and refunds brought and which of the channel's refunds
// it already holds.
type ImportedState struct {
	SaleID        int64
	Receipt       string
	OutletID      int64
	RegisterID    int64
	TaxesIncluded bool
	Voided        bool
	Total         decimal.Decimal
	Balance       decimal.Decimal
	// ChannelKept is what the channel's payments brought less the channel's refunds
	// recorded (voids left out); POSPaid what staff took at a register.
	ChannelKept decimal.Decimal
	POSPaid     decimal.Decimal
	// Refunds are the channel's refund ids the sale holds: recorded as returns, or
	// reflected at the import.
	Refunds map[int64]bool
	// UpdatedAt is the channel's update time of the order as kassa last took it in; nil
	// when unknown.
	UpdatedAt *time.Time
}

// LockImported locks an imported sale (as a payment or a return does) and returns its
// state; ErrNotFound when there is no such sale.
func (Store) LockImported(ctx context.Context, q pg.Queryer, channel, shop string, saleID int64) (ImportedState, error) {
	var row struct {
		ImportedState
		Known    pq.Int64Array `db:"known_refunds"`
		Recorded pq.Int64Array `db:"recorded"`
	}
	err := sqlx.GetContext(ctx, q, &row, `
		SELECT s.id AS saleid, s.receipt_number AS receipt, s.outlet_id AS outletid, s.register_id AS registerid,
			s.taxes_included AS taxesincluded, s.voided, s.total, s.balance,
			coalesce((SELECT sum(p.amount) FROM payments p WHERE p.sale_id = s.id AND p.source = $2
				AND NOT EXISTS (SELECT 1 FROM payment_voids v WHERE v.payment_id = p.id)), 0)
			+ coalesce((SELECT sum(f.amount) FROM refunds f JOIN sale_returns r ON r.id = f.return_id
				WHERE r.sale_id = s.id AND f.source = $2), 0) AS channelkept,
			coalesce((SELECT sum(p.amount) FROM payments p WHERE p.sale_id = s.id AND p.source = 'pos'
				AND NOT EXISTS (SELECT 1 FROM payment_voids v WHERE v.payment_id = p.id)), 0) AS pospaid,
			coalesce((SELECT x.known_refunds FROM sale_external_ids x WHERE x.sale_id = s.id), '{}') AS known_refunds,
			(SELECT x.external_updated_at FROM sale_external_ids x WHERE x.sale_id = s.id) AS updatedat,
			coalesce((SELECT array_agg(r.external_id) FROM sale_returns r
				WHERE r.sale_id = s.id AND r.external_channel = $1 AND r.external_shop = $3), '{}') AS recorded
		FROM sales s WHERE s.id = $4 FOR NO KEY UPDATE OF s`, channel, SourceShopify, shop, saleID)
	if errors.Is(err, sql.ErrNoRows) {
		return ImportedState{}, fmt.Errorf("sale %d: %w", saleID, ErrNotFound)
	}
	if err != nil {
		return ImportedState{}, fmt.Errorf("lock imported sale %d: %w", saleID, err)
	}
	st := row.ImportedState
	st.Refunds = map[int64]bool{}
	for _, id := range row.Known {
		st.Refunds[id] = true
	}
	for _, id := range row.Recorded {
		st.Refunds[id] = true
	}
	return st, nil
}
