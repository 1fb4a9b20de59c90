package text_test

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/kassa-pos/kassa/internal/text"
)

func TestClean(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 300)
	for _, c := range []struct{ name, in, want string }{
		{"plain", "Sarah Janssens", "Sarah Janssens"},
		{"trimmed", "  Sarah  ", "Sarah"},
		{"ESC sequence", "Mug\x1b[2J\x1b]0;pwned\x07 blue", "Mug[2J]0;pwned blue"},
		{"printer command", "Tea\x1bd\x05\x1dV\x00", "TeadV"},
		{"C1 CSI", "Mug\u009b31mRed", "Mug31mRed"},
		{"DEL", "a\x7fb", "ab"},
		{"line breaks become spaces", "Sarah\r\nJanssens\u2028Gent\u0085x", "Sarah Janssens Gent x"},
		{"tab becomes a space", "a\tb", "a b"},
		{"bidi override", "#1002 \u202epaid\u202c 10.00", "#1002 paid 10.00"},
		{"bidi isolates", "\u2066abc\u2069\u2067d\u2068", "abcd"},
		{"invalid UTF-8", "caf\xe9", "caf\uFFFD"},
		{"NUL", "a\x00b", "ab"},
		{"formula is text here", "=HYPERLINK(\"http://x\")", "=HYPERLINK(\"http://x\")"},
		{"capped", long, strings.Repeat("x", 255)},
		{"CJK kept", "茶杯 Teacup", "茶杯 Teacup"},
		{"accents kept", "Zoë e\u0301", "Zoë e\u0301"},
	} {
		if got := text.Clean(c.in, text.MaxName); got != c.want {
			t.Errorf("%s: Clean(%q) = %q, want %q", c.name, c.in, got, c.want)
		}
	}
}

// TestCleanCapKeepsGraphemes caps a name whose 255th character carries an accent: the
// accent is not cut from its letter; the letter goes with it.
func TestCleanCapKeepsGraphemes(t *testing.T) {
	t.Parallel()
	in := strings.Repeat("a", 254) + "e\u0301" + "zzz"
	got := text.Clean(in, text.MaxName)
	if got != strings.Repeat("a", 254) {
		t.Errorf("Clean cut %q at the cap: got %q (%d runes)", in[250:], got[250:], utf8.RuneCountInString(got))
	}
	// A grapheme longer than the cap on its own is cut by runes rather than dropped.
	zalgo := "Z" + strings.Repeat("\u0301", 400)
	if n := utf8.RuneCountInString(text.Clean(zalgo, text.MaxName)); n != text.MaxName {
		t.Errorf("a 401-rune grapheme capped to %d runes, want %d", n, text.MaxName)
	}
}

func TestCleanNote(t *testing.T) {
	t.Parallel()
	in := "Leave at the door\r\n\x1b[31mring twice\x1b[0m\u202e\tplease  \n\n"
	want := "Leave at the door\n[31mring twice[0m please"
	if got := text.CleanNote(in); got != want {
		t.Errorf("CleanNote(%q) = %q, want %q", in, got, want)
	}
	if n := utf8.RuneCountInString(text.CleanNote(strings.Repeat("ab\n", 1000))); n > text.MaxNote {
		t.Errorf("a note of 3000 characters kept %d, want at most %d", n, text.MaxNote)
	}
}

func TestClip(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in    string
		width int
		want  string
	}{
		{"Teacup", 10, "Teacup"},
		{"Teacup blue", 6, "Teacu…"},
		{"Teacup", 6, "Teacup"},
		{"Teacup", 1, "…"},
		{"Teacup", 0, ""},
		// A wide character at the edge is kept whole or not at all.
		{"abc茶杯", 6, "abc茶…"},
		{"ab茶杯", 6, "ab茶杯"},
		{"ab茶杯x", 6, "ab茶…"},
		{"茶杯茶杯", 5, "茶杯…"},
		// Accents stay on their letters at the edge.
		{"abce\u0301fgh", 5, "abce\u0301…"},
		{"abcde\u0301fgh", 5, "abcd…"},
		{"ab cd", 4, "ab…"},
		{"\x1b[31mred\x1b[0m", 10, "[31mred[0m"},
	} {
		got := text.Clip(c.in, c.width)
		if got != c.want {
			t.Errorf("Clip(%q, %d) = %q, want %q", c.in, c.width, got, c.want)
		}
		if w := text.Width(got); w > c.width {
			t.Errorf("Clip(%q, %d) is %d cells wide", c.in, c.width, w)
		}
	}
	if got := text.Pad("茶杯", 6); got != "茶杯  " {
		t.Errorf("Pad(茶杯, 6) = %q, want two spaces after the four cells", got)
	}
	if got := text.PadLeft("9.50", 6); got != "  9.50" {
		t.Errorf("PadLeft(9.50, 6) = %q", got)
	}
}

func TestCSVCell(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"=HYPERLINK(\"http://evil\",\"x\")": "'=HYPERLINK(\"http://evil\",\"x\")",
		"+31 6 1234":                        "'+31 6 1234",
		"-2+3+cmd|' /C calc'!A0":            "'-2+3+cmd|' /C calc'!A0",
		"@SUM(A1)":                          "'@SUM(A1)",
		"\t=1":                              "'=1",
		"\r=1":                              "'=1",
		"-3.50":                             "-3.50",
		"+1":                                "+1",
		"12":                                "12",
		"-":                                 "'-",
		"Sarah":                             "Sarah",
		"":                                  "",
		"Mug\x1b[2J":                        "Mug[2J",
	} {
		if got := text.CSVCell(in); got != want {
			t.Errorf("CSVCell(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestValid(t *testing.T) {
	t.Parallel()
	if got := text.Valid("a\x00b\xffc\x1b"); got != "ab\uFFFDc\x1b" {
		t.Errorf("Valid = %q: want NUL dropped, the bad byte replaced, the rest kept", got)
	}
}

// unsafe reports the first character the rules forbid in s, if any; lineBreaks allows
// "\n".
func unsafe(s string, lineBreaks bool) (rune, bool) {
	if !utf8.ValidString(s) {
		return utf8.RuneError, true
	}
	for _, r := range s {
		if r == '\n' && lineBreaks {
			continue
		}
		if r < 0x20 || (r >= 0x7f && r <= 0x9f) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) ||
			r == 0x2028 || r == 0x2029 {
			return r, true
		}
	}
	return 0, false
}

func FuzzClean(f *testing.F) {
	for _, s := range []string{"", "Sarah", "\x1b[2J", "\u009b1m", "\u202eevil", strings.Repeat("é", 300),
		"a\r\nb", "茶杯", "e\u0301\u0301", "=1+1", "\xff\x00", "👩‍👩‍👧‍👦 family", "🇧🇪🇧🇪"} {
		f.Add(s, 10)
	}
	f.Fuzz(func(t *testing.T, s string, n int) {
		n = n%300 + 1
		if n < 1 {
			n += 300
		}
		c := text.Clean(s, n)
		if r, bad := unsafe(c, false); bad {
			t.Fatalf("Clean(%q) = %q keeps %U", s, c, r)
		}
		if utf8.RuneCountInString(c) > n {
			t.Fatalf("Clean(%q, %d) = %q is longer", s, n, c)
		}
		if again := text.Clean(c, n); again != c {
			t.Fatalf("Clean is not idempotent: %q → %q → %q", s, c, again)
		}

		note := text.CleanNote(s)
		if r, bad := unsafe(note, true); bad {
			t.Fatalf("CleanNote(%q) = %q keeps %U", s, note, r)
		}
		if again := text.CleanNote(note); again != note {
			t.Fatalf("CleanNote is not idempotent: %q → %q → %q", s, note, again)
		}

		w := n % 40
		clip := text.Clip(s, w)
		if r, bad := unsafe(clip, false); bad {
			t.Fatalf("Clip(%q) = %q keeps %U", s, clip, r)
		}
		if got := text.Width(clip); got > w {
			t.Fatalf("Clip(%q, %d) = %q is %d cells wide", s, w, clip, got)
		}
		if again := text.Clip(clip, w); again != clip {
			t.Fatalf("Clip is not idempotent: %q → %q → %q", s, clip, again)
		}
		if pad := text.Pad(s, w); text.Width(pad) != w {
			t.Fatalf("Pad(%q, %d) = %q is %d cells wide", s, w, pad, text.Width(pad))
		}

		cell := text.CSVCell(s)
		if r, bad := unsafe(cell, false); bad {
			t.Fatalf("CSVCell(%q) = %q keeps %U", s, cell, r)
		}
		if cell != "" && strings.ContainsRune("=+-@", rune(cell[0])) {
			if _, err := parseNumber(cell); err != nil {
				t.Fatalf("CSVCell(%q) = %q begins a formula", s, cell)
			}
		}
	})
}

// parseNumber accepts what CSVCell leaves unprefixed: a plain decimal number.
func parseNumber(s string) (string, error) {
	t := strings.TrimLeft(s, "+-")
	if len(s)-len(t) > 1 || t == "" || strings.Trim(t, "0123456789.") != "" || strings.Count(t, ".") > 1 ||
		strings.HasPrefix(t, ".") || strings.HasSuffix(t, ".") {
		return "", errNotNumber
	}
	return s, nil
}

var errNotNumber = errors.New("not a number")
