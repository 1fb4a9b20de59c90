package terminal_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/rs/zerolog"

	"github.com/kassa-pos/kassa/daemon/client"
	"github.com/kassa-pos/kassa/internal/terminaltest"
	"github.com/kassa-pos/kassa/sync/shopify"
	"github.com/kassa-pos/kassa/sync/shopify/shopifyapi"
)

// TestCloseConfirmationAlignsNotCounted closes a session that took a bank deposit: its
// row in the confirmation reads "20.00  not counted", not "20.00not counted".
func TestCloseConfirmationAlignsNotCounted(t *testing.T) {
	t.Parallel()
	w := terminaltest.Start(t, terminaltest.Options{})
	importAll(t, w)
	api := client.New(w.URL, w.Cashier)
	ctx := context.Background()
	if _, err := api.OpenRegister(ctx, "Front", client.OpenRequest{OpeningFloat: "100.00"}); err != nil {
		t.Fatal(err)
	}
	receipt, _ := awaitingSale(t, w)
	if _, err := api.ApplyPayment(ctx, client.PaymentRequest{Register: "Front", Receipt: receipt, PaymentType: "Bank deposit", Amount: "20.00"}); err != nil {
		t.Fatal(err)
	}
	d := newDriver(t, w, w.Cashier)
	d.keys("c", "100.00")
	for !strings.Contains(d.screen(), "> Closed by") {
		d.keys("tab")
	}
	d.keys("enter")
	d.expectContains("Close register Gent/Front?")
	row := regexp.MustCompile(`(?m)^Bank deposit +20\.00 {2,}not counted +- *$`)
	if !row.MatchString(d.screen()) {
		t.Errorf("the bank deposit's row is not aligned under its headings:\n%s", d.screen())
	}
	heads := regexp.MustCompile(`(?m)^Payment type +Expected +Counted +Difference$`)
	if !heads.MatchString(d.screen()) {
		t.Errorf("no headings row:\n%s", d.screen())
	}
	d.expectScreen("register_close_not_counted")
}

// TestF1FromTheClosingReport closes the register and presses F1 on the closing report:
// the Register screen shows the register's status again.
func TestF1FromTheClosingReport(t *testing.T) {
	t.Parallel()
	w := terminaltest.Start(t, terminaltest.Options{})
	d := newDriver(t, w, w.Cashier)
	d.keys("o", "100.00", "enter", "enter")
	d.expectContains("OPEN")
	d.keys("c", "100.00", "enter", "enter", "y")
	d.expectContains("Closing report", "Saved for printing")
	d.keys("f1")
	d.expectContains("Register Gent/Front", "CLOSED", "Press o to open it")
	if strings.Contains(d.screen(), "Saved for printing") {
		t.Errorf("F1 left the closing report on screen:\n%s", d.screen())
	}
	// F2 on a sale's detail goes back to the list; F4 on a report to the reports menu.
	d.keys("f4", "enter")
	d.expectContains("Closing report of session 1")
	d.keys("f4")
	d.expectContains("Closing reports of this register")
}

// TestHeaderFitsAtEightyColumns works a register whose outlet has a long name: at 80
// columns the header still names the register and the user, the outlet's name shortened.
func TestHeaderFitsAtEightyColumns(t *testing.T) {
	t.Parallel()
	w := terminaltest.Start(t, terminaltest.Options{})
	if _, err := w.DB.Exec(`UPDATE outlets SET name = 'Antwerpen Centrum Zuid' WHERE id = $1`, w.Shop.OutletID); err != nil {
		t.Fatal(err)
	}
	d := newDriver(t, w, w.Cashier)
	d.expectContains("Register Antwerpen Centrum Zuid/Front")
	head := strings.Split(d.screen(), "\n")[0]
	if !strings.HasSuffix(head, "…/Front · anna") || !strings.Contains(head, "  Antwerp") || ansi.StringWidth(head) != 80 {
		t.Errorf("the header at 80 columns is %q, want it to end in the shortened outlet, the register and the user", head)
	}
	// Wide enough, nothing is shortened.
	d.send(tea.WindowSizeMsg{Width: 120, Height: 24})
	if head := strings.Split(d.screen(), "\n")[0]; !strings.HasSuffix(head, "  Antwerpen Centrum Zuid/Front · anna") {
		t.Errorf("the header at 120 columns is %q", head)
	}
}

// TestShopifyScreenDetails checks the Shopify screen's details: a run whose total
// Shopify did not give shows "N orders" (not "N of ?"), the daemon's webhook runs (one
// per order) fold into one line of "Recent runs", and f is in the help bar.
func TestShopifyScreenDetails(t *testing.T) {
	t.Parallel()
	w := terminaltest.Start(t, terminaltest.Options{})
	d := newDriver(t, w, w.Cashier)
	d.keys("f3")
	d.expectContains("f retry failed")

	// Get new asks Shopify for no count.
	d.keys("n")
	d.expectContains("Run 1 (Get new): finished")
	var seen int
	if err := w.DB.Get(&seen, `SELECT seen FROM import_runs WHERE id = 1`); err != nil {
		t.Fatal(err)
	}
	d.expectContains(fmt.Sprintf("  %d orders\n", seen))
	if strings.Contains(d.screen(), "of ?") {
		t.Errorf("the screen shows an unknown total as ?:\n%s", d.screen())
	}

	// Five orders come by webhook, one run each, a minute apart.
	conn, err := shopify.ConnectionStore{}.ByShop(context.Background(), w.DB, w.Sim.Shop)
	if err != nil {
		t.Fatal(err)
	}
	minute := 0
	log := zerolog.Nop()
	im := &shopify.Importer{DB: w.DB, Logger: log, Clock: func() time.Time {
		return terminaltest.Now().Add(time.Duration(minute) * time.Minute)
	}}
	for i, raw := range w.Sim.AllOrders()[:5] {
		o, err := shopifyapi.DecodeOrder(raw)
		if err != nil {
			t.Fatal(err)
		}
		minute = 2 + i
		if _, err := im.ImportOrders(context.Background(), conn.ID, []shopifyapi.Order{o}, shopify.RunOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	d.keys("r")
	d.expectContains("webhooks: 5 runs, 0 imported, 10:02–10:06\n", "  1    Get new")
	if n := strings.Count(d.screen(), "webhook"); n != 1 {
		t.Errorf("%d lines of webhook runs, want them in one:\n%s", n, d.screen())
	}
	d.expectScreen("shopify_webhook_runs")
}
