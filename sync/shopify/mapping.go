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
	// Updated is an imported order Shopify changed since: the change was recorded against
	// its sale.
	Updated Outcome = "updated"
	// NeedsReview is an imported order Shopify changed in a way kassa cannot express: the
	// reason says what differs, and staff decide.
	NeedsReview Outcome = "needs_review"
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
	// changed reports that the order was edited or refunded before import: it is
	// imported as it stands (current quantities and totals).
	changed bool
}

// lineDraft is a sale line with what is needed to find or create its product.
type lineDraft struct {
	sales.Line
	// Set for product lines: the Shopify ids and what a created product gets.
	variantID, productID int64
	tracks               bool // Shopify tracks the variant's stock
	// Filled in by the database step.
	productTracks bool // the POS product tracks stock: the line moves stock
	// leftUnsold is how many units were refunded in Shopify without restock before the
	// import: not sold, yet gone from the shop, so stock falls by them too.
	leftUnsold int
	// omit keeps the line off the sale: it is there for its leftUnsold units alone.
	omit bool
	// prorated marks a line an edit reduced: its discount and tax are its share of the
	// original line's, rounded (see settleRounding).
	prorated bool
}

// settleRounding gives the lines an edit reduced the cents by which their rounded shares
// of tax and discount miss Shopify's current figures: at most a cent a line, the
// rounding of a share, never more (a larger difference stays a mismatch, reported with
// both figures).
func settleRounding(lines []lineDraft, o *shopifyapi.Order) {
	var idx []int
	tax, discounts := decimal.Zero, decimal.Zero
	for i, l := range lines {
		if l.omit {
			continue
		}
		tax, discounts = tax.Add(l.Tax), discounts.Add(l.Discount)
		if l.prorated {
			idx = append(idx, i)
		}
	}
	if len(idx) == 0 {
		return
	}
	cent := decimal.New(1, -2)
	limit := cent.Mul(decimal.NewFromInt(int64(len(idx))))
	if diff := o.CurrentTotalTax.Sub(tax); !diff.IsZero() && diff.Abs().LessThanOrEqual(limit) {
		step := cent.Mul(decimal.NewFromInt(int64(diff.Sign())))
		for k := 0; !diff.IsZero() && k < len(idx); k++ {
			l := &lines[idx[k]]
			if len(l.Taxes) == 0 || l.Taxes[len(l.Taxes)-1].Amount.Add(step).IsNegative() {
				continue
			}
			l.Taxes[len(l.Taxes)-1].Amount = l.Taxes[len(l.Taxes)-1].Amount.Add(step)
			l.Tax = l.Tax.Add(step)
			diff = diff.Sub(step)
		}
	}
	if diff := o.CurrentTotalDiscounts.Sub(discounts); !diff.IsZero() && diff.Abs().LessThanOrEqual(limit) {
		step := cent.Mul(decimal.NewFromInt(int64(diff.Sign())))
		for k := 0; !diff.IsZero() && k < len(idx); k++ {
			l := &lines[idx[k]]
			nd := l.Discount.Add(step)
			gross := l.UnitPrice.Mul(decimal.NewFromInt(int64(l.Quantity)))
			if nd.IsNegative() || nd.GreaterThan(gross) {
				continue
			}
			l.Discount, l.Total = nd, gross.Sub(nd)
			diff = diff.Sub(step)
		}
	}
}

// classify returns the outcome an order gets before it is mapped (already_imported is the
// database's to decide and is checked first, by the caller), or "" when it is to be
// imported.
func classify(o *shopifyapi.Order, c Connection, now time.Time) (Outcome, string) {
	importTests := c.ImportTestOrders
	pickup, at := IsLocalPickup(o)
	switch {
	case !o.CancelledAt.IsZero():
		return Cancelled, "cancelled in Shopify at " + o.CancelledAt.Format(time.RFC3339)
	case o.Test && !importTests:
		return TestOrder, "a test order; the connection does not import test orders"
	case !o.CreatedAt.IsZero() && now.Sub(o.CreatedAt) > MaxOrderAge:
		return TooOld, fmt.Sprintf("created %s, more than 60 days ago", o.CreatedAt.Format(time.RFC3339))
	case len(o.ShippingLines) == 0:
		return NoShippingMethod, "the order has no shipping line"
	case pickup && !c.ImportPickups:
		return NoShippingMethod, "local pickup at " + at
	case nothingLeft(o):
		return Cancelled, "every line was refunded or removed in Shopify before import: nothing is left to sell"
	}
	return "", ""
}

// IsLocalPickup reports whether the order is collected by the buyer at a location of the
// shop, and names the location. The order's delivery method says so when its shape carries
// one (GraphQL fulfillment orders: a pickup when every one is PICK_UP; SHIPPING, LOCAL
// delivery and the others are not); a REST order or webhook body does not, and there a pickup is an order
// with no shipping address whose shipping lines are all free, named after the location.
func IsLocalPickup(o *shopifyapi.Order) (bool, string) {
	if len(o.DeliveryMethods) > 0 {
		for _, m := range o.DeliveryMethods {
			if !strings.EqualFold(m, "PICK_UP") {
				return false, ""
			}
		}
		return true, pickupName(o.PickupLocation, o)
	}
	if o.ShippingAddress != nil || len(o.ShippingLines) == 0 {
		return false, ""
	}
	for _, s := range o.ShippingLines {
		if !s.Price.IsZero() || s.DiscountedPrice.IsPositive() {
			return false, ""
		}
	}
	return true, pickupName("", o)
}

// pickupName is the cleaned name of a pickup location: the one given, else the first
// shipping line's title or code.
func pickupName(given string, o *shopifyapi.Order) string {
	name := text.Clean(given, text.MaxName)
	for _, s := range o.ShippingLines {
		if name != "" {
			break
		}
		name = text.Clean(s.Title, text.MaxName)
		if name == "" {
			name = text.Clean(s.Code, text.MaxName)
		}
	}
	if name == "" {
		name = "the shop"
	}
	return name
}

// nothingLeft reports whether every line of the order is at quantity 0 now (refunded or
// removed by edits before it was imported).
func nothingLeft(o *shopifyapi.Order) bool {
	if len(o.LineItems) == 0 {
		return false
	}
	refunded := refundedQuantities(o)
	for i := range o.LineItems {
		if currentQuantity(&o.LineItems[i], refunded) > 0 {
			return false
		}
	}
	return true
}

// refundedQuantities sums the quantities the order's refunds took back, by line item id.
func refundedQuantities(o *shopifyapi.Order) map[int64]int64 {
	out := map[int64]int64{}
	for _, r := range o.Refunds {
		for _, l := range r.LineItems {
			out[l.LineItemID] += l.Quantity
		}
	}
	return out
}

// currentQuantity is the line's quantity as the order stands: Shopify's current_quantity,
// else (older payloads) the quantity less what refunds took back.
func currentQuantity(li *shopifyapi.LineItem, refunded map[int64]int64) int64 {
	if li.HasCurrentQuantity {
		return max(li.CurrentQuantity, 0)
	}
	return max(li.Quantity-refunded[li.ID], 0)
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
	refunds := lineRefunds(o, c.stockLocation())
	changed := len(o.Refunds) > 0
	for i := range o.LineItems {
		li := &o.LineItems[i]
		what := fmt.Sprintf("line %d (%s)", i+1, li.Title)
		if li.Quantity <= 0 || li.Quantity > maxQuantity {
			errs = append(errs, fmt.Errorf("%s: quantity %d", what, li.Quantity))
			continue
		}
		rf := refunds[li.ID]
		current := currentQuantity(li, map[int64]int64{li.ID: rf.quantity})
		if current > li.Quantity {
			errs = append(errs, fmt.Errorf("%s: current quantity %d exceeds the quantity %d", what, current, li.Quantity))
			continue
		}
		if current != li.Quantity {
			changed = true
		}
		if rf.quantity > li.Quantity-current {
			// More refunded than removed (a payload whose current_quantity already counts
			// a later edit adding units back): only what is removed is taken off.
			rf = rf.share(li.Quantity - current)
		}
		if current == 0 {
			// Removed by an edit or refunded in full: not sold. Units refunded without
			// restock still left the shop.
			if !li.GiftCard && (li.VariantID != 0 || li.SKU != "") && rf.unrestocked > 0 {
				ld := lineDraft{Line: sales.Line{Kind: sales.KindProduct, SKU: text.Clean(li.SKU, text.MaxName),
					Title: lineTitle(li), VariantTitle: variantTitle(li.VariantTitle), UnitPrice: li.Price.Round(2).Abs()},
					variantID: li.VariantID, productID: li.ProductID, tracks: tracksStock(li, carriesInventoryManagement),
					omit: true, leftUnsold: int(rf.unrestocked)}
				d.lines = append(d.lines, ld)
			}
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
		gross := price.Mul(decimal.NewFromInt(li.Quantity))
		if discount.GreaterThan(gross) {
			errs = append(errs, fmt.Errorf("%s: discount %s exceeds the line's %s", what, money.String(discount), money.String(gross)))
			continue
		}
		lineTaxes := li.TaxLines
		if current < li.Quantity {
			// What the removed units took with them: for refunded units what the refund
			// says, for units an edit removed their share of the line.
			edited := li.Quantity - current - rf.quantity
			share := func(v decimal.Decimal) decimal.Decimal {
				return v.Mul(decimal.NewFromInt(edited)).Div(decimal.NewFromInt(li.Quantity)).Round(2)
			}
			taxAll := decimal.Zero
			for _, t := range li.TaxLines {
				taxAll = taxAll.Add(t.Price)
			}
			offDiscount := share(discount).Add(price.Mul(decimal.NewFromInt(rf.quantity)).Sub(rf.subtotal))
			discount = clamp(discount.Sub(offDiscount), decimal.Zero, discount)
			lineTaxes = reduceTaxes(li.TaxLines, clamp(share(taxAll).Add(rf.tax), decimal.Zero, taxAll))
		}
		qty := decimal.NewFromInt(current)
		gross = price.Mul(qty)
		if discount.GreaterThan(gross) {
			discount = gross
		}
		tax, taxes := taxesOf(what, lineTaxes)
		title := lineTitle(li)
		ld := lineDraft{leftUnsold: int(rf.unrestocked), prorated: li.Quantity-current > rf.quantity, Line: sales.Line{
			SKU: text.Clean(li.SKU, text.MaxName), Title: title, VariantTitle: variantTitle(li.VariantTitle),
			Quantity: int(current), UnitPrice: price, Discount: discount, Tax: tax, Taxes: taxes,
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
			ld.tracks = tracksStock(li, carriesInventoryManagement)
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
	// Shipping Shopify refunded (order adjustments of kind shipping_refund, written
	// negative) comes off the shipping lines in order, price and tax.
	shipRefund, shipRefundTax := decimal.Zero, decimal.Zero
	for _, r := range o.Refunds {
		for _, a := range r.Adjustments {
			if a.Kind == "shipping_refund" {
				shipRefund = shipRefund.Add(a.Amount.Abs())
				shipRefundTax = shipRefundTax.Add(a.TaxAmount.Abs())
			}
		}
	}
	if shipRefund.IsPositive() {
		changed = true
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
		shipTaxes := s.TaxLines
		if shipRefund.IsPositive() {
			off := decimal.Min(shipRefund, price.Sub(discount))
			price, shipRefund = price.Sub(off), shipRefund.Sub(off)
			taxAll := decimal.Zero
			for _, t := range s.TaxLines {
				taxAll = taxAll.Add(t.Price)
			}
			offTax := decimal.Min(shipRefundTax, taxAll)
			shipTaxes, shipRefundTax = reduceTaxes(s.TaxLines, offTax), shipRefundTax.Sub(offTax)
		}
		tax, taxes := taxesOf(what, shipTaxes)
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

	if o.HasCurrentTotals {
		settleRounding(d.lines, o)
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
	// The order as it stands is Shopify's current figures. An order nothing was taken
	// from may carry them stale or not at all (older payloads): its original figures
	// then stand too.
	mismatchWith := func(wantTotal, wantTax, wantDiscounts decimal.Decimal) []string {
		var m []string
		if !total.Equal(wantTotal) {
			m = append(m, fmt.Sprintf("total %s ≠ Shopify %s", money.String(total), money.String(wantTotal)))
		}
		if !tax.Equal(wantTax) {
			m = append(m, fmt.Sprintf("tax %s ≠ Shopify %s", money.String(tax), money.String(wantTax)))
		}
		if !discounts.Equal(wantDiscounts) {
			m = append(m, fmt.Sprintf("discounts %s ≠ Shopify %s", money.String(discounts), money.String(wantDiscounts)))
		}
		return m
	}
	var mismatch []string
	switch {
	case o.HasCurrentTotals:
		mismatch = mismatchWith(o.CurrentTotalPrice, o.CurrentTotalTax, o.CurrentTotalDiscounts)
		if len(mismatch) > 0 && !changed && len(mismatchWith(o.TotalPrice, o.TotalTax, o.TotalDiscounts)) == 0 {
			mismatch = nil
		}
	case changed:
		mismatch = []string{"the order was edited or refunded in Shopify but carries no current_total_price: what it stands at is unknown"}
	default:
		mismatch = mismatchWith(o.TotalPrice, o.TotalTax, o.TotalDiscounts)
	}
	if len(mismatch) > 0 {
		return nil, errors.New(strings.Join(mismatch, "; "))
	}

	// Paid is what Shopify kept: the order as it stands less what is still owed. A
	// negative outstanding amount is a refund Shopify owes the buyer: the sale is paid, and
	// the refund is recorded when Shopify records it.
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
	if outstanding.IsNegative() {
		outstanding = decimal.Zero
	}
	if outstanding.GreaterThan(total) {
		return nil, fmt.Errorf("total_outstanding %s is more than the order's total %s", money.String(outstanding), money.String(total))
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
	d.changed = changed
	d.payType = paymentTypeFor(o.PaymentGatewayNames, o.Gateway)
	d.paidAt = soldAt
	d.customer, d.custExtID = customerOf(o)
	return d, nil
}

// lineTitle is the cleaned title of a line item.
func lineTitle(li *shopifyapi.LineItem) string {
	title := text.Clean(li.Title, text.MaxName)
	if title == "" {
		title = text.Clean(li.Name, text.MaxName)
	}
	if title == "" {
		title = "Item"
	}
	return title
}

// tracksStock reports whether Shopify tracks the stock of the line's variant.
func tracksStock(li *shopifyapi.LineItem, carriesInventoryManagement bool) bool {
	if carriesInventoryManagement {
		return strings.EqualFold(li.VariantInventoryManagement, "shopify")
	}
	// A payload without the field at all (hand-made, older exports) says nothing about
	// tracking: physical goods are stocked, as in the POS.
	return li.RequiresShipping
}

// lineRefund is what an order's refunds took back of one line item.
type lineRefund struct {
	quantity    int64
	unrestocked int64 // of quantity, the units Shopify did not put back into stock
	subtotal    decimal.Decimal
	tax         decimal.Decimal
}

// share is the refund scaled down to n of its units (n < r.quantity).
func (r lineRefund) share(n int64) lineRefund {
	if r.quantity <= 0 || n >= r.quantity {
		return r
	}
	f := decimal.NewFromInt(n).Div(decimal.NewFromInt(r.quantity))
	return lineRefund{quantity: n, unrestocked: min(r.unrestocked, n), subtotal: r.subtotal.Mul(f).Round(2), tax: r.tax.Mul(f).Round(2)}
}

// lineRefunds sums the order's refunds by line item id; units restocked at a location
// other than loc (the connection's) did not come back to the outlet.
func lineRefunds(o *shopifyapi.Order, loc int64) map[int64]lineRefund {
	out := map[int64]lineRefund{}
	for _, r := range o.Refunds {
		for _, l := range r.LineItems {
			x := out[l.LineItemID]
			x.quantity += l.Quantity
			if !restockedHere(l, loc) {
				x.unrestocked += l.Quantity
			}
			x.subtotal = x.subtotal.Add(l.Subtotal)
			x.tax = x.tax.Add(l.TotalTax)
			out[l.LineItemID] = x
		}
	}
	return out
}

// restockedHere reports whether a refund line's goods came back into the outlet: Shopify
// restocked them (restock_type return or cancel) at the connection's location loc, or at
// no location it names (older refunds, and Shopify's legacy_restock). With loc 0 (the
// connection names no location yet) every restock counts.
func restockedHere(l shopifyapi.RefundLineItem, loc int64) bool {
	return l.Restocked() && (l.LocationID == 0 || loc == 0 || l.LocationID == loc)
}

// clamp bounds v to [lo, hi].
func clamp(v, lo, hi decimal.Decimal) decimal.Decimal {
	if v.LessThan(lo) {
		return lo
	}
	if v.GreaterThan(hi) {
		return hi
	}
	return v
}

// reduceTaxes takes off amount from the tax lines in proportion to their amounts, the last
// taking the rounding; amount is at most their sum.
func reduceTaxes(tls []shopifyapi.TaxLine, amount decimal.Decimal) []shopifyapi.TaxLine {
	sum := decimal.Zero
	for _, t := range tls {
		sum = sum.Add(t.Price)
	}
	if amount.IsZero() || sum.IsZero() {
		return tls
	}
	out := make([]shopifyapi.TaxLine, len(tls))
	left := amount
	for i, t := range tls {
		off := t.Price.Mul(amount).Div(sum).Round(2)
		if i == len(tls)-1 {
			off = left
		}
		off = clamp(off, decimal.Zero, t.Price)
		left = left.Sub(off)
		out[i] = shopifyapi.TaxLine{Title: t.Title, Rate: t.Rate, Price: t.Price.Sub(off)}
	}
	return out
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
