package sales_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/kassa-pos/kassa/internal/dbtest"
	"github.com/kassa-pos/kassa/sales"
)

// TestCreateSalesMatchesCreateSale records a batch and checks each sale reads back like
// one recorded alone: lines, taxes, payments and balance.
func TestCreateSalesMatchesCreateSale(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := dbtest.New(t)
	shop := dbtest.NewShop(t, db, "Gent", "Till")
	cash := cashType(t, db)
	at := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	var batch []sales.NewSale
	for i, receipt := range []string{"#1", "#2", "#3"} {
		ns := newSale(shop, receipt, at)
		ns.External = &sales.External{Channel: "shopify", Shop: "demo.myshopify.com", ID: int64(100 + i)}
		if i > 0 {
			ns.Payments = []sales.Payment{{PaymentTypeID: cash.ID, Amount: d("10.00"), PaidAt: at, RegisterID: shop.RegisterID}}
		}
		if i == 2 {
			ns.Payments = append(ns.Payments, sales.Payment{PaymentTypeID: cash.ID, Amount: d("20.00"), PaidAt: at, RegisterID: shop.RegisterID})
		}
		batch = append(batch, ns)
	}
	created, err := sales.Store{}.CreateSales(ctx, db, batch)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []struct{ balance, status string }{{"30", sales.StatusAwaitingPayment}, {"20", sales.StatusAwaitingPayment}, {"0", sales.StatusPaid}} {
		s, err := sales.Store{}.SaleByID(ctx, db, created[i].SaleID)
		if err != nil {
			t.Fatal(err)
		}
		if s.ReceiptNumber != batch[i].Sale.ReceiptNumber || s.Balance.String() != want.balance || s.Status != want.status {
			t.Errorf("sale %d: %s balance %s %s, want %s %s", i, s.ReceiptNumber, s.Balance, s.Status, want.balance, want.status)
		}
		if len(s.Lines) != 2 || len(created[i].LineIDs) != 2 || s.Lines[0].ID != created[i].LineIDs[0] || s.Lines[1].Discount.String() != "2" ||
			len(s.Lines[0].Taxes) != 1 || s.Lines[0].Taxes[0].Amount.String() != "3.47" {
			t.Errorf("sale %d lines %+v", i, s.Lines)
		}
		id, err := sales.Store{}.SaleIDByExternal(ctx, db, *batch[i].External)
		if err != nil || id != created[i].SaleID {
			t.Errorf("external id of sale %d: %d %v", i, id, err)
		}
	}
}

// TestCreateSalesIsAllOrNothing checks that a batch with one bad sale writes nothing.
func TestCreateSalesIsAllOrNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := dbtest.New(t)
	shop := dbtest.NewShop(t, db, "Gent", "Till")
	cash := cashType(t, db)
	at := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	if _, _, err := (sales.Store{}).CreateSale(ctx, db, newSale(shop, "#9", at)); err != nil {
		t.Fatal(err)
	}
	over := newSale(shop, "#2", at)
	over.Payments = []sales.Payment{{PaymentTypeID: cash.ID, Amount: d("31.00"), PaidAt: at, RegisterID: shop.RegisterID}}
	bad := newSale(shop, "#3", at)
	bad.Lines[0].Total = d("19.00")
	for _, tc := range []struct {
		name  string
		batch []sales.NewSale
		want  error
	}{
		{"receipt twice in the batch", []sales.NewSale{newSale(shop, "#1", at), newSale(shop, "#1", at)}, sales.ErrDuplicateReceipt},
		{"receipt already recorded", []sales.NewSale{newSale(shop, "#1", at), newSale(shop, "#9", at)}, sales.ErrDuplicateReceipt},
		{"over-payment", []sales.NewSale{newSale(shop, "#1", at), over}, sales.ErrOverpayment},
		{"line that does not add up", []sales.NewSale{newSale(shop, "#1", at), bad}, nil},
	} {
		before := dbtest.Counts(t, db)
		_, err := sales.Store{}.CreateSales(ctx, db, tc.batch)
		if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
		dbtest.Unchanged(t, db, before)
	}
}
