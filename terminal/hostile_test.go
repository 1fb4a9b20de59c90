package terminal_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/kassa-pos/kassa/internal/terminaltest"
)

// Text a customer typed at Shopify's checkout: an escape sequence that clears the
// screen, a C1 control a terminal reads as ESC [, a bidi override, a formula, 300
// characters, and a wide character and an accent where a column cuts.
const (
	hostileFirst = "\x1b[2J\x1b[HZo\u00eb"
	hostileTitle = "Mug\u009b31m\x1b]0;owned\x07 茶杯茶杯茶杯茶杯茶杯茶杯茶杯茶杯茶杯"
	hostileShip  = "\x1bd\x05Express"
)

var hostileLast = "=HYPERLINK(\"http://evil\")\u202e" + strings.Repeat("X", 300)

// hostileOrder gives the newest importable bank-deposit order of the simulated shop a
// customer and a line typed by an attacker, and returns its name.
func hostileOrder(t *testing.T, w *terminaltest.World) string {
	t.Helper()
	all := w.Sim.AllOrders()
	for i := len(all) - 1; i >= 0; i-- {
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
		if err := json.Unmarshal(all[i], &o); err != nil {
			t.Fatal(err)
		}
		if o.Test || o.CancelledAt != nil || len(o.ShippingLines) == 0 || o.ShippingAddress == nil || o.FinancialStatus != "pending" || o.Customer == nil {
			continue
		}
		_, err := w.Sim.UpdateOrder(o.ID, func(m map[string]any) {
			c := m["customer"].(map[string]any)
			c["first_name"], c["last_name"] = hostileFirst, hostileLast
			m["line_items"].([]any)[0].(map[string]any)["title"] = hostileTitle
			m["shipping_lines"].([]any)[0].(map[string]any)["title"] = hostileShip
		})
		if err != nil {
			t.Fatal(err)
		}
		return o.Name
	}
	t.Fatal("the shop has no bank-deposit order to change")
	return ""
}

// cleanScreen fails when the screen holds a control character (the screens are drawn
// without colour here, so any ESC came from the data) or a line wider than the terminal.
func cleanScreen(t *testing.T, d *driver, width int) {
	t.Helper()
	s := d.screen()
	if i := strings.IndexFunc(s, func(r rune) bool {
		return (r < 0x20 && r != '\n') || (r >= 0x7f && r <= 0x9f) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
	}); i >= 0 {
		t.Errorf("the screen holds %q:\n%s", []rune(s[i:])[0], s)
	}
	for i, l := range strings.Split(s, "\n") {
		if w := ansi.StringWidth(l); w > width {
			t.Errorf("line %d is %d columns wide: %q", i+1, w, l)
		}
	}
}

// TestHostileTextOnScreen imports an order whose customer and line were typed by an
// attacker, and shows it on the Sales screen and in its detail: nothing of it reaches
// the terminal as a control. Then text stored before kassa cleaned it (written straight
// into the database) is shown: the terminal cleans what the daemon sends, too.
func TestHostileTextOnScreen(t *testing.T) {
	t.Parallel()
	w := terminaltest.Start(t, terminaltest.Options{})
	receipt := hostileOrder(t, w)
	importAll(t, w)

	d := newDriver(t, w, w.Cashier)
	d.keys("f2", "/", receipt, "enter")
	d.expectContains("> "+receipt, "[2J[HZoë =HYPERLI…")
	cleanScreen(t, d, 80)
	d.keys("enter")
	d.expectContains("Sale "+receipt, "Customer [2J[HZoë =HYPERLINK(\"http://evil\")XXXX", "Mug31m]0;owned 茶杯", "[shipping] dExpress")
	cleanScreen(t, d, 80)

	// Stored before the rule: the daemon sends it as it is, the terminal cleans it.
	_, err := w.DB.Exec(`UPDATE customers SET first_name = E'\x1b]0;pwned\x07Ann\u009b2J', last_name = E'\u202eD''Hondt'`)
	if err != nil {
		t.Fatal(err)
	}
	_, err = w.DB.Exec(`UPDATE sale_lines SET title = E'Cup\x1b[31m' || repeat('e' || E'\u0301', 40) WHERE kind = 'product'`)
	if err != nil {
		t.Fatal(err)
	}
	d.keys("r")
	d.expectContains("Customer ]0;pwnedAnn2J D'Hondt", "Cup[31me\u0301e\u0301")
	cleanScreen(t, d, 80)
	// The item column cuts the title between letters, never between a letter and its accent.
	for _, l := range strings.Split(d.screen(), "\n") {
		if strings.HasPrefix(l, "Cup[31m") && !strings.Contains(l, "e\u0301…") {
			t.Errorf("the title was not cut between whole letters: %q", l)
		}
	}
	d.keys("esc")
	d.expectContains("> "+receipt, "]0;pwnedAnn2J D'H…")
	cleanScreen(t, d, 80)

	// The import log's reasons, as the Shopify screen lists them.
	_, err = w.DB.Exec(`UPDATE import_outcomes SET outcome = 'failed', reason = E'line 1 (\x1b[2JMug\u202e): quantity 0' WHERE id = (SELECT max(id) FROM import_outcomes)`)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.DB.Exec(`UPDATE import_runs SET failed = failed + 1`); err != nil {
		t.Fatal(err)
	}
	d.keys("f3", "r")
	d.expectContains("Failed orders of run 1", "line 1 ([2JMug): quantity 0")
	cleanScreen(t, d, 80)
}
