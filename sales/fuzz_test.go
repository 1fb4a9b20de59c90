package sales_test

import (
	"testing"

	"github.com/kassa-pos/kassa/sales"
)

// FuzzParseDiscount: whatever staff type as a discount is either refused or a
// non-negative amount or a percentage of at most 100, never both.
func FuzzParseDiscount(f *testing.F) {
	for _, s := range []string{"", "2.50", "10%", "100%", "101%", "-1", "1e3", "12,5", " 5 % ", "0.005"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := sales.ParseDiscount(s)
		if err != nil {
			return
		}
		if d.Amount.IsNegative() || d.Percent.IsNegative() {
			t.Fatalf("%q gave a negative discount %+v", s, d)
		}
		if d.Percent.Exponent() < -2 || d.Amount.Exponent() < -2 || d.Percent.IntPart() > 100 || (!d.Amount.IsZero() && !d.Percent.IsZero()) {
			t.Fatalf("%q gave %+v", s, d)
		}
	})
}
