package register_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/kassa-pos/kassa/internal/dbtest"
	"github.com/kassa-pos/kassa/inventory"
	"github.com/kassa-pos/kassa/register"
	"github.com/kassa-pos/kassa/sales"
	"github.com/kassa-pos/kassa/staff"
)

// counterShop is a shop whose till is open (float 100.00) at 09:00 on 25 November, with a
// third product (chocolate at 12 %) and the cup and book given barcodes and rates: the
// lines of the hand-computed receipts of sales/pricing_test.go.
func counterShop(t *testing.T, pricesIncludeTax bool) (*shop, inventory.Product) {
	t.Helper()
	ctx := context.Background()
	s := newShop(t, dbtest.New(t), "Europe/Brussels", time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC))
	inv := inventory.Store{}
	incl, rate := pricesIncludeTax, dec("0.21")
	var err error
	if s.outlet, err = inv.SetOutletPricing(ctx, s.db, s.outlet.ID, &incl, &rate); err != nil {
		t.Fatal(err)
	}
	barcode, price := "5400000000011", dec("19.99")
	six := dec("0.06")
	if s.cup, err = inv.UpdateProduct(ctx, s.db, s.cup.ID, inventory.ProductChange{Barcode: &barcode}); err != nil {
		t.Fatal(err)
	}
	if s.book, err = inv.UpdateProduct(ctx, s.db, s.book.ID, inventory.ProductChange{Price: &price, TaxRate: &six}); err != nil {
		t.Fatal(err)
	}
	twelve := dec("0.12")
	choc, err := inv.CreateProduct(ctx, s.db, inventory.Product{SKU: "CHOC", Name: "Chocolate", Price: dec("3.49"), TaxRate: &twelve,
		Barcode: "5400000000028", TracksStock: true, Published: true})
	if err != nil {
		t.Fatal(err)
	}
	s.open(s.till, s.at(25, 9, 0), "100.00")
	s.clock.Set(s.at(25, 10, 0))
	return s, choc
}

func (s *shop) sell(req register.SellRequest) register.CounterSale {
	s.t.Helper()
	if req.RegisterID == 0 {
		req.RegisterID = s.till.ID
	}
	if req.By == "" {
		req.By = "anna"
	}
	out, err := s.svc.Sell(context.Background(), s.db, req)
	if err != nil {
		s.t.Fatalf("sell: %v", err)
	}
	return out
}

func (s *shop) stock(p inventory.Product) int {
	s.t.Helper()
	n, err := inventory.Store{}.StockLevel(context.Background(), s.db, p.ID, s.outlet.ID)
	if err != nil {
		s.t.Fatal(err)
	}
	return n
}

// receiptSale is the sale of the hand-computed receipts, paid with the tenders given.
func receiptSale(pays ...register.Tender) register.SellRequest {
	return register.SellRequest{
		Lines: []register.SellLine{
			{Code: "5400000000011", Quantity: 3, Discount: "10%"}, // the cup, by barcode
			{Code: "book", Quantity: 1},                           // by SKU, any case
			{Code: "CHOC", Quantity: 2},
		},
		Discount: "5.00",
		Payments: pays,
	}
}

func TestSellMatchesHandComputedReceipts(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		included   bool
		taxes      []string
		tax, total string
		pays       []register.Tender
		change     string
		kept       map[string]string
	}{
		// Split tenders with change: 30.00 by card, 50.00 cash handed over for 55.72:
		// 24.28 back, 25.72 of the cash kept.
		{"tax-inclusive", true, []string{"5.37", "1.04", "0.69"}, "7.10", "55.72",
			[]register.Tender{{Type: "Card", Amount: "30.00"}, {Type: "cash", Amount: "50.00"}}, "24.28",
			map[string]string{"Card": "30.00", "Cash": "25.72"}},
		// 64.09: card for the rest after 10.00 cash, no change.
		{"tax-exclusive", false, []string{"6.50", "1.10", "0.77"}, "8.37", "64.09",
			[]register.Tender{{Type: "Cash", Amount: "10.00"}, {Type: "Card"}}, "0.00",
			map[string]string{"Cash": "10.00", "Card": "54.09"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, choc := counterShop(t, tc.included)
			out := s.sell(receiptSale(tc.pays...))
			sale := out.Sale
			if sale.ReceiptNumber != "TILL-000001" || sale.Source != sales.SourcePOS || sale.Status != sales.StatusPaid {
				t.Errorf("receipt %s source %s status %s", sale.ReceiptNumber, sale.Source, sale.Status)
			}
			if sale.TaxTotal.StringFixed(2) != tc.tax || sale.Total.StringFixed(2) != tc.total || sale.DiscountTotal.StringFixed(2) != "8.75" {
				t.Errorf("tax %s total %s discounts %s, want %s %s 8.75", sale.TaxTotal.StringFixed(2), sale.Total.StringFixed(2), sale.DiscountTotal.StringFixed(2), tc.tax, tc.total)
			}
			for i, l := range sale.Lines {
				if l.Tax.StringFixed(2) != tc.taxes[i] {
					t.Errorf("line %d tax %s, want %s", i+1, l.Tax.StringFixed(2), tc.taxes[i])
				}
			}
			if out.Change.StringFixed(2) != tc.change || sale.ChangeGiven.StringFixed(2) != tc.change {
				t.Errorf("change %s (stored %s), want %s", out.Change.StringFixed(2), sale.ChangeGiven.StringFixed(2), tc.change)
			}
			got := map[string]string{}
			for _, p := range sale.Payments {
				got[p.TypeName] = p.Amount.StringFixed(2)
				if p.SessionID == nil || p.RecordedBy != "anna" {
					t.Errorf("payment %+v", p)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.kept) {
				t.Errorf("payments %v, want %v", got, tc.kept)
			}
			if s.stock(s.cup) != -3 || s.stock(s.book) != -1 || s.stock(choc) != -2 {
				t.Errorf("stock cup %d book %d choc %d, want -3 -1 -2", s.stock(s.cup), s.stock(s.book), s.stock(choc))
			}
		})
	}
}

func TestSellPayLaterLeavesABalanceAndCustomer(t *testing.T) {
	t.Parallel()
	s, _ := counterShop(t, true)
	ctx := context.Background()
	req := register.SellRequest{RegisterID: s.till.ID, By: "anna", Lines: []register.SellLine{{Code: "CUP", Quantity: 2}},
		Payments: []register.Tender{{Type: "Cash", Amount: "5.00"}}}
	_, err := s.svc.Sell(ctx, s.db, req)
	if !errors.Is(err, register.ErrUnderpaid) {
		t.Fatalf("underpaid without pay later: %v", err)
	}
	req.PayLater, req.CustomerEmail, req.CustomerName = true, "Jo@Example.com", "Jo Peeters"
	out := s.sell(req)
	if out.Sale.Balance.StringFixed(2) != "20.00" || out.Sale.Status != sales.StatusAwaitingPayment || out.Sale.CustomerEmail != "Jo@Example.com" {
		t.Errorf("balance %s status %s customer %q", out.Sale.Balance, out.Sale.Status, out.Sale.CustomerEmail)
	}
	// Card cannot give change.
	req.PayLater = false
	req.Payments = []register.Tender{{Type: "Card", Amount: "30.00"}}
	if _, err := s.svc.Sell(ctx, s.db, req); !errors.Is(err, register.ErrOverpaidNoCash) {
		t.Errorf("card over the total: %v", err)
	}
}

// A sale is refused with nothing written, and no receipt number used, when the session is
// closed or a code is unknown.
func TestSellRefusedWritesNothing(t *testing.T) {
	t.Parallel()
	s, _ := counterShop(t, true)
	ctx := context.Background()
	good := register.SellRequest{RegisterID: s.till.ID, By: "anna", Lines: []register.SellLine{{Code: "CUP", Quantity: 1}},
		Payments: []register.Tender{{Type: "Cash", Amount: "20"}}}
	cases := []struct {
		name    string
		mutate  func(*register.SellRequest)
		rule    error
		message string
	}{
		{"unknown product", func(r *register.SellRequest) {
			r.Lines = append(r.Lines, register.SellLine{Code: "NOPE-1", Quantity: 1})
		},
			register.ErrUnknownProduct, `no product has the barcode or SKU "NOPE-1": check the code (kassa product list shows them)`},
		{"zero quantity", func(r *register.SellRequest) { r.Lines[0].Quantity = 0 }, register.ErrBadQuantity, "CUP: the quantity must be 1 or more, not 0"},
		{"unknown type", func(r *register.SellRequest) { r.Payments[0].Type = "Cheque" }, register.ErrUnknownPaymentType,
			`unknown payment type "Cheque": use one of Cash, Card, Bank deposit, Shopify`},
		{"unpublished", func(r *register.SellRequest) { r.Lines[0].Code = "SHOPIFY-SHIPPING" }, register.ErrNotForSale,
			"Shopify shipping (SHOPIFY-SHIPPING) is not published for sale: publish it first"},
	}
	for _, tc := range cases {
		before := dbtest.Counts(t, s.db)
		req := good
		req.Lines = append([]register.SellLine{}, good.Lines...)
		req.Payments = append([]register.Tender{}, good.Payments...)
		tc.mutate(&req)
		_, err := s.svc.Sell(ctx, s.db, req)
		if !errors.Is(err, tc.rule) || err.Error() != tc.message {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.message)
		}
		dbtest.Unchanged(t, s.db, before)
	}
	if _, err := (register.Service{Clock: s.clock.Now}).Close(ctx, s.db, s.till.ID, nil, "anna"); err != nil {
		t.Fatal(err)
	}
	before := dbtest.Counts(t, s.db)
	_, err := s.svc.Sell(ctx, s.db, good)
	if !errors.Is(err, register.ErrNoOpenSession) || err.Error() != `register "Till" has no open session: open it first` {
		t.Errorf("closed session: %v", err)
	}
	dbtest.Unchanged(t, s.db, before)
	// The refusals used no number: the next sale is the first.
	s.open(s.till, s.at(25, 11, 0), "0")
	if out := s.sell(good); out.Sale.ReceiptNumber != "TILL-000001" {
		t.Errorf("first sale after refusals is %s, want TILL-000001", out.Sale.ReceiptNumber)
	}
}

// Twenty sales rung up at once on one register get the numbers 1 to 20, each once.
func TestReceiptNumbersGaplessUnderConcurrentSales(t *testing.T) {
	t.Parallel()
	s, _ := counterShop(t, true)
	ctx := context.Background()
	const n = 20
	var wg sync.WaitGroup
	got := make([]string, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := register.SellRequest{RegisterID: s.till.ID, By: "anna", Lines: []register.SellLine{{Code: "CUP", Quantity: 1}},
				Payments: []register.Tender{{Type: "Cash", Amount: "12.50"}}}
			if i%5 == 4 { // some of them refused: they must use no number
				req.Lines = append(req.Lines, register.SellLine{Code: "NOPE", Quantity: 1})
			}
			out, err := s.svc.Sell(ctx, s.db, req)
			got[i], errs[i] = out.Sale.ReceiptNumber, err
		}()
	}
	wg.Wait()
	var receipts []string
	for i := range n {
		if i%5 == 4 {
			if !errors.Is(errs[i], register.ErrUnknownProduct) {
				t.Errorf("sale %d: %v", i, errs[i])
			}
			continue
		}
		if errs[i] != nil {
			t.Fatalf("sale %d: %v", i, errs[i])
		}
		receipts = append(receipts, got[i])
	}
	sort.Strings(receipts)
	for i, r := range receipts {
		if want := fmt.Sprintf("TILL-%06d", i+1); r != want {
			t.Errorf("receipt %d is %s, want %s (all: %v)", i, r, want, receipts)
			break
		}
	}
	if s.stock(s.cup) != -len(receipts) {
		t.Errorf("stock %d, want %d", s.stock(s.cup), -len(receipts))
	}
	// The database itself refuses a receipt number out of the series.
	_, err := s.db.Exec(`INSERT INTO sales (outlet_id, register_id, receipt_number, source, sold_at, currency, subtotal, total, balance, receipt_seq)
		VALUES ($1, $2, 'TILL-000099', 'pos', now(), 'EUR', 0, 0, 0, 99)`, s.outlet.ID, s.till.ID)
	if err == nil {
		t.Error("a receipt number out of the series was stored")
	}
}

func TestReturnsAreCappedAndNumbered(t *testing.T) {
	t.Parallel()
	s, _ := counterShop(t, true)
	ctx := context.Background()
	sale := s.sell(register.SellRequest{Lines: []register.SellLine{{Code: "CUP", Quantity: 3}, {Code: "BOOK", Quantity: 1}},
		Payments: []register.Tender{{Type: "Cash", Amount: "100"}}}).Sale
	if sale.Total.StringFixed(2) != "57.49" || sale.ChangeGiven.StringFixed(2) != "42.51" {
		t.Fatalf("sale total %s change %s", sale.Total, sale.ChangeGiven)
	}
	ret := func(code string, qty int, restock bool, refunds ...register.Tender) (sales.Return, error) {
		return s.svc.Return(ctx, s.db, register.ReturnRequest{RegisterID: s.till.ID, Receipt: sale.ReceiptNumber, By: "bert",
			Lines: []register.ReturnLineRequest{{Code: code, Quantity: qty, Restock: restock}}, Refunds: refunds})
	}
	r1, err := ret("5400000000011", 2, true, register.Tender{Type: "Cash"})
	if err != nil {
		t.Fatal(err)
	}
	// 2 of 3 cups at 37.50 with 6.51 tax: 25.00 and 4.34 back (2/3 of each, to the cent).
	if r1.ReceiptNumber != "TILL-000001-R1" || r1.Total.StringFixed(2) != "-25.00" || r1.TaxTotal.StringFixed(2) != "-4.34" ||
		len(r1.Refunds) != 1 || r1.Refunds[0].Amount.StringFixed(2) != "-25.00" || r1.Refunds[0].TypeName != "Cash" {
		t.Errorf("R1: %s total %s tax %s refunds %+v", r1.ReceiptNumber, r1.Total, r1.TaxTotal, r1.Refunds)
	}
	if r1.Lines[0].Quantity != -2 || !r1.Lines[0].Restock || s.stock(s.cup) != -1 {
		t.Errorf("R1 line %+v, cup stock %d (want -1)", r1.Lines[0], s.stock(s.cup))
	}
	before := dbtest.Counts(t, s.db)
	if _, err := ret("CUP", 2, false, register.Tender{Type: "Cash"}); !errors.Is(err, register.ErrReturnTooMany) ||
		err.Error() != "TILL-000001 sold 3 of CUP and 1 can still be returned: return at most 1" {
		t.Errorf("returning more than left: %v", err)
	}
	if _, err := ret("CHOC", 1, false, register.Tender{Type: "Cash"}); !errors.Is(err, register.ErrNotOnSale) {
		t.Errorf("a product not on the sale: %v", err)
	}
	if _, err := ret("CUP", 1, false, register.Tender{Type: "Cash", Amount: "1.00"}); !errors.Is(err, register.ErrRefundMismatch) {
		t.Errorf("refund that does not add up: %v", err)
	}
	dbtest.Unchanged(t, s.db, before)
	// The last cup gives back exactly what is left of the line: 37.50 − 25.00, 6.51 − 4.34.
	r2, err := ret("cup", 1, false, register.Tender{Type: "Card"})
	if err != nil {
		t.Fatal(err)
	}
	if r2.ReceiptNumber != "TILL-000001-R2" || r2.Total.StringFixed(2) != "-12.50" || r2.TaxTotal.StringFixed(2) != "-2.17" || s.stock(s.cup) != -1 {
		t.Errorf("R2: %s total %s tax %s, cup stock %d (not restocked: -1)", r2.ReceiptNumber, r2.Total, r2.TaxTotal, s.stock(s.cup))
	}
	// The database holds the cap itself, whatever the caller computed.
	var lineID int64
	if err := s.db.Get(&lineID, `SELECT id FROM sale_lines WHERE sale_id = $1 AND sku = 'CUP'`, sale.ID); err != nil {
		t.Fatal(err)
	}
	_, err = sales.Store{}.CreateReturn(ctx, s.db, sales.NewReturn{
		Return: sales.Return{SaleID: sale.ID, OutletID: s.outlet.ID, RegisterID: s.till.ID, ReturnedAt: s.clock.Now(), RecordedBy: "x"},
		Lines:  []sales.ReturnLine{{SaleLineID: &lineID, Quantity: -1, Amount: dec("-1"), Tax: dec("0")}},
	})
	if !errors.Is(err, sales.ErrReturnMoreThanSold) {
		t.Errorf("a fourth cup returned through the store: %v", err)
	}
}

// A Shopify refund records a return document too: no session, its refund id once.
func TestChannelRefundIsAReturnOnce(t *testing.T) {
	t.Parallel()
	s, _ := counterShop(t, true)
	ctx := context.Background()
	saleID := s.sale("#1001", sales.SourceShopify, s.at(24, 20, 0), nil, []line{
		{product: s.cup, qty: 2, price: "12.50", rate: "0.21", tax: "4.34"},
		{product: s.shipping, qty: 1, price: "4.95", rate: "0.21", tax: "0.86", shipping: true},
	}, payment{typ: "Shopify", amount: "29.95", source: sales.SourceShopify})
	lines, err := sales.Store{}.ReturnableLines(ctx, s.db, saleID)
	if err != nil {
		t.Fatal(err)
	}
	amount, tax := lines[0].Give(1)
	ship, shipTax := lines[1].Give(1)
	nr := sales.NewReturn{
		Return: sales.Return{SaleID: saleID, Source: sales.SourceShopify, OutletID: s.outlet.ID, RegisterID: s.till.ID,
			ReturnedAt: s.at(25, 8, 0), RecordedBy: "shopify", External: &sales.External{Channel: "shopify", Shop: "demo.myshopify.com", ID: 777}},
		Lines: []sales.ReturnLine{
			{SaleLineID: &lines[0].ID, Kind: sales.KindProduct, Title: "Espresso cup", Quantity: -1, Amount: amount.Neg(), Tax: tax.Neg(), Restock: true},
			{SaleLineID: &lines[1].ID, Kind: sales.KindShipping, Title: "Shipping", Quantity: 0, Amount: ship.Neg(), Tax: shipTax.Neg()},
		},
		Refunds: []sales.Refund{{PaymentTypeID: s.types["Shopify"], Amount: amount.Add(ship).Neg(), RecordedBy: "shopify"}},
	}
	r, err := sales.Store{}.CreateReturn(ctx, s.db, nr)
	if err != nil {
		t.Fatal(err)
	}
	if r.ReceiptNumber != "#1001-R1" || r.Shipping.StringFixed(2) != "-4.95" || r.Subtotal.StringFixed(2) != "-12.50" || r.Total.StringFixed(2) != "-17.45" || r.SessionID != nil {
		t.Errorf("return %s shipping %s subtotal %s total %s session %v", r.ReceiptNumber, r.Shipping, r.Subtotal, r.Total, r.SessionID)
	}
	if _, err := (sales.Store{}).CreateReturn(ctx, s.db, nr); !errors.Is(err, sales.ErrReturnAlreadyRecorded) {
		t.Errorf("the same refund again: %v", err)
	}
	if got, err := (sales.Store{}).ReturnByExternal(ctx, s.db, *nr.Return.External); err != nil || got.ID != r.ID {
		t.Errorf("by external id: %v %v", got.ID, err)
	}
	// A counter return of the Shopify order, refunded in cash.
	r2, err := s.svc.Return(ctx, s.db, register.ReturnRequest{RegisterID: s.till.ID, Receipt: "1001", By: "bert",
		Lines: []register.ReturnLineRequest{{Code: "CUP", Quantity: 1}}, Refunds: []register.Tender{{Type: "Cash"}}})
	if err != nil || r2.ReceiptNumber != "#1001-R2" || r2.Total.StringFixed(2) != "-12.50" {
		t.Errorf("counter return of a Shopify order: %+v %v", r2.ReceiptNumber, err)
	}
}

func TestVoidSale(t *testing.T) {
	t.Parallel()
	s, _ := counterShop(t, true)
	ctx := context.Background()
	var ids [2]int64
	for i, name := range []string{"anna-till", "bert-till"} {
		tok, err := staff.Store{}.Create(ctx, s.db, name, "cashier", []byte(fmt.Sprintf("%032d", i)), s.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = tok.ID
	}
	anna, bert := ids[0], ids[1]
	sale := s.sell(register.SellRequest{TokenID: &anna, Lines: []register.SellLine{{Code: "CUP", Quantity: 2}},
		Payments: []register.Tender{{Type: "Cash", Amount: "50"}}}).Sale
	req := register.SaleVoidRequest{Receipt: sale.ReceiptNumber, Reason: "rung up twice", By: "bert", TokenID: &bert}
	before := dbtest.Counts(t, s.db)
	if _, err := s.svc.VoidSale(ctx, s.db, req); !errors.Is(err, register.ErrNotOwnSale) {
		t.Errorf("another cashier's sale: %v", err)
	}
	req.Reason = ""
	req.Manager = true
	if _, err := s.svc.VoidSale(ctx, s.db, req); !errors.Is(err, register.ErrVoidReason) {
		t.Errorf("no reason: %v", err)
	}
	dbtest.Unchanged(t, s.db, before)
	req.Reason = "rung up twice"
	voided, err := s.svc.VoidSale(ctx, s.db, req) // a manager may
	if err != nil {
		t.Fatal(err)
	}
	if voided.Status != sales.StatusVoided || !voided.Balance.IsZero() || s.stock(s.cup) != 0 {
		t.Errorf("status %s balance %s cup stock %d", voided.Status, voided.Balance, s.stock(s.cup))
	}
	for _, p := range voided.Payments {
		if p.Void == nil {
			t.Errorf("payment %d not voided", p.ID)
		}
	}
	if _, err := s.svc.VoidSale(ctx, s.db, req); !errors.Is(err, register.ErrSaleAlreadyVoided) {
		t.Errorf("twice: %v", err)
	}
	if _, err := s.svc.Return(ctx, s.db, register.ReturnRequest{RegisterID: s.till.ID, Receipt: sale.ReceiptNumber, By: "bert",
		Lines: []register.ReturnLineRequest{{Code: "CUP", Quantity: 1}}, Refunds: []register.Tender{{Type: "Cash"}}}); !errors.Is(err, register.ErrSaleVoided) {
		t.Errorf("return of a voided sale: %v", err)
	}
	// A cashier voids their own sale; a sale with a return cannot be voided; a closed
	// session's sale cannot be voided.
	own := s.sell(register.SellRequest{TokenID: &anna, Lines: []register.SellLine{{Code: "CUP", Quantity: 1}}, Payments: []register.Tender{{Type: "Card"}}}).Sale
	if _, err := s.svc.VoidSale(ctx, s.db, register.SaleVoidRequest{Receipt: own.ReceiptNumber, Reason: "wrong", By: "anna", TokenID: &anna}); err != nil {
		t.Errorf("own sale: %v", err)
	}
	kept := s.sell(register.SellRequest{Lines: []register.SellLine{{Code: "CUP", Quantity: 2}}, Payments: []register.Tender{{Type: "Card"}}}).Sale
	if _, err := s.svc.Return(ctx, s.db, register.ReturnRequest{RegisterID: s.till.ID, Receipt: kept.ReceiptNumber, By: "bert",
		Lines: []register.ReturnLineRequest{{Code: "CUP", Quantity: 1}}, Refunds: []register.Tender{{Type: "Card"}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.svc.VoidSale(ctx, s.db, register.SaleVoidRequest{Receipt: kept.ReceiptNumber, Reason: "x", By: "bert"}); !errors.Is(err, register.ErrSaleHasReturns) {
		t.Errorf("sale with a return: %v", err)
	}
	late := s.sell(register.SellRequest{Lines: []register.SellLine{{Code: "CUP", Quantity: 1}}, Payments: []register.Tender{{Type: "Card"}}}).Sale
	if _, err := (register.Service{Clock: s.clock.Now}).Close(ctx, s.db, s.till.ID, nil, "anna"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.svc.VoidSale(ctx, s.db, register.SaleVoidRequest{Receipt: late.ReceiptNumber, Reason: "x", By: "bert"}); !errors.Is(err, register.ErrSessionClosed) {
		t.Errorf("closed session: %v", err)
	}
	// The database refuses a payment to a voided sale, and a sale marked voided by hand.
	if _, err := s.db.Exec(`UPDATE sales SET voided = true WHERE id = $1`, late.ID); err == nil {
		t.Error("a sale was marked voided without a void")
	}
}

// Five returns of one cup each, at once, of a sale of three: three go through, numbered
// -R1 to -R3, and two are told nothing is left to return.
func TestConcurrentReturnsNeverReturnMoreThanSold(t *testing.T) {
	t.Parallel()
	s, _ := counterShop(t, true)
	ctx := context.Background()
	sale := s.sell(register.SellRequest{Lines: []register.SellLine{{Code: "CUP", Quantity: 3}}, Payments: []register.Tender{{Type: "Card"}}}).Sale
	var wg sync.WaitGroup
	got := make([]string, 5)
	errs := make([]error, 5)
	for i := range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := s.svc.Return(ctx, s.db, register.ReturnRequest{RegisterID: s.till.ID, Receipt: sale.ReceiptNumber, By: "bert",
				Lines: []register.ReturnLineRequest{{Code: "CUP", Quantity: 1}}, Refunds: []register.Tender{{Type: "Card"}}})
			got[i], errs[i] = r.ReceiptNumber, err
		}()
	}
	wg.Wait()
	var ok []string
	for i := range 5 {
		switch {
		case errs[i] == nil:
			ok = append(ok, got[i])
		case !errors.Is(errs[i], register.ErrReturnTooMany):
			t.Errorf("return %d: %v", i, errs[i])
		}
	}
	sort.Strings(ok)
	if fmt.Sprint(ok) != "[TILL-000001-R1 TILL-000001-R2 TILL-000001-R3]" {
		t.Errorf("returns %v, want R1 to R3", ok)
	}
	// And the database refuses a payment to a voided sale.
	v := s.sell(register.SellRequest{Lines: []register.SellLine{{Code: "CUP", Quantity: 1}}, PayLater: true}).Sale
	if _, err := s.svc.VoidSale(ctx, s.db, register.SaleVoidRequest{Receipt: v.ReceiptNumber, Reason: "test", By: "anna"}); err != nil {
		t.Fatal(err)
	}
	sessionID := *v.SessionID
	_, err := sales.Store{}.AddPayment(ctx, s.db, sales.Payment{SaleID: v.ID, PaymentTypeID: s.types["Cash"], Amount: dec("1.00"),
		PaidAt: s.clock.Now(), RegisterID: s.till.ID, SessionID: &sessionID, RecordedBy: "anna"})
	if !errors.Is(err, sales.ErrSaleVoided) {
		t.Errorf("a payment to a voided sale: %v", err)
	}
}

// An adjustment (an edit in Shopify after the import) may add goods: units to a sale line,
// or a product the sale does not have, and raise what the buyer owes beyond the sale's
// total; no other document adds, and goods added are given back no more than added.
func TestAdjustmentAddsGoods(t *testing.T) {
	t.Parallel()
	s, choc := counterShop(t, true)
	ctx := context.Background()
	saleID := s.sale("#1002", sales.SourceShopify, s.at(24, 20, 0), nil, []line{
		{product: s.cup, qty: 1, price: "12.50", rate: "0.21", tax: "2.17"},
	})
	lines, err := sales.Store{}.ReturnableLines(ctx, s.db, saleID)
	if err != nil {
		t.Fatal(err)
	}
	doc := func(kind string, owed string, ls ...sales.ReturnLine) (sales.Return, error) {
		return sales.Store{}.CreateReturn(ctx, s.db, sales.NewReturn{
			Return: sales.Return{SaleID: saleID, Kind: kind, Source: sales.SourceShopify, OutletID: s.outlet.ID, RegisterID: s.till.ID,
				ReturnedAt: s.at(25, 8, 0), RecordedBy: "shopify", Owed: dec(owed)},
			Lines: ls,
		})
	}
	cupLine := lines[0].ID
	before := dbtest.Counts(t, s.db)
	if _, err := doc(sales.ReturnKindReturn, "0", sales.ReturnLine{SaleLineID: &cupLine, Kind: sales.KindProduct, Title: "Cup", Quantity: 1,
		Amount: dec("12.50"), Tax: dec("2.17")}); !errors.Is(err, sales.ErrReturnAdds) {
		t.Errorf("a return adding a cup: %v", err)
	}
	dbtest.Unchanged(t, s.db, before)
	r, err := doc(sales.ReturnKindAdjustment, "16.00",
		sales.ReturnLine{SaleLineID: &cupLine, Kind: sales.KindProduct, Title: "Cup", Quantity: 1, Amount: dec("12.50"), Tax: dec("2.17"), Restock: true},
		sales.ReturnLine{ProductID: &choc.ID, SKU: "CHOC", Kind: sales.KindProduct, Title: "Chocolate", Quantity: 1, Amount: dec("3.50"), Tax: dec("0.38"), Restock: true})
	if err != nil {
		t.Fatal(err)
	}
	if r.Total.StringFixed(2) != "16.00" || r.Lines[1].SKU != "CHOC" || r.Lines[1].ProductID == nil || *r.Lines[1].ProductID != choc.ID {
		t.Errorf("adjustment total %s, lines %+v", r.Total, r.Lines)
	}
	var balance, total string
	if err := s.db.QueryRow(`SELECT balance, total FROM sales WHERE id = $1`, saleID).Scan(&balance, &total); err != nil {
		t.Fatal(err)
	}
	if balance != "28.50" || total != "12.50" {
		t.Errorf("balance %s of a sale of %s, want 28.50: the sale and what the edit added", balance, total)
	}
	added, err := sales.Store{}.AddedLines(ctx, s.db, saleID)
	if err != nil || len(added) != 1 || added[0].SKU != "CHOC" || added[0].Quantity != 1 || added[0].Left() != 1 {
		t.Errorf("added lines %+v (%v)", added, err)
	}
	if _, err := doc(sales.ReturnKindReturn, "0", sales.ReturnLine{ProductID: &choc.ID, Kind: sales.KindProduct, Title: "Chocolate", Quantity: -2,
		Amount: dec("-7.00"), Tax: dec("-0.76")}); !errors.Is(err, sales.ErrReturnMoreThanSold) {
		t.Errorf("two chocolates given back of one added: %v", err)
	}
	if _, err := doc(sales.ReturnKindReturn, "0", sales.ReturnLine{SaleLineID: &cupLine, Kind: sales.KindProduct, Title: "Cup", Quantity: -2,
		Amount: dec("-25.00"), Tax: dec("-4.34")}); err != nil {
		t.Errorf("both cups given back, the one sold and the one added: %v", err)
	}
}
