package shopify

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/kassa-pos/kassa/internal/text"
	"github.com/kassa-pos/kassa/money"
	"github.com/kassa-pos/kassa/sales"
	"github.com/kassa-pos/kassa/sync/shopify/shopifyapi"
)

// Outcome is what became of one Shopify order in an import run.
type Outcome string

// The outcomes of DESIGN.md, in the order the importer checks them (imported last).
const (
	Imported         Outcome = "imported"
	AlreadyImported  Outcome = "already_imported"
	Cancelled        Outcome = "cancelled"
	TestOrder        Outcome = "test_order"
	TooOld           Outcome = "too_old"
	NoShippingMethod Outcome = "no_shipping_method"
	Failed           Outcome = "failed"
)

// MaxOrderAge is how old an order may be and still be imported: Shopify shows an app without
// the read_all_orders scope only the last 60 days of orders.
const MaxOrderAge = 60 * 24 * time.Hour

// maxQuantity bounds a line's quantity (the column is a 32-bit integer).
const maxQuantity = 1_000_000

// draft is an order mapped to the sale it becomes, before the database resolves its
// products and customer.
type draft struct {
	order     *shopifyapi.Order
	sale      sales.Sale
	lines     []lineDraft
	collected decimal.Decimal // what Shopify already collected: one payment
	payType   string
	paidAt    time.Time
	customer  *sales.Customer // nil when the order names nobody
	custExtID int64           // the Shopify customer id, 0 when unknown
}

// lineDraft is a sale line with what is needed to find or create its product.
type lineDraft struct {
	sales.Line
	// Set for product lines: the Shopify ids and what a created product gets.
	variantID, productID int64
	tracks               bool // Shopify tracks the variant's stock
	// Filled in by the database step.
	productTracks bool // the POS product tracks stock: the line moves stock
}

// classify returns the outcome an order gets before it is mapped (already_imported is the
// database's to decide and is checked first, by the caller), or "" when it is to be
// imported.
func classify(o *shopifyapi.Order, importTests bool, now time.Time) (Outcome, string) {
	switch {
	case !o.CancelledAt.IsZero():
		return Cancelled, "cancelled in Shopify at " + o.CancelledAt.Format(time.RFC3339)
	case o.Test && !importTests:
		return TestOrder, "a test order; the connection does not import test orders"
	case !o.CreatedAt.IsZero() && now.Sub(o.CreatedAt) > MaxOrderAge:
		return TooOld, fmt.Sprintf("created %s, more than 60 days ago", o.CreatedAt.Format(time.RFC3339))
	case len(o.ShippingLines) == 0:
		return NoShippingMethod, "the order has no shipping line"
	}
	return "", ""
}

// paymentTypeFor maps an order's payment gateways to the payment type of what Shopify
// collected (see the package documentation). Only an order paid by bank deposit alone is a
// "Bank deposit": when a bank deposit is combined with another gateway (a gift card, say),
// the money collected is the other gateway's and the deposit is what is still owed.
func paymentTypeFor(gateways []string, gateway string) string {
	names := gateways
	if len(names) == 0 && strings.TrimSpace(gateway) != "" {
		names = []string{gateway}
	}
	bank := 0
	for _, g := range names {
		n := strings.ToLower(strings.TrimSpace(g))
		n = strings.NewReplacer("_", " ", "-", " ").Replace(n)
		if n == "bank deposit" {
			bank++
		}
	}
	if bank > 0 && bank == len(names) {
		return "Bank deposit"
	}
	return ShopifyPaymentType
}

// mapOrder turns an order into the sale it becomes for connection c, or says why it cannot.
// It is pure: products and the customer are resolved later against the database.
func mapOrder(o *shopifyapi.Order, c Connection, shippingSKU string) (*draft, error) {
	if o.DecodeErr != nil {
		return nil, o.DecodeErr
	}
	if text.Clean(o.Name, 0) == "" {
		return nil, errors.New("the order has no name (receipt number)")
	}
	if len(o.Name) > 100 {
		return nil, fmt.Errorf("the order name %.20q... is too long for a receipt number", o.Name)
	}
	if o.Currency != "" && c.Currency != "" && !strings.EqualFold(o.Currency, c.Currency) {
		return nil, fmt.Errorf("currency %s differs from outlet %s's %s", o.Currency, c.OutletName, c.Currency)
	}
	soldAt := o.ProcessedAt
	if soldAt.IsZero() {
		soldAt = o.CreatedAt
	}
	if soldAt.IsZero() {
		return nil, errors.New("the order has neither processed_at nor created_at")
	}
	if len(o.LineItems) == 0 {
		return nil, errors.New("the order has no line items")
	}
	d := &draft{order: o}
	var errs []error
	amount := func(what string, v decimal.Decimal) decimal.Decimal {
		if v.IsNegative() {
			errs = append(errs, fmt.Errorf("%s is negative (%s)", what, v.String()))
			return decimal.Zero
		}
		if !v.Equal(v.Round(2)) {
			errs = append(errs, fmt.Errorf("%s has more than two decimals (%s)", what, v.String()))
			return v.Round(2)
		}
		return v
	}
	taxesOf := func(what string, tls []shopifyapi.TaxLine) (decimal.Decimal, []sales.LineTax) {
		sum := decimal.Zero
		var out []sales.LineTax
		for i, t := range tls {
			a := amount(fmt.Sprintf("%s tax %d", what, i+1), t.Price)
			rate := t.Rate.Round(4)
			if rate.IsNegative() || rate.GreaterThanOrEqual(decimal.NewFromInt(100)) {
				errs = append(errs, fmt.Errorf("%s tax rate %s is out of range", what, t.Rate.String()))
				continue
			}
			sum = sum.Add(a)
			title := text.Clean(t.Title, text.MaxName)
			merged := false
			for j := range out {
				if out[j].Title == title && out[j].Rate.Equal(rate) {
					out[j].Amount = out[j].Amount.Add(a)
					merged = true
				}
			}
			if !merged {
				out = append(out, sales.LineTax{Title: title, Rate: rate, Amount: a})
			}
		}
		return sum, out
	}

	carriesInventoryManagement := o.InventoryManagementKnown || bytes.Contains(o.Raw, []byte(`"variant_inventory_management"`))
	for i := range o.LineItems {
		li := &o.LineItems[i]
		what := fmt.Sprintf("line %d (%s)", i+1, li.Title)
		if li.Quantity <= 0 || li.Quantity > maxQuantity {
			errs = append(errs, fmt.Errorf("%s: quantity %d", what, li.Quantity))
			continue
		}
		price := amount(what+" price", li.Price)
		discount := li.TotalDiscount
		if len(li.DiscountAllocations) > 0 {
			discount = decimal.Zero
			for _, a := range li.DiscountAllocations {
				discount = discount.Add(a.Amount)
			}
		}
		discount = amount(what+" discount", discount)
		qty := decimal.NewFromInt(li.Quantity)
		gross := price.Mul(qty)
		if discount.GreaterThan(gross) {
			errs = append(errs, fmt.Errorf("%s: discount %s exceeds the line's %s", what, money.String(discount), money.String(gross)))
			continue
		}
		tax, taxes := taxesOf(what, li.TaxLines)
		title := text.Clean(li.Title, text.MaxName)
		if title == "" {
			title = text.Clean(li.Name, text.MaxName)
		}
		if title == "" {
			title = "Item"
		}
		ld := lineDraft{Line: sales.Line{
			SKU: text.Clean(li.SKU, text.MaxName), Title: title, VariantTitle: variantTitle(li.VariantTitle),
			Quantity: int(li.Quantity), UnitPrice: price, Discount: discount, Tax: tax, Taxes: taxes,
			Total: gross.Sub(discount),
		}}
		switch {
		case li.GiftCard:
			ld.Kind = sales.KindGiftCard
		case li.VariantID == 0 && ld.SKU == "":
			// A custom item, or a product whose variant Shopify no longer knows.
			ld.Kind = sales.KindCustom
		default:
			ld.Kind = sales.KindProduct
			ld.variantID, ld.productID = li.VariantID, li.ProductID
			if carriesInventoryManagement {
				ld.tracks = strings.EqualFold(li.VariantInventoryManagement, "shopify")
			} else {
				// A payload without the field at all (hand-made, older exports) says
				// nothing about tracking: physical goods are stocked, as in the POS.
				ld.tracks = li.RequiresShipping
			}
		}
		d.lines = append(d.lines, ld)
		for j, du := range li.Duties {
			dw := fmt.Sprintf("%s duty %d", what, j+1)
			da := amount(dw, du.Amount)
			if da.IsZero() {
				continue
			}
			dtax, dtaxes := taxesOf(dw, du.TaxLines)
			t := "Duty"
			if du.HarmonizedSystemCode != "" {
				t += " (HS " + du.HarmonizedSystemCode + ")"
			}
			d.lines = append(d.lines, lineDraft{Line: sales.Line{
				Kind: sales.KindDuty, Title: text.Clean(t, text.MaxName), VariantTitle: title, Quantity: 1, UnitPrice: da,
				Discount: decimal.Zero, Tax: dtax, Taxes: dtaxes, Total: da,
			}})
		}
	}
	// Duties Shopify reports only for the whole order become one line.
	lineDuties := decimal.Zero
	for _, l := range d.lines {
		if l.Kind == sales.KindDuty {
			lineDuties = lineDuties.Add(l.Total)
		}
	}
	if orderDuties := o.OriginalTotalDuties; orderDuties.GreaterThan(lineDuties) && lineDuties.IsZero() {
		da := amount("duties", orderDuties)
		d.lines = append(d.lines, lineDraft{Line: sales.Line{
			Kind: sales.KindDuty, Title: "Duties", Quantity: 1, UnitPrice: da, Discount: decimal.Zero, Total: da,
		}})
	}
	for i, s := range o.ShippingLines {
		what := fmt.Sprintf("shipping line %d (%s)", i+1, s.Title)
		price := amount(what+" price", s.Price)
		discount := decimal.Zero
		if len(s.DiscountAllocations) > 0 {
			for _, a := range s.DiscountAllocations {
				discount = discount.Add(a.Amount)
			}
		} else if s.DiscountedPrice.LessThan(price) && !s.DiscountedPrice.IsNegative() {
			discount = price.Sub(s.DiscountedPrice)
		}
		discount = amount(what+" discount", discount)
		if discount.GreaterThan(price) {
			errs = append(errs, fmt.Errorf("%s: discount %s exceeds the price %s", what, money.String(discount), money.String(price)))
			continue
		}
		tax, taxes := taxesOf(what, s.TaxLines)
		title := text.Clean(s.Title, text.MaxName)
		if title == "" {
			title = text.Clean(s.Code, text.MaxName)
		}
		if title == "" {
			title = "Shipping"
		}
		d.lines = append(d.lines, lineDraft{Line: sales.Line{
			Kind: sales.KindShipping, SKU: shippingSKU, Title: title, Quantity: 1, UnitPrice: price,
			Discount: discount, Tax: tax, Taxes: taxes, Total: price.Sub(discount), ProductID: &c.ShippingProductID,
		}})
	}
	if tip := amount("total_tip_received", o.TotalTipReceived); tip.IsPositive() {
		d.lines = append(d.lines, lineDraft{Line: sales.Line{
			Kind: sales.KindTip, Title: "Tip", Quantity: 1, UnitPrice: tip, Discount: decimal.Zero, Total: tip,
		}})
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}

	subtotal, discounts, tax, total := decimal.Zero, decimal.Zero, decimal.Zero, decimal.Zero
	for _, l := range d.lines {
		switch l.Kind {
		case sales.KindProduct, sales.KindCustom, sales.KindGiftCard:
			subtotal = subtotal.Add(l.Total)
		}
		discounts = discounts.Add(l.Discount)
		tax = tax.Add(l.Tax)
		total = total.Add(l.Total)
	}
	if !o.TaxesIncluded {
		total = total.Add(tax)
	}
	var mismatch []string
	if !total.Equal(o.TotalPrice) {
		mismatch = append(mismatch, fmt.Sprintf("total %s ≠ Shopify %s", money.String(total), money.String(o.TotalPrice)))
	}
	if !tax.Equal(o.TotalTax) {
		mismatch = append(mismatch, fmt.Sprintf("tax %s ≠ Shopify %s", money.String(tax), money.String(o.TotalTax)))
	}
	if !discounts.Equal(o.TotalDiscounts) {
		mismatch = append(mismatch, fmt.Sprintf("discounts %s ≠ Shopify %s", money.String(discounts), money.String(o.TotalDiscounts)))
	}
	if len(mismatch) > 0 {
		return nil, errors.New(strings.Join(mismatch, "; "))
	}

	outstanding := o.TotalOutstanding
	switch strings.ToLower(o.FinancialStatus) {
	case "pending", "authorized":
		// Nothing is collected yet. Payloads without total_outstanding (older API versions)
		// still owe the whole total.
		if outstanding.IsZero() {
			outstanding = total
		}
	case "partially_paid":
		if outstanding.IsZero() {
			return nil, errors.New("a partially paid order without total_outstanding: what is still owed is unknown")
		}
	}
	if outstanding.IsNegative() || outstanding.GreaterThan(total) {
		return nil, fmt.Errorf("total_outstanding %s is outside 0.00 to the total %s", money.String(outstanding), money.String(total))
	}
	if !outstanding.Equal(outstanding.Round(2)) {
		return nil, fmt.Errorf("total_outstanding has more than two decimals (%s)", outstanding.String())
	}

	d.sale = sales.Sale{
		OutletID: c.OutletID, RegisterID: c.RegisterID, ReceiptNumber: text.Clean(o.Name, text.MaxName),
		Source: sales.SourceShopify, SoldAt: soldAt, Currency: strings.ToUpper(o.Currency),
		TaxesIncluded: o.TaxesIncluded, Subtotal: subtotal, DiscountTotal: discounts, TaxTotal: tax,
		Total: total,
	}
	if d.sale.Currency == "" {
		d.sale.Currency = c.Currency
	}
	d.collected = total.Sub(outstanding)
	d.payType = paymentTypeFor(o.PaymentGatewayNames, o.Gateway)
	d.paidAt = soldAt
	d.customer, d.custExtID = customerOf(o)
	return d, nil
}

// variantTitle cleans a variant's title and drops Shopify's placeholder title of a
// product's only variant.
func variantTitle(s string) string {
	s = text.Clean(s, text.MaxName)
	if s == "Default Title" {
		return ""
	}
	return s
}

// customerOf returns the customer an order names (by its customer, else its e-mail), with
// the Shopify customer id, or nil when it names nobody.
func customerOf(o *shopifyapi.Order) (*sales.Customer, int64) {
	var c sales.Customer
	var extID int64
	var addr *shopifyapi.Address
	if oc := o.Customer; oc != nil {
		extID = oc.ID
		c.Email, c.FirstName, c.LastName, c.Phone = oc.Email, oc.FirstName, oc.LastName, oc.Phone
		addr = oc.DefaultAddress
	}
	if strings.TrimSpace(c.Email) == "" {
		c.Email = o.Email
	}
	if addr == nil {
		addr = o.BillingAddress
	}
	if addr == nil {
		addr = o.ShippingAddress
	}
	if addr != nil {
		if c.FirstName == "" && c.LastName == "" {
			c.FirstName, c.LastName = addr.FirstName, addr.LastName
		}
		if c.Phone == "" {
			c.Phone = addr.Phone
		}
		c.Company, c.Address1, c.Address2, c.City = addr.Company, addr.Address1, addr.Address2, addr.City
		c.Zip, c.Province, c.Country = addr.Zip, addr.Province, addr.Country
	}
	for _, f := range []*string{&c.Email, &c.FirstName, &c.LastName, &c.Phone, &c.Company, &c.Address1, &c.Address2, &c.City, &c.Zip, &c.Province, &c.Country} {
		*f = text.Clean(*f, text.MaxName)
	}
	if c.Email == "" && extID == 0 {
		return nil, 0
	}
	return &c, extID
}

// sortedKeys returns a map's keys in order, for deterministic statements (and lock order).
func sortedKeys[K int64 | string, V any](m map[K]V) []K {
	out := make([]K, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}
