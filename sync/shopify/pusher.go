package shopify

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/kassa-pos/kassa/inventory"
	"github.com/kassa-pos/kassa/sync/shopify/shopifyapi"
)

// Stock back to Shopify. Every movement of a linked product at a connection's outlet
// queues its inventory item (inventory's push queue, in the movement's transaction); a
// Pusher claims the queue's rows of a connection, a batch at a time, and sets Shopify's
// available quantity at the connection's location to the outlet's level with one
// inventorySetQuantities per batch (a mutation costs 10 points whatever its number of
// quantities), each quantity compared with the one kassa last saw there
// (changeFromQuantity) and the mutation sent with the claim's idempotency key. When Shopify
// answers that a quantity changed meanwhile (CHANGE_FROM_QUANTITY_STALE: a web order just
// committed a unit, the merchant changed it), the pusher reads the items again and sets
// them again: the POS wins. An item Shopify already holds at the outlet's level is not set
// at all: a web order imported into kassa pushes a level Shopify already has. on_hand is
// never pushed: Shopify keeps a web order's units in committed until they are fulfilled.

// PushReason is the reason kassa's sets carry in Shopify's inventory history.
const PushReason = "correction"

// CannotPushText says why a connection without write_inventory pushes no stock.
const CannotPushText = "the app has no write_inventory scope: kassa cannot push stock levels to Shopify; add the scope to the app's version in the Dev Dashboard, release it, and connect again"

// CanPush says whether kassa may push a connection's stock, and why not.
func CanPush(c Connection) (bool, string) {
	switch {
	case c.LocationID == nil:
		return false, ErrNoLocation.Error()
	case len(c.Scopes) > 0 && !shopifyapi.HasScope(c.Scopes, ScopeWriteInventory):
		return false, CannotPushText
	}
	return true, ""
}

// PushObserver is told what the pushers do (the daemon's metrics).
type PushObserver interface {
	// ObservePushed is told of items whose push finished, with the time from their oldest
	// change to Shopify holding the level; set counts those Shopify had to be told.
	ObservePushed(shop string, latencies []time.Duration, set int)
	// ObservePushError is told of a batch whose push failed.
	ObservePushError(shop string)
	// ObserveStale is told of a set Shopify refused as stale (then read and set again).
	ObserveStale(shop string)
	// ObserveCorrections is told of the drift a check corrected.
	ObserveCorrections(shop string, n int)
}

// Pusher pushes connections' stock to Shopify. Several pushers, in one daemon or in
// several, push each change once: they claim disjoint queue rows.
type Pusher struct {
	DB    *sqlx.DB
	Store ConnectionStore
	Opts  ClientOptions
	// Claimer names this pusher in the rows it claims (default "kassa").
	Claimer string
	// Batch is the most items one inventorySetQuantities sets (default 100).
	Batch int
	// Lease is how long a claim holds its rows: a pusher that dies mid-push leaves them to
	// another after it (default 30s).
	Lease time.Duration
	// Idle is how long Run waits when the queue is empty (default 200ms).
	Idle time.Duration
	// MaxBackoff bounds the wait before a failed push is retried (default 30s; the first
	// retry waits a second and each next one twice as long).
	MaxBackoff time.Duration
	// Observer, when set, is told what the pusher does.
	Observer PushObserver
	// Pass, when set, is called after every pass of Run (tests wait on it).
	Pass func(shop string, handled int, err error)
}

func (p *Pusher) batch() int {
	if p.Batch > 0 {
		return p.Batch
	}
	return 100
}

func (p *Pusher) lease() time.Duration {
	if p.Lease > 0 {
		return p.Lease
	}
	return 30 * time.Second
}

func (p *Pusher) claimer() string {
	if p.Claimer != "" {
		return p.Claimer
	}
	return "kassa"
}

func (p *Pusher) backoff(attempts int) time.Duration {
	limit := p.MaxBackoff
	if limit <= 0 {
		limit = 30 * time.Second
	}
	d := time.Second
	for i := 1; i < attempts && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}

// Run pushes a connection's queue until ctx ends: a batch at a time while there is work,
// then every Idle. Errors are recorded on the queue's rows and retried later.
func (p *Pusher) Run(ctx context.Context, conn Connection) {
	idle := p.Idle
	if idle <= 0 {
		idle = 200 * time.Millisecond
	}
	log := p.Opts.logger().With().Str("component", "stock_push").Str("shop", conn.Shop).Logger()
	cl, err := p.Store.OpenClient(conn, p.Opts)
	if err != nil {
		log.Error().Err(err).Msg("open the shopify client")
		return
	}
	defer cl.Close()
	for {
		n, err := p.PushOnce(ctx, cl.Client, conn)
		if err != nil && ctx.Err() == nil {
			log.Warn().Err(err).Msg("stock push")
		}
		if p.Pass != nil {
			p.Pass(conn.Shop, n, err)
		}
		if n > 0 && err == nil {
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(idle):
		}
	}
}

// retryKey is the idempotency key of the n-th set of a claim: sets with other quantities
// must not reuse the claim's key (Shopify refuses a key with other parameters).
func retryKey(key string, n int) string {
	if n == 0 {
		return key
	}
	h := sha256.Sum256([]byte(key + "/" + strconv.Itoa(n)))
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

// PushOnce claims one batch of a connection's queue and pushes it; it returns how many
// items it handled (0 when the queue had nothing due).
func (p *Pusher) PushOnce(ctx context.Context, cl *shopifyapi.Client, conn Connection) (int, error) {
	if conn.LocationID == nil {
		return 0, ErrNoLocation
	}
	inv := inventory.Store{}
	claims, err := inv.ClaimPushes(ctx, p.DB, Channel, conn.Shop, p.claimer(), p.batch(), p.lease())
	if err != nil || len(claims) == 0 {
		return 0, err
	}
	byItem := make(map[int64]inventory.Push, len(claims))
	var newest int64
	for _, c := range claims {
		byItem[c.InventoryItemID] = c
		newest = max(newest, c.MovementID)
	}
	reference := "gid://kassa/StockMovement/" + strconv.FormatInt(newest, 10)
	if newest == 0 {
		reference = "gid://kassa/StockPush/" + claims[0].Key
	}
	// What Shopify holds, as kassa last saw it; unknown quantities are read first.
	seen := make(map[int64]*int, len(claims))
	var unknown []int64
	for _, c := range claims {
		seen[c.InventoryItemID] = c.ChannelAvailable
		if c.ChannelAvailable == nil {
			unknown = append(unknown, c.InventoryItemID)
		}
	}
	if len(unknown) > 0 {
		if err := p.reread(ctx, cl, conn, unknown, seen); err != nil {
			return len(claims), p.fail(ctx, conn, claims, err)
		}
	}
	var done []inventory.PushDone
	pending := claims
	for attempt := 0; ; attempt++ {
		var qs []shopifyapi.SetQuantity
		var sending []inventory.Push
		for _, c := range pending {
			if s := seen[c.InventoryItemID]; s != nil && *s == c.Level {
				done = append(done, inventory.PushDone{ItemID: c.ItemID, Generation: c.Generation, Available: c.Level})
				continue
			}
			qs = append(qs, shopifyapi.SetQuantity{InventoryItemID: c.InventoryItemID, Quantity: c.Level, ChangeFrom: seen[c.InventoryItemID]})
			sending = append(sending, c)
		}
		if len(qs) == 0 {
			break
		}
		err := cl.SetAvailable(ctx, *conn.LocationID, PushReason, reference, retryKey(claims[0].Key, attempt), qs)
		var ie *shopifyapi.InventoryErrors
		switch {
		case err == nil:
			for _, c := range sending {
				done = append(done, inventory.PushDone{ItemID: c.ItemID, Generation: c.Generation, Available: c.Level, Set: true})
			}
		case errors.As(err, &ie) && ie.OnlyStale() && attempt < 3:
			// Shopify's quantity changed meanwhile: read it again and set again.
			if p.Observer != nil {
				p.Observer.ObserveStale(conn.Shop)
			}
			items := make([]int64, len(sending))
			for i, c := range sending {
				items[i] = c.InventoryItemID
			}
			if err := p.reread(ctx, cl, conn, items, seen); err != nil {
				return len(claims), p.finishAndFail(ctx, conn, done, sending, err)
			}
			pending = sending
			continue
		case errors.As(err, &ie) && len(sending) > 1:
			// Refused items are set aside; the others are sent again.
			bad := refusedItems(ie, qs)
			if len(bad) == 0 || len(bad) == len(sending) {
				return len(claims), p.finishAndFail(ctx, conn, done, sending, err)
			}
			var rest, refused []inventory.Push
			for _, c := range sending {
				if bad[c.InventoryItemID] {
					refused = append(refused, c)
				} else {
					rest = append(rest, c)
				}
			}
			if err := p.fail(ctx, conn, refused, err); err != nil {
				return len(claims), err
			}
			pending = rest
			continue
		default:
			return len(claims), p.finishAndFail(ctx, conn, done, sending, err)
		}
		break
	}
	return len(claims), p.finish(ctx, conn, done, byItem)
}

// refusedItems are the items a refusal's userErrors point at.
func refusedItems(ie *shopifyapi.InventoryErrors, qs []shopifyapi.SetQuantity) map[int64]bool {
	out := map[int64]bool{}
	for _, u := range ie.Errors {
		if len(u.Field) >= 3 && u.Field[1] == "quantities" {
			if i, err := strconv.Atoi(u.Field[2]); err == nil && i >= 0 && i < len(qs) {
				out[qs[i].InventoryItemID] = true
			}
		}
	}
	return out
}

// reread reads Shopify's available quantities of items into seen (nil: not stocked at
// the location) and remembers them.
func (p *Pusher) reread(ctx context.Context, cl *shopifyapi.Client, conn Connection, items []int64, seen map[int64]*int) error {
	avail, err := cl.AvailableAt(ctx, *conn.LocationID, items)
	if err != nil {
		return err
	}
	for _, id := range items {
		if a, ok := avail[id]; ok {
			seen[id] = &a
		} else {
			seen[id] = nil
		}
	}
	return nil
}

func (p *Pusher) finish(ctx context.Context, conn Connection, done []inventory.PushDone, byItem map[int64]inventory.Push) error {
	if len(done) == 0 {
		return nil
	}
	if err := (inventory.Store{}).FinishPushes(ctx, p.DB, Channel, conn.Shop, p.claimer(), done); err != nil {
		return err
	}
	if p.Observer != nil {
		now := p.Opts.now()
		lat := make([]time.Duration, 0, len(done))
		set := 0
		queued := map[int64]time.Time{}
		for _, c := range byItem {
			queued[c.ItemID] = c.QueuedAt
		}
		for _, d := range done {
			lat = append(lat, now.Sub(queued[d.ItemID]))
			if d.Set {
				set++
			}
		}
		p.Observer.ObservePushed(conn.Shop, lat, set)
	}
	return nil
}

func (p *Pusher) finishAndFail(ctx context.Context, conn Connection, done []inventory.PushDone, failed []inventory.Push, cause error) error {
	byItem := map[int64]inventory.Push{}
	for _, c := range failed {
		byItem[c.InventoryItemID] = c
	}
	if err := p.finish(ctx, conn, done, byItem); err != nil {
		return err
	}
	return p.fail(ctx, conn, failed, cause)
}

// fail records a failed push on its rows, to be retried after a backoff, and returns the
// cause.
func (p *Pusher) fail(ctx context.Context, conn Connection, failed []inventory.Push, cause error) error {
	if len(failed) == 0 {
		return cause
	}
	attempts := 0
	items := make([]int64, len(failed))
	for i, c := range failed {
		items[i] = c.ItemID
		attempts = max(attempts, c.Attempts)
	}
	msg := pushErrorText(cause)
	if p.Observer != nil {
		p.Observer.ObservePushError(conn.Shop)
	}
	// The context may have ended the push: record the failure all the same.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := (inventory.Store{}).FailPushes(rctx, p.DB, Channel, conn.Shop, p.claimer(), items, msg, p.backoff(attempts)); err != nil {
		return errors.Join(cause, err)
	}
	return cause
}

// pushErrorText is a push's failure in one line for 'kassa stock sync status'.
func pushErrorText(err error) string {
	var ge *shopifyapi.GraphQLError
	if errors.As(err, &ge) && strings.Contains(strings.Join(ge.Messages, " "), "write_inventory") {
		return CannotPushText
	}
	return safeText(strings.ReplaceAll(err.Error(), "\n", " "))
}

// DriftResult is what a drift check found and corrected.
type DriftResult struct {
	Shop    string `json:"shop"`
	Checked int    `json:"checked"`
	// Corrected counts the items whose Shopify quantity differed from kassa's level: they
	// are queued, and the pusher sets them.
	Corrected int `json:"corrected"`
}

// CheckDrift compares every linked product's level with Shopify's available quantity at
// the connection's location (items waiting in the push queue are left out: they are on
// their way) and queues those that differ, recording them for the nightly report.
func (st ConnectionStore) CheckDrift(ctx context.Context, db *sqlx.DB, conn Connection, o ClientOptions, obs PushObserver) (DriftResult, error) {
	res := DriftResult{Shop: conn.Shop}
	if ok, why := CanPush(conn); !ok {
		return res, errors.New(why)
	}
	inv := inventory.Store{}
	levels, err := inv.LinkedLevels(ctx, db, Channel, conn.Shop)
	if err != nil {
		return res, err
	}
	if len(levels) == 0 {
		return res, inv.RecordDriftCheck(ctx, db, Channel, conn.Shop, nil, nil)
	}
	cl, err := st.OpenClient(conn, o)
	if err != nil {
		return res, err
	}
	defer cl.Close()
	items := make([]int64, len(levels))
	for i, l := range levels {
		items[i] = l.InventoryItemID
	}
	avail, err := cl.AvailableAt(ctx, *conn.LocationID, items)
	if err != nil {
		return res, err
	}
	seen := map[int64]int{}
	var drift []inventory.Drift
	for _, l := range levels {
		a, ok := avail[l.InventoryItemID]
		if ok {
			seen[l.ItemID] = a
		}
		if !ok || a != l.Level {
			d := inventory.Drift{ItemID: l.ItemID, ProductID: l.ProductID, OutletID: l.OutletID, Level: l.Level}
			if ok {
				d.ChannelAvailable = &a
			}
			drift = append(drift, d)
		}
	}
	res.Checked, res.Corrected = len(levels), len(drift)
	if err := inv.RecordDriftCheck(ctx, db, Channel, conn.Shop, seen, drift); err != nil {
		return res, err
	}
	if obs != nil && len(drift) > 0 {
		obs.ObserveCorrections(conn.Shop, len(drift))
	}
	log := o.logger()
	log.Info().Str("shop", conn.Shop).Int("checked", res.Checked).Int("corrected", res.Corrected).Msg("stock drift check")
	return res, nil
}

// PushAll queues every linked product of a connection: the pusher sets Shopify's quantity
// of each to kassa's level (those Shopify already holds are not sent).
func PushAll(ctx context.Context, db *sqlx.DB, conn Connection) (int, error) {
	return inventory.Store{}.QueuePushes(ctx, db, Channel, conn.Shop)
}
