package shopifyapi_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/kassa-pos/kassa/internal/fixtures"
	"github.com/kassa-pos/kassa/sync/shopify/shopifyapi"
)

// fixtureFiles are the Shopify payloads of the repository's testdata/shopify that hold
// orders or parts of orders.
var fixtureFiles = []string{
	"goshopify_v4.7.0_line_item_properties_empty_object_legacy.json",
	"goshopify_v4.7.0_line_item_properties_tax_lines_discount_allocations.json",
	"goshopify_v4.7.0_order_with_transaction.json",
	"goshopify_v4.7.0_shipping_line_price_set_tax_lines.json",
	"rest_create_order_custom_line_item_tax_lines_paid_2024-10.json",
	"rest_get_order_partially_refunded_discount_taxes_2024-10.json",
	"rest_list_orders_status_any_2024-10.json",
	"webhook_orders_create_shopify_test_notification_payload.json",
}

// fixtureOrders returns every order object of fixtureFiles, keyed by "file#n". An order is
// any JSON object with both "id" and "line_items".
func fixtureOrders(t testing.TB) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, name := range fixtureFiles {
		data := fixtures.Shopify(t, name)
		n := 0
		var walk func(raw json.RawMessage)
		walk = func(raw json.RawMessage) {
			var obj map[string]json.RawMessage
			if json.Unmarshal(raw, &obj) == nil {
				_, hasID := obj["id"]
				_, hasLines := obj["line_items"]
				if hasID && hasLines {
					out[name+"#"+string(rune('0'+n))] = raw
					n++
					return
				}
				for _, v := range obj {
					walk(v)
				}
				return
			}
			var arr []json.RawMessage
			if json.Unmarshal(raw, &arr) == nil {
				for _, v := range arr {
					walk(v)
				}
			}
		}
		walk(data)
	}
	return out
}

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func mustDecode(t *testing.T, raw string) shopifyapi.Order {
	t.Helper()
	o, err := shopifyapi.DecodeOrder([]byte(raw))
	if err != nil {
		t.Fatalf("DecodeOrder: %v", err)
	}
	return o
}

func TestDecodeOrderFixtures(t *testing.T) {
	t.Parallel()
	orders := fixtureOrders(t)
	if len(orders) != 5 {
		t.Fatalf("found %d fixture orders, want 5: %v", len(orders), keys(orders))
	}
	tests := []struct {
		key                                string
		id                                 int64
		name                               string
		total, tax, discounts, outstanding string
		lines, shipping                    int
		linesTotal                         string // Σ quantity × price
		gateways                           []string
		customerEmail                      string // "" when the order has no customer
		created                            string
		test                               bool
		cancelled                          bool
	}{
		{"rest_get_order_partially_refunded_discount_taxes_2024-10.json#0", 450789469, "#1001", "598.94", "11.94", "10.00", "0.00", 3, 1, "597.00", []string{"bogus"}, "bob.norman@mail.example.com", "2008-01-10T11:00:00-05:00", false, false},
		{"rest_list_orders_status_any_2024-10.json#0", 450789469, "#1001", "598.94", "11.94", "10.00", "0.00", 3, 1, "597.00", []string{"bogus"}, "bob.norman@mail.example.com", "2008-01-10T11:00:00-05:00", false, false},
		{"rest_create_order_custom_line_item_tax_lines_paid_2024-10.json#0", 1073459975, "#1002", "238.47", "13.50", "0.00", "0.00", 1, 0, "224.97", []string{""}, "", "2024-10-02T09:04:31-05:00", false, false},
		{"webhook_orders_create_shopify_test_notification_payload.json#0", 820982911946154508, "#9999", "404.95", "0.00", "20.00", "414.95", 5, 1, "414.95", []string{"visa", "bogus"}, "john@example.com", "2021-12-31T19:00:00-05:00", true, true},
		{"goshopify_v4.7.0_order_with_transaction.json#0", 123456, "#9999", "10.00", "0", "5.00", "0", 2, 1, "5.00", []string{"visa", "bogus"}, "john@test.com", "2016-05-17T04:14:36Z", true, true},
	}
	for _, tc := range tests {
		t.Run(tc.key, func(t *testing.T) {
			t.Parallel()
			raw, ok := orders[tc.key]
			if !ok {
				t.Fatalf("no fixture order %s", tc.key)
			}
			o, err := shopifyapi.DecodeOrder(raw)
			if err != nil {
				t.Fatalf("DecodeOrder: %v", err)
			}
			if o.ID != tc.id || o.Name != tc.name {
				t.Errorf("id, name = %d %q, want %d %q", o.ID, o.Name, tc.id, tc.name)
			}
			for _, m := range []struct {
				field     string
				got, want decimal.Decimal
			}{
				{"total_price", o.TotalPrice, dec(tc.total)},
				{"total_tax", o.TotalTax, dec(tc.tax)},
				{"total_discounts", o.TotalDiscounts, dec(tc.discounts)},
				{"total_outstanding", o.TotalOutstanding, dec(tc.outstanding)},
			} {
				if !m.got.Equal(m.want) {
					t.Errorf("%s = %s, want %s", m.field, m.got, m.want)
				}
			}
			if len(o.LineItems) != tc.lines || len(o.ShippingLines) != tc.shipping {
				t.Fatalf("lines, shipping lines = %d, %d, want %d, %d", len(o.LineItems), len(o.ShippingLines), tc.lines, tc.shipping)
			}
			sum := decimal.Zero
			for _, l := range o.LineItems {
				sum = sum.Add(l.Price.Mul(decimal.NewFromInt(l.Quantity)))
			}
			if !sum.Equal(dec(tc.linesTotal)) {
				t.Errorf("Σ line quantity × price = %s, want %s", sum, tc.linesTotal)
			}
			if strings.Join(o.PaymentGatewayNames, "|") != strings.Join(tc.gateways, "|") {
				t.Errorf("gateways = %q, want %q", o.PaymentGatewayNames, tc.gateways)
			}
			gotEmail := ""
			if o.Customer != nil {
				gotEmail = o.Customer.Email
			}
			if gotEmail != tc.customerEmail {
				t.Errorf("customer email = %q, want %q", gotEmail, tc.customerEmail)
			}
			want, _ := time.Parse(time.RFC3339, tc.created)
			if !o.CreatedAt.Equal(want) {
				t.Errorf("created_at = %s, want %s", o.CreatedAt, want)
			}
			if o.Test != tc.test || o.CancelledAt.IsZero() == tc.cancelled {
				t.Errorf("test, cancelled = %v, %v, want %v, %v", o.Test, !o.CancelledAt.IsZero(), tc.test, tc.cancelled)
			}
			if string(o.Raw) != string(raw) {
				t.Error("Raw does not hold the exact input bytes")
			}
		})
	}
}

func TestDecodeOrderDocExampleDetails(t *testing.T) {
	t.Parallel()
	o, err := shopifyapi.DecodeOrder(fixtureOrders(t)["rest_get_order_partially_refunded_discount_taxes_2024-10.json#0"])
	if err != nil {
		t.Fatal(err)
	}
	l := o.LineItems[0]
	if l.ID != 466157049 || l.VariantID != 39072856 || l.ProductID != 632910392 || l.SKU != "IPOD2008GREEN" || l.Quantity != 1 {
		t.Errorf("first line = %+v", l)
	}
	if len(l.DiscountAllocations) != 1 || !l.DiscountAllocations[0].Amount.Equal(dec("3.34")) {
		t.Errorf("discount allocations = %+v, want one of 3.34", l.DiscountAllocations)
	}
	if len(l.TaxLines) != 1 || !l.TaxLines[0].Rate.Equal(dec("0.06")) || !l.TaxLines[0].Price.Equal(dec("3.98")) {
		t.Errorf("tax lines = %+v, want 6%% of 3.98", l.TaxLines)
	}
	if len(l.Properties) != 2 || l.Properties[0] != (shopifyapi.Property{Name: "Custom Engraving Front", Value: "Happy Birthday"}) {
		t.Errorf("properties = %+v", l.Properties)
	}
	if l.VariantInventoryManagement != "shopify" || !l.RequiresShipping || !l.ProductExists {
		t.Errorf("flags = %q %v %v", l.VariantInventoryManagement, l.RequiresShipping, l.ProductExists)
	}
	s := o.ShippingLines[0]
	if s.Title != "Free Shipping" || !s.Price.IsZero() || !s.DiscountedPrice.IsZero() {
		t.Errorf("shipping line = %+v", s)
	}
	c := o.Customer
	if c == nil || c.ID != 207119551 || c.DefaultAddress == nil || c.DefaultAddress.City == "" {
		t.Errorf("customer = %+v", c)
	}
	if o.BillingAddress == nil || o.ShippingAddress == nil || o.ShippingAddress.Zip == "" {
		t.Errorf("addresses = %+v / %+v", o.BillingAddress, o.ShippingAddress)
	}
	// The order as it stands: two lines gone (one removed, one refunded), current figures.
	var current []int64
	for _, l := range o.LineItems {
		if !l.HasCurrentQuantity {
			t.Errorf("line %d without current_quantity", l.ID)
		}
		current = append(current, l.CurrentQuantity)
	}
	if fmt.Sprint(current) != "[0 1 0]" || !o.HasCurrentTotals || !o.CurrentTotalPrice.Equal(dec("199.65")) ||
		!o.CurrentTotalTax.Equal(dec("3.98")) || !o.CurrentTotalDiscounts.Equal(dec("3.33")) || !o.CurrentSubtotalPrice.Equal(dec("195.67")) {
		t.Errorf("current quantities %v, figures %v %s %s %s %s", current, o.HasCurrentTotals, o.CurrentTotalPrice, o.CurrentTotalTax, o.CurrentTotalDiscounts, o.CurrentSubtotalPrice)
	}
	if len(o.Refunds) != 1 {
		t.Fatalf("refunds = %+v", o.Refunds)
	}
	r := o.Refunds[0]
	if r.ID != 509562969 || r.Note != "it broke during shipping" || len(r.LineItems) != 2 || len(r.Transactions) != 1 || !r.RefundedMoney().Equal(dec("209.00")) {
		t.Errorf("refund = %+v", r)
	}
	rl := r.LineItems[0]
	if rl.LineItemID != 703073504 || rl.Quantity != 1 || rl.RestockType != "legacy_restock" || !rl.Restocked() || rl.LocationID != 487838322 ||
		!rl.Subtotal.Equal(dec("195.66")) || !rl.TotalTax.Equal(dec("3.98")) {
		t.Errorf("refund line = %+v", rl)
	}
}

func TestDecodeOrderCustomItem(t *testing.T) {
	t.Parallel()
	o, err := shopifyapi.DecodeOrder(fixtureOrders(t)["rest_create_order_custom_line_item_tax_lines_paid_2024-10.json#0"])
	if err != nil {
		t.Fatal(err)
	}
	if o.Customer != nil {
		t.Errorf("customer = %+v, want nil for customer:null", o.Customer)
	}
	l := o.LineItems[0]
	if l.ProductID != 0 || l.VariantID != 0 || l.SKU != "" || l.ProductExists {
		t.Errorf("custom line = %+v, want no product, variant or sku", l)
	}
	if o.Currency != "EUR" || o.FinancialStatus != "paid" {
		t.Errorf("currency, status = %s %s", o.Currency, o.FinancialStatus)
	}
}

// TestDecodeGoShopifyLineAndShippingFixtures wraps go-shopify's line and shipping line
// fixtures (older shapes: numeric tax prices, legacy properties object) into orders.
func TestDecodeGoShopifyLineAndShippingFixtures(t *testing.T) {
	t.Parallel()
	read := func(name string) string { return string(fixtures.Shopify(t, name)) }
	o := mustDecode(t, `{"id":1,"line_items":[`+read("goshopify_v4.7.0_line_item_properties_tax_lines_discount_allocations.json")+`,`+
		read("goshopify_v4.7.0_line_item_properties_empty_object_legacy.json")+`],"shipping_lines":[`+
		read("goshopify_v4.7.0_shipping_line_price_set_tax_lines.json")+`]}`)
	l := o.LineItems[0]
	if l.SKU != "sku-123" || !l.Price.Equal(dec("12.34")) || !l.TotalDiscount.Equal(dec("1.23")) || !l.GiftCard {
		t.Errorf("line = %+v", l)
	}
	if len(l.TaxLines) != 2 || !l.TaxLines[0].Price.Equal(dec("13.50")) || !l.TaxLines[1].Rate.Equal(dec("0.05")) {
		t.Errorf("numeric tax lines = %+v", l.TaxLines)
	}
	if len(l.Properties) != 2 || l.Properties[1].Value != "2" {
		t.Errorf("properties = %+v, want the number 2 as text", l.Properties)
	}
	if len(o.LineItems[1].Properties) != 0 {
		t.Errorf("legacy {} properties = %+v, want none", o.LineItems[1].Properties)
	}
	s := o.ShippingLines[0]
	if s.Code != "INT.TP" || !s.Price.Equal(dec("4.00")) || len(s.TaxLines) != 2 {
		t.Errorf("shipping line = %+v", s)
	}
}

// TestDecodeOrderOddValues covers the payload shapes that make go-shopify v4.7.0 fail a
// whole order (SHOPIFY-API.md §4.7 and §8.5) and the leniency rules of DecodeOrder.
func TestDecodeOrderOddValues(t *testing.T) {
	t.Parallel()
	o := mustDecode(t, `{
		"id": "820982911946154508",
		"name": "#1550",
		"order_number": "1550",
		"created_at": "2024-01-01T10:00:00",
		"processed_at": "2024-01-01T11:00:00.123+02:00",
		"updated_at": null,
		"cancelled_at": "",
		"total_price": 12.5,
		"subtotal_price": "12.50",
		"total_tax": null,
		"total_outstanding": "12.50",
		"total_tip_received": 1.25,
		"total_discounts": "",
		"current_total_duties_set": {"shop_money": {"amount": "3.10", "currency_code": "EUR"}, "presentment_money": {"amount": 4, "currency_code": "USD"}},
		"original_total_duties_set": null,
		"payment_gateway_names": "Bank Deposit",
		"gateway": null,
		"test": 1,
		"taxes_included": "false",
		"billing_address": [],
		"tax_lines": {},
		"marketing_opt_in_level": "confirmed_opt_in",
		"unknown_object": {"a": [1, {"b": null}]},
		"customer": {"id": 7, "email": "A@Example.com", "marketing_opt_in_level": "single_opt_in",
			"email_marketing_consent": {"state": "subscribed", "opt_in_level": "single_opt_in"},
			"default_address": {"company": "Acme", "zip": 1234, "phone": null}},
		"line_items": [
			{"id": 1, "product_id": null, "variant_id": "44", "sku": 12345, "quantity": 2.0, "price": "5.00",
			 "properties": {"gift_wrap": true, "note": "hi"},
			 "country_harmonized_system_codes": [{"harmonized_system_code": "1234", "country_code": "CA"}],
			 "duties": [{"id": "9", "harmonized_system_code": "520300", "country_code_of_origin": "CA",
			             "shop_money": {"amount": "1.05", "currency_code": "EUR"}, "tax_lines": []}],
			 "discount_allocations": [{"amount": 0.5, "discount_application_index": 0}],
			 "tax_lines": [{"title": "VAT", "rate": 0.21, "price": 2.1}]},
			null
		],
		"shipping_lines": [{"id": 3, "title": "Post", "price": "4.95", "discounted_price": 4.95,
			"requested_fulfillment_service_id": 99, "tax_lines": null}]
	}`)
	if o.ID != 820982911946154508 || o.OrderNumber != 1550 {
		t.Errorf("id, order number = %d, %d", o.ID, o.OrderNumber)
	}
	if !o.Test || o.TaxesIncluded || o.BillingAddress != nil || o.TaxLines != nil {
		t.Errorf("test %v, taxes included %v, billing %+v, tax lines %+v; want true, false, nil, nil", o.Test, o.TaxesIncluded, o.BillingAddress, o.TaxLines)
	}
	if want := time.Date(2024, 1, 1, 10, 0, 0, 0, time.UTC); !o.CreatedAt.Equal(want) || o.CreatedAt.Location() != time.UTC {
		t.Errorf("offset-less created_at = %s, want %s read as UTC", o.CreatedAt, want)
	}
	if want := time.Date(2024, 1, 1, 9, 0, 0, 123e6, time.UTC); !o.ProcessedAt.Equal(want) {
		t.Errorf("processed_at = %s, want %s", o.ProcessedAt, want)
	}
	if !o.UpdatedAt.IsZero() || !o.CancelledAt.IsZero() {
		t.Errorf("null/empty timestamps = %s, %s, want zero", o.UpdatedAt, o.CancelledAt)
	}
	for _, m := range []struct {
		field     string
		got, want decimal.Decimal
	}{
		{"total_price", o.TotalPrice, dec("12.5")},
		{"total_tax", o.TotalTax, dec("0")},
		{"total_outstanding", o.TotalOutstanding, dec("12.50")},
		{"total_tip_received", o.TotalTipReceived, dec("1.25")},
		{"total_discounts", o.TotalDiscounts, dec("0")},
		{"current duties", o.CurrentTotalDuties, dec("3.10")},
		{"original duties", o.OriginalTotalDuties, dec("0")},
	} {
		if !m.got.Equal(m.want) {
			t.Errorf("%s = %s, want %s", m.field, m.got, m.want)
		}
	}
	if len(o.PaymentGatewayNames) != 1 || o.PaymentGatewayNames[0] != "Bank Deposit" {
		t.Errorf("gateways = %q", o.PaymentGatewayNames)
	}
	if o.Customer == nil || o.Customer.Email != "A@Example.com" || o.Customer.DefaultAddress.Zip != "1234" || o.Customer.DefaultAddress.Company != "Acme" {
		t.Errorf("customer = %+v", o.Customer)
	}
	if len(o.LineItems) != 1 {
		t.Fatalf("line items = %d, want 1 (null element skipped)", len(o.LineItems))
	}
	l := o.LineItems[0]
	if l.VariantID != 44 || l.SKU != "12345" || l.Quantity != 2 {
		t.Errorf("line = %+v", l)
	}
	if len(l.Properties) != 2 || l.Properties[0] != (shopifyapi.Property{Name: "gift_wrap", Value: "true"}) {
		t.Errorf("object properties = %+v", l.Properties)
	}
	if len(l.Duties) != 1 || l.Duties[0].ID != 9 || !l.Duties[0].Amount.Equal(dec("1.05")) {
		t.Errorf("duties = %+v", l.Duties)
	}
	if !l.DiscountAllocations[0].Amount.Equal(dec("0.5")) || !l.TaxLines[0].Price.Equal(dec("2.1")) {
		t.Errorf("numeric allocations/taxes = %+v %+v", l.DiscountAllocations, l.TaxLines)
	}
	if s := o.ShippingLines[0]; !s.DiscountedPrice.Equal(dec("4.95")) || s.TaxLines != nil {
		t.Errorf("shipping = %+v", s)
	}
}

func TestDecodeOrderErrorNamesField(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, raw, field string
		id               int64
	}{
		{"bad line price", `{"id":5,"name":"#1005","line_items":[{"price":"1.00"},{"price":"abc"}]}`, "line_items[1].price", 5},
		{"object as money", `{"id":5,"name":"#1005","total_price":{"amount":"1"}}`, "total_price", 5},
		{"exponent money", `{"id":5,"name":"#1005","total_tax":"1e9999999"}`, "total_tax", 5},
		{"bad timestamp", `{"id":5,"name":"#1005","created_at":"yesterday"}`, "created_at", 5},
		{"numeric timestamp", `{"id":5,"name":"#1005","processed_at":1700000000}`, "processed_at", 5},
		{"bad shipping tax", `{"id":5,"name":"#1005","shipping_lines":[{"tax_lines":[{"rate":"x"}]}]}`, "shipping_lines[0].tax_lines[0].rate", 5},
		{"line items not an array", `{"id":5,"name":"#1005","line_items":{"0":{}}}`, "line_items", 5},
		{"customer not an object", `{"id":5,"name":"#1005","customer":"bob"}`, "customer", 5},
		{"bad id", `{"id":"12a","name":"#1005"}`, "id", 0},
		{"negative id", `{"id":-3,"name":"#1005"}`, "id", 0},
		{"fractional quantity", `{"id":5,"name":"#1005","line_items":[{"quantity":1.5}]}`, "line_items[0].quantity", 5},
		{"boolean as 2", `{"id":5,"name":"#1005","test":2}`, "test", 5},
		{"non-empty array as customer", `{"id":5,"name":"#1005","customer":[1]}`, "customer", 5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o, err := shopifyapi.DecodeOrder([]byte(tc.raw))
			var fe *shopifyapi.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v, want a *FieldError", err)
			}
			if fe.Field != tc.field || !strings.Contains(err.Error(), tc.field) {
				t.Errorf("field = %q (%v), want %q", fe.Field, err, tc.field)
			}
			if o.ID != tc.id || o.Name != "#1005" || string(o.Raw) != tc.raw {
				t.Errorf("best effort order = %d %q %q", o.ID, o.Name, o.Raw)
			}
		})
	}
	for _, raw := range []string{``, `null`, `[]`, `"x"`, `{"id":1`} {
		if _, err := shopifyapi.DecodeOrder([]byte(raw)); err == nil {
			t.Errorf("DecodeOrder(%q) succeeded, want an error", raw)
		}
	}
}

func FuzzDecodeOrder(f *testing.F) {
	for _, raw := range fixtureOrders(f) {
		f.Add(raw)
	}
	f.Add([]byte(`{"id":"1","total_price":1.5,"created_at":"2024-01-01T00:00:00","line_items":[{"properties":{}}]}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		// DecodeOrder must answer exactly as the decoder it replaced.
		sameAsReference(t, raw)
		o, err := shopifyapi.DecodeOrder(raw)
		if err != nil {
			var fe *shopifyapi.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is not a *FieldError", err)
			}
			return
		}
		// A decoded order's amounts must be usable without surprises.
		_ = o.TotalPrice.StringFixed(2)
		for _, l := range o.LineItems {
			_ = l.Price.Mul(decimal.NewFromInt(l.Quantity)).StringFixed(2)
		}
		if string(o.Raw) != string(raw) {
			t.Fatal("Raw differs from the input")
		}
	})
}

func keys(m map[string][]byte) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
