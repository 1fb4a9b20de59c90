package daemon

import (
	"github.com/kassa-pos/kassa/daemon/client"
	"github.com/kassa-pos/kassa/inventory"
	"github.com/kassa-pos/kassa/register"
	"github.com/kassa-pos/kassa/sales"
	"github.com/kassa-pos/kassa/sync/shopify"
)

// The API answers with daemon/client's types, never the domain's: a front-end built on
// the client then carries nothing of the domain. The conversions below keep every field,
// in the same order, so the JSON is byte for byte what the command line's --json prints
// from the domain's views (TestViewsEncodeLikeTheDomain checks). Where a client type has
// exactly the fields of the domain's, a Go conversion does the work and stops compiling
// when the two drift apart.

// each converts a slice element by element, keeping a nil slice nil (null in JSON) and an
// empty one empty ([]).
func each[S, T any](in []S, f func(S) T) []T {
	if in == nil {
		return nil
	}
	out := make([]T, len(in))
	for i, v := range in {
		out[i] = f(v)
	}
	return out
}

func saleView(s sales.SaleView) client.Sale {
	out := client.Sale{
		ID: s.ID, ReceiptNumber: s.ReceiptNumber, Source: s.Source, Outlet: s.Outlet, Register: s.Register,
		SoldAt: s.SoldAt, Status: s.Status, Total: s.Total, Tax: s.Tax, Paid: s.Paid, Balance: s.Balance, Change: s.Change,
		Lines: each(s.Lines, func(l sales.LineView) client.SaleLine { return client.SaleLine(l) }),
	}
	if s.Void != nil {
		v := client.SaleVoid(*s.Void)
		out.Void = &v
	}
	if s.Returns != nil {
		rs := each(*s.Returns, returnView)
		out.Returns = &rs
	}
	if s.Customer != nil {
		c := client.SaleCustomer(*s.Customer)
		out.Customer = &c
	}
	if s.Payments != nil {
		ps := each(*s.Payments, salePaymentView)
		out.Payments = &ps
	}
	return out
}

func returnView(r sales.ReturnView) client.Return {
	return client.Return{
		ID: r.ID, ReceiptNumber: r.ReceiptNumber, SaleReceipt: r.SaleReceipt, Kind: r.Kind, Source: r.Source,
		Register: r.Register, ReturnedAt: r.ReturnedAt, Subtotal: r.Subtotal, Shipping: r.Shipping, Tax: r.Tax,
		Total: r.Total, Owed: r.Owed, Reason: r.Reason, RecordedBy: r.RecordedBy, Token: r.Token,
		Lines:   each(r.Lines, func(l sales.ReturnLineView) client.ReturnLine { return client.ReturnLine(l) }),
		Refunds: each(r.Refunds, func(f sales.RefundView) client.Refund { return client.Refund(f) }),
	}
}

func salePaymentView(p sales.PaymentView) client.SalePayment {
	out := client.SalePayment{
		ID: p.ID, Type: p.Type, Amount: p.Amount, PaidAt: p.PaidAt, Register: p.Register, Source: p.Source,
		RecordedBy: p.RecordedBy, Token: p.Token,
	}
	if p.Void != nil {
		v := client.PaymentVoid(*p.Void)
		out.Void = &v
	}
	return out
}

func stockView(r inventory.StockRow) client.StockRow {
	return client.StockRow{
		SKU: r.SKU, Name: r.Name, VariantTitle: r.VariantTitle, OnHand: r.OnHand,
		Published: r.Published, TracksStock: r.TracksStock,
	}
}

func closingView(r register.ClosingReport) client.ClosingReport {
	return client.ClosingReport{
		SessionID: r.SessionID, ZNumber: r.ZNumber, Register: r.Register, Outlet: r.Outlet,
		Timezone: r.Timezone, Currency: r.Currency, OpenedAt: r.OpenedAt, OpenedBy: r.OpenedBy,
		OpenedToken: r.OpenedToken, ClosedAt: r.ClosedAt, ClosedBy: r.ClosedBy, ClosedToken: r.ClosedToken,
		OpeningFloat: r.OpeningFloat,
		Payments:     each(r.Payments, func(f register.TypeFigures) client.TypeFigures { return client.TypeFigures(f) }),
		SalesCount:   r.SalesCount, SalesTotal: r.SalesTotal, ShopifyOrders: r.ShopifyOrders, ShippingFees: r.ShippingFees,
		AppliedPayments: each(r.AppliedPayments, func(f register.AppliedFigure) client.AppliedFigure {
			return client.AppliedFigure(f)
		}),
		Voids:                each(r.Voids, func(f register.VoidFigure) client.VoidFigure { return client.VoidFigure(f) }),
		Taxes:                each(r.Taxes, func(f register.TaxFigure) client.TaxFigure { return client.TaxFigure(f) }),
		AwaitingPaymentTotal: r.AwaitingPaymentTotal, AwaitingPaymentCount: r.AwaitingPaymentCount,
		ShopifyTotal: r.ShopifyTotal, InStoreCount: r.InStoreCount, InStoreTotal: r.InStoreTotal,
		Returns: each(r.Returns, func(f register.ReturnFigure) client.ReturnFigure {
			return client.ReturnFigure{ReceiptNumber: f.ReceiptNumber, SaleReceipt: f.SaleReceipt, Kind: f.Kind, Total: f.Total,
				ReturnedAt: f.ReturnedAt, RecordedBy: f.RecordedBy, Token: f.Token,
				Refunds: each(f.Refunds, func(x register.RefundFigure) client.RefundFigure { return client.RefundFigure(x) })}
		}),
		ReturnsTotal:  r.ReturnsTotal,
		VoidedSales:   each(r.VoidedSales, func(f register.VoidedSaleFigure) client.VoidedSaleFigure { return client.VoidedSaleFigure(f) }),
		CashMovements: each(r.CashMovements, func(f register.CashFigure) client.CashFigure { return client.CashFigure(f) }),
		CashIn:        r.CashIn, CashOut: r.CashOut,
		Hourly:      each(r.Hourly, func(h register.HourFigure) client.HourFigure { return client.HourFigure(h) }),
		Adjustments: client.DocumentFigure(r.Adjustments), WriteOffs: client.DocumentFigure(r.WriteOffs),
	}
}

func nightlyView(r register.NightlyReport) client.NightlyReport {
	return client.NightlyReport{
		Outlet: r.Outlet, Day: r.Day, Timezone: r.Timezone, Currency: r.Currency, From: r.From, To: r.To,
		GeneratedAt: r.GeneratedAt,
		Sessions:    each(r.Sessions, closingView),
		OpenSessions: each(r.OpenSessions, func(s register.OpenSession) client.OpenSession {
			return client.OpenSession(s)
		}),
		Payments:     each(r.Payments, func(t register.TypeTotal) client.TypeTotal { return client.TypeTotal(t) }),
		Sales:        each(r.Sales, func(t register.SourceTotal) client.SourceTotal { return client.SourceTotal(t) }),
		ShippingFees: r.ShippingFees,
		NegativeStock: each(r.NegativeStock, func(n register.NegativeStock) client.NegativeStock {
			return client.NegativeStock(n)
		}),
		AwaitingPayment: each(r.AwaitingPayment, func(s register.AwaitingSale) client.AwaitingSale {
			return client.AwaitingSale(s)
		}),
		AwaitingPaymentCount: r.AwaitingPaymentCount,
		AwaitingPaymentTotal: r.AwaitingPaymentTotal,
		ImportFailures: each(r.ImportFailures, func(f register.ImportFailure) client.ImportFailure {
			return client.ImportFailure(f)
		}),
		OrderChanges: each(r.OrderChanges, func(c register.OrderChange) client.OrderChange {
			return client.OrderChange(c)
		}),
		ExpiringFailures: each(r.ExpiringFailures, func(e register.ExpiringFailure) client.ExpiringFailure {
			return client.ExpiringFailure(e)
		}),
		Reconciliations: each(r.Reconciliations, func(x register.Reconciliation) client.Reconciliation {
			return client.Reconciliation{
				Shop: x.Shop, At: x.At, WindowFrom: x.WindowFrom, WindowTo: x.WindowTo, Orders: x.Orders,
				Differences: x.Differences, Fixed: x.Fixed, RunID: x.RunID, Error: x.Error,
				FirstDifferences: each(x.FirstDifferences, func(d register.ReconcileDifference) client.ReconcileDifference {
					return client.ReconcileDifference(d)
				}),
			}
		}),
		Returns:          each(r.Returns, func(t register.SourceTotal) client.SourceTotal { return client.SourceTotal(t) }),
		VoidedSalesCount: r.VoidedSalesCount, VoidedSalesTotal: r.VoidedSalesTotal, CashIn: r.CashIn, CashOut: r.CashOut,
		Taxes:  each(r.Taxes, func(f register.TaxFigure) client.TaxFigure { return client.TaxFigure(f) }),
		Hourly: each(r.Hourly, func(h register.HourFigure) client.HourFigure { return client.HourFigure(h) }),
		StockCorrections: each(r.StockCorrections, func(c register.StockCorrection) client.StockCorrection {
			return client.StockCorrection(c)
		}),
	}
}

func countsView(c shopify.Counts) client.Counts { return client.Counts(c) }
