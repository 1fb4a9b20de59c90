package register_test

import (
	"context"
	"errors"
	"strconv"
	"testing"

	"github.com/kassa-pos/kassa/internal/dbtest"
	"github.com/kassa-pos/kassa/register"
	"github.com/kassa-pos/kassa/sales"
)

// TestApplyPaymentBySaleID pays the sale a screen shows by its id: a receipt sent with it
// must be that sale's, and an id of no sale of the outlet is refused; nothing is written
// by a refusal.
func TestApplyPaymentBySaleID(t *testing.T) {
	t.Parallel()
	s := awaitingSale(t)
	ctx := context.Background()
	other := s.sale("#1003", sales.SourceShopify, s.at(25, 10, 0), nil, []line{
		{product: s.cup, qty: 1, price: "7.05", rate: "0.21", tax: "1.22"},
	})
	var id int64
	if err := s.db.Get(&id, `SELECT id FROM sales WHERE receipt_number = '#1002'`); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		req     register.PaymentRequest
		message string
	}{
		{register.PaymentRequest{SaleID: id, Receipt: "#1003"}, "sale " + strconv.FormatInt(id, 10) + " is #1002, not #1003: look the sale up again"},
		{register.PaymentRequest{SaleID: other + 1000}, `there is no sale ` + strconv.FormatInt(other+1000, 10) + ` at outlet "Gent": look the sale up again`},
	} {
		before := dbtest.Counts(t, s.db)
		req := c.req
		req.RegisterID, req.By, req.PaymentType = s.till.ID, "bert", "Bank deposit"
		_, err := s.svc.ApplyPayment(ctx, s.db, req)
		if !errors.Is(err, register.ErrSaleNotFound) || err.Error() != c.message {
			t.Errorf("paying %+v: %v, want %q", c.req, err, c.message)
		}
		dbtest.Unchanged(t, s.db, before)
	}
	got, err := s.svc.ApplyPayment(ctx, s.db, register.PaymentRequest{RegisterID: s.till.ID, SaleID: id, Receipt: "#1002",
		PaymentType: "Bank deposit", By: "bert"})
	if err != nil {
		t.Fatal(err)
	}
	if got.SaleID != id || got.Receipt != "#1002" || !got.Amount.Equal(dec("12.00")) {
		t.Errorf("paid %+v, want 12.00 on sale %d (#1002)", got, id)
	}
	if bal, _ := s.balance("#1003"); !bal.Equal(dec("7.05")) {
		t.Errorf("#1003 balance %s, want it untouched at 7.05", bal)
	}
	// By id alone, too.
	if _, err := s.svc.ApplyPayment(ctx, s.db, register.PaymentRequest{RegisterID: s.till.ID, SaleID: other,
		PaymentType: "Bank deposit", By: "bert"}); err != nil {
		t.Fatal(err)
	}
	if bal, status := s.balance("#1003"); !bal.IsZero() || status != sales.StatusPaid {
		t.Errorf("#1003 after paying it by id: %s %s", bal, status)
	}
}
