package shopify

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kassa-pos/kassa/sales"
	"github.com/kassa-pos/kassa/sync/shopifysim"
)

// TestRefundsThroughGraphQLAsThroughREST refunds orders before and after import (goods
// restocked at the shop's location, shipping paid back) and imports them three ways:
// REST, GraphQL pages (Get new) and a GraphQL bulk export (Get all). The sales, their
// return documents, the stock and the payments are the same every way, and the GraphQL
// runs send no REST order request: the refunds' lines, restocks, transactions and
// refunded shipping come through GraphQL. A pickup order is refused with the location
// each shape names (the shipping line's title in REST, the fulfillment order's assigned
// location in GraphQL).
func TestRefundsThroughGraphQLAsThroughREST(t *testing.T) {
	t.Parallel()
	ways := []struct {
		name   string
		api    string
		mode   Mode
		pickup string
	}{
		{"rest", OrderAPIREST, ModeAll, "local pickup at Pickup desk"},
		{"graphql pages", OrderAPIGraphQL, ModeNew, "local pickup at Rue Neuve store"},
		{"graphql bulk", OrderAPIGraphQL, ModeAll, "local pickup at Rue Neuve store"},
	}
	got := make([]string, len(ways))
	for i, w := range ways {
		t.Run(w.name, func(t *testing.T) {
			got[i] = refundScenario(t, w.api, w.mode, w.pickup)
		})
	}
	if t.Failed() {
		return
	}
	for i := 1; i < len(ways); i++ {
		if got[i] != got[0] {
			t.Errorf("%s gives\n%s\n%s gives\n%s", ways[0].name, got[0], ways[i].name, got[i])
		}
	}
	if !strings.Contains(got[0], "#1001-R1 return MUG×-1+restock") || !strings.Contains(got[0], "shipping -5.00") {
		t.Errorf("the scenario recorded no restocked return with refunded shipping:\n%s", got[0])
	}
}

// refundScenario runs the scenario with one way of reading orders and describes what kassa
// holds at the end.
func refundScenario(t *testing.T, api string, mode Mode, pickupReason string) string {
	ctx := context.Background()
	var minutes atomic.Int64
	f := newFixture(t, fixtureOptions{orderAPI: api, sim: shopifysim.Options{
		Clock: func() time.Time { return testNow.Add(time.Duration(minutes.Add(1)) * time.Second) },
		Locations: []shopifysim.Location{{ID: shopifysim.DefaultLocationID, Name: "Rue Neuve store", Active: true,
			Address1: "Rue Neuve 1", City: "Brussels", Zip: "1000", CountryCode: "BE"}},
	}})
	loc := int64(shopifysim.DefaultLocationID)
	// #1001 is imported, then refunded: a mug back into stock at the shop's location, the
	// shipping paid back.
	after := mugsAndPlate(testNow.Add(-3 * time.Hour))
	// #1002 was refunded before import: a mug returned, the plate kept by the buyer (no
	// restock), the shipping paid back.
	before := mugsAndPlate(testNow.Add(-2 * time.Hour))
	before.ID, before.Name, before.OrderNumber = 7002, "#1002", 7002
	before.LineItems[0].ID, before.LineItems[1].ID = 70021, 70022
	before.ShippingLines[0].ID = 70023
	// #1003 is collected at the shop.
	pickup := mugsAndPlate(testNow.Add(-time.Hour))
	pickup.ID, pickup.Name, pickup.OrderNumber = 7003, "#1003", 7003
	pickup.LineItems[0].ID, pickup.LineItems[1].ID = 70031, 70032
	pickupShape(&pickup, "Pickup desk")
	if err := f.srv.AddOrders(after, before, pickup); err != nil {
		t.Fatal(err)
	}
	if _, err := f.srv.RefundOrder(7002, shopifysim.RefundRequest{Shipping: true, Note: "broken in transit", Lines: []shopifysim.RefundLine{
		{LineItemID: 70021, Quantity: 1, RestockType: "return", LocationID: loc},
		{LineItemID: 70022, Quantity: 1, RestockType: "no_restock"},
	}}); err != nil {
		t.Fatal(err)
	}
	f.srv.ResetRequests()
	sum := f.run(mode)
	rows, err := RunLog{}.Outcomes(ctx, f.db, sum.RunID, "")
	if err != nil {
		t.Fatal(err)
	}
	var outcomes []string
	for _, r := range rows {
		outcomes = append(outcomes, fmt.Sprintf("%s %s", r.Outcome, r.Reason))
		if r.Outcome == NoShippingMethod && r.Reason != pickupReason {
			t.Errorf("pickup reason %q, want %q", r.Reason, pickupReason)
		}
	}
	if sum.Outcomes.Imported != 2 || sum.Outcomes.NoShippingMethod != 1 {
		t.Fatalf("first run: %v", outcomes)
	}
	if _, err := f.srv.RefundOrder(7001, shopifysim.RefundRequest{Shipping: true, Lines: []shopifysim.RefundLine{
		{LineItemID: 70011, Quantity: 1, RestockType: "return", LocationID: loc},
	}}); err != nil {
		t.Fatal(err)
	}
	if sum := f.run(mode); sum.Outcomes.Updated != 1 {
		t.Fatalf("second run: %+v", sum.Outcomes)
	}
	if api != OrderAPIREST {
		for _, r := range f.srv.Requests() {
			if strings.Contains(r.Path, "/orders") {
				t.Errorf("a GraphQL import sent the REST request %s %s", r.Method, r.Path)
			}
		}
	}
	var b strings.Builder
	for _, receipt := range []string{"#1001", "#1002"} {
		s := mustSale(t, f, receipt)
		fmt.Fprintf(&b, "%s total %s tax %s paid %s balance %s\n", receipt, s.Total.StringFixed(2), s.TaxTotal.StringFixed(2),
			s.Paid().StringFixed(2), s.Balance.StringFixed(2))
		for _, l := range s.Lines {
			fmt.Fprintf(&b, "  line %s×%d %s\n", l.SKU, l.Quantity, l.Total.StringFixed(2))
		}
		pays, err := sales.Store{}.Payments(ctx, f.db, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range pays {
			fmt.Fprintf(&b, "  payment %s %s\n", p.TypeName, p.Amount.StringFixed(2))
		}
		for _, d := range documents(t, f, s.ID) {
			fmt.Fprintf(&b, "  %s\n", d)
		}
	}
	stock := f.stock()
	fmt.Fprintf(&b, "stock MUG %d PLATE %d\n", stock["MUG"], stock["PLATE"])
	return b.String()
}
