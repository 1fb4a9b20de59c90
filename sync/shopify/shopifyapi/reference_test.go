package shopifyapi

// This file keeps DecodeOrder as it was before the single-pass decoder, as the reference the
// fast decoder is compared with (TestDecodeOrderMatchesReference and FuzzDecodeOrder). It
// must not change: it pins the behaviour DecodeOrder keeps.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// object walks one JSON object, reading fields leniently. The first error sticks (and is
// shared with the objects nested in it), so decoding code can read every field and check
// once at the end.
type refObject struct {
	path   string
	fields map[string]json.RawMessage
	err    *error
}

func refNewObject(path string, raw []byte) (*refObject, error) {
	var err error
	o := &refObject{path: path, err: &err}
	if err := json.Unmarshal(raw, &o.fields); err != nil {
		return nil, &FieldError{Field: path, Err: fmt.Errorf("not a JSON object: %w", err)}
	}
	if o.fields == nil {
		return nil, &FieldError{Field: path, Err: errors.New("not a JSON object: null")}
	}
	return o, nil
}

// errv returns the sticky error of the object tree.
func (o *refObject) errv() error { return *o.err }

func (o *refObject) fieldPath(key string) string {
	if o.path == "" {
		return key
	}
	return o.path + "." + key
}

// fail records the first error only: later ones are usually consequences of it.
func (o *refObject) fail(key string, err error) {
	if *o.err == nil {
		*o.err = &FieldError{Field: o.fieldPath(key), Err: err}
	}
}

// value returns the field's trimmed raw value, or nil when it is absent or null.
func (o *refObject) value(key string) []byte {
	v, ok := o.fields[key]
	if !ok {
		return nil
	}
	v = bytes.TrimSpace(v)
	if string(v) == "null" {
		return nil
	}
	return v
}

func (o *refObject) str(key string) string {
	s, err := refParseString(o.value(key))
	if err != nil {
		o.fail(key, err)
	}
	return s
}

func (o *refObject) money(key string) decimal.Decimal {
	d, err := refParseMoney(o.value(key))
	if err != nil {
		o.fail(key, err)
	}
	return d
}

func (o *refObject) id(key string) int64 {
	n, err := refParseInt(o.value(key))
	if err == nil && n < 0 {
		err = fmt.Errorf("negative id %d", n)
	}
	if err != nil {
		o.fail(key, err)
		return 0
	}
	return n
}

func (o *refObject) int(key string) int64 {
	n, err := refParseInt(o.value(key))
	if err != nil {
		o.fail(key, err)
	}
	return n
}

func (o *refObject) bool(key string) bool {
	b, err := refParseBool(o.value(key))
	if err != nil {
		o.fail(key, err)
	}
	return b
}

func (o *refObject) time(key string) time.Time {
	t, err := refParseTime(o.value(key))
	if err != nil {
		o.fail(key, err)
	}
	return t
}

// strings reads an array of strings; a lone string is taken as a one-element array.
func (o *refObject) strings(key string) []string {
	v := o.value(key)
	if v == nil {
		return nil
	}
	if v[0] != '[' {
		s, err := refParseString(v)
		if err != nil {
			o.fail(key, err)
			return nil
		}
		return []string{s}
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(v, &elems); err != nil {
		o.fail(key, err)
		return nil
	}
	out := make([]string, 0, len(elems))
	for i, e := range elems {
		s, err := refParseString(refNullToNil(e))
		if err != nil {
			o.fail(fmt.Sprintf("%s[%d]", key, i), err)
			return nil
		}
		out = append(out, s)
	}
	return out
}

// object returns the nested object, or nil when it is absent or null.
func (o *refObject) refObject(key string) *refObject {
	v := o.value(key)
	if v == nil || refIsEmpty(v, '[', ']') {
		// Some serialisers write an empty object as [].
		return nil
	}
	if v[0] != '{' {
		o.fail(key, fmt.Errorf("want an object, got %s", refKind(v)))
		return nil
	}
	child := &refObject{path: o.fieldPath(key), err: o.err}
	if err := json.Unmarshal(v, &child.fields); err != nil {
		o.fail(key, err)
		return nil
	}
	return child
}

// each calls fn for every object of an array field; null elements are skipped.
func (o *refObject) each(key string, fn func(*refObject)) {
	v := o.value(key)
	if v == nil || refIsEmpty(v, '{', '}') {
		// An empty list written as {} holds nothing either.
		return
	}
	if v[0] != '[' {
		o.fail(key, fmt.Errorf("want an array, got %s", refKind(v)))
		return
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(v, &elems); err != nil {
		o.fail(key, err)
		return
	}
	for i, e := range elems {
		e = refNullToNil(e)
		if e == nil {
			continue
		}
		name := fmt.Sprintf("%s[%d]", key, i)
		if e[0] != '{' {
			o.fail(name, fmt.Errorf("want an object, got %s", refKind(e)))
			return
		}
		child := &refObject{path: o.fieldPath(name), err: o.err}
		if err := json.Unmarshal(e, &child.fields); err != nil {
			o.fail(name, err)
			return
		}
		fn(child)
	}
}

func (o *refObject) address(key string) *Address {
	a := o.refObject(key)
	if a == nil {
		return nil
	}
	return &Address{
		FirstName: a.str("first_name"),
		LastName:  a.str("last_name"),
		Name:      a.str("name"),
		Company:   a.str("company"),
		Address1:  a.str("address1"),
		Address2:  a.str("address2"),
		City:      a.str("city"),
		Zip:       a.str("zip"),
		Province:  a.str("province"),
		Country:   a.str("country"),
		Phone:     a.str("phone"),
	}
}

func (o *refObject) taxLines(key string) []TaxLine {
	var out []TaxLine
	o.each(key, func(t *refObject) {
		out = append(out, TaxLine{Title: t.str("title"), Rate: t.money("rate"), Price: t.money("price")})
	})
	return out
}

func (o *refObject) discountAllocations(key string) []DiscountAllocation {
	var out []DiscountAllocation
	o.each(key, func(a *refObject) {
		out = append(out, DiscountAllocation{
			Amount:                   a.money("amount"),
			DiscountApplicationIndex: a.int("discount_application_index"),
		})
	})
	return out
}

// moneySet reads the shop-currency amount of a Shopify "*_set" object
// ({"shop_money":{"amount":"1.00",...},"presentment_money":{...}}).
func (o *refObject) moneySet(key string) decimal.Decimal {
	s := o.refObject(key)
	if s == nil {
		return decimal.Zero
	}
	return s.moneyIn("shop_money")
}

// moneyIn reads the amount of a {"amount": ..., "currency_code": ...} object.
func (o *refObject) moneyIn(key string) decimal.Decimal {
	m := o.refObject(key)
	if m == nil {
		return decimal.Zero
	}
	return m.money("amount")
}

// properties reads line-item properties, which Shopify sends as an array of {name, value}
// and legacy payloads as an object. kassa only displays them, so a shape it does not know
// is dropped rather than failing the order.
func (o *refObject) properties(key string) []Property {
	v := o.value(key)
	if v == nil {
		return nil
	}
	switch v[0] {
	case '[':
		var elems []struct {
			Name  json.RawMessage `json:"name"`
			Value json.RawMessage `json:"value"`
		}
		if json.Unmarshal(v, &elems) != nil {
			return nil
		}
		out := make([]Property, 0, len(elems))
		for _, e := range elems {
			out = append(out, Property{Name: refLooseText(e.Name), Value: refLooseText(e.Value)})
		}
		return out
	case '{':
		var m map[string]json.RawMessage
		if json.Unmarshal(v, &m) != nil {
			return nil
		}
		out := make([]Property, 0, len(m))
		for k, val := range m {
			out = append(out, Property{Name: k, Value: refLooseText(val)})
		}
		sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
		return out
	}
	return nil
}

// looseText renders any JSON value as text: strings unquoted, null empty, others compact.
func refLooseText(v json.RawMessage) string {
	v = refNullToNil(v)
	if v == nil {
		return ""
	}
	if s, err := refParseString(v); err == nil {
		return s
	}
	var buf bytes.Buffer
	if json.Compact(&buf, v) != nil {
		return ""
	}
	return buf.String()
}

// isEmpty reports whether v is the empty object or array delimited by open and close.
func refIsEmpty(v []byte, open, close byte) bool {
	if len(v) < 2 || v[0] != open || v[len(v)-1] != close {
		return false
	}
	return len(bytes.TrimSpace(v[1:len(v)-1])) == 0
}

func refNullToNil(v []byte) []byte {
	v = bytes.TrimSpace(v)
	if len(v) == 0 || string(v) == "null" {
		return nil
	}
	return v
}

func refKind(v []byte) string {
	switch v[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	default:
		return "a number"
	}
}

// parseString accepts a string, a number or a boolean (as its text); nil means null.
func refParseString(v []byte) (string, error) {
	if v == nil {
		return "", nil
	}
	switch v[0] {
	case '"':
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return "", err
		}
		return s, nil
	case '{', '[':
		return "", fmt.Errorf("want a string, got %s", refKind(v))
	default:
		return string(v), nil
	}
}

// plainDecimal is the money syntax kassa accepts in strings and numbers. Exponents are
// refused so that a hostile "1e999999999" cannot make later arithmetic allocate without end.
var refPlainDecimal = regexp.MustCompile(`^-?[0-9]{1,30}(\.[0-9]{1,30})?$`)

// parseMoney accepts a decimal as a JSON string or number; null and "" are zero.
func refParseMoney(v []byte) (decimal.Decimal, error) {
	if v == nil {
		return decimal.Zero, nil
	}
	var s string
	switch v[0] {
	case '"':
		if err := json.Unmarshal(v, &s); err != nil {
			return decimal.Zero, err
		}
		s = strings.TrimSpace(s)
		if s == "" {
			return decimal.Zero, nil
		}
	case '{', '[', 't', 'f':
		return decimal.Zero, fmt.Errorf("want an amount, got %s", refKind(v))
	default:
		s = string(v)
	}
	if !refPlainDecimal.MatchString(s) {
		return decimal.Zero, fmt.Errorf("invalid amount %q", refTruncate(s))
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.Zero, fmt.Errorf("invalid amount %q: %w", refTruncate(s), err)
	}
	return d, nil
}

// parseInt accepts an integer as a JSON number or a numeric string (Shopify's GraphQL-style
// "gid://shopify/Order/123" ids and integral decimals such as "2.0" included); null and ""
// are zero.
func refParseInt(v []byte) (int64, error) {
	if v == nil {
		return 0, nil
	}
	var s string
	switch v[0] {
	case '"':
		if err := json.Unmarshal(v, &s); err != nil {
			return 0, err
		}
		s = strings.TrimSpace(s)
		if s == "" {
			return 0, nil
		}
		if strings.HasPrefix(s, "gid://") {
			s = s[strings.LastIndexByte(s, '/')+1:]
		}
	case '{', '[', 't', 'f':
		return 0, fmt.Errorf("want an integer, got %s", refKind(v))
	default:
		s = string(v)
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		// "2.0" is an integer written by a serialiser that knows only floats.
		d, derr := decimal.NewFromString(s)
		if derr != nil || !refPlainDecimal.MatchString(s) || !d.IsInteger() || !d.Abs().LessThan(decimal.New(1, 18)) {
			return 0, fmt.Errorf("invalid integer %q", refTruncate(s))
		}
		return d.IntPart(), nil
	}
	return n, nil
}

// parseBool accepts true, false, null, the strings "true" and "false", and 1 and 0.
func refParseBool(v []byte) (bool, error) {
	if v == nil {
		return false, nil
	}
	switch string(v) {
	case "true", `"true"`, "1":
		return true, nil
	case "false", `"false"`, `""`, "0":
		return false, nil
	}
	return false, fmt.Errorf("want a boolean, got %s", refTruncate(string(v)))
}

// timeLayouts are tried in order. Shopify sends RFC 3339 with an offset; the layouts without
// a zone read the time as UTC (a documented guess: such values come from hand-made or
// legacy payloads, and UTC is the one zone that does not depend on where kassa runs).
var refTimeLayouts = []struct {
	layout string
	zoned  bool
}{
	{time.RFC3339Nano, true},
	{"2006-01-02T15:04:05.999999999Z0700", true},
	{"2006-01-02 15:04:05.999999999Z07:00", true},
	{"2006-01-02 15:04:05.999999999 -0700", true},
	{"2006-01-02T15:04:05.999999999", false},
	{"2006-01-02 15:04:05.999999999", false},
	{"2006-01-02", false},
}

// parseTime accepts a timestamp string; null and "" are the zero time.
func refParseTime(v []byte) (time.Time, error) {
	if v == nil {
		return time.Time{}, nil
	}
	if v[0] != '"' {
		return time.Time{}, fmt.Errorf("want a timestamp string, got %s", refKind(v))
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return time.Time{}, err
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	for _, l := range refTimeLayouts {
		var t time.Time
		var err error
		if l.zoned {
			t, err = time.Parse(l.layout, s)
		} else {
			t, err = time.ParseInLocation(l.layout, s, time.UTC)
		}
		if err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("invalid timestamp %q", refTruncate(s))
}

// truncate keeps error messages short when a field holds something huge.
func refTruncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

func referenceDecodeOrder(raw []byte) (Order, error) {
	o := Order{Raw: append(json.RawMessage(nil), raw...)}
	d, err := refNewObject("", raw)
	if err != nil {
		return o, err
	}
	o.ID = d.id("id")
	o.Name = d.str("name")
	if err := d.errv(); err != nil {
		// Without a usable id the order cannot be named in the import log either.
		return o, err
	}
	o.OrderNumber = d.int("order_number")
	o.Email = d.str("email")
	o.CreatedAt = d.time("created_at")
	o.ProcessedAt = d.time("processed_at")
	o.UpdatedAt = d.time("updated_at")
	o.CancelledAt = d.time("cancelled_at")
	o.ClosedAt = d.time("closed_at")
	o.CancelReason = d.str("cancel_reason")
	o.Test = d.bool("test")
	o.Currency = d.str("currency")
	o.FinancialStatus = d.str("financial_status")
	o.FulfillmentStatus = d.str("fulfillment_status")
	o.TaxesIncluded = d.bool("taxes_included")
	o.TotalPrice = d.money("total_price")
	o.SubtotalPrice = d.money("subtotal_price")
	o.TotalLineItemsPrice = d.money("total_line_items_price")
	o.TotalTax = d.money("total_tax")
	o.TotalDiscounts = d.money("total_discounts")
	o.TotalOutstanding = d.money("total_outstanding")
	o.TotalTipReceived = d.money("total_tip_received")
	o.CurrentTotalDuties = d.moneySet("current_total_duties_set")
	o.OriginalTotalDuties = d.moneySet("original_total_duties_set")
	o.PaymentGatewayNames = d.strings("payment_gateway_names")
	o.Gateway = d.str("gateway")
	o.SourceName = d.str("source_name")
	o.Tags = d.str("tags")
	o.TaxLines = d.taxLines("tax_lines")
	if c := d.refObject("customer"); c != nil {
		o.Customer = &Customer{
			ID:             c.id("id"),
			Email:          c.str("email"),
			FirstName:      c.str("first_name"),
			LastName:       c.str("last_name"),
			Phone:          c.str("phone"),
			DefaultAddress: c.address("default_address"),
		}
	}
	o.BillingAddress = d.address("billing_address")
	o.ShippingAddress = d.address("shipping_address")
	d.each("line_items", func(li *refObject) {
		o.LineItems = append(o.LineItems, refDecodeLineItem(li))
	})
	d.each("shipping_lines", func(s *refObject) {
		o.ShippingLines = append(o.ShippingLines, ShippingLine{
			ID:                  s.id("id"),
			Title:               s.str("title"),
			Code:                s.str("code"),
			Price:               s.money("price"),
			DiscountedPrice:     s.money("discounted_price"),
			DiscountAllocations: s.discountAllocations("discount_allocations"),
			TaxLines:            s.taxLines("tax_lines"),
		})
	})
	if err := d.errv(); err != nil {
		return o, err
	}
	return o, nil
}

func refDecodeLineItem(li *refObject) LineItem {
	l := LineItem{
		ID:                         li.id("id"),
		ProductID:                  li.id("product_id"),
		VariantID:                  li.id("variant_id"),
		SKU:                        li.str("sku"),
		Title:                      li.str("title"),
		VariantTitle:               li.str("variant_title"),
		Name:                       li.str("name"),
		Quantity:                   li.int("quantity"),
		Price:                      li.money("price"),
		TotalDiscount:              li.money("total_discount"),
		DiscountAllocations:        li.discountAllocations("discount_allocations"),
		TaxLines:                   li.taxLines("tax_lines"),
		GiftCard:                   li.bool("gift_card"),
		ProductExists:              li.bool("product_exists"),
		Taxable:                    li.bool("taxable"),
		RequiresShipping:           li.bool("requires_shipping"),
		VariantInventoryManagement: li.str("variant_inventory_management"),
		Properties:                 li.properties("properties"),
	}
	li.each("duties", func(du *refObject) {
		amount := du.moneySet("price_set")
		if _, ok := du.fields["shop_money"]; ok {
			// Duties on line items carry shop_money directly rather than a price_set.
			amount = du.moneyIn("shop_money")
		}
		l.Duties = append(l.Duties, Duty{
			ID:                   du.id("id"),
			HarmonizedSystemCode: du.str("harmonized_system_code"),
			CountryCodeOfOrigin:  du.str("country_code_of_origin"),
			Amount:               amount,
			TaxLines:             du.taxLines("tax_lines"),
		})
	})
	return l
}
