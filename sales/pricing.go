package sales

import (
	"errors"
	"fmt"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/kassa-pos/kassa/money"
)

// How a counter sale is priced (PriceSale), the rule a receipt can be checked against by
// hand:
//
//  1. A line is quantity × unit price, the unit price as the outlet prices it (tax
//     included or not).
//  2. A line discount is an amount, or a percentage of the line rounded to the cent; it
//     is at most the line.
//  3. A sale discount (an amount, or a percentage of the lines after their discounts,
//     rounded to the cent) is shared out over the lines in proportion to what each line
//     comes to after its own discount; each share is rounded to the cent, and what the
//     rounding leaves over (a cent or two) goes to the largest line, the first of them.
//  4. Each line's tax is computed on the line after both discounts, from its product's
//     rate, and rounded to the cent per line: tax-inclusive, tax = amount × rate / (1 +
//     rate); tax-exclusive, tax = amount × rate.
//  5. Rounding is to the nearest cent, a half cent away from zero (0.125 → 0.13).
//  6. The sale's tax is the sum of its lines' taxes; its total is the sum of its lines,
//     plus their tax when prices exclude it.

// Discount is an amount off or a percentage off; the zero Discount is none.
type Discount struct {
	Amount  decimal.Decimal // e.g. 2.00 off
	Percent decimal.Decimal // e.g. 10 for 10 % off
}

// IsZero reports whether the discount takes nothing off.
func (d Discount) IsZero() bool { return d.Amount.IsZero() && d.Percent.IsZero() }

// String shows the discount as it was given: "2.00" or "10%".
func (d Discount) String() string {
	if !d.Percent.IsZero() {
		return d.Percent.String() + "%"
	}
	return money.String(d.Amount)
}

// ErrInvalidDiscount is a discount that is not an amount or a percentage up to 100.
var ErrInvalidDiscount = errors.New("a discount is an amount like 2.50 or a percentage like 10%")

// ParseDiscount reads "2.50" (an amount) or "10%" (a percentage, at most 100).
func ParseDiscount(s string) (Discount, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Discount{}, nil
	}
	if p, ok := strings.CutSuffix(s, "%"); ok {
		d, err := decimal.NewFromString(strings.TrimSpace(p))
		if err != nil || d.IsNegative() || d.GreaterThan(decimal.NewFromInt(100)) || d.Exponent() < -2 {
			return Discount{}, fmt.Errorf("discount %q: %w", s, ErrInvalidDiscount)
		}
		return Discount{Percent: d}, nil
	}
	a, err := money.Parse(s)
	if err != nil || a.IsNegative() {
		return Discount{}, fmt.Errorf("discount %q: %w", s, ErrInvalidDiscount)
	}
	return Discount{Amount: a}, nil
}

// of returns what the discount takes off base, refusing more than base.
func (d Discount) of(base decimal.Decimal, what string) (decimal.Decimal, error) {
	if d.Amount.IsNegative() || d.Percent.IsNegative() || d.Percent.GreaterThan(decimal.NewFromInt(100)) {
		return decimal.Zero, fmt.Errorf("%s discount %s: %w", what, d, ErrInvalidDiscount)
	}
	off := d.Amount
	if !d.Percent.IsZero() {
		off = base.Mul(d.Percent).Div(decimal.NewFromInt(100)).Round(2)
	}
	if off.GreaterThan(base) {
		return decimal.Zero, fmt.Errorf("the %s discount %s is more than %s: %w", what, money.String(off), money.String(base), ErrDiscountTooLarge)
	}
	return off, nil
}

// ErrDiscountTooLarge is a discount larger than what it is taken off.
var ErrDiscountTooLarge = errors.New("a discount cannot be more than what it is taken off")

// PriceLine is one line to price: a product at its unit price and tax rate.
type PriceLine struct {
	ProductID    *int64
	Kind         string // KindProduct when empty
	SKU          string
	Title        string
	VariantTitle string
	Quantity     int
	UnitPrice    decimal.Decimal // as the outlet prices (tax included or not)
	TaxRate      decimal.Decimal // a fraction: 0.21 for 21 %
	Discount     Discount
}

// Priced is a priced sale: its lines as they are recorded, and its totals.
type Priced struct {
	Lines []Line
	// Subtotal is the sum of the lines after discounts (as priced); DiscountTotal all that
	// was taken off (line and sale discounts); TaxTotal the sum of the lines' taxes; Total
	// what the customer pays.
	Subtotal, DiscountTotal, TaxTotal, Total decimal.Decimal
}

// TaxTitle names a tax rate on a counter sale's line ("VAT 21%").
func TaxTitle(rate decimal.Decimal) string { return "VAT " + rate.Shift(2).String() + "%" }

// PriceSale prices a counter sale by the rule written above. It is refused when a line has
// no positive quantity, a negative price or rate, or a discount larger than its line (or,
// for the sale discount, than the sale).
func PriceSale(taxesIncluded bool, lines []PriceLine, saleDiscount Discount) (Priced, error) {
	if len(lines) == 0 {
		return Priced{}, errors.New("a sale needs at least one line")
	}
	out := Priced{Lines: make([]Line, len(lines))}
	after := make([]decimal.Decimal, len(lines)) // each line after its own discount
	sum := decimal.Zero
	for i, pl := range lines {
		if pl.Quantity <= 0 {
			return Priced{}, fmt.Errorf("line %d (%s): the quantity must be 1 or more", i+1, pl.Title)
		}
		if pl.UnitPrice.IsNegative() || pl.TaxRate.IsNegative() {
			return Priced{}, fmt.Errorf("line %d (%s): a price or tax rate cannot be negative", i+1, pl.Title)
		}
		gross := pl.UnitPrice.Mul(decimal.NewFromInt(int64(pl.Quantity))).Round(2)
		off, err := pl.Discount.of(gross, fmt.Sprintf("line %d", i+1))
		if err != nil {
			return Priced{}, err
		}
		kind := pl.Kind
		if kind == "" {
			kind = KindProduct
		}
		out.Lines[i] = Line{
			ProductID: pl.ProductID, Kind: kind, SKU: pl.SKU, Title: pl.Title, VariantTitle: pl.VariantTitle,
			Quantity: pl.Quantity, UnitPrice: pl.UnitPrice, Discount: off,
		}
		after[i] = gross.Sub(off)
		sum = sum.Add(after[i])
	}
	saleOff, err := saleDiscount.of(sum, "sale")
	if err != nil {
		return Priced{}, err
	}
	if saleOff.IsPositive() {
		shared := decimal.Zero
		largest := 0
		for i := range lines {
			share := saleOff.Mul(after[i]).Div(sum).Round(2)
			out.Lines[i].Discount = out.Lines[i].Discount.Add(share)
			shared = shared.Add(share)
			if after[i].GreaterThan(after[largest]) {
				largest = i
			}
		}
		out.Lines[largest].Discount = out.Lines[largest].Discount.Add(saleOff.Sub(shared))
	}
	one := decimal.NewFromInt(1)
	for i, pl := range lines {
		l := &out.Lines[i]
		l.Total = l.UnitPrice.Mul(decimal.NewFromInt(int64(l.Quantity))).Sub(l.Discount)
		if l.Total.IsNegative() {
			return Priced{}, fmt.Errorf("line %d (%s): the discounts are more than the line: %w", i+1, pl.Title, ErrDiscountTooLarge)
		}
		if taxesIncluded {
			l.Tax = l.Total.Mul(pl.TaxRate).Div(one.Add(pl.TaxRate)).Round(2)
		} else {
			l.Tax = l.Total.Mul(pl.TaxRate).Round(2)
		}
		l.Taxes = []LineTax{{Title: TaxTitle(pl.TaxRate), Rate: pl.TaxRate, Amount: l.Tax}}
		out.Subtotal = out.Subtotal.Add(l.Total)
		out.DiscountTotal = out.DiscountTotal.Add(l.Discount)
		out.TaxTotal = out.TaxTotal.Add(l.Tax)
	}
	out.Total = out.Subtotal
	if !taxesIncluded {
		out.Total = out.Total.Add(out.TaxTotal)
	}
	return out, nil
}
