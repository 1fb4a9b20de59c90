package terminal_test

import (
	"context"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"
	"github.com/rs/zerolog"

	"github.com/kassa-pos/kassa/internal/terminaltest"
	"github.com/kassa-pos/kassa/sync/shopify"
	"github.com/kassa-pos/kassa/terminal"
	"github.com/kassa-pos/kassa/terminal/common"
)

var update = flag.Bool("update", false, "rewrite the golden screens in testdata")

// driver runs a terminal model the way Bubble Tea does, without a terminal: every
// command runs in its own goroutine, its message goes back into Update, and settle waits
// until no command is outstanding, so a test sees the screen after the daemon answered.
type driver struct {
	t       testing.TB
	m       *terminal.Model
	msgs    chan tea.Msg
	pending int
	quit    bool
	reports string
	// seen receives every screen drawn while settling, for what passes (a running
	// import's progress).
	seen []string
}

// newDriver starts a terminal at 80×24 against the world's daemon with token.
func newDriver(t testing.TB, w *terminaltest.World, token string) *driver {
	t.Helper()
	return newDriverFor(t, w, token, "")
}

// newDriverFor is newDriver for register reg.
func newDriverFor(t testing.TB, w *terminaltest.World, token, reg string) *driver {
	t.Helper()
	return newDriverWith(t, terminal.NewClient(w.URL, token), reg)
}

// newDriverWith is newDriver on api.
func newDriverWith(t testing.TB, api common.API, reg string) *driver {
	t.Helper()
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.Ascii)
	r.SetHasDarkBackground(true)
	// A short folder, so the saved report's path fits the screen as it would in use.
	reports, err := os.MkdirTemp("", "kassa-rep")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(reports) })
	d := &driver{t: t, msgs: make(chan tea.Msg, 64), reports: reports}
	d.m = terminal.New(api, terminal.Config{
		Register: reg, Clock: terminaltest.Now, Logger: zerolog.New(zerolog.NewTestWriter(t)),
		Renderer: r, ReportDir: d.reports, PollEvery: 5 * time.Millisecond, RefreshEvery: -1,
		CallTimeout: 30 * time.Second,
	})
	d.exec(d.m.Init())
	d.send(tea.WindowSizeMsg{Width: 80, Height: 24})
	return d
}

func (d *driver) exec(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	d.pending++
	go func() { d.msgs <- cmd() }()
}

func (d *driver) settle() {
	d.t.Helper()
	timeout := time.NewTimer(60 * time.Second)
	defer timeout.Stop()
	for d.pending > 0 {
		select {
		case msg := <-d.msgs:
			d.pending--
			d.handle(msg)
		case <-timeout.C:
			d.t.Fatalf("the terminal still waits for %d answers", d.pending)
		}
	}
}

func (d *driver) handle(msg tea.Msg) {
	switch msg := msg.(type) {
	case nil:
	case tea.BatchMsg:
		for _, c := range msg {
			d.exec(c)
		}
	case tea.QuitMsg:
		d.quit = true
	default:
		_, cmd := d.m.Update(msg)
		d.seen = append(d.seen, d.m.View())
		d.exec(cmd)
	}
}

// send delivers msg and waits until the terminal has settled.
func (d *driver) send(msg tea.Msg) {
	d.t.Helper()
	_, cmd := d.m.Update(msg)
	d.exec(cmd)
	d.settle()
}

// keyMsgs turns key names into key messages: "enter", "esc", "tab", "f1".."f4", "left",
// "right", "up", "down" by name, anything else typed rune by rune.
func keyMsgs(keys ...string) []tea.KeyMsg {
	named := map[string]tea.KeyType{
		"enter": tea.KeyEnter, "esc": tea.KeyEsc, "tab": tea.KeyTab, "backspace": tea.KeyBackspace,
		"f1": tea.KeyF1, "f2": tea.KeyF2, "f3": tea.KeyF3, "f4": tea.KeyF4, "left": tea.KeyLeft, "right": tea.KeyRight,
		"up": tea.KeyUp, "down": tea.KeyDown, "ctrl+u": tea.KeyCtrlU, "f5": tea.KeyF5, "ctrl+t": tea.KeyCtrlT, "ctrl+d": tea.KeyCtrlD,
	}
	var out []tea.KeyMsg
	for _, k := range keys {
		if t, ok := named[k]; ok {
			out = append(out, tea.KeyMsg{Type: t})
			continue
		}
		for _, r := range k {
			out = append(out, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
		}
	}
	return out
}

// keys presses keys one by one, each after the terminal has settled (see keyMsgs).
func (d *driver) keys(keys ...string) {
	d.t.Helper()
	for _, k := range keyMsgs(keys...) {
		d.send(k)
	}
}

// press types keys at once, as a barcode scanner does: no key waits for the daemon's
// answer to the one before. The answers are handled later, by settle or until.
func (d *driver) press(keys ...string) {
	d.t.Helper()
	for _, k := range keyMsgs(keys...) {
		_, cmd := d.m.Update(k)
		d.exec(cmd)
	}
}

// until handles the daemon's answers as they come until the screen shows want.
func (d *driver) until(want string) {
	d.t.Helper()
	timeout := time.NewTimer(60 * time.Second)
	defer timeout.Stop()
	for !strings.Contains(d.screen(), want) {
		select {
		case msg := <-d.msgs:
			d.pending--
			d.handle(msg)
		case <-timeout.C:
			d.t.Fatalf("the screen never showed %q:\n%s", want, d.screen())
		}
	}
}

// screen is the screen as drawn, with the report folder written as $REPORTS.
func (d *driver) screen() string {
	return strings.ReplaceAll(d.m.View(), d.reports, "$REPORTS")
}

// expectScreen compares the screen with testdata/name.golden (rewritten with -update),
// and checks it fits 80×24.
func (d *driver) expectScreen(name string) {
	d.t.Helper()
	got := d.screen()
	lines := strings.Split(got, "\n")
	if len(lines) != 24 {
		d.t.Errorf("%s: the screen has %d lines, want 24", name, len(lines))
	}
	for i, l := range lines {
		if w := ansi.StringWidth(l); w > 80 {
			d.t.Errorf("%s: line %d is %d columns wide: %q", name, i+1, w, l)
		}
	}
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			d.t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			d.t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		d.t.Fatalf("%s: %v (run the tests with -update to write it)", name, err)
	}
	if got != string(want) {
		d.t.Errorf("%s: the screen differs from %s\n--- got:\n%s\n--- want:\n%s", name, path, got, want)
	}
}

// expectContains fails unless the screen shows every one of want.
func (d *driver) expectContains(want ...string) {
	d.t.Helper()
	s := d.screen()
	for _, w := range want {
		if !strings.Contains(s, w) {
			d.t.Errorf("the screen does not show %q:\n%s", w, s)
		}
	}
}

// waitImportIdle waits until no import of the world's shop holds its lock. A run is shown
// finished a moment before its lock is let go; a run started in that moment is refused
// as "already running". Taking the lock (and letting it go) waits for exactly that.
func waitImportIdle(t testing.TB, w *terminaltest.World) {
	t.Helper()
	ctx := context.Background()
	conn, err := shopify.ConnectionStore{}.ByShop(ctx, w.DB, w.Sim.Shop)
	if err != nil {
		t.Fatal(err)
	}
	c, err := w.DB.Connx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	key := shopify.ImportLockKey(conn.ID)
	if _, err := c.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, key); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ExecContext(ctx, `SELECT pg_advisory_unlock($1)`, key); err != nil {
		t.Fatal(err)
	}
}
