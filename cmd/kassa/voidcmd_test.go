package main

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/kassa-pos/kassa/daemon/client"
	"github.com/kassa-pos/kassa/internal/dbtest"
	"github.com/kassa-pos/kassa/register"
)

// TestVoidThroughTheCLI applies a payment to the wrong order and voids it: sales show
// lists the payment's number and who took it, the void gives the balance back and shows in
// sales show and the closing report, and a second void, a void without a reason, of a
// payment Shopify collected or after the close are refused with nothing written.
func TestVoidThroughTheCLI(t *testing.T) {
	t.Parallel()
	db, url := dbtest.NewWithURL(t)
	shop := dbtest.NewShop(t, db, "Gent", "Till")
	seedAwaitingOrder(t, db, shop, "#1002", "15.50")
	ok(t, url, "register", "open", "--float", "100.00", "--by", "anna")

	var paid map[string]any
	mustJSON(t, ok(t, url, "payments", "apply", "--receipt", "#1002", "--type", "Cash", "--amount", "5.50", "--by", "anna", "--json"), &paid)
	id := int64(paid["payment_id"].(float64))
	if v, present := paid["token"]; !present || v != nil {
		t.Errorf("payments apply --json: token %v, want null (the command line)", v)
	}
	ids := strconv.FormatInt(id, 10)

	var sale client.Sale
	mustJSON(t, ok(t, url, "sales", "show", "#1002", "--json"), &sale)
	if pays := *sale.Payments; len(pays) != 1 || pays[0].ID != id || pays[0].RecordedBy != "anna" || pays[0].Token != nil ||
		pays[0].Source != "pos" || pays[0].Void != nil {
		t.Fatalf("sales show --json payments = %+v", pays)
	}
	if out := ok(t, url, "sales", "show", "#1002"); !strings.Contains(out, "  payment "+ids+": paid 5.50 by Cash at ") ||
		!strings.Contains(out, "on Till, by anna (command line)\n") {
		t.Errorf("sales show:\n%s", out)
	}

	fails(t, db, url, "payments void needs --reason", "payments", "void", ids)
	fails(t, db, url, `"twelve" is not a payment number`, "payments", "void", "twelve", "--reason", "x")
	fails(t, db, url, "there is no payment 999", "payments", "void", "999", "--reason", "x")
	fails(t, db, url, "takes PAYMENT_ID", "payments", "void", "--reason", "x")

	out := ok(t, url, "payments", "void", ids, "--reason", "meant for #1003", "--by", "bert")
	if !strings.HasPrefix(out, "voided payment "+ids+": 5.50 by Cash to #1002, taken ") || !strings.HasSuffix(out, "on Till; balance 15.50: awaiting payment\n") {
		t.Errorf("payments void: %q", out)
	}
	fails(t, db, url, fmt.Sprintf("payment %d (5.50 Cash of #1002) is already voided", id), "payments", "void", ids, "--reason", "again")

	mustJSON(t, ok(t, url, "sales", "show", "#1002", "--json"), &sale)
	if pays := *sale.Payments; sale.Balance != "15.50" || sale.Paid != "0.00" || pays[0].Void == nil ||
		pays[0].Void.RecordedBy != "bert" || pays[0].Void.Reason != "meant for #1003" || pays[0].Void.Token != nil {
		t.Errorf("sales show --json after the void: balance %s, paid %s, payments %+v", sale.Balance, sale.Paid, *sale.Payments)
	}
	if out := ok(t, url, "sales", "show", "#1002"); !strings.Contains(out, ", by bert (command line): meant for #1003\n") {
		t.Errorf("sales show after the void:\n%s", out)
	}

	// A payment Shopify collected is not the register's to void.
	var shopifyPayment int64
	if err := db.Get(&shopifyPayment, `
		INSERT INTO payments (sale_id, payment_type_id, amount, paid_at, register_id, source)
		SELECT s.id, t.id, 1.00, now(), s.register_id, 'shopify' FROM sales s, payment_types t
		WHERE s.receipt_number = '#1002' AND t.name = 'Shopify' RETURNING id`); err != nil {
		t.Fatal(err)
	}
	fails(t, db, url, "was collected by Shopify, not taken at a register: it is not the register's money",
		"payments", "void", strconv.FormatInt(shopifyPayment, 10), "--reason", "x")

	var rep register.ClosingReport
	mustJSON(t, ok(t, url, "register", "close", "--counted", "Cash=100.00", "--json"), &rep)
	if rep.Payments[0].Expected != "100.00" || len(rep.Voids) != 1 || rep.Voids[0].PaymentID != id || rep.Voids[0].VoidedBy != "bert" {
		t.Errorf("closing report: payments %+v, voids %+v", rep.Payments, rep.Voids)
	}
	text := ok(t, url, "report", "closing", "--last")
	if !strings.Contains(text, "VOIDED PAYMENTS\n#1002 Cash, payment "+ids) || !strings.Contains(text, "  reason: meant for #1003\n") {
		t.Errorf("closing report text:\n%s", text)
	}
	assertPrinterWidth(t, "closing report", text)

	// The close made the session's payments final.
	ok(t, url, "register", "open", "--float", "0")
	mustJSON(t, ok(t, url, "payments", "apply", "--receipt", "#1002", "--type", "Cash", "--amount", "1.00", "--json"), &paid)
	ok(t, url, "register", "close", "--no-counts")
	fails(t, db, url, "which is closed", "payments", "void", strconv.FormatInt(int64(paid["payment_id"].(float64)), 10), "--reason", "too late")
}
