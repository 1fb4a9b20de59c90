package register

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/kassa-pos/kassa/internal/text"
)

// Width is the number of columns of the text reports: a 80 mm receipt printer's line.
const Width = 48

// Report formats.
const (
	FormatText = "text"
	FormatJSON = "json"
	FormatCSV  = "csv"
)

// textWriter lays out a report for the receipt printer: every line at most Width
// columns. Every text it is given is cleaned (internal/text): names and titles typed in
// Shopify's checkout could otherwise carry ESC bytes, which a receipt printer takes as
// commands, and C1 or bidirectional controls.
type textWriter struct {
	b strings.Builder
}

// line writes s, cleaned and clipped to Width; its indentation is kept.
func (w *textWriter) line(s string) {
	body := strings.TrimLeft(s, " ")
	indent := len(s) - len(body)
	if indent >= Width {
		indent = 0
	}
	w.b.WriteString(strings.TrimRight(s[:indent]+text.Clip(body, Width-indent), " "))
	w.b.WriteByte('\n')
}

func (w *textWriter) rule(c string) { w.line(strings.Repeat(c, Width)) }

func (w *textWriter) center(s string) {
	s = text.Clip(s, Width)
	w.line(strings.Repeat(" ", (Width-text.Width(s))/2) + s)
}

// pair prints a label on the left and a value on the right; when both do not fit on one
// line the value goes on its own line, right-aligned.
func (w *textWriter) pair(label, value string) {
	label, value = text.Clean(label, 0), text.Clean(value, 0)
	gap := Width - text.Width(label) - text.Width(value)
	if gap < 1 {
		w.line(label)
		w.line(pad(value, Width))
		return
	}
	w.line(label + strings.Repeat(" ", gap) + value)
}

// columns prints a first column of width first and the rest right-aligned in cols of
// width each. A first cell too long for its column goes on a line of its own.
func (w *textWriter) columns(first int, each int, cells ...string) {
	head := text.Clean(cells[0], 0)
	if text.Width(head) > first {
		w.line(head)
		head = ""
	}
	var b strings.Builder
	b.WriteString(head + strings.Repeat(" ", first-text.Width(head)))
	for _, c := range cells[1:] {
		b.WriteString(pad(text.Clean(c, 0), each))
	}
	w.line(b.String())
}

func (w *textWriter) section(title string) {
	w.rule("-")
	w.line(strings.ToUpper(title))
}

func (w *textWriter) String() string { return w.b.String() }

// pad right-aligns s in n columns.
func pad(s string, n int) string {
	k := text.Width(s)
	if k >= n {
		return s
	}
	return strings.Repeat(" ", n-k) + s
}

// shortTime shows an RFC 3339 time of a report as "2026-11-25 09:00" (its own offset).
func shortTime(rfc string) string {
	t, err := time.Parse(time.RFC3339, rfc)
	if err != nil {
		return rfc
	}
	return t.Format("2006-01-02 15:04")
}

// timeOfDay shows an RFC 3339 time of a report as "14:05".
func timeOfDay(rfc string) string {
	t, err := time.Parse(time.RFC3339, rfc)
	if err != nil {
		return rfc
	}
	return t.Format("15:04")
}

// WriteText writes the closing report (or, for an open session, the X-report) as text
// for a 48-column receipt printer.
func (r ClosingReport) WriteText(out io.Writer) error {
	var w textWriter
	r.text(&w, true)
	_, err := io.WriteString(out, w.String())
	return err
}

func (r ClosingReport) text(w *textWriter, full bool) {
	if full {
		w.rule("=")
		if r.Open() {
			w.center("X-REPORT (SESSION OPEN)")
		} else {
			w.center("CLOSING REPORT")
		}
		w.rule("=")
		w.pair("Outlet", r.Outlet)
	}
	w.pair("Register", r.Register)
	w.pair("Report", r.reportNumber())
	w.pair("Session", strconv.FormatInt(r.SessionID, 10))
	w.pair("Opened", shortTime(r.OpenedAt)+" "+r.OpenedBy)
	w.via(r.OpenedToken)
	if r.ClosedAt != nil {
		by := ""
		if r.ClosedBy != nil {
			by = *r.ClosedBy
		}
		w.pair("Closed", shortTime(*r.ClosedAt)+" "+by)
		w.via(r.ClosedToken)
	} else {
		w.pair("Closed", "still open")
	}
	w.pair("Opening float", r.OpeningFloat)

	heading := w.section
	if !full {
		// Inside the nightly report a session's parts are not sections of their own.
		heading = func(title string) { w.line(title + ":") }
	}
	heading("Payments")
	w.columns(15, 11, "", "expected", "counted", "difference")
	for _, p := range r.Payments {
		if p.Counted == nil {
			w.columns(15, 11, p.Type, p.Expected, "", "not counted")
			continue
		}
		w.columns(15, 11, p.Type, p.Expected, *p.Counted, *p.Difference)
	}

	heading("Sales")
	w.pair("Sales", strconv.Itoa(r.SalesCount))
	w.pair("Sales total", r.SalesTotal)
	w.pair("Shopify orders imported", strconv.Itoa(r.ShopifyOrders))
	w.pair("Shopify shipping fees", r.ShippingFees)
	w.pair("In-store sales ("+strconv.Itoa(r.InStoreCount)+")", r.InStoreTotal)
	w.pair("Returns ("+strconv.Itoa(len(r.Returns))+")", r.ReturnsTotal)
	w.pair("Voided sales ("+strconv.Itoa(len(r.VoidedSales))+")", "not counted")
	w.pair("Cash in", r.CashIn)
	w.pair("Cash out", r.CashOut)
	// Adjustments and write-offs recorded against sales: shown when the session has any.
	for _, d := range []struct {
		name string
		f    DocumentFigure
	}{{"Adjustments", r.Adjustments}, {"Write-offs", r.WriteOffs}} {
		if d.f.Count > 0 {
			w.pair(fmt.Sprintf("%s (%d)", d.name, d.f.Count), d.f.Total)
		}
	}
	if !full {
		return
	}
	r.counterText(w)

	w.section("Payments for earlier sales")
	if len(r.AppliedPayments) == 0 {
		w.line("none")
	}
	for _, a := range r.AppliedPayments {
		w.pair(a.ReceiptNumber+" "+a.Type, a.Amount)
		w.taken(shortTime(a.PaidAt), a.RecordedBy, a.Token)
		if a.Voided {
			w.line("  voided: see voided payments")
		}
	}
	r.voidsText(w)

	w.section("Taxes")
	if len(r.Taxes) == 0 {
		w.line("none")
	}
	for _, t := range r.Taxes {
		w.pair(t.Rate+" %", t.Amount)
	}

	w.section("Awaiting payment (outlet)")
	label := "at close"
	if r.Open() {
		label = "now"
	}
	w.pair(salesCount(r.AwaitingPaymentCount)+", "+label, r.AwaitingPaymentTotal)
	w.rule("=")
}

// WriteCSV writes the closing report as CSV with a header row, one figure per row:
// section, item, figure, value.
func (r ClosingReport) WriteCSV(out io.Writer) error {
	cw := csv.NewWriter(out)
	csvRow(cw, "section", "item", "figure", "value")
	r.csvRows(cw, "")
	cw.Flush()
	return cw.Error()
}

// csvRows writes the report's rows; prefix tells sessions apart inside a nightly report.
func (r ClosingReport) csvRows(cw *csv.Writer, prefix string) {
	row := func(section, item, figure, value string) {
		csvRow(cw, prefix+section, item, figure, value)
	}
	row("session", "", "session_id", strconv.FormatInt(r.SessionID, 10))
	row("session", "", "z_number", zNumber(r.ZNumber))
	row("session", "", "register", r.Register)
	row("session", "", "outlet", r.Outlet)
	row("session", "", "opened_at", r.OpenedAt)
	row("session", "", "opened_by", r.OpenedBy)
	row("session", "", "opened_token", deref(r.OpenedToken))
	row("session", "", "closed_at", deref(r.ClosedAt))
	row("session", "", "closed_by", deref(r.ClosedBy))
	row("session", "", "closed_token", deref(r.ClosedToken))
	row("session", "", "opening_float", r.OpeningFloat)
	for _, p := range r.Payments {
		row("payments", p.Type, "expected", p.Expected)
		row("payments", p.Type, "counted", deref(p.Counted))
		row("payments", p.Type, "difference", deref(p.Difference))
	}
	row("sales", "", "sales_count", strconv.Itoa(r.SalesCount))
	row("sales", "", "sales_total", r.SalesTotal)
	row("sales", "", "shopify_orders", strconv.Itoa(r.ShopifyOrders))
	row("sales", "", "shipping_fees", r.ShippingFees)
	for _, a := range r.AppliedPayments {
		row("applied_payments", a.ReceiptNumber, "type", a.Type)
		row("applied_payments", a.ReceiptNumber, "amount", a.Amount)
		row("applied_payments", a.ReceiptNumber, "paid_at", a.PaidAt)
		row("applied_payments", a.ReceiptNumber, "payment_id", strconv.FormatInt(a.PaymentID, 10))
		row("applied_payments", a.ReceiptNumber, "recorded_by", a.RecordedBy)
		row("applied_payments", a.ReceiptNumber, "token", deref(a.Token))
		row("applied_payments", a.ReceiptNumber, "voided", strconv.FormatBool(a.Voided))
	}
	r.voidsCSV(row)
	r.counterCSV(row)
	for _, t := range r.Taxes {
		row("taxes", t.Rate, "amount", t.Amount)
	}
	row("awaiting_payment", "", "awaiting_payment_total", r.AwaitingPaymentTotal)
	row("awaiting_payment", "", "awaiting_payment_count", strconv.Itoa(r.AwaitingPaymentCount))
	if r.Adjustments.Count+r.WriteOffs.Count > 0 {
		row("documents", "adjustments", "count", strconv.Itoa(r.Adjustments.Count))
		row("documents", "adjustments", "total", r.Adjustments.Total)
		row("documents", "write_offs", "count", strconv.Itoa(r.WriteOffs.Count))
		row("documents", "write_offs", "total", r.WriteOffs.Total)
	}
}

// csvRow writes one CSV row with every cell made safe for a spreadsheet: names typed in
// Shopify's checkout ("=HYPERLINK(...)") are shown as text, never run as formulas. Amounts
// are plain numbers and stay as they are. The writer's error is checked at Flush.
func csvRow(cw *csv.Writer, cells ...string) {
	for i, c := range cells {
		cells[i] = text.CSVCell(c)
	}
	_ = cw.Write(cells)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// maxTextAwaiting caps the sales awaiting payment a printed nightly report lists one by
// one (oldest first); the JSON and CSV reports list them all.
const maxTextAwaiting = 20

// WriteText writes the nightly report as text for a 48-column receipt printer.
func (r NightlyReport) WriteText(out io.Writer) error {
	var w textWriter
	w.rule("=")
	w.center("NIGHTLY REPORT")
	w.center(r.Outlet + " " + r.Day)
	w.rule("=")
	w.pair("Time zone", r.Timezone)
	w.pair("From", shortTime(r.From))
	w.pair("To", shortTime(r.To))
	w.pair("Generated", shortTime(r.GeneratedAt))

	if len(r.OpenSessions) > 0 {
		w.rule("!")
		w.line("WARNING: registers not closed at end of day")
		for _, o := range r.OpenSessions {
			w.pair(o.Register+" (session "+strconv.FormatInt(o.SessionID, 10)+")", "open since "+shortTime(o.OpenedAt))
		}
		w.rule("!")
	}

	w.section("Sessions")
	if len(r.Sessions) == 0 {
		w.line("none")
	}
	for i, s := range r.Sessions {
		if i > 0 {
			w.line(strings.Repeat("- ", Width/2))
		}
		s.text(&w, false)
	}

	w.section("Payments of the day")
	if len(r.Payments) == 0 {
		w.line("none")
	}
	for _, p := range r.Payments {
		w.columns(30, 18, fmt.Sprintf("%s (%d)", p.Type, p.Count), p.Amount)
	}

	w.section("Sales of the day")
	for _, s := range r.Sales {
		name := "In store"
		if s.Source == "shopify" {
			name = "Shopify"
		}
		w.columns(30, 18, fmt.Sprintf("%s (%d)", name, s.Count), s.Total)
	}
	w.columns(30, 18, "Shipping fees", r.ShippingFees)
	for _, x := range r.Returns {
		name := "Returns in store"
		if x.Source == "shopify" {
			name = "Refunds in Shopify"
		}
		w.columns(30, 18, fmt.Sprintf("%s (%d)", name, x.Count), x.Total)
	}
	w.columns(30, 18, fmt.Sprintf("Voided sales (%d)", r.VoidedSalesCount), r.VoidedSalesTotal)
	w.columns(30, 18, "Cash in", r.CashIn)
	w.columns(30, 18, "Cash out", r.CashOut)

	w.section("Taxes of the day")
	if len(r.Taxes) == 0 {
		w.line("none")
	}
	for _, t := range r.Taxes {
		w.pair(t.Rate+" %", t.Amount)
	}

	w.section("Stock that went negative")
	if len(r.NegativeStock) == 0 {
		w.line("none")
	} else {
		w.columns(28, 10, "", "lowest", "day end")
	}
	for _, n := range r.NegativeStock {
		item := n.Name
		if n.SKU != "" {
			item = n.SKU + " " + n.Name
		}
		w.columns(28, 10, text.Clip(item, 28), strconv.Itoa(n.Lowest), strconv.Itoa(n.EndOfDay))
	}

	if len(r.StockCorrections) > 0 {
		w.section("Stock corrected in Shopify")
		w.columns(28, 10, "", "was", "now")
		for _, c := range r.StockCorrections {
			item := c.Name
			if c.SKU != "" {
				item = c.SKU + " " + c.Name
			}
			was := "none"
			if c.ShopAvailable != nil {
				was = strconv.Itoa(*c.ShopAvailable)
			}
			w.columns(28, 10, text.Clip(item, 28), was, strconv.Itoa(c.Level))
		}
	}

	w.section("Awaiting payment")
	w.pair(salesCount(max(r.AwaitingPaymentCount, len(r.AwaitingPayment))), r.AwaitingPaymentTotal)
	for i, a := range r.AwaitingPayment {
		if i == maxTextAwaiting {
			break
		}
		w.columns(20, 14, a.ReceiptNumber, days(a.AgeDays), a.Balance)
	}
	if more := max(r.AwaitingPaymentCount, len(r.AwaitingPayment)) - min(len(r.AwaitingPayment), maxTextAwaiting); more > 0 {
		w.line(fmt.Sprintf("... and %d more", more))
	}

	w.section("Import failures")
	if len(r.ImportFailures) == 0 {
		w.line("none")
	}
	for _, f := range r.ImportFailures {
		state := "not imported yet"
		if f.Resolved {
			state = "imported later"
		}
		w.pair(f.OrderName+" "+timeOfDay(f.At), state)
		w.line("  " + f.Reason)
	}

	if len(r.ExpiringFailures) > 0 {
		// Only when there are some: fix them before Shopify stops handing them out.
		w.section("Failed, leaving Shopify soon")
		for _, e := range r.ExpiringFailures {
			w.pair(e.OrderName, days(e.AgeDays))
			w.line("  gone " + shortTime(e.LeavesAt) + ": " + e.Reason)
		}
	}

	w.section("Reconciliation with Shopify")
	if len(r.Reconciliations) == 0 {
		w.line("not run")
	}
	for _, x := range r.Reconciliations {
		switch {
		case x.Error != "":
			w.pair(x.Shop, "failed")
			w.line("  " + x.Error)
		case x.Differences == 1:
			w.pair(x.Shop, "1 difference")
		default:
			w.pair(x.Shop, strconv.Itoa(x.Differences)+" differences")
		}
		if x.Differences > 0 && x.Error == "" {
			state := "not recorded"
			if x.Fixed {
				state = "recorded"
			}
			w.line(fmt.Sprintf("  %d orders compared, %s", x.Orders, state))
		}
		for _, d := range x.FirstDifferences {
			w.line("  " + d.OrderName)
			for _, why := range d.Reasons {
				w.wrapped("    ", text.Clean(why, 0))
			}
		}
		if more := x.Differences - len(x.FirstDifferences); more > 0 {
			w.line(fmt.Sprintf("  ... and %d more", more))
		}
	}

	w.section("Orders changed in Shopify")
	if len(r.OrderChanges) == 0 {
		w.line("none")
	}
	for _, c := range r.OrderChanges {
		state := "recorded"
		if c.Outcome == "needs_review" {
			state = "needs review"
		}
		w.pair(c.OrderName+" "+timeOfDay(c.At), state)
		w.line("  " + c.Reason)
	}
	w.rule("=")
	_, err := io.WriteString(out, w.String())
	return err
}

func salesCount(n int) string {
	if n == 1 {
		return "1 sale"
	}
	return strconv.Itoa(n) + " sales"
}

func days(n int) string {
	if n == 1 {
		return "1 day"
	}
	return strconv.Itoa(n) + " days"
}

// WriteCSV writes the nightly report as CSV with a header row, one figure per row:
// section, item, figure, value. Each session's closing figures come with the section
// prefixed by "session N: ".
func (r NightlyReport) WriteCSV(out io.Writer) error {
	cw := csv.NewWriter(out)
	row := func(section, item, figure, value string) {
		csvRow(cw, section, item, figure, value)
	}
	row("section", "item", "figure", "value")
	row("report", "", "outlet", r.Outlet)
	row("report", "", "day", r.Day)
	row("report", "", "timezone", r.Timezone)
	row("report", "", "from", r.From)
	row("report", "", "to", r.To)
	row("report", "", "generated_at", r.GeneratedAt)
	for _, s := range r.Sessions {
		s.csvRows(cw, "session "+strconv.FormatInt(s.SessionID, 10)+": ")
	}
	for _, o := range r.OpenSessions {
		row("open_sessions", strconv.FormatInt(o.SessionID, 10), "register", o.Register)
		row("open_sessions", strconv.FormatInt(o.SessionID, 10), "opened_at", o.OpenedAt)
	}
	for _, p := range r.Payments {
		row("payments", p.Type, "count", strconv.Itoa(p.Count))
		row("payments", p.Type, "amount", p.Amount)
	}
	for _, s := range r.Sales {
		row("sales", s.Source, "count", strconv.Itoa(s.Count))
		row("sales", s.Source, "total", s.Total)
	}
	row("sales", "", "shipping_fees", r.ShippingFees)
	for _, x := range r.Returns {
		row("returns", x.Source, "count", strconv.Itoa(x.Count))
		row("returns", x.Source, "total", x.Total)
	}
	row("sales", "", "voided_sales_count", strconv.Itoa(r.VoidedSalesCount))
	row("sales", "", "voided_sales_total", r.VoidedSalesTotal)
	row("cash", "", "cash_in", r.CashIn)
	row("cash", "", "cash_out", r.CashOut)
	for _, t := range r.Taxes {
		row("taxes", t.Rate, "amount", t.Amount)
	}
	for _, n := range r.NegativeStock {
		row("negative_stock", n.SKU, "name", n.Name)
		row("negative_stock", n.SKU, "lowest", strconv.Itoa(n.Lowest))
		row("negative_stock", n.SKU, "end_of_day", strconv.Itoa(n.EndOfDay))
	}
	for _, c := range r.StockCorrections {
		was := ""
		if c.ShopAvailable != nil {
			was = strconv.Itoa(*c.ShopAvailable)
		}
		row("stock_corrections", c.SKU, "shop_available", was)
		row("stock_corrections", c.SKU, "kassa_level", strconv.Itoa(c.Level))
	}
	for _, a := range r.AwaitingPayment {
		row("awaiting_payment", a.ReceiptNumber, "balance", a.Balance)
		row("awaiting_payment", a.ReceiptNumber, "age_days", strconv.Itoa(a.AgeDays))
	}
	row("awaiting_payment", "", "awaiting_payment_total", r.AwaitingPaymentTotal)
	row("awaiting_payment", "", "awaiting_payment_count", strconv.Itoa(r.AwaitingPaymentCount))
	for _, f := range r.ImportFailures {
		row("import_failures", f.OrderName, "reason", f.Reason)
		row("import_failures", f.OrderName, "at", f.At)
		row("import_failures", f.OrderName, "resolved", strconv.FormatBool(f.Resolved))
	}
	for _, e := range r.ExpiringFailures {
		row("expiring_failures", e.OrderName, "age_days", strconv.Itoa(e.AgeDays))
		row("expiring_failures", e.OrderName, "leaves_at", e.LeavesAt)
		row("expiring_failures", e.OrderName, "reason", e.Reason)
	}
	for _, x := range r.Reconciliations {
		row("reconciliations", x.Shop, "at", x.At)
		row("reconciliations", x.Shop, "orders", strconv.Itoa(x.Orders))
		row("reconciliations", x.Shop, "differences", strconv.Itoa(x.Differences))
		row("reconciliations", x.Shop, "fixed", strconv.FormatBool(x.Fixed))
		row("reconciliations", x.Shop, "error", x.Error)
		for _, d := range x.FirstDifferences {
			for _, why := range d.Reasons {
				row("reconciliation_differences", d.OrderName, x.Shop, why)
			}
		}
	}
	for _, c := range r.OrderChanges {
		row("order_changes", c.OrderName, "outcome", c.Outcome)
		row("order_changes", c.OrderName, "reason", c.Reason)
		row("order_changes", c.OrderName, "at", c.At)
	}
	cw.Flush()
	return cw.Error()
}
