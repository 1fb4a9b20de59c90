package shopifyapi

import (
	"time"

	"github.com/shopspring/decimal"

	"github.com/kassa-pos/kassa/sync/shopify/shopifyjson"
)

// decodeFast is DecodeOrder's single pass: it validates the JSON and reads the fields kassa
// uses straight from the input bytes, in one go and without reflection. It reads each value
// with the same shopifyjson leaf as the reference decoder (decodeReference), and gives up
// (ok false) on anything it does not read exactly as the reference would: a value a leaf
// refuses, a key that encoding/json might match to a field without regard to case, a list
// or an object given twice (encoding/json decodes the second into what the first left),
// nesting deeper than encoding/json allows. DecodeOrder then runs the reference, whose
// answer (the error naming the field included) stands. So decodeFast must never accept an
// input the reference refuses, and must agree with it on every input it accepts;
// TestDecodeOrderMatchesReference and FuzzDecodeOrder check both. Why there are two
// decoders at all is measured in the package documentation.
//
// Object members are read in document order and each read replaces the field's value, so a
// leaf given twice ends with its last value, as with encoding/json.
//
// raw becomes the order's Raw as it is, without a copy.
func decodeFast(raw []byte) (o Order, ok bool) {
	defer func() {
		if r := recover(); r != nil {
			if _, isFallback := r.(fallback); !isFallback {
				panic(r)
			}
			o, ok = Order{}, false
		}
	}()
	d := &scanner{b: raw}
	if d.peek() != '{' {
		d.fail()
	}
	var sawCurrentDuties, sawOriginalDuties bool
	o = Order{
		TotalPrice: decimal.Zero, SubtotalPrice: decimal.Zero, TotalLineItemsPrice: decimal.Zero,
		TotalTax: decimal.Zero, TotalDiscounts: decimal.Zero, TotalOutstanding: decimal.Zero,
		TotalTipReceived: decimal.Zero, CurrentTotalDuties: decimal.Zero, OriginalTotalDuties: decimal.Zero,
		CurrentTotalPrice: decimal.Zero, CurrentSubtotalPrice: decimal.Zero, CurrentTotalTax: decimal.Zero,
		CurrentTotalDiscounts: decimal.Zero,
	}
	d.object(func(key []byte) {
		switch string(key) {
		case "id":
			o.ID = d.id()
		case "name":
			o.Name = d.str()
		case "order_number":
			o.OrderNumber = d.int()
		case "email":
			o.Email = d.str()
		case "created_at":
			o.CreatedAt = d.time()
		case "processed_at":
			o.ProcessedAt = d.time()
		case "updated_at":
			o.UpdatedAt = d.time()
		case "cancelled_at":
			o.CancelledAt = d.time()
		case "closed_at":
			o.ClosedAt = d.time()
		case "cancel_reason":
			o.CancelReason = d.str()
		case "test":
			o.Test = d.bool()
		case "currency":
			o.Currency = d.str()
		case "financial_status":
			o.FinancialStatus = d.str()
		case "fulfillment_status":
			o.FulfillmentStatus = d.str()
		case "taxes_included":
			o.TaxesIncluded = d.bool()
		case "total_price":
			o.TotalPrice = d.money()
		case "subtotal_price":
			o.SubtotalPrice = d.money()
		case "total_line_items_price":
			o.TotalLineItemsPrice = d.money()
		case "total_tax":
			o.TotalTax = d.money()
		case "total_discounts":
			o.TotalDiscounts = d.money()
		case "total_outstanding":
			o.TotalOutstanding = d.money()
		case "total_tip_received":
			o.TotalTipReceived = d.money()
		case "current_total_price":
			// null leaves the order without current figures, as the reference's pointer.
			v := d.leaf()
			o.CurrentTotalPrice, o.HasCurrentTotals = decimal.Zero, false
			if v != nil {
				var a shopifyjson.Amount
				if a.UnmarshalJSON(v) != nil {
					d.fail()
				}
				o.CurrentTotalPrice, o.HasCurrentTotals = a.Decimal(), true
			}
		case "current_subtotal_price":
			o.CurrentSubtotalPrice = d.money()
		case "current_total_tax":
			o.CurrentTotalTax = d.money()
		case "current_total_discounts":
			o.CurrentTotalDiscounts = d.money()
		case "refunds":
			d.empty(o.Refunds == nil)
			o.Refunds = d.refunds()
		case "current_total_duties_set":
			d.once(&sawCurrentDuties)
			o.CurrentTotalDuties, _ = d.moneySet()
		case "original_total_duties_set":
			d.once(&sawOriginalDuties)
			o.OriginalTotalDuties, _ = d.moneySet()
		case "payment_gateway_names":
			o.PaymentGatewayNames = d.strings()
		case "gateway":
			o.Gateway = d.str()
		case "source_name":
			o.SourceName = d.str()
		case "tags":
			o.Tags = d.str()
		case "tax_lines":
			d.empty(o.TaxLines == nil)
			o.TaxLines = d.taxLines()
		case "customer":
			d.empty(o.Customer == nil)
			o.Customer = d.customer()
		case "billing_address":
			d.empty(o.BillingAddress == nil)
			o.BillingAddress = d.address()
		case "shipping_address":
			d.empty(o.ShippingAddress == nil)
			o.ShippingAddress = d.address()
		case "line_items":
			d.empty(o.LineItems == nil)
			o.LineItems = d.lineItems()
		case "shipping_lines":
			d.empty(o.ShippingLines == nil)
			o.ShippingLines = d.shippingLines()
		default:
			d.other(key)
		}
	})
	d.ws()
	if d.i != len(d.b) {
		d.fail()
	}
	o.Raw = raw
	return o, true
}

// fallback is the panic value with which the scanner gives up on an input.
type fallback struct{}

// scanner reads JSON strictly: it accepts only what encoding/json accepts (it may refuse
// more, which only costs a fallback).
type scanner struct {
	b     []byte
	i     int
	depth int
}

// maxDepth stays below encoding/json's nesting limit (10000), so that deeper input falls back.
const maxDepth = 5000

func (d *scanner) fail() { panic(fallback{}) }

func (d *scanner) ws() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// peek skips whitespace and returns the next byte.
func (d *scanner) peek() byte {
	d.ws()
	if d.i >= len(d.b) {
		d.fail()
	}
	return d.b[d.i]
}

// value validates the next value and returns its bytes.
func (d *scanner) value() []byte {
	c := d.peek()
	start := d.i
	switch c {
	case '{':
		d.object(func([]byte) { d.value() })
	case '[':
		d.array(func() { d.value() })
	case '"':
		d.string()
	case 't':
		d.literal("true")
	case 'f':
		d.literal("false")
	case 'n':
		d.literal("null")
	default:
		d.number()
	}
	return d.b[start:d.i]
}

func (d *scanner) literal(s string) {
	if len(d.b)-d.i < len(s) || string(d.b[d.i:d.i+len(s)]) != s {
		d.fail()
	}
	d.i += len(s)
}

// number reads -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?; what may follow is the
// caller's business (a stray digit after 0 is refused there).
func (d *scanner) number() {
	if d.i < len(d.b) && d.b[d.i] == '-' {
		d.i++
	}
	switch {
	case d.i < len(d.b) && d.b[d.i] == '0':
		d.i++
	case d.i < len(d.b) && d.b[d.i] >= '1' && d.b[d.i] <= '9':
		d.digits()
	default:
		d.fail()
	}
	if d.i < len(d.b) && d.b[d.i] == '.' {
		d.i++
		if d.digits() == 0 {
			d.fail()
		}
	}
	if d.i < len(d.b) && (d.b[d.i] == 'e' || d.b[d.i] == 'E') {
		d.i++
		if d.i < len(d.b) && (d.b[d.i] == '+' || d.b[d.i] == '-') {
			d.i++
		}
		if d.digits() == 0 {
			d.fail()
		}
	}
}

func (d *scanner) digits() int {
	start := d.i
	for d.i < len(d.b) && d.b[d.i] >= '0' && d.b[d.i] <= '9' {
		d.i++
	}
	return d.i - start
}

// string reads a string literal at d.i and reports whether its text is its bytes as they
// stand (ASCII without escapes).
func (d *scanner) string() (plain bool) {
	i := d.i + 1
	plain = true
	for {
		// Most bytes of most strings need no more than this look.
		for i < len(d.b) && plainByte[d.b[i]] {
			i++
		}
		if i >= len(d.b) {
			d.fail()
		}
		c := d.b[i]
		switch {
		case c == '"':
			d.i = i + 1
			return plain
		case c == '\\':
			plain = false
			i++
			if i >= len(d.b) {
				d.fail()
			}
			switch d.b[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i++
			case 'u':
				if len(d.b)-i < 5 {
					d.fail()
				}
				for _, h := range d.b[i+1 : i+5] {
					if !('0' <= h && h <= '9' || 'a' <= h && h <= 'f' || 'A' <= h && h <= 'F') {
						d.fail()
					}
				}
				i += 5
			default:
				d.fail()
			}
		case c < 0x20:
			d.fail()
		case c >= 0x80:
			plain = false
			i++
		default:
			i++
		}
	}
}

// plainByte marks the bytes that stand for themselves inside a JSON string (ASCII other
// than control characters, '"' and '\\').
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

func (d *scanner) enter() {
	d.depth++
	if d.depth > maxDepth {
		d.fail()
	}
}

// object reads the object at d.i, calling field with each member's key (unescaped); field
// must read the member's value.
func (d *scanner) object(field func(key []byte)) {
	d.enter()
	d.i++ // {
	if d.peek() == '}' {
		d.i++
		d.depth--
		return
	}
	for {
		if d.peek() != '"' {
			d.fail()
		}
		start := d.i
		plain := d.string()
		key := d.b[start+1 : d.i-1]
		if !plain {
			s, err := shopifyjson.ParseText(d.b[start:d.i])
			if err != nil {
				d.fail()
			}
			key = []byte(s)
		}
		if d.peek() != ':' {
			d.fail()
		}
		d.i++
		field(key)
		switch d.peek() {
		case ',':
			d.i++
		case '}':
			d.i++
			d.depth--
			return
		default:
			d.fail()
		}
	}
}

// array reads the array at d.i, calling elem for each element; elem must read it.
func (d *scanner) array(elem func()) {
	d.enter()
	d.i++ // [
	if d.peek() == ']' {
		d.i++
		d.depth--
		return
	}
	for {
		elem()
		switch d.peek() {
		case ',':
			d.i++
		case ']':
			d.i++
			d.depth--
			return
		default:
			d.fail()
		}
	}
}

// leaf reads a value and returns it, or nil for null (as object.value does).
func (d *scanner) leaf() []byte {
	v := d.value()
	if string(v) == "null" {
		return nil
	}
	return v
}

func (d *scanner) str() string {
	s, err := shopifyjson.ParseText(d.leaf())
	if err != nil {
		d.fail()
	}
	return s
}

func (d *scanner) money() decimal.Decimal {
	var a shopifyjson.Amount
	if a.UnmarshalJSON(d.leaf()) != nil {
		d.fail()
	}
	return a.Decimal()
}

func (d *scanner) id() int64 {
	var id shopifyjson.ID
	if id.UnmarshalJSON(d.leaf()) != nil {
		d.fail()
	}
	return int64(id)
}

func (d *scanner) int() int64 {
	var n shopifyjson.Int
	if n.UnmarshalJSON(d.leaf()) != nil {
		d.fail()
	}
	return int64(n)
}

func (d *scanner) bool() bool {
	var b shopifyjson.Bool
	if b.UnmarshalJSON(d.leaf()) != nil {
		d.fail()
	}
	return bool(b)
}

func (d *scanner) time() time.Time {
	var t shopifyjson.Time
	if t.UnmarshalJSON(d.leaf()) != nil {
		d.fail()
	}
	return t.Time
}

// other skips the value of a key the object's reader does not know. encoding/json matches
// keys to fields without regard to case, so a key with capitals or beyond ASCII may be a
// known one to the reference: it decides those.
func (d *scanner) other(key []byte) {
	for _, c := range key {
		if c >= 0x80 || 'A' <= c && c <= 'Z' {
			d.fail()
		}
	}
	d.value()
}

// empty gives up unless ok: it guards a list or an object that may already hold a value of
// the same key, given twice (see decodeFast).
func (d *scanner) empty(ok bool) {
	if !ok {
		d.fail()
	}
}

// once gives up when a key comes a second time; *seen records the first.
func (d *scanner) once(seen *bool) {
	if *seen {
		d.fail()
	}
	*seen = true
}

// strings mirrors textList: null is nil, a lone value one element, an array a non-nil
// slice with "" for null elements.
func (d *scanner) strings() []string {
	switch d.peek() {
	case 'n':
		d.literal("null")
		return nil
	case '[':
		out := []string{}
		d.array(func() { out = append(out, d.str()) })
		return out
	}
	return []string{d.str()}
}

// obj reads an object with field and reports true; null and [] (no object, to the
// reference) report false; any other value gives up.
func (d *scanner) obj(field func(key []byte)) bool {
	switch d.peek() {
	case 'n':
		d.literal("null")
		return false
	case '[':
		d.i++
		if d.peek() != ']' {
			d.fail()
		}
		d.i++
		return false
	case '{':
		d.object(field)
		return true
	}
	d.fail()
	return false
}

// each reads a list of objects: null and {} hold nothing; an array's null elements are
// skipped and elem reads each object element at d.i.
func (d *scanner) each(elem func()) {
	switch d.peek() {
	case 'n':
		d.literal("null")
	case '{':
		d.i++
		if d.peek() != '}' {
			d.fail()
		}
		d.i++
	case '[':
		d.array(func() {
			switch d.peek() {
			case 'n':
				d.literal("null")
			case '{':
				elem()
			default:
				d.fail()
			}
		})
	default:
		d.fail()
	}
}

func (d *scanner) address() *Address {
	var a Address
	if !d.obj(func(key []byte) {
		switch string(key) {
		case "first_name":
			a.FirstName = d.str()
		case "last_name":
			a.LastName = d.str()
		case "name":
			a.Name = d.str()
		case "company":
			a.Company = d.str()
		case "address1":
			a.Address1 = d.str()
		case "address2":
			a.Address2 = d.str()
		case "city":
			a.City = d.str()
		case "zip":
			a.Zip = d.str()
		case "province":
			a.Province = d.str()
		case "country":
			a.Country = d.str()
		case "phone":
			a.Phone = d.str()
		default:
			d.other(key)
		}
	}) {
		return nil
	}
	return &a
}

func (d *scanner) customer() *Customer {
	var c Customer
	if !d.obj(func(key []byte) {
		switch string(key) {
		case "id":
			c.ID = d.id()
		case "email":
			c.Email = d.str()
		case "first_name":
			c.FirstName = d.str()
		case "last_name":
			c.LastName = d.str()
		case "phone":
			c.Phone = d.str()
		case "default_address":
			d.empty(c.DefaultAddress == nil)
			c.DefaultAddress = d.address()
		default:
			d.other(key)
		}
	}) {
		return nil
	}
	return &c
}

// moneySet reads a "*_set" object (restMoneySet): the amount of its shop_money, and
// whether there was an object at all.
func (d *scanner) moneySet() (amount decimal.Decimal, present bool) {
	amount = decimal.Zero
	sawShopMoney := false
	present = d.obj(func(key []byte) {
		if string(key) == "shop_money" {
			d.once(&sawShopMoney)
			amount, _ = d.moneyIn()
		} else {
			d.other(key)
		}
	})
	return amount, present
}

// moneyIn reads a {"amount", "currency_code"} object (restMoney): its amount, and whether
// there was an object at all.
func (d *scanner) moneyIn() (amount decimal.Decimal, present bool) {
	amount = decimal.Zero
	present = d.obj(func(key []byte) {
		if string(key) == "amount" {
			amount = d.money()
		} else {
			d.other(key)
		}
	})
	return amount, present
}

func (d *scanner) taxLines() []TaxLine {
	var out []TaxLine
	d.each(func() {
		t := TaxLine{Rate: decimal.Zero, Price: decimal.Zero}
		d.object(func(key []byte) {
			switch string(key) {
			case "title":
				t.Title = d.str()
			case "rate":
				t.Rate = d.money()
			case "price":
				t.Price = d.money()
			default:
				d.other(key)
			}
		})
		out = append(out, t)
	})
	return out
}

func (d *scanner) discountAllocations() []DiscountAllocation {
	var out []DiscountAllocation
	d.each(func() {
		a := DiscountAllocation{Amount: decimal.Zero}
		d.object(func(key []byte) {
			switch string(key) {
			case "amount":
				a.Amount = d.money()
			case "discount_application_index":
				a.DiscountApplicationIndex = d.int()
			default:
				d.other(key)
			}
		})
		out = append(out, a)
	})
	return out
}

func (d *scanner) lineItems() []LineItem {
	var out []LineItem
	d.each(func() { out = append(out, d.lineItem()) })
	return out
}

func (d *scanner) lineItem() LineItem {
	l := LineItem{Price: decimal.Zero, TotalDiscount: decimal.Zero}
	d.object(func(key []byte) {
		switch string(key) {
		case "id":
			l.ID = d.id()
		case "product_id":
			l.ProductID = d.id()
		case "variant_id":
			l.VariantID = d.id()
		case "sku":
			l.SKU = d.str()
		case "title":
			l.Title = d.str()
		case "variant_title":
			l.VariantTitle = d.str()
		case "name":
			l.Name = d.str()
		case "quantity":
			l.Quantity = d.int()
		case "price":
			l.Price = d.money()
		case "total_discount":
			l.TotalDiscount = d.money()
		case "discount_allocations":
			d.empty(l.DiscountAllocations == nil)
			l.DiscountAllocations = d.discountAllocations()
		case "tax_lines":
			d.empty(l.TaxLines == nil)
			l.TaxLines = d.taxLines()
		case "gift_card":
			l.GiftCard = d.bool()
		case "product_exists":
			l.ProductExists = d.bool()
		case "taxable":
			l.Taxable = d.bool()
		case "requires_shipping":
			l.RequiresShipping = d.bool()
		case "variant_inventory_management":
			l.VariantInventoryManagement = d.str()
		case "properties":
			l.Properties = parseProperties(d.leaf())
		case "duties":
			d.empty(l.Duties == nil)
			l.Duties = d.duties()
		case "current_quantity":
			v := d.leaf()
			l.CurrentQuantity, l.HasCurrentQuantity = 0, false
			if v != nil {
				var n shopifyjson.Int
				if n.UnmarshalJSON(v) != nil {
					d.fail()
				}
				l.CurrentQuantity, l.HasCurrentQuantity = int64(n), true
			}
		default:
			d.other(key)
		}
	})
	return l
}

func (d *scanner) duties() []Duty {
	var out []Duty
	d.each(func() {
		du := Duty{}
		priceSet, shopMoney, hasShopMoney := decimal.Zero, decimal.Zero, false
		sawPriceSet, sawShopMoney := false, false
		d.object(func(key []byte) {
			switch string(key) {
			case "id":
				du.ID = d.id()
			case "harmonized_system_code":
				du.HarmonizedSystemCode = d.str()
			case "country_code_of_origin":
				du.CountryCodeOfOrigin = d.str()
			case "price_set":
				d.once(&sawPriceSet)
				priceSet, _ = d.moneySet()
			case "shop_money":
				// Duties on line items carry shop_money directly rather than a price_set.
				d.once(&sawShopMoney)
				shopMoney, hasShopMoney = d.moneyIn()
			case "tax_lines":
				d.empty(du.TaxLines == nil)
				du.TaxLines = d.taxLines()
			default:
				d.other(key)
			}
		})
		du.Amount = priceSet
		if hasShopMoney {
			du.Amount = shopMoney
		}
		out = append(out, du)
	})
	return out
}

func (d *scanner) shippingLines() []ShippingLine {
	var out []ShippingLine
	d.each(func() {
		s := ShippingLine{Price: decimal.Zero, DiscountedPrice: decimal.Zero}
		d.object(func(key []byte) {
			switch string(key) {
			case "id":
				s.ID = d.id()
			case "title":
				s.Title = d.str()
			case "code":
				s.Code = d.str()
			case "price":
				s.Price = d.money()
			case "discounted_price":
				s.DiscountedPrice = d.money()
			case "discount_allocations":
				d.empty(s.DiscountAllocations == nil)
				s.DiscountAllocations = d.discountAllocations()
			case "tax_lines":
				d.empty(s.TaxLines == nil)
				s.TaxLines = d.taxLines()
			default:
				d.other(key)
			}
		})
		out = append(out, s)
	})
	return out
}

func (d *scanner) refunds() []Refund {
	var out []Refund
	d.each(func() {
		var r Refund
		d.object(func(key []byte) {
			switch string(key) {
			case "id":
				r.ID = d.id()
			case "order_id":
				r.OrderID = d.id()
			case "created_at":
				r.CreatedAt = d.time()
			case "processed_at":
				r.ProcessedAt = d.time()
			case "note":
				r.Note = d.str()
			case "refund_line_items":
				d.empty(r.LineItems == nil)
				d.each(func() {
					l := RefundLineItem{Subtotal: decimal.Zero, TotalTax: decimal.Zero}
					d.object(func(key []byte) {
						switch string(key) {
						case "id":
							l.ID = d.id()
						case "line_item_id":
							l.LineItemID = d.id()
						case "location_id":
							l.LocationID = d.id()
						case "quantity":
							l.Quantity = d.int()
						case "restock_type":
							l.RestockType = d.str()
						case "subtotal":
							l.Subtotal = d.money()
						case "total_tax":
							l.TotalTax = d.money()
						default:
							d.other(key)
						}
					})
					r.LineItems = append(r.LineItems, l)
				})
			case "transactions":
				d.empty(r.Transactions == nil)
				d.each(func() {
					t := Transaction{Amount: decimal.Zero}
					d.object(func(key []byte) {
						switch string(key) {
						case "id":
							t.ID = d.id()
						case "kind":
							t.Kind = d.str()
						case "status":
							t.Status = d.str()
						case "gateway":
							t.Gateway = d.str()
						case "amount":
							t.Amount = d.money()
						case "processed_at":
							t.ProcessedAt = d.time()
						case "created_at":
							t.CreatedAt = d.time()
						default:
							d.other(key)
						}
					})
					r.Transactions = append(r.Transactions, t)
				})
			case "order_adjustments":
				d.empty(r.Adjustments == nil)
				d.each(func() {
					a := OrderAdjustment{Amount: decimal.Zero, TaxAmount: decimal.Zero}
					d.object(func(key []byte) {
						switch string(key) {
						case "id":
							a.ID = d.id()
						case "kind":
							a.Kind = d.str()
						case "reason":
							a.Reason = d.str()
						case "amount":
							a.Amount = d.money()
						case "tax_amount":
							a.TaxAmount = d.money()
						default:
							d.other(key)
						}
					})
					r.Adjustments = append(r.Adjustments, a)
				})
			default:
				d.other(key)
			}
		})
		out = append(out, r)
	})
	return out
}
