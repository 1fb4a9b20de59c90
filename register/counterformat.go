package register

import (
	"strconv"
	"strings"
)

// counterText writes the session's returns, voided sales and cash movements.
func (r ClosingReport) counterText(w *textWriter) {
	w.section("Returns")
	if len(r.Returns) == 0 {
		w.line("none")
	}
	for _, x := range r.Returns {
		w.pair(x.ReceiptNumber, x.Total)
		w.taken(shortTime(x.ReturnedAt), x.RecordedBy, x.Token)
		for _, f := range x.Refunds {
			w.sub("refund "+f.Type, f.Amount)
		}
	}
	w.section("Voided sales")
	if len(r.VoidedSales) == 0 {
		w.line("none")
	}
	for _, v := range r.VoidedSales {
		w.pair(v.ReceiptNumber+" (not counted)", v.Total)
		w.taken(shortTime(v.VoidedAt), v.VoidedBy, v.Token)
		w.wrapped("  reason: ", v.Reason)
	}
	w.section("Cash in and out")
	if len(r.CashMovements) == 0 {
		w.line("none")
	}
	for _, m := range r.CashMovements {
		amount := m.Amount
		if m.Kind == CashOut {
			amount = "-" + amount
		}
		w.pair(timeOfDay(m.MovedAt)+" cash "+m.Kind, amount)
		w.taken(shortTime(m.MovedAt), m.RecordedBy, m.Token)
		w.wrapped("  reason: ", m.Reason)
	}
}

// counterCSV writes the counter's figures: in-store sales, returns, voided sales and cash.
func (r ClosingReport) counterCSV(row func(section, item, figure, value string)) {
	row("sales", "", "in_store_sales_count", strconv.Itoa(r.InStoreCount))
	row("sales", "", "in_store_sales_total", r.InStoreTotal)
	row("returns", "", "returns_total", r.ReturnsTotal)
	for _, x := range r.Returns {
		row("returns", x.ReceiptNumber, "sale_receipt", x.SaleReceipt)
		row("returns", x.ReceiptNumber, "total", x.Total)
		row("returns", x.ReceiptNumber, "returned_at", x.ReturnedAt)
		row("returns", x.ReceiptNumber, "recorded_by", x.RecordedBy)
		for _, f := range x.Refunds {
			row("returns", x.ReceiptNumber, "refund "+strings.ToLower(f.Type), f.Amount)
		}
	}
	for _, v := range r.VoidedSales {
		row("voided_sales", v.ReceiptNumber, "total", v.Total)
		row("voided_sales", v.ReceiptNumber, "voided_at", v.VoidedAt)
		row("voided_sales", v.ReceiptNumber, "voided_by", v.VoidedBy)
		row("voided_sales", v.ReceiptNumber, "reason", v.Reason)
	}
	row("cash", "", "cash_in", r.CashIn)
	row("cash", "", "cash_out", r.CashOut)
	for i, m := range r.CashMovements {
		item := strconv.Itoa(i + 1)
		row("cash", item, "kind", m.Kind)
		row("cash", item, "amount", m.Amount)
		row("cash", item, "reason", m.Reason)
		row("cash", item, "moved_at", m.MovedAt)
		row("cash", item, "recorded_by", m.RecordedBy)
	}
}
