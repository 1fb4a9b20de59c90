package shopdata

import (
	"errors"
	"fmt"

	"github.com/shopspring/decimal"
)

// CheckTotals recomputes o's amounts from its line items and shipping lines by the rules in
// the package documentation and reports every figure that differs, naming the field, the
// value in the order and the recomputed value. It returns nil for a consistent order.
//
// It is deliberately written apart from the generator so that a slip in one is caught by the
// other; the simulator can also run it over orders loaded from a file.
func CheckTotals(o Order) error {
	var errs []error
	fail := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf(format, args...))
	}
	expect := func(field string, got Money, want decimal.Decimal) {
		if !got.Equal(got.Round(2)) {
			// Rendered with two decimals it would differ from the value computed with.
			fail("%s is %s: more than two decimals", field, got.Decimal.String())
			return
		}
		if !got.Equal(want) {
			fail("%s is %s, recomputed %s", field, got.StringFixed(2), want.StringFixed(2))
		}
	}
	one := decimal.NewFromInt(1)
	taxOf := func(base decimal.Decimal, rate decimal.Decimal) decimal.Decimal {
		if o.TaxesIncluded {
			return base.Mul(rate).Div(one.Add(rate)).Round(2)
		}
		return base.Mul(rate).Round(2)
	}
	type taxKey struct{ title, rate string }
	taxSums := map[taxKey]decimal.Decimal{}
	checkTaxes := func(what string, lines []TaxLine, base decimal.Decimal) decimal.Decimal {
		sum := decimal.Zero
		for i, t := range lines {
			if t.Rate.IsNegative() {
				fail("%s tax_lines[%d] has a negative rate %s", what, i, t.Rate.String())
				continue
			}
			expect(fmt.Sprintf("%s tax_lines[%d] (%s %s)", what, i, t.Title, t.Rate.String()), t.Price, taxOf(base, t.Rate.Decimal))
			sum = sum.Add(t.Price.Decimal)
			k := taxKey{t.Title, t.Rate.String()}
			taxSums[k] = taxSums[k].Add(t.Price.Decimal)
		}
		return sum
	}
	apps := o.DiscountApplications
	appSums := make([]decimal.Decimal, len(apps))
	checkAllocs := func(what, target string, allocs []DiscountAllocation) decimal.Decimal {
		sum := decimal.Zero
		for _, a := range allocs {
			i := a.DiscountApplicationIndex
			if i < 0 || i >= len(apps) {
				fail("%s: discount allocation points at application %d of %d", what, i, len(apps))
				continue
			}
			if apps[i].TargetType != target {
				fail("%s: discount allocation points at a %s application", what, apps[i].TargetType)
			}
			if a.Amount.IsNegative() {
				fail("%s: negative discount allocation %s", what, a.Amount)
			}
			appSums[i] = appSums[i].Add(a.Amount.Decimal)
			sum = sum.Add(a.Amount.Decimal)
		}
		return sum
	}

	lineItems, lineDiscounts, tax := decimal.Zero, decimal.Zero, decimal.Zero
	weight := 0
	for i, li := range o.LineItems {
		what := fmt.Sprintf("line_items[%d]", i)
		if li.Quantity <= 0 {
			fail("%s: quantity %d", what, li.Quantity)
		}
		expect(what+" price", li.Price, li.Price.Decimal)
		gross := li.Price.Mul(decimal.NewFromInt(int64(li.Quantity)))
		discount := checkAllocs(what, "line_item", li.DiscountAllocations)
		expect(what+" total_discount", li.TotalDiscount, discount)
		if discount.GreaterThan(gross) {
			fail("%s: discount %s exceeds the line's %s", what, discount.StringFixed(2), gross.StringFixed(2))
		}
		if li.GiftCard && len(li.TaxLines) > 0 {
			fail("%s: gift card line has tax lines", what)
		}
		if !li.Taxable && len(li.TaxLines) > 0 {
			fail("%s: untaxable line has tax lines", what)
		}
		tax = tax.Add(checkTaxes(what, li.TaxLines, gross.Sub(discount)))
		lineItems = lineItems.Add(gross)
		lineDiscounts = lineDiscounts.Add(discount)
		weight += li.Grams * li.Quantity
	}

	shipping, shippingDiscounts := decimal.Zero, decimal.Zero
	for i, s := range o.ShippingLines {
		what := fmt.Sprintf("shipping_lines[%d]", i)
		expect(what+" price", s.Price, s.Price.Decimal)
		discount := checkAllocs(what, "shipping_line", s.DiscountAllocations)
		expect(what+" discounted_price", s.DiscountedPrice, s.Price.Sub(discount))
		tax = tax.Add(checkTaxes(what, s.TaxLines, s.DiscountedPrice.Decimal))
		shipping = shipping.Add(s.DiscountedPrice.Decimal)
		shippingDiscounts = shippingDiscounts.Add(discount)
	}

	for _, dc := range o.DiscountCodes {
		sum, found := decimal.Zero, false
		for i, a := range apps {
			if a.Type == "discount_code" && a.Code == dc.Code {
				sum, found = sum.Add(appSums[i]), true
			}
		}
		if !found {
			fail("discount code %s has no discount application", dc.Code)
			continue
		}
		expect("discount_codes "+dc.Code+" amount", dc.Amount, sum)
	}

	subtotal := lineItems.Sub(lineDiscounts)
	total := subtotal.Add(shipping).Add(o.TotalTipReceived.Decimal)
	if !o.TaxesIncluded {
		total = total.Add(tax)
	}
	expect("total_line_items_price", o.TotalLineItemsPrice, lineItems)
	expect("subtotal_price", o.SubtotalPrice, subtotal)
	expect("total_discounts", o.TotalDiscounts, lineDiscounts.Add(shippingDiscounts))
	expect("total_tax", o.TotalTax, tax)
	expect("total_price", o.TotalPrice, total)
	expect("total_shipping_price_set", o.TotalShippingPriceSet.ShopMoney.Amount, shipping)
	if o.TotalWeight != weight {
		fail("total_weight is %d, recomputed %d", o.TotalWeight, weight)
	}
	if o.TotalTipReceived.IsNegative() {
		fail("total_tip_received is negative: %s", o.TotalTipReceived)
	}

	// Order-level tax lines are the line and shipping taxes summed per (title, rate).
	seen := map[taxKey]bool{}
	for _, t := range o.TaxLines {
		k := taxKey{t.Title, t.Rate.String()}
		if seen[k] {
			fail("tax_lines lists %s %s twice", t.Title, k.rate)
		}
		seen[k] = true
		expect("tax_lines "+t.Title+" "+k.rate, t.Price, taxSums[k])
	}
	for k, sum := range taxSums {
		if !seen[k] && !sum.IsZero() {
			fail("tax_lines lacks %s %s (%s)", k.title, k.rate, sum.StringFixed(2))
		}
	}

	// What is still owed follows from the financial status.
	zero := decimal.Zero
	switch o.FinancialStatus {
	case "paid", "refunded", "partially_refunded", "voided":
		expect("total_outstanding", o.TotalOutstanding, zero)
	case "pending", "authorized":
		if o.CancelledAt == nil {
			expect("total_outstanding", o.TotalOutstanding, total)
		}
	case "partially_paid":
		if !o.TotalOutstanding.IsPositive() || !o.TotalOutstanding.LessThan(total) {
			fail("total_outstanding is %s for a partially paid order of %s", o.TotalOutstanding, total.StringFixed(2))
		}
	default:
		fail("unknown financial_status %q", o.FinancialStatus)
	}
	if o.CancelledAt != nil {
		expect("total_outstanding (cancelled)", o.TotalOutstanding, zero)
		expect("current_total_price (cancelled)", o.CurrentTotalPrice, zero)
	} else {
		expect("current_total_price", o.CurrentTotalPrice, total)
		expect("current_subtotal_price", o.CurrentSubtotalPrice, subtotal)
		expect("current_total_tax", o.CurrentTotalTax, tax)
	}

	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("order %s (%d): %w", o.Name, o.ID, errors.Join(errs...))
}
