package register

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// CommandLine is how a report names an action taken on the command line, which has no
// API token.
const CommandLine = "command line"

// Via names where an action came from: the name of the API token it was taken with, or
// the command line when it had none.
func Via(token *string) string {
	if token == nil {
		return CommandLine
	}
	return *token
}

// reportNumber is "Z 12" for a closed session and "X" for one still open.
func (r ClosingReport) reportNumber() string {
	if r.ZNumber == nil {
		return "X"
	}
	return "Z " + strconv.Itoa(*r.ZNumber)
}

// zNumber is the Z number for CSV: empty while the session is open.
func zNumber(z *int) string {
	if z == nil {
		return ""
	}
	return strconv.Itoa(*z)
}

// via prints, right-aligned, where the action of the line above came from.
func (w *textWriter) via(token *string) {
	w.line(pad("via "+Via(token), Width))
}

// taken prints when and by whom a payment or void was recorded, and with which token, on
// one line when it fits and on two otherwise.
func (w *textWriter) taken(at, by string, token *string) {
	head, tail := "  "+at+" "+by, " ("+Via(token)+")"
	if utf8.RuneCountInString(head+tail) <= Width {
		w.line(head + tail)
		return
	}
	w.line(head)
	w.line("  " + strings.TrimSpace(tail))
}

// wrapped prints s after a prefix, on as many lines as it needs, cut at spaces where it
// can and inside a word that is too long for a line.
func (w *textWriter) wrapped(prefix, s string) {
	room := Width - utf8.RuneCountInString(prefix)
	indent := strings.Repeat(" ", utf8.RuneCountInString(prefix))
	lead := prefix
	words := strings.Fields(s)
	var cur []rune
	flush := func() {
		w.line(lead + string(cur))
		lead, cur = indent, cur[:0]
	}
	for _, word := range words {
		r := []rune(word)
		for len(r) > room {
			if len(cur) > 0 {
				flush()
			}
			cur = append(cur, r[:room]...)
			flush()
			r = r[room:]
		}
		switch {
		case len(cur) == 0:
			cur = append(cur, r...)
		case len(cur)+1+len(r) <= room:
			cur = append(append(cur, ' '), r...)
		default:
			flush()
			cur = append(cur, r...)
		}
	}
	if len(cur) > 0 || lead == prefix {
		flush()
	}
}

// voidsText prints the session's voided payments: each payment, and its void taking the
// amount back.
func (r ClosingReport) voidsText(w *textWriter) {
	w.section("Voided payments")
	if len(r.Voids) == 0 {
		w.line("none")
	}
	for _, v := range r.Voids {
		id := strconv.FormatInt(v.PaymentID, 10)
		w.pair(v.ReceiptNumber+" "+v.Type+", payment "+id, v.Amount)
		w.taken(shortTime(v.PaidAt), v.RecordedBy, v.Token)
		w.pair("Void of payment "+id, v.VoidedAmount)
		w.taken(shortTime(v.VoidedAt), v.VoidedBy, v.VoidToken)
		w.wrapped("  reason: ", v.Reason)
	}
}

// voidsCSV writes the session's voided payments, one row per figure, the payment's id as
// the item.
func (r ClosingReport) voidsCSV(row func(section, item, figure, value string)) {
	for _, v := range r.Voids {
		id := strconv.FormatInt(v.PaymentID, 10)
		row("voided_payments", id, "receipt_number", v.ReceiptNumber)
		row("voided_payments", id, "type", v.Type)
		row("voided_payments", id, "amount", v.Amount)
		row("voided_payments", id, "paid_at", v.PaidAt)
		row("voided_payments", id, "recorded_by", v.RecordedBy)
		row("voided_payments", id, "token", deref(v.Token))
		row("voided_payments", id, "voided_amount", v.VoidedAmount)
		row("voided_payments", id, "voided_at", v.VoidedAt)
		row("voided_payments", id, "voided_by", v.VoidedBy)
		row("voided_payments", id, "void_token", deref(v.VoidToken))
		row("voided_payments", id, "reason", v.Reason)
	}
}
