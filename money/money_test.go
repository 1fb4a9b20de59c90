package money

import "testing"

func TestParse(t *testing.T) {
	t.Parallel()
	good := map[string]string{"12.50": "12.50", "3": "3.00", "0.5": "0.50", "0": "0.00", "000123.4": "123.40"}
	for in, want := range good {
		d, err := Parse(in)
		if err != nil {
			t.Errorf("Parse(%q): %v", in, err)
			continue
		}
		if got := String(d); got != want {
			t.Errorf("Parse(%q) = %s, want %s", in, got, want)
		}
	}
	for _, in := range []string{"", "12,5", "-3", "+3", "1e3", "12.345", ".5", "5.", "1 000", "NaN", "12.5.0", "１２"} {
		if _, err := Parse(in); err == nil {
			t.Errorf("Parse(%q) accepted a bad amount", in)
		}
	}
}

func TestParsePositive(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"0", "0.00", "-1"} {
		if _, err := ParsePositive(in); err == nil {
			t.Errorf("ParsePositive(%q) accepted a non-positive amount", in)
		}
	}
	if d, err := ParsePositive("0.01"); err != nil || String(d) != "0.01" {
		t.Errorf("ParsePositive(0.01) = %v, %v", d, err)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"12.50", "12,5", "-3", "0", "999999999999.99"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := Parse(s)
		if err != nil {
			return
		}
		if d.IsNegative() || d.Exponent() < -2 {
			t.Fatalf("Parse(%q) = %s", s, d)
		}
		if back, err := Parse(String(d)); err != nil || !back.Equal(d) {
			t.Fatalf("round trip of %q: %v %v", s, back, err)
		}
	})
}
