package register

import (
	"context"
	"time"

	"github.com/shopspring/decimal"

	"github.com/kassa-pos/kassa/internal/pg"
	"github.com/kassa-pos/kassa/money"
	"github.com/kassa-pos/kassa/sales"
)

// HourFigure is the sales sold in one hour of the outlet's clock, in store (pos) and
// from Shopify: what a sales-per-hour chart draws.
type HourFigure struct {
	// From is the start of the hour, RFC 3339 in the outlet's time zone.
	From         string `json:"from"`
	POSCount     int    `json:"pos_count"`
	POSTotal     string `json:"pos_total"`
	ShopifyCount int    `json:"shopify_count"`
	ShopifyTotal string `json:"shopify_total"`
}

// hourly reads the sales per hour of f in loc. With every set, each hour of [f.From,
// f.To) has a figure, zero or not; otherwise only the hours with a sale do. A voided sale counts in
// none.
func hourly(ctx context.Context, q pg.Queryer, f sales.HourFilter, loc *time.Location, every bool) ([]HourFigure, error) {
	rows, err := sales.Store{}.HourlyTotals(ctx, q, f, loc.String())
	if err != nil {
		return nil, err
	}
	type acc struct {
		pos, shop           decimal.Decimal
		posCount, shopCount int
	}
	byHour := map[int64]*acc{}
	var hours []time.Time
	add := func(h time.Time) *acc {
		if a, ok := byHour[h.Unix()]; ok {
			return a
		}
		a := &acc{}
		byHour[h.Unix()] = a
		hours = append(hours, h)
		return a
	}
	if every {
		for h := f.From; h.Before(f.To); h = h.Add(time.Hour) {
			add(h)
		}
	}
	for _, r := range rows {
		a := add(r.Hour)
		if r.Source == sales.SourceShopify {
			a.shop, a.shopCount = a.shop.Add(r.Total), a.shopCount+r.Count
		} else {
			a.pos, a.posCount = a.pos.Add(r.Total), a.posCount+r.Count
		}
	}
	out := make([]HourFigure, 0, len(hours))
	for _, h := range hours {
		a := byHour[h.Unix()]
		out = append(out, HourFigure{
			From: h.In(loc).Format(time.RFC3339), POSCount: a.posCount, POSTotal: money.String(a.pos),
			ShopifyCount: a.shopCount, ShopifyTotal: money.String(a.shop),
		})
	}
	return out, nil
}
