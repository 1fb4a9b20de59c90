package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/kassa-pos/kassa/daemon/client"
	"github.com/kassa-pos/kassa/internal/terminaltest"
)

// controlIn returns the first character of s that no text output may hold: a C0 or C1
// control (line breaks aside), DEL, or a bidirectional override or isolate.
func controlIn(s string) (rune, bool) {
	for _, r := range s {
		if (r < 0x20 && r != '\n') || (r >= 0x7f && r <= 0x9f) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) {
			return r, true
		}
	}
	return 0, false
}

// clean fails unless out, the text output of a command, holds no control character.
func clean(t *testing.T, what, out string) {
	t.Helper()
	if r, bad := controlIn(out); bad {
		t.Errorf("%s prints %U:\n%q", what, r, out)
	}
}

// TestHostileTextFromShopify imports orders whose customer, line and shipping method were
// typed by an attacker (escape sequences, C1 and bidi controls, a formula, 300
// characters) and prints them the ways kassa does: sales show and list, product and stock
// lists, the nightly report as text and CSV. Then it writes such text straight into the
// database, as rows stored before kassa cleaned it were: the text outputs clean it too,
// CSV shows formulas as text, and JSON keeps the stored text.
func TestHostileTextFromShopify(t *testing.T) {
	t.Parallel()
	w := terminaltest.Start(t, terminaltest.Options{Clock: time.Now, Orders: 30})
	var receipt, failing string
	for _, raw := range w.Sim.AllOrders() {
		var o struct {
			ID              int64   `json:"id"`
			Name            string  `json:"name"`
			Test            bool    `json:"test"`
			CancelledAt     *string `json:"cancelled_at"`
			FinancialStatus string  `json:"financial_status"`
			ShippingLines   []any   `json:"shipping_lines"`
			ShippingAddress any     `json:"shipping_address"` // null for a local pickup, not imported
			Customer        any     `json:"customer"`
		}
		if err := json.Unmarshal(raw, &o); err != nil {
			t.Fatal(err)
		}
		if o.Test || o.CancelledAt != nil || len(o.ShippingLines) == 0 || o.ShippingAddress == nil || o.Customer == nil {
			continue
		}
		switch {
		case receipt == "" && o.FinancialStatus == "pending":
			receipt = o.Name
			_, err := w.Sim.UpdateOrder(o.ID, func(m map[string]any) {
				// A new customer and a new product, so that the names are theirs.
				c := m["customer"].(map[string]any)
				c["first_name"] = "\x1b[2J\x1b[HZo\u00eb"
				c["last_name"] = "=HYPERLINK(\"http://evil\")\u202e" + strings.Repeat("X", 300)
				c["email"], m["email"], c["id"] = "zoe.hostile@example.com", "zoe.hostile@example.com", 990001
				li := m["line_items"].([]any)[0].(map[string]any)
				li["title"], li["sku"], li["variant_id"], li["product_id"] = "Mug\u009b31m\x1b]0;owned\x07", "EVIL-1", 990002, 990003
				m["shipping_lines"].([]any)[0].(map[string]any)["title"] = "\x1bd\x05Express"
			})
			if err != nil {
				t.Fatal(err)
			}
		case failing == "" && o.FinancialStatus != "pending":
			failing = o.Name
			_, err := w.Sim.UpdateOrder(o.ID, func(m map[string]any) {
				li := m["line_items"].([]any)[0].(map[string]any)
				li["title"], li["quantity"] = "Cup\x1b[5m\u202e", 0
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	if receipt == "" || failing == "" {
		t.Fatal("the shop has no orders to change")
	}
	api := client.New(w.URL, w.Cashier)
	run, err := api.StartImport(context.Background(), client.ImportRequest{Mode: "all"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := api.WaitImport(context.Background(), run.RunID, 5*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	url := w.DatabaseURL

	show := ok(t, url, "sales", "show", receipt)
	clean(t, "sales show", show)
	for _, want := range []string{"Customer  [2J[HZoë =HYPERLINK(\"http://evil\")XXX", "Mug31m]0;owned", "dExpress [shipping]"} {
		if !strings.Contains(show, want) {
			t.Errorf("sales show does not print %q:\n%s", want, show)
		}
	}
	list := ok(t, url, "sales", "list", "--search", receipt)
	clean(t, "sales list", list)
	for _, l := range strings.Split(list, "\n") {
		if ansi.StringWidth(l) > 160 {
			t.Errorf("sales list prints a line of %d columns: the 300-character name is not clipped", ansi.StringWidth(l))
		}
	}
	products := ok(t, url, "product", "list")
	clean(t, "product list", products)
	if !strings.Contains(products, "Mug31m]0;owned") {
		t.Errorf("product list does not show the product:\n%s", products)
	}
	clean(t, "stock list", ok(t, url, "stock", "list"))
	nightly := ok(t, url, "report", "nightly")
	clean(t, "report nightly", nightly)
	if !strings.Contains(nightly, "(Cup[5m)") {
		t.Errorf("the nightly report does not name the failed order's line:\n%s", nightly)
	}

	// Rows stored before kassa cleaned text.
	for _, q := range []string{
		`UPDATE customers SET first_name = E'\x1b]0;pwned\x07Ann\u009b2J'`,
		`UPDATE products SET name = E'=HYPERLINK("http://evil")\x1b[8m' WHERE source = 'shopify'`,
		`UPDATE sale_lines SET title = E'\u202eTea\x1b[1A' WHERE kind = 'product'`,
		`UPDATE import_outcomes SET reason = E'=cmd|'' /C calc''!A0\x1b[2J' WHERE outcome = 'failed'`,
	} {
		if _, err := w.DB.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	show = ok(t, url, "sales", "show", receipt)
	clean(t, "sales show of stored text", show)
	if !strings.Contains(show, "Customer  ]0;pwnedAnn2J") || !strings.Contains(show, "Tea[1A") {
		t.Errorf("sales show:\n%s", show)
	}
	var sale struct {
		Customer struct{ Name string }   `json:"customer"`
		Lines    []struct{ Name string } `json:"lines"`
	}
	mustJSON(t, ok(t, url, "sales", "show", receipt, "--json"), &sale)
	if !strings.HasPrefix(sale.Customer.Name, "\x1b]0;pwned\x07Ann\u009b2J") || !strings.HasPrefix(sale.Lines[0].Name, "\u202eTea\x1b[1A") {
		t.Errorf("sales show --json changed the stored text: %q, %q", sale.Customer.Name, sale.Lines[0].Name)
	}
	clean(t, "sales list of stored text", ok(t, url, "sales", "list"))
	clean(t, "product list of stored text", ok(t, url, "product", "list"))
	clean(t, "stock list of stored text", ok(t, url, "stock", "list"))
	clean(t, "nightly report of stored text", ok(t, url, "report", "nightly"))

	rows, err := csv.NewReader(strings.NewReader(ok(t, url, "report", "nightly", "--format", "csv"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range rows {
		for _, c := range r {
			clean(t, "nightly CSV", c)
			if c != "" && strings.ContainsRune("=+-@", rune(c[0])) && strings.Trim(c, "-+0123456789.") != "" {
				t.Errorf("the CSV cell %q of %q begins a formula", c, r)
			}
			found = found || c == "'=cmd|' /C calc'!A0[2J"
		}
	}
	if !found {
		t.Errorf("the nightly CSV does not list the failure's reason as text:\n%v", rows)
	}
}
