package register_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/kassa-pos/kassa/internal/dbtest"
	"github.com/kassa-pos/kassa/register"
	"github.com/kassa-pos/kassa/sales"
)

func fixedClock(t time.Time) func() time.Time { return func() time.Time { return t } }

func TestRegistersByName(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	ctx := context.Background()
	st := register.Store{}
	gent := dbtest.NewShop(t, db, "Gent", "Front")
	brugge := dbtest.NewShop(t, db, "Brugge", "Front")
	if _, err := st.Create(ctx, db, gent.OutletID, "Front"); !errors.Is(err, register.ErrDuplicateRegister) {
		t.Fatalf("second Front in Gent: %v", err)
	}
	back, err := st.Create(ctx, db, gent.OutletID, "Back")
	if err != nil {
		t.Fatal(err)
	}
	if r, err := st.Find(ctx, db, "Back"); err != nil || r.ID != back.ID || r.OutletName != "Gent" {
		t.Fatalf("Find(Back) = %+v, %v", r, err)
	}
	if _, err := st.Find(ctx, db, "Front"); !errors.Is(err, register.ErrAmbiguous) {
		t.Fatalf("Find(Front) with two outlets: %v, want ErrAmbiguous", err)
	}
	if r, err := st.Find(ctx, db, "Brugge/Front"); err != nil || r.ID != brugge.RegisterID {
		t.Fatalf("Find(Brugge/Front) = %+v, %v", r, err)
	}
	if _, err := st.Find(ctx, db, "Nowhere"); !errors.Is(err, register.ErrNotFound) {
		t.Fatalf("Find(Nowhere): %v", err)
	}
	list, err := st.List(ctx, db, gent.OutletID)
	if err != nil || len(list) != 2 {
		t.Fatalf("registers of Gent: %+v, %v", list, err)
	}
}

func TestOneOpenSessionPerRegister(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	ctx := context.Background()
	opened := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	st := register.Store{Clock: fixedClock(opened)}
	shop := dbtest.NewShop(t, db, "Gent", "Front")
	s, err := st.OpenSession(ctx, db, shop.RegisterID, decimal.RequireFromString("150.00"), "An")
	if err != nil {
		t.Fatal(err)
	}
	if !s.OpenedAt.Equal(opened) || s.OpeningFloat.StringFixed(2) != "150.00" || !s.Open() {
		t.Fatalf("opened %+v", s)
	}
	before := dbtest.Counts(t, db)
	if _, err := st.OpenSession(ctx, db, shop.RegisterID, decimal.Zero, "Bo"); !errors.Is(err, register.ErrSessionAlreadyOpen) {
		t.Fatalf("second open session: %v, want ErrSessionAlreadyOpen", err)
	}
	dbtest.Unchanged(t, db, before)
	if _, err := db.Exec(`INSERT INTO register_sessions (register_id, opened_at, opened_by, opening_float) VALUES ($1, now(), 'x', 0)`, shop.RegisterID); err == nil {
		t.Fatal("the database accepted a second open session")
	}
	cur, err := st.CurrentSession(ctx, db, shop.RegisterID)
	if err != nil || cur.ID != s.ID {
		t.Fatalf("current session %+v, %v", cur, err)
	}
}

func TestClosedSessionNeverChanges(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	st := register.Store{Clock: clock}
	shop := dbtest.NewShop(t, db, "Gent", "Front")
	s, err := st.OpenSession(ctx, db, shop.RegisterID, decimal.RequireFromString("100"), "An")
	if err != nil {
		t.Fatal(err)
	}
	cash, err := sales.Store{}.PaymentTypeByName(ctx, db, "Cash")
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(9 * time.Hour)
	closed, err := st.CloseSession(ctx, db, shop.RegisterID, []register.Count{{PaymentTypeID: cash.ID, Counted: decimal.RequireFromString("100.00")}}, "Bo")
	if err != nil {
		t.Fatal(err)
	}
	if closed.Open() || !closed.ClosedAt.Equal(now) || *closed.ClosedBy != "Bo" {
		t.Fatalf("closed %+v", closed)
	}
	if _, err := st.CurrentSession(ctx, db, shop.RegisterID); !errors.Is(err, register.ErrNoOpenSession) {
		t.Fatalf("current session after close: %v", err)
	}
	if _, err := st.CloseSession(ctx, db, shop.RegisterID, nil, "Bo"); !errors.Is(err, register.ErrNoOpenSession) {
		t.Fatalf("closing again: %v", err)
	}
	before := dbtest.Counts(t, db)
	for name, q := range map[string]string{
		"reopen":        `UPDATE register_sessions SET closed_at = NULL, closed_by = NULL WHERE id = $1`,
		"change float":  `UPDATE register_sessions SET opening_float = 0 WHERE id = $1`,
		"delete":        `DELETE FROM register_sessions WHERE id = $1`,
		"change counts": `UPDATE register_session_counts SET counted = 0 WHERE session_id = $1`,
		"add a count":   `INSERT INTO register_session_counts (session_id, payment_type_id, counted) VALUES ($1, 2, 5)`,
		"add a sale": `INSERT INTO sales (outlet_id, register_id, session_id, receipt_number, source, sold_at, currency, subtotal, total, balance)
			SELECT r.outlet_id, r.id, $1, 'LATE', 'pos', now(), 'EUR', 1, 1, 1 FROM registers r JOIN register_sessions s ON s.register_id = r.id WHERE s.id = $1`,
	} {
		_, err := db.Exec(q, s.ID)
		if err == nil {
			t.Errorf("%s: the database changed a closed session", name)
			continue
		}
		if !errors.Is(register.TranslateError(err), register.ErrSessionClosed) {
			t.Errorf("%s: %v, want the closed-session refusal", name, err)
		}
	}
	dbtest.Unchanged(t, db, before)

	// Nor may a payment be added to it.
	id, _, err := sales.Store{}.CreateSale(ctx, db, sales.NewSale{
		Sale: sales.Sale{OutletID: shop.OutletID, RegisterID: shop.RegisterID, ReceiptNumber: "R1", Source: sales.SourcePOS,
			SoldAt: now, Currency: "EUR", Subtotal: decimal.NewFromInt(5), Total: decimal.NewFromInt(5)},
		Lines: []sales.Line{{Kind: sales.KindCustom, Title: "x", Quantity: 1, UnitPrice: decimal.NewFromInt(5), Total: decimal.NewFromInt(5)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = sales.Store{}.AddPayment(ctx, db, sales.Payment{SaleID: id, PaymentTypeID: cash.ID, Amount: decimal.NewFromInt(5),
		PaidAt: now, RegisterID: shop.RegisterID, SessionID: &s.ID})
	if !errors.Is(err, sales.ErrSessionClosed) {
		t.Fatalf("payment into a closed session: %v, want ErrSessionClosed", err)
	}
}

func TestSessionsNewestFirstPerRegister(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	st := register.Store{Clock: func() time.Time { return now }}
	shop := dbtest.NewShop(t, db, "Gent", "Front")
	back, err := st.Create(ctx, db, shop.OutletID, "Back")
	if err != nil {
		t.Fatal(err)
	}
	var opened []int64
	for day := range 3 {
		now = time.Date(2026, 11, 22+day, 9, 0, 0, 0, time.UTC)
		for _, reg := range []int64{shop.RegisterID, back.ID} {
			s, err := st.OpenSession(ctx, db, reg, decimal.NewFromInt(100), "An")
			if err != nil {
				t.Fatal(err)
			}
			if reg == shop.RegisterID {
				opened = append(opened, s.ID)
			}
			if day < 2 {
				if _, err := st.CloseSession(ctx, db, reg, nil, "Bo"); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	all, err := st.Sessions(ctx, db, shop.RegisterID, 0)
	if err != nil || len(all) != 3 {
		t.Fatalf("all sessions of Front: %+v, %v", all, err)
	}
	for i, s := range all {
		if want := opened[len(opened)-1-i]; s.ID != want || s.RegisterID != shop.RegisterID {
			t.Errorf("session %d of Front: id %d of register %d, want id %d newest first", i, s.ID, s.RegisterID, want)
		}
	}
	if !all[0].Open() || all[1].Open() {
		t.Errorf("the newest session should be the open one: %+v", all)
	}
	two, err := st.Sessions(ctx, db, shop.RegisterID, 2)
	if err != nil || len(two) != 2 || two[0].ID != opened[2] || two[1].ID != opened[1] {
		t.Fatalf("two newest sessions of Front: %+v, %v", two, err)
	}
	none, err := st.Sessions(ctx, db, back.ID+100, 5)
	if err != nil || len(none) != 0 {
		t.Fatalf("sessions of no register: %+v, %v", none, err)
	}
}
