package inventory

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/shopspring/decimal"

	"github.com/kassa-pos/kassa/internal/pg"
)

// ProductKey is a product as a line of another channel's order names it: what finds its
// POS product, and what a product made for it gets.
type ProductKey struct {
	// VariantID and ProductID are the channel's ids of the line's variant and product (0
	// when unknown); SKU is the line's SKU ("" when it has none). A key has a variant id
	// or a SKU.
	VariantID int64
	ProductID int64
	SKU       string
	// Name, VariantTitle, Price and TracksStock are what a product made for the key gets.
	Name         string
	VariantTitle string
	Price        decimal.Decimal
	TracksStock  bool
}

// ProductRef is the POS product a key resolved to.
type ProductRef struct {
	ID          int64
	TracksStock bool
}

// skuKey is the key SKUs are matched by: SKUs are case-insensitive, as the products'
// unique index on lower(sku) is.
func skuKey(sku string) string { return strings.ToLower(sku) }

// ResolveProducts gives every key its POS product: the product remembered for its variant
// in the channel's shop, else the product with its SKU (whatever its case), else a new
// published product made from the key, one per SKU or, without SKU, one per variant (its
// source is the channel: SourceShopify for "shopify"). Products found unpublished are
// published, and the variants not remembered yet are remembered. It returns the products
// in the keys' order.
//
// It is set-based, so that an import resolves a page of orders in a few statements
// whatever its size: one each to look up the variants, the SKUs, to publish, to make the
// products with and without SKU, and to remember the variants, each only when needed. Rows
// are taken in a fixed order (sorted keys), so two imports resolving overlapping products
// wait for each other rather than deadlock.
func (Store) ResolveProducts(ctx context.Context, q pg.Queryer, channel, shop string, keys []ProductKey) ([]ProductRef, error) {
	out := make([]ProductRef, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	resolved := make([]bool, len(keys))
	// 1. The remembered variants.
	known := map[int64]bool{} // variants remembered in product_external_ids
	var variants []int64
	for _, k := range keys {
		if k.VariantID != 0 && !slices.Contains(variants, k.VariantID) {
			variants = append(variants, k.VariantID)
		}
		if k.VariantID == 0 && k.SKU == "" {
			return nil, errors.New("resolve products: a key needs a variant id or a SKU")
		}
	}
	if len(variants) > 0 {
		slices.Sort(variants)
		var rows []struct {
			VariantID int64 `db:"external_variant_id"`
			ID        int64 `db:"id"`
			Tracks    bool  `db:"tracks_stock"`
			Published bool  `db:"published"`
		}
		err := sqlx.SelectContext(ctx, q, &rows, `
			SELECT x.external_variant_id, p.id, p.tracks_stock, p.published
			FROM product_external_ids x JOIN products p ON p.id = x.product_id
			WHERE x.channel = $1 AND x.shop = $2 AND x.external_variant_id = ANY($3::bigint[])`,
			channel, shop, pq.Array(variants))
		if err != nil {
			return nil, fmt.Errorf("look up products by %s variant: %w", channel, err)
		}
		byVariant := make(map[int64]ProductRef, len(rows))
		var unpublished []int64
		for _, r := range rows {
			byVariant[r.VariantID] = ProductRef{ID: r.ID, TracksStock: r.Tracks}
			known[r.VariantID] = true
			if !r.Published {
				unpublished = append(unpublished, r.ID)
			}
		}
		if err := publish(ctx, q, unpublished); err != nil {
			return nil, err
		}
		for i, k := range keys {
			if r, ok := byVariant[k.VariantID]; ok && k.VariantID != 0 {
				out[i], resolved[i] = r, true
			}
		}
	}
	// 2. By SKU, in any case: "cup-esp" is the product "CUP-ESP". skus maps each SKU's key
	// to the first spelling seen, which the look-up and the insert use.
	skus := map[string]string{}
	for i, k := range keys {
		if !resolved[i] && k.SKU != "" {
			if _, ok := skus[skuKey(k.SKU)]; !ok {
				skus[skuKey(k.SKU)] = k.SKU
			}
		}
	}
	bySKU := map[string]ProductRef{}
	if len(skus) > 0 {
		spelt := make([]string, 0, len(skus))
		for _, sk := range sortedKeys(skus) {
			spelt = append(spelt, skus[sk])
		}
		var rows []struct {
			SKU       string `db:"sku"`
			ID        int64  `db:"id"`
			Tracks    bool   `db:"tracks_stock"`
			Published bool   `db:"published"`
		}
		err := sqlx.SelectContext(ctx, q, &rows, `
			SELECT x.s AS sku, p.id, p.tracks_stock, p.published
			FROM unnest($1::text[]) AS x(s) JOIN products p ON lower(p.sku) = lower(x.s) AND p.sku <> ''`,
			pq.Array(spelt))
		if err != nil {
			return nil, fmt.Errorf("look up products by SKU: %w", err)
		}
		var unpublished []int64
		for _, r := range rows {
			bySKU[skuKey(r.SKU)] = ProductRef{ID: r.ID, TracksStock: r.Tracks}
			if !r.Published {
				unpublished = append(unpublished, r.ID)
			}
		}
		if err := publish(ctx, q, unpublished); err != nil {
			return nil, err
		}
	}
	// 3. Make what is still missing: one product per SKU, or per variant without SKU, from
	// the first key that names it.
	newSKU := map[string]ProductKey{}
	noSKU := map[int64]ProductKey{}
	for i, k := range keys {
		switch {
		case resolved[i]:
		case k.SKU != "":
			if _, found := bySKU[skuKey(k.SKU)]; !found {
				if _, ok := newSKU[skuKey(k.SKU)]; !ok {
					newSKU[skuKey(k.SKU)] = k
				}
			}
		default:
			if _, ok := noSKU[k.VariantID]; !ok {
				noSKU[k.VariantID] = k
			}
		}
	}
	if len(newSKU) > 0 {
		made, err := makeProducts(ctx, q, channel, true, sortedKeys(newSKU), newSKU)
		if err != nil {
			return nil, err
		}
		for _, p := range made {
			bySKU[skuKey(p.SKU)] = ProductRef{ID: p.ID, TracksStock: p.Tracks}
		}
	}
	byNewVariant := map[int64]ProductRef{}
	if len(noSKU) > 0 {
		order := sortedKeys(noSKU)
		made, err := makeProducts(ctx, q, channel, false, order, noSKU)
		if err != nil {
			return nil, err
		}
		for i, p := range made {
			byNewVariant[order[i]] = ProductRef{ID: p.ID, TracksStock: p.Tracks}
		}
	}
	// 4. Fill in the keys and remember their variants.
	var linkV, linkP, linkProd []int64
	linked := map[int64]bool{}
	for i, k := range keys {
		if !resolved[i] {
			if k.SKU != "" {
				out[i] = bySKU[skuKey(k.SKU)]
			} else {
				out[i] = byNewVariant[k.VariantID]
			}
		}
		if out[i].ID == 0 {
			return nil, fmt.Errorf("no product found or made for %q", k.Name)
		}
		if k.VariantID != 0 && !known[k.VariantID] && !linked[k.VariantID] {
			linked[k.VariantID] = true
			linkV, linkP, linkProd = append(linkV, k.VariantID), append(linkP, k.ProductID), append(linkProd, out[i].ID)
		}
	}
	if len(linkV) > 0 {
		extProducts := make([]*int64, len(linkP))
		for i := range linkP {
			if linkP[i] != 0 {
				extProducts[i] = &linkP[i]
			}
		}
		_, err := q.ExecContext(ctx, `
			INSERT INTO product_external_ids (channel, shop, external_variant_id, external_product_id, product_id)
			SELECT $1, $2, v, p, id FROM unnest($3::bigint[], $4::bigint[], $5::bigint[]) AS t(v, p, id)
			ON CONFLICT (channel, shop, external_variant_id) DO NOTHING`,
			channel, shop, pq.Array(linkV), pq.Array(extProducts), pq.Array(linkProd))
		if err != nil {
			return nil, fmt.Errorf("remember %s variants: %w", channel, err)
		}
	}
	return out, nil
}

// madeProduct is a product makeProducts made (or found, for a SKU made meanwhile).
type madeProduct struct {
	K      int    `db:"k"`
	SKU    string `db:"sku"`
	ID     int64  `db:"id"`
	Tracks bool   `db:"tracks_stock"`
}

// makeProducts makes one published product for each of keys[order[i]], in one statement,
// and returns them in that order. With withSKU, a SKU another transaction made meanwhile
// (another shop's import) is published and returned instead; without, the products get
// no SKU.
func makeProducts[K int64 | string](ctx context.Context, q pg.Queryer, source string, withSKU bool, order []K, keys map[K]ProductKey) ([]madeProduct, error) {
	var (
		sk, names, vts, prices []string
		tracks                 []bool
	)
	for _, o := range order {
		k := keys[o]
		sku := ""
		if withSKU {
			sku = k.SKU
		}
		sk, names, vts = append(sk, sku), append(names, k.Name), append(vts, k.VariantTitle)
		prices, tracks = append(prices, k.Price.String()), append(tracks, k.TracksStock)
	}
	args := []any{pq.Array(sk), pq.Array(names), pq.Array(vts), pq.Array(prices), pq.Array(tracks), source}
	var rows []madeProduct
	var err error
	if withSKU {
		// ON CONFLICT: another import (of another shop) may have made the SKU meanwhile.
		err = sqlx.SelectContext(ctx, q, &rows, `
			INSERT INTO products AS p (sku, name, variant_title, price, tracks_stock, published, source)
			SELECT s, n, v, pr, t, true, $6
			FROM unnest($1::text[], $2::text[], $3::text[], $4::numeric[], $5::boolean[]) AS x(s, n, v, pr, t)
			ON CONFLICT (lower(sku)) WHERE sku <> '' DO UPDATE SET published = true, updated_at = now()
			RETURNING 0 AS k, sku, id, tracks_stock`, args...)
	} else {
		// Products without SKU have no key to find them again by: their ids are drawn first,
		// each paired with its key's position.
		err = sqlx.SelectContext(ctx, q, &rows, `
			WITH x AS (
				SELECT nextval(pg_get_serial_sequence('products', 'id')) AS id, x.*
				FROM unnest($1::text[], $2::text[], $3::text[], $4::numeric[], $5::boolean[]) WITH ORDINALITY AS x(s, n, v, pr, t, k)
			), made AS (
				INSERT INTO products (id, sku, name, variant_title, price, tracks_stock, published, source)
				SELECT id, s, n, v, pr, t, true, $6 FROM x
			)
			SELECT k, s AS sku, id, t AS tracks_stock FROM x ORDER BY k`, args...)
	}
	if err != nil {
		return nil, fmt.Errorf("make products: %w", err)
	}
	if withSKU {
		byKey := make(map[string]madeProduct, len(rows))
		for _, r := range rows {
			byKey[skuKey(r.SKU)] = r
		}
		rows = rows[:0]
		for _, o := range order {
			r, ok := byKey[skuKey(keys[o].SKU)]
			if !ok {
				return nil, fmt.Errorf("make products: SKU %q was not made", keys[o].SKU)
			}
			rows = append(rows, r)
		}
	}
	if len(rows) != len(order) {
		return nil, fmt.Errorf("make products: %d made for %d", len(rows), len(order))
	}
	return rows, nil
}

// publish publishes the products of ids that are not published yet.
func publish(ctx context.Context, q pg.Queryer, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := q.ExecContext(ctx, `UPDATE products SET published = true, updated_at = now() WHERE id = ANY($1::bigint[]) AND NOT published`, pq.Array(ids))
	if err != nil {
		return fmt.Errorf("publish products: %w", err)
	}
	return nil
}

// sortedKeys returns a map's keys in order, for deterministic statements (and lock order).
func sortedKeys[K int64 | string, V any](m map[K]V) []K {
	out := make([]K, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
