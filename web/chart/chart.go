// Package chart draws the web register's charts as SVG on the server: sales per hour as
// stacked bars (in store and Shopify), and a share bar with its legend (payment-type mix,
// in store vs Shopify). No chart service, no script.
//
// The figures are the daemon's, as it wrote them ("66.49"): they are printed as they
// came, and read as numbers only to size the bars. Every text is escaped.
package chart

import (
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"
)

// Series colours: each reaches a contrast of at least 3:1 against the white chart
// background (WCAG 2.2, non-text contrast); the palette test checks it.
var Series = []string{"#1f5fa8", "#b34700", "#2e7d32", "#7b3fa0", "#8a6d00", "#c2185b", "#00695c", "#5d4037"}

// Ink is the colour of the charts' text and axes (on white).
const Ink = "#222222"

// Grid is the colour of the charts' grid lines.
const Grid = "#767676"

// Hour is one bar of the sales-per-hour chart: its label ("14:00") and the totals of its
// two sources as the daemon wrote them.
type Hour struct {
	Label        string
	POS, Shopify string
}

// Part is one part of a share bar: its label and amount as the daemon wrote it.
type Part struct {
	Label, Amount string
}

// amount reads a money string for drawing; what does not read is drawn as nothing.
func amount(s string) float64 {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 {
		return 0
	}
	return f
}

func esc(s string) string { return template.HTMLEscapeString(s) }

// niceMax rounds a chart's top up to 1, 2 or 5 times a power of ten.
func niceMax(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

// SalesPerHour draws stacked bars per hour: in store (first series colour) below Shopify
// (second). id names the chart's title and description for screen readers; posLabel and
// shopifyLabel are the legend's words.
func SalesPerHour(id, title, posLabel, shopifyLabel string, hours []Hour) template.HTML {
	const w, h, left, bottom, top = 640.0, 260.0, 56.0, 36.0, 36.0
	highest := 0.0
	for _, hr := range hours {
		highest = math.Max(highest, amount(hr.POS)+amount(hr.Shopify))
	}
	top2 := niceMax(highest)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %.0f %.0f" role="img" aria-labelledby="%s-t %s-d" xmlns="http://www.w3.org/2000/svg">`, w, h, esc(id), esc(id))
	fmt.Fprintf(&b, `<title id="%s-t">%s</title>`, esc(id), esc(title))
	var desc []string
	for _, hr := range hours {
		if amount(hr.POS)+amount(hr.Shopify) > 0 {
			desc = append(desc, fmt.Sprintf("%s: %s %s, %s %s", hr.Label, posLabel, hr.POS, shopifyLabel, hr.Shopify))
		}
	}
	fmt.Fprintf(&b, `<desc id="%s-d">%s</desc>`, esc(id), esc(strings.Join(desc, "; ")))
	plotH := h - bottom - top
	plotW := w - left - 8
	// Grid and axis labels: 0, half, top.
	for _, f := range []float64{0, 0.5, 1} {
		y := top + plotH*(1-f)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="0.5"/>`, left, y, w-8, y, Grid)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="11" text-anchor="end" fill="%s">%s</text>`, left-4, y+4, Ink, esc(strconv.FormatFloat(top2*f, 'f', -1, 64)))
	}
	n := len(hours)
	if n > 0 {
		slot := plotW / float64(n)
		bar := math.Max(2, slot*0.7)
		// As many labels as fit side by side, each about 6.6 units a character.
		longest := 1
		for _, hr := range hours {
			longest = max(longest, len([]rune(hr.Label)))
		}
		fit := max(1, int(plotW/(float64(longest)*6.6+10)))
		every := max(1, int(math.Ceil(float64(n)/float64(fit))))
		for i, hr := range hours {
			x := left + slot*float64(i) + (slot-bar)/2
			pos, shop := amount(hr.POS), amount(hr.Shopify)
			hp := plotH * pos / top2
			hs := plotH * shop / top2
			y := top + plotH - hp
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s</title></rect>`,
				x, y, bar, hp, Series[0], esc(hr.Label+" · "+posLabel+" "+hr.POS))
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s</title></rect>`,
				x, y-hs, bar, hs, Series[1], esc(hr.Label+" · "+shopifyLabel+" "+hr.Shopify))
			if i%every == 0 {
				fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="11" text-anchor="middle" fill="%s">%s</text>`, x+bar/2, h-bottom+16, Ink, esc(hr.Label))
			}
		}
	}
	// Legend.
	for i, l := range []string{posLabel, shopifyLabel} {
		x := left + float64(i)*160
		fmt.Fprintf(&b, `<rect x="%.1f" y="8" width="14" height="14" fill="%s"/>`, x, Series[i])
		fmt.Fprintf(&b, `<text x="%.1f" y="20" font-size="12" fill="%s">%s</text>`, x+20, Ink, esc(l))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// Share draws one bar split into parts in proportion to their amounts, with a legend that
// names each part and its amount.
func Share(id, title string, parts []Part) template.HTML {
	const w, barH = 640.0, 28.0
	total := 0.0
	for _, p := range parts {
		total += amount(p.Amount)
	}
	rows := (len(parts) + 1) / 2
	h := barH + 16 + float64(rows)*22 + 8
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %.0f %.0f" role="img" aria-labelledby="%s-t %s-d" xmlns="http://www.w3.org/2000/svg">`, w, h, esc(id), esc(id))
	fmt.Fprintf(&b, `<title id="%s-t">%s</title>`, esc(id), esc(title))
	var desc []string
	for _, p := range parts {
		desc = append(desc, p.Label+": "+p.Amount)
	}
	fmt.Fprintf(&b, `<desc id="%s-d">%s</desc>`, esc(id), esc(strings.Join(desc, "; ")))
	x := 0.0
	if total <= 0 {
		fmt.Fprintf(&b, `<rect x="0" y="0" width="%.0f" height="%.0f" fill="none" stroke="%s"/>`, w, barH, Grid)
	}
	for i, p := range parts {
		if total <= 0 {
			break
		}
		pw := w * amount(p.Amount) / total
		fmt.Fprintf(&b, `<rect x="%.1f" y="0" width="%.1f" height="%.0f" fill="%s"><title>%s</title></rect>`, x, pw, barH, Series[i%len(Series)], esc(p.Label+" "+p.Amount))
		x += pw
	}
	for i, p := range parts {
		lx := float64(i%2) * (w / 2)
		ly := barH + 16 + float64(i/2)*22
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="14" height="14" fill="%s"/>`, lx, ly, Series[i%len(Series)])
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="13" fill="%s">%s</text>`, lx+20, ly+12, Ink, esc(p.Label+" "+p.Amount))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}
