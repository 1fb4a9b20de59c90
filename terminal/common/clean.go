package common

import (
	"context"
	"reflect"

	"github.com/kassa-pos/kassa/daemon/client"
	"github.com/kassa-pos/kassa/internal/text"
)

// CleanAPI returns api with every string of every answer cleaned for the screen
// (internal/text): names, titles and reasons come from Shopify's checkout, where anyone
// can type an escape sequence that the terminal would obey. Strings become one clean
// line; the text of a printed report keeps its line breaks. The daemon's error messages,
// which may quote such text, are cleaned where they are shown (Describe).
//
// Every method of API is listed here on purpose: a method added to API does not compile
// until it says how its answer is cleaned.
func CleanAPI(api API) API { return cleanAPI{api: api} }

type cleanAPI struct{ api API }

var _ API = cleanAPI{}

// cleaned cleans every exported string reachable from v (fields, pointers, slices).
func cleaned[T any](v T, err error) (T, error) {
	scrub(reflect.ValueOf(&v).Elem())
	return v, err
}

func scrub(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		if v.CanSet() {
			v.SetString(text.Clean(v.String(), 0))
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			scrub(v.Elem())
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			scrub(v.Index(i))
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				scrub(v.Field(i))
			}
		}
	}
}

func (a cleanAPI) Me(ctx context.Context) (client.Me, error) { return cleaned(a.api.Me(ctx)) }

func (a cleanAPI) Outlets(ctx context.Context) ([]client.Outlet, error) {
	return cleaned(a.api.Outlets(ctx))
}

func (a cleanAPI) Registers(ctx context.Context) ([]client.Register, error) {
	return cleaned(a.api.Registers(ctx))
}

func (a cleanAPI) Register(ctx context.Context, ref string) (client.Register, error) {
	return cleaned(a.api.Register(ctx, ref))
}

func (a cleanAPI) OpenRegister(ctx context.Context, ref string, req client.OpenRequest) (client.Register, error) {
	return cleaned(a.api.OpenRegister(ctx, ref, req))
}

func (a cleanAPI) CloseRegister(ctx context.Context, ref string, req client.CloseRequest) (client.ClosingReport, error) {
	return cleaned(a.api.CloseRegister(ctx, ref, req))
}

func (a cleanAPI) Sessions(ctx context.Context, ref string, limit int) ([]client.Session, error) {
	return cleaned(a.api.Sessions(ctx, ref, limit))
}

func (a cleanAPI) PaymentTypes(ctx context.Context) ([]client.PaymentType, error) {
	return cleaned(a.api.PaymentTypes(ctx))
}

func (a cleanAPI) Sales(ctx context.Context, q client.SalesQuery) ([]client.Sale, error) {
	return cleaned(a.api.Sales(ctx, q))
}

func (a cleanAPI) Sale(ctx context.Context, receipt, outlet string) (client.Sale, error) {
	return cleaned(a.api.Sale(ctx, receipt, outlet))
}

func (a cleanAPI) ApplyPayment(ctx context.Context, req client.PaymentRequest) (client.Payment, error) {
	return cleaned(a.api.ApplyPayment(ctx, req))
}

func (a cleanAPI) StartImport(ctx context.Context, req client.ImportRequest) (client.ImportRun, error) {
	return cleaned(a.api.StartImport(ctx, req))
}

func (a cleanAPI) ImportRuns(ctx context.Context, shop string, limit int) ([]client.ImportRun, error) {
	return cleaned(a.api.ImportRuns(ctx, shop, limit))
}

func (a cleanAPI) ImportRun(ctx context.Context, runID int64) (client.ImportRun, error) {
	return cleaned(a.api.ImportRun(ctx, runID))
}

func (a cleanAPI) ImportOutcomes(ctx context.Context, runID int64, outcome string) ([]client.Outcome, error) {
	return cleaned(a.api.ImportOutcomes(ctx, runID, outcome))
}

func (a cleanAPI) ExpiringOrders(ctx context.Context, shop string) ([]client.ExpiringOrder, error) {
	return cleaned(a.api.ExpiringOrders(ctx, shop))
}

func (a cleanAPI) ClosingReport(ctx context.Context, sessionID int64) (client.ClosingReport, error) {
	return cleaned(a.api.ClosingReport(ctx, sessionID))
}

// ClosingReportText keeps the report's lines: it is printed as it is shown.
func (a cleanAPI) ClosingReportText(ctx context.Context, sessionID int64) (string, error) {
	return cleanedText(a.api.ClosingReportText(ctx, sessionID))
}

// NightlyReportText keeps the report's lines, as ClosingReportText does.
func (a cleanAPI) NightlyReportText(ctx context.Context, outlet, date string) (string, error) {
	return cleanedText(a.api.NightlyReportText(ctx, outlet, date))
}

// GenerateNightlyText keeps the report's lines, as ClosingReportText does.
func (a cleanAPI) GenerateNightlyText(ctx context.Context, req client.NightlyRequest) (string, error) {
	return cleanedText(a.api.GenerateNightlyText(ctx, req))
}

// cleanedText cleans a printable report's text line by line, keeping its line breaks.
func cleanedText(s string, err error) (string, error) {
	if s = text.CleanLines(s, 0); s != "" {
		s += "\n"
	}
	return s, err
}

func (a cleanAPI) VoidPayment(ctx context.Context, paymentID int64, req client.VoidRequest) (client.Void, error) {
	return cleaned(a.api.VoidPayment(ctx, paymentID, req))
}

func (a cleanAPI) Quote(ctx context.Context, register string, req client.SellRequest) (client.Quote, error) {
	return cleaned(a.api.Quote(ctx, register, req))
}

func (a cleanAPI) Sell(ctx context.Context, register string, req client.SellRequest) (client.Sale, error) {
	return cleaned(a.api.Sell(ctx, register, req))
}

func (a cleanAPI) ReturnSale(ctx context.Context, receipt string, req client.ReturnRequest) (client.Return, error) {
	return cleaned(a.api.ReturnSale(ctx, receipt, req))
}

// ReceiptText keeps the receipt's lines, as ClosingReportText does.
func (a cleanAPI) ReceiptText(ctx context.Context, receipt string) (string, error) {
	return cleanedText(a.api.ReceiptText(ctx, receipt))
}
