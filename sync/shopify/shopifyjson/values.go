package shopifyjson

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"
)

// Amount is a sum of money (or a rate) as Shopify writes it: a JSON string ("12.50") or
// number (12.5). Only plain decimals are read, -?[0-9]{1,30}(\.[0-9]{1,30})?, so that a
// hostile "1e999999999" cannot make later arithmetic allocate without end. null, "" (or
// spaces) and an absent value are zero.
type Amount struct{ d decimal.Decimal }

// Decimal returns the amount; decimal.Zero when there was none.
func (a Amount) Decimal() decimal.Decimal {
	if a.d == (decimal.Decimal{}) {
		return decimal.Zero
	}
	return a.d
}

// UnmarshalJSON implements json.Unmarshaler.
func (a *Amount) UnmarshalJSON(b []byte) error {
	d, err := parseAmount(b)
	if err != nil {
		return err
	}
	a.d = d
	return nil
}

func parseAmount(b []byte) (decimal.Decimal, error) {
	if isNull(b) {
		return decimal.Zero, nil
	}
	var s string
	switch b[0] {
	case '"':
		var err error
		if s, err = unquote(b); err != nil {
			return decimal.Zero, err
		}
		s = strings.TrimSpace(s)
		if s == "" {
			return decimal.Zero, nil
		}
	case '{', '[', 't', 'f':
		return decimal.Zero, fmt.Errorf("want an amount, got %s", Kind(b))
	default:
		s = string(b)
	}
	if !isPlainDecimal(s) {
		return decimal.Zero, fmt.Errorf("invalid amount %q", Truncate(s))
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.Zero, fmt.Errorf("invalid amount %q: %w", Truncate(s), err)
	}
	return d, nil
}

// ID is the id of a Shopify object: a non-negative integer written as a JSON number, a
// numeric string, or a GraphQL global id ("gid://shopify/Order/123" is 123). null and ""
// are 0, which no Shopify object has.
type ID int64

// UnmarshalJSON implements json.Unmarshaler.
func (id *ID) UnmarshalJSON(b []byte) error {
	n, err := parseInt(b)
	if err == nil && n < 0 {
		err = fmt.Errorf("negative id %d", n)
	}
	if err != nil {
		return err
	}
	*id = ID(n)
	return nil
}

// Int is an integer (a quantity, a number) written as a JSON number or a numeric string;
// an integral decimal such as 2.0 is read as 2, as a serialiser that knows only floats
// writes it. null and "" are 0.
type Int int64

// UnmarshalJSON implements json.Unmarshaler.
func (n *Int) UnmarshalJSON(b []byte) error {
	v, err := parseInt(b)
	if err != nil {
		return err
	}
	*n = Int(v)
	return nil
}

// Bool is a flag: true, false, the strings "true" and "false", and 1 and 0. null and ""
// are false.
type Bool bool

// UnmarshalJSON implements json.Unmarshaler.
func (v *Bool) UnmarshalJSON(b []byte) error {
	if isNull(b) {
		*v = false
		return nil
	}
	switch string(b) {
	case "true", `"true"`, "1":
		*v = true
		return nil
	case "false", `"false"`, `""`, "0":
		*v = false
		return nil
	}
	return fmt.Errorf("want a boolean, got %s", Truncate(string(b)))
}

// Time is a timestamp string. Shopify sends RFC 3339 with an offset; a timestamp without
// one is read as UTC (a documented guess: such values come from hand-made or legacy
// payloads, and UTC is the one zone that does not depend on where kassa runs). null and ""
// are the zero time.
type Time struct{ time.Time }

// timeLayouts are tried in order; zoned layouts carry their offset.
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

// UnmarshalJSON implements json.Unmarshaler.
func (t *Time) UnmarshalJSON(b []byte) error {
	t.Time = time.Time{}
	if isNull(b) {
		return nil
	}
	if b[0] != '"' {
		return fmt.Errorf("want a timestamp string, got %s", Kind(b))
	}
	s, err := unquote(b)
	if err != nil {
		return err
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	for _, l := range timeLayouts {
		var v time.Time
		var err error
		if l.zoned {
			v, err = time.Parse(l.layout, s)
		} else {
			v, err = time.ParseInLocation(l.layout, s, time.UTC)
		}
		if err == nil {
			t.Time = v
			return nil
		}
	}
	return fmt.Errorf("invalid timestamp %q", Truncate(s))
}

// Text is a string. A number or a boolean is read as its JSON text (a SKU of 12345 is
// "12345"); null is "". An object or an array is an error.
type Text string

// UnmarshalJSON implements json.Unmarshaler.
func (t *Text) UnmarshalJSON(b []byte) error {
	s, err := ParseText(b)
	if err != nil {
		return err
	}
	*t = Text(s)
	return nil
}

// ParseText reads a JSON value as Text does.
func ParseText(b []byte) (string, error) {
	if isNull(b) {
		return "", nil
	}
	switch b[0] {
	case '"':
		return unquote(b)
	case '{', '[':
		return "", fmt.Errorf("want a string, got %s", Kind(b))
	default:
		return string(b), nil
	}
}

// Kind names the kind of the JSON value b ("an object", "a string"...) for messages.
func Kind(b []byte) string {
	if len(b) == 0 {
		return "nothing"
	}
	switch b[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	default:
		return "a number"
	}
}

// Truncate keeps error messages short when a value is huge.
func Truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// isNull reports whether b is the JSON null, or nothing (encoding/json passes leaves
// without surrounding spaces; a caller may pass nil for null).
func isNull(b []byte) bool { return len(b) == 0 || string(b) == "null" }

// unquote returns the text of the JSON string literal b as encoding/json reads it, without
// its cost when the text is b's bytes as they stand (no escapes, valid UTF-8).
func unquote(b []byte) (string, error) {
	if len(b) >= 2 && b[len(b)-1] == '"' {
		inner := b[1 : len(b)-1]
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
	if err := json.Unmarshal(b, &s); err != nil {
		return "", err
	}
	return s, nil
}

// isPlainDecimal reports whether s has the syntax Amount accepts.
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

// parseInt reads an integer as ID and Int do.
func parseInt(b []byte) (int64, error) {
	if isNull(b) {
		return 0, nil
	}
	var s string
	switch b[0] {
	case '"':
		var err error
		if s, err = unquote(b); err != nil {
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
		return 0, fmt.Errorf("want an integer, got %s", Kind(b))
	default:
		s = string(b)
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		d, derr := decimal.NewFromString(s)
		if derr != nil || !isPlainDecimal(s) || !d.IsInteger() || !d.Abs().LessThan(decimal.New(1, 18)) {
			return 0, fmt.Errorf("invalid integer %q", Truncate(s))
		}
		return d.IntPart(), nil
	}
	return n, nil
}
