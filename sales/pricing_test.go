package sales_test

import (
	"errors"
	"testing"

	"github.com/kassa-pos/kassa/sales"
)

// receiptLines are the three lines of the hand-computed receipts below: a Belgian shop's
// cups at 21 % with 10 % off the line, a book at 6 %, chocolate at 12 %.
func receiptLines() []sales.PriceLine {
	return []sales.PriceLine{
		{SKU: "CUP", Title: "Espresso cup", Quantity: 3, UnitPrice: d("12.50"), TaxRate: d("0.21"), Discount: sales.Discount{Percent: d("10")}},
		{SKU: "BOOK", Title: "Coffee book", Quantity: 1, UnitPrice: d("19.99"), TaxRate: d("0.06")},
		{SKU: "CHOC", Title: "Chocolate", Quantity: 2, UnitPrice: d("3.49"), TaxRate: d("0.12")},
	}
}

// Worked by hand (the rule in pricing.go):
//
//	CUP   3 × 12.50 = 37.50, 10 % off 3.75 → 33.75
//	BOOK  1 × 19.99 = 19.99
//	CHOC  2 × 3.49  =  6.98                     after line discounts: 60.72
//	sale discount 5.00 shared: 5 × 33.75 / 60.72 = 2.7791 → 2.78
//	                           5 × 19.99 / 60.72 = 1.6460 → 1.65
//	                           5 ×  6.98 / 60.72 = 0.5747 → 0.57  (sum 5.00)
//	lines: 30.97, 18.34, 6.41 = 55.72; discounts 6.53, 1.65, 0.57 = 8.75
//	tax-inclusive: 30.97 × 21/121 = 5.3749 → 5.37; 18.34 × 6/106 = 1.0381 → 1.04;
//	               6.41 × 12/112 = 0.6867 → 0.69; tax 7.10, total 55.72
//	tax-exclusive: 30.97 × 0.21 = 6.5037 → 6.50; 18.34 × 0.06 = 1.1004 → 1.10;
//	               6.41 × 0.12 = 0.7692 → 0.77; tax 8.37, total 64.09
func TestPriceSaleMatchesHandComputedReceipts(t *testing.T) {
	for _, tc := range []struct {
		name       string
		included   bool
		taxes      []string
		tax, total string
	}{
		{"tax-inclusive", true, []string{"5.37", "1.04", "0.69"}, "7.10", "55.72"},
		{"tax-exclusive", false, []string{"6.50", "1.10", "0.77"}, "8.37", "64.09"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := sales.PriceSale(tc.included, receiptLines(), sales.Discount{Amount: d("5.00")})
			if err != nil {
				t.Fatal(err)
			}
			wantTotals := []string{"30.97", "18.34", "6.41"}
			wantDiscounts := []string{"6.53", "1.65", "0.57"}
			for i, l := range p.Lines {
				if l.Total.StringFixed(2) != wantTotals[i] || l.Discount.StringFixed(2) != wantDiscounts[i] || l.Tax.StringFixed(2) != tc.taxes[i] {
					t.Errorf("line %d: total %s discount %s tax %s, want %s %s %s", i+1, l.Total.StringFixed(2), l.Discount.StringFixed(2),
						l.Tax.StringFixed(2), wantTotals[i], wantDiscounts[i], tc.taxes[i])
				}
				if len(l.Taxes) != 1 || !l.Taxes[0].Amount.Equal(l.Tax) || !l.Taxes[0].Rate.Equal(receiptLines()[i].TaxRate) {
					t.Errorf("line %d taxes %+v", i+1, l.Taxes)
				}
			}
			if p.Subtotal.StringFixed(2) != "55.72" || p.DiscountTotal.StringFixed(2) != "8.75" ||
				p.TaxTotal.StringFixed(2) != tc.tax || p.Total.StringFixed(2) != tc.total {
				t.Errorf("subtotal %s discounts %s tax %s total %s, want 55.72 8.75 %s %s",
					p.Subtotal.StringFixed(2), p.DiscountTotal.StringFixed(2), p.TaxTotal.StringFixed(2), p.Total.StringFixed(2), tc.tax, tc.total)
			}
		})
	}
}

// Tax is rounded per line, not on the sale: two lines of 1.00 at 21 % inclusive carry
// 0.17 each (0.1735...), 0.34 in all, where 2.00 on one line carries 0.35.
func TestTaxIsRoundedPerLine(t *testing.T) {
	one := sales.PriceLine{Title: "Sticker", Quantity: 1, UnitPrice: d("1.00"), TaxRate: d("0.21")}
	p, err := sales.PriceSale(true, []sales.PriceLine{one, one}, sales.Discount{})
	if err != nil {
		t.Fatal(err)
	}
	if p.TaxTotal.StringFixed(2) != "0.34" {
		t.Errorf("two lines: tax %s, want 0.34", p.TaxTotal.StringFixed(2))
	}
	one.Quantity = 2
	if p, err = sales.PriceSale(true, []sales.PriceLine{one}, sales.Discount{}); err != nil || p.TaxTotal.StringFixed(2) != "0.35" {
		t.Errorf("one line of two: tax %s (%v), want 0.35", p.TaxTotal.StringFixed(2), err)
	}
	// A half cent rounds away from zero: 2.50 × 21 % = 0.525 → 0.53.
	half := sales.PriceLine{Title: "Card", Quantity: 1, UnitPrice: d("2.50"), TaxRate: d("0.21")}
	if p, err = sales.PriceSale(false, []sales.PriceLine{half}, sales.Discount{}); err != nil || p.TaxTotal.StringFixed(2) != "0.53" || p.Total.StringFixed(2) != "3.03" {
		t.Errorf("half a cent: tax %s total %s (%v), want 0.53 3.03", p.TaxTotal.StringFixed(2), p.Total.StringFixed(2), err)
	}
}

// A sale discount that does not share out evenly leaves its odd cent on the largest line
// (the first of equals), so the shares add up to the discount.
func TestSaleDiscountRemainderGoesToTheLargestLine(t *testing.T) {
	l := sales.PriceLine{Title: "Pin", Quantity: 1, UnitPrice: d("1.00"), TaxRate: d("0")}
	p, err := sales.PriceSale(true, []sales.PriceLine{l, l, l}, sales.Discount{Amount: d("1.00")})
	if err != nil {
		t.Fatal(err)
	}
	got := []string{p.Lines[0].Discount.StringFixed(2), p.Lines[1].Discount.StringFixed(2), p.Lines[2].Discount.StringFixed(2)}
	if got[0] != "0.34" || got[1] != "0.33" || got[2] != "0.33" || p.Total.StringFixed(2) != "2.00" {
		t.Errorf("shares %v total %s, want [0.34 0.33 0.33] 2.00", got, p.Total.StringFixed(2))
	}
}

func TestPriceSaleRefusesBadDiscounts(t *testing.T) {
	l := sales.PriceLine{Title: "Pin", Quantity: 1, UnitPrice: d("1.00"), TaxRate: d("0")}
	if _, err := sales.PriceSale(true, []sales.PriceLine{l}, sales.Discount{Amount: d("1.01")}); !errors.Is(err, sales.ErrDiscountTooLarge) {
		t.Errorf("sale discount over the total: %v", err)
	}
	l.Discount = sales.Discount{Amount: d("2")}
	if _, err := sales.PriceSale(true, []sales.PriceLine{l}, sales.Discount{}); !errors.Is(err, sales.ErrDiscountTooLarge) {
		t.Errorf("line discount over the line: %v", err)
	}
	for _, s := range []string{"-1", "101%", "abc", "1.234"} {
		if _, err := sales.ParseDiscount(s); !errors.Is(err, sales.ErrInvalidDiscount) {
			t.Errorf("ParseDiscount(%q): %v", s, err)
		}
	}
	if dd, err := sales.ParseDiscount("12.5%"); err != nil || !dd.Percent.Equal(d("12.5")) {
		t.Errorf("ParseDiscount(12.5%%) = %+v, %v", dd, err)
	}
}
