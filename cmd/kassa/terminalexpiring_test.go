package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kassa-pos/kassa/internal/terminaltest"
)

// TestTerminalShopifyScreenShowsOrdersLeavingShopify drives the kassa binary in tmux: the
// Shopify screen lists the order that failed to import and leaves Shopify's 60 days in
// 4 days, with its age, and no escape sequence of its name reaches the terminal.
func TestTerminalShopifyScreenShowsOrdersLeavingShopify(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the kassa binary and drives it in tmux")
	}
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed")
	}
	t.Parallel()
	w := terminaltest.Start(t, terminaltest.Options{})
	w.FailedOrder(880001, "#88\x1b[31m01", terminaltest.Now().Add(-56*24*time.Hour), "the order's lines name an unknown SKU")

	dir := t.TempDir()
	bin := filepath.Join(dir, "kassa")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build kassa: %v\n%s", err, out)
	}
	s := &tmuxScreen{t: t, socket: fmt.Sprintf("kassa-exp-%d", os.Getpid())}
	command := fmt.Sprintf("%s terminal --url %s --register Front --log-file %s --report-dir %s",
		bin, w.URL, filepath.Join(dir, "terminal.log"), filepath.Join(dir, "reports"))
	if out, err := s.tmux("new-session", "-d", "-s", "kassa", "-x", "80", "-y", "24",
		"-e", "KASSA_TOKEN="+w.Cashier, "-e", "TERM=xterm-256color", command); err != nil {
		t.Fatalf("start tmux: %v: %s", err, out)
	}
	t.Cleanup(func() { s.tmux("kill-server") })
	s.waitFor("Register Gent/Front", "connected")
	s.send(false, "F3")
	screen := s.waitFor("Failed, leaving Shopify's 60 days within 7 days", "#88[31m01", "56 days old, gone", "unknown SKU")
	if strings.ContainsRune(screen, '\x1b') {
		t.Fatalf("an escape reached the screen:\n%q", screen)
	}
}
