package terminal_test

import (
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/kassa-pos/kassa/internal/terminaltest"
)

// BenchmarkSalesScreen measures drawing a full sales page (what every key and every
// answer costs the terminal) and moving the cursor on it.
func BenchmarkSalesScreen(b *testing.B) {
	w := terminaltest.Start(b, terminaltest.Options{Orders: 150})
	importAll(b, w)
	d := newDriver(b, w, w.Cashier)
	d.send(tea.WindowSizeMsg{Width: 132, Height: 50})
	d.keys("f2")
	down := tea.KeyMsg{Type: tea.KeyDown}
	for b.Loop() {
		d.m.Update(down)
		_ = d.m.View()
	}
}
