package sellpage

import "strings"

// bigGlyphs draw digits three lines high, for the amounts a customer reads from across the
// counter.
var bigGlyphs = map[rune][3]string{
	'0': {"█▀█", "█ █", "▀▀▀"},
	'1': {" ▀█", "  █", "  ▀"},
	'2': {"▀▀█", "█▀▀", "▀▀▀"},
	'3': {"▀▀█", " ▀█", "▀▀▀"},
	'4': {"█ █", "▀▀█", "  ▀"},
	'5': {"█▀▀", "▀▀█", "▀▀▀"},
	'6': {"█▀▀", "█▀█", "▀▀▀"},
	'7': {"▀▀█", "  █", "  ▀"},
	'8': {"█▀█", "█▀█", "▀▀▀"},
	'9': {"█▀█", "▀▀█", "▀▀▀"},
	'.': {" ", " ", "▀"},
	'-': {"   ", "▀▀▀", "   "},
}

// Big draws an amount ("45.00") in digits three lines high; characters it has no glyph for
// are left out.
func Big(amount string) string {
	var rows [3]strings.Builder
	for _, r := range amount {
		g, ok := bigGlyphs[r]
		if !ok {
			continue
		}
		for i := range rows {
			rows[i].WriteString(g[i] + " ")
		}
	}
	return strings.TrimRight(rows[0].String(), " ") + "\n" + strings.TrimRight(rows[1].String(), " ") + "\n" + strings.TrimRight(rows[2].String(), " ")
}
