package web

import (
	"html/template"
	"time"

	"github.com/kassa-pos/kassa/daemon/client"
	"github.com/kassa-pos/kassa/web/chart"
	"github.com/kassa-pos/kassa/web/i18n"
)

type chartPart struct{ Label, Amount string }

// hourlyChart draws the daemon's sales per hour. Each hour is labelled with its local
// time; when the hours span several days, with its day too.
func hourlyChart(id string, t i18n.Localizer, hours []client.HourFigure, day bool) template.HTML {
	bars := make([]chart.Hour, 0, len(hours))
	days := map[string]bool{}
	for _, h := range hours {
		if at, err := time.Parse(time.RFC3339, h.From); err == nil {
			days[at.Format(time.DateOnly)] = true
		}
	}
	for _, h := range hours {
		label := h.From
		if at, err := time.Parse(time.RFC3339, h.From); err == nil {
			label = at.Format("15:04")
			if len(days) > 1 && !day {
				label = at.Format("02/01 15:04")
			}
		}
		bars = append(bars, chart.Hour{Label: label, POS: h.POSTotal, Shopify: h.ShopifyTotal})
	}
	return chart.SalesPerHour(id, t.T("chart.hourly"), t.T("source.pos"), t.T("source.shopify"), bars)
}

// typeParts are the payment types' takings of a closing report.
func typeParts(figs []client.TypeFigures) []chartPart {
	out := make([]chartPart, 0, len(figs))
	for _, f := range figs {
		out = append(out, chartPart{f.Type, f.Taken})
	}
	return out
}

func mixChart(id string, t i18n.Localizer, parts []chartPart) template.HTML {
	ps := make([]chart.Part, 0, len(parts))
	for _, p := range parts {
		ps = append(ps, chart.Part{Label: p.Label, Amount: p.Amount})
	}
	return chart.Share(id, t.T("chart.mix"), ps)
}

func splitChart(id string, t i18n.Localizer, sources []client.SourceTotal) template.HTML {
	ps := make([]chart.Part, 0, len(sources))
	for _, s := range sources {
		ps = append(ps, chart.Part{Label: t.T("source." + s.Source), Amount: s.Total})
	}
	return chart.Share(id, t.T("chart.split"), ps)
}
