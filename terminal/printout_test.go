package terminal_test

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/kassa-pos/kassa/daemon/client"
	"github.com/kassa-pos/kassa/internal/terminaltest"
	"github.com/kassa-pos/kassa/terminal"
)

// noPrintout is the daemon's API, but the closing report's printout never comes: the
// daemon went away between the close and the printout.
type noPrintout struct{ *client.Client }

func (noPrintout) ClosingReportText(context.Context, int64) (string, error) {
	return "", errors.New("connection reset by peer")
}

// TestCloseWithoutPrintout: the daemon alone prints reports. When the register closed but
// its printout did not come, the screen says which session closed, that nothing was
// saved and where to print it from; the close stands.
func TestCloseWithoutPrintout(t *testing.T) {
	t.Parallel()
	w := terminaltest.Start(t, terminaltest.Options{})
	d := newDriverWith(t, noPrintout{terminal.NewClient(w.URL, w.Cashier)}, "")
	d.expectContains("CLOSED")
	d.keys("o")
	d.keys("150.00", "enter", "enter")
	d.expectContains("OPEN")
	d.keys("c")
	d.keys("150.00", "enter", "enter")
	d.expectContains("Close the register with these counts?")
	d.keys("y")
	d.expectContains("Not saved: no printout came from the daemon", "Session 1 of register Front is closed (Z 1).",
		"Its printout did not come: connection reset by peer.", "Print it from the Reports screen (F4).")

	var open int
	if err := w.DB.Get(&open, `SELECT count(*) FROM register_sessions WHERE closed_at IS NULL`); err != nil {
		t.Fatal(err)
	}
	if open != 0 {
		t.Fatalf("%d sessions open after the close, want 0", open)
	}
	if saved, err := os.ReadDir(d.reports); err != nil || len(saved) != 0 {
		t.Fatalf("the report folder holds %v (%v): nothing was printed, so nothing is saved", saved, err)
	}
}
