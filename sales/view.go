package sales

import (
	"time"

	"github.com/kassa-pos/kassa/money"
)

// SaleView is a sale in the JSON shape of DESIGN.md ("kassa sales show --json"); the
// list shape leaves out Lines and Payments. Money is a string with two decimals, times
// RFC 3339 in the outlet's time zone.
type SaleView struct {
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
	Customer *CustomerView  `json:"customer"`
	Lines    []LineView     `json:"lines,omitempty"`
	Payments *[]PaymentView `json:"payments,omitempty"`
	// Void is the sale's void, when it was voided (detail only).
	Void *SaleVoidView `json:"void,omitempty"`
	// Returns are the sale's return documents, -R1 first (detail only).
	Returns *[]ReturnView `json:"returns,omitempty"`
}

// SaleVoidView is the void of a sale in JSON.
type SaleVoidView struct {
	VoidedAt   string  `json:"voided_at"`
	Reason     string  `json:"reason"`
	RecordedBy string  `json:"recorded_by"`
	Token      *string `json:"token"`
}

// ReturnView is a return document in JSON: amounts are negative (what went back), but for
// an adjustment's lines that added goods (a channel's edit after the import).
type ReturnView struct {
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
	// Owed is how much the document changed what the buyer owes (a channel's change to an
	// unpaid order, a balance written off: negative; an edit adding goods: positive).
	Owed       string           `json:"owed"`
	Reason     string           `json:"reason"`
	RecordedBy string           `json:"recorded_by"`
	Token      *string          `json:"token"`
	Lines      []ReturnLineView `json:"lines"`
	Refunds    []RefundView     `json:"refunds"`
}

// ReturnLineView is a line of a return in JSON.
type ReturnLineView struct {
	SKU      string `json:"sku"`
	Name     string `json:"name"`
	Kind     string `json:"kind"`
	Quantity int    `json:"quantity"`
	Amount   string `json:"amount"`
	Tax      string `json:"tax"`
	Restock  bool   `json:"restock"`
}

// RefundView is a refund of a return in JSON.
type RefundView struct {
	Type       string `json:"type"`
	Amount     string `json:"amount"`
	RefundedAt string `json:"refunded_at"`
}

// View renders the return for JSON, its times in the time zone tz names.
func (r Return) View(tz string) ReturnView {
	loc, err := time.LoadLocation(tz)
	if err != nil {
		loc = time.UTC
	}
	v := ReturnView{
		ID: r.ID, ReceiptNumber: r.ReceiptNumber, SaleReceipt: r.SaleReceipt, Kind: r.Kind, Source: r.Source,
		Register: r.RegisterName, ReturnedAt: r.ReturnedAt.In(loc).Format(time.RFC3339),
		Subtotal: money.String(r.Subtotal), Shipping: money.String(r.Shipping), Tax: money.String(r.TaxTotal),
		Total: money.String(r.Total), Owed: money.String(r.Owed), Reason: r.Reason, RecordedBy: r.RecordedBy, Token: r.TokenName,
		Lines: make([]ReturnLineView, 0, len(r.Lines)), Refunds: make([]RefundView, 0, len(r.Refunds)),
	}
	for _, l := range r.Lines {
		v.Lines = append(v.Lines, ReturnLineView{SKU: l.SKU, Name: l.Title, Kind: l.Kind, Quantity: l.Quantity,
			Amount: money.String(l.Amount), Tax: money.String(l.Tax), Restock: l.Restock})
	}
	for _, f := range r.Refunds {
		v.Refunds = append(v.Refunds, RefundView{Type: f.TypeName, Amount: money.String(f.Amount), RefundedAt: f.RefundedAt.In(loc).Format(time.RFC3339)})
	}
	return v
}

// CustomerView is a sale's customer in JSON.
type CustomerView struct {
	Email string `json:"email"`
	Name  string `json:"name"`
}

// LineView is a sale line in JSON.
type LineView struct {
	SKU         string `json:"sku"`
	Name        string `json:"name"`
	Quantity    int    `json:"quantity"`
	UnitPrice   string `json:"unit_price"`
	Discount    string `json:"discount"`
	Tax         string `json:"tax"`
	Total       string `json:"total"`
	ShippingFee bool   `json:"shipping_fee"`
}

// PaymentView is a payment in JSON.
type PaymentView struct {
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
	Void *VoidView `json:"void"`
}

// VoidView is the void of a payment in JSON.
type VoidView struct {
	ID         int64   `json:"id"`
	VoidedAt   string  `json:"voided_at"`
	Reason     string  `json:"reason"`
	RecordedBy string  `json:"recorded_by"`
	Token      *string `json:"token"`
}

// View renders the sale for JSON; detail adds its lines and payments.
func (s Sale) View(detail bool) SaleView {
	loc, err := time.LoadLocation(s.OutletTZ)
	if err != nil {
		loc = time.UTC
	}
	v := SaleView{
		ID:            s.ID,
		ReceiptNumber: s.ReceiptNumber,
		Source:        s.Source,
		Outlet:        s.OutletName,
		Register:      s.RegisterName,
		SoldAt:        s.SoldAt.In(loc).Format(time.RFC3339),
		Status:        s.Status,
		Total:         money.String(s.Total),
		Tax:           money.String(s.TaxTotal),
		Paid:          money.String(s.Paid()),
		Balance:       money.String(s.Balance),
		Change:        money.String(s.ChangeGiven),
	}
	if s.CustomerID != nil {
		v.Customer = &CustomerView{Email: s.CustomerEmail, Name: s.CustomerName}
	}
	if !detail {
		return v
	}
	v.Lines = make([]LineView, 0, len(s.Lines))
	for _, l := range s.Lines {
		name := l.Title
		if l.VariantTitle != "" {
			name += " - " + l.VariantTitle
		}
		v.Lines = append(v.Lines, LineView{
			SKU: l.SKU, Name: name, Quantity: l.Quantity,
			UnitPrice: money.String(l.UnitPrice), Discount: money.String(l.Discount),
			Tax: money.String(l.Tax), Total: money.String(l.Total), ShippingFee: l.ShippingFee(),
		})
	}
	payments := make([]PaymentView, 0, len(s.Payments))
	for _, p := range s.Payments {
		pv := PaymentView{
			ID: p.ID, Type: p.TypeName, Amount: money.String(p.Amount),
			PaidAt: p.PaidAt.In(loc).Format(time.RFC3339), Register: p.RegisterName,
			Source: p.Source, RecordedBy: p.RecordedBy, Token: p.TokenName,
		}
		if v := p.Void; v != nil {
			pv.Void = &VoidView{ID: v.ID, VoidedAt: v.VoidedAt.In(loc).Format(time.RFC3339), Reason: v.Reason,
				RecordedBy: v.RecordedBy, Token: v.TokenName}
		}
		payments = append(payments, pv)
	}
	v.Payments = &payments
	if sv := s.Void; sv != nil {
		v.Void = &SaleVoidView{VoidedAt: sv.VoidedAt.In(loc).Format(time.RFC3339), Reason: sv.Reason, RecordedBy: sv.RecordedBy, Token: sv.TokenName}
	}
	returns := make([]ReturnView, 0, len(s.Returns))
	for _, r := range s.Returns {
		returns = append(returns, r.View(s.OutletTZ))
	}
	v.Returns = &returns
	return v
}
