package inventory_test

import (
	"context"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/kassa-pos/kassa/internal/dbtest"
	"github.com/kassa-pos/kassa/inventory"
)

// TestResolveProducts checks the order an import's lines find their products in (the
// remembered variant, then the SKU in any case, else a new product) and what it changes:
// unpublished products are published, new variants are remembered, a SKU or a SKU-less
// variant named twice makes one product.
func TestResolveProducts(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	ctx := context.Background()
	st := inventory.Store{}
	const shop = "demo.myshopify.com"
	linked, err := st.CreateProduct(ctx, db, inventory.Product{SKU: "POS-MUG", Name: "Our mug", Price: dec("9.00"), TracksStock: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.LinkExternalID(ctx, db, linked.ID, inventory.ExternalID{Channel: "shopify", Shop: shop, VariantID: 11}); err != nil {
		t.Fatal(err)
	}
	bySKU, err := st.CreateProduct(ctx, db, inventory.Product{SKU: "CUP-ESP", Name: "Espresso cup", Price: dec("4.00")})
	if err != nil {
		t.Fatal(err)
	}
	keys := []inventory.ProductKey{
		{VariantID: 11, ProductID: 1, SKU: "SKU-OF-ANOTHER", Name: "Mug"},                                  // remembered variant wins over its SKU
		{VariantID: 12, ProductID: 2, SKU: "cup-esp", Name: "Cup"},                                         // found by SKU, whatever its case
		{VariantID: 13, ProductID: 3, SKU: "NEW-1", Name: "Plate", Price: dec("12.50"), TracksStock: true}, // made
		{VariantID: 14, ProductID: 3, SKU: "new-1", Name: "Plate (again)"},                                 // the same new SKU: the same product
		{VariantID: 15, Name: "Gift wrap", VariantTitle: "Red", Price: dec("1.00")},                        // made without SKU
		{VariantID: 15, Name: "Gift wrap"},                                                                 // the same variant: the same product
		{SKU: "NEW-2", Name: "Saucer", Price: dec("3.00"), TracksStock: true},                              // made, no variant to remember
	}
	refs, err := st.ResolveProducts(ctx, db, "shopify", shop, keys)
	if err != nil {
		t.Fatal(err)
	}
	if len(refs) != len(keys) {
		t.Fatalf("%d refs for %d keys", len(refs), len(keys))
	}
	if refs[0].ID != linked.ID || !refs[0].TracksStock {
		t.Errorf("remembered variant resolved to %+v, want product %d", refs[0], linked.ID)
	}
	if refs[1].ID != bySKU.ID || refs[1].TracksStock {
		t.Errorf("SKU cup-esp resolved to %+v, want product %d (untracked)", refs[1], bySKU.ID)
	}
	if refs[2].ID != refs[3].ID || refs[4].ID != refs[5].ID || refs[2].ID == refs[4].ID || refs[6].ID == 0 {
		t.Errorf("new products: %+v", refs)
	}
	plate, err := st.ProductBySKU(ctx, db, "NEW-1")
	if err != nil {
		t.Fatal(err)
	}
	if plate.ID != refs[2].ID || plate.Name != "Plate" || !plate.Published || plate.Source != "shopify" || !plate.TracksStock || plate.Price.String() != "12.5" {
		t.Errorf("made from the first key naming it: %+v", plate)
	}
	wrap, err := st.ProductByExternalID(ctx, db, "shopify", shop, 15)
	if err != nil {
		t.Fatal(err)
	}
	if wrap.ID != refs[4].ID || wrap.SKU != "" || wrap.VariantTitle != "Red" || !wrap.Published || wrap.TracksStock {
		t.Errorf("SKU-less product: %+v", wrap)
	}
	for v, want := range map[int64]int64{11: linked.ID, 12: bySKU.ID, 13: refs[2].ID, 14: refs[2].ID} {
		if p, err := st.ProductByExternalID(ctx, db, "shopify", shop, v); err != nil || p.ID != want {
			t.Errorf("variant %d remembered as %+v, %v, want product %d", v, p, err, want)
		}
	}
	if cup, _ := st.ProductBySKU(ctx, db, "CUP-ESP"); !cup.Published {
		t.Error("the product found by SKU was not published")
	}
	if mug, _ := st.ProductBySKU(ctx, db, "POS-MUG"); !mug.Published {
		t.Error("the product found by variant was not published")
	}

	// Again: everything is found, nothing is made or changed.
	before := dbtest.Counts(t, db)
	again, err := st.ResolveProducts(ctx, db, "shopify", shop, keys)
	if err != nil {
		t.Fatal(err)
	}
	for i := range refs {
		if again[i] != refs[i] {
			t.Errorf("key %d resolved to %+v the second time, %+v the first", i, again[i], refs[i])
		}
	}
	dbtest.Unchanged(t, db, before)
}

// TestShippingProduct checks the shipping-fee product: made untracked and published, and
// made so again when someone changed it.
func TestShippingProduct(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	ctx := context.Background()
	st := inventory.Store{}
	id, err := st.EnsureShippingProduct(ctx, db, "SHOPIFY-SHIPPING", "Shopify shipping")
	if err != nil {
		t.Fatal(err)
	}
	p, err := st.ProductBySKU(ctx, db, "shopify-shipping")
	if err != nil || p.ID != id || p.TracksStock || !p.Published || p.Source != inventory.SourceSystem || !p.Price.IsZero() {
		t.Fatalf("shipping product %+v, %v", p, err)
	}
	if _, err := db.Exec(`UPDATE products SET published = false, tracks_stock = true WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	if err := st.ResetShippingProduct(ctx, db, id); err != nil {
		t.Fatal(err)
	}
	if p, _ := st.ProductBySKU(ctx, db, "SHOPIFY-SHIPPING"); p.TracksStock || !p.Published {
		t.Errorf("after reset: %+v", p)
	}
	// A product that has the SKU already becomes the shipping-fee product.
	mug, err := st.CreateProduct(ctx, db, inventory.Product{SKU: "FEE", Name: "Fee", Price: dec("2.00"), TracksStock: true})
	if err != nil {
		t.Fatal(err)
	}
	if id, err := st.EnsureShippingProduct(ctx, db, "fee", "Fee"); err != nil || id != mug.ID {
		t.Errorf("EnsureShippingProduct(fee) = %d, %v, want %d", id, err, mug.ID)
	}
	if p, _ := st.ProductBySKU(ctx, db, "FEE"); p.TracksStock || !p.Published {
		t.Errorf("existing product made the fee product: %+v", p)
	}
}

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }
