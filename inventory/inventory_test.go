package inventory_test

import (
	"context"
	"errors"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/kassa-pos/kassa/internal/dbtest"
	"github.com/kassa-pos/kassa/inventory"
)

func TestCreateOutletValidates(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	ctx := context.Background()
	st := inventory.Store{}
	o, err := st.CreateOutlet(ctx, db, "Gent", "Europe/Brussels", "EUR")
	if err != nil {
		t.Fatal(err)
	}
	if o.ID == 0 || o.Timezone != "Europe/Brussels" {
		t.Fatalf("created %+v", o)
	}
	before := dbtest.Counts(t, db)
	cases := []struct {
		name, tz, cur string
		want          error
	}{
		{"Gent", "Europe/Brussels", "EUR", inventory.ErrDuplicateOutlet},
		{"gent ", "Europe/Brussels", "EUR", inventory.ErrDuplicateOutlet}, // names are unique whatever the case
		{"Brugge", "Europe/Atlantis", "EUR", inventory.ErrInvalidTimezone},
		{"Brugge", "", "EUR", inventory.ErrInvalidTimezone},
		{"Brugge", "Europe/Brussels", "EURO", inventory.ErrInvalidCurrency},
		{"Brugge", "Europe/Brussels", "ABC", inventory.ErrInvalidCurrency}, // three letters, but no currency
		{"Brugge", "Europe/Brussels", "HRK", inventory.ErrInvalidCurrency}, // withdrawn in 2023
		{"Brugge", "Europe/Brussels", "XAU", inventory.ErrInvalidCurrency}, // gold is not a shop's currency
		{"Brugge", "Europe/Brussels", "", inventory.ErrInvalidCurrency},
	}
	for _, c := range cases {
		if _, err := st.CreateOutlet(ctx, db, c.name, c.tz, c.cur); !errors.Is(err, c.want) {
			t.Errorf("CreateOutlet(%q, %q, %q) = %v, want %v", c.name, c.tz, c.cur, err, c.want)
		}
	}
	dbtest.Unchanged(t, db, before)

	// A currency is upper-cased: "usd" is USD.
	if o, err := st.CreateOutlet(ctx, db, "Antwerpen", "Europe/Brussels", " usd"); err != nil || o.Currency != "USD" {
		t.Errorf("CreateOutlet with currency \" usd\" = %+v, %v, want USD", o, err)
	}

	// The database refuses an unknown zone even when Go is bypassed.
	if _, err := db.Exec(`INSERT INTO outlets (name, timezone, currency) VALUES ('X', 'Mars/Olympus', 'EUR')`); err == nil {
		t.Error("the database accepted an unknown time zone")
	}
}

func TestDuplicateSKURefused(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	ctx := context.Background()
	st := inventory.Store{}
	if _, err := st.CreateProduct(ctx, db, inventory.Product{SKU: "CUP", Name: "Cup", Price: decimal.RequireFromString("12.50")}); err != nil {
		t.Fatal(err)
	}
	before := dbtest.Counts(t, db)
	_, err := st.CreateProduct(ctx, db, inventory.Product{SKU: "CUP", Name: "Other cup", Price: decimal.NewFromInt(3)})
	if !errors.Is(err, inventory.ErrDuplicateSKU) {
		t.Fatalf("second product with SKU CUP: %v, want ErrDuplicateSKU", err)
	}
	dbtest.Unchanged(t, db, before)
	// Products without SKU do not collide.
	for range 2 {
		if _, err := st.CreateProduct(ctx, db, inventory.Product{Name: "Gift wrap", Price: decimal.NewFromInt(1)}); err != nil {
			t.Fatalf("product without SKU: %v", err)
		}
	}
}

func TestStockMovementOncePerSaleLine(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	ctx := context.Background()
	st := inventory.Store{}
	shop := dbtest.NewShop(t, db, "Gent", "Till")
	p, err := st.CreateProduct(ctx, db, inventory.Product{SKU: "CUP", Name: "Cup", Price: decimal.NewFromInt(12), TracksStock: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.ApplyMovement(ctx, db, inventory.Movement{ProductID: p.ID, OutletID: shop.OutletID, Delta: 10, Reason: inventory.ReasonReceive}); err != nil {
		t.Fatal(err)
	}
	// A sale line to hang the movement on.
	var saleID, lineID int64
	mustGet(t, db, &saleID, `INSERT INTO sales (outlet_id, register_id, receipt_number, source, sold_at, currency, subtotal, total, balance)
		VALUES ($1, $2, 'R1', 'pos', now(), 'EUR', 24, 24, 24) RETURNING id`, shop.OutletID, shop.RegisterID)
	mustGet(t, db, &lineID, `INSERT INTO sale_lines (sale_id, line_no, product_id, kind, title, quantity, unit_price, total)
		VALUES ($1, 1, $2, 'product', 'Cup', 2, 12, 24) RETURNING id`, saleID, p.ID)

	m := inventory.Movement{ProductID: p.ID, OutletID: shop.OutletID, Delta: -2, Reason: inventory.ReasonSale, SaleLineID: lineID}
	applied, err := st.ApplyMovement(ctx, db, m)
	if err != nil || !applied {
		t.Fatalf("first movement: applied=%v err=%v", applied, err)
	}
	applied, err = st.ApplyMovement(ctx, db, m)
	if err != nil || applied {
		t.Fatalf("second movement for the same sale line: applied=%v err=%v, want skipped", applied, err)
	}
	if n, err := st.ApplyMovements(ctx, db, []inventory.Movement{m, m}); err != nil || n != 0 {
		t.Fatalf("replayed batch: %d applied, %v", n, err)
	}
	level, err := st.StockLevel(ctx, db, p.ID, shop.OutletID)
	if err != nil || level != 8 {
		t.Fatalf("stock = %d (%v), want 10 - 2 = 8", level, err)
	}
	// The database refuses a second movement for the line even without ON CONFLICT.
	if _, err := db.Exec(`INSERT INTO stock_movements (product_id, outlet_id, delta, reason, sale_line_id) VALUES ($1, $2, -2, 'sale', $3)`,
		p.ID, shop.OutletID, lineID); err == nil {
		t.Error("the database accepted a second stock movement for one sale line")
	}
	// The ledger cannot be rewritten.
	if _, err := db.Exec(`UPDATE stock_movements SET delta = -1`); err == nil {
		t.Error("the database let a stock movement change")
	}
	var sum int
	mustGet(t, db, &sum, `SELECT sum(delta) FROM stock_movements WHERE product_id = $1`, p.ID)
	if sum != level {
		t.Errorf("level %d differs from the ledger's sum %d", level, sum)
	}
}

func TestStockMayGoNegativeAndListsShowIt(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	ctx := context.Background()
	st := inventory.Store{}
	shop := dbtest.NewShop(t, db, "Gent", "Till")
	p, err := st.CreateProduct(ctx, db, inventory.Product{SKU: "PEN", Name: "Pen", Price: decimal.NewFromInt(3), TracksStock: true, Published: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateProduct(ctx, db, inventory.Product{SKU: "SHIP", Name: "Shipping", Price: decimal.Zero, TracksStock: false}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ApplyMovements(ctx, db, []inventory.Movement{
		{ProductID: p.ID, OutletID: shop.OutletID, Delta: 1, Reason: inventory.ReasonReceive},
		{ProductID: p.ID, OutletID: shop.OutletID, Delta: -4, Reason: inventory.ReasonAdjustment},
	}); err != nil {
		t.Fatal(err)
	}
	rows, err := st.StockLevels(ctx, db, shop.OutletID)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].SKU != "PEN" || rows[0].OnHand != -3 || !rows[0].Published || !rows[0].TracksStock {
		t.Fatalf("stock list = %+v, want only PEN at -3", rows)
	}
}

func TestProductExternalIDAndPublish(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	ctx := context.Background()
	st := inventory.Store{}
	p, err := st.CreateProduct(ctx, db, inventory.Product{SKU: "TEE-M", Name: "Tee", VariantTitle: "M", Price: decimal.RequireFromString("19.95"), TracksStock: true})
	if err != nil {
		t.Fatal(err)
	}
	if p.Published {
		t.Fatal("created published without asking")
	}
	x := inventory.ExternalID{Channel: "shopify", Shop: "demo.myshopify.com", ProductID: 111, VariantID: 222}
	if err := st.LinkExternalID(ctx, db, p.ID, x); err != nil {
		t.Fatal(err)
	}
	if err := st.LinkExternalID(ctx, db, p.ID, x); err != nil {
		t.Fatalf("linking twice: %v", err)
	}
	got, err := st.ProductByExternalID(ctx, db, "shopify", "demo.myshopify.com", 222)
	if err != nil || got.ID != p.ID {
		t.Fatalf("by external id: %+v, %v", got, err)
	}
	if _, err := st.ProductByExternalID(ctx, db, "shopify", "other.myshopify.com", 222); !errors.Is(err, inventory.ErrNotFound) {
		t.Fatalf("another shop's variant: %v, want ErrNotFound", err)
	}
	if err := st.Publish(ctx, db, p.ID); err != nil {
		t.Fatal(err)
	}
	got, err = st.ProductBySKU(ctx, db, "TEE-M")
	if err != nil || !got.Published {
		t.Fatalf("after publish: %+v, %v", got, err)
	}
	if err := st.Publish(ctx, db, 999999); !errors.Is(err, inventory.ErrNotFound) {
		t.Fatalf("publish unknown product: %v", err)
	}
}

func mustGet(t *testing.T, db interface {
	Get(dest any, query string, args ...any) error
}, dest any, q string, args ...any) {
	t.Helper()
	if err := db.Get(dest, q, args...); err != nil {
		t.Fatal(err)
	}
}
