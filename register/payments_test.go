package register_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/kassa-pos/kassa/internal/dbtest"
	"github.com/kassa-pos/kassa/register"
	"github.com/kassa-pos/kassa/sales"
)

// awaitingSale sets up a shop with an open session at 09:00 on 25 November and a Shopify
// bank-deposit order #1002 of 12.00, imported the day before, still unpaid. The clock
// stands at 14:05.
func awaitingSale(t *testing.T) *shop {
	t.Helper()
	s := newShop(t, dbtest.New(t), "Europe/Brussels", time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC))
	s.sale("#1002", sales.SourceShopify, s.at(24, 20, 15), nil, []line{
		{product: s.cup, qty: 1, price: "7.05", rate: "0.21", tax: "1.22"},
		{product: s.shipping, qty: 1, price: "4.95", rate: "0.21", tax: "0.86", shipping: true},
	})
	s.open(s.till, s.at(25, 9, 0), "150.00")
	s.clock.Set(s.at(25, 14, 5))
	return s
}

func TestApplyPaymentRefusals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		closed  bool // close the till's session first (the last case)
		req     register.PaymentRequest
		rule    error
		message string
	}{
		{
			name: "before the session opened",
			req:  register.PaymentRequest{Receipt: "#1002", PaymentType: "Bank deposit", At: time.Date(2026, 11, 25, 8, 0, 0, 0, time.FixedZone("", 3600))},
			rule: register.ErrBeforeSession,
			message: "the payment time 2026-11-25T08:00:00+01:00 is before the session opened (09:00): " +
				"give a time after the register was opened",
		},
		{
			name: "one second before the session opened",
			req:  register.PaymentRequest{Receipt: "#1002", PaymentType: "Bank deposit", At: time.Date(2026, 11, 25, 7, 59, 59, 0, time.UTC)},
			rule: register.ErrBeforeSession,
			message: "the payment time 2026-11-25T08:59:59+01:00 is before the session opened (09:00): " +
				"give a time after the register was opened",
		},
		{
			name:    "in the future",
			req:     register.PaymentRequest{Receipt: "#1002", PaymentType: "Bank deposit", At: time.Date(2026, 11, 25, 14, 5, 1, 0, time.FixedZone("", 3600))},
			rule:    register.ErrInFuture,
			message: "the payment time 2026-11-25T14:05:01+01:00 is in the future (it is now 14:05): give a time up to now",
		},
		{
			name: "zero amount",
			req:  register.PaymentRequest{Receipt: "#1002", PaymentType: "Bank deposit", Amount: "0.00"},
			rule: register.ErrInvalidAmount, message: `"0.00" is not a valid amount: it must be more than 0.00`,
		},
		{
			name: "negative amount",
			req:  register.PaymentRequest{Receipt: "#1002", PaymentType: "Bank deposit", Amount: "-5.00"},
			rule: register.ErrInvalidAmount, message: `"-5.00" is not a valid amount: it must be more than 0.00`,
		},
		{
			name: "not a money amount",
			req:  register.PaymentRequest{Receipt: "#1002", PaymentType: "Bank deposit", Amount: "12,00"},
			rule: register.ErrInvalidAmount, message: `"12,00" is not a valid amount: write it like 12.50`,
		},
		{
			name: "three decimals",
			req:  register.PaymentRequest{Receipt: "#1002", PaymentType: "Bank deposit", Amount: "1.005"},
			rule: register.ErrInvalidAmount, message: `"1.005" is not a valid amount: write it like 12.50`,
		},
		{
			name: "more than the balance",
			req:  register.PaymentRequest{Receipt: "#1002", PaymentType: "Bank deposit", Amount: "15.50"},
			rule: register.ErrMoreThanBalance, message: "15.50 is more than the balance of #1002 (12.00): take at most the balance",
		},
		{
			name: "one cent more than the balance",
			req:  register.PaymentRequest{Receipt: "#1002", PaymentType: "Bank deposit", Amount: "12.01"},
			rule: register.ErrMoreThanBalance, message: "12.01 is more than the balance of #1002 (12.00): take at most the balance",
		},
		{
			name: "no such sale",
			req:  register.PaymentRequest{Receipt: "#9999", PaymentType: "Bank deposit"},
			rule: register.ErrSaleNotFound, message: `there is no sale #9999 at outlet "Gent": check the receipt number`,
		},
		{
			name: "unknown payment type",
			req:  register.PaymentRequest{Receipt: "#1002", PaymentType: "Cheque"},
			rule: register.ErrUnknownPaymentType, message: `unknown payment type "Cheque": use one of Cash, Card, Bank deposit, Shopify`,
		},
		{
			name: "no open session", closed: true,
			req:  register.PaymentRequest{Receipt: "#1002", PaymentType: "Bank deposit"},
			rule: register.ErrNoOpenSession, message: `register "Till" has no open session: open it first`,
		},
	}
	// A refusal writes nothing, so the cases share one shop; the register is closed for
	// the last, and each case checks that the database did not change.
	s := awaitingSale(t)
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.closed {
				if _, err := s.svc.Close(ctx, s.db, s.till.ID, nil, "anna"); err != nil {
					t.Fatal(err)
				}
			}
			before := dbtest.Counts(t, s.db)
			req := tt.req
			req.RegisterID, req.By = s.till.ID, "bert"
			_, err := s.svc.ApplyPayment(ctx, s.db, req)
			if !errors.Is(err, tt.rule) {
				t.Fatalf("err = %v, want the rule %v", err, tt.rule)
			}
			var refused *register.RefusedError
			if !errors.As(err, &refused) {
				t.Fatalf("err = %T, want a *register.RefusedError", err)
			}
			if err.Error() != tt.message {
				t.Errorf("message = %q\nwant      %q", err.Error(), tt.message)
			}
			dbtest.Unchanged(t, s.db, before)
			if bal, status := s.balance("#1002"); !bal.Equal(dec("12.00")) || status != sales.StatusAwaitingPayment {
				t.Errorf("#1002 balance %s %s after a refused payment, want 12.00 awaiting_payment", bal, status)
			}
		})
	}
}

func TestPartialPaymentsDownToZero(t *testing.T) {
	t.Parallel()
	s := awaitingSale(t)
	ctx := context.Background()
	steps := []struct {
		amount, balance, status string
		at                      time.Time
	}{
		{"5.00", "7.00", sales.StatusAwaitingPayment, s.at(25, 9, 30)},
		{"6.99", "0.01", sales.StatusAwaitingPayment, s.at(25, 11, 0)},
		{"", "0.00", sales.StatusPaid, time.Time{}}, // the rest, now
	}
	for _, st := range steps {
		got, err := s.svc.ApplyPayment(ctx, s.db, register.PaymentRequest{
			RegisterID: s.till.ID, Receipt: "#1002", PaymentType: "bank DEPOSIT", Amount: st.amount, At: st.at, By: "bert",
		})
		if err != nil {
			t.Fatalf("pay %q: %v", st.amount, err)
		}
		if got.Balance.StringFixed(2) != st.balance || got.Status != st.status {
			t.Errorf("after paying %q: balance %s %s, want %s %s", st.amount, got.Balance.StringFixed(2), got.Status, st.balance, st.status)
		}
		if bal, status := s.balance("#1002"); bal.StringFixed(2) != st.balance || status != st.status {
			t.Errorf("stored after paying %q: balance %s %s, want %s %s", st.amount, bal, status, st.balance, st.status)
		}
	}
	sale, err := sales.Store{}.SaleByReceipt(ctx, s.db, 0, "#1002")
	if err != nil {
		t.Fatal(err)
	}
	if len(sale.Payments) != 3 {
		t.Fatalf("%d payments, want 3", len(sale.Payments))
	}
	last := sale.Payments[2]
	if last.TypeName != "Bank deposit" || !last.Amount.Equal(dec("0.01")) || !last.PaidAt.Equal(s.at(25, 14, 5)) ||
		last.RecordedBy != "bert" || last.SessionID == nil {
		t.Errorf("last payment = %+v, want 0.01 Bank deposit at 14:05 (now) by bert in the session", last)
	}
	before := dbtest.Counts(t, s.db)
	_, err = s.svc.ApplyPayment(ctx, s.db, register.PaymentRequest{RegisterID: s.till.ID, Receipt: "#1002", PaymentType: "Cash", By: "bert"})
	if !errors.Is(err, register.ErrNothingOwed) || err.Error() != "#1002 has no balance to pay: it is already paid" {
		t.Errorf("paying a paid sale: err = %v, want ErrNothingOwed with its message", err)
	}
	dbtest.Unchanged(t, s.db, before)
}

func TestPaymentSessionWindowEdges(t *testing.T) {
	t.Parallel()
	s := awaitingSale(t)
	ctx := context.Background()
	pay := func(at time.Time) error {
		_, err := s.svc.ApplyPayment(ctx, s.db, register.PaymentRequest{
			RegisterID: s.till.ID, Receipt: "#1002", PaymentType: "Cash", Amount: "1.00", At: at, By: "bert",
		})
		return err
	}
	if err := pay(s.at(25, 9, 0).Add(-time.Second)); !errors.Is(err, register.ErrBeforeSession) {
		t.Errorf("one second before opening: err = %v, want ErrBeforeSession", err)
	}
	if err := pay(s.at(25, 9, 0)); err != nil {
		t.Errorf("exactly at opening: %v, want it accepted", err)
	}
	if err := pay(s.clock.Now()); err != nil {
		t.Errorf("exactly now: %v, want it accepted", err)
	}
	if err := pay(s.clock.Now().Add(time.Second)); !errors.Is(err, register.ErrInFuture) {
		t.Errorf("one second from now: err = %v, want ErrInFuture", err)
	}
	if n := s.paymentCount(); n != 2 {
		t.Errorf("%d payments recorded, want the 2 inside the session", n)
	}

	// "Now" from a clock that, like the real one, has nanoseconds PostgreSQL does not
	// keep is still now, not a fraction of a microsecond in the future.
	s.clock.Set(s.at(25, 14, 5).Add(999_999_999 * time.Nanosecond))
	got, err := s.svc.ApplyPayment(ctx, s.db, register.PaymentRequest{
		RegisterID: s.till.ID, Receipt: "#1002", PaymentType: "Cash", Amount: "1.00", By: "bert",
	})
	if err != nil {
		t.Fatalf("paying now: %v", err)
	}
	if want := s.at(25, 14, 5).Add(time.Second); !got.PaidAt.Equal(want) {
		t.Errorf("paid at %s, want %s", got.PaidAt, want)
	}
}

// TestConcurrentApplyCannotOverpay pays the whole balance of one sale from 20
// goroutines at once, on two registers with their own connections: exactly one payment
// goes through. Then the database itself refuses an over-payment.
func TestConcurrentApplyCannotOverpay(t *testing.T) {
	t.Parallel()
	s := awaitingSale(t)
	ctx := context.Background()
	back, err := register.Store{}.Create(ctx, s.db, s.outlet.ID, "Back")
	if err != nil {
		t.Fatal(err)
	}
	s.open(back, s.at(25, 9, 0), "0.00")
	s.clock.Set(s.at(25, 14, 5))
	s.db.SetMaxOpenConns(20)

	const n = 20
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
		errs  = make([]error, n)
	)
	for i := range n {
		reg := s.till.ID
		if i%2 == 1 {
			reg = back.ID
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, errs[i] = s.svc.ApplyPayment(ctx, s.db, register.PaymentRequest{RegisterID: reg, Receipt: "#1002", PaymentType: "Bank deposit", By: "bert"})
		}()
	}
	close(start)
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, register.ErrNothingOwed):
		default:
			t.Errorf("unexpected error: %v", err)
		}
	}
	if ok != 1 {
		t.Errorf("%d payments succeeded, want exactly 1", ok)
	}
	if n := s.paymentCount(); n != 1 {
		t.Errorf("%d payments recorded, want 1", n)
	}
	if bal, status := s.balance("#1002"); !bal.IsZero() || status != sales.StatusPaid {
		t.Errorf("#1002: balance %s %s, want 0.00 paid", bal, status)
	}

	// The last line of defence: a payment written past the service, straight through
	// the sales store, cannot over-pay either.
	var saleID int64
	if err := s.db.Get(&saleID, `SELECT id FROM sales WHERE receipt_number = '#1002'`); err != nil {
		t.Fatal(err)
	}
	_, err = sales.Store{}.AddPayment(ctx, s.db, sales.Payment{
		SaleID: saleID, PaymentTypeID: s.types["Cash"], Amount: dec("0.01"), PaidAt: s.at(25, 10, 0), RegisterID: s.till.ID,
	})
	if !errors.Is(err, sales.ErrOverpayment) {
		t.Errorf("paying a paid sale through the store: err = %v, want sales.ErrOverpayment", err)
	}
}
