// Package money parses and formats amounts of money. Amounts are decimal.Decimal with
// two decimals; they are never floats.
package money

import (
	"fmt"
	"regexp"

	"github.com/shopspring/decimal"
)

var amountRE = regexp.MustCompile(`^[0-9]{1,12}(\.[0-9]{1,2})?$`)

// Parse reads a non-negative amount written with a decimal point and at most two
// decimals ("12.50", "3", "0.5"). Commas, signs, exponents and thousands separators are
// refused, so a typo can never become a different amount.
func Parse(s string) (decimal.Decimal, error) {
	if !amountRE.MatchString(s) {
		return decimal.Decimal{}, fmt.Errorf("%q is not a valid amount: write it like 12.50", s)
	}
	return decimal.RequireFromString(s), nil
}

// ParsePositive is Parse that also refuses zero.
func ParsePositive(s string) (decimal.Decimal, error) {
	if len(s) > 0 && s[0] == '-' {
		return decimal.Decimal{}, fmt.Errorf("%q is not a valid amount: it must be more than 0.00", s)
	}
	d, err := Parse(s)
	if err != nil {
		return d, err
	}
	if !d.IsPositive() {
		return decimal.Decimal{}, fmt.Errorf("%q is not a valid amount: it must be more than 0.00", s)
	}
	return d, nil
}

// String formats d with exactly two decimals ("66.50").
func String(d decimal.Decimal) string { return d.StringFixed(2) }
