package shopifyapi

import (
	"encoding/json"
	"time"

	"github.com/shopspring/decimal"
)

// Order is kassa's own view of a Shopify REST order (API 2024-10). It is decoded by
// DecodeOrder, which is lenient where Shopify's payloads vary, so that one odd field does
// not lose a whole order. Money is in the shop's currency. Absent or null values decode to
// the zero value (0, "", zero decimal, zero time, nil pointer).
type Order struct {
	ID                  int64
	Name                string // "#1001": the receipt number staff see
	OrderNumber         int64
	Email               string
	CreatedAt           time.Time
	ProcessedAt         time.Time
	UpdatedAt           time.Time
	CancelledAt         time.Time // zero when not cancelled
	ClosedAt            time.Time // zero when not closed
	CancelReason        string
	Test                bool
	Currency            string
	FinancialStatus     string
	FulfillmentStatus   string
	TaxesIncluded       bool
	TotalPrice          decimal.Decimal
	SubtotalPrice       decimal.Decimal
	TotalLineItemsPrice decimal.Decimal
	TotalTax            decimal.Decimal
	TotalDiscounts      decimal.Decimal
	// TotalOutstanding is what the customer still owes (e.g. a pending bank deposit).
	TotalOutstanding    decimal.Decimal
	TotalTipReceived    decimal.Decimal
	CurrentTotalDuties  decimal.Decimal // shop money of current_total_duties_set
	OriginalTotalDuties decimal.Decimal // shop money of original_total_duties_set
	PaymentGatewayNames []string
	Gateway             string // deprecated by Shopify; present in older payloads
	SourceName          string
	Tags                string
	TaxLines            []TaxLine
	Customer            *Customer // nil when the order has no customer
	BillingAddress      *Address
	ShippingAddress     *Address
	LineItems           []LineItem
	ShippingLines       []ShippingLine

	// Raw holds the exact bytes the order was decoded from, for the import log.
	Raw json.RawMessage
	// DecodeErr is set by ListOrders on an order that could not be decoded; only ID, Name
	// and Raw are then meaningful (best effort), so that the importer can record a
	// failed outcome for that order alone.
	DecodeErr error
}

// Customer is the order's customer as Shopify sent it. Fields may be empty when the app
// lacks access to protected customer data.
type Customer struct {
	ID             int64
	Email          string
	FirstName      string
	LastName       string
	Phone          string
	DefaultAddress *Address
}

// Address is a postal address of an order or customer.
type Address struct {
	FirstName string
	LastName  string
	Name      string
	Company   string
	Address1  string
	Address2  string
	City      string
	Zip       string
	Province  string
	Country   string
	Phone     string
}

// LineItem is one line of an order.
type LineItem struct {
	ID                         int64
	ProductID                  int64 // 0 for custom items
	VariantID                  int64 // 0 for custom items
	SKU                        string
	Title                      string
	VariantTitle               string
	Name                       string
	Quantity                   int64
	Price                      decimal.Decimal // unit price before discounts
	TotalDiscount              decimal.Decimal
	DiscountAllocations        []DiscountAllocation
	TaxLines                   []TaxLine
	GiftCard                   bool
	ProductExists              bool
	Taxable                    bool
	RequiresShipping           bool
	VariantInventoryManagement string // "shopify" when Shopify tracks the variant's stock
	Properties                 []Property
	Duties                     []Duty
}

// DiscountAllocation is the part of a discount that falls on one line.
type DiscountAllocation struct {
	Amount                   decimal.Decimal
	DiscountApplicationIndex int64
}

// TaxLine is one tax charged on a line or order. Rate is a fraction (0.21 for 21 %).
type TaxLine struct {
	Title string
	Rate  decimal.Decimal
	Price decimal.Decimal
}

// Property is a custom name/value pair on a line item.
type Property struct {
	Name  string
	Value string
}

// Duty is an import duty charged on a line item.
type Duty struct {
	ID                   int64
	HarmonizedSystemCode string
	CountryCodeOfOrigin  string
	Amount               decimal.Decimal // shop money
	TaxLines             []TaxLine
}

// ShippingLine is one shipping method of an order.
type ShippingLine struct {
	ID                  int64
	Title               string
	Code                string
	Price               decimal.Decimal
	DiscountedPrice     decimal.Decimal
	DiscountAllocations []DiscountAllocation
	TaxLines            []TaxLine
}

// DecodeOrder decodes one order object (the value of "order", an element of "orders", or a
// webhook body). It is deliberately lenient: money may be a JSON string or number; ids may
// be numbers or numeric strings; timestamps are RFC 3339 and a timestamp without an offset
// is read as UTC; null means the zero value; line-item properties may be an array or an
// object; unknown fields are ignored whatever their type. A value of the wrong kind in a
// field kassa reads is an error that names the field (a *FieldError). On error the returned
// Order still carries ID, Name and Raw when they could be read.
func DecodeOrder(raw []byte) (Order, error) {
	return decodeOwnedOrder(append(json.RawMessage(nil), raw...))
}

// decodeOwnedOrder is DecodeOrder for bytes that the order may keep as its Raw: no one
// else writes to them (ListOrders' slices of a page's body).
func decodeOwnedOrder(raw []byte) (Order, error) {
	if o, ok := decodeFast(raw); ok {
		return o, nil
	}
	return decodeOrderChecked(raw)
}

// decodeOrderChecked decodes field by field through maps of raw values, checking each; it
// is the slower path that DecodeOrder takes when decodeFast gives up, and the one that
// names the field in error.
func decodeOrderChecked(raw []byte) (Order, error) {
	o := Order{Raw: append(json.RawMessage(nil), raw...)}
	d, err := newObject("", raw)
	if err != nil {
		return o, err
	}
	o.ID = d.id("id")
	o.Name = d.str("name")
	if err := d.errv(); err != nil {
		// Without a usable id the order cannot be named in the import log either.
		return o, err
	}
	o.OrderNumber = d.int("order_number")
	o.Email = d.str("email")
	o.CreatedAt = d.time("created_at")
	o.ProcessedAt = d.time("processed_at")
	o.UpdatedAt = d.time("updated_at")
	o.CancelledAt = d.time("cancelled_at")
	o.ClosedAt = d.time("closed_at")
	o.CancelReason = d.str("cancel_reason")
	o.Test = d.bool("test")
	o.Currency = d.str("currency")
	o.FinancialStatus = d.str("financial_status")
	o.FulfillmentStatus = d.str("fulfillment_status")
	o.TaxesIncluded = d.bool("taxes_included")
	o.TotalPrice = d.money("total_price")
	o.SubtotalPrice = d.money("subtotal_price")
	o.TotalLineItemsPrice = d.money("total_line_items_price")
	o.TotalTax = d.money("total_tax")
	o.TotalDiscounts = d.money("total_discounts")
	o.TotalOutstanding = d.money("total_outstanding")
	o.TotalTipReceived = d.money("total_tip_received")
	o.CurrentTotalDuties = d.moneySet("current_total_duties_set")
	o.OriginalTotalDuties = d.moneySet("original_total_duties_set")
	o.PaymentGatewayNames = d.strings("payment_gateway_names")
	o.Gateway = d.str("gateway")
	o.SourceName = d.str("source_name")
	o.Tags = d.str("tags")
	o.TaxLines = d.taxLines("tax_lines")
	if c := d.object("customer"); c != nil {
		o.Customer = &Customer{
			ID:             c.id("id"),
			Email:          c.str("email"),
			FirstName:      c.str("first_name"),
			LastName:       c.str("last_name"),
			Phone:          c.str("phone"),
			DefaultAddress: c.address("default_address"),
		}
	}
	o.BillingAddress = d.address("billing_address")
	o.ShippingAddress = d.address("shipping_address")
	d.each("line_items", func(li *object) {
		o.LineItems = append(o.LineItems, decodeLineItem(li))
	})
	d.each("shipping_lines", func(s *object) {
		o.ShippingLines = append(o.ShippingLines, ShippingLine{
			ID:                  s.id("id"),
			Title:               s.str("title"),
			Code:                s.str("code"),
			Price:               s.money("price"),
			DiscountedPrice:     s.money("discounted_price"),
			DiscountAllocations: s.discountAllocations("discount_allocations"),
			TaxLines:            s.taxLines("tax_lines"),
		})
	})
	if err := d.errv(); err != nil {
		return o, err
	}
	return o, nil
}

func decodeLineItem(li *object) LineItem {
	l := LineItem{
		ID:                         li.id("id"),
		ProductID:                  li.id("product_id"),
		VariantID:                  li.id("variant_id"),
		SKU:                        li.str("sku"),
		Title:                      li.str("title"),
		VariantTitle:               li.str("variant_title"),
		Name:                       li.str("name"),
		Quantity:                   li.int("quantity"),
		Price:                      li.money("price"),
		TotalDiscount:              li.money("total_discount"),
		DiscountAllocations:        li.discountAllocations("discount_allocations"),
		TaxLines:                   li.taxLines("tax_lines"),
		GiftCard:                   li.bool("gift_card"),
		ProductExists:              li.bool("product_exists"),
		Taxable:                    li.bool("taxable"),
		RequiresShipping:           li.bool("requires_shipping"),
		VariantInventoryManagement: li.str("variant_inventory_management"),
		Properties:                 li.properties("properties"),
	}
	li.each("duties", func(du *object) {
		amount := du.moneySet("price_set")
		if _, ok := du.fields["shop_money"]; ok {
			// Duties on line items carry shop_money directly rather than a price_set.
			amount = du.moneyIn("shop_money")
		}
		l.Duties = append(l.Duties, Duty{
			ID:                   du.id("id"),
			HarmonizedSystemCode: du.str("harmonized_system_code"),
			CountryCodeOfOrigin:  du.str("country_code_of_origin"),
			Amount:               amount,
			TaxLines:             du.taxLines("tax_lines"),
		})
	})
	return l
}
