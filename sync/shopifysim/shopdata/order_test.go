package shopdata

import (
	"encoding/json"
	"math/rand/v2"
	"testing"

	"github.com/shopspring/decimal"
)

func TestMoneyRendersLikeShopify(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"0": `"0.00"`, "12": `"12.00"`, "12.5": `"12.50"`, "12.50": `"12.50"`, "0.05": `"0.05"`,
		"-19.95": `"-19.95"`, "-0.4": `"-0.40"`, "1.005": `"1.01"`, "2.994": `"2.99"`,
		"123456789012345.67": `"123456789012345.67"`, "1e3": `"1000.00"`,
	}
	for in, want := range cases {
		got, err := json.Marshal(MustMoney(in))
		if err != nil || string(got) != want {
			t.Errorf("Money(%s) = %s (%v), want %s", in, got, err, want)
		}
	}
	// Whatever the exponent, the fast path must agree with decimal's own rendering.
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20_000 {
		d := decimal.New(rng.Int64N(2_000_000_000)-1_000_000_000, int32(rng.IntN(6)-4))
		got := string(appendFixed2(nil, d))
		if want := d.StringFixed(2); got != want {
			t.Fatalf("%s rendered %s, want %s", d, got, want)
		}
	}
}

func TestMoneyAndRateDecodeStringsNumbersAndNull(t *testing.T) {
	t.Parallel()
	var v struct {
		A, B, C Money
		R, S    Rate
		N       Number
	}
	if err := json.Unmarshal([]byte(`{"A":"1.50","B":2.25,"C":null,"R":0.21,"S":"0.06","N":14.8}`), &v); err != nil {
		t.Fatal(err)
	}
	if v.A.String() != "1.50" || v.B.String() != "2.25" || !v.C.IsZero() || v.R.String() != "0.21" || v.S.String() != "0.06" || v.N.StringFixed(2) != "14.80" {
		t.Fatalf("decoded %+v", v)
	}
	if err := json.Unmarshal([]byte(`{"A":"abc"}`), &v); err == nil {
		t.Fatal("decoded a malformed amount")
	}
	b, err := json.Marshal(struct {
		R Rate
		N Number
	}{MustRate("0.0725"), Number{decimal.RequireFromString("-3.5")}})
	if err != nil || string(b) != `{"R":0.0725,"N":-3.50}` {
		t.Fatalf("marshal rate/number = %s, %v", b, err)
	}
}
