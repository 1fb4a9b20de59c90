package web

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/kassa-pos/kassa/web/chart"
)

// Colour is one colour of the web register's palette, a CSS custom property.
type Colour struct {
	Name, Hex string
}

// Palette is every colour the style sheet uses (as var(--name)); pairs below says which
// text sits on which background, and the palette test checks each pair's contrast.
var Palette = []Colour{
	{"bg", "#f6f6f3"},
	{"surface", "#ffffff"},
	{"ink", "#1d1d1b"},
	{"muted", "#545450"},
	{"accent", "#1f5fa8"},
	{"accent-ink", "#ffffff"},
	{"danger", "#a4161a"},
	{"danger-bg", "#fdecea"},
	{"ok", "#1b5e20"},
	{"ok-bg", "#e8f5e9"},
	{"warn", "#6d4c00"},
	{"warn-bg", "#fff4d6"},
	{"border", "#767676"},
	{"focus", "#b34700"},
	{"chart-ink", chart.Ink},
}

// ContrastPair is text (or a control's outline) on a background.
type ContrastPair struct {
	Fore, Back string
	// Min is the ratio WCAG 2.2 AA asks: 4.5 for text, 3 for large text and controls.
	Min float64
}

// ContrastPairs are the pairs the style sheet draws.
var ContrastPairs = []ContrastPair{
	{"ink", "bg", 4.5}, {"ink", "surface", 4.5}, {"muted", "surface", 4.5}, {"muted", "bg", 4.5},
	{"accent", "surface", 4.5}, {"accent", "bg", 4.5}, {"accent-ink", "accent", 4.5},
	{"danger", "danger-bg", 4.5}, {"danger", "surface", 4.5}, {"ok", "ok-bg", 4.5}, {"warn", "warn-bg", 4.5},
	{"border", "surface", 3}, {"focus", "surface", 3}, {"focus", "bg", 3}, {"chart-ink", "surface", 4.5},
}

// paletteCSS is the palette as CSS custom properties.
func paletteCSS() string {
	var b strings.Builder
	b.WriteString(":root {\n")
	for _, c := range Palette {
		fmt.Fprintf(&b, "  --%s: %s;\n", c.Name, c.Hex)
	}
	b.WriteString("}\n")
	return b.String()
}

func servePalette(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	_, _ = w.Write([]byte(paletteCSS()))
}

// seriesColours are the charts' colours.
func seriesColours() []string { return chart.Series }
