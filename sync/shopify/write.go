package shopify

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/kassa-pos/kassa/inventory"
	"github.com/kassa-pos/kassa/sales"
)

// productRef is what an import needs to know of a POS product.
type productRef struct {
	id     int64
	tracks bool
}

// runCache remembers, within one run, which POS product a Shopify variant or SKU is and
// which customer an e-mail address is, so that later pages skip the look-ups and upserts.
// A run's pages may be written at the same time, so it is shared under a lock. What a
// transaction learns is kept in its own cacheTx until it commits (a rolled-back page may
// have created the row an entry points at).
type runCache struct {
	mu        sync.RWMutex
	byVariant map[int64]productRef
	bySKU     map[string]productRef
	byEmail   map[string]int64 // lower-cased e-mail → customer id
	linked    map[int64]bool   // Shopify customer ids remembered
	payTypes  map[string]int64 // payment type name → id
}

func newRunCache() *runCache {
	return &runCache{
		byVariant: map[int64]productRef{}, bySKU: map[string]productRef{}, byEmail: map[string]int64{}, linked: map[int64]bool{},
		payTypes: map[string]int64{},
	}
}

// begin returns an empty view of the cache for one transaction.
func (rc *runCache) begin() *cacheTx {
	return &cacheTx{
		run:      rc,
		pendingV: map[int64]productRef{}, pendingS: map[string]productRef{}, pendingE: map[string]int64{}, pendingL: map[int64]bool{},
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
	pendingV map[int64]productRef
	pendingS map[string]productRef
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

func (pc *cacheTx) variant(id int64) (productRef, bool) {
	pc.run.mu.RLock()
	r, ok := pc.run.byVariant[id]
	pc.run.mu.RUnlock()
	if ok {
		return r, true
	}
	r, ok = pc.pendingV[id]
	return r, ok
}

func (pc *cacheTx) sku(s string) (productRef, bool) {
	pc.run.mu.RLock()
	r, ok := pc.run.bySKU[s]
	pc.run.mu.RUnlock()
	if ok {
		return r, true
	}
	r, ok = pc.pendingS[s]
	return r, ok
}

// openSession is the register session open when a transaction started writing sales.
type openSession struct {
	id       int64
	openedAt time.Time
}

// writeDrafts records the sales of ds in tx, set-based: it resolves (finds, creates,
// publishes, links) their products and customers and records the sales with their lines,
// taxes and payments. It returns the sale ids, in order, and the stock movements of their
// lines, for the caller to apply.
func (im *Importer) writeDrafts(ctx context.Context, tx *sqlx.Tx, c Connection, ds []*draft, pc *cacheTx, now time.Time) ([]int64, []inventory.Movement, error) {
	// The register's open session, shared-locked so that it cannot close while these sales
	// are counted into it.
	var sess *openSession
	var row struct {
		ID       int64     `db:"id"`
		OpenedAt time.Time `db:"opened_at"`
	}
	err := sqlx.GetContext(ctx, tx, &row, `SELECT id, opened_at FROM register_sessions WHERE register_id = $1 AND closed_at IS NULL FOR SHARE`, c.RegisterID)
	switch {
	case err == nil:
		sess = &openSession{id: row.ID, openedAt: row.OpenedAt}
	case !errors.Is(err, sql.ErrNoRows):
		return nil, nil, fmt.Errorf("look up the register's open session: %w", err)
	}
	if err := im.resolveProducts(ctx, tx, c, ds, pc); err != nil {
		return nil, nil, err
	}
	custIDs, err := resolveCustomers(ctx, tx, c, ds, pc)
	if err != nil {
		return nil, nil, err
	}
	batch := make([]sales.NewSale, len(ds))
	for i, d := range ds {
		s := d.sale
		if sess != nil {
			s.SessionID = &sess.id
		}
		if custIDs[i] != 0 {
			s.CustomerID = &custIDs[i]
		}
		lines := make([]sales.Line, len(d.lines))
		for j := range d.lines {
			lines[j] = d.lines[j].Line
		}
		ns := sales.NewSale{Sale: s, Lines: lines, External: &sales.External{Channel: Channel, Shop: c.Shop, ID: d.order.ID}}
		if d.collected.IsPositive() {
			// Payment types are looked up (or made) once a run, not once a page.
			typeID, ok := pc.payType(d.payType)
			if !ok {
				pt, err := (sales.Store{}).EnsurePaymentType(ctx, tx, d.payType)
				if err != nil {
					return nil, nil, err
				}
				typeID, pc.pendingT[d.payType] = pt.ID, pt.ID
			}
			p := sales.Payment{
				PaymentTypeID: typeID, Amount: d.collected, PaidAt: d.paidAt, RegisterID: c.RegisterID,
				RecordedBy: "shopify import", Source: sales.SourceShopify,
			}
			// A payment counts in the open session only when it was made while it was open.
			if sess != nil && !d.paidAt.Before(sess.openedAt) && !d.paidAt.After(now) {
				p.SessionID = &sess.id
			}
			ns.Payments = []sales.Payment{p}
		}
		batch[i] = ns
	}
	created, err := (sales.Store{}).CreateSales(ctx, tx, batch)
	if err != nil {
		return nil, nil, err
	}
	var moves []inventory.Movement
	ids := make([]int64, len(ds))
	for i, d := range ds {
		ids[i] = created[i].SaleID
		for j, l := range d.lines {
			if l.Kind == sales.KindProduct && l.productTracks {
				moves = append(moves, inventory.Movement{
					ProductID: *l.ProductID, OutletID: c.OutletID, Delta: -l.Quantity, Reason: inventory.ReasonSale,
					SaleLineID: created[i].LineIDs[j], Note: "Shopify order " + d.sale.ReceiptNumber,
				})
			}
		}
	}
	return ids, moves, nil
}

// resolveProducts gives every product line of ds its POS product: the one remembered for
// its Shopify variant, else the one with its SKU, else a new published product made from
// the line. Products found unpublished are published, and variants are remembered.
func (im *Importer) resolveProducts(ctx context.Context, tx *sqlx.Tx, c Connection, ds []*draft, pc *cacheTx) error {
	var lines []*lineDraft
	for _, d := range ds {
		for j := range d.lines {
			if d.lines[j].Kind == sales.KindProduct {
				lines = append(lines, &d.lines[j])
			}
		}
	}
	if len(lines) == 0 {
		return nil
	}
	resolved := make(map[*lineDraft]productRef, len(lines))
	// 1. The cache, then the remembered variants.
	variants := map[int64]bool{}
	known := map[int64]bool{} // variants already remembered in product_external_ids
	for _, l := range lines {
		if l.variantID != 0 {
			if r, ok := pc.variant(l.variantID); ok {
				resolved[l] = r
				known[l.variantID] = true
				continue
			}
			variants[l.variantID] = true
		}
	}
	if len(variants) > 0 {
		var rows []struct {
			VariantID int64 `db:"external_variant_id"`
			ID        int64 `db:"id"`
			Tracks    bool  `db:"tracks_stock"`
			Published bool  `db:"published"`
		}
		err := sqlx.SelectContext(ctx, tx, &rows, `
			SELECT x.external_variant_id, p.id, p.tracks_stock, p.published
			FROM product_external_ids x JOIN products p ON p.id = x.product_id
			WHERE x.channel = $1 AND x.shop = $2 AND x.external_variant_id = ANY($3::bigint[])`,
			Channel, c.Shop, pq.Array(sortedKeys(variants)))
		if err != nil {
			return fmt.Errorf("look up products by Shopify variant: %w", err)
		}
		var unpublished []int64
		for _, r := range rows {
			pc.pendingV[r.VariantID] = productRef{id: r.ID, tracks: r.Tracks}
			known[r.VariantID] = true
			if !r.Published {
				unpublished = append(unpublished, r.ID)
			}
		}
		if err := publish(ctx, tx, unpublished); err != nil {
			return err
		}
		for _, l := range lines {
			if _, done := resolved[l]; !done && l.variantID != 0 {
				if r, ok := pc.pendingV[l.variantID]; ok {
					resolved[l] = r
				}
			}
		}
	}
	// 2. By SKU, in any case: "cup-esp" is the product "CUP-ESP". skus maps each SKU's
	// key to the first spelling seen, which the look-up and the insert use.
	skus := map[string]string{}
	for _, l := range lines {
		if _, done := resolved[l]; done || l.SKU == "" {
			continue
		}
		if r, ok := pc.sku(skuKey(l.SKU)); ok {
			resolved[l] = r
			continue
		}
		if _, ok := skus[skuKey(l.SKU)]; !ok {
			skus[skuKey(l.SKU)] = l.SKU
		}
	}
	foundSKU := map[string]productRef{}
	if len(skus) > 0 {
		var rows []struct {
			SKU       string `db:"sku"`
			ID        int64  `db:"id"`
			Tracks    bool   `db:"tracks_stock"`
			Published bool   `db:"published"`
		}
		spelt := make([]string, 0, len(skus))
		for _, k := range sortedKeys(skus) {
			spelt = append(spelt, skus[k])
		}
		err := sqlx.SelectContext(ctx, tx, &rows, `
			SELECT x.s AS sku, p.id, p.tracks_stock, p.published
			FROM unnest($1::text[]) AS x(s) JOIN products p ON lower(p.sku) = lower(x.s) AND p.sku <> ''`,
			pq.Array(spelt))
		if err != nil {
			return fmt.Errorf("look up products by SKU: %w", err)
		}
		var unpublished []int64
		for _, r := range rows {
			foundSKU[skuKey(r.SKU)] = productRef{id: r.ID, tracks: r.Tracks}
			if !r.Published {
				unpublished = append(unpublished, r.ID)
			}
		}
		if err := publish(ctx, tx, unpublished); err != nil {
			return err
		}
	}
	// 3. Create what is still missing: one product per SKU, or per variant without SKU.
	var (
		newSKU   = map[string]*lineDraft{}
		noSKU    = map[int64]*lineDraft{}
		newOrder []string
	)
	for _, l := range lines {
		if _, done := resolved[l]; done {
			continue
		}
		if l.SKU != "" {
			if r, ok := foundSKU[skuKey(l.SKU)]; ok {
				resolved[l] = r
				continue
			}
			if _, ok := newSKU[skuKey(l.SKU)]; !ok {
				newSKU[skuKey(l.SKU)] = l
				newOrder = append(newOrder, l.SKU)
			}
			continue
		}
		if _, ok := noSKU[l.variantID]; !ok {
			noSKU[l.variantID] = l
		}
	}
	if len(newSKU) > 0 {
		var (
			sk, names, vts, prices []string
			tracks                 []bool
		)
		for _, k := range sortedKeys(newSKU) {
			l := newSKU[k]
			sk, names, vts = append(sk, l.SKU), append(names, l.Title), append(vts, l.VariantTitle)
			prices, tracks = append(prices, l.UnitPrice.String()), append(tracks, l.tracks)
		}
		var rows []struct {
			SKU    string `db:"sku"`
			ID     int64  `db:"id"`
			Tracks bool   `db:"tracks_stock"`
		}
		// ON CONFLICT: another import (of another shop) may have created the SKU meanwhile.
		err := sqlx.SelectContext(ctx, tx, &rows, `
			INSERT INTO products AS p (sku, name, variant_title, price, tracks_stock, published, source)
			SELECT s, n, v, pr, t, true, 'shopify'
			FROM unnest($1::text[], $2::text[], $3::text[], $4::numeric[], $5::boolean[]) AS x(s, n, v, pr, t)
			ON CONFLICT (lower(sku)) WHERE sku <> '' DO UPDATE SET published = true, updated_at = now()
			RETURNING sku, id, tracks_stock`,
			pq.Array(sk), pq.Array(names), pq.Array(vts), pq.Array(prices), pq.Array(tracks))
		if err != nil {
			return fmt.Errorf("create products: %w", err)
		}
		for _, r := range rows {
			foundSKU[skuKey(r.SKU)] = productRef{id: r.ID, tracks: r.Tracks}
		}
	}
	for _, v := range sortedKeys(noSKU) {
		l := noSKU[v]
		p, err := (inventory.Store{}).CreateProduct(ctx, tx, inventory.Product{
			Name: l.Title, VariantTitle: l.VariantTitle, Price: l.UnitPrice, TracksStock: l.tracks,
			Published: true, Source: inventory.SourceShopify,
		})
		if err != nil {
			return err
		}
		pc.pendingV[v] = productRef{id: p.ID, tracks: p.TracksStock}
	}
	// 4. Remember variants, fill in the lines.
	var linkV, linkP, linkProd []int64
	linked := map[int64]bool{}
	for _, l := range lines {
		r, done := resolved[l]
		if !done {
			if l.SKU != "" {
				r = foundSKU[skuKey(l.SKU)]
			} else {
				r = pc.pendingV[l.variantID]
			}
			resolved[l] = r
		}
		if l.variantID != 0 && !known[l.variantID] && !linked[l.variantID] && r.id != 0 {
			linked[l.variantID] = true
			linkV, linkP, linkProd = append(linkV, l.variantID), append(linkP, l.productID), append(linkProd, r.id)
		}
		if r.id == 0 {
			return fmt.Errorf("no product found or made for line %q", l.Title)
		}
		id := r.id
		l.ProductID, l.productTracks = &id, r.tracks
		if l.variantID != 0 {
			pc.pendingV[l.variantID] = r
		}
		if l.SKU != "" {
			pc.pendingS[skuKey(l.SKU)] = r
		}
	}
	if len(linkV) > 0 {
		extProducts := make([]*int64, len(linkP))
		for i := range linkP {
			if linkP[i] != 0 {
				extProducts[i] = &linkP[i]
			}
		}
		_, err := tx.ExecContext(ctx, `
			INSERT INTO product_external_ids (channel, shop, external_variant_id, external_product_id, product_id)
			SELECT $1, $2, v, p, id FROM unnest($3::bigint[], $4::bigint[], $5::bigint[]) AS t(v, p, id)
			ON CONFLICT (channel, shop, external_variant_id) DO NOTHING`,
			Channel, c.Shop, pq.Array(linkV), pq.Array(extProducts), pq.Array(linkProd))
		if err != nil {
			return fmt.Errorf("remember Shopify variants: %w", err)
		}
	}
	return nil
}

// skuKey is the key SKUs are matched by: SKUs are case-insensitive, as the products'
// unique index on lower(sku) is.
func skuKey(sku string) string { return strings.ToLower(sku) }

func publish(ctx context.Context, tx *sqlx.Tx, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := tx.ExecContext(ctx, `UPDATE products SET published = true, updated_at = now() WHERE id = ANY($1::bigint[]) AND NOT published`, pq.Array(ids))
	if err != nil {
		return fmt.Errorf("publish products: %w", err)
	}
	return nil
}

// resolveCustomers finds or creates the customer of every draft (by e-mail, whatever its
// case; by the remembered Shopify customer id when the order has no e-mail) and remembers
// the Shopify customer ids. It returns the customer ids, 0 for drafts naming nobody.
func resolveCustomers(ctx context.Context, tx *sqlx.Tx, c Connection, ds []*draft, pc *cacheTx) ([]int64, error) {
	out := make([]int64, len(ds))
	st := sales.Store{}
	byEmail := map[string]sales.Customer{}
	for _, d := range ds {
		if d.customer != nil && d.customer.Email != "" {
			k := strings.ToLower(d.customer.Email)
			if _, known := pc.customer(k); known {
				// Saved earlier in this run: its details were filled in then.
				continue
			}
			if _, ok := byEmail[k]; !ok {
				byEmail[k] = *d.customer
			}
		}
	}
	var upserts []sales.Customer
	for _, k := range sortedKeys(byEmail) {
		upserts = append(upserts, byEmail[k])
	}
	stored, err := st.UpsertCustomers(ctx, tx, upserts)
	if err != nil {
		return nil, err
	}
	for k, cust := range stored {
		pc.pendingE[k] = cust.ID
	}
	var linkC, linkX []int64
	byExt := map[int64]int64{} // customers without e-mail made in this batch, by Shopify id
	for i, d := range ds {
		if d.customer == nil {
			continue
		}
		if d.customer.Email != "" {
			id, ok := pc.customer(strings.ToLower(d.customer.Email))
			if !ok {
				return nil, fmt.Errorf("customer %q was not saved", d.customer.Email)
			}
			out[i] = id
		} else {
			// No e-mail: the customer Shopify's id was remembered for, else a new one.
			id, ok := byExt[d.custExtID]
			if ok {
				out[i] = id
				continue
			}
			err := sqlx.GetContext(ctx, tx, &id, `SELECT customer_id FROM customer_external_ids WHERE channel = $1 AND shop = $2 AND external_id = $3`,
				Channel, c.Shop, d.custExtID)
			if errors.Is(err, sql.ErrNoRows) {
				cust, err := st.UpsertCustomer(ctx, tx, *d.customer)
				if err != nil {
					return nil, err
				}
				id = cust.ID
			} else if err != nil {
				return nil, fmt.Errorf("look up Shopify customer %d: %w", d.custExtID, err)
			}
			out[i], byExt[d.custExtID] = id, id
		}
		if x := d.custExtID; x != 0 && !pc.linked(x) {
			pc.pendingL[x] = true
			linkC, linkX = append(linkC, out[i]), append(linkX, x)
		}
	}
	if err := st.LinkCustomers(ctx, tx, Channel, c.Shop, linkC, linkX); err != nil {
		return nil, err
	}
	return out, nil
}
