package shopifysim_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/kassa-pos/kassa/sync/shopifysim"
	"github.com/kassa-pos/kassa/sync/shopifysim/shopdata"
)

// TestOrderChangesAsShopify refunds, edits and cancels an order through the control
// endpoints and checks what Shopify would show and send: the current figures moving, the
// refund and the cancellation in the order, and each change's webhooks (orders/edited with
// ids only).
func TestOrderChangesAsShopify(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t, shopifysim.DefaultSecret)
	s := newServer(t, shopifysim.Options{WebhookURL: rcv.URL})
	var o shopdata.Order
	for {
		// A paid order of two lines or more, one of which has two units or more.
		next, err := s.NewOrder()
		if err != nil {
			t.Fatal(err)
		}
		if next.FinancialStatus == "paid" && next.CancelledAt == nil && len(next.LineItems) >= 2 && next.LineItems[0].Quantity >= 1 {
			o = next
			break
		}
	}
	post := func(action string, body any) {
		t.Helper()
		b, _ := json.Marshal(body)
		resp, err := http.Post(fmt.Sprintf("%s/_sim/orders/%d/%s", s.URL, o.ID, action), "application/json", bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", action, resp.StatusCode)
		}
	}
	current := func() shopdata.Order {
		t.Helper()
		raw, err := s.Order(o.ID)
		if err != nil {
			t.Fatal(err)
		}
		var now shopdata.Order
		if err := json.Unmarshal(raw, &now); err != nil {
			t.Fatal(err)
		}
		return now
	}
	waitTopics := func(want ...string) map[string][]byte {
		t.Helper()
		// Deliveries come in their own time: earlier changes' late ones are passed over.
		got := map[string][]byte{}
		missing := func() bool {
			for _, topic := range want {
				if got[topic] == nil {
					return true
				}
			}
			return false
		}
		for missing() {
			r := rcv.next(t)
			got[r.header.Get("X-Shopify-Topic")] = r.body
		}
		return got
	}
	waitTopics("orders/create")

	first := o.LineItems[0]
	post("refund", shopifysim.RefundRequest{Lines: []shopifysim.RefundLine{{LineItemID: first.ID, Quantity: 1, RestockType: "return", LocationID: shopifysim.DefaultLocationID}}})
	hooks := waitTopics("refunds/create", "orders/updated")
	var refund shopdata.Refund
	if err := json.Unmarshal(hooks["refunds/create"], &refund); err != nil || refund.OrderID != o.ID || len(refund.RefundLineItems) != 1 ||
		refund.RefundLineItems[0].RestockType != "return" || *refund.RefundLineItems[0].LocationID != shopifysim.DefaultLocationID || len(refund.Transactions) != 1 {
		t.Fatalf("refunds/create body %s (%v)", hooks["refunds/create"], err)
	}
	now := current()
	if now.LineItems[0].CurrentQuantity != first.Quantity-1 || now.FinancialStatus != "partially_refunded" || len(now.Refunds) != 1 ||
		!now.CurrentTotalPrice.LessThan(o.CurrentTotalPrice.Decimal) || now.UpdatedAt == o.UpdatedAt && false {
		t.Fatalf("after the refund: line %d/%d, %s, %d refunds, current total %s", now.LineItems[0].CurrentQuantity, first.Quantity,
			now.FinancialStatus, len(now.Refunds), now.CurrentTotalPrice)
	}
	if !refund.Transactions[0].Amount.Equal(o.CurrentTotalPrice.Sub(now.CurrentTotalPrice.Decimal)) {
		t.Errorf("refunded %s, but the current total fell by %s", refund.Transactions[0].Amount, o.CurrentTotalPrice.Sub(now.CurrentTotalPrice.Decimal))
	}

	second := o.LineItems[1]
	post("edit", shopifysim.EditRequest{Quantities: map[int64]int{second.ID: 0}})
	hooks = waitTopics("orders/edited", "orders/updated")
	var edit struct {
		OrderEdit struct {
			OrderID   int64 `json:"order_id"`
			LineItems struct {
				Removals []struct{ ID, Delta int64 } `json:"removals"`
			} `json:"line_items"`
		} `json:"order_edit"`
	}
	if err := json.Unmarshal(hooks["orders/edited"], &edit); err != nil || edit.OrderEdit.OrderID != o.ID ||
		len(edit.OrderEdit.LineItems.Removals) != 1 || edit.OrderEdit.LineItems.Removals[0].ID != second.ID || bytes.Contains(hooks["orders/edited"], []byte(`"total_price"`)) {
		t.Fatalf("orders/edited body %s (%v)", hooks["orders/edited"], err)
	}
	if now = current(); now.LineItems[1].CurrentQuantity != 0 || !now.TotalOutstanding.IsNegative() || !now.TotalPrice.Equal(o.TotalPrice.Decimal) {
		t.Fatalf("after the edit: line %d, outstanding %s, total %s", now.LineItems[1].CurrentQuantity, now.TotalOutstanding, now.TotalPrice)
	}

	post("cancel", map[string]any{"restock": true, "reason": "customer"})
	waitTopics("orders/cancelled", "refunds/create", "orders/updated")
	if now = current(); now.CancelledAt == nil || now.FinancialStatus != "refunded" || len(now.Refunds) != 2 || !now.CurrentTotalPrice.IsZero() {
		t.Fatalf("after the cancellation: %v %s, %d refunds, current total %s", now.CancelledAt, now.FinancialStatus, len(now.Refunds), now.CurrentTotalPrice)
	}
	// A cancelled order takes no more change.
	b, _ := json.Marshal(shopifysim.RefundRequest{Shipping: true})
	resp, err := http.Post(fmt.Sprintf("%s/_sim/orders/%d/refund", s.URL, o.ID), "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("a refund of a cancelled order: %d", resp.StatusCode)
	}
}

// TestRefundMoneyAsShopify: a refund lowers what the buyer still owes before it pays money
// back, shipping is refunded once, and cancelling a paid order gives back all the money
// Shopify kept, what an edit left owed to the buyer included.
func TestRefundMoneyAsShopify(t *testing.T) {
	t.Parallel()
	s := newServer(t, shopifysim.Options{})
	var o shopdata.Order
	for {
		next, err := s.NewOrder()
		if err != nil {
			t.Fatal(err)
		}
		if next.FinancialStatus == "paid" && len(next.LineItems) >= 2 && len(next.ShippingLines) > 0 && !next.ShippingLines[0].DiscountedPrice.IsZero() {
			o = next
			break
		}
	}
	money := func(r shopdata.Refund) decimal.Decimal {
		sum := decimal.Zero
		for _, x := range r.Transactions {
			sum = sum.Add(x.Amount.Decimal)
		}
		return sum
	}
	current := func() shopdata.Order {
		t.Helper()
		raw, err := s.Order(o.ID)
		if err != nil {
			t.Fatal(err)
		}
		var now shopdata.Order
		if err := json.Unmarshal(raw, &now); err != nil {
			t.Fatal(err)
		}
		return now
	}
	// Ten still owed (a partly paid order): the first ten refunded are no longer owed.
	if _, err := s.UpdateOrder(o.ID, func(m map[string]any) { m["total_outstanding"], m["financial_status"] = "10.00", "partially_paid" }); err != nil {
		t.Fatal(err)
	}
	r1, err := s.RefundOrder(o.ID, shopifysim.RefundRequest{Lines: []shopifysim.RefundLine{{LineItemID: o.LineItems[0].ID, Quantity: 1}}, Shipping: true})
	if err != nil {
		t.Fatal(err)
	}
	value := r1.RefundLineItems[0].Subtotal.Decimal
	if !o.TaxesIncluded {
		value = value.Add(r1.RefundLineItems[0].TotalTax.Decimal)
	}
	for _, a := range r1.OrderAdjustments {
		value = value.Sub(a.Amount.Decimal).Sub(a.TaxAmount.Decimal)
		if o.TaxesIncluded {
			value = value.Add(a.TaxAmount.Decimal)
		}
	}
	if now := current(); !now.TotalOutstanding.IsZero() || !money(r1).Equal(value.Sub(decimal.NewFromInt(10))) || len(r1.OrderAdjustments) != 1 {
		t.Fatalf("refund of %s with 10.00 owed: %s paid back, %s still owed, %d shipping adjustments", value, money(r1), now.TotalOutstanding, len(r1.OrderAdjustments))
	}
	// Shipping refunded already is not refunded again.
	r2, err := s.RefundOrder(o.ID, shopifysim.RefundRequest{Lines: []shopifysim.RefundLine{{LineItemID: o.LineItems[1].ID, Quantity: 1}}, Shipping: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(r2.OrderAdjustments) != 0 {
		t.Fatalf("shipping refunded twice: %+v", r2.OrderAdjustments)
	}
	// An edit leaves money owed to the buyer; the cancellation gives back all Shopify kept.
	for _, li := range current().LineItems {
		if li.CurrentQuantity > 0 {
			if _, err := s.EditOrder(o.ID, shopifysim.EditRequest{Quantities: map[int64]int{li.ID: li.CurrentQuantity - 1}}); err != nil {
				t.Fatal(err)
			}
			break
		}
	}
	before := current()
	kept := before.CurrentTotalPrice.Sub(before.TotalOutstanding.Decimal)
	if _, err := s.CancelOrder(o.ID, true, "customer"); err != nil {
		t.Fatal(err)
	}
	after := current()
	last := after.Refunds[len(after.Refunds)-1]
	if !money(last).Equal(kept) || !after.CurrentTotalPrice.IsZero() || !after.TotalOutstanding.IsZero() {
		t.Fatalf("cancellation paid back %s of the %s Shopify kept; now %s total, %s owed", money(last), kept, after.CurrentTotalPrice, after.TotalOutstanding)
	}
}

// TestRefundLocations restocks refunds of a shop with two locations as Shopify does: at the
// location named, at the primary one when none is named, never at a location the shop does
// not have; shop.json names the primary location.
func TestRefundLocations(t *testing.T) {
	t.Parallel()
	const backRoom = 65_000_000_002
	main := shopifysim.Location{ID: shopifysim.DefaultLocationID, Name: "Main store", Active: true}
	s := newServer(t, shopifysim.Options{Locations: []shopifysim.Location{main, {ID: backRoom, Name: "Warehouse", Active: true}}})
	var o shopdata.Order
	for {
		next, err := s.NewOrder()
		if err != nil {
			t.Fatal(err)
		}
		if next.CancelledAt == nil && len(next.LineItems) > 0 && next.LineItems[0].Quantity >= 3 {
			o = next
			break
		}
	}
	li := o.LineItems[0].ID
	if s.PrimaryLocation() != shopifysim.DefaultLocationID {
		t.Fatalf("primary location %d", s.PrimaryLocation())
	}
	resp := get(t, s, "/admin/api/2026-01/shop.json")
	var shop struct {
		Shop struct {
			PrimaryLocationID int64 `json:"primary_location_id"`
		} `json:"shop"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&shop); err != nil || shop.Shop.PrimaryLocationID != shopifysim.DefaultLocationID {
		t.Fatalf("shop.json primary_location_id %d (%v)", shop.Shop.PrimaryLocationID, err)
	}
	resp.Body.Close()
	for _, tc := range []struct {
		line shopifysim.RefundLine
		want int64 // 0: no location
	}{
		{shopifysim.RefundLine{LineItemID: li, Quantity: 1, RestockType: "return", LocationID: backRoom}, backRoom},
		{shopifysim.RefundLine{LineItemID: li, Quantity: 1, RestockType: "return"}, shopifysim.DefaultLocationID},
		{shopifysim.RefundLine{LineItemID: li, Quantity: 1, RestockType: "no_restock"}, 0},
	} {
		r, err := s.RefundOrder(o.ID, shopifysim.RefundRequest{Lines: []shopifysim.RefundLine{tc.line}})
		if err != nil {
			t.Fatal(err)
		}
		got := int64(0)
		if l := r.RefundLineItems[0].LocationID; l != nil {
			got = *l
		}
		if got != tc.want {
			t.Errorf("%+v restocked at %d, want %d", tc.line, got, tc.want)
		}
	}
	if _, err := s.RefundOrder(o.ID, shopifysim.RefundRequest{Lines: []shopifysim.RefundLine{{LineItemID: li, Quantity: 1, RestockType: "return", LocationID: shopifysim.DefaultLocationID}}}); err == nil {
		t.Error("a restock at a location the shop does not have was taken")
	}
}
