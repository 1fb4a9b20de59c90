package shopifyapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/shopspring/decimal"

	"github.com/kassa-pos/kassa/sync/shopify/shopifyjson"
)

// restOrder is the shape of a REST Admin API order (2024-10) as far as kassa reads it: the
// one list of the fields kassa takes from an order, with their JSON names. Its leaves are
// shopifyjson's lenient values; order turns it into an Order.
type restOrder struct {
	ID                  shopifyjson.ID     `json:"id"`
	Name                shopifyjson.Text   `json:"name"`
	OrderNumber         shopifyjson.Int    `json:"order_number"`
	Email               shopifyjson.Text   `json:"email"`
	CreatedAt           shopifyjson.Time   `json:"created_at"`
	ProcessedAt         shopifyjson.Time   `json:"processed_at"`
	UpdatedAt           shopifyjson.Time   `json:"updated_at"`
	CancelledAt         shopifyjson.Time   `json:"cancelled_at"`
	ClosedAt            shopifyjson.Time   `json:"closed_at"`
	CancelReason        shopifyjson.Text   `json:"cancel_reason"`
	Test                shopifyjson.Bool   `json:"test"`
	Currency            shopifyjson.Text   `json:"currency"`
	FinancialStatus     shopifyjson.Text   `json:"financial_status"`
	FulfillmentStatus   shopifyjson.Text   `json:"fulfillment_status"`
	TaxesIncluded       shopifyjson.Bool   `json:"taxes_included"`
	TotalPrice          shopifyjson.Amount `json:"total_price"`
	SubtotalPrice       shopifyjson.Amount `json:"subtotal_price"`
	TotalLineItemsPrice shopifyjson.Amount `json:"total_line_items_price"`
	TotalTax            shopifyjson.Amount `json:"total_tax"`
	TotalDiscounts      shopifyjson.Amount `json:"total_discounts"`
	TotalOutstanding    shopifyjson.Amount `json:"total_outstanding"`
	// CurrentTotalPrice is a pointer so that an order without it (older payloads) is told
	// apart from one whose current total is 0.00.
	CurrentTotalPrice     *shopifyjson.Amount `json:"current_total_price"`
	CurrentSubtotalPrice  shopifyjson.Amount  `json:"current_subtotal_price"`
	CurrentTotalTax       shopifyjson.Amount  `json:"current_total_tax"`
	CurrentTotalDiscounts shopifyjson.Amount  `json:"current_total_discounts"`
	TotalTipReceived      shopifyjson.Amount  `json:"total_tip_received"`
	CurrentTotalDuties    *restMoneySet       `json:"current_total_duties_set"`
	OriginalTotalDuties   *restMoneySet       `json:"original_total_duties_set"`
	PaymentGatewayNames   textList            `json:"payment_gateway_names"`
	Gateway               shopifyjson.Text    `json:"gateway"`
	SourceName            shopifyjson.Text    `json:"source_name"`
	Tags                  shopifyjson.Text    `json:"tags"`
	TaxLines              []*restTaxLine      `json:"tax_lines"`
	Customer              *restCustomer       `json:"customer"`
	BillingAddress        *restAddress        `json:"billing_address"`
	ShippingAddress       *restAddress        `json:"shipping_address"`
	LineItems             []*restLineItem     `json:"line_items"`
	ShippingLines         []*restShippingLine `json:"shipping_lines"`
	Refunds               []*restRefund       `json:"refunds"`
}

type restRefund struct {
	ID               shopifyjson.ID         `json:"id"`
	OrderID          shopifyjson.ID         `json:"order_id"`
	CreatedAt        shopifyjson.Time       `json:"created_at"`
	ProcessedAt      shopifyjson.Time       `json:"processed_at"`
	Note             shopifyjson.Text       `json:"note"`
	RefundLineItems  []*restRefundLineItem  `json:"refund_line_items"`
	Transactions     []*restTransaction     `json:"transactions"`
	OrderAdjustments []*restOrderAdjustment `json:"order_adjustments"`
}

type restRefundLineItem struct {
	ID          shopifyjson.ID     `json:"id"`
	LineItemID  shopifyjson.ID     `json:"line_item_id"`
	LocationID  shopifyjson.ID     `json:"location_id"`
	Quantity    shopifyjson.Int    `json:"quantity"`
	RestockType shopifyjson.Text   `json:"restock_type"`
	Subtotal    shopifyjson.Amount `json:"subtotal"`
	TotalTax    shopifyjson.Amount `json:"total_tax"`
}

type restTransaction struct {
	ID          shopifyjson.ID     `json:"id"`
	Kind        shopifyjson.Text   `json:"kind"`
	Status      shopifyjson.Text   `json:"status"`
	Gateway     shopifyjson.Text   `json:"gateway"`
	Amount      shopifyjson.Amount `json:"amount"`
	ProcessedAt shopifyjson.Time   `json:"processed_at"`
	CreatedAt   shopifyjson.Time   `json:"created_at"`
}

type restOrderAdjustment struct {
	ID        shopifyjson.ID     `json:"id"`
	Kind      shopifyjson.Text   `json:"kind"`
	Reason    shopifyjson.Text   `json:"reason"`
	Amount    shopifyjson.Amount `json:"amount"`
	TaxAmount shopifyjson.Amount `json:"tax_amount"`
}

func (r *restRefund) refund() Refund {
	out := Refund{
		ID: int64(r.ID), OrderID: int64(r.OrderID), CreatedAt: r.CreatedAt.Time, ProcessedAt: r.ProcessedAt.Time,
		Note: string(r.Note),
	}
	for _, l := range r.RefundLineItems {
		if l != nil {
			out.LineItems = append(out.LineItems, RefundLineItem{
				ID: int64(l.ID), LineItemID: int64(l.LineItemID), LocationID: int64(l.LocationID), Quantity: int64(l.Quantity),
				RestockType: string(l.RestockType), Subtotal: l.Subtotal.Decimal(), TotalTax: l.TotalTax.Decimal(),
			})
		}
	}
	for _, t := range r.Transactions {
		if t != nil {
			out.Transactions = append(out.Transactions, Transaction{
				ID: int64(t.ID), Kind: string(t.Kind), Status: string(t.Status), Gateway: string(t.Gateway),
				Amount: t.Amount.Decimal(), ProcessedAt: t.ProcessedAt.Time, CreatedAt: t.CreatedAt.Time,
			})
		}
	}
	for _, a := range r.OrderAdjustments {
		if a != nil {
			out.Adjustments = append(out.Adjustments, OrderAdjustment{
				ID: int64(a.ID), Kind: string(a.Kind), Reason: string(a.Reason), Amount: a.Amount.Decimal(), TaxAmount: a.TaxAmount.Decimal(),
			})
		}
	}
	return out
}

// DecodeRefund decodes one REST refund (the body of a refunds/create webhook, or an
// element of an order's "refunds") as leniently as DecodeOrder decodes an order.
func DecodeRefund(raw []byte) (Refund, error) {
	var r restRefund
	if err := shopifyjson.Decode(raw, &r); err != nil {
		fe := &FieldError{Err: err}
		var ve *shopifyjson.ValueError
		if errors.As(err, &ve) {
			fe.Field, fe.Err = ve.Path, ve.Err
		}
		return Refund{}, fe
	}
	return r.refund(), nil
}

type restCustomer struct {
	ID             shopifyjson.ID   `json:"id"`
	Email          shopifyjson.Text `json:"email"`
	FirstName      shopifyjson.Text `json:"first_name"`
	LastName       shopifyjson.Text `json:"last_name"`
	Phone          shopifyjson.Text `json:"phone"`
	DefaultAddress *restAddress     `json:"default_address"`
}

type restAddress struct {
	FirstName shopifyjson.Text `json:"first_name"`
	LastName  shopifyjson.Text `json:"last_name"`
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

type restLineItem struct {
	ID                         shopifyjson.ID            `json:"id"`
	ProductID                  shopifyjson.ID            `json:"product_id"`
	VariantID                  shopifyjson.ID            `json:"variant_id"`
	SKU                        shopifyjson.Text          `json:"sku"`
	Title                      shopifyjson.Text          `json:"title"`
	VariantTitle               shopifyjson.Text          `json:"variant_title"`
	Name                       shopifyjson.Text          `json:"name"`
	Quantity                   shopifyjson.Int           `json:"quantity"`
	Price                      shopifyjson.Amount        `json:"price"`
	TotalDiscount              shopifyjson.Amount        `json:"total_discount"`
	DiscountAllocations        []*restDiscountAllocation `json:"discount_allocations"`
	TaxLines                   []*restTaxLine            `json:"tax_lines"`
	GiftCard                   shopifyjson.Bool          `json:"gift_card"`
	ProductExists              shopifyjson.Bool          `json:"product_exists"`
	Taxable                    shopifyjson.Bool          `json:"taxable"`
	RequiresShipping           shopifyjson.Bool          `json:"requires_shipping"`
	VariantInventoryManagement shopifyjson.Text          `json:"variant_inventory_management"`
	Properties                 properties                `json:"properties"`
	Duties                     []*restDuty               `json:"duties"`
	CurrentQuantity            *shopifyjson.Int          `json:"current_quantity"`
}

type restDiscountAllocation struct {
	Amount                   shopifyjson.Amount `json:"amount"`
	DiscountApplicationIndex shopifyjson.Int    `json:"discount_application_index"`
}

type restTaxLine struct {
	Title shopifyjson.Text   `json:"title"`
	Rate  shopifyjson.Amount `json:"rate"`
	Price shopifyjson.Amount `json:"price"`
}

type restDuty struct {
	ID                   shopifyjson.ID   `json:"id"`
	HarmonizedSystemCode shopifyjson.Text `json:"harmonized_system_code"`
	CountryCodeOfOrigin  shopifyjson.Text `json:"country_code_of_origin"`
	PriceSet             *restMoneySet    `json:"price_set"`
	// ShopMoney is where duties on line items carry their amount, rather than a price_set.
	ShopMoney *restMoney     `json:"shop_money"`
	TaxLines  []*restTaxLine `json:"tax_lines"`
}

type restShippingLine struct {
	ID                  shopifyjson.ID            `json:"id"`
	Title               shopifyjson.Text          `json:"title"`
	Code                shopifyjson.Text          `json:"code"`
	Price               shopifyjson.Amount        `json:"price"`
	DiscountedPrice     shopifyjson.Amount        `json:"discounted_price"`
	DiscountAllocations []*restDiscountAllocation `json:"discount_allocations"`
	TaxLines            []*restTaxLine            `json:"tax_lines"`
}

// restMoneySet is a Shopify "*_set" object: {"shop_money": {...}, "presentment_money": {...}}.
type restMoneySet struct {
	ShopMoney *restMoney `json:"shop_money"`
}

// restMoney is {"amount": "1.00", "currency_code": "EUR"}.
type restMoney struct {
	Amount shopifyjson.Amount `json:"amount"`
}

// shopAmount is the shop-currency amount of a money set; zero when there is none.
func (s *restMoneySet) shopAmount() decimal.Decimal {
	if s == nil || s.ShopMoney == nil {
		return decimal.Zero
	}
	return s.ShopMoney.Amount.Decimal()
}

// textList is a list of strings, such as payment_gateway_names; a lone value is taken as a
// list of one, and null elements are "".
type textList []string

// UnmarshalJSON implements json.Unmarshaler.
func (l *textList) UnmarshalJSON(b []byte) error {
	if len(b) == 0 || string(b) == "null" {
		*l = nil
		return nil
	}
	if b[0] != '[' {
		s, err := shopifyjson.ParseText(b)
		if err != nil {
			return err
		}
		*l = textList{s}
		return nil
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(b, &elems); err != nil {
		return err
	}
	out := make(textList, 0, len(elems))
	for i, e := range elems {
		s, err := shopifyjson.ParseText(e)
		if err != nil {
			return &shopifyjson.ValueError{Path: fmt.Sprintf("[%d]", i), Err: err}
		}
		out = append(out, s)
	}
	*l = out
	return nil
}

// properties are line-item properties, which Shopify sends as an array of {name, value} and
// legacy payloads as an object. kassa only displays them, so a shape it does not know is
// dropped rather than failing the order.
type properties []Property

// UnmarshalJSON implements json.Unmarshaler; it never fails.
func (p *properties) UnmarshalJSON(b []byte) error {
	*p = parseProperties(b)
	return nil
}

// parseProperties reads a properties value (nil or null for none); see properties.
func parseProperties(b []byte) []Property {
	if len(b) == 0 {
		return nil
	}
	switch b[0] {
	case '[':
		var elems []struct {
			Name  json.RawMessage `json:"name"`
			Value json.RawMessage `json:"value"`
		}
		if json.Unmarshal(b, &elems) != nil {
			return nil
		}
		out := make([]Property, 0, len(elems))
		for _, e := range elems {
			out = append(out, Property{Name: looseText(e.Name), Value: looseText(e.Value)})
		}
		return out
	case '{':
		var m map[string]json.RawMessage
		if json.Unmarshal(b, &m) != nil {
			return nil
		}
		out := make([]Property, 0, len(m))
		for k, v := range m {
			out = append(out, Property{Name: k, Value: looseText(v)})
		}
		sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
		return out
	}
	return nil
}

// looseText renders any JSON value as text: strings unquoted, null empty, others compact.
func looseText(v json.RawMessage) string {
	if len(v) == 0 {
		return ""
	}
	if s, err := shopifyjson.ParseText(v); err == nil {
		return s
	}
	var buf bytes.Buffer
	if json.Compact(&buf, v) != nil {
		return ""
	}
	return buf.String()
}

// order turns the decoded shape into kassa's Order (Raw and DecodeErr left to the caller).
func (r *restOrder) order() Order {
	o := Order{
		ID:                    int64(r.ID),
		Name:                  string(r.Name),
		OrderNumber:           int64(r.OrderNumber),
		Email:                 string(r.Email),
		CreatedAt:             r.CreatedAt.Time,
		ProcessedAt:           r.ProcessedAt.Time,
		UpdatedAt:             r.UpdatedAt.Time,
		CancelledAt:           r.CancelledAt.Time,
		ClosedAt:              r.ClosedAt.Time,
		CancelReason:          string(r.CancelReason),
		Test:                  bool(r.Test),
		Currency:              string(r.Currency),
		FinancialStatus:       string(r.FinancialStatus),
		FulfillmentStatus:     string(r.FulfillmentStatus),
		TaxesIncluded:         bool(r.TaxesIncluded),
		TotalPrice:            r.TotalPrice.Decimal(),
		SubtotalPrice:         r.SubtotalPrice.Decimal(),
		TotalLineItemsPrice:   r.TotalLineItemsPrice.Decimal(),
		TotalTax:              r.TotalTax.Decimal(),
		TotalDiscounts:        r.TotalDiscounts.Decimal(),
		TotalOutstanding:      r.TotalOutstanding.Decimal(),
		TotalTipReceived:      r.TotalTipReceived.Decimal(),
		CurrentSubtotalPrice:  r.CurrentSubtotalPrice.Decimal(),
		CurrentTotalTax:       r.CurrentTotalTax.Decimal(),
		CurrentTotalDiscounts: r.CurrentTotalDiscounts.Decimal(),
		CurrentTotalPrice:     decimal.Zero,
		CurrentTotalDuties:    r.CurrentTotalDuties.shopAmount(),
		OriginalTotalDuties:   r.OriginalTotalDuties.shopAmount(),
		PaymentGatewayNames:   []string(r.PaymentGatewayNames),
		Gateway:               string(r.Gateway),
		SourceName:            string(r.SourceName),
		Tags:                  string(r.Tags),
		TaxLines:              taxLines(r.TaxLines),
		BillingAddress:        r.BillingAddress.address(),
		ShippingAddress:       r.ShippingAddress.address(),
	}
	if c := r.Customer; c != nil {
		o.Customer = &Customer{
			ID:             int64(c.ID),
			Email:          string(c.Email),
			FirstName:      string(c.FirstName),
			LastName:       string(c.LastName),
			Phone:          string(c.Phone),
			DefaultAddress: c.DefaultAddress.address(),
		}
	}
	if r.CurrentTotalPrice != nil {
		o.CurrentTotalPrice, o.HasCurrentTotals = r.CurrentTotalPrice.Decimal(), true
	}
	for _, li := range r.LineItems {
		if li != nil {
			o.LineItems = append(o.LineItems, li.lineItem())
		}
	}
	for _, rf := range r.Refunds {
		if rf != nil {
			o.Refunds = append(o.Refunds, rf.refund())
		}
	}
	for _, s := range r.ShippingLines {
		if s == nil {
			continue
		}
		o.ShippingLines = append(o.ShippingLines, ShippingLine{
			ID:                  int64(s.ID),
			Title:               string(s.Title),
			Code:                string(s.Code),
			Price:               s.Price.Decimal(),
			DiscountedPrice:     s.DiscountedPrice.Decimal(),
			DiscountAllocations: discountAllocations(s.DiscountAllocations),
			TaxLines:            taxLines(s.TaxLines),
		})
	}
	return o
}

func (li *restLineItem) lineItem() LineItem {
	l := LineItem{
		ID:                         int64(li.ID),
		ProductID:                  int64(li.ProductID),
		VariantID:                  int64(li.VariantID),
		SKU:                        string(li.SKU),
		Title:                      string(li.Title),
		VariantTitle:               string(li.VariantTitle),
		Name:                       string(li.Name),
		Quantity:                   int64(li.Quantity),
		Price:                      li.Price.Decimal(),
		TotalDiscount:              li.TotalDiscount.Decimal(),
		DiscountAllocations:        discountAllocations(li.DiscountAllocations),
		TaxLines:                   taxLines(li.TaxLines),
		GiftCard:                   bool(li.GiftCard),
		ProductExists:              bool(li.ProductExists),
		Taxable:                    bool(li.Taxable),
		RequiresShipping:           bool(li.RequiresShipping),
		VariantInventoryManagement: string(li.VariantInventoryManagement),
		Properties:                 []Property(li.Properties),
	}
	if li.CurrentQuantity != nil {
		l.CurrentQuantity, l.HasCurrentQuantity = int64(*li.CurrentQuantity), true
	}
	for _, du := range li.Duties {
		if du == nil {
			continue
		}
		amount := du.PriceSet.shopAmount()
		if du.ShopMoney != nil {
			amount = du.ShopMoney.Amount.Decimal()
		}
		l.Duties = append(l.Duties, Duty{
			ID:                   int64(du.ID),
			HarmonizedSystemCode: string(du.HarmonizedSystemCode),
			CountryCodeOfOrigin:  string(du.CountryCodeOfOrigin),
			Amount:               amount,
			TaxLines:             taxLines(du.TaxLines),
		})
	}
	return l
}

func (a *restAddress) address() *Address {
	if a == nil {
		return nil
	}
	return &Address{
		FirstName: string(a.FirstName),
		LastName:  string(a.LastName),
		Name:      string(a.Name),
		Company:   string(a.Company),
		Address1:  string(a.Address1),
		Address2:  string(a.Address2),
		City:      string(a.City),
		Zip:       string(a.Zip),
		Province:  string(a.Province),
		Country:   string(a.Country),
		Phone:     string(a.Phone),
	}
}

func taxLines(in []*restTaxLine) []TaxLine {
	var out []TaxLine
	for _, t := range in {
		if t != nil {
			out = append(out, TaxLine{Title: string(t.Title), Rate: t.Rate.Decimal(), Price: t.Price.Decimal()})
		}
	}
	return out
}

func discountAllocations(in []*restDiscountAllocation) []DiscountAllocation {
	var out []DiscountAllocation
	for _, a := range in {
		if a != nil {
			out = append(out, DiscountAllocation{Amount: a.Amount.Decimal(), DiscountApplicationIndex: int64(a.DiscountApplicationIndex)})
		}
	}
	return out
}
