package shopifyjson_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/kassa-pos/kassa/sync/shopify/shopifyjson"
)

// order is a small REST-shaped document: snake_case keys, lists of objects, a nested object.
type order struct {
	ID        shopifyjson.ID   `json:"id"`
	Name      shopifyjson.Text `json:"name"`
	Test      shopifyjson.Bool `json:"test"`
	CreatedAt shopifyjson.Time `json:"created_at"`
	Customer  *struct {
		Email shopifyjson.Text `json:"email"`
	} `json:"customer"`
	LineItems []*struct {
		SKU      shopifyjson.Text   `json:"sku"`
		Quantity shopifyjson.Int    `json:"quantity"`
		Price    shopifyjson.Amount `json:"price"`
		TaxLines []*struct {
			Rate shopifyjson.Amount `json:"rate"`
		} `json:"tax_lines"`
	} `json:"line_items"`
}

func decode(t *testing.T, doc string) order {
	t.Helper()
	var o order
	if err := shopifyjson.Decode([]byte(doc), &o); err != nil {
		t.Fatalf("Decode(%s): %v", doc, err)
	}
	return o
}

func TestDecodeReadsAShape(t *testing.T) {
	t.Parallel()
	o := decode(t, `{"id":"7","name":"#1001","test":"true","created_at":"2024-01-01T10:00:00Z","customer":{"email":"a@b.c","x":[1]},
		"line_items":[{"sku":12345,"quantity":"2","price":"9.95","tax_lines":[{"rate":0.21}]},null,{"sku":null}],"unknown":{"deep":[[{}]]}}`)
	if o.ID != 7 || o.Name != "#1001" || !o.Test || o.CreatedAt.Year() != 2024 || o.Customer == nil || o.Customer.Email != "a@b.c" {
		t.Fatalf("order = %+v", o)
	}
	if len(o.LineItems) != 3 || o.LineItems[1] != nil || o.LineItems[0].SKU != "12345" || o.LineItems[0].Quantity != 2 ||
		!o.LineItems[0].Price.Decimal().Equal(decimal.RequireFromString("9.95")) || !o.LineItems[0].TaxLines[0].Rate.Decimal().Equal(decimal.RequireFromString("0.21")) {
		t.Fatalf("line items = %+v", o.LineItems)
	}
}

// TestDecodeReadsEmptyContainersOfTheOtherKind covers the shapes some serialisers write and
// encoding/json refuses: {} for an empty list, [] for no object.
func TestDecodeReadsEmptyContainersOfTheOtherKind(t *testing.T) {
	t.Parallel()
	o := decode(t, `{"id":1,"customer":[],"line_items":{ }}`)
	if o.Customer != nil || o.LineItems != nil {
		t.Fatalf("customer %+v, line items %+v; want none", o.Customer, o.LineItems)
	}
	o = decode(t, `{"id":1,"line_items":[{"tax_lines":{},"price":"1.00"}],"customer":[ ]}`)
	if len(o.LineItems) != 1 || o.LineItems[0].TaxLines != nil || !o.LineItems[0].Price.Decimal().Equal(decimal.NewFromInt(1)) || o.Customer != nil {
		t.Fatalf("order = %+v", o)
	}
	// Keys match without regard to case, as encoding/json matches them, on either way.
	o = decode(t, `{"ID":3,"Line_Items":{},"NAME":"x"}`)
	if o.ID != 3 || o.Name != "x" {
		t.Fatalf("order = %+v", o)
	}
}

func TestDecodeNamesTheBadValue(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ doc, path, msg string }{
		{`{"id":1,"line_items":[{"price":"1"},{"price":"1"},{"price":"1"},{"price":"abc"}]}`, "line_items[3].price", `invalid amount "abc"`},
		{`{"line_items":[{"tax_lines":[{},{"rate":"x"}]}]}`, "line_items[0].tax_lines[1].rate", "invalid amount"},
		{`{"line_items":[null,{"quantity":1.5}]}`, "line_items[1].quantity", "invalid integer"},
		{`{"line_items":{"0":{}}}`, "line_items", "want an array, got an object"},
		{`{"line_items":[1]}`, "line_items[0]", "want an object, got a number"},
		{`{"customer":"bob"}`, "customer", "want an object, got a string"},
		{`{"customer":[1]}`, "customer", "want an object, got an array"},
		{`{"customer":{"email":{}}}`, "customer.email", "want a string, got an object"},
		{`{"Customer":{"email":[]}}`, "customer.email", "want a string, got an array"},
		{`{"id":-1}`, "id", "negative id"},
		// The first bad value of the document, whatever its place in the shape.
		{`{"created_at":"yesterday","id":"x"}`, "created_at", "invalid timestamp"},
		{`{"customer":[],"line_items":{},"test":2}`, "test", "want a boolean"},
	} {
		var o order
		err := shopifyjson.Decode([]byte(tc.doc), &o)
		var ve *shopifyjson.ValueError
		if !errors.As(err, &ve) || ve.Path != tc.path || !strings.Contains(err.Error(), tc.msg) || !strings.HasPrefix(err.Error(), tc.path+": ") {
			t.Errorf("Decode(%s) = %v, want %s: %s", tc.doc, err, tc.path, tc.msg)
		}
	}
	for _, doc := range []string{``, `null`, `[]`, `"x"`, `3`, `{`, `{"id":1,}`, `{"id":1}x`, `{"name":"\x"}`} {
		var o order
		err := shopifyjson.Decode([]byte(doc), &o)
		var ve *shopifyjson.ValueError
		if !errors.As(err, &ve) || ve.Path != "" {
			t.Errorf("Decode(%q) = %v, want an error about the document", doc, err)
		}
	}
}

func TestRereadReplacesOnlyOnSuccess(t *testing.T) {
	t.Parallel()
	o := order{Name: "kept"}
	if err := shopifyjson.Reread([]byte(`{"name":"new","id":"x"}`), &o); err == nil || o.Name != "kept" {
		t.Fatalf("after a failed Reread: %v, name %q", err, o.Name)
	}
	if err := shopifyjson.Reread([]byte(`{"id":2,"line_items":{}}`), &o); err != nil || o.Name != "" || o.ID != 2 {
		t.Fatalf("after Reread: %v, %+v", err, o)
	}
	if err := shopifyjson.Reread([]byte(`{}`), o); err == nil {
		t.Fatal("Reread into a value, not a pointer, succeeded")
	}
}

// TestLeavesReadAGraphQLShape decodes the shape a GraphQL order has (camelCase keys,
// MoneyBag amounts, gid:// ids) with the same leaves.
func TestLeavesReadAGraphQLShape(t *testing.T) {
	t.Parallel()
	type moneyBag struct {
		ShopMoney struct {
			Amount       shopifyjson.Amount `json:"amount"`
			CurrencyCode shopifyjson.Text   `json:"currencyCode"`
		} `json:"shopMoney"`
	}
	var o struct {
		ID                  shopifyjson.ID   `json:"id"`
		Name                shopifyjson.Text `json:"name"`
		ProcessedAt         shopifyjson.Time `json:"processedAt"`
		Test                shopifyjson.Bool `json:"test"`
		TotalPriceSet       moneyBag         `json:"totalPriceSet"`
		TotalOutstandingSet moneyBag         `json:"totalOutstandingSet"`
		LineItems           struct {
			Nodes []*struct {
				ID       shopifyjson.ID  `json:"id"`
				Quantity shopifyjson.Int `json:"quantity"`
				Variant  *struct {
					ID shopifyjson.ID `json:"id"`
				} `json:"variant"`
				OriginalUnitPriceSet moneyBag `json:"originalUnitPriceSet"`
			} `json:"nodes"`
		} `json:"lineItems"`
	}
	doc := `{"id":"gid://shopify/Order/5900000001351","name":"#1002","processedAt":"2026-11-05T13:52:58Z","test":false,
		"totalPriceSet":{"shopMoney":{"amount":"83.06","currencyCode":"EUR"},"presentmentMoney":{"amount":"83.06","currencyCode":"EUR"}},
		"totalOutstandingSet":{"shopMoney":{"amount":"0.0","currencyCode":"EUR"}},
		"lineItems":{"nodes":[{"id":"gid://shopify/LineItem/94400000021616","quantity":3,"variant":{"id":"gid://shopify/ProductVariant/45100000104729"},
			"originalUnitPriceSet":{"shopMoney":{"amount":"14.95","currencyCode":"EUR"}}}]}}`
	if err := shopifyjson.Decode([]byte(doc), &o); err != nil {
		t.Fatal(err)
	}
	l := o.LineItems.Nodes[0]
	if o.ID != 5900000001351 || o.Name != "#1002" || !o.TotalPriceSet.ShopMoney.Amount.Decimal().Equal(decimal.RequireFromString("83.06")) ||
		l.ID != 94400000021616 || l.Variant.ID != 45100000104729 || l.Quantity != 3 || !l.OriginalUnitPriceSet.ShopMoney.Amount.Decimal().Equal(decimal.RequireFromString("14.95")) {
		t.Fatalf("order = %+v, line %+v", o, l)
	}
	bad := strings.Replace(doc, `"amount":"14.95"`, `"amount":"14,95"`, 1)
	err := shopifyjson.Decode([]byte(bad), &o)
	if err == nil || !strings.HasPrefix(err.Error(), "lineItems.nodes[0].originalUnitPriceSet.shopMoney.amount: ") {
		t.Fatalf("error = %v, want the amount's path", err)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"id":"7","customer":[],"line_items":[{"sku":1,"tax_lines":{}},null]}`))
	f.Add([]byte(`{"line_items":[{"price":"x"}]}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		var o order
		err := shopifyjson.Decode(doc, &o)
		if err == nil {
			if !json.Valid(doc) {
				t.Fatalf("accepted invalid JSON %q", doc)
			}
			return
		}
		var ve *shopifyjson.ValueError
		if !errors.As(err, &ve) {
			t.Fatalf("error %v is not a *ValueError", err)
		}
	})
}
