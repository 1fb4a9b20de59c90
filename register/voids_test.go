package register_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"

	"github.com/kassa-pos/kassa/internal/dbtest"
	"github.com/kassa-pos/kassa/internal/pg"
	"github.com/kassa-pos/kassa/register"
	"github.com/kassa-pos/kassa/sales"
)

// apiToken stores an API token named name (its hash is random: the tests never send it)
// and returns its id.
func apiToken(t *testing.T, db *sqlx.DB, name string) int64 {
	t.Helper()
	hash := make([]byte, 32)
	if _, err := rand.Read(hash); err != nil {
		t.Fatal(err)
	}
	var id int64
	if err := db.Get(&id, `INSERT INTO api_tokens (name, role, hash, created_at) VALUES ($1, 'cashier', $2, now()) RETURNING id`, name, hash); err != nil {
		t.Fatal(err)
	}
	return id
}

// payNow applies a payment to receipt on the till now, with token (nil: the command line).
func (s *shop) payNow(receipt, typ, amount string, token *int64) register.AppliedPayment {
	s.t.Helper()
	p, err := s.svc.ApplyPayment(context.Background(), s.db, register.PaymentRequest{
		RegisterID: s.till.ID, Receipt: receipt, PaymentType: typ, Amount: amount, By: "anna", TokenID: token,
	})
	if err != nil {
		s.t.Fatalf("pay %s %s: %v", amount, receipt, err)
	}
	return p
}

// printed is a line of a text report with label on the left and value on the right.
func printed(label, value string) string {
	return label + strings.Repeat(" ", register.Width-len([]rune(label))-len([]rune(value))) + value + "\n"
}

// refused checks that err is a refusal of rule whose message says want, and that the
// database did not change since before.
func refused(t *testing.T, db *sqlx.DB, before map[string]int64, err, rule error, want string) {
	t.Helper()
	var r *register.RefusedError
	if !errors.As(err, &r) || !errors.Is(err, rule) {
		t.Fatalf("got %v, want a refusal of %v", err, rule)
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("message %q, want it to say %q", err.Error(), want)
	}
	dbtest.Unchanged(t, db, before)
}

// TestVoidGivesTheBalanceBackAndShowsInTheClosingReport voids a bank deposit applied to
// the wrong order: the payment stays, a void is recorded with the reason, who and the
// token, the sale owes the amount again (and can be paid again, which only works when the
// balance trigger leaves voided payments out), and the closing report lists the payment
// and its void and expects neither.
func TestVoidGivesTheBalanceBackAndShowsInTheClosingReport(t *testing.T) {
	t.Parallel()
	s := awaitingSale(t)
	ctx := context.Background()
	front := apiToken(t, s.db, "front-till")
	s.clock.Set(s.at(25, 14, 5))
	cash := s.payNow("#1002", "Cash", "12.00", nil)
	s.clock.Set(s.at(25, 14, 20))

	v, err := s.svc.VoidPayment(ctx, s.db, register.VoidRequest{PaymentID: cash.PaymentID, Receipt: "#1002", Reason: "  paid by card, not cash ", By: "bert", TokenID: &front})
	if err != nil {
		t.Fatal(err)
	}
	if !v.Balance.Equal(dec("12.00")) || v.Status != sales.StatusAwaitingPayment || !v.BalanceBefore.IsZero() || v.Reason != "paid by card, not cash" {
		t.Fatalf("void = %+v, want the sale owing 12.00 again", v)
	}
	if bal, status := s.balance("#1002"); !bal.Equal(dec("12.00")) || status != sales.StatusAwaitingPayment {
		t.Fatalf("#1002 after the void: %s %s, want 12.00 awaiting_payment", bal, status)
	}
	var row struct {
		Amount     decimal.Decimal `db:"amount"`
		Reason     string          `db:"reason"`
		By         string          `db:"recorded_by"`
		Token      *int64          `db:"token_id"`
		SessionID  int64           `db:"session_id"`
		PaySession int64           `db:"pay_session"`
	}
	err = s.db.Get(&row, `SELECT p.amount, v.reason, v.recorded_by, v.token_id, v.session_id, p.session_id AS pay_session
		FROM payment_voids v JOIN payments p ON p.id = v.payment_id WHERE p.id = $1`, cash.PaymentID)
	if err != nil {
		t.Fatal(err)
	}
	if !row.Amount.Equal(dec("12.00")) || row.By != "bert" || row.Token == nil || *row.Token != front || row.SessionID != row.PaySession {
		t.Fatalf("void row = %+v", row)
	}

	// The sale is paid again, correctly this time: the balance trigger counts the voided
	// payment no more.
	card := s.payNow("#1002", "Card", "", &front)
	if bal, status := s.balance("#1002"); !bal.IsZero() || status != sales.StatusPaid {
		t.Fatalf("#1002 paid again: %s %s, want 0.00 paid", bal, status)
	}
	var paymentToken *int64
	if err := s.db.Get(&paymentToken, `SELECT token_id FROM payments WHERE id = $1`, card.PaymentID); err != nil || paymentToken == nil || *paymentToken != front {
		t.Fatalf("the card payment's token: %v (%v), want %d", paymentToken, err, front)
	}

	s.clock.Set(s.at(25, 18, 0))
	rep, err := s.svc.Close(ctx, s.db, s.till.ID, []register.Count{{PaymentTypeID: s.types["Cash"], Counted: dec("150.00")}}, "bert")
	if err != nil {
		t.Fatal(err)
	}
	// Cash expected is the float alone: the cash payment was given back.
	if rep.Payments[0].Type != "Cash" || rep.Payments[0].Expected != "150.00" || *rep.Payments[0].Difference != "0.00" {
		t.Errorf("cash figures %+v, want 150.00 expected", rep.Payments[0])
	}
	if len(rep.AppliedPayments) != 2 || !rep.AppliedPayments[0].Voided || rep.AppliedPayments[0].PaymentID != cash.PaymentID ||
		rep.AppliedPayments[1].Voided || rep.AppliedPayments[1].Token == nil || *rep.AppliedPayments[1].Token != "front-till" {
		t.Errorf("applied payments %+v", rep.AppliedPayments)
	}
	if len(rep.Voids) != 1 {
		t.Fatalf("voids %+v, want one", rep.Voids)
	}
	got := rep.Voids[0]
	if got.PaymentID != cash.PaymentID || got.Amount != "12.00" || got.VoidedAmount != "-12.00" || got.RecordedBy != "anna" ||
		got.Token != nil || got.VoidedBy != "bert" || got.VoidToken == nil || *got.VoidToken != "front-till" ||
		got.Reason != "paid by card, not cash" || got.VoidedAt != "2026-11-25T14:20:00+01:00" || got.ReceiptNumber != "#1002" {
		t.Errorf("void figure %+v", got)
	}
	var text, csv bytes.Buffer
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	id := strconv.FormatInt(cash.PaymentID, 10)
	for _, want := range []string{
		"VOIDED PAYMENTS\n" + printed("#1002 Cash, payment "+id, "12.00") + "  2026-11-25 14:05 anna (command line)\n",
		printed("Void of payment "+id, "-12.00") + "  2026-11-25 14:20 bert (front-till)\n  reason: paid by card, not cash\n",
		"  voided: see voided payments\n",
	} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("the text report does not show %q:\n%s", want, text.String())
		}
	}
	for _, l := range strings.Split(text.String(), "\n") {
		if len([]rune(l)) > register.Width {
			t.Errorf("line wider than %d: %q", register.Width, l)
		}
	}
	if err := rep.WriteCSV(&csv); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"voided_payments," + id + ",amount,12.00\n", "voided_payments," + id + ",voided_amount,-12.00\n",
		"voided_payments," + id + ",void_token,front-till\n", "voided_payments," + id + ",reason," + "\"paid by card, not cash\"\n",
		"applied_payments,#1002,voided,true\n",
	} {
		if !strings.Contains(csv.String(), want) {
			t.Errorf("the CSV report does not have %q:\n%s", want, csv.String())
		}
	}

	// The sale's view shows both payments, the first with its void.
	// The names of its outlet, registers and tokens are filled in by the register package.
	sale, err := sales.Store{}.SaleByReceipt(ctx, s.db, s.outlet.ID, "#1002")
	if err != nil {
		t.Fatal(err)
	}
	if err := (register.Store{}).NameSale(ctx, s.db, &sale); err != nil {
		t.Fatal(err)
	}
	view := sale.View(true)
	pays := *view.Payments
	if len(pays) != 2 || pays[0].ID != cash.PaymentID || pays[0].Void == nil || pays[0].Void.Reason != "paid by card, not cash" ||
		pays[0].Void.Token == nil || *pays[0].Void.Token != "front-till" || pays[1].Void != nil || pays[1].Token == nil ||
		*pays[1].Token != "front-till" || pays[0].Token != nil || view.Paid != "12.00" ||
		pays[0].Register != s.till.Name || view.Register != s.till.Name || view.Outlet != s.outlet.Name {
		t.Errorf("sale view %+v: payments %+v, paid %s", view, pays, view.Paid)
	}
}

func TestVoidRefusals(t *testing.T) {
	t.Parallel()
	s := awaitingSale(t)
	ctx := context.Background()
	other := s.sale("#1003", sales.SourceShopify, s.at(24, 21, 0), nil, []line{
		{product: s.book, qty: 1, price: "20.00", rate: "0.06", tax: "1.13"},
	}, payment{typ: "Shopify", amount: "5.00", source: sales.SourceShopify})
	var shopifyPayment int64
	if err := s.db.Get(&shopifyPayment, `SELECT id FROM payments WHERE sale_id = $1`, other); err != nil {
		t.Fatal(err)
	}
	paid := s.payNow("#1002", "Bank deposit", "2.00", nil)
	voided := s.payNow("#1002", "Cash", "3.00", nil)
	if _, err := s.svc.VoidPayment(ctx, s.db, register.VoidRequest{PaymentID: voided.PaymentID, Reason: "twice", By: "anna"}); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		req  register.VoidRequest
		rule error
		want string
	}{
		{"no such payment", register.VoidRequest{PaymentID: 9999, Reason: "x"}, register.ErrPaymentNotFound, "there is no payment 9999"},
		{"voided twice", register.VoidRequest{PaymentID: voided.PaymentID, Reason: "again"}, register.ErrAlreadyVoided,
			"payment " + strconv.FormatInt(voided.PaymentID, 10) + " (3.00 Cash of #1002) is already voided (2026-11-25 14:05 by anna): a payment is voided once"},
		{"collected by Shopify", register.VoidRequest{PaymentID: shopifyPayment, Reason: "x"}, register.ErrShopifyPayment,
			"(5.00 Shopify of #1003) was collected by Shopify, not taken at a register: it is not the register's money"},
		{"of another sale", register.VoidRequest{PaymentID: paid.PaymentID, Receipt: "#1003", Reason: "x"}, register.ErrPaymentNotOfSale,
			"is a payment of #1002, not of #1003"},
		{"no reason", register.VoidRequest{PaymentID: paid.PaymentID, Reason: "  "}, register.ErrVoidReason, "a void needs a reason"},
		{"a reason with an escape", register.VoidRequest{PaymentID: paid.PaymentID, Reason: "oops\x1b[2J"}, register.ErrVoidReason, "one line of plain text"},
		{"a reason with a bidi override", register.VoidRequest{PaymentID: paid.PaymentID, Reason: "oops\u202e"}, register.ErrVoidReason, "one line of plain text"},
		{"too long a reason", register.VoidRequest{PaymentID: paid.PaymentID, Reason: strings.Repeat("x", 501)}, register.ErrVoidReason, "keep it to 500"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := dbtest.Counts(t, s.db)
			req := tt.req
			req.By = "bert"
			_, err := s.svc.VoidPayment(ctx, s.db, req)
			refused(t, s.db, before, err, tt.rule, tt.want)
		})
	}

	// Once the register is closed, its payments stay.
	if _, err := s.svc.Close(ctx, s.db, s.till.ID, nil, "anna"); err != nil {
		t.Fatal(err)
	}
	before := dbtest.Counts(t, s.db)
	_, err := s.svc.VoidPayment(ctx, s.db, register.VoidRequest{PaymentID: paid.PaymentID, Reason: "late", By: "bert"})
	refused(t, s.db, before, err, register.ErrSessionClosed,
		`(2.00 Bank deposit of #1002) was taken in session 1 of register "Till", which is closed (2026-11-25 14:05, Z 1): a closed session cannot change`)
	if bal, _ := s.balance("#1002"); !bal.Equal(dec("10.00")) {
		t.Errorf("#1002 owes %s after the refusals, want 10.00", bal)
	}
}

// TestTheDatabaseHoldsTheVoidRules writes voids straight to the database: the schema
// itself refuses what the service would.
func TestTheDatabaseHoldsTheVoidRules(t *testing.T) {
	t.Parallel()
	s := awaitingSale(t)
	ctx := context.Background()
	other := s.sale("#1003", sales.SourceShopify, s.at(24, 21, 0), nil, []line{
		{product: s.book, qty: 1, price: "20.00", rate: "0.06", tax: "1.13"},
	}, payment{typ: "Shopify", amount: "5.00", source: sales.SourceShopify})
	var shopifyPayment int64
	if err := s.db.Get(&shopifyPayment, `SELECT id FROM payments WHERE sale_id = $1`, other); err != nil {
		t.Fatal(err)
	}
	p1 := s.payNow("#1002", "Cash", "2.00", nil)
	p2 := s.payNow("#1002", "Cash", "3.00", nil)
	insert := func(payment, session int64) error {
		_, err := s.db.Exec(`INSERT INTO payment_voids (payment_id, session_id, voided_at, reason, recorded_by) VALUES ($1, $2, now(), 'x', 'x')`, payment, session)
		return err
	}
	if err := insert(shopifyPayment, p1.SessionID); !pg.IsRaised(err, "payment_void_not_pos") {
		t.Errorf("a void of a payment Shopify collected: %v", err)
	}
	if err := insert(p1.PaymentID, p1.SessionID); err != nil {
		t.Fatal(err)
	}
	if bal, _ := s.balance("#1002"); !bal.Equal(dec("9.00")) {
		t.Errorf("after a void in SQL #1002 owes %s, want 9.00", bal)
	}
	if err := insert(p1.PaymentID, p1.SessionID); !pg.IsUniqueViolation(err, "payment_voids_payment_id_key") {
		t.Errorf("a second void of a payment: %v", err)
	}
	for name, q := range map[string]string{
		"change a void":    `UPDATE payment_voids SET reason = 'y'`,
		"remove a void":    `DELETE FROM payment_voids`,
		"change a payment": `UPDATE payments SET amount = 1 WHERE id = ` + strconv.FormatInt(p2.PaymentID, 10),
		"remove a payment": `DELETE FROM payments WHERE id = ` + strconv.FormatInt(p2.PaymentID, 10),
	} {
		if _, err := s.db.Exec(q); err == nil {
			t.Errorf("%s: the database allowed it", name)
		}
	}

	// A session closed, then another opened: the second session cannot void a payment of
	// the first, and the first, closed, cannot take a void either.
	if _, err := s.svc.Close(ctx, s.db, s.till.ID, nil, "anna"); err != nil {
		t.Fatal(err)
	}
	next := s.open(s.till, s.at(25, 15, 0), "0")
	if err := insert(p2.PaymentID, next.ID); !pg.IsRaised(err, "payment_void_session") {
		t.Errorf("a void in another session than the payment's: %v", err)
	}
	if err := insert(p2.PaymentID, p2.SessionID); !pg.IsRaised(err, "register_session_closed") {
		t.Errorf("a void in a closed session: %v", err)
	}
}

// TestOneVoidOfAPaymentAtATime voids one payment from eight goroutines at once: one void
// goes through, the others are told it is voided already, and the balance is given back
// once.
func TestOneVoidOfAPaymentAtATime(t *testing.T) {
	t.Parallel()
	s := awaitingSale(t)
	ctx := context.Background()
	p := s.payNow("#1002", "Cash", "12.00", nil)
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		ok, dup int
	)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.svc.VoidPayment(ctx, s.db, register.VoidRequest{PaymentID: p.PaymentID, Reason: "wrong sale", By: "bert"})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case errors.Is(err, register.ErrAlreadyVoided):
				dup++
			default:
				t.Errorf("void: %v", err)
			}
		}()
	}
	wg.Wait()
	if ok != 1 || dup != 7 {
		t.Fatalf("%d voids went through and %d were refused as repeats, want 1 and 7", ok, dup)
	}
	if bal, _ := s.balance("#1002"); !bal.Equal(dec("12.00")) {
		t.Fatalf("#1002 owes %s, want 12.00", bal)
	}
}
