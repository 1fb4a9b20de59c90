package main

import (
	"strings"
	"testing"

	"github.com/kassa-pos/kassa/internal/dbtest"
)

// TestCounterCommands: sell with a line discount, a sale discount, split tenders and change;
// print the receipt; return a line with a refund; void a sale; cash out; and the refusals,
// each one line with nothing written.
func TestCounterCommands(t *testing.T) {
	t.Parallel()
	db, url := dbtest.NewWithURL(t)
	ok(t, url, "outlet", "add", "Gent", "--timezone", "Europe/Brussels", "--currency", "EUR", "--tax-rate", "21")
	ok(t, url, "register", "add", "Front")
	ok(t, url, "product", "add", "Espresso cup", "--sku", "CUP", "--price", "12.50", "--barcode", "5400000000011")
	ok(t, url, "product", "add", "Coffee book", "--sku", "BOOK", "--price", "19.99", "--tax-rate", "6")
	ok(t, url, "product", "add", "Chocolate", "--sku", "CHOC", "--price", "3.49", "--tax-rate", "12")
	fails(t, db, url, `register "Front" has no open session: open it first`, "sales", "sell", "--line", "CUP=1", "--pay", "Cash=20")
	ok(t, url, "register", "open", "--float", "100.00", "--by", "anna")

	// The hand-computed receipt of sales/pricing_test.go (tax included).
	out := ok(t, url, "sales", "sell", "--line", "5400000000011=3:10%", "--line", "book=1", "--line", "CHOC=2",
		"--discount", "5.00", "--pay", "Card=30.00", "--pay", "Cash=50.00", "--by", "anna")
	if want := "sold FRONT-000001 on Front: total 55.72 (tax 7.10), paid Card 30.00, Cash 25.72; change 24.28\n"; out != want {
		t.Fatalf("sell: %q, want %q", out, want)
	}
	var sale map[string]any
	mustJSON(t, ok(t, url, "sales", "show", "FRONT-000001", "--json"), &sale)
	if sale["change"] != "24.28" || sale["total"] != "55.72" || sale["status"] != "paid" {
		t.Fatalf("sales show: %v", sale)
	}
	receipt := ok(t, url, "sales", "receipt", "FRONT-000001")
	for _, want := range []string{"FRONT-000001", "  3 x 12.50", "TOTAL EUR", "55.72", "incl. VAT 21%", "5.37", "incl. VAT 12%", "0.69", "Change", "24.28"} {
		if !strings.Contains(receipt, want) {
			t.Errorf("receipt lacks %q:\n%s", want, receipt)
		}
	}

	fails(t, db, url, `no product has the barcode or SKU "NOPE"`, "sales", "sell", "--line", "NOPE=1", "--pay", "Cash")
	fails(t, db, url, `--line "CUP": write CODE=QTY`, "sales", "sell", "--line", "CUP", "--pay", "Cash")
	fails(t, db, url, "the payments come to 5.00, less than the total 12.50", "sales", "sell", "--line", "CUP=1", "--pay", "Cash=5")
	fails(t, db, url, "FRONT-000001 sold 2 of CHOC and 2 can still be returned: return at most 2",
		"sales", "return", "FRONT-000001", "--line", "CHOC=3", "--refund", "Cash")

	var ret map[string]any
	mustJSON(t, ok(t, url, "sales", "return", "FRONT-000001", "--line", "CHOC=2", "--restock", "--refund", "Cash", "--json"), &ret)
	if ret["receipt_number"] != "FRONT-000001-R1" || ret["total"] != "-6.41" {
		t.Fatalf("return: %v", ret)
	}
	if r := ok(t, url, "sales", "receipt", "FRONT-000001-R1"); !strings.Contains(r, "RETURN") || !strings.Contains(r, "-6.41") {
		t.Fatalf("return receipt:\n%s", r)
	}

	ok(t, url, "sales", "sell", "--line", "CUP=1", "--pay", "Card")
	fails(t, db, url, "say why the sale is voided", "sales", "void", "FRONT-000002")
	if out := ok(t, url, "sales", "void", "FRONT-000002", "--reason", "rung up twice"); !strings.HasPrefix(out, "voided FRONT-000002 (12.50)") {
		t.Fatalf("void: %q", out)
	}
	if out := ok(t, url, "register", "cash-out", "--amount", "20.00", "--reason", "bank drop"); !strings.Contains(out, "took 20.00 out of the drawer") {
		t.Fatalf("cash-out: %q", out)
	}
	fails(t, db, url, "a cash movement needs a reason", "register", "cash-in", "--amount", "5")
}
