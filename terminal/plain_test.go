package terminal_test

import (
	"io"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"
	"github.com/rs/zerolog"

	"github.com/kassa-pos/kassa/internal/terminaltest"
	"github.com/kassa-pos/kassa/terminal"
)

type environ map[string]string

func (e environ) Environ() []string {
	var out []string
	for k, v := range e {
		out = append(out, k+"="+v)
	}
	return out
}

func (e environ) Getenv(k string) string { return e[k] }

// TestColoursFollowTheTerminal draws the same screen on a colour terminal, with NO_COLOR
// and on TERM=dumb: colours only on the first, the same text on all three.
func TestColoursFollowTheTerminal(t *testing.T) {
	t.Parallel()
	w := terminaltest.Start(t, terminaltest.Options{})
	draw := func(env environ) string {
		r := lipgloss.NewRenderer(io.Discard, termenv.WithTTY(true), termenv.WithEnvironment(env))
		d := &driver{t: t, msgs: make(chan tea.Msg, 64)}
		d.m = terminal.New(terminal.NewClient(w.URL, w.Cashier), terminal.Config{
			Clock: terminaltest.Now, Logger: zerolog.Nop(), Renderer: r, RefreshEvery: -1,
		})
		d.exec(d.m.Init())
		d.send(tea.WindowSizeMsg{Width: 80, Height: 24})
		return d.m.View()
	}
	colour := draw(environ{"TERM": "xterm-256color", "COLORTERM": "truecolor"})
	noColor := draw(environ{"TERM": "xterm-256color", "NO_COLOR": "1"})
	dumb := draw(environ{"TERM": "dumb"})
	if !strings.Contains(colour, "\x1b[") {
		t.Error("a colour terminal got no colour")
	}
	for name, s := range map[string]string{"NO_COLOR": noColor, "TERM=dumb": dumb} {
		if strings.Contains(s, "\x1b[") {
			t.Errorf("%s: the screen has escape codes:\n%q", name, s)
		}
		if s != ansi.Strip(colour) {
			t.Errorf("%s: the screen differs from the colour one without its colours:\n%s\n---\n%s", name, s, ansi.Strip(colour))
		}
	}
}

// TestLargerTerminal fills a larger terminal exactly, help bar at the bottom.
func TestLargerTerminal(t *testing.T) {
	t.Parallel()
	w := terminaltest.Start(t, terminaltest.Options{})
	importAll(t, w)
	d := newDriver(t, w, w.Cashier)
	d.send(tea.WindowSizeMsg{Width: 132, Height: 43})
	d.keys("f2")
	lines := strings.Split(d.screen(), "\n")
	if len(lines) != 43 {
		t.Fatalf("%d lines on a 43-line terminal", len(lines))
	}
	if !strings.Contains(lines[42], "search") {
		t.Errorf("the last line is %q, want the help bar", lines[42])
	}
	// The taller screen shows more sales per page than at 80×24.
	rows := strings.Count(d.screen(), " Shop\n")
	if rows <= 14 {
		t.Errorf("%d sales on a 43-line screen, want more than the 14 of 24 lines", rows)
	}
}
