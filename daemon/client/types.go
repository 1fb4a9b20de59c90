package client

import "time"

// Me is the caller's token.
type Me struct {
	Name string `json:"name"`
	Role string `json:"role"`
}

// Outlet is a physical shop.
type Outlet struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	Timezone string `json:"timezone"`
	Currency string `json:"currency"`
	// Archived is set in the answer of archiving it; lists hold live outlets only.
	Archived bool `json:"archived,omitempty"`
}

// Session is a register session. Money is a string with two decimals; times are RFC 3339
// with the outlet's offset.
type Session struct {
	ID           int64   `json:"id"`
	OpenedAt     string  `json:"opened_at"`
	OpenedBy     string  `json:"opened_by"`
	OpeningFloat string  `json:"opening_float"`
	ClosedAt     *string `json:"closed_at"`
	ClosedBy     *string `json:"closed_by"`
	// ZNumber is the close's number at its register (1, 2, 3...); null while open.
	ZNumber *int `json:"z_number"`
}

// PaymentType is a way of paying that registers take.
type PaymentType struct {
	Name string `json:"name"`
	// Counted is true for a type whose money sits in the drawer and is counted at close
	// (cash).
	Counted bool `json:"counted"`
}

// Register is a till with its open session, if any.
type Register struct {
	ID      int64    `json:"id"`
	Name    string   `json:"name"`
	Outlet  string   `json:"outlet"`
	Open    bool     `json:"open"`
	Session *Session `json:"session"`
	// Archived is set for an archived register (found by id or by a name no live register
	// has); lists hold live registers only.
	Archived bool `json:"archived,omitempty"`
}

// OpenRequest opens a register session.
type OpenRequest struct {
	// OpeningFloat is the cash in the drawer at opening, e.g. "150.00".
	OpeningFloat string `json:"opening_float"`
	// By is the staff member who opens it; default: the token's name. It is recorded next
	// to the token, which is recorded too.
	By string `json:"by,omitempty"`
}

// CountInput is what staff counted for one payment type at close.
type CountInput struct {
	Type    string `json:"type"`
	Counted string `json:"counted"`
}

// CloseRequest closes a register session.
type CloseRequest struct {
	Counts []CountInput `json:"counts"`
	// By is the staff member who closes it; default: the token's name. It is recorded next
	// to the token.
	By string `json:"by,omitempty"`
}

// PaymentRequest applies a payment to a sale's balance at a register.
type PaymentRequest struct {
	// Register is the register's id or name ("Front", "Gent/Front").
	Register string `json:"register"`
	// Receipt is the sale's receipt number, e.g. "#1002".
	Receipt string `json:"receipt,omitempty"`
	// SaleID is the sale's id (Sale.ID). A caller that shows staff one sale sends it, so
	// that exactly that sale is paid; with Receipt too, both must name the same sale.
	SaleID int64 `json:"sale_id,omitempty"`
	// PaymentType is a payment type's name, e.g. "Bank deposit".
	PaymentType string `json:"payment_type"`
	// Amount is e.g. "15.50"; empty means the whole balance.
	Amount string `json:"amount,omitempty"`
	// PaidAt is when the money was received (RFC 3339); empty means now.
	PaidAt string `json:"paid_at,omitempty"`
	// By is the staff member who took it; default: the token's name. It is recorded next
	// to the token.
	By string `json:"by,omitempty"`
}

// Payment is a payment the register took, with the sale's balance after it.
type Payment struct {
	PaymentID     int64  `json:"payment_id"`
	SessionID     int64  `json:"session_id"`
	Receipt       string `json:"receipt_number"`
	Register      string `json:"register"`
	Type          string `json:"type"`
	Amount        string `json:"amount"`
	PaidAt        string `json:"paid_at"`
	BalanceBefore string `json:"balance_before"`
	Balance       string `json:"balance"`
	Status        string `json:"status"`
	SaleTotal     string `json:"sale_total"`
	RecordedBy    string `json:"recorded_by"`
	// Token is the name of the API token the payment was recorded with.
	Token *string `json:"token"`
}

// VoidRequest takes back a payment recorded in error, while the register session that
// took it is still open.
type VoidRequest struct {
	// Reason says why; it is printed in the closing report.
	Reason string `json:"reason"`
	// Receipt, when given, is the sale the caller means: a payment of another sale is not
	// voided.
	Receipt string `json:"receipt,omitempty"`
	// By is the staff member voiding it; default: the token's name. It is recorded next to
	// the token.
	By string `json:"by,omitempty"`
}

// Void is a voided payment, with the sale's balance after the void.
type Void struct {
	VoidID        int64   `json:"void_id"`
	PaymentID     int64   `json:"payment_id"`
	SessionID     int64   `json:"session_id"`
	Receipt       string  `json:"receipt_number"`
	Register      string  `json:"register"`
	Type          string  `json:"type"`
	Amount        string  `json:"amount"`
	PaidAt        string  `json:"paid_at"`
	VoidedAt      string  `json:"voided_at"`
	Reason        string  `json:"reason"`
	RecordedBy    string  `json:"recorded_by"`
	Token         *string `json:"token"`
	BalanceBefore string  `json:"balance_before"`
	Balance       string  `json:"balance"`
	Status        string  `json:"status"`
	SaleTotal     string  `json:"sale_total"`
}

// SalesQuery filters the sales history. Zero fields select everything.
type SalesQuery struct {
	Outlet          string
	Source          string // pos or shopify
	AwaitingPayment bool
	// From and To are dates (2026-11-24, in the outlet's time zone) or RFC 3339 times; To
	// is inclusive for a date.
	From, To string
	// Search matches the start of a receipt number or part of a customer's e-mail or name.
	Search string
	Limit  int
	Offset int
}

// ImportRequest starts an import run.
type ImportRequest struct {
	// Shop names the connection; empty means the only one.
	Shop string `json:"shop,omitempty"`
	// Mode is "all" (Get all Shopify orders), "new" (Get new) or "retry" (retry failed).
	Mode string `json:"mode"`
}

// ImportRun is an import run, running or ended, with its progress.
type ImportRun struct {
	RunID      int64      `json:"run_id"`
	Shop       string     `json:"shop"`
	Mode       string     `json:"mode"`
	Trigger    string     `json:"trigger"`
	Status     string     `json:"status"` // running, finished, failed or cancelled
	StartedAt  time.Time  `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at"`
	// Total is the number of orders Shopify counted for the run; 0 when unknown.
	Total    int    `json:"total"`
	Seen     int    `json:"seen"`
	Outcomes Counts `json:"outcomes"`
	Error    string `json:"error"`
}

// Outcome is what became of one order in an import run.
type Outcome struct {
	ShopifyOrderID int64     `json:"shopify_order_id"`
	OrderName      string    `json:"order_name"`
	Outcome        string    `json:"outcome"`
	Reason         string    `json:"reason"`
	ReceiptNumber  *string   `json:"receipt_number"`
	At             time.Time `json:"at"`
}

// Connection is a Shopify connection, without its secrets.
type Connection struct {
	ID            int64  `json:"id"`
	Shop          string `json:"shop"`
	Outlet        string `json:"outlet"`
	Register      string `json:"register"`
	Enabled       bool   `json:"enabled"`
	AutoUpdate    bool   `json:"auto_update"`
	PollSeconds   int64  `json:"poll_seconds"`
	NewestOrderID int64  `json:"newest_order_id"`
}

// NightlyRequest generates (again) an outlet's nightly report.
type NightlyRequest struct {
	Outlet string `json:"outlet,omitempty"`
	// Date is the local calendar day, e.g. "2026-11-24".
	Date string `json:"date"`
}

// ErrorBody is the body of every error answer.
type ErrorBody struct {
	Error string `json:"error"`
}

// SellRequest rings up a counter sale at a register with an open session.
type SellRequest struct {
	Lines []SellLine `json:"lines"`
	// Discount is taken off the whole sale: "5.00" or "10%".
	Discount string `json:"discount,omitempty"`
	// Payments are the tenders handed over; an empty amount takes the rest. Cash over the
	// total is change.
	Payments []Tender `json:"payments"`
	// PayLater lets the payments fall short of the total: the rest stays owed.
	PayLater      bool   `json:"pay_later,omitempty"`
	CustomerEmail string `json:"customer_email,omitempty"`
	CustomerName  string `json:"customer_name,omitempty"`
	Note          string `json:"note,omitempty"`
	By            string `json:"by,omitempty"`
}

// SellLine is a product by barcode or SKU, a quantity and an optional discount ("2.00" or
// "10%").
type SellLine struct {
	Code     string `json:"code"`
	Quantity int    `json:"quantity"`
	Discount string `json:"discount,omitempty"`
}

// Tender is money by one payment type; an empty amount is the rest.
type Tender struct {
	Type   string `json:"type"`
	Amount string `json:"amount,omitempty"`
}

// ReturnRequest takes a return of a sale at a register with an open session.
type ReturnRequest struct {
	Register string       `json:"register"`
	Lines    []ReturnItem `json:"lines"`
	Refunds  []Tender     `json:"refunds"`
	Reason   string       `json:"reason,omitempty"`
	By       string       `json:"by,omitempty"`
}

// ReturnItem is a product given back by barcode or SKU, how many, and whether it goes back
// to stock.
type ReturnItem struct {
	Code     string `json:"code"`
	Quantity int    `json:"quantity"`
	Restock  bool   `json:"restock,omitempty"`
}

// SaleVoidRequest voids a counter sale of the open session: a cashier token its own sales
// only, a manager token any.
type SaleVoidRequest struct {
	Reason string `json:"reason"`
	By     string `json:"by,omitempty"`
}

// CashRequest pays cash into the drawer or takes it out.
type CashRequest struct {
	Kind   string `json:"kind"` // "in" or "out"
	Amount string `json:"amount"`
	Reason string `json:"reason"`
	By     string `json:"by,omitempty"`
}

// CashMovement is cash paid in or taken out of a register's drawer.
type CashMovement struct {
	ID         int64   `json:"id"`
	Register   string  `json:"register"`
	SessionID  int64   `json:"session_id"`
	Kind       string  `json:"kind"`
	Amount     string  `json:"amount"`
	Reason     string  `json:"reason"`
	MovedAt    string  `json:"moved_at"`
	RecordedBy string  `json:"recorded_by"`
	Token      *string `json:"token"`
}

// Product is a product as the register sells it.
type Product struct {
	SKU          string  `json:"sku"`
	Barcode      string  `json:"barcode"`
	Name         string  `json:"name"`
	VariantTitle string  `json:"variant_title"`
	Price        string  `json:"price"`
	TaxRate      *string `json:"tax_rate"`
	TracksStock  bool    `json:"tracks_stock"`
	Published    bool    `json:"published"`
}

// Quote is a sale priced as it would be rung up, nothing recorded: the lines with their
// discounts and taxes, and the totals.
type Quote struct {
	Lines    []SaleLine `json:"lines"`
	Subtotal string     `json:"subtotal"`
	Discount string     `json:"discount"`
	Tax      string     `json:"tax"`
	Total    string     `json:"total"`
}
