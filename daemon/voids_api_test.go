package daemon_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/kassa-pos/kassa/daemon"
	"github.com/kassa-pos/kassa/daemon/client"
	"github.com/kassa-pos/kassa/internal/dbtest"
)

// TestVoidsAndTheAuditTrailThroughTheAPI opens a register, takes a payment and voids it
// through the API with two tokens and staff names: each is recorded with its token next to
// the name given (the name no longer replaces the token), the void gives the balance back,
// and the closing report names who did what and with which token, with the close's Z
// number. The refusals come with their statuses and nothing written.
func TestVoidsAndTheAuditTrailThroughTheAPI(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	ctx := context.Background()
	shop := dbtest.NewShop(t, db, "Gent", "Front")
	var saleID int64
	err := db.Get(&saleID, `
		WITH s AS (
			INSERT INTO sales (outlet_id, register_id, receipt_number, source, sold_at, currency, subtotal, tax_total, total, balance)
			VALUES ($1, $2, '#1002', 'shopify', now() - interval '1 day', 'EUR', 20, 0, 20, 20) RETURNING id),
		l AS (INSERT INTO sale_lines (sale_id, line_no, kind, title, quantity, unit_price, tax, total)
			SELECT id, 1, 'custom', 'Mug', 1, 20, 0, 20 FROM s)
		SELECT id FROM s`, shop.OutletID, shop.RegisterID)
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{}
	in := start(t, db, listen(t), fastConfig(), daemon.Deps{Clock: clk.Now, Logger: testLogger(t, nil)})
	till := client.New(in.url, token(t, db, "front-till", daemon.RoleCashier))
	owner := client.New(in.url, token(t, db, "owner", daemon.RoleManager))
	tokenID := func(name string) int64 {
		t.Helper()
		var id int64
		if err := db.Get(&id, `SELECT id FROM api_tokens WHERE name = $1`, name); err != nil {
			t.Fatal(err)
		}
		return id
	}

	reg, err := till.OpenRegister(ctx, "Front", client.OpenRequest{OpeningFloat: "100.00", By: "Ann"})
	if err != nil || reg.Session.OpenedBy != "Ann" {
		t.Fatalf("open: %+v, %v", reg, err)
	}
	var opened struct {
		By    string `db:"opened_by"`
		Token *int64 `db:"opened_token_id"`
	}
	if err := db.Get(&opened, `SELECT opened_by, opened_token_id FROM register_sessions`); err != nil || opened.By != "Ann" ||
		opened.Token == nil || *opened.Token != tokenID("front-till") {
		t.Fatalf("the session was opened by %+v (%v), want Ann with front-till's token", opened, err)
	}

	paid, err := till.ApplyPayment(ctx, client.PaymentRequest{Register: "Front", Receipt: "#1002", PaymentType: "Cash", Amount: "8.00", By: "Ann"})
	if err != nil || paid.RecordedBy != "Ann" || paid.Token == nil || *paid.Token != "front-till" {
		t.Fatalf("payment: %+v, %v", paid, err)
	}
	sale, err := till.Sale(ctx, "#1002", "")
	if err != nil {
		t.Fatal(err)
	}
	if pays := *sale.Payments; len(pays) != 1 || pays[0].ID != paid.PaymentID || pays[0].RecordedBy != "Ann" ||
		pays[0].Token == nil || *pays[0].Token != "front-till" {
		t.Fatalf("the sale's payments %+v", pays)
	}

	var shopifyPayment int64
	if err := db.Get(&shopifyPayment, `
		INSERT INTO payments (sale_id, payment_type_id, amount, paid_at, register_id, source)
		SELECT $1, id, 2.00, now() - interval '1 day', $2, 'shopify' FROM payment_types WHERE name = 'Shopify' RETURNING id`,
		saleID, shop.RegisterID); err != nil {
		t.Fatal(err)
	}
	before := dbtest.Counts(t, db)
	_, err = till.VoidPayment(ctx, 9999, client.VoidRequest{Reason: "x"})
	expectStatus(t, err, http.StatusNotFound, "there is no payment 9999")
	_, err = till.VoidPayment(ctx, paid.PaymentID, client.VoidRequest{Reason: " "})
	expectStatus(t, err, http.StatusBadRequest, "a void needs a reason")
	_, err = till.VoidPayment(ctx, paid.PaymentID, client.VoidRequest{Reason: "x", Receipt: "#1003"})
	expectStatus(t, err, http.StatusUnprocessableEntity, "is a payment of #1002, not of #1003")
	_, err = till.VoidPayment(ctx, shopifyPayment, client.VoidRequest{Reason: "x"})
	expectStatus(t, err, http.StatusUnprocessableEntity, "it is not the register's money")
	dbtest.Unchanged(t, db, before)

	v, err := till.VoidPayment(ctx, paid.PaymentID, client.VoidRequest{Reason: "wrong order", Receipt: "#1002", By: "Bea"})
	if err != nil || v.PaymentID != paid.PaymentID || v.Balance != "18.00" || v.BalanceBefore != "10.00" || v.Status != "awaiting_payment" ||
		v.RecordedBy != "Bea" || v.Token == nil || *v.Token != "front-till" || v.Reason != "wrong order" || v.Receipt != "#1002" {
		t.Fatalf("void: %+v, %v", v, err)
	}
	_, err = owner.VoidPayment(ctx, paid.PaymentID, client.VoidRequest{Reason: "again"})
	expectStatus(t, err, http.StatusConflict, "is already voided")

	again, err := till.ApplyPayment(ctx, client.PaymentRequest{Register: "Front", Receipt: "#1002", PaymentType: "Card"})
	if err != nil || again.Amount != "18.00" || again.Status != "paid" {
		t.Fatalf("paid again after the void: %+v, %v", again, err)
	}

	rep, err := owner.CloseRegister(ctx, "Front", client.CloseRequest{Counts: []client.CountInput{{Type: "Cash", Counted: "100.00"}}, By: "Ben"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.ZNumber == nil || *rep.ZNumber != 1 || rep.OpenedBy != "Ann" || rep.OpenedToken == nil || *rep.OpenedToken != "front-till" ||
		rep.ClosedBy == nil || *rep.ClosedBy != "Ben" || rep.ClosedToken == nil || *rep.ClosedToken != "owner" {
		t.Errorf("closing report head: Z %v, opened %s (%v), closed %v (%v)", rep.ZNumber, rep.OpenedBy, rep.OpenedToken, rep.ClosedBy, rep.ClosedToken)
	}
	if len(rep.Voids) != 1 || rep.Voids[0].VoidedBy != "Bea" || rep.Voids[0].VoidToken == nil || *rep.Voids[0].VoidToken != "front-till" ||
		rep.Payments[0].Expected != "100.00" || len(rep.AppliedPayments) != 2 || !rep.AppliedPayments[0].Voided {
		t.Errorf("closing report: payments %+v, applied %+v, voids %+v", rep.Payments, rep.AppliedPayments, rep.Voids)
	}
	sessions, err := till.Sessions(ctx, "Front", 0)
	if err != nil || len(sessions) != 1 || sessions[0].ZNumber == nil || *sessions[0].ZNumber != 1 {
		t.Fatalf("sessions: %+v, %v", sessions, err)
	}
	_, err = till.VoidPayment(ctx, again.PaymentID, client.VoidRequest{Reason: "too late"})
	expectStatus(t, err, http.StatusConflict, "which is closed")

	// Nightly reports: not of a day that has not begun, nor of one before the outlet.
	before = dbtest.Counts(t, db)
	later := clk.Now().In(mustLoc(t, "Europe/Brussels")).AddDate(0, 0, 2).Format(time.DateOnly)
	_, err = owner.GenerateNightly(ctx, client.NightlyRequest{Date: later})
	expectStatus(t, err, http.StatusUnprocessableEntity, later+` has not begun in outlet "Gent"`)
	_, err = owner.GenerateNightly(ctx, client.NightlyRequest{Date: "2020-01-01"})
	expectStatus(t, err, http.StatusUnprocessableEntity, `2020-01-01 is before outlet "Gent" was created`)
	dbtest.Unchanged(t, db, before)
}
