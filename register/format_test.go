package register_test

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/kassa-pos/kassa/register"
)

// hostile holds what a customer or a shop can type into a name or title at Shopify's
// checkout, stored before the importer cleaned such text.
var hostile = struct {
	esc, c1, bidi, formula, long, cjk, accents string
}{
	esc:     "Mug\x1b[2J\x1bd\x05",
	c1:      "Cup\u009b31mred",
	bidi:    "Tea \u202egnp.exe\u202c",
	formula: "=HYPERLINK(\"http://evil\",\"x\")",
	long:    strings.Repeat("L", 300),
	cjk:     "茶杯茶杯茶杯茶杯茶杯茶杯茶杯茶杯",
	accents: strings.Repeat("e\u0301", 40),
}

func hostileReports() (register.ClosingReport, register.NightlyReport) {
	counted, diff, by := "148.50", "-1.50", "anna\x1b]0;x\x07"
	closed := "2026-11-25T18:00:00+01:00"
	c := register.ClosingReport{
		SessionID: 7, Register: "Front" + hostile.bidi, Outlet: "Gent" + hostile.esc,
		OpenedAt: "2026-11-25T09:00:00+01:00", OpenedBy: hostile.formula, ClosedAt: &closed, ClosedBy: &by,
		OpeningFloat: "150.00",
		Payments: []register.TypeFigures{
			{Type: "Cash", Expected: "150.00", Counted: &counted, Difference: &diff},
			{Type: hostile.c1, Expected: "20.00"},
		},
		SalesTotal: "0.00", ShippingFees: "0.00", AwaitingPaymentTotal: "0.00",
		AppliedPayments: []register.AppliedFigure{{ReceiptNumber: "#1001" + hostile.esc, Type: hostile.long, Amount: "30.95", PaidAt: closed}},
	}
	n := register.NightlyReport{
		Outlet: "Gent" + hostile.c1, Day: "2026-11-25", Timezone: "Europe/Brussels", From: closed, To: closed, GeneratedAt: closed,
		Sessions:        []register.ClosingReport{c},
		OpenSessions:    []register.OpenSession{{SessionID: 8, Register: hostile.formula, OpenedAt: closed}},
		Payments:        []register.TypeTotal{{Type: hostile.bidi, Count: 1, Amount: "10.00"}},
		ShippingFees:    "0.00",
		NegativeStock:   []register.NegativeStock{{SKU: "-SKU", Name: hostile.cjk, Lowest: -3, EndOfDay: -2}, {SKU: "A", Name: hostile.accents, Lowest: -1}},
		AwaitingPayment: []register.AwaitingSale{{ReceiptNumber: "@1002" + hostile.esc, Balance: "12.45", AgeDays: 2}},
		ImportFailures: []register.ImportFailure{{OrderName: "#1003", Reason: "line 1 (" + hostile.esc + "):\nquantity 0" + hostile.long,
			At: closed}},
		AwaitingPaymentTotal: "12.45",
	}
	return c, n
}

// TestTextReportsCleanHostileText prints reports whose names carry escape sequences, C1
// and bidi controls, formulas, 300 characters, and wide or accented letters at the edge:
// no control reaches the receipt printer, and every line fits its 48 columns.
func TestTextReportsCleanHostileText(t *testing.T) {
	t.Parallel()
	c, n := hostileReports()
	var b bytes.Buffer
	if err := c.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	if err := n.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for i, l := range strings.Split(out, "\n") {
		if strings.ContainsFunc(l, func(r rune) bool {
			return r < 0x20 || (r >= 0x7f && r <= 0x9f) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
		}) {
			t.Errorf("line %d holds a control character: %q", i+1, l)
		}
		if w := ansi.StringWidth(l); w > register.Width {
			t.Errorf("line %d is %d columns wide: %q", i+1, w, l)
		}
		if strings.Contains(l, "e\u0301") && strings.Count(l, "e") != strings.Count(l, "\u0301") {
			t.Errorf("line %d splits a letter from its accent: %q", i+1, l)
		}
	}
	for _, want := range []string{"GentMug[2Jd", "Cup31mred", "Tea gnp.exe", "茶杯", "…", "-1.50"} {
		if !strings.Contains(out, want) {
			t.Errorf("the report does not show %q:\n%s", want, out)
		}
	}
}

// TestCSVReportsDefuseFormulas writes the same reports as CSV: a text cell that a
// spreadsheet would run is shown as text, amounts stay numbers.
func TestCSVReportsDefuseFormulas(t *testing.T) {
	t.Parallel()
	c, n := hostileReports()
	var b bytes.Buffer
	if err := c.WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	if err := n.WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(strings.ReplaceAll(b.String(), "section,item,figure,value\n", ""))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	for _, r := range rows {
		for _, cell := range r {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) && !isAmount(cell) {
				t.Errorf("cell %q of row %q starts a formula", cell, r)
			}
			if strings.ContainsAny(cell, "\x1b\u009b\u202e") {
				t.Errorf("cell %q keeps a control character", cell)
			}
			found[cell] = true
		}
	}
	for _, want := range []string{"'" + hostile.formula, "'-SKU", "'@1002Mug[2Jd", "-1.50", "-3"} {
		if !found[want] {
			t.Errorf("no cell %q in:\n%s", want, b.String())
		}
	}
}

func isAmount(s string) bool {
	return strings.Trim(strings.TrimLeft(s, "+-"), "0123456789.") == "" && len(strings.TrimLeft(s, "+-")) > 0
}
