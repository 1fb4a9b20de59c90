package daemon_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/kassa-pos/kassa/daemon"
	"github.com/kassa-pos/kassa/daemon/client"
	"github.com/kassa-pos/kassa/internal/dbtest"
	"github.com/kassa-pos/kassa/inventory"
)

// TestCounterThroughTheAPI: sell by barcode with change, look a product up, print the
// receipt, return a line with a cash refund, void a sale (own sale yes, another cashier's
// no), move cash, and the refusals with nothing written.
func TestCounterThroughTheAPI(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	ctx := context.Background()
	dbtest.NewShop(t, db, "Gent", "Front")
	rate := decimal.RequireFromString("0.06")
	for _, p := range []inventory.Product{
		{SKU: "CUP", Barcode: "5400000000011", Name: "Espresso cup", Price: decimal.RequireFromString("12.50"), TracksStock: true, Published: true},
		{SKU: "BOOK", Name: "Coffee <b>book</b>\x1b[2J", Price: decimal.RequireFromString("20.00"), TaxRate: &rate, Published: true},
	} {
		if _, err := (inventory.Store{}).CreateProduct(ctx, db, p); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Exec(`UPDATE outlets SET default_tax_rate = 0.21`); err != nil {
		t.Fatal(err)
	}
	clk := &clock{}
	in := start(t, db, listen(t), fastConfig(), daemon.Deps{Clock: clk.Now, Logger: testLogger(t, nil)})
	ann := client.New(in.url, token(t, db, "ann-till", daemon.RoleCashier))
	bob := client.New(in.url, token(t, db, "bob-till", daemon.RoleCashier))
	if _, err := ann.OpenRegister(ctx, "Front", client.OpenRequest{OpeningFloat: "100.00", By: "Ann"}); err != nil {
		t.Fatal(err)
	}

	p, err := ann.Product(ctx, "5400000000011")
	if err != nil || p.SKU != "CUP" || p.Price != "12.50" || p.TaxRate != nil {
		t.Fatalf("product by barcode: %+v %v", p, err)
	}
	found, err := ann.SearchProducts(ctx, "coffee", 5)
	if err != nil || len(found) != 1 || found[0].TaxRate == nil || *found[0].TaxRate != "6" {
		t.Fatalf("search: %+v %v", found, err)
	}

	sale, err := ann.Sell(ctx, "Front", client.SellRequest{
		Lines:    []client.SellLine{{Code: "5400000000011", Quantity: 2}, {Code: "book", Quantity: 1}},
		Payments: []client.Tender{{Type: "Cash", Amount: "50.00"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if sale.ReceiptNumber != "FRONT-000001" || sale.Total != "45.00" || sale.Change != "5.00" || sale.Status != "paid" ||
		sale.Tax != "5.47" || len(*sale.Payments) != 1 || (*sale.Payments)[0].Amount != "45.00" {
		t.Fatalf("sale %+v", sale)
	}
	text, err := ann.ReceiptText(ctx, "FRONT-000001")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"FRONT-000001", "Espresso cup", "2 x 12.50", "TOTAL EUR", "45.00", "incl. VAT 21%", "4.34", "incl. VAT 6%", "1.13", "Change", "5.00"} {
		if !strings.Contains(text, want) {
			t.Errorf("receipt lacks %q:\n%s", want, text)
		}
	}
	for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		if len([]rune(line)) > 48 || strings.ContainsRune(line, 0x1b) {
			t.Errorf("receipt line %q is wider than 48 columns or carries an escape", line)
		}
	}

	before := dbtest.Counts(t, db)
	_, err = ann.Sell(ctx, "Front", client.SellRequest{Lines: []client.SellLine{{Code: "NOPE", Quantity: 1}}, Payments: []client.Tender{{Type: "Cash"}}})
	expectStatus(t, err, http.StatusUnprocessableEntity, `no product has the barcode or SKU "NOPE"`)
	_, err = ann.ReturnSale(ctx, "FRONT-000001", client.ReturnRequest{Register: "Front",
		Lines: []client.ReturnItem{{Code: "CUP", Quantity: 3}}, Refunds: []client.Tender{{Type: "Cash"}}})
	expectStatus(t, err, http.StatusUnprocessableEntity, "FRONT-000001 sold 2 of CUP and 2 can still be returned: return at most 2")
	dbtest.Unchanged(t, db, before)

	ret, err := ann.ReturnSale(ctx, "FRONT-000001", client.ReturnRequest{Register: "Front",
		Lines: []client.ReturnItem{{Code: "CUP", Quantity: 1, Restock: true}}, Refunds: []client.Tender{{Type: "Cash"}}})
	if err != nil {
		t.Fatal(err)
	}
	if ret.ReceiptNumber != "FRONT-000001-R1" || ret.Total != "-12.50" || len(ret.Refunds) != 1 || ret.Refunds[0].Amount != "-12.50" ||
		ret.Token == nil || *ret.Token != "ann-till" || ret.Register != "Front" {
		t.Fatalf("return %+v", ret)
	}
	if text, err := ann.ReceiptText(ctx, "FRONT-000001-R1"); err != nil || !strings.Contains(text, "RETURN") || !strings.Contains(text, "-12.50") {
		t.Fatalf("return receipt %q %v", text, err)
	}
	shown, err := ann.Sale(ctx, "FRONT-000001", "")
	if err != nil || shown.Returns == nil || len(*shown.Returns) != 1 || (*shown.Returns)[0].ReceiptNumber != "FRONT-000001-R1" {
		t.Fatalf("sale with its return: %+v %v", shown.Returns, err)
	}

	second, err := ann.Sell(ctx, "Front", client.SellRequest{Lines: []client.SellLine{{Code: "CUP", Quantity: 1}}, Payments: []client.Tender{{Type: "Card"}}})
	if err != nil || second.ReceiptNumber != "FRONT-000002" {
		t.Fatalf("second sale %s %v", second.ReceiptNumber, err)
	}
	_, err = bob.VoidSale(ctx, "FRONT-000002", client.SaleVoidRequest{Reason: "rung up twice"})
	expectStatus(t, err, http.StatusForbidden, "a cashier voids only their own sales")
	voided, err := ann.VoidSale(ctx, "FRONT-000002", client.SaleVoidRequest{Reason: "rung up twice"})
	if err != nil || voided.Status != "voided" || voided.Void == nil || voided.Void.Token == nil || *voided.Void.Token != "ann-till" {
		t.Fatalf("void %+v %v", voided, err)
	}

	m, err := ann.MoveCash(ctx, "Front", client.CashRequest{Kind: "out", Amount: "20.00", Reason: "bank drop"})
	if err != nil || m.Kind != "out" || m.Amount != "20.00" || m.Register != "Front" {
		t.Fatalf("cash out %+v %v", m, err)
	}
	_, err = ann.MoveCash(ctx, "Front", client.CashRequest{Kind: "in", Amount: "5.00"})
	expectStatus(t, err, http.StatusBadRequest, "a cash movement needs a reason")
}
