package shopdata

import (
	"strconv"
	"time"

	"github.com/shopspring/decimal"
)

// manualGateways are payment methods the merchant settles outside Shopify; their
// transactions carry manual_payment_gateway: true.
func isManualGateway(gateway string) bool {
	return gateway == "Bank Deposit" || gateway == "manual" || gateway == "Cash on Delivery (COD)"
}

// byID picks one of n choices from an id, for details that must be reproducible from the
// order alone.
func byID(id int64, n int) int { return int(uint64(id) % uint64(n)) }

// giftCardPortion is how much of a paid order split between a gift card and a card the gift
// card covered: 10, 25 or 50, at most half the total. It is derived from the order id so that
// Transactions can reproduce it from the order alone.
func giftCardPortion(o Order) decimal.Decimal {
	choice := []int64{10, 25, 50}[byID(o.ID, 3)]
	half := o.TotalPrice.Div(decimal.NewFromInt(2)).Round(2)
	return decimal.Min(decimal.NewFromInt(choice), half)
}

// transactionsFor returns the transactions consistent with o, derived from the order alone:
//   - pending: one pending sale for the total on the manual gateway (bank deposit);
//   - authorized: one successful authorization for the total;
//   - partially_paid: a successful sale on the first gateway for what was collected, and a
//     pending sale on the second for what is outstanding;
//   - paid: one successful sale, or (three card orders in ten) an authorization followed by
//     a capture; a gift card + card order has a gift card sale and a card sale;
//   - refunded: the paid transactions plus one refund per payment at cancelled_at;
//   - voided: the authorization (or pending sale) plus a void at cancelled_at.
//
// Successful sales and captures, minus refunds, add up to total_price − total_outstanding.
func transactionsFor(o Order, loc *time.Location) []Transaction {
	processed, err := ParseTime(o.ProcessedAt)
	if err != nil {
		processed = time.Unix(0, 0)
	}
	created, err := ParseTime(o.CreatedAt)
	if err != nil {
		created = processed
	}
	cancelled := created
	if o.CancelledAt != nil {
		if t, err := ParseTime(*o.CancelledAt); err == nil {
			cancelled = t
		}
	}
	gateway := func(i int) string {
		if i < len(o.PaymentGatewayNames) {
			return o.PaymentGatewayNames[i]
		}
		return "manual"
	}
	total := o.TotalPrice.Decimal
	var txs []Transaction
	add := func(kind, gw, status string, amount decimal.Decimal, at time.Time, parent *Transaction) *Transaction {
		k := len(txs)
		id := partID(o.ID, 8, k)
		ts := FormatTime(at, loc)
		t := Transaction{
			ID:                   id,
			AdminGraphqlAPIID:    "gid://shopify/OrderTransaction/" + strconv.FormatInt(id, 10),
			OrderID:              o.ID,
			Kind:                 kind,
			Gateway:              gw,
			Status:               status,
			CreatedAt:            ts,
			ProcessedAt:          ts,
			Test:                 o.Test,
			SourceName:           o.SourceName,
			Amount:               NewMoney(amount),
			Currency:             o.Currency,
			PaymentID:            o.Name + "." + strconv.Itoa(k+1),
			ManualPaymentGateway: isManualGateway(gw),
		}
		if parent != nil {
			pid := parent.ID
			t.ParentID = &pid
		}
		if gw == "shopify_payments" || gw == "bogus" {
			cards := []struct{ last4, company, method string }{
				{"4242", "Visa", "visa"}, {"4444", "Mastercard", "master"}, {"0005", "Bancontact", "bancontact"}, {"1117", "Visa", "visa"},
			}
			c := cards[byID(o.ID, len(cards))]
			t.PaymentDetails = &PaymentDetails{CreditCardNumber: "•••• •••• •••• " + c.last4, CreditCardCompany: c.company, PaymentMethodName: c.method}
			auth := "ch_" + strconv.FormatInt(id, 36)
			t.Authorization = &auth
		}
		txs = append(txs, t)
		return &txs[len(txs)-1]
	}

	// paid records the payments of a paid order and returns those that moved money.
	paid := func() []Transaction {
		if len(o.PaymentGatewayNames) >= 2 {
			gift := giftCardPortion(o)
			a := *add("sale", gateway(0), "success", gift, processed, nil)
			b := *add("sale", gateway(1), "success", total.Sub(gift), processed, nil)
			return []Transaction{a, b}
		}
		if gateway(0) == "shopify_payments" && usesAuthCapture(o.ID) {
			auth := *add("authorization", gateway(0), "success", total, processed, nil)
			return []Transaction{*add("capture", gateway(0), "success", total, captureTime(created, o.ID), &auth)}
		}
		return []Transaction{*add("sale", gateway(0), "success", total, processed, nil)}
	}

	switch o.FinancialStatus {
	case "pending":
		add("sale", gateway(0), "pending", total, processed, nil)
	case "authorized":
		add("authorization", gateway(0), "success", total, processed, nil)
	case "partially_paid":
		outstanding := o.TotalOutstanding.Decimal
		add("sale", gateway(0), "success", total.Sub(outstanding), processed, nil)
		add("sale", gateway(1), "pending", outstanding, processed, nil)
	case "paid":
		paid()
	case "refunded":
		for _, p := range paid() {
			add("refund", p.Gateway, "success", p.Amount.Decimal, cancelled, &p)
		}
	case "voided":
		var first Transaction
		if isManualGateway(gateway(0)) {
			first = *add("sale", gateway(0), "pending", total, processed, nil)
		} else {
			first = *add("authorization", gateway(0), "success", total, processed, nil)
		}
		add("void", gateway(0), "success", total, cancelled, &first)
	}
	if txs == nil {
		txs = []Transaction{}
	}
	return txs
}
