package inventory_test

import (
	"context"
	"errors"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/kassa-pos/kassa/internal/dbtest"
	"github.com/kassa-pos/kassa/inventory"
)

func TestProductsByBarcodeSKUAndName(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := dbtest.New(t)
	st := inventory.Store{}
	rate, err := inventory.ParseTaxRate("6")
	if err != nil || !rate.Equal(decimal.RequireFromString("0.06")) {
		t.Fatalf("ParseTaxRate(6) = %s, %v", rate, err)
	}
	cup, err := st.CreateProduct(ctx, db, inventory.Product{SKU: "CUP-ESP", Name: "Espresso cup", Price: decimal.RequireFromString("12.50"),
		Barcode: "5400000000011", Published: true, TracksStock: true})
	if err != nil {
		t.Fatal(err)
	}
	book, err := st.CreateProduct(ctx, db, inventory.Product{SKU: "BOOK", Name: "Coffee book", Price: decimal.RequireFromString("20"),
		TaxRate: &rate, Published: true})
	if err != nil {
		t.Fatal(err)
	}
	// A barcode names one product.
	_, err = st.CreateProduct(ctx, db, inventory.Product{SKU: "CUP2", Name: "Cup", Price: decimal.Zero, Barcode: "5400000000011"})
	if !errors.Is(err, inventory.ErrDuplicateBarcode) {
		t.Errorf("a second product with the barcode: %v", err)
	}
	code := "5400000000011"
	if _, err := st.UpdateProduct(ctx, db, book.ID, inventory.ProductChange{Barcode: &code}); !errors.Is(err, inventory.ErrDuplicateBarcode) {
		t.Errorf("set another product's barcode: %v", err)
	}
	for code, want := range map[string]int64{"5400000000011": cup.ID, "cup-esp": cup.ID, " BOOK ": book.ID} {
		p, err := st.ProductByCode(ctx, db, code)
		if err != nil || p.ID != want {
			t.Errorf("ProductByCode(%q) = %d, %v; want %d", code, p.ID, err, want)
		}
	}
	if _, err := st.ProductByCode(ctx, db, "nope"); !errors.Is(err, inventory.ErrNotFound) {
		t.Errorf("unknown code: %v", err)
	}
	found, err := st.SearchProducts(ctx, db, "coffee", 10)
	if err != nil || len(found) != 1 || found[0].ID != book.ID || found[0].TaxRate == nil || !found[0].TaxRate.Equal(rate) {
		t.Errorf("search by name: %+v %v", found, err)
	}
	for _, bad := range []string{"100", "-1", "abc", "5.555"} {
		if _, err := inventory.ParseTaxRate(bad); !errors.Is(err, inventory.ErrInvalidTaxRate) {
			t.Errorf("ParseTaxRate(%q): %v", bad, err)
		}
	}
	if _, err := st.CreateProduct(ctx, db, inventory.Product{Name: "Bad", Price: decimal.Zero, Barcode: "12 34"}); !errors.Is(err, inventory.ErrInvalidBarcode) {
		t.Errorf("a barcode with a space: %v", err)
	}
}
