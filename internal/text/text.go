// Package text cleans text that strangers typed before kassa stores or shows it.
//
// Customer names, product and variant titles, shipping methods and notes come from
// Shopify's checkout, where anyone can type anything: escape sequences that move a
// terminal's cursor or send commands to a receipt printer, C1 controls that terminals
// read as escapes, bidirectional overrides that make "#1002 paid 10.00" read otherwise,
// cells that a spreadsheet runs as a formula, and names of any length. kassa cleans such
// text twice: when it is stored (the importer) and again when it is shown (the terminal,
// the command line's text output, the printed reports, CSV), so that rows stored before
// a rule existed, or by another way in, are safe too. JSON keeps the stored text.
//
// The rules, one implementation for every caller:
//   - invalid UTF-8 becomes U+FFFD and NUL is dropped (what PostgreSQL text can hold);
//   - C0 and C1 control characters (U+0000–U+001F, U+007F–U+009F) are dropped, except
//     that tab, line feed, vertical tab, form feed, carriage return and next line become
//     a space in one-line text (notes keep their line breaks as "\n");
//   - the line and paragraph separators U+2028 and U+2029 are line breaks too;
//   - the bidirectional embedding, override and isolate controls (U+202A–U+202E,
//     U+2066–U+2069) are dropped;
//   - one-line text is trimmed; lengths are capped in characters (runes) without splitting
//     a grapheme (a letter with its accents, an emoji sequence) where that is possible;
//   - Clip shortens text to a display width in terminal cells (CJK characters take two),
//     never in the middle of a character or grapheme, and marks the cut with "…".
package text

import (
	"strings"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
)

// Length caps of stored text, in characters.
const (
	// MaxName caps one-line fields: names, titles, SKUs, e-mail addresses.
	MaxName = 255
	// MaxNote caps multi-line fields: notes, import failure reasons.
	MaxNote = 2000
)

// Ellipsis marks text that Clip shortened.
const Ellipsis = "…"

// Valid makes s storable as PostgreSQL text, which holds only valid UTF-8 without NUL
// characters: invalid bytes become U+FFFD and NULs are dropped. Nothing else changes,
// so it suits machine text such as an order's JSON; text for people takes Clean.
func Valid(s string) string {
	if utf8.ValidString(s) && !strings.ContainsRune(s, 0) {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "")
}

// Clean makes s a safe one-line text of at most maxRunes characters (no cap when maxRunes
// is 0 or less): see the package documentation for the rules. Clean is idempotent.
func Clean(s string, maxRunes int) string {
	return strings.TrimSpace(capRunes(strings.TrimSpace(filter(s, false)), maxRunes))
}

// CleanNote makes s a safe multi-line note of at most MaxNote characters: line breaks
// are kept as "\n", every other control character goes. CleanNote is idempotent.
func CleanNote(s string) string { return CleanLines(s, MaxNote) }

// CleanLines is CleanNote with another cap (none when maxRunes is 0 or less), for text of
// many lines such as a printed report. Trailing spaces of each line and empty lines at
// the end are dropped.
func CleanLines(s string, maxRunes int) string {
	lines := strings.Split(filter(s, true), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	out := strings.TrimRight(strings.Join(lines, "\n"), "\n")
	return strings.TrimRight(capRunes(out, maxRunes), " \n")
}

// Clip makes s safe as one line (as Clean, uncapped) and shortens it to at most width
// terminal cells, ending in "…" when something was cut. It cuts between graphemes, never
// inside one: a letter keeps its accents, a wide character is kept whole or not at all.
// Clip is idempotent for a given width.
func Clip(s string, width int) string {
	s = Clean(s, 0)
	if width <= 0 {
		return ""
	}
	if Width(s) <= width {
		return s
	}
	room := width - Width(Ellipsis)
	var b strings.Builder
	used := 0
	for rest := s; rest != ""; {
		g, w := ansi.FirstGraphemeCluster(rest, ansi.GraphemeWidth)
		if g == "" {
			break
		}
		if used+w > room {
			break
		}
		b.WriteString(g)
		used += w
		rest = rest[len(g):]
	}
	out := strings.TrimRight(b.String(), " ") + Ellipsis
	// A grapheme's width on its own may differ from its width in the line as terminals
	// measure it (a mark after ASCII, say); drop graphemes until the line fits.
	for Width(out) > width {
		head := strings.TrimSuffix(out, Ellipsis)
		if head == "" {
			return ""
		}
		out = strings.TrimRight(dropLastGrapheme(head), " ") + Ellipsis
	}
	return out
}

// Pad is Clip followed by spaces up to exactly width cells: a table cell.
func Pad(s string, width int) string {
	s = Clip(s, width)
	return s + strings.Repeat(" ", max(width-Width(s), 0))
}

// PadLeft is Clip with spaces before it up to exactly width cells: a right-aligned cell.
func PadLeft(s string, width int) string {
	s = Clip(s, width)
	return strings.Repeat(" ", max(width-Width(s), 0)) + s
}

// Width is the number of terminal cells s takes, as the terminal UI measures it.
func Width(s string) int { return ansi.StringWidth(s) }

// CSVCell makes s a safe CSV cell: one clean line, and a text that a spreadsheet would
// run as a formula (it begins with =, +, -, @, a tab or a carriage return) gets a leading
// apostrophe, which spreadsheets show as text. A plain number ("-3.50", "+1") is no
// formula and stays as it is, so numeric columns are untouched.
func CSVCell(s string) string {
	s = Clean(s, 0)
	if s == "" || !strings.ContainsRune("=+-@\t\r", rune(s[0])) || isNumber(s) {
		return s
	}
	return "'" + s
}

// isNumber reports whether s is a plain decimal number: an optional sign, digits, and
// optionally a point and more digits.
func isNumber(s string) bool {
	if s[0] == '-' || s[0] == '+' {
		s = s[1:]
	}
	whole, frac, dot := strings.Cut(s, ".")
	digits := func(t string) bool {
		if t == "" {
			return false
		}
		for i := 0; i < len(t); i++ {
			if t[i] < '0' || t[i] > '9' {
				return false
			}
		}
		return true
	}
	return digits(whole) && (!dot || digits(frac))
}

// filter applies the character rules: invalid UTF-8 and NUL first, then controls and
// bidirectional controls. Line breaks become "\n" when multiline, a space otherwise.
func filter(s string, multiline bool) string {
	s = Valid(s)
	if clean(s) {
		return s
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r == '\n' || r == '\r' || r == '\v' || r == '\f' || r == 0x85 || r == 0x2028 || r == 0x2029:
			if multiline {
				b.WriteByte('\n')
			} else {
				b.WriteByte(' ')
			}
		case r == '\t':
			b.WriteByte(' ')
		case control(r) || bidi(r):
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// clean reports whether s needs no filtering at all (the common case: no allocation).
func clean(s string) bool {
	for _, r := range s {
		if control(r) || bidi(r) || r == 0x2028 || r == 0x2029 {
			return false
		}
	}
	return true
}

// control reports whether r is a C0 or C1 control character, or DEL.
func control(r rune) bool { return r < 0x20 || (r >= 0x7F && r <= 0x9F) }

// bidi reports whether r is a bidirectional embedding, override or isolate control.
func bidi(r rune) bool { return (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069) }

// capRunes cuts s to at most n runes (n ≤ 0: no cap) at the last grapheme boundary that
// fits; a single grapheme longer than n (a letter under hundreds of accents) is cut by
// runes. The caller trims what the cut leaves at the end.
func capRunes(s string, n int) string {
	if n <= 0 || utf8.RuneCountInString(s) <= n {
		return s
	}
	end, runes := 0, 0
	for rest := s; rest != ""; {
		g, _ := ansi.FirstGraphemeCluster(rest, ansi.GraphemeWidth)
		if g == "" {
			break
		}
		k := utf8.RuneCountInString(g)
		if runes+k > n {
			break
		}
		runes += k
		end += len(g)
		rest = rest[len(g):]
	}
	if end == 0 {
		// Not even the first grapheme fits: cut it by runes.
		for i := range s {
			if runes == n {
				end = i
				break
			}
			runes++
		}
	}
	return s[:end]
}

// dropLastGrapheme returns s without its last grapheme.
func dropLastGrapheme(s string) string {
	last := 0
	for i := 0; i < len(s); {
		g, _ := ansi.FirstGraphemeCluster(s[i:], ansi.GraphemeWidth)
		if g == "" {
			break
		}
		last = i
		i += len(g)
	}
	return s[:last]
}
