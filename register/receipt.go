package register

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/kassa-pos/kassa/internal/pg"
	"github.com/kassa-pos/kassa/internal/text"
	"github.com/kassa-pos/kassa/inventory"
	"github.com/kassa-pos/kassa/money"
	"github.com/kassa-pos/kassa/sales"
)

// The customer's receipts of a sale and of a return, for the 48-column receipt printer
// (or a file). Every text on them is cleaned as on the reports: a product's or customer's
// name from Shopify cannot carry printer commands or reorder the line.

// WriteSaleReceipt writes a sale's receipt (its lines, taxes per rate, payments, change,
// and, when voided, the void). The sale needs its detail and names (SaleByReceipt and
// NameSale).
func WriteSaleReceipt(out io.Writer, s sales.Sale) error {
	loc, err := time.LoadLocation(s.OutletTZ)
	if err != nil {
		loc = time.UTC
	}
	var w textWriter
	w.rule("=")
	w.center(s.OutletName)
	if s.Voided {
		w.center("RECEIPT - VOIDED")
	} else {
		w.center("RECEIPT")
	}
	w.rule("=")
	w.pair("Receipt", s.ReceiptNumber)
	w.pair("Date", s.SoldAt.In(loc).Format("2006-01-02 15:04"))
	w.pair("Register", s.RegisterName)
	if s.SoldBy != "" {
		w.pair("Served by", s.SoldBy)
	}
	if s.CustomerID != nil {
		w.pair("Customer", firstNonEmpty(s.CustomerName, s.CustomerEmail))
	}
	w.rule("-")
	rates := map[string]decimal.Decimal{}
	var order []string
	for _, l := range s.Lines {
		name := l.Title
		if l.VariantTitle != "" {
			name += " - " + l.VariantTitle
		}
		w.line(name)
		w.sub(fmt.Sprintf("%d x %s", l.Quantity, money.String(l.UnitPrice)), money.String(l.UnitPrice.Mul(decimal.NewFromInt(int64(l.Quantity)))))
		if l.Discount.IsPositive() {
			w.sub("discount", "-"+money.String(l.Discount))
		}
		for _, t := range l.Taxes {
			key := percent(t.Rate)
			if _, seen := rates[key]; !seen {
				order = append(order, key)
			}
			rates[key] = rates[key].Add(t.Amount)
		}
	}
	w.rule("-")
	if !s.TaxesIncluded {
		w.pair("Subtotal", money.String(s.Subtotal))
		for _, r := range order {
			w.pair("VAT "+r+"%", money.String(rates[r]))
		}
	}
	w.pair("TOTAL "+s.Currency, money.String(s.Total))
	if s.TaxesIncluded {
		for _, r := range order {
			w.sub("incl. VAT "+r+"%", money.String(rates[r]))
		}
	}
	if s.DiscountTotal.IsPositive() {
		w.sub("you saved", money.String(s.DiscountTotal))
	}
	w.rule("-")
	for _, p := range s.Payments {
		label := p.TypeName
		if p.Void != nil {
			label += " (voided)"
		}
		w.pair(label, money.String(p.Amount))
	}
	if s.ChangeGiven.IsPositive() {
		w.pair("Change", money.String(s.ChangeGiven))
	}
	if s.Balance.IsPositive() {
		w.pair("Still to pay", money.String(s.Balance))
	}
	if v := s.Void; v != nil {
		w.rule("-")
		w.pair("VOIDED", v.VoidedAt.In(loc).Format("2006-01-02 15:04"))
		w.line("  " + v.RecordedBy + ": " + v.Reason)
	}
	for _, r := range s.Returns {
		w.pair("Return "+r.ReceiptNumber, money.String(r.Total))
	}
	w.rule("=")
	_, err = io.WriteString(out, w.String())
	return err
}

// WriteReturnReceipt writes a return's receipt: the sale it belongs to, the lines given
// back, and the refunds.
func WriteReturnReceipt(out io.Writer, r sales.Return, outletName, tz, currency string) error {
	loc, err := time.LoadLocation(tz)
	if err != nil {
		loc = time.UTC
	}
	var w textWriter
	w.rule("=")
	w.center(outletName)
	switch r.Kind {
	case sales.ReturnKindAdjustment:
		w.center("ADJUSTMENT")
	case sales.ReturnKindWriteOff:
		w.center("WRITE-OFF")
	default:
		w.center("RETURN")
	}
	w.rule("=")
	w.pair("Receipt", r.ReceiptNumber)
	w.pair("For sale", r.SaleReceipt)
	w.pair("Date", r.ReturnedAt.In(loc).Format("2006-01-02 15:04"))
	if r.RegisterName != "" {
		w.pair("Register", r.RegisterName)
	}
	w.pair("Taken by", r.RecordedBy)
	if r.Reason != "" {
		w.pair("Reason", r.Reason)
	}
	w.rule("-")
	for _, l := range r.Lines {
		w.line(l.Title)
		qty := strconv.Itoa(l.Quantity)
		if l.Restock {
			qty += ", back to stock"
		}
		w.sub(qty, money.String(l.Amount))
	}
	w.rule("-")
	if !r.TaxTotal.IsZero() {
		w.sub("tax", money.String(r.TaxTotal))
	}
	w.pair("REFUND TOTAL "+strings.TrimSpace(currency), money.String(r.Total))
	for _, f := range r.Refunds {
		w.pair(f.TypeName, money.String(f.Amount))
	}
	w.rule("=")
	_, err = io.WriteString(out, w.String())
	return err
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if strings.TrimSpace(s) != "" {
			return s
		}
	}
	return ""
}

// ReceiptText finds a sale or a return by its receipt number (in an outlet, or in any
// when outletID is 0 and the number is unique) and writes its receipt.
func (s Service) ReceiptText(ctx context.Context, q pg.Queryer, outletID int64, receipt string) (string, error) {
	var b strings.Builder
	st := sales.Store{}
	receipt = strings.TrimSpace(receipt)
	if returnReceipt.MatchString(receipt) {
		r, err := st.ReturnByReceipt(ctx, q, outletID, receipt)
		if err == nil {
			tz, err := s.store().NameReturn(ctx, q, &r)
			if err != nil {
				return "", err
			}
			o, err := inventory.Store{}.Outlet(ctx, q, r.OutletID)
			if err != nil {
				return "", err
			}
			err = WriteReturnReceipt(&b, r, o.Name, tz, o.Currency)
			return b.String(), err
		}
		if !errors.Is(err, sales.ErrNotFound) {
			return "", err
		}
	}
	sale, err := st.SaleByReceipt(ctx, q, outletID, receipt)
	if err != nil {
		return "", err
	}
	if err := s.store().NameSale(ctx, q, &sale); err != nil {
		return "", err
	}
	err = WriteSaleReceipt(&b, sale)
	return b.String(), err
}

// returnReceipt is the form of a return's receipt number: the sale's, then -R and a number.
var returnReceipt = regexp.MustCompile(`-R[0-9]+$`)

// sub is pair indented by two columns, for the details under a line or a total.
func (w *textWriter) sub(label, value string) {
	label, value = text.Clean(label, 0), text.Clean(value, 0)
	gap := Width - 2 - text.Width(label) - text.Width(value)
	if gap < 1 {
		w.line("  " + label)
		w.line(pad(value, Width))
		return
	}
	w.line("  " + label + strings.Repeat(" ", gap) + value)
}
