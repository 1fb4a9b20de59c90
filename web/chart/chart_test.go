package chart_test

import (
	"encoding/xml"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/kassa-pos/kassa/web/chart"
)

// wellFormed fails unless svg parses as XML.
func wellFormed(t *testing.T, svg string) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(svg))
	for {
		_, err := d.Token()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatalf("the SVG does not parse: %v\n%s", err, svg)
		}
	}
}

var rectHeight = regexp.MustCompile(`<rect x="[0-9.]+" y="[0-9.]+" width="[0-9.]+" height="([0-9.]+)" fill="([^"]+)"><title>`)

func TestSalesPerHourBarsAreProportional(t *testing.T) {
	svg := string(chart.SalesPerHour("h", "Sales per hour", "In store", "Shopify", []chart.Hour{
		{Label: "10:00", POS: "100.00", Shopify: "0.00"},
		{Label: "11:00", POS: "50.00", Shopify: "25.00"},
		{Label: "12:00", POS: "0.00", Shopify: "0.00"},
	}))
	wellFormed(t, svg)
	var heights []float64
	for _, m := range rectHeight.FindAllStringSubmatch(svg, -1) {
		h, _ := strconv.ParseFloat(m[1], 64)
		heights = append(heights, h)
	}
	if len(heights) != 6 {
		t.Fatalf("%d bars, want 2 per hour:\n%s", len(heights), svg)
	}
	// 100 reaches the top of a chart of 100; 50 is half of it, 25 a quarter.
	if heights[0] != 2*heights[2] || heights[2] != 2*heights[3] || heights[1] != 0 || heights[4] != 0 || heights[5] != 0 {
		t.Fatalf("bar heights %v are not in proportion to 100, 0, 50, 25, 0, 0", heights)
	}
	if !strings.Contains(svg, "10:00: In store 100.00, Shopify 0.00") {
		t.Errorf("the description does not read the figures as given:\n%s", svg)
	}
}

func TestChartsEscapeText(t *testing.T) {
	hostile := `<script>alert(1)</script>"&`
	for _, svg := range []string{
		string(chart.SalesPerHour(`x" onload="alert(1)`, hostile, hostile, hostile, []chart.Hour{{Label: hostile, POS: "1", Shopify: "oops"}})),
		string(chart.Share(`x" onload="alert(1)`, hostile, []chart.Part{{Label: hostile, Amount: "12.00"}, {Label: "b", Amount: "-3"}})),
	} {
		wellFormed(t, svg)
		if strings.Contains(svg, "<script") || strings.Contains(svg, `" onload="`) {
			t.Fatalf("hostile text reached the SVG unescaped:\n%s", svg)
		}
	}
}

func TestShareOfNothing(t *testing.T) {
	svg := string(chart.Share("s", "Payment types", []chart.Part{{Label: "Cash", Amount: "0.00"}}))
	wellFormed(t, svg)
	if !strings.Contains(svg, "Cash 0.00") {
		t.Fatalf("the legend does not name the part:\n%s", svg)
	}
}
