package shopifyapi

import (
	"encoding/json"
	"errors"
	"time"

	"github.com/shopspring/decimal"

	"github.com/kassa-pos/kassa/sync/shopify/shopifyjson"
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
	// TotalOutstanding is what the customer still owes (e.g. a pending bank deposit); it is
	// negative when Shopify owes the customer a refund (after an edit took lines off a paid
	// order).
	TotalOutstanding decimal.Decimal
	// The current_* figures are the order as it stands after edits, refunds and returns;
	// HasCurrentTotals says whether the order carried them (current_total_price).
	CurrentTotalPrice     decimal.Decimal
	CurrentSubtotalPrice  decimal.Decimal
	CurrentTotalTax       decimal.Decimal
	CurrentTotalDiscounts decimal.Decimal
	HasCurrentTotals      bool
	TotalTipReceived      decimal.Decimal
	CurrentTotalDuties    decimal.Decimal // shop money of current_total_duties_set
	OriginalTotalDuties   decimal.Decimal // shop money of original_total_duties_set
	PaymentGatewayNames   []string
	Gateway               string // deprecated by Shopify; present in older payloads
	SourceName            string
	Tags                  string
	TaxLines              []TaxLine
	Customer              *Customer // nil when the order has no customer
	BillingAddress        *Address
	ShippingAddress       *Address
	LineItems             []LineItem
	ShippingLines         []ShippingLine
	// Refunds are the refunds Shopify recorded on the order, oldest first as Shopify lists
	// them.
	Refunds []Refund
	// DeliveryMethods are the delivery method types of the order's fulfillment orders
	// (GraphQL deliveryMethod.methodType: SHIPPING, PICK_UP, PICKUP_POINT, LOCAL, RETAIL,
	// NONE), in Shopify's words; nil when the shape does not say (a REST order or webhook
	// body), when the rules read pickup from the shipping lines and address instead (see
	// IsLocalPickup).
	DeliveryMethods []string
	// PickupLocation names the location of a pickup order when the shape says it; "" else.
	PickupLocation string
	// InventoryManagementKnown is set when the source says for every variant whether
	// Shopify tracks its stock (GraphQL always does: variant.inventoryItem.tracked), so
	// VariantInventoryManagement "" means untracked rather than unknown.
	InventoryManagementKnown bool
	// Shape is the form the order was read in: ShapeREST (REST, webhook bodies, files) or
	// ShapeGraphQL.
	Shape string

	// Raw holds the exact bytes the order was decoded from, for the import log.
	Raw json.RawMessage
	// DecodeErr is set by ListOrders on an order that could not be decoded; only ID, Name
	// and Raw are then meaningful (best effort), so that the importer can record a
	// failed outcome for that order alone.
	DecodeErr error
}

// The shapes an order is read in.
const (
	ShapeREST    = ""
	ShapeGraphQL = "graphql"
)

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
	ID           int64
	ProductID    int64 // 0 for custom items
	VariantID    int64 // 0 for custom items
	SKU          string
	Title        string
	VariantTitle string
	Name         string
	Quantity     int64
	// CurrentQuantity is the quantity less what edits removed and refunds took back
	// (current_quantity, GraphQL currentQuantity); HasCurrentQuantity says whether the line
	// carried it.
	CurrentQuantity            int64
	HasCurrentQuantity         bool
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

// Refund is money, and possibly goods, Shopify returned on an order (a REST refund: the
// elements of an order's "refunds", and the body of a refunds/create webhook).
type Refund struct {
	ID          int64
	OrderID     int64
	CreatedAt   time.Time
	ProcessedAt time.Time
	Note        string
	LineItems   []RefundLineItem
	// Transactions are the refund's money movements; only successful "refund" ones moved
	// money.
	Transactions []Transaction
	// Adjustments are refunded amounts not tied to a line (shipping_refund,
	// refund_discrepancy); Shopify writes them negative.
	Adjustments []OrderAdjustment
}

// RefundLineItem is the quantity of one line a refund took back and what Shopify did with
// the goods (RestockType: no_restock, cancel, return or legacy_restock).
type RefundLineItem struct {
	ID          int64
	LineItemID  int64
	LocationID  int64 // 0 when Shopify names none
	Quantity    int64
	RestockType string
	Subtotal    decimal.Decimal // what the quantity cost, after its discounts, before tax
	TotalTax    decimal.Decimal
}

// Restocked reports whether the goods went back into stock (restock_type return or
// cancel; legacy_restock as Shopify's older name for the same).
func (l RefundLineItem) Restocked() bool {
	switch l.RestockType {
	case "return", "cancel", "legacy_restock":
		return true
	}
	return false
}

// Transaction is a money movement on an order.
type Transaction struct {
	ID          int64
	Kind        string // authorization, capture, sale, void, refund
	Status      string // pending, success, failure, error
	Gateway     string
	Amount      decimal.Decimal
	ProcessedAt time.Time
	CreatedAt   time.Time
}

// OrderAdjustment is a refunded amount not tied to a line item; Amount and TaxAmount are
// negative as Shopify writes them.
type OrderAdjustment struct {
	ID        int64
	Kind      string // shipping_refund or refund_discrepancy
	Reason    string
	Amount    decimal.Decimal
	TaxAmount decimal.Decimal
}

// RefundedMoney is what the refund paid back: its successful refund transactions.
func (r Refund) RefundedMoney() decimal.Decimal {
	sum := decimal.Zero
	for _, t := range r.Transactions {
		if t.Kind == "refund" && t.Status == "success" {
			sum = sum.Add(t.Amount)
		}
	}
	return sum
}

// FieldError reports a value DecodeOrder could not read, naming the field by its path in
// the order (for example "line_items[2].price").
type FieldError struct {
	Field string
	Err   error
}

// Error implements error.
func (e *FieldError) Error() string {
	if e.Field == "" {
		return "order: " + e.Err.Error()
	}
	return "order field " + e.Field + ": " + e.Err.Error()
}

// Unwrap returns the underlying error.
func (e *FieldError) Unwrap() error { return e.Err }

// DecodeOrder decodes one order object (the value of "order", an element of "orders", or a
// webhook body). It is deliberately lenient: money may be a JSON string or number; ids may
// be numbers, numeric strings or gid:// ids; timestamps are RFC 3339 and a timestamp
// without an offset is read as UTC; null means the zero value; line-item properties may be
// an array or an object; an empty {} stands for an empty list and an empty [] for no
// object; keys match as encoding/json matches them; unknown fields are ignored whatever
// their type (see package shopifyjson for each rule). A value of the wrong kind in a field
// kassa reads is an error that names the field (a *FieldError): the first such field in
// the document. On error the returned Order still carries ID, Name and Raw when they could
// be read.
func DecodeOrder(raw []byte) (Order, error) {
	return decodeOwnedOrder(append(json.RawMessage(nil), raw...))
}

// decodeOwnedOrder is DecodeOrder for bytes that the order may keep as its Raw: no one
// else writes to them (ListOrders' slices of a page's body). The single pass (decodeFast)
// reads almost every order; what it does not read exactly as the reference decoder would,
// it leaves to it.
func decodeOwnedOrder(raw []byte) (Order, error) {
	if o, ok := decodeFast(raw); ok {
		return o, nil
	}
	return decodeReference(raw)
}

// decodeReference decodes an order with encoding/json into its REST shape (restOrder),
// whose leaves are shopifyjson's lenient values: the decoder that defines what DecodeOrder
// answers, and the one that names the field in error.
func decodeReference(raw []byte) (Order, error) {
	var r restOrder
	if err := shopifyjson.Decode(raw, &r); err != nil {
		return failedOrder(raw, err)
	}
	o := r.order()
	o.Raw = raw
	return o, nil
}

// failedOrder is the order raw could not be decoded into: its ID and Name as far as they
// can be read, so that the import log can name it, its Raw, and err as a *FieldError.
func failedOrder(raw []byte, err error) (Order, error) {
	o := Order{Raw: raw}
	var head struct {
		ID   json.RawMessage `json:"id"`
		Name json.RawMessage `json:"name"`
	}
	if json.Unmarshal(raw, &head) == nil {
		var id shopifyjson.ID
		if id.UnmarshalJSON(head.ID) == nil {
			o.ID = int64(id)
		}
		var name shopifyjson.Text
		if name.UnmarshalJSON(head.Name) == nil {
			o.Name = string(name)
		}
	}
	fe := &FieldError{Err: err}
	var ve *shopifyjson.ValueError
	if errors.As(err, &ve) {
		fe.Field, fe.Err = ve.Path, ve.Err
	}
	return o, fe
}
