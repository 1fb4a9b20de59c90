package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/kassa-pos/kassa/internal/terminaltest"
)

func TestTerminalNeedsAToken(t *testing.T) {
	t.Parallel()
	var out, errOut bytes.Buffer
	env := map[string]string{"HOME": t.TempDir()}
	code := run(context.Background(), []string{"terminal", "--url", "http://127.0.0.1:1"}, &out, &errOut, func(k string) string { return env[k] })
	if code == 0 || !strings.Contains(errOut.String(), "the terminal needs a token") {
		t.Fatalf("exit %d, stderr %q: want a refusal asking for a token", code, errOut.String())
	}
	code = run(context.Background(), []string{"terminal", "--url", "ftp://x", "--token", "t"}, &out, &errOut, func(k string) string { return env[k] })
	if code == 0 || !strings.Contains(errOut.String(), "is not the daemon's address") {
		t.Fatalf("exit %d, stderr %q: want a refusal of the address", code, errOut.String())
	}
}

// tmuxScreen is one kassa binary running in a tmux pane of 80×24 on a server of its own.
type tmuxScreen struct {
	t      *testing.T
	socket string
}

func (s *tmuxScreen) tmux(args ...string) (string, error) {
	out, err := exec.Command("tmux", append([]string{"-L", s.socket}, args...)...).CombinedOutput()
	return string(out), err
}

// send presses keys: tmux key names ("Enter", "F3", "Escape") or, with literal, text.
func (s *tmuxScreen) send(literal bool, keys ...string) {
	s.t.Helper()
	args := []string{"send-keys", "-t", "kassa"}
	if literal {
		args = append(args, "-l")
	}
	if out, err := s.tmux(append(args, keys...)...); err != nil {
		s.t.Fatalf("tmux send-keys %v: %v: %s", keys, err, out)
	}
}

func (s *tmuxScreen) capture() string {
	out, _ := s.tmux("capture-pane", "-p", "-t", "kassa")
	return out
}

// waitFor polls the screen until it shows every one of want. The screen is polled, not
// waited on blindly: the test goes on the moment the terminal has drawn it.
func (s *tmuxScreen) waitFor(want ...string) string {
	s.t.Helper()
	deadline := time.Now().Add(3 * time.Minute) // generous: a loaded CI machine is slow, and the test goes on as soon as the screen is right
	for {
		screen := s.capture()
		missing := ""
		for _, w := range want {
			if !strings.Contains(screen, w) {
				missing = w
				break
			}
		}
		if missing == "" {
			return screen
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("the terminal never showed %q; the screen is:\n%s", missing, screen)
		}
		time.Sleep(30 * time.Millisecond)
	}
}

// focused is the label of the form field with the focus ("> Cash  [...").
func focused(screen string) string {
	for _, l := range strings.Split(screen, "\n") {
		if rest, ok := strings.CutPrefix(l, "> "); ok {
			label, _, _ := strings.Cut(rest, "[")
			return strings.TrimSpace(label)
		}
	}
	return ""
}

// waitUntil polls the screen until ok says it is right, and returns it.
func (s *tmuxScreen) waitUntil(what string, ok func(screen string) bool) string {
	s.t.Helper()
	deadline := time.Now().Add(3 * time.Minute) // generous, as waitFor
	for {
		screen := s.capture()
		if ok(screen) {
			return screen
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("waited in vain for %s; the screen is:\n%s", what, screen)
		}
		time.Sleep(30 * time.Millisecond)
	}
}

// waitHeld waits until the daemon holds a request of h.
func (s *tmuxScreen) waitHeld(h *terminaltest.Held) {
	s.t.Helper()
	timeout := time.NewTimer(3 * time.Minute) // generous, as waitFor
	defer timeout.Stop()
	select {
	case <-h.Arrived():
	case <-timeout.C:
		s.t.Fatalf("the terminal never asked the daemon; the screen is:\n%s", s.capture())
	}
}

func TestTerminalEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the kassa binary and drives it in tmux")
	}
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed")
	}
	t.Parallel()
	w := terminaltest.Start(t, terminaltest.Options{Clock: time.Now, Orders: 40})

	dir := t.TempDir()
	bin := filepath.Join(dir, "kassa")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build kassa: %v\n%s", err, out)
	}
	logFile, reports := filepath.Join(dir, "terminal.log"), filepath.Join(dir, "reports")

	s := &tmuxScreen{t: t, socket: fmt.Sprintf("kassa-e2e-%d", os.Getpid())}
	command := fmt.Sprintf("%s terminal --url %s --register Front --log-file %s --report-dir %s",
		bin, w.URL, logFile, reports)
	out, err := s.tmux("new-session", "-d", "-s", "kassa", "-x", "80", "-y", "24",
		"-e", "KASSA_TOKEN="+w.Cashier, "-e", "TERM=xterm-256color", command)
	if err != nil {
		t.Fatalf("start tmux: %v: %s", err, out)
	}
	t.Cleanup(func() { s.tmux("kill-server") })

	// Open the register.
	s.waitFor("Register Gent/Front", "CLOSED", "connected")
	s.send(false, "o")
	s.waitFor("Opening float")
	s.send(true, "150.00")
	s.send(false, "Enter")
	s.send(false, "Enter")
	s.waitFor("OPEN", "Opening float 150.00")

	// Get all Shopify orders.
	s.send(false, "F3")
	s.waitFor("Get all Shopify orders")
	s.send(false, "a")
	screen := s.waitFor("Run 1 (Get all): finished")
	var imported int
	if err := w.DB.Get(&imported, `SELECT count(*) FROM sale_external_ids`); err != nil {
		t.Fatal(err)
	}
	if imported == 0 || !strings.Contains(screen, fmt.Sprintf("imported %d ·", imported)) {
		t.Fatalf("%d orders imported; the screen says:\n%s", imported, screen)
	}

	// Find the bank-deposit sale (nothing paid yet) and apply its payment.
	var sale struct {
		Receipt string          `db:"receipt_number"`
		Balance decimal.Decimal `db:"balance"`
	}
	err = w.DB.Get(&sale, `SELECT receipt_number, balance FROM sales s WHERE balance > 0 AND source = 'shopify'
		AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.sale_id = s.id) ORDER BY sold_at DESC LIMIT 1`)
	if err != nil {
		t.Fatalf("no bank-deposit sale awaiting payment: %v", err)
	}
	s.send(false, "F2")
	s.waitFor("Sales history")
	s.send(false, "a")
	// A row under the cursor proves the list's answer is in.
	s.waitFor("awaiting payment · page 1", "> #")

	// The search is typed as a barcode scanner types it, "/ RECEIPT enter enter p", and
	// the daemon holds its answer: the keys that would act on a row do nothing until the
	// list of the search is shown (before, enter picked from the old list and p opened a
	// payment for another sale).
	search := w.Hold(terminaltest.SalesSearch(sale.Receipt))
	s.send(false, "/")
	s.waitFor("Receipt or customer")
	s.send(true, sale.Receipt)
	s.send(false, "Enter", "Enter", "p")
	s.waitHeld(search)
	screen = s.waitFor(fmt.Sprintf("search %q", sale.Receipt), "Loading…", "Not yet: the sales are still loading")
	if strings.Contains(screen, "Apply payment") || strings.Contains(screen, "Sale #") {
		t.Fatalf("the terminal acted before the search's answer:\n%s", screen)
	}
	search.Release()
	s.waitFor("> " + sale.Receipt)
	s.send(false, "Enter")
	s.waitFor("Sale "+sale.Receipt, "AWAITING PAYMENT", "[shipping]")
	s.send(false, "p")
	s.waitFor("Apply payment to "+sale.Receipt, "Bank deposit")
	s.send(false, "Enter")
	s.send(false, "Enter")
	s.send(false, "Enter")
	s.waitFor("Recorded "+sale.Balance.StringFixed(2)+" (Bank deposit)", "PAID")

	var after struct {
		Balance decimal.Decimal `db:"balance"`
		Status  string          `db:"status"`
		Type    string          `db:"type"`
		Amount  decimal.Decimal `db:"amount"`
	}
	err = w.DB.Get(&after, `SELECT s.balance, s.status, t.name AS type, p.amount FROM sales s
		JOIN payments p ON p.sale_id = s.id JOIN payment_types t ON t.id = p.payment_type_id
		WHERE s.receipt_number = $1`, sale.Receipt)
	if err != nil {
		t.Fatal(err)
	}
	if !after.Balance.IsZero() || after.Status != "paid" || after.Type != "Bank deposit" || !after.Amount.Equal(sale.Balance) {
		t.Fatalf("sale %s after the payment: %+v, want paid in full by bank deposit (%s)", sale.Receipt, after, sale.Balance)
	}

	// Close the register: count the cash, leave the bank deposit uncounted.
	s.send(false, "F1")
	s.waitFor("OPEN", "Bank deposit")
	s.send(false, "c")
	s.waitFor("Close register Gent/Front", "Closed by")
	s.send(true, "150.00")
	// Move through the counts (one field per payment type of the session) to "Closed by",
	// one Tab at a time: each waits until the focus has moved, so none is one too many.
	screen = s.waitFor("[150.00")
	for !strings.Contains(screen, "> Closed by") {
		before := focused(screen)
		s.send(false, "Tab")
		screen = s.waitUntil("the focus to leave "+before, func(sc string) bool { return focused(sc) != before })
	}
	s.send(false, "Enter")
	s.waitFor("Close the register with these counts?", "not counted")
	s.send(false, "y")
	screen = s.waitFor("Closing report", "Saved for printing:", "CLOSING REPORT")

	var closed struct {
		ID      int64           `db:"id"`
		Counted decimal.Decimal `db:"counted"`
	}
	err = w.DB.Get(&closed, `SELECT s.id, c.counted FROM register_sessions s JOIN register_session_counts c ON c.session_id = s.id
		JOIN payment_types t ON t.id = c.payment_type_id WHERE s.closed_at IS NOT NULL AND t.name = 'Cash'`)
	if err != nil {
		t.Fatalf("no closed session with a cash count: %v", err)
	}
	if !closed.Counted.Equal(decimal.NewFromInt(150)) {
		t.Fatalf("cash counted %s, want 150.00", closed.Counted)
	}
	report, err := os.ReadFile(filepath.Join(reports, fmt.Sprintf("closing-Gent-Front-%d.txt", closed.ID)))
	if err != nil {
		t.Fatalf("the closing report was not saved: %v\n%s", err, screen)
	}
	// The sale was imported in this session, so its bank deposit is one of the session's
	// payments (not a payment for an earlier sale).
	var bankTotal decimal.Decimal
	err = w.DB.Get(&bankTotal, `SELECT sum(p.amount) FROM payments p JOIN payment_types t ON t.id = p.payment_type_id
		WHERE p.session_id = $1 AND t.name = 'Bank deposit'`, closed.ID)
	if err != nil {
		t.Fatal(err)
	}
	bank := regexp.MustCompile(`(?m)^Bank deposit +` + regexp.QuoteMeta(bankTotal.StringFixed(2)) + ` +not counted$`)
	if !strings.Contains(string(report), "CLOSING REPORT") || !bank.Match(report) || bankTotal.LessThan(sale.Balance) {
		t.Errorf("the saved closing report does not show the bank deposits of %s:\n%s", bankTotal.StringFixed(2), report)
	}

	// Read it again from the Reports screen.
	s.send(false, "Escape")
	s.waitFor("CLOSED")
	s.send(false, "F4")
	s.waitFor("Closing reports of this register", fmt.Sprintf("session %d", closed.ID))
	s.send(false, "Enter")
	s.waitFor(fmt.Sprintf("Closing report of session %d", closed.ID), "CLOSING REPORT")

	s.send(false, "Escape")
	s.waitFor("Closing reports of this register")
	s.send(false, "q")
	deadline := time.Now().Add(time.Minute)
	for {
		if _, err := s.tmux("has-session", "-t", "kassa"); err != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the terminal did not quit on q:\n%s", s.capture())
		}
		time.Sleep(30 * time.Millisecond)
	}
	logged, err := os.ReadFile(logFile)
	if err != nil || !strings.Contains(string(logged), "terminal ready") {
		t.Errorf("the log file %s: %v\n%s", logFile, err, logged)
	}
	if strings.Contains(string(logged), w.Cashier) {
		t.Error("the log file holds the token")
	}
}

// TestTerminalKeepsReportsInTheUsersStateFolder: the closing reports the terminal saves go
// to a folder of the user's own, never to a shared one such as /tmp.
func TestTerminalKeepsReportsInTheUsersStateFolder(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"XDG_STATE_HOME": "/srv/state", "HOME": "/home/anna"}, "/srv/state/kassa"},
		{map[string]string{"HOME": "/home/anna"}, "/home/anna/.local/state/kassa"},
		{map[string]string{"XDG_STATE_HOME": "relative", "HOME": "/home/anna"}, "/home/anna/.local/state/kassa"},
	} {
		c := &cli{getenv: func(k string) string { return tc.env[k] }}
		if got, err := c.stateDir(); err != nil || got != tc.want {
			t.Errorf("state folder with %v: %q, %v; want %q", tc.env, got, err, tc.want)
		}
	}
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"terminal", "--url", "http://127.0.0.1:1", "--token", "t", "--log-file", filepath.Join(t.TempDir(), "t.log")},
		&out, &errOut, func(string) string { return "" })
	if code == 0 || !strings.Contains(errOut.String(), "set HOME or give --report-dir") {
		t.Fatalf("terminal with no HOME: exit %d, %q; want a refusal, not a shared folder", code, errOut.String())
	}
}
