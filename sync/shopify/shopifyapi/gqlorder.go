package shopifyapi

import (
	"encoding/json"
	"errors"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/kassa-pos/kassa/sync/shopify/shopifyjson"
)

// An order read through the GraphQL Admin API (a node of the orders query, or the rows of
// a bulk export assembled into one object) decodes into the same Order a REST order or a
// webhook body does: amounts are the shop money of each MoneyBag, ids the numeric ids of
// the global ids (gid://shopify/Order/123 is order 123, the id webhooks carry), enums are
// lowered to REST's words (PARTIALLY_PAID is partially_paid), tags are joined with ", ".
// The decoding is as lenient as DecodeOrder's: the leaves are shopifyjson's values, and a
// value of the wrong kind fails the order alone, naming the field.

type gqlMoneyBag struct {
	ShopMoney *struct {
		Amount shopifyjson.Amount `json:"amount"`
	} `json:"shopMoney"`
}

func (m *gqlMoneyBag) amount() decimal.Decimal {
	if m == nil || m.ShopMoney == nil {
		return decimal.Zero
	}
	return m.ShopMoney.Amount.Decimal()
}

type gqlTaxLine struct {
	Title    shopifyjson.Text   `json:"title"`
	Rate     shopifyjson.Amount `json:"rate"`
	PriceSet *gqlMoneyBag       `json:"priceSet"`
}

type gqlAllocation struct {
	AllocatedAmountSet  *gqlMoneyBag `json:"allocatedAmountSet"`
	DiscountApplication *struct {
		Index shopifyjson.Int `json:"index"`
	} `json:"discountApplication"`
}

type gqlAddress struct {
	FirstName shopifyjson.Text `json:"firstName"`
	LastName  shopifyjson.Text `json:"lastName"`
	Name      shopifyjson.Text `json:"name"`
	Company   shopifyjson.Text `json:"company"`
	Address1  shopifyjson.Text `json:"address1"`
	Address2  shopifyjson.Text `json:"address2"`
	City      shopifyjson.Text `json:"city"`
	Zip       shopifyjson.Text `json:"zip"`
	Province  shopifyjson.Text `json:"province"`
	Country   shopifyjson.Text `json:"country"`
	Phone     shopifyjson.Text `json:"phone"`
}

func (a *gqlAddress) address() *Address {
	if a == nil {
		return nil
	}
	return &Address{
		FirstName: string(a.FirstName), LastName: string(a.LastName), Name: string(a.Name), Company: string(a.Company),
		Address1: string(a.Address1), Address2: string(a.Address2), City: string(a.City), Zip: string(a.Zip),
		Province: string(a.Province), Country: string(a.Country), Phone: string(a.Phone),
	}
}

type gqlRef struct {
	ID shopifyjson.ID `json:"id"`
}

type gqlLineItem struct {
	ID               shopifyjson.ID   `json:"id"`
	Name             shopifyjson.Text `json:"name"`
	Title            shopifyjson.Text `json:"title"`
	VariantTitle     shopifyjson.Text `json:"variantTitle"`
	SKU              shopifyjson.Text `json:"sku"`
	Quantity         shopifyjson.Int  `json:"quantity"`
	CurrentQuantity  *shopifyjson.Int `json:"currentQuantity"`
	IsGiftCard       shopifyjson.Bool `json:"isGiftCard"`
	Taxable          shopifyjson.Bool `json:"taxable"`
	RequiresShipping shopifyjson.Bool `json:"requiresShipping"`
	Product          *gqlRef          `json:"product"`
	Variant          *struct {
		ID            shopifyjson.ID `json:"id"`
		InventoryItem *struct {
			Tracked shopifyjson.Bool `json:"tracked"`
		} `json:"inventoryItem"`
	} `json:"variant"`
	OriginalUnitPriceSet *gqlMoneyBag     `json:"originalUnitPriceSet"`
	TotalDiscountSet     *gqlMoneyBag     `json:"totalDiscountSet"`
	DiscountAllocations  []*gqlAllocation `json:"discountAllocations"`
	TaxLines             []*gqlTaxLine    `json:"taxLines"`
	CustomAttributes     []struct {
		Key   shopifyjson.Text `json:"key"`
		Value shopifyjson.Text `json:"value"`
	} `json:"customAttributes"`
	Duties []*struct {
		ID                   shopifyjson.ID   `json:"id"`
		HarmonizedSystemCode shopifyjson.Text `json:"harmonizedSystemCode"`
		CountryCodeOfOrigin  shopifyjson.Text `json:"countryCodeOfOrigin"`
		Price                *gqlMoneyBag     `json:"price"`
		TaxLines             []*gqlTaxLine    `json:"taxLines"`
	} `json:"duties"`
}

type gqlShippingLine struct {
	ID                  shopifyjson.ID   `json:"id"`
	Title               shopifyjson.Text `json:"title"`
	Code                shopifyjson.Text `json:"code"`
	OriginalPriceSet    *gqlMoneyBag     `json:"originalPriceSet"`
	DiscountedPriceSet  *gqlMoneyBag     `json:"discountedPriceSet"`
	DiscountAllocations []*gqlAllocation `json:"discountAllocations"`
	TaxLines            []*gqlTaxLine    `json:"taxLines"`
}

type gqlFulfillmentOrder struct {
	DeliveryMethod *struct {
		MethodType shopifyjson.Text `json:"methodType"`
	} `json:"deliveryMethod"`
	AssignedLocation *struct {
		Name shopifyjson.Text `json:"name"`
	} `json:"assignedLocation"`
}

type gqlPageInfo struct {
	HasNextPage bool   `json:"hasNextPage"`
	EndCursor   string `json:"endCursor"`
}

type gqlLineItems struct {
	Nodes    []*gqlLineItem `json:"nodes"`
	PageInfo gqlPageInfo    `json:"pageInfo"`
}

type gqlShippingLines struct {
	Nodes    []*gqlShippingLine `json:"nodes"`
	PageInfo gqlPageInfo        `json:"pageInfo"`
}

type gqlFulfillmentOrders struct {
	Nodes    []*gqlFulfillmentOrder `json:"nodes"`
	PageInfo gqlPageInfo            `json:"pageInfo"`
}

// gqlOrder is the shape of OrderFields (queries/orders.graphql).
type gqlOrder struct {
	ID                       shopifyjson.Text `json:"id"`
	LegacyResourceID         shopifyjson.ID   `json:"legacyResourceId"`
	Name                     shopifyjson.Text `json:"name"`
	Email                    shopifyjson.Text `json:"email"`
	CreatedAt                shopifyjson.Time `json:"createdAt"`
	UpdatedAt                shopifyjson.Time `json:"updatedAt"`
	ProcessedAt              shopifyjson.Time `json:"processedAt"`
	CancelledAt              shopifyjson.Time `json:"cancelledAt"`
	CancelReason             shopifyjson.Text `json:"cancelReason"`
	ClosedAt                 shopifyjson.Time `json:"closedAt"`
	Test                     shopifyjson.Bool `json:"test"`
	CurrencyCode             shopifyjson.Text `json:"currencyCode"`
	DisplayFinancialStatus   shopifyjson.Text `json:"displayFinancialStatus"`
	DisplayFulfillmentStatus shopifyjson.Text `json:"displayFulfillmentStatus"`
	TaxesIncluded            shopifyjson.Bool `json:"taxesIncluded"`
	PaymentGatewayNames      textList         `json:"paymentGatewayNames"`
	SourceName               shopifyjson.Text `json:"sourceName"`
	Tags                     textList         `json:"tags"`
	TotalPriceSet            *gqlMoneyBag     `json:"totalPriceSet"`
	SubtotalPriceSet         *gqlMoneyBag     `json:"subtotalPriceSet"`
	TotalTaxSet              *gqlMoneyBag     `json:"totalTaxSet"`
	TotalDiscountsSet        *gqlMoneyBag     `json:"totalDiscountsSet"`
	TotalOutstandingSet      *gqlMoneyBag     `json:"totalOutstandingSet"`
	TotalTipReceivedSet      *gqlMoneyBag     `json:"totalTipReceivedSet"`
	CurrentTotalPriceSet     *gqlMoneyBag     `json:"currentTotalPriceSet"`
	CurrentSubtotalPriceSet  *gqlMoneyBag     `json:"currentSubtotalPriceSet"`
	CurrentTotalTaxSet       *gqlMoneyBag     `json:"currentTotalTaxSet"`
	CurrentTotalDiscountsSet *gqlMoneyBag     `json:"currentTotalDiscountsSet"`
	CurrentTotalDutiesSet    *gqlMoneyBag     `json:"currentTotalDutiesSet"`
	OriginalTotalDutiesSet   *gqlMoneyBag     `json:"originalTotalDutiesSet"`
	Customer                 *struct {
		LegacyResourceID    shopifyjson.ID   `json:"legacyResourceId"`
		FirstName           shopifyjson.Text `json:"firstName"`
		LastName            shopifyjson.Text `json:"lastName"`
		DefaultEmailAddress *struct {
			EmailAddress shopifyjson.Text `json:"emailAddress"`
		} `json:"defaultEmailAddress"`
		DefaultPhoneNumber *struct {
			PhoneNumber shopifyjson.Text `json:"phoneNumber"`
		} `json:"defaultPhoneNumber"`
		DefaultAddress *gqlAddress `json:"defaultAddress"`
	} `json:"customer"`
	BillingAddress    *gqlAddress           `json:"billingAddress"`
	ShippingAddress   *gqlAddress           `json:"shippingAddress"`
	Refunds           []*gqlRefund          `json:"refunds"`
	LineItems         *gqlLineItems         `json:"lineItems"`
	ShippingLines     *gqlShippingLines     `json:"shippingLines"`
	FulfillmentOrders *gqlFulfillmentOrders `json:"fulfillmentOrders"`
}

// restWord lowers a GraphQL enum value to the REST word: PARTIALLY_PAID → partially_paid.
func restWord(s shopifyjson.Text) string { return strings.ToLower(string(s)) }

// fulfillmentWord is REST's fulfillment_status for a displayFulfillmentStatus.
func fulfillmentWord(s shopifyjson.Text) string {
	switch s {
	case "FULFILLED":
		return "fulfilled"
	case "PARTIALLY_FULFILLED":
		return "partial"
	case "RESTOCKED":
		return "restocked"
	}
	return ""
}

func gqlTaxLines(in []*gqlTaxLine) []TaxLine {
	var out []TaxLine
	for _, t := range in {
		if t != nil {
			out = append(out, TaxLine{Title: string(t.Title), Rate: t.Rate.Decimal(), Price: t.PriceSet.amount()})
		}
	}
	return out
}

func gqlAllocations(in []*gqlAllocation) []DiscountAllocation {
	var out []DiscountAllocation
	for _, a := range in {
		if a == nil {
			continue
		}
		d := DiscountAllocation{Amount: a.AllocatedAmountSet.amount()}
		if a.DiscountApplication != nil {
			d.DiscountApplicationIndex = int64(a.DiscountApplication.Index)
		}
		out = append(out, d)
	}
	return out
}

func (li *gqlLineItem) lineItem() LineItem {
	l := LineItem{
		ID: int64(li.ID), SKU: string(li.SKU), Title: string(li.Title), VariantTitle: string(li.VariantTitle),
		Name: string(li.Name), Quantity: int64(li.Quantity), CurrentQuantity: int64(li.Quantity),
		Price: li.OriginalUnitPriceSet.amount(), TotalDiscount: li.TotalDiscountSet.amount(),
		DiscountAllocations: gqlAllocations(li.DiscountAllocations), TaxLines: gqlTaxLines(li.TaxLines),
		GiftCard: bool(li.IsGiftCard), Taxable: bool(li.Taxable), RequiresShipping: bool(li.RequiresShipping),
	}
	if li.CurrentQuantity != nil {
		l.CurrentQuantity, l.HasCurrentQuantity = int64(*li.CurrentQuantity), true
	}
	if li.Product != nil {
		l.ProductID, l.ProductExists = int64(li.Product.ID), true
	}
	if v := li.Variant; v != nil {
		l.VariantID = int64(v.ID)
		if v.InventoryItem != nil && bool(v.InventoryItem.Tracked) {
			l.VariantInventoryManagement = "shopify"
		}
	}
	for _, a := range li.CustomAttributes {
		l.Properties = append(l.Properties, Property{Name: string(a.Key), Value: string(a.Value)})
	}
	for _, du := range li.Duties {
		if du == nil {
			continue
		}
		l.Duties = append(l.Duties, Duty{
			ID: int64(du.ID), HarmonizedSystemCode: string(du.HarmonizedSystemCode), CountryCodeOfOrigin: string(du.CountryCodeOfOrigin),
			Amount: du.Price.amount(), TaxLines: gqlTaxLines(du.TaxLines),
		})
	}
	return l
}

func (s *gqlShippingLine) shippingLine() ShippingLine {
	return ShippingLine{
		ID: int64(s.ID), Title: string(s.Title), Code: string(s.Code), Price: s.OriginalPriceSet.amount(),
		DiscountedPrice: s.DiscountedPriceSet.amount(), DiscountAllocations: gqlAllocations(s.DiscountAllocations),
		TaxLines: gqlTaxLines(s.TaxLines),
	}
}

func (f *gqlFulfillmentOrder) method() string {
	if f == nil || f.DeliveryMethod == nil {
		return ""
	}
	return string(f.DeliveryMethod.MethodType)
}

// gqlRefund is a Refund as the order documents name it (id, legacyResourceId, createdAt,
// note) or as RefundFields (queries/fragments/order.graphql) details it.
type gqlRefund struct {
	ID               shopifyjson.Text `json:"id"`
	LegacyResourceID shopifyjson.ID   `json:"legacyResourceId"`
	CreatedAt        shopifyjson.Time `json:"createdAt"`
	Note             shopifyjson.Text `json:"note"`
	RefundLineItems  *struct {
		Nodes    []*gqlRefundLineItem `json:"nodes"`
		PageInfo gqlPageInfo          `json:"pageInfo"`
	} `json:"refundLineItems"`
	Transactions *struct {
		Nodes    []*gqlTransaction `json:"nodes"`
		PageInfo gqlPageInfo       `json:"pageInfo"`
	} `json:"transactions"`
	RefundShippingLines *struct {
		Nodes    []*gqlRefundShippingLine `json:"nodes"`
		PageInfo gqlPageInfo              `json:"pageInfo"`
	} `json:"refundShippingLines"`
	OrderAdjustments *struct {
		Nodes    []*gqlOrderAdjustment `json:"nodes"`
		PageInfo gqlPageInfo           `json:"pageInfo"`
	} `json:"orderAdjustments"`
}

type gqlRefundLineItem struct {
	ID          shopifyjson.ID   `json:"id"`
	LineItem    *gqlRef          `json:"lineItem"`
	Quantity    shopifyjson.Int  `json:"quantity"`
	RestockType shopifyjson.Text `json:"restockType"`
	Location    *gqlRef          `json:"location"`
	SubtotalSet *gqlMoneyBag     `json:"subtotalSet"`
	TotalTaxSet *gqlMoneyBag     `json:"totalTaxSet"`
}

type gqlTransaction struct {
	ID          shopifyjson.ID   `json:"id"`
	Kind        shopifyjson.Text `json:"kind"`
	Status      shopifyjson.Text `json:"status"`
	Gateway     shopifyjson.Text `json:"gateway"`
	AmountSet   *gqlMoneyBag     `json:"amountSet"`
	CreatedAt   shopifyjson.Time `json:"createdAt"`
	ProcessedAt shopifyjson.Time `json:"processedAt"`
}

type gqlRefundShippingLine struct {
	ID                shopifyjson.ID `json:"id"`
	SubtotalAmountSet *gqlMoneyBag   `json:"subtotalAmountSet"`
	TaxAmountSet      *gqlMoneyBag   `json:"taxAmountSet"`
}

type gqlOrderAdjustment struct {
	ID           shopifyjson.ID   `json:"id"`
	Reason       shopifyjson.Text `json:"reason"`
	AmountSet    *gqlMoneyBag     `json:"amountSet"`
	TaxAmountSet *gqlMoneyBag     `json:"taxAmountSet"`
}

// detailed reports whether the refund was read with its details (RefundFields).
func (r *gqlRefund) detailed() bool { return r.RefundLineItems != nil || r.Transactions != nil }

// refund is the Refund a REST body of the same refund decodes into: restock types and
// transaction kinds and statuses in REST's words, refunded shipping as a shipping_refund
// adjustment and other order adjustments as refund_discrepancy ones, negative as REST
// writes them.
func (r *gqlRefund) refund() Refund {
	out := Refund{ID: int64(r.LegacyResourceID), CreatedAt: r.CreatedAt.Time, Note: string(r.Note)}
	if out.ID == 0 {
		var id shopifyjson.ID
		if id.UnmarshalJSON([]byte(`"`+string(r.ID)+`"`)) == nil {
			out.ID = int64(id)
		}
	}
	if r.RefundLineItems != nil {
		out.addLines(r.RefundLineItems.Nodes)
	}
	if r.Transactions != nil {
		out.addTransactions(r.Transactions.Nodes)
	}
	if r.RefundShippingLines != nil {
		out.addShipping(r.RefundShippingLines.Nodes)
	}
	if r.OrderAdjustments != nil {
		out.addAdjustments(r.OrderAdjustments.Nodes)
	}
	return out
}

func (r *Refund) addLines(nodes []*gqlRefundLineItem) {
	for _, l := range nodes {
		if l == nil {
			continue
		}
		rl := RefundLineItem{ID: int64(l.ID), Quantity: int64(l.Quantity), RestockType: restWord(l.RestockType),
			Subtotal: l.SubtotalSet.amount(), TotalTax: l.TotalTaxSet.amount()}
		if rl.RestockType == "" {
			rl.RestockType = "no_restock"
		}
		if l.LineItem != nil {
			rl.LineItemID = int64(l.LineItem.ID)
		}
		if l.Location != nil {
			rl.LocationID = int64(l.Location.ID)
		}
		r.LineItems = append(r.LineItems, rl)
	}
}

func (r *Refund) addTransactions(nodes []*gqlTransaction) {
	for _, t := range nodes {
		if t != nil {
			r.Transactions = append(r.Transactions, Transaction{ID: int64(t.ID), Kind: restWord(t.Kind), Status: restWord(t.Status),
				Gateway: string(t.Gateway), Amount: t.AmountSet.amount(), ProcessedAt: t.ProcessedAt.Time, CreatedAt: t.CreatedAt.Time})
		}
	}
}

func (r *Refund) addShipping(nodes []*gqlRefundShippingLine) {
	for _, s := range nodes {
		if s != nil {
			r.Adjustments = append(r.Adjustments, OrderAdjustment{ID: int64(s.ID), Kind: "shipping_refund", Reason: "Shipping refund",
				Amount: s.SubtotalAmountSet.amount().Neg(), TaxAmount: s.TaxAmountSet.amount().Neg()})
		}
	}
}

func (r *Refund) addAdjustments(nodes []*gqlOrderAdjustment) {
	for _, a := range nodes {
		if a != nil {
			r.Adjustments = append(r.Adjustments, OrderAdjustment{ID: int64(a.ID), Kind: "refund_discrepancy", Reason: restWord(a.Reason),
				Amount: a.AmountSet.amount(), TaxAmount: a.TaxAmountSet.amount()})
		}
	}
}

// order turns the decoded shape into kassa's Order (Raw left to the caller).
func (g *gqlOrder) order() Order {
	o := Order{
		ID: int64(g.LegacyResourceID), Name: string(g.Name), Email: string(g.Email),
		CreatedAt: g.CreatedAt.Time, ProcessedAt: g.ProcessedAt.Time, UpdatedAt: g.UpdatedAt.Time,
		CancelledAt: g.CancelledAt.Time, ClosedAt: g.ClosedAt.Time, CancelReason: restWord(g.CancelReason),
		Test: bool(g.Test), Currency: string(g.CurrencyCode), FinancialStatus: restWord(g.DisplayFinancialStatus),
		FulfillmentStatus: fulfillmentWord(g.DisplayFulfillmentStatus), TaxesIncluded: bool(g.TaxesIncluded),
		TotalPrice: g.TotalPriceSet.amount(), SubtotalPrice: g.SubtotalPriceSet.amount(), TotalTax: g.TotalTaxSet.amount(),
		TotalDiscounts: g.TotalDiscountsSet.amount(), TotalOutstanding: g.TotalOutstandingSet.amount(),
		TotalTipReceived: g.TotalTipReceivedSet.amount(), CurrentTotalDuties: g.CurrentTotalDutiesSet.amount(),
		OriginalTotalDuties: g.OriginalTotalDutiesSet.amount(), PaymentGatewayNames: []string(g.PaymentGatewayNames),
		SourceName: string(g.SourceName), Tags: strings.Join(g.Tags, ", "),
		BillingAddress: g.BillingAddress.address(), ShippingAddress: g.ShippingAddress.address(),
		CurrentTotalPrice: g.CurrentTotalPriceSet.amount(), CurrentSubtotalPrice: g.CurrentSubtotalPriceSet.amount(),
		CurrentTotalTax: g.CurrentTotalTaxSet.amount(), CurrentTotalDiscounts: g.CurrentTotalDiscountsSet.amount(),
		HasCurrentTotals:         g.CurrentTotalPriceSet != nil,
		InventoryManagementKnown: true, Shape: ShapeGraphQL,
	}
	if o.ID == 0 {
		// Without legacyResourceId, the number of the global id.
		var id shopifyjson.ID
		if id.UnmarshalJSON([]byte(`"`+string(g.ID)+`"`)) == nil {
			o.ID = int64(id)
		}
	}
	if c := g.Customer; c != nil {
		oc := &Customer{
			ID: int64(c.LegacyResourceID), FirstName: string(c.FirstName), LastName: string(c.LastName),
			DefaultAddress: c.DefaultAddress.address(),
		}
		if c.DefaultEmailAddress != nil {
			oc.Email = string(c.DefaultEmailAddress.EmailAddress)
		}
		if c.DefaultPhoneNumber != nil {
			oc.Phone = string(c.DefaultPhoneNumber.PhoneNumber)
		}
		o.Customer = oc
	}
	for _, r := range g.Refunds {
		if r != nil {
			rf := r.refund()
			rf.OrderID = o.ID
			o.Refunds = append(o.Refunds, rf)
		}
	}
	if g.LineItems != nil {
		o.addLineItems(g.LineItems.Nodes)
	}
	if g.ShippingLines != nil {
		o.addShippingLines(g.ShippingLines.Nodes)
	}
	if g.FulfillmentOrders != nil {
		o.addFulfillmentOrders(g.FulfillmentOrders.Nodes)
	}
	return o
}

func (o *Order) addLineItems(nodes []*gqlLineItem) {
	for _, li := range nodes {
		if li == nil {
			continue
		}
		l := li.lineItem()
		o.LineItems = append(o.LineItems, l)
		o.TotalLineItemsPrice = o.TotalLineItemsPrice.Add(l.Price.Mul(decimal.NewFromInt(l.Quantity)))
	}
}

func (o *Order) addShippingLines(nodes []*gqlShippingLine) {
	for _, s := range nodes {
		if s != nil {
			o.ShippingLines = append(o.ShippingLines, s.shippingLine())
		}
	}
}

func (o *Order) addFulfillmentOrders(nodes []*gqlFulfillmentOrder) {
	for _, f := range nodes {
		m := f.method()
		if m == "" {
			continue
		}
		o.DeliveryMethods = append(o.DeliveryMethods, m)
		// The buyer collects a pickup at the fulfillment order's assigned location.
		if m == "PICK_UP" && o.PickupLocation == "" && f.AssignedLocation != nil {
			o.PickupLocation = string(f.AssignedLocation.Name)
		}
	}
}

// DecodeGraphQLOrder decodes one Order object of the GraphQL Admin API (with the fields of
// queries/orders.graphql: a node of the orders query, or an order assembled from the rows
// of a bulk export) into the Order a REST or webhook body of the same order decodes into.
// On error the Order carries what could be read of its ID and Name, and Raw.
func DecodeGraphQLOrder(raw []byte) (Order, error) {
	raw = append(json.RawMessage(nil), raw...)
	var g gqlOrder
	if err := shopifyjson.Decode(raw, &g); err != nil {
		o := Order{Raw: raw, Shape: ShapeGraphQL}
		var head struct {
			ID   shopifyjson.ID   `json:"legacyResourceId"`
			GID  json.RawMessage  `json:"id"`
			Name shopifyjson.Text `json:"name"`
		}
		if json.Unmarshal(raw, &head) == nil {
			o.ID, o.Name = int64(head.ID), string(head.Name)
			if o.ID == 0 {
				var id shopifyjson.ID
				if id.UnmarshalJSON(head.GID) == nil {
					o.ID = int64(id)
				}
			}
		}
		fe := &FieldError{Err: err}
		var ve *shopifyjson.ValueError
		if errors.As(err, &ve) {
			fe.Field, fe.Err = ve.Path, ve.Err
		}
		o.DecodeErr = fe
		return o, fe
	}
	o := g.order()
	o.Raw = raw
	return o, nil
}
