package daemon

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/kassa-pos/kassa/internal/pg"
	"github.com/kassa-pos/kassa/sync/shopify"
)

// connCache remembers the connections deliveries came for, with the version they were
// read at (shopify.ConnectionStore.VersionedCredentials), so that a delivery is verified
// without a look-up of its own. An entry is never trusted for what is stored: every batch
// of deliveries reads the versions of its connections in the transaction that stores it,
// and a delivery verified against a stale entry is verified again against the connection
// as it is now (see storeBatch). Only connected shops are remembered, so the cache holds
// at most one entry per connection.
type connCache struct {
	db    *sqlx.DB
	conns shopify.ConnectionStore
	mu    sync.Mutex
	shops map[string]cachedConn
}

type cachedConn struct {
	conn    shopify.Connection
	version string
}

func newConnCache(db *sqlx.DB, conns shopify.ConnectionStore) *connCache {
	return &connCache{db: db, conns: conns, shops: map[string]cachedConn{}}
}

// get returns the shop's connection, from the cache when it holds it.
func (cc *connCache) get(ctx context.Context, shop string) (cachedConn, error) {
	norm, err := shopify.NormalizeShop(shop)
	if err != nil {
		return cachedConn{}, err
	}
	cc.mu.Lock()
	c, ok := cc.shops[norm]
	cc.mu.Unlock()
	if ok {
		return c, nil
	}
	return cc.load(ctx, norm)
}

// load reads the shop's connection afresh and remembers it (or forgets it, when the shop
// is no longer connected).
func (cc *connCache) load(ctx context.Context, shop string) (cachedConn, error) {
	conn, version, err := cc.conns.VersionedCredentials(ctx, cc.db, shop)
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if err != nil {
		if errors.Is(err, shopify.ErrNotFound) {
			delete(cc.shops, shop)
		}
		return cachedConn{}, err
	}
	c := cachedConn{conn: conn, version: version}
	cc.shops[conn.Shop] = c
	return c, nil
}

// current tells whether c is still the connection as stored: one look-up of its version.
func (cc *connCache) current(ctx context.Context, c cachedConn) (bool, error) {
	versions, err := cc.conns.CredentialVersions(ctx, cc.db, []int64{c.conn.ID})
	if err != nil {
		return false, err
	}
	return versions[c.conn.ID] == c.version, nil
}

// pendingDelivery is a verified delivery waiting to be stored, and then what became of
// it: stored (new), a repeat of a stored one, refused (its connection changed since it
// was verified and it is not signed by it as it is now) or err.
type pendingDelivery struct {
	conn      cachedConn
	webhookID string
	topic     string
	body, mac []byte

	stored  bool
	refused string
	err     error
	done    chan struct{}
}

// deliveryBatcher stores deliveries in batches: a delivery waiting to be stored joins the
// next batch, and one of the requests waiting (at most slots at once) writes a batch of
// at most max in one transaction, committed durably, then tells each delivery's request
// what became of it. While a batch commits, the next one fills, so that under load one
// commit (one flush of the write-ahead log) answers many deliveries, and the receivers
// never hold more than slots of the database's connections (the rest are the worker's).
type deliveryBatcher struct {
	wr    *webhookReceiver
	slots chan struct{}
	max   int
	// maxBytes bounds the bodies of the deliveries waiting for their batch's commit.
	maxBytes int64
	bytes    atomic.Int64

	mu      sync.Mutex
	pending []*pendingDelivery
}

func newDeliveryBatcher(wr *webhookReceiver, slots, max int, maxBytes int64) *deliveryBatcher {
	return &deliveryBatcher{wr: wr, slots: make(chan struct{}, slots), max: max, maxBytes: maxBytes}
}

// reserve takes n bytes of the budget of bodies waiting to be stored, and reports whether
// they fit; unreserve gives them back. One delivery always fits when nothing waits.
func (b *deliveryBatcher) reserve(n int) bool {
	if b.bytes.Add(int64(n)) > b.maxBytes && int64(n) < b.bytes.Load() {
		b.bytes.Add(-int64(n))
		return false
	}
	return true
}

func (b *deliveryBatcher) unreserve(n int) { b.bytes.Add(-int64(n)) }

// store adds d to the next batch and returns once d's batch has committed or failed.
// It does not give up when the request's context ends: d is written by whoever writes its
// batch, and its fate is known only after.
func (b *deliveryBatcher) store(d *pendingDelivery) {
	d.done = make(chan struct{})
	b.mu.Lock()
	b.pending = append(b.pending, d)
	b.mu.Unlock()
	for {
		select {
		case <-d.done:
			return
		case b.slots <- struct{}{}:
			batch := b.take()
			if len(batch) == 0 {
				// Another writer took d and is writing it.
				<-b.slots
				<-d.done
				return
			}
			b.write(batch)
			<-b.slots
		}
	}
}

// take removes the next batch from the pending deliveries.
func (b *deliveryBatcher) take() []*pendingDelivery {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := min(len(b.pending), b.max)
	batch := b.pending[:n:n]
	b.pending = b.pending[n:]
	if len(b.pending) == 0 {
		b.pending = nil // let the array go
	}
	return batch
}

// write stores a batch and tells its deliveries. When the batch fails as a whole for
// another reason than its context, each delivery is tried alone, so that one the database
// refuses does not take the others with it.
func (b *deliveryBatcher) write(batch []*pendingDelivery) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := b.wr.storeBatch(ctx, batch)
	if err != nil && len(batch) > 1 && ctx.Err() == nil {
		for _, d := range batch {
			d.stored, d.refused = false, ""
			d.err = b.wr.storeBatch(ctx, []*pendingDelivery{d})
			close(d.done)
		}
		return
	}
	for _, d := range batch {
		if err != nil {
			d.stored, d.refused, d.err = false, "", err
		}
		close(d.done)
	}
}

// storeBatch writes the deliveries of batch that were not stored before (by webhook id)
// in one transaction, committed with synchronous_commit on even when the server or
// database sets it off (the 200 that follows tells Shopify to forget the delivery, so
// the row must survive a crash of the database server; every other setting already waits
// for the local flush and is left as it is, so that a standby the operator made wait is
// still waited for). The connections' versions are read in the same transaction: a
// delivery verified against a connection that has changed since is verified again
// against the connection as it is now, and refused unless it passes.
func (wr *webhookReceiver) storeBatch(ctx context.Context, batch []*pendingDelivery) error {
	return pg.WithTx(ctx, wr.db, func(tx *sqlx.Tx) error {
		ids := make([]int64, 0, 1)
		seenConn := map[int64]bool{}
		for _, d := range batch {
			if !seenConn[d.conn.conn.ID] {
				seenConn[d.conn.conn.ID] = true
				ids = append(ids, d.conn.conn.ID)
			}
		}
		versions, err := wr.conns.DurableCredentialVersions(ctx, tx, ids)
		if err != nil {
			return err
		}
		var (
			connIDs        []int64
			hooks, topics  []string
			bodies         [][]byte
			first          = map[deliveryKey]*pendingDelivery{}
			reloaded       = map[string]cachedConn{}
			reloadRefusals = map[string]string{}
		)
		for _, d := range batch {
			d.stored, d.refused, d.err = false, "", nil
			if versions[d.conn.conn.ID] != d.conn.version {
				shop := d.conn.conn.Shop
				c, ok := reloaded[shop]
				if !ok && reloadRefusals[shop] == "" {
					c, err = wr.cache.load(ctx, shop)
					switch {
					case errors.Is(err, shopify.ErrNotFound) || errors.Is(err, shopify.ErrInvalidShop):
						reloadRefusals[shop] = rejectUnknownShop
					case err != nil:
						return err
					default:
						reloaded[shop] = c
					}
				}
				if why := reloadRefusals[shop]; why != "" {
					d.refused = why
					continue
				}
				if !verifySignature(d.body, d.mac, c.conn.WebhookSecret) {
					d.refused = rejectBadSignature
					continue
				}
				d.conn = c
			}
			key := deliveryKey{d.conn.conn.ID, d.webhookID}
			if _, ok := first[key]; ok {
				continue // a repeat within the batch: not stored again
			}
			first[key] = d
			connIDs = append(connIDs, d.conn.conn.ID)
			hooks = append(hooks, d.webhookID)
			topics = append(topics, d.topic)
			bodies = append(bodies, d.body)
		}
		if len(connIDs) > 0 {
			if len(versions) == 0 {
				// The versions' statement asked for the synchronous commit only when it found
				// a connection; a shop connected again since has a new one.
				if _, err := tx.ExecContext(ctx, `SELECT set_config('synchronous_commit', 'on', true)
					WHERE current_setting('synchronous_commit') = 'off'`); err != nil {
					return fmt.Errorf("ask for a synchronous commit: %w", err)
				}
			}
			var stored []struct {
				ConnectionID int64  `db:"connection_id"`
				WebhookID    string `db:"webhook_id"`
			}
			now := wr.clock()
			err = sqlx.SelectContext(ctx, tx, &stored, `
				INSERT INTO webhook_deliveries (connection_id, webhook_id, topic, body, received_at, next_attempt_at)
				SELECT c, w, t, b, $5, $5 FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bytea[]) AS u(c, w, t, b)
				ON CONFLICT (connection_id, webhook_id) DO NOTHING RETURNING connection_id, webhook_id`,
				pq.Array(connIDs), pq.Array(hooks), pq.Array(topics), pq.ByteaArray(bodies), now)
			if err != nil {
				return fmt.Errorf("insert: %w", err)
			}
			for _, s := range stored {
				if d := first[deliveryKey{s.ConnectionID, s.WebhookID}]; d != nil {
					d.stored = true
				}
			}
		}
		if hook := wr.storeHook.Load(); hook != nil {
			(*hook)(ctx, tx)
		}
		return nil
	})
}

// deliveryKey is what makes a delivery the same as another: its connection and webhook id.
type deliveryKey struct {
	connID    int64
	webhookID string
}
