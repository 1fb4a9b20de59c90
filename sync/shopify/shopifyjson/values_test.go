package shopifyjson_test

import (
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/kassa-pos/kassa/sync/shopify/shopifyjson"
)

func TestAmount(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{`"12.50"`, "12.5"}, {`12.5`, "12.5"}, {`"  1.50 "`, "1.5"}, {`-3`, "-3"}, {`"0.21"`, "0.21"},
		{`null`, "0"}, {`""`, "0"}, {`"   "`, "0"}, {`"123456789012345678901234567890"`, "123456789012345678901234567890"},
	} {
		var a shopifyjson.Amount
		if err := a.UnmarshalJSON([]byte(tc.in)); err != nil || !a.Decimal().Equal(decimal.RequireFromString(tc.want)) {
			t.Errorf("Amount(%s) = %s, %v; want %s", tc.in, a.Decimal(), err, tc.want)
		}
	}
	for _, tc := range []struct{ in, msg string }{
		{`"abc"`, `invalid amount "abc"`}, {`"1e9999999"`, "invalid amount"}, {`1E2`, "invalid amount"}, {`"1.005.0"`, "invalid amount"},
		{`"1234567890123456789012345678901"`, "invalid amount"}, {`{"amount":"1"}`, "want an amount, got an object"},
		{`[1]`, "want an amount, got an array"}, {`true`, "want an amount, got a boolean"}, {`".5"`, "invalid amount"}, {`"5."`, "invalid amount"},
	} {
		var a shopifyjson.Amount
		if err := a.UnmarshalJSON([]byte(tc.in)); err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("Amount(%s) error = %v, want %q", tc.in, err, tc.msg)
		}
	}
	if !(shopifyjson.Amount{}).Decimal().Equal(decimal.Zero) {
		t.Error("the zero Amount is not zero")
	}
}

func TestIDAndInt(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want int64
	}{
		{`820982911946154508`, 820982911946154508}, {`"44"`, 44}, {`"gid://shopify/Order/12"`, 12}, {`"gid://shopify/LineItem/7"`, 7},
		{`"2.0"`, 2}, {`2.0`, 2}, {`null`, 0}, {`""`, 0}, {`" 9 "`, 9},
	} {
		var id shopifyjson.ID
		if err := id.UnmarshalJSON([]byte(tc.in)); err != nil || int64(id) != tc.want {
			t.Errorf("ID(%s) = %d, %v; want %d", tc.in, id, err, tc.want)
		}
	}
	for _, in := range []string{`"12a"`, `-3`, `"-3"`, `1.5`, `{}`, `[]`, `true`, `"gid://shopify/Order/x"`, `1e30`, `"99999999999999999999"`} {
		var id shopifyjson.ID
		if err := id.UnmarshalJSON([]byte(in)); err == nil {
			t.Errorf("ID(%s) = %d, want an error", in, id)
		}
	}
	var n shopifyjson.Int
	if err := n.UnmarshalJSON([]byte(`-3`)); err != nil || n != -3 {
		t.Errorf("Int(-3) = %d, %v", n, err)
	}
	if err := n.UnmarshalJSON([]byte(`1.5`)); err == nil {
		t.Error("Int(1.5) accepted")
	}
}

func TestBool(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]bool{`true`: true, `"true"`: true, `1`: true, `false`: false, `"false"`: false, `0`: false, `""`: false, `null`: false} {
		var b shopifyjson.Bool
		if err := b.UnmarshalJSON([]byte(in)); err != nil || bool(b) != want {
			t.Errorf("Bool(%s) = %v, %v; want %v", in, b, err, want)
		}
	}
	for _, in := range []string{`2`, `"TRUE"`, `"yes"`, `{}`, `[]`} {
		var b shopifyjson.Bool
		if err := b.UnmarshalJSON([]byte(in)); err == nil {
			t.Errorf("Bool(%s) accepted", in)
		}
	}
}

func TestTime(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want time.Time
	}{
		{`"2024-01-01T10:00:00+02:00"`, time.Date(2024, 1, 1, 8, 0, 0, 0, time.UTC)},
		{`"2024-01-01T11:00:00.123+02:00"`, time.Date(2024, 1, 1, 9, 0, 0, 123e6, time.UTC)},
		{`"2024-01-01T10:00:00"`, time.Date(2024, 1, 1, 10, 0, 0, 0, time.UTC)},
		{`" 2024-01-01 10:00:00 "`, time.Date(2024, 1, 1, 10, 0, 0, 0, time.UTC)},
		{`"2024-01-01"`, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)},
		{`"2024-01-01T10:00:00-0500"`, time.Date(2024, 1, 1, 15, 0, 0, 0, time.UTC)},
		{`null`, time.Time{}}, {`""`, time.Time{}},
	} {
		var v shopifyjson.Time
		if err := v.UnmarshalJSON([]byte(tc.in)); err != nil || !v.Equal(tc.want) {
			t.Errorf("Time(%s) = %s, %v; want %s", tc.in, v.Time, err, tc.want)
		}
	}
	var v shopifyjson.Time
	if err := v.UnmarshalJSON([]byte(`"2024-01-01T10:00:00"`)); err != nil || v.Location() != time.UTC {
		t.Errorf("a time without an offset is in %v, want UTC", v.Location())
	}
	for _, in := range []string{`"yesterday"`, `1700000000`, `{}`, `true`} {
		var v shopifyjson.Time
		if err := v.UnmarshalJSON([]byte(in)); err == nil {
			t.Errorf("Time(%s) accepted", in)
		}
	}
}

func TestText(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		`"a\tb"`: "a\tb", `12345`: "12345", `true`: "true", `null`: "", `"\u00e9t\u00e9"`: "été", `"\ud800"`: "\ufffd", "\"a\xffb\"": "a\ufffdb",
	} {
		var s shopifyjson.Text
		if err := s.UnmarshalJSON([]byte(in)); err != nil || string(s) != want {
			t.Errorf("Text(%s) = %q, %v; want %q", in, s, err, want)
		}
	}
	for _, in := range []string{`{}`, `["a"]`} {
		var s shopifyjson.Text
		if err := s.UnmarshalJSON([]byte(in)); err == nil {
			t.Errorf("Text(%s) accepted", in)
		}
	}
}
