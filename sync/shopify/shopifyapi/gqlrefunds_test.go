package shopifyapi_test

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/kassa-pos/kassa/sync/shopify/shopifyapi"
	"github.com/kassa-pos/kassa/sync/shopifysim"
)

// TestGraphQLRefundDetailsEqualREST refunds one order many times and one refund many
// lines, more than a query details at once (RefundsPerQuery refunds, 10 lines each), and
// reads the order through GraphQL: its refunds are the ones its REST body has, line for
// line, restock for restock, transaction for transaction, shipping included.
func TestGraphQLRefundDetailsEqualREST(t *testing.T) {
	t.Parallel()
	s := newSim(t, shopifysim.Options{Generate: generated(5), Plan: shopifysim.PlanOff})
	c := newSimClient(t, s, nil, nil)
	ctx := context.Background()
	ids := simIDs(t, s)
	id := ids[len(ids)-1]
	// Make the order one of 14 lines of 2 units, paid, not cancelled.
	const lines = 14
	if _, err := s.UpdateOrder(id, func(o map[string]any) {
		li := o["line_items"].([]any)[0].(map[string]any)
		var all []any
		for i := range lines {
			b, _ := json.Marshal(li)
			var cp map[string]any
			_ = json.Unmarshal(b, &cp)
			cp["id"] = 880000 + i
			cp["quantity"], cp["current_quantity"], cp["fulfillable_quantity"] = 2, 2, 2
			all = append(all, cp)
		}
		o["line_items"] = all
		o["refunds"] = []any{}
		o["financial_status"] = "paid"
		delete(o, "cancelled_at")
		delete(o, "cancel_reason")
	}); err != nil {
		t.Fatal(err)
	}
	var big []shopifysim.RefundLine
	for i := range lines {
		big = append(big, shopifysim.RefundLine{LineItemID: int64(880000 + i), Quantity: 1, RestockType: "return", LocationID: shopifysim.DefaultLocationID})
	}
	if _, err := s.RefundOrder(id, shopifysim.RefundRequest{Lines: big, Shipping: true, Note: "most of it back"}); err != nil {
		t.Fatal(err)
	}
	for i := range shopifyapi.RefundsPerQuery + 1 {
		restock := []string{"no_restock", "cancel"}[i%2]
		if _, err := s.RefundOrder(id, shopifysim.RefundRequest{Lines: []shopifysim.RefundLine{{LineItemID: int64(880000 + i), Quantity: 1, RestockType: restock}}}); err != nil {
			t.Fatal(err)
		}
	}
	rest, err := c.GetOrder(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	gql, err := c.GetGraphQLOrder(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	a, b := comparableOrder(rest).Refunds, comparableOrder(gql).Refunds
	if len(a) != shopifyapi.RefundsPerQuery+2 || len(a[0].LineItems) != lines || len(a[0].Adjustments) == 0 {
		t.Fatalf("the REST order has %d refunds, the first of %d lines: the test does not test", len(a), len(a[0].LineItems))
	}
	normal(reflect.ValueOf(&a).Elem())
	normal(reflect.ValueOf(&b).Elem())
	if !reflect.DeepEqual(a, b) {
		t.Errorf("refunds differ:\nREST    %+v\nGraphQL %+v", a, b)
	}
	if r := b[0].LineItems[lines-1]; r.RestockType != "return" || r.LocationID != shopifysim.DefaultLocationID || !r.Restocked() {
		t.Errorf("last line of the big refund: %+v", r)
	}
	if m := b[0].RefundedMoney(); !m.IsPositive() {
		t.Errorf("the big refund paid back %s", m)
	}
}
