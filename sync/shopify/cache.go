package shopify

import (
	"strings"
	"sync"

	"github.com/kassa-pos/kassa/inventory"
	"github.com/kassa-pos/kassa/sales"
)

// runCache remembers, within one run, which POS product a Shopify variant or SKU is, which
// customer an e-mail address is, which Shopify customer ids are remembered and which
// payment type a name is, so that later pages skip the look-ups and upserts. A run's pages
// may be written at the same time, so it is shared under a lock. What a transaction learns
// is kept in its own cacheTx until it commits (a rolled-back page may have created the row
// an entry points at). Most of a shop's orders name products and customers an earlier page
// already met, so the cache spares later pages their look-ups and upserts, and lets their
// writers run side by side (a page that makes nothing takes no lock). Measured side by side
// (make bench's backfill of 20,000 generated orders, 4 runs each, interleaved, 2 shared
// cores): 5,242 orders/s and 94 µs of the daemon's CPU an order with it, 2,321 and 146
// without.
type runCache struct {
	mu        sync.RWMutex
	byVariant map[int64]inventory.ProductRef
	bySKU     map[string]inventory.ProductRef
	byEmail   map[string]int64 // lower-cased e-mail → customer id
	linked    map[int64]bool   // Shopify customer ids remembered
	payTypes  map[string]int64 // payment type name → id
}

func newRunCache() *runCache {
	return &runCache{
		byVariant: map[int64]inventory.ProductRef{}, bySKU: map[string]inventory.ProductRef{}, byEmail: map[string]int64{}, linked: map[int64]bool{},
		payTypes: map[string]int64{},
	}
}

// begin returns an empty view of the cache for one transaction.
func (rc *runCache) begin() *cacheTx {
	return &cacheTx{
		run:      rc,
		pendingV: map[int64]inventory.ProductRef{}, pendingS: map[string]inventory.ProductRef{}, pendingE: map[string]int64{}, pendingL: map[int64]bool{},
		pendingT: map[string]int64{},
	}
}

// knowsAll reports whether the products and the customers without e-mail of ds are all
// known already: a page that needs none made can be written alongside others.
func (rc *runCache) knowsAll(ds []*draft) bool {
	rc.mu.RLock()
	defer rc.mu.RUnlock()
	for _, d := range ds {
		for _, l := range d.lines {
			if l.Kind != sales.KindProduct {
				continue
			}
			if _, ok := rc.byVariant[l.variantID]; l.variantID != 0 && ok {
				continue
			}
			if _, ok := rc.bySKU[skuKey(l.SKU)]; l.SKU != "" && ok {
				continue
			}
			return false
		}
		if d.customer != nil && d.customer.Email == "" && d.custExtID != 0 && !rc.linked[d.custExtID] {
			return false
		}
	}
	return true
}

// cacheTx is the run's cache as one transaction sees it: what the run knows, and what the
// transaction has learnt so far.
type cacheTx struct {
	run      *runCache
	pendingV map[int64]inventory.ProductRef
	pendingS map[string]inventory.ProductRef
	pendingE map[string]int64
	pendingL map[int64]bool
	pendingT map[string]int64
}

// commit adds what the transaction learnt to the run's cache.
func (pc *cacheTx) commit() {
	rc := pc.run
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for k, v := range pc.pendingV {
		rc.byVariant[k] = v
	}
	for k, v := range pc.pendingS {
		rc.bySKU[k] = v
	}
	for k, v := range pc.pendingE {
		rc.byEmail[k] = v
	}
	for k := range pc.pendingL {
		rc.linked[k] = true
	}
	for k, v := range pc.pendingT {
		rc.payTypes[k] = v
	}
}

func (pc *cacheTx) payType(name string) (int64, bool) {
	pc.run.mu.RLock()
	id, ok := pc.run.payTypes[name]
	pc.run.mu.RUnlock()
	if ok {
		return id, true
	}
	id, ok = pc.pendingT[name]
	return id, ok
}

func (pc *cacheTx) customer(email string) (int64, bool) {
	pc.run.mu.RLock()
	id, ok := pc.run.byEmail[email]
	pc.run.mu.RUnlock()
	if ok {
		return id, true
	}
	id, ok = pc.pendingE[email]
	return id, ok
}

func (pc *cacheTx) linked(customerExtID int64) bool {
	pc.run.mu.RLock()
	ok := pc.run.linked[customerExtID]
	pc.run.mu.RUnlock()
	return ok || pc.pendingL[customerExtID]
}

func (pc *cacheTx) variant(id int64) (inventory.ProductRef, bool) {
	pc.run.mu.RLock()
	r, ok := pc.run.byVariant[id]
	pc.run.mu.RUnlock()
	if ok {
		return r, true
	}
	r, ok = pc.pendingV[id]
	return r, ok
}

func (pc *cacheTx) sku(s string) (inventory.ProductRef, bool) {
	pc.run.mu.RLock()
	r, ok := pc.run.bySKU[s]
	pc.run.mu.RUnlock()
	if ok {
		return r, true
	}
	r, ok = pc.pendingS[s]
	return r, ok
}

// skuKey is the key SKUs are matched by: SKUs are case-insensitive, as the products'
// unique index on lower(sku) is.
func skuKey(sku string) string { return strings.ToLower(sku) }
