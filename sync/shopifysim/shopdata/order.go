package shopdata

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/shopspring/decimal"
)

// Money is an amount in the shop's currency. Shopify renders money as a JSON string with
// two decimals ("199.00"); go-shopify decodes it into a decimal, and some fields (notably
// total_tip_received) fail to decode when given a JSON number, so Money always marshals as a
// string. Unmarshalling also accepts a JSON number or null (zero), as older payloads use both.
type Money struct{ decimal.Decimal }

// NewMoney wraps a decimal amount; it is rounded to cents when rendered.
func NewMoney(d decimal.Decimal) Money { return Money{d} }

// MustMoney parses a literal amount such as "12.50"; it panics on malformed input and is meant
// for constants and tests.
func MustMoney(s string) Money { return Money{decimal.RequireFromString(s)} }

// String renders the amount the way Shopify does, with exactly two decimals.
func (m Money) String() string { return m.StringFixed(2) }

// MarshalJSON renders the amount as a JSON string with two decimals.
func (m Money) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 16)
	b = append(b, '"')
	b = appendFixed2(b, m.Decimal)
	return append(b, '"'), nil
}

// appendFixed2 appends d with exactly two decimals, as d.StringFixed(2) renders it. Rendering
// a page of orders formats thousands of amounts, so amounts already in whole cents (all the
// generator makes) skip decimal's big-integer formatting.
func appendFixed2(b []byte, d decimal.Decimal) []byte {
	exp := d.Exponent()
	if exp < -2 || exp > 0 || d.NumDigits() > 15 {
		return append(b, d.StringFixed(2)...)
	}
	cents := d.CoefficientInt64()
	switch exp {
	case 0:
		cents *= 100
	case -1:
		cents *= 10
	}
	if cents < 0 {
		b = append(b, '-')
		cents = -cents
	}
	b = strconv.AppendInt(b, cents/100, 10)
	b = append(b, '.', byte('0'+cents/10%10), byte('0'+cents%10))
	return b
}

// UnmarshalJSON accepts a JSON string, a JSON number or null.
func (m *Money) UnmarshalJSON(data []byte) error {
	d, err := decodeDecimal(data)
	if err != nil {
		return fmt.Errorf("decode money %s: %w", data, err)
	}
	m.Decimal = d
	return nil
}

// Rate is a tax rate as a fraction (0.21 for 21 %). Shopify renders it as a JSON number, which
// go-shopify decodes into a decimal; it is never a float inside kassa.
type Rate struct{ decimal.Decimal }

// MustRate parses a literal rate such as "0.21"; it panics on malformed input.
func MustRate(s string) Rate { return Rate{decimal.RequireFromString(s)} }

// MarshalJSON renders the rate as a bare JSON number, e.g. 0.21.
func (r Rate) MarshalJSON() ([]byte, error) { return []byte(r.Decimal.String()), nil }

// UnmarshalJSON accepts a JSON number, a JSON string or null.
func (r *Rate) UnmarshalJSON(data []byte) error {
	d, err := decodeDecimal(data)
	if err != nil {
		return fmt.Errorf("decode rate %s: %w", data, err)
	}
	r.Decimal = d
	return nil
}

// Number is a decimal amount that Shopify renders as a bare JSON number rather than a string,
// as in refund_line_items[].subtotal and total_tax.
type Number struct{ decimal.Decimal }

// MarshalJSON renders the amount as a JSON number with two decimals.
func (n Number) MarshalJSON() ([]byte, error) { return appendFixed2(nil, n.Decimal), nil }

// UnmarshalJSON accepts a JSON number, a JSON string or null.
func (n *Number) UnmarshalJSON(data []byte) error {
	d, err := decodeDecimal(data)
	if err != nil {
		return fmt.Errorf("decode number %s: %w", data, err)
	}
	n.Decimal = d
	return nil
}

func decodeDecimal(data []byte) (decimal.Decimal, error) {
	data = bytes.TrimSpace(data)
	if bytes.Equal(data, []byte("null")) {
		return decimal.Zero, nil
	}
	if len(data) >= 2 && data[0] == '"' {
		s, err := strconv.Unquote(string(data))
		if err != nil {
			return decimal.Zero, err
		}
		return decimal.NewFromString(s)
	}
	return decimal.NewFromString(string(data))
}

// TimeLayout is how every timestamp in the generated JSON is rendered: RFC 3339 with the
// shop's UTC offset and whole seconds ("2026-08-28T06:59:14+02:00"), as Shopify does.
// go-shopify refuses timestamps without an offset.
const TimeLayout = time.RFC3339

// FormatTime renders t in loc the way Shopify renders order timestamps.
func FormatTime(t time.Time, loc *time.Location) string {
	return t.In(loc).Truncate(time.Second).Format(TimeLayout)
}

// ParseTime parses a timestamp rendered by FormatTime (or by Shopify).
func ParseTime(s string) (time.Time, error) {
	t, err := time.Parse(TimeLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("parse shopify timestamp %q: %w", s, err)
	}
	return t, nil
}

// Order is a Shopify order as the REST Admin API 2024-10 renders it in orders.json,
// orders/{id}.json and the orders/* webhooks. Field names and JSON types follow Shopify
// exactly; fields a POS import never needs are left out. Timestamps are strings in the
// shop's time zone (see FormatTime) so that the rendered JSON is exactly what was generated.
type Order struct {
	ID                    int64                 `json:"id"`
	AdminGraphqlAPIID     string                `json:"admin_graphql_api_id"`
	AppID                 *int64                `json:"app_id"`
	BrowserIP             *string               `json:"browser_ip"`
	BuyerAcceptsMarketing bool                  `json:"buyer_accepts_marketing"`
	CancelReason          *string               `json:"cancel_reason"`
	CancelledAt           *string               `json:"cancelled_at"`
	ClosedAt              *string               `json:"closed_at"`
	Confirmed             bool                  `json:"confirmed"`
	ContactEmail          *string               `json:"contact_email"`
	CreatedAt             string                `json:"created_at"`
	Currency              string                `json:"currency"`
	CurrentSubtotalPrice  Money                 `json:"current_subtotal_price"`
	CurrentTotalDiscounts Money                 `json:"current_total_discounts"`
	CurrentTotalPrice     Money                 `json:"current_total_price"`
	CurrentTotalTax       Money                 `json:"current_total_tax"`
	CustomerLocale        *string               `json:"customer_locale"`
	DiscountCodes         []DiscountCode        `json:"discount_codes"`
	Email                 string                `json:"email"`
	EstimatedTaxes        bool                  `json:"estimated_taxes"`
	FinancialStatus       string                `json:"financial_status"`
	FulfillmentStatus     *string               `json:"fulfillment_status"`
	LocationID            *int64                `json:"location_id"`
	Name                  string                `json:"name"`
	Note                  *string               `json:"note"`
	NoteAttributes        []NoteAttribute       `json:"note_attributes"`
	Number                int                   `json:"number"`
	OrderNumber           int                   `json:"order_number"`
	PaymentGatewayNames   []string              `json:"payment_gateway_names"`
	Phone                 *string               `json:"phone"`
	PresentmentCurrency   string                `json:"presentment_currency"`
	ProcessedAt           string                `json:"processed_at"`
	ProcessingMethod      string                `json:"processing_method"`
	SourceName            string                `json:"source_name"`
	SubtotalPrice         Money                 `json:"subtotal_price"`
	Tags                  string                `json:"tags"`
	TaxExempt             bool                  `json:"tax_exempt"`
	TaxLines              []TaxLine             `json:"tax_lines"`
	TaxesIncluded         bool                  `json:"taxes_included"`
	Test                  bool                  `json:"test"`
	TotalDiscounts        Money                 `json:"total_discounts"`
	TotalLineItemsPrice   Money                 `json:"total_line_items_price"`
	TotalOutstanding      Money                 `json:"total_outstanding"`
	TotalPrice            Money                 `json:"total_price"`
	TotalShippingPriceSet PriceSet              `json:"total_shipping_price_set"`
	TotalTax              Money                 `json:"total_tax"`
	TotalTipReceived      Money                 `json:"total_tip_received"`
	TotalWeight           int                   `json:"total_weight"`
	UpdatedAt             string                `json:"updated_at"`
	UserID                *int64                `json:"user_id"`
	BillingAddress        *Address              `json:"billing_address"`
	Customer              *Customer             `json:"customer"`
	DiscountApplications  []DiscountApplication `json:"discount_applications"`
	Fulfillments          []json.RawMessage     `json:"fulfillments"`
	LineItems             []LineItem            `json:"line_items"`
	Refunds               []Refund              `json:"refunds"`
	ShippingAddress       *Address              `json:"shipping_address"`
	ShippingLines         []ShippingLine        `json:"shipping_lines"`
}

// PriceSet is Shopify's pair of an amount in the shop's and in the buyer's (presentment)
// currency. The generator never converts currencies, so both halves are equal.
type PriceSet struct {
	ShopMoney        MoneyAmount `json:"shop_money"`
	PresentmentMoney MoneyAmount `json:"presentment_money"`
}

// MoneyAmount is one half of a PriceSet.
type MoneyAmount struct {
	Amount       Money  `json:"amount"`
	CurrencyCode string `json:"currency_code"`
}

// NewPriceSet returns a PriceSet whose shop and presentment amounts are both m in currency.
func NewPriceSet(m Money, currency string) PriceSet {
	a := MoneyAmount{Amount: m, CurrencyCode: currency}
	return PriceSet{ShopMoney: a, PresentmentMoney: a}
}

// TaxLine is one tax charged on a line item, a shipping line or (summed) on the order.
type TaxLine struct {
	Price         Money  `json:"price"`
	Rate          Rate   `json:"rate"`
	Title         string `json:"title"`
	ChannelLiable *bool  `json:"channel_liable"`
}

// DiscountCode is a code the buyer entered; Amount is what it took off in total.
type DiscountCode struct {
	Code   string `json:"code"`
	Amount Money  `json:"amount"`
	// Type is "fixed_amount", "percentage" or "shipping".
	Type string `json:"type"`
}

// DiscountApplication describes one discount; the amounts it took off each line are the
// DiscountAllocations that point at it by index.
type DiscountApplication struct {
	// TargetType is "line_item" or "shipping_line".
	TargetType string `json:"target_type"`
	// Type is "discount_code", "manual", "automatic" or "script".
	Type string `json:"type"`
	// Value is the nominal amount or percentage, e.g. "10.0".
	Value string `json:"value"`
	// ValueType is "fixed_amount" or "percentage".
	ValueType string `json:"value_type"`
	// AllocationMethod is "across", "each" or "one".
	AllocationMethod string `json:"allocation_method"`
	// TargetSelection is "all", "entitled" or "explicit".
	TargetSelection string `json:"target_selection"`
	// Code is set for discount codes only.
	Code string `json:"code,omitempty"`
	// Title and Description are set for manual and automatic discounts only.
	Title       string `json:"title,omitempty"`
	Description string `json:"description,omitempty"`
}

// DiscountAllocation is the part of a discount application taken off one line.
type DiscountAllocation struct {
	Amount                   Money `json:"amount"`
	DiscountApplicationIndex int   `json:"discount_application_index"`
}

// NoteAttribute is a free-form name/value pair the buyer or an app attached to the order.
type NoteAttribute struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Property is a line item property (e.g. an engraving text).
type Property struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// LineItem is one order line. Custom items have no product: ProductID, VariantID, SKU and
// VariantTitle are null and ProductExists is false.
type LineItem struct {
	ID                         int64                `json:"id"`
	AdminGraphqlAPIID          string               `json:"admin_graphql_api_id"`
	CurrentQuantity            int                  `json:"current_quantity"`
	FulfillableQuantity        int                  `json:"fulfillable_quantity"`
	FulfillmentService         string               `json:"fulfillment_service"`
	FulfillmentStatus          *string              `json:"fulfillment_status"`
	GiftCard                   bool                 `json:"gift_card"`
	Grams                      int                  `json:"grams"`
	Name                       string               `json:"name"`
	Price                      Money                `json:"price"`
	ProductExists              bool                 `json:"product_exists"`
	ProductID                  *int64               `json:"product_id"`
	Properties                 []Property           `json:"properties"`
	Quantity                   int                  `json:"quantity"`
	RequiresShipping           bool                 `json:"requires_shipping"`
	SKU                        *string              `json:"sku"`
	Taxable                    bool                 `json:"taxable"`
	Title                      string               `json:"title"`
	TotalDiscount              Money                `json:"total_discount"`
	VariantID                  *int64               `json:"variant_id"`
	VariantInventoryManagement *string              `json:"variant_inventory_management"`
	VariantTitle               *string              `json:"variant_title"`
	Vendor                     *string              `json:"vendor"`
	TaxLines                   []TaxLine            `json:"tax_lines"`
	DiscountAllocations        []DiscountAllocation `json:"discount_allocations"`
}

// ShippingLine is the shipping method the buyer chose. Price is before shipping discounts,
// DiscountedPrice after them (what the buyer pays for shipping).
type ShippingLine struct {
	ID                            int64                `json:"id"`
	CarrierIdentifier             *string              `json:"carrier_identifier"`
	Code                          string               `json:"code"`
	DiscountedPrice               Money                `json:"discounted_price"`
	Phone                         *string              `json:"phone"`
	Price                         Money                `json:"price"`
	RequestedFulfillmentServiceID *string              `json:"requested_fulfillment_service_id"`
	Source                        string               `json:"source"`
	Title                         string               `json:"title"`
	TaxLines                      []TaxLine            `json:"tax_lines"`
	DiscountAllocations           []DiscountAllocation `json:"discount_allocations"`
}

// Address is a billing or shipping address.
type Address struct {
	FirstName    string  `json:"first_name"`
	LastName     string  `json:"last_name"`
	Name         string  `json:"name"`
	Company      *string `json:"company"`
	Address1     string  `json:"address1"`
	Address2     string  `json:"address2"`
	City         string  `json:"city"`
	Province     *string `json:"province"`
	ProvinceCode *string `json:"province_code"`
	Country      string  `json:"country"`
	CountryCode  string  `json:"country_code"`
	Zip          string  `json:"zip"`
	Phone        *string `json:"phone"`
}

// CustomerAddress is a customer's saved (default) address.
type CustomerAddress struct {
	ID         int64 `json:"id"`
	CustomerID int64 `json:"customer_id"`
	Address
	CountryName string `json:"country_name"`
	Default     bool   `json:"default"`
}

// MarketingConsent is a customer's e-mail or SMS marketing consent. OptInLevel is always null
// here: see Customer.
type MarketingConsent struct {
	State            string  `json:"state"`
	OptInLevel       *string `json:"opt_in_level"`
	ConsentUpdatedAt *string `json:"consent_updated_at"`
}

// Customer is the customer embedded in an order. It deliberately has no
// marketing_opt_in_level field: go-shopify v4.7.0 decodes it into a bool, so the string values
// older API versions sent break the decoding of the whole order.
type Customer struct {
	ID                    int64             `json:"id"`
	AdminGraphqlAPIID     string            `json:"admin_graphql_api_id"`
	Email                 string            `json:"email"`
	CreatedAt             string            `json:"created_at"`
	UpdatedAt             string            `json:"updated_at"`
	FirstName             string            `json:"first_name"`
	LastName              string            `json:"last_name"`
	State                 string            `json:"state"`
	Note                  *string           `json:"note"`
	VerifiedEmail         bool              `json:"verified_email"`
	TaxExempt             bool              `json:"tax_exempt"`
	Phone                 *string           `json:"phone"`
	Tags                  string            `json:"tags"`
	Currency              string            `json:"currency"`
	EmailMarketingConsent *MarketingConsent `json:"email_marketing_consent"`
	DefaultAddress        *CustomerAddress  `json:"default_address"`
}

// Transaction is a payment event on an order, as served by orders/{id}/transactions.json.
type Transaction struct {
	ID                int64  `json:"id"`
	AdminGraphqlAPIID string `json:"admin_graphql_api_id"`
	OrderID           int64  `json:"order_id"`
	// Kind is "authorization", "capture", "sale", "void" or "refund".
	Kind    string `json:"kind"`
	Gateway string `json:"gateway"`
	// Status is "pending", "success", "failure" or "error".
	Status               string          `json:"status"`
	Message              *string         `json:"message"`
	CreatedAt            string          `json:"created_at"`
	ProcessedAt          string          `json:"processed_at"`
	Test                 bool            `json:"test"`
	Authorization        *string         `json:"authorization"`
	LocationID           *int64          `json:"location_id"`
	UserID               *int64          `json:"user_id"`
	ParentID             *int64          `json:"parent_id"`
	DeviceID             *int64          `json:"device_id"`
	ErrorCode            *string         `json:"error_code"`
	SourceName           string          `json:"source_name"`
	Amount               Money           `json:"amount"`
	Currency             string          `json:"currency"`
	PaymentID            string          `json:"payment_id"`
	PaymentDetails       *PaymentDetails `json:"payment_details,omitempty"`
	ManualPaymentGateway bool            `json:"manual_payment_gateway"`
}

// PaymentDetails describes the card used for a card transaction.
type PaymentDetails struct {
	CreditCardBin     *string `json:"credit_card_bin"`
	CreditCardNumber  string  `json:"credit_card_number"`
	CreditCardCompany string  `json:"credit_card_company"`
	PaymentMethodName string  `json:"payment_method_name"`
}

// Refund is money (and possibly goods) returned on an order.
type Refund struct {
	ID                int64             `json:"id"`
	AdminGraphqlAPIID string            `json:"admin_graphql_api_id"`
	OrderID           int64             `json:"order_id"`
	CreatedAt         string            `json:"created_at"`
	ProcessedAt       string            `json:"processed_at"`
	Note              *string           `json:"note"`
	Restock           bool              `json:"restock"`
	UserID            *int64            `json:"user_id"`
	RefundLineItems   []RefundLineItem  `json:"refund_line_items"`
	Transactions      []Transaction     `json:"transactions"`
	OrderAdjustments  []OrderAdjustment `json:"order_adjustments"`
}

// RefundLineItem is the quantity of one line item a refund took back. Subtotal and TotalTax
// are JSON numbers in Shopify's payloads, unlike most money.
type RefundLineItem struct {
	ID         int64  `json:"id"`
	LineItemID int64  `json:"line_item_id"`
	LocationID *int64 `json:"location_id"`
	Quantity   int    `json:"quantity"`
	// RestockType is "no_restock", "cancel", "return" or "legacy_restock".
	RestockType string `json:"restock_type"`
	Subtotal    Number `json:"subtotal"`
	TotalTax    Number `json:"total_tax"`
}

// OrderAdjustment is a refunded amount not tied to a line item, such as refunded shipping.
// Amounts are negative, as in Shopify's payloads.
type OrderAdjustment struct {
	ID        int64  `json:"id"`
	OrderID   int64  `json:"order_id"`
	RefundID  int64  `json:"refund_id"`
	Amount    Money  `json:"amount"`
	TaxAmount Money  `json:"tax_amount"`
	Kind      string `json:"kind"`
	Reason    string `json:"reason"`
}

// CatalogItem is one product variant of a generated shop, as the simulator's products and
// inventory endpoints should serve it.
type CatalogItem struct {
	ProductID       int64
	VariantID       int64
	InventoryItemID int64
	ProductTitle    string
	// VariantTitle is "Default Title" for a product with a single variant, as in Shopify.
	VariantTitle string
	SKU          string
	Vendor       string
	Price        decimal.Decimal
	Grams        int
	// Tracked reports whether Shopify tracks the variant's stock (inventory_management "shopify").
	Tracked bool
	// GiftCard marks gift card products: never taxed, never stocked.
	GiftCard bool
	// Taxable is false for gift cards only.
	Taxable bool
	// RequiresShipping is false for digital goods and gift cards.
	RequiresShipping bool
}
