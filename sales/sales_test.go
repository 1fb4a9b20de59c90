package sales_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/kassa-pos/kassa/internal/dbtest"
	"github.com/kassa-pos/kassa/internal/pg"
	"github.com/kassa-pos/kassa/register"
	"github.com/kassa-pos/kassa/sales"
)

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// newSale is a two-line in-store sale of 30.00 (21 % VAT included) with no payment.
func newSale(shop dbtest.Shop, receipt string, at time.Time) sales.NewSale {
	return sales.NewSale{
		Sale: sales.Sale{
			OutletID: shop.OutletID, RegisterID: shop.RegisterID, ReceiptNumber: receipt, Source: sales.SourcePOS,
			SoldAt: at, Currency: "EUR", TaxesIncluded: true,
			Subtotal: d("30.00"), TaxTotal: d("5.21"), Total: d("30.00"),
		},
		Lines: []sales.Line{
			{Kind: sales.KindCustom, Title: "Mug", Quantity: 2, UnitPrice: d("10.00"), Tax: d("3.47"), Total: d("20.00"),
				Taxes: []sales.LineTax{{Title: "BTW", Rate: d("0.21"), Amount: d("3.47")}}},
			{Kind: sales.KindCustom, Title: "Card", Quantity: 1, UnitPrice: d("12.00"), Discount: d("2.00"), Tax: d("1.74"), Total: d("10.00"),
				Taxes: []sales.LineTax{{Title: "BTW", Rate: d("0.21"), Amount: d("1.74")}}},
		},
	}
}

func cashType(t *testing.T, db pg.Queryer) sales.PaymentType {
	t.Helper()
	pt, err := sales.Store{}.PaymentTypeByName(context.Background(), db, "cash")
	if err != nil {
		t.Fatal(err)
	}
	return pt
}

func TestCreateSaleAndReadBack(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	ctx := context.Background()
	st := sales.Store{}
	shop := dbtest.NewShop(t, db, "Gent", "Till")
	ns := newSale(shop, "R-1", time.Date(2026, 11, 24, 23, 30, 0, 0, time.UTC))
	ns.Payments = []sales.Payment{{PaymentTypeID: cashType(t, db).ID, Amount: d("30.00"), PaidAt: ns.Sale.SoldAt, RegisterID: shop.RegisterID}}
	id, lines, err := st.CreateSale(ctx, db, ns)
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 2 {
		t.Fatalf("line ids %v", lines)
	}
	s, err := st.SaleByReceipt(ctx, db, 0, "R-1")
	if err != nil {
		t.Fatal(err)
	}
	if s.ID != id || s.Status != sales.StatusPaid || !s.Balance.IsZero() || s.Paid().String() != "30" {
		t.Fatalf("sale = %+v", s)
	}
	// The outlet's name and time zone are inventory's, the register's name the register
	// package's: it fills them in.
	if err := (register.Store{}).NameSale(ctx, db, &s); err != nil {
		t.Fatal(err)
	}
	v := s.View(true)
	if v.Outlet != "Gent" || v.Register != "Till" || (*v.Payments)[0].Register != "Till" {
		t.Errorf("view names outlet %q, register %q, payment register %q", v.Outlet, v.Register, (*v.Payments)[0].Register)
	}
	if v.SoldAt != "2026-11-25T00:30:00+01:00" {
		t.Errorf("sold_at %s, want the outlet's local time", v.SoldAt)
	}
	if v.Total != "30.00" || v.Tax != "5.21" || v.Paid != "30.00" || v.Balance != "0.00" || v.Customer != nil {
		t.Errorf("view %+v", v)
	}
	if len(v.Lines) != 2 || v.Lines[1].Discount != "2.00" || v.Lines[1].Total != "10.00" || len(*v.Payments) != 1 {
		t.Errorf("view lines %+v payments %+v", v.Lines, v.Payments)
	}
	if len(s.Lines[0].Taxes) != 1 || !s.Lines[0].Taxes[0].Rate.Equal(d("0.21")) {
		t.Errorf("line taxes %+v", s.Lines[0].Taxes)
	}
}

func TestCreateSaleIsAllOrNothing(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	ctx := context.Background()
	shop := dbtest.NewShop(t, db, "Gent", "Till")
	before := dbtest.Counts(t, db)
	ns := newSale(shop, "R-1", time.Now())
	ns.External = &sales.External{Channel: "shopify", Shop: "demo.myshopify.com", ID: 42}
	ns.Payments = []sales.Payment{
		{PaymentTypeID: cashType(t, db).ID, Amount: d("10.00"), PaidAt: time.Now(), RegisterID: shop.RegisterID},
		// The last insert fails: there is no payment type 999.
		{PaymentTypeID: 999, Amount: d("5.00"), PaidAt: time.Now(), RegisterID: shop.RegisterID},
	}
	if _, _, err := (sales.Store{}).CreateSale(ctx, db, ns); err == nil {
		t.Fatal("a sale whose last payment cannot be stored was recorded")
	}
	dbtest.Unchanged(t, db, before)
}

func TestPaymentsMustBePositiveAndCannotOverpay(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	ctx := context.Background()
	st := sales.Store{}
	shop := dbtest.NewShop(t, db, "Gent", "Till")
	id, _, err := st.CreateSale(ctx, db, newSale(shop, "R-1", time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	cash := cashType(t, db)
	pay := func(amount string) error {
		_, err := st.AddPayment(ctx, db, sales.Payment{SaleID: id, PaymentTypeID: cash.ID, Amount: d(amount), PaidAt: time.Now(), RegisterID: shop.RegisterID})
		return err
	}
	before := dbtest.Counts(t, db)
	for _, amount := range []string{"0", "0.00", "-5.00"} {
		if err := pay(amount); !errors.Is(err, sales.ErrNonPositivePayment) {
			t.Errorf("payment of %s: %v, want ErrNonPositivePayment", amount, err)
		}
	}
	if err := pay("30.01"); !errors.Is(err, sales.ErrOverpayment) {
		t.Errorf("payment of 30.01 on 30.00: %v, want ErrOverpayment", err)
	}
	dbtest.Unchanged(t, db, before)
	// The database holds the rules without the store's checks.
	if _, err := db.Exec(`INSERT INTO payments (sale_id, payment_type_id, amount, paid_at, register_id) VALUES ($1, $2, 0, now(), $3)`, id, cash.ID, shop.RegisterID); err == nil {
		t.Error("the database accepted a payment of 0")
	}
	if _, err := db.Exec(`UPDATE sales SET balance = 0 WHERE id = $1`, id); err == nil {
		t.Error("the database let a balance change without a payment")
	}

	for _, amount := range []string{"10.00", "19.99"} {
		if err := pay(amount); err != nil {
			t.Fatalf("partial payment %s: %v", amount, err)
		}
	}
	s, err := st.SaleByID(ctx, db, id)
	if err != nil {
		t.Fatal(err)
	}
	if s.Status != sales.StatusAwaitingPayment || s.Balance.String() != "0.01" {
		t.Fatalf("after 29.99 of 30.00: status %s balance %s", s.Status, s.Balance)
	}
	if err := pay("0.01"); err != nil {
		t.Fatal(err)
	}
	if s, _ = st.SaleByID(ctx, db, id); s.Status != sales.StatusPaid || !s.Balance.IsZero() {
		t.Fatalf("after paying in full: status %s balance %s", s.Status, s.Balance)
	}
	if _, err := db.Exec(`DELETE FROM payments WHERE sale_id = $1`, id); err == nil {
		t.Error("the database let payments be removed")
	}
}

func TestConcurrentPaymentsNeverOverpay(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	ctx := context.Background()
	st := sales.Store{}
	shop := dbtest.NewShop(t, db, "Gent", "Till")
	id, _, err := st.CreateSale(ctx, db, newSale(shop, "R-1", time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	cash := cashType(t, db)
	var (
		wg        sync.WaitGroup
		mu        sync.Mutex
		succeeded int
	)
	for range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := st.AddPayment(ctx, db, sales.Payment{SaleID: id, PaymentTypeID: cash.ID, Amount: d("30.00"), PaidAt: time.Now(), RegisterID: shop.RegisterID})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				succeeded++
			case !errors.Is(err, sales.ErrOverpayment):
				t.Errorf("concurrent payment: %v", err)
			}
		}()
	}
	wg.Wait()
	var paid decimal.Decimal
	if err := db.Get(&paid, `SELECT coalesce(sum(amount), 0) FROM payments WHERE sale_id = $1`, id); err != nil {
		t.Fatal(err)
	}
	if succeeded != 1 || !paid.Equal(d("30")) {
		t.Fatalf("%d payments succeeded, %s paid; want exactly one of 30.00", succeeded, paid)
	}
}

func TestAlreadyImportedAndDuplicateReceipt(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	ctx := context.Background()
	st := sales.Store{}
	shop := dbtest.NewShop(t, db, "Gent", "Till")
	ns := newSale(shop, "#1001", time.Now())
	ns.Sale.Source = sales.SourceShopify
	ns.External = &sales.External{Channel: "shopify", Shop: "demo.myshopify.com", ID: 450789469}
	if _, _, err := st.CreateSale(ctx, db, ns); err != nil {
		t.Fatal(err)
	}
	before := dbtest.Counts(t, db)
	ns.Sale.ReceiptNumber = "#1001-b"
	if _, _, err := st.CreateSale(ctx, db, ns); !errors.Is(err, sales.ErrAlreadyImported) {
		t.Errorf("same order again: %v, want ErrAlreadyImported", err)
	}
	ns.External = nil
	ns.Sale.ReceiptNumber = "#1001"
	if _, _, err := st.CreateSale(ctx, db, ns); !errors.Is(err, sales.ErrDuplicateReceipt) {
		t.Errorf("same receipt number: %v, want ErrDuplicateReceipt", err)
	}
	dbtest.Unchanged(t, db, before)
	if id, err := st.SaleIDByExternal(ctx, db, sales.External{Channel: "shopify", Shop: "demo.myshopify.com", ID: 450789469}); err != nil || id == 0 {
		t.Errorf("sale by external id: %d, %v", id, err)
	}
}

func TestCustomersMatchEmailWhateverTheCase(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	ctx := context.Background()
	st := sales.Store{}
	a, err := st.UpsertCustomer(ctx, db, sales.Customer{Email: "Anna.Peeters@Example.be", FirstName: "Anna"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := st.UpsertCustomer(ctx, db, sales.Customer{Email: "anna.peeters@example.be", LastName: "Peeters", City: "Gent"})
	if err != nil {
		t.Fatal(err)
	}
	if a.ID != b.ID || b.Name() != "Anna Peeters" || b.City != "Gent" || b.Email != "Anna.Peeters@Example.be" {
		t.Fatalf("second upsert gave %+v, want the same customer completed", b)
	}
	if c, err := st.CustomerByEmail(ctx, db, "ANNA.PEETERS@EXAMPLE.BE"); err != nil || c.ID != a.ID {
		t.Fatalf("lookup by upper-case e-mail: %+v %v", c, err)
	}
	if _, err := db.Exec(`INSERT INTO customers (email) VALUES ('ANNA.peeters@example.BE')`); err == nil {
		t.Error("the database accepted a second customer with the same e-mail in another case")
	}
	g1, _ := st.UpsertCustomer(ctx, db, sales.Customer{FirstName: "Guest"})
	g2, _ := st.UpsertCustomer(ctx, db, sales.Customer{FirstName: "Guest"})
	if g1.ID == g2.ID {
		t.Error("customers without e-mail were merged")
	}
}

func TestListFiltersSearchAndPaging(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	ctx := context.Background()
	st := sales.Store{}
	shop := dbtest.NewShop(t, db, "Gent", "Till")
	other := dbtest.NewShop(t, db, "Brugge", "Till")
	anna, err := st.UpsertCustomer(ctx, db, sales.Customer{Email: "anna@example.be", FirstName: "Anna", LastName: "Peeters"})
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	cash := cashType(t, db)
	for i := range 6 {
		ns := newSale(shop, fmt.Sprintf("#10%02d", i), base.Add(time.Duration(i)*24*time.Hour))
		if i%2 == 0 {
			ns.Sale.Source = sales.SourceShopify
			ns.Sale.CustomerID = &anna.ID
		} else {
			ns.Payments = []sales.Payment{{PaymentTypeID: cash.ID, Amount: d("30.00"), PaidAt: base, RegisterID: shop.RegisterID}}
		}
		if _, _, err := st.CreateSale(ctx, db, ns); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := st.CreateSale(ctx, db, newSale(other, "#1000", base)); err != nil {
		t.Fatal(err)
	}
	receipts := func(f sales.Filter) []string {
		t.Helper()
		list, err := st.List(ctx, db, f)
		if err != nil {
			t.Fatal(err)
		}
		if err := (register.Store{}).NameSales(ctx, db, list); err != nil {
			t.Fatal(err)
		}
		out := make([]string, 0, len(list))
		for _, s := range list {
			out = append(out, s.OutletName+s.ReceiptNumber)
		}
		return out
	}
	check := func(name string, f sales.Filter, want ...string) {
		t.Helper()
		if got := receipts(f); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: got %v, want %v", name, got, want)
		}
	}
	check("outlet, newest first", sales.Filter{OutletID: shop.OutletID}, "Gent#1005", "Gent#1004", "Gent#1003", "Gent#1002", "Gent#1001", "Gent#1000")
	check("shopify", sales.Filter{OutletID: shop.OutletID, Source: sales.SourceShopify}, "Gent#1004", "Gent#1002", "Gent#1000")
	check("awaiting payment", sales.Filter{AwaitingPayment: true, Source: sales.SourcePOS}, "Brugge#1000")
	check("date range", sales.Filter{OutletID: shop.OutletID, From: base.Add(24 * time.Hour), To: base.Add(3 * 24 * time.Hour)}, "Gent#1002", "Gent#1001")
	check("receipt prefix", sales.Filter{Search: "#1003"}, "Gent#1003")
	check("customer name", sales.Filter{Search: "peeters", Limit: 2}, "Gent#1004", "Gent#1002")
	check("customer e-mail, second page", sales.Filter{Search: "ANNA@", Limit: 2, Offset: 2}, "Gent#1000")
	check("like wildcards are literal", sales.Filter{Search: "%"})
}

// TestSearchByEmail: a search finds the customers whose e-mail holds the term anywhere,
// whatever its case, also when the term has an '@' (the e-mails' index is asked for the
// part up to it, the rest is checked on what it returns), and only those.
func TestSearchByEmail(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	ctx := context.Background()
	st := sales.Store{}
	shop := dbtest.NewShop(t, db, "Gent", "Till")
	base := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	for i, c := range []sales.Customer{
		{Email: "Ann@Example.be", FirstName: "Ann"},
		{Email: "joann@example.com", FirstName: "Jo"},
		{Email: "ann@example.com", FirstName: "Ann", LastName: "Other"},
		{Email: "a_n@shop.example", FirstName: "Underscore"},
		{Email: "bert@ann.be", FirstName: "Bert"},
		{Email: "piet@example.be", FirstName: "Piet", LastName: "mail@home"},
	} {
		cust, err := st.UpsertCustomer(ctx, db, c)
		if err != nil {
			t.Fatal(err)
		}
		ns := newSale(shop, fmt.Sprintf("#%d", 2000+i), base.Add(time.Duration(i)*time.Hour))
		ns.Sale.CustomerID = &cust.ID
		if _, _, err := st.CreateSale(ctx, db, ns); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		term string
		want []string // receipts, newest first
	}{
		{"ANN@EXAMPLE.BE", []string{"#2000"}},
		{"ann@example.com", []string{"#2002", "#2001"}},
		{"ann@exa", []string{"#2002", "#2001", "#2000"}},
		{"oann@example.com", []string{"#2001"}},
		{"ann@example.nl", nil},
		{"@example.be", []string{"#2005", "#2000"}},
		{"n@", []string{"#2003", "#2002", "#2001", "#2000"}},
		{"a_n@", []string{"#2003"}},
		{"a%n@", nil},
		{"@ann.be", []string{"#2004"}},
		{"mail@home", []string{"#2005"}},
		{"example", []string{"#2005", "#2003", "#2002", "#2001", "#2000"}},
	} {
		list, err := st.List(ctx, db, sales.Filter{Search: c.term})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, s := range list {
			got = append(got, s.ReceiptNumber)
		}
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("search %q: got %v, want %v", c.term, got, c.want)
		}
	}
}
