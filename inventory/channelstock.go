package inventory

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/kassa-pos/kassa/internal/pg"
)

// Stock that another channel mirrors. A product at an outlet is linked to the channel's
// inventory item at the location that mirrors the outlet (a ChannelItem); every movement
// of a linked, stock-tracked product puts its item in the push queue in the movement's own
// statement (a trigger on the ledger), so a change cannot be lost between the movement and
// the push. A pusher (sync/shopify's) claims queue rows with ClaimPushes, sets the
// channel's quantity to the outlet's level, and finishes them with FinishPushes, or
// records its failure with FailPushes.

// ErrChannelItemTaken is a channel's inventory item already linked to another product.
var ErrChannelItemTaken = errors.New("the channel's inventory item is already linked to another product")

// ChannelItem links a product at an outlet to a channel's inventory item at a location.
type ChannelItem struct {
	ID              int64  `db:"id"`
	Channel         string `db:"channel"`
	Shop            string `db:"shop"`
	OutletID        int64  `db:"outlet_id"`
	ProductID       int64  `db:"product_id"`
	InventoryItemID int64  `db:"inventory_item_id"`
	LocationID      int64  `db:"location_id"`
	// ChannelAvailable is the channel's available quantity as kassa last read or set it;
	// nil when unknown.
	ChannelAvailable *int `db:"channel_available"`
}

const channelItemColumns = `id, channel, shop, outlet_id, product_id, inventory_item_id, location_id, channel_available`

// LinkChannelItem links a product at an outlet to a channel's inventory item at a
// location, or moves the product's link to that item; it records available (nil: unknown)
// as the channel's quantity. It reports whether the link is new or changed. An item linked
// to another product of the shop is refused with ErrChannelItemTaken.
func (Store) LinkChannelItem(ctx context.Context, q pg.Queryer, it ChannelItem) (bool, error) {
	var changed bool
	err := sqlx.GetContext(ctx, q, &changed, `
		WITH old AS (
			SELECT inventory_item_id, location_id FROM stock_channel_items
			WHERE channel = $1 AND shop = $2 AND outlet_id = $3 AND product_id = $4
		)
		INSERT INTO stock_channel_items AS i (channel, shop, outlet_id, product_id, inventory_item_id, location_id, channel_available, channel_seen_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, CASE WHEN $7::int IS NULL THEN NULL ELSE now() END)
		ON CONFLICT (channel, shop, outlet_id, product_id) DO UPDATE
			SET inventory_item_id = EXCLUDED.inventory_item_id, location_id = EXCLUDED.location_id,
				channel_available = EXCLUDED.channel_available, channel_seen_at = EXCLUDED.channel_seen_at
		RETURNING NOT EXISTS (SELECT 1 FROM old WHERE old.inventory_item_id = $5 AND old.location_id = $6)`,
		it.Channel, it.Shop, it.OutletID, it.ProductID, it.InventoryItemID, it.LocationID, it.ChannelAvailable)
	if pg.IsUniqueViolation(err, "stock_channel_items_item_key") {
		return false, fmt.Errorf("inventory item %d of %s: %w", it.InventoryItemID, it.Shop, ErrChannelItemTaken)
	}
	if err != nil {
		return false, fmt.Errorf("link product %d to %s inventory item %d: %w", it.ProductID, it.Channel, it.InventoryItemID, err)
	}
	return changed, nil
}

// ChannelItems lists a shop's linked items, by product.
func (Store) ChannelItems(ctx context.Context, q pg.Queryer, channel, shop string) ([]ChannelItem, error) {
	var out []ChannelItem
	err := sqlx.SelectContext(ctx, q, &out, `SELECT `+channelItemColumns+` FROM stock_channel_items
		WHERE channel = $1 AND shop = $2 ORDER BY product_id, outlet_id`, channel, shop)
	if err != nil {
		return nil, fmt.Errorf("list the %s items of %s: %w", channel, shop, err)
	}
	return out, nil
}

// WithStockHistory returns the products of ids that ever moved stock at the outlet.
func (Store) WithStockHistory(ctx context.Context, q pg.Queryer, outletID int64, ids []int64) (map[int64]bool, error) {
	var moved []int64
	err := sqlx.SelectContext(ctx, q, &moved, `
		SELECT p FROM unnest($2::bigint[]) AS p
		WHERE EXISTS (SELECT 1 FROM stock_movements m WHERE m.outlet_id = $1 AND m.product_id = p)`, outletID, pq.Array(ids))
	if err != nil {
		return nil, fmt.Errorf("read stock history: %w", err)
	}
	out := make(map[int64]bool, len(moved))
	for _, id := range moved {
		out[id] = true
	}
	return out, nil
}

// RelocateChannelItems moves a shop's links to another location of the channel: what the
// channel holds there is unknown, so every item is queued to be set to its outlet's level.
// It returns how many items were moved.
func (Store) RelocateChannelItems(ctx context.Context, q pg.Queryer, channel, shop string, outletID, locationID int64) (int, error) {
	res, err := q.ExecContext(ctx, `
		UPDATE stock_channel_items SET location_id = $4, outlet_id = $3, channel_available = NULL, channel_seen_at = NULL
		WHERE channel = $1 AND shop = $2 AND (location_id <> $4 OR outlet_id <> $3)`, channel, shop, outletID, locationID)
	if err != nil {
		return 0, fmt.Errorf("move the %s items of %s to location %d: %w", channel, shop, locationID, err)
	}
	n, _ := res.RowsAffected()
	if n > 0 {
		if _, err := (Store{}).QueuePushes(ctx, q, channel, shop); err != nil {
			return 0, err
		}
	}
	return int(n), nil
}

// QueuePushes puts every linked item of a shop in the push queue (a forced full push) and
// returns how many were queued.
func (Store) QueuePushes(ctx context.Context, q pg.Queryer, channel, shop string) (int, error) {
	res, err := q.ExecContext(ctx, `
		INSERT INTO stock_push_queue AS q (item_id)
		SELECT i.id FROM stock_channel_items i JOIN products p ON p.id = i.product_id AND p.tracks_stock
		WHERE i.channel = $1 AND i.shop = $2
		ORDER BY i.id
		ON CONFLICT (item_id) DO UPDATE SET changed_at = now(), generation = q.generation + 1, next_attempt_at = now()`, channel, shop)
	if err != nil {
		return 0, fmt.Errorf("queue the %s items of %s: %w", channel, shop, err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// Push is a queued item a pusher claimed: the channel's item, the outlet's level to set it
// to and what kassa last saw there.
type Push struct {
	ItemID          int64 `db:"item_id"`
	ProductID       int64 `db:"product_id"`
	OutletID        int64 `db:"outlet_id"`
	InventoryItemID int64 `db:"inventory_item_id"`
	LocationID      int64 `db:"location_id"`
	// Level is the outlet's stock when the row was claimed.
	Level int `db:"level"`
	// ChannelAvailable is the channel's quantity as kassa last saw it; nil when unknown.
	ChannelAvailable *int `db:"channel_available"`
	// MovementID is the newest movement behind the change; 0 for a forced push.
	MovementID int64     `db:"movement_id"`
	Generation int64     `db:"generation"`
	QueuedAt   time.Time `db:"queued_at"`
	Attempts   int       `db:"attempts"`
	// Key is the idempotency key of this claim's push, kept with the row.
	Key string `db:"idempotency_key"`
}

// ClaimPushes claims up to limit due rows of a shop's push queue, oldest change first, for
// lease (rows another pusher holds or that wait to be retried are skipped; rows a movement
// is writing are skipped too, with SKIP LOCKED) and gives them all one new idempotency key.
// The levels are read in the same statement as the claim.
func (Store) ClaimPushes(ctx context.Context, q pg.Queryer, channel, shop, claimer string, limit int, lease time.Duration) ([]Push, error) {
	var out []Push
	err := sqlx.SelectContext(ctx, q, &out, `
		WITH due AS (
			SELECT q.item_id FROM stock_push_queue q JOIN stock_channel_items i ON i.id = q.item_id
			WHERE i.channel = $1 AND i.shop = $2 AND q.next_attempt_at <= now()
				AND (q.claimed_until IS NULL OR q.claimed_until < now())
			ORDER BY q.queued_at, q.item_id
			LIMIT $3
			FOR UPDATE OF q SKIP LOCKED
		), key AS (SELECT gen_random_uuid() AS k)
		UPDATE stock_push_queue q
		SET claimed_by = $4, claimed_until = now() + $5 * interval '1 millisecond', attempts = q.attempts + 1,
			idempotency_key = key.k
		FROM due, key, stock_channel_items i
		LEFT JOIN stock_levels l ON l.product_id = i.product_id AND l.outlet_id = i.outlet_id
		WHERE q.item_id = due.item_id AND i.id = q.item_id
		RETURNING q.item_id, i.product_id, i.outlet_id, i.inventory_item_id, i.location_id, coalesce(l.on_hand, 0) AS level,
			i.channel_available, coalesce(q.movement_id, 0) AS movement_id, q.generation, q.queued_at, q.attempts,
			q.idempotency_key::text AS idempotency_key`,
		channel, shop, limit, claimer, lease.Milliseconds())
	if err != nil {
		return nil, fmt.Errorf("claim the %s pushes of %s: %w", channel, shop, err)
	}
	return out, nil
}

// PushDone is a claimed row whose push succeeded: the channel now holds Available.
type PushDone struct {
	ItemID     int64
	Generation int64
	Available  int
	// Set is false when the channel already held the level and nothing was sent.
	Set bool
}

// FinishPushes records pushes that succeeded: the channel's quantity is remembered, and a
// row leaves the queue unless a movement came after its claim (it is then pushed again).
func (Store) FinishPushes(ctx context.Context, q pg.Queryer, channel, shop, claimer string, done []PushDone) error {
	if len(done) == 0 {
		return nil
	}
	items := make([]int64, len(done))
	gens := make([]int64, len(done))
	avail := make([]int64, len(done))
	sent := 0
	for i, d := range done {
		items[i], gens[i], avail[i] = d.ItemID, d.Generation, int64(d.Available)
		if d.Set {
			sent++
		}
	}
	return pg.InTx(ctx, q, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `
			UPDATE stock_channel_items i SET channel_available = d.a, channel_seen_at = now()
			FROM unnest($1::bigint[], $2::int[]) AS d(id, a) WHERE i.id = d.id`, pq.Array(items), pq.Array(avail)); err != nil {
			return fmt.Errorf("remember the %s quantities of %s: %w", channel, shop, err)
		}
		if _, err := tx.ExecContext(ctx, `
			DELETE FROM stock_push_queue q USING unnest($1::bigint[], $2::bigint[]) AS d(id, g)
			WHERE q.item_id = d.id AND q.generation = d.g`, pq.Array(items), pq.Array(gens)); err != nil {
			return fmt.Errorf("finish the %s pushes of %s: %w", channel, shop, err)
		}
		if _, err := tx.ExecContext(ctx, `
			UPDATE stock_push_queue SET claimed_by = '', claimed_until = NULL, attempts = 0, last_error = '', queued_at = changed_at
			WHERE item_id = ANY($1) AND claimed_by = $2`, pq.Array(items), claimer); err != nil {
			return fmt.Errorf("release the %s pushes of %s: %w", channel, shop, err)
		}
		_, err := tx.ExecContext(ctx, `
			INSERT INTO stock_channel_states AS s (channel, shop, last_push_at, pushed) VALUES ($1, $2, now(), $3)
			ON CONFLICT (channel, shop) DO UPDATE SET last_push_at = now(), pushed = s.pushed + EXCLUDED.pushed`, channel, shop, sent)
		if err != nil {
			return fmt.Errorf("record the %s pushes of %s: %w", channel, shop, err)
		}
		return nil
	})
}

// FailPushes releases claimed rows whose push failed, to be retried after retryIn, and
// records the error (one line, shown by 'kassa stock sync status').
func (Store) FailPushes(ctx context.Context, q pg.Queryer, channel, shop, claimer string, items []int64, msg string, retryIn time.Duration) error {
	return pg.InTx(ctx, q, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `
			UPDATE stock_push_queue SET claimed_by = '', claimed_until = NULL, last_error = $3,
				next_attempt_at = now() + $4 * interval '1 millisecond'
			WHERE item_id = ANY($1) AND claimed_by = $2`, pq.Array(items), claimer, msg, retryIn.Milliseconds()); err != nil {
			return fmt.Errorf("release the failed %s pushes of %s: %w", channel, shop, err)
		}
		_, err := tx.ExecContext(ctx, `
			INSERT INTO stock_channel_states AS s (channel, shop, last_error, last_error_at) VALUES ($1, $2, $3, now())
			ON CONFLICT (channel, shop) DO UPDATE SET last_error = EXCLUDED.last_error, last_error_at = now()`, channel, shop, msg)
		if err != nil {
			return fmt.Errorf("record the failed %s pushes of %s: %w", channel, shop, err)
		}
		return nil
	})
}

// SetChannelAvailable records the channel's quantities as just read (by item id).
func (Store) SetChannelAvailable(ctx context.Context, q pg.Queryer, available map[int64]int) error {
	if len(available) == 0 {
		return nil
	}
	ids := make([]int64, 0, len(available))
	qty := make([]int64, 0, len(available))
	for id, a := range available {
		ids, qty = append(ids, id), append(qty, int64(a))
	}
	_, err := q.ExecContext(ctx, `
		UPDATE stock_channel_items i SET channel_available = d.a, channel_seen_at = now()
		FROM unnest($1::bigint[], $2::int[]) AS d(id, a) WHERE i.id = d.id`, pq.Array(ids), pq.Array(qty))
	if err != nil {
		return fmt.Errorf("remember the channel's quantities: %w", err)
	}
	return nil
}

// PushStatus is what 'kassa stock sync status' shows of a shop's push queue.
type PushStatus struct {
	Linked int `db:"linked"`
	// Queued counts the items waiting to be pushed, Failing those whose last push failed.
	Queued  int `db:"queued"`
	Failing int `db:"failing"`
	// Oldest is the oldest change not pushed yet; nil when the queue is empty.
	Oldest      *time.Time `db:"oldest"`
	LastPushAt  *time.Time `db:"last_push_at"`
	Pushed      int64      `db:"pushed"`
	LastError   string     `db:"last_error"`
	LastErrorAt *time.Time `db:"last_error_at"`
	// LastCheckAt is when the drift check last ran; LastCorrections how many items it
	// corrected.
	LastCheckAt     *time.Time `db:"last_check_at"`
	LastCorrections int        `db:"last_check_corrections"`
}

// PushStatus reads a shop's push queue and its last push, error and drift check.
func (Store) PushStatus(ctx context.Context, q pg.Queryer, channel, shop string) (PushStatus, error) {
	var st PushStatus
	err := sqlx.GetContext(ctx, q, &st, `
		SELECT (SELECT count(*) FROM stock_channel_items WHERE channel = $1 AND shop = $2) AS linked,
			count(q.item_id) AS queued, count(q.item_id) FILTER (WHERE q.last_error <> '') AS failing,
			min(q.queued_at) AS oldest,
			(SELECT last_push_at FROM stock_channel_states WHERE channel = $1 AND shop = $2) AS last_push_at,
			coalesce((SELECT pushed FROM stock_channel_states WHERE channel = $1 AND shop = $2), 0) AS pushed,
			coalesce((SELECT last_error FROM stock_channel_states WHERE channel = $1 AND shop = $2), '') AS last_error,
			(SELECT last_error_at FROM stock_channel_states WHERE channel = $1 AND shop = $2) AS last_error_at,
			(SELECT last_check_at FROM stock_channel_states WHERE channel = $1 AND shop = $2) AS last_check_at,
			coalesce((SELECT last_check_corrections FROM stock_channel_states WHERE channel = $1 AND shop = $2), 0) AS last_check_corrections
		FROM stock_push_queue q JOIN stock_channel_items i ON i.id = q.item_id AND i.channel = $1 AND i.shop = $2`, channel, shop)
	if errors.Is(err, sql.ErrNoRows) {
		return st, nil
	}
	if err != nil {
		return PushStatus{}, fmt.Errorf("read the %s push status of %s: %w", channel, shop, err)
	}
	return st, nil
}

// Drift is a linked item whose channel quantity differed from its outlet's level.
type Drift struct {
	ItemID, ProductID, OutletID int64
	Level                       int
	// ChannelAvailable is nil when the channel does not stock the item at the location.
	ChannelAvailable *int
}

// RecordDriftCheck records a shop's drift check: the drift it found is kept (the nightly
// report lists it), the channel's quantities are remembered and the drifted items queued,
// so that the pusher corrects them.
func (Store) RecordDriftCheck(ctx context.Context, q pg.Queryer, channel, shop string, seen map[int64]int, drift []Drift) error {
	return pg.InTx(ctx, q, func(tx *sqlx.Tx) error {
		if err := (Store{}).SetChannelAvailable(ctx, tx, seen); err != nil {
			return err
		}
		for _, d := range drift {
			if _, err := tx.ExecContext(ctx, `
				INSERT INTO stock_corrections (channel, shop, outlet_id, product_id, kassa_level, channel_available)
				VALUES ($1, $2, $3, $4, $5, $6)`, channel, shop, d.OutletID, d.ProductID, d.Level, d.ChannelAvailable); err != nil {
				return fmt.Errorf("record the drift of product %d: %w", d.ProductID, err)
			}
			if _, err := tx.ExecContext(ctx, `
				INSERT INTO stock_push_queue AS q (item_id) VALUES ($1)
				ON CONFLICT (item_id) DO UPDATE SET changed_at = now(), generation = q.generation + 1`, d.ItemID); err != nil {
				return fmt.Errorf("queue the correction of product %d: %w", d.ProductID, err)
			}
		}
		_, err := tx.ExecContext(ctx, `
			INSERT INTO stock_channel_states AS s (channel, shop, last_check_at, last_check_corrections) VALUES ($1, $2, now(), $3)
			ON CONFLICT (channel, shop) DO UPDATE SET last_check_at = now(), last_check_corrections = EXCLUDED.last_check_corrections`,
			channel, shop, len(drift))
		if err != nil {
			return fmt.Errorf("record the drift check of %s: %w", shop, err)
		}
		return nil
	})
}

// LinkedLevels lists a shop's linked, stock-tracked items with their outlet's level, for
// the drift check; items waiting in the push queue are left out (they are on their way).
func (Store) LinkedLevels(ctx context.Context, q pg.Queryer, channel, shop string) ([]Push, error) {
	var out []Push
	err := sqlx.SelectContext(ctx, q, &out, `
		SELECT i.id AS item_id, i.product_id, i.outlet_id, i.inventory_item_id, i.location_id, coalesce(l.on_hand, 0) AS level,
			i.channel_available, 0::bigint AS movement_id, 0::bigint AS generation, i.created_at AS queued_at, 0 AS attempts,
			'' AS idempotency_key
		FROM stock_channel_items i JOIN products p ON p.id = i.product_id AND p.tracks_stock
		LEFT JOIN stock_levels l ON l.product_id = i.product_id AND l.outlet_id = i.outlet_id
		WHERE i.channel = $1 AND i.shop = $2 AND NOT EXISTS (SELECT 1 FROM stock_push_queue q WHERE q.item_id = i.id)
		ORDER BY i.id`, channel, shop)
	if err != nil {
		return nil, fmt.Errorf("read the linked levels of %s: %w", shop, err)
	}
	return out, nil
}

// StockCorrection is a drift the nightly check corrected: the channel's quantity was set
// to the outlet's level.
type StockCorrection struct {
	Shop             string    `db:"shop"`
	SKU              string    `db:"sku"`
	Name             string    `db:"name"`
	Level            int       `db:"kassa_level"`
	ChannelAvailable *int      `db:"channel_available"`
	FoundAt          time.Time `db:"found_at"`
}

// StockCorrections lists the corrections of an outlet's stock found in [from, to).
func (Store) StockCorrections(ctx context.Context, q pg.Queryer, outletID int64, from, to time.Time) ([]StockCorrection, error) {
	var out []StockCorrection
	err := sqlx.SelectContext(ctx, q, &out, `
		SELECT c.shop, p.sku, p.name, c.kassa_level, c.channel_available, c.found_at
		FROM stock_corrections c JOIN products p ON p.id = c.product_id
		WHERE c.outlet_id = $1 AND c.found_at >= $2 AND c.found_at < $3
		ORDER BY c.found_at, c.id`, outletID, from, to)
	if err != nil {
		return nil, fmt.Errorf("list stock corrections: %w", err)
	}
	return out, nil
}

// ExternalVariants returns the variants of a channel's shop remembered for products: the
// product of each variant id.
func (Store) ExternalVariants(ctx context.Context, q pg.Queryer, channel, shop string) (map[int64]int64, error) {
	var rows []struct {
		Variant int64 `db:"external_variant_id"`
		Product int64 `db:"product_id"`
	}
	if err := sqlx.SelectContext(ctx, q, &rows, `SELECT external_variant_id, product_id FROM product_external_ids
		WHERE channel = $1 AND shop = $2`, channel, shop); err != nil {
		return nil, fmt.Errorf("read the %s variants of %s: %w", channel, shop, err)
	}
	out := make(map[int64]int64, len(rows))
	for _, r := range rows {
		out[r.Variant] = r.Product
	}
	return out, nil
}

// ClaimDriftCheck reports whether a shop's drift check may run now: it did not run in the
// last interval, and it is marked as running, so that several daemons check once.
func (Store) ClaimDriftCheck(ctx context.Context, q pg.Queryer, channel, shop string, interval time.Duration) (bool, error) {
	var ok bool
	err := sqlx.GetContext(ctx, q, &ok, `
		INSERT INTO stock_channel_states AS s (channel, shop, last_check_at) VALUES ($1, $2, now())
		ON CONFLICT (channel, shop) DO UPDATE SET last_check_at = now()
			WHERE s.last_check_at IS NULL OR s.last_check_at < now() - $3 * interval '1 millisecond'
		RETURNING true`, channel, shop, interval.Milliseconds())
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("claim the drift check of %s: %w", shop, err)
	}
	return ok, nil
}
