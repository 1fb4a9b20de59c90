package register_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/kassa-pos/kassa/register"
)

// TestNightlyReconciliationHostileText: an order name and a reason typed at Shopify's
// checkout reach the printed report without their controls and the CSV without becoming
// a formula; the count and the orders beyond the first are said.
func TestNightlyReconciliationHostileText(t *testing.T) {
	r := register.NightlyReport{Outlet: "Gent", Day: "2026-11-25", Reconciliations: []register.Reconciliation{{
		Shop: "demo.myshopify.com", Orders: 40, Differences: 12, Fixed: true,
		FirstDifferences: []register.ReconcileDifference{{OrderName: "=HYPERLINK(\"http://evil\")\x1b[2J", ShopifyOrderID: 1,
			Reasons: []string{"no sale: \x1b]0;owned\x07the order was never imported"}}},
	}}}
	var txt, csv bytes.Buffer
	if err := r.WriteText(&txt); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteCSV(&csv); err != nil {
		t.Fatal(err)
	}
	out := txt.String()
	if strings.ContainsAny(out, "\x1b\x07") {
		t.Fatalf("the printed report holds a control:\n%q", out)
	}
	for _, want := range []string{"RECONCILIATION WITH SHOPIFY", "12 differences", "40 orders compared, recorded", "no sale: ]0;ownedthe order", "... and 11 more"} {
		if !strings.Contains(out, want) {
			t.Errorf("the printed report lacks %q:\n%s", want, out)
		}
	}
	c := csv.String()
	if strings.ContainsAny(c, "\x1b\x07") || !strings.Contains(c, `reconciliation_differences,"'=HYPERLINK(`) {
		t.Fatalf("the CSV:\n%q", c)
	}
	if !strings.Contains(c, "reconciliations,demo.myshopify.com,differences,12") {
		t.Fatalf("the CSV lacks the count:\n%s", c)
	}
}
