package shopifysim_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

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
	if _, err := s.RefundOrder(o.ID, shopifysim.RefundRequest{Lines: []shopifysim.RefundLine{{LineItemID: li, Quantity: 1, RestockType: "return", LocationID: 7}}}); err == nil {
		t.Error("a restock at a location the shop does not have was taken")
	}
}
