package shopify

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/kassa-pos/kassa/internal/pg"
	"github.com/kassa-pos/kassa/internal/text"
	"github.com/kassa-pos/kassa/inventory"
	"github.com/kassa-pos/kassa/sync/shopify/shopifyapi"
)

// OpeningStockNote is the note of the movement that sets a product's opening stock from
// Shopify's available quantity.
const OpeningStockNote = "opening stock from Shopify"

const lockClassCatalogue int32 = 0x5350_0005 // one catalogue pull per connection

// CatalogueConflict is a variant the pull did not link because it could only guess.
type CatalogueConflict struct {
	SKU string `json:"sku"`
	// Reason says what is ambiguous, naming the variants and products involved.
	Reason   string  `json:"reason"`
	Variants []int64 `json:"variants"`
}

// CatalogueResult is what a catalogue pull did (or, dry, would do).
type CatalogueResult struct {
	Shop     string `json:"shop"`
	Location string `json:"location"`
	DryRun   bool   `json:"dry_run"`
	Variants int    `json:"variants"`
	// Created counts the products made for variants kassa did not know; Linked the
	// variants linked to a product kassa had (by its remembered variant id or its SKU);
	// Unchanged those already linked as they are.
	Created   int `json:"created"`
	Linked    int `json:"linked"`
	Unchanged int `json:"unchanged"`
	// OpeningStock counts the products whose opening stock was set from Shopify's
	// available quantity (only products without stock history at the outlet get one).
	OpeningStock int `json:"opening_stock"`
	// Differ counts linked products with stock history whose level differs from Shopify's
	// available quantity: kassa's level is pushed at their next movement or by the nightly
	// check.
	Differ int `json:"differ"`
	// Barcodes counts the products that took their variant's barcode (only products
	// without one get it).
	Barcodes int `json:"barcodes"`
	// GiftCards counts the gift card variants left out: they are not goods.
	GiftCards int                 `json:"gift_cards"`
	Conflicts []CatalogueConflict `json:"conflicts"`
}

// PullCatalogue reads the shop's products and variants with their available quantities at
// the connection's location, and links each variant to a kassa product: the one remembered
// for its variant id, else the one with its SKU (whatever the case), else a new published
// product. A product without stock history at the outlet gets its opening stock from
// Shopify's available quantity (a movement "opening stock from Shopify"); every linked,
// tracked product then mirrors the location, and its movements are pushed there. Variants
// that could only be guessed are named as conflicts and left alone: two variants with one
// SKU, or a SKU whose kassa product is linked to another variant. Everything is written in
// one transaction (rolled back when dry), so a second pull changes nothing.
func (st ConnectionStore) PullCatalogue(ctx context.Context, db *sqlx.DB, conn Connection, o ClientOptions, dry bool) (CatalogueResult, error) {
	res := CatalogueResult{Shop: conn.Shop, Location: conn.LocationName, DryRun: dry, Conflicts: []CatalogueConflict{}}
	if conn.LocationID == nil {
		return res, ErrNoLocation
	}
	cl, err := st.OpenClient(conn, o)
	if err != nil {
		return res, err
	}
	var variants []shopifyapi.CatalogueVariant
	err = cl.Catalogue(ctx, *conn.LocationID, func(page []shopifyapi.CatalogueVariant) error {
		for _, v := range page {
			// Text from Shopify is stored as the importer stores it: one safe line.
			v.ProductTitle, v.VariantTitle = text.Clean(v.ProductTitle, text.MaxName), text.Clean(v.VariantTitle, text.MaxName)
			v.SKU, v.Barcode = text.Clean(v.SKU, text.MaxName), text.Clean(v.Barcode, text.MaxName)
			if v.ProductTitle == "" {
				v.ProductTitle = fmt.Sprintf("Shopify variant %d", v.VariantID)
			}
			variants = append(variants, v)
		}
		return nil
	})
	cl.Close()
	if err != nil {
		return res, err
	}
	rollback := errors.New("dry run")
	err = pg.InTx(ctx, db, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1, $2)`, lockClassCatalogue, int32(conn.ID)); err != nil {
			return fmt.Errorf("lock the catalogue of %s: %w", conn.Shop, err)
		}
		if err := linkCatalogue(ctx, tx, conn, variants, &res); err != nil {
			return err
		}
		if dry {
			return rollback
		}
		return nil
	})
	if errors.Is(err, rollback) {
		err = nil
	}
	return res, err
}

func variantName(v shopifyapi.CatalogueVariant) string {
	name := v.ProductTitle
	if v.VariantTitle != "" && v.VariantTitle != "Default Title" {
		name += " - " + v.VariantTitle
	}
	return fmt.Sprintf("%d (%s)", v.VariantID, safeText(name))
}

// linkCatalogue links the variants inside the pull's transaction.
func linkCatalogue(ctx context.Context, tx *sqlx.Tx, conn Connection, variants []shopifyapi.CatalogueVariant, res *CatalogueResult) error {
	inv := inventory.Store{}
	remembered, err := inv.ExternalVariants(ctx, tx, Channel, conn.Shop)
	if err != nil {
		return err
	}
	items, err := inv.ChannelItems(ctx, tx, Channel, conn.Shop)
	if err != nil {
		return err
	}
	linkedItem := map[int64]inventory.ChannelItem{} // by product
	for _, it := range items {
		if it.OutletID == conn.OutletID {
			linkedItem[it.ProductID] = it
		}
	}
	present := map[int64]bool{}
	bySKU := map[string][]shopifyapi.CatalogueVariant{}
	for _, v := range variants {
		present[v.VariantID] = true
		if v.SKU != "" && !v.GiftCard {
			k := strings.ToLower(v.SKU)
			bySKU[k] = append(bySKU[k], v)
		}
	}
	// The variants remembered per product: a SKU that finds a product remembered for
	// another variant still in the shop is a conflict.
	variantsOf := map[int64][]int64{}
	for variant, product := range remembered {
		if present[variant] {
			variantsOf[product] = append(variantsOf[product], variant)
		}
	}
	conflicted := map[string]bool{}
	barcodes := map[int64]shopifyapi.CatalogueVariant{} // products without a barcode: the variant that gives one
	unchanged := map[int64]bool{}
	for _, v := range variants {
		if v.GiftCard {
			res.GiftCards++
			continue
		}
		res.Variants++
		product, known := remembered[v.VariantID]
		var p inventory.Product
		found := false
		switch {
		case known:
			ps, err := inv.ProductsByID(ctx, tx, []int64{product})
			if err != nil {
				return err
			}
			p, found = ps[product]
		case v.SKU != "" && len(bySKU[strings.ToLower(v.SKU)]) > 1:
			k := strings.ToLower(v.SKU)
			if !conflicted[k] {
				conflicted[k] = true
				var names []string
				var ids []int64
				for _, o := range bySKU[k] {
					names, ids = append(names, variantName(o)), append(ids, o.VariantID)
				}
				res.Conflicts = append(res.Conflicts, CatalogueConflict{SKU: safeText(v.SKU), Variants: ids,
					Reason: fmt.Sprintf("%d variants have the SKU %q: %s; give each its own SKU in Shopify", len(ids), safeText(v.SKU), strings.Join(names, ", "))})
			}
			continue
		case v.SKU != "":
			bySku, err := inv.ProductBySKU(ctx, tx, v.SKU)
			switch {
			case errors.Is(err, inventory.ErrNotFound):
			case err != nil:
				return err
			default:
				if others := variantsOf[bySku.ID]; len(others) > 0 {
					sort.Slice(others, func(i, j int) bool { return others[i] < others[j] })
					res.Conflicts = append(res.Conflicts, CatalogueConflict{SKU: safeText(v.SKU), Variants: append([]int64{v.VariantID}, others...),
						Reason: fmt.Sprintf("variant %s has the SKU %q of kassa's product %q, which is linked to variant %d already; give one of them another SKU",
							variantName(v), safeText(v.SKU), safeText(bySku.Name), others[0])})
					continue
				}
				p, found = bySku, true
			}
		}
		created := false
		if !found {
			title := v.VariantTitle
			if title == "Default Title" {
				title = ""
			}
			np, err := inv.CreateProduct(ctx, tx, inventory.Product{
				SKU: v.SKU, Name: v.ProductTitle, VariantTitle: title, Price: v.Price, TracksStock: v.Tracked, Published: true, Source: inventory.SourceShopify,
			})
			if err != nil {
				return fmt.Errorf("variant %s: %w", variantName(v), err)
			}
			p, created = np, true
		}
		if !known {
			if err := inv.LinkExternalID(ctx, tx, p.ID, inventory.ExternalID{Channel: Channel, Shop: conn.Shop, ProductID: v.ProductID, VariantID: v.VariantID}); err != nil {
				return err
			}
			remembered[v.VariantID] = p.ID
			variantsOf[p.ID] = append(variantsOf[p.ID], v.VariantID)
		}
		if v.Barcode != "" && p.Barcode == "" {
			barcodes[p.ID] = v
		}
		stockChanged := false
		if v.Tracked && p.TracksStock {
			changed, err := linkStock(ctx, tx, conn, p, v, linkedItem[p.ID], res)
			if err != nil {
				return err
			}
			stockChanged = changed
		}
		switch {
		case created:
			res.Created++
		case known && !stockChanged:
			res.Unchanged++
			unchanged[p.ID] = true
		default:
			res.Linked++
		}
	}
	return fillBarcodes(ctx, tx, barcodes, unchanged, res)
}

// fillBarcodes gives products without a barcode their variant's. A barcode two variants
// share, one another kassa product has, or one kassa cannot take is named as a conflict
// and left out.
func fillBarcodes(ctx context.Context, tx *sqlx.Tx, barcodes map[int64]shopifyapi.CatalogueVariant, unchanged map[int64]bool, res *CatalogueResult) error {
	inv := inventory.Store{}
	byCode := map[string][]int64{}
	for id, v := range barcodes {
		byCode[strings.ToLower(v.Barcode)] = append(byCode[strings.ToLower(v.Barcode)], id)
	}
	ids := make([]int64, 0, len(barcodes))
	for id := range barcodes {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	shared := map[string]bool{}
	for _, id := range ids {
		v := barcodes[id]
		code := strings.ToLower(v.Barcode)
		if others := byCode[code]; len(others) > 1 {
			if !shared[code] {
				shared[code] = true
				var names []string
				var vids []int64
				for _, o := range others {
					names, vids = append(names, variantName(barcodes[o])), append(vids, barcodes[o].VariantID)
				}
				sort.Strings(names)
				res.Conflicts = append(res.Conflicts, CatalogueConflict{SKU: safeText(v.SKU), Variants: vids,
					Reason: fmt.Sprintf("%d variants have the barcode %q: %s; no product took it", len(others), safeText(v.Barcode), strings.Join(names, ", "))})
			}
			continue
		}
		owner, err := inv.ProductByCode(ctx, tx, v.Barcode)
		switch {
		case errors.Is(err, inventory.ErrNotFound):
		case err != nil:
			return err
		case strings.EqualFold(owner.Barcode, v.Barcode) && owner.ID != id:
			res.Conflicts = append(res.Conflicts, CatalogueConflict{SKU: safeText(v.SKU), Variants: []int64{v.VariantID},
				Reason: fmt.Sprintf("variant %s has the barcode %q of kassa's product %q; the product linked to it keeps no barcode", variantName(v), safeText(v.Barcode), safeText(owner.Name))})
			continue
		}
		err = inv.SetBarcodes(ctx, tx, map[int64]string{id: v.Barcode})
		if errors.Is(err, inventory.ErrInvalidBarcode) {
			res.Conflicts = append(res.Conflicts, CatalogueConflict{SKU: safeText(v.SKU), Variants: []int64{v.VariantID},
				Reason: fmt.Sprintf("variant %s has the barcode %q, which kassa does not take (up to 64 letters, digits or dashes)", variantName(v), safeText(v.Barcode))})
			continue
		}
		if err != nil {
			return err
		}
		res.Barcodes++
		if unchanged[id] {
			res.Unchanged--
			res.Linked++
		}
	}
	return nil
}

// linkStock gives a product without stock history its opening stock from Shopify's
// available quantity and links it to its inventory item at the connection's location; it
// reports whether the link is new or changed.
func linkStock(ctx context.Context, tx *sqlx.Tx, conn Connection, p inventory.Product, v shopifyapi.CatalogueVariant, had inventory.ChannelItem, res *CatalogueResult) (bool, error) {
	inv := inventory.Store{}
	if had.ID != 0 && had.InventoryItemID == v.InventoryItemID && had.LocationID == *conn.LocationID {
		return false, nil
	}
	history, err := inv.WithStockHistory(ctx, tx, conn.OutletID, []int64{p.ID})
	if err != nil {
		return false, err
	}
	switch {
	case !history[p.ID] && v.Available != nil && *v.Available != 0:
		// Before the link: the opening stock is what Shopify has, nothing to push.
		if _, err := inv.ApplyMovements(ctx, tx, []inventory.Movement{{
			ProductID: p.ID, OutletID: conn.OutletID, Delta: *v.Available, Reason: inventory.ReasonAdjustment, Note: OpeningStockNote,
		}}); err != nil {
			return false, err
		}
		res.OpeningStock++
	case history[p.ID]:
		level, err := inv.StockLevel(ctx, tx, p.ID, conn.OutletID)
		if err != nil {
			return false, err
		}
		if v.Available == nil || *v.Available != level {
			res.Differ++
		}
	}
	changed, err := inv.LinkChannelItem(ctx, tx, inventory.ChannelItem{
		Channel: Channel, Shop: conn.Shop, OutletID: conn.OutletID, ProductID: p.ID, InventoryItemID: v.InventoryItemID,
		LocationID: *conn.LocationID, ChannelAvailable: v.Available,
	})
	if errors.Is(err, inventory.ErrChannelItemTaken) {
		return false, fmt.Errorf("variant %s: %w", variantName(v), err)
	}
	return changed, err
}
