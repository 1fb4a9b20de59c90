package shopifysim

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/shopspring/decimal"

	"github.com/kassa-pos/kassa/sync/shopifysim/shopdata"
)

// Orders change after they are placed, as in Shopify: refunds, cancellations and edits.
// Each change moves the order's current_* figures (quantities, subtotal, tax, discounts,
// total), its financial status and total_outstanding, bumps updated_at, and sends the
// webhooks Shopify sends: refunds/create (the refund) for a refund; orders/cancelled for a
// cancellation (and refunds/create when it refunds something); orders/edited, whose body
// carries only ids (order_edit.order_id and the line items added and removed), for an edit;
// orders/updated for all of them. The figures follow Shopify's REST documentation: a
// refund line's subtotal is its units' share of the line after discounts and total_tax
// their share of its tax (JSON numbers); refunded shipping is an order adjustment of kind
// shipping_refund, written negative.

// Topics of an order's changes.
const (
	TopicRefundsCreate = "refunds/create"
	TopicOrdersEdited  = "orders/edited"
)

// ErrChange is a change the order cannot take (more refunded than it has left, an
// unknown line, a cancelled order).
var ErrChange = errors.New("the order cannot take this change")

// RefundLine is a quantity of one line item to refund, and what becomes of the goods:
// RestockType no_restock, cancel or return; LocationID the location they go back to (0:
// the shop's primary location when restocked; a location the shop does not have is
// refused, as Shopify refuses it).
type RefundLine struct {
	LineItemID  int64  `json:"line_item_id"`
	Quantity    int    `json:"quantity"`
	RestockType string `json:"restock_type"`
	LocationID  int64  `json:"location_id"`
}

// RefundRequest is a refund of an order: lines, its shipping (all of it) and a note.
type RefundRequest struct {
	Lines    []RefundLine `json:"refund_line_items"`
	Shipping bool         `json:"shipping"`
	Note     string       `json:"note"`
}

// EditRequest is an order edit: Quantities sets line items' quantities (lower than they
// are: a removal); Add adds line items (their ids are given by the simulator).
type EditRequest struct {
	Quantities map[int64]int       `json:"quantities"`
	Add        []shopdata.LineItem `json:"add"`
}

// changeOrder decodes a stored order, lets fn change it, stores it with updated_at bumped
// and returns it.
func (s *Server) changeOrder(id int64, fn func(o *shopdata.Order) error) (shopdata.Order, error) {
	old, ok := s.store.get(id)
	if !ok {
		return shopdata.Order{}, fmt.Errorf("order %d: %w", id, ErrOrderNotFound)
	}
	var o shopdata.Order
	if err := json.Unmarshal(old.raw, &o); err != nil {
		return shopdata.Order{}, fmt.Errorf("order %d: decode: %w", id, err)
	}
	if o.CancelledAt != nil {
		return shopdata.Order{}, fmt.Errorf("order %d is cancelled: %w", id, ErrChange)
	}
	if err := fn(&o); err != nil {
		return shopdata.Order{}, err
	}
	o.UpdatedAt = s.formatTime(s.clock())
	raw, err := json.Marshal(o)
	if err != nil {
		return shopdata.Order{}, fmt.Errorf("order %d: encode: %w", id, err)
	}
	stored, err := parseOrder(raw)
	if err != nil {
		return shopdata.Order{}, fmt.Errorf("order %d: %w", id, err)
	}
	s.store.replace(stored)
	return o, nil
}

func lineTax(li *shopdata.LineItem) decimal.Decimal {
	t := decimal.Zero
	for _, x := range li.TaxLines {
		t = t.Add(x.Price.Decimal)
	}
	return t
}

func lineDiscount(li *shopdata.LineItem) decimal.Decimal {
	if len(li.DiscountAllocations) == 0 {
		return li.TotalDiscount.Decimal
	}
	d := decimal.Zero
	for _, a := range li.DiscountAllocations {
		d = d.Add(a.Amount.Decimal)
	}
	return d
}

// share is n of a line's units' part of v (the line's amount for all its units).
func share(v decimal.Decimal, n, of int) decimal.Decimal {
	return v.Mul(decimal.NewFromInt(int64(n))).Div(decimal.NewFromInt(int64(of))).Round(2)
}

// takeOff lowers the order's current figures by n units of li (their subtotal after
// discounts, discount and tax) and returns the subtotal and tax taken off.
func takeOff(o *shopdata.Order, li *shopdata.LineItem, n int) (subtotal, tax decimal.Decimal) {
	gross := li.Price.Mul(decimal.NewFromInt(int64(li.Quantity)))
	disc := lineDiscount(li)
	// The units' part is what the line's first gone+n units hold less what its first gone
	// units held, so that taking off every unit, a few at a time, takes off the line to
	// the cent.
	gone := li.Quantity - li.CurrentQuantity
	part := func(v decimal.Decimal) decimal.Decimal {
		return share(v, gone+n, li.Quantity).Sub(share(v, gone, li.Quantity))
	}
	subtotal, tax = part(gross.Sub(disc)), part(lineTax(li))
	li.CurrentQuantity -= n
	li.FulfillableQuantity = max(0, li.FulfillableQuantity-n)
	o.CurrentSubtotalPrice = shopdata.NewMoney(o.CurrentSubtotalPrice.Sub(subtotal))
	o.CurrentTotalDiscounts = shopdata.NewMoney(o.CurrentTotalDiscounts.Sub(part(disc)))
	o.CurrentTotalTax = shopdata.NewMoney(o.CurrentTotalTax.Sub(tax))
	value := subtotal
	if !o.TaxesIncluded {
		value = value.Add(tax)
	}
	o.CurrentTotalPrice = shopdata.NewMoney(o.CurrentTotalPrice.Sub(value))
	return subtotal, tax
}

// paid reports whether Shopify collected the order's money (nothing is refunded of an
// order that was never paid).
func paid(o *shopdata.Order) bool {
	switch o.FinancialStatus {
	case "paid", "partially_paid", "partially_refunded":
		return true
	}
	return false
}

// shippingRefunded reports whether an earlier refund gave the shipping back (a refund
// gives back all of it: it is not refunded twice).
func shippingRefunded(o *shopdata.Order) bool {
	for _, r := range o.Refunds {
		for _, a := range r.OrderAdjustments {
			if a.Kind == "shipping_refund" {
				return true
			}
		}
	}
	return false
}

// refund builds and applies a refund to o (not stored); it returns the refund.
func (s *Server) refund(o *shopdata.Order, req RefundRequest) (shopdata.Refund, error) {
	rid := s.newID()
	ts := s.formatTime(s.clock())
	r := shopdata.Refund{
		ID: rid, AdminGraphqlAPIID: "gid://shopify/Refund/" + strconv.FormatInt(rid, 10), OrderID: o.ID, CreatedAt: ts, ProcessedAt: ts,
		RefundLineItems: []shopdata.RefundLineItem{}, Transactions: []shopdata.Transaction{}, OrderAdjustments: []shopdata.OrderAdjustment{},
	}
	if req.Note != "" {
		note := req.Note
		r.Note = &note
	}
	value := decimal.Zero
	for _, rl := range req.Lines {
		var li *shopdata.LineItem
		for i := range o.LineItems {
			if o.LineItems[i].ID == rl.LineItemID {
				li = &o.LineItems[i]
			}
		}
		if li == nil || rl.Quantity <= 0 || rl.Quantity > li.CurrentQuantity {
			return shopdata.Refund{}, fmt.Errorf("refund %d of line %d: %w", rl.Quantity, rl.LineItemID, ErrChange)
		}
		restock := rl.RestockType
		if restock == "" {
			restock = "no_restock"
		}
		if restock != "no_restock" {
			r.Restock = true
		}
		sub, tax := takeOff(o, li, rl.Quantity)
		// Goods restocked go back to a location of the shop: the one named, else the
		// primary one (Shopify requires a location_id with restock_type return or cancel,
		// and its admin suggests the primary location).
		var loc *int64
		switch {
		case rl.LocationID != 0 && !s.hasLocation(rl.LocationID):
			return shopdata.Refund{}, fmt.Errorf("restock at location %d, not a location of the shop: %w", rl.LocationID, ErrChange)
		case rl.LocationID != 0:
			l := rl.LocationID
			loc = &l
		case restock != "no_restock":
			if l := s.PrimaryLocation(); l != 0 {
				loc = &l
			}
		}
		r.RefundLineItems = append(r.RefundLineItems, shopdata.RefundLineItem{ID: s.newID(), LineItemID: li.ID, LocationID: loc,
			Quantity: rl.Quantity, RestockType: restock, Subtotal: shopdata.Number{Decimal: sub}, TotalTax: shopdata.Number{Decimal: tax}})
		value = value.Add(sub)
		if !o.TaxesIncluded {
			value = value.Add(tax)
		}
	}
	if req.Shipping && !shippingRefunded(o) {
		for _, sl := range o.ShippingLines {
			tax := decimal.Zero
			for _, t := range sl.TaxLines {
				tax = tax.Add(t.Price.Decimal)
			}
			if sl.DiscountedPrice.IsZero() {
				continue
			}
			r.OrderAdjustments = append(r.OrderAdjustments, shopdata.OrderAdjustment{ID: s.newID(), OrderID: o.ID, RefundID: rid,
				Kind: "shipping_refund", Reason: "Shipping refund", Amount: shopdata.NewMoney(sl.DiscountedPrice.Neg()), TaxAmount: shopdata.NewMoney(tax.Neg())})
			v := sl.DiscountedPrice.Decimal
			if !o.TaxesIncluded {
				v = v.Add(tax)
			}
			value = value.Add(v)
			o.CurrentTotalTax = shopdata.NewMoney(o.CurrentTotalTax.Sub(tax))
			o.CurrentTotalPrice = shopdata.NewMoney(o.CurrentTotalPrice.Sub(v))
		}
	}
	// What the buyer still owes falls first (goods given back need no paying); the rest
	// is paid back when Shopify collected it.
	if o.TotalOutstanding.IsPositive() && value.IsPositive() {
		off := decimal.Min(value, o.TotalOutstanding.Decimal)
		o.TotalOutstanding = shopdata.NewMoney(o.TotalOutstanding.Sub(off))
		value = value.Sub(off)
	}
	if paid(o) && value.IsPositive() {
		gateway := "shopify_payments"
		if len(o.PaymentGatewayNames) > 0 {
			gateway = o.PaymentGatewayNames[0]
		}
		r.Transactions = append(r.Transactions, shopdata.Transaction{ID: s.newID(), OrderID: o.ID, Kind: "refund", Gateway: gateway,
			Status: "success", CreatedAt: ts, ProcessedAt: ts, Amount: shopdata.NewMoney(value), Currency: o.Currency, SourceName: "web"})
		o.FinancialStatus = "partially_refunded"
		if !o.CurrentTotalPrice.IsPositive() {
			o.FinancialStatus = "refunded"
		}
	}
	o.Refunds = append(o.Refunds, r)
	return r, nil
}

// RefundOrder refunds part of an order as Shopify does, stores it and sends refunds/create
// and orders/updated. It returns the refund.
func (s *Server) RefundOrder(id int64, req RefundRequest) (shopdata.Refund, error) {
	s.updateMu.Lock()
	defer s.updateMu.Unlock()
	var r shopdata.Refund
	o, err := s.changeOrder(id, func(o *shopdata.Order) error {
		var err error
		r, err = s.refund(o, req)
		return err
	})
	if err != nil {
		return shopdata.Refund{}, err
	}
	s.emitChange(o, TopicRefundsCreate, r)
	return r, nil
}

// CancelOrder cancels an order as Shopify does: what is left of it is refunded (restocked
// when restock), its money given back when it was paid, nothing owed any more; it sends
// orders/cancelled, refunds/create and orders/updated.
func (s *Server) CancelOrder(id int64, restock bool, reason string) (shopdata.Order, error) {
	s.updateMu.Lock()
	defer s.updateMu.Unlock()
	var r shopdata.Refund
	o, err := s.changeOrder(id, func(o *shopdata.Order) error {
		req := RefundRequest{Shipping: true}
		for _, li := range o.LineItems {
			if li.CurrentQuantity > 0 {
				rt := "no_restock"
				if restock {
					rt = "cancel"
				}
				req.Lines = append(req.Lines, RefundLine{LineItemID: li.ID, Quantity: li.CurrentQuantity, RestockType: rt})
			}
		}
		wasPaid := paid(o)
		// Cancelling a paid order gives back all the money Shopify kept, including what
		// an edit left owed to the buyer (a negative outstanding amount) and a tip.
		kept := o.CurrentTotalPrice.Sub(o.TotalOutstanding.Decimal)
		var err error
		if r, err = s.refund(o, req); err != nil {
			return err
		}
		if wasPaid && kept.IsPositive() {
			last := &o.Refunds[len(o.Refunds)-1]
			if len(last.Transactions) == 0 {
				ts := s.formatTime(s.clock())
				gateway := "shopify_payments"
				if len(o.PaymentGatewayNames) > 0 {
					gateway = o.PaymentGatewayNames[0]
				}
				last.Transactions = append(last.Transactions, shopdata.Transaction{ID: s.newID(), OrderID: o.ID, Kind: "refund",
					Gateway: gateway, Status: "success", CreatedAt: ts, ProcessedAt: ts, Currency: o.Currency, SourceName: "web"})
			}
			last.Transactions[0].Amount = shopdata.NewMoney(kept)
			r = *last
		}
		ts := s.formatTime(s.clock())
		if reason == "" {
			reason = "other"
		}
		o.CancelledAt, o.CancelReason = &ts, &reason
		o.FinancialStatus = "voided"
		if wasPaid {
			o.FinancialStatus = "refunded"
		}
		zero := shopdata.NewMoney(decimal.Zero)
		o.TotalOutstanding, o.CurrentTotalPrice, o.CurrentSubtotalPrice, o.CurrentTotalTax, o.CurrentTotalDiscounts = zero, zero, zero, zero, zero
		return nil
	})
	if err != nil {
		return shopdata.Order{}, err
	}
	raw, _ := json.Marshal(o)
	s.hooks.emit([]string{TopicOrdersCancelled}, raw)
	s.emitChange(o, TopicRefundsCreate, r)
	return o, nil
}

// EditOrder edits an order as Shopify's order editing does: quantities lowered, lines
// added (original totals stay; current ones and total_outstanding move, negative when
// Shopify now owes the buyer); it sends orders/edited (ids only) and orders/updated, and
// returns the edited order.
func (s *Server) EditOrder(id int64, req EditRequest) (shopdata.Order, error) {
	s.updateMu.Lock()
	defer s.updateMu.Unlock()
	type change struct {
		ID    int64 `json:"id"`
		Delta int   `json:"delta"`
	}
	additions, removals := []change{}, []change{}
	o, err := s.changeOrder(id, func(o *shopdata.Order) error {
		diff := decimal.Zero
		for i := range o.LineItems {
			li := &o.LineItems[i]
			q, ok := req.Quantities[li.ID]
			if !ok {
				continue
			}
			if q < 0 || q > li.CurrentQuantity {
				return fmt.Errorf("line %d to %d units: %w", li.ID, q, ErrChange)
			}
			if q == li.CurrentQuantity {
				continue
			}
			n := li.CurrentQuantity - q
			sub, tax := takeOff(o, li, n)
			v := sub
			if !o.TaxesIncluded {
				v = v.Add(tax)
			}
			diff = diff.Sub(v)
			removals = append(removals, change{ID: li.ID, Delta: n})
		}
		for _, li := range req.Add {
			if li.Quantity <= 0 {
				return fmt.Errorf("an added line of %d units: %w", li.Quantity, ErrChange)
			}
			li.ID = s.newID()
			li.AdminGraphqlAPIID = "gid://shopify/LineItem/" + strconv.FormatInt(li.ID, 10)
			li.CurrentQuantity, li.FulfillableQuantity = li.Quantity, li.Quantity
			if li.TaxLines == nil {
				li.TaxLines = []shopdata.TaxLine{}
			}
			if li.DiscountAllocations == nil {
				li.DiscountAllocations = []shopdata.DiscountAllocation{}
			}
			if li.Properties == nil {
				li.Properties = []shopdata.Property{}
			}
			sub := li.Price.Mul(decimal.NewFromInt(int64(li.Quantity))).Sub(lineDiscount(&li))
			tax := lineTax(&li)
			v := sub
			if !o.TaxesIncluded {
				v = v.Add(tax)
			}
			o.CurrentSubtotalPrice = shopdata.NewMoney(o.CurrentSubtotalPrice.Add(sub))
			o.CurrentTotalTax = shopdata.NewMoney(o.CurrentTotalTax.Add(tax))
			o.CurrentTotalDiscounts = shopdata.NewMoney(o.CurrentTotalDiscounts.Add(lineDiscount(&li)))
			o.CurrentTotalPrice = shopdata.NewMoney(o.CurrentTotalPrice.Add(v))
			diff = diff.Add(v)
			o.LineItems = append(o.LineItems, li)
			additions = append(additions, change{ID: li.ID, Delta: li.Quantity})
		}
		o.TotalOutstanding = shopdata.NewMoney(o.TotalOutstanding.Add(diff))
		switch {
		case paid(o) && o.TotalOutstanding.IsPositive():
			o.FinancialStatus = "partially_paid"
		case !paid(o) && !o.TotalOutstanding.IsPositive():
			o.TotalOutstanding = shopdata.NewMoney(decimal.Zero)
		}
		return nil
	})
	if err != nil {
		return shopdata.Order{}, err
	}
	ts := o.UpdatedAt
	edit := map[string]any{"order_edit": map[string]any{
		"id": s.newID(), "app_id": nil, "created_at": ts, "committed_at": ts, "notify_customer": false, "order_id": o.ID,
		"staff_note": "", "user_id": nil,
		"line_items": map[string]any{"additions": additions, "removals": removals},
	}}
	s.emitChange(o, TopicOrdersEdited, edit)
	return o, nil
}

// emitChange sends a change's own webhook (body) and orders/updated (the order).
func (s *Server) emitChange(o shopdata.Order, topic string, body any) {
	if b, err := json.Marshal(body); err == nil {
		s.hooks.emit([]string{topic}, b)
	}
	if raw, err := json.Marshal(o); err == nil {
		s.hooks.emit([]string{TopicOrdersUpdated}, raw)
	}
}
