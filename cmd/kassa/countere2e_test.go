package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/kassa-pos/kassa/internal/terminaltest"
	"github.com/kassa-pos/kassa/inventory"
	"github.com/kassa-pos/kassa/register"
)

// TestTerminalCounterEndToEnd drives the kassa binary's terminal in tmux at the counter:
// open the register, scan three items on the Sell screen, pay cash with change, return one
// item, close the register; the closing report on the screen and saved for printing is the
// daemon's report of the session, and its figures are the day's.
func TestTerminalCounterEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the kassa binary and drives it in tmux")
	}
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed")
	}
	t.Parallel()
	w := terminaltest.Start(t, terminaltest.Options{Clock: time.Now, Orders: 5})
	ctx := context.Background()
	if _, err := w.DB.Exec(`UPDATE outlets SET default_tax_rate = 0.21 WHERE id = $1`, w.Shop.OutletID); err != nil {
		t.Fatal(err)
	}
	six := decimal.RequireFromString("0.06")
	for _, p := range []inventory.Product{
		{SKU: "CUP", Barcode: "5400000000011", Name: "Espresso cup", Price: decimal.RequireFromString("12.50"), TracksStock: true, Published: true},
		{SKU: "BOOK", Barcode: "5400000000028", Name: "Coffee book", Price: decimal.RequireFromString("19.99"), TaxRate: &six, TracksStock: true, Published: true},
		{SKU: "CHOC", Barcode: "5400000000035", Name: "Chocolate", Price: decimal.RequireFromString("3.49"), TracksStock: true, Published: true},
	} {
		if _, err := (inventory.Store{}).CreateProduct(ctx, w.DB, p); err != nil {
			t.Fatal(err)
		}
	}

	dir := t.TempDir()
	bin := filepath.Join(dir, "kassa")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build kassa: %v\n%s", err, out)
	}
	reports := filepath.Join(dir, "reports")
	s := &tmuxScreen{t: t, socket: fmt.Sprintf("kassa-counter-%d", os.Getpid())}
	command := fmt.Sprintf("%s terminal --url %s --register Front --log-file %s --report-dir %s",
		bin, w.URL, filepath.Join(dir, "terminal.log"), reports)
	out, err := s.tmux("new-session", "-d", "-s", "kassa", "-x", "80", "-y", "24",
		"-e", "KASSA_TOKEN="+w.Cashier, "-e", "TERM=xterm-256color", command)
	if err != nil {
		t.Fatalf("start tmux: %v: %s", err, out)
	}
	t.Cleanup(func() { s.tmux("kill-server") })

	s.waitFor("Register Gent/Front", "CLOSED", "connected")
	s.send(false, "o")
	s.waitFor("Opening float")
	s.send(true, "100.00")
	s.send(false, "Enter")
	s.send(false, "Enter")
	s.waitFor("OPEN", "Opening float 100.00")

	// Scan three items as a scanner does: code, Enter, without waiting.
	s.send(false, "F5")
	s.waitFor("SELL", "No lines yet.")
	for _, code := range []string{"5400000000011", "5400000000028", "5400000000035"} {
		s.send(true, code)
		s.send(false, "Enter")
	}
	s.waitFor("Espresso cup", "Coffee book", "Chocolate", "TOTAL 35.98", "3 lines")
	s.send(false, "Enter")
	s.waitFor("SELL · PAYMENT")
	s.send(true, "50.00")
	s.send(false, "Enter")
	s.waitFor("Sold FRONT-000001 · total 35.98", "CHANGE 14.02", "receipt saved:")
	receipt, err := os.ReadFile(filepath.Join(reports, "receipt-FRONT-000001.txt"))
	if err != nil || !bytes.Contains(receipt, []byte("Change")) || !bytes.Contains(receipt, []byte("14.02")) {
		t.Fatalf("the saved receipt (%v):\n%s", err, receipt)
	}

	// Return the chocolate, refunded in cash.
	s.send(false, "C-t")
	s.waitFor("Which sale comes back?")
	s.send(true, "FRONT-000001")
	s.send(false, "Enter")
	s.waitFor("Return of FRONT-000001")
	s.send(true, "5400000000035")
	s.send(false, "Enter")
	s.waitFor("back 5400000000035")
	s.send(false, "Enter")
	s.waitFor("RETURN · REFUND")
	s.send(false, "Enter")
	s.waitFor("Returned FRONT-000001-R1 for FRONT-000001", "REFUND 3.49")

	// Close: the drawer holds 100.00 + 35.98 − 3.49 = 132.49.
	s.send(false, "F1")
	s.waitFor("OPEN", "132.49")
	s.send(false, "c")
	s.waitFor("Close register Gent/Front", "Closed by")
	s.send(true, "132.49")
	screen := s.waitFor("[132.49")
	for !strings.Contains(screen, "> Closed by") {
		before := focused(screen)
		s.send(false, "Tab")
		screen = s.waitUntil("the focus to leave "+before, func(sc string) bool { return focused(sc) != before })
	}
	s.send(false, "Enter")
	s.waitFor("Close the register with these counts?")
	s.send(false, "y")
	s.waitFor("Closing report", "Saved for printing:", "CLOSING REPORT")

	var id int64
	if err := w.DB.Get(&id, `SELECT id FROM register_sessions WHERE closed_at IS NOT NULL`); err != nil {
		t.Fatal(err)
	}
	rep, err := register.Service{}.ClosingReport(ctx, w.DB, id)
	if err != nil {
		t.Fatal(err)
	}
	var cash register.TypeFigures
	for _, p := range rep.Payments {
		if p.Type == "Cash" {
			cash = p
		}
	}
	if cash.Expected != "132.49" || cash.Difference == nil || *cash.Difference != "0.00" || rep.InStoreCount != 1 ||
		rep.InStoreTotal != "35.98" || rep.ReturnsTotal != "-3.49" || len(rep.Returns) != 1 || rep.Returns[0].ReceiptNumber != "FRONT-000001-R1" {
		t.Fatalf("the closing report: cash %+v, in store %d %s, returns %s %+v", cash, rep.InStoreCount, rep.InStoreTotal, rep.ReturnsTotal, rep.Returns)
	}
	var want bytes.Buffer
	if err := rep.WriteText(&want); err != nil {
		t.Fatal(err)
	}
	saved, err := os.ReadFile(filepath.Join(reports, fmt.Sprintf("closing-Gent-Front-%d.txt", id)))
	if err != nil || !bytes.Equal(saved, want.Bytes()) {
		t.Fatalf("the saved closing report (%v) is not the session's:\n%s\nwant:\n%s", err, saved, want.String())
	}
	for _, line := range []string{"In-store sales (1)", "Returns (1)", "FRONT-000001-R1"} {
		if !bytes.Contains(saved, []byte(line)) {
			t.Errorf("the closing report lacks %q", line)
		}
	}
	s.send(false, "Escape")
	s.waitFor("CLOSED")
	s.send(false, "q")
}
