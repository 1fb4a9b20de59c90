package shopify

import (
	"context"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/kassa-pos/kassa/inventory"
)

// hasControl reports whether s holds a character kassa never stores in a one-line field:
// a C0 or C1 control, DEL, or a bidirectional override or isolate.
func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool {
		return r < 0x20 || (r >= 0x7f && r <= 0x9f) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
	})
}

// TestImportCleansHostileText imports an order whose customer typed escape sequences, C1
// controls, bidirectional overrides and a 300-character name: what is stored (sale lines,
// the created product, the customer) is clean and capped at 255 characters, and an order
// that fails because of such a line is logged with a clean reason.
func TestImportCleansHostileText(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})
	o := genOrder(5101, "#5101", testNow.Add(-time.Hour))
	o.LineItems[0].Title = "Mug\x1b[2J\x1b]0;owned\x07\u009b31m"
	vt := "Blue\u202egnp.exe\u202c\r\nLarge"
	o.LineItems[0].VariantTitle = &vt
	o.ShippingLines[0].Title = "\x1bd\x05Express\x00"
	long := strings.Repeat("N", 254) + "e\u0301" + strings.Repeat("x", 50)
	o.Customer.FirstName = "=HYPERLINK(\"http://evil\")\t"
	o.Customer.LastName = long
	_, out := importOne(t, f, orderJSON(t, o))
	if out.Outcome != Imported {
		t.Fatalf("outcome %s (%s), want imported", out.Outcome, out.Reason)
	}
	s := mustSale(t, f, "#5101")
	if got, want := s.Lines[0].Title, "Mug[2J]0;owned31m"; got != want {
		t.Errorf("line title %q, want %q", got, want)
	}
	if got, want := s.Lines[0].VariantTitle, "Bluegnp.exe Large"; got != want {
		t.Errorf("variant title %q, want %q", got, want)
	}
	var ship string
	for _, l := range s.Lines {
		if l.ShippingFee() {
			ship = l.Title
		}
	}
	if ship != "dExpress" {
		t.Errorf("shipping title %q, want \"dExpress\"", ship)
	}
	p, err := inventory.Store{}.ProductBySKU(context.Background(), f.db, "SKU-A")
	if err != nil {
		t.Fatal(err)
	}
	if hasControl(p.Name) || hasControl(p.VariantTitle) {
		t.Errorf("the created product keeps control characters: %q %q", p.Name, p.VariantTitle)
	}
	if hasControl(s.CustomerName) || strings.Contains(s.CustomerName, "\t") {
		t.Errorf("customer name %q keeps control characters", s.CustomerName)
	}
	var last string
	if err := f.db.Get(&last, `SELECT last_name FROM customers WHERE email = 'ann@example.com'`); err != nil {
		t.Fatal(err)
	}
	// Capped at 255 characters, and not between the e and its accent.
	if n := utf8.RuneCountInString(last); n > 255 || last != strings.Repeat("N", 254) {
		t.Errorf("last name of %d characters stored as %d: %q…", utf8.RuneCountInString(long), n, last[240:])
	}

	// An order whose line makes it fail: the reason names the line, cleaned.
	bad := genOrder(5102, "#5102", testNow.Add(-time.Hour))
	bad.LineItems[0].Title = "Cup\x1b[31m\u202e"
	bad.LineItems[0].Quantity = 0
	_, failed := importOne(t, f, orderJSON(t, bad))
	if failed.Outcome != Failed || !strings.Contains(failed.Reason, "(Cup[31m)") || hasControl(failed.Reason) {
		t.Errorf("failed order logged with %s %q, want a clean reason naming the line", failed.Outcome, failed.Reason)
	}
}
