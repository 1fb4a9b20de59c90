package terminal_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/kassa-pos/kassa/daemon/client"
	"github.com/kassa-pos/kassa/internal/terminaltest"
)

// awaitingReceipts returns the receipts of the sales awaiting payment, newest first, as
// the Sales screen lists them.
func awaitingReceipts(t *testing.T, w *terminaltest.World) []string {
	t.Helper()
	var out []string
	if err := w.DB.Select(&out, `SELECT receipt_number FROM sales WHERE balance > 0 ORDER BY sold_at DESC, id DESC`); err != nil {
		t.Fatal(err)
	}
	if len(out) < 3 {
		t.Fatalf("%d sales awaiting payment, the test needs 3", len(out))
	}
	return out
}

// balances returns every sale's balance by receipt.
func balances(t *testing.T, w *terminaltest.World) map[string]string {
	t.Helper()
	var rows []struct {
		Receipt string `db:"receipt_number"`
		Balance string `db:"balance"`
	}
	if err := w.DB.Select(&rows, `SELECT receipt_number, balance::text AS balance FROM sales`); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, r := range rows {
		out[r.Receipt] = r.Balance
	}
	return out
}

// TestKeysFasterThanTheDaemon types what a barcode scanner types on the Sales screen,
// "/ RECEIPT enter enter p", while the daemon has not answered the search yet: nothing
// acts on the rows of the list shown before (the newest sale awaiting payment was paid
// so), a later answer of an earlier search is dropped, and the payment form opens only
// for the sale on screen, once its detail is in, and pays exactly that sale.
func TestKeysFasterThanTheDaemon(t *testing.T) {
	t.Parallel()
	w := terminaltest.Start(t, terminaltest.Options{})
	importAll(t, w)
	if _, err := client.New(w.URL, w.Cashier).OpenRegister(context.Background(), "Front", client.OpenRequest{OpeningFloat: "100.00"}); err != nil {
		t.Fatal(err)
	}
	receipts := awaitingReceipts(t, w)
	first, scanned, typed := receipts[0], receipts[len(receipts)-1], receipts[1]
	before := balances(t, w)

	d := newDriver(t, w, w.Cashier)
	d.keys("f2", "a")
	d.expectContains("> " + first)

	// The scanner's search is held by the daemon; its keys all arrive before the answer.
	scan := w.Hold(terminaltest.SalesSearch(scanned))
	d.press("/", scanned, "enter", "enter", "p")
	<-scan.Arrived()
	d.expectContains(fmt.Sprintf("search %q", scanned), "Loading…", "Not yet: the sales are still loading")
	if s := d.screen(); strings.Contains(s, "Apply payment") || strings.Contains(s, "Sale #") || strings.Contains(s, first) {
		t.Fatalf("the terminal acted on the list of before the search:\n%s", s)
	}

	// Staff search again; that answer comes first, and the scanner's, arriving late, is
	// dropped.
	d.press("/", "ctrl+u", typed, "enter")
	d.until("> " + typed)
	scan.Release()
	d.settle()
	rows := saleRows(d.screen())
	if len(rows) != 1 || !strings.Contains(rows[0], typed) || !strings.Contains(d.screen(), fmt.Sprintf("search %q", typed)) {
		t.Fatalf("after the late answer of %s the screen shows:\n%s", scanned, d.screen())
	}

	// The detail comes slowly too: p does nothing until it is in.
	detail := w.Hold(func(r *http.Request) bool { return r.Method == http.MethodGet && r.URL.Path == "/api/v1/sales/"+typed })
	d.press("enter", "p")
	<-detail.Arrived()
	d.expectContains("Sale "+typed, "Loading the sale…")
	if strings.Contains(d.screen(), "Apply payment") {
		t.Fatalf("the payment form opened before the sale was in:\n%s", d.screen())
	}
	detail.Release()
	d.settle()
	d.expectContains("Sale "+typed, "AWAITING PAYMENT")
	d.keys("p")
	d.expectContains("Apply payment to " + typed)
	d.keys("enter", "enter", "enter")
	d.expectContains("Recorded", "PAID")

	after := balances(t, w)
	for receipt, was := range before {
		switch {
		case receipt == typed && after[receipt] != "0.00":
			t.Errorf("%s, the sale on screen, has a balance of %s after paying it in full", receipt, after[receipt])
		case receipt != typed && after[receipt] != was:
			t.Errorf("%s changed from %s to %s: only %s was paid", receipt, was, after[receipt], typed)
		}
	}
}

// TestLateRegisterStatusIsDropped opens the register while the daemon's answer to an
// earlier refresh (the register closed) is still on its way: when it arrives it is
// dropped, and the screen goes on showing the register open.
func TestLateRegisterStatusIsDropped(t *testing.T) {
	t.Parallel()
	w := terminaltest.Start(t, terminaltest.Options{})
	d := newDriver(t, w, w.Cashier)
	d.expectContains("CLOSED")
	late := w.Hold(terminaltest.First(terminaltest.Get("/registers")))
	d.press("r")
	<-late.Arrived()
	d.press("o", "100.00", "enter", "enter")
	d.until("Expected so far") // the status asked after opening is in
	late.Release()
	d.settle()
	d.expectContains("OPEN", "Opening float 100.00")
	if strings.Contains(d.screen(), "CLOSED") {
		t.Fatalf("a late answer showed the open register closed:\n%s", d.screen())
	}
}

// TestLateSessionListIsDropped reloads the Reports screen's sessions twice, the first
// answer held until after the second: the older list (without the session closed
// since) is dropped.
func TestLateSessionListIsDropped(t *testing.T) {
	t.Parallel()
	w := terminaltest.Start(t, terminaltest.Options{})
	api := client.New(w.URL, w.Cashier)
	ctx := context.Background()
	closeOne := func(float string) {
		if _, err := api.OpenRegister(ctx, "Front", client.OpenRequest{OpeningFloat: float}); err != nil {
			t.Fatal(err)
		}
		if _, err := api.CloseRegister(ctx, "Front", client.CloseRequest{Counts: []client.CountInput{{Type: "Cash", Counted: float}}}); err != nil {
			t.Fatal(err)
		}
	}
	closeOne("100.00")
	d := newDriver(t, w, w.Cashier)
	d.keys("f4")
	d.expectContains("session 1 ")

	late := w.Hold(terminaltest.First(func(r *http.Request) bool {
		return r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/sessions")
	}))
	d.press("f1", "f4")
	<-late.Arrived()
	closeOne("120.00")
	d.press("f1", "f4")
	d.until("session 2 ")
	late.Release()
	d.settle()
	d.expectContains("session 2 ", "session 1 ")
}

// TestLateImportHistoryIsDropped refreshes the Shopify screen while an earlier answer
// (no runs yet) is held: when it arrives after the newer one it is dropped.
func TestLateImportHistoryIsDropped(t *testing.T) {
	t.Parallel()
	w := terminaltest.Start(t, terminaltest.Options{})
	d := newDriver(t, w, w.Cashier)
	d.keys("f3")
	d.expectContains("none yet")
	late := w.Hold(terminaltest.First(terminaltest.Get("/imports")))
	d.press("r")
	<-late.Arrived()
	importAll(t, w)
	d.press("r")
	d.until("1    Get all")
	late.Release()
	d.settle()
	d.expectContains("1    Get all")
	if strings.Contains(d.screen(), "none yet") {
		t.Fatalf("a late answer emptied the recent runs:\n%s", d.screen())
	}
}
