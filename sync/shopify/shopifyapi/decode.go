package shopifyapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"
)

// FieldError reports a value DecodeOrder could not read, naming the field by its path in
// the order (for example "line_items[2].price").
type FieldError struct {
	Field string
	Err   error
}

// Error implements error.
func (e *FieldError) Error() string {
	if e.Field == "" {
		return "order: " + e.Err.Error()
	}
	return "order field " + e.Field + ": " + e.Err.Error()
}

// Unwrap returns the underlying error.
func (e *FieldError) Unwrap() error { return e.Err }

// object walks one JSON object, reading fields leniently. The first error sticks (and is
// shared with the objects nested in it), so decoding code can read every field and check
// once at the end.
type object struct {
	path   string
	fields map[string]json.RawMessage
	err    *error
}

func newObject(path string, raw []byte) (*object, error) {
	var err error
	o := &object{path: path, err: &err}
	if err := json.Unmarshal(raw, &o.fields); err != nil {
		return nil, &FieldError{Field: path, Err: fmt.Errorf("not a JSON object: %w", err)}
	}
	if o.fields == nil {
		return nil, &FieldError{Field: path, Err: errors.New("not a JSON object: null")}
	}
	return o, nil
}

// errv returns the sticky error of the object tree.
func (o *object) errv() error { return *o.err }

func (o *object) fieldPath(key string) string {
	if o.path == "" {
		return key
	}
	return o.path + "." + key
}

// fail records the first error only: later ones are usually consequences of it.
func (o *object) fail(key string, err error) {
	if *o.err == nil {
		*o.err = &FieldError{Field: o.fieldPath(key), Err: err}
	}
}

// value returns the field's trimmed raw value, or nil when it is absent or null.
func (o *object) value(key string) []byte {
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

func (o *object) str(key string) string {
	s, err := parseString(o.value(key))
	if err != nil {
		o.fail(key, err)
	}
	return s
}

func (o *object) money(key string) decimal.Decimal {
	d, err := parseMoney(o.value(key))
	if err != nil {
		o.fail(key, err)
	}
	return d
}

func (o *object) id(key string) int64 {
	n, err := parseInt(o.value(key))
	if err == nil && n < 0 {
		err = fmt.Errorf("negative id %d", n)
	}
	if err != nil {
		o.fail(key, err)
		return 0
	}
	return n
}

func (o *object) int(key string) int64 {
	n, err := parseInt(o.value(key))
	if err != nil {
		o.fail(key, err)
	}
	return n
}

func (o *object) bool(key string) bool {
	b, err := parseBool(o.value(key))
	if err != nil {
		o.fail(key, err)
	}
	return b
}

func (o *object) time(key string) time.Time {
	t, err := parseTime(o.value(key))
	if err != nil {
		o.fail(key, err)
	}
	return t
}

// strings reads an array of strings; a lone string is taken as a one-element array.
func (o *object) strings(key string) []string {
	v := o.value(key)
	if v == nil {
		return nil
	}
	if v[0] != '[' {
		s, err := parseString(v)
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
		s, err := parseString(nullToNil(e))
		if err != nil {
			o.fail(fmt.Sprintf("%s[%d]", key, i), err)
			return nil
		}
		out = append(out, s)
	}
	return out
}

// object returns the nested object, or nil when it is absent or null.
func (o *object) object(key string) *object {
	v := o.value(key)
	if v == nil || isEmpty(v, '[', ']') {
		// Some serialisers write an empty object as [].
		return nil
	}
	if v[0] != '{' {
		o.fail(key, fmt.Errorf("want an object, got %s", kind(v)))
		return nil
	}
	child := &object{path: o.fieldPath(key), err: o.err}
	if err := json.Unmarshal(v, &child.fields); err != nil {
		o.fail(key, err)
		return nil
	}
	return child
}

// each calls fn for every object of an array field; null elements are skipped.
func (o *object) each(key string, fn func(*object)) {
	v := o.value(key)
	if v == nil || isEmpty(v, '{', '}') {
		// An empty list written as {} holds nothing either.
		return
	}
	if v[0] != '[' {
		o.fail(key, fmt.Errorf("want an array, got %s", kind(v)))
		return
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(v, &elems); err != nil {
		o.fail(key, err)
		return
	}
	for i, e := range elems {
		e = nullToNil(e)
		if e == nil {
			continue
		}
		name := fmt.Sprintf("%s[%d]", key, i)
		if e[0] != '{' {
			o.fail(name, fmt.Errorf("want an object, got %s", kind(e)))
			return
		}
		child := &object{path: o.fieldPath(name), err: o.err}
		if err := json.Unmarshal(e, &child.fields); err != nil {
			o.fail(name, err)
			return
		}
		fn(child)
	}
}

func (o *object) address(key string) *Address {
	a := o.object(key)
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

func (o *object) taxLines(key string) []TaxLine {
	var out []TaxLine
	o.each(key, func(t *object) {
		out = append(out, TaxLine{Title: t.str("title"), Rate: t.money("rate"), Price: t.money("price")})
	})
	return out
}

func (o *object) discountAllocations(key string) []DiscountAllocation {
	var out []DiscountAllocation
	o.each(key, func(a *object) {
		out = append(out, DiscountAllocation{
			Amount:                   a.money("amount"),
			DiscountApplicationIndex: a.int("discount_application_index"),
		})
	})
	return out
}

// moneySet reads the shop-currency amount of a Shopify "*_set" object
// ({"shop_money":{"amount":"1.00",...},"presentment_money":{...}}).
func (o *object) moneySet(key string) decimal.Decimal {
	s := o.object(key)
	if s == nil {
		return decimal.Zero
	}
	return s.moneyIn("shop_money")
}

// moneyIn reads the amount of a {"amount": ..., "currency_code": ...} object.
func (o *object) moneyIn(key string) decimal.Decimal {
	m := o.object(key)
	if m == nil {
		return decimal.Zero
	}
	return m.money("amount")
}

// properties reads line-item properties, which Shopify sends as an array of {name, value}
// and legacy payloads as an object. kassa only displays them, so a shape it does not know
// is dropped rather than failing the order.
func (o *object) properties(key string) []Property {
	return parseProperties(o.value(key))
}

// parseProperties reads a properties value (nil for absent or null); see object.properties.
func parseProperties(v []byte) []Property {
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
			out = append(out, Property{Name: looseText(e.Name), Value: looseText(e.Value)})
		}
		return out
	case '{':
		var m map[string]json.RawMessage
		if json.Unmarshal(v, &m) != nil {
			return nil
		}
		out := make([]Property, 0, len(m))
		for k, val := range m {
			out = append(out, Property{Name: k, Value: looseText(val)})
		}
		sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
		return out
	}
	return nil
}

// looseText renders any JSON value as text: strings unquoted, null empty, others compact.
func looseText(v json.RawMessage) string {
	v = nullToNil(v)
	if v == nil {
		return ""
	}
	if s, err := parseString(v); err == nil {
		return s
	}
	var buf bytes.Buffer
	if json.Compact(&buf, v) != nil {
		return ""
	}
	return buf.String()
}

// isEmpty reports whether v is the empty object or array delimited by open and close.
func isEmpty(v []byte, open, close byte) bool {
	if len(v) < 2 || v[0] != open || v[len(v)-1] != close {
		return false
	}
	return len(bytes.TrimSpace(v[1:len(v)-1])) == 0
}

func nullToNil(v []byte) []byte {
	v = bytes.TrimSpace(v)
	if len(v) == 0 || string(v) == "null" {
		return nil
	}
	return v
}

func kind(v []byte) string {
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
func parseString(v []byte) (string, error) {
	if v == nil {
		return "", nil
	}
	switch v[0] {
	case '"':
		return unquote(v)
	case '{', '[':
		return "", fmt.Errorf("want a string, got %s", kind(v))
	default:
		return string(v), nil
	}
}

// isPlainDecimal reports whether s has the money syntax kassa accepts in strings and
// numbers, -?[0-9]{1,30}(\.[0-9]{1,30})?. Exponents are refused so that a hostile
// "1e999999999" cannot make later arithmetic allocate without end.
func isPlainDecimal(s string) bool {
	if s != "" && s[0] == '-' {
		s = s[1:]
	}
	n := leadingDigits(s)
	if n < 1 || n > 30 {
		return false
	}
	s = s[n:]
	if s == "" {
		return true
	}
	if s[0] != '.' {
		return false
	}
	s = s[1:]
	n = leadingDigits(s)
	return n >= 1 && n <= 30 && n == len(s)
}

func leadingDigits(s string) int {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}

// unquote returns the text of the JSON string literal v as encoding/json reads it, without
// its cost when the text is v's bytes as they stand (no escapes, valid UTF-8).
func unquote(v []byte) (string, error) {
	if len(v) >= 2 && v[len(v)-1] == '"' {
		inner := v[1 : len(v)-1]
		plain := true
		for _, c := range inner {
			if c < 0x20 || c == '\\' || c == '"' {
				plain = false
				break
			}
		}
		if plain && utf8.Valid(inner) {
			return string(inner), nil
		}
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return "", err
	}
	return s, nil
}

// parseMoney accepts a decimal as a JSON string or number; null and "" are zero.
func parseMoney(v []byte) (decimal.Decimal, error) {
	if v == nil {
		return decimal.Zero, nil
	}
	var s string
	switch v[0] {
	case '"':
		var err error
		if s, err = unquote(v); err != nil {
			return decimal.Zero, err
		}
		s = strings.TrimSpace(s)
		if s == "" {
			return decimal.Zero, nil
		}
	case '{', '[', 't', 'f':
		return decimal.Zero, fmt.Errorf("want an amount, got %s", kind(v))
	default:
		s = string(v)
	}
	if !isPlainDecimal(s) {
		return decimal.Zero, fmt.Errorf("invalid amount %q", truncate(s))
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.Zero, fmt.Errorf("invalid amount %q: %w", truncate(s), err)
	}
	return d, nil
}

// parseInt accepts an integer as a JSON number or a numeric string (Shopify's GraphQL-style
// "gid://shopify/Order/123" ids and integral decimals such as "2.0" included); null and ""
// are zero.
func parseInt(v []byte) (int64, error) {
	if v == nil {
		return 0, nil
	}
	var s string
	switch v[0] {
	case '"':
		var err error
		if s, err = unquote(v); err != nil {
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
		return 0, fmt.Errorf("want an integer, got %s", kind(v))
	default:
		s = string(v)
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		// "2.0" is an integer written by a serialiser that knows only floats.
		d, derr := decimal.NewFromString(s)
		if derr != nil || !isPlainDecimal(s) || !d.IsInteger() || !d.Abs().LessThan(decimal.New(1, 18)) {
			return 0, fmt.Errorf("invalid integer %q", truncate(s))
		}
		return d.IntPart(), nil
	}
	return n, nil
}

// parseBool accepts true, false, null, the strings "true" and "false", and 1 and 0.
func parseBool(v []byte) (bool, error) {
	if v == nil {
		return false, nil
	}
	switch string(v) {
	case "true", `"true"`, "1":
		return true, nil
	case "false", `"false"`, `""`, "0":
		return false, nil
	}
	return false, fmt.Errorf("want a boolean, got %s", truncate(string(v)))
}

// timeLayouts are tried in order. Shopify sends RFC 3339 with an offset; the layouts without
// a zone read the time as UTC (a documented guess: such values come from hand-made or
// legacy payloads, and UTC is the one zone that does not depend on where kassa runs).
var timeLayouts = []struct {
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
func parseTime(v []byte) (time.Time, error) {
	if v == nil {
		return time.Time{}, nil
	}
	if v[0] != '"' {
		return time.Time{}, fmt.Errorf("want a timestamp string, got %s", kind(v))
	}
	s, err := unquote(v)
	if err != nil {
		return time.Time{}, err
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	for _, l := range timeLayouts {
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
	return time.Time{}, fmt.Errorf("invalid timestamp %q", truncate(s))
}

// truncate keeps error messages short when a field holds something huge.
func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
