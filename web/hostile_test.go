package web_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kassa-pos/kassa/daemon/client"
	"github.com/kassa-pos/kassa/internal/terminaltest"
)

// Text typed at Shopify's checkout by someone who hopes a page runs it.
const (
	hostileName  = `<img src=x onerror="document.body.dataset.owned=1">`
	hostileLast  = `"><script>document.body.dataset.owned=2</script>`
	hostileTitle = `<svg onload="document.body.dataset.owned=3"></svg>Mug`
)

// TestHostileTextInTheBrowser imports an order whose customer and line were typed by an
// attacker and shows it in the sales list and the sale's detail: the text shows as
// typed, and nothing of it becomes an element or runs.
func TestHostileTextInTheBrowser(t *testing.T) {
	w := startWorld(t, terminaltest.Options{})
	var receipt string
	all := w.Sim.AllOrders()
	for i := len(all) - 1; i >= 0 && receipt == ""; i-- {
		var o struct {
			ID          int64   `json:"id"`
			Name        string  `json:"name"`
			Test        bool    `json:"test"`
			CancelledAt *string `json:"cancelled_at"`
			Shipping    []any   `json:"shipping_lines"`
			Customer    any     `json:"customer"`
		}
		if err := json.Unmarshal(all[i], &o); err != nil {
			t.Fatal(err)
		}
		if o.Test || o.CancelledAt != nil || len(o.Shipping) == 0 || o.Customer == nil {
			continue
		}
		if _, err := w.Sim.UpdateOrder(o.ID, func(m map[string]any) {
			c := m["customer"].(map[string]any)
			c["first_name"], c["last_name"] = hostileName, hostileLast
			m["line_items"].([]any)[0].(map[string]any)["title"] = hostileTitle
		}); err != nil {
			t.Fatal(err)
		}
		receipt = o.Name
	}
	if receipt == "" {
		t.Fatal("the shop has no order to change")
	}
	ctx := context.Background()
	api := client.New(w.URL, w.Cashier)
	run, err := api.StartImport(ctx, client.ImportRequest{Mode: "all"})
	if err != nil {
		t.Fatal(err)
	}
	if run, err = api.WaitImport(ctx, run.RunID, 5*time.Millisecond); err != nil || run.Status != "finished" {
		t.Fatalf("import: %+v %v", run, err)
	}
	b := newBrowser(t, w, 1024, 768)
	b.signIn(w.Cashier)
	b.step("the sales list", b.open("/sales?"+url.Values{"search": {receipt}}.Encode()), chromedp.WaitVisible("#sales-list"))
	if list := b.text("#sales-list"); !strings.Contains(list, hostileName) {
		t.Fatalf("the sales list does not show the customer's name as typed:\n%s", list)
	}
	b.step("the sale", b.open("/sales/detail?"+url.Values{"receipt": {receipt}}.Encode()), chromedp.WaitVisible("#sale-total"))
	if page := b.text("main"); !strings.Contains(page, hostileTitle) || !strings.Contains(page, hostileLast) {
		t.Fatalf("the sale does not show the hostile text as typed:\n%s", page)
	}
	for _, p := range []string{"/sales?" + url.Values{"search": {receipt}}.Encode(), "/sales/detail?" + url.Values{"receipt": {receipt}}.Encode()} {
		b.step("look for injected elements on "+p, b.open(p), chromedp.WaitVisible("main h1"))
		if n := eval[int](b, `document.querySelectorAll("main img, main svg:not(.chart), main script").length`); n != 0 {
			t.Errorf("%s: %d elements came from the order's text", p, n)
		}
		if owned := eval[string](b, `document.body.dataset.owned || ""`); owned != "" {
			t.Errorf("%s: the order's text ran (%s)", p, owned)
		}
	}
}
