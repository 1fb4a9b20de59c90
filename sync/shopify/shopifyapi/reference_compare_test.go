package shopifyapi_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/kassa-pos/kassa/sync/shopify/shopifyapi"
	"github.com/kassa-pos/kassa/sync/shopifysim/shopdata"
)

// sameAsReference fails t unless DecodeOrder and the reference decoder agree on raw: the
// same order (deeply, Raw included) and the same error.
func sameAsReference(t *testing.T, raw []byte) {
	t.Helper()
	got, gotErr := shopifyapi.DecodeOrder(raw)
	want, wantErr := shopifyapi.ReferenceDecodeOrder(raw)
	if (gotErr == nil) != (wantErr == nil) || gotErr != nil && gotErr.Error() != wantErr.Error() {
		t.Fatalf("error = %v, reference %v\ninput %q", gotErr, wantErr, raw)
	}
	if gotErr != nil {
		var gfe, wfe *shopifyapi.FieldError
		if !errors.As(gotErr, &gfe) || !errors.As(wantErr, &wfe) || gfe.Field != wfe.Field {
			t.Fatalf("field error %#v, reference %#v", gotErr, wantErr)
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("order differs from the reference\n got  %+v\n want %+v\ninput %q", got, want, raw)
	}
}

// TestDecodeOrderMatchesReference decodes every fixture, thousands of generated orders
// and odd shapes with DecodeOrder and with the decoder it replaced, and checks that the
// fixtures and generated orders take the single pass.
func TestDecodeOrderMatchesReference(t *testing.T) {
	t.Parallel()
	var inputs [][]byte
	for _, raw := range fixtureOrders(t) {
		inputs = append(inputs, raw)
	}
	g := shopdata.NewGenerator(shopdata.GenerateOptions{Seed: 7, Orders: 3000, Days: 60, Now: simNow})
	for _, o := range g.Orders() {
		raw, err := json.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, raw)
	}
	for i, raw := range inputs {
		sameAsReference(t, raw)
		if _, ok := shopifyapi.DecodeFast(raw); !ok {
			t.Fatalf("input %d falls back to the slow path: %.200s", i, raw)
		}
	}
	odd := []string{
		` {"id":1} `, `{"id":1,"id":"2"}`, `{"id":"x","id":3}`, `{"ID":"x","id":3}`, `{"i\u0064":4,"name":"\u00e9t\u00e9"}`,
		`{"id":1,"customer":{"id":2},"customer":null}`, `{"id":1,"customer":[]}`, `{"id":1,"customer":[ ]}`, `{"id":1,"customer":{}}`,
		`{"id":1,"line_items":{ }}`, `{"id":1,"line_items":[null,{}]}`, `{"id":1,"line_items":[]}`, `{"id":1,"line_items":[1]}`,
		`{"id":1,"payment_gateway_names":[]}`, `{"id":1,"payment_gateway_names":[null,"a",1,true]}`, `{"id":1,"payment_gateway_names":2.50}`,
		`{"id":1,"line_items":[{"duties":[{"price_set":{"shop_money":{"amount":"1"}},"shop_money":null}]}]}`,
		`{"id":1,"line_items":[{"duties":[{"shop_money":{"amount":"2"},"price_set":{"shop_money":{"amount":"1"}}}]}]}`,
		`{"id":1,"current_total_duties_set":{"shop_money":{"amount":"1"},"shop_money":null}}`,
		`{"id":1,"total_price":"  1.50 ","total_tax":"1234567890123456789012345678901","name":"a\tb"}`,
		`{"id":1,"name":"\xff\xfe"}`, `{"id":1,"email":"a\"b\\c\/d\u2028"}`, `{"id":1,"tags":12e3}`, `{"id":1,"tags":-0.5E-2}`,
		`{"id":01}`, `{"id":1,}`, `{"id":1}x`, `{"id":1 "name":2}`, `{"id":-}`, `{"id":1.}`, `{"id":"gid://shopify/Order/12"}`,
		`{"id":"2.0","order_number":"1e2"}`, `{"id":1,"created_at":" 2024-01-01 10:00:00 "}`, `{"id":1,"created_at":"2024-01-01"}`,
		`{"id":1,"line_items":[{"properties":[{"name":"a","value":{"b":[1, 2]}},null,{"NAME":"x"}]}]}`,
		`{"id":1,"line_items":[{"properties":{"b":1,"a":null}}]}`, `{"id":1,"line_items":[{"properties":[1]}]}`, `{"id":1,"line_items":[{"properties":"x"}]}`,
		`{"id":1,"test":"true","taxes_included":0,"unknown":[{"deep":[[[{}]]]}]}`, `{"id":1,"test":"TRUE"}`,
		`{"id":1,"Total_Price":"2","TAX_LINES":[{"Price":"1"}]}`, `{"id":1,"line_items":[{"\u017fku":"X","ſku":"Y"}]}`, `{"id":1,"totaL_price":"2"}`,
		`{"id":1,"customer":{"id":2,"email":"a"},"customer":{"id":3}}`, `{"id":1,"customer":null,"customer":{"id":3}}`, `{"id":1,"customer":[],"customer":{"id":3}}`,
		`{"id":1,"line_items":[{"sku":"a","tax_lines":[{"rate":"1"}]}],"line_items":[{"tax_lines":[{"price":"2"}]}]}`,
		`{"id":1,"line_items":[{"tax_lines":[{"rate":"1"}],"tax_lines":[{"price":"2"}]}]}`, `{"id":1,"line_items":[null],"line_items":[{"sku":"b"}]}`,
		`{"id":1,"current_total_duties_set":{"shop_money":{"amount":"1"}},"current_total_duties_set":{"presentment_money":{}}}`,
		`{"id":1,"current_total_duties_set":{"shop_money":{"amount":"1"},"shop_money":{"currency_code":"EUR"}}}`,
		`{"id":1,"line_items":[{"duties":[{"price_set":{"shop_money":{"amount":"1"}},"shop_money":[]}]}]}`,
		`{"id":1,"line_items":[{"duties":[{"price_set":{"shop_money":{"amount":"1"}},"shop_money":{}}]}]}`,
		`{"id":1,"line_items":[{"duties":[{"shop_money":{"amount":"2"}},{"shop_money":{"amount":"3"},"shop_money":null}]}]}`,
		`{"id":1,"line_items":[{"duties":[{"shop_money":{"amount":"3"},"shop_money":{"currency_code":"EUR"}}]}]}`,
		`{"id":1,"line_items":[{"duties":[{"price_set":{"shop_money":{"amount":"1"}},"price_set":{"presentment_money":{}}}]}]}`,
		`{"id":1,"current_total_price":null,"current_total_tax":"1"}`, `{"id":1,"current_total_price":"2","current_total_price":null}`,
		`{"id":1,"current_total_price":"0.00"}`, `{"id":1,"line_items":[{"current_quantity":null},{"current_quantity":"0"},{"current_quantity":2}]}`,
		`{"id":1,"refunds":[null,{"id":2,"refund_line_items":[{"subtotal":1.5,"total_tax":0.26,"location_id":null,"line_item":{"id":3}}],"transactions":{},"order_adjustments":[{"amount":"-5.00"}]}]}`,
		`{"id":1,"refunds":[{"transactions":[{"amount":"1"}],"transactions":[{"amount":"2"}]}]}`, `{"id":1,"refunds":{}}`, `{"id":1,"refunds":[1]}`,
		"{\"id\":1,\"name\":\"a\x01\"}", `{"id":1,"name":"\x"}`, `{"id":1,"name":"\u12"}`, `{"id":tru}`, `{"id":nul}`, `[]`, `null`, ``, `{`,
	}
	for _, s := range odd {
		sameAsReference(t, []byte(s))
	}
}
