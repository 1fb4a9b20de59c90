package sales_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/kassa-pos/kassa/internal/dbtest"
	"github.com/kassa-pos/kassa/internal/pg"
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

// The database itself holds the rule CreateSales relies on: a new sale owes its total less
// the payments recorded with it (in the same statement), and nothing else.
func TestNewSaleOwesItsTotalLessItsPayments(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	shop := dbtest.NewShop(t, db, "Gent", "Till")
	cash := cashType(t, db)
	insert := func(receipt, balance string, paid ...string) error {
		_, err := db.Exec(`
			WITH s AS (
				INSERT INTO sales (outlet_id, register_id, receipt_number, source, sold_at, currency, subtotal, total, balance)
				VALUES ($1, $2, $3, 'pos', now(), 'EUR', 30, 30, $4) RETURNING id)
			INSERT INTO payments (sale_id, payment_type_id, amount, paid_at, register_id)
			SELECT s.id, $5, a, now(), $2 FROM s, unnest($6::numeric[]) AS a`,
			shop.OutletID, shop.RegisterID, receipt, balance, cash.ID, pq.Array(paid))
		return err
	}
	before := dbtest.Counts(t, db)
	for _, tc := range []struct {
		balance string
		paid    []string
	}{
		{"20.00", nil},            // owes less than its total without a payment
		{"30.00", []string{"10"}}, // its payment not counted
		{"5.00", []string{"10"}},  // owes less than total less payments
		{"15.00", []string{"10", "10"}},
	} {
		err := insert("R-bad", tc.balance, tc.paid...)
		if !pg.IsRaised(err, "sale_balance_payments_only") {
			t.Errorf("balance %s with payments %v: %v, want the sale_balance_payments_only refusal", tc.balance, tc.paid, err)
		}
	}
	dbtest.Unchanged(t, db, before)
	for i, tc := range []struct {
		balance string
		paid    []string
	}{{"30.00", nil}, {"20.00", []string{"10"}}, {"0.00", []string{"10", "20"}}} {
		if err := insert(fmt.Sprintf("R-%d", i), tc.balance, tc.paid...); err != nil {
			t.Errorf("balance %s with payments %v: %v", tc.balance, tc.paid, err)
		}
	}
	var wrong int
	if err := db.Get(&wrong, `SELECT count(*) FROM sales s WHERE balance <> total - coalesce((SELECT sum(amount) FROM payments WHERE sale_id = s.id), 0)`); err != nil {
		t.Fatal(err)
	}
	if wrong != 0 {
		t.Errorf("%d sales owe something else than their total less their payments", wrong)
	}
}

// A sale's register belongs to its outlet: the database refuses a sale that names a
// register of another outlet, whichever way it is recorded.
func TestSaleRegisterBelongsToItsOutlet(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := dbtest.New(t)
	gent := dbtest.NewShop(t, db, "Gent", "Till")
	brugge := dbtest.NewShop(t, db, "Brugge", "Front")
	at := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	mixed := newSale(gent, "#1", at)
	mixed.Sale.RegisterID = brugge.RegisterID
	before := dbtest.Counts(t, db)
	if _, _, err := (sales.Store{}).CreateSale(ctx, db, mixed); err == nil {
		t.Error("CreateSale recorded a sale of Gent on a register of Brugge")
	}
	if _, err := (sales.Store{}).CreateSales(ctx, db, []sales.NewSale{newSale(gent, "#2", at), mixed}); err == nil {
		t.Error("CreateSales recorded a sale of Gent on a register of Brugge")
	}
	dbtest.Unchanged(t, db, before)
	if _, _, err := (sales.Store{}).CreateSale(ctx, db, newSale(brugge, "#1", at)); err != nil {
		t.Errorf("a sale of Brugge on its own register: %v", err)
	}
}
