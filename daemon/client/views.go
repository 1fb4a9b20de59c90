package client

// The API's views of sales, stock, reports and import counts. They are the client's own
// types, plain data with the JSON shape the command line's --json prints too (the daemon
// converts the domain's values to them, and a test of the daemon checks that both encode
// to the same bytes), so that a front-end built on this package carries nothing of the
// domain, its database driver or its Shopify client. Money is a string with two decimals
// ("66.49"); times are RFC 3339 in the outlet's time zone.

// Sale is a sale as "kassa sales show --json" prints it; lists leave out its lines and
// payments.
type Sale struct {
	// ID is the sale's id: what a screen that shows one sale acts on.
	ID            int64  `json:"id"`
	ReceiptNumber string `json:"receipt_number"`
	Source        string `json:"source"`
	Outlet        string `json:"outlet"`
	Register      string `json:"register"`
	SoldAt        string `json:"sold_at"`
	Status        string `json:"status"`
	Total         string `json:"total"`
	Tax           string `json:"tax"`
	Paid          string `json:"paid"`
	Balance       string `json:"balance"`
	// Change is the change handed back from cash ("0.00" when none).
	Change   string         `json:"change"`
	Customer *SaleCustomer  `json:"customer"`
	Lines    []SaleLine     `json:"lines,omitempty"`
	Payments *[]SalePayment `json:"payments,omitempty"`
	// Void is the sale's void, when it was voided; Returns its return documents (detail only).
	Void    *SaleVoid `json:"void,omitempty"`
	Returns *[]Return `json:"returns,omitempty"`
}

// SaleVoid is the void of a sale rung up by mistake.
type SaleVoid struct {
	VoidedAt   string  `json:"voided_at"`
	Reason     string  `json:"reason"`
	RecordedBy string  `json:"recorded_by"`
	Token      *string `json:"token"`
}

// Return is a return document of a sale: amounts are negative (what went back).
type Return struct {
	ID            int64  `json:"id"`
	ReceiptNumber string `json:"receipt_number"`
	SaleReceipt   string `json:"sale_receipt"`
	Kind          string `json:"kind"`
	Source        string `json:"source"`
	Register      string `json:"register"`
	ReturnedAt    string `json:"returned_at"`
	Subtotal      string `json:"subtotal"`
	Shipping      string `json:"shipping"`
	Tax           string `json:"tax"`
	Total         string `json:"total"`
	// Owed is how much the document lowered what the buyer owes: "0.00" or negative.
	Owed       string       `json:"owed"`
	Reason     string       `json:"reason"`
	RecordedBy string       `json:"recorded_by"`
	Token      *string      `json:"token"`
	Lines      []ReturnLine `json:"lines"`
	Refunds    []Refund     `json:"refunds"`
}

// ReturnLine is a line of a return.
type ReturnLine struct {
	SKU      string `json:"sku"`
	Name     string `json:"name"`
	Kind     string `json:"kind"`
	Quantity int    `json:"quantity"`
	Amount   string `json:"amount"`
	Tax      string `json:"tax"`
	Restock  bool   `json:"restock"`
}

// Refund is money given back for a return, by payment type.
type Refund struct {
	Type       string `json:"type"`
	Amount     string `json:"amount"`
	RefundedAt string `json:"refunded_at"`
}

// SaleCustomer is a sale's customer.
type SaleCustomer struct {
	Email string `json:"email"`
	Name  string `json:"name"`
}

// SaleLine is a line of a sale; ShippingFee marks the line of a Shopify order's shipping.
type SaleLine struct {
	SKU         string `json:"sku"`
	Name        string `json:"name"`
	Quantity    int    `json:"quantity"`
	UnitPrice   string `json:"unit_price"`
	Discount    string `json:"discount"`
	Tax         string `json:"tax"`
	Total       string `json:"total"`
	ShippingFee bool   `json:"shipping_fee"`
}

// SalePayment is a payment of a sale, with its id and, when it was voided, its void.
type SalePayment struct {
	// ID names the payment (to void it, for one).
	ID       int64  `json:"id"`
	Type     string `json:"type"`
	Amount   string `json:"amount"`
	PaidAt   string `json:"paid_at"`
	Register string `json:"register"`
	// Source is pos for a payment taken at a register, shopify for one Shopify collected.
	Source string `json:"source"`
	// RecordedBy is the staff member who took it; Token the name of the API token it was
	// recorded with, null on the command line (and for a Shopify import).
	RecordedBy string  `json:"recorded_by"`
	Token      *string `json:"token"`
	// Void is the payment's void: null unless it was voided. A voided payment does not
	// count towards what is paid.
	Void *PaymentVoid `json:"void"`
}

// PaymentVoid is the void of a payment of a sale.
type PaymentVoid struct {
	ID         int64   `json:"id"`
	VoidedAt   string  `json:"voided_at"`
	Reason     string  `json:"reason"`
	RecordedBy string  `json:"recorded_by"`
	Token      *string `json:"token"`
}

// StockRow is a product's stock at an outlet, as "kassa stock list --json" prints it.
type StockRow struct {
	SKU          string `json:"sku"`
	Name         string `json:"name"`
	VariantTitle string `json:"variant_title"`
	OnHand       int    `json:"on_hand"`
	Published    bool   `json:"published"`
	TracksStock  bool   `json:"tracks_stock"`
}

// ClosingReport is a register session's closing report, or its X-report while it is
// open (ClosedAt and ZNumber are then null).
type ClosingReport struct {
	SessionID int64 `json:"session_id"`
	// ZNumber is the close's number at its register (1, 2, 3... without a gap).
	ZNumber  *int   `json:"z_number"`
	Register string `json:"register"`
	Outlet   string `json:"outlet"`
	Timezone string `json:"timezone"`
	Currency string `json:"currency"`
	OpenedAt string `json:"opened_at"`
	// OpenedBy and ClosedBy are the staff members who opened and closed the session;
	// OpenedToken and ClosedToken name the API tokens they did it with, null when it was
	// done on the command line.
	OpenedBy     string  `json:"opened_by"`
	OpenedToken  *string `json:"opened_token"`
	ClosedAt     *string `json:"closed_at"`
	ClosedBy     *string `json:"closed_by"`
	ClosedToken  *string `json:"closed_token"`
	OpeningFloat string  `json:"opening_float"`
	// Payments has one entry per payment type taken in the session, counted at close, or
	// holding the opening float (cash).
	Payments        []TypeFigures   `json:"payments"`
	SalesCount      int             `json:"sales_count"`
	SalesTotal      string          `json:"sales_total"`
	ShopifyOrders   int             `json:"shopify_orders"`
	ShippingFees    string          `json:"shipping_fees"`
	AppliedPayments []AppliedFigure `json:"applied_payments"`
	// Voids are the session's payments that were voided, each with its void.
	Voids []VoidFigure `json:"voids"`
	Taxes []TaxFigure  `json:"taxes"`
	// AwaitingPaymentTotal is the outlet's total of balances still owed, over all its
	// sales, at the close (now, for an open session); AwaitingPaymentCount counts them.
	AwaitingPaymentTotal string `json:"awaiting_payment_total"`
	AwaitingPaymentCount int    `json:"awaiting_payment_count"`
	// ShopifyTotal totals the session's Shopify orders (ShopifyOrders counts them).
	ShopifyTotal string `json:"shopify_orders_total"`
	// The counter: in-store sales (voided ones left out), returns with their refunds,
	// voided sales, cash paid in and taken out.
	InStoreCount  int                `json:"in_store_sales_count"`
	InStoreTotal  string             `json:"in_store_sales_total"`
	Returns       []ReturnFigure     `json:"returns"`
	ReturnsTotal  string             `json:"returns_total"`
	VoidedSales   []VoidedSaleFigure `json:"voided_sales"`
	CashMovements []CashFigure       `json:"cash_movements"`
	CashIn        string             `json:"cash_in"`
	CashOut       string             `json:"cash_out"`
	// Hourly is the session's sales per hour of the outlet's clock, the hours with a sale
	// only.
	Hourly []HourFigure `json:"hourly"`
	// Adjustments and WriteOffs count the documents of those kinds among Returns.
	Adjustments DocumentFigure `json:"adjustments"`
	WriteOffs   DocumentFigure `json:"write_offs"`
}

// DocumentFigure counts documents of one kind and totals them.
type DocumentFigure struct {
	Count int    `json:"count"`
	Total string `json:"total"`
}

// ReturnFigure is a return a session took. Total and the refunds are negative.
type ReturnFigure struct {
	ReceiptNumber string         `json:"receipt_number"`
	SaleReceipt   string         `json:"sale_receipt"`
	Kind          string         `json:"kind"`
	Total         string         `json:"total"`
	ReturnedAt    string         `json:"returned_at"`
	RecordedBy    string         `json:"recorded_by"`
	Token         *string        `json:"token"`
	Refunds       []RefundFigure `json:"refunds"`
}

// RefundFigure is money given back by one payment type.
type RefundFigure struct {
	Type   string `json:"type"`
	Amount string `json:"amount"`
}

// VoidedSaleFigure is a counter sale voided in a session.
type VoidedSaleFigure struct {
	ReceiptNumber string  `json:"receipt_number"`
	Total         string  `json:"total"`
	VoidedAt      string  `json:"voided_at"`
	VoidedBy      string  `json:"voided_by"`
	Token         *string `json:"token"`
	Reason        string  `json:"reason"`
}

// CashFigure is cash paid in ("in") or taken out ("out") of a drawer.
type CashFigure struct {
	Kind       string  `json:"kind"`
	Amount     string  `json:"amount"`
	Reason     string  `json:"reason"`
	MovedAt    string  `json:"moved_at"`
	RecordedBy string  `json:"recorded_by"`
	Token      *string `json:"token"`
}

// HourFigure is the sales sold in one hour of the outlet's clock, in store (pos) and
// from Shopify; From is the start of the hour.
type HourFigure struct {
	From         string `json:"from"`
	POSCount     int    `json:"pos_count"`
	POSTotal     string `json:"pos_total"`
	ShopifyCount int    `json:"shopify_count"`
	ShopifyTotal string `json:"shopify_total"`
}

// TypeFigures is what a session expected and what staff counted for one payment type.
// Counted and Difference are null when staff did not count the type at close.
type TypeFigures struct {
	Type       string  `json:"type"`
	Expected   string  `json:"expected"`
	Counted    *string `json:"counted"`
	Difference *string `json:"difference"`
	// Taken is what the session's payments of the type took, without the opening float.
	Taken string `json:"taken"`
}

// AppliedFigure is a payment taken in the session for a sale recorded earlier.
type AppliedFigure struct {
	ReceiptNumber string `json:"receipt_number"`
	Type          string `json:"type"`
	Amount        string `json:"amount"`
	PaidAt        string `json:"paid_at"`
	PaymentID     int64  `json:"payment_id"`
	// RecordedBy is the staff member who took it; Token the API token it came with (null:
	// the command line).
	RecordedBy string  `json:"recorded_by"`
	Token      *string `json:"token"`
	// Voided is true when the payment was voided (it is listed in Voids too).
	Voided bool `json:"voided"`
}

// VoidFigure is a payment of the session that was voided, and its void, which takes the
// amount back (VoidedAmount, negative).
type VoidFigure struct {
	PaymentID     int64   `json:"payment_id"`
	ReceiptNumber string  `json:"receipt_number"`
	Type          string  `json:"type"`
	Amount        string  `json:"amount"`
	PaidAt        string  `json:"paid_at"`
	RecordedBy    string  `json:"recorded_by"`
	Token         *string `json:"token"`
	VoidedAmount  string  `json:"voided_amount"`
	VoidedAt      string  `json:"voided_at"`
	VoidedBy      string  `json:"voided_by"`
	VoidToken     *string `json:"void_token"`
	Reason        string  `json:"reason"`
}

// TaxFigure is the tax collected at one rate. Rate is a percentage ("21", "5.5").
type TaxFigure struct {
	Rate   string `json:"rate"`
	Amount string `json:"amount"`
}

// NightlyReport is an outlet's report of one local calendar day, from local midnight to
// the next local midnight in the outlet's time zone.
type NightlyReport struct {
	Outlet      string `json:"outlet"`
	Day         string `json:"day"`
	Timezone    string `json:"timezone"`
	Currency    string `json:"currency"`
	From        string `json:"from"`
	To          string `json:"to"`
	GeneratedAt string `json:"generated_at"`
	// Sessions are the outlet's register sessions open at any moment of the day, with
	// their closing figures, by opening time.
	Sessions []ClosingReport `json:"sessions"`
	// OpenSessions are the sessions still open at the end of the day.
	OpenSessions []OpenSession `json:"open_sessions"`
	// Payments totals the day's payments per payment type, voided ones left out.
	Payments []TypeTotal `json:"payments"`
	// Sales totals the day's sales per source, pos and shopify.
	Sales        []SourceTotal `json:"sales"`
	ShippingFees string        `json:"shipping_fees"`
	// NegativeStock lists the products whose stock went below zero during the day.
	NegativeStock []NegativeStock `json:"negative_stock"`
	// AwaitingPayment lists the oldest of the outlet's sales that still owe a balance
	// (at most 200), oldest first; AwaitingPaymentCount and AwaitingPaymentTotal count and
	// total them all.
	AwaitingPayment      []AwaitingSale `json:"awaiting_payment"`
	AwaitingPaymentCount int            `json:"awaiting_payment_count"`
	AwaitingPaymentTotal string         `json:"awaiting_payment_total"`
	// ImportFailures lists the Shopify orders that failed to import during the day.
	ImportFailures []ImportFailure `json:"import_failures"`
	// OrderChanges lists the imported orders that changed in Shopify during the day.
	OrderChanges []OrderChange `json:"order_changes"`
	// ExpiringFailures lists the orders that failed to import and leave Shopify's 60-day
	// window within 7 days.
	ExpiringFailures []ExpiringFailure `json:"expiring_failures"`
	// Reconciliations are the nightly reconciliations of the outlet's shops that ran during
	// the day, each with its count of differences and its first ones (at most 10); a
	// report stored by an older kassa has none.
	Reconciliations []Reconciliation `json:"reconciliations"`
	// Returns by source (pos, shopify), the voided counter sales, cash in and out, and the
	// day's taxes per rate (sales less returns).
	Returns          []SourceTotal `json:"returns"`
	VoidedSalesCount int           `json:"voided_sales_count"`
	VoidedSalesTotal string        `json:"voided_sales_total"`
	CashIn           string        `json:"cash_in"`
	CashOut          string        `json:"cash_out"`
	Taxes            []TaxFigure   `json:"taxes"`
	// Hourly is the outlet's sales per hour of the day, every hour of it; a report stored
	// by an older kassa has none.
	Hourly []HourFigure `json:"hourly"`
	// StockCorrections lists the products whose Shopify quantity the drift check set to
	// the outlet's level.
	StockCorrections []StockCorrection `json:"stock_corrections,omitempty"`
}

// ExpiringFailure is an order that failed to import and leaves Shopify's window soon.
type ExpiringFailure struct {
	OrderName      string `json:"order_name"`
	ShopifyOrderID int64  `json:"shopify_order_id"`
	Reason         string `json:"reason"`
	AgeDays        int    `json:"age_days"`
	LeavesAt       string `json:"leaves_at"`
}

// Reconciliation is a nightly reconciliation of one shop: when it ran, the orders it
// compared (created in [WindowFrom, WindowTo)), how many differed, whether they were
// recorded (Fixed, by import run RunID), why it failed (Error) and the first differences.
type Reconciliation struct {
	Shop             string                `json:"shop"`
	At               string                `json:"at"`
	WindowFrom       string                `json:"window_from"`
	WindowTo         string                `json:"window_to"`
	Orders           int                   `json:"orders"`
	Differences      int                   `json:"differences"`
	Fixed            bool                  `json:"fixed"`
	RunID            *int64                `json:"run_id"`
	Error            string                `json:"error"`
	FirstDifferences []ReconcileDifference `json:"first_differences"`
}

// ReconcileDifference is an order a reconciliation found different, with the reasons.
type ReconcileDifference struct {
	OrderName      string   `json:"order_name"`
	ShopifyOrderID int64    `json:"shopify_order_id"`
	Reasons        []string `json:"reasons"`
}

// StockCorrection is a product whose quantity in a shop was set to the outlet's level.
type StockCorrection struct {
	Shop          string `json:"shop"`
	SKU           string `json:"sku"`
	Name          string `json:"name"`
	Level         int    `json:"kassa_level"`
	ShopAvailable *int   `json:"shop_available"`
	At            string `json:"at"`
}

// OpenSession is a session that was not closed by the end of the day.
type OpenSession struct {
	SessionID int64  `json:"session_id"`
	Register  string `json:"register"`
	OpenedAt  string `json:"opened_at"`
	OpenedBy  string `json:"opened_by"`
}

// TypeTotal is the money taken with one payment type.
type TypeTotal struct {
	Type   string `json:"type"`
	Count  int    `json:"count"`
	Amount string `json:"amount"`
}

// SourceTotal is the sales from one source: pos (in store) or shopify.
type SourceTotal struct {
	Source string `json:"source"`
	Count  int    `json:"count"`
	Total  string `json:"total"`
}

// NegativeStock is a product whose stock went below zero during the day.
type NegativeStock struct {
	SKU      string `json:"sku"`
	Name     string `json:"name"`
	Lowest   int    `json:"lowest"`
	EndOfDay int    `json:"end_of_day"`
}

// AwaitingSale is a sale that still owes a balance; AgeDays counts calendar days from
// the day it was sold to the report's day.
type AwaitingSale struct {
	ReceiptNumber string `json:"receipt_number"`
	Source        string `json:"source"`
	SoldAt        string `json:"sold_at"`
	Total         string `json:"total"`
	Balance       string `json:"balance"`
	AgeDays       int    `json:"age_days"`
}

// ImportFailure is an order that could not be imported; Resolved is true when a later
// run imported it after all.
type ImportFailure struct {
	OrderName      string `json:"order_name"`
	ShopifyOrderID int64  `json:"shopify_order_id"`
	Reason         string `json:"reason"`
	At             string `json:"at"`
	Resolved       bool   `json:"resolved"`
}

// OrderChange is an imported order that changed in Shopify: Outcome "updated" (the change
// was recorded against its sale) or "needs_review" (Reason says what differs).
type OrderChange struct {
	OrderName      string `json:"order_name"`
	ShopifyOrderID int64  `json:"shopify_order_id"`
	Outcome        string `json:"outcome"`
	Reason         string `json:"reason"`
	At             string `json:"at"`
}

// Counts is how many orders of an import run ended in each outcome; every key is
// present, zero or not.
type Counts struct {
	Imported         int `json:"imported"`
	AlreadyImported  int `json:"already_imported"`
	TooOld           int `json:"too_old"`
	NoShippingMethod int `json:"no_shipping_method"`
	TestOrder        int `json:"test_order"`
	Cancelled        int `json:"cancelled"`
	Failed           int `json:"failed"`
	// Updated counts imported orders whose change in Shopify was recorded; NeedsReview
	// those changed in a way kassa cannot express.
	Updated     int `json:"updated"`
	NeedsReview int `json:"needs_review"`
}
